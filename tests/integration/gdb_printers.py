#!/usr/bin/python3
"""The gdb package as gdb users expect it, in real gdb on the bundled dumps with the kernels' real
debuginfo (gdbcore rewrites each dump as an ELF core, as in gdb_dump.py):

- the pretty-printers are registered for kvm-intel.ko's objfile when gdb reads it (the package sourced
  first, as from ~/.gdbinit), not globally (`info pretty-printer`);
- `print` of a struct vmcs12 shows a summary line (the revision id IA32_VMX_BASIC gave L1) and the
  members as children: decimal with `print`, hex with `print/x`, the values the harness wrote (the VM's
  manifest); `set print pretty on` gives the tree: the header members, then the sections guest, host,
  control, exit-info, each member of the kernel's struct vmcs12 (its DWARF, padding aside) once, in the
  section its SDM encoding's type names;
- struct kvm_nested_state (a real KVM_GET_NESTED_STATE blob, put in memory gdb can read through an
  object file) shows its flags and size as the harness recorded them and the vmcs12 it carries;
- $vmcs12_field on bad input (wrong type, wrong arguments, NULL, unreadable memory, unknown field) and
  kvm-symbols on a missing directory print one error line each, no Python traceback;
- `complete` lists a command's options, the same as its help's usage line, and the target's vCPUs;
- on the AMD hosts' dumps (samples/svm, 6.1 and 7.2, with kvm-amd.ko's debuginfo): the printers registered
  for kvm-amd.ko's objfile; `print *(struct vcpu_svm *)ADDR` says L2 (current_vmcb is &nested.vmcb02),
  vmcb12's GPA, the exit L0 last handled by its APM name with EXITINFO1 (the port the harness wrote) and
  EXITINFO2 as the kprobe read vmcb02, and the intercepts L1 set in vmcb12 by name; `print
  *svm->nested.vmcb02.ptr` the same exit, the intercepts KVM set by name, ASID and NP_ENABLE as the kprobe
  read them, its members in hex with `print/x`, and no summary with `print/r`; every value from the manifest.
passes.py runs it once per gdb: Debian 12's gdb 13 and sid's gdb 18.

usage: gdb_printers.py BUILD_DIR SAMPLES_DIR CACHE_DIR
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import itest  # noqa: E402

build, root, cache = (pathlib.Path(p).resolve() for p in sys.argv[1:4])
plugin = itest.gdb_package(build)
check = itest.Checks()
KO = "kernel/arch/x86/kvm/kvm-intel.ko"
# The SDM's encodings of a few fields the harness writes, with the struct vmcs12 member the kernel keeps
# each in (arch/x86/kvm/vmx/vmcs12.c's table: FIELD(PIN_BASED_VM_EXEC_CONTROL, pin_based_vm_exec_control) ...)
MEMBERS = {0x4000: "pin_based_vm_exec_control", 0x4002: "cpu_based_vm_exec_control",
           0x401E: "secondary_vm_exec_control", 0x400C: "vm_exit_controls", 0x4012: "vm_entry_controls",
           0x6802: "guest_cr3"}
GUEST_RIP = (0x681E, "guest_rip")
# an encoding's bits 11:10 are the field's type (SDM Vol. 3D, Appendix B), which names its section
TYPE_SECTION = {0: "control", 1: "exit-info", 2: "guest", 3: "host"}
SECTIONS = ["guest", "host", "control", "exit-info"]  # dump_vmcs()'s order, as README documents it
HEADER = ["hdr", "abort", "launch_state"]  # struct vmcs12's first members (the kernel's vmcs12.h)
# IA32_VMX_BASIC bits 30:0 are the VMCS revision identifier (SDM Vol. 3D, Appendix A.1)
REVISION_MASK = (1 << 31) - 1
# KVM_STATE_NESTED_GUEST_MODE (include/uapi/linux/kvm.h), which nestscope names GUEST_MODE
NESTED_GUEST_MODE = 1
MARK = "@@@ "
NOISE = ("general-purpose registers", "<unavailable> in ?? ()")


def gdb_run(pre, cmds, timeout=600):
    """gdb -batch with pre's -ex, then each command after a marker line; (outputs by command, stderr lines)."""
    argv = [*itest.gdb_command(), "-nx", "-batch", "-ex", "set pagination off", "-ex", "set width 0"]
    for c in pre:
        argv += ["-ex", c]
    for c in cmds:
        argv += ["-ex", f"echo {MARK}{c}\\n", "-ex", c]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    outs, cur = {}, None
    for line in r.stdout.splitlines():
        if line.startswith(MARK):
            cur = line[len(MARK):]
            outs[cur] = []
        elif cur is not None:
            outs[cur].append(line)
    errs = [line for line in r.stderr.splitlines() if line.strip() and not any(n in line for n in NOISE)]
    return {c: "\n".join(v) for c, v in outs.items()}, errs, r.stdout + r.stderr


