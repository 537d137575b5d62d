#!/bin/sh
# Makes the real samples for one Debian kernel: KVM_GET_NESTED_STATE blobs at
# every step of two L1 configurations, L1 memory images, and a kdump-compressed
# dump of the L0 kernel taken while L2 is active, all from real KVM code
# running inside Bochs's VMX emulation.  See samples/README.md.
#
# usage: generate.sh [--many] KERNEL [OUTROOT]
#   KERNEL   'current' (what Debian 12's linux-image-amd64 depends on now) or a
#            Debian kernel ABI name such as 6.1.0-56-amd64 or 5.10.0-46-amd64.
#            Packages from another Debian release come through a temporary apt
#            source list; the machine's own apt sources are never changed.
#   OUTROOT  where samples/<kernel>/ is written (default: this samples folder)
#   --many   instead, one dump of many VMs in every state, and its manifest,
#            in OUTROOT/many-vms/<kernel>/ (samples/README.md, "Many VMs")
# Downloads are cached in $NESTSCOPE_CACHE (default ~/.cache/nestscope).
# BUILD names the build directory of the nestscope that checks the dump.
set -eu
MANY=
if [ "${1:-}" = --many ]; then MANY=1; shift; fi
KERNEL=${1:?usage: generate.sh [--many] KERNEL [OUTROOT]}
HERE=$(cd "$(dirname "$0")" && pwd)
SAMPLES=$(cd "$HERE/.." && pwd)
OUTROOT=${2:-$SAMPLES}
CACHE=${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}
BUILD=${BUILD:-build}
T0=$(date +%s)
TIMES=""

step() { # name: records how long the previous step took
	now=$(date +%s)
	[ -n "${STEP:-}" ] && TIMES="$TIMES$STEP $((now - STEP_START))
"
	STEP=$1
	STEP_START=$now
	echo "== $1"
}

step resolve
KVER=$("$HERE/debian-kernel.sh" resolve "$KERNEL")
WORK=$CACHE/$KVER
OUT=$OUTROOT/${MANY:+many-vms/}$KVER
mkdir -p "$WORK" "$OUT"
echo "kernel $KVER; work in $WORK; samples to $OUT"

step download
"$HERE/debian-kernel.sh" fetch "$KVER" "$WORK"

step build
"$SAMPLES/harness/build.sh" "$WORK/harness"
"$HERE/mkinitramfs.sh" "$WORK/image" "$KVER" "$WORK/harness/nsharness" "$WORK/initrd.cpio"
"$SAMPLES/pvhboot/build.sh" "$WORK/image/boot/vmlinuz-$KVER" "$WORK/initrd.cpio" "$WORK/pvh" > /dev/null
cc -O2 -Wall -o "$WORK/raw2elf" "$HERE/raw2elf.c"

# Bochs 2.7 reports a wrong XSAVE size in CPUID(0xd,1): 6.x kernels warn and
# go on, 7.x oopses in fpstate_reset unless XSAVE is off
case $KVER in
[7-9].*|[1-9][0-9].*) export NS_KARGS="noxsave" ;;
esac

# bochs MODE...: one Bochs run per mode, at once (one per core), in $WORK/run-MODE
bochs() {
	pids=""
	for mode in "$@"; do
		[ -z "$pids" ] || sleep 5 # let the first Bochs take its rfb port before the next looks for one
		"$HERE/run-bochs.sh" "$WORK/run-$mode" "$WORK/pvh/vmlinuz-pvh" "$WORK/pvh/initrd-pvh" $mode > "$WORK/run-$mode.log" 2>&1 &
		pids="$pids $!"
	done
	rc=0
	for p in $pids; do wait $p || rc=1; done
	for mode in "$@"; do cat "$WORK/run-$mode.log"; done
	[ $rc -eq 0 ] || { echo "generate.sh: a Bochs run failed; see $WORK/run-*/serial.txt" >&2; exit 1; }
}

# kdump RUN MACHINE OUT: the RAM image run RUN wrote -> an ELF core with the
# kernel's VMCOREINFO (MACHINE: what /init recorded) in $WORK/vmcore.elf -> OUT
kdump() {
	"$WORK/raw2elf" "$WORK/$1/mem.raw" "$2" "$WORK/vmcore.elf"
	sh "$HERE/compress-dump.sh" "$KVER" "$WORK/vmcore.elf" "$3" "$WORK"
}

