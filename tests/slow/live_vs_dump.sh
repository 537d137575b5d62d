#!/bin/sh
# SLOW (one Bochs boot, 2-3 minutes): nestscope on a live kernel inside Bochs
# (/init's live mode: 'triage --json /proc/kcore' while VMs hold nested
# state) against nestscope on the RAM Bochs wrote right after, and both
# against the harness's own records (live_vs_dump.py).  Linux
# 6.1.0-56-amd64 (Debian 12), whose package the generator's own steps fetch
# into the cache when it is not there.  Run by `make test-slow` and by CI.
set -eu
NS=${NESTSCOPE:-build/nestscope}
KVER=6.1.0-56-amd64
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
start=$(date +%s)
# the whole boot and both readings, bounded (about 3 minutes on a loaded 2-core machine)
timeout 480 sh samples/gen/live.sh "$KVER" "$T/out" "$NS" > "$T/log" 2>&1 || { tail -30 "$T/log"; exit 1; }
/usr/bin/python3 tests/slow/live_vs_dump.py "$NS" "$T/out"
echo "     wall time $(($(date +%s) - start)) s"
