"""The kernel under gdb as a struct ns_target: memory through the inferior,
types and symbols through gdb's symbol tables.  Only reads: nothing here
writes target memory or registers."""
import ctypes

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


# the callbacks must live as long as the session that calls them
_callbacks = (libns.READ(_read), libns.MEMBER(_member_offset), libns.MEMBER(_member_size),
              libns.SYMBOL(_symbol), libns.TYPESIZE(_type_size))
target = libns.Target(None, *_callbacks)
_session = None


def session():
    """The one session (offsets are resolved once, again while kvm_intel's types are missing)."""
    global _session
    if _session is None:
        _session = libns.lib.ns_session_new(ctypes.byref(target), libns.DATADIR.encode())
        if not _session:
            raise gdb.GdbError("nestscope: out of memory")
    return _session


def forget():
    """New symbols or a new inferior: resolve the offsets again."""
    global _session
    if _session is not None:
        libns.lib.ns_session_free(_session)
    _session = None
