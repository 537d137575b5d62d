"""nestscope capture against a real libvirtd and a real QEMU TCG domain.

libvirtd runs in a private mount namespace (its /etc/libvirt, /run/libvirt,
/var/lib/libvirt and a passwd with the libvirt-qemu user its QEMU driver
wants, all in a temporary directory): nothing of the machine's libvirt is
touched, and the test stops what it started.  The domain boots a tiny
multiboot kernel (guest/placer.S) whose initrd is real vmcs12 pages from the
samples and real vmcb12 pages (what the SVM samples' L1 wrote for its L2,
read from its memory by the generator: samples/svm/*/dump/hold-*/): it
copies them to guest-physical 0x400000 and says PLACED.  The domain is
TCG with no SVM of its own: the memory holds the pages as an L1 on nested
SVM holds its vmcb12s, which is all capture reads.

Checks: capture (memory-only ELF, kdump, and --live through a migration
stream) and scan of a `virsh save` image find the placed regions of the right kind, decodes each vmcs12 to
the same fields as `nestscope decode` of the sample it came from, with every
VMWRITE the sample generator recorded (samples/blobs/*/vmwrites.txt) reading
back, finds each vmcb12 page as a VMCB decoded as `nestscope decode -f vmcb`
decodes the page, with the fields the manifest recorded for it, reports
nothing that is not one of those pages (QEMU's own copy of the initrd is one
of them, where its loader put it); libvirt errors (no domain, no daemon, a
domain not running, an unprivileged user) are one line saying what to do.
usage: capture_libvirt.py NESTSCOPE
"""
import json
import os
import pathlib
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from itest import Checks, json_docs  # noqa: E402

nestscope = os.path.abspath(sys.argv[1])
here = pathlib.Path(__file__).resolve().parent
root = here.parent.parent
check = Checks()
DOMAIN = f"nestscope-capture-{os.getpid()}"  # its own name: runs at once do not meet
BASE = 0x400000
SOURCES = [("samples/blobs/rich/nested_l2_guestmode_1.bin", "vmcs12"),
           ("samples/blobs/basic/nested_final.bin", "vmcs12")]
# real vmcb12 pages (kernel, hold directory, step): after the VMXON region
VMCB12S = [("6.1.0-56-amd64", "dump/hold-rich", "03"), ("7.2.13+deb14-amd64", "dump/hold-basic", "02")]
VMCB_BASE = BASE + 0x3000

T = pathlib.Path(tempfile.mkdtemp(prefix="nestscope-libvirt-"))
uri = f"qemu:///system?socket={T}/run/libvirt-sock"
daemon = None


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def virsh(*args):
    return sh("virsh", "-c", uri, *args)


def views(vmcs):
    """A report's decoded VMCSs without which copy each is (a file region here, guest memory there)."""
    return [{k: v for k, v in x.items() if k != "copy"} for x in vmcs]


def vmwrites(blob):
    """(encoding, value) of each VMWRITE the sample generator recorded for a blob's configuration."""
    lines = (root / blob).parent.joinpath("vmwrites.txt").read_text().splitlines()
    return [tuple(int(x, 16) for x in line.split()) for line in lines if line and not line.startswith("#")]


def wait_for(what, pred, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.2)
    print(f"note: timed out waiting for {what}")
    return False


def stop():
    if daemon and daemon.poll() is None:
        virsh("destroy", DOMAIN)
        virsh("undefine", DOMAIN)
        pid = (T / "libvirtd.pid").read_text().strip() if (T / "libvirtd.pid").exists() else None
        if pid:
            os.kill(int(pid), signal.SIGTERM)
        try:
            daemon.wait(timeout=20)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
    subprocess.run(["rm", "-rf", str(T)])


