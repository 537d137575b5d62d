"""nestscope scan on the real memory images, with no debuginfo, against what
is known to be there:

- L1's memory images (the harness's guest hypervisor after VMCLEAR): the
  regions the sample generator placed (manifest: VMXON region, the vmcs12,
  and the shadow VMCS when L1 linked one), of the right kind, and nothing
  else in the 4 MiB;
- an enlightened VMCS: no L1 here runs Hyper-V, so one is written, following
  the TLFS layout, into a free page of the real L1 image, with L1's own CR3
  and exit handler; two decoys next to it (revision 1 but no link pointer,
  and a HOST_RIP L1's page tables do not map) must not be reported;
- the L0 dumps (as kdump, and written out as raw images): every VMCS region KVM holds for each vCPU, as real crash
  reads them from the kernel's structures with the real debuginfo
  (nested.cached_vmcs12, nested.cached_shadow_vmcs12, nested.vmcs02.vmcs,
  vmcs01.vmcs, vmcs01.shadow_vmcs), of the right kind; vmcs02 and vmcs01
  paired with their vCPU's vmcs12; and nothing else but the L0 VMXON region
  (one revision-only page of the CPU's revision per CPU: KVM's per-CPU
  vmxon_area, which crash cannot print as it is a module's static per-CPU
  variable).
tests/integration/passes.py runs it once per crash; what needs no crash
(L1's images, the eVMCS, the raw image) only in the first pass.
usage: scan_samples.py NESTSCOPE SAMPLES CACHE
"""
import json
import os
import pathlib
import gzip
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import itest  # noqa: E402
from itest import Checks, debuginfo  # noqa: E402

nestscope, samples, cache = sys.argv[1:4]
# the crash extension beside the CLI (NESTSCOPE_REAL: the CLI itself when tests/run.sh gives a shim)
build = pathlib.Path(os.environ.get("NESTSCOPE_REAL", nestscope)).parent
check = Checks()
tmpdir = tempfile.TemporaryDirectory()
kdump2raw = itest.kdump2raw(tmpdir.name)


def scan(path):
    r = subprocess.run([nestscope, "scan", "--json", str(path)], capture_output=True, text=True)
    if r.returncode:
        return None
    return {int(x["physical"], 16): x for x in json.loads(r.stdout)["regions"]}


def crash(vmlinux, dump, commands):
    r = subprocess.run([*itest.crash_command(), "-s", vmlinux, dump], input="\n".join(commands) + "\nq\n",
                       capture_output=True, text=True)
    return r.stdout


