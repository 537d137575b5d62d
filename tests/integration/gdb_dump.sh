#!/bin/sh
# The gdb package in real gdb on the bundled dumps, against crash and the CLI (gdb_dump.py),
# once per gdb and crash: Debian 12's and sid's (passes.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/passes.py "$BUILD" crash,gdb -- \
	/usr/bin/python3 tests/integration/gdb_dump.py "$BUILD" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
