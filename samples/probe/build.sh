#!/bin/sh
# Builds the layout-discovery probe module for one Debian kernel.
# usage: build.sh KVER WORKDIR    (writes WORKDIR/probe/nestscope_probe.ko)
set -eu
KVER=$1 WORK=$2
HERE=$(cd "$(dirname "$0")" && pwd)
H=$("$HERE/../gen/debian-kernel.sh" fetch-headers "$KVER" "$WORK" | sed -n 's/^headers: //p')
B=$WORK/probe
rm -rf "$B"
mkdir -p "$B"
# the probe includes the field catalog itself: one table for everything
cp "$HERE/nestscope_probe.c" "$HERE/../../decoders/sdm/fields.def" "$B/"
echo 'obj-m := nestscope_probe.o' > "$B/Kbuild"
make -s -C "$H" M="$B" modules 2>&1 | grep -v 'Skipping BTF generation' || true
[ -e "$B/nestscope_probe.ko" ] || { echo "probe/build.sh: the module did not build" >&2; exit 1; }
strip --strip-debug "$B/nestscope_probe.ko"
