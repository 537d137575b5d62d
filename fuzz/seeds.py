"""Seed corpora for the fuzz harnesses, from the real samples: vmcs12 regions
and nested-state blobs KVM wrote, hardware VMCS pages of the real dumps (as
`nestscope scan` finds them), the bundled profiles, Bochs's layout file, the
real L1 memory image, and a real QEMU migration stream (QEMU holding that
image, migrated to a file) with the nested-state subsection QEMU writes for
a real blob added.
usage: seeds.py NESTSCOPE OUTDIR
"""
import gzip
import json
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

root = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / "tests" / "integration"))
import itest  # noqa: E402
from qemustream import Stream, nested_subsection  # noqa: E402

nestscope, out = sys.argv[1], pathlib.Path(sys.argv[2])
shutil.rmtree(out, ignore_errors=True)
n = {}


def seed(target, name, data):
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)
    n[target] = n.get(target, 0) + 1


blobs = sorted(root.glob("samples/blobs/*/*.bin")) + sorted(root.glob("samples/*/basic/*.bin"))
regions = []
for b in blobs:
    data = b.read_bytes()
    tag = f"{b.parent.parent.name}-{b.parent.name}-{b.stem}"
    seed("nested_state", tag, data)
    if len(data) >= 128 + 4096:
        regions.append(data[128:128 + 4096])
        seed("vmcs12", tag, data[128:128 + 4096])
# blobs with a shadow vmcs12 (guest mode, VMCS shadowing), and each header-rule case
# (a real blob with one header field changed, tests/data/blob-rule-cases.txt)
for b in sorted(root.glob("samples/*/rich/nested_0[47]_*.bin")):
    seed("nested_state", f"{b.parent.parent.name}-{b.parent.name}-{b.stem}", b.read_bytes())
sys.path.insert(0, str(root / "tests" / "cli"))
import blobcases  # noqa: E402
for lineno, rule, base, edits, _ in blobcases.load_cases():
    data, _ = blobcases.mutate((blobcases.kernels()[-1] / base).read_bytes(), edits)
    seed("nested_state", f"case-{lineno}-{rule}", data)
caps = "".join(f"{c['msr']} {c['value']}\n" for c in json.loads(
    (root / "samples/6.1.0-56-amd64/basic/manifest-harness.json").read_text())["capability_msrs"])
for i, r in enumerate(regions[:8]):
    seed("checks", f"caps-vmcs12-{i}", caps.encode() + b"\0" + r)

seed("layout_file", "bochs", subprocess.run([nestscope, "layout", "show", "0x2b"], capture_output=True).stdout)
for p in sorted(root.glob("profiles/*.json")):
    seed("profile", p.name, p.read_bytes())
    seed("json", p.name, p.read_bytes())
# a path relative to the source tree: a seed names no machine's directories
seed("json", "decode", subprocess.run([str(pathlib.Path(nestscope).resolve()), "decode", "--json",
                                       str(blobs[0].relative_to(root))], capture_output=True, cwd=root).stdout)

# hardware VMCS pages from a real dump, through its raw form
with tempfile.TemporaryDirectory() as t:
    raw = pathlib.Path(t) / "raw"
    dump = root / "samples/6.1.0-56-amd64/dump/vmcore.kdump"
    subprocess.run([itest.kdump2raw(t), str(dump), str(raw)], check=True)
    found = json.loads(subprocess.run([nestscope, "scan", "--json", str(dump)], capture_output=True).stdout)
    with open(raw, "rb") as f:
        for r in found["regions"]:
            pa = int(r["physical"], 16)
            f.seek(pa)
            page = f.read(4096)
            if r["kind"] in ("hardware-vmcs", "hardware-shadow"):
                seed("hwvmcs", f"{r['kind']}-{pa:x}", page)
                if r.get("role") == "vmcs02":
                    v12 = int(r["vmcs12"], 16)
                    f.seek(v12)
                    seed("diff", f"vmcs12-{v12:x}-vmcs02-{pa:x}", f.read(4096) + page)

image = gzip.decompress((root / "samples/6.1.0-56-amd64/rich/l1-memory-after_vmclear.img.gz").read_bytes())
seed("scan", "l1-low-128k", image[:0x20000])
seed("evmcs", "l1-low-128k", image[:0x20000])

# a real QEMU stream (small RAM), and the same with a nested state added QEMU's way
with tempfile.TemporaryDirectory() as t:
    stream = pathlib.Path(t) / "stream"
    itest.migrate_to_file(image[:0x200000], t, stream)
    b = stream.read_bytes()
    seed("migstream", "qemu-7.2", b)
    w = Stream(b)
    w.walk()
    cpu = ("cpu", 0)
    sub, sd = nested_subsection(blobs[0].read_bytes())
    desc = json.loads(json.dumps(w.desc))
    [d for d in desc["devices"] if (d["name"], d["instance_id"]) == cpu][0].setdefault("subsections", []).append(sd)
    js = json.dumps(desc).encode()
    nested = b[:w.ends[cpu]] + sub + b[w.ends[cpu]:w.desc_at] + bytes([6]) + struct.pack(">I", len(js)) + js
    seed("migstream", "qemu-7.2-nested", nested)
print("seeds:", ", ".join(f"{k} {v}" for k, v in sorted(n.items())))
