"""A kernel dump of an AMD host (samples/svm/KVER: real KVM's nested SVM under QEMU's TCG, two VMs holding
in L2) read by the CLI (the bundled profile), crash and gdb, each checked against the samples' manifest
(written by samples/gen/svm/manifest.py from what the harness and a kprobe on svm_vcpu_run read at the APM's
offsets, not through nestscope):

- `kvm` lists the manifest's VMs; `kvm -v -j` gives each vCPU as struct vcpu_svm at the manifest's address,
  in L2 (state from current_vmcb, hflags agreeing), with vmcb12's GPA and the exit code L0 last saw;
- `vmcb02 PID -j`: L2's RIP, the exit code and EXITINFO1, and the controls KVM built (ASID, nested CR3,
  intercepts, permission maps) as the kprobe read them before the dump;
- `vmcb12 PID -j` (KVM's cache of it): the controls L1 wrote, as the harness read them from L1's memory, but
  for what KVM syncs from vmcb02 at each exit (EVENTINJ, int_ctl's V_TPR and V_IRQ);
- `vmcb12 -D PID -j`: vmcb12 against vmcb02 with no unexplained difference;
- `triage` and `triage --json`: every vCPU in L2 at the manifest's RIP, its L0 exit, the APM checks passing,
  vmcb12 against vmcb02 with 0 unexplained, no problem;
- `vmcs12 PID` names the command that reads an AMD vCPU;
- crash (where it opens the kernel), gdb (on the dump rewritten as an ELF core) and drgn 0.3 print the same
  kvm, vmcb02 and vmcb12 documents as the CLI, and a session goes on after an error.
usage: svm_host.py NESTSCOPE BUILD_DIR SAMPLES CACHE   (BUILD_DIR: the crash extension, the gdb package, gdbcore)
"""
import collections
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
# AMD APM vol. 2, appendix C: the exit codes the samples' VMs hold at (IOIO: an OUT by L2)
APM_EXIT_NAMES = {0x7b: "IOIO", 0x78: "HLT", 0x81: "VMMCALL"}
hexint = itest.hexint
tmp = pathlib.Path(tempfile.mkdtemp())


def run(*args):
    return subprocess.run([nestscope, *args], capture_output=True, text=True, timeout=600)


def listed_pids(text):
    """pid and vCPU count of each VM line of kvm's table (struct kvm address, pid, command, vCPUs)."""
    return sorted((int(m.group(1)), int(m.group(2))) for m in re.finditer(r"^[0-9a-f]{16}\s+(\d+)\s+\S+\s+(\d+)$",
                                                                          text, re.M))


def svm_vcpus(doc):
    """pid -> the vCPU of a kvm/2 document (each VM here has one)."""
    return {vm["pid"]: vm["vcpus"][0] for vm in doc["vms"] if vm.get("vcpus")}


def vmcb_fields(doc):
    """name -> value of the one VMCB a decode/2 document holds."""
    return {f["name"]: hexint(f["value"]) for f in doc["reports"][0]["vmcb"][0]["fields"] if f["size"] <= 8}


def check_kvm(kver, doc, vms, who):
    got = svm_vcpus(doc)
    for vm in vms:
        c = got.get(vm["pid"])
        check(c is not None and c.get("vendor") == "svm" and hexint(c["vcpu_svm"]) == hexint(vm["vcpu_svm"]) and
              c["state"] == "l2" and c["current_copy"] == "vmcb02" and c["hflags_agrees"] is True and
              hexint(c["vmcb12_pa"]) == hexint(vm["vmcb12_gpa"]) and
              hexint(c["l0_last_exit_code"]["value"]) == hexint(vm["l0_exit_code"]),
              f"{kver}: {who} kvm -v -j: pid {vm['pid']}'s vCPU is struct vcpu_svm {vm['vcpu_svm']}, in L2 on vmcb02, "
              f"vmcb12 at {vm['vmcb12_gpa']}, L0's last exit {vm['l0_exit_code']} ({c})")


