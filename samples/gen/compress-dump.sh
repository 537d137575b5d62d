#!/bin/sh
# An ELF core of a sample machine's memory, with its kernel's VMCOREINFO,
# made into the kdump-compressed, filtered dump a kdump service would write.
# usage: compress-dump.sh KVER ELF OUT.kdump WORK
#   WORK gets makedumpfile.log, makedumpfile.version and makedumpfile.level.
# Debian 12's makedumpfile 1.7.2 drops pages of 6.10+ kernels (slab page_type);
# sid's 1.7.8 reads them, but with -d 31 drops compound-page tail pages of 7.1+
# kernels (the second page of the 8 KiB struct kvm among them): there, keep
# user pages (-d 23) and take makedumpfile from a sid root in the cache.
set -eu
KVER=$1 ELF=$2 OUT=$3 WORK=$4
HERE=$(cd "$(dirname "$0")" && pwd)
LEVEL=31
case $KVER in
6.[0-9].*|5.*|4.*) MKDUMP="makedumpfile" ;;
*)	sh "$HERE/sidroot.sh" makedumpfile > /dev/null
	MKDUMP="sh $HERE/sidroot.sh run makedumpfile"
	case $KVER in 6.*|7.0.*) ;; *) LEVEL=23 ;; esac ;;
esac
rm -f "$OUT" "$WORK/vmcore.kdump"
# the sid root binds the cache at the same path: write inside WORK, then move
$MKDUMP -c -d $LEVEL "$ELF" "$WORK/vmcore.kdump" > "$WORK/makedumpfile.log" 2>&1 ||
	{ tail -c 2000 "$WORK/makedumpfile.log" >&2; exit 1; }
mv "$WORK/vmcore.kdump" "$OUT"
chmod 644 "$OUT" # makedumpfile writes 0600
$MKDUMP -v 2>&1 | sed -n 's/^makedumpfile: version \([^ ]*\).*/\1/p' | head -1 > "$WORK/makedumpfile.version"
echo "$LEVEL" > "$WORK/makedumpfile.level"
