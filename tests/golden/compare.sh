#!/bin/sh
# Compares two output directories of tests/golden/run.sh, command by command:
# one line per command whose output differs or exists on one side only, a
# count of the identical ones, then a unified diff for each difference.
# Exit status 0 when every output is identical, 1 when anything differs, 2 on
# a usage error.  _log/ (timings, the sed script with this machine's paths)
# is not compared; _commands (the command list) and _inputs (the sha256 of
# every input read) are, so a changed list or changed inputs show up too.
#
# usage: tests/golden/compare.sh [-v] BEFORE AFTER
#   -v  also list the identical commands
set -u
verbose=0
[ "${1:-}" = -v ] && { verbose=1; shift; }
[ $# -eq 2 ] || { echo "usage: $0 [-v] BEFORE AFTER" >&2; exit 2; }
B=$1 A=$2
for d in "$B" "$A"; do
	[ -f "$d/_commands" ] || { echo "compare.sh: $d is not an output directory of tests/golden/run.sh" >&2; exit 2; }
done
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
(cd "$B" && find . -type f ! -path './_log/*' | sed 's|^\./||' | LC_ALL=C sort) > "$T/b"
(cd "$A" && find . -type f ! -path './_log/*' | sed 's|^\./||' | LC_ALL=C sort) > "$T/a"
LC_ALL=C comm -23 "$T/b" "$T/a" > "$T/only-b"
LC_ALL=C comm -13 "$T/b" "$T/a" > "$T/only-a"
LC_ALL=C comm -12 "$T/b" "$T/a" > "$T/both"
: > "$T/differ"
: > "$T/same"
while IFS= read -r f; do
	if cmp -s "$B/$f" "$A/$f"; then echo "$f" >> "$T/same"; else echo "$f" >> "$T/differ"; fi
done < "$T/both"

same=$(wc -l < "$T/same") differ=$(wc -l < "$T/differ")
onlyb=$(wc -l < "$T/only-b") onlya=$(wc -l < "$T/only-a")
[ "$verbose" -eq 1 ] && sed 's/^/identical    /' "$T/same"
sed 's/^/DIFFERS      /' "$T/differ"
sed 's/^/ONLY BEFORE  /' "$T/only-b"
sed 's/^/ONLY AFTER   /' "$T/only-a"
echo "$same identical, $differ differ, $onlyb only in $B, $onlya only in $A"
while IFS= read -r f; do
	echo
	diff -u --label "before/$f" --label "after/$f" "$B/$f" "$A/$f"
done < "$T/differ"
[ "$differ" -eq 0 ] && [ "$onlyb" -eq 0 ] && [ "$onlya" -eq 0 ]
