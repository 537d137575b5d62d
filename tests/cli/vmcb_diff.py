#!/usr/bin/python3
"""`nestscope diff -f vmcb` on the real nested-SVM samples (samples/svm/KERNEL/).

Every step the manifest records in L2 (the blob's GUEST_MODE; blobs/CONFIG
and the dump's hold-CONFIG) has vmcb12, vmcb02 and vmcb01 as KVM held them.
There the diff must explain every difference (exit status 0, no unexplained),
with vmcb01 and without it (then naming what it could not verify).  The
values it reports are held against the manifest and KVM's source, read at the
APM's offsets here and not through nestscope's tables:

  - TSC_OFFSET: vmcb02's = vmcb01's + vmcb12's (kvm_calc_nested_tsc_offset,
    the manifest's kvm_amd tsc_scaling=0: no ratio), reported verified;
  - ASID: vmcb02's is the manifest's, not vmcb12's, and not 0;
  - the intercept words: every bit vmcb12 sets is in vmcb02 (recalc_intercepts);
  - RIP: vmcb02's is L2's RIP as KVM_GET_REGS gave it at that step, stale.

A step whose blob says KVM_STATE_NESTED_RUN_PENDING (the pending
configuration: KVM emulated L1's VMRUN, L2 not entered yet) is diffed with
--run-pending: vmcb02's ASID may still be 0 there (KVM sets it at the entry,
pre_svm_run), expected then and unexplained without the option.

At every step back in L1 after a #VMEXIT, nested_svm_vmexit has copied L2's
state and the exit into vmcb12: the diff (mode L1) finds only KVM's
construction, and vmcb12's exit code is the one L1 reported.

Then vmcb02s KVM would never build must be unexplained, exit status 3: CR0
changed where vmcb12 intercepts CR0 writes, an intercept of vmcb12's missing,
a TSC offset that is not the sum, an IOPM that is not vmcb01's; and live-state
differences without --l2.  Bad input: one error line, status 1 or 2.

usage: vmcb_diff.py NESTSCOPE SAMPLES
"""
import json
import pathlib
import subprocess
import sys
import tempfile

NS, SAMPLES = sys.argv[1], pathlib.Path(sys.argv[2])
HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "json"))
from schemas import validator  # noqa: E402

SCHEMA = validator("nestscope/vmcb-diff/1")
# APM vol. 2 table B-1 and B-2 (the save area at 400h)
OFF = {"INTERCEPT_CR": (0x000, 4), "INTERCEPT_WORD3": (0x00C, 4), "IOPM_BASE_PA": (0x040, 8), "TSC_OFFSET": (0x050, 8),
       "ASID": (0x058, 4), "CR0": (0x400 + 0x158, 8), "RIP": (0x400 + 0x178, 8)}
INTERCEPT_WORDS = {"INTERCEPT_CR": 0x000, "INTERCEPT_DR": 0x004, "INTERCEPT_EXCEPTION": 0x008,
                   "INTERCEPT_WORD3": 0x00C, "INTERCEPT_WORD4": 0x010, "INTERCEPT_WORD5": 0x014}
SMI = 1 << 2              # word 3: KVM drops it without intercept_smi
CR0_WRITE = 1 << 16       # INTERCEPT_CR: writes of CR0
CR0_AM = 1 << 18
fails = 0
checked = 0


def fail(msg):
    global fails
    fails += 1
    print("FAIL " + msg)


def field(page, name):
    off, size = OFF[name]
    return int.from_bytes(page[off:off + size], "little")


def put(page, name, value):
    off, size = OFF[name]
    page[off:off + size] = (value % (1 << (8 * size))).to_bytes(size, "little")


