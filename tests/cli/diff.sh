#!/bin/sh
# `nestscope diff` on real samples.
#  - L1's memory after its VMCLEAR holds, at its VMCS address, exactly the
#    vmcs12 of the blob taken just before: KVM writes cached_vmcs12 back to
#    L1's region on VMCLEAR (the harness VMCLEARs right after that exit).
#  - Two snapshots of one vmcs12 differ in what the exit between them
#    changed: the manifest's exit reason.
set -eu
NS=${NESTSCOPE:-build/nestscope}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
for mf in samples/*/manifest.json; do
	dir=$(dirname "$mf")
	for cfg in basic rich; do
		set -- $(/usr/bin/python3 -c "
import json, sys
m = json.load(open(sys.argv[1]))['configs'][sys.argv[2]]
steps = m['steps']
clear = [s for s in steps if s['tag'] == 'after_vmclear'][0]
before = [s for s in steps if s['step'] == clear['step'] - 1][0]
l2 = [s for s in steps if s['tag'] == 'l2_out_1'][0]
exit1 = [s for s in steps if s['step'] == l2['step'] + 1][0]
reason = [e['reason'] for e in m['exits'] if e['step'] == exit1['step']][0]
print(before['file'], m['addresses']['vmcs12_pa'], l2['file'], exit1['file'], reason)" "$mf" $cfg)
		zcat "$dir/$cfg/l1-memory-after_vmclear.img.gz" > "$T/l1.img"
		if "$NS" diff "$dir/$cfg/$1" "$T/l1.img@$2" | grep -q ', 0 differ:\|, 0 changed'; then
			echo "ok   $dir/$cfg: L1's region at $2 after VMCLEAR = the vmcs12 of $1"
		else
			echo "FAIL $dir/$cfg: L1's region at $2 differs from $1"; "$NS" diff "$dir/$cfg/$1" "$T/l1.img@$2"; fail=1
		fi
		"$NS" diff -j "$dir/$cfg/$3" "$dir/$cfg/$4" > "$T/d.json"
		got=$(/usr/bin/python3 -c "
import json; d = json.load(open('$T/d.json'))
print([int(x['b'], 16) for x in d['differences'] if x['name'] == 'VM_EXIT_REASON'][0])")
		if [ "$got" = "$5" ]; then
			echo "ok   $dir/$cfg: from $3 to $4 the exit reason changed to $5, as L1 saw"
		else
			echo "FAIL $dir/$cfg: exit reason $got, L1 saw $5"; fail=1
		fi
		/usr/bin/python3 tests/cli/validate_json.py nestscope/diff/2 "$T/d.json" > /dev/null || { echo "FAIL diff JSON"; fail=1; }
	done
done
# bad input: one line, status 1
if "$NS" diff "$T/none" "$T/none2" > "$T/out" 2> "$T/err"; then fail=1; fi
[ "$(wc -l < "$T/err")" -eq 1 ] || { echo "FAIL missing file: $(cat "$T/err")"; fail=1; }
"$NS" diff "$T/l1.img@0x999999999" "$T/l1.img" > /dev/null 2> "$T/err" && fail=1
[ "$(wc -l < "$T/err")" -eq 1 ] || { echo "FAIL offset past the end: $(cat "$T/err")"; fail=1; }
exit $fail
