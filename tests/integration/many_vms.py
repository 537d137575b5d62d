"""nestscope triage on the many-VMs dump (samples/many-vms/KERNEL/), against
that sample's manifest only, which says what the harness made and what KVM's
own API (KVM_GET_NESTED_STATE) said at each vCPU's moment:

- triage exits 0, and with the profile named (--profile) and without (the
  profile bundled for the dump's release) it reports the same;
- every VM the harness made, by pid, and no other; each one's vCPU count;
- each vCPU by index: its mode (L2, or L1), its VMX state (in VMX operation
  or not, with a current VMCS or not, vmcs12's launch state), the VMXON
  region and current VMCS at the GPAs the harness gave that vCPU (each vCPU
  has its own), vmcs12's controls as L1 wrote them;
- vCPUs in L2: L0's last exit is L2's OUT, vmcs12's and vmcs02's guest RIP
  are what the moment left there, no vmcs12/vmcs02 difference unexplained,
  hflags agree with the loaded VMCS; a vCPU held in L1's exit handler shows
  the exit L1 saw;
- vCPUs in L1 with a current vmcs12: vmcs02 (what L2's last run left) is
  compared only when vmcs12 has run L2 (launch state set), and nothing in
  that comparison is unexplained;
- nothing wrong: no problem on any VM or vCPU, no failed SDM check, no
  warning but the stale vmcs12 of a vCPU in L2, and a summary with the
  manifest's counts.
usage: many_vms.py NESTSCOPE SAMPLES_MANY_VMS PROFILES
"""
import json
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from itest import Checks, EXIT_REASON_IO_INSTRUCTION, MANIFEST_CONTROLS, VMX_STATE, hexint, kernel_version  # noqa: E402

nestscope, root, profiles = sys.argv[1:4]
check = Checks()
INVALID = 0xffffffffffffffff  # KVM's INVALID_GPA, what KVM_GET_NESTED_STATE says when there is no address


def triage(*args):
    r = subprocess.run([nestscope, "triage", "--json", *args], capture_output=True, text=True)
    try:
        return r.returncode, json.loads(r.stdout), r.stderr.strip()
    except json.JSONDecodeError:
        return r.returncode, {}, r.stderr.strip()