try:
    # the guest: the placer kernel and its initrd of real VMCS pages
    sh("as", "--32", "-o", str(T / "placer.o"), str(here / "guest" / "placer.S"), check=True)
    sh("ld", "-m", "elf_i386", "-Ttext", "0x100000", "-e", "_start", "-o", str(T / "placer.elf"),
       str(T / "placer.o"), check=True)
    pages = [(root / f).read_bytes()[128:128 + 4096] for f, _ in SOURCES]
    pages.append(struct.pack("<I", 0x11E57ED0) + bytes(4092))  # a VMXON region: the revision id alone
    want = {BASE: "vmcs12", BASE + 0x1000: "vmcs12", BASE + 0x2000: "revision-only"}
    expect_decode = {}
    for i, (f, _) in enumerate(SOURCES):
        r = sh(nestscope, "decode", "--json", "-f", "vmcs12", f"{root / f}@128", cwd=root)
        expect_decode[BASE + 0x1000 * i] = views(json.loads(r.stdout)["reports"][0]["vmcs"])
    # the vmcb12s: decode -f vmcb of the same page, and the fields the generator recorded (manifest.json)
    expect_vmcb, manifest_vmcb = {}, {}
    for i, (kver, hold, step) in enumerate(VMCB12S):
        f = root / "samples/svm" / kver / hold / f"{step}-vmcb12.bin"
        pages.append(f.read_bytes())
        r = sh(nestscope, "decode", "--json", "-f", "vmcb", str(f))
        expect_vmcb[VMCB_BASE + 0x1000 * i] = views(json.loads(r.stdout)["reports"][0]["vmcb"])
        man = json.loads((root / "samples/svm" / kver / "manifest.json").read_text())
        steps = [vm["steps"] for vm in man["dump"]["vms"] if vm["directory"] == hold][0]
        manifest_vmcb[VMCB_BASE + 0x1000 * i] = [x for x in steps if x["vmcb12"]["file"] == f.name][0]["vmcb12"]
        want[VMCB_BASE + 0x1000 * i] = "vmcb"
    (T / "pages.bin").write_bytes(b"".join(pages))

    # a private libvirtd
    for d in ("etc", "run", "lib", "log", "cache"):
        (T / d).mkdir()
    subprocess.run(["cp", "-a", "/etc/libvirt/.", str(T / "etc")], check=True)
    (T / "etc" / "qemu.conf").write_text(
        'user = "root"\ngroup = "root"\nsecurity_driver = "none"\nstdio_handler = "file"\n')
    (T / "passwd").write_text(pathlib.Path("/etc/passwd").read_text() +
                              "libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin\n")
    (T / "group").write_text(pathlib.Path("/etc/group").read_text() + "libvirt-qemu:x:64055:\nkvm:x:64056:\n")
    for d in ("/run/libvirt", "/var/lib/libvirt", "/var/log/libvirt", "/var/cache/libvirt"):
        os.makedirs(d, exist_ok=True)
    (T / "ns.sh").write_text(f"""set -e
mount --make-rprivate /
mount --bind {T}/etc /etc/libvirt
mount --bind {T}/run /run/libvirt
mount --bind {T}/lib /var/lib/libvirt
mount --bind {T}/log /var/log/libvirt
mount --bind {T}/cache /var/cache/libvirt
mount --bind {T}/passwd /etc/passwd
mount --bind {T}/group /etc/group
exec libvirtd --pid-file={T}/libvirtd.pid
""")
    daemon = subprocess.Popen(["unshare", "-m", "sh", str(T / "ns.sh")], stdout=open(T / "libvirtd.log", "w"),
                              stderr=subprocess.STDOUT)
    up = wait_for("libvirtd", lambda: (T / "run" / "libvirt-sock").exists(), 30) and \
        wait_for("libvirt's QEMU driver", lambda: virsh("version").returncode == 0, 60)
    check(up, "a private libvirtd answers (qemu:///system on its own socket)")
    if not up:
        print((T / "libvirtd.log").read_text()[-2000:])
        raise SystemExit

    (T / "dom.xml").write_text(f"""<domain type='qemu'>
  <name>{DOMAIN}</name>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>{T}/placer.elf</kernel>
    <initrd>{T}/pages.bin</initrd>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <serial type='file'><source path='{T}/serial.log'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
""")
    r1, r2 = virsh("define", str(T / "dom.xml")), virsh("start", DOMAIN)
    placed = r1.returncode == 0 and r2.returncode == 0 and \
        wait_for("the guest", lambda: "PLACED" in (T / "serial.log").read_text(errors="replace")
                 if (T / "serial.log").exists() else False, 60)
    check(placed, f"the TCG domain booted and placed the pages [{r1.stderr.strip()} {r2.stderr.strip()}]")

    for mode, extra in (("memory-only ELF", []), ("memory-only kdump", ["--format", "kdump"]),
                        ("live (migration stream)", ["--live"])):
        r = sh(nestscope, "capture", "--connect", uri, *extra, "--json", DOMAIN)
        docs = json_docs(r.stdout) if r.returncode == 0 else []
        doc = docs[0] if docs else {}
        scan = doc.get("scan", {"regions": []})
        got = {int(x["physical"], 16): x for x in scan["regions"]}
        check(r.returncode == 0 and len(docs) == 1 and doc.get("schema") == "nestscope/capture/2" and
              doc.get("live") == (mode.startswith("live")) and doc.get("kept") is None,
              f"capture {mode}: one document, {doc.get('format')} in {doc.get('milliseconds')} ms [{r.stderr.strip()}]")
        check(all(got.get(pa, {}).get("kind") == k for pa, k in want.items()),
              f"capture {mode}: the placed vmcs12s and VMXON region at 0x400000.. are found")
        placed_sigs = {(x["kind"], x.get("guest_rip"), x.get("launch_state")) for pa, x in got.items() if pa in want}
        others = {pa: x for pa, x in got.items() if pa not in want}
        check(all((x["kind"], x.get("guest_rip"), x.get("launch_state")) in placed_sigs for x in others.values()),
              f"capture {mode}: nothing else but copies of those pages ({[hex(pa) for pa in others]}: QEMU's "
              f"copy of the initrd)")
        decoded = {r["source"]: r for r in doc.get("reports", [])}
        f = T / "doc.json"
        f.write_text(json.dumps(doc))
        valid = sh("/usr/bin/python3", str(root / "tests/cli/validate_json.py"), "nestscope/capture/2",
                   str(f)).returncode == 0
        check(valid and len(decoded) >= 2, f"capture {mode}: the document validates against its schema")
        # every region but the VMXON region decoded, each VMCS named as the guest-physical region it is
        copies = [(v["copy"]["address_space"], int(v["copy"]["address"], 16), int(rep["source"].rsplit(" ", 1)[1], 16))
                  for rep in doc.get("reports", []) for v in rep["vmcs"] + (rep.get("vmcb") or [])]
        check(len(doc.get("reports", [])) == sum(x["kind"] != "revision-only" for x in got.values()) and
              copies and all(sp == "l1_physical" and a == pa for sp, a, pa in copies),
              f"capture {mode}: a report per region but the VMXON region, each copy at its guest-physical address")
        for i, (pa, fields) in enumerate(expect_decode.items()):
            d = [d for s, d in decoded.items() if s.endswith(f"guest-physical {hex(pa)}")]
            check(d and views(d[0]["vmcs"]) == fields,
                  f"capture {mode}: the vmcs12 at {hex(pa)} decodes to the sample's fields")
            values = {int(f["encoding"], 16): int(f["value"], 16) for f in d[0]["vmcs"][0]["fields"]} if d else {}
            writes = vmwrites(SOURCES[i][0])
            bad = [hex(e) for e, v in writes if values.get(e, 0) != v]
            check(d and writes and not bad,
                  f"capture {mode}: the {len(writes)} VMWRITEs the generator recorded for it read back {bad}")

        for pa, fields in expect_vmcb.items():
            d = [d for s, d in decoded.items() if s.endswith(f"guest-physical {hex(pa)}")]
            vm = views(d[0].get("vmcb") or []) if d else []
            check(vm and vm == fields,
                  f"capture {mode}: the vmcb12 at {hex(pa)} is a VMCB report, as decode -f vmcb of its page")
            # the manifest names fields as KVM does (tlb_control, np_enable: the VMCB table's TLB_CTL, MISC_CTL bit 0)
            values = {x["name"]: int(x["value"], 16) for x in vm[0]["fields"]} if vm else {}
            rename = {"intercept_exceptions": "intercept_exception", "tlb_control": "tlb_ctl"}
            bad = [k for k, v in manifest_vmcb[pa]["fields"].items() if k != "np_enable" and
                   values.get(rename.get(k, k).upper(), 0) != int(v, 16)]
            bad += ["np_enable"] * ((values.get("MISC_CTL", 0) & 1) != int(manifest_vmcb[pa]["fields"]["np_enable"], 16))
            check(vm and not bad, f"capture {mode}: the vmcb12 at {hex(pa)} holds the "
                  f"{len(manifest_vmcb[pa]['fields'])} fields the manifest recorded {bad}")

    # libvirt errors: one line, saying what to do
    def one_line(args, needle, what, user=None):
        cmd = [nestscope, "capture", *args]
        if user:
            # a copy the user may run: the checkout itself may sit in a directory only root can enter
            pub = pathlib.Path(tempfile.mkdtemp(prefix="nestscope-pub-"))
            pub.chmod(0o755)
            shutil.copy(nestscope, pub / "nestscope")
            cmd = ["runuser", "-u", user, "--", str(pub / "nestscope"), "capture", *args]
        r = sh(*cmd)
        if user:
            shutil.rmtree(pub)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 1 and len(lines) == 1 and needle in lines[0], f"{what}: {r.stderr.strip()}")

    one_line(["--connect", uri, "no-such-domain"], "virsh list --all", "no such domain")
    one_line(["--connect", f"qemu:///system?socket={T}/nowhere", DOMAIN], "is libvirtd running", "no daemon")
    one_line(["--connect", uri, DOMAIN], "run as root", "an unprivileged user", user="nobody")
    # a real libvirt save image (virsh save stops the domain): its RAM and its (absent) nested state
    saved = T / "saved.img"
    r = virsh("save", DOMAIN, str(saved))
    head = saved.read_bytes()[:16] if saved.exists() else b""
    s = sh(nestscope, "scan", "--json", str(saved))
    got = {int(x["physical"], 16): x["kind"] for x in json.loads(s.stdout)["regions"]} if s.returncode == 0 else {}
    check(r.returncode == 0 and head == b"LibvirtQemudSave" and all(got.get(pa) == k for pa, k in want.items()),
          f"virsh save wrote a libvirt save image; scan finds the placed regions in it [{s.stderr.strip()}]")
    r = sh(nestscope, "decode", str(saved))
    check(r.returncode == 1 and "1 vCPU and no nested state" in r.stderr, f"decode of the save image: {r.stderr.strip()}")
    one_line(["--connect", uri, DOMAIN], "must be running", "a domain that is not running")
finally:
    stop()
    left = sh("pgrep", "-f", DOMAIN).stdout.split()
    check(not left and not T.exists(), f"everything the test started is stopped, the domain undefined ({left})")
check.finish()
