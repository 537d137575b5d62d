#!/bin/sh
# scan --jobs N finds what one thread finds (tests/cli/scan_jobs.py): a
# 40 GiB sparse image of 5000 written vmcs12 pages, and the bundled kdumps.
set -u
exec /usr/bin/python3 tests/cli/scan_jobs.py "${NESTSCOPE:-build/nestscope}"
