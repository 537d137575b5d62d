#!/usr/bin/python3
"""The crash extension in real crash, in batch mode, on each bundled dump with
its kernel's real debuginfo.  The same commands run on every kernel (5.10 with
the vcpus[] array, 6.1 with the vcpu_array xarray), and what they print is
checked against the samples manifest: every VM and vCPU, guest mode, the VMXON
region, current VMCS (vmcs12_pa), and the decoded guest RIP, guest CR3 and controls; on
the many-VMs dump, every VM and vCPU's state.  One crash session per dump
(starting crash is most of the time), once per crash (passes.py: 8.0.2 with
BUILD/nestscope.so, sid's 9.0.x with BUILD/crash9/nestscope.so).

usage: crash_extension.py BUILD_DIR SAMPLES_DIR CACHE_DIR
"""
import json
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import itest  # noqa: E402

build, root, cache = pathlib.Path(sys.argv[1]).resolve(), pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
ext = itest.crash_extension(build)
check = itest.Checks()
INVALID = 0xffffffffffffffff  # KVM's INVALID_GPA: no current VMCS


def crash(vmlinux, dump, commands):
    """Runs crash once with the extension loaded; returns stdout and stderr."""
    with tempfile.NamedTemporaryFile("w", suffix=".in") as f:
        f.write(f"extend {ext}\n" + "".join(c + "\n" for c in commands))
        f.flush()
        with open(f.name) as stdin:
            r = subprocess.run([*itest.crash_command(), "-s", vmlinux, str(dump)], stdin=stdin, capture_output=True,
                               text=True, timeout=600)
    return r.stdout, r.stderr


def crash_skips(kver):
    why = itest.crash_cannot_open(kver)
    return why and f"{why}; crash_samples.sh proves it, the CLI, gdb and drgn serve it (docs/compatibility.md)"


