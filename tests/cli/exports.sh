#!/bin/sh
# libnestscope.so is a shared library a program can be built against:
#  - it exports only the ns_* API: every defined dynamic symbol is ns_* (the version node
#    decoders/libnestscope.map names aside); the core's JSON writer (json_*), its JSON reading
#    helpers (json_in_*) and any other helper stay local, and json-c's symbols stay in json-c;
#  - every function the Python front ends call through ctypes (lib.ns_... in plugin/) is exported;
#  - its SONAME is libnestscope.so.N, the build's libnestscope.so.N links to the versioned file,
#    and the ctypes layer loads the same SONAME;
#  - installed (make install into a DESTDIR), a small program compiled with
#    `pkg-config --cflags --libs nestscope` and the installed headers alone links to the SONAME and
#    runs: it looks up VMCS fields whose encodings the SDM gives (Vol. 3D, Appendix B).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SO=$BUILD/libnestscope.so
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

[ -e "$SO" ] || { echo "FAIL $SO not built (make)"; exit 1; }

# 1. the exports
node=$(sed -n 's/^\([A-Z_0-9]*\) {.*/\1/p' decoders/libnestscope.map)
# (nm prints a versioned symbol as NAME@@NODE)
nm -D --defined-only "$SO" | awk '{ sub(/@.*/, "", $NF); print $NF }' | sort -u > "$T/exports"
awk -v node="$node" '!/^ns_/ && $0 != node' "$T/exports" > "$T/leaked"
if [ -s "$T/leaked" ]; then
	bad "libnestscope.so exports $(wc -l < "$T/leaked") symbols outside ns_*: $(head -20 "$T/leaked" | tr '\n' ' ')"
else
	echo "ok   libnestscope.so exports $(grep -c '^ns_' "$T/exports") symbols, all ns_* (version $node)"
fi
grep -rhoE '\blib\.ns_[a-z0-9_]+' plugin | sed 's/^lib\.//' | sort -u > "$T/called"
missing=$(comm -23 "$T/called" "$T/exports")
if [ -n "$missing" ]; then
	bad "the ctypes layer calls functions libnestscope.so does not export: $missing"
else
	echo "ok   the $(wc -l < "$T/called") functions the gdb and drgn packages call through ctypes are exported"
fi

# 2. SONAME and version links
soname=$(readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
case $soname in
libnestscope.so.[0-9]*) echo "ok   SONAME $soname" ;;
*) bad "libnestscope.so's SONAME is '$soname', not libnestscope.so.N" ;;
esac
real=$(readlink -f "$SO")
[ "$(readlink -f "$BUILD/$soname")" = "$real" ] && [ "$real" != "$(realpath -s "$SO")" ] ||
	bad "$BUILD/$soname does not link to the versioned library ($real)"
pysoname=$(sed -n 's/^SONAME = "\(.*\)"/\1/p' plugin/python/nestscope_abi.py)
[ "$pysoname" = "$soname" ] || bad "plugin/python/nestscope_abi.py loads $pysoname, the library's SONAME is $soname"

# 3. installed: headers, nestscope.pc and the library, used through pkg-config.  A sanitizer build's library
# leaves the sanitizer's symbols to the executable's runtime, which a plain program has not: the plain
# build runs this part
if nm -D --undefined-only "$SO" | grep -q -e __asan_ -e __ubsan_; then
	echo "ok   (a sanitizer build: the program against the installed library is built in the plain build)"
	exit $fail
fi
D=$T/dest
if ! make -s --no-print-directory BUILD="$BUILD" DESTDIR="$D" install > "$T/install.log" 2>&1; then
	cat "$T/install.log"
	bad "make install DESTDIR=... failed"
	exit 1
fi
pc=$(find "$D" -name nestscope.pc)
[ -n "$pc" ] || { bad "make install put no nestscope.pc"; exit 1; }
cat > "$T/prog.c" <<'C'
#include <stdio.h>
#include <nestscope/nestscope.h>

/* encodings from the SDM, Vol. 3D, Appendix B (Field Encoding in VMCS) */
static const struct { const char *name; unsigned encoding; } sdm[] = {
	{ "GUEST_RIP", 0x681e }, { "VMCS_LINK_POINTER", 0x2800 }, { "VM_EXIT_REASON", 0x4402 },
};

int main(void)
{
	int bad = 0;

	if (ns_abi_version() != NS_ABI_VERSION) {
		printf("ABI %u, header %u\n", ns_abi_version(), NS_ABI_VERSION);
		return 1;
	}
	for (size_t i = 0; i < sizeof(sdm) / sizeof(sdm[0]); i++) {
		struct ns_field_ref ref;

		if (!ns_field_by_name(sdm[i].name, &ref) || ref.field->encoding != sdm[i].encoding) {
			printf("%s: not 0x%04x\n", sdm[i].name, sdm[i].encoding);
			bad = 1;
		}
	}
	printf("nestscope %s: %zu fields\n", NESTSCOPE_VERSION, ns_field_count());
	return bad;
}
C
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$D"
flags=$(pkg-config --cflags --libs nestscope) || bad "pkg-config --cflags --libs nestscope failed"
# shellcheck disable=SC2086
if cc -std=c11 -Wall -Werror -o "$T/prog" "$T/prog.c" $flags 2> "$T/cc.log"; then
	needed=$(readelf -d "$T/prog" | sed -n 's/.*(NEEDED).*\[\(libnestscope.*\)\]/\1/p')
	[ "$needed" = "$soname" ] || bad "the program needs '$needed', not the SONAME $soname"
	if out=$(LD_LIBRARY_PATH="$(dirname "$(dirname "$pc")")" "$T/prog"); then
		echo "ok   a program built with pkg-config against the installed library runs: $out"
	else
		bad "the program built against the installed library failed: $out"
	fi
else
	cat "$T/cc.log"
	bad "a program using <nestscope/nestscope.h> and pkg-config's flags did not compile"
fi
exit $fail
