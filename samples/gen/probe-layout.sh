#!/bin/sh
# Runs the layout-discovery probe inside Bochs with a real Debian kernel and
# writes the layout it found.  Slow: one Bochs boot (about a minute).
# usage: probe-layout.sh KERNEL OUT.layout
set -eu
KERNEL=$1 OUTFILE=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/oneboot.sh"
"$SAMPLES/probe/build.sh" "$KVER" "$WORK"
one_boot probe "$WORK/probe/nestscope_probe.ko" ""
cp "$WORK/probe-out/probe.layout" "$OUTFILE"
grep -a 'NS PROBE' "$WORK/run-probe/serial.txt" || true
