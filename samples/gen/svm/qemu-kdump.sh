#!/bin/sh
# An L0 dump written by QEMU itself: the nested-SVM generator's dump boot
# (two VMs held in L2, see generate.sh) with KASLR on, stopped through QMP
# and dumped with dump-guest-memory in kdump-zlib format (what `virsh dump
# --memory-only --format kdump-zlib` asks QEMU for), the VMCOREINFO coming
# from QEMU's vmcoreinfo device.  The bundled SVM dumps are made otherwise
# (pmemsave, raw2elf, makedumpfile: samples/README.md); this one is for
# tests/slow/qemu_kdump.sh, which reads it against the harness's records.
# Written to OUTDIR: qemu.kdump (as QEMU writes it) and dump/hold-*/ (the
# harness's records of each held VM).  The boot works in OUTDIR/work, apart
# from the generator's.
#
# usage: qemu-kdump.sh KERNEL OUTDIR
set -eu
: "${2:?usage: qemu-kdump.sh KERNEL OUTDIR}"
mkdir -p "$2"
OUTDIR=$(cd "$2" && pwd)
NS_SVM_WORK=$OUTDIR/work
set -- "$1" "$OUTDIR/samples"
. "$(dirname "$0")/common.sh"

MEM=192 KARGS=
hold_dump_boot
echo "== held ($(now) s): dump-guest-memory"
python3 "$HERE/qmpdump.py" --kdump "$WORK/qmp.sock" "$OUTDIR/qemu.kdump"
wait $qemu || true
untar "$WORK/serial-dump.txt" "$OUTDIR/dump"
echo "== done ($(now) s): $(du -h "$OUTDIR/qemu.kdump" | cut -f1) $OUTDIR/qemu.kdump"
