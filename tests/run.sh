#!/bin/sh
# Runs every unit test binary, every CLI test script and (except in the
# sanitizer build, which checks our code, not crash's) every integration
# test, then prints one summary line.  BUILD names the build directory.
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
scripts="tests/cli/*.sh"
if [ "$BUILD" = build-asan ]; then
	echo "(integration tests run in the plain build; this one is for the sanitizers)"
else
	scripts="$scripts tests/integration/*.sh"
fi
for t in $scripts; do
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
