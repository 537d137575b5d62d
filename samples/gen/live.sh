#!/bin/sh
# nestscope on a live kernel, and on the dump of the same moment: one boot
# of /init's live mode in Bochs (samples/README.md, "nestscope on the live
# kernel").  In the guest, VMs hold nested state, nestscope reads the running
# kernel through /proc/kcore with the profile bundled for it, and then the
# machine stops at the magic breakpoint, where Bochs writes all RAM; here,
# that RAM becomes an ELF core (raw2elf) and the same nestscope reads it.
# usage: live.sh KERNEL OUTDIR [NESTSCOPE]
#   NESTSCOPE  the build to run, in the guest and here (default build/nestscope)
# OUTDIR gets:
#   live-triage.json, live-kvm.json  what nestscope printed in the guest
#       (triage --json /proc/kcore; kvm /proc/kcore -v -j), from the serial log
#   live-status.txt  "NAME RC" of each command in the guest
#   dump-triage.json, dump-kvm.json, dump-status.txt  the same on the dump
#   harness/  what /init sent: each VM's and vCPU's manifest, machine.txt
#   serial.txt  the serial log, each line with its wall-clock seconds
#   times.txt   "STEP SECONDS" of this script's steps
# The RAM image stays in the cache (run-live/mem.raw); the ELF core is removed.
set -eu
KERNEL=$1 OUTDIR=$2
HERE=$(cd "$(dirname "$0")" && pwd)
T0=$(date +%s)
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
NS=${3:-$HERE/../../build/nestscope}
NS=$(cd "$(dirname "$NS")" && pwd)/$(basename "$NS")
[ -x "$NS" ] || { echo "live.sh: no nestscope at $NS (make first)" >&2; exit 1; }
: > "$OUTDIR/times.txt"
mark() { # step name: seconds since the last mark
	now=$(date +%s)
	echo "$1 $((now - ${LAST:-$T0}))" >> "$OUTDIR/times.txt"
	LAST=$now
}

# the kernel package and the harness (the generator's own steps, cached)
. "$HERE/oneboot.sh"
mark prepare
case $KVER in
[7-9].*|[1-9][0-9].*) export NS_KARGS="noxsave" ;; # as generate.sh: Bochs's XSAVE size
esac
export NS_GUEST_NESTSCOPE="$NS"
one_boot live "" ""
mark bochs

# what the guest's nestscope printed, between its marker lines
for name in triage kvm; do
	sed -n "/^=== NS BEGIN LIVE $name\$/,/^=== NS END LIVE $name\$/p" "$WORK/run-live/serial.txt" | sed '1d;$d' |
		tr -d '\r' > "$OUTDIR/live-$name.json"
done
sed -n 's/^=== NS LIVE \([a-z]*\) rc=\([0-9]*\) .*/\1 \2/p' "$WORK/run-live/serial.txt" > "$OUTDIR/live-status.txt"
rm -rf "$OUTDIR/harness"
cp -r "$WORK/live-out" "$OUTDIR/harness"
cp "$WORK/run-live/serial-times.txt" "$OUTDIR/serial.txt"

# the RAM Bochs wrote -> an ELF core with the kernel's VMCOREINFO -> nestscope
cc -O2 -Wall -o "$WORK/raw2elf" "$HERE/raw2elf.c"
"$WORK/raw2elf" "$WORK/run-live/mem.raw" "$WORK/live-out/machine.txt" "$WORK/live-vmcore.elf"
mark elf
: > "$OUTDIR/dump-status.txt"
rc=0
"$NS" triage --json "$WORK/live-vmcore.elf" > "$OUTDIR/dump-triage.json" 2> "$OUTDIR/dump-triage.err" || rc=$?
echo "triage $rc" >> "$OUTDIR/dump-status.txt"
rc=0
"$NS" kvm "$WORK/live-vmcore.elf" -v -j > "$OUTDIR/dump-kvm.json" 2> "$OUTDIR/dump-kvm.err" || rc=$?
echo "kvm $rc" >> "$OUTDIR/dump-status.txt"
rm -f "$WORK/live-vmcore.elf"
mark dump
echo "total $(($(date +%s) - T0))" >> "$OUTDIR/times.txt"
echo "live.sh: $KVER, in $OUTDIR ($(($(date +%s) - T0)) s)"
