#!/usr/bin/python3
"""The drgn package in real drgn on the bundled real dumps, with the kernels'
real debuginfo: Debian 12's drgn 0.0.22 (this machine's python3-drgn) and
sid's drgn 0.3 (the sid root of setup.sh), each opening the kdump itself.

In each drgn, one session per kernel (this file, run as 'session' under that
drgn's python3): kvm before the modules' debug info says what to load;
load_kvm_debug_info loads it; the core's commands run with -j (drgn 0.3
through drgn's own command framework, drgn.commands.run_command, as the drgn
CLI runs '%kvm -v'; 0.0.22 has none: through the helpers' nestscope_command);
and the helpers return drgn Objects and decoded objects.  Checked against
independent sources: the samples' manifests (the VMs' pids, current_vmptr,
the guest RIP each copy holds, the controls L1 wrote) and drgn's own reads of
the same kernel structures through DWARF (kvm->userspace_pid,
nested.current_vmptr, cached_vmcs12->guest_rip and launch_state), which do
not go through nestscope.  The JSON is compared with real gdb's on the same
dump (and real crash's where this machine's crash opens the kernel):
identical documents, vmcs12-abi's 'types' excepted (it names the debugger).
The nestscope-drgn script (python3 -m nestscope_drgn) gives the same
documents as the session.

usage: drgn_dump.py BUILD_DIR SAMPLES_DIR CACHE_DIR
       drgn_dump.py session DUMP VMLINUX MODULES_DIR CMDFILE MANIFEST   (inside a drgn)
"""
import contextlib
import io
import json
import os
import re
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PLUGIN = ROOT / "plugin" / "drgn"
# the drgns under test: (name, the python3 that has it)
DRGNS = [("drgn 0.0.22 (Debian 12)", ["/usr/bin/python3"]),
         ("drgn 0.3 (sid root)", ["sh", str(ROOT / "samples" / "gen" / "sidroot.sh"), "run", "python3"])]
# a dump cut short for the bad-input check: the kdump header and bitmaps, few of the pages
CUT_BYTES = 3 << 20


