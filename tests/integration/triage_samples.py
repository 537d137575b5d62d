"""nestscope triage on each bundled real dump, without crash:

- with the bundled profile (no type option) and with the kernel's real
  debuginfo (DWARF of kvm-intel.ko and kvm.ko, vmlinux's symbols), the report
  is the same, text and JSON, but for the line naming where types came from;
- its values are what the sample generator recorded (samples manifest): the
  harness's VMs by pid, each vCPU in L2 with VMXON and current-VMCS GPAs the
  harness used, the controls L1 wrote, L2's RIP in vmcs12 as the moment left
  it (equal to vmcs02's, behind it, or ahead of it: then GUEST_RIP is a stale
  field of the vmcs12/vmcs02 diff), vmcs02's guest RIP at L2's OUT, L0's
  last exit that OUT, no unexplained difference, guest mode (the loaded
  VMCS) agreeing with the kernel's hflags bit, kvm->arch.vm_type where the
  kernel has one, no failed rule, exit status 0;
- a profile regenerated from the debuginfo now equals the bundled one;
- the dump's physical memory written out as a raw image (no VMCOREINFO: the
  release is read from the banner in memory, the translation found from the
  profile's linux_banner and init_top_pgt) gives the same report.
usage: triage_samples.py NESTSCOPE SAMPLES CACHE
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import itest  # noqa: E402
from itest import Checks, debuginfo  # noqa: E402

nestscope, samples, cache = sys.argv[1:4]
check = Checks()
tmpdir = tempfile.TemporaryDirectory()
kdump2raw = itest.kdump2raw(tmpdir.name)


def run(*args):
    return subprocess.run([nestscope, *args], capture_output=True, text=True)


def kernel_at_most(release, major, minor):
    got = tuple(int(x) for x in release.split("-")[0].split("+")[0].split(".")[:2])
    return got <= (major, minor)


def without_types(text):
    return "\n".join(line for line in text.splitlines() if not line.startswith("types "))


for man_path in sorted(pathlib.Path(samples).glob("*/manifest.json")):
    man = json.loads(man_path.read_text())
    kver = man["kernel"]["release"]
    dump = str(man_path.parent / man["dump"]["file"])

    bundled = run("triage", dump)
    bundled_json = run("triage", "--json", dump)
    check(bundled.returncode == 0 and bundled_json.returncode == 0,
          f"{kver}: triage with the bundled profile exits 0 (nothing wrong) [{bundled.stderr.strip()}]")
    doc = json.loads(bundled_json.stdout) if bundled_json.returncode == 0 else {}
    check(doc.get("types", "").startswith("profile ") and doc.get("release") == kver,
          f"{kver}: types from the bundled profile of {kver} ({doc.get('types')})")

    # the kernel's own struct vmcs12 against the table: no break; the CET fields are members from 6.18
    lay = doc.get("vmcs12_layout", {})
    check(lay.get("checked") is True and lay.get("break_count") == 0 and
          lay.get("cet_fields") is (itest.kernel_version(kver) >= (6, 18)),
          f"{kver}: struct vmcs12 checked against the table, no break, CET fields {lay.get('cet_fields')}")
    if kver.startswith("6.1."):
        # a profile whose vmcs12.guest_rip moved by 8 bytes: every vmcs12 would be misread; triage says so
        prof = json.loads((pathlib.Path(samples).parent / "profiles" / f"{kver}.json").read_text())
        prof["user_types"]["vmcs12"]["fields"]["guest_rip"]["offset"] += 8
        bad = os.path.join(tmpdir.name, "moved.json")
        pathlib.Path(bad).write_text(json.dumps(prof))
        moved = run("triage", "--profile", bad, dump)
        check(moved.returncode == 3 and "vmcs12   PROBLEM" in moved.stdout and "breaks the built-in table" in moved.stdout,
              f"{kver}: a profile with vmcs12.guest_rip moved is a problem triage names (exit {moved.returncode})")
        mlay = json.loads(run("triage", "--json", "--profile", bad, dump).stdout or "{}").get("vmcs12_layout", {})
        check(mlay.get("checked") is True and mlay.get("break_count", 0) >= 1,
              f"{kver}: the moved guest_rip is counted as a break in the JSON too ({mlay.get('break_count')})")

    raw = os.path.join(tmpdir.name, "raw.img")
    conv = subprocess.run([kdump2raw, dump, raw])
    rawrun = run("triage", raw)
    rawjson = run("triage", "--json", raw)
    rdoc = json.loads(rawjson.stdout) if rawjson.returncode == 0 else {}
    skip = ("dump", "format")
    check(conv.returncode == 0 and rawrun.returncode == 0 and rdoc.get("format") == "raw" and
          rawrun.stdout.splitlines()[1:] == bundled.stdout.splitlines()[1:] and
          {k: v for k, v in rdoc.items() if k not in skip} == {k: v for k, v in doc.items() if k not in skip},
          f"{kver}: the dump as a raw memory image gives the same report [{rawrun.stderr.strip()}]")
    os.unlink(raw)

    dbg = debuginfo(kver, cache)
    if dbg is None:
        print(f"note: the debuginfo of {kver} cannot be fetched any more: the DWARF comparison is skipped")
    else:
        root = str(pathlib.Path(dbg[0]).parents[4])  # DIR/dbg of DIR/dbg/usr/lib/debug/boot/vmlinux-KVER
        real = run("triage", "--debuginfo", root, dump)
        real_json = run("triage", "--json", "--debuginfo", root, dump)
        check(real.returncode == 0 and without_types(real.stdout) == without_types(bundled.stdout),
              f"{kver}: triage with the real debuginfo prints the same report as with the bundled profile")
        rdoc = json.loads(real_json.stdout) if real_json.returncode == 0 else {}
        check(rdoc.get("types", "").startswith("DWARF of kvm-intel.ko") and
              {k: v for k, v in rdoc.items() if k != "types"} == {k: v for k, v in doc.items() if k != "types"},
              f"{kver}: and the same JSON document")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "p.json")
            made = run("profile", "--debuginfo", root, "-o", out)
            same = made.returncode == 0 and pathlib.Path(out).read_bytes() == \
                (pathlib.Path(samples).parent / "profiles" / f"{kver}.json").read_bytes()
            check(same, f"{kver}: 'nestscope profile' on the debuginfo writes the bundled profile byte for byte")

    vms = {vm["pid"]: vm for vm in doc.get("vms", [])}
    for mvm in man["dump"]["vms"]:
        pid, role = mvm["pid"], mvm["role"]
        vmman = json.loads((man_path.parent / mvm["manifest"]).read_text())
        vm = vms.get(pid)
        check(vm is not None and len(vm["vcpus"]) == 1, f"{kver}: the {role} VM (pid {pid}) and its one vCPU")
        if vm is None or not vm["vcpus"]:
            continue
        v = vm["vcpus"][0]
        addr = vmman["addresses"]
        check(v["mode"] == "L2" and v["vmxon"] and v["state"] == "l2" and
              int(v["vmxon_pa"], 16) == int(addr["vmxon_pa"], 16) and int(v["vmcs12_pa"], 16) == int(addr["vmcs12_pa"], 16),
              f"{kver} pid {pid}: in L2, VMXON region {addr['vmxon_pa']}, current VMCS {addr['vmcs12_pa']}")
        ctl = vmman["controls"]
        got = v.get("vmcs12", {}).get("controls", {})
        want = {k: int(ctl[m], 16) for k, m in
                (("PIN_BASED_VM_EXEC_CONTROL", "pin"), ("CPU_BASED_VM_EXEC_CONTROL", "proc"),
                 ("SECONDARY_VM_EXEC_CONTROL", "proc2"), ("VM_EXIT_CONTROLS", "exit"), ("VM_ENTRY_CONTROLS", "entry"))}
        check({k: int(got.get(k, {}).get("value", "0x0"), 16) for k in want} == want,
              f"{kver} pid {pid}: vmcs12's controls are the ones L1 wrote {want}")
        moment = mvm["moment"]
        rip = int(v.get("vmcs12", {}).get("guest_rip", "0x0"), 16)
        stale = v.get("vs_vmcs02", {}).get("stale_fields", [])
        check(rip == int(moment["vmcs12_guest_rip"], 16),
              f"{kver} pid {pid}: vmcs12's guest RIP {moment['vmcs12_guest_rip']} ({moment['vmcs12_vs_vmcs02']})")
        check(("GUEST_RIP" in stale) == (moment["vmcs12_vs_vmcs02"] != "agree"),
              f"{kver} pid {pid}: GUEST_RIP is {'not ' if moment['vmcs12_vs_vmcs02'] == 'agree' else ''}"
              f"a stale field of vmcs12 against vmcs02")
        rip02 = int(v.get("vs_vmcs02", {}).get("vmcs02_guest_rip", "0x0"), 16)
        check(rip02 == int(moment["vmcs02_guest_rip"], 16),
              f"{kver} pid {pid}: vmcs02's guest RIP {moment['vmcs02_guest_rip']}, L2 at its OUT")
        # every dumped VM stopped at L2's OUT 0x10 exit to L0 (samples/README.md), before any exit to L1
        l0 = v.get("l0_last_exit_reason") or {}
        check(int(l0.get("value", "0x0"), 16) == itest.EXIT_REASON_IO_INSTRUCTION and "VM_EXIT_REASON" in stale,
              f"{kver} pid {pid}: L0's last exit is L2's OUT (IO_INSTRUCTION) and vmcs12's VM_EXIT_REASON is stale")
        check(v.get("vs_vmcs02", {}).get("counts", {}).get("unexplained") == 0,
              f"{kver} pid {pid}: no vmcs12/vmcs02 difference is unexplained")
        # guest mode comes from the loaded VMCS; HF_GUEST_MASK (bit 5 up to 6.1, bit 0 from 6.4) must agree
        check(v.get("hflags_agrees") is True and int(v.get("hflags", "0x0"), 16) ==
              (1 << (5 if kernel_at_most(kver, 6, 1) else 0)),
              f"{kver} pid {pid}: hflags {v.get('hflags')} agree with the loaded vmcs02")
        # kvm->arch.vm_type exists from 6.8; the harness makes KVM_X86_DEFAULT_VM (0)
        check(vm.get("vm_type") == (None if kernel_at_most(kver, 6, 7) else 0) and vm.get("skipped") is None,
              f"{kver} pid {pid}: vm_type {vm.get('vm_type')}, walked")
        checks = v.get("checks", {}).get("check_counts", {})
        check(checks.get("fail") == 0 and checks.get("pass", 0) > 0 and not v["problems"],
              f"{kver} pid {pid}: the SDM checks pass ({checks.get('pass')} rules) and nothing is wrong")
    check(doc.get("summary", {}).get("problem_count") == 0 and
          doc.get("summary", {}).get("vm_count") == len(man["dump"]["vms"]),
          f"{kver}: summary {doc.get('summary')}")

check.finish()
