#!/bin/sh
# Builds the sample machine's initramfs: busybox, /init, KVM's modules from
# the extracted kernel package, and the harness.  The cpio is not compressed
# and the modules lose their signatures: in Bochs, gunzip and the signature
# checks cost seconds each, and this machine needs neither.
# usage: mkinitramfs.sh KERNEL_ROOT KVER HARNESS OUT.cpio [PROBE.ko] [CASES.txt]
set -eu
ROOT=$1 KVER=$2 HARNESS=$3 OUT=$4 PROBE=${5:-} CASES=${6:-}
HERE=$(cd "$(dirname "$0")" && pwd)
K=$ROOT/lib/modules/$KVER/kernel
[ -d "$K" ] || K=$ROOT/usr/lib/modules/$KVER/kernel # merged /usr (7.x packages)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/lib" "$T/proc" "$T/sys" "$T/dev" "$T/tmp"
cp /bin/busybox "$T/bin/"
ln -s busybox "$T/bin/sh"
cp "$HERE/init" "$T/init"
chmod +x "$T/init"
cp "$HARNESS" "$T/bin/nsharness"
for m in virt/lib/irqbypass arch/x86/kvm/kvm arch/x86/kvm/kvm-intel; do
	# Debian 12 ships plain .ko files; newer kernels may compress them
	if [ -f "$K/$m.ko" ]; then cp "$K/$m.ko" "$T/lib/"
	elif [ -f "$K/$m.ko.xz" ]; then xz -dc "$K/$m.ko.xz" > "$T/lib/$(basename "$m").ko"
	else echo "mkinitramfs: $m.ko missing from $K" >&2; exit 1
	fi
done
[ -n "$PROBE" ] && cp "$PROBE" "$T/lib/nestscope_probe.ko"
[ -n "$CASES" ] && cp "$CASES" "$T/lib/cases.txt"
# rewriting the ELF drops the appended signature (and nothing the module needs)
strip --strip-debug "$T"/lib/*.ko
(cd "$T" && find . | cpio -o -H newc --quiet) > "$OUT"
