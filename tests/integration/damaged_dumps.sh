#!/bin/sh
# Damaged dumps made from a real one: triage, crash and gdb (damaged_dumps.py),
# once per crash and gdb: Debian 12's and sid's (passes.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/passes.py "$BUILD" crash,gdb -- \
	/usr/bin/python3 tests/integration/damaged_dumps.py \
	"$BUILD" "${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
