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

rm -f "$WORK/qmp.sock" "$WORK/serial-dump.txt"
MEM=192 KARGS=
boot dump -qmp "unix:$WORK/qmp.sock,server=on,wait=off" &
qemu=$!
i=0
until grep -q '^=== NS DUMP READY' "$WORK/serial-dump.txt" 2> /dev/null; do
	sleep 1
	i=$((i + 1))
	kill -0 $qemu 2> /dev/null && [ $i -lt "$TIMEOUT" ] || { echo "qemu-kdump.sh: the dump boot never held" >&2; exit 1; }
done
echo "== held ($(now) s): dump-guest-memory"
python3 - "$WORK/qmp.sock" "$OUTDIR/qemu.kdump" << 'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def call(cmd, **args):
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
    f.flush()
    while True:  # events come between: the reply is the line with "return" or "error"
        msg = json.loads(f.readline())
        if "error" in msg:
            sys.exit(f"qemu-kdump.sh: {cmd}: {msg['error'].get('desc')}")
        if "return" in msg:
            return msg["return"]
json.loads(f.readline())  # the greeting
call("qmp_capabilities")
call("stop")
call("dump-guest-memory", paging=False, protocol="file:" + sys.argv[2], format="kdump-zlib")
call("quit")
PY
wait $qemu || true
untar "$WORK/serial-dump.txt" "$OUTDIR/dump"
echo "== done ($(now) s): $(du -h "$OUTDIR/qemu.kdump" | cut -f1) $OUTDIR/qemu.kdump"
