"""Damaged dumps, made from a real one: nestscope triage, crash's kvm/vmcs12
and gdb's kvm/vmcs12 each end with a clear message, in bounded time, and
crash and gdb go on answering afterwards.

The 6.1 dump's physical memory is written out raw, then damaged where the
kernel keeps KVM's structures (found with the kernel's own page tables,
walked here, and the offsets of the bundled profile): struct kvm's page
zeroed, a cyclic vm_list, vcpu_array pointing to garbage, an absurd vCPU
count, a vmcs12 pointer into unmapped memory, a corrupt module list, and the
image cut short.  Triage reads the raw image; crash and gdb read it as an
ELF core (samples/gen/raw2elf.c, as the samples were made; gdb through
gdbcore.c, at kernel virtual addresses).  tests/integration/passes.py runs
it once per crash and gdb; triage's checks only in the first pass, and in
the others only the damages the debugger's own reads meet.
usage: damaged_dumps.py BUILD CACHE [--cli-only]
"""
import json
import os
import pathlib
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import itest  # noqa: E402
import pagewalk  # noqa: E402

build, cache = pathlib.Path(sys.argv[1]).resolve(), sys.argv[2]
cli_only = "--cli-only" in sys.argv
# the gdb package refuses a library of another ABI version: the one this build made
os.environ["NESTSCOPE_LIB"] = str(build / "libnestscope.so")
root = pathlib.Path(__file__).resolve().parent.parent.parent
check = itest.Checks()
KVER = "6.1.0-56-amd64"
sample = root / "samples" / KVER
dump = sample / "dump" / "vmcore.kdump"
prof = json.loads((root / "profiles" / f"{KVER}.json").read_text())
ut = prof["user_types"]
off = lambda s, m: ut[s]["fields"][m]["offset"]
sym = lambda n: prof["symbols"][n]["address"]
DIRECT = 0xffff888000000000

tmp = pathlib.Path(tempfile.mkdtemp(prefix="nestscope-damaged-"))
raw = tmp / "raw"
subprocess.run([itest.kdump2raw(tmp), str(dump), str(raw)], check=True)
mem = open(raw, "r+b")


translate = pagewalk.PageWalk(mem, sym("init_top_pgt"))
rd, u64 = translate.rd, translate.u64


triage = subprocess.run([str(build / "nestscope"), "triage", "--json", str(dump)], capture_output=True, text=True)
vms = json.loads(triage.stdout)["vms"]
kvm0 = int(vms[0]["kvm"], 16)
vmx0 = int(vms[0]["vcpus"][0]["vcpu_vmx"], 16)


def patch(va, data):
    pa = translate(va)
    old = rd(pa, len(data))
    mem.seek(pa)
    mem.write(data)
    mem.flush()
    return lambda: (mem.seek(pa), mem.write(old), mem.flush())


q = lambda v: struct.pack("<Q", v)
vm_list = kvm0 + off("kvm", "vm_list")
page = vm_list & ~0xfff
DAMAGES = [
    # name, how, what triage must say: exit status, a phrase, how many vCPUs it still judges; and whether the
    # debugger's own code meets the damage (a read it must fail, its module list), not only the core's logic on
    # values read fine: a repeat pass (passes.py, another crash and gdb) runs the sessions of those alone
    ("struct kvm's page zeroed", lambda: patch(page, bytes(4096)), (1, "not kernel memory", 0), False),
    ("a cyclic vm_list", lambda: patch(vm_list, q(vm_list)), (1, "does not come back to its head", 0), False),
    ("vcpu_array pointing to garbage",
     lambda: patch(kvm0 + off("kvm", "vcpu_array") + off("xarray", "xa_head"), q(0xffffdead41414000)),
     (3, "its vCPUs cannot be listed", 2), True),
    ("an absurd vCPU count", lambda: patch(kvm0 + off("kvm", "online_vcpus"), struct.pack("<I", 0x7fffffff)),
     (3, "online vCPUs: corrupt", 2), False),
    ("a vmcs12 pointer into unmapped memory",
     lambda: patch(vmx0 + off("vcpu_vmx", "nested") + off("nested_vmx", "cached_vmcs12"), q(0xffffc9ffdead0000)),
     (3, "cannot be read", 3), True),
    ("a corrupt module list", lambda: patch(sym("modules"), q(0x4242424242424242)), (1, "module list", 0), True),
]


def session_tools():
    if cli_only:  # no crash, no gdb: nothing to fetch
        return None
    dbg = itest.debuginfo(KVER, cache)
    if not dbg:
        return None
    exe = tmp / "raw2elf"
    subprocess.run(["cc", "-O2", "-o", str(exe), str(root / "samples/gen/raw2elf.c")], check=True)
    gc = itest.kdump_tool("gdbcore", tmp)
    return dbg, exe, gc


