#!/bin/sh
# The APM's VMRUN rules, each on a passing and a violating real vmcb12 (svm_check_rules.py).
exec /usr/bin/python3 tests/cli/svm_check_rules.py "${NESTSCOPE:-build/nestscope}"
