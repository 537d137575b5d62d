"""nestscope scan finds AMD SVM VMCB pages, and only those, with no debuginfo.

Truth is the SVM samples' manifests and the pages the generator read
(samples/svm/KERNEL/), never an earlier scan:

- the L0 dumps (kdump, and written out as raw images): the VMCB pages found
  are exactly the vmcb01 and vmcb02 of each VM at its last step, at the
  physical addresses the manifest records (kvm.vmcb01.pa, kvm.vmcb02.pa);
  each page's bytes in the dump are the page the generator read through
  /proc/kcore (dump/hold-*/NN-vmcb0x.bin: the vCPUs hold in L2, so KVM
  changes nothing between the kprobe and the dump; a difference would
  fail here); ASID, EXITCODE and RIP are the manifest's;
- vmcb12 (in L1's memory, which the dump leaves out: makedumpfile -d 31
  drops user pages): a sparse image per step with the real page L1 wrote
  (NN-vmcb12.bin) at its GPA (the manifest's vmcb12.gpa); a step after L1
  built its vmcb12 (the manifest's INTERCEPT_WORD4 has VMRUN) gives one
  VMCB there, with the manifest's ASID and RIP, the start step (nothing
  written) none;
- the VMX samples (the L0 dumps of every kernel and of many VMs, L1's
  memory images, the nested-state blobs): no VMCB at all;
- each hit meets every rule scan --vmcb-rules calls required; one thread
  finds what several do.
usage: scan_svm.py NESTSCOPE SAMPLES
"""
import gzip
import json
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import itest  # noqa: E402
from itest import Checks  # noqa: E402

nestscope, samples = sys.argv[1:3]
samples = pathlib.Path(samples)
check = Checks()
tmp = tempfile.TemporaryDirectory()
kdump2raw = itest.kdump2raw(tmp.name)
PAGE = 4096
VMRUN = 1  # intercept word 4, bit 0 (APM: the VMRUN intercept)

rules = [line.split()[:2] for line in subprocess.run([nestscope, "scan", "--vmcb-rules"], capture_output=True,
                                                     text=True, check=True).stdout.splitlines()]
required = {r for r, kind in rules if kind == "required"}
check(len(rules) >= 8 and required, f"scan --vmcb-rules lists {len(rules)} rules, {len(required)} required")


def scan(path):
    r = subprocess.run([nestscope, "scan", "--json", str(path)], capture_output=True, text=True)
    if r.returncode:
        print(r.stderr)
        return None
    return {int(x["physical"], 16): x for x in json.loads(r.stdout)["regions"]}


def vmcbs(got):
    return {pa: x for pa, x in (got or {}).items() if x["kind"] == "vmcb"}


def h(x):
    return int(x, 16)


