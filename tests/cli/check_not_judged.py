#!/usr/bin/python3
"""Nothing silent: on each kernel's real rich vmcs12 (after L1's VMWRITEs),
`nestscope check` without L1's memory names every rule it could not judge
and what it needs, in the summary line, the listing and JSON; with L1's
memory image the MSR-load list is judged; an image too short to hold the
list says so; L1's IA32_EFER given on the command line judges the
address-space rule.  Expected values come from the harness's manifest
(where L1 put its VM-entry MSR-load list and what it wrote there) and from
the SDM (which MSR indices an entry may name, canonical addresses).

usage: check_not_judged.py NESTSCOPE
"""
import gzip
import json
import pathlib
import re
import subprocess
import sys
import tempfile

ns = sys.argv[1]
failures, passed = [], 0


def check(ok, what):
    global passed
    if ok:
        passed += 1
    else:
        failures.append(what)


def run(*args):
    r = subprocess.run([ns, "check", *args], capture_output=True, text=True)
    if r.returncode not in (0, 3):
        raise RuntimeError(f"check {args}: status {r.returncode}: {r.stderr}")
    return r.stdout


def canonical(v):
    return (v >> 47) in (0, (1 << 17) - 1)


# the SDM's "Loading MSRs": indices an entry may not name
FORBIDDEN = {0xc0000100, 0xc0000101, 0x9b, 0x79, 0x8b} | set(range(0x800, 0x900))

for man in sorted(pathlib.Path("samples").glob("*/rich/manifest-harness.json")):
    kdir = man.parent.parent
    m = json.loads(man.read_text())
    blob = man.parent / next(s["file"] for s in m["steps"] if s["tag"] == "after_vmwrites")
    load = m["msr_areas"]["vm_entry_load"]
    gpa = int(load["gpa"], 16)
    k = kdir.name

    # without L1's memory: every rule that applies but lacks an input is listed, with what it needs
    doc = json.loads(run("--json", str(blob)))
    nj = {r["id"]: r["message"] for r in doc["results"] if r["verdict"] == "not_judged"}
    check(doc["check_counts"]["not_judged"] == len(nj) > 0,
          f"{k}: check_counts.not_judged {doc['check_counts']['not_judged']} counts the {len(nj)} not-judged results")
    for rule in ("msr_load.reserved", "msr_load.index", "msr_load.value"):
        check(rule in nj and f"L1 GPA {hex(gpa)}" in nj[rule] and "-m" in nj[rule],
              f"{k}: {rule} not judged, needing L1's memory at the list's GPA {hex(gpa)} ({nj.get(rule)})")
    check("host.address_space.l1_mode" in nj and "--l1-efer" in nj["host.address_space.l1_mode"],
          f"{k}: host.address_space.l1_mode needs L1's IA32_EFER ({nj.get('host.address_space.l1_mode')})")
    text = run(str(blob))
    summary = re.search(r"(\d+) rules: (\d+) pass, (\d+) fail, (\d+) not judged, (\d+) not applicable", text)
    check(summary and int(summary.group(4)) == len(nj),
          f"{k}: the summary line says {len(nj)} not judged ({summary.group(0) if summary else text[:200]})")
    listed = {l.split()[1]: l for l in text.splitlines() if l.startswith("open ")}
    check(set(listed) == set(nj) and all(nj[r] in listed[r] for r in nj),
          f"{k}: without -A the text still lists each not-judged rule with what it needs ({sorted(listed)})")

    # with L1's memory: the list is read and judged against the SDM
    with tempfile.NamedTemporaryFile(suffix=".img") as img, tempfile.NamedTemporaryFile(suffix=".img") as short:
        data = gzip.decompress((man.parent / "l1-memory-after_vmclear.img.gz").read_bytes())
        img.write(data)
        img.flush()
        want = "pass" if all(int(e["index"], 16) not in FORBIDDEN and canonical(int(e["value"], 16))
                             for e in load["entries"]) else "fail"
        res = {r["id"]: r for r in json.loads(run("--json", "-m", img.name, str(blob)))["results"]}
        for rule in ("msr_load.reserved", "msr_load.index", "msr_load.value"):
            check(res[rule]["verdict"] == want,
                  f"{k}: with L1's memory {rule} is {res[rule]['verdict']}, the SDM says {want} for "
                  f"{load['entries']}")
        # an image that ends before the list: said, not guessed
        short.write(data[:gpa])
        short.flush()
        res = {r["id"]: r for r in json.loads(run("--json", "-m", short.name, str(blob)))["results"]}
        check(res["msr_load.index"]["verdict"] == "not_judged" and
              f"outside the given image of {gpa} bytes" in res["msr_load.index"]["message"],
              f"{k}: a {gpa}-byte image says the list at {hex(gpa)} is outside it ({res['msr_load.index']['message']})")

    # L1's IA32_EFER: L1 runs in IA-32e mode (LME, LMA) with host address-space size 1
    res = {r["id"]: r for r in json.loads(run("--json", "--l1-efer", "0x500", str(blob)))["results"]}
    check(res["host.address_space.l1_mode"]["verdict"] == "pass", f"{k}: --l1-efer 0x500 judges l1_mode: pass")
    res = {r["id"]: r for r in json.loads(run("--json", "--l1-efer", "0", str(blob)))["results"]}
    check(res["host.address_space.l1_mode"]["verdict"] == "fail",
          f"{k}: L1 outside IA-32e mode with host address-space size 1 fails l1_mode")

for f in failures:
    print("FAIL", f)
print(f"{passed} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
