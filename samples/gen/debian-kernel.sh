#!/bin/sh
# Finds and fetches Debian kernel packages without touching the machine's apt
# sources: a release the machine does not use is reached through a temporary
# source list given to apt on the command line.
#
# usage: debian-kernel.sh resolve KERNEL        prints the ABI name (6.1.0-56-amd64)
#        debian-kernel.sh fetch KVER DIR        image package, extracted in DIR/image
#        debian-kernel.sh fetch-dbg KVER DIR    debuginfo: vmlinux and KVM's modules in DIR/dbg
#        debian-kernel.sh fetch-headers KVER DIR  headers + kbuild to build modules, in DIR/headers
#        debian-kernel.sh package KVER [-dbg]   prints "package version suite"
set -eu
CACHE=${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}
# sid last: Debian's newest kernels (7.x) are there and in trixie-backports
SUITES="bookworm bullseye trixie sid"

# apt with its own lists for one suite; the system's sources are never read
apt_suite() { # suite, then apt-get/apt-cache and its arguments
	suite=$1; shift
	dir=$CACHE/apt/$suite
	if [ ! -s "$dir/sources.list" ]; then
		mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
		if [ "$suite" = sid ]; then # no security suite
			printf 'deb http://deb.debian.org/debian sid main\n' > "$dir/sources.list"
		else
			printf 'deb http://deb.debian.org/debian %s main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
				"$suite" "$suite" > "$dir/sources.list"
		fi
	fi
	tool=$1; shift
	"$tool" -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir/cache" -o APT::Get::List-Cleanup=0 \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Acquire::Check-Valid-Until=false "$@"
}

refresh() { # suite: update its lists once a day
	stamp=$CACHE/apt/$1/updated
	if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440 2>/dev/null)" ]; then
		apt_suite "$1" apt-get -q update > /dev/null
		touch "$stamp"
	fi
}

# the suite that has a package, and its version
locate() { # package
	for s in $SUITES; do
		refresh "$s"
		v=$(apt_suite "$s" apt-cache show "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
		if [ -n "$v" ]; then echo "$s $v"; return 0; fi
	done
	echo "debian-kernel.sh: no Debian release has $1" >&2
	return 1
}

download() { # package dir
	set -- "$1" "$2" $(locate "$1")
	mkdir -p "$2"
	f=$(ls "$2/$1"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$f" ]; then
		(cd "$2" && apt_suite "$3" apt-get -q download "$1" >&2)
		f=$(ls "$2/$1"_*.deb 2>/dev/null | head -1 || true)
	fi
	[ -n "$f" ] || { echo "debian-kernel.sh: could not download $1" >&2; exit 1; }
	echo "$f"
}

case ${1:-} in
resolve)
	if [ "$2" = current ]; then
		refresh bookworm
		apt_suite bookworm apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-//p' | head -1
	else
		echo "$2"
	fi ;;
package)
	p=linux-image-$2${3:-}
	set -- $(locate "$p")
	echo "$p $2 $1" ;;
fetch)
	KVER=$2 DIR=$3
	if [ ! -e "$DIR/image/boot/vmlinuz-$KVER" ]; then
		deb=$(download "linux-image-$KVER" "$DIR/deb")
		rm -rf "$DIR/image"
		dpkg-deb -x "$deb" "$DIR/image"
		# 7.x: linux-image-KVER only depends on linux-binary (the image, in
		# /usr/lib/modules/KVER/vmlinuz) and linux-modules
		if [ ! -e "$DIR/image/boot/vmlinuz-$KVER" ]; then
			for p in "linux-binary-$KVER" "linux-modules-$KVER"; do
				dpkg-deb -x "$(download "$p" "$DIR/deb")" "$DIR/image"
			done
			mkdir -p "$DIR/image/boot"
			ln -s "../usr/lib/modules/$KVER/vmlinuz" "$DIR/image/boot/vmlinuz-$KVER"
		fi
	fi
	echo "image: $DIR/image/boot/vmlinuz-$KVER" ;;
fetch-dbg)
	KVER=$2 DIR=$3
	V=$DIR/dbg/usr/lib/debug/boot/vmlinux-$KVER
	if [ ! -e "$V" ]; then
		deb=$(download "linux-image-$KVER-dbg" "$DIR/deb")
		mkdir -p "$DIR/dbg"
		# only what crash needs: vmlinux and the modules of the KVM stack
		# (7.x: boot/vmlinux-KVER is a link to lib/modules/KVER/vmlinux)
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$DIR/dbg" --wildcards './usr/lib/debug/boot/vmlinux-*' \
			'./usr/lib/debug/lib/modules/*/vmlinux' \
			'./usr/lib/debug/lib/modules/*/kernel/arch/x86/kvm/*.ko' \
			'./usr/lib/debug/lib/modules/*/kernel/virt/lib/irqbypass.ko'
		rm -f "$deb"  # 0.8 GB: keep only what was extracted
	fi
	echo "vmlinux: $V"
	echo "modules: $DIR/dbg/usr/lib/debug/lib/modules/$KVER" ;;
fetch-headers)
	KVER=$2 DIR=$3
	H=$DIR/headers/usr/src/linux-headers-$KVER
	if [ ! -e "$H/Makefile" ]; then
		abi=${KVER%-*}                       # 6.1.0-56-amd64 -> 6.1.0-56
		series=$(echo "$KVER" | cut -d. -f1,2) # -> 6.1
		rm -rf "$DIR/headers"
		for p in "linux-headers-$KVER" "linux-headers-$abi-common" "linux-kbuild-$series"; do
			deb=$(download "$p" "$DIR/deb")
			dpkg-deb -x "$deb" "$DIR/headers"
		done
		# the flavour's Makefile includes the common one by its installed path
		sed -i "s|include /usr/src/|include $DIR/headers/usr/src/|" "$H/Makefile"
	fi
	echo "headers: $H" ;;
*)
	sed -n '2,13p' "$0" >&2
	exit 2 ;;
esac
