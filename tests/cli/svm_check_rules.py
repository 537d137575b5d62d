#!/usr/bin/python3
"""Each APM VMRUN rule on a passing and a violating vmcb12 (tests/data/svm-check-cases.txt).

Every case starts from a real vmcb12 that real KVM 6.1 accepted (the rich
configuration's page before VMRUN) and L1's real CPUID, and changes the fewest
fields; the rule must give the verdict the case names.  The fields' offsets
and sizes come from the VMCB table (vmcb_fields.def, the APM's appendix B,
checked against kvm-amd.ko's struct vmcb), a CPUID feature's bit from
decoders/sdm/cpuid.def.  Also: every field a rule reads is in that table, every real vmcb12 page of the samples passes
every rule, a real SVM blob judges its control area and leaves the save area
unjudged, and every rule has a passing and a failing case.

usage: svm_check_rules.py NESTSCOPE
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

ns = sys.argv[1]
SAMPLES = pathlib.Path("samples/svm")
BASE_DIR = SAMPLES / "6.1.0-56-amd64/blobs/rich"
base = (BASE_DIR / "01-vmcb12.bin").read_bytes()
base_cpuid = (BASE_DIR / "cpuid.txt").read_text()
SAVE = 0x400


def vmcb_fields():
    """NAME -> (offset from the VMCB's start, size), from the table itself."""
    text = pathlib.Path("decoders/include/nestscope/vmcb_fields.def").read_text()
    out = {}
    for name, area, off, size in re.findall(r"^VMCB_FIELD\((\w+),\s*(CTRL|SAVE),\s*(0x[0-9a-f]+),\s*(\d+),", text, re.M):
        out[name] = (int(off, 16) + (SAVE if area == "SAVE" else 0), int(size))
    # a segment's four parts (the VMCB_SEGMENT macro: selector, attrib, limit, base)
    for seg, off in re.findall(r"^VMCB_SEGMENT\((\w+),\s*\w+,\s*(0x[0-9a-f]+),", text, re.M):
        for part, (d, size) in {"SELECTOR": (0, 2), "ATTRIB": (2, 2), "LIMIT": (4, 4), "BASE": (8, 8)}.items():
            out[f"{seg}_{part}"] = (SAVE + int(off, 16) + d, size)
    return out


def cpuid_features():
    """NAME -> (function, index, register 0..3, bit) from decoders/sdm/cpuid.def."""
    text = pathlib.Path("decoders/sdm/cpuid.def").read_text()
    regs = {"EAX": 0, "EBX": 1, "ECX": 2, "EDX": 3}
    return {n: (int(f, 16), int(i), regs[r], int(b))
            for n, f, i, r, b in re.findall(r"^CPUID_BIT\((\w+),\s*(0x[0-9a-f]+),\s*(\d+),\s*(E[A-D]X),\s*(\d+)\)", text, re.M)}


FIELDS = vmcb_fields()
FEATURES = cpuid_features()


def mutate(muts):
    """The base page with FIELD=VALUE written, and the caps file's text with caps: tokens applied."""
    page, caps = bytearray(base), base_cpuid.split("\n")
    for m in muts.split():
        if m.startswith("--"):
            continue  # --kvm=, --quirk-off=: what a run on real KVM shows, not an input of the check
        key, _, val = m.partition("=")
        if key == "caps:clear":
            fn, idx, reg, bit = FEATURES[val]
            for i, line in enumerate(caps):
                w = line.split()
                if len(w) == 7 and w[0] == "cpuid" and int(w[1], 0) == fn and int(w[2], 0) == idx:
                    w[3 + reg] = hex(int(w[3 + reg], 0) & ~(1 << bit))
                    caps[i] = " ".join(w)
        elif key == "caps:maxphyaddr":
            caps.append(f"maxphyaddr {int(val, 0)}")
        else:
            off, size = FIELDS[key]
            page[off:off + size] = (int(val, 0) & ((1 << (8 * size)) - 1)).to_bytes(size, "little")
    return bytes(page), "\n".join(caps) + "\n"


def check(args):
    r = subprocess.run([ns, "check", "--json"] + args, capture_output=True, text=True)
    if r.returncode not in (0, 3):
        raise SystemExit(f"nestscope check {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    doc = json.loads(r.stdout)
    return doc, {x["id"]: x for x in doc["results"]}


failures, passed, seen = [], 0, {}
tmp = pathlib.Path(tempfile.mkdtemp())
for lineno, line in enumerate(pathlib.Path("tests/data/svm-check-cases.txt").read_text().split("\n"), 1):
    if not line.strip() or line.startswith("#"):
        continue
    parts = [p.strip() for p in line.split("|")]
    if len(parts) != 4 or parts[1] not in ("pass", "fail"):
        failures.append(f"line {lineno}: want 'RULE | pass|fail | FIELD=VALUE ... | words'")
        continue
    rule, want, muts, why = parts
    page, caps = mutate(muts)
    (tmp / "vmcb12.bin").write_bytes(page)
    (tmp / "caps.txt").write_text(caps)
    _, res = check(["-f", "vmcb", "-c", str(tmp / "caps.txt"), str(tmp / "vmcb12.bin")])
    seen.setdefault(rule, set()).add(want)
    got = res.get(rule)
    if got is None:
        failures.append(f"line {lineno}: no rule {rule}")
    elif got["verdict"] != want:
        failures.append(f"line {lineno}: {rule} gave {got['verdict']} ({got['message']}), want {want}: {why}")
    else:
        passed += 1
    # a case changes one rule's verdict: a passing case fails no rule at all
    if want == "pass" and got is not None and any(x["verdict"] == "fail" for x in res.values()):
        failures.append(f"line {lineno}: a passing case fails {[x['id'] for x in res.values() if x['verdict'] == 'fail']}")

# every rule has a passing and a failing case, but the one no input can fail
NO_FAIL = {"svm.ctrl.np_enable": "it fails only when L0 runs without npt_enabled, which L1's CPUID does not tell"}
# and none for the rule that reads L1's memory at CR3: on a page it is not applicable or not judged
NO_CASE = {"svm.save.cr3.pdptes"}
rules = subprocess.run([ns, "check", "--list"], capture_output=True, text=True, check=True).stdout.split("\n")
svm_rules = [w.split()[0] for w in rules if w.startswith("svm.")]
if len(svm_rules) < 20:
    failures.append(f"check --list lists {len(svm_rules)} svm.* rules")
for r in (r for r in svm_rules if r not in NO_CASE):
    want = {"pass"} if r in NO_FAIL else {"pass", "fail"}
    if not want <= seen.get(r, set()):
        failures.append(f"rule {r} lacks a passing or a failing case")

# every real vmcb12 page of the samples (before VMRUN, while L2 ran, after its exits) passes every rule
for page in sorted(SAMPLES.glob("*/blobs/*/[0-9][0-9]-vmcb12.bin")):
    if page.name.startswith("00-"):
        continue  # step 00: before L1 wrote a vmcb12 (all zeros)
    _, res = check(["-f", "vmcb", "-c", str(page.parent / "cpuid.txt"), str(page)])
    bad = [x["id"] for x in res.values() if x["verdict"] in ("fail", "not_judged")]
    if bad:
        failures.append(f"{page}: a vmcb12 real KVM ran gives {bad}")
    else:
        passed += 1

# PAE paging without nested paging: the PDPTE rule says what it needs, and passes nothing off as judged
page, caps = mutate("EFER=0x1000 CR4=0x20")
(tmp / "vmcb12.bin").write_bytes(page)
(tmp / "caps.txt").write_text(caps)
_, pae = check(["-f", "vmcb", "-c", str(tmp / "caps.txt"), str(tmp / "vmcb12.bin")])
if pae["svm.save.cr3.pdptes"]["verdict"] != "not_judged" or "PDPTEs" not in pae["svm.save.cr3.pdptes"]["message"]:
    failures.append(f"svm.save.cr3.pdptes with PAE paging: {pae['svm.save.cr3.pdptes']}")
else:
    passed += 1

# every field a rule says it reads is a field of the VMCB table
for x in res.values():
    unknown = [f for f in x["reads"] if f not in FIELDS]
    if unknown:
        failures.append(f"rule {x['id']} reads {unknown}, which vmcb_fields.def does not name")

# a real blob in guest mode: the control area judged, the save area (vmcb01's) not
blob = BASE_DIR / "02-nested-state.bin"
doc, res = check(["-c", str(BASE_DIR / "cpuid.txt"), str(blob)])
save = [x for x in res.values() if x["id"].startswith("svm.save.")]
ctrl = [x for x in res.values() if x["id"].startswith("svm.ctrl.")]
if doc["copy"]["name"] != "blob_vmcb12" or not doc["save_area_not_judged"]:
    failures.append(f"{blob}: not read as a blob's vmcb12 with its save area unjudged")
if not save or any(x["verdict"] != "not_judged" for x in save):
    failures.append(f"{blob}: save-area rules judged on vmcb01's save area")
if any(x["verdict"] in ("fail", "not_judged") for x in ctrl):
    failures.append(f"{blob}: control-area rules {[x['id'] for x in ctrl if x['verdict'] != 'pass']}")
else:
    passed += 1
# without caps the MAXPHYADDR rules say what they need, never a default
_, res = check(["-f", "vmcb", str(BASE_DIR / "01-vmcb12.bin")])
if res["svm.ctrl.msrpm"]["verdict"] != "not_judged" or "MAXPHYADDR" not in res["svm.ctrl.msrpm"]["message"]:
    failures.append(f"svm.ctrl.msrpm without caps: {res['svm.ctrl.msrpm']}")
else:
    passed += 1

for f in failures:
    print("FAIL", f)
print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
