#!/bin/sh
# Stands in for the nestscope CLI while the test suite runs (tests/run.sh):
# runs the real one (NESTSCOPE_REAL) with the same arguments, standard input
# and exit status, and keeps a copy of every output that is JSON in
# NESTSCOPE_JSON_DIR, so that tests/json/validate_all.py can check each
# against its schema afterwards.  Standard error passes straight through.
out=$(mktemp "${NESTSCOPE_JSON_DIR:?}/run.XXXXXX") || exit 125
"${NESTSCOPE_REAL:?}" "$@" > "$out"
rc=$?
cat "$out"
# a JSON document starts with '{' (nestscope writes no leading space)
if [ "$(head -c 1 "$out")" = "{" ]; then
	printf '%s\n' "$*" > "$out.args"
	mv "$out" "$out.json"
else
	rm -f "$out"
fi
# killed by a signal: die of the same one, so that the caller sees the signal and not a status
[ $rc -gt 128 ] && [ $rc -lt 160 ] && kill -$((rc - 128)) $$
exit $rc
