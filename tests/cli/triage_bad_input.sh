#!/bin/sh
# Bad input to `nestscope triage` and `nestscope profile`: a file that is no
# dump, a truncated dump, profiles that are not ISF, lie about their sizes or
# are for another kernel, debuginfo that is not there.  Each ends with
# exactly one line on stderr, exit status 1, and no crash.
set -u
NS=${NESTSCOPE:-build/nestscope}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
DUMP=samples/6.1.0-56-amd64/dump/vmcore.kdump
PROFILE=profiles/6.1.0-56-amd64.json
fail=0

head -c 4096 "$DUMP" > "$T/truncated.kdump"
head -c 100000 "$DUMP" > "$T/headers-only.kdump"
printf 'not a dump at all\n' > "$T/text"
printf '{"metadata": {}, "base_types": {}}' > "$T/not-isf.json"
printf '{"metadata": {' > "$T/cut.json"
printf '%0200d' 0 | sed 's/0/[/g' > "$T/deep.json"
# the bundled profile with struct kvm's vm_list moved past the struct's end
/usr/bin/python3 - "$PROFILE" "$T" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
out = sys.argv[2]
bad = json.loads(json.dumps(p))
bad["user_types"]["kvm"]["fields"]["vm_list"]["offset"] = bad["user_types"]["kvm"]["size"] + 8
json.dump(bad, open(out + "/outside.json", "w"))
other = json.loads(json.dumps(p))
other["metadata"]["nestscope"]["release"] = "9.9.9-other"
other["metadata"]["nestscope"]["banner"] = "Linux version 9.9.9-other (x) #1\n"
json.dump(other, open(out + "/other-kernel.json", "w"))
nomod = json.loads(json.dumps(p))
del nomod["symbols"]["modules"]
json.dump(nomod, open(out + "/no-modules.json", "w"))
PY

# a raw "image" with the banner of a bundled kernel but none of its page tables
/usr/bin/python3 -c "
import sys
b = bytearray(1 << 20)
b[0x5000:0x5000 + 40] = b'Linux version 6.1.0-56-amd64 (x) #1 SMP\\n'
open(sys.argv[1], 'wb').write(b)" "$T/banner-only.raw"

check() { # name, then the command's arguments
	name=$1; shift
	"$NS" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	lines=$(wc -l < "$T/err")
	if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ]; then
		echo "FAIL $name: status $rc, $lines stderr lines"
		cat "$T/err"
		fail=1
	else
		echo "ok   $name: $(cat "$T/err")"
	fi
}

check "not a dump" triage "$T/text"
check "truncated dump" triage "$T/truncated.kdump"
check "dump cut after its headers" triage "$T/headers-only.kdump"
check "missing dump" triage "$T/nonexistent"
check "raw image with a banner and no page tables" triage "$T/banner-only.raw"
check "profile not ISF" triage --profile "$T/not-isf.json" "$DUMP"
check "profile cut short" triage --profile "$T/cut.json" "$DUMP"
check "profile nested 200 deep" triage --profile "$T/deep.json" "$DUMP"
check "profile with a member outside its struct" triage --profile "$T/outside.json" "$DUMP"
check "profile for another kernel" triage --profile "$T/other-kernel.json" "$DUMP"
check "profile without the modules symbol" triage --profile "$T/no-modules.json" "$DUMP"
check "debuginfo directory without the kernel" triage --debuginfo "$T" "$DUMP"
check "profile from no debuginfo" profile --debuginfo "$T" -o "$T/p.json"
check "profile from a vmlinux that is not ELF" profile --vmlinux "$T/text" --module kvm_intel="$T/text"

# the one case that must still work: --force with another kernel's profile
# that is really this kernel's (only the release was changed)
if "$NS" triage --force --profile "$T/other-kernel.json" "$DUMP" > /dev/null 2>&1; then
	echo "ok   --force uses a profile whose release differs"
else
	echo "FAIL --force with another release's profile"; fail=1
fi
exit $fail
