#!/bin/sh
# One run of the sample machine in Bochs, headless.
# usage: run-bochs.sh RUNDIR KERNEL INITRD MODE [TIMEOUT]
#   NS_KARGS in the environment: more kernel command-line arguments
#   MODE blobs | dump | many | live | ....  In the dump and many modes the
#   harness stops the machine with Bochs's magic breakpoint while L2 is
#   active (in the live mode /init does, after nestscope read the live
#   kernel), and the debugger writes all RAM (through the kernel's direct
#   map) to RUNDIR/mem.raw.
# Debian's bochs has its debugger built in: it waits at a prompt, so the
# commands ('c' = continue) come on stdin.
set -eu
DIR=$1 KERNEL=$2 INITRD=$3 MODE=$4 TIMEOUT=${5:-1500}
HERE=$(cd "$(dirname "$0")" && pwd)
RAM_BYTES=536805376   # 512 MiB less the top 64 KiB the BIOS keeps
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
rm -f "$DIR"/serial.txt "$DIR"/bochs.log "$DIR"/*.lock "$DIR"/mem.raw
CMDLINE="console=ttyS0,115200 nokaslr mitigations=off tsc=reliable no_timer_check panic=-1 rdinit=/init nsmode=$MODE${NS_KARGS:+ $NS_KARGS}"
"$HERE/mkdisk.sh" "$DIR/disk.img" "$KERNEL" "$INITRD" "$CMDLINE"
sed "s|@DIR@|$DIR|g; s|@CYL@|$(($(stat -c %s "$DIR/disk.img") / (16 * 63 * 512)))|" "$HERE/bochsrc.in" > "$DIR/bochsrc"
case $MODE in
dump|many|live)
	# nokaslr: the direct map starts at 0xffff888000000000 (page_offset_base)
	printf 'c\nwritemem "%s/mem.raw" 0xffff888000000000 %s\nc\n' "$DIR" $RAM_BYTES > "$DIR/debugger.in" ;;
*)
	printf 'c\n' > "$DIR/debugger.in" ;;
esac
# The serial line goes to a listener that timestamps each line (serial.txt
# keeps the plain text): the times of every boot step come from there.
listen() {
	rm -f "$DIR/serial.port" "$DIR/serial-times.txt"
	/usr/bin/python3 "$HERE/serialstamp.py" "$DIR/serial.port" "$DIR/serial-times.txt" &
	listener=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$DIR/serial.port" ] && break; sleep 0.2; done
	sed -i "s|^com1:.*|com1: enabled=1, mode=socket-client, dev=127.0.0.1:$(cat "$DIR/serial.port")|" "$DIR/bochsrc"
}
start=$(date +%s)
# The rfb display (the only headless one Debian builds) listens on a port in
# 5900..5949; when another Bochs is just letting go of one, try again.
for attempt in 1 2 3; do
	listen
	rc=0
	timeout "$TIMEOUT" bochs -q -f "$DIR/bochsrc" < "$DIR/debugger.in" > "$DIR/bochs.out" 2>&1 || rc=$?
	grep -q "RFB could not bind" "$DIR/bochs.out" || break
	echo "run-bochs.sh: no free rfb port, retrying" >&2
	kill $listener 2> /dev/null || true
	sleep 3
done
wait $listener || true
cut -c10- "$DIR/serial-times.txt" > "$DIR/serial.txt"
echo "bochs $MODE: status $rc, $(($(date +%s) - start)) s" | tee "$DIR/run.result"
grep -q "=== NS END TAR" "$DIR/serial.txt"
