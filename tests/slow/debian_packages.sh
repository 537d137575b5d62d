#!/bin/sh
# SLOW (a few minutes; the first run also makes a Debian 12 root in the cache and downloads the packages'
# dependencies into it): the Debian packages `make deb` builds, installed with apt into a fresh copy of a
# clean Debian 12 (bookworm) root, and used there as a user would, on the bundled 6.1 dump:
#  - `nestscope --version` names /usr/share/nestscope; `man nestscope`, `man nestscope-triage` and
#    `man 7 nestscope-debuggers` show their pages;
#  - crash finds the extension by name (`extend nestscope.so`: crash's /usr/lib/crash/extensions), and its
#    kvm lists the manifest's VMs;
#  - gdb, with nothing in any gdbinit, auto-loads the gdb package when it reads kvm-intel.ko's debug file
#    (put where linux-image-KVER-dbg puts it, before the packages: their postinst makes the link), and
#    the package's vmcs12-abi runs on the installed libnestscope;
#  - a program built with `pkg-config --cflags --libs nestscope` runs against the installed library;
#  - removing python3-nestscope removes the auto-load link.
# Run by `make test-slow` and by CI.  Needs root (chroot).
set -eu
NS=${NESTSCOPE:-build/nestscope}
BUILD=${BUILD:-$(dirname "$NS")}
CACHE=${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}
PRISTINE=$CACHE/bookworm-root
MIRROR=http://deb.debian.org/debian
KVER=6.1.0-56-amd64
KO=kernel/arch/x86/kvm/kvm-intel.ko
REPO=$(pwd)
# besides the packages, what a user of them installs: gdb (python3-nestscope suggests it), a compiler and
# pkg-config for the program, man for the page
EXTRA="gdb gcc libc6-dev pkgconf man-db"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }

# the clean root, once: debootstrap's minimal Debian 12 and its package lists
if [ ! -e "$PRISTINE/.complete" ]; then
	rm -rf "$PRISTINE"
	debootstrap --variant=minbase bookworm "$PRISTINE" "$MIRROR" > "$T/debootstrap.log" 2>&1 ||
		{ tail -5 "$T/debootstrap.log"; echo "FAIL debootstrap bookworm"; exit 1; }
	# an expired InRelease on the mirror is no reason to fail
	echo 'Acquire::Check-Valid-Until "false";' > "$PRISTINE/etc/apt/apt.conf.d/99nestscope"
	chroot "$PRISTINE" apt-get -q update > /dev/null
	touch "$PRISTINE/.complete"
fi

# the packages, and the kernel's debuginfo (vmlinux for crash; the KVM modules' debug files)
make -s --no-print-directory BUILD="$BUILD" deb > "$T/deb.log" 2>&1 || { tail -20 "$T/deb.log"; echo "FAIL make deb"; exit 1; }
DEBS=$(cd "$BUILD/deb" && pwd)
dbg=$(sh samples/gen/debian-kernel.sh fetch-dbg "$KVER" "$CACHE/$KVER")
VMLINUX=$(echo "$dbg" | sed -n 's/^vmlinux: //p')
MODS=$(echo "$dbg" | sed -n 's/^modules: //p')
DUMP=$REPO/samples/$KVER/dump/vmcore.kdump

# run CMD... in ROOT with /proc, the repository, the debs and vmlinux's directory bound in at their own paths
inroot() {
	root=$1
	shift
	unshare --mount --fork sh -c '
		root=$1; shift
		mount -t proc proc "$root/proc" || exit 125
		for d in "$REPO" "$DEBS" "$(dirname "$VMLINUX")"; do
			mkdir -p "$root$d" && mount --bind "$d" "$root$d" || exit 125
		done
		exec chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 "$@"' sh "$root" "$@"
}
export REPO DEBS VMLINUX
pkgs=$(cd "$DEBS" && ls nestscope_*.deb libnestscope0_*.deb libnestscope-dev_*.deb crash-nestscope_*.deb \
	python3-nestscope_*.deb | sed "s|^|$DEBS/|" | tr '\n' ' ')

# their dependencies into the clean root's apt cache (downloaded once), then a fresh copy of it
# shellcheck disable=SC2086
inroot "$PRISTINE" apt-get install -y -q --download-only $pkgs $EXTRA > "$T/download.log" 2>&1 ||
	{ tail -10 "$T/download.log"; echo "FAIL apt-get --download-only in the clean root"; exit 1; }
