#!/bin/sh
# The installed crash extension and gdb package, found where crash and gdb look (installed.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/installed.py "$BUILD" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
