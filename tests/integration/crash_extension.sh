#!/bin/sh
# The crash extension in real crash on the bundled dumps (crash_extension.py),
# once per crash: Debian 12's 8.0.2 and sid's 9.0.x, each with the extension
# built against its defs.h (passes.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/passes.py "$BUILD" crash -- \
	/usr/bin/python3 tests/integration/crash_extension.py "$BUILD" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
