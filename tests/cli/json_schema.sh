#!/bin/sh
# Every --json output validates against its schema in docs/json-schema/:
# all real blobs (with and without --all), a raw vmcs12, SVM blobs and VMCB pages, a
# vmcs12 with findings, and the fields and explain documents.
set -eu
NS=${NESTSCOPE:-build/nestscope}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
for b in samples/blobs/*/*.bin; do
	n=$((n + 1))
	"$NS" decode --json "$b" > "$T/d$n.json"
	"$NS" decode --json --all "$b" > "$T/a$n.json"
done
tail -c 4096 samples/blobs/rich/nested_final.bin > "$T/vmcs12.raw"
"$NS" decode --json "$T/vmcs12.raw" > "$T/raw.json"
/usr/bin/python3 - "$T" <<'PY'
import sys
d = sys.argv[1]
b = bytearray(open('samples/blobs/basic/nested_l2_guestmode_1.bin', 'rb').read())
s = bytearray(b); s[2] = 1                      # SVM format
open(d + '/svm.bin', 'wb').write(s)
f = bytearray(b); f[128 + 3] |= 0x80; f[128 + 20] = 1; f[128 + 700] = 1   # shadow bit, padding, CET block
open(d + '/findings.bin', 'wb').write(f)
PY
"$NS" decode --json "$T/svm.bin" > "$T/svm.json"
"$NS" decode --json "$T/findings.bin" > "$T/findings.json"
"$NS" decode --json -g -x "$T/findings.bin" > "$T/sections.json"
# AMD SVM: a blob in guest mode (its VMCB), one written outside guest mode (none), a raw VMCB page
for k in samples/svm/*/blobs/rich; do
	n=$((n + 1))
	"$NS" decode --json "$k/02-nested-state.bin" > "$T/svm-l2-$n.json"
	"$NS" decode --json "$k/04-nested-state.bin" > "$T/svm-l1-$n.json"
	"$NS" decode --json --all --format vmcb "$k/02-vmcb02.bin" > "$T/svm-vmcb-$n.json"
	"$NS" decode --json -c --format vmcb "$k/02-vmcb12.bin" > "$T/svm-ctl-$n.json"
done
/usr/bin/python3 tests/cli/validate_json.py nestscope/decode/2 "$T"/*.json
"$NS" fields --json > "$T/fields.json"
"$NS" fields --json --high GUEST > "$T/fields-guest.json"
/usr/bin/python3 tests/cli/validate_json.py nestscope/fields/1 "$T/fields.json" "$T/fields-guest.json"
"$NS" explain --json exit-reason 0x80000021 > "$T/e1.json"
"$NS" explain --json procbased-msr 0xf7f9fffe04006172 > "$T/e2.json"
"$NS" explain --json GUEST_CR0 0x80000033 > "$T/e3.json"
"$NS" explain --json exit-qual 0x100048 > "$T/e4.json"
"$NS" explain --json EXIT_INFO_1 0x800010 --exit-code 0x7b > "$T/e5.json"   # a VMCB field (AMD SVM)
/usr/bin/python3 tests/cli/validate_json.py nestscope/explain/1 "$T"/e*.json
for d in samples/*/dump/vmcore.kdump; do
	n=$((n + 1))
	"$NS" triage --json "$d" > "$T/t$n.json"
	"$NS" scan --json "$d" > "$T/s$n.json"
	"$NS" kvm "$d" -j > "$T/k$n.json"
	"$NS" kvm "$d" -v -j > "$T/kv$n.json"
done
"$NS" scan --json samples/6.1.0-56-amd64/rich/l1-memory-after_vmclear.img.gz > "$T/s-l1.json"
/usr/bin/python3 tests/cli/validate_json.py nestscope/triage/2 "$T"/t[0-9]*.json
/usr/bin/python3 tests/cli/validate_json.py nestscope/kvm/2 "$T"/k[0-9]*.json "$T"/kv[0-9]*.json
/usr/bin/python3 tests/cli/validate_json.py nestscope/scan/2 "$T"/s[0-9]*.json "$T/s-l1.json"

