#!/bin/sh
# The differential run: every per-rule check case (tests/data/check-cases.txt)
# through a real VMLAUNCH by L1, under real KVM inside Bochs.  Writes the
# harness's manifest with one outcome per case.  One Bochs boot (~1 minute).
# usage: verdicts.sh KERNEL OUT.json
set -eu
KERNEL=$1 OUTFILE=$2
HERE=$(cd "$(dirname "$0")" && pwd)
SAMPLES=$(cd "$HERE/.." && pwd)
CACHE=${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}
KVER=$("$HERE/debian-kernel.sh" resolve "$KERNEL")
WORK=$CACHE/$KVER
"$HERE/debian-kernel.sh" fetch "$KVER" "$WORK" > /dev/null
"$SAMPLES/harness/build.sh" "$WORK/harness"
/usr/bin/python3 "$HERE/cases.py" "$SAMPLES/../tests/data/check-cases.txt" "$SAMPLES/../decoders/fields.def" "$WORK/cases.txt"
"$HERE/mkinitramfs.sh" "$WORK/image" "$KVER" "$WORK/harness/nsharness" "$WORK/initrd-verdicts.cpio" "" "$WORK/cases.txt"
"$SAMPLES/pvhboot/build.sh" "$WORK/image/boot/vmlinuz-$KVER" "$WORK/initrd-verdicts.cpio" "$WORK/pvh-verdicts" > /dev/null
"$HERE/run-bochs.sh" "$WORK/run-verdicts" "$WORK/pvh-verdicts/vmlinuz-pvh" "$WORK/pvh-verdicts/initrd-pvh" verdicts 900
rm -rf "$WORK/verdicts-out"
"$HERE/extract.sh" "$WORK/run-verdicts/serial.txt" "$WORK/verdicts-out"
cp "$WORK/verdicts-out/verdicts/manifest-harness.json" "$OUTFILE"
