"""The gdb commands: kvm, vmcs12, vmcs02, vmcs01, vmcs12-abi, and kvm-symbols to load
the KVM modules' debuginfo.  Arguments are parsed here; the walking,
decoding, checking and rendering are libnestscope's (libns)."""
import argparse
import ctypes
import os
import re

import gdb

from . import libns, target

TYPES_HINT = "load them with: kvm-symbols [DEBUG_MODULES_DIR]"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one gdb error line."""

    def error(self, message):
        raise gdb.GdbError(f"{self.prog}: {message} (help {self.prog})")

    def exit(self, status=0, message=None):
        raise gdb.GdbError(message or f"{self.prog}: bad arguments")


def _opts(a):
    o = libns.CmdOpts()
    o.sections = ((libns.SECT_GUEST if getattr(a, "g", False) else 0) | (libns.SECT_HOST if getattr(a, "H", False) else 0)
                  | (libns.SECT_CTRL if getattr(a, "c", False) else 0) | (libns.SECT_EXIT if getattr(a, "x", False) else 0))
    o.all = getattr(a, "A", False)
    o.force = getattr(a, "F", False)
    o.json = a.json
    o.layout_file = a.L.encode() if getattr(a, "L", None) else None
    o.copy = libns.COPIES[getattr(a, "s", "cached")]
    return o


def _address(expr):
    try:
        return int(gdb.parse_and_eval(expr).cast(gdb.lookup_type("unsigned long")))
    except gdb.error as e:
        raise gdb.GdbError(f"{expr}: {e}")


# ---- QEMU's gdbstub: guest-physical reads ----

def _phymem_mode():
    """QEMU's gdbstub memory mode ("0" virtual, "1" physical), or None when the stub has none."""
    try:
        reply = gdb.execute("maint packet qqemu.PhyMemMode", to_string=True)
    except gdb.error:
        return None
    m = re.search(r'received: "(.*)"', reply)
    return m.group(1) if m and m.group(1) in ("0", "1") else None


def read_guest_physical(gpa, size):
    """Reads guest-physical memory through QEMU's gdbstub; the stub's mode is put back as it was."""
    before = _phymem_mode()
    if before is None:
        raise gdb.GdbError("-p needs QEMU's gdbstub (it does not answer qqemu.PhyMemMode)")
    try:
        if before != "1":
            gdb.execute("maint packet Qqemu.PhyMemMode:1", to_string=True)
        return bytes(gdb.selected_inferior().read_memory(gpa, size))
    except gdb.MemoryError:
        raise gdb.GdbError(f"guest-physical 0x{gpa:x}: cannot read {size} bytes there") from None
    finally:
        if before != "1":
            gdb.execute(f"maint packet Qqemu.PhyMemMode:{before}", to_string=True)
        # what gdb cached under one mode must not answer reads in the other
        gdb.execute("maint flush dcache", to_string=True)


def _need_kvm_symbols():
    """vm_list is kvm.ko's: without the module's symbols gdb cannot find it."""
    try:
        gdb.parse_and_eval("&vm_list")
    except gdb.error:
        raise gdb.GdbError("vm_list is not known: load the KVM modules' symbols with kvm-symbols [DIR]") from None


