#!/bin/sh
# nestscope abi, gdb's and crash's vmcs12-abi on three kernels' debuginfo (vmcs12_abi.py),
# once per crash and gdb: Debian 12's and sid's (passes.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/passes.py "$BUILD" crash,gdb -- \
	/usr/bin/python3 tests/integration/vmcs12_abi.py \
	"$BUILD" "${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
