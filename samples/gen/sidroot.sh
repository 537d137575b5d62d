#!/bin/sh
# A Debian sid root in the cache, for the tools that know today's kernels
# (makedumpfile 1.7.8 for 6.10+ kernels; crash 9, newer gdb, drgn), used
# through chroot.  The machine's own apt sources are never read or changed.
# Idempotent: a second run with the same packages returns at once.
#
# usage: sidroot.sh [PACKAGE...]     prints the root's path
#        sidroot.sh run CMD [ARG...] runs CMD inside the root, in the caller's
#                                    directory (it, /tmp and the cache are
#                                    bound in at the same paths)
set -eu
CACHE=${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}
ROOT=$CACHE/sid-root
MIRROR=http://deb.debian.org/debian

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

make_root() {
	[ -e "$ROOT/.complete" ] && return 0
	command -v debootstrap > /dev/null || { echo "sidroot.sh: debootstrap is missing (./setup.sh installs it)" >&2; exit 1; }
	$SUDO rm -rf "$ROOT"
	mkdir -p "$CACHE"
	# Debian 12's debootstrap knows sid by name; an expired InRelease on the
	# mirror is tolerated the same way apt is told to below
	$SUDO debootstrap --variant=minbase sid "$ROOT" "$MIRROR" > "$CACHE/sid-root.log" 2>&1 ||
		{ tail -5 "$CACHE/sid-root.log" >&2; echo "sidroot.sh: debootstrap sid failed (log: $CACHE/sid-root.log)" >&2; exit 1; }
	echo 'Acquire::Check-Valid-Until "false";' | $SUDO tee "$ROOT/etc/apt/apt.conf.d/99nestscope" > /dev/null
	$SUDO touch "$ROOT/.complete"
}

install_pkgs() {
	want=""
	for p in "$@"; do
		$SUDO chroot "$ROOT" dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" ||
			want="$want $p"
	done
	[ -z "$want" ] && return 0
	$SUDO chroot "$ROOT" apt-get -q update > /dev/null
	# shellcheck disable=SC2086
	$SUDO chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $want \
		> "$CACHE/sid-root-install.log" 2>&1 ||
		{ tail -5 "$CACHE/sid-root-install.log" >&2; echo "sidroot.sh: installing$want failed" >&2; exit 1; }
}

case ${1:-} in
run)
	shift
	[ -e "$ROOT/.complete" ] || { echo "sidroot.sh: no sid root yet (run sidroot.sh PACKAGE...)" >&2; exit 1; }
	# /proc inside the root, in a mount namespace of its own (nothing to
	# clean up): makedumpfile sizes its work from /proc/meminfo and loops
	# on tiny cycles without it.  The caller's working directory, /tmp and
	# the cache are bound at the same paths, so that paths given to a tool
	# inside mean what they mean outside; the tool starts in that directory.
	exec $SUDO unshare --mount --fork sh -c '
		root=$1 cache=$2 cwd=$3; shift 3
		mount -t proc proc "$root/proc" || exit 125
		for d in /tmp "$cache" "$cwd"; do
			case $d in "$root"|"$root"/*) continue ;; esac
			mkdir -p "$root$d" && mount --bind "$d" "$root$d" || exit 125
		done
		exec chroot "$root" sh -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"' sh "$ROOT" "$CACHE" "$PWD" "$@" ;;
*)
	make_root
	install_pkgs "$@"
	echo "$ROOT" ;;
esac
