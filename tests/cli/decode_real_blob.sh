#!/bin/sh
# `nestscope decode` on the real blob taken while L2 ran: the values it prints
# must be the ones the harness wrote and saw (its log and VMWRITE table).
set -eu
NS=${NESTSCOPE:-build/nestscope}
DIR=samples/blobs/basic
LOG=$DIR/harness-output.txt
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
fail=0

"$NS" decode "$DIR/nested_l2_guestmode_1.bin" > "$OUT"

# expected values, from the harness
regs=$(sed -n '/^\[l2_guestmode_1\] wrote/{n;p;}' "$LOG")
rip=$(echo "$regs" | sed 's/.*rip=\(0x[0-9a-f]*\).*/\1/')
cr3=$(echo "$regs" | sed 's/.*cr3=\(0x[0-9a-f]*\).*/\1/')
pin=$(sed -n 's/^controls: pin=\(0x[0-9a-f]*\).*/\1/p' "$LOG")
cs_ar=$(awk '$1 == "0x4816" { print $2 }' "$DIR/vmwrites.txt")
hdr=$(grep '^\[l2_guestmode_1\] nested_state:' "$LOG")
vmxon=$(echo "$hdr" | sed 's/.*vmxon_pa=\(0x[0-9a-f]*\).*/\1/')
vmcs12=$(echo "$hdr" | sed 's/.*vmcs12_pa=\(0x[0-9a-f]*\).*/\1/')
flags=$(echo "$hdr" | sed 's/.*flags=\(0x[0-9a-f]*\) format.*/\1/')

expect() { # description, awk condition over the output
	if awk "$2 { found = 1 } END { exit !found }" "$OUT"; then
		echo "ok   $1"
	else
		echo "FAIL $1"; fail=1
	fi
}
# the value column of the output line whose first word is $1
value() { awk -v k="$1" '$1 == k { print $2; exit }' "$OUT"; }
same() { # description, printed value, expected value
	if [ -n "$2" ] && [ $(($2)) -eq $(($3)) ]; then echo "ok   $1"; else echo "FAIL $1: printed '$2'"; fail=1; fi
}

same "guest RIP $rip" "$(value GUEST_RIP)" "$rip"
same "guest CR3 $cr3" "$(value GUEST_CR3)" "$cr3"
same "pin-based controls $pin" "$(value PIN_BASED_VM_EXEC_CONTROL)" "$pin"
expect "pin-based default1 bits named" '$1 == "PIN_BASED_VM_EXEC_CONTROL" && /default1=0x16\(b1 b2 b4: reserved, always 1\)/'
same "guest CS access rights $cs_ar" "$(awk '$1 == "CS" { sub("attr=", "", $3); print $3 }' "$OUT")" "$cs_ar"
expect "guest CS access rights decoded" '$1 == "CS" && /type=0xb\(code XR accessed\) S dpl=0 P L G/'
same "header flags $flags" "$(value flags)" "$flags"
expect "header flag named GUEST_MODE" '$1 == "flags" && $3 == "GUEST_MODE"'
same "vmxon_pa $vmxon" "$(value vmxon_pa)" "$vmxon"
same "vmcs12_pa $vmcs12" "$(value vmcs12_pa)" "$vmcs12"
expect "four sections in dump_vmcs order" '/\*\*\* Guest State/ { g = NR } /\*\*\* Host State/ && g { h = NR } /\*\*\* Control State/ && h { c = NR } /\*\*\* VM-Exit Information/ && c'
# zero fields are hidden, and shown with --all
if grep -q '^  PLE_GAP\|^  TPR_THRESHOLD' "$OUT"; then echo "FAIL zero field shown"; fail=1; fi
if ! "$NS" decode --all "$DIR/nested_l2_guestmode_1.bin" | grep -q '^  TPR_THRESHOLD '; then
	echo "FAIL --all does not show zero fields"; fail=1
fi
# a section filter shows only that section
if "$NS" decode -H "$DIR/nested_l2_guestmode_1.bin" | grep -q 'Guest State\|GUEST_RIP'; then
	echo "FAIL -H shows the guest section"; fail=1
fi
exit $fail