# the schema is not a rubber stamp: a document with a wrong type must fail
/usr/bin/python3 -c "
import json; d = json.load(open('$T/d1.json')); d['reports'][0]['vmcs'] = 'oops'; json.dump(d, open('$T/bad.json', 'w'))"
if /usr/bin/python3 tests/cli/validate_json.py nestscope/decode/2 "$T/bad.json" > /dev/null; then
	echo "FAIL: an invalid document validated"; exit 1
fi
# nor for triage/2 and kvm/2: triage/1's space-joined field list, a count of no class, kvm/1's exit_reason string
/usr/bin/python3 -c "
import json
d = json.load(open('$T/t$n.json'))
v = next(v for vm in d['vms'] for v in vm['vcpus'] if 'vs_vmcs02' in v)
v['vs_vmcs02']['stale_fields'] = ' '.join(v['vs_vmcs02']['stale_fields'])
json.dump(d, open('$T/bad-t.json', 'w'))
# diff_counts.counts is keyed by a difference's class: no other key
d = json.load(open('$T/t$n.json'))
v = next(v for vm in d['vms'] for v in vm['vcpus'] if 'vs_vmcs02' in v)
v['vs_vmcs02']['counts']['stale_count'] = 1
json.dump(d, open('$T/bad-c.json', 'w'))
k = json.load(open('$T/kv$n.json'))
k['vms'][0]['vcpus'][0]['exit_reason'] = '0x1e'
json.dump(k, open('$T/bad-k.json', 'w'))"
for bad in bad-t:triage/2 bad-c:triage/2 bad-k:kvm/2; do
	if /usr/bin/python3 tests/cli/validate_json.py "nestscope/${bad#*:}" "$T/${bad%%:*}.json" > /dev/null; then
		echo "FAIL: an invalid nestscope/${bad#*:} document validated"; exit 1
	fi
done

# nestscope check: a passing and a failing vmcs12
"$NS" check --json samples/blobs/rich/nested_l2_guestmode_1.bin > "$T/c1.json" || true
"$NS" check --json samples/blobs/rich/nested_after_vmptrld.bin > "$T/c2.json" || true
/usr/bin/python3 tests/cli/validate_json.py nestscope/checks/3 "$T/c1.json" "$T/c2.json"
# on AMD: a real SVM blob (save area not judged), real vmcb12 pages with and without L1's CPUID, and a failing one
S=samples/svm/6.1.0-56-amd64/blobs/rich
"$NS" check --json "$S/02-nested-state.bin" > "$T/v1.json"
"$NS" check --json -f vmcb "$S/01-vmcb12.bin" > "$T/v2.json"
"$NS" check --json -f vmcb -c "$S/cpuid.txt" "$S/01-vmcb12.bin" > "$T/v3.json"
/usr/bin/python3 -c "
import sys; b = bytearray(open('$S/01-vmcb12.bin', 'rb').read()); b[0x58:0x5c] = bytes(4)   # ASID 0
open('$T/asid0.bin', 'wb').write(b)"
"$NS" check --json -f vmcb -c "$S/cpuid.txt" "$T/asid0.bin" > "$T/v4.json" || true
/usr/bin/python3 tests/cli/validate_json.py nestscope/svm-checks/1 "$T"/v[1-4].json
/usr/bin/python3 -c "
import json; d = json.load(open('$T/v4.json')); d['results'][0]['verdict'] = 'FAIL'; json.dump(d, open('$T/bad-v.json', 'w'))"
if /usr/bin/python3 tests/cli/validate_json.py nestscope/svm-checks/1 "$T/bad-v.json" > /dev/null; then
	echo "FAIL: an invalid nestscope/svm-checks/1 document validated"; exit 1
fi
