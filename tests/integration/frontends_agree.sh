#!/bin/sh
# crash, gdb and the CLI: the same output for the same command line (frontends_agree.py),
# once per crash and gdb: Debian 12's and sid's (passes.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/passes.py "$BUILD" crash,gdb -- \
	/usr/bin/python3 tests/integration/frontends_agree.py "$BUILD" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
