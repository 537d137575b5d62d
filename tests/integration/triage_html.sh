#!/bin/sh
# nestscope triage --html in real headless Chromium (Debian's chromium):
# the DOM against the samples' manifests, the filter, a screenshot
# (triage_html.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/triage_html.py "${NESTSCOPE:-$BUILD/nestscope}" samples
