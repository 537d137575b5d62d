#!/bin/sh
# nestscope abi without network or debuginfo (so the sanitizer build runs it
# too): a profile whose struct vmcs12 is the kernel's own 6.1 layout, as
# pahole printed it from Debian's kvm-intel.ko (tests/data), is compatible
# with nothing added; the same with guest_rip moved is a break (exit 3); bad
# input is one line on stderr and exit 1, bad usage exit 2.
set -u
NS=${NESTSCOPE:-build/nestscope}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0

# The bundled 6.1 profile with struct vmcs12's members from pahole; MOVE=name moves one by 8 bytes.
/usr/bin/env python3 - "$T" <<'PY'
import json, re, sys
t = sys.argv[1]
prof = json.load(open("profiles/6.1.0-56-amd64.json"))
fields = {}
for line in open("tests/data/pahole-vmcs12-6.1.0-56.txt"):
    m = re.match(r"\s*[\w ]+?\s+(\w+)(\[\d+\])?;\s*/\*\s*(\d+)\s+(\d+)\s*\*/", line)
    if m:
        fields[m.group(1)] = {"offset": int(m.group(3)),
                              "type": {"kind": "array", "count": int(m.group(4)),
                                       "subtype": {"kind": "base", "name": "unsigned char"}}}
assert len(fields) == 149, len(fields)   # pahole: "members: 149"
prof["user_types"]["vmcs12"] = {"kind": "struct", "size": 998, "fields": fields}
json.dump(prof, open(f"{t}/p61.json", "w"))
fields["guest_rip"]["offset"] += 8
json.dump(prof, open(f"{t}/moved.json", "w"))
del prof["user_types"]["vmcs12"]
json.dump(prof, open(f"{t}/none.json", "w"))
PY

expect() { # what, status wanted, then the arguments
	what=$1 want=$2; shift 2
	"$NS" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL $what: status $rc, wanted $want"; cat "$T/err"; fail=1
	else
		echo "ok   $what (status $rc)"
	fi
}

expect "6.1's layout is compatible" 0 abi --profile "$T/p61.json"
if ! grep -q '^added     none' "$T/out" || ! grep -q '^verdict   compatible' "$T/out" ||
   [ "$(grep -c '^absent    .*as on kernels without nested CET' "$T/out")" -ne 6 ]; then
	echo "FAIL 6.1: not 'added none', six CET members absent, compatible"; cat "$T/out"; fail=1
fi
expect "6.1 as JSON" 0 abi --json --profile "$T/p61.json"
/usr/bin/python3 tests/cli/validate_json.py nestscope/abi/2 "$T/out" > /dev/null 2>&1 || { echo "FAIL JSON schema"; fail=1; }
expect "guest_rip moved by 8 bytes is a break" 3 abi --profile "$T/moved.json"
grep -q '^moved     guest_rip is at 552 (8 bytes) here, at 544' "$T/out" || { echo "FAIL the moved line"; fail=1; }
# as JSON: the moved member is a breaking finding, and break_count counts the breaking findings
expect "guest_rip moved, as JSON" 3 abi --json --profile "$T/moved.json"
/usr/bin/python3 - "$T/out" <<'PY' || { echo "FAIL break_count"; fail=1; }
import json, sys
d = json.load(open(sys.argv[1]))
moved = [f for f in d["findings"] if f["kind"] == "moved" and f["member"] == "guest_rip"]
sys.exit(not (moved and moved[0]["breaks"] and d["compatible"] is False and
              d["break_count"] == sum(f["breaks"] for f in d["findings"]) >= 1))
PY

for c in "no struct vmcs12:none.json" "missing file:nothere.json"; do
	expect "${c%%:*}: exit 1" 1 abi --profile "$T/${c#*:}"
	[ "$(wc -l < "$T/err")" -eq 1 ] && [ ! -s "$T/out" ] || { echo "FAIL ${c%%:*}: one line on stderr"; fail=1; }
done
expect "kvm.ko is not kvm-intel.ko" 2 abi --module kvm=kvm.ko
expect "no type source" 2 abi
expect "two type sources" 2 abi --profile "$T/p61.json" --module x.ko
expect "a stray argument" 2 abi --profile "$T/p61.json" extra
exit $fail
