#!/bin/sh
# Every fuzz harness, built without libFuzzer, on the inputs that once
# crashed it (fuzz/regressions/TARGET/, kept after the fix) and on a few
# edge inputs (empty, zeros, all ones, each real blob): none may crash.
# Under `make test-asan` they run with ASan and UBSan.
set -u
BUILD=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
: > "$T/empty"
head -c 12288 /dev/zero > "$T/zeros"
head -c 12288 /dev/zero | tr '\0' '\377' > "$T/ones"
fail=0
for bin in "$BUILD"/fuzz-replay/*; do
	t=$(basename "$bin")
	set -- "$T/empty" "$T/zeros" "$T/ones" samples/blobs/*/*.bin
	n=0
	for r in fuzz/regressions/"$t"/*; do
		[ -f "$r" ] && { set -- "$@" "$r"; n=$((n + 1)); }
	done
	if "$bin" "$@" > "$T/out" 2>&1; then
		echo "ok   $t: $(cat "$T/out") ($n regression inputs)"
	else
		echo "FAIL $t:"; tail -5 "$T/out"; fail=1
	fi
done
[ -n "$(ls "$BUILD"/fuzz-replay 2>/dev/null)" ] || { echo "FAIL no replay binaries in $BUILD/fuzz-replay"; fail=1; }
exit $fail
