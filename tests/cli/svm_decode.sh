#!/bin/sh
# Every bundled nested-SVM blob and VMCB page decodes to what its manifest recorded (tests/cli/svm_decode.py).
exec /usr/bin/python3 tests/cli/svm_decode.py "${NESTSCOPE:-build/nestscope}" samples
