#!/bin/sh
# triage's text, JSON and HTML of one synthetic model (the unit test
# test_triage_model writes them): the JSON against its schema, the HTML in
# real headless Chromium, hostile names, 100 VMs (triage_model.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/triage_model.py "$BUILD/tests/test_triage_model"
