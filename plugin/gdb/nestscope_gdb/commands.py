"""The gdb commands: the core's (kvm, vmcs12, vmcs02, vmcs01, vmcs12-abi: their
grammar and help are libnestscope's, commands.def), and kvm-symbols to load the
KVM modules' debuginfo, the lx-symbols way."""
import os

import gdb

from . import libns, target

TYPES_HINT = "load them with: kvm-symbols [DEBUG_MODULES_DIR]"


class CoreCommand(gdb.Command):
    """One of the core's commands: the argument vector goes to its grammar as typed."""

    def __init__(self, name):
        self.name = name
        self.__doc__ = libns.help_text(name).rstrip("\n")
        super().__init__(name, gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        fe = target.frontend
        rel = target.release() if self.name == "vmcs12-abi" else None
        fe.release = rel.encode() if rel else None
        target.phys_why = None
        try:
            out = libns.command(target.session(), fe, [self.name] + gdb.string_to_argv(arg), hint=TYPES_HINT)
        except gdb.GdbError as e:
            if target.phys_why:
                raise gdb.GdbError(f"{e}: {target.phys_why}") from None
            raise
        gdb.write(out)


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
    for name in libns.commands():
        CoreCommand(name)
    KvmSymbols()
    gdb.events.new_objfile.connect(lambda _e: target.forget())
