#!/bin/sh
# nestscope diff -f vmcb on every in-L2 step of the nested-SVM samples (and every step back in L1 after a #VMEXIT), and on vmcb02s KVM would never build.
exec /usr/bin/python3 tests/cli/vmcb_diff.py "${NESTSCOPE:-build/nestscope}" samples
