#!/bin/sh
# Builds the harness into OUTDIR: the L1/L2 code as a flat binary embedded in
# a static nsharness (it runs in an initramfs with nothing else).
# usage: build.sh OUTDIR
set -eu
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
# l1.S and nsharness.c name VMCS fields and bits from nestscope's tables (decoders/sdm/*.def)
DECODERS=$HERE/../../decoders
gcc -c -I"$DECODERS" -o "$OUT/l1.o" "$HERE/l1.S"
# linked at 0x10000, where nsharness loads it in L1's memory
ld -Ttext=0x10000 -e _start -o "$OUT/l1.elf" "$OUT/l1.o"
objcopy -O binary "$OUT/l1.elf" "$OUT/l1.bin"
(
	cd "$OUT"
	xxd -i l1.bin
	nm l1.elf | awk '$3 == "l1_exit_handler" { print "#define L1_EXIT_HANDLER 0x" $1 "ULL" }
			 $3 == "l2_start" { print "#define L2_START 0x" $1 "ULL" }
			 $3 == "l1_novmx" { print "#define L1_NOVMX 0x" $1 "ULL" }'
) > "$OUT/l1_bin.h"
grep -q L1_EXIT_HANDLER "$OUT/l1_bin.h" && grep -q L2_START "$OUT/l1_bin.h" && grep -q L1_NOVMX "$OUT/l1_bin.h"
gcc -O2 -Wall -Wextra -static -pthread -I"$OUT" -I"$DECODERS" -o "$OUT/nsharness" "$HERE/nsharness.c"
