#!/bin/sh
# Builds a fast-booting kernel for Bochs from a Debian vmlinuz:
#   OUT/vmlinuz-pvh   the original real-mode setup code + the pvhboot loader
#   OUT/initrd-pvh    the uncompressed kernel's segments + the initramfs (pvhpack)
# usage: build.sh VMLINUZ INITRD OUTDIR
set -eu
VMLINUZ=$1 INITRD=$2 OUT=$3
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
B=$OUT/pvhboot-build
mkdir -p "$B"

# the loader: 32-bit, freestanding, linked at 0x100000
cc -m32 -march=i686 -ffreestanding -fno-pic -fno-stack-protector -fno-asynchronous-unwind-tables -nostdlib \
	-O2 -Wall -Wextra -c -o "$B/pvhboot.o" "$HERE/pvhboot.c"
cc -m32 -c -o "$B/start.o" "$HERE/start.S"
ld -m elf_i386 --no-warn-rwx-segments -T "$HERE/pvhboot.ld" -o "$B/pvhboot.elf" "$B/start.o" "$B/pvhboot.o"
objcopy -O binary "$B/pvhboot.elf" "$B/pvhboot.bin"
cc -O2 -Wall -Wextra -o "$B/pvhpack" "$HERE/pvhpack.c"

# vmlinux: the compressed payload of the bzImage, found by its magic: XZ up
# to Debian's 6.x kernels, zstd from 7.x (the decompressor ignores what
# follows the payload, the bzImage's trailer)
off=$(grep -abo "$(printf '\3757zXZ')" "$VMLINUZ" | head -1 | cut -d: -f1)
if [ -n "$off" ]; then
	tail -c +$((off + 1)) "$VMLINUZ" | xz -dc --single-stream > "$B/vmlinux" 2>/dev/null || true
else
	off=$(grep -abo "$(printf '\050\265\057\375')" "$VMLINUZ" | head -1 | cut -d: -f1)
	[ -n "$off" ] || { echo "build.sh: no XZ or zstd payload in $VMLINUZ" >&2; exit 1; }
	tail -c +$((off + 1)) "$VMLINUZ" | zstd -dc -q > "$B/vmlinux" 2>/dev/null || true
fi
[ "$(head -c 4 "$B/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || { echo "build.sh: payload is not ELF" >&2; exit 1; }
"$B/pvhpack" "$B/vmlinux" "$INITRD" "$OUT/initrd-pvh"

# the new bzImage: the original setup sectors, then the loader as the
# protected-mode part; syssize says how long it is, and the kernel is no
# longer relocatable (SYSLINUX must put the loader at 0x100000)
setup_sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$VMLINUZ" | tr -d ' ')
[ "$setup_sects" -eq 0 ] && setup_sects=4
head -c $(((setup_sects + 1) * 512)) "$VMLINUZ" > "$OUT/vmlinuz-pvh"
cat "$B/pvhboot.bin" >> "$OUT/vmlinuz-pvh"
size=$(stat -c %s "$B/pvhboot.bin")
/usr/bin/env python3 - "$OUT/vmlinuz-pvh" $(((size + 15) / 16)) <<'PY'
import struct, sys
path, syssize = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, 'rb').read())
b[0x1f4:0x1f8] = struct.pack('<I', syssize)   # syssize, in 16-byte units
b[0x234] = 0                                  # relocatable_kernel: no
open(path, 'wb').write(b)
PY
ls -la "$OUT/vmlinuz-pvh" "$OUT/initrd-pvh"
