#!/bin/sh
# Builds the sample machine's initramfs: busybox, /init, KVM's modules from
# the extracted kernel package, and the harness.  The cpio is not compressed
# and the modules lose their signatures: in Bochs, gunzip and the signature
# checks cost seconds each, and this machine needs neither.
# usage: mkinitramfs.sh KERNEL_ROOT KVER HARNESS OUT.cpio [PROBE.ko] [CASES.txt]
#   NS_GUEST_NESTSCOPE in the environment: a nestscope binary for /init's
#   live mode, put in /usr/bin as it is built (dynamically linked) with the
#   libraries ldd lists and the dynamic loader at their own paths (libvirt
#   replaced by a stand-in, below), the profile bundled for KVER where an
#   install keeps it, and nsmagic (magicbreak.c)
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
if [ -n "${NS_GUEST_NESTSCOPE:-}" ]; then
	PROFILE=$HERE/../../profiles/$KVER.json
	[ -s "$PROFILE" ] || { echo "mkinitramfs: no bundled profile $PROFILE for the guest's nestscope" >&2; exit 1; }
	mkdir -p "$T/usr/bin" "$T/usr/share/nestscope/profiles" "$T/stub"
	cp "$NS_GUEST_NESTSCOPE" "$T/usr/bin/nestscope"
	strip --strip-debug "$T/usr/bin/nestscope"
	cp "$PROFILE" "$T/usr/share/nestscope/profiles/"
	# libvirt is for 'nestscope capture' only, and with the libraries it needs
	# (GnuTLS, GLib, libxml2, ICU, curl, Kerberos...) it is 61 of the 69 MB
	# ldd lists, which Bochs loads and unpacks in 15-20 s: a stand-in
	# libvirt.so.0 has the functions nestscope imports (same names and
	# versions), each saying that libvirt is not here if it is ever called
	objdump -T "$NS_GUEST_NESTSCOPE" | awk '$3 == "*UND*" && $5 ~ /^\(LIBVIRT_/ { print substr($5, 2, length($5) - 2), $6 }' |
		sort > "$T/stub/imports"
	if [ -s "$T/stub/imports" ]; then
		{
			printf '%s\n' '#include <unistd.h>'
			printf '%s\n' 'static void none(void) { static const char m[] = "nestscope: no libvirt in this initramfs\n"; if (write(2, m, sizeof(m) - 1)) {} _exit(127); }'
			awk '{ print "void " $2 "(void); void " $2 "(void) { none(); }" }' "$T/stub/imports"
		} > "$T/stub/virt.c"
		awk 'function end() { if (n++ == 1) print "  local: *;"; print "};" }
		     $1 != v { if (v) end(); v = $1; print v " { global:" } { print "  " $2 ";" } END { end() }' \
			"$T/stub/imports" > "$T/stub/virt.map"
		cc -shared -fPIC -O2 -Wall -Wl,-soname,libvirt.so.0 -Wl,--version-script="$T/stub/virt.map" -o "$T/stub/libvirt.so.0" "$T/stub/virt.c"
	fi
	# what the loader will load, the stand-in among it: "libX.so.N => /path/libX.so.N (0x...)", and
	# the loader itself as "/path (0x...)"; each copied to its own path
	LD_LIBRARY_PATH="$T/stub" ldd "$NS_GUEST_NESTSCOPE" > "$T/stub/ldd.txt"
	! grep "not found" "$T/stub/ldd.txt" >&2 || { echo "mkinitramfs: libraries of $NS_GUEST_NESTSCOPE missing" >&2; exit 1; }
	lib=$(awk '$1 == "libc.so.6" { print $3 }' "$T/stub/ldd.txt")
	awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 } $1 ~ /^\// { print $1, $1 }' "$T/stub/ldd.txt" | while read -r name path; do
		case $path in
		"$T/stub/"*) to=$(dirname "$lib")/$name ;; # the stand-in, where libc is
		*) to=$path ;;
		esac
		mkdir -p "$T$(dirname "$to")"
		cp -L "$path" "$T$to"
	done
	rm -r "$T/stub"
	cc -static -nostdlib -O2 -Wall -o "$T/bin/nsmagic" "$HERE/magicbreak.c"
fi
# rewriting the ELF drops the appended signature (and nothing the module needs)
strip --strip-debug "$T"/lib/*.ko
(cd "$T" && find . | cpio -o -H newc --quiet) > "$OUT"
