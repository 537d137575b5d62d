#!/bin/sh
# Every bundled sample blob decodes to what its manifest recorded.
exec /usr/bin/python3 tests/cli/samples_manifest.py "${NESTSCOPE:-build/nestscope}" samples
