#!/usr/bin/python3
"""nestscope abi on the real debuginfo of three kernels, and on profiles made
from it.  What is expected comes from the kernel's vmcs12.h, not from an
earlier nestscope run:

- every kernel is compatible with the table (exit 0): KVM never moves a
  vmcs12 offset;
- 7.2 (nested CET, Linux 6.18+) names exactly the six CET fields as added, at
  680, 688, ... 720, 8 bytes each; 5.10 and 6.1 name none, and have
  natural_width paddingl[8] at 680 where the CET block is (those six absent);
- struct vmcs12 comes out of kvm-intel.ko's DWARF whole: nestscope's members
  (through a profile) are gdb's, name for name, offset for offset;
- a profile doctored to move guest_rip (544, vmx_check_vmcs12_offsets) by 8
  bytes is an ABI break: exit 3, the finding names guest_rip at 552;
- the gdb command and the crash command (lookups by name) agree; every JSON
  document validates against docs/json-schema/abi-v1.json;
- docs/vmcs12-abi.md is what docs/gen-vmcs12-abi.sh makes of these kernels.

usage: vmcs12_abi.py BUILD_DIR CACHE_DIR
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import itest  # noqa: E402

build, cache = pathlib.Path(sys.argv[1]).resolve(), sys.argv[2]
nestscope = str(build / "nestscope")
check = itest.Checks()
tmp = tempfile.TemporaryDirectory()

KERNELS = ("5.10.0-46-amd64", "6.1.0-56-amd64", "7.2.13+deb14-amd64")
CET = ["host_s_cet", "host_ssp", "host_ssp_tbl", "guest_s_cet", "guest_ssp", "guest_ssp_tbl"]
NESTED_CET = {"7.2.13+deb14-amd64"}   # Linux 6.18 added the nested CET fields


def run(*args):
    return subprocess.run([nestscope, *args], capture_output=True, text=True)


def doc_of(r):
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {}


def validates(docs, name):
    paths = []
    for i, d in enumerate(docs):
        p = pathlib.Path(tmp.name, f"{name}-{i}.json")
        p.write_text(json.dumps(d))
        paths.append(str(p))
    r = subprocess.run(["/usr/bin/python3", "tests/cli/validate_json.py", "nestscope/abi/2", *paths],
                       capture_output=True, text=True)
    return r.returncode == 0


def gdb_members(ko):
    """struct vmcs12 as gdb reads kvm-intel.ko's DWARF: {name: (offset, size)} and sizeof."""
    script = ("import gdb, json\n"
              "t = gdb.lookup_type('struct vmcs12')\n"
              "print('ABI ' + json.dumps([t.sizeof, [[f.name, f.bitpos // 8, f.type.sizeof] for f in t.fields()]]))\n")
    py = pathlib.Path(tmp.name, "members.py")
    py.write_text(script)
    r = subprocess.run([*itest.gdb_command(), "-batch", "-nx", "-ex", f"source {py}", ko], capture_output=True,
                       text=True, timeout=600)
    line = next((x for x in r.stdout.splitlines() if x.startswith("ABI ")), None)
    if not line:
        return None, None
    size, members = json.loads(line[4:])
    return {n: (o, s) for n, o, s in members}, size


def expect_layout(kver, doc, how):
    """The verdict and the added/absent members the kernel's vmcs12.h gives."""
    added = [f for f in doc.get("findings", []) if f["kind"] == "added"]
    check(doc.get("compatible") is True and doc.get("break_count") == 0,
          f"{kver} ({how}): compatible with the table, no break")
    if kver in NESTED_CET:
        check(doc.get("added") == CET and
              [(f["member"], f["offset"], f["size"]) for f in added] == [(n, 680 + 8 * i, 8) for i, n in enumerate(CET)],
              f"{kver} ({how}): the six nested CET fields named as added, at 680..727 ({doc.get('added')})")
    else:
        absent = {f["table_member"]: f for f in doc.get("findings", []) if f["kind"] == "absent"}
        check(doc.get("added") == [] and
              all(n in absent and absent[n]["padding"] == {"member": "paddingl", "offset": 680, "size": 64}
                  for n in CET),
              f"{kver} ({how}): nothing added; the CET fields absent, paddingl[8] at 680 in their place")


