#!/bin/sh
# Resident memory follows the work, not the image: nestscope's maximum
# resident set (and time) on a 10 GiB sparse raw image (1 MiB of data in its
# middle, the rest a hole) and on a gzip bomb (4 GiB of zeros in 16 gzip
# members, about 1 MB), against cat and zcat of the same input in the same
# run (/usr/bin/time -f '%M %e').  Printed as ratios: nestscope's RSS over
# cat's (the floor any reader pays: a binary and its libraries), and cat's
# time over nestscope's (>1: faster than reading the input once, since holes
# are skipped, where cat reads 10 GiB of zeros).
# usage: memory_vs_cat.sh
set -eu
BUILD=${BUILD:-build}
NS=$BUILD/nestscope
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
/usr/bin/python3 - "$T" <<'PY'
import os, sys, zlib
t = sys.argv[1]
with open(os.path.join(t, "sparse.img"), "wb") as f:
    f.truncate(10 << 30)
    f.seek(5 << 30)
    f.write(os.urandom(1 << 20))
z = zlib.compressobj(9, zlib.DEFLATED, 31)
part = b"".join(z.compress(bytes(1 << 20)) for _ in range(256)) + z.flush()
with open(os.path.join(t, "bomb.gz"), "wb") as f:
    for _ in range(16):
        f.write(part)
PY
measure() { # label, command...: "RSS_KB SECONDS"
	label=$1; shift
	/usr/bin/time -f '%M %e' -o "$T/time" "$@" > /dev/null 2> "$T/err" || true
	tail -n 1 "$T/time"
}
ratio() { # what, base label, base "KB s", ours "KB s"
	echo "$3 $4" | awk -v what="$1" -v base="$2" '{
		printf "%s: nestscope %d KB in %.2f s, %s %d KB in %.2f s: RSS %.1fx %s'"'"'s (goal < 100 MB), time %.1fx faster\n",
			what, $3, $4, base, $1, $2, $3 / $1, base, ($4 > 0 ? $2 / $4 : 0) }'
}
c=$(measure cat cat "$T/sparse.img")
s=$(measure scan "$NS" scan "$T/sparse.img")
ratio "10 GiB sparse image, scan" cat "$c" "$s"
t=$(measure triage "$NS" triage "$T/sparse.img")
ratio "10 GiB sparse image, triage (no kernel in it: exit 1)" cat "$c" "$t"
z=$(measure zcat zcat "$T/bomb.gz")
b=$(measure scan "$NS" scan "$T/bomb.gz")
ratio "gzip bomb, $(stat -c %s "$T/bomb.gz") bytes to 4 GiB, scan" zcat "$z" "$b"
