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
from two real KVM_GET_NESTED_STATE blobs.  `decode` and `check` must give
what they give for the blobs themselves (hdr.vmx.flags is not in QEMU's
stream: 0).  The same stream behind a libvirt save-image header decodes the
same.

AMD SVM likewise, from the real SVM blobs of both sample kernels (6.1 and
7.2): QEMU's ".../svm" subsection {hdr.svm.vmcb_pa, data.svm[0].vmcb12
[4096]} holds all of an SVM blob but the header's padding, so `decode`,
`decode --json` and `check` of the stream match the blob's; a blob of the
header alone is left out as QEMU's `needed` leaves it out.  Hostile streams
(the format against the vendor's subsection, a size the subsections do not
carry, a vmcb12 of the wrong length) get one error line and exit 1.

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
from qemustream import HDR, SVM_VMCB_SIZE, Stream, nested_subsection, with_nested  # noqa: E402

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
    out = with_nested(b, w, {cpu: nested_subsection(pathlib.Path(blob).read_bytes()) for cpu, blob in zip(cpus, BLOBS)})
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

    # check: each vCPU's vmcs12 judged as the blob's, a document each, named "FILE: vCPU N"
    for args in ((), ("--json",)):
        r = run("check", *args, str(nested))
        want = "".join(run("check", *args, blob).stdout.replace(blob, f"{nested}: vCPU {i}")
                       for i, blob in enumerate(BLOBS))
        check(r.returncode == 0 and r.stdout == want and r.stdout,
              f"check {' '.join(args)} of the stream: each vCPU's report is its blob's [{r.stderr.strip()}]")

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
    # AMD SVM: QEMU's "cpu/kvm_nested_state/svm" subsection {hdr.svm.vmcb_pa, data.svm[0].vmcb12} for the real
    # SVM blobs of each sample kernel.  vCPU 0 holds an in-L2 blob (GUEST_MODE|GIF_SET, vmcb_pa, 4224 bytes),
    # vCPU 1 one of the header alone (128 bytes): QEMU leaves its whole cpu/nested_state out.  The SVM
    # subsection carries every byte of the blob but the header's padding (0 in KVM's blobs too), so the stream
    # must decode and check exactly as the blob does; expected header values from the manifest.
    for kdir in sorted(pathlib.Path("samples/svm").glob("*/manifest.json")):
        kernel, sman = kdir.parent.name, json.loads(kdir.read_text())
        steps = {(c, st["step"]): st for c, cfg in sman["configs"].items() for st in cfg["steps"]}
        in_l2 = next(st for (c, _), st in sorted(steps.items()) if c == "rich-npt" and st["blob"]["size"] > HDR)
        alone = next(st for (c, _), st in sorted(steps.items()) if c == "basic" and st["blob"]["size"] == HDR)
        bl2 = kdir.parent / "blobs/rich-npt" / in_l2["blob"]["file"]
        b128 = kdir.parent / "blobs/basic" / alone["blob"]["file"]
        raw2 = bl2.read_bytes()
        check(len(raw2) == in_l2["blob"]["size"] == HDR + SVM_VMCB_SIZE and in_l2["blob"]["guest_mode"],
              f"{kernel}: {bl2.name} is an in-L2 blob of {len(raw2)} bytes (manifest)")
        # what the svm subsection does not carry: the header past hdr.svm.vmcb_pa (kvm_svm_nested_state_hdr is
        # that one u64), which svm_get_nested_state() leaves zero, so the stream rebuilds the blob byte for byte
        check(raw2[16:HDR] == bytes(HDR - 16), f"{kernel}: KVM left the header past vmcb_pa zero in {bl2.name}")
        check(nested_subsection(b128.read_bytes()) is None,
              f"{kernel}: {b128.name} ({alone['blob']['size']} bytes, no vmcb12): QEMU writes no cpu/nested_state")
        sstream = d / f"svm-{kernel}.stream"
        sstream.write_bytes(with_nested(b, w, {cpus[0]: nested_subsection(raw2),
                                               cpus[1]: nested_subsection(b128.read_bytes())}))
        r = run("decode", "--json", str(sstream))
        whole = itest.json_docs(r.stdout)
        reps = whole[0]["reports"] if len(whole) == 1 else []
        want = json.loads(run("decode", "--json", str(bl2)).stdout)["reports"][0]
        strip = lambda rep: {k: v for k, v in rep.items() if k not in ("source", "vcpu")}
        check(r.returncode == 0 and len(reps) == 1 and strip(reps[0]) == strip(want),
              f"{kernel}: decode --json of the stream: vCPU 0's report is the blob's, member for member "
              f"({len(reps)} report; vCPU 1's state QEMU left out) [{r.stderr.strip()}]")
        ns = reps[0]["nested_state"] if reps else {}
        check([ns.get(k) for k in ("format_number", "size", "nested_flags", "vmcb_pa")] ==
              [1, in_l2["blob"]["size"], in_l2["blob"]["flags"], in_l2["blob"]["vmcb_pa"]],
              f"{kernel}: its header is the manifest's: {[ns.get(k) for k in ('size', 'nested_flags', 'vmcb_pa')]}")
        body = lambda text: [x for x in text.splitlines() if not x.startswith("source:")]
        rt, bt = run("decode", str(sstream)), run("decode", str(bl2))
        check(rt.returncode == 0 and body(rt.stdout) == body(bt.stdout) and "vCPU 0" in rt.stdout,
              f"{kernel}: decode (text) of the stream prints what it prints for the blob but the source line")
        for args in ((), ("--json",), ("-c", str(bl2.parent / "cpuid.txt"))):
            rc, bc = run("check", *args, str(sstream)), run("check", *args, str(bl2))
            # the stream's vCPU is named as decode names it, "FILE: vCPU 0"; all else is the blob's
            same = rc.stdout.replace(f"{sstream}: vCPU 0", "F") == bc.stdout.replace(str(bl2), "F")
            check(rc.returncode == bc.returncode and same and rc.stdout,
                  f"{kernel}: check {' '.join(args)} of the stream gives what it gives for the blob "
                  f"(exit {rc.returncode}) [{rc.stderr.strip()}]")
        # diff and check -f vmcb take pages: a stream has no vmcb02 beside its vmcb12, and its first page is no VMCB
        vmcb02 = str(bl2.parent / in_l2["blob"]["file"].replace("nested-state", "vmcb02"))
        for args in (("diff", "-f", "vmcb", str(sstream), vmcb02), ("diff", str(sstream), vmcb02),
                     ("check", "-f", "vmcb", str(sstream), "")):
            r = run(*[x for x in args if x])
            check(r.returncode == 1 and r.stderr.count("\n") == 1 and "migration stream" in r.stderr and not r.stdout,
                  f"{kernel}: {' '.join(args[:-2])} of the stream is refused: {r.stderr.strip()}")
        xml = b"<domain type='kvm'><name>svm</name></domain>\0"
        hdr = b"LibvirtQemudSave" + struct.pack("<IIIII", 2, len(xml), 0, 0, 0) + bytes(14 * 4)
        (d / "svm-saved.img").write_bytes(hdr + xml + sstream.read_bytes())
        r = run("decode", "--json", str(d / "svm-saved.img"))
        check(r.returncode == 0 and [strip(x) for doc in itest.json_docs(r.stdout) for x in doc["reports"]] ==
              [strip(want)], f"{kernel}: a libvirt save image of that stream decodes the same")

        # hostile streams: one error line, exit 1
        only = with_nested(b, w, {cpus[0]: nested_subsection(b128.read_bytes())})
        (d / "bad").write_bytes(only)
        r = run("decode", str(d / "bad"))
        check(r.returncode == 1 and r.stderr.count("\n") == 1 and "no nested state" in r.stderr,
              f"{kernel}: only header-alone SVM states: {r.stderr.strip()}")
        for what, sub, say in (
                ("format 0 (VMX) with the svm subsection", nested_subsection(raw2, fmt=0), "format is 0 (VMX)"),
                ("format 1 (SVM) with the vmx subsection", nested_subsection(raw2, vendor="vmx"), "format is 1 (SVM)"),
                ("size 8320, more than the subsection carries", nested_subsection(raw2, size=HDR + 2 * SVM_VMCB_SIZE),
                 "carry 4224 bytes"),
                ("size 64, less than the header", nested_subsection(raw2, size=HDR // 2), "at least its 128-byte"),
                ("a vmcb12 of 2048 bytes", nested_subsection(raw2, vmcb_len=SVM_VMCB_SIZE // 2),
                 "KVM_STATE_NESTED_SVM_VMCB_SIZE")):
            (d / "bad").write_bytes(with_nested(b, w, {cpus[0]: sub}))
            r = run("decode", str(d / "bad"))
            check(r.returncode == 1 and r.stderr.count("\n") == 1 and say in r.stderr,
                  f"{kernel}: a stream with {what}: {r.stderr.strip()}")
check.finish()