def pretty_tree(text):
    """`set print pretty on` output of a vmcs12 as {top-level child: {member: value}} (a member's value for a
    leaf at the top), and the children's order."""
    tree, order, cur = {}, [], None
    for line in text.splitlines()[1:]:
        m = re.match(r"^  (\S+) = (.*?),?$", line)
        if m:
            name, value = m.groups()
            order.append(name)
            if value.endswith("{"):
                cur = tree.setdefault(name, {})
            else:
                tree[name], cur = value, None
            continue
        m = re.match(r"^    (\w+) = (.*?),?$", line)
        if m and isinstance(cur, dict):
            cur[m.group(1)] = m.group(2)
    return tree, order


def struct_members(ptype):
    """The member names `ptype struct vmcs12` lists (kvm-intel.ko's DWARF), padding aside."""
    names = re.findall(r"^    [^(]*?\b(\w+)(?:\[\d+\])?;$", ptype, re.M)
    return {n for n in names if not n.startswith(("padding", "dead_space"))}


def usage_options(help_text):
    """The options `help CMD`'s usage line lists: -v, --json ..."""
    usage = next((line for line in help_text.splitlines() if line.startswith("Usage: ")), "")
    return set(re.findall(r"(?<=[\[|])(--?[\w-]+)", usage))


tmp = pathlib.Path(tempfile.mkdtemp())
gdbcore = itest.kdump_tool("gdbcore", tmp)

