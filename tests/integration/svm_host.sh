#!/bin/sh
# nestscope on the bundled AMD host's dumps (samples/svm/): kvm -v, vmcb02, vmcb12, vmcb12 -D and triage from the
# CLI, gdb and crash, checked against the samples' manifest (svm_host.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/svm_host.py "${NESTSCOPE:-$BUILD/nestscope}" "$BUILD" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
