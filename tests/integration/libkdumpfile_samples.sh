#!/bin/sh
# Each bundled dump opens in libkdumpfile (the library triage builds on): a
# kdump-compressed x86_64 dump of the manifest's kernel, and through its
# address translation vm_list (the address the harness read from
# /proc/kallsyms) is a non-empty list: the harness's VMs are on it.
set -eu
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cc -O2 -Wall -o "$T/kdump_read" tests/integration/kdump_read.c $(pkg-config --cflags --libs libkdumpfile)
fail=0
for mf in samples/*/manifest.json; do
	dir=$(dirname "$mf")
	set -- $(/usr/bin/python3 -c "
import json, sys
m = json.load(open(sys.argv[1]))
vm = m['dump']['vms'][0]
print(m['dump']['file'], m['kernel']['release'],
      [s['address'] for s in vm['kernel_symbols'] if s['name'] == 'vm_list'][0])" "$mf")
	"$T/kdump_read" "$dir/$1" "$3" > "$T/out" || { fail=1; continue; }
	release=$(sed -n 's/^release //p' "$T/out")
	next=$(sed -n 's/^vm_list.next //p' "$T/out")
	if grep -qx 'format diskdump' "$T/out" && grep -qx 'arch x86_64' "$T/out" && [ "$release" = "$2" ] &&
	   [ "$next" != "$3" ] && [ "${next#0xffff}" != "$next" ]; then
		echo "ok   $dir: libkdumpfile reads a diskdump of $release; vm_list at $3 -> $next"
	else
		echo "FAIL $dir: $(tr '\n' ' ' < "$T/out") (manifest: release $2, vm_list $3)"; fail=1
	fi
done
exit $fail
