#!/bin/sh
# `nestscope fields` lists every field of the catalog, those KVM's vmcs12
# lacks included, each with where vmcs12 keeps it (offsets from the kernel's
# DWARF, tests/data/pahole-vmcs12-6.1.0-56.txt).
set -eu
NS=${NESTSCOPE:-build/nestscope}
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
fail=0
"$NS" fields > "$OUT"

# one row per catalog field, plus the heading
rows=$(($(wc -l < "$OUT") - 1))
defined=$(grep -c '^FIELD(' decoders/sdm/fields.def)
[ "$rows" -eq "$defined" ] || { echo "FAIL $rows rows for $defined catalog fields"; fail=1; }

# every Linux field is listed under its encoding and name
grep -v '^#' tests/data/linux-vmcs-fields.txt | while read -r name enc; do
	awk -v n="$name" -v e="$enc" '$1 == e && $2 == n { f = 1 } END { exit !f }' "$OUT" ||
		{ echo "FAIL $name $enc not listed"; exit 1; }
done || fail=1

# vmcs12 offsets agree with the kernel's own layout for fields vmcs12 has
for m in guest_rip:GUEST_RIP host_cr3:HOST_CR3 pin_based_vm_exec_control:PIN_BASED_VM_EXEC_CONTROL \
	 virtual_processor_id:VIRTUAL_PROCESSOR_ID guest_pml_index:GUEST_PML_INDEX tsc_multiplier:TSC_MULTIPLIER; do
	member=${m%%:*}; name=${m#*:}
	want=$(awk -v m="$member;" '$2 == m { print $4 }' tests/data/pahole-vmcs12-6.1.0-56.txt)
	got=$(awk -v n="$name" '$2 == n { print $5 }' "$OUT")
	[ "$want" = "$got" ] && echo "ok   $name at $got" || { echo "FAIL $name: listed at '$got', kernel says '$want'"; fail=1; }
done

# fields the SDM defines and vmcs12 lacks are listed, marked '-'
for name in PLE_GAP PLE_WINDOW TERTIARY_VM_EXEC_CONTROL IO_RCX IO_RIP GUEST_IA32_PKRS HLAT_PREFIX_SIZE \
	    PCONFIG_EXITING_BITMAP ENCLV_EXITING_BITMAP GUEST_IA32_FRED_CONFIG SHARED_EPT_POINTER NOTIFY_WINDOW; do
	col=$(awk -v n="$name" '$2 == n { print $5 }' "$OUT")
	[ "$col" = "-" ] && echo "ok   $name listed, not in vmcs12" || { echo "FAIL $name: '$col'"; fail=1; }
done
# the nested CET fields sit in the block only newer kernels fill
col=$(awk '$2 == "GUEST_S_CET" { print $5 }' "$OUT")
[ "$col" = "cet@704" ] && echo "ok   GUEST_S_CET cet@704" || { echo "FAIL GUEST_S_CET: '$col'"; fail=1; }

# --high lists the HIGH half of every 64-bit field, at encoding|1
highs=$("$NS" fields --high | grep -c 'HIGH half of')
w64=$(grep -c '^FIELD([^)]*W64' decoders/sdm/fields.def)
[ "$highs" -eq "$w64" ] && echo "ok   $highs HIGH halves" || { echo "FAIL $highs HIGH halves for $w64 64-bit fields"; fail=1; }
"$NS" fields --high 0x2010 | grep -q '^0x2011 .*HIGH half of TSC_OFFSET' || { echo "FAIL TSC_OFFSET_HIGH"; fail=1; }
exit $fail
