#!/bin/sh
# DESIGN.md's layers: the core prints only in Render.  The analyses (decode,
# checks, diff, scan, triage, the session's commands ...) fill models and
# never write to an output sink; decoders/render/ writes them.  So the
# writers -- ns_printf(), the JSON writer's functions (the json_* of
# decoders/render/json.h) and json-c's serializers (json_object_to_*) -- are
# called only under decoders/render/, besides the files listed below; and no
# front end builds JSON with printf.  json-c's reading calls (the profile and
# migration-stream readers') are no writer.
set -eu
cd "$(dirname "$0")/../.."

# Writers that are no analysis's report, each with why it may write:
allowed='
decoders/formats/hwlayout.c  ns_hwlayout_write: a layout file (docs/layout-format.md), not a report
decoders/kvm/locate.c        ns_kernel_members_markdown: the table of docs/kernels.md
decoders/formats/profile.c   ns_profile_write: an ISF profile (the types triage reads), not a report
decoders/command.c           ns_command_help: the commands help and troff, from commands.def
'
files=$(printf '%s\n' "$allowed" | awk 'NF { print $1 }')
# the JSON writer's functions, as its header declares them
writer=$(sed -n 's/^void \(json_[a-z_]*\)(.*/\1/p' decoders/render/json.h | paste -sd'|' -)
[ -n "$writer" ] || { echo "FAIL no json_* writer functions found in decoders/render/json.h"; exit 1; }

fail=0
# a call, not a declaration or a comment: NAME( after something other than a type word
for f in decoders/*.c decoders/sdm/*.c decoders/kvm/*.c decoders/formats/*.c decoders/analyses/*.c cli/*.c; do
	case " $(echo $files) " in *" $f "*) continue ;; esac
	hits=$(grep -nE "(^|[^A-Za-z0-9_])(ns_printf|$writer|json_object_to_[a-z_]+)[[:space:]]*\\(" "$f" |
	       grep -vE '^[0-9]+:[[:space:]]*(/?\*|//)' || true)
	if [ -n "$hits" ]; then
		echo "FAIL $f writes output itself (move it to decoders/render/):"
		echo "$hits" | sed 's/^/    /'
		fail=1
	fi
done
# JSON by hand: a printf whose format holds a quoted key ("\"name\":")
hits=$(grep -nE 'printf[[:space:]]*\(.*\\"[a-z_]+\\":' cli/*.c decoders/*.c decoders/*/*.c || true)
if [ -n "$hits" ]; then
	echo "FAIL JSON written with printf, not through the JSON writer (json.h):"
	echo "$hits" | sed 's/^/    /'
	fail=1
fi
# the listed files exist (a stale list hides nothing)
for f in $files; do
	[ -f "$f" ] || { echo "FAIL render_only.sh allows $f, which is gone"; fail=1; }
done
[ "$fail" -eq 0 ] || exit 1
echo "ok   ns_printf and the JSON writers are called only in decoders/render/ and $(echo $files | wc -w) listed writers"
