#!/bin/sh
# triage's story of each vCPU on the bundled dumps and the many-VMs dump,
# against the samples' manifests and the harness's source (triage_story.py).
BUILD=${BUILD:-build}
exec /usr/bin/python3 tests/integration/triage_story.py "${NESTSCOPE:-$BUILD/nestscope}" samples
