#!/bin/sh
# Golden outputs for a refactor (tests/golden/README.md): runs a fixed list of
# command lines (tests/golden/golden.py; `golden.py list` prints it) with the
# programs of the tree ROOT -- its nestscope CLI, its crash extension in real
# crash, its gdb package in real gdb -- on every bundled sample, and stores
# each command's stdout, stderr and exit status in OUTDIR, one file per
# command (crash and gdb: one file per command of a session; the session's
# setup output and exit status in its _session file).
#
# usage: tests/golden/run.sh ROOT OUTDIR [--only REGEX] [--jobs N]
#   ROOT     a tree built with `make` (ROOT/build/nestscope, nestscope.so, libnestscope.so)
#   OUTDIR   created; an existing OUTDIR is replaced only if an earlier run made it
#   GOLDEN_BUILD   the build directory inside ROOT (default: build)
#   GOLDEN_INPUTS  where the derived inputs are kept (default: ~/.cache/nestscope/golden/inputs)
#   NESTSCOPE_CACHE  the cache the kernels' debuginfo is in (default: ~/.cache/nestscope)
#
# The samples, profiles and test data are read from the tree this script is
# in, so that two runs read the same inputs; ROOT only gives the programs.
# Not part of `make test`: tests never take an earlier output of nestscope as
# their oracle.
set -eu
[ $# -ge 2 ] || { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
ROOT=$(cd "$1" && pwd)
OUT=$2
shift 2
BUILD=$ROOT/${GOLDEN_BUILD:-build}
CACHE=${NESTSCOPE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestscope}
INPUTS=${GOLDEN_INPUTS:-$CACHE/golden/inputs}
export NESTSCOPE_CACHE="$CACHE" GOLDEN_INPUTS="$INPUTS"

for f in nestscope nestscope.so libnestscope.so; do
	[ -e "$BUILD/$f" ] || { echo "run.sh: $BUILD/$f is missing: build ROOT first (make -C $ROOT)" >&2; exit 1; }
done
if [ -e "$OUT" ]; then
	if [ -e "$OUT/_commands" ] || [ -z "$(ls -A "$OUT")" ]; then
		rm -rf "$OUT"
	else
		echo "run.sh: $OUT exists and is not a golden output directory: not replacing it" >&2
		exit 1
	fi
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case $OUT in "$SRC"/*|"$ROOT"/*) echo "run.sh: note: OUTDIR is inside a source tree" >&2 ;; esac
WORK=$(mktemp -d "${TMPDIR:-/tmp}/nestscope-golden.XXXXXX")
trap 'rm -rf "$WORK"' EXIT INT TERM

start=$(date +%s)
/usr/bin/python3 "$HERE/golden.py" run "$ROOT" "$BUILD" "$OUT" "$WORK" "$@"

# The normalisation: the only change made to what the programs printed.  The
# directories that differ between runs and machines become names, the longest
# first (the build directory is inside ROOT, the inputs and a baseline tree
# may be inside the cache):
#   ROOT/BUILD -> @BUILD@     the build directory the programs come from
#   ROOT       -> @ROOT@      the tree whose programs run (its gdb package)
#   SRC        -> @SRC@       this tree, when it is not ROOT (no output names it)
#   INPUTS     -> @INPUTS@    the derived inputs
#   WORK       -> @WORK@      this run's temporary directory (HOME, TMPDIR, FIFOs, copies)
#   CACHE      -> @CACHE@     the debuginfo (~/.cache/nestscope/KVER/dbg)
# Nothing else varies between runs: none of these commands prints a time, a
# date or a duration (capture would, "in N s", but it cannot reach a domain
# here), and sample paths are relative (the commands run in SRC).
esc() { printf '%s\n' "$1" | sed 's/[]$*.^|[]/\\&/g'; }
TAB=$(printf '\t')
{
	printf '%s\t%s\n' "$BUILD" @BUILD@ "$ROOT" @ROOT@
	[ "$SRC" = "$ROOT" ] || printf '%s\t%s\n' "$SRC" @SRC@
	printf '%s\t%s\n' "$INPUTS" @INPUTS@ "$WORK" @WORK@ "$CACHE" @CACHE@
} | awk -F '\t' '{ print length($1) "\t" $0 }' | sort -s -t "$TAB" -k1,1rn | cut -f2- |
while IFS=$TAB read -r p name; do
	printf 's|%s|%s|g\n' "$(esc "$p")" "$name"
done > "$WORK/normalize.sed"
find "$OUT" -type f ! -path "$OUT/_log/*" -exec sed -i -f "$WORK/normalize.sed" {} +
mkdir -p "$OUT/_log"
cp "$WORK/normalize.sed" "$OUT/_log/normalize.sed"
echo "total $(( $(date +%s) - start )) s" >> "$OUT/_log/summary"
echo "run.sh: $(grep -c . "$OUT/_commands") command lines, outputs in $OUT ($(( $(date +%s) - start )) s)" >&2