for kver, mf, man, dump, vmlinux, mods in itest.sample_dumps(root, cache):
    core = tmp / f"{kver}.core"
    subprocess.run([gdbcore, str(dump), str(core)], check=True, stdout=subprocess.DEVNULL)
    vms = man["dump"]["vms"]
    # the package first, then kvm-symbols: the ~/.gdbinit way, kvm-intel.ko's objfile comes after
    pre = [f"file {vmlinux}", f"core-file {core}", f"source {plugin}", f"kvm-symbols {mods}"]
    outs, errs, _ = gdb_run(pre, ["kvm -v -j"])
    kvm = next((d for d in itest.json_docs(outs.get("kvm -v -j", "")) if d.get("schema") == "nestscope/kvm/2"), None)
    vm = vms[0]
    found = [x for x in (kvm or {}).get("vms", []) if x["pid"] == vm["pid"]]
    vcpu = found[0]["vcpus"][0] if found and found[0].get("vcpus") else None
    check(vcpu is not None and vcpu.get("cached_vmcs12"), f"{kver}: kvm -v finds pid {vm['pid']}'s vCPU 0 and its "
                                                            f"cached_vmcs12 ({' '.join(errs)[-300:]})")
    if not vcpu or not vcpu.get("cached_vmcs12"):
        continue
    addr = vcpu["cached_vmcs12"]
    v = f"*(struct vmcs12 *){addr}"
    vman = json.loads((mf.parent / vm["manifest"]).read_text())
    writes = {int(w["encoding"], 16): int(w["value"], 16) for w in vman["vmwrites"]}
    want = {MEMBERS[e]: (e, writes[e]) for e in MEMBERS}
    want[GUEST_RIP[1]] = (GUEST_RIP[0], int(vm["moment"]["vmcs12_guest_rip"], 16))
    basic = next(int(m["value"], 16) for m in vman["capability_msrs"] if m["name"] == "IA32_VMX_BASIC")
    revision = basic & REVISION_MASK

    # (the same prints after set print pretty on, spelled print and print/x to tell them apart)
    cmds = ["info pretty-printer", f"p {v}", f"p/x {v}", "set print pretty on", f"print/x {v}", f"print {v}",
            "set print pretty off", "ptype struct vmcs12", "help vmcs12", "help kvm",
            "complete vmcs12 -", "complete kvm -", "complete kvm --j", "complete vmcs02 ", f"complete vmcs01 {vm['pid']}:"]
    outs, errs, _ = gdb_run(pre, cmds)

    # registered for kvm-intel.ko's objfile, not globally
    info = outs.get("info pretty-printer", "")
    blocks = re.split(r"^(?=\S.*pretty-printers:$)", info, flags=re.M)
    glob = next((b for b in blocks if b.startswith("global pretty-printers:")), "")
    ko = next((b for b in blocks if re.match(r"objfile \S*/kvm-intel\.ko pretty-printers:", b)), "")
    check(re.search(r"^  nestscope$", ko, re.M) and re.search(r"^    vmcs12$", ko, re.M) and "nestscope" not in glob,
          f"{kver}: info pretty-printer lists nestscope (vmcs12) under kvm-intel.ko's objfile, not globally")

    # print and print/x: the summary, the values in decimal and in hex
    dec, hexa = outs.get(f"p {v}", ""), outs.get(f"p/x {v}", "")
    check(f"= vmcs12 revision {revision:#x}, launch state " in dec,
          f"{kver}: print {v} begins with the revision id IA32_VMX_BASIC gives, {revision:#x}")
    check(all(re.search(rf"\b{m} = {val}[,}}]", dec) for m, (_e, val) in want.items()),
          f"{kver}: print shows {', '.join(want)} in decimal as the harness wrote them")
    check(all(re.search(rf"\b{m} = {val:#x}[,}}]", hexa) for m, (_e, val) in want.items()),
          f"{kver}: print/x shows them in hex")

    # the tree
    tree, order = pretty_tree(outs.get(f"print/x {v}", ""))
    check(order == HEADER + SECTIONS, f"{kver}: set print pretty on: the children are {', '.join(HEADER + SECTIONS)} "
                                      f"(got {', '.join(order)})")
    check(all(isinstance(tree.get(s), dict) and tree[s] for s in SECTIONS),
          f"{kver}: each section is a group of members")
    placed = all(tree.get(TYPE_SECTION[(e >> 10) & 3], {}).get(m) == f"{val:#x}" for m, (e, val) in want.items())
    check(placed, f"{kver}: each written field is in the section of its encoding's type, in hex")
    dtree, _ = pretty_tree(outs.get(f"print {v}", ""))
    check(all(dtree.get(TYPE_SECTION[(e >> 10) & 3], {}).get(m) == str(val) for m, (e, val) in want.items()),
          f"{kver}: and in decimal without /x")
    leaves = [m for s in SECTIONS if isinstance(tree.get(s), dict) for m in tree[s]] + \
        [h for h in HEADER if h in tree]
    members = struct_members(outs.get("ptype struct vmcs12", ""))
    check(len(members) > 100 and sorted(leaves) == sorted(members),
          f"{kver}: the tree holds each of the {len(members)} members of the kernel's struct vmcs12 once "
          f"(missing {sorted(members - set(leaves))[:5]}, extra {sorted(set(leaves) - members)[:5]})")

    # completion: the options help lists, and the vCPUs
    for cmd in ("vmcs12", "kvm"):
        got = set(outs.get(f"complete {cmd} -", "").replace(f"{cmd} ", "").split())
        check(got and got == usage_options(outs.get(f"help {cmd}", "")),
              f"{kver}: complete {cmd} - lists the options of help {cmd}'s usage line ({' '.join(sorted(got))})")
    check(outs.get("complete kvm --j", "").split("\n") == ["kvm --json"], f"{kver}: complete kvm --j gives kvm --json")
    got = set(outs.get("complete vmcs02 ", "").replace("vmcs02 ", "").split())
    want_ids = {str(x["pid"]) for x in vms} | {f"{x['pid']}:0" for x in vms}
    check(want_ids <= got, f"{kver}: complete vmcs02 offers each VM's pid and PID:0 ({' '.join(sorted(want_ids))})")
    check(outs.get(f"complete vmcs01 {vm['pid']}:", "").split("\n") == [f"vmcs01 {vm['pid']}:0"],
          f"{kver}: complete vmcs01 {vm['pid']}: gives vmcs01 {vm['pid']}:0")

    # bad input: one error line each, no traceback
    bad = ['p $vmcs12_field(init_uts_ns, "GUEST_RIP")', f"p $vmcs12_field({addr})", f"p $vmcs12_field({addr}, 1)",
           'p $vmcs12_field((struct vcpu_vmx *)0, "GUEST_RIP")', 'p $vmcs12_field(0x100000000000, "GUEST_RIP")',
           f'p $vmcs12_field({addr}, "NO_SUCH_FIELD")']
    outs, errs, everything = gdb_run(pre, bad + [f"kvm-symbols {tmp / 'no-such-dir'}"])
    fn_errs = [e for e in errs if e.startswith("$vmcs12_field: ")]
    check(len(fn_errs) == len(bad) and "Traceback" not in everything and "Python Exception" not in everything,
          f"{kver}: $vmcs12_field on a struct, one argument, a number for NAME, NULL, unmapped memory and an unknown "
          f"field: one error line each, no traceback ({len(fn_errs)} of {len(bad)}: {fn_errs or errs[-3:]})")
    check(any(e.startswith("kvm-symbols: no ") for e in errs) and len(errs) == len(bad) + 1,
          f"{kver}: kvm-symbols on a missing directory: one error line")

    # struct kvm_nested_state: a real blob in memory gdb reads (an object file's .data)
    hm = json.loads((mf.parent / "rich" / "manifest-harness.json").read_text())
    step = next((s for s in hm["steps"] if s["flags"] & NESTED_GUEST_MODE and s["size"] > 4096), None)
    if step is None:
        check(False, f"{kver}: the harness manifest has a guest-mode step with vmcs12")
        continue
    blob = tmp / "blob.bin"
    blob.write_bytes((mf.parent / "rich" / step["file"]).read_bytes())
    obj = tmp / "blob.o"
    # (objcopy names the symbols after the input's path as given: _binary_blob_bin_start)
    subprocess.run(["objcopy", "-I", "binary", "-O", "elf64-x86-64", "-B", "i386:x86-64", blob.name, obj.name],
                   check=True, cwd=tmp)
    ns = "*(struct kvm_nested_state *)&_binary_blob_bin_start"
    hpin = int(next(w["value"] for w in hm["vmwrites"] if int(w["encoding"], 16) == 0x4000), 16)
    outs, errs, _ = gdb_run([f"file {obj}", f"source {plugin}", f"add-symbol-file {mods}/{KO}"],
                            [f"p {ns}", "set print pretty on", f"p/x {ns}"])
    line = outs.get(f"p {ns}", "")
    check(f"size {step['size']}, flags GUEST_MODE" in line and f"vmcs12_pa = {int(step['vmcs12_pa'], 16)}," in line,
          f"{kver}: print of {step['file']} as struct kvm_nested_state: size {step['size']}, GUEST_MODE, "
          f"vmcs12_pa {step['vmcs12_pa']} as the harness recorded")
    px = outs.get(f"p/x {ns}", "")
    check(re.search(r"^  vmcs12 = vmcs12 revision 0x[0-9a-f]+, launch state \w+ = \{$", px, re.M) and
          re.search(rf"^      pin_based_vm_exec_control = {hpin:#x},$", px, re.M),
          f"{kver}: its vmcs12 child is a pretty-printed struct vmcs12 (pin-based controls {hpin:#x} in its control "
          f"section)")

