#!/usr/bin/python3
"""Every bundled nested-SVM blob and VMCB page (samples/svm/<kernel>/) against its manifest.

The manifest (samples/gen/svm/manifest.py) reads each field at the APM's offsets, independently of
nestscope's tables: per configuration and step the blob's header, and the fields of vmcb12 (from L1's
memory), vmcb01 and vmcb02 (KVM's pages).  Here each page is decoded with `nestscope decode --format vmcb
--json --all` and each blob with `nestscope decode --json --all`, and every recorded value must be the one
nestscope shows.

A blob's data is not one VMCB (svm_get_nested_state, arch/x86/kvm/svm/nested.c): its save area is L1's,
copied from vmcb01, so it is checked against the same step's vmcb01; its control area is vmcb12's as KVM
cached it at VMRUN (svm->nested.ctl), checked against vmcb12 on the fields KVM copies unchanged and leaves
alone while L2 runs.  Not those: int_ctl and event_inj, which nested_sync_control_from_vmcb02 updates from
vmcb02 as L2 runs, and the exit fields, which are vmcb12's only at the next #VMEXIT to L1.

Each configuration starts L2 in the mode the manifest names (l2_mode: long64, protected32-legacy-paging,
real): at every step in L2, vmcb12's and vmcb02's CR0, CR4, EFER and CS attributes must decode to the flags the
manifest's values hold at the APM's bit positions, and agree with the mode (real: CR0.PE clear, each data and
code selector decoded as base = selector << 4, which must be the CS base KVM_GET_SREGS gave; 32-bit: EFER.LMA and
LME clear, CS.D set, CS.L clear; long: EFER.LMA and CS.L set).  A blob whose flags hold RUN_PENDING must say so,
and as L2 has not run yet there, L2's RIP, RSP and RAX (KVM_GET_REGS) are vmcb12's as L1 wrote them.

usage: svm_decode.py NESTSCOPE SAMPLES_DIR
"""
import json
import pathlib
import subprocess
import sys

ns, root = sys.argv[1], pathlib.Path(sys.argv[2])
failures = []
checked = {"blobs": 0, "pages": 0, "fields": 0}

# the manifest's names are the table's in lower case, but for these
NAMES = {"intercept_exceptions": "INTERCEPT_EXCEPTION", "tlb_control": "TLB_CTL"}
# a bit of a field, by the bit's name in the field's decoding
BITS = {"np_enable": ("MISC_CTL", "NP_ENABLE")}
SAVE = {"efer", "cr4", "cr3", "cr0", "rflags", "rip", "rsp", "rax", "g_pat"}
CACHED_AS_WRITTEN = {"intercept_cr", "intercept_exceptions", "intercept_word3", "intercept_word4", "iopm_base_pa",
                     "msrpm_base_pa", "tsc_offset", "asid", "tlb_control", "int_vector", "np_enable", "nested_cr3"}


def fail(msg):
    failures.append(msg)


def decode(*args):
    r = subprocess.run([ns, "decode", "--json", "--all", *map(str, args)], capture_output=True, text=True)
    if r.returncode:
        fail(f"{args[-1]}: nestscope failed: {r.stderr.strip()}")
        return None
    reports = json.loads(r.stdout)["reports"]
    if len(reports) != 1:
        fail(f"{args[-1]}: {len(reports)} reports, not one")
        return None
    return reports[0]


def compare(where, vmcb, want, keys):
    """Each manifest field in keys against the VMCB's field of that name (or bit, for BITS)."""
    by_name = {f["name"]: f for f in vmcb["fields"]}
    for key in sorted(keys):
        expect = int(want[key], 16)
        if key in BITS:
            field, bit = BITS[key]
            f = by_name.get(field)
            got = int(bool(f and f["decoded"] and bit in f["decoded"]["flags"]))
        else:
            f = by_name.get(NAMES.get(key, key.upper()))
            if f is None:
                fail(f"{where}: no field for the manifest's {key}")
                continue
            got = int(f["value"], 16)
        checked["fields"] += 1
        if got != expect:
            fail(f"{where}: {key} is {got:#x} in nestscope, {expect:#x} in the manifest")


def check_page(where, path, want, kind_ok=True):
    rep = decode("--format", "vmcb", path)
    if rep is None:
        return
    checked["pages"] += 1
    if rep["format"] != "vmcb" or rep["nested_state"] is not None or len(rep.get("vmcb", [])) != 1:
        fail(f"{where}: a raw VMCB page's report (format vmcb, one vmcb[]): {rep['format']}, {rep.get('vmcb')!r:.80}")
        return
    v = rep["vmcb"][0]
    if not (v["control_area"]["present"] and v["save_area"]["present"]) or v["copy"]["layout"] != "vmcb":
        fail(f"{where}: a 4 KiB page holds both areas, layout vmcb ({v['control_area']}, {v['save_area']})")
    compare(where, v, want, want.keys())