def run(*args):
    p = subprocess.run([NS, "diff", "-f", "vmcb", *map(str, args)], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def diff_json(*args):
    rc, out, err = run("-j", *args)
    doc = json.loads(out) if out.startswith("{") else None
    if doc is not None:
        for e in list(SCHEMA.iter_errors(doc))[:3]:
            fail(f"{args}: schema: {'/'.join(map(str, e.path))}: {e.message}")
    return rc, doc, err


def entry(doc, name):
    return next((e for e in doc["differences"] if e["name"] == name), None)


def in_l2_steps(manifest):
    """(label, directory, step record) of every step in L2: the blob configurations and the dump's VMs."""
    for cfg, c in manifest["configs"].items():
        for s in c["steps"]:
            if s["blob"]["guest_mode"]:
                yield f"{manifest['kernel']}/{cfg}", c["directory"], s
    for vm in manifest["dump"]["vms"]:
        for s in vm["steps"]:
            if s["blob"]["guest_mode"]:
                yield f"{manifest['kernel']}/dump/{vm['config']}", vm["directory"], s


def check_step(kdir, label, directory, s):
    global checked
    d = kdir / directory
    n = f"{s['step']:02d}"
    v12, v02, v01 = (d / f"{n}-vmcb{x}.bin" for x in ("12", "02", "01"))
    p12, p02, p01 = (v.read_bytes() for v in (v12, v02, v01))
    where = f"{label} step {n}"
    man02 = s["kvm"]["vmcb02"]["fields"]
    pending = s["blob"].get("run_pending", False)
    mode = ["--run-pending"] if pending else ["--l2"]

    rc, doc, err = diff_json(*mode, "--vmcb01", v01, v12, v02)
    if rc != 0 or doc is None or doc["counts"]["unexplained"]:
        fail(f"{where}: status {rc}, unexplained {doc and doc['counts']['unexplained']}: "
             f"{[e['name'] for e in (doc or {'differences': []})['differences'] if e['class'] == 'unexplained']} {err}")
        return
    if doc["context"]["run_pending"] != pending or doc["context"]["mode"] != "L2":
        fail(f"{where}: context {doc['context']}, the blob's run_pending {pending}")
    if doc["needs_vmcb01"] or any(e["check"] == "needs_vmcb01" for e in doc["differences"]):
        fail(f"{where}: with vmcb01, something still needs vmcb01")
    # TSC offset: KVM's sum, as the manifest's three VMCBs have it
    t12, t02, t01 = (field(p, "TSC_OFFSET") for p in (p12, p02, p01))
    if t02 != (t01 + t12) % (1 << 64) or int(man02["tsc_offset"], 16) != t02:
        fail(f"{where}: the sample's vmcb02 TSC offset is not vmcb01's + vmcb12's")
    e = entry(doc, "TSC_OFFSET")
    if t12 != t02 and (e is None or int(e["b"], 16) != t02 or e["class"] != "expected" or e["check"] != "verified"):
        fail(f"{where}: TSC_OFFSET reported {e}")
    # ASID: KVM's own, the manifest's
    e = entry(doc, "ASID")
    asid = int(man02["asid"], 16)
    if (asid == 0 and not pending) or \
            (asid != field(p12, "ASID") and (e is None or int(e["b"], 16) != asid or e["class"] != "expected")):
        fail(f"{where}: ASID reported {e}, manifest {asid:#x}")
    if pending and asid == 0:
        # the same vmcb02 as if L2 had run: ASID 0, the host's, which nothing explains
        rc0, doc0, _ = diff_json("--l2", "--vmcb01", v01, v12, v02)
        e0 = doc0 and entry(doc0, "ASID")
        if rc0 != 3 or e0 is None or e0["class"] != "unexplained":
            fail(f"{where}: vmcb02's ASID 0 without --run-pending: status {rc0}, {e0}")
    # the intercepts: a superset of vmcb12's, each word expected
    for name, off in INTERCEPT_WORDS.items():
        w12, w02 = (int.from_bytes(p[off:off + 4], "little") for p in (p12, p02))
        drop = SMI if name == "INTERCEPT_WORD3" else 0
        if (w12 & ~drop) & ~w02:
            fail(f"{where}: the sample's vmcb02 lacks {name} bits of vmcb12's")
        e = entry(doc, name)
        if w12 != w02 and (e is None or e["class"] != "expected" or e["check"] != "verified"):
            fail(f"{where}: {name} reported {e}")
    # RIP: L2's, as KVM_GET_REGS said while the vCPU was in guest mode
    rip = int(s["registers"]["rip"], 16)
    e = entry(doc, "RIP")
    if field(p02, "RIP") != rip:
        fail(f"{where}: vmcb02's RIP {field(p02, 'RIP'):#x} is not L2's {rip:#x}")
    if e is not None and (int(e["b"], 16) != rip or e["class"] != "stale"):
        fail(f"{where}: RIP reported {e}")

    # without vmcb01: still nothing unexplained, and the text names what it could not verify
    rc, out, err = run(*mode, v12, v02)
    rcj, doc1, _ = diff_json(*mode, v12, v02)
    if rc != 0 or rcj != 0 or doc1["counts"]["unexplained"]:
        fail(f"{where}: without vmcb01: status {rc}/{rcj} {err}")
    elif not doc1["needs_vmcb01"] or "not verified without vmcb01" not in out or "TSC_OFFSET" not in out.split(
            "not verified without vmcb01")[1]:
        fail(f"{where}: without vmcb01 the text does not say what it could not verify")
    checked += 1
    print(f"ok   {where}: {doc['differ']} differences, {doc['counts']['expected']} expected, "
          f"{doc['counts']['stale']} stale, 0 unexplained (and without vmcb01: {doc1['needs_vmcb01']} not verified)")


def check_l1_step(kdir, label, directory, s):
    """Back in L1 after a #VMEXIT: nested_svm_vmexit copied L2's state and the exit from vmcb02 into vmcb12,
    so only KVM's construction differs (nothing stale, nothing unexplained), and vmcb12's exit code is the one
    L1 saw (the harness reports it on port 0x11)."""
    global checked
    d = kdir / directory
    n = f"{s['step']:02d}"
    v12, v02, v01 = (d / f"{n}-vmcb{x}.bin" for x in ("12", "02", "01"))
    where = f"{label} step {n} (L1 after #VMEXIT)"
    rc, doc, err = diff_json("--vmcb01", v01, v12, v02)
    if rc != 0 or doc is None or doc["counts"]["unexplained"] or doc["counts"]["stale"] or doc["context"]["mode"] != "L1":
        fail(f"{where}: status {rc}: {[(e['name'], e['class']) for e in (doc or {'differences': []})['differences'] if e['class'] != 'expected']} {err}")
        return
    code = int(s["vmcb12"]["fields"]["exit_code"], 16)
    if code != int(s["value"], 16) or entry(doc, "EXIT_CODE") or entry(doc, "RIP"):
        fail(f"{where}: vmcb12's exit code {code:#x} (L1 saw {s['value']}) or RIP differs from vmcb02's")
        return
    checked += 1
    print(f"ok   {where}: {doc['differ']} differences, all KVM's construction; exit code {code:#x} in both")


def expect_unexplained(tmp, where, name, v12, v02, v01=None, l2=True, what=""):
    args = (["--l2"] if l2 else []) + (["--vmcb01", v01] if v01 else []) + [v12, v02]
    rc, doc, err = diff_json(*args)
    e = doc and entry(doc, name)
    if rc != 3 or e is None or e["class"] != "unexplained":
        fail(f"{where}: {what}: status {rc}, {name} reported {e} {err}")
    else:
        print(f"ok   {where}: {what}: {name} unexplained, status 3")


def negatives(kdir, manifest, tmp):
    c = manifest["configs"]["rich"]
    s = next(s for s in c["steps"] if s["blob"]["guest_mode"])
    d = kdir / c["directory"]
    n = f"{s['step']:02d}"
    v12, v02, v01 = (d / f"{n}-vmcb{x}.bin" for x in ("12", "02", "01"))
    p12, p02, p01 = (bytearray(v.read_bytes()) for v in (v12, v02, v01))
    where = f"{manifest['kernel']}/rich step {n}"
    if not field(p12, "INTERCEPT_CR") & CR0_WRITE:
        fail(f"{where}: the rich configuration's vmcb12 no longer intercepts CR0 writes")
        return

    def alter(name, value):
        p = bytearray(p02)
        put(p, name, value)
        f = tmp / f"{manifest['kernel']}-{name}.bin"
        f.write_bytes(p)
        return f

    # L2 cannot change CR0 (vmcb12 intercepts CR0 writes) and AM is no bit KVM's svm_set_cr0 touches
    expect_unexplained(tmp, where, "CR0", v12, alter("CR0", field(p02, "CR0") ^ CR0_AM), v01,
                       what="vmcb02's CR0.AM flipped")
    expect_unexplained(tmp, where, "CR0", v12, alter("CR0", field(p02, "CR0") ^ CR0_AM),
                       what="vmcb02's CR0.AM flipped, without vmcb01")
    # recalc_intercepts ORs vmcb12's in: a CR0-write intercept missing would let L2 skip L1's exit
    expect_unexplained(tmp, where, "INTERCEPT_CR", v12, alter("INTERCEPT_CR", field(p02, "INTERCEPT_CR") & ~CR0_WRITE),
                       what="vmcb12's CR0-write intercept missing from vmcb02")
    expect_unexplained(tmp, where, "INTERCEPT_CR", v12, alter("INTERCEPT_CR", field(p02, "INTERCEPT_CR") & ~CR0_WRITE),
                       v01, what="vmcb12's CR0-write intercept missing from vmcb02, with vmcb01")
    # with vmcb01: an L0 intercept vmcb01 does not have is in neither
    expect_unexplained(tmp, where, "INTERCEPT_WORD3", v12,
                       alter("INTERCEPT_WORD3", field(p02, "INTERCEPT_WORD3") | (1 << 14)
                             if not (field(p01, "INTERCEPT_WORD3") | field(p12, "INTERCEPT_WORD3")) & (1 << 14)
                             else field(p02, "INTERCEPT_WORD3")), v01, what="an RDTSC intercept from neither VMCB")
    expect_unexplained(tmp, where, "TSC_OFFSET", v12, alter("TSC_OFFSET", field(p02, "TSC_OFFSET") + 1), v01,
                       what="TSC offset one more than vmcb01's + vmcb12's")
    expect_unexplained(tmp, where, "IOPM_BASE_PA", v12, alter("IOPM_BASE_PA", field(p02, "IOPM_BASE_PA") + 0x1000), v01,
                       what="IOPM not vmcb01's")
    expect_unexplained(tmp, where, "ASID", v12, alter("ASID", 0), v01, what="ASID 0 (the host's)")
    # RIP is L2's live state only when the vCPU is known to run L2
    if field(p02, "RIP") != field(p12, "RIP"):
        expect_unexplained(tmp, where, "RIP", v12, v02, v01, l2=False, what="L2's RIP without --l2")
    # the unchanged pages still pass (the alterations above were the cause)
    rc, _, err = run("--l2", "--vmcb01", v01, v12, v02)
    if rc != 0:
        fail(f"{where}: the unaltered pages: status {rc} {err}")


def bad_input(manifest, kdir, tmp):
    c = manifest["configs"]["basic"]
    d = kdir / c["directory"]
    v12 = d / "01-vmcb12.bin"
    short = tmp / "short.bin"
    short.write_bytes(v12.read_bytes()[:0x400])
    for args, want in (([v12, short], 1), ([v12, tmp / "none.bin"], 1), (["--vmcb01", short, v12, v12], 1),
                       ([v12], 2), (["-f", "vmcx", v12, v12], 2)):
        rc, out, err = run(*args)
        if rc != want or len(err.splitlines()) != 1:
            fail(f"bad input {args}: status {rc} (want {want}), stderr {err!r}")
    p = subprocess.run([NS, "diff", "--vmcb01", str(v12), str(v12), str(v12)], capture_output=True, text=True)
    if p.returncode != 2 or len(p.stderr.splitlines()) != 1:
        fail(f"--vmcb01 without -f vmcb: status {p.returncode} {p.stderr!r}")


with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    manifests = sorted(SAMPLES.glob("svm/*/manifest.json"))
    if not manifests:
        fail(f"no samples/svm/*/manifest.json under {SAMPLES}")
    for mf in manifests:
        m = json.loads(mf.read_text())
        kdir = mf.parent
        steps = list(in_l2_steps(m))
        missing = {f"{m['kernel']}/{cfg}" for cfg in m["configs"]} - {lab for lab, _, _ in steps}
        if not any("/dump/" in label for label, _, _ in steps) or missing:
            fail(f"{mf}: expected in-L2 steps in every configuration ({sorted(missing)} have none) and the dump's VMs")
        for label, directory, s in steps:
            check_step(kdir, label, directory, s)
        for cfg, c in m["configs"].items():
            for s in c["steps"]:
                if s["what"] == "l1-after-vmexit":
                    check_l1_step(kdir, f"{m['kernel']}/{cfg}", c["directory"], s)
        negatives(kdir, m, tmp)
        bad_input(m, kdir, tmp)
print(f"{checked} steps checked (in L2, and in L1 after a #VMEXIT), {fails} failures")
sys.exit(1 if fails or not checked else 0)
