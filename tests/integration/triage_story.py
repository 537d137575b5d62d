"""triage's story of each vCPU (its first line, and triage/2's story object)
against ground truth that nestscope never wrote:

- the classic dumps (samples/KERNEL/, 5.10, 6.1, 7.2): each VM's manifest
  says where the harness's L2 was at the dump (moment.l2_rip: at the OUT, or
  past it where KVM completed the OUT in its register cache), and its steps
  say what happened before: the dump stands at the step tagged l2_out_1
  (nsharness.c stops or holds at L2's first OUT), so L1 has been told
  exactly when an l1_exit step came before it.  L0's exit is that OUT:
  samples/harness/l1.S's first OUT after l2_start gives port and operand
  width, and the SDM's Table "Exit Qualification for I/O Instructions" the
  bits the qualification must hold (size - 1 in 2:0, direction in 3: 0 = OUT,
  operand encoding in 6: 1 = immediate, port in 31:16);
- the many-VMs dump (samples/many-vms/KERNEL/): each vCPU's level, its RIP
  at the moment (at_moment.l2_rip or l1_rip), whether its vmcs12 ever
  exited to L1 (launch_state from KVM_GET_NESTED_STATE), and L1's last exit
  (the last of the exits the harness saw L1 take);
- the text report's first line under each vCPU is the story, and says the
  same RIP;
- the host summary heads the report: vCPUs by state, told L1 or not, L0's
  exits, against the same manifests; a problem (a profile with vmcs12's
  guest_rip moved, which breaks the vmcs12 table) is listed there first.
usage: triage_story.py NESTSCOPE SAMPLES
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from itest import Checks, EXIT_REASON_IO_INSTRUCTION  # noqa: E402

nestscope, samples = sys.argv[1:3]
samples = pathlib.Path(samples)
check = Checks()

# SDM Vol. 3, Table 28-5 (Exit Qualification for I/O Instructions)
IO_SIZE_MASK, IO_IN, IO_IMMEDIATE, IO_PORT_SHIFT = 0x7, 1 << 3, 1 << 6, 16
REG_BYTES = {"al": 1, "ax": 2, "eax": 4}


def l2_first_out():
    """(port, bytes) of L2's first OUT in the harness's L1 source."""
    text = (samples / "harness" / "l1.S").read_text()
    after = text.split("l2_start:", 1)[1]
    m = re.search(r"^\s*out\s+(0x[0-9a-f]+),\s*(\w+)", after, re.M)
    return int(m.group(1), 16), REG_BYTES[m.group(2)]


def triage(dump):
    text = subprocess.run([nestscope, "triage", dump], capture_output=True, text=True)
    js = subprocess.run([nestscope, "triage", "--json", dump], capture_output=True, text=True)
    doc = json.loads(js.stdout) if js.returncode == 0 else {}
    return text, doc


def story_lines(text):
    """pid -> the story lines of its vCPUs, in order."""
    out, pid = {}, None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"VM pid (\d+) ", line)
        if m:
            pid = int(m.group(1))
        if line.startswith("  vCPU ") and i + 1 < len(lines):
            out.setdefault(pid, []).append(lines[i + 1])
    return out


def host_first(text, what):
    """The host summary comes before the first VM, its problems first after the states."""
    lines = text.splitlines()
    first_vm = next((i for i, line in enumerate(lines) if line.startswith("VM pid ")), len(lines))
    keys = [line.split()[0] for line in lines[:first_vm] if line and not line.startswith(" ")]
    check(keys[-3:] == ["host", "problems", "common"], f"{what}: the host summary heads the report, problems "
          f"right after the states ({keys})")


port, width = l2_first_out()
for man_path in sorted(samples.glob("*/manifest.json")):
    man = json.loads(man_path.read_text())
    kver = man["kernel"]["release"]
    dump = str(man_path.parent / man["dump"]["file"])
    text, doc = triage(dump)
    check(text.returncode == 0 and doc, f"{kver}: triage and triage --json run [{text.stderr.strip()}]")
    vms = {vm["pid"]: vm for vm in doc.get("vms", [])}
    lines = story_lines(text.stdout)
    host_first(text.stdout, kver)
    host = doc.get("host", {})
    nvm = len(man["dump"]["vms"])
    # every dumped VM's one vCPU is in L2 at its first OUT (samples/README.md), none has exited to L1
    check(host.get("states") == {"l2": nvm, "l1_vmcs12": 0, "l1_no_vmcs": 0, "l1_no_vmx": 0} and
          host.get("not_told_l1") == nvm and host.get("told_l1") == 0 and host.get("problem_count") == 0 and
          host.get("l0_exits") == [{"basic_reason": EXIT_REASON_IO_INSTRUCTION, "name": "IO_INSTRUCTION", "vcpu_count": nvm}],
          f"{kver}: host: {nvm} vCPUs in L2, all stopped at an OUT, none told L1, no problem ({host.get('common')})")
    for mvm in man["dump"]["vms"]:
        pid, role = mvm["pid"], mvm["role"]
        vmman = json.loads((man_path.parent / mvm["manifest"]).read_text())
        vcpus = vms.get(pid, {}).get("vcpus", [])
        st = vcpus[0].get("story", {}) if vcpus else {}
        rip = int(mvm["moment"]["l2_rip"], 16)
        check(st.get("level") == "L2" and st.get("rip") == hex(rip),
              f"{kver} {role}: L2 at RIP {hex(rip)} ({st.get('level')} at {st.get('rip')} from {st.get('rip_from')})")
        check(lines.get(pid, [""])[0].strip().startswith(f"story        L2 at RIP {hex(rip)},"),
              f"{kver} {role}: the text's first line under the vCPU is that story [{lines.get(pid, [''])[0].strip()}]")
        ex = st.get("l0_exit") or {}
        q = int((ex.get("qualification") or {}).get("value", "0x0"), 16)
        check(ex.get("basic_reason") == EXIT_REASON_IO_INSTRUCTION and ex.get("qualification_from") == "vmcs02" and
              q >> IO_PORT_SHIFT == port and (q & IO_SIZE_MASK) + 1 == width and not q & IO_IN and q & IO_IMMEDIATE,
              f"{kver} {role}: L0's last exit is L2's OUT to port {hex(port)}, {width} bytes, immediate "
              f"({ex.get('name')}, vmcs02's qualification {hex(q)}: {ex.get('qualification_text')})")
        check(ex.get("qualification_text") == f"OUT to port {hex(port)}, {width} bytes, immediate",
              f"{kver} {role}: the qualification in words [{ex.get('qualification_text')}]")
        tags = [s["tag"] for s in vmman["steps"]]
        before = tags[:tags.index("l2_out_1")] if "l2_out_1" in tags else tags
        told = any(t.startswith("l1_exit") for t in before)
        check(st.get("l1_told") is told and (st.get("l1_last_exit") is None) == (not told),
              f"{kver} {role}: L1 {'has' if told else 'has not'} been told (l1_told {st.get('l1_told')})")
        check(st.get("events") == [] and st.get("failure") is None and st.get("cpu_mode") == "64-bit",
              f"{kver} {role}: 64-bit L2 (l1.S's IA-32e guest), nothing pending, nothing failed "
              f"({st.get('cpu_mode')}, {st.get('events')}, {st.get('failure')})")

for man_path in sorted((samples / "many-vms").glob("*/manifest.json")):
    man = json.loads(man_path.read_text())
    kver = man["kernel"]["release"]
    text, doc = triage(str(man_path.parent / man["dump"]["file"]))
    check(text.returncode == 0 and doc, f"many-vms {kver}: triage runs")
    vms = {vm["pid"]: vm for vm in doc.get("vms", [])}
    lines = story_lines(text.stdout)
    n = 0
    for mvm in man["dump"]["vms"]:
        got = {v["index"]: v for v in vms.get(mvm["pid"], {}).get("vcpus", [])}
        for i, mv in enumerate(mvm["vcpus"]):
            st = got.get(mv["index"], {}).get("story", {})
            at = mv.get("at_moment", {})
            level = "L2" if mv["level"] == "L2" else "L1"  # "no VMX" is L1 that never ran VMXON
            rip = at.get("l2_rip" if level == "L2" else "l1_rip")
            what = f"many-vms {mvm['name']} vCPU {mv['index']} ({mv['moment']})"
            want_told = None if not mv.get("current_vmcs") else mv.get("launch_state") == 1
            ok = (st.get("level") == level and rip is not None and st.get("rip") == hex(int(rip, 16)) and
                  st.get("l1_told") is want_told and st.get("failure") is None)
            last = st.get("l1_last_exit") or {}
            if want_told:
                ok = ok and mv["exits"] and last.get("basic_reason") == mv["exits"][-1]["reason"]
            line = lines.get(mvm["pid"], [])
            ok = ok and i < len(line) and f" at RIP {st.get('rip')}," in line[i]
            check(ok, f"{what}: {mv['level']} at {rip}, L1 told {want_told} (story: {st.get('text')})")
            n += 1
    check(n == sum(len(vm["vcpus"]) for vm in man["dump"]["vms"]) and n > 0, f"many-vms {kver}: {n} vCPUs' stories")
    # the host summary against the manifest's counts and its vCPUs' VMX state
    host_first(text.stdout, f"many-vms {kver}")
    host, msum = doc.get("host", {}), man["dump"]["summary"]
    mv = [v for vm in man["dump"]["vms"] for v in vm["vcpus"]]
    st = host.get("states", {})
    check(st.get("l2") == msum["in_l2"] and st.get("l1_vmcs12", 0) + st.get("l1_no_vmcs", 0) == msum["in_l1_vmx"] and
          st.get("l1_no_vmcs") == sum(1 for v in mv if v["vmxon"] and not v["current_vmcs"]) and
          st.get("l1_no_vmx") == msum["no_vmx"],
          f"many-vms {kver}: host states {st} match the manifest {msum}")
    check(host.get("told_l1") == sum(1 for v in mv if v["current_vmcs"] and v["launch_state"] == 1) and
          host.get("not_told_l1") == sum(1 for v in mv if v["current_vmcs"] and v["launch_state"] == 0) and
          host.get("problem_count") == 0 and host.get("failed_entries") == 0,
          f"many-vms {kver}: told L1 {host.get('told_l1')}, not yet {host.get('not_told_l1')}, no problem")

# a problem is listed in the host summary, before any VM: a profile whose vmcs12.guest_rip moved by 8 bytes
# breaks the built-in vmcs12 table (as triage_samples.py makes it)
for man_path in sorted(samples.glob("6.1.*/manifest.json")):
    man = json.loads(man_path.read_text())
    kver = man["kernel"]["release"]
    prof = json.loads((samples.parent / "profiles" / f"{kver}.json").read_text())
    prof["user_types"]["vmcs12"]["fields"]["guest_rip"]["offset"] += 8
    with tempfile.TemporaryDirectory() as tmp:
        bad = pathlib.Path(tmp) / "moved.json"
        bad.write_text(json.dumps(prof))
        moved = subprocess.run([nestscope, "triage", "--profile", str(bad), str(man_path.parent / man["dump"]["file"])],
                               capture_output=True, text=True)
    head = moved.stdout.split("\nVM pid ", 1)[0]
    check(moved.returncode == 3 and "problems 1, first:\n  PROBLEM host: this kernel's struct vmcs12 breaks" in head,
          f"{kver}: a moved vmcs12 member is the host summary's first problem, before the VMs (exit {moved.returncode})")

check.finish()
