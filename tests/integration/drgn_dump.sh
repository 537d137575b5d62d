#!/bin/sh
# The drgn package in real drgn 0.0.22 (Debian 12) and 0.3 (the sid root) on the bundled dumps, against
# the manifests, drgn's own reads, gdb and crash (drgn_dump.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/drgn_dump.py "$BUILD" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
