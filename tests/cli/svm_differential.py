#!/usr/bin/python3
"""The nested-SVM differential corpus: what real KVM did with each case of
tests/data/svm-check-cases.txt (samples/svm/<kernel>/verdicts.json, made by
samples/gen/svm/verdicts.sh: L1's VMRUN of the case's vmcb12 under KVM in
QEMU's TCG) against a prediction of the APM's verdict.

KVM's outcome: "invalid" (the first #VMEXIT was VMEXIT_INVALID: the VMRUN
consistency checks refused the vmcb12) is a failing case; "ran" (L2 ran:
another exit code, or the vCPU left in L2) a passing one.  A case that shut
down or hung in L1 says nothing about VMRUN's checks and is left out.

The prediction comes from predict(): `nestscope` (the default) runs
nestscope's own APM checks (`nestscope check -f vmcb`) on the case's vmcb12
(the rich configuration's page of that kernel, the case's writes at the VMCB
table's offsets) against what the run recorded of L1 (verdicts.json's cpuid,
whose leaf 80000008h gives MAXPHYADDR): a case is predicted to fail when any
rule fails.  `file` takes the case file's own pass/fail instead (how KVM
follows the APM as the case's author read it).  A case whose tokens the run
cannot realise (caps:..., L1's CPUID being what it was) is left out.

Each disagreement must be listed in docs/check-deviations.md (its SVM
section, a row "| `svm RULE TOKENS` |") with the APM text and the kernel
source that explains it.  A refusal with only EXITCODE's low half set came
from the emulated CPU, not from KVM's own checks (docs/check-deviations.md):
counted and shown apart.

usage: svm_differential.py [--predict=NAME] [NESTSCOPE]    NAME: one of PREDICTORS (nestscope, file)
"""
import collections
import json
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "samples" / "gen" / "svm"))
import cases  # noqa: E402  (samples/gen/svm/cases.py: the case file's parser)

CASES = ROOT / "tests" / "data" / "svm-check-cases.txt"
DEVIATIONS = ROOT / "docs" / "check-deviations.md"
LOW32 = (1 << 32) - 1
KVM_SAYS = {"invalid": "fail", "ran": "pass"}


def predict_from_file(case, run):
    """The case file's own expectation (the APM's verdict as its author read it)."""
    return case["expect"]


NESTSCOPE = str(ROOT / "build" / "nestscope")
TMP = pathlib.Path(tempfile.mkdtemp())


FIELDS = cases.field_table(str(ROOT / "decoders" / "include" / "nestscope" / "vmcb_fields.def"))


def l1_cpuid(run):
    """L1's whole CPUID as a caps file: the harness gives every VM the same KVM_SET_CPUID2 (svmharness.c's
    setup_cpuid), which the sample run of the rich configuration wrote out whole (cpuid.txt); the verdicts run
    recorded leaves 80000008h and 8000000Ah of it, which must be the same."""
    text = (ROOT / "samples" / "svm" / run["kernel"] / "blobs" / "rich" / "cpuid.txt").read_text()
    have = {(int(w[1], 0), int(w[2], 0)): [int(x, 0) for x in w[3:7]]
            for w in (line.split() for line in text.splitlines()) if len(w) == 7 and w[0] == "cpuid"}
    for c in run["cpuid"]:
        leaf = (int(c["function"], 0), int(c["index"], 0))
        if have.get(leaf) != [int(c[r], 0) for r in ("eax", "ebx", "ecx", "edx")]:
            sys.exit(f"svm_differential.py: {run['kernel']}: the verdicts run's CPUID leaf {leaf[0]:#x} is not the "
                     "sample run's (regenerate both with make samples-svm)")
    return text


def predict_nestscope(case, run):
    """nestscope check's verdict on the case's vmcb12 against L1's recorded CPUID: fail when a rule fails."""
    base = ROOT / "samples" / "svm" / run["kernel"] / "blobs" / "rich" / "01-vmcb12.bin"
    page = bytearray(base.read_bytes())
    # the same writes L1 made in the run (cases.py: --kvm=, --quirk-off= and caps: are not writes)
    for off, size, value in cases.writes(str(CASES), case["line"], case["tokens"], FIELDS):
        page[off:off + size] = value.to_bytes(size, "little")
    (TMP / "vmcb12.bin").write_bytes(bytes(page))
    (TMP / "caps.txt").write_text(l1_cpuid(run))
    r = subprocess.run([NESTSCOPE, "check", "--json", "-f", "vmcb", "-c", str(TMP / "caps.txt"), str(TMP / "vmcb12.bin")],
                       capture_output=True, text=True)
    if r.returncode not in (0, 3):
        sys.exit(f"nestscope check: exit {r.returncode}: {r.stderr.strip()}")
    return "fail" if any(x["verdict"] == "fail" for x in json.loads(r.stdout)["results"]) else "pass"


