#!/usr/bin/python3
"""Every bundled blob against its manifest (samples/<kernel>/manifest.json).

The manifest is what the harness inside the sample machine recorded while it
drove real KVM: each blob's header and checksum, every VMWRITE L1 issued,
every exit L1 saw, L2's registers at each step.  Each blob is decoded with
`nestscope decode --json` and must say the same.

usage: samples_manifest.py NESTSCOPE SAMPLES_DIR
"""
import hashlib
import json
import pathlib
import subprocess
import sys

ns, root = sys.argv[1], pathlib.Path(sys.argv[2])
failures = []
checked = {"blobs": 0, "vmwrites": 0, "exits": 0, "guest-mode registers": 0}

# Guest-state fields whose value after L2 has run is not the one L1 wrote,
# and why; every other VMWRITE must read back unchanged.
MOVED_BY_L2 = {
    0x681E: "GUEST_RIP: L2 executes, and L1 advances it past each exit",
}


def fail(msg):
    failures.append(msg)


def decode(path):
    r = subprocess.run([ns, "decode", "--json", "--all", str(path)], capture_output=True, text=True)
    if r.returncode:
        fail(f"{path}: nestscope failed: {r.stderr.strip()}")
        return None
    doc = json.loads(r.stdout)
    if len(doc.get("reports", [])) != 1:
        fail(f"{path}: one report in the decode/2 document, not {len(doc.get('reports', []))}")
        return None
    return doc["reports"][0]


def fields(vmcs):
    return {int(f["encoding"], 16): int(f["value"], 16) for f in vmcs["fields"]}


def check_config(kdir, cfg, m):
    writes = {int(w["encoding"], 16): int(w["value"], 16) for w in m["vmwrites"]}
    entry_load = {}
    for e in m.get("msr_areas", {}).get("vm_entry_load", {}).get("entries", []):
        entry_load[int(e["index"], 16)] = int(e["value"], 16)
    exits = {e["step"]: e for e in m["exits"]}
    written = False
    for s in m["steps"]:
        path = kdir / cfg / s["file"]
        if not path.exists():
            fail(f"{path}: listed in the manifest, missing")
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != s["sha256"]:
            fail(f"{path}: checksum differs from the manifest")
        doc = decode(path)
        if doc is None:
            continue
        checked["blobs"] += 1
        hdr = doc["nested_state"]
        for key, want in (("size", s["size"]), ("nested_flags", s["flags"])):
            got = hdr[key] if key == "size" else int(hdr[key], 16)
            if got != want:
                fail(f"{path}: {key} {got}, manifest {want}")
        for key in ("vmxon_pa", "vmcs12_pa"):
            if int(hdr[key], 16) != int(s[key], 16):
                fail(f"{path}: {key} {hdr[key]}, manifest {s[key]}")
        if s["tag"] == "after_vmwrites":
            written = True
        if not doc["vmcs"]:
            continue
        v = fields(doc["vmcs"][0])
        if written:
            for enc, want in writes.items():
                if enc in MOVED_BY_L2:
                    continue
                # VM entry's MSR-load area sets L2's SYSENTER_ESP, and VM exit saves it
                if enc == 0x6824 and 0x175 in entry_load and s["tag"] != "after_vmwrites":
                    want = entry_load[0x175]
                checked["vmwrites"] += 1
                if v.get(enc) != want:
                    fail(f"{path}: field 0x{enc:04x} is {v.get(enc, 'absent')!r}, L1 wrote 0x{want:x}")
        if s["flags"] & 1:
            # in guest mode KVM_GET_REGS gave L2's registers: vmcs12 was synced to them
            checked["guest-mode registers"] += 1
            for enc, key in ((0x681E, "rip"), (0x681C, "rsp"), (0x6820, "rflags"), (0x6800, "cr0"),
                             (0x6802, "cr3"), (0x6804, "cr4")):
                if v.get(enc) != int(s[key], 16):
                    fail(f"{path}: 0x{enc:04x} = {v.get(enc)}, L2's {key} was {s[key]}")
        if s["step"] in exits:
            e = exits[s["step"]]
            checked["exits"] += 1
            if v.get(0x4402) != e["reason"] or v.get(0x6400, 0) != int(e["qualification"], 16):
                fail(f"{path}: exit reason {v.get(0x4402)} qualification {v.get(0x6400)}, L1 saw "
                     f"{e['reason']} {e['qualification']}")
        if len(doc["vmcs"]) > 1 and doc["vmcs"][1]["kind"] != "shadow-vmcs12":
            fail(f"{path}: second region is not the shadow vmcs12")


manifests = sorted(root.glob("*/manifest.json"))
if not manifests:
    print(f"no samples/<kernel>/manifest.json under {root}")
    sys.exit(1)
for mf in manifests:
    man = json.loads(mf.read_text())
    for cfg, m in man["configs"].items():
        check_config(mf.parent, cfg, m)
    dump = mf.parent / man["dump"]["file"]
    if hashlib.sha256(dump.read_bytes()).hexdigest() != man["dump"]["sha256"]:
        fail(f"{dump}: checksum differs from the manifest")

for f in failures:
    print("FAIL", f)
print(f"{len(manifests)} kernels: " + ", ".join(f"{n} {k}" for k, n in checked.items()) + " checked")
sys.exit(1 if failures or not checked["vmwrites"] else 0)
