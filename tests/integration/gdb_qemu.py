#!/usr/bin/python3
"""vmcs12 -p through real QEMU's gdbstub: an L1 guest hypervisor's VMCS
region read by guest-physical address.

QEMU (TCG, never started: -S) holds in its RAM the real L1 memory image the
sample harness saved after L1's VMCLEAR, when KVM had flushed the vmcs12 to
L1's region at 0x7000 (the two pieces around the legacy 0xa0000-0xfffff
hole, which L1's data does not use, are loaded at their own addresses).
gdb attaches to the stub and `vmcs12 -p 0x7000` must decode the controls
and guest CR3 L1 wrote (the harness's manifest) with launch state clear
(VMCLEAR), leave the stub's memory mode as it found it (virtual, then
physical), and leave guest memory unchanged: a checksum of QEMU's RAM
(QMP pmemsave) before and after, the latter taken while gdb is still
attached, so the guest never ran.

usage: gdb_qemu.py BUILD_DIR          (and, internally, --pmemsave SOCK FILE)
"""
import gzip
import hashlib
import json
import re
import pathlib
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import itest  # noqa: E402

SIZE = 0x400000


if sys.argv[1] == "--pmemsave":
    itest.qmp(sys.argv[2], "pmemsave", {"val": 0, "size": SIZE, "filename": sys.argv[3]})
    sys.exit(0)

plugin = itest.gdb_package(sys.argv[1])
check = itest.Checks()




for rich in sorted(p.parent for p in pathlib.Path("samples").glob("*/rich/manifest-harness.json")):
    man = json.loads((rich / "manifest-harness.json").read_text())
    gpa = int(man["addresses"]["vmcs12_pa"], 16)
    writes = {int(w["encoding"], 16): int(w["value"], 16) for w in man["vmwrites"]}
    image = gzip.decompress((rich / "l1-memory-after_vmclear.img.gz").read_bytes())
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        qemu, sock = itest.qemu_holding(image[:SIZE], d, "-gdb", f"tcp:127.0.0.1:{port}")
        try:
            itest.qmp(sock, "pmemsave", {"val": 0, "size": SIZE, "filename": str(d / "before.bin")})
            before = (d / "before.bin").read_bytes()
            check(before[:0xa0000] == image[:0xa0000] and before[0x100000:] == image[0x100000:],
                  f"{rich}: QEMU's RAM holds the real L1 memory image")
            mode = "maint packet qqemu.PhyMemMode"
            r = subprocess.run([*itest.gdb_command(), "-nx", "-batch", "-ex", f"target remote 127.0.0.1:{port}",
                                "-ex", f"source {plugin}",
                                "-ex", mode, "-ex", f"vmcs12 -p {gpa:#x} -j", "-ex", mode,
                                "-ex", "maint packet Qqemu.PhyMemMode:1", "-ex", f"vmcs12 -p {gpa:#x}", "-ex", mode,
                                "-ex", "maint packet Qqemu.PhyMemMode:0",
                                "-ex", "vmcs12 -p 0xfffffffff000",
                                # every other command too, on a target that is no kernel: each says why
                                "-ex", "kvm", "-ex", "kvm -v", "-ex", "vmcs12 -a", "-ex", "vmcs02", "-ex", "vmcs01",
                                "-ex", f"p $vmcs12_field({gpa:#x}, \"GUEST_RIP\")",
                                "-ex", f"shell /usr/bin/python3 {pathlib.Path(__file__).resolve()} --pmemsave {sock} "
                                       f"{d / 'after.bin'}"],
                               capture_output=True, text=True, timeout=300)
            modes = re.findall(r'received: "([01])"', r.stdout)
            docs = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
            check(len(docs) == 1, f"{rich}: vmcs12 -p {gpa:#x} -j prints one decode document")
            if docs:
                v = docs[0]["reports"][0]["vmcs"][0]
                fields = {int(f["encoding"], 16): int(f["value"], 16) for f in v["fields"]}
                check(v["revision_id"] == "0x11e57ed0" and v["launch_state"] == "clear",
                      f"{rich}: L1's region at {gpa:#x} is a vmcs12, launch state clear after VMCLEAR")
                check(all(fields.get(e) == writes[e] for e in (0x4000, 0x4002, 0x401E, 0x400C, 0x4012, 0x6802)),
                      f"{rich}: controls and guest CR3 as L1 wrote them")
            check(modes == ["0", "0", "1"],
                  f"{rich}: the stub's memory mode is left as found (virtual, then physical): {modes}")
            # QEMU answers reads of unassigned guest-physical memory with zeros: not a VMCS
            check(len([l for l in r.stderr.splitlines() if l.startswith("L1 guest-physical 0xfffffffff000:")]) == 1,
                  f"{rich}: a GPA without a VMCS is one error line")
            after = (d / "after.bin").read_bytes() if (d / "after.bin").exists() else b""
            check(hashlib.sha256(after).hexdigest() == hashlib.sha256(before).hexdigest(),
                  f"{rich}: guest memory checksum unchanged ({hashlib.sha256(before).hexdigest()[:16]})")
            if check.failures:
                print(r.stderr[-1500:])
        finally:
            qemu.kill()
            qemu.wait()

check.finish()
