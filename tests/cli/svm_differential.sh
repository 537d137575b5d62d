#!/bin/sh
# Real KVM's nested VMRUN against nestscope's APM checks on the SVM differential corpus (svm_differential.py).
exec /usr/bin/python3 tests/cli/svm_differential.py "${NESTSCOPE:-build/nestscope}"
