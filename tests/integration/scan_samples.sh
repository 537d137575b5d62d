#!/bin/sh
# nestscope scan on L1's memory images and on the L0 dumps (scan_samples.py),
# the dumps' structures read by each crash: Debian 12's and sid's (passes.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/passes.py "$BUILD" crash -- \
	/usr/bin/python3 tests/integration/scan_samples.py \
	"${NESTSCOPE:-$BUILD/nestscope}" samples "${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
