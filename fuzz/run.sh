#!/bin/sh
# Runs every fuzz harness in DIR for $FUZZ_SECONDS, two at a time: seeds
# from the real samples (seeds.py), the corpus kept in DIR/corpus across
# runs, an input that crashes kept in fuzz/regressions/TARGET/ (replayed by
# `make test` once fixed).  Prints one line per harness (runs, executions
# per second, coverage, crashes) and fails if any harness crashed.
# usage: run.sh DIR NESTSCOPE
set -u
DIR=$1 NS=$2
SECONDS_EACH=${FUZZ_SECONDS:-60}
/usr/bin/python3 fuzz/seeds.py "$NS" "$DIR/seeds" || exit 1
mkdir -p "$DIR/logs"
for t in "$DIR"/fuzz/*; do
	n=$(basename "$t")
	mkdir -p "$DIR/corpus/$n" "fuzz/regressions/$n"
	echo "$n"
done | xargs -P 2 -I{} sh -c '
	n={}; d='"$DIR"'
	"$d/fuzz/$n" -max_total_time='"$SECONDS_EACH"' -print_final_stats=1 -rss_limit_mb=4096 -timeout=30 \
	  -artifact_prefix="fuzz/regressions/$n/" "$d/corpus/$n" "$d/seeds/$n" > "$d/logs/$n.log" 2>&1
	echo $? > "$d/logs/$n.rc"'
fail=0
for t in "$DIR"/fuzz/*; do
	n=$(basename "$t")
	log=$DIR/logs/$n.log
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	rc=$(cat "$DIR/logs/$n.rc")
	if [ "$rc" -ne 0 ]; then
		fail=1
		echo "FAIL $n: exit $rc, see $log and fuzz/regressions/$n/"
		grep -m1 -E 'ERROR|runtime error' "$log"
	else
		echo "ok   $n: ${runs:-?} runs in ${SECONDS_EACH} s (${speed:-?}/s), ${cov:-cov ?}"
	fi
done | tee "$DIR/report.txt"
grep -q '^FAIL' "$DIR/report.txt" && exit 1
exit 0