for man_path in sorted(samples.glob("svm/*/manifest.json")):
    man = json.loads(man_path.read_text())
    kver = man["kernel"]
    base = man_path.parent

    # L0's dump: vmcb01 and vmcb02 of each VM
    dump = base / man["dump"]["file"]
    got = scan(dump)
    check(got is not None, f"{kver} dump: scan runs")
    want = {}
    for vm in man["dump"]["vms"]:
        last = vm["steps"][-1]
        for copy in ("vmcb01", "vmcb02"):
            k = last["kvm"][copy]
            want[h(k["pa"])] = (vm, copy, k)
    found = vmcbs(got)
    check(set(found) == set(want), f"{kver} dump: the VMCBs are the manifest's vmcb01 and vmcb02 of its "
          f"{len(man['dump']['vms'])} VMs {sorted(hex(x) for x in want)}, nothing else "
          f"(found {sorted(hex(x) for x in found)})")
    check(set(got or {}) == set(found), f"{kver} dump: no VMCS region either (an AMD host)")
    one = subprocess.run([nestscope, "scan", "--json", "--jobs", "1", str(dump)], capture_output=True, text=True)
    check(one.returncode == 0 and {int(x["physical"], 16): x for x in json.loads(one.stdout)["regions"]} == got,
          f"{kver} dump: one thread finds the same regions as one per CPU")
    raw = pathlib.Path(tmp.name) / "raw.img"
    subprocess.run([kdump2raw, str(dump), str(raw)], check=True)
    check(scan(raw) == got, f"{kver} dump: its physical memory as a raw image gives the same regions")
    with open(raw, "rb") as img:
        for pa, (vm, copy, k) in sorted(want.items()):
            img.seek(pa)
            page = img.read(PAGE)
            hold = (base / vm["directory"] / k["file"]).read_bytes()
            g = found.get(pa, {})
            check(page == hold, f"{kver} {vm['config']} {copy} at {hex(pa)}: the dump's page is the one the "
                  f"generator read ({vm['directory']}/{k['file']})")
            f = k["fields"]
            check(g and h(g["asid"]) == h(f["asid"]) and h(g["exit_code"]) == h(f["exit_code"]) and
                  h(g["guest_rip"]) == h(f["rip"]),
                  f"{kver} {vm['config']} {copy}: ASID {f['asid']}, EXITCODE {f['exit_code']}, RIP {f['rip']} "
                  f"as the manifest (scan: {g.get('asid')}, {g.get('exit_code')}, {g.get('guest_rip')})")
            check(g and required <= set(g["vmcb_rules"]),
                  f"{kver} {vm['config']} {copy}: meets every required rule ({len(g.get('vmcb_rules', []))} of "
                  f"{len(rules)} met)")
    raw.unlink()

    # vmcb12: the real pages L1 wrote, at their GPA in a sparse image (L1's memory is not in the dump)
    n_found = n_none = 0
    bad = []
    configs = [(vm["directory"], vm["steps"]) for vm in man["dump"]["vms"]] + \
        [(c["directory"], c["steps"]) for c in man["configs"].values()]
    for directory, steps in configs:
        for st in steps:
            v12 = st["vmcb12"]
            gpa, page = h(v12["gpa"]), (base / directory / v12["file"]).read_bytes()
            img = pathlib.Path(tmp.name) / "l1.img"
            with open(img, "wb") as f:
                f.seek(gpa)
                f.write(page)
                f.truncate(gpa + 16 * PAGE)  # L1's memory goes on past it: zero pages
            g = vmcbs(scan(img))
            built = h(v12["fields"]["intercept_word4"]) & VMRUN
            ok = set(g) == ({gpa} if built else set())
            if built and ok:
                x, fl = g[gpa], v12["fields"]
                ok = h(x["asid"]) == h(fl["asid"]) and h(x["guest_rip"]) == h(fl["rip"]) and \
                    h(x["exit_code"]) == h(fl["exit_code"]) and required <= set(x["vmcb_rules"])
            n_found += bool(built and ok)
            n_none += bool(not built and ok)
            if not ok:
                bad.append(f"{directory}/{v12['file']}")
    check(not bad and n_found, f"{kver} vmcb12: {n_found} pages L1 built found at their GPA with the manifest's "
          f"ASID, EXITCODE and RIP, {n_none} start pages (nothing written) not taken for a VMCB {bad}")

# the VMX samples: no VMCB anywhere
images = []
for man_path in sorted(samples.glob("*/manifest.json")) + sorted(samples.glob("many-vms/*/manifest.json")):
    man = json.loads(man_path.read_text())
    images.append(man_path.parent / "dump" / "vmcore.kdump")
    for image in man.get("l1_memory_images", {}).values():
        raw = pathlib.Path(tmp.name) / (pathlib.Path(image).stem)
        raw.write_bytes(gzip.decompress((man_path.parent / image).read_bytes()))
        images.append(raw)
# (a blob shorter than a page, one with no vmcs12, holds no page to look at)
blobs = sorted(p for d in [samples / "blobs", *[m.parent for m in samples.glob("*/manifest.json")]]
               for p in d.glob("**/*.bin") if p.stat().st_size >= PAGE)
false = {}
pages = 0
for image in images + blobs:
    r = subprocess.run([nestscope, "scan", "--json", str(image)], capture_output=True, text=True)
    if r.returncode:
        false[str(image)] = r.stderr.strip()
        continue
    doc = json.loads(r.stdout)
    pages += doc["pages"]
    v = [x["physical"] for x in doc["regions"] if x["kind"] == "vmcb"]
    if v:
        false[str(image)] = v
check(not false and images and blobs, f"the VMX samples: no VMCB in {len(images)} dumps and L1 images and "
      f"{len(blobs)} blobs ({pages} pages) {false}")

check.finish()
