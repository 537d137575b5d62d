#!/bin/sh
# Hostile dump inputs (tests/cli/hostile_dumps.py): cut, flipped, foreign,
# not regular files, a 10 GiB sparse image and a gzip bomb.  No signal, one
# line and exit status 1 where the input is bad, bounded time and memory.
# The sanitizer build flips every 8th header byte only (each run costs more
# there); the plain build flips them all.
set -u
NS=${NESTSCOPE:-build/nestscope}
if grep -q __asan_init "${NESTSCOPE_REAL:-$NS}" 2>/dev/null; then
	exec /usr/bin/python3 tests/cli/hostile_dumps.py "$NS" --sample 8
fi
exec /usr/bin/python3 tests/cli/hostile_dumps.py "$NS"
