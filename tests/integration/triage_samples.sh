#!/bin/sh
# nestscope triage on the bundled dumps, with the bundled profiles and with
# the real debuginfo, against the samples manifest (triage_samples.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/triage_samples.py "${NESTSCOPE:-$BUILD/nestscope}" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
