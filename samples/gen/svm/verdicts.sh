#!/bin/sh
# The nested-SVM differential run: every per-rule case of
# tests/data/svm-check-cases.txt through a real VMRUN by L1, under real KVM
# (Debian's kernel as L0 in QEMU's TCG), and what KVM did with each, as
# JSON.  One QEMU boot (about a minute).  See samples/README.md.
# usage: verdicts.sh KERNEL OUT.json
set -eu
: "${2:?usage: verdicts.sh KERNEL OUT.json}"
OUTFILE=$2
set -- "$1"
. "$(dirname "$0")/common.sh"
verdicts_boot "$OUTFILE"
echo "== done ($(now) s): $OUTFILE"
