#!/bin/sh
# Rules that apply but cannot be judged are named with what they need (check_not_judged.py).
exec /usr/bin/python3 tests/cli/check_not_judged.py "${NESTSCOPE:-build/nestscope}"
