#!/bin/sh
# One name, one type across the JSON schemas (tests/json/keys.py), and the
# check itself able to fail: a list missing one known collision must fail
# (a new collision), a list with a collision that does not exist must fail
# (a fixed one still listed).
set -u
K=tests/json/keys.py
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
/usr/bin/python3 "$K" || fail=1
grep -v '^stale:' tests/json/key-collisions.txt > "$T/less.txt"
if NESTSCOPE_KEY_COLLISIONS="$T/less.txt" /usr/bin/python3 "$K" > "$T/out" 2>&1; then
	echo "FAIL: keys.py passes with 'stale' left off the list"; fail=1
elif ! grep -q '^FAIL new: stale:' "$T/out"; then
	echo "FAIL: keys.py did not name 'stale' as new:"; cat "$T/out"; fail=1
fi
{ cat tests/json/key-collisions.txt; echo "no_such_member: integer in kvm; string in decode"; } > "$T/more.txt"
if NESTSCOPE_KEY_COLLISIONS="$T/more.txt" /usr/bin/python3 "$K" > "$T/out" 2>&1; then
	echo "FAIL: keys.py passes with a listed collision that does not exist"; fail=1
elif ! grep -q 'still listed.*no_such_member' "$T/out"; then
	echo "FAIL: keys.py did not name the stale list entry:"; cat "$T/out"; fail=1
fi
[ "$fail" -eq 0 ] && echo "json_keys: 3 checks passed"
exit "$fail"
