#!/bin/sh
# Our SDM checks against real KVM + Bochs on the differential corpus (differential.py).
exec /usr/bin/python3 tests/cli/differential.py "${NESTSCOPE:-build/nestscope}"