tools = session_tools()


def sessions(name, phrase):
    """crash and gdb on the damaged image: each command ends, and the session answers after."""
    (vmlinux, mods), raw2elf, gdbcore = tools
    elf, core = tmp / "damaged.elf", tmp / "damaged.core"
    subprocess.run([str(raw2elf), str(raw), str(sample / "dump" / "machine.txt"), str(elf)], check=True,
                   stdout=subprocess.DEVNULL)
    t0 = time.time()
    cr = subprocess.run([*itest.crash_command(), "-s", vmlinux, str(elf)],
                        input=f"extend {itest.crash_extension(build)}\nmod -S {mods}\n"
                        "kvm -v\nvmcs12 -a\nvmcs02\np 6*7\n", capture_output=True, text=True, timeout=300)
    check("= 42" in cr.stdout and (not phrase or phrase in cr.stdout + cr.stderr),
          f"{name}: crash's kvm, vmcs12 -a and vmcs02 end{' saying ' + repr(phrase) if phrase else ''}, and the "
          f"session answers after ({time.time() - t0:.0f} s)")
    g = subprocess.run([str(gdbcore), str(elf), str(core)], capture_output=True, text=True)
    if g.returncode:
        check(False, f"{name}: gdbcore could not convert the image: {g.stderr.strip()}")
        return
    t0 = time.time()
    gd = subprocess.run([*itest.gdb_command(), "-nx", "-batch", "-ex", f"file {vmlinux}", "-ex", f"core-file {core}",
                         "-ex", f"source {root / 'plugin/gdb/nestscope-gdb.py'}", "-ex", f"kvm-symbols {mods}",
                         "-ex", "kvm -v", "-ex", "vmcs12 -a", "-ex", "vmcs02", "-ex", "p 6*7"],
                        capture_output=True, text=True, timeout=300)
    check("= 42" in gd.stdout and (not phrase or phrase in gd.stdout + gd.stderr),
          f"{name}: gdb's kvm, vmcs12 -a and vmcs02 end{' saying ' + repr(phrase) if phrase else ''}, and the "
          f"session answers after ({time.time() - t0:.0f} s)")


try:
    for name, damage, (want_rc, phrase, judged), debuggers_own in DAMAGES:
        if itest.repeat_pass() and not debuggers_own:
            continue
        undo = damage()
        try:
            # triage and kvm run no debugger: the first pass (passes.py) checked them
            if not itest.repeat_pass():
                t0 = time.time()
                r = subprocess.run([str(build / "nestscope"), "triage", str(raw)], capture_output=True, text=True,
                                   timeout=120)
                took = time.time() - t0
                err = r.stderr.strip().splitlines()
                ok = r.returncode in (0, 1, 3) and took < 30 and (r.returncode != 1 or len(err) == 1)
                ok = ok and r.returncode == want_rc and phrase in (r.stderr + r.stdout) and \
                    r.stdout.count("vCPU 0 (vcpu_vmx") == judged
                check(ok, f"{name}: triage exits {r.returncode} in {took:.1f} s: "
                          f"{err[0] if err else [line for line in r.stdout.splitlines() if 'PROBLEM' in line][:1]}")
                if "vCPU" in phrase:
                    # kvm walks as triage does: the corrupt VM is reported, the others still listed
                    k = subprocess.run([str(build / "nestscope"), "kvm", str(raw), "-v"], capture_output=True,
                                       text=True, timeout=120)
                    check(k.returncode == 0 and k.stdout.count("  its vCPUs cannot be listed: ") == 1 and
                          k.stdout.count("  VCPU 0 ") == 2,
                          f"{name}: kvm -v lists the other two VMs' vCPUs and says why the third's cannot be listed")
            if tools:
                # crash and gdb find vm_list with their own module symbols: a corrupt module list is not theirs
                sessions(name, "" if "module" in name else phrase.replace("its vCPUs cannot be listed", "cannot be read"))
        finally:
            undo()
    # the image cut short, under the structures (triage alone: in the first pass)
    if not itest.repeat_pass():
        size = raw.stat().st_size
        os.truncate(raw, translate(vmx0) & ~0xfffff)
        r = subprocess.run([str(build / "nestscope"), "triage", str(raw)], capture_output=True, text=True,
                           timeout=120)
        check(r.returncode in (1, 3) and r.stderr.count("\n") <= 1,
              f"the image cut short before the vCPUs: triage exits {r.returncode}: "
              f"{r.stderr.strip() or 'problems listed'}")
        os.truncate(raw, size)
finally:
    mem.close()
    subprocess.run(["rm", "-rf", str(tmp)])
check.finish()
