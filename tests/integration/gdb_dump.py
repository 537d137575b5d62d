#!/usr/bin/python3
"""The gdb package in real gdb on the bundled real dumps, with the kernels'
real debuginfo (vmlinux, kvm.ko, kvm-intel.ko).

gdb reads ELF cores, not kdump files: gdbcore (built here from
tests/integration/gdbcore.c) rewrites each dump as an ELF core at kernel
virtual addresses, walking the kernel's page tables as QEMU's paging dump
does; the memory is the dump's own.  Then, in one gdb session per kernel:
kvm without the modules' symbols says what to run and the session goes on;
kvm-symbols loads them the lx-symbols way; kvm -v finds each VM of the
manifest; vmcs12 decodes the values the harness wrote and saw; bad input is
one error line.  The JSON gdb prints is compared with real crash's on the
same dump (identical documents), and with the CLI's decode of the same
bytes (identical fields; the CLI has no vCPU, so no copy label or
staleness).  passes.py runs it once per gdb and crash: Debian 12's gdb 13.1
with crash 8.0.2, sid's gdb 18 with crash 9.0.x; 7.2, which neither crash
opens, is gdb's alone.

usage: gdb_dump.py BUILD_DIR SAMPLES_DIR CACHE_DIR
"""
import json
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import itest  # noqa: E402

build, root, cache = (pathlib.Path(p).resolve() for p in sys.argv[1:4])
plugin = itest.gdb_package(build)
check = itest.Checks()








def field_view(report):
    """A decode report's fields without the staleness only a vCPU gives (the copy is the view's, not a field's)."""
    return [{k: v for k, v in f.items() if k != "stale"} for f in report["vmcs"][0]["fields"]]


tmp = pathlib.Path(tempfile.mkdtemp())
gdbcore = itest.kdump_tool("gdbcore", tmp)

