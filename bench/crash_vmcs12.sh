#!/bin/sh
# `vmcs12` against crash's own `struct vmcs12 ADDR`, in one crash session on
# a bundled real dump: each command N times, timed with shell escapes between
# the batches, reported as a ratio.  Ours walks vm_list to find the vCPU and
# decodes every field symbolically; crash's prints the raw struct.
# usage: crash_vmcs12.sh [N]
set -eu
N=${1:-200}
BUILD=${BUILD:-build}
mf=$(ls samples/*/manifest.json | tail -1)
dir=$(dirname "$mf")
kver=$(basename "$dir")
set -- $(/usr/bin/python3 -c "
import json, sys
m = json.load(open(sys.argv[1]))
vm = [v for v in m['dump']['vms'] if v['moment']['moment'] == 'nosync'][0]
print(m['dump']['file'], vm['pid'])" "$mf")
dump=$dir/$1 pid=$2
. bench/debuginfo.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# the address of the vCPU's cached_vmcs12, for crash's own command
printf 'extend %s\nmod -S %s\nkvm -v -j\n' "$BUILD/nestscope.so" "$mods" > "$T/find"
addr=$(crash -s "$vmlinux" "$dump" < "$T/find" 2>/dev/null | grep '^{' | /usr/bin/python3 -c "
import json, sys
d = json.loads(sys.stdin.read())
print([c['cached_vmcs12'] for v in d['vms'] if v['pid'] == $pid for c in v['vcpus']][0])")

{
	printf 'extend %s\nmod -S %s\n' "$BUILD/nestscope.so" "$mods"
	echo "vmcs12 $pid:0 > /dev/null"          # warm both paths once
	echo "struct vmcs12 $addr > /dev/null"
	echo '!date +%s.%N'
	i=0; while [ $i -lt "$N" ]; do echo "struct vmcs12 $addr > /dev/null"; i=$((i + 1)); done
	echo '!date +%s.%N'
	i=0; while [ $i -lt "$N" ]; do echo "vmcs12 $pid:0 > /dev/null"; i=$((i + 1)); done
	echo '!date +%s.%N'
} > "$T/bench"
crash -s "$vmlinux" "$dump" < "$T/bench" 2>/dev/null | grep -E '^[0-9]+\.[0-9]+$' > "$T/times"
/usr/bin/python3 - "$T/times" "$N" "$kver" <<'PY'
import sys
t = [float(x) for x in open(sys.argv[1]).read().split()]
n = int(sys.argv[2])
base, ours = (t[1] - t[0]) / n, (t[2] - t[1]) / n
print(f"crash on the {sys.argv[3]} dump, {n} runs each, one session:")
print(f"  struct vmcs12 ADDR (baseline)   {base * 1e3:8.3f} ms")
print(f"  vmcs12 PID:0 (nestscope)        {ours * 1e3:8.3f} ms   {ours / base:.2f} x baseline")
PY