# ---- an AMD host: struct vcpu_svm and struct vmcb ----
# SVM exit codes by name (AMD64 APM vol. 2, appendix C, as KVM's SVM_EXIT_* spell them)
SVM_EXIT_NAMES = {0x7b: "IOIO", 0x80: "VMRUN", 0x400: "NPF"}
# intercept bits of the VMCB's words at 00Ch and 010h (APM vol. 2, table B-1), named as KVM's
# enum (arch/x86/include/asm/svm.h, INTERCEPT_* without the prefix)
WORD3_BITS = {24: "HLT", 26: "INVLPGA", 27: "IOIO_PROT", 28: "MSR_PROT", 29: "TASK_SWITCH", 31: "SHUTDOWN"}
WORD4_BITS = {0: "VMRUN", 1: "VMMCALL", 2: "VMLOAD", 3: "VMSAVE"}
MISC_CTL_NP_ENABLE = 1 << 0  # APM table B-1, offset 090h bit 0
IOIO_PORT_SHIFT = 16         # APM 15.10.2: EXITINFO1 of an IOIO intercept, bits 31:16 the port


def named_bits(word, bits, text):
    """The table's bits set in word that text does not name, and those clear that it does."""
    names = set(re.findall(r"[A-Z][A-Z0-9_]+", text))
    return [n for b, n in bits.items() if bool(word >> b & 1) != (n in names)]


