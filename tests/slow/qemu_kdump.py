"""nestscope on a kdump QEMU wrote itself (dump-guest-memory, kdump-zlib:
what `virsh dump --memory-only` of an L0 that is itself a VM gives), made
by samples/gen/svm/qemu-kdump.sh: Debian's kernel as L0 in QEMU's TCG, two
VMs held in L2 by the SVM harness, KASLR on.

Such a dump names only the machine in its header's utsname; libkdumpfile
0.5.1 then sets no architecture and translates no kernel address, so
nestscope sets it from the header.  What must hold, against the harness's
own records (dump/hold-*/: the pid it printed when it held, the kprobe's
vcpu_svm, vmcb01 and vmcb02 with their physical addresses, the blob's
flags and vmcb_pa, L2's RIP, and vmcb02's page, read at the APM's offsets):
- QEMU 7.2 writes the flattened format: nestscope refuses it in one line
  that names `makedumpfile -R`, with a non-zero status;
- rearranged, triage --json gives exactly the harness's VMs by pid, each
  vCPU in L2 at the harness's vcpu_svm, vmcb01/vmcb02 (and their physical
  addresses), vmcb12's GPA, L2's RIP, and the exit code and EXITINFO1 that
  vmcb02's page holds; with 0 unexplained vmcb12/vmcb02 differences.
usage: qemu_kdump.py NESTSCOPE OUTDIR KVER
"""
import json
import pathlib
import re
import struct
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "integration"))
from itest import Checks  # noqa: E402

nestscope, out, kver = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3]
check = Checks()
# AMD APM vol. 2, table B-1: the control area's EXITCODE and EXITINFO1
VMCB_EXITCODE, VMCB_EXITINFO1 = 0x70, 0x78
GUEST_MODE = 0x1  # KVM_STATE_NESTED_GUEST_MODE (arch/x86/include/uapi/asm/kvm.h)


def run(*args):
    return subprocess.run([nestscope, *args], capture_output=True, text=True)


def held(d):
    """The harness's record of a held VM: its pid and its last step (key=value words)."""
    pid = int(re.search(r"=== NS HOLD (\d+)", (d / "harness.log").read_text()).group(1))
    last = (d / "steps.txt").read_text().split("\n")
    last = [line for line in last if line.startswith("step=")][-1]
    step = dict(w.split("=", 1) for w in last.split())
    page = (d / f"{step['step']}-vmcb02.bin").read_bytes()
    step["exit_code"], = struct.unpack_from("<Q", page, VMCB_EXITCODE)
    step["exit_info_1"], = struct.unpack_from("<Q", page, VMCB_EXITINFO1)
    return pid, step


flat = out / "qemu.kdump"
r = run("triage", str(flat))
check(r.returncode != 0 and "makedumpfile -R" in r.stderr and len(r.stderr.strip().split("\n")) == 1,
      f"{kver}: QEMU's flattened kdump refused in one line naming makedumpfile -R: {r.stderr.strip()}")
dump = out / "qemu.re.kdump"
dump.unlink(missing_ok=True)  # makedumpfile -R writes no file that is there
with open(flat, "rb") as f:
    subprocess.run(["makedumpfile", "-R", str(dump)], stdin=f, check=True, capture_output=True)

want = dict(held(d) for d in sorted((out / "dump").glob("hold-*")))
check(len(want) == 2, f"{kver}: the harness held two VMs: {sorted(want)}")
r = run("triage", "--json", str(dump))
check(r.returncode == 0, f"{kver}: triage on QEMU's kdump exits 0: {r.stderr.strip()}")
doc = json.loads(r.stdout) if r.returncode == 0 else {"vms": []}
check(doc.get("format") == "diskdump" and doc.get("release") == kver,
      f"{kver}: read as a kdump of {doc.get('release')} ({doc.get('format')})")
got = {vm["pid"]: vm for vm in doc["vms"]}
check(sorted(got) == sorted(want), f"{kver}: the VMs by pid: {sorted(got)} (harness: {sorted(want)})")
for pid, step in want.items():
    vm = got.get(pid)
    if not vm:
        continue
    c = vm["vcpus"][0] if len(vm["vcpus"]) == 1 else {}
    hexes = lambda k: int(c.get(k) or "0", 16)  # noqa: E731
    check(int(step["flags"], 16) & GUEST_MODE and c.get("mode") == "L2",
          f"{kver} pid {pid}: in L2 (blob flags {step['flags']}; nestscope: {c.get('mode')})")
    for k in ("vcpu_svm", "vmcb01", "vmcb01_pa", "vmcb02", "vmcb02_pa"):
        check(hexes(k) == int(step[k], 16), f"{kver} pid {pid}: {k} {c.get(k)} (kprobe: {step[k]})")
    check(c.get("current_copy") == step["current"], f"{kver} pid {pid}: runs on {c.get('current_copy')}")
    check(hexes("vmcb12_pa") == int(step["vmcb_pa"], 16), f"{kver} pid {pid}: vmcb12 GPA {c.get('vmcb12_pa')}")
    story = c.get("story") or {}
    check(int(story.get("rip") or "0", 16) == int(step["rip"], 16), f"{kver} pid {pid}: L2's RIP {story.get('rip')}")
    ex = story.get("l0_exit") or {}
    check(int(ex.get("exit_code") or "-1", 16) == step["exit_code"] and
          int(ex.get("exit_info_1") or "-1", 16) == step["exit_info_1"],
          f"{kver} pid {pid}: L0's exit {ex.get('exit_code')} EXITINFO1 {ex.get('exit_info_1')} "
          f"(vmcb02's page: {step['exit_code']:#x} {step['exit_info_1']:#x})")
    check((c.get("vs_vmcb02") or {}).get("counts", {}).get("unexplained") == 0,
          f"{kver} pid {pid}: vmcb12 vs vmcb02: {(c.get('vs_vmcb02') or {}).get('counts')}")
check.finish()
