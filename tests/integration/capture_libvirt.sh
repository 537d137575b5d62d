#!/bin/sh
# nestscope capture with a real libvirtd and a real QEMU TCG domain (capture_libvirt.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/capture_libvirt.py "$BUILD/nestscope"
