# Sourced by the bench scripts: wall-clock timing in seconds.
now() { date +%s.%N; }
best() { # command...: the best of 3 runs, in seconds
	b=
	for _ in 1 2 3; do
		t0=$(now); "$@" > /dev/null; t1=$(now)
		b=$(echo "$t0 $t1 ${b:-999}" | awk '{ d = $2 - $1; printf "%.4f", d < $3 ? d : $3 }')
	done
	echo "$b"
}
timed() { # N command...: seconds for N runs, each one's output and failure ignored
	n=$1; shift
	t0=$(now)
	i=0
	while [ $i -lt "$n" ]; do "$@" > /dev/null 2>&1 || true; i=$((i + 1)); done
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.4f", $2 - $1 }'
}
