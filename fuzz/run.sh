#!/bin/sh
# Runs every fuzz harness in DIR for $FUZZ_SECONDS, two at a time: seeds
# from the real samples (seeds.py), the corpus kept in DIR/corpus across
# runs, an input that crashes kept in fuzz/regressions/TARGET/ (replayed by
# `make test` once fixed).  Prints one line per harness (runs, executions
# per second, coverage, crashes) and fails if any harness crashed.
# FUZZ_ONLY (harness names, e.g. "dump_kdump dump_elf"): only those.  The
# dump harnesses (fuzz_dump_*) leave libkdumpfile's context of a failed open
# behind (sources/dump.c): LeakSanitizer skips the library, as in test-asan.
# usage: run.sh DIR NESTSCOPE
set -u
DIR=$1 NS=$2
SECONDS_EACH=${FUZZ_SECONDS:-60}
export LSAN_OPTIONS="suppressions=$(pwd)/tests/lsan.supp:print_suppressions=0"
/usr/bin/python3 fuzz/seeds.py "$NS" "$DIR/seeds" || exit 1
mkdir -p "$DIR/logs"
targets() {
	for t in "$DIR"/fuzz/*; do
		n=$(basename "$t")
		case " ${FUZZ_ONLY:-$n} " in *" $n "*) echo "$n" ;; esac
	done
}
targets | while read -r n; do
	mkdir -p "$DIR/corpus/$n" "fuzz/regressions/$n"
	echo "$n"
done | xargs -P 2 -I{} sh -c '
	n={}; d='"$DIR"'
	# the dump seeds are small dumps of 30 to 150 KiB; triage takes patches of 12 bytes
	case $n in dump_kdump) max=-max_len=98304 ;; dump_elf|dump_raw) max=-max_len=262144 ;;
	dump_triage) max=-max_len=1536 ;; *) max= ;; esac
	"$d/fuzz/$n" $max -max_total_time='"$SECONDS_EACH"' -print_final_stats=1 -rss_limit_mb=4096 -timeout=30 \
	  -artifact_prefix="fuzz/regressions/$n/" "$d/corpus/$n" "$d/seeds/$n" > "$d/logs/$n.log" 2>&1
	echo $? > "$d/logs/$n.rc"'
fail=0
targets | while read -r n; do
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