class Kvm(gdb.Command):
    """List KVM virtual machines and their vCPUs' nested state.

Usage: kvm [-v] [-j|--json]

Walks KVM's vm_list: for each VM the struct kvm address, the pid and command
of the VMM that owns it, and its number of vCPUs.
  -v  also each vCPU: index, vcpu_vmx address, whether L2 is active (guest
      mode), VMXON and its region, current_vmptr, the addresses of
      cached_vmcs12, cached_shadow_vmcs12, vmcs01 and vmcs02, and the last
      VM exit KVM handled, decoded.
  -j  JSON (schema nestscope/kvm/1).
kvm needs kvm.ko's debuginfo, and -v kvm-intel.ko's: see kvm-symbols."""

    def __init__(self):
        super().__init__("kvm", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        p = _Parser(prog="kvm", add_help=False)
        p.add_argument("-v", action="store_true")
        p.add_argument("-j", "--json", action="store_true")
        a = p.parse_args(gdb.string_to_argv(arg))
        _need_kvm_symbols()
        gdb.write(libns.call(libns.lib.ns_cmd_kvm, target.session(), a.v, a.json, hint=TYPES_HINT))


class Vmcs12(gdb.Command):
    """Decode a vCPU's vmcs12 (the VMCS L1 wrote for its L2).

Usage: vmcs12 [-a | -r ADDR | -p GPA] [-s cached|shadow|memory] [-g] [-H] [-c] [-x]
              [-A] [-F] [-C] [-D [-L FILE]] [-j|--json] [VCPU]

Decodes KVM's software VMCS for L1 with SDM names and symbolic bits, grouped as
KVM's dump_vmcs() groups them.  VCPU is a struct kvm_vcpu or vcpu_vmx address,
or PID:INDEX; without one, the only vCPU in VMX operation.
  -a        every vCPU in VMX operation that has a vmcs12.
  -r ADDR   the vmcs12 region at kernel address ADDR (an expression).
  -p GPA    the VMCS region at guest-physical GPA, read through QEMU's gdbstub
            (an L1 guest hypervisor under QEMU): a vmcs12, a hardware VMCS of a
            known revision, or a kvm_nested_state.  The stub's memory mode is
            restored afterwards.
  -s COPY   cached (nested.cached_vmcs12, the default), shadow, or memory (L1's
            own region at current_vmptr, through the VMM's page tables).
  -g -H -c -x  only guest state, host state, controls, VM-exit information.
  -A        zero fields too (with -C every rule, with -D expected differences).
  -F        decode even when the revision id is not VMCS12_REVISION.
  -C        the Intel SDM's VM-entry checks, against the VMX capabilities KVM
            offered this L1 (nested.msrs).
  -D        cached_vmcs12 against vmcs02, each difference classed; -L FILE gives
            vmcs02's hardware layout.
  -j        JSON (schema nestscope/decode/1, checks/1, diff/1)."""

    def __init__(self):
        super().__init__("vmcs12", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        p = _Parser(prog="vmcs12", add_help=False)
        for f in "aAFCDgHcx":
            p.add_argument("-" + f, action="store_true")
        p.add_argument("-r")
        p.add_argument("-p")
        p.add_argument("-s", choices=sorted(libns.COPIES), default="cached")
        p.add_argument("-L")
        p.add_argument("-j", "--json", action="store_true")
        p.add_argument("vcpu", nargs="?")
        a = p.parse_args(gdb.string_to_argv(arg))
        if sum(bool(x) for x in (a.a, a.r, a.p, a.vcpu)) > 1:
            raise gdb.GdbError("vmcs12: give one of -a, -r ADDR, -p GPA or VCPU")
        opts = _opts(a)
        if not (a.p or a.r):
            _need_kvm_symbols()
        s = target.session()
        vcpu = a.vcpu.encode() if a.vcpu else None
        if a.p:
            gpa = _address(a.p)
            out = libns.region(read_guest_physical(gpa, 4096), f"L1 guest-physical 0x{gpa:x}", opts)
        elif a.r:
            out = libns.call(libns.lib.ns_cmd_vmcs12_at, s, _address(a.r), a.r, ctypes.byref(opts))
        elif a.a:
            out = libns.call(libns.lib.ns_cmd_vmcs12_all, s, ctypes.byref(opts), hint=TYPES_HINT)
        elif a.C:
            out = libns.call(libns.lib.ns_cmd_checks, s, vcpu, ctypes.byref(opts), hint=TYPES_HINT)
        elif a.D:
            out = libns.call(libns.lib.ns_cmd_diff, s, vcpu, ctypes.byref(opts), hint=TYPES_HINT)
        else:
            out = libns.call(libns.lib.ns_cmd_vmcs12, s, vcpu, ctypes.byref(opts), hint=TYPES_HINT)
        gdb.write(out)


class LoadedVmcs(gdb.Command):
    def __init__(self, name, is02):
        super().__init__(name, gdb.COMMAND_DATA)
        self.name, self.is02 = name, is02

    def invoke(self, arg, from_tty):
        p = _Parser(prog=self.name, add_help=False)
        p.add_argument("-L")
        p.add_argument("-j", "--json", action="store_true")
        p.add_argument("vcpu", nargs="?")
        a = p.parse_args(gdb.string_to_argv(arg))
        _need_kvm_symbols()
        gdb.write(libns.call(libns.lib.ns_cmd_loaded_vmcs, target.session(), a.vcpu.encode() if a.vcpu else None,
                             self.is02, ctypes.byref(_opts(a)), hint=TYPES_HINT))


class Vmcs02(LoadedVmcs):
    """Show the hardware VMCS KVM built to run a vCPU's L2.

Usage: vmcs02 [-L FILE] [-j|--json] [VCPU]

Decodes the vmcs02 region with the layout for its revision id (-L FILE, the
layout search path, or the built-in ones) and prints KVM's software copies of
its state: controls_shadow, host_state, and the register cache when the vCPU
is in L2."""

    def __init__(self):
        super().__init__("vmcs02", True)


class Vmcs01(LoadedVmcs):
    """Show the hardware VMCS KVM runs a vCPU's L1 with.

Usage: vmcs01 [-L FILE] [-j|--json] [VCPU]

As vmcs02, for vmcs01."""

    def __init__(self):
        super().__init__("vmcs01", False)


class Vmcs12Abi(gdb.Command):
    """Compare this kernel's struct vmcs12 with nestscope's built-in table.

Usage: vmcs12-abi [-j|--json]

struct vmcs12 is ABI (KVM_GET/SET_NESTED_STATE carry it across live
migration): offsets never move, new fields take former padding.  Each member
gdb lists for struct vmcs12 (kvm-intel.ko's debuginfo) is checked against the
table nestscope decodes vmcs12 with: every table member at the kernel's
offset and size, members the kernel added in former padding named (the
nested CET fields, 680..727, on 6.18+), table members an older kernel lacks
accepted where it has padding.  Ends with the verdict: compatible, or ABI
BREAK and what moved, was resized or overlaps.
  -j  JSON (schema nestscope/abi/1).
Needs kvm-intel.ko's debuginfo (kvm-symbols, or gdb kvm-intel.ko); no memory
is read."""

    def __init__(self):
        super().__init__("vmcs12-abi", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        p = _Parser(prog="vmcs12-abi", add_help=False)
        p.add_argument("-j", "--json", action="store_true")
        a = p.parse_args(gdb.string_to_argv(arg))
        try:
            t = gdb.lookup_type("struct vmcs12").strip_typedefs()
        except gdb.error:
            raise gdb.GdbError("vmcs12-abi: struct vmcs12 is not known: load kvm-intel.ko's debuginfo "
                               "(kvm-symbols [DIR])") from None
        members = [(f.name, f.bitpos // 8, f.type.sizeof) for f in t.fields() if f.name]
        try:
            release = gdb.parse_and_eval("init_uts_ns.name.release").string()
        except (gdb.error, gdb.MemoryError):
            release = None  # no vmlinux, or no memory: the release is not known
        text, _breaks = libns.vmcs12_abi(members, t.sizeof, release, "gdb's types", a.json)
        gdb.write(text)


# ---- debuginfo of the KVM modules, the lx-symbols way ----

def _list_entries(head, typ, member):
    """The entries of a kernel list_head (bounded: a dump's list may be cyclic or broken)."""
    ptr_t = typ.pointer()
    off = next(f.bitpos // 8 for f in typ.fields() if f.name == member)
    node, first = head["next"], int(head.address)
    for _ in range(100000):
        if int(node) == first:
            return
        yield (node.cast(gdb.lookup_type("char").pointer()) - off).cast(ptr_t).dereference()
        node = node["next"]
    raise gdb.GdbError("the module list does not come back to its head")


def _sections(mod):
    """A module's section name -> address, from module->sect_attrs.

    Up to 6.13 sect_attrs counts its attrs[] (nsections); from 6.14 it is a
    NULL-terminated grp.bin_attrs array whose entries keep the address in
    .private, as the kernel's own lx-symbols reads it."""
    attrs = mod["sect_attrs"]
    out = {}
    if not any(f.name == "nsections" for f in attrs.dereference().type.fields()):
        bins = attrs["grp"]["bin_attrs"]
        for i in range(4096):
            if int(bins[i]) == 0:
                return out
            a = bins[i].dereference()
            out[a["attr"]["name"].string()] = int(a["private"])
        raise gdb.GdbError("kvm-symbols: a module's section list does not end: corrupt sect_attrs")
    for i in range(int(attrs["nsections"])):
        a = attrs["attrs"][i]
        try:
            name = a["battr"]["attr"]["name"].string()  # 5.8 and later
        except gdb.error:
            name = a["name"].string()
        out[name] = int(a["address"])
    return out


class KvmSymbols(gdb.Command):
    """Load the debuginfo of the KVM modules in the target (kvm, kvm_intel).

Usage: kvm-symbols [DIR]

The types nestscope walks (struct kvm, vcpu_vmx, nested_vmx, vmcs12) live in
the modules, not in vmlinux.  Like the kernel's lx-symbols, this walks the
kernel's module list, finds kvm.ko and kvm-intel.ko under DIR (default: where
Debian's linux-image-*-dbg installs them, /usr/lib/debug/lib/modules/RELEASE)
and runs add-symbol-file with each module's section addresses, read from
module->sect_attrs.  Needs vmlinux's debuginfo loaded (file vmlinux)."""

    def __init__(self):
        super().__init__("kvm-symbols", gdb.COMMAND_FILES, gdb.COMPLETE_FILENAME)

    def invoke(self, arg, from_tty):
        args = gdb.string_to_argv(arg)
        try:
            release = gdb.parse_and_eval("init_uts_ns.name.release").string()
            mod_t = gdb.lookup_type("struct module")
            head = gdb.parse_and_eval("modules")
        except (gdb.error, gdb.MemoryError) as e:
            raise gdb.GdbError(f"kvm-symbols: needs vmlinux's debuginfo and the kernel's memory ({e})")
        top = args[0] if args else f"/usr/lib/debug/lib/modules/{release}"
        files = {}
        for root, _dirs, names in os.walk(top):
            for n in names:
                if n in ("kvm.ko", "kvm-intel.ko", "kvm-amd.ko"):
                    files[n[:-3].replace("-", "_")] = os.path.join(root, n)
        loaded = []
        for mod in _list_entries(head, mod_t, "list"):
            name = mod["name"].string()
            if name not in ("kvm", "kvm_intel", "kvm_amd"):
                continue
            if name not in files:
                raise gdb.GdbError(f"kvm-symbols: no {name.replace('_', '-')}.ko under {top}; "
                                   f"install linux-image-{release}-dbg or give its modules directory")
            secs = _sections(mod)
            cmd = f"add-symbol-file {files[name]} {secs.get('.text', 0):#x} " + " ".join(
                f"-s {s} {a:#x}" for s, a in sorted(secs.items()) if s != ".text" and a)
            confirm = gdb.parameter("confirm")
            gdb.execute("set confirm off")
            try:
                gdb.execute(cmd, to_string=True)
            finally:
                gdb.execute(f"set confirm {'on' if confirm else 'off'}")
            loaded.append(f"{name} (.text {secs.get('.text', 0):#x})")
        target.forget()
        gdb.write(("loaded " + ", ".join(loaded) if loaded else "no KVM module is loaded in the target") + "\n")


def register():
    for c in (Kvm, Vmcs12, Vmcs02, Vmcs01, Vmcs12Abi, KvmSymbols):
        c()
    gdb.events.new_objfile.connect(lambda _e: target.forget())