# vmcb02's controls KVM builds once per VMRUN and keeps while L2 loops on its port write
STABLE02 = {"INTERCEPT_CR": "intercept_cr", "INTERCEPT_EXCEPTION": "intercept_exceptions",
            "INTERCEPT_WORD3": "intercept_word3", "INTERCEPT_WORD4": "intercept_word4", "ASID": "asid",
            "IOPM_BASE_PA": "iopm_base_pa", "MSRPM_BASE_PA": "msrpm_base_pa", "NESTED_CR3": "nested_cr3",
            "EXIT_CODE": "exit_code", "EXIT_INFO_1": "exit_info_1", "RIP": "rip", "CR0": "cr0", "CR3": "cr3",
            "EFER": "efer", "G_PAT": "g_pat"}
# vmcb12's controls KVM caches unchanged at VMRUN (nested_copy_vmcb_control_to_cache)
CACHED12 = {"INTERCEPT_WORD3": "intercept_word3", "INTERCEPT_WORD4": "intercept_word4", "ASID": "asid",
            "IOPM_BASE_PA": "iopm_base_pa", "MSRPM_BASE_PA": "msrpm_base_pa", "NESTED_CR3": "nested_cr3",
            "TSC_OFFSET": "tsc_offset"}
# what KVM syncs into its cache from vmcb02 at each exit from L2 (nested_sync_control_from_vmcb02): EVENTINJ
# whole, and of int_ctl the bits the processor writes, V_TPR (3:0) and V_IRQ (8) (APM table B-1)
INT_CTL_FROM_VMCB02 = 0xf | 1 << 8


def check_vmcbs(kver, vm, v02, v12, diff, who):
    last = vm["steps"][-1]
    m02, m12 = last["kvm"]["vmcb02"]["fields"], last["vmcb12"]["fields"]
    f02 = vmcb_fields(v02) if v02 else {}
    bad = [n for n, k in STABLE02.items() if f02.get(n) != hexint(m02[k])]
    check(v02 and not bad and f02["RIP"] == hexint(vm["l2_rip"]),
          f"{kver} pid {vm['pid']}: {who} vmcb02 -j: L2's RIP {vm['l2_rip']}, exit {vm['l0_exit_code']} and KVM's "
          f"controls as the kprobe read them (differ: {bad})")
    f12 = vmcb_fields(v12) if v12 else {}
    bad = [n for n, k in CACHED12.items() if f12.get(n) != hexint(m12[k])]
    bad += ["EVENT_INJ"] if f12.get("EVENT_INJ") != hexint(m02["event_inj"]) else []
    int_ctl = f12.get("INT_CTL", -1)
    bad += ["INT_CTL"] if (int_ctl & ~INT_CTL_FROM_VMCB02 != hexint(m12["int_ctl"]) & ~INT_CTL_FROM_VMCB02 or
                           int_ctl & INT_CTL_FROM_VMCB02 != hexint(m02["int_ctl"]) & INT_CTL_FROM_VMCB02) else []
    np = f12.get("MISC_CTL", -1) & 1
    check(v12 and not bad and np == hexint(m12["np_enable"]),
          f"{kver} pid {vm['pid']}: {who} vmcb12 -A -j (KVM's cache): the controls L1 wrote, EVENTINJ and int_ctl's "
          f"V_TPR and V_IRQ as KVM synced them from vmcb02 (differ: {bad})")
    if diff is not None:
        counts = diff.get("counts", {})
        check(counts.get("unexplained") == 0 and diff.get("differ", 0) > 0 and counts.get("expected", 0) > 0,
              f"{kver} pid {vm['pid']}: {who} vmcb12 -D: vmcb12 against vmcb02, 0 unexplained ({counts})")