for man_path in sorted(pathlib.Path(samples).glob("*/manifest.json")):
    man = json.loads(man_path.read_text())
    kver = man["kernel"]["release"]

    # L1's images and the eVMCS run no crash: the first pass (passes.py) checked them
    if not itest.repeat_pass():
        # L1's memory: what the generator wrote
        for config, image in man["l1_memory_images"].items():
            h = json.loads((man_path.parent / config / "manifest-harness.json").read_text())
            a = {k: int(v, 16) for k, v in h["addresses"].items()}
            link = [int(w["value"], 16) for w in h["vmwrites"] if int(w["encoding"], 16) == 0x2800]
            want = {a["vmxon_pa"]: "revision-only", a["vmcs12_pa"]: "vmcs12"}
            if link and link[-1] == a["shadow_vmcs_pa"]:
                want[a["shadow_vmcs_pa"]] = "shadow"
            got = scan(man_path.parent / image)
            check(got is not None and set(got) == set(want),
                  f"{kver} {config} L1 image: regions at {sorted(hex(x) for x in want)}, nothing else "
                  f"(found {sorted(hex(x) for x in got) if got else got})")
            if not got:
                continue
            check(got.get(a["vmcs12_pa"], {}).get("kind") == "vmcs12" and
                  got.get(a["vmxon_pa"], {}).get("kind") == "revision-only",
                  f"{kver} {config}: the vmcs12 at {hex(a['vmcs12_pa'])}, the VMXON region at {hex(a['vmxon_pa'])}")
            # the image is L1's memory after its VMCLEAR, which sets the launch state to clear (SDM, VMCLEAR)
            if "after_vmclear" in image:
                check(got.get(a["vmcs12_pa"], {}).get("launch_state") == "clear",
                      f"{kver} {config}: the vmcs12's launch state is clear after VMCLEAR "
                      f"(scan: {got.get(a['vmcs12_pa'], {}).get('launch_state')})")
            if a["shadow_vmcs_pa"] in want:
                s = got.get(a["shadow_vmcs_pa"], {})
                check(int(s.get("shadow_of", "0x0"), 16) == a["vmcs12_pa"] and int(s["revision"], 16) >> 31,
                      f"{kver} {config}: the shadow VMCS at {hex(a['shadow_vmcs_pa'])}, linked from the vmcs12")

        # a synthetic eVMCS (TLFS offsets) in the rich image, validated through L1's real page tables
        h = json.loads((man_path.parent / "rich" / "manifest-harness.json").read_text())
        img = bytearray(gzip.decompress((man_path.parent / man["l1_memory_images"]["rich"]).read_bytes()))
        cr3 = int(h["steps"][0]["cr3"], 16)
        handler = int(h["addresses"]["l1_exit_handler"], 16)

        def evmcs(link, rip):
            p = bytearray(4096)
            struct.pack_into("<II", p, 0, 1, 0)                        # revision_id KVM_EVMCS_VERSION, abort
            struct.pack_into("<QQQ", p, 40, 0x80000033, cr3, 0x2020)  # host_cr0, host_cr3, host_cr4
            struct.pack_into("<Q", p, 80, rip)                         # host_rip
            struct.pack_into("<Q", p, 416, link)                       # vmcs_link_pointer
            struct.pack_into("<Q", p, 816, 0x4242)                     # guest_rip
            return p
        free = [pa for pa in range(0x100000, len(img), 4096) if not any(img[pa:pa + 4096 * 3])][0]
        img[free:free + 4096] = evmcs(0xffffffffffffffff, handler)
        img[free + 4096:free + 8192] = evmcs(0, handler)
        img[free + 8192:free + 12288] = evmcs(0xffffffffffffffff, 0xdead00000000)
        with tempfile.NamedTemporaryFile(suffix=".img") as f:
            f.write(img)
            f.flush()
            got = scan(f.name)
        ev = {pa: g for pa, g in (got or {}).items() if g["kind"] == "evmcs"}
        check(list(ev) == [free] and int(ev[free]["guest_rip"], 16) == 0x4242 and
              int(ev[free]["host_rip"], 16) == handler,
              f"{kver}: the enlightened VMCS written at {hex(free)} is found, the two decoys are not "
              f"({[hex(x) for x in ev]})")

    # L0's dump: what the kernel's structures point to, read by real crash
    dump = str(man_path.parent / man["dump"]["file"])
    got = scan(dump)
    check(got is not None, f"{kver} dump: scan runs")
    why = itest.crash_cannot_open(kver)
    if why:
        print(f"note: {why}: the L0 dump comparison with crash is skipped")
        continue
    dbg = debuginfo(kver, cache)
    if dbg is None or got is None:
        print(f"note: no debuginfo for {kver}: the L0 dump comparison is skipped")
        continue
    vmlinux, mods = dbg
    out = crash(vmlinux, dump, [f"extend {itest.crash_extension(build)}", f"mod -S {mods}", "kvm -v -j",
                                "p -x page_offset_base"])
    docs = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    pob = int(re.search(r"page_offset_base = \$\d+ = (0x[0-9a-f]+)", out).group(1), 16)
    vcpus = [v for d in docs for vm in d.get("vms", []) for v in vm.get("vcpus", [])]
    out = crash(vmlinux, dump, [f"mod -S {mods}"] + [
        f"struct vcpu_vmx.vmcs01.shadow_vmcs -x {v['vcpu_vmx']}" for v in vcpus])
    shadows = [int(x, 16) for x in re.findall(r"vmcs01.shadow_vmcs = (0x[0-9a-f]+)", out)]
    check(len(vcpus) == len(man["dump"]["vms"]) == len(shadows),
          f"{kver} dump: crash lists {len(vcpus)} vCPUs and their vmcs01 shadow VMCS")
    want = {}
    for v, sh in zip(vcpus, shadows):
        pa = {k: int(v[k], 16) - pob for k in ("cached_vmcs12", "cached_shadow_vmcs12", "vmcs01", "vmcs02")}
        want[pa["cached_vmcs12"]] = ("vmcs12", None)
        want[pa["cached_shadow_vmcs12"]] = ("shadow", None)
        want[pa["vmcs02"]] = ("hardware-vmcs", ("vmcs02", pa["cached_vmcs12"]))
        want[pa["vmcs01"]] = ("hardware-vmcs", ("vmcs01", pa["cached_vmcs12"]))
        if sh != 0xffffffffffffffff and sh:
            want[sh - pob] = ("hardware-shadow", None)
    for pa, (kind, pair) in sorted(want.items()):
        g = got.get(pa, {})
        ok = g.get("kind") == kind or (kind == "shadow" and g.get("kind") in ("revision-only", "shadow-vmcs12"))
        if pair:
            ok = ok and g.get("role") == pair[0] and int(g.get("vmcs12_address", "0x0"), 16) == pair[1]
        check(ok, f"{kver} dump: {kind} at {hex(pa)}" + (f", the {pair[0]} of the vmcs12 at {hex(pair[1])}" if pair else "")
              + f" (scan: {g.get('kind')}, {g.get('role')})")
    if not itest.repeat_pass():
        raw = pathlib.Path(tmpdir.name) / "raw.img"
        subprocess.run([kdump2raw, dump, str(raw)], check=True)
        check(scan(raw) == got, f"{kver} dump: its physical memory as a raw image gives the same regions")
        raw.unlink()
    extra = {pa: g for pa, g in got.items() if pa not in want}
    vmxon = [pa for pa, g in extra.items() if g["kind"] == "revision-only" and not int(g["revision"], 16) >> 31]
    check(len(extra) == len(vmxon) == 1,
          f"{kver} dump: no false positive (the one other region is L0's VMXON region: {[hex(x) for x in extra]})")

check.finish()
