#!/bin/sh
# vmcs12 -p through real QEMU's gdbstub on L1's real memory image (gdb_qemu.py),
# once per gdb: Debian 12's and sid's (passes.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/passes.py "$BUILD" gdb -- \
	/usr/bin/python3 tests/integration/gdb_qemu.py "$BUILD"
