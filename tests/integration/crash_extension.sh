#!/bin/sh
# The crash extension in real crash on the bundled dumps (crash_extension.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/crash_extension.py "$BUILD/nestscope.so" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
