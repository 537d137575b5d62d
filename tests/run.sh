#!/bin/sh
# Runs every unit test binary, every CLI test script and (except in the
# sanitizer build, which checks our code, not crash's) every integration
# test, then prints one summary line.  BUILD names the build directory.
set -u
BUILD=${BUILD:-build}
# the CLI through a shim that keeps each JSON output, validated at the end
NESTSCOPE_JSON_DIR=$(mktemp -d)
trap 'rm -rf "$NESTSCOPE_JSON_DIR"' EXIT
export NESTSCOPE_JSON_DIR
# (absolute: a test may run the CLI from another directory)
case $BUILD in /*) NESTSCOPE_REAL="$BUILD/nestscope" ;; *) NESTSCOPE_REAL="$PWD/$BUILD/nestscope" ;; esac
export NESTSCOPE_REAL
export NESTSCOPE="$PWD/tests/json/nestscope-shim.sh"
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
t="tests/json/validate_all.py (every JSON document printed above, against its schema)"
echo "[ RUN      ] $t"
if /usr/bin/python3 tests/json/validate_all.py "$NESTSCOPE_JSON_DIR"; then
	echo "[       OK ] $t"
	pass=$((pass + 1))
else
	echo "[  FAILED  ] $t"
	fail=$((fail + 1))
	failed="$failed tests/json/validate_all.py"
fi
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
