#!/bin/sh
# SLOW (one QEMU TCG boot per kernel, under a minute each): nestscope on
# kdumps QEMU's dump-guest-memory wrote of an AMD L0 holding two VMs in L2
# (samples/gen/svm/qemu-kdump.sh), against the SVM harness's records
# (qemu_kdump.py).  Debian 12's 6.1.0-56 and 7.2.13, whose packages the
# generator's own steps fetch into the cache when they are not there.  Run
# by `make test-slow` and by CI.
set -eu
NS=${NESTSCOPE:-build/nestscope}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
for kver in 6.1.0-56-amd64 7.2.13+deb14-amd64; do
	start=$(date +%s)
	timeout 480 sh samples/gen/svm/qemu-kdump.sh "$kver" "$T/$kver" > "$T/log" 2>&1 || { tail -30 "$T/log"; exit 1; }
	/usr/bin/python3 tests/slow/qemu_kdump.py "$NS" "$T/$kver" "$kver"
	echo "     $kver: wall time $(($(date +%s) - start)) s"
	rm -rf "${T:?}/$kver"
done