PREDICTORS = {"nestscope": predict_nestscope, "file": predict_from_file}


def family(rule):
    """save, ctrl or vmrun: svm.save.efer.svme is a save-area rule."""
    parts = rule.split(".")
    return parts[1] if parts[0] == "svm" and len(parts) > 1 else parts[0]


def key(rule, tokens):
    return f"svm {rule} {tokens}".strip()


def main():
    global NESTSCOPE
    name = "nestscope"
    for a in sys.argv[1:]:
        if a.startswith("--predict="):
            name = a.split("=", 1)[1]
        elif not a.startswith("-"):
            NESTSCOPE = a
        else:
            sys.exit(f"svm_differential.py: unknown argument {a}; usage: svm_differential.py [--predict=NAME] [NESTSCOPE]")
    if name not in PREDICTORS:
        sys.exit(f"svm_differential.py: no predictor {name} (there are: {', '.join(PREDICTORS)})")
    predict = PREDICTORS[name]
    documented = set(re.findall(r"^\| `(svm [^`]*)`", DEVIATIONS.read_text(), re.M))
    listed = [{"line": n, "rule": r, "expect": e, "tokens": t} for n, r, e, t, _ in cases.load(str(CASES))]
    runs = sorted((ROOT / "samples" / "svm").glob("*/verdicts.json"))
    if not runs:
        print("FAIL no samples/svm/*/verdicts.json (samples/gen/svm/verdicts.sh)")
        return 1
    total = agree = 0
    per_family, agree_family = collections.Counter(), collections.Counter()
    undocumented, deviating, by_cpu, left_out, not_run = [], [], [], [], []
    for vf in runs:
        kernel = vf.parent.name
        run = json.loads(vf.read_text())
        recorded = {(v["rule"], v["tokens"]): v for v in run["verdicts"]}
        for case in listed:
            v = recorded.get((case["rule"], case["tokens"]))
            if v is None:
                not_run.append(f"{kernel} line {case['line']}")
                continue
            if v["outcome"] not in KVM_SAYS:
                left_out.append(f"{kernel} line {case['line']} ({v['outcome']} in L1)")
                continue
            if "caps:" in case["tokens"]:
                left_out.append(f"{kernel} line {case['line']} (caps: L1's CPUID was the run's)")
                continue
            want, got = predict(case, run), KVM_SAYS[v["outcome"]]
            total += 1
            per_family[family(case["rule"])] += 1
            if v["outcome"] == "invalid" and int(v["exit_code"], 0) == LOW32:
                by_cpu.append(f"{kernel} line {case['line']} {key(case['rule'], case['tokens'])}")
            if want == got:
                agree += 1
                agree_family[family(case["rule"])] += 1
                continue
            k = key(case["rule"], case["tokens"])
            print(f"{kernel} line {case['line']} ({k}): predicted {want}, KVM: {v['outcome']}"
                  f" ({v.get('exit_name', v.get('end'))})")
            (deviating if k in documented else undocumented).append(f"{kernel}: {k}")
    fams = sorted(per_family, key=lambda f: ("vmrun", "ctrl", "save").index(f) if f in ("vmrun", "ctrl", "save") else 9)
    rate = 100.0 * agree / total if total else 0.0
    print(f"svm differential ({name} predictions, {len(runs)} kernels): {total} cases, {agree} agree ({rate:.1f}%), "
          f"{len(deviating)} documented deviations; by family: "
          + ", ".join(f"{f} {agree_family[f]}/{per_family[f]}" for f in fams))
    if by_cpu:
        print(f"refused by the emulated CPU, not by KVM (EXITCODE's low half only): {len(by_cpu)}: " + "; ".join(by_cpu))
    if left_out:
        print(f"left out ({len(left_out)}): " + "; ".join(left_out))
    if not_run:
        print(f"{len(not_run)} case runs not recorded (a case added after the run): regenerate verdicts.json")
    if undocumented:
        print("FAIL disagreements not explained in docs/check-deviations.md: " + "; ".join(undocumented))
    ok = total > 0 and not undocumented
    print(f"{1 if ok else 0} passed, {0 if ok else 1} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