def check_blob(where, path, step):
    rep = decode(path)
    if rep is None:
        return
    checked["blobs"] += 1
    hdr, man = rep["nested_state"], step["blob"]
    if (hdr["format"], hdr["size"], int(hdr["nested_flags"], 16), int(hdr["vmcb_pa"], 16)) != \
            ("svm", man["size"], int(man["flags"], 16), int(man["vmcb_pa"], 16)):
        fail(f"{where}: header {hdr['format']} {hdr['size']} {hdr['nested_flags']} {hdr['vmcb_pa']}, manifest {man}")
    names = set(hdr["nested_flag_names"])
    if ("GUEST_MODE" in names) != man["guest_mode"] or ("GIF_SET" in names) != man["gif_set"] or \
            ("RUN_PENDING" in names) != man["run_pending"]:
        fail(f"{where}: flag names {sorted(names)}, manifest guest_mode {man['guest_mode']} gif_set {man['gif_set']} "
             f"run_pending {man['run_pending']}")
    vmcbs = rep.get("vmcb")
    if man["size"] <= 128:
        # KVM writes the data only in guest mode: a header alone holds no VMCB
        if vmcbs != []:
            fail(f"{where}: a {man['size']}-byte blob shows a VMCB ({vmcbs!r:.80})")
        return
    if not vmcbs or len(vmcbs) != 1:
        fail(f"{where}: a {man['size']}-byte blob shows no VMCB")
        return
    v = vmcbs[0]
    if v["copy"]["name"] != "blob_vmcb12" or "vmcb01" not in (v["save_area"]["note"] or "") or \
            "cached" not in (v["control_area"]["note"] or ""):
        fail(f"{where}: the blob's VMCB must say its save area is L1's (vmcb01's) and its control area KVM's "
             f"cached vmcb12: {v['copy']['name']}, {v['save_area']}, {v['control_area']}")
    compare(f"{where} (save area: vmcb01's)", v, step["kvm"]["vmcb01"]["fields"], SAVE)
    compare(f"{where} (control area: cached vmcb12)", v, step["vmcb12"]["fields"], CACHED_AS_WRITTEN)


# APM vol. 2: CR0 (3.1.1), CR4 (3.1.3), EFER (3.1.7), and the VMCB's segment attributes (appendix B: descriptor
# bits 55:52 at 11:8, so L at 9 and D/B at 10); the names nestscope's decoding gives each bit
CR0_BITS = {"PE": 0, "PG": 31}
CR4_BITS = {"PSE": 4, "PAE": 5}
EFER_BITS = {"LME": 8, "LMA": 10, "SVME": 12}
ATTRIB_BITS = {"L": 9, "DB": 10}
# what each L2 mode must hold: (register, bit) -> set or clear
MODE = {
    "long64": {("cr0", "PE"): 1, ("cr0", "PG"): 1, ("cr4", "PAE"): 1, ("efer", "LMA"): 1, ("efer", "LME"): 1,
               ("cs_attrib", "L"): 1},
    "protected32-legacy-paging": {("cr0", "PE"): 1, ("cr0", "PG"): 1, ("cr4", "PAE"): 0, ("cr4", "PSE"): 1,
                                  ("efer", "LMA"): 0, ("efer", "LME"): 0, ("cs_attrib", "L"): 0,
                                  ("cs_attrib", "DB"): 1},
    "real": {("cr0", "PE"): 0, ("cr0", "PG"): 0, ("efer", "LMA"): 0, ("efer", "LME"): 0, ("cs_attrib", "L"): 0,
             ("cs_attrib", "DB"): 0},
}
FIELD_BITS = {"cr0": ("CR0", CR0_BITS), "cr4": ("CR4", CR4_BITS), "efer": ("EFER", EFER_BITS),
              "cs_attrib": ("CS_ATTRIB", ATTRIB_BITS)}
SELECTORS = ("ES", "CS", "SS", "DS", "FS", "GS")
REAL_MODE_SHIFT = 4  # real mode: a segment's base is its selector times 16


