"""A kernel dump of an AMD host (samples/svm/KVER: real KVM's nested SVM under QEMU's TCG, two VMs holding
in L2) read by nestscope, which decodes nested VMX only: what it says must be true, never VMX state made
up from a struct vcpu_svm.  Checked against the samples' manifest:

- `kvm` lists the VMs the manifest names (the harnesses' pids, one vCPU each): struct kvm is the vendor's
  neither;
- `kvm -v`, `vmcs12 PID`, `triage` and `triage --json` each stop with one line naming kvm_amd, exit 1,
  and print nothing on standard output;
- crash (when it opens the kernel): the extension's `kvm` lists the same VMs, `kvm -v` is one error line,
  and the session goes on (a `kvm` after it still answers).
usage: svm_host.py NESTSCOPE BUILD_DIR SAMPLES CACHE   (BUILD_DIR: where the crash extension is)
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import itest  # noqa: E402

# NESTSCOPE may be tests/run.sh's JSON shim: the build directory is given apart
nestscope, build, samples, cache = sys.argv[1], pathlib.Path(sys.argv[2]).resolve(), pathlib.Path(sys.argv[3]), sys.argv[4]
check = itest.Checks()
AMD = "this host's KVM is kvm_amd (AMD SVM)"


def run(*args):
    return subprocess.run([nestscope, *args], capture_output=True, text=True, timeout=600)


def listed_pids(text):
    """pid and vCPU count of each VM line of kvm's table (struct kvm address, pid, command, vCPUs)."""
    return sorted((int(m.group(1)), int(m.group(2))) for m in re.finditer(r"^[0-9a-f]{16}\s+(\d+)\s+\S+\s+(\d+)$",
                                                                          text, re.M))


for mf in sorted(samples.glob("svm/*/manifest.json")):
    man = json.loads(mf.read_text())
    kver, dump = man["kernel"], mf.parent / man["dump"]["file"]
    want = sorted((vm["pid"], vm["vcpus"]) for vm in man["dump"]["vms"])
    check(all(vm["guest_mode"] for vm in man["dump"]["vms"]), f"{kver}: the manifest's VMs hold in L2 ({want})")
    r = run("kvm", str(dump))
    check(r.returncode == 0 and listed_pids(r.stdout) == want,
          f"{kver}: kvm lists the manifest's VMs and vCPUs ({listed_pids(r.stdout)}; {r.stderr.strip()})")
    for args in (["kvm", str(dump), "-v"], ["vmcs12", str(dump), str(want[0][0])], ["triage", str(dump)],
                 ["triage", "--json", str(dump)]):
        r = run(*args)
        lines = r.stderr.splitlines()
        check(r.returncode == 1 and not r.stdout and len(lines) == 1 and AMD in lines[0],
              f"{kver}: {' '.join(a for a in args if a != str(dump))} stops in one line naming kvm_amd "
              f"(exit {r.returncode}, {len(r.stdout)} bytes out, {lines[:2]})")
    why = itest.crash_cannot_open(kver)
    found = not why and itest.debuginfo(kver, cache)
    if not found:
        print(f"note: {kver}: no crash session ({why or 'no debuginfo'})")
        continue
    vmlinux, mods = found
    with tempfile.NamedTemporaryFile("w", suffix=".in") as f:
        f.write(f"extend {itest.crash_extension(build)}\nmod -S {mods}\nkvm\nkvm -v\neval 0x5eed\nkvm\n")
        f.flush()
        with open(f.name) as stdin:
            r = subprocess.run([*itest.crash_command(), "-s", vmlinux, str(dump)], stdin=stdin, capture_output=True,
                               text=True, timeout=900)
    before, _, after = r.stdout.partition("hexadecimal: 5eed")
    check(listed_pids(before) == want, f"{kver}: crash's kvm lists the manifest's VMs ({listed_pids(before)})")
    errors = [line for line in (r.stdout + r.stderr).splitlines() if AMD in line]
    check(len(errors) == 1 and errors[0].startswith("kvm: "), f"{kver}: crash's kvm -v is one error line ({errors})")
    check(listed_pids(after) == want, f"{kver}: the crash session goes on: kvm after it lists the VMs again")
check.finish()