for kver, mf, man, dump, vmlinux, mods in itest.sample_dumps(
        root, cache, skip=crash_skips, gone="crash_samples.sh regenerates a dump for that case"):
    vms = man["dump"]["vms"]
    # every command in one session: vmcs12 -s memory prints text; then bad input, and a kvm -j that must
    # still answer after it
    commands = [f"mod -S {mods}", "kvm -v -j"] + [f"vmcs12 -j {vm['pid']}:0" for vm in vms] + \
               [f"vmcs02 -j {vm['pid']}:0" for vm in vms] + [f"vmcs01 -j {vm['pid']}:0" for vm in vms] + \
               [f"vmcs12 -D -j {vm['pid']}:0" for vm in vms] + [f"vmcs12 -C -j {vm['pid']}:0" for vm in vms] + \
               [f"vmcs12 -s memory {vm['pid']}:0" for vm in vms] + \
               ["vmcs12 9999:0", "vmcs12 ffff888000000000", "vmcs12 -r 0", "kvm -j"]
    stdout, stderr = crash(vmlinux, dump, commands)
    docs = itest.json_docs(stdout)
    kvm = next((d for d in docs if d.get("schema") == "nestscope/kvm/2"), None)
    # decode/2: one document per command line, here each with the one report of its one vCPU
    decode_docs = [d for d in docs if d.get("schema") == "nestscope/decode/2"]
    check(all(len(d["reports"]) == 1 for d in decode_docs),
          f"{kver}: vmcs12, vmcs02 and vmcs01 -j of one vCPU print one report each")
    decoded = [d["reports"][0] for d in decode_docs if d["reports"]]
    vmcs12s = [d for d in decoded if d["format"] == "vmcs12"]
    # vmcs02 -j, vmcs01 -j: one decode document each, the region in vmcs[] and KVM's copies in kvm_copies
    vmcs02s = [d for d in decoded if d["format"] == "vmcs02"]
    vmcs01s = [d for d in decoded if d["format"] == "vmcs01"]
    hw02 = [d for d in vmcs02s if d["vmcs"] and d["vmcs"][0]["kind"] == "vmcs02"]
    hw01 = [d for d in vmcs01s if d["vmcs"] and d["vmcs"][0]["kind"] == "vmcs01"]
    diffs = [d for d in docs if d.get("schema") == "nestscope/diff/2"]
    check(kvm is not None and len(vmcs12s) == len(vms) and len(vmcs02s) == len(vms),
          f"{kver}: kvm -v, vmcs12 and vmcs02 answer for each of the {len(vms)} VMs")
    check(len(docs) == 2 + 5 * len(vms),
          f"{kver}: one document per JSON command line ({len(docs)} for {2 + 5 * len(vms)} commands)")
    # the JSON the extension prints validates against the published schemas
    with tempfile.TemporaryDirectory() as d:
        for i, doc in enumerate([kvm] + decode_docs if kvm else []):
            pathlib.Path(d, f"{i}.json").write_text(json.dumps(doc))
        ndec = len(decode_docs)
        ok = kvm and all(subprocess.run(["/usr/bin/python3", "tests/cli/validate_json.py", schema, *files],
                                        capture_output=True).returncode == 0
                         for schema, files in (("nestscope/kvm/2", [f"{d}/0.json"]),
                                               ("nestscope/decode/2", [f"{d}/{i + 1}.json" for i in range(ndec)])))
        check(bool(ok), f"{kver}: kvm -j, vmcs12 -j, vmcs02 -j and vmcs01 -j output validate against docs/json-schema")
    if kvm is None or len(vmcs12s) != len(vms):
        print(stdout[-3000:], stderr[-2000:])
        continue
    for vm, v12 in zip(vms, vmcs12s):
        cfg = man["configs"][vm["config"]] if vm["config"] in man["configs"] else None
        writes = {int(w["encoding"], 16): int(w["value"], 16)
                  for w in json.loads((mf.parent / vm["manifest"]).read_text())["vmwrites"]}
        found_vm = [x for x in kvm["vms"] if x["pid"] == vm["pid"]]
        check(len(found_vm) == 1, f"{kver}: kvm finds the VM of pid {vm['pid']}")
        if not found_vm:
            continue
        vcpus = found_vm[0].get("vcpus", [])
        check(len(vcpus) == 1 and vcpus[0]["index"] == 0, f"{kver} pid {vm['pid']}: one vCPU, index 0")
        if not vcpus:
            continue
        c = vcpus[0]
        check(c["mode"] == "L2" and c["state"] == "l2" and c["loaded_copy"] == "vmcs02",
              f"{kver} pid {vm['pid']}: vCPU in guest mode (L2 active) on vmcs02 ({c['state']}, {c['loaded_copy']})")
        check(c["vmxon"] and int(c["vmxon_pa"], 16) == int(vm["addresses"]["vmxon_pa"], 16),
              f"{kver} pid {vm['pid']}: VMXON region {c['vmxon_pa']} (manifest {vm['addresses']['vmxon_pa']})")
        check(int(c["vmcs12_pa"], 16) == int(vm["addresses"]["vmcs12_pa"], 16),
              f"{kver} pid {vm['pid']}: current VMCS {c['vmcs12_pa']} (manifest {vm['addresses']['vmcs12_pa']})")
        # every dumped VM stopped at L2's OUT to the harness port (samples/README.md)
        l0 = c.get("l0_last_exit_reason") or {}
        check(int(l0.get("value", "0x0"), 16) == itest.EXIT_REASON_IO_INSTRUCTION and
              (l0.get("decoded") or {}).get("values", {}).get("basic", {}).get("symbol") == "IO_INSTRUCTION",
              f"{kver} pid {vm['pid']}: L0's last exit is L2's OUT ({l0.get('value')})")
        fields = {int(f["encoding"], 16): f for f in v12["vmcs"][0]["fields"]}
        rip = int(fields[0x681E]["value"], 16)
        want_rip = int(vm["moment"]["vmcs12_guest_rip"], 16)
        check(rip == want_rip, f"{kver} pid {vm['pid']} ({vm['moment']['moment']}): vmcs12 guest RIP "
                               f"{rip:#x}, manifest {want_rip:#x}")
        check(int(fields[0x6802]["value"], 16) == writes[0x6802],
              f"{kver} pid {vm['pid']}: guest CR3 {fields[0x6802]['value']} as L1 wrote it")
        for enc in (0x4000, 0x4002, 0x401E, 0x400C, 0x4012):
            check(int(fields[enc]["value"], 16) == writes[enc],
                  f"{kver} pid {vm['pid']}: {fields[enc]['name']} {fields[enc]['value']} as L1 wrote it")
        check(fields[0x4000]["decoded"] is not None and fields[0x4002]["decoded"]["flags"],
              f"{kver} pid {vm['pid']}: controls decoded symbolically")
        # in L2, the guest state of cached_vmcs12 is flagged stale (the copy says which sections and why), the
        # copy and the vCPU are named
        view = v12["vmcs"][0]
        check(fields[0x681E]["stale"] and not fields[0x4002]["stale"] and
              "guest" in (view["staleness"] or {}).get("sections", []) and view["copy"]["name"] == "cached_vmcs12" and
              (v12["vcpu"] or {}).get("pid") == vm["pid"],
              f"{kver} pid {vm['pid']}: guest state marked stale, controls not; copy and vCPU named")
    for vm, v02 in zip(vms, vmcs02s):
        head = v02["kvm_copies"]["header"] or {}
        check(head.get("revision_id") == "0x2b", f"{kver}: vmcs02 revision id {head.get('revision_id')} (Bochs's 0x2b)")
        # KVM's register cache holds L2's RIP as the harness saw it at the dump: past the OUT
        # (and dirty, not yet in vmcs02) once the OUT was completed, at the OUT otherwise
        rc = v02["kvm_copies"]["register_cache"]
        moment = vm["moment"]
        check(rc is not None and rc["mode"] == "L2" and int(rc["rip"], 16) == int(moment["l2_rip"], 16) and
              rc["rip_dirty"] == (moment["moment"] == "hold-io"),
              f"{kver} pid {vm['pid']} ({moment['moment']}): register cache RIP {rc and rc['rip']}, dirty "
              f"{rc and rc['rip_dirty']}; the harness saw {moment['l2_rip']}")

    # vmcs02 and vmcs01 decoded with Bochs's layout (revision 0x2b, built in)
    check(len(hw02) == len(vms) and len(hw01) == len(vms) and len(vmcs01s) == len(vms),
          f"{kver}: vmcs02 and vmcs01 of every VM decode with the built-in Bochs layout")
    for vm, d02, d01, s02, s01 in zip(vms, hw02, hw01, vmcs02s, vmcs01s):
        f02 = {int(f["encoding"], 16): int(f["value"], 16) for f in d02["vmcs"][0]["fields"]}
        f01 = {int(f["encoding"], 16): int(f["value"], 16) for f in d01["vmcs"][0]["fields"]}
        want = int(vm["moment"]["vmcs02_guest_rip"], 16)
        check(f02.get(0x681E) == want, f"{kver} pid {vm['pid']}: vmcs02 guest RIP {f02.get(0x681E, 0):#x}, "
                                       f"manifest {want:#x}")
        # the moment is L2's OUT 0x10 to L0: an I/O-instruction exit (basic reason 30); L1's last
        # exit to L0 was its VMLAUNCH (20), which vmcs01 still records
        check(f02.get(0x4402) == 30 and f01.get(0x4402) == 20,
              f"{kver} pid {vm['pid']}: exit reasons vmcs02 {f02.get(0x4402)} (OUT), vmcs01 {f01.get(0x4402)} (VMLAUNCH)")
        for hw, sw, name in ((f02, s02, "vmcs02"), (f01, s01, "vmcs01")):
            same = all(hw.get(enc) == int(sw["kvm_copies"]["controls"][name]["value"], 16) for enc, name in
                       ((0x4000, "PIN_BASED_VM_EXEC_CONTROL"), (0x4002, "CPU_BASED_VM_EXEC_CONTROL"),
                        (0x401E, "SECONDARY_VM_EXEC_CONTROL"), (0x400C, "VM_EXIT_CONTROLS"),
                        (0x4012, "VM_ENTRY_CONTROLS")))
            check(same, f"{kver} pid {vm['pid']}: {name}'s controls in the region equal KVM's controls_shadow")

    # vmcs12 -D: each difference explained, as the moment predicts
    check(len(diffs) == len(vms), f"{kver}: vmcs12 -D answers for each VM")
    for vm, d in zip(vms, diffs):
        cls = {x["name"]: x["class"] for x in d["differences"]}
        moment = vm["moment"]["moment"]
        check(bool(d["vcpu"]) and d["vcpu"]["pid"] == vm["pid"] and d["copy_a"]["name"] == "cached_vmcs12" and
              d["copy_b"]["name"] == "vmcs02" and d["context"]["vmcs12_vs_vmcs02"],
              f"{kver} pid {vm['pid']}: vmcs12 -D names the vCPU and compares cached_vmcs12 with vmcs02")
        check(d["counts"]["unexplained"] == 0,
              f"{kver} pid {vm['pid']} ({moment}): no unexplained difference between vmcs12 and vmcs02 "
              f"({d['counts']})")
        check(cls.get("HOST_RIP") == "expected" and cls.get("CPU_BASED_VM_EXEC_CONTROL") == "expected" and
              cls.get("PIN_BASED_VM_EXEC_CONTROL") == "expected",
              f"{kver} pid {vm['pid']}: host state and merged controls are expected differences")
        want_rip = {"hold": None, "hold-io": "stale", "nosync": "stale"}[moment]
        check(cls.get("GUEST_RIP") == want_rip,
              f"{kver} pid {vm['pid']} ({moment}): guest RIP difference {cls.get('GUEST_RIP')} (want {want_rip})")

    # vmcs12 -C: the SDM checks against nested.msrs read from the dump; the capability MSRs
    # rebuilt from it must be what L1 itself read with RDMSR (the harness's manifest), and
    # the vmcs12s real KVM ran must pass every rule
    chks = [d for d in docs if d.get("schema") == "nestscope/checks/3"]
    check(len(chks) == len(vms), f"{kver}: vmcs12 -C answers for each VM")
    for vm, ck in zip(vms, chks):
        got = {int(x["msr"], 16): int(x["value"], 16) for x in ck["capabilities"]["msrs"]}
        want = {int(x["msr"], 16): int(x["value"], 16) for x in vm["capability_msrs"]}
        same = [m for m in want if m in got and got[m] == want[m]]
        check(len(same) == 18, f"{kver} pid {vm['pid']}: the 18 capability MSRs rebuilt from nested.msrs equal "
                               f"what L1 read ({len(same)} equal)")
        n = ck["check_counts"]
        check(n["fail"] == 0 and n["pass"] > 40 and "nested.msrs" in ck["capabilities"]["source"],
              f"{kver} pid {vm['pid']}: the vmcs12 KVM ran passes every SDM rule ({n['pass']} pass, "
              f"{n['not_applicable']} not applicable)")
        check(bool(ck["vcpu"]) and ck["vcpu"]["pid"] == vm["pid"] and ck["vcpu"]["index"] == 0 and
              ck["copy"]["name"] == "cached_vmcs12",
              f"{kver} pid {vm['pid']}: vmcs12 -C names the vCPU and the copy it checked ({ck['copy']['label']})")
        # what the checks read beyond vmcs12 comes from the dump: L1's CPUID (which has VMX: KVM lets no L1
        # run VMXON without it, and the harness's L1 did), and the MSR-load list at the GPA the harness wrote
        # it, through the memslots to the VMM's page -- which a -d 31 dump leaves out, so those rules are not
        # judged and say where the page is; a vCPU in L2 keeps L2's EFER in vcpu->arch.efer, not L1's
        res = {r["id"]: r for r in ck["results"]}
        vmm = json.loads((mf.parent / vm["manifest"]).read_text())
        list_hva = int(vmm["l1_memory"]["hva"], 16) + int(vmm["msr_areas"]["vm_entry_load"]["gpa"], 16)
        check("CPUID" in ck["capabilities"]["source"] and res["host.cr4.cpuid"]["verdict"] == "pass" and
              res["guest.cr4.cpuid"]["verdict"] == "pass",
              f"{kver} pid {vm['pid']}: L1's CPUID read from vcpu->arch.cpuid_entries judges the CR4 rules "
              f"({ck['capabilities']['source']})")
        check(all(res[r]["verdict"] == "not_judged" and f"HVA {list_hva:#x}" in res[r]["message"] and
                  "not in this dump" in res[r]["message"] for r in ("msr_load.reserved", "msr_load.index")),
              f"{kver} pid {vm['pid']}: the MSR-load list at HVA {list_hva:#x} is not in the dump, and the "
              f"rules that read it say so ({res['msr_load.index']['message']})")
        check(res["host.address_space.l1_mode"]["verdict"] == "not_judged" and
              "runs L2" in res["host.address_space.l1_mode"]["message"] and ck["check_counts"]["not_judged"] ==
              sum(r["verdict"] == "not_judged" for r in ck["results"]),
              f"{kver} pid {vm['pid']}: L1's EFER is not kept while L2 runs, and the count of rules not judged "
              f"matches ({ck['check_counts']['not_judged']})")

    # -s memory: L1's GPA goes through the memslots to the VMM's address, where the harness
    # mapped L1's memory; the dumps leave user pages out, so reading it must say so
    for vm in vms:
        vmm = json.loads((mf.parent / vm["manifest"]).read_text())
        hva = int(vmm["l1_memory"]["hva"], 16) + int(vm["addresses"]["vmcs12_pa"], 16)
        check(f"HVA {hva:#x}" in stdout + stderr and "not in this dump" in stdout + stderr,
              f"{kver} pid {vm['pid']}: -s memory translates GPA {vm['addresses']['vmcs12_pa']} to HVA {hva:#x} "
              "and says the user page is not in the dump")

    # bad input keeps the session alive: an unknown vCPU, a garbage pointer, then a good command
    check(bool(docs) and docs[-1].get("schema") == "nestscope/kvm/2" and
          "no vCPU 0 in a VM of pid 9999" in stdout + stderr,
          f"{kver}: bad vCPUs and addresses give one-line errors and crash goes on")

