#!/bin/sh
# Runs the layout-discovery probe inside Bochs with a real Debian kernel and
# writes the layout it found.  Slow: one Bochs boot (about a minute).
# usage: probe-layout.sh KERNEL OUT.layout
set -eu
KERNEL=$1 OUTFILE=$2
HERE=$(cd "$(dirname "$0")" && pwd)
SAMPLES=$(cd "$HERE/.." && pwd)
CACHE=${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}
KVER=$("$HERE/debian-kernel.sh" resolve "$KERNEL")
WORK=$CACHE/$KVER
"$HERE/debian-kernel.sh" fetch "$KVER" "$WORK" > /dev/null
"$SAMPLES/harness/build.sh" "$WORK/harness"
"$SAMPLES/probe/build.sh" "$KVER" "$WORK"
"$HERE/mkinitramfs.sh" "$WORK/image" "$KVER" "$WORK/harness/nsharness" "$WORK/initrd-probe.cpio" \
	"$WORK/probe/nestscope_probe.ko"
"$SAMPLES/pvhboot/build.sh" "$WORK/image/boot/vmlinuz-$KVER" "$WORK/initrd-probe.cpio" "$WORK/pvh-probe" > /dev/null
"$HERE/run-bochs.sh" "$WORK/run-probe" "$WORK/pvh-probe/vmlinuz-pvh" "$WORK/pvh-probe/initrd-pvh" probe 900
rm -rf "$WORK/probe-out"
"$HERE/extract.sh" "$WORK/run-probe/serial.txt" "$WORK/probe-out"
cp "$WORK/probe-out/probe.layout" "$OUTFILE"
grep -a 'NS PROBE' "$WORK/run-probe/serial.txt" || true
