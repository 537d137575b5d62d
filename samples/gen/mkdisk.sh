#!/bin/sh
# Builds the boot disk: an unpartitioned FAT16 image with SYSLINUX, the
# kernel and the initramfs.  Geometry C/16/63: 130 cylinders (64 MiB), or as
# many more as the files need (run-bochs.sh gives Bochs the cylinders from
# the image's size).
# usage: mkdisk.sh IMG KERNEL INITRD "KERNEL COMMAND LINE"
set -eu
IMG=$1 KERNEL=$2 INITRD=$3 CMDLINE=$4
CYL_BYTES=$((16 * 63 * 512))
# the files and 512 KiB for the FATs, the root directory and SYSLINUX
cyl=$((($(stat -c %s "$KERNEL") + $(stat -c %s "$INITRD") + (512 << 10) + CYL_BYTES - 1) / CYL_BYTES))
[ $cyl -ge 130 ] || cyl=130
rm -f "$IMG"
dd if=/dev/zero of="$IMG" bs=512 count=$((cyl * 16 * 63)) status=none
mkfs.fat -F 16 -g 16/63 -h 0 -n NESTSCOPE "$IMG" > /dev/null
CFG=$(mktemp)
cat > "$CFG" <<CFG
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL vmlinuz
  INITRD initrd.gz
  APPEND $CMDLINE
CFG
mcopy -o -i "$IMG" "$KERNEL" ::/vmlinuz
mcopy -o -i "$IMG" "$INITRD" ::/initrd.gz
mcopy -o -i "$IMG" "$CFG" ::/syslinux.cfg
rm -f "$CFG"
syslinux --install "$IMG"
