#!/bin/sh
# Installs every Debian package nestscope needs to build, test and demo.
# Idempotent and non-interactive: packages already present are not touched,
# and apt's package lists are refreshed only when something must be installed.
set -eu

PACKAGES="
  build-essential
  clang
  libclang-rt-14-dev
  libcmocka-dev
  libjson-c-dev
  pkg-config
  python3
  python3-jsonschema
  bochs
  bochsbios
  vgabios
  busybox-static
  syslinux
  syslinux-common
  mtools
  dosfstools
  cpio
  xz-utils
  zstd
  xxd
  time
  makedumpfile
  debootstrap
  crash
  gdb
  python3-drgn
  valgrind
  qemu-system-x86
  libkdumpfile-dev
  libdwarf-dev
  libelf-dev
  libvirt-daemon
  libvirt-daemon-driver-qemu
  libvirt-clients
  libvirt-dev
  chromium
  debhelper
  lintian
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

# Today's debuggers from Debian sid (crash 9.0.x, its defs.h for the
# extension, gdb, drgn, makedumpfile), in a root kept in the cache and used
# through chroot: the machine's apt sources are never read or changed.  The
# integration tests run a pass on them (tests/integration/passes.py); python3
# is named because the gdb tests run a Python helper from inside sid's gdb.
# libjson-c5: the core's JSON library, which the crash 9 extension and libnestscope.so (loaded by sid's
# gdb and drgn) need there too.  Seconds when the root is already there (samples/gen/sidroot.sh).
sid_root() {
	root=$(sh "$(dirname "$0")/samples/gen/sidroot.sh" crash gdb python3 python3-drgn makedumpfile libjson-c5) ||
		exit 1
	echo "setup.sh: sid root with crash, gdb, drgn and makedumpfile: $root"
}

if [ -z "$missing" ]; then
	echo "setup.sh: all packages present"
	sid_root
	exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "setup.sh: need root (or sudo) to install:$missing" >&2
		exit 1
	fi
fi

echo "setup.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
sid_root
