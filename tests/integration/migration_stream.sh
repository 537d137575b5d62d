#!/bin/sh
# QEMU migration streams and libvirt save images (migration_stream.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/migration_stream.py "${NESTSCOPE:-$BUILD/nestscope}"
