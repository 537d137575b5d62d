"""nestscope on QEMU migration streams and libvirt save images.

A real stream: QEMU 7.2 (TCG, 2 vCPUs, never started) holding the real L1
memory image of the samples, migrated to a file with QMP `migrate`.  Its
structure is read whole: `scan` finds in its RAM the regions the sample
generator placed (as in the image itself), `decode` says there is no nested
state (TCG writes none) and how many vCPUs there are.

Nested state: QEMU writes the "cpu/nested_state" subsection only for a KVM
guest that used VMX, and this machine has no KVM.  So the subsection is
added to each cpu section of the real stream here, following QEMU's format
(target/i386/machine.c: cpu/nested_state > cpu/kvm_nested_state {flags,
format, size} > .../vmx {hdr.vmx.vmxon_pa, vmcs12_pa, smm.flags} >
.../vmx/vmcs12 [4096]), with the vmstate description extended to match,
from two real KVM_GET_NESTED_STATE blobs.  `decode` must give what it gives
for the blobs themselves (hdr.vmx.flags is not in QEMU's stream: 0).  The
same stream behind a libvirt save-image header decodes the same.

A small reader of the test's own (qemustream.py, not nestscope's) finds the
section boundaries.
usage: migration_stream.py NESTSCOPE
"""
import gzip
import json
import pathlib
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import itest  # noqa: E402
from qemustream import Stream, nested_subsection  # noqa: E402

nestscope = sys.argv[1]
check = itest.Checks()
BLOBS = ["samples/blobs/rich/nested_l2_guestmode_1.bin", "samples/blobs/basic/nested_final.bin"]


def run(*args):
    return subprocess.run([nestscope, *args], capture_output=True, text=True)


rich = sorted(pathlib.Path("samples").glob("6.1*/rich"))[0]
man = json.loads((rich / "manifest-harness.json").read_text())
image = gzip.decompress((rich / "l1-memory-after_vmclear.img.gz").read_bytes())
with tempfile.TemporaryDirectory() as d:
    d = pathlib.Path(d)
    stream = d / "stream.bin"
    itest.migrate_to_file(image, d, stream, "-smp", "2")
    b = stream.read_bytes() if stream.exists() else b""
    check(b[:4] == b"QEVM", f"QEMU wrote a migration stream ({len(b)} bytes)")

    # the real stream: RAM and structure
    s_img = run("scan", "--json", str(rich / "l1-memory-after_vmclear.img.gz"))
    s_str = run("scan", "--json", str(stream))
    regions = lambda r: [(x["physical"], x["kind"]) for x in json.loads(r.stdout)["regions"]] if r.returncode == 0 else r.stderr
    check(s_str.returncode == 0 and regions(s_str) == regions(s_img),
          f"scan of the stream's RAM finds what scan of the image finds: {regions(s_str)}")
    a = {int(man["addresses"][k], 16) for k in ("vmxon_pa", "vmcs12_pa")}
    check(a <= {int(p, 16) for p, _ in regions(s_str)} if s_str.returncode == 0 else False,
          "among them the VMXON region and the vmcs12 the generator placed")
    r = run("decode", str(stream))
    check(r.returncode == 1 and r.stderr.count("\n") == 1 and "2 vCPUs and no nested state" in r.stderr,
          f"decode: {r.stderr.strip()}")

    # the nested-state subsection added to each cpu section, QEMU's way
    w = Stream(b)
    w.walk()
    cpus = sorted(k for k in w.ends if k[0] == "cpu")
    check(len(cpus) == 2, f"the test's own reader walks the stream to its end: cpu sections {cpus}")
    out, last = bytearray(), 0
    desc = json.loads(json.dumps(w.desc))
    devs = {(x["name"], x["instance_id"]): x for x in desc["devices"]}
    for cpu, blob in zip(cpus, BLOBS):
        sub, sd = nested_subsection(pathlib.Path(blob).read_bytes())
        out += b[last:w.ends[cpu]] + sub
        last = w.ends[cpu]
        devs[cpu].setdefault("subsections", []).append(sd)
    js = json.dumps(desc).encode()
    out += b[last:w.desc_at] + bytes([6]) + struct.pack(">I", len(js)) + js
    nested = d / "nested.stream"
    nested.write_bytes(bytes(out))
    r = run("decode", "--json", str(nested))
    whole = itest.json_docs(r.stdout)
    docs = whole[0]["reports"] if len(whole) == 1 else []
    check(r.returncode == 0 and len(whole) == 1 and len(docs) == 2,
          f"decode prints one document, a report per vCPU's nested state [{r.stderr.strip()}]")
    for i, blob in enumerate(BLOBS):
        want = json.loads(run("decode", "--json", blob).stdout)["reports"][0]
        got = docs[i] if i < len(docs) else {}
        same_hdr = {k: v for k, v in want["nested_state"].items() if k not in ("vmx_flags", "vmx_flag_names",
                                                                                 "preemption_timer_deadline")}
        check(got.get("vmcs") == want["vmcs"] and
              {k: v for k, v in got.get("nested_state", {}).items() if k in same_hdr} == same_hdr and
              got["nested_state"]["vmx_flags"] == "0x0",
              f"vCPU {i}: the stream's nested state decodes as the blob {blob} does (hdr.vmx.flags not in the stream)")

    # the same stream behind a libvirt save-image header (libvirt's qemu_saveimage.h)
    xml = b"<domain type='qemu'><name>saved</name></domain>\0" + bytes(1024)
    hdr = b"LibvirtQemudSave" + struct.pack("<IIIII", 2, len(xml), 0, 0, 0) + bytes(14 * 4)
    saved = d / "saved.img"
    saved.write_bytes(hdr + xml + bytes(out))
    r = run("decode", "--json", str(saved))
    check(r.returncode == 0 and [x["vmcs"] for d in itest.json_docs(r.stdout) for x in d["reports"]] ==
          [x["vmcs"] for x in docs],
          "a libvirt save image of that stream decodes the same")
    (d / "compressed.img").write_bytes(hdr[:28] + struct.pack("<I", 1) + hdr[32:] + xml + bytes(out))
    r = run("decode", str(d / "compressed.img"))
    check(r.returncode == 1 and "compressed" in r.stderr and r.stderr.count("\n") == 1,
          f"a compressed save image: {r.stderr.strip()}")
    for what, data in (("cut in half", out[:len(out) // 2]), ("without its description", out[:w.desc_at])):
        (d / "bad").write_bytes(bytes(data))
        r = run("decode", str(d / "bad"))
        check(r.returncode == 1 and r.stderr.count("\n") == 1, f"a stream {what}: {r.stderr.strip()}")
check.finish()