for kver in KERNELS:
    found = itest.debuginfo(kver, cache)
    check(found is not None, f"{kver}: debuginfo fetched (samples/gen/debian-kernel.sh fetch-dbg)")
    if not found:
        continue
    vmlinux, mods = found
    root = str(pathlib.Path(vmlinux).parents[4])  # DIR/dbg of DIR/dbg/usr/lib/debug/boot/vmlinux-KVER
    ko = str(pathlib.Path(mods) / "kernel/arch/x86/kvm/kvm-intel.ko")

    # --debuginfo: text and JSON
    text, js = run("abi", "--debuginfo", root), run("abi", "--json", "--debuginfo", root)
    doc = doc_of(js)
    check(text.returncode == 0 and js.returncode == 0 and doc.get("release") == kver,
          f"{kver}: abi --debuginfo exits 0 and names the release [{text.stderr.strip()}]")
    check(text.stdout.startswith(f"struct vmcs12 of Linux {kver} ") and "\nverdict   compatible" in text.stdout,
          f"{kver}: the text names the release and says compatible")
    added_lines = [ln.split()[1] for ln in text.stdout.splitlines() if ln.startswith("added ")]
    check(added_lines == (CET if kver in NESTED_CET else ["none:"]),
          f"{kver}: the text's added lines name {'the six CET fields' if kver in NESTED_CET else 'none'}")
    expect_layout(kver, doc, "debuginfo")

    # --module: kvm-intel.ko alone; its vermagic names the release
    mod = doc_of(run("abi", "--json", "--module", ko))
    check(mod.get("release") == kver and mod.get("findings") == doc.get("findings"),
          f"{kver}: abi --module kvm-intel.ko gives the same findings and the release from vermagic")

    # a profile made from the debuginfo: the same report, and vmcs12 whole (gdb's members)
    prof = pathlib.Path(tmp.name, f"{kver}.json")
    made = run("profile", "--debuginfo", root, "-o", str(prof))
    check(made.returncode == 0, f"{kver}: nestscope profile --debuginfo [{made.stderr.strip()}]")
    if made.returncode:
        continue
    isf = json.loads(prof.read_text())
    v12 = isf["user_types"].get("vmcs12", {})
    gdbm, gdbsize = gdb_members(ko)
    ours = {n: f["offset"] for n, f in v12.get("fields", {}).items()}
    check(gdbm is not None and ours == {n: o for n, (o, _s) in gdbm.items()} and v12.get("size") == gdbsize,
          f"{kver}: the profile's struct vmcs12 has gdb's {len(gdbm or {})} members at gdb's offsets, "
          f"{gdbsize} bytes")
    pj = run("abi", "--json", "--profile", str(prof))
    pdoc = doc_of(pj)
    check(pj.returncode == 0 and pdoc.get("release") == kver and pdoc.get("kernel") == doc.get("kernel") and
          pdoc.get("findings") == doc.get("findings"),
          f"{kver}: abi --profile gives the debuginfo's report [{pj.stderr.strip()}]")
    expect_layout(kver, pdoc, "profile")

    # the profile doctored: guest_rip (544) moved by 8 bytes
    v12["fields"]["guest_rip"]["offset"] += 8
    bad = pathlib.Path(tmp.name, f"{kver}-moved.json")
    bad.write_text(json.dumps(isf))
    bt, bj = run("abi", "--profile", str(bad)), run("abi", "--json", "--profile", str(bad))
    bdoc = doc_of(bj)
    moved = [f for f in bdoc.get("findings", []) if f["kind"] == "moved"]
    check(bt.returncode == 3 and bj.returncode == 3 and bdoc.get("compatible") is False and
          [(f["member"], f["offset"], f["table_offset"], f["breaks"]) for f in moved] == [("guest_rip", 552, 544, True)],
          f"{kver}: a profile with guest_rip moved to 552 is an ABI break, exit 3 (exit {bt.returncode})")
    check("ABI BREAK" in bt.stdout and "guest_rip is at 552" in bt.stdout, f"{kver}: the text says the break")

    # gdb: vmcs12-abi from gdb.lookup_type('struct vmcs12').fields()
    env = dict(os.environ, NESTSCOPE_LIB=str(build / "libnestscope.so"))
    g = subprocess.run([*itest.gdb_command(), "-batch", "-nx", "-ex", "source plugin/gdb/nestscope-gdb.py",
                        "-ex", "vmcs12-abi -j", ko], capture_output=True, text=True, env=env, timeout=600)
    gdocs = [d for d in itest.json_docs(g.stdout) if d.get("schema") == "nestscope/abi/2"]
    check(len(gdocs) == 1 and gdocs[0]["findings"] == doc.get("findings") and gdocs[0]["types"] == "gdb's types",
          f"{kver}: gdb's vmcs12-abi gives the same findings [{g.stderr.strip()[-200:]}]")
    check(validates([doc, mod, pdoc, bdoc] + gdocs, kver), f"{kver}: the JSON documents validate (nestscope/abi/2)")

# crash: lookups by name, on the bundled dumps crash reads
for kver, _, _, dump, vmlinux, mods in itest.sample_dumps(
        "samples", cache, kernels=("5.10.0-46-amd64", "6.1.0-56-amd64"),
        missing=lambda kver: check(False, f"{kver}: a bundled dump and its debuginfo for crash")):
    with tempfile.NamedTemporaryFile("w", suffix=".in") as f:
        f.write(f"extend {itest.crash_extension(build)}\nmod -S {mods}\nvmcs12-abi -j\nvmcs12-abi\n")
        f.flush()
        with open(f.name) as stdin:
            c = subprocess.run([*itest.crash_command(), "-s", vmlinux, str(dump)], stdin=stdin,
                               capture_output=True, text=True, timeout=600)
    cdocs = [d for d in itest.json_docs(c.stdout) if d.get("schema") == "nestscope/abi/2"]
    cdoc = cdocs[0] if cdocs else {}
    check(cdoc.get("lookup_only") is True and cdoc.get("release") == kver and
          any(x["kind"] == "unlisted" for x in cdoc.get("findings", [])),
          f"{kver}: crash's vmcs12-abi checks by name and says added members cannot be listed")
    expect_layout(kver, cdoc, "crash")
    check("verdict   compatible" in c.stdout and validates(cdocs, f"crash-{kver}"),
          f"{kver}: crash's text verdict, and its JSON validates")

# docs/vmcs12-abi.md is what docs/gen-vmcs12-abi.sh writes from these kernels
fresh = pathlib.Path(tmp.name, "vmcs12-abi.md")
gen = subprocess.run(["sh", "docs/gen-vmcs12-abi.sh", str(fresh)], capture_output=True, text=True,
                     env=dict(os.environ, NESTSCOPE=nestscope, NESTSCOPE_CACHE=cache))
check(gen.returncode == 0 and fresh.read_text() == pathlib.Path("docs/vmcs12-abi.md").read_text(),
      f"docs/vmcs12-abi.md is current (regenerate it with docs/gen-vmcs12-abi.sh) [{gen.stderr.strip()[-300:]}]")

check.finish()