for mf in sorted(root.glob("svm/*/manifest.json")):
    man = json.loads(mf.read_text())
    kver = man["kernel"]
    found = itest.debuginfo(kver, cache)
    if not found:
        check(False, f"svm {kver}: kvm-amd.ko's debuginfo (debian-kernel.sh fetch-dbg)")
        continue
    vmlinux, mods = found
    core = tmp / f"svm-{kver}.core"
    subprocess.run([gdbcore, str(mf.parent / man["dump"]["file"]), str(core)], check=True, stdout=subprocess.DEVNULL)
    pre = [f"file {vmlinux}", f"core-file {core}", f"source {plugin}", f"kvm-symbols {mods}"]
    cmds = ["info pretty-printer"]
    for vm in man["dump"]["vms"]:
        svm = f"((struct vcpu_svm *){vm['vcpu_svm']})"
        cmds += [f"p *{svm}", f"p *{svm}->nested.vmcb02.ptr", f"p/x *{svm}->nested.vmcb02.ptr",
                 f"p/r *{svm}->nested.vmcb02.ptr"]
    outs, errs, everything = gdb_run(pre, cmds)
    blocks = re.split(r"^(?=\S.*pretty-printers:$)", outs.get("info pretty-printer", ""), flags=re.M)
    glob = next((b for b in blocks if b.startswith("global pretty-printers:")), "")
    ko = next((b for b in blocks if re.match(r"objfile \S*/kvm-amd\.ko pretty-printers:", b)), "")
    check(re.search(r"^    vmcb$", ko, re.M) and re.search(r"^    vcpu_svm$", ko, re.M) and "nestscope" not in glob,
          f"svm {kver}: info pretty-printer lists nestscope (vmcb, vcpu_svm) under kvm-amd.ko's objfile, not globally")
    check("Traceback" not in everything and "Python Exception" not in everything,
          f"svm {kver}: no Python error ({errs[-3:]})")
    for vm in man["dump"]["vms"]:
        last = vm["steps"][-1]
        f02, f12 = last["kvm"]["vmcb02"]["fields"], last["vmcb12"]["fields"]
        code = int(vm["l0_exit_code"], 16)
        svm = f"((struct vcpu_svm *){vm['vcpu_svm']})"
        what = f"svm {kver} pid {vm['pid']}"
        port = int(f02["exit_info_1"], 16) >> IOIO_PORT_SHIFT & 0xffff
        exit_words = (f"exit {code:#x} {SVM_EXIT_NAMES[code]}, EXITINFO1 {f02['exit_info_1']} (port={port:#x} ",
                      f"EXITINFO2 {f02['exit_info_2']}")
        line = outs.get(f"p *{svm}", "")
        summary = line.split(" = {", 1)[0]
        level = "L2 (current_vmcb is &nested.vmcb02)" if vm["guest_mode"] else "L1 (current_vmcb is &vmcb01)"
        check(summary.startswith("$") and f"= vcpu_svm {level}; vmcb12 GPA {vm['vmcb12_gpa']}; " in summary and
              f"L0's last #VMEXIT (vmcb02): {exit_words[0]}" in summary and exit_words[1] in summary and
              port == int(last["port"], 16),
              f"{what}: print *(struct vcpu_svm *){vm['vcpu_svm']}: {level}, vmcb12 at {vm['vmcb12_gpa']}, exit "
              f"{vm['l0_exit_code']} {SVM_EXIT_NAMES[code]} with the port {last['port']} the harness wrote "
              f"({summary[:300]})")
        cached = summary.partition("vmcb12's intercepts (nested.ctl): ")[2]
        wrong = named_bits(int(f12["intercept_word3"], 16), WORD3_BITS, cached) + \
            named_bits(int(f12["intercept_word4"], 16), WORD4_BITS, cached)
        check(cached and not wrong, f"{what}: vmcb12's intercepts by name as L1 set them (word3 "
                                    f"{f12['intercept_word3']}, word4 {f12['intercept_word4']}: {cached}; wrong: {wrong})")
        v02 = outs.get(f"p *{svm}->nested.vmcb02.ptr", "").split(" = {", 1)[0]
        asid, np = int(f02["asid"], 16), int(f02["np_enable"], 16) & MISC_CTL_NP_ENABLE
        wrong = named_bits(int(f02["intercept_word3"], 16), WORD3_BITS, v02.partition("intercepts ")[2]) + \
            named_bits(int(f02["intercept_word4"], 16), WORD4_BITS, v02.partition("intercepts ")[2])
        check(f"= vmcb {exit_words[0]}" in v02 and exit_words[1] in v02 and f"ASID {asid}," in v02 and
              ("(NP_ENABLE)" in v02) == bool(np) and not wrong,
              f"{what}: print *svm->nested.vmcb02.ptr: exit {vm['l0_exit_code']}, EXITINFO1/2, ASID {asid}, "
              f"NP_ENABLE {np}, KVM's intercepts by name as the kprobe read them (wrong: {wrong}; {v02[:300]})")
        px = outs.get(f"p/x *{svm}->nested.vmcb02.ptr", "")
        check(re.search(rf"\bexit_code = {code:#x},", px) and f"exit_info_1 = {f02['exit_info_1']}," in px and
              f"asid = {asid:#x}," in px and re.search(r"= \{control = \{", px),
              f"{what}: print/x shows vmcb02's members, control first, in hex")
        pr = outs.get(f"p/r *{svm}->nested.vmcb02.ptr", "")
        check(re.match(r"^\$\d+ = \{control = \{", pr) is not None, f"{what}: print/r is the raw struct")

subprocess.run(["rm", "-rf", str(tmp)])
check.finish()
