"""The SVM rules' KVM column against the samples' real kvm-amd.ko.

KVM's nested VMRUN makes each consistency check through CC()
(KVM_NESTED_VMENTER_CONSISTENCY_CHECK), which keeps the condition's source
text as a string for its tracepoint: the module itself lists what that kernel
checks.  For each kernel of samples/svm/ whose debuginfo package (the
unstripped kvm-amd.ko) can be had, every such condition on vmcb12 (its
control or save area, or the CR3 nested_svm_load_cr3 loads) must be quoted
verbatim by some rule's kvm_check, so that no check KVM makes is missing from
decoders/svm/checks.def.

usage: svm_kvm_checks.py NESTSCOPE SAMPLES CACHE
"""
import json
import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import itest  # noqa: E402

nestscope, samples, cache = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
check = itest.Checks()

# every rule's KVM column, from the document a check prints (any vmcb12 page will do)
page = next(samples.glob("svm/*/blobs/rich/01-vmcb12.bin"))
doc = json.loads(subprocess.run([nestscope, "check", "--json", "-f", "vmcb", str(page)], capture_output=True,
                                text=True, check=True).stdout)
kvm_texts = {r["id"]: r["kvm_check"] for r in doc["results"]}

# a CC() condition on vmcb12: it names the cached save or control area, or the CR3 being loaded
CONDITION = re.compile(rb"[ -~]*(?:save->|control->|\(control, |\(vcpu, cr3\))[ -~]*")

for kver in sorted(p.parent.name for p in samples.glob("svm/*/manifest.json")):
    found = itest.debuginfo(kver, cache)
    ko = found and next(pathlib.Path(found[1]).rglob("kvm-amd.ko"), None)
    if not ko:
        print(f"note: no kvm-amd.ko debuginfo for {kver} any more; skipped")
        continue
    conds = sorted({m.group(0).decode() for m in CONDITION.finditer(ko.read_bytes())})
    check(len(conds) >= 10, f"{kver}: kvm-amd.ko holds {len(conds)} consistency-check conditions on vmcb12")
    for cond in conds:
        rules = [rid for rid, text in kvm_texts.items() if cond in text]
        check(bool(rules), f"{kver}: KVM's check '{cond}' is quoted by {', '.join(rules) or 'no rule'}")
check.finish()