manifests = sorted(pathlib.Path(root).glob("*/manifest.json"))
check(bool(manifests), f"{root} holds a many-VMs sample")
for mpath in manifests:
    man = json.loads(mpath.read_text())
    kver = man["kernel"]["abi"]
    dump = str(mpath.parent / man["dump"]["file"])
    mvms = man["dump"]["vms"]
    summary = man["dump"]["summary"]
    check(summary["vms"] >= 16 and summary["vcpus"] >= 40 and summary["in_l2"] and summary["in_l1_vmx"] and
          summary["no_vmx"] and any(vm["vcpu_count"] > 1 for vm in mvms),
          f"{kver}: the sample has {summary['vms']} VMs and {summary['vcpus']} vCPUs, in L2, in L1 in VMX "
          f"operation and never in VMX operation, some VMs with several vCPUs")

    rc, doc, err = triage("--profile", str(pathlib.Path(profiles) / f"{kver}.json"), dump)
    check(rc == 0 and doc.get("release") == kver, f"{kver}: triage --profile exits 0 (nothing wrong) [{err}]")
    rc2, bundled, err2 = triage(dump)
    check(rc2 == 0 and {k: v for k, v in bundled.items() if k != "types"} ==
          {k: v for k, v in doc.items() if k != "types"},
          f"{kver}: without --profile (the bundled profile, found by release) the same report [{err2}]")

    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(doc, f)
        f.flush()
        v = subprocess.run([sys.executable, str(pathlib.Path(__file__).resolve().parent.parent / "cli" /
                                                "validate_json.py"), "nestscope/triage/2", f.name],
                           capture_output=True, text=True)
    check(v.returncode == 0, f"{kver}: the report is valid nestscope/triage/2 {v.stdout.strip()}")

    vms = {vm["pid"]: vm for vm in doc.get("vms", [])}
    check(sorted(vms) == sorted(vm["pid"] for vm in mvms),
          f"{kver}: triage lists exactly the harness's VMs by pid ({len(vms)} of {len(mvms)})")
    expect = {"vm_count": len(mvms), "vcpu_count": summary["vcpus"],
              "in_vmx_operation": summary["in_l2"] + summary["in_l1_vmx"], "in_l2": summary["in_l2"], "problem_count": 0}
    got = {k: doc.get("summary", {}).get(k) for k in expect}
    check(got == expect, f"{kver}: summary {got}")
    seen = [v["kvm_vcpu"] for vm in doc.get("vms", []) for v in vm["vcpus"]]
    check(len(seen) == len(set(seen)), f"{kver}: every vCPU is listed once ({len(seen)} vCPU structs)")

    for mvm in mvms:
        pid = mvm["pid"]
        name = f"{kver} {mvm['name']} (pid {pid}, {mvm['config']})"
        vm = vms.get(pid)
        if vm is None:
            check(False, f"{name}: found")
            continue
        check(vm.get("online_vcpus") == mvm["vcpu_count"] and len(vm["vcpus"]) == mvm["vcpu_count"],
              f"{name}: {mvm['vcpu_count']} vCPUs (online_vcpus {vm.get('online_vcpus')}, {len(vm['vcpus'])} listed)")
        check(not vm.get("problems") and vm.get("skipped") is None and
              vm.get("vm_type") == (None if kernel_version(kver) < (6, 8) else 0),
              f"{name}: walked, no problem, vm_type {vm.get('vm_type')}")
        vcpus = {v["index"]: v for v in vm["vcpus"]}
        for mv in mvm["vcpus"]:
            i, level, st = mv["index"], mv["level"], mv["at_moment"]
            what = f"{name} vCPU {i} ({mv['moment']})"
            v = vcpus.get(i)
            if v is None:
                check(False, f"{what}: listed")
                continue
            addr = mv["addresses"]
            kvm_state = st.get("kvm_nested_state") or {}
            check(v["mode"] == ("L2" if level == "L2" else "L1") and v["vmxon"] == mv["vmxon"] and
                  v["state"] == VMX_STATE[(level, mv["current_vmcs"])],
                  f"{what}: {level}, '{v['state']}' (mode {v['mode']}, vmxon {v['vmxon']})")
            if mv["vmxon"]:
                check(hexint(v["vmxon_pa"]) == hexint(addr["vmxon_pa"]) and
                      hexint(kvm_state.get("vmxon_pa", addr["vmxon_pa"])) == hexint(addr["vmxon_pa"]),
                      f"{what}: VMXON region {addr['vmxon_pa']} (this vCPU's)")
            want_vmcs = hexint(addr["vmcs12_pa"]) if mv["current_vmcs"] else INVALID
            check(hexint(v["vmcs12_pa"]) == want_vmcs and
                  hexint(kvm_state.get("vmcs12_pa", hex(want_vmcs))) == want_vmcs if mv["vmxon"] else
                  "vmcs12" not in v,
                  f"{what}: current VMCS {hex(want_vmcs) if mv['vmxon'] else 'none, no vmcs12 decoded'} "
                  f"({v['vmcs12_pa']})")
            v12 = v.get("vmcs12", {})
            if mv["current_vmcs"]:
                ctl = mv["controls"]
                want = {name: hexint(ctl[m]) for name, m in MANIFEST_CONTROLS.items()}
                gotc = {k: hexint(v12.get("controls", {}).get(k, {}).get("value", "0x0")) for k in want}
                check(gotc == want and v12.get("launch_state") == ("launched" if mv["launch_state"] else "clear"),
                      f"{what}: vmcs12's controls are the ones L1 wrote, launch state {mv['launch_state']}")
                checks = v.get("checks", {}).get("check_counts", {})
                check(checks.get("fail") == 0 and checks.get("pass", 0) > 0,
                      f"{what}: the SDM checks pass ({checks.get('pass')} rules, {checks.get('fail')} failed)")
            if level == "L2":
                d = v.get("vs_vmcs02", {})
                stale = d.get("stale_fields", [])
                check(hexint(v12.get("guest_rip", "0x0")) == hexint(st["vmcs12_guest_rip"]) and
                      hexint(d.get("vmcs02_guest_rip", "0x0")) == hexint(st["vmcs02_guest_rip"]) and
                      ("GUEST_RIP" in stale) == (st["vmcs12_vs_vmcs02"] != "agree"),
                      f"{what}: guest RIP {st['vmcs12_guest_rip']} in vmcs12, {st['vmcs02_guest_rip']} in vmcs02 "
                      f"({st['vmcs12_vs_vmcs02']})")
                l0 = v.get("l0_last_exit_reason") or {}
                check(hexint(l0.get("value", "0x0")) == EXIT_REASON_IO_INSTRUCTION and
                      d.get("counts", {}).get("unexplained") == 0 and
                      v.get("hflags_agrees") is True,
                      f"{what}: L0's last exit is L2's OUT, no vmcs12/vmcs02 difference unexplained "
                      f"({d.get('counts', {}).get('unexplained')}), hflags {v.get('hflags')} agree")
            if level == "L1" and mv["current_vmcs"]:
                # in L1, vmcs02 is what L2's last run left: compared only once vmcs12 has run L2, and never a
                # difference without explanation (KVM rebuilds vmcs02 at the next entry)
                d = v.get("vs_vmcs02")
                if mv["launch_state"]:
                    check(d is not None and d.get("counts", {}).get("unexplained") == 0 and d.get("compared", 0) > 0,
                          f"{what}: vmcs12 against vmcs02 (L2's last run): {d and d.get('counts', {}).get('stale')} stale, "
                          f"none unexplained")
                else:
                    check(d is None, f"{what}: vmcs12 never ran L2: not compared with vmcs02")
            if mv["moment"] == "hold-l1-exit":
                seen_exit = mv["exits"][-1]["reason"] & 0xffff
                check(hexint(v12.get("last_exit", {}).get("reason", {}).get("value", "0x0")) & 0xffff == seen_exit and not v12["last_exit"].get("stale"),
                      f"{what}: vmcs12's last exit is the one L1 is handling (reason {seen_exit})")
            check(not v["problems"], f"{what}: nothing wrong {v['problems'] or ''}")
            # the one warning a vCPU here may carry: vmcs12 of a vCPU in L2 lags vmcs02
            check(all(w["id"] == "triage.vmcs12_stale" and
                      w["message"].startswith("cached_vmcs12 may be stale: the vCPU is in L2") for w in v["warnings"]) and
                  (level == "L2" or not v["warnings"]),
                  f"{what}: warnings only the stale vmcs12 of L2 ({len(v['warnings'])})")

check.finish()
