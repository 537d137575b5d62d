#!/bin/sh
# nestscope on the bundled AMD host's dumps (samples/svm/): the VMs listed, every vCPU command refused in one
# line naming kvm_amd, crash's session surviving it (svm_host.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/svm_host.py "${NESTSCOPE:-$BUILD/nestscope}" "$BUILD" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
