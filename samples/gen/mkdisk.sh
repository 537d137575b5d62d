#!/bin/sh
# Builds the boot disk: an unpartitioned FAT16 image with SYSLINUX, the
# kernel and the initramfs.  64 MiB, geometry 130/16/63 (bochsrc.in says the same).
# usage: mkdisk.sh IMG KERNEL INITRD "KERNEL COMMAND LINE"
set -eu
IMG=$1 KERNEL=$2 INITRD=$3 CMDLINE=$4
rm -f "$IMG"
dd if=/dev/zero of="$IMG" bs=512 count=$((130 * 16 * 63)) status=none
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
