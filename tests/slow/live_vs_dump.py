"""nestscope on a live kernel against nestscope on the dump of the same
machine a moment later (samples/gen/live.sh's output: /init's live mode in
Bochs, then the RAM Bochs wrote at the magic breakpoint, as an ELF core).

What must be the same on both sides, and what the harness's own records
(each VM's and vCPU's manifest: what it did, and what KVM_GET_NESTED_STATE
said at each vCPU's moment) say it is:
- /proc/kcore is what nestscope's header checks take it for: an x86-64 ELF
  core whose last segment ends at its st_size, with a VMCOREINFO note;
- the live triage read /proc/kcore with the profile bundled for the kernel;
- both triages exit 0 (nothing wrong) and give valid nestscope/triage/2;
- exactly the harness's VMs, by pid, in the same order, each with its vCPU
  count; each vCPU by index with its kvm_vcpu and vcpu_vmx addresses;
- each vCPU's mode and VMX state, its VMXON region and current VMCS GPAs
  (each vCPU has its own), vmcs12's launch state and controls as L1 wrote
  them, cached_vmcs12's address; in L2, the guest RIPs the moment left in
  vmcs12 and vmcs02;
- every other value in the two reports, but for those listed in MAY_MOVE
  and for what names the input (the file, its format, the profile's path);
- with 'nestscope kvm -v -j' (the debugger command): every pointer, vmcs01
  and vmcs02 among them, and which VMCS is loaded.

MAY_MOVE lists, by name, what may change between the two moments in a
running machine without anything being wrong: the report says for each one
whether it moved.  The harness's vCPUs all hold (their threads sleep in
userspace), so none is expected to; the TSC and KVM's timers would move, but
neither report shows them.
usage: live_vs_dump.py NESTSCOPE LIVE_OUTDIR
"""
import json
import pathlib
import re
import struct
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "integration"))
from itest import Checks, EXIT_REASON_IO_INSTRUCTION, MANIFEST_CONTROLS, VMX_STATE, hexint  # noqa: E402

nestscope, out = sys.argv[1], pathlib.Path(sys.argv[2])
check = Checks()
INVALID = 0xffffffffffffffff

# paths in a vCPU's report (triage's, then kvm's): what a running vCPU changes between two moments
MAY_MOVE = {
    "triage": {
        "l0_last_exit_reason": "L0's last exit (and its decoding): every exit of a running vCPU to L0 changes it",
        "nested_run_pending": "set from L1's VMLAUNCH/VMRESUME until L2 is entered",
        "vmcs12.guest_rip": "L2's RIP as vmcs12 has it: synced at exits to L1 (and by KVM_GET_NESTED_STATE)",
        "vmcs12.last_exit": "the exit L1 handles last: every exit to L1 rewrites it",
        "vmcs12.injection": "the event L1 injects at its next VM entry",
        "vmcs12.idt_vectoring": "an event being delivered when L2 last exited",
        "vs_vmcs02": "vmcs02's guest state and exit information: every run of L2 rewrites them",
    },
    "kvm": {
        "l0_last_exit_reason": "L0's last exit, and its decoding",
        "nested_run_pending": "set from L1's VMLAUNCH/VMRESUME until L2 is entered",
    },
}


