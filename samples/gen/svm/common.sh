# The steps every nested-SVM boot shares, sourced by generate.sh and
# verdicts.sh (after `set -eu`, with $1 the kernel and $2 the optional
# OUTROOT): the kernel and debuginfo packages, the kprobe's arguments, the
# harness, the initramfs (with the differential cases, samples/gen/svm/cases.py),
# and boot() / untar().
KERNEL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
GEN=$(cd "$HERE/.." && pwd)
SAMPLES=$(cd "$GEN/.." && pwd)
OUTROOT=${2:-$SAMPLES}
CACHE=${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}
# TCG's SVM: it accepts svm, npt and vgif, and rejects nrip-save, vmcb-clean, decode assists and the rest
CPU=${NS_SVM_CPU:-EPYC,+svm,+npt,+vgif}
TIMEOUT=${NS_SVM_TIMEOUT:-600}
T0=$(date +%s)
now() { echo $(($(date +%s) - T0)); }

KVER=$("$GEN/debian-kernel.sh" resolve "$KERNEL")
# (NS_SVM_WORK: a run of its own, e.g. a test beside a generator run)
WORK=${NS_SVM_WORK:-$CACHE/$KVER/svm}
OUT=$OUTROOT/svm/$KVER
mkdir -p "$WORK" "$OUT"
echo "== kernel $KVER; work in $WORK; samples to $OUT"
"$GEN/debian-kernel.sh" fetch "$KVER" "$CACHE/$KVER"
"$GEN/debian-kernel.sh" fetch-dbg "$KVER" "$CACHE/$KVER"
IMAGE=$CACHE/$KVER/image
K=$IMAGE/lib/modules/$KVER/kernel
[ -d "$K" ] || K=$IMAGE/usr/lib/modules/$KVER/kernel
KO_DBG=$CACHE/$KVER/dbg/usr/lib/debug/lib/modules/$KVER/kernel/arch/x86/kvm/kvm-amd.ko

# the kprobe's fetch arguments, from kvm-amd.ko's debuginfo: svm_vcpu_run's first argument is the
# struct kvm_vcpu that begins struct vcpu_svm; its VMCBs are struct kvm_vmcb_info (ptr, pa)
off() { gdb -q -batch -ex "print/x (unsigned long)&(($1 *)0)->$2" "$KO_DBG" 2>/dev/null | sed -n 's/^\$1 = //p'; }
VCPU=$(off 'struct vcpu_svm' vcpu) CUR=$(off 'struct vcpu_svm' current_vmcb) V01=$(off 'struct vcpu_svm' vmcb01)
V02=$(off 'struct vcpu_svm' nested.vmcb02) PTR=$(off 'struct kvm_vmcb_info' ptr) PA=$(off 'struct kvm_vmcb_info' pa)
for v in "$VCPU" "$CUR" "$V01" "$V02" "$PTR" "$PA"; do
	[ -n "$v" ] || { echo "generate.sh: kvm-amd.ko's debuginfo lacks a member the kprobe needs" >&2; exit 1; }
done
[ "$VCPU" = 0x0 ] || { echo "generate.sh: struct vcpu_svm does not begin with its kvm_vcpu" >&2; exit 1; }
probe="p:nssvm kvm_amd:svm_vcpu_run svm=%di:x64"
probe="$probe v01=+$((V01 + PTR))(%di):x64 v01pa=+$((V01 + PA))(%di):x64"
probe="$probe v02=+$((V02 + PTR))(%di):x64 v02pa=+$((V02 + PA))(%di):x64"
probe="$probe cur=+$PTR(+$CUR(%di)):x64 curpa=+$PA(+$CUR(%di)):x64"
echo "$probe" > "$WORK/svm-probe.txt"
echo "== kprobe ($(now) s): $probe"

sh "$SAMPLES/svm-harness/build.sh" "$WORK/harness"
R=$WORK/root
rm -rf "$R"
mkdir -p "$R/bin" "$R/lib" "$R/proc" "$R/sys" "$R/dev" "$R/tmp"
cp /bin/busybox "$R/bin/"
ln -s busybox "$R/bin/sh"
cp "$HERE/init" "$R/init"
chmod +x "$R/init"
cp "$WORK/harness/svmharness" "$R/bin/"
cp "$WORK/svm-probe.txt" "$R/lib/"
# the differential run's cases (nsmode=verdicts), as the harness reads them
python3 "$HERE/cases.py" "$SAMPLES/../tests/data/svm-check-cases.txt" \
	"$SAMPLES/../decoders/include/nestscope/vmcb_fields.def" "$R/lib/cases.txt"
# qemu_fw_cfg hands the kernel's VMCOREINFO to QEMU's vmcoreinfo device: the dump then names its kernel and KASLR offset
for m in drivers/firmware/qemu_fw_cfg virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp arch/x86/kvm/kvm-amd; do
	if [ -f "$K/$m.ko" ]; then cp "$K/$m.ko" "$R/lib/"
	elif [ -f "$K/$m.ko.xz" ]; then xz -dc "$K/$m.ko.xz" > "$R/lib/$(basename "$m").ko"
	else echo "generate.sh: $m.ko missing from $K" >&2; exit 1
	fi
done
(cd "$R" && find . | cpio -o -H newc 2> /dev/null) > "$WORK/initrd.cpio"

boot() { # mode, then QEMU's extra arguments; $MEM: the machine's MiB
	mode=$1
	shift
	timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -machine q35 -cpu "$CPU" -smp 1 -m "$MEM" \
		-kernel "$IMAGE/boot/vmlinuz-$KVER" -initrd "$WORK/initrd.cpio" \
		-append "console=ttyS0 quiet loglevel=3 panic=-1 nsmode=$mode $KARGS" \
		-display none -monitor none -serial "file:$WORK/serial-$mode.txt" -no-reboot -nodefaults \
		-device vmcoreinfo "$@"
}
hold_dump_boot() { # the dump boot in the background, with QMP at $WORK/qmp.sock, back once /init says its VMs
	# hold in L2 ($qemu: QEMU's pid); $MEM and $KARGS as for boot.  An earlier run's markers are not this one's.
	rm -f "$WORK/qmp.sock" "$WORK/serial-dump.txt"
	boot dump -qmp "unix:$WORK/qmp.sock,server=on,wait=off" &
	qemu=$!
	i=0
	until grep -q '^=== NS DUMP READY' "$WORK/serial-dump.txt" 2> /dev/null; do
		sleep 1
		i=$((i + 1))
		kill -0 $qemu 2> /dev/null && [ $i -lt "$TIMEOUT" ] || { echo "$(basename "$0"): the dump boot never held" >&2; exit 1; }
	done
}
untar() { # serial, directory: the results of this run only
	rm -rf "$2"
	sh "$GEN/extract.sh" "$1" "$2"
}


# The differential run: one boot in nsmode=verdicts, its results as JSON.
verdicts_boot() { # OUT.json
	echo "== boot: verdicts ($(now) s)"
	vt0=$(date +%s)
	MEM=256 KARGS=
	boot verdicts
	grep '^=== NS' "$WORK/serial-verdicts.txt" | grep -v 'TAR' || true
	untar "$WORK/serial-verdicts.txt" "$WORK/verdicts-out"
	python3 "$HERE/verdicts.py" "$SAMPLES/../tests/data/svm-check-cases.txt" "$WORK/verdicts-out" "$KVER" "$CPU" \
		$(($(date +%s) - vt0)) "$1"
}
