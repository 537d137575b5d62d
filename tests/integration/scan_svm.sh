#!/bin/sh
# nestscope scan finds the VMCB pages of the SVM samples (L0 dumps; vmcb12 pages at their GPAs), and none in the VMX
# samples (scan_svm.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/scan_svm.py "${NESTSCOPE:-$BUILD/nestscope}" samples
