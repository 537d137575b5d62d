#!/bin/sh
# nestscope triage against a crash session that prints the same (start
# crash on the dump with the debuginfo, load the extension and the modules'
# symbols, `kvm -v`, `vmcs12 -a`), on the same bundled real dump, each run N
# times; printed as a ratio (crash's time over triage's).  Triage is timed
# with the bundled profile and with the real debuginfo (DWARF read each run).
# usage: triage_vs_crash.sh [N]
set -eu
N=${1:-5}
BUILD=${BUILD:-build}
kver=6.1.0-56-amd64
dump=samples/$kver/dump/vmcore.kdump
. bench/debuginfo.sh
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'extend %s\nmod -S %s\nkvm -v\nvmcs12 -a\nq\n' "$BUILD/nestscope.so" "$mods" > "$T/cmds"

. bench/timing.sh
crash_session() { crash -s "$vmlinux" "$dump" < "$T/cmds"; }
dbgroot=$(dirname "$(dirname "$(dirname "$(dirname "$(dirname "$vmlinux")")")")")

# the crash session must print what triage reports: the vmcs12 of each vCPU
crash_session 2>/dev/null | grep -c 'GUEST_RIP' > "$T/n"
[ "$(cat "$T/n")" -ge 3 ] || { echo "crash session printed no vmcs12: $(cat "$T/n")"; exit 1; }

c=$(timed "$N" crash_session)
p=$(timed "$N" "$BUILD/nestscope" triage "$dump")
d=$(timed "$N" "$BUILD/nestscope" triage --debuginfo "$dbgroot" "$dump")
echo "$N runs on $dump: crash session ${c}s, triage (bundled profile) ${p}s, triage (real debuginfo) ${d}s"
echo "$c $p $d" | awk '{ printf "triage is %.0fx faster than crash with the bundled profile (goal 10x), %.1fx with the debuginfo\n", $1 / $2, $1 / $3 }'
