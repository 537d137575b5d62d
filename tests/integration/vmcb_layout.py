#!/usr/bin/python3
"""The VMCB table (decoders/include/nestscope/vmcb_fields.def) against KVM's own types in each SVM sample
kernel's kvm-amd.ko debuginfo: every row's offset and size must be those of its member of struct
vmcb_control_area or struct vmcb_save_area as gdb reads them from DWARF (intercepts[INTERCEPT_*] by the
enumerators' values in the same debuginfo), or, for a field a kernel does not know yet, lie inside one of its
reserved_* members.  A kernel's older names are accepted as such: 6.1's exit_code and exit_code_hi (32 bits
each) for the 64-bit EXITCODE, nested_ctl for misc_ctl, virt_ext for misc_ctl2.  The rows are read through the
C preprocessor, so the segment macro expands as the library compiles it.  A kernel whose debuginfo cannot be
had is skipped with a note.

usage: vmcb_layout.py SAMPLES CACHE
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import itest  # noqa: E402

samples, cache = pathlib.Path(sys.argv[1]), sys.argv[2]
check = itest.Checks()
DEF = pathlib.Path("decoders/include/nestscope/vmcb_fields.def")
ALIASES = {"misc_ctl": ["nested_ctl"], "misc_ctl2": ["virt_ext"]}
SPLIT = {"exit_code": ("exit_code", "exit_code_hi")}  # one 64-bit field, two 32-bit members in 6.1
# members a kernel declares narrower than the APM's field, at the same offset: 6.1's u32 spec_ctrl (the struct
# ends there, at 740 bytes); 7.2 declares the APM's 8 bytes
NARROWER = {"spec_ctrl"}


def table():
    """(NAME, area, offset from the VMCB's start, size, KVM member) for each row, as cpp expands the .def."""
    src = "#define VMCB_FIELD(NAME, AREA, off, size, kvm, apm, DEC) @ROW NAME AREA (off) size kvm @END\n" \
          f'#include "{DEF.resolve()}"\n'
    out = subprocess.run(["cc", "-E", "-P", "-x", "c", "-"], input=src, capture_output=True, text=True,
                         check=True).stdout
    rows = []
    for m in re.finditer(r"@ROW (\w+) (CTRL|SAVE) (\([^)]*\)) (\d+) (.*?) @END", out, re.S):
        # the offset is an expression of hex numbers (the segment macro's off + 0x8); the member a string literal,
        # or two the preprocessor left side by side ("es" ".base")
        off = sum(int(t, 0) for t in re.findall(r"0x[0-9a-fA-F]+|\d+", m.group(3)))
        kvm = "".join(re.findall(r'"([^"]*)"', m.group(5)))
        rows.append((m.group(1), m.group(2), off + (0x400 if m.group(2) == "SAVE" else 0), int(m.group(4)), kvm))
    return rows


GDB_SCRIPT = r'''
import gdb, json
def leaves(t, base, prefix, out):
    for f in t.fields():
        if f.bitpos is None or f.name is None:
            continue
        ft = f.type.strip_typedefs()
        off = base + f.bitpos // 8
        name = prefix + f.name
        if ft.code == gdb.TYPE_CODE_STRUCT:
            leaves(ft, off, name + ".", out)
        elif ft.code == gdb.TYPE_CODE_ARRAY and not name.startswith("reserved") and ft.target().sizeof > 1:
            for i in range(ft.sizeof // ft.target().sizeof):
                out[f"{name}[{i}]"] = (off + i * ft.target().sizeof, ft.target().sizeof)
        else:
            out[name] = (off, ft.sizeof)
members = {}
leaves(gdb.lookup_type("struct vmcb_control_area"), 0, "", members)
save = {}
leaves(gdb.lookup_type("struct vmcb_save_area"), 0, "", save)
enums = {}
for e in ["INTERCEPT_CR", "INTERCEPT_DR", "INTERCEPT_EXCEPTION", "INTERCEPT_WORD3", "INTERCEPT_WORD4", "INTERCEPT_WORD5"]:
    try:
        enums[e] = int(gdb.parse_and_eval("(int)" + e))
    except gdb.error:
        pass
print("@JSON" + json.dumps({"control": members, "save": save, "enums": enums}))
'''


def kernel_types(ko):
    with tempfile.NamedTemporaryFile("w", suffix=".py") as f:
        f.write(GDB_SCRIPT)
        f.flush()
        r = subprocess.run(["gdb", "-batch", "-nx", "-ex", f"source {f.name}", str(ko)], capture_output=True,
                           text=True, timeout=300)
    line = next((ln for ln in r.stdout.splitlines() if ln.startswith("@JSON")), None)
    if not line:
        return None, r.stderr.strip()[-300:]
    return json.loads(line[5:]), None


rows = table()
check(len(rows) > 100 and len({r[0] for r in rows}) == len(rows),
      f"the table has its rows, each name once ({len(rows)} read through cpp)")
kernels = sorted(mf.parent.name for mf in samples.glob("svm/*/manifest.json"))
compared = 0  # kernels whose types were read
for kver in kernels:
    found = itest.debuginfo(kver, cache)
    ko = found and pathlib.Path(found[1]) / "kernel/arch/x86/kvm/kvm-amd.ko"
    if not ko or not ko.exists():
        print(f"note: {kver}: no kvm-amd.ko debuginfo, the table is not compared with this kernel's types")
        continue
    types, err = kernel_types(ko)
    if types is None:
        check(False, f"{kver}: gdb reads struct vmcb_control_area and vmcb_save_area from {ko.name} ({err})")
        continue
    bad, same, reserved, narrower = [], 0, 0, []
    for name, area, off, size, kvm in rows:
        members = types["control"] if area == "CTRL" else types["save"]
        base = 0 if area == "CTRL" else 0x400
        m = re.fullmatch(r"intercepts\[(\w+)\]", kvm)
        if m:
            kvm = f"intercepts[{types['enums'].get(m.group(1), '?')}]"
        got = None
        if kvm in SPLIT and all(p in members for p in SPLIT[kvm]):
            lo, hi = (members[p] for p in SPLIT[kvm])
            if hi[0] == lo[0] + lo[1]:
                got = ("+".join(SPLIT[kvm]), lo[0] + base, lo[1] + hi[1])
        for cand in [] if got else [kvm] + ALIASES.get(kvm, []):
            if cand in members:
                got = (cand, members[cand][0] + base, members[cand][1])
                break
        if got is None:
            # a field this kernel does not define yet must be in space it reserves
            inside = [r for r, (o, s) in members.items()
                      if r.startswith("reserved") and o + base <= off and off + size <= o + base + s]
            if inside:
                reserved += 1
            else:
                bad.append(f"{name} ({kvm}) at {off:#x}+{size} is neither a member of this kernel nor in its reserved space")
            continue
        if got[1:] == (off, size):
            same += 1
        elif kvm in NARROWER and got[1] == off and got[2] < size:
            narrower.append(f"{got[0]} {got[2]} bytes")
        else:
            bad.append(f"{name} at {off:#x}, {size} bytes; KVM's {got[0]} at {got[1]:#x}, {got[2]} bytes")
    for b in bad:
        check(False, f"{kver}: {b}")
    check(not bad and same + reserved + len(narrower) == len(rows),
          f"{kver}: kvm-amd.ko's types: {same} rows at their member's offset and size, {reserved} in space this "
          f"kernel reserves" + (f", narrower here: {', '.join(narrower)}" if narrower else ""))
    compared += 1
if not compared:
    print("note: no SVM sample kernel's debuginfo: only the table itself was read")
check.finish()