# check KDUMP: a dump that lost a page the walker needs is not a sample: the
# walk of the compressed dump must read exactly what the walk of all of RAM
# ($WORK/vmcore.elf, removed after) reads
check() {
	"$NS" triage --json --profile "$TOP/profiles/$KVER.json" "$WORK/vmcore.elf" > "$WORK/check-elf.json" || true
	"$NS" triage --json --profile "$TOP/profiles/$KVER.json" "$1" > "$WORK/check-kdump.json" || true
	/usr/bin/python3 - "$WORK/check-elf.json" "$WORK/check-kdump.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    for k in ("dump", "format"):
        d.pop(k, None)
    # the SDM rules that read L1's memory (the VMM's user pages, which the kdump filters out by design) are
    # judged on all of RAM and not judged on the kdump: the two counts are compared as one
    for vm in d["vms"]:
        for vcpu in vm.get("vcpus", []):
            counts = vcpu.get("checks", {}).get("check_counts")
            if counts:
                counts["pass"] += counts.pop("not_judged", 0)
if a != b or not a["vms"]:
    sys.exit("generate.sh: the compressed dump does not walk as all of RAM does: a page the walker needs was dropped")
print(f"check: the kdump walks as all of RAM does ({len(a['vms'])} VMs)")
PY
	rm -f "$WORK/vmcore.elf"
}

finish() { # the timings, then the manifest: manifest.py ARGS...
	step done
	printf '%s' "$TIMES" > "$WORK/timings.txt"
	echo "total $(($(date +%s) - T0))" >> "$WORK/timings.txt"
	/usr/bin/python3 "$HERE/manifest.py" "$@"
	echo "samples for $KVER in $OUT ($(($(date +%s) - T0)) s)"
}

TOP=$(cd "$SAMPLES/.." && pwd)
NS=$TOP/$BUILD/nestscope

if [ -n "$MANY" ]; then
	step bochs
	bochs many
	step collect
	rm -rf "$OUT/dump" "$WORK/many-out"
	mkdir -p "$OUT/dump"
	! grep "=== NS VM .* FAILED" "$WORK/run-many/serial.txt" || { echo "generate.sh: a VM failed; see $WORK/run-many/serial.txt" >&2; exit 1; }
	"$HERE/extract.sh" "$WORK/run-many/serial.txt" "$WORK/many-out"
	cp "$WORK/many-out/machine.txt" "$OUT/dump/machine.txt"
	cp "$WORK/run-many/serial-times.txt" "$OUT/serial-many.txt"
	step dump
	kdump run-many "$WORK/many-out/machine.txt" "$OUT/dump/vmcore.kdump"
	# the bundled profile of this kernel ('make samples' writes it)
	step check
	make -C "$TOP" -s BUILD="$BUILD" "$BUILD/nestscope"
	[ -s "$TOP/profiles/$KVER.json" ] || { echo "generate.sh: no profiles/$KVER.json: make samples KERNEL=$KVER first" >&2; exit 1; }
	check "$OUT/dump/vmcore.kdump"
	step manifest
	finish --many "$OUT" "$KVER" "$WORK" "$WORK/many-out"
	exit 0
fi

# Both runs at once: one Bochs per core.
step bochs
bochs blobs dump

step collect
rm -rf "$OUT/basic" "$OUT/rich" "$OUT/dump" "$WORK/dump-out"
"$HERE/extract.sh" "$WORK/run-blobs/serial.txt" "$OUT"
rm -f "$OUT/machine.txt"
mkdir -p "$OUT/dump"
"$HERE/extract.sh" "$WORK/run-dump/serial.txt" "$WORK/dump-out"
cp "$WORK/dump-out/hold/manifest-harness.json" "$OUT/dump/manifest-vm-hold.json"
cp "$WORK/dump-out/hold-io/manifest-harness.json" "$OUT/dump/manifest-vm-hold-io.json"
cp "$WORK/dump-out/rich/manifest-harness.json" "$OUT/dump/manifest-vm-nosync.json"
cp "$WORK/dump-out/machine.txt" "$OUT/dump/machine.txt"
cp "$WORK/run-blobs/serial-times.txt" "$OUT/serial-blobs.txt"
cp "$WORK/run-dump/serial-times.txt" "$OUT/serial-dump.txt"

step dump
# RAM image -> ELF core with the kernel's VMCOREINFO -> kdump-compressed
kdump run-dump "$WORK/dump-out/machine.txt" "$OUT/dump/vmcore.kdump"

# the bundled profile, from the kernel's debuginfo
step profile
make -C "$TOP" -s BUILD="$BUILD" "$BUILD/nestscope"
DBG=$("$HERE/debian-kernel.sh" fetch-dbg "$KVER" "$WORK" | sed -n 's/^vmlinux: //p')
"$NS" profile --debuginfo "${DBG%/boot/*}" --release "$KVER" -o "$TOP/profiles/$KVER.json"

step check
check "$OUT/dump/vmcore.kdump"

# the differential corpus: each SDM check case through a real VMLAUNCH by L1
step verdicts
sh "$HERE/verdicts.sh" "$KVER" "$OUT/verdicts.json" > "$WORK/verdicts.log" 2>&1 ||
	{ tail "$WORK/verdicts.log" >&2; exit 1; }

step manifest
finish "$OUT" "$KVER" "$WORK"
