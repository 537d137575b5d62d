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

# run_test "FILE [what it checks]" COMMAND...: one script's RUN and OK or FAILED lines; a failure is listed by FILE
run_test() {
	name=$1
	shift
	echo "[ RUN      ] $name"
	if "$@"; then
		echo "[       OK ] $name"
		pass=$((pass + 1))
	else
		echo "[  FAILED  ] $name"
		fail=$((fail + 1))
		failed="$failed ${name%% *}"
	fi
}

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
	run_test "$t" sh "$t"
done
run_test "tests/json/validate_all.py (every JSON document printed above, against its schema)" \
	/usr/bin/python3 tests/json/validate_all.py "$NESTSCOPE_JSON_DIR"
[ -n "$failed" ] && echo "failed:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
