#!/bin/sh
# Every consistency check the samples' kvm-amd.ko makes on a vmcb12 has an SVM rule that quotes it (svm_kvm_checks.py).
exec /usr/bin/python3 tests/integration/svm_kvm_checks.py "${NESTSCOPE:-build/nestscope}" samples \
	"${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}"
