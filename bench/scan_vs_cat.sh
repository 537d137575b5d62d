#!/bin/sh
# nestscope scan's throughput against reading the image once (cat to
# /dev/null), on a raw image of real memory: L1's real memory image repeated
# to SIZE MiB (every copy holds its VMCS regions), page cache warm for both;
# printed as a ratio (cat's time over scan's: 1.0 means as fast as reading).
# scan reads the image with pread through a 4 MiB cache (holes skipped) and
# looks at each page's first bytes (a whole page only when they match a
# revision id).
# Second line: a compressed kdump, where libkdumpfile inflates every page
# (the cost a kdump puts on any reader), against cat of the same file.
# usage: scan_vs_cat.sh [SIZE_MIB]
set -eu
SIZE=${1:-1024}
BUILD=${BUILD:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
gzip -dc samples/6.1.0-56-amd64/rich/l1-memory-after_vmclear.img.gz > "$T/l1.img"
i=0
while [ $i -lt $((SIZE / 4)) ]; do cat "$T/l1.img"; i=$((i + 1)); done > "$T/big.img"
. bench/timing.sh
cat "$T/big.img" > /dev/null
c=$(best cat "$T/big.img")
s=$(best "$BUILD/nestscope" scan "$T/big.img")
n=$("$BUILD/nestscope" scan --json "$T/big.img" | /usr/bin/python3 -c "import json,sys; print(len(json.load(sys.stdin)['regions']))")
echo "$SIZE MiB raw image, $n regions found: cat ${c}s, scan ${s}s"
echo "$c $s" | awk '{ printf "scan runs at %.2f of the speed of reading the image (goal 0.8)\n", $1 / $2 }'
k=samples/6.1.0-56-amd64/dump/vmcore.kdump
c=$(best cat "$k")
s=$(best "$BUILD/nestscope" scan "$k")
echo "$c $s" | awk -v k="$k" '{ printf "kdump %s: cat %.4fs, scan %.4fs (every page inflated): %.3f of cat\n", k, $1, $2, $1 / $2 }'