for mf in sorted(samples.glob("svm/*/manifest.json")):
    man = json.loads(mf.read_text())
    kver, dump, vms = man["kernel"], mf.parent / man["dump"]["file"], man["dump"]["vms"]
    want = sorted((vm["pid"], vm["vcpus"]) for vm in vms)
    check(all(vm["guest_mode"] for vm in vms), f"{kver}: the manifest's VMs hold in L2 ({want})")

    # the CLI, with the bundled profile
    r = run("kvm", str(dump))
    check(r.returncode == 0 and listed_pids(r.stdout) == want,
          f"{kver}: kvm lists the manifest's VMs and vCPUs ({listed_pids(r.stdout)}; {r.stderr.strip()})")
    r = run("kvm", str(dump), "-v", "-j")
    check_kvm(kver, json.loads(r.stdout), vms, "the CLI's")
    for vm in vms:
        pid = str(vm["pid"])
        docs = [run(cmd, str(dump), *args, pid) for cmd, args in
                (("vmcb02", ["-A", "-j"]), ("vmcb12", ["-A", "-j"]), ("vmcb12", ["-D", "-j"]))]
        check(all(d.returncode in (0, 3) for d in docs), f"{kver} pid {pid}: vmcb02, vmcb12 and vmcb12 -D answer "
                                                         f"({[d.stderr.strip() for d in docs if d.returncode not in (0, 3)]})")
        parsed = [json.loads(d.stdout) if d.stdout.startswith("{") else None for d in docs]
        check_vmcbs(kver, vm, parsed[0], parsed[1], parsed[2], "the CLI's")
    r = run("vmcs12", str(dump), str(want[0][0]))
    check(r.returncode == 1 and "vmcb12, vmcb02 and vmcb01 read it" in r.stderr and len(r.stderr.splitlines()) == 1,
          f"{kver}: vmcs12 on an AMD vCPU names the commands that read it ({r.stderr.strip()})")
    r = run("triage", str(dump))
    check(r.returncode == 0 and f"{len(vms)} in L2" in r.stdout and "AMD SVM" in r.stdout,
          f"{kver}: triage exits 0 and counts {len(vms)} vCPUs in L2 on an AMD host ({r.returncode} {r.stderr.strip()})")
    r = run("triage", "--json", str(dump))
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    tv = {vm["pid"]: vm["vcpus"][0] for vm in doc.get("vms", []) if vm.get("vcpus")}
    for vm in vms:
        t = tv.get(vm["pid"], {})
        st = t.get("story", {})
        check(t.get("state") == "l2" and hexint(st.get("rip", "0x0")) == hexint(vm["l2_rip"]) and
              hexint((st.get("l0_exit") or {}).get("exit_code", "0x0")) == hexint(vm["l0_exit_code"]) and
              not t.get("problems"),
              f"{kver} pid {vm['pid']}: triage --json: L2 at {vm['l2_rip']}, L0's exit {vm['l0_exit_code']}, "
              f"no problem ({st}; {t.get('problems')})")
        vs, ck = t.get("vs_vmcb02", {}), t.get("checks", {}).get("check_counts", {})
        check(vs.get("counts", {}).get("unexplained") == 0 and vs.get("differ", 0) > 0 and ck.get("fail") == 0 and
              ck.get("pass", 0) > 0,
              f"{kver} pid {vm['pid']}: triage --json: vmcb12 against vmcb02 with 0 unexplained, the APM checks pass "
              f"({vs}; {ck})")
    check(doc.get("summary", {}).get("using_nested_svm") == len(vms) and doc["summary"]["problem_count"] == 0,
          f"{kver}: triage --json's summary counts {len(vms)} vCPUs using nested SVM and no problem")
    # the host's common line: the manifest's exit codes by their APM name (appendix C), on how many vCPUs; and
    # no APM rule failing, since KVM ran every VM's vmcb12 (its VMRUN checks passed)
    common = doc.get("host", {}).get("common", "")
    exits = collections.Counter(hexint(vm["l0_exit_code"]) for vm in vms)
    want_common = [f"{APM_EXIT_NAMES.get(c, hex(c))} on {k} of {len(vms)} vCPUs" for c, k in exits.items()]
    check(common.startswith("L0's last #VMEXIT: ") and all(w in common for w in want_common) and
          common.endswith("no APM rule fails"),
          f"{kver}: triage's common line: {common!r} (want {want_common} and no APM rule failing)")

    found = itest.debuginfo(kver, cache)
    if not found:
        print(f"note: {kver}: no debuginfo for crash and gdb")
        continue
    vmlinux, mods = found
    cmds = ["kvm -v -j"] + [f"vmcb02 -A -j {vm['pid']}" for vm in vms] + [f"vmcb12 -A -j {vm['pid']}" for vm in vms]
    cli = [json.loads(run(*c.split()[:1], str(dump), *c.split()[1:]).stdout) for c in cmds]

    # gdb: the dump as an ELF core (gdbcore), the modules' symbols loaded the lx-symbols way
    core = tmp / f"{kver}.core"
    subprocess.run([itest.kdump_tool("gdbcore", tmp), str(dump), str(core)], check=True, stdout=subprocess.DEVNULL)
    argv = [*itest.gdb_command(), "-nx", "-batch", "-ex", "set pagination off", "-ex", f"file {vmlinux}",
            "-ex", f"core-file {core}", "-ex", f"source {itest.gdb_package(build)}", "-ex", f"kvm-symbols {mods}",
            "-ex", "vmcs12 99999:0"]
    for c in cmds:
        argv += ["-ex", c]
    g = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    gdocs = itest.json_docs(g.stdout)
    check(gdocs == cli and any("no vCPU 0 in a VM of pid 99999" in line for line in g.stderr.splitlines()),
          f"{kver}: gdb prints the CLI's kvm, vmcb02 and vmcb12 documents, after an error line "
          f"({len(gdocs)} of {len(cli)} documents)")
    if gdocs:
        check_kvm(kver, gdocs[0], vms, "gdb's")

    # drgn 0.3 (the sid root), through the package's script entry point, on the same commands
    sid = pathlib.Path(__file__).resolve().parents[2] / "samples" / "gen" / "sidroot.sh"
    cmdfile = tmp / f"{kver}.drgn"
    cmdfile.write_text("vmcs12 99999:0\n" + "".join(c + "\n" for c in cmds))
    d = subprocess.run(["sh", str(sid), "run", "python3", str(sid.parents[2] / "plugin" / "drgn" / "nestscope-drgn"),
                        "-c", str(dump), "-s", vmlinux, "-d", mods, "-x", str(cmdfile)],
                       capture_output=True, text=True, timeout=900)
    if d.returncode == 127 or "no sid root" in d.stderr:
        print(f"note: {kver}: no drgn 0.3 (the sid root): {d.stderr.strip()[:200]}")
    else:
        errs = [line for line in d.stderr.splitlines() if not line.startswith("nestscope-drgn: note:")]
        check(itest.json_docs(d.stdout) == cli and d.returncode == 1 and len(errs) == 1,
              f"{kver}: drgn prints the CLI's kvm, vmcb02 and vmcb12 documents, the unknown vCPU one error line "
              f"({len(itest.json_docs(d.stdout))} of {len(cli)}; {errs[:3]})")

    # crash, where it opens the kernel
    why = itest.crash_cannot_open(kver)
    if why:
        print(f"note: {why}: gdb alone serves it here")
        continue
    with tempfile.NamedTemporaryFile("w", suffix=".in") as f:
        f.write(f"extend {itest.crash_extension(build)}\nmod -S {mods}\nkvm\nvmcs12 {want[0][0]}\n" +
                "".join(c + "\n" for c in cmds))
        f.flush()
        with open(f.name) as stdin:
            cr = subprocess.run([*itest.crash_command(), "-s", vmlinux, str(dump)], stdin=stdin, capture_output=True,
                                text=True, timeout=900)
    check(listed_pids(cr.stdout) == want, f"{kver}: crash's kvm lists the manifest's VMs ({listed_pids(cr.stdout)})")
    errors = [line for line in (cr.stdout + cr.stderr).splitlines() if "vmcb12, vmcb02 and vmcb01 read it" in line]
    check(len(errors) == 1 and errors[0].startswith("vmcs12: "), f"{kver}: crash's vmcs12 on an AMD vCPU is one error "
                                                                f"line ({errors})")
    check(itest.json_docs(cr.stdout) == cli, f"{kver}: crash prints the CLI's kvm, vmcb02 and vmcb12 documents after it "
                                            f"({len(itest.json_docs(cr.stdout))} of {len(cli)})")
subprocess.run(["rm", "-rf", str(tmp)])
check.finish()
