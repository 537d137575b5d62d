#!/bin/sh
# Builds the nested-SVM harness into OUTDIR: L1/L2 (l1svm.S) as a flat binary
# embedded in a static svmharness (it runs in an initramfs with nothing else).
# usage: build.sh OUTDIR
set -eu
OUT=$1
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
gcc -c -o "$OUT/l1svm.o" "$HERE/l1svm.S"
# linked at 0x10000, where svmharness loads it in L1's memory
ld -Ttext=0x10000 -e _start -o "$OUT/l1svm.elf" "$OUT/l1svm.o"
objcopy -O binary "$OUT/l1svm.elf" "$OUT/l1svm.bin"
(cd "$OUT" && xxd -i l1svm.bin) > "$OUT/l1svm_bin.h"
# where the harness moves L1 for the differential run (l1svm.S's `verdicts`)
entry=$(nm "$OUT/l1svm.elf" | awk '$3 == "verdicts" { print $1 }')
[ -n "$entry" ] || { echo "build.sh: l1svm.S has no verdicts symbol" >&2; exit 1; }
echo "#define L1_VERDICTS_ENTRY 0x$entry" >> "$OUT/l1svm_bin.h"
gcc -O2 -Wall -Wextra -static -I"$OUT" -o "$OUT/svmharness" "$HERE/svmharness.c"