def session(dump, vmlinux, mods, cmdfile, manifest):
    """In a drgn: the commands' outputs and what the helpers return, as one JSON document on stdout."""
    import drgn
    sys.path.insert(0, str(PLUGIN))
    import nestscope_drgn as ns
    import nestscope_drgn.commands

    prog = drgn.Program()
    prog.set_core_dump(dump)
    res = {"drgn": drgn.__version__, "notes": []}
    try:
        prog.load_debug_info([vmlinux])
    except drgn.MissingDebugInfoError as e:
        res["notes"].append(str(e).splitlines()[-1].strip())
    framework = nestscope_drgn.commands.register()
    res["framework"] = framework

    def run(line):
        """(stdout, error line or None) of one command line."""
        if framework:
            from drgn.commands import run_command
            errs, buf = [], io.StringIO()
            with contextlib.redirect_stdout(buf):
                run_command(prog, line, globals={}, onerror=errs.append)
            return buf.getvalue(), (str(errs[0]) if errs else None)
        try:
            return ns.nestscope_command(prog, line), None
        except ns.NestscopeError as e:
            return "", str(e)

    res["before_types"] = run("kvm")[1]
    res["loaded"] = ns.load_kvm_debug_info(prog, mods)
    res["commands"] = [[line, *run(line)] for line in pathlib.Path(cmdfile).read_text().splitlines()]
    from nestscope_drgn.target import KERNEL_HALF
    raw = prog.object("vm_list").address_
    if raw < KERNEL_HALF:
        res["notes"].append(f"this drgn leaves kvm.ko's symbols unrelocated (vm_list at {raw:#x}): "
                            "the package found vm_list in the module's kallsyms")

    man = json.loads(pathlib.Path(manifest).read_text())
    res["kvms"] = [{"kvm": k.value_(), "userspace_pid": k.userspace_pid.value_()} for k in ns.for_each_kvm(prog)]
    vcpus = []
    for v in ns.for_each_nested_vcpu(prog):
        state = ns.vcpu_nested_state(v)
        pid = v.vcpu.kvm.userspace_pid.value_()
        vm = next(x for x in man["dump"]["vms"] if x["pid"] == pid)
        v12, v02, v01 = ns.vmcs12(v), ns.vmcs02(v), ns.vmcs01(v)
        shadow = ns.vmcs12(v, copy="shadow")
        checks, diff = ns.vmcs12_checks(v), ns.vmcs12_diff(v)
        cached = v.nested.cached_vmcs12
        vcpus.append({
            "type": str(v.type_), "vcpu_vmx": v.value_(), "pid": pid, "state_pid": state.pid, "mode": state.mode,
            "vcpu_state": state.state, "vmcs12_pa": state.vmcs12_pa,
            "drgn_current_vmptr": v.nested.current_vmptr.value_(),
            "vmcs12": {"rip": v12["GUEST_RIP"].value, "rip_copy": v12["GUEST_RIP"].copy.name,
                       "rip_stale": v12["GUEST_RIP"].stale, "kind": v12.kind, "revision": v12.revision_id,
                       "launch_state": v12.launch_state, "staleness": v12.staleness.json if v12.staleness else None,
                       "controls": [[f.encoding, f.value] for f in v12 if f.section == "control"],
                       "exec_flags": v12["CPU_BASED_VM_EXEC_CONTROL"].decoded.flags,
                       "fields": len(v12)},
            "drgn_vmcs12": {"rip": cached.guest_rip.value_(), "launch_state": cached.launch_state.value_()},
            "field_fn": ns.vmcs12_field(cached, "guest_rip"),
            "shadow_kind": shadow.kind, "shadow_copy": next(iter(shadow)).copy.name,
            "vmcs02": {"kind": type(v02).__name__,
                       "rip": v02["GUEST_RIP"].value if isinstance(v02, ns.Vmcs) else None},
            "vmcs01": {"kind": type(v01).__name__, "vmcs_kind": getattr(v01, "kind", None)},
            "checks": checks.json, "diff": diff.json,
            "manifest_role": vm["role"]})
    res["vcpus"] = vcpus
    # -p: the dump's physical memory (prog.read(..., physical=True)); cached_vmcs12 is in the direct map, so
    # its physical address is its address less page_offset_base, which drgn reads from the kernel
    va = ns.vcpu_nested_state(next(ns.for_each_nested_vcpu(prog))).cached_vmcs12
    pa = va - prog["page_offset_base"].value_()
    by_va, by_pa = (ns.nestscope_json(prog, ["vmcs12", opt, hex(a)]) for opt, a in (("-r", va), ("-p", pa)))
    def fields(ds):
        return ds[0]["reports"][0]["vmcs"][0]["fields"]
    res["phys"] = {"pa": pa, "same": fields(by_va) == fields(by_pa) and len(fields(by_va)) > 0,
                   "source": by_pa[0]["reports"][0]["source"]}
    res["abi_compatible"] = ns.vmcs12_abi(prog).compatible
    try:
        ns.vmcs12(drgn.Object(prog, "struct vcpu_vmx *", value=0x1000))
        res["bad_vcpu"] = None
    except ns.NestscopeError as e:
        res["bad_vcpu"] = str(e)
    print(json.dumps(res))


