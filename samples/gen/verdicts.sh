#!/bin/sh
# The differential run: every per-rule check case (tests/data/check-cases.txt)
# through a real VMLAUNCH by L1, under real KVM inside Bochs.  Writes the
# harness's manifest with one outcome per case.  One Bochs boot (~1 minute).
# usage: verdicts.sh KERNEL OUT.json
set -eu
KERNEL=$1 OUTFILE=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/oneboot.sh"
/usr/bin/python3 "$HERE/cases.py" "$SAMPLES/../tests/data/check-cases.txt" "$SAMPLES/../decoders/sdm/fields.def" "$WORK/cases.txt"
one_boot verdicts "" "$WORK/cases.txt"
cp "$WORK/verdicts-out/verdicts/manifest-harness.json" "$OUTFILE"
