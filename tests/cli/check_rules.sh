#!/bin/sh
# The SDM rules, each on a passing and a violating real vmcs12 (check_rules.py).
exec /usr/bin/python3 tests/cli/check_rules.py "${NESTSCOPE:-build/nestscope}"
