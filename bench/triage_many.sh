#!/bin/sh
# nestscope triage's cost per vCPU as the number of VMs grows: 1, 4 and 17
# VMs, all from the same memory (the many-VMs dump) and measured in this run;
# bench/triage_many.py says how.  Needs the many-VMs sample (make
# samples-many KERNEL=6.1.0-56-amd64) and valgrind (exact instruction counts;
# CPU time, the least of N runs, is printed for the two kdumps as they are).
# usage: triage_many.sh [N]
set -eu
N=${1:-10}
BUILD=${BUILD:-build}
kver=6.1.0-56-amd64
[ -e "samples/many-vms/$kver/manifest.json" ] || { echo "no samples/many-vms/$kver: make samples-many KERNEL=$kver"; exit 1; }
make -s BUILD="$BUILD" "$BUILD/nestscope" "$BUILD/bench/vmlist_cut"
exec /usr/bin/python3 bench/triage_many.py "$BUILD/nestscope" "$BUILD/bench/vmlist_cut" "$kver" "$N"
