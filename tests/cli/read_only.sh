#!/bin/sh
# No write path to the target in the crash extension, the gdb package or the core (read_only.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/cli/read_only.py "$BUILD/nestscope.so"
