"""The derived inputs of the golden run (tests/golden/README.md).

Every file here is made from the bundled samples, profiles and test data of
the tree the harness lives in (SRC), the same way the test suite makes its
own: blobs with one header field changed (tests/data/blob-rule-cases.txt),
vmcs12s with the fields of a rule case changed (tests/data/check-cases.txt),
bad and hostile files (tests/cli/bad_input.sh, triage_bad_input.sh,
hostile_dumps.py), raw images and ELF cores of the kdumps (kdump2raw,
gdbcore, as the integration tests build them), an enlightened VMCS in L1's
memory (scan_samples.py), QEMU migration streams (migration_stream.py), and
layout files.  Nothing is taken from nestscope's output: field offsets come
from the kernel's own layout (tests/data/pahole-vmcs12-6.1.0-56.txt),
capabilities from the samples' manifest.

They are made once into INPUTS (default ~/.cache/nestscope/golden/inputs) and
reused by every run, so that a "before" and an "after" run read the very same
bytes.  INPUTS_VERSION and the hashes of the sources listed in SOURCES decide
when they are made again; all but QEMU's migration stream come out byte for
byte the same.  QEMU's stream does not (the order of its RAM pages varies), so
INPUTS/migration has a stamp of its own (MIGRATION_SOURCES) and is kept when
the rest is made again.
"""
import fcntl
import gzip
import hashlib
import json
import os
import pathlib
import random
import re
import shutil
import struct
import subprocess
import sys
import zlib

INPUTS_VERSION = "1"
KERNELS = ("5.10.0-46-amd64", "6.1.0-56-amd64", "7.2.13+deb14-amd64")
MANY = "many-vms/6.1.0-56-amd64"
# sample directory (under samples/) -> kernel release, for every bundled kdump
DUMPS = {k: k for k in KERNELS}
DUMPS[MANY] = "6.1.0-56-amd64"
DIRECT_MAP = 0xffff888000000000  # the samples boot with nokaslr
PAGE = 4096

# what the generator reads besides the samples (a change makes the inputs again)
SOURCES = ("tests/golden/inputs.py", "tests/integration/kdump2raw.c", "tests/integration/gdbcore.c",
           "samples/gen/raw2elf.c", "tests/data/blob-rule-cases.txt", "tests/data/check-cases.txt",
           "tests/data/pahole-vmcs12-6.1.0-56.txt", "tests/integration/qemustream.py",
           "tests/cli/blobcases.py", "tests/cli/cases.py", "tests/cli/sparseimg.py", "tests/cli/kdumpelf.py",
           "tests/integration/pagewalk.py",
           "profiles/6.1.0-56-amd64.json")
MIGRATION_VERSION = "1"
MIGRATION_SOURCES = ("tests/integration/qemustream.py", "tests/integration/itest.py",
                     "samples/6.1.0-56-amd64/rich/l1-memory-after_vmclear.img.gz",
                     "samples/blobs/rich/nested_l2_guestmode_1.bin", "samples/blobs/basic/nested_final.bin")

# ---- vmcs12 fields by name, from the kernel's own layout (pahole of 6.1's kvm-intel.ko) ----

# the nested CET block (Linux 6.18+), in former paddingl[] at 680..727
CET = {"host_s_cet": 680, "host_ssp": 688, "host_intr_ssp_table": 696, "guest_s_cet": 704, "guest_ssp": 712,
       "guest_intr_ssp_table": 720}


def vmcs12_members(src):
    """member name -> (offset, size) in struct vmcs12, as pahole printed it."""
    out = {}
    for line in (src / "tests/data/pahole-vmcs12-6.1.0-56.txt").read_text().splitlines():
        m = re.match(r"\s*[\w ]+?\s+(\w+)(\[\d+\])?;\s*/\*\s*(\d+)\s+(\d+)\s*\*/", line)
        if m:
            out[m.group(1)] = (int(m.group(3)), int(m.group(4)))
    out.update({n: (o, 8) for n, o in CET.items()})
    return out