# the many-VMs dump: kvm -v finds every VM and vCPU in the state the manifest gives it.  A vCPU that never
# ran VMXON has no vmcs02 (KVM allocates it at VMXON): vmcs02 -j still prints one valid document, with no
# region decoded and the reason in kvm_copies
for kver, mf, man, dump, vmlinux, mods in itest.sample_dumps(root / "many-vms", cache, skip=itest.crash_cannot_open):
    many = mf.parent
    novmx = [(vm["pid"], c["index"]) for vm in man["dump"]["vms"] for c in vm["vcpus"] if not c["vmxon"]]
    stdout, stderr = crash(vmlinux, dump,
                           [f"mod -S {mods}", "kvm -v -j"] + [f"vmcs02 -j {pid}:{idx}" for pid, idx in novmx[:2]])
    try:
        docs = itest.json_docs(stdout)
    except ValueError as e:
        docs = []
        print(f"not JSON: {e}")
    kvm, docs = (docs[0], docs[1:]) if docs and docs[0].get("schema") == "nestscope/kvm/2" else ({}, docs)
    got = {vm["pid"]: vm for vm in kvm.get("vms", [])}
    check(sorted(got) == sorted(vm["pid"] for vm in man["dump"]["vms"]),
          f"many-vms {many.name}: kvm -v lists exactly the harness's {len(man['dump']['vms'])} VMs by pid")
    for mvm in man["dump"]["vms"]:
        vcpus = {c["index"]: c for c in got.get(mvm["pid"], {}).get("vcpus", [])}
        wrong = []
        for mv in mvm["vcpus"]:
            c = vcpus.get(mv["index"], {})
            vmcs = int(mv["addresses"]["vmcs12_pa"], 16) if mv["current_vmcs"] else INVALID
            if c.get("mode") != ("L2" if mv["level"] == "L2" else "L1") or c.get("vmxon") != mv["vmxon"] or \
               (mv["vmxon"] and (int(c["vmxon_pa"], 16) != int(mv["addresses"]["vmxon_pa"], 16) or
                                 int(c["vmcs12_pa"], 16) != vmcs)):
                wrong.append((mv["index"], c.get("mode"), c.get("vmxon"), c.get("vmcs12_pa")))
        check(len(vcpus) == mvm["vcpu_count"] and not wrong,
              f"many-vms {many.name} pid {mvm['pid']}: {mvm['vcpu_count']} vCPUs, each in the mode, VMX operation, "
              f"VMXON region and current VMCS the manifest gives it {wrong or ''}")
    ok = len(novmx) >= 1 and len(docs) == len(novmx[:2]) and all(
        len(doc.get("reports", [])) == 1 and d.get("format") == "vmcs02" and d["vmcs"] == [] and
        d["kvm_copies"]["header"] is None and int(d["kvm_copies"]["region"], 16) == 0 and
        d["kvm_copies"]["region_error"] for doc in docs for d in doc.get("reports", [{}])[:1])
    with tempfile.TemporaryDirectory() as d:
        for i, doc in enumerate(docs):
            pathlib.Path(d, f"{i}.json").write_text(json.dumps(doc))
        files = [f"{d}/{i}.json" for i in range(len(docs))]
        ok = ok and subprocess.run(["/usr/bin/python3", "tests/cli/validate_json.py", "nestscope/decode/2", *files],
                                   capture_output=True).returncode == 0
    check(ok, f"many-vms {many.name}: vmcs02 -j on the vCPUs that never ran VMXON {novmx[:2]}: one valid "
              "document each, no region decoded, the reason said")
    if not ok:
        print(stdout[-2000:], stderr[-1000:])

check.finish()
