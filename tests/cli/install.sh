#!/bin/sh
# make install puts things where the tools look, and make uninstall takes every one of them away:
#  - into a DESTDIR: the files install puts include the CLI, the shared library with its SONAME
#    link, nestscope.pc, the headers, the crash extension in PREFIX/lib/crash/extensions (crash's own
#    search directory when PREFIX is /usr: crash's `help extend`), the gdb and drgn packages, the man page;
#  - the installed CLI, run from the DESTDIR, reads the bundled profiles of its own install
#    (DESTDIR/PREFIX/share/nestscope), not the build tree's nor the compiled-in directory;
#  - built with another PREFIX (a copy of the build, so the shared one is untouched), the CLI, the
#    crash extension and nestscope.pc name that PREFIX's data and library directories, and none
#    names /usr/local: the bug of a build for /usr/local installed as PREFIX=/usr;
#  - make uninstall with the same variables leaves no file and no link behind.
# tests/integration/installed.py runs the installed crash extension and gdb package in the debuggers.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
DUMP=samples/6.1.0-56-amd64/dump/vmcore.kdump
RELEASE=6.1.0-56-amd64

# PREFIX as this build was made (make's default unless the caller gave one)
D=$T/dest
if ! make -s --no-print-directory BUILD="$BUILD" DESTDIR="$D" install > "$T/install.log" 2>&1; then
	cat "$T/install.log"
	echo "FAIL make install DESTDIR=... failed"
	exit 1
fi
prefix=$(sed -n 's/^prefix=//p' "$BUILD/nestscope.pc")
(cd "$D" && find . \( -type f -o -type l \) | sed 's|^\.||' | sort) > "$T/files"
for f in bin/nestscope bin/nestscope-drgn lib/libnestscope.so lib/libnestscope.so.0 lib/pkgconfig/nestscope.pc \
	include/nestscope/nestscope.h lib/crash/extensions/nestscope.so share/nestscope/gdb/nestscope-gdb.py \
	share/nestscope/gdb/nestscope-gdb-autoload share/nestscope/python/nestscope_abi.py \
	share/nestscope/drgn/nestscope_drgn/__init__.py share/nestscope/profiles/$RELEASE.json share/man/man1/nestscope.1 \
	share/man/man1/nestscope-triage.1 share/man/man1/nestscope-vmcs12.1 share/man/man7/nestscope-debuggers.7 \
	share/bash-completion/completions/nestscope; do
	grep -qx "$prefix/$f" "$T/files" || bad "make install put no $prefix/$f"
done
echo "ok   make install DESTDIR=... PREFIX=$prefix put $(wc -l < "$T/files") files"

# the installed CLI finds its own install's data (the profile it reads is named in the report)
data=$("$D$prefix/bin/nestscope" --version | sed -n 's/^data: //p')
[ "$(realpath "$data")" = "$(realpath "$D$prefix/share/nestscope")" ] &&
	echo "ok   the installed nestscope's data directory is its install's (DESTDIR$prefix/share/nestscope)" ||
	bad "the installed nestscope's data directory is '$data', not DESTDIR$prefix/share/nestscope"
types=$("$D$prefix/bin/nestscope" triage --json "$DUMP" | sed -n 's/.*"types":"profile \([^"]*\)".*/\1/p')
[ "$types" = "$(realpath "$D$prefix/share/nestscope/profiles/$RELEASE.json")" ] &&
	echo "ok   the installed nestscope reads its install's profile ($prefix/share/nestscope/profiles/$RELEASE.json)" ||
	bad "the installed nestscope read the profile '$types', not its install's"

# built for another PREFIX: the build copied (the shared one stays as it is), make install rebuilds what names it
B=$T/build
mkdir -p "$B"
for p in "$BUILD"/decoders "$BUILD"/sources "$BUILD"/cli "$BUILD"/crash9 "$BUILD"/*.a "$BUILD"/libnestscope.so* \
	"$BUILD"/nestscope "$BUILD"/nestscope.so "$BUILD"/nestscope.pc "$BUILD"/paths.stamp; do
	[ -e "$p" ] && cp -a "$p" "$B/"
done
D2=$T/dest-usr
if make -s --no-print-directory BUILD="$B" PREFIX=/usr DESTDIR="$D2" install > "$T/install2.log" 2>&1; then
	# the build's CLI has no share/ beside it: it names the data directory compiled in
	data=$("$B/nestscope" --version | sed -n 's/^data: //p')
	[ "$data" = /usr/share/nestscope ] &&
		echo "ok   built with PREFIX=/usr after a build for $prefix: the CLI's data directory is /usr/share/nestscope" ||
		bad "built with PREFIX=/usr after a build for $prefix: the CLI's data directory is '$data'"
	f=/usr/lib/crash/extensions/nestscope.so
	if strings "$D2$f" | grep -qx /usr/share/nestscope && ! strings "$D2$f" | grep -q /usr/local; then
		echo "ok   built and installed with PREFIX=/usr: $f names /usr/share/nestscope, nothing under /usr/local"
	else
		bad "built and installed with PREFIX=/usr: $f does not name /usr/share/nestscope alone"
	fi
	grep -qx 'libdir=/usr/lib' "$D2/usr/lib/pkgconfig/nestscope.pc" &&
		echo "ok   PREFIX=/usr: nestscope.pc's libdir is /usr/lib" || bad "PREFIX=/usr: nestscope.pc names another libdir"
else
	tail -5 "$T/install2.log"
	bad "make install PREFIX=/usr (a copy of the build) failed"
fi

# uninstall: nothing left (directories that existed before may stay, files may not)
for dest in "$D" "$D2"; do
	p=$prefix
	[ "$dest" = "$D2" ] && p=/usr && b=$B || b=$BUILD
	make -s --no-print-directory BUILD="$b" PREFIX="$p" DESTDIR="$dest" uninstall > "$T/uninstall.log" 2>&1 ||
		{ cat "$T/uninstall.log"; bad "make uninstall PREFIX=$p failed"; }
	left=$(cd "$dest" && find . \( -type f -o -type l \) | sed 's|^\.||')
	[ -z "$left" ] && echo "ok   make uninstall PREFIX=$p left no file behind" ||
		bad "make uninstall PREFIX=$p left: $(echo "$left" | head -10 | tr '\n' ' ')"
done
exit $fail
