"""Seed corpora for the fuzz harnesses, from the real samples: vmcs12 regions
and nested-state blobs KVM wrote, hardware VMCS pages of the real dumps (as
`nestscope scan` finds them), the bundled profiles, Bochs's layout file, the
real L1 memory image, and a real QEMU migration stream (QEMU holding that
image, migrated to a file) with the nested-state subsection QEMU writes for
a real VMX blob, and for a real SVM blob of each SVM sample kernel, added.
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
from qemustream import HDR, Stream, nested_subsection, with_nested  # noqa: E402

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
# the APM's VMRUN checks: each SVM sample VM's L1 CPUID with its vmcb12 pages
for page in sorted(root.glob("samples/svm/*/blobs/*/0[1-4]-vmcb12.bin")):
    seed("svm_checks", f"{page.parts[-4]}-{page.parent.name}-{page.stem}",
         (page.parent / "cpuid.txt").read_bytes() + b"\0" + page.read_bytes())

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
                    v12 = int(r["vmcs12_address"], 16)
                    f.seek(v12)
                    seed("diff", f"vmcs12-{v12:x}-vmcs02-{pa:x}", f.read(4096) + page)

image = gzip.decompress((root / "samples/6.1.0-56-amd64/rich/l1-memory-after_vmclear.img.gz").read_bytes())
seed("scan", "l1-low-128k", image[:0x20000])
seed("evmcs", "l1-low-128k", image[:0x20000])
# real VMCB pages (an AMD host's vmcb01 and vmcb02, an L1's vmcb12) side by side: scan's VMCB rules
svm = root / "samples/svm/7.2.13+deb14-amd64/dump/hold-rich"
seed("scan", "svm-vmcb01-vmcb02-vmcb12", b"".join((svm / f"03-{c}.bin").read_bytes()
                                                 for c in ("vmcb01", "vmcb02", "vmcb12")))

# a real QEMU stream (small RAM), and the same with a nested state added QEMU's way
with tempfile.TemporaryDirectory() as t:
    stream = pathlib.Path(t) / "stream"
    itest.migrate_to_file(image[:0x200000], t, stream)
    b = stream.read_bytes()
    seed("migstream", "qemu-7.2", b)
    w = Stream(b)
    w.walk()
    cpu = ("cpu", 0)
    seed("migstream", "qemu-7.2-nested", with_nested(b, w, {cpu: nested_subsection(blobs[0].read_bytes())}))
    # AMD SVM: QEMU's cpu/kvm_nested_state/svm subsection for each sample kernel's first in-L2 SVM blob
    for k in sorted(root.glob("samples/svm/*/blobs/basic")):
        in_l2 = [x for x in sorted(k.glob("*-nested-state.bin")) if x.stat().st_size > HDR][:1]
        for x in in_l2:
            seed("migstream", f"qemu-7.2-svm-nested-{k.parent.parent.name}",
                 with_nested(b, w, {cpu: nested_subsection(x.read_bytes())}))
print("seeds:", ", ".join(f"{k} {v}" for k, v in sorted(n.items())))

# The dump harnesses (fuzz_dump_*): each bundled kdump made small.  A seed
# holds the real headers and notes (VMCOREINFO), the first present page
# frames and the pages kernel address translation walks for the profile's
# symbols (page tables, the data), as a kdump (the real zlib pages, the
# bitmaps and descriptors rewritten), an ELF core (a PT_LOAD per run of
# frames) and a sparse raw image (fuzz_dump_raw's records).  The 6.1 dump
# itself is fuzz_dump_triage's memory; its seed is a few patches.
SKM = 0xffffffff80000000
profile = json.loads((root / "profiles/6.1.0-56-amd64.json").read_text())
SYMS = [profile["symbols"][s]["address"] for s in ("linux_banner", "init_uts_ns", "page_offset_base", "init_top_pgt",
                                                   "modules")]


def walk(raw, pgt, va):
    """The page-table pages the translation of va reads, and the page it lands in (None: not mapped)."""
    pages, table = [], pgt
    for level, shift in enumerate((39, 30, 21, 12)):
        pages.append(table >> 12)
        raw.seek(table + ((va >> shift) & 511) * 8)
        e = struct.unpack("<Q", raw.read(8))[0]
        if not e & 1:
            return pages, None
        if level in (1, 2) and e & 0x80:
            return pages, ((e & 0xffffffffff000 & ~((1 << shift) - 1)) | (va & ((1 << shift) - 1))) >> 12
        table = e & 0xffffffffff000
    return pages, table >> 12


def small_dump(kdump, rawpath, tag, nfirst=24):
    f = open(kdump, "rb")
    h = bytearray(f.read(4096))
    sub_blocks, bitmap_blocks, mapnr = struct.unpack_from("<iII", h, 432)
    sub = bytearray(f.read(sub_blocks * 4096))
    info = dict(line.split("=", 1) for line in sub[struct.unpack_from("<Q", sub, 32)[0] - 4096:][
        :struct.unpack_from("<Q", sub, 40)[0]].decode().splitlines() if "=" in line)
    kaslr, phys_base = int(info.get("KERNELOFFSET", "0"), 16), int(info.get("NUMBER(phys_base)", "0"))
    half = bitmap_blocks * 4096 // 2
    f.seek((1 + sub_blocks) * 4096)
    bm1, bm2 = f.read(half), f.read(half)
    present = [p for p in range(mapnr) if bm2[p >> 3] >> (p & 7) & 1]
    index = {p: i for i, p in enumerate(present)}
    want = set(present[:nfirst])
    with open(rawpath, "rb") as raw:
        pgt = SYMS[3] + kaslr - SKM + phys_base
        for s in SYMS:
            pages, target = walk(raw, pgt, s + kaslr)
            want.update(pages + ([target, target + 1] if target is not None else []))
        want = sorted(p for p in want if p in index)
        pages = {}
        for p in want:
            raw.seek(p * 4096)
            pages[p] = raw.read(4096)
    n = max(want) + 1
    blocks = (n + 32767) // 32768
    b1, b2 = bytearray(blocks * 4096), bytearray(blocks * 4096)
    b1[:(n + 7) // 8] = bm1[:(n + 7) // 8]
    for p in range(n, (n + 7) // 8 * 8):
        b1[p >> 3] &= ~(1 << (p & 7)) & 0xff
    for p in want:
        b2[p >> 3] |= 1 << (p & 7)
    struct.pack_into("<II", h, 436, 2 * blocks, n)
    struct.pack_into("<Q", sub, 96, n)
    # the real descriptors, their data copied after the new table
    data_at = (1 + sub_blocks + 2 * blocks) * 4096 + 24 * len(want)
    descs, data, seen = b"", b"", {}
    for p in want:
        f.seek((1 + sub_blocks + bitmap_blocks) * 4096 + 24 * index[p])
        off, size, flags, pflags = struct.unpack("<QIIQ", f.read(24))
        if off not in seen:
            f.seek(off)
            seen[off] = data_at + len(data)
            data += f.read(size)
        descs += struct.pack("<QIIQ", seen[off], size, flags, pflags)
    seed("dump_kdump", tag, bytes(h + sub + b1 + b2) + descs + data)
    # ELF core: the kdump's notes (VMCOREINFO among them), one PT_LOAD per run of frames
    notes = bytes(sub[struct.unpack_from("<Q", sub, 48)[0] - 4096:][:struct.unpack_from("<Q", sub, 56)[0]])
    runs = []
    for p in want:
        if runs and runs[-1][1] == p:
            runs[-1][1] = p + 1
        else:
            runs.append([p, p + 1])
    phnum = 1 + len(runs)
    at = 64 + 56 * phnum
    ph = struct.pack("<IIQQQQQQ", 4, 0, at, 0, 0, len(notes), 0, 4)
    body = notes
    for a, b in runs:
        ph += struct.pack("<IIQQQQQQ", 1, 7, at + len(body), 0xffff888000000000 + a * 4096, a * 4096,
                          (b - a) * 4096, (b - a) * 4096, 4096)
        body += b"".join(pages[p] for p in range(a, b))
    ehdr = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64, 56, phnum,
                                                              0, 0, 0)
    seed("dump_elf", tag, ehdr + ph + body)
    seed("dump_raw", tag, b"".join(struct.pack("<I", p) + pages[p] for p in want))


with tempfile.TemporaryDirectory() as t:
    for k in ("5.10.0-46-amd64", "6.1.0-56-amd64", "7.2.13+deb14-amd64"):
        raw = pathlib.Path(t) / "raw"
        subprocess.run([itest.kdump2raw(t), str(root / f"samples/{k}/dump/vmcore.kdump"), str(raw)], check=True)
        small_dump(root / f"samples/{k}/dump/vmcore.kdump", raw, k)
        raw.unlink()
# fuzz_dump_triage: no patch (the clean triage), and one of each width
seed("dump_triage", "clean", b"")
seed("dump_triage", "widths", b"".join(struct.pack("<HHQ", i * 97 | w << 14, 8 * i, 0) for i, w in
                                       enumerate((0, 1, 2, 3))))
print("dump seeds:", ", ".join(f"{k} {v}" for k, v in sorted(n.items()) if k.startswith("dump")))
