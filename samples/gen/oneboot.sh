# Sourced by the one-boot jobs (probe-layout.sh, verdicts.sh), after they set
# HERE and KERNEL: puts the Debian kernel and the harness in the cache, and
# defines one_boot, which boots them once in Bochs.
SAMPLES=$(cd "$HERE/.." && pwd)
CACHE=${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}
KVER=$("$HERE/debian-kernel.sh" resolve "$KERNEL")
WORK=$CACHE/$KVER
"$HERE/debian-kernel.sh" fetch "$KVER" "$WORK" > /dev/null
"$SAMPLES/harness/build.sh" "$WORK/harness"
# as generate.sh: Bochs 2.7 reports a wrong XSAVE size in CPUID(0xd,1), and
# 7.x oopses in fpstate_reset unless XSAVE is off
case $KVER in
[7-9].*|[1-9][0-9].*) export NS_KARGS="noxsave" ;;
esac

# one_boot MODE MODULE CASES: an initramfs in init mode MODE (with the kernel
# module MODULE and the case file CASES, either may be ""), one Bochs boot,
# and the files the guest sent over serial unpacked in $WORK/MODE-out.
one_boot() {
	"$HERE/mkinitramfs.sh" "$WORK/image" "$KVER" "$WORK/harness/nsharness" "$WORK/initrd-$1.cpio" "$2" "$3"
	"$SAMPLES/pvhboot/build.sh" "$WORK/image/boot/vmlinuz-$KVER" "$WORK/initrd-$1.cpio" "$WORK/pvh-$1" > /dev/null
	"$HERE/run-bochs.sh" "$WORK/run-$1" "$WORK/pvh-$1/vmlinuz-pvh" "$WORK/pvh-$1/initrd-pvh" "$1" 900
	rm -rf "$WORK/$1-out"
	"$HERE/extract.sh" "$WORK/run-$1/serial.txt" "$WORK/$1-out"
}
