#!/bin/sh
# vmcs12 -p through real QEMU's gdbstub on L1's real memory image (gdb_qemu.py).
exec /usr/bin/python3 tests/integration/gdb_qemu.py "${BUILD:-build}"