def docs(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def without_types(ds):
    """The documents, vmcs12-abi's 'types' (which debugger's types) left out."""
    return [{k: v for k, v in d.items() if not (d.get("schema") == "nestscope/abi/2" and k == "types")} for d in ds]


def main():
    sys.path.insert(0, str(HERE))
    import itest

    build, root, cache = (pathlib.Path(p).resolve() for p in sys.argv[1:4])
    os.environ["NESTSCOPE_LIB"] = str(build / "libnestscope.so")
    check = itest.Checks()
    # in /tmp: the sid root has it bound at the same path
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="drgn_dump.", dir="/tmp"))
    gdbcore = itest.kdump_tool("gdbcore", tmp)
    # the shared ctypes layer refuses a library of another ABI version (libc has no ns_abi_version: 0)
    for name, python in DRGNS:
        r = subprocess.run(python + ["-c", "import sys; sys.path.insert(0, sys.argv[1]); import nestscope_abi\n"
                                     "try:\n    nestscope_abi.Core()\nexcept nestscope_abi.NestscopeError as e:\n"
                                     "    print(e)", str(ROOT / "plugin" / "python")],
                           capture_output=True, text=True, env=dict(os.environ, NESTSCOPE_LIB="libc.so.6"))
        want = re.search(r"#define NS_ABI_VERSION (\d+)",
                         (ROOT / "decoders/include/nestscope/command.h").read_text()).group(1)
        check(f"libc.so.6 has ABI version 0, this package wants {want}" in r.stdout and
              len(r.stdout.splitlines()) == 1,
              f"{name}'s python: nestscope_abi refuses a library of another ABI version in one line")
    for kver, mf, man, dump, vmlinux, mods in itest.sample_dumps(root, cache):
        dump = str(dump)
        vms = man["dump"]["vms"]
        cmds = ["kvm -v -j"]
        for opt in ("vmcs12 -j", "vmcs12 -C -j", "vmcs12 -D -j", "vmcs02 -j", "vmcs01 -j"):
            cmds += [f"{opt} {vm['pid']}:0" for vm in vms]
        cmds += ["vmcs12-abi -j", "vmcs12 99999:0", "vmcs12 -r 0x100000000000"]
        cmdfile = tmp / f"{kver}.cmds"
        cmdfile.write_text("\n".join(cmds) + "\n")

        # gdb on the same dump, as an ELF core (gdb_dump.py)
        core = tmp / f"{kver}.core"
        subprocess.run([gdbcore, dump, str(core)], check=True, stdout=subprocess.DEVNULL)
        argv = ["gdb", "-nx", "-batch", "-ex", "set pagination off", "-ex", f"file {vmlinux}", "-ex",
                f"core-file {core}", "-ex", f"source {ROOT / 'plugin/gdb/nestscope-gdb.py'}",
                "-ex", f"kvm-symbols {mods}"]
        for c in cmds:
            argv += ["-ex", c]
        gdb_docs = docs(subprocess.run(argv, capture_output=True, text=True, timeout=600).stdout)
        core.unlink()
        crash_docs, why = None, itest.crash_cannot_open(kver)
        if why:
            print(f"note: {why}: compared with gdb only")
        else:
            script = tmp / f"{kver}.crash"
            script.write_text(f"extend {build / 'nestscope.so'}\nmod -S {mods}\n" + "".join(c + "\n" for c in cmds))
            with open(script) as stdin:
                crash_docs = docs(subprocess.run(["crash", "-s", vmlinux, dump], stdin=stdin, capture_output=True,
                                                 text=True, timeout=600).stdout)
        # how many documents a command prints is the core's business (vmcs02 -j's shape may change): the front
        # ends are compared with each other, and each JSON command must print at least one
        json_cmds = sum(1 for c in cmds if c.endswith(" -j") or " -j " in c)

        for name, python in DRGNS:
            r = subprocess.run(python + [__file__, "session", dump, vmlinux, mods, str(cmdfile), str(mf)],
                               capture_output=True, text=True, timeout=900)
            if r.returncode or not r.stdout.strip():
                check(False, f"{kver} {name}: the session runs ({r.stderr.strip()[-600:]})")
                continue
            res = json.loads(r.stdout.strip().splitlines()[-1])
            tag = f"{kver} {name} ({res['drgn']})"
            for n in res["notes"]:
                print(f"note: {tag}: {n}")
            check(res["framework"] == (name.startswith("drgn 0.3")),
                  f"{tag}: the commands are registered with drgn.commands where drgn has it "
                  f"({'yes' if res['framework'] else 'no: nestscope_command and nestscope-drgn'})")
            check(res["before_types"] and "vm_list" in res["before_types"] and "load them with" in res["before_types"],
                  f"{tag}: kvm before the modules' debug info is one line saying what to load")
            out = {line: (o, e) for line, o, e in res["commands"]}
            # itest.json_docs: under tests/run.sh the documents are also validated against their schemas
            d_docs = itest.json_docs("".join(o for _line, o, _e in res["commands"]))
            check(all(docs(o) for line, o, _e in res["commands"] if line in cmds[:json_cmds]) and
                  len(res["commands"]) == len(cmds), f"{tag}: each of the {json_cmds} JSON commands prints JSON")
            check(out["vmcs12 99999:0"][1] and "no vCPU 0 in a VM of pid 99999" in out["vmcs12 99999:0"][1] and
                  "cannot read a 4 KiB region" in (out["vmcs12 -r 0x100000000000"][1] or ""),
                  f"{tag}: an unknown vCPU and unmapped memory are one error line each")
            check(res["bad_vcpu"] is not None and "\n" not in res["bad_vcpu"],
                  f"{tag}: a helper on a vCPU that is none raises NestscopeError with one line")
            check(without_types(d_docs) == without_types(gdb_docs),
                  f"{tag}: JSON identical to gdb's for kvm -v, vmcs12, -C, -D, vmcs02, vmcs01 and vmcs12-abi "
                  f"({len(d_docs)} documents)")
            if crash_docs is not None:
                # crash's vmcs12-abi looks members up by name (lookup_only): its abi document differs by design
                check(d_docs[:-1] == crash_docs[:-1],
                      f"{tag}: JSON identical to crash's for kvm -v, vmcs12, -C, -D, vmcs02 and vmcs01 "
                      f"({len(crash_docs) - 1} documents)")

            # the helpers, against the manifest and drgn's own reads
            check(sorted(k["userspace_pid"] for k in res["kvms"]) == sorted(vm["pid"] for vm in vms),
                  f"{tag}: for_each_kvm gives a struct kvm * per VM of the manifest (drgn reads userspace_pid)")
            check(sorted(c["pid"] for c in res["vcpus"]) == sorted(vm["pid"] for vm in vms) and
                  all(c["type"] == "struct vcpu_vmx *" and c["pid"] == c["state_pid"] for c in res["vcpus"]),
                  f"{tag}: for_each_nested_vcpu gives each VM's vCPU as a struct vcpu_vmx * Object")
            for c in res["vcpus"]:
                vm = next(x for x in vms if x["pid"] == c["pid"])
                vt = f"{tag} pid {c['pid']} ({vm['role']})"
                vmptr = int(vm["addresses"]["vmcs12_pa"], 16)
                check(c["mode"] == "L2" and c["vcpu_state"] == "l2" and c["vmcs12_pa"] == vmptr == c["drgn_current_vmptr"],
                      f"{vt}: in L2 with current_vmptr {vmptr:#x} (manifest; drgn reads the same)")
                writes = {int(w["encoding"], 16): int(w["value"], 16)
                          for w in json.loads((mf.parent / vm["manifest"]).read_text())["vmwrites"]}
                v12, rip12 = c["vmcs12"], int(vm["moment"]["vmcs12_guest_rip"], 16)
                check(v12["rip"] == rip12 == c["drgn_vmcs12"]["rip"] == c["field_fn"],
                      f"{vt}: vmcs12(vcpu)['GUEST_RIP'].value {v12['rip']:#x}, manifest {rip12:#x}, drgn's "
                      f"cached_vmcs12->guest_rip and vmcs12_field() agree")
                ctl = dict(v12["controls"])
                enc = (0x4000, 0x4002, 0x401E, 0x400C, 0x4012)  # pin, proc, proc2, exit, entry (SDM appendix B)
                check(all(ctl.get(e) == writes[e] for e in enc),
                      f"{vt}: vmcs12's five control fields are the values L1 wrote")
                check(v12["launch_state"] == ("launched" if c["drgn_vmcs12"]["launch_state"] else "clear"),
                      f"{vt}: launch_state {v12['launch_state']} as drgn reads cached_vmcs12->launch_state "
                      f"({c['drgn_vmcs12']['launch_state']})")
                check(v12["kind"] == "vmcs12" and v12["rip_copy"] == "cached_vmcs12" and v12["rip_stale"] and
                      "guest" in (v12["staleness"] or {}).get("sections", []) and v12["revision"] == 0x11E57ED0 and
                      v12["fields"] > 100,
                      f"{vt}: every field with its copy (cached_vmcs12), guest state stale while L2 runs, "
                      f"revision VMCS12_REVISION")
                check("USE_MSR_BITMAPS" in v12["exec_flags"] if writes[0x4002] & (1 << 28) else True,
                      f"{vt}: the exec controls' symbolic decode names the bits L1 set")
                check(c["shadow_kind"] == "shadow-vmcs12" and c["shadow_copy"] == "cached_shadow_vmcs12",
                      f"{vt}: vmcs12(vcpu, copy='shadow') decodes cached_shadow_vmcs12")
                rip02 = int(vm["moment"]["vmcs02_guest_rip"], 16)
                check(c["vmcs02"]["rip"] == rip02, f"{vt}: vmcs02(vcpu)['GUEST_RIP'] {rip02:#x} as the manifest says")
                diffs = {d["name"]: d for d in c["diff"]["differences"]}
                agree = vm["moment"]["vmcs12_vs_vmcs02"] == "agree"
                check(("GUEST_RIP" not in diffs) if agree else (diffs.get("GUEST_RIP", {}).get("class") == "stale"),
                      f"{vt}: vmcs12_diff: GUEST_RIP {'equal' if agree else 'a stale difference'} "
                      f"({vm['moment']['vmcs12_vs_vmcs02']} in the manifest)")
                check(c["checks"]["schema"] == "nestscope/checks/3" and c["vmcs01"]["kind"] in ("Vmcs", "Record"),
                      f"{vt}: vmcs12_checks and vmcs01 return the core's documents")
            check(res["abi_compatible"] is True, f"{tag}: vmcs12_abi(prog).compatible")
            check(res["phys"]["same"], f"{tag}: vmcs12 -p {res['phys']['pa']:#x} (physical, through drgn) decodes "
                                       "the same fields as -r at its direct-map address")
            # a dump's physical memory is the host's, not an L1's guest-physical memory (gdb's -p through
            # QEMU's gdbstub is that, and says so: gdb_qemu.py)
            check(res["phys"]["source"] == f"physical {res['phys']['pa']:#x}",
                  f"{tag}: vmcs12 -p labels what it read as the dump's physical memory: {res['phys']['source']!r}")

            # the script entry point, on the same commands
            s = subprocess.run(python + [str(PLUGIN / "nestscope-drgn"), "-c", dump, "-s", vmlinux, "-d", mods,
                                         "-x", str(cmdfile)], capture_output=True, text=True, timeout=900)
            errs = [l for l in s.stderr.splitlines() if not l.startswith("nestscope-drgn: note:")]
            check(docs(s.stdout) == d_docs and s.returncode == 1 and len(errs) == 2,
                  f"{tag}: nestscope-drgn -x prints the same documents, the two errors one line each, status 1")
            # a dump cut short: its page tables and module list unreadable
            cut = tmp / f"{kver}.cut.kdump"
            if not cut.exists():
                with open(dump, "rb") as f:
                    cut.write_bytes(f.read(CUT_BYTES))
            s = subprocess.run(python + [str(PLUGIN / "nestscope-drgn"), "-c", str(cut), "-s", vmlinux, "-d", mods,
                                         "kvm", "-v"], capture_output=True, text=True, timeout=900)
            ours = [l for l in s.stderr.splitlines() if "module list" in l and "vm_list" in l or
                    l.startswith("nestscope-drgn: drgn loaded no KVM types")]
            check(s.returncode != 0 and not s.stdout and len(ours) == 1,
                  f"{tag}: on a dump cut short, one line says what cannot be read "
                  f"({ours[0] if ours else s.stderr[-300:]})")
            if res["framework"]:
                # drgn's own CLI loading the script as a plugin (DRGN_PLUGINS), its command runner and crash mode
                pid = vms[0]["pid"]
                code = ("from drgn.commands import run_command\n"
                        f"run_command(prog, 'kvm-symbols {mods} > /dev/null')\n"
                        "run_command(prog, 'kvm -v -j')\n"
                        f"run_command(prog, 'crash vmcs12 -j {pid}:0')\n")
                env = dict(os.environ, DRGN_PLUGINS=f"nestscope={PLUGIN / 'nestscope-drgn'}")
                cli = subprocess.run(python + ["-m", "drgn", "-q", "-c", dump, "-s", vmlinux, "-e", code],
                                     capture_output=True, text=True, timeout=900, env=env)
                ok = docs(cli.stdout) == d_docs[:2]
                check(ok, f"{tag}: drgn's CLI with DRGN_PLUGINS=nestscope=nestscope-drgn runs kvm and, in crash mode, "
                          "vmcs12" + ("" if ok else f" ({cli.stderr.strip()[-300:]})"))
    subprocess.run(["rm", "-rf", str(tmp)])
    check.finish()


if __name__ == "__main__":
    if sys.argv[1:2] == ["session"]:
        session(*sys.argv[2:7])
    else:
        main()