for kver, mf, man, dump, vmlinux, mods in itest.sample_dumps(root, cache):
    core = tmp / f"{kver}.core"
    subprocess.run([gdbcore, str(dump), str(core)], check=True,
                   stdout=subprocess.DEVNULL)
    vms = man["dump"]["vms"]
    cmds = ["kvm", "vmcs12 -r 0x100000000000", f"kvm-symbols {mods}", "kvm -v -j", "vmcs12 99999:0"]
    cmds += [f"vmcs12 -j {vm['pid']}:0" for vm in vms]
    cmds += [f"vmcs12 -C -j {vm['pid']}:0" for vm in vms] + [f"vmcs12 -D -j {vm['pid']}:0" for vm in vms]
    cmds += [f"vmcs02 -j {vm['pid']}:0" for vm in vms]
    # one -ex per command: unlike a sourced script, gdb goes on after a command's error
    argv = [*itest.gdb_command(), "-nx", "-batch", "-ex", "set pagination off", "-ex", f"file {vmlinux}",
            "-ex", f"core-file {core}", "-ex", f"source {plugin}"]
    for c in cmds:
        argv += ["-ex", c]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    out = itest.json_docs(r.stdout)
    errs = [l for l in r.stderr.splitlines() if "general-purpose registers" not in l]
    check(any("kvm-symbols" in l for l in errs) and any("cannot read a 4 KiB region" in l for l in errs) and
          any("no vCPU 0 in a VM of pid 99999" in l for l in errs),
          f"{kver}: kvm before kvm-symbols, vmcs12 -r on unmapped memory and an unknown vCPU each give one error line")
    kvm = next((d for d in out if d.get("schema") == "nestscope/kvm/2"), None)
    v12 = [d["reports"][0] for d in out if d.get("schema") == "nestscope/decode/2" and len(d["reports"]) == 1 and
           d["reports"][0]["format"] == "vmcs12"]
    check(kvm is not None and len(v12) == len(vms), f"{kver}: the session went on after the errors; kvm and "
                                                    f"vmcs12 answer for the {len(vms)} VMs")
    if kvm is None or len(v12) != len(vms):
        print(r.stdout[-2000:], "\n".join(errs)[-2000:])
        continue
    for vm, doc in zip(vms, v12):
        writes = {int(w["encoding"], 16): int(w["value"], 16)
                  for w in json.loads((mf.parent / vm["manifest"]).read_text())["vmwrites"]}
        found_vm = [x for x in kvm["vms"] if x["pid"] == vm["pid"]]
        c = found_vm[0]["vcpus"][0] if found_vm and found_vm[0].get("vcpus") else None
        check(c is not None and c["state"] == "l2" and int(c["vmcs12_pa"], 16) == int(vm["addresses"]["vmcs12_pa"], 16),
              f"{kver}: kvm finds pid {vm['pid']}, its vCPU in L2 with current VMCS {vm['addresses']['vmcs12_pa']}")
        fields = {int(f["encoding"], 16): f for f in doc["vmcs"][0]["fields"]}
        rip, want = int(fields[0x681E]["value"], 16), int(vm["moment"]["vmcs12_guest_rip"], 16)
        check(rip == want, f"{kver} pid {vm['pid']}: vmcs12 guest RIP {rip:#x}, manifest {want:#x}")
        check(all(int(fields[e]["value"], 16) == writes[e] for e in (0x6802, 0x4000, 0x4002, 0x401E, 0x400C, 0x4012)),
              f"{kver} pid {vm['pid']}: guest CR3 and the five controls as L1 wrote them")

    # the same commands in real crash: the same documents
    why = itest.crash_cannot_open(kver)
    if why:
        print(f"note: {why}: gdb alone serves it here")
        check(len(out) == 1 + 4 * len(vms), f"{kver}: gdb prints kvm, vmcs12, -C, -D and vmcs02 ({len(out)} documents)")
    else:
        with tempfile.NamedTemporaryFile("w", suffix=".in") as f:
            f.write(f"extend {itest.crash_extension(build)}\nmod -S {mods}\n" + "".join(c + "\n" for c in cmds[3:]))
            f.flush()
            with open(f.name) as stdin:
                cr = subprocess.run([*itest.crash_command(), "-s", vmlinux, str(dump)],
                                    stdin=stdin, capture_output=True, text=True, timeout=600)
        check(itest.json_docs(cr.stdout) == out and len(out) == 1 + 4 * len(vms),
              f"{kver}: crash and gdb print identical JSON for kvm, vmcs12, -C, -D and vmcs02, "
              f"one document each ({len(out)})")

    # the CLI on the same bytes (gdb writes them to a local file; the target is only read)
    vm = vms[0]
    c = next(x for x in kvm["vms"] if x["pid"] == vm["pid"])["vcpus"][0]
    region = tmp / f"{kver}-vmcs12.bin"
    g = subprocess.run([*itest.gdb_command(), "-nx", "-batch", "-ex", f"file {vmlinux}", "-ex", f"core-file {core}",
                        "-ex", f"source {plugin}", "-ex", f"kvm-symbols {mods}",
                        "-ex", f"dump binary memory {region} {c['cached_vmcs12']} {c['cached_vmcs12']}+4096",
                        "-ex", f"p/x $vmcs12_field({c['cached_vmcs12']}, \"guest_rip\")",
                        "-ex", f"p *(struct vmcs12 *){c['cached_vmcs12']}"], capture_output=True, text=True)
    cli = subprocess.run([str(build / "nestscope"), "decode", "-f", "vmcs12", "--json", str(region)],
                         capture_output=True, text=True)
    check(cli.returncode == 0 and field_view(json.loads(cli.stdout)["reports"][0]) == field_view(v12[0]),
          f"{kver}: the CLI decodes the same vmcs12 bytes to the same fields")
    rip = int(vm["moment"]["vmcs12_guest_rip"], 16)
    check(f"= {rip:#x}" in g.stdout, f"{kver}: $vmcs12_field(cached_vmcs12, \"guest_rip\") is {rip:#x}")
    # the VMCS revision identifier is IA32_VMX_BASIC's bits 30:0 (SDM Vol. 3D, Appendix A.1)
    basic = next(int(m["value"], 16) for m in json.loads((mf.parent / vm["manifest"]).read_text())["capability_msrs"]
                 if m["name"] == "IA32_VMX_BASIC")
    check(f"= vmcs12 revision {basic & ((1 << 31) - 1):#x}" in g.stdout and f"guest_rip = {rip}," in g.stdout,
          f"{kver}: print *(struct vmcs12 *) shows the pretty-printed vmcs12 (gdb_printers.py checks it in full)")

subprocess.run(["rm", "-rf", str(tmp)])
check.finish()