R=$T/root
cp -a "$PRISTINE" "$R"
mkdir -p "$R/usr/lib/debug/lib/modules/$KVER/$(dirname "$KO")"
cp "$MODS/$(dirname "$KO")"/*.ko "$R/usr/lib/debug/lib/modules/$KVER/$(dirname "$KO")/"
# shellcheck disable=SC2086
if inroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs $EXTRA \
	> "$T/install.log" 2>&1; then
	ok "apt-get install of the 5 packages into a clean Debian 12 root"
else
	tail -20 "$T/install.log"
	echo "FAIL apt-get install of the packages into a clean Debian 12 root"
	exit 1
fi

v=$(inroot "$R" nestscope --version)
echo "$v" | grep -qx 'data: /usr/share/nestscope' && ok "nestscope --version: $(echo "$v" | tr '\n' ' ')" ||
	bad "nestscope --version: $v"
inroot "$R" sh -c 'man -P cat nestscope 2>/dev/null' | grep -q 'DEBUGGER COMMANDS' && ok "man nestscope shows the page" ||
	bad "man nestscope shows no page"
# a page per command, made from its --help: triage's lists its --html option
inroot "$R" sh -c 'man -P cat nestscope-triage 2>/dev/null' | grep -q -- '--html' &&
	ok "man nestscope-triage shows the command's page" || bad "man nestscope-triage shows no page with --html"
inroot "$R" sh -c 'man -P cat 7 nestscope-debuggers 2>/dev/null' | grep -q 'extend nestscope.so' &&
	ok "man 7 nestscope-debuggers shows the crash and gdb commands' page" || bad "man 7 nestscope-debuggers shows no page"

# crash: the extension by name
printf 'extend nestscope.so\nmod -S /usr/lib/debug/lib/modules/%s\nkvm -j\n' "$KVER" > "$R/tmp/crash.in"
inroot "$R" sh -c "cd /tmp && crash -s '$VMLINUX' '$DUMP' -i /tmp/crash.in < /dev/null" > "$T/crash.out" 2>&1 || true
grep -q '^/usr/lib/crash/extensions/nestscope.so: shared object loaded' "$T/crash.out" &&
	ok "crash: extend nestscope.so loads /usr/lib/crash/extensions/nestscope.so" ||
	bad "crash: extend nestscope.so did not load the installed extension: $(grep -i nestscope "$T/crash.out" | head -3)"
want=$(/usr/bin/python3 -c 'import json,sys; print(sorted(v["pid"] for v in json.load(open(sys.argv[1]))["dump"]["vms"]))' \
	"samples/$KVER/manifest.json")
got=$(grep '"schema":"nestscope/kvm/2"' "$T/crash.out" | /usr/bin/python3 -c 'import json,sys; print(sorted(v["pid"] for v in json.loads(sys.stdin.readline())["vms"]))' 2>/dev/null || echo none)
[ "$want" = "$got" ] && ok "crash: kvm lists the manifest's VMs ($want)" || bad "crash: kvm lists $got, the manifest $want"

# gdb: auto-load from gdb's own directory, nothing given
link=/usr/share/gdb/auto-load/usr/lib/debug/lib/modules/$KVER/$KO-gdb.py
[ -L "$R$link" ] && ok "python3-nestscope's postinst linked $link" || bad "no auto-load link $link"
inroot "$R" gdb -batch -ex "add-symbol-file /usr/lib/debug/lib/modules/$KVER/$KO" \
	-ex "python import nestscope_gdb.libns as l; print('lib:', l.lib._name)" -ex "vmcs12-abi" > "$T/gdb.out" 2>&1 || true
grep -q '^lib: libnestscope.so.0$' "$T/gdb.out" && grep -q '^verdict   compatible' "$T/gdb.out" &&
	ok "gdb: reading kvm-intel.ko's debug file auto-loads the package; vmcs12-abi runs on libnestscope.so.0" ||
	bad "gdb: no auto-loaded package: $(tail -3 "$T/gdb.out" | tr '\n' ' ')"

# a program against the library, through pkg-config
cat > "$R/tmp/prog.c" <<'C'
#include <stdio.h>
#include <nestscope/nestscope.h>
int main(void)
{
	struct ns_field_ref ref;
	/* the SDM, Vol. 3D, Appendix B: guest RIP is field 0x681E */
	if (!ns_field_by_name("GUEST_RIP", &ref) || ref.field->encoding != 0x681e)
		return 1;
	printf("ABI %u, GUEST_RIP 0x%04x\n", ns_abi_version(), ref.field->encoding);
	return 0;
}
C
out=$(inroot "$R" sh -c 'cc -o /tmp/prog /tmp/prog.c $(pkg-config --cflags --libs nestscope) && /tmp/prog' 2>&1) &&
	ok "a program built with pkg-config --cflags --libs nestscope runs: $out" || bad "the pkg-config program: $out"

# removing the gdb package takes its links away
inroot "$R" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -q python3-nestscope > "$T/remove.log" 2>&1 ||
	{ tail -5 "$T/remove.log"; bad "apt-get remove python3-nestscope"; }
[ ! -e "$R$link" ] && [ ! -L "$R$link" ] && ok "apt-get remove python3-nestscope removes the auto-load link" ||
	bad "the auto-load link outlived python3-nestscope"
exit $fail
