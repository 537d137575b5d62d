#!/bin/sh
# nestscope abi, gdb's and crash's vmcs12-abi on three kernels' debuginfo (vmcs12_abi.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/vmcs12_abi.py "$BUILD" \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
