#!/bin/sh
# Blob headers judged as KVM_SET_NESTED_STATE judges them, each rule on a real blob changed in one header field (blob_rules.py).
exec /usr/bin/python3 tests/cli/blob_rules.py "${NESTSCOPE:-build/nestscope}"
