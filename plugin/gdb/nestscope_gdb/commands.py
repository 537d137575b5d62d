"""The gdb commands: the core's (kvm, vmcs12, vmcs02, vmcs01, vmcs12-abi: their
grammar and help are libnestscope's, commands.def), and kvm-symbols to load the
KVM modules' debuginfo, the lx-symbols way.  A failing command is one gdb error
line (gdb.GdbError), never a Python traceback; completion offers a command's
options (the core's table, as its help lists them) and the target's vCPUs."""
import functools
import json
import os

import gdb

from . import libns, target

TYPES_HINT = "load them with: kvm-symbols [DEBUG_MODULES_DIR]"
VCPU_OPERAND = "VCPU"  # commands.def's name of the operand that is a vCPU
FILE_ARGUMENT = "FILE"  # ... and of an option's argument that is a file


def one_line(name):
    """invoke() whose gdb, memory and file errors are one error line naming the command, not a traceback."""
    def wrap(invoke):
        @functools.wraps(invoke)
        def run(self, arg, from_tty):
            try:
                return invoke(self, arg, from_tty)
            except gdb.GdbError:
                raise
            except (gdb.error, OSError, ValueError) as e:  # gdb.MemoryError is a gdb.error
                raise gdb.GdbError(f"{name}: {e}") from None
        return run
    return wrap


def vcpus():
    """The target's vCPUs as the VCPU operand takes them: each VM's pid and each vCPU's PID:INDEX, from the
    core's kvm -v -j; none when the walk cannot run (no types yet, no memory)."""
    fe = target.frontend
    fe.release = None
    try:
        out = libns.command(target.session(), fe, ["kvm", "-v", "-j"])
        doc = json.loads(next(line for line in out.splitlines() if line.startswith("{")))
    except (gdb.GdbError, gdb.error, StopIteration, ValueError):
        return []
    ids = []
    for vm in doc.get("vms", []):
        ids.append(str(vm["pid"]))
        ids += [f"{vm['pid']}:{c['index']}" for c in vm.get("vcpus") or []]
    return ids


def _files(cur):
    """The paths that complete cur (a directory with its '/').  Not gdb.COMPLETE_FILENAME: gdb 13 hands that
    completer the whole line after the command, so it finds nothing after an option."""
    d, base = os.path.split(cur)
    try:
        names = os.listdir(os.path.expanduser(d) or ".")
    except OSError:
        return []
    return [os.path.join(d, n) + ("/" if os.path.isdir(os.path.join(os.path.expanduser(d) or ".", n)) else "")
            for n in names if n.startswith(base)]


def complete_argv(text, word, options, operand):
    """gdb's complete(text, word) for a command that takes options (the core's (letter, long name, argument)
    rows) and an operand: the options, or the argument's completer after one that takes a FILE, or the vCPUs
    where the operand is one."""
    words = text.split()
    cur = "" if not text or text[-1].isspace() else words[-1]
    before = words[:-1] if cur else words
    takes = {}
    for letter, lname, arg in options:
        takes[f"-{letter}"] = arg
        if lname:
            takes[f"--{lname}"] = arg
    if before and takes.get(before[-1]):
        found = _files(cur) if takes[before[-1]] == FILE_ARGUMENT else []
    else:
        found = [o for o in takes if o.startswith(cur)]
    if operand == VCPU_OPERAND and not cur.startswith("-") and not (before and takes.get(before[-1])):
        found += [v for v in vcpus() if v.startswith(cur)]
    # gdb replaces only `word`, what follows its last word-break character ('-' and ':' are ones); word is
    # None while gdb only asks which completer applies (its brkchars phase)
    cut = len(cur) - len(word) if word is not None else 0
    return sorted(c[cut:] for c in found)


class CoreCommand(gdb.Command):
    """One of the core's commands: the argument vector goes to its grammar as typed."""

    def __init__(self, name):
        self.name = name
        self.__doc__ = libns.help_text(name).rstrip("\n")
        super().__init__(name, gdb.COMMAND_DATA)

    def complete(self, text, word):
        return complete_argv(text, word, libns.options(self.name), libns.operand(self.name))

    def invoke(self, arg, from_tty):
        try:
            self._run(arg)
        except gdb.GdbError:
            raise
        except gdb.error as e:
            raise gdb.GdbError(f"{self.name}: {e}") from None

    def _run(self, arg):
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

    @one_line("kvm-symbols")
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