def load(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def status(path):
    return {k: int(v) for k, v in (line.split() for line in path.read_text().splitlines() if line.strip())}


# ---- what the harness made: every VM /init started, from its own records ----
vms_made = []
for vmdir in sorted((out / "harness").glob("vm[0-9]*")):
    vm = load(vmdir / "manifest-vm.json")
    vcpus = [load(vmdir / rel) for rel in vm["vcpu_manifests"]]
    vms_made.append({"name": vmdir.name, "pid": vm["harness_pid"], "config": vm["config"], "vcpus": vcpus})
check(len(vms_made) >= 3 and all(v and v.get("dump") for vm in vms_made for v in vm["vcpus"]),
      f"the harness made {len(vms_made)} VMs, every vCPU at its moment "
      f"({sum(len(vm['vcpus']) for vm in vms_made)} vCPUs)")
serial = (out / "serial.txt").read_text()
check("FAILED" not in serial and "=== NS LIVE resumed" in serial,
      "in the guest: every VM held, nestscope ran, the machine stopped at the magic breakpoint and resumed")

live_rc, dump_rc = status(out / "live-status.txt"), status(out / "dump-status.txt")
docs = {}
for side, rc in (("live", live_rc), ("dump", dump_rc)):
    doc = load(out / f"{side}-triage.json")
    docs[side] = doc or {}
    err = (out / "dump-triage.err").read_text().strip() if side == "dump" else ""
    check(rc.get("triage") == 0 and doc is not None,
          f"{side}: nestscope triage exits {rc.get('triage')} (0: nothing wrong) with a JSON report {err}")
    if doc is None:
        continue
    v = subprocess.run([sys.executable, str(pathlib.Path(__file__).resolve().parent.parent / "cli" /
                                            "validate_json.py"), "nestscope/triage/2", str(out / f"{side}-triage.json")],
                       capture_output=True, text=True)
    check(v.returncode == 0, f"{side}: the report is valid nestscope/triage/2 {v.stdout.strip()}")
live, dump = docs["live"], docs["dump"]
check(live.get("dump") == "/proc/kcore" and live.get("release") == dump.get("release") and
      "/usr/share/nestscope/profiles/" in live.get("types", ""),
      f"live: read /proc/kcore ({live.get('format')}) of Linux {live.get('release')} with the bundled profile "
      f"({live.get('types')})")

# ---- /proc/kcore as nestscope's header checks (sources/dumpcheck.c) see it ----
def kcore_layout(head):
    """what the ELF headers say: (PT_LOADs, those without a physical address, the highest segment end, notes)"""
    if head[:4] != b"\x7fELF" or head[4] != 2 or struct.unpack_from("<HH", head, 16) != (4, 62):
        return None
    phoff, = struct.unpack_from("<Q", head, 32)
    phnum, = struct.unpack_from("<H", head, 56)
    loads, nopa, end, notes = 0, 0, 0, b""
    for i in range(phnum):
        typ, _, off, _, paddr, filesz, _ = struct.unpack_from("<IIQQQQQ", head, phoff + 56 * i)
        if typ == 1:
            loads += 1
            nopa += paddr == INVALID
            end = max(end, off + filesz)
        elif typ == 4:
            notes = head[off:off + filesz]
    return loads, nopa, end, notes


try:
    ksize = int((out / "harness" / "live" / "kcore-size").read_text())
    layout = kcore_layout((out / "harness" / "live" / "kcore-head.bin").read_bytes())
except (OSError, ValueError, struct.error):
    ksize, layout = 0, None
check(layout is not None and layout[2] == ksize and b"VMCOREINFO" in layout[3],
      f"/proc/kcore: an x86-64 ELF core of {ksize / 2**40:.1f} TiB (st_size) whose "
      f"{layout and layout[0]} PT_LOADs ({layout and layout[1]} of them vmalloc, vmemmap or modules, without a "
      f"physical address) end exactly there, with a VMCOREINFO note" if layout else "/proc/kcore: an x86-64 ELF core")

# ---- each side against the harness's records ----
for side, doc in (("live", live), ("dump", dump)):
    vms = {vm["pid"]: vm for vm in doc.get("vms", [])}
    check(sorted(vms) == sorted(vm["pid"] for vm in vms_made),
          f"{side}: exactly the harness's VMs by pid {sorted(vms)}")
    for mvm in vms_made:
        name = f"{side} {mvm['name']} (pid {mvm['pid']}, {mvm['config']})"
        vm = vms.get(mvm["pid"])
        if vm is None:
            continue
        check(vm.get("online_vcpus") == len(mvm["vcpus"]) == len(vm.get("vcpus", [])) and not vm.get("problems"),
              f"{name}: {len(mvm['vcpus'])} vCPUs, no problem")
        vcpus = {v["index"]: v for v in vm.get("vcpus", [])}
        for mv in mvm["vcpus"]:
            st, addr = mv["dump"], mv["addresses"]
            what = f"{name} vCPU {mv['vcpu']} ({mv['moment']})"
            v = vcpus.get(mv["vcpu"])
            if v is None:
                check(False, f"{what}: listed")
                continue
            level, current = st["level"], st["current_vmcs"]
            kvm_state = st.get("kvm_nested_state") or {}
            want_vmcs = hexint(addr["vmcs12_pa"]) if current else INVALID
            got = (v["mode"], v["state"], v["vmxon"])
            want = ("L2" if level == "L2" else "L1", VMX_STATE[(level, current)], st["vmxon"])
            check(got == want, f"{what}: {want[1]}")
            if st["vmxon"]:
                check(hexint(v["vmxon_pa"]) == hexint(addr["vmxon_pa"]) == hexint(kvm_state["vmxon_pa"]) and
                      hexint(v["vmcs12_pa"]) == want_vmcs == hexint(kvm_state["vmcs12_pa"]),
                      f"{what}: VMXON region {addr['vmxon_pa']}, current VMCS {hex(want_vmcs)}, as KVM said")
            v12 = v.get("vmcs12", {})
            if current:
                ctl = {name: hexint(mv["controls"][m]) for name, m in MANIFEST_CONTROLS.items()}
                copy = v12.get("copy", {})
                check({k: hexint(v12.get("controls", {}).get(k, {}).get("value", "0x0")) for k in ctl} == ctl and
                      v12.get("launch_state") == ("launched" if st["launch_state"] else "clear") and
                      copy.get("name") == "cached_vmcs12" and re.fullmatch(r"0xffff[0-9a-f]{12}", copy.get("address", "")),
                      f"{what}: vmcs12 ({copy.get('label')}) has L1's controls, launch state {st['launch_state']}")
            if level == "L2":
                d = v.get("vs_vmcs02", {})
                check(hexint(v12.get("guest_rip")) == hexint(st["vmcs12_guest_rip"]) and
                      hexint(d.get("vmcs02_guest_rip")) == hexint(st["vmcs02_guest_rip"]) and
                      hexint((v.get("l0_last_exit_reason") or {}).get("value")) == EXIT_REASON_IO_INSTRUCTION and
                      d.get("counts", {}).get("unexplained") == 0,
                      f"{what}: guest RIP {st['vmcs12_guest_rip']} in vmcs12, {st['vmcs02_guest_rip']} in vmcs02 "
                      f"({st['vmcs12_vs_vmcs02']}), L0's last exit L2's OUT, nothing unexplained")
            if mv["moment"] == "hold-l1-exit":
                check(hexint(v12.get("last_exit", {}).get("reason", {}).get("value", "0x0")) & 0xffff ==
                      mv["exits"][-1]["reason"] & 0xffff,
                      f"{what}: vmcs12's last exit is the one L1 is handling ({mv['exits'][-1]['reason']})")


# ---- live against dump: everything, but for what may move ----
def flatten(x, path=""):
    """(path, value) of every leaf; list items of VMs and vCPUs keyed by pid and index"""
    if isinstance(x, dict):
        for k, v in x.items():
            yield from flatten(v, f"{path}.{k}" if path else k)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            key = (f"pid={v['pid']}" if isinstance(v, dict) and "pid" in v else
                   f"vcpu={v['index']}" if isinstance(v, dict) and "index" in v else str(i))
            yield from flatten(v, f"{path}[{key}]")
    else:
        yield path, x


def movable(kind, path):
    """the MAY_MOVE name a path falls under, or None"""
    inner = re.sub(r"^.*\[vcpu=\d+\]\.?", "", path) if "[vcpu=" in path else None
    if inner is None:
        return None
    for name in MAY_MOVE[kind]:
        if inner == name or inner.startswith(name + "."):
            return name
    return None


def compare(kind, a, b, inputs):
    """live a against dump b: a FAIL for each difference outside MAY_MOVE, a line for each MAY_MOVE name"""
    fa = {p: v for p, v in flatten(a) if p.split(".")[0] not in inputs}
    fb = {p: v for p, v in flatten(b) if p.split(".")[0] not in inputs}
    fixed = [p for p in sorted(set(fa) | set(fb)) if fa.get(p, "absent") != fb.get(p, "absent") and not movable(kind, p)]
    same = len([p for p in fa if p in fb and fa[p] == fb[p]])
    check(not fixed, f"{kind}: live and dump agree on {same} values (all but {', '.join(MAY_MOVE[kind])}), "
                     f"addresses among them" + "".join(f"\n     differs: {p}: live {fa.get(p, 'absent')!r}, dump "
                                                         f"{fb.get(p, 'absent')!r}" for p in fixed))
    for name, why in MAY_MOVE[kind].items():
        moved = [p for p in sorted(set(fa) | set(fb)) if movable(kind, p) == name and fa.get(p) != fb.get(p)]
        total = len([p for p in fa if movable(kind, p) == name])
        print(f"     may move: {kind} {name} ({why}): " +
              (f"moved in {len(moved)} of {total} values: " + "; ".join(
                  f"{p}: {fa.get(p)!r} -> {fb.get(p)!r}" for p in moved) if moved else f"the same ({total} values)"))


compare("triage", live, dump, {"dump", "format", "types"})
check([vm["pid"] for vm in live.get("vms", [])] == [vm["pid"] for vm in dump.get("vms", [])],
      "live and dump list the VMs in the same order (vm_list's)")

# ---- the debugger command kvm: vmcs01, vmcs02 and the other pointers ----
has_kvm = subprocess.run([nestscope, "help", "kvm"], capture_output=True).returncode == 0
if not has_kvm:
    print(f"skip kvm -v -j (vmcs01/vmcs02 pointers): this nestscope ({nestscope}) has no kvm command")
else:
    kdocs = {}
    for side, rc in (("live", live_rc), ("dump", dump_rc)):
        lines = [line for line in (out / f"{side}-kvm.json").read_text().splitlines() if line.startswith("{")]
        kdocs[side] = json.loads(lines[0]) if lines else {}
        check(rc.get("kvm") == 0 and kdocs[side].get("schema") == "nestscope/kvm/2",
              f"{side}: nestscope kvm -v -j exits {rc.get('kvm')} with nestscope/kvm/2")
    vcpus = [v for vm in kdocs["dump"].get("vms", []) for v in vm.get("vcpus", [])]
    check(vcpus and all(hexint(v["vmcs01"]) and (hexint(v["vmcs02"]) or v["mode"] != "L2") for v in vcpus),
          f"kvm: each of {len(vcpus)} vCPUs has its vmcs01, and its vmcs02 in L2")
    compare("kvm", kdocs["live"], kdocs["dump"], set())

# ---- the figures ----
# wall seconds since Bochs started, when the serial listener got the line; guest uptime where /init printed it.
# What the guest prints just before the magic breakpoint may leave the UART only after Bochs resumes: the
# breakpoint is bounded by the line after it.
times = {}
for line in serial.splitlines():
    t, _, text = line.strip().partition(" ")
    for key, pat in (("init", "=== NS INIT"), ("kvm", "=== NS KVM"), ("triage_start", "=== NS LIVE triage:"),
                     ("triage_end", "=== NS LIVE triage rc="), ("stop", "=== NS LIVE stopping"),
                     ("after", "=== NS HARNESS"), ("end", "=== NS POWEROFF")):
        if text.startswith(pat) and key not in times:
            times[key] = (float(t), float(text.rsplit(" ", 1)[-1]) if "uptime" in text else None)
    if re.match(r"=== NS VM \d+ holding", text):
        times["held"] = (float(t), float(text.rsplit(" ", 1)[-1]))
if all(k in times for k in ("init", "kvm", "held", "triage_start", "triage_end", "stop", "after", "end")):
    w = {k: v[0] for k, v in times.items()}
    g = {k: v[1] for k, v in times.items()}
    print(f"     times (wall s since Bochs started): /init {w['init']:.0f}, KVM loaded {w['kvm']:.0f}, VMs holding "
          f"{w['held']:.0f}, the magic breakpoint at most {w['after'] - w['triage_end']:.1f} s after the live triage "
          f"(printing its output on the serial line), power-off {w['end']:.0f}; guest uptime (runs some 100 times "
          f"slower: {w['kvm'] - w['init']:.1f} s of wall time from /init to KVM loaded are "
          f"{g['kvm'] - g['init']:.2f} s): the live triage {g['triage_end'] - g['triage_start']:.2f} s, from its end "
          f"to the magic breakpoint {g['stop'] - g['triage_end']:.2f} s")
    print("     live.sh steps (s): " + ", ".join((out / "times.txt").read_text().split("\n")).strip(", "))
check.finish()
