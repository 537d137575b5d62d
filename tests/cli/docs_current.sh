#!/bin/sh
# docs/sdm-rules.md is generated from the rule table and must be current.
set -eu
NS=${NESTSCOPE:-build/nestscope}
T=$(mktemp)
trap 'rm -f "$T"' EXIT
"$NS" check --rules-markdown > "$T"
if ! diff -u docs/sdm-rules.md "$T" > /dev/null; then
	echo "FAIL docs/sdm-rules.md is stale: regenerate it with 'nestscope check --rules-markdown'"
	exit 1
fi
echo "ok   docs/sdm-rules.md lists the $(grep -c '^| `' docs/sdm-rules.md) rules of the table"
