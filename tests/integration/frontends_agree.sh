#!/bin/sh
# crash, gdb and the CLI: the same output for the same command line (frontends_agree.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/frontends_agree.py "$BUILD" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
