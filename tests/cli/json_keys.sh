#!/bin/sh
# One name, one type across the JSON schemas (tests/json/keys.py), and the
# check itself able to fail: a schema given a collision the list does not
# hold must fail (a new collision), a list with a collision that does not
# exist must fail (a fixed one still listed).
set -u
K=tests/json/keys.py
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
/usr/bin/python3 "$K" || fail=1
# the schemas with one more: scan/99, whose pages is a string where every other document counts pages
mkdir "$T/schemas"
cp docs/json-schema/*.json "$T/schemas/"
/usr/bin/python3 - "$T/schemas" <<'PY'
import json, pathlib, sys
d = pathlib.Path(sys.argv[1])
s = json.loads((d / "scan-v2.json").read_text())
s["$id"] = "urn:nestscope:schema:scan:99"
s["properties"]["pages"] = {"type": "string"}
(d / "scan-v99.json").write_text(json.dumps(s))
PY
if NESTSCOPE_JSON_SCHEMAS="$T/schemas" /usr/bin/python3 "$K" > "$T/out" 2>&1; then
	echo "FAIL: keys.py passes with 'pages' a string in one schema and an integer in another"; fail=1
elif ! grep -q '^FAIL new: pages:' "$T/out"; then
	echo "FAIL: keys.py did not name 'pages' as new:"; cat "$T/out"; fail=1
fi
{ cat tests/json/key-collisions.txt; echo "no_such_member: integer in kvm; string in decode"; } > "$T/more.txt"
if NESTSCOPE_KEY_COLLISIONS="$T/more.txt" /usr/bin/python3 "$K" > "$T/out" 2>&1; then
	echo "FAIL: keys.py passes with a listed collision that does not exist"; fail=1
elif ! grep -q 'still listed.*no_such_member' "$T/out"; then
	echo "FAIL: keys.py did not name the stale list entry:"; cat "$T/out"; fail=1
fi
[ "$fail" -eq 0 ] && echo "json_keys: 3 checks passed"
exit "$fail"