def check_mode(where, path, fields, mode, regs):
    """An in-L2 page (vmcb12 or vmcb02) against the configuration's L2 mode: the manifest's values hold the mode's
    bits, and nestscope names exactly the bits the values hold."""
    rep = decode("--format", "vmcb", path)
    if rep is None:
        return
    by_name = {f["name"]: f for f in rep["vmcb"][0]["fields"]}
    for (reg, bit), want in MODE[mode].items():
        name, bits = FIELD_BITS[reg]
        have = (int(fields[reg], 16) >> bits[bit]) & 1
        if have != want:
            fail(f"{where}: the manifest's {reg} {fields[reg]} has {bit}={have}, L2 mode {mode} wants {want}")
    for reg, (name, bits) in FIELD_BITS.items():
        f = by_name.get(name)
        flags = set(f["decoded"]["flags"]) if f and f["decoded"] else set()
        for bit, pos in bits.items():
            checked["fields"] += 1
            if ((int(fields[reg], 16) >> pos) & 1) != (bit in flags):
                fail(f"{where}: {name} {fields[reg]}: nestscope's flags {sorted(flags)} and bit {bit} ({pos}) disagree")
    for seg in SELECTORS:
        f = by_name.get(f"{seg}_SELECTOR")
        base = f and f["decoded"] and f["decoded"]["values"].get("base")
        if mode == "real":
            sel = int(f["value"], 16)
            checked["fields"] += 1
            if not base or int(base["value"], 16) != sel << REAL_MODE_SHIFT:
                fail(f"{where}: real mode {seg} selector {sel:#x}: nestscope gives base {base}, not {sel << REAL_MODE_SHIFT:#x}")
            elif seg == "CS" and int(base["value"], 16) != int(regs["cs_base"], 16):
                fail(f"{where}: real mode CS base {base['value']} is not KVM_GET_SREGS's {regs['cs_base']}")
        elif base:
            fail(f"{where}: {seg}'s selector read as real mode's ({base}) with CR0.PE set")


manifests = sorted(root.glob("svm/*/manifest.json"))
if not manifests:
    print("svm_decode: no samples/svm/*/manifest.json")
    sys.exit(1)
modes_seen = {}
for mf in manifests:
    m = json.loads(mf.read_text())
    pending = 0
    modes = modes_seen.setdefault(m["kernel"], set())
    for cname, cfg in m["configs"].items():
        d = mf.parent / cfg["directory"]
        for step in cfg["steps"]:
            tag = f"{m['kernel']} {cname} step {step['step']} ({step['what']})"
            check_blob(f"{tag} blob", d / step["blob"]["file"], step)
            pending += step["blob"]["run_pending"]
            if step["blob"]["run_pending"]:
                for reg in ("rip", "rsp", "rax"):
                    checked["fields"] += 1
                    if int(step["registers"][reg], 16) != int(step["vmcb12"]["fields"][reg], 16):
                        fail(f"{tag}: run pending, yet L2's {reg} {step['registers'][reg]} is not vmcb12's "
                             f"{step['vmcb12']['fields'][reg]}")
            if step["blob"]["guest_mode"]:
                modes.add(cfg["l2_mode"])
                check_mode(f"{tag} vmcb12 ({cfg['l2_mode']})", d / step["vmcb12"]["file"], step["vmcb12"]["fields"],
                           cfg["l2_mode"], step["registers"])
                v02 = step["kvm"]["vmcb02"]
                check_mode(f"{tag} vmcb02 ({cfg['l2_mode']})", d / v02["file"], v02["fields"], cfg["l2_mode"],
                           step["registers"])
            check_page(f"{tag} vmcb12", d / step["vmcb12"]["file"], step["vmcb12"]["fields"])
            for copy in ("vmcb01", "vmcb02"):
                c = step.get("kvm", {}).get(copy)
                if c and c.get("file"):
                    check_page(f"{tag} {copy}", d / c["file"], c["fields"])

    # the samples keep L2 in each mode, and a blob KVM gave with RUN_PENDING (or a step saying why not)
    if set(MODE) - modes:
        fail(f"{m['kernel']}: no step in L2 in mode {sorted(set(MODE) - modes)}")
    if not pending and not any(s["what"] == "no-run-pending" for c in m["configs"].values() for s in c["steps"]):
        fail(f"{m['kernel']}: no RUN_PENDING blob and no no-run-pending step")

# `explain` takes a VMCB field's name: the samples' in-L2 exit (APM 15.10.2: port 31:16, TYPE 0 = OUT, SZ8 bit 4)
r = subprocess.run([ns, "explain", "--json", "EXIT_INFO_1", "0x800010", "--exit-code", "0x7b"], capture_output=True,
                   text=True)
d = json.loads(r.stdout)["decoded"] if r.returncode == 0 else None
if not d or d["values"]["port"]["value"] != "0x80" or d["values"]["direction"]["symbol"] != "OUT" or d["flags"] != ["SZ8"]:
    fail(f"explain EXIT_INFO_1 0x800010 --exit-code 0x7b: {d or r.stderr.strip()}")
r = subprocess.run([ns, "explain", "INT_CTL", "0x30f0300"], capture_output=True, text=True)
if r.returncode or not all(w in r.stdout for w in ("V_IRQ", "V_GIF", "V_INTR_MASKING", "V_GIF_ENABLE", "v_intr_prio=15")):
    fail(f"explain INT_CTL 0x30f0300: {r.stdout.strip()} {r.stderr.strip()}")

for f in failures:
    print("FAIL:", f)
print(f"svm_decode: {len(manifests)} kernels, {checked['blobs']} blobs, {checked['pages']} VMCB pages, "
      f"{checked['fields']} field values compared, {len(failures)} failures")
sys.exit(1 if failures else 0)
