#!/bin/sh
# The SVM check cases become the harness's vmcb12 writes at the APM's offsets (svm_cases.py).
exec /usr/bin/python3 tests/cli/svm_cases.py
