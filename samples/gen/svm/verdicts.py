#!/usr/bin/python3
"""Writes the nested-SVM differential run's verdicts.json: per case of the
case file (line number, rule, the file's pass/fail, its tokens) what real
KVM did with the VMRUN (svmharness's verdicts.txt), and the facts about L1
a prediction needs: its CPUID leaves 8000000Ah (SVM features) and 80000008h
(address sizes) as KVM_SET_CPUID2 gave them, and its EFER.

outcome: "invalid"   the first #VMEXIT was VMEXIT_INVALID (EXITCODE all ones, or
                     its low half alone: KVM's own checks on kernels whose
                     vmcb12 still has exit_code_hi write 0 there)
         "ran"       L2 ran: the first exit is another code (exit_code), or the
                     vCPU stopped in L2 (guest mode) before any exit reached L1
         "shutdown", "halt", "hang", "unexpected"  the vCPU shut down, halted,
                     made no progress or left KVM_RUN otherwise, in L1
                     (svmharness.c); "end" says how the case ended either way

usage: verdicts.py CASES_TXT HARNESS_OUT KVER QEMU_CPU SECONDS OUT.json
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
SVM_BITS = os.path.join(ROOT, "decoders", "include", "nestscope", "svm_bits.def")
LOW32 = (1 << 32) - 1
# the CPUID leaves the SVM checks depend on (APM vol. 3, appendix E)
LEAF_SVM, LEAF_ADDR = 0x8000000A, 0x80000008


def exit_names():
    names = {}
    for m in re.finditer(r'^SVM_EXIT\((0x[0-9a-fA-F]+),\s*\w+,\s*"(\w+)"\)', open(SVM_BITS).read(), re.M):
        names[int(m.group(1), 16)] = m.group(2)
    return names


def main():
    if len(sys.argv) != 7:
        sys.exit("usage: verdicts.py CASES_TXT HARNESS_OUT KVER QEMU_CPU SECONDS OUT.json")
    cases_txt, out, kver, cpu, seconds, json_path = sys.argv[1:]
    names = exit_names()
    invalid = max(k for k, v in names.items() if v == "VMEXIT_INVALID")
    hd = os.path.join(out, "verdicts")
    path = os.path.join(hd, "verdicts.txt")
    if not os.path.exists(path):
        sys.exit(f"verdicts.py: no {path}: the run ended early ({os.path.join(hd, 'harness.log')})")
    runs = [dict(kv.split("=", 1) for kv in line.split()) for line in open(path)]
    listed = cases.load(cases_txt)
    if len(runs) != len(listed):
        sys.exit(f"verdicts.py: {len(runs)} results for {len(listed)} cases")
    verdicts = []
    for (lineno, rule, want, tokens, _), r in zip(listed, runs):
        codes = [int(c, 16) for c in r["codes"].split(",") if c]
        v = {"case": int(r["case"]), "line": lineno, "rule": rule, "expect": want, "tokens": tokens, "end": r["end"]}
        if not codes:
            # nothing reached L1: VMRUN was accepted if the vCPU was left in L2
            v["outcome"] = "ran" if r.get("guest_mode") == "1" else r["end"]
        else:
            first = codes[0]
            v["outcome"] = "invalid" if first == invalid or first == invalid & LOW32 else "ran"
            v["exit_code"] = f"{first:#x}"
            v["exit_name"] = (names[invalid] + " (low half)" if first == invalid & LOW32
                              else names.get(first, "?"))
            v["exits"] = [f"{c:#x}" for c in codes]
            v["exit_info_1"], v["exit_info_2"], v["exit_int_info"] = r["info1"], r["info2"], r["intinfo"]
        if "rip" in r:  # where a shut-down or hung vCPU was
            v["stopped_at"] = {"guest_mode": int(r["guest_mode"]), "rip": r["rip"], "rax": r["rax"]}
        verdicts.append(v)
    cpuid = []
    for line in open(os.path.join(hd, "cpuid.txt")):
        f = line.split()
        if int(f[1], 16) in (LEAF_SVM, LEAF_ADDR):
            cpuid.append(dict(zip(("function", "index", "eax", "ebx", "ecx", "edx"),
                                  [f[1], f[2]] + f[3:7])))
    efer = open(os.path.join(hd, "l1-efer.txt")).read().split()[1]
    params = {}
    for line in open(os.path.join(out, "machine.txt")):
        f = line.split()
        if f and f[0] == "kvm_amd":
            params[f[1]] = f[2]
    doc = {"kernel": kver, "qemu_cpu": cpu, "cases_file": "tests/data/svm-check-cases.txt", "kvm_amd": params,
           "seconds": int(seconds), "cpuid": cpuid, "l1_efer": efer, "verdicts": verdicts}
    with open(json_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    counts = {}
    for v in verdicts:
        counts[v["outcome"]] = counts.get(v["outcome"], 0) + 1
    print(f"verdicts.py: {len(verdicts)} cases: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
