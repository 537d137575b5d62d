#!/bin/sh
# SLOW (one Bochs boot, about a minute): the layout-discovery probe, built for
# the current Debian kernel and run inside Bochs with that real kernel, finds
# exactly the built-in Bochs layout: the same fields at the same offsets, with
# the same storage.  Run by `make test-slow` and by CI.
set -eu
NS=${NESTSCOPE:-build/nestscope}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
sh samples/gen/probe-layout.sh current "$T/probe.layout" > "$T/log" 2>&1 || { tail -20 "$T/log"; exit 1; }
"$NS" layout check "$T/probe.layout"
rev=$(sed -n 's/^revision //p' "$T/probe.layout")
"$NS" layout show "$rev" | grep '^field' | sort > "$T/builtin"
grep '^field' "$T/probe.layout" | sort > "$T/probed"
if ! diff "$T/builtin" "$T/probed" > "$T/diff"; then
	echo "FAIL the probe's layout differs from the built-in one:"
	cat "$T/diff"
	exit 1
fi
echo "ok   probe in Bochs: $(wc -l < "$T/probed") fields, identical to the built-in layout for revision $rev"
echo "     ($(grep -c 'VMWRITE failed' "$T/probe.layout") catalog fields this CPU model does not have)"
