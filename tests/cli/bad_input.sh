#!/bin/sh
# Bad input to `nestscope decode`: each case must end with exactly one line on
# stderr, nothing on stdout, exit status 1 (not a crash: no status >= 128).
set -u
NS=${NESTSCOPE:-build/nestscope}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
BLOB=samples/blobs/basic/nested_l2_guestmode_1.bin
fail=0

# Builds a file from the real blob with one little-endian dword replaced.
patch32() { # src dst offset value
	/usr/bin/env python3 - "$@" <<'PY'
import struct, sys
src, dst, off, val = sys.argv[1], sys.argv[2], int(sys.argv[3], 0), int(sys.argv[4], 0)
b = bytearray(open(src, 'rb').read())
b[off:off + 4] = struct.pack('<I', val)
open(dst, 'wb').write(b)
PY
}

: > "$T/empty"
head -c 1000 "$BLOB" > "$T/truncated"
patch32 "$BLOB" "$T/size-lies" 4 8320                # says 8320 bytes, has 4224
patch32 "$BLOB" "$T/size-absurd" 4 0x7fffffff
tail -c 4096 "$BLOB" > "$T/vmcs12.raw"
patch32 "$T/vmcs12.raw" "$T/wrong-revision" 0 0x2b   # Bochs's hardware VMCS id
head -c 500 "$T/vmcs12.raw" > "$T/short-vmcs12"
/usr/bin/env python3 -c "import random; r=random.Random(7); open('$T/random','wb').write(bytes(r.randrange(256) for _ in range(4096)))"
mkdir "$T/a-directory"

check() { # name, then the command's arguments
	name=$1; shift
	"$NS" "$@" > "$T/out" 2> "$T/err"
	rc=$?
	lines=$(wc -l < "$T/err")
	if [ "$rc" -ne 1 ] || [ "$lines" -ne 1 ] || [ -s "$T/out" ]; then
		echo "FAIL $name: status $rc, $lines stderr lines, stdout $(wc -c < "$T/out") bytes"
		cat "$T/err"
		fail=1
	else
		echo "ok   $name: $(cat "$T/err")"
	fi
}

check empty            decode "$T/empty"
check truncated-blob   decode "$T/truncated"
check size-lies        decode "$T/size-lies"
check size-absurd      decode "$T/size-absurd"
check wrong-revision   decode "$T/wrong-revision"
check wrong-rev-forced-format decode --format vmcs12 "$T/wrong-revision"
check short-vmcs12     decode --format vmcs12 "$T/short-vmcs12"
check short-vmcb       decode --format vmcb "$T/short-vmcs12"   # 500 bytes: less than a VMCB's control area
check empty-vmcb       decode --format vmcb "$T/empty"
check random-bytes     decode "$T/random"
check random-as-blob   decode --format nested-state "$T/random"
check directory        decode "$T/a-directory"
check missing-file     decode "$T/does-not-exist"
check no-such-field    fields NO_SUCH_FIELD_NAME
# check on AMD: a short vmcb12 page, an SVM blob outside guest mode (no vmcb12), a VMX profile or a
# caps file without CPUID for an SVM check
S=samples/svm/6.1.0-56-amd64/blobs/rich
head -c 2048 "$S/01-vmcb12.bin" > "$T/short-vmcb"
printf 'IA32_VMX_BASIC 0x00d8100011e57ed0\n' > "$T/vmx-only.caps"
check svm-short-vmcb     check -f vmcb "$T/short-vmcb"
check svm-blob-no-vmcb12 check "$S/01-nested-state.bin"
check svm-vmx-profile    check -c kvm-6.1-bochs-skylake-x -f vmcb "$S/01-vmcb12.bin"
check svm-caps-no-cpuid  check -c "$T/vmx-only.caps" -f vmcb "$S/01-vmcb12.bin"

# usage errors are status 2, also one line
"$NS" decode --format bogus "$BLOB" > /dev/null 2> "$T/err"; rc=$?
if [ "$rc" -ne 2 ] || [ "$(wc -l < "$T/err")" -ne 1 ]; then echo "FAIL usage: status $rc"; fail=1; fi
"$NS" explain exit-reason notanumber > /dev/null 2> "$T/err"; rc=$?
if [ "$rc" -ne 2 ] || [ "$(wc -l < "$T/err")" -ne 1 ]; then echo "FAIL explain usage: status $rc"; fail=1; fi

# forcing a wrong revision decodes, and says so
if ! "$NS" decode --force "$T/wrong-revision" | grep -q "warning: revision id 0x0000002b"; then
	echo "FAIL --force does not report the wrong revision"; fail=1
fi
exit $fail
