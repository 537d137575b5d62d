#!/bin/sh
# nestscope triage on an AMD host's dump (nested SVM) against a crash
# session that prints the same (start crash on the dump with the
# debuginfo, load the extension and the modules' symbols, `kvm -v`, then
# vmcb12 and vmcb02 of every VM), on the bundled real SVM dump, each run N
# times; printed as a ratio (crash's time over triage's).  Triage on the
# VMX dump of the same kernel is the other baseline: what an AMD host's
# triage costs against an Intel host's, per dump.
# usage: triage_svm.sh [N]
set -eu
N=${1:-5}
BUILD=${BUILD:-build}
kver=6.1.0-56-amd64
dump=samples/svm/$kver/dump/vmcore.kdump
vmx_dump=samples/$kver/dump/vmcore.kdump
. bench/debuginfo.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
# the VMs the generator left in L2, from its manifest (not from nestscope)
pids=$(/usr/bin/python3 -c 'import json, sys
print(" ".join(str(v["pid"]) for v in json.load(open(sys.argv[1]))["dump"]["vms"]))' "samples/svm/$kver/manifest.json")
{
	printf 'extend %s\nmod -S %s\nkvm -v\n' "$BUILD/nestscope.so" "$mods"
	for p in $pids; do printf 'vmcb12 %s\nvmcb02 %s\n' "$p" "$p"; done
	printf 'q\n'
} > "$T/cmds"

. bench/timing.sh
crash_session() { crash -s "$vmlinux" "$dump" < "$T/cmds"; }

# the crash session must print what triage reports: every VM's vmcb12 and vmcb02
want=$(($(echo "$pids" | wc -w) * 2))
crash_session 2>/dev/null | grep -c '^VMCB Control Area' > "$T/n" || true
[ "$(cat "$T/n")" -ge "$want" ] || { echo "crash session printed $(cat "$T/n") VMCBs, not $want"; exit 1; }
"$BUILD/nestscope" triage "$dump" > "$T/triage" || { echo "triage failed on $dump"; exit 1; }

c=$(timed "$N" crash_session)
p=$(timed "$N" "$BUILD/nestscope" triage "$dump")
v=$(timed "$N" "$BUILD/nestscope" triage "$vmx_dump")
echo "$N runs: crash session on $dump ${c}s, triage ${p}s; triage on $vmx_dump ${v}s"
echo "$c $p $v" | awk '{ printf "on the AMD host triage is %.0fx faster than crash; it costs %.2fx the Intel host dump'"'"'s triage\n", $1 / $2, $2 / $3 }'
