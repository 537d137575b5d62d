#!/bin/sh
# Runs every unit test binary and every CLI test script, then prints one
# summary line.  BUILD names the build directory (build or build-asan).
set -u
BUILD=${BUILD:-build}
export NESTSCOPE="$BUILD/nestscope"
pass=0
fail=0
failed=""

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t"; fi
done
for t in tests/cli/*.sh; do
	echo "[ RUN      ] $t"
	if sh "$t"; then
		echo "[       OK ] $t"
		pass=$((pass + 1))
	else
		echo "[  FAILED  ] $t"
		fail=$((fail + 1))
		failed="$failed $t"
	fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
