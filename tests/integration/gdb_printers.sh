#!/bin/sh
# The gdb package as gdb users expect it (gdb_printers.py): pretty-printers with children registered for
# kvm-intel.ko, print and print/x, one error line on bad input, completion; once per gdb (passes.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/passes.py "$BUILD" gdb -- \
	/usr/bin/python3 tests/integration/gdb_printers.py "$BUILD" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
