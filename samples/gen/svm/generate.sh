#!/bin/sh
# Makes the nested-SVM samples for one Debian kernel with real KVM: Debian's
# kernel runs as L0 in QEMU's TCG (which emulates AMD SVM with nested paging),
# loads kvm_amd with nested=1, and svmharness gives it an L1 that runs an L2
# with VMRUN.  Written to OUTROOT/svm/KVER/: the harness's steps (blobs,
# vmcb12, vmcb01, vmcb02, L2's registers beside each blob) per configuration,
# and an L0 dump (QEMU's pmemsave, made an ELF core and a kdump as the VMX dumps are) while two VMs
# hold in L2; and the differential verdicts (verdicts.sh: every case of
# tests/data/svm-check-cases.txt through real VMRUN).  See samples/README.md.
#
# usage: generate.sh KERNEL [OUTROOT]     KERNEL: as samples/gen/generate.sh
set -eu
: "${1:?usage: generate.sh KERNEL [OUTROOT]}"
. "$(dirname "$0")/common.sh"

echo "== boot: blobs ($(now) s)"
MEM=1024 KARGS=
boot blobs
grep '^=== NS' "$WORK/serial-blobs.txt" | grep -v 'TAR' || true
untar "$WORK/serial-blobs.txt" "$OUT/blobs"

echo "== boot: dump ($(now) s)"
rm -f "$WORK/mem.raw"
# the dump is the machine's memory: no more than the boot needs; no KASLR, as raw2elf maps the RAM at the
# direct map's base (as for the VMX samples)
MEM=192 KARGS=nokaslr
hold_dump_boot
python3 "$HERE/qmpdump.py" "$WORK/qmp.sock" "$WORK/mem.raw" $((MEM << 20))
wait $qemu || true
grep '^=== NS' "$WORK/serial-dump.txt" | grep -v 'TAR' || true
untar "$WORK/serial-dump.txt" "$OUT/dump"
cc -O2 -Wall -o "$WORK/raw2elf" "$GEN/raw2elf.c"
"$WORK/raw2elf" "$WORK/mem.raw" "$OUT/dump/machine.txt" "$WORK/vmcore.elf"
sh "$GEN/compress-dump.sh" "$KVER" "$WORK/vmcore.elf" "$OUT/dump/vmcore.kdump" "$WORK"
rm -f "$WORK/mem.raw" "$WORK/vmcore.elf"
python3 "$HERE/manifest.py" "$OUT" "$KVER" "$CPU"
verdicts_boot "$OUT/verdicts.json"
echo "== done ($(now) s): $(du -sh "$OUT" | cut -f1) in $OUT"
