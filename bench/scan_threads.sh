#!/bin/sh
# nestscope scan on every core (--jobs, one thread per CPU by default)
# against one thread (--jobs 1) and against reading the file once (cat to
# /dev/null), page cache warm, on two images of SIZE MiB:
#   - a raw image: the 6.1 sample machine's RAM (its real VMCS regions and
#     page tables in place), then its non-zero pages again and again;
#   - the same memory as a compressed kdump (bench/raw2kdump.py: zlib per
#     page, zero pages left out), where each page costs an inflate.
# Printed as ratios: one thread's time over N threads' (the speed-up), and
# cat's time over scan's (1.0: as fast as reading the file).  The JSON of N
# threads is compared with one thread's.
# usage: scan_threads.sh [SIZE_MIB]
set -eu
SIZE=${1:-1024}
BUILD=${BUILD:-build}
NS="$BUILD/nestscope"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc -O2 -o "$T/kdump2raw" tests/integration/kdump2raw.c $(pkg-config --cflags --libs libkdumpfile)
"$T/kdump2raw" samples/6.1.0-56-amd64/dump/vmcore.kdump "$T/ram.raw"
/usr/bin/python3 - "$T/ram.raw" "$T/big.raw" "$SIZE" <<'EOF'
import sys
PAGE = 4096
ram = open(sys.argv[1], "rb").read()
want = int(sys.argv[3]) << 20
pages = [ram[i:i + PAGE] for i in range(0, len(ram), PAGE)]
dense = b"".join(p for p in pages if p.count(0) != PAGE)
with open(sys.argv[2], "wb") as f:
    f.write(ram.ljust((len(ram) + (1 << 20) - 1) >> 20 << 20, b"\0"))
    left = want - f.tell()
    while left > 0:
        f.write(dense[:left])
        left -= min(left, len(dense))
EOF
/usr/bin/python3 bench/raw2kdump.py "$T/big.raw" "$T/big.kdump" > /dev/null
jobs=$("$NS" scan --help | sed -n 's/.*process may use, \([0-9]*\) here.*/\1/p')
. bench/timing.sh
for img in "$T/big.raw" "$T/big.kdump"; do
	name=$(basename "$img")
	cat "$img" > /dev/null
	c=$(best cat "$img")
	s1=$(best "$NS" scan --jobs 1 "$img")
	sn=$(best "$NS" scan "$img")
	"$NS" scan --json --jobs 1 "$img" > "$T/one.json"
	"$NS" scan --json "$img" > "$T/all.json"
	same=$(cmp -s "$T/one.json" "$T/all.json" && echo "the same JSON" || echo "DIFFERENT JSON")
	pages=$("$NS" scan "$img" | tail -1 | sed 's/.*: \([0-9]*\) pages.*/\1/')
	echo "$c $s1 $sn" | awk -v n="$name" -v mb="$(($(stat -c %s "$img") >> 20))" -v j="$jobs" -v p="$pages" -v same="$same" \
		'{ printf "%s (%d MiB, %d pages): cat %.3fs, 1 thread %.3fs, %d threads %.3fs: %.2fx one thread; %.2f of cat (one thread %.2f); %s\n",
		   n, mb, p, $1, $2, j, $3, $2 / $3, $1 / $3, $1 / $2, same }'
done
