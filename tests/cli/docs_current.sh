#!/bin/sh
# docs/sdm-rules.md and the table of docs/kernels.md are generated from tables and must be current.
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

# docs/kernels.md ends with the kernel-members table, generated from kernel_members.def
"$NS" profile --members-markdown > "$T"
n=$(wc -l < "$T")
if ! tail -n "$n" docs/kernels.md | diff -u - "$T" > /dev/null; then
	echo "FAIL docs/kernels.md's table is stale: regenerate its end with 'nestscope profile --members-markdown'"
	exit 1
fi
echo "ok   docs/kernels.md lists the $(grep -c '^| `[A-Z]' docs/kernels.md) rows of kernel_members.def"
