#!/bin/sh
# The damaged dumps (tests/integration/damaged_dumps.py) given to the CLI's
# triage alone: in the sanitizer build this is the ASan+UBSan run of them.
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/damaged_dumps.py "$BUILD" \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}" --cli-only