# ---- the per-rule blob cases (tests/data/blob-rule-cases.txt): read and applied by tests/cli/blobcases.py ----

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "cli"))
import blobcases  # noqa: E402  (the test suite's own reader: the harness makes each case's blob as the tests do)
import cases  # noqa: E402  (the same for the SDM rule cases)
import kdumpelf  # noqa: E402  (hostile_dumps.py's kdump layout and ELF core)
import sparseimg  # noqa: E402  (scan_jobs.py's 40 GiB image)
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "integration"))
import pagewalk  # noqa: E402  (damaged_dumps.py's page walk)


def blob_rule_cases(src):
    """(line number, rule, base, edits) per case of SRC's blob-rule-cases.txt (SRC is this file's tree)."""
    assert pathlib.Path(src).resolve() == blobcases.ROOT, "the blob cases are read from the harness's own tree"
    for lineno, rule, base, edits, _why in blobcases.load_cases():
        yield lineno, rule, base, edits


blob_mutate = blobcases.mutate


# ---- the SDM rule cases (tests/data/check-cases.txt, tests/cli/cases.py) ----

def check_cases(src):
    """(line number, rule, verdict, mutations) per case, as tests/cli/cases.py reads them."""
    return [case[:4] for case in cases.load(src)]


def check_mutate(base, muts, members):
    """The blob with each FIELD=VALUE written into its vmcs12 at pahole's offset for it (cases.py writes it)."""
    return cases.mutate(base, muts, lambda name: members[name.lower()])


check_options = cases.options


def caps_lines(src):
    """The capability MSRs L1 read in the 6.1 sample (its manifest), as caps-file lines, and L1's MAXPHYADDR 40."""
    m = json.loads((src / "samples/6.1.0-56-amd64/manifest.json").read_text())
    return [f"{x['name']} {x['value']}" for x in m["dump"]["vms"][0]["capability_msrs"]] + ["maxphyaddr 40"]


# ---- helpers ----

def sha256(path, limit=1 << 30):
    """sha256 of a file, or None when it is larger than limit (the sparse images)."""
    if path.stat().st_size > limit:
        return None
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def stamp(src, version=INPUTS_VERSION, sources=SOURCES):
    h = hashlib.sha256(version.encode())
    for s in sources:
        p = src / s
        h.update(s.encode() + b"\0" + (p.read_bytes() if p.exists() else b"(missing)"))
    return h.hexdigest()


def build_tool(src, out, name, c_file, libkdumpfile=True):
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libkdumpfile"], capture_output=True,
                           text=True, check=True).stdout.split() if libkdumpfile else []
    exe = out / name
    subprocess.run(["cc", "-O2", "-Wall", "-D_GNU_SOURCE", "-o", str(exe), str(src / c_file), *flags], check=True)
    return exe


# ---- the generator ----

