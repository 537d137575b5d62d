"""The kernel under gdb as a struct ns_target (memory through the inferior,
types and symbols through gdb's symbol tables) and a struct ns_frontend
(gdb's expressions, QEMU's gdbstub for physical memory, struct vmcs12's
members).  Only reads: nothing here writes target memory or registers; the
stub's memory mode is put back as it was."""
import ctypes
import re

import gdb

from . import libns


def _find_member(t, name, base=0):
    """(bit offset, field) of a direct member, looking into anonymous structs and unions."""
    for f in t.fields():
        if f.name == name:
            return base + f.bitpos, f
        if f.name is None and f.type.strip_typedefs().code in (gdb.TYPE_CODE_STRUCT, gdb.TYPE_CODE_UNION):
            found = _find_member(f.type.strip_typedefs(), name, base + f.bitpos)
            if found:
                return found
    return None


def _struct(name):
    try:
        return gdb.lookup_type("struct " + name).strip_typedefs()
    except gdb.error:
        return None


def _read(_ctx, addr, buf, n):
    try:
        data = gdb.selected_inferior().read_memory(addr, n)
    except (gdb.MemoryError, gdb.error, OverflowError):
        return False
    ctypes.memmove(buf, bytes(data), n)
    return True


def _member_offset(_ctx, typ, member):
    t = _struct(typ.decode())
    found = t and _find_member(t, member.decode())
    return found[0] // 8 if found else -1


def _member_size(_ctx, typ, member):
    t = _struct(typ.decode())
    found = t and _find_member(t, member.decode())
    return found[1].type.sizeof if found else -1


def _symbol(_ctx, name):
    try:
        return int(gdb.parse_and_eval("(unsigned long)&" + name.decode()))
    except gdb.error:
        return 0


def _type_size(_ctx, typ):
    t = _struct(typ.decode())
    return t.sizeof if t else -1


def read_region(addr, sizes):
    """The bytes at addr for the first of sizes that reads whole (a 4 KiB region, else the struct)."""
    inf = gdb.selected_inferior()
    for n in sizes:
        try:
            return bytes(inf.read_memory(addr, n))
        except gdb.MemoryError:
            continue
    return None


def _eval(_ctx, expr, value):
    """An address the user typed: a symbol is its address, as in crash; else a gdb expression
    (vmx->nested.cached_vmcs12, $rdi + 0x40, ...)."""
    text = expr.decode()
    if text.isidentifier() and _symbol(None, expr):
        value[0] = _symbol(None, expr)
        return True
    try:
        value[0] = int(gdb.parse_and_eval(text).cast(gdb.lookup_type("unsigned long")))
        return True
    except (gdb.error, gdb.MemoryError, OverflowError):
        return False


def _phymem_mode():
    """QEMU's gdbstub memory mode ("0" virtual, "1" physical), or None when the stub has none."""
    try:
        reply = gdb.execute("maint packet qqemu.PhyMemMode", to_string=True)
    except gdb.error:
        return None
    m = re.search(r'received: "(.*)"', reply)
    return m.group(1) if m and m.group(1) in ("0", "1") else None


# why the last physical read failed, when the reason is the target's and not the address's (the core's
# error line names the address; the commands add this)
phys_why = None


def _read_phys(_ctx, pa, buf, n):
    """Physical memory through QEMU's gdbstub (an L1 guest hypervisor's guest-physical memory)."""
    global phys_why
    before = _phymem_mode()
    if before is None:
        phys_why = "-p needs QEMU's gdbstub (this target does not answer qqemu.PhyMemMode)"
        return False
    try:
        if before != "1":
            gdb.execute("maint packet Qqemu.PhyMemMode:1", to_string=True)
        data = bytes(gdb.selected_inferior().read_memory(pa, n))
    except (gdb.MemoryError, gdb.error):
        return False
    finally:
        if before != "1":
            gdb.execute(f"maint packet Qqemu.PhyMemMode:{before}", to_string=True)
        # what gdb cached under one mode must not answer reads in the other
        gdb.execute("maint flush dcache", to_string=True)
    ctypes.memmove(buf, data, n)
    return True


def _current_pid(_ctx):
    """gdb's threads on a kernel dump or stub are CPUs, not processes: no context (documented default)."""
    return -1


_names = []  # the member names the core holds during a vmcs12-abi call


def _vmcs12_members(_ctx, m, cap, size):
    """struct vmcs12's members as gdb lists them (kvm-intel.ko's debuginfo), and its size."""
    try:
        t = gdb.lookup_type("struct vmcs12").strip_typedefs()
    except gdb.error:
        return -1
    members = [(f.name, f.bitpos // 8, f.type.sizeof) for f in t.fields() if f.name][:cap]
    _names[:] = [name.encode() for name, _, _ in members]
    for i, ((_, off, sz), name) in enumerate(zip(members, _names)):
        m[i] = libns.AbiMember(name, off, sz)
    size[0] = t.sizeof
    return len(members)


# the callbacks must live as long as the session that calls them
_callbacks = (libns.READ(_read), libns.MEMBER(_member_offset), libns.MEMBER(_member_size),
              libns.SYMBOL(_symbol), libns.TYPESIZE(_type_size))
target = libns.Target(None, *_callbacks)
_fe_callbacks = (libns.EVAL(_eval), libns.READ(_read_phys), libns.PID(_current_pid), libns.MEMBERS(_vmcs12_members))
# gdb reads physical memory only through QEMU's gdbstub: an L1 guest hypervisor's guest-physical memory
frontend = libns.Frontend(None, *_fe_callbacks, None, b"gdb's types", b"L1 guest-physical")
_session = None


def session():
    """The one session (offsets are resolved once, again while kvm_intel's types are missing)."""
    global _session
    if _session is None:
        _session = libns.lib.ns_session_new(ctypes.byref(target), libns.DATADIR.encode())
        if not _session:
            raise gdb.GdbError("nestscope: out of memory")
    return _session


def release():
    """The target kernel's release (vmlinux's init_uts_ns), or None without vmlinux or memory."""
    try:
        return gdb.parse_and_eval("init_uts_ns.name.release").string()
    except (gdb.error, gdb.MemoryError):
        return None


def forget():
    """New symbols or a new inferior: resolve the offsets again."""
    global _session
    if _session is not None:
        libns.lib.ns_session_free(_session)
    _session = None