def make(src, inputs, log=print):
    """Makes every derived input in inputs (when its stamp is not current); returns the notes of what could not be made."""
    inputs.mkdir(parents=True, exist_ok=True)
    with open(inputs.parent / (inputs.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        want = stamp(src)
        st = inputs / "STAMP"
        if st.exists() and st.read_text().strip() == want:
            notes = inputs / "NOTES"
            return notes.read_text().splitlines() if notes.exists() else []
        log(f"golden: making the derived inputs in {inputs} (once; reused by later runs)")
        mig, mig_stamp = inputs / "migration", stamp(src, MIGRATION_VERSION, MIGRATION_SOURCES)
        keep = (mig / "STAMP").exists() and (mig / "STAMP").read_text().strip() == mig_stamp
        kept = inputs.parent / (inputs.name + ".migration-kept")
        if keep:
            shutil.rmtree(kept, ignore_errors=True)
            mig.rename(kept)
        for p in inputs.iterdir():
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        if keep:
            kept.rename(mig)
        notes = []
        Maker(src, inputs, notes, log).all(skip=("migration",) if keep else ())
        if not keep and (mig / "stream.bin").exists():
            (mig / "STAMP").write_text(mig_stamp + "\n")
        (inputs / "NOTES").write_text("".join(n + "\n" for n in notes))
        manifest = []
        for p in sorted(x for x in inputs.rglob("*") if x.is_file() and x.name not in ("STAMP", "MANIFEST", "NOTES")):
            h = sha256(p)
            manifest.append(f"{h or 'size-only ' + str(p.stat().st_size)}  {p.relative_to(inputs)}")
        (inputs / "MANIFEST").write_text("\n".join(manifest) + "\n")
        st.write_text(want + "\n")
        return notes


class Maker:
    def __init__(self, src, out, notes, log):
        self.src, self.out, self.notes, self.log = src, out, notes, log

    def w(self, rel, data):
        p = self.out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        return p

    def all(self, skip=()):
        tools = self.out / "tools"
        tools.mkdir()
        self.kdump2raw = build_tool(self.src, tools, "kdump2raw", "tests/integration/kdump2raw.c")
        self.gdbcore = build_tool(self.src, tools, "gdbcore", "tests/integration/gdbcore.c")
        self.raw2elf = build_tool(self.src, tools, "raw2elf", "samples/gen/raw2elf.c", libkdumpfile=False)
        for step in (self.blobs, self.blob_rules, self.check_cases, self.l1_images, self.profiles, self.layouts,
                     self.dumps, self.evmcs, self.hostile, self.sparse, self.migration):
            if step.__name__ in skip:
                self.log(f"golden:   {step.__name__}: kept")
                continue
            self.log(f"golden:   {step.__name__}")
            try:
                step()
            except Exception as e:  # noqa: BLE001 - a missing input is reported, the rest goes on
                self.notes.append(f"{step.__name__}: {type(e).__name__}: {e}")
                self.log(f"golden:   {step.__name__} failed: {e}")

    # tests/cli/bad_input.sh, json_schema.sh, blob_rules.py (multi), hostile_dumps.py (header flips)
    def blobs(self):
        blob = (self.src / "samples/blobs/basic/nested_l2_guestmode_1.bin").read_bytes()

        def p32(data, off, val):
            b = bytearray(data)
            b[off:off + 4] = struct.pack("<I", val)
            return bytes(b)
        raw = blob[-4096:]
        self.w("blob/empty", b"")
        self.w("blob/truncated", blob[:1000])
        self.w("blob/size-lies", p32(blob, 4, 8320))
        self.w("blob/size-absurd", p32(blob, 4, 0x7fffffff))
        self.w("blob/vmcs12.raw", raw)
        self.w("blob/wrong-revision", p32(raw, 0, 0x2b))
        self.w("blob/short-vmcs12", raw[:500])
        r = random.Random(7)
        self.w("blob/random", bytes(r.randrange(256) for _ in range(4096)))
        (self.out / "blob/a-directory").mkdir()
        self.w("blob/rich-final-vmcs12.raw", (self.src / "samples/blobs/rich/nested_final.bin").read_bytes()[-4096:])
        s = bytearray(blob)
        s[2] = 1  # SVM format
        self.w("blob/svm.bin", s)
        f = bytearray(blob)
        f[128 + 3] |= 0x80  # shadow-VMCS bit
        f[128 + 20] = 1     # padding
        f[128 + 700] = 1    # the nested CET block
        self.w("blob/findings.bin", f)
        m = bytearray((self.src / "samples/5.10.0-46-amd64/basic/nested_02_after_vmptrld.bin").read_bytes())
        struct.pack_into("<H", m, 0, 0x12)    # RUN_PENDING without GUEST_MODE, bit 4
        struct.pack_into("<Q", m, 8, 0x6800)  # vmxon_pa misaligned
        self.w("blob/multi.bin", m)
        hb = (self.src / "samples/6.1.0-56-amd64/basic/nested_05_l1_exit_1_reason_18.bin").read_bytes()
        for o in range(128):
            b = bytearray(hb)
            b[o] ^= 0xff
            self.w(f"blob/flip/{o:03d}.bin", b)

    def blob_rules(self):
        for lineno, _rule, base, edits in blob_rule_cases(self.src):
            for k in KERNELS:
                data, opts = blob_mutate((self.src / "samples" / k / base).read_bytes(), edits)
                self.w(f"blobrule/L{lineno:03d}/{k}.bin", data)
                (self.out / f"blobrule/L{lineno:03d}/{k}.opts").write_text(" ".join(opts) + "\n")

    def check_cases(self):
        members = vmcs12_members(self.src)
        base = (self.src / "samples/6.1.0-56-amd64/rich/nested_03_after_vmwrites.bin").read_bytes()
        caps = caps_lines(self.src)
        for lineno, _rule, _want, muts in check_cases(self.src):
            opts, extra = check_options(muts)
            self.w(f"checkcase/L{lineno:03d}.bin", check_mutate(base, muts, members))
            if extra:
                self.w(f"checkcase/L{lineno:03d}.caps", ("\n".join(caps + extra) + "\n").encode())
                opts += ["--caps", str(self.out / f"checkcase/L{lineno:03d}.caps")]
            (self.out / f"checkcase/L{lineno:03d}.opts").write_text(" ".join(opts) + "\n")
        self.w("checkcase/l1-6.1.caps", ("\n".join(caps) + "\n").encode())
        self.w("checkcase/bad.caps", b"IA32_VMX_BASIC notanumber\n")

    def l1_images(self):
        for k in KERNELS:
            for cfg in ("basic", "rich"):
                self.w(f"l1/{k}-{cfg}.img",
                       gzip.decompress((self.src / "samples" / k / cfg / "l1-memory-after_vmclear.img.gz").read_bytes()))

    # tests/cli/abi.sh and triage_bad_input.sh: profiles changed in one place
    def profiles(self):
        prof = json.loads((self.src / "profiles/6.1.0-56-amd64.json").read_text())
        fields = {n: {"offset": o, "type": {"kind": "array", "count": s, "subtype": {"kind": "base",
                                                                                       "name": "unsigned char"}}}
                  for n, (o, s) in vmcs12_members(self.src).items() if n not in CET}
        p = json.loads(json.dumps(prof))
        p["user_types"]["vmcs12"] = {"kind": "struct", "size": 998, "fields": fields}
        self.w("profile/p61-pahole.json", json.dumps(p).encode())
        fields["guest_rip"]["offset"] += 8
        self.w("profile/p61-pahole-moved.json", json.dumps(p).encode())
        del p["user_types"]["vmcs12"]
        self.w("profile/no-vmcs12.json", json.dumps(p).encode())
        moved = json.loads(json.dumps(prof))
        moved["user_types"]["vmcs12"]["fields"]["guest_rip"]["offset"] += 8
        self.w("profile/6.1-guest_rip-moved.json", json.dumps(moved).encode())
        bad = json.loads(json.dumps(prof))
        bad["user_types"]["kvm"]["fields"]["vm_list"]["offset"] = bad["user_types"]["kvm"]["size"] + 8
        self.w("profile/outside.json", json.dumps(bad).encode())
        other = json.loads(json.dumps(prof))
        other["metadata"]["nestscope"]["release"] = "9.9.9-other"
        other["metadata"]["nestscope"]["banner"] = "Linux version 9.9.9-other (x) #1\n"
        self.w("profile/other-kernel.json", json.dumps(other).encode())
        nomod = json.loads(json.dumps(prof))
        del nomod["symbols"]["modules"]
        self.w("profile/no-modules.json", json.dumps(nomod).encode())
        self.w("profile/not-isf.json", b'{"metadata": {}, "base_types": {}}')
        self.w("profile/cut.json", b'{"metadata": {')
        self.w("profile/deep.json", b"[" * 200)
        self.w("profile/text", b"not a dump at all\n")
        kd = (self.src / "samples/6.1.0-56-amd64/dump/vmcore.kdump").read_bytes()
        self.w("profile/truncated.kdump", kd[:4096])
        self.w("profile/headers-only.kdump", kd[:100000])
        b = bytearray(1 << 20)
        b[0x5000:0x5000 + 40] = b"Linux version 6.1.0-56-amd64 (x) #1 SMP\n"
        self.w("profile/banner-only.raw", b)
        (self.out / "profile/empty-dir").mkdir()

    # layout files (docs/layout-format.md): Bochs's formula for the fields of tests/data/linux-vmcs-fields.txt
    def layouts(self):
        lines = []
        for line in (self.src / "tests/data/linux-vmcs-fields.txt").read_text().splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            enc = int(line.split()[1], 16)
            if enc & 1:
                continue  # a HIGH half: read with its field
            width, typ = (enc >> 13) & 3, (enc >> 10) & 3
            off = 0x10 + 4 * (64 * (width * 4 + typ) + (enc & 0x3f))
            size = {0: 2, 1: 8, 2: 4, 3: 8}[width]
            rol = " rol8" if 0x4814 <= enc <= 0x4822 and typ == 2 and width == 2 else ""
            lines.append(f"field {enc:#06x} {off:#x} {size}{rol}")
        head = ["# nestscope hardware VMCS layout, made by tests/golden/inputs.py from Bochs's formula",
                "header revision 0x0 4", "header abort 0x4 4", "header launch_state 0x8 4", "size 4096"]
        self.w("layout/bochs-formula-0x2b.layout",
               ("\n".join(["name golden-bochs-formula", "revision 0x2b"] + head + lines) + "\n").encode())
        self.w("layout/other-0x1234.layout",
               ("\n".join(["name golden-other", "revision 0x1234"] + head + lines[:10]) + "\n").encode())
        self.w("layout/bad-offset.layout",
               b"name golden-bad\nrevision 0x2b\nsize 4096\nfield 0x681e 0x1000 8\n")
        self.w("layout/bad-syntax.layout", b"name golden-bad\nrevision 0x2b\nsize 4096\nfield GUEST_RIP here\n")

    # the kdumps as raw images (kdump2raw) and ELF cores at kernel virtual addresses (gdbcore)
    def dumps(self):
        for sample in DUMPS:
            tag = sample.replace("/", "-")
            kd = self.src / "samples" / sample / "dump/vmcore.kdump"
            raw = self.out / f"dump/{tag}.raw"
            raw.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([str(self.kdump2raw), str(kd), str(raw)], check=True)
            subprocess.run([str(self.gdbcore), str(kd), str(self.out / f"dump/{tag}.core")], check=True,
                           stdout=subprocess.DEVNULL)
        # damaged_dumps.py: the 6.1 dump's memory damaged where KVM's structures are
        prof = json.loads((self.src / "profiles/6.1.0-56-amd64.json").read_text())
        ut = prof["user_types"]
        off = lambda s, m: ut[s]["fields"][m]["offset"]  # noqa: E731
        sym = lambda n: prof["symbols"][n]["address"]  # noqa: E731
        man = json.loads((self.src / "samples/6.1.0-56-amd64/manifest.json").read_text())
        vm_list = int(next(s["address"] for s in man["dump"]["vms"][0]["kernel_symbols"] if s["name"] == "vm_list"), 16)
        raw = self.out / "dump/6.1.0-56-amd64.raw"
        tr = pagewalk.PageWalk(open(raw, "rb"), sym("init_top_pgt"))
        kvm0 = tr.u64(vm_list) - off("kvm", "vm_list")  # the first VM on vm_list
        entry = tr.u64(kvm0 + off("kvm", "vcpu_array") + off("xarray", "xa_head"))
        while entry & 3 == 2 and entry > 4096:  # an internal xa_node: index 0 is slot 0 all the way down
            entry = tr.u64((entry & ~3) + off("xa_node", "slots"))
        vmx0 = entry  # vcpu_vmx starts with its struct kvm_vcpu
        if tr.u64(vmx0 + off("kvm_vcpu", "kvm")) != kvm0:
            raise RuntimeError(f"vCPU 0 of the first VM not found (xarray entry {vmx0:#x})")
        q = lambda v: struct.pack("<Q", v)  # noqa: E731
        vml = kvm0 + off("kvm", "vm_list")
        damages = {
            "kvm-page-zeroed": [(vml & ~0xfff, bytes(4096))],
            "vm_list-cyclic": [(vml, q(vml))],
            "vcpu_array-garbage": [(kvm0 + off("kvm", "vcpu_array") + off("xarray", "xa_head"), q(0xffffdead41414000))],
            "online_vcpus-absurd": [(kvm0 + off("kvm", "online_vcpus"), struct.pack("<I", 0x7fffffff))],
            "cached_vmcs12-unmapped": [(vmx0 + off("vcpu_vmx", "nested") + off("nested_vmx", "cached_vmcs12"),
                                        q(0xffffc9ffdead0000))],
            "modules-corrupt": [(sym("modules"), q(0x4242424242424242))],
        }
        # the damaged images are made at run time from the raw image (each is a 512 MiB copy); here, where
        patches = {name: [[tr(va), data.hex()] for va, data in p] for name, p in damages.items()}
        patches["cut-before-vcpus"] = tr(vmx0) & ~0xfffff  # the image cut short under the vCPUs
        tr.mem.close()
        self.w("damaged/patches.json",
               json.dumps({"kvm": hex(kvm0), "vcpu_vmx": hex(vmx0), "patches": patches}).encode())

    # scan_samples.py: an enlightened VMCS (TLFS layout) and two decoys in a free page of L1's rich image
    def evmcs(self):
        for k in KERNELS:
            rich = self.src / "samples" / k / "rich"
            h = json.loads((rich / "manifest-harness.json").read_text())
            img = bytearray(gzip.decompress((rich / "l1-memory-after_vmclear.img.gz").read_bytes()))
            cr3 = int(h["steps"][0]["cr3"], 16)
            handler = int(h["addresses"]["l1_exit_handler"], 16)

            def evmcs(link, rip):
                p = bytearray(4096)
                struct.pack_into("<II", p, 0, 1, 0)
                struct.pack_into("<QQQ", p, 40, 0x80000033, cr3, 0x2020)
                struct.pack_into("<Q", p, 80, rip)
                struct.pack_into("<Q", p, 416, link)
                struct.pack_into("<Q", p, 816, 0x4242)
                return p
            free = [pa for pa in range(0x100000, len(img), 4096) if not any(img[pa:pa + 4096 * 3])][0]
            img[free:free + 4096] = evmcs(0xffffffffffffffff, handler)
            img[free + 4096:free + 8192] = evmcs(0, handler)
            img[free + 8192:free + 12288] = evmcs(0xffffffffffffffff, 0xdead00000000)
            self.w(f"l1/{k}-rich-evmcs.img", img)

    # hostile_dumps.py: cut, foreign, gzip; the kdump's and ELF core's header bytes are flipped at run time
    def hostile(self):
        kd = (self.src / "samples/6.1.0-56-amd64/dump/vmcore.kdump").read_bytes()
        kdump = kdumpelf.Kdump(kd)
        for n in kdump.cuts():
            self.w(f"hostile/kdump-cut/{n:08d}.kdump", kd[:n])
        # an ELF core of the same memory (one PT_NOTE, a PT_LOAD per run of pages)
        elf = self.out / "hostile/core.elf"
        core = kdumpelf.ElfCore(kdump, elf)
        (self.out / "hostile/core.elf.phend").write_text(f"{core.ph_end}\n")
        for n in sorted(core.cuts()):
            c = self.out / f"hostile/elf-cut/{n:08d}.elf"
            c.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(["cp", "--sparse=always", str(elf), str(c)], check=True)
            os.truncate(c, n)
        # foreign files: other architectures (the tail is fixed bytes, not random ones)
        tail = bytes(random.Random(11).randrange(256) for _ in range(4096))
        for name, machine, cls, data in kdumpelf.FOREIGN_CORES + (kdumpelf.I386_CORE,):
            self.w(f"hostile/foreign/{name}", kdumpelf.elf_core_header(machine, cls, data) + tail)
        self.w("hostile/foreign/aarch64.kdump", kdumpelf.kdump_of_machine(kd, "aarch64"))
        img = (self.src / "samples/6.1.0-56-amd64/basic/l1-memory-after_vmclear.img.gz").read_bytes()
        for n in (10, 100, len(img) // 2, len(img) - 8, len(img) - 1):
            self.w(f"hostile/gzip/cut-{n:08d}.gz", img[:n])
        crc = bytearray(img)
        crc[-6] ^= 0xff
        self.w("hostile/gzip/bad-crc.gz", crc)

    # hostile_dumps.py's 10 GiB image and gzip bomb; scan_jobs.py's 40 GiB image of 5000 vmcs12 pages
    def sparse(self):
        s = self.out / "sparse/10g.img"
        s.parent.mkdir(parents=True, exist_ok=True)
        with open(s, "wb") as f:
            f.truncate(10 << 30)
            f.seek(5 << 30)
            f.write(random.Random(12).randbytes(1 << 20))
        member = zlib.compressobj(9, zlib.DEFLATED, 31)
        chunk = bytes(1 << 20)
        zpart = b"".join(member.compress(chunk) for _ in range(256)) + member.flush()
        self.w("sparse/bomb.gz", zpart * 4)
        man = json.loads((self.src / "samples/6.1.0-56-amd64/rich/manifest-harness.json").read_text())
        pa = int(man["addresses"]["vmcs12_pa"], 16)
        with gzip.open(self.src / "samples/6.1.0-56-amd64/rich/l1-memory-after_vmclear.img.gz") as f:
            f.seek(pa)
            page = f.read(PAGE)
        sparseimg.write(self.out / "sparse/40g-5000-vmcs12.img", page)

    # migration_stream.py: QEMU (TCG) holding the 6.1 rich L1 image, migrated to a file; nested state added
    def migration(self):
        sys.path.insert(0, str(self.src / "tests/integration"))
        import itest  # noqa: E402
        from qemustream import Stream, nested_subsection  # noqa: E402
        blobs = [self.src / "samples/blobs/rich/nested_l2_guestmode_1.bin",
                 self.src / "samples/blobs/basic/nested_final.bin"]
        image = gzip.decompress((self.src / "samples/6.1.0-56-amd64/rich/l1-memory-after_vmclear.img.gz").read_bytes())
        d = self.out / "migration"
        d.mkdir()
        work = d / "qemu"
        work.mkdir()
        stream = d / "stream.bin"
        itest.migrate_to_file(image, work, stream, "-smp", "2")
        shutil.rmtree(work)
        b = stream.read_bytes()
        if b[:4] != b"QEVM":
            raise RuntimeError("QEMU wrote no migration stream")
        w = Stream(b)
        w.walk()
        cpus = sorted(k for k in w.ends if k[0] == "cpu")
        out, last = bytearray(), 0
        desc = json.loads(json.dumps(w.desc))
        devs = {(x["name"], x["instance_id"]): x for x in desc["devices"]}
        for cpu, blob in zip(cpus, blobs):
            sub, sd = nested_subsection(blob.read_bytes())
            out += b[last:w.ends[cpu]] + sub
            last = w.ends[cpu]
            devs[cpu].setdefault("subsections", []).append(sd)
        js = json.dumps(desc).encode()
        out += b[last:w.desc_at] + bytes([6]) + struct.pack(">I", len(js)) + js
        self.w("migration/nested.stream", bytes(out))
        xml = b"<domain type='qemu'><name>saved</name></domain>\0" + bytes(1024)
        hdr = b"LibvirtQemudSave" + struct.pack("<IIIII", 2, len(xml), 0, 0, 0) + bytes(14 * 4)
        self.w("migration/saved.img", hdr + xml + bytes(out))
        self.w("migration/compressed.img", hdr[:28] + struct.pack("<I", 1) + hdr[32:] + xml + bytes(out))
        self.w("migration/cut-in-half.stream", bytes(out[:len(out) // 2]))
        self.w("migration/no-description.stream", bytes(out[:w.desc_at]))


if __name__ == "__main__":
    notes = make(pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2]).resolve())
    for n in notes:
        print("note:", n)
