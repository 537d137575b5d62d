"""A drgn Program as a struct ns_target (memory through prog.read, types and
symbols through drgn's debug info) and a struct ns_frontend (Python
expressions, physical memory, struct vmcs12's members), for the core's
commands.  Only reads: nothing here writes the program's memory.

drgn 0.0.22 (Debian 12) finds loaded modules through struct module's
core_layout, which Linux 6.4 replaced (mem[]): on newer kernels it loads
kvm.ko's types but leaves the module's symbols at their unrelocated section
offsets.  A symbol in that state is looked up instead in the module's own
symbol table in kernel memory (module->kallsyms), by the core."""
import ctypes
import os
import sys

import drgn

# build tree: plugin/drgn/nestscope_drgn -> plugin/python; install: share/nestscope/drgn/nestscope_drgn ->
# share/nestscope/python (the ctypes layer the gdb package uses too)
sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python")))

import nestscope_abi  # noqa: E402
from nestscope_abi import NestscopeError  # noqa: E402,F401

# every x86-64 kernel address is in the upper canonical half (bit 63 set); an unrelocated module symbol,
# a small section offset, is not
KERNEL_HALF = 1 << 63
# the size of a VMCS region (VMCS12_SIZE in KVM): what -r and the helpers read
VMCS_REGION = 4096

_core = None


def core():
    """The loaded libnestscope (once per process)."""
    global _core
    if _core is None:
        _core = nestscope_abi.Core()
        lib = _core.lib
        # locate.h: a module's symbol from its kallsyms, for drgn 0.0.22 on 6.4+ (above)
        lib.ns_module_symbol.argtypes = [ctypes.POINTER(nestscope_abi.Target), ctypes.c_char_p,
                                         ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(nestscope_abi.Error)]
        lib.ns_module_symbol.restype = ctypes.c_int
    return _core


def _struct(prog, name):
    try:
        return prog.type("struct " + name)
    except LookupError:
        return None


def _sizeof(t):
    """A type's size; 0 for an incomplete array (a flexible array member), as gdb says."""
    try:
        return drgn.sizeof(t)
    except TypeError:
        return 0


class DrgnTarget:
    """The callbacks for one Program, and the core session on them (offsets resolved once)."""

    def __init__(self, prog):
        self.prog = prog
        self.globals = None  # the Python names an address operand may use (a command's globals)
        self.phys_why = None
        self.symbol_why = None  # why a module symbol drgn left unrelocated was not found in kallsyms either
        self._names = []  # the member names the core holds during a vmcs12-abi call
        self._callbacks = (nestscope_abi.READ(self._read), nestscope_abi.MEMBER(self._member_offset),
                           nestscope_abi.MEMBER(self._member_size), nestscope_abi.SYMBOL(self._symbol),
                           nestscope_abi.TYPESIZE(self._type_size))
        self.target = nestscope_abi.Target(None, *self._callbacks)
        self._fe_callbacks = (nestscope_abi.EVAL(self._eval), nestscope_abi.READ(self._read_phys),
                              nestscope_abi.PID(self._current_pid), nestscope_abi.MEMBERS(self._vmcs12_members))
        self.frontend = nestscope_abi.Frontend(None, *self._fe_callbacks, None, b"drgn's types")
        self._session = None

    # ---- struct ns_target ----

    def _read(self, _ctx, addr, buf, n):
        try:
            data = self.prog.read(addr, n)
        except (drgn.FaultError, ValueError, OverflowError):
            return False
        ctypes.memmove(buf, data, n)
        return True

    def _member(self, typ, member):
        t = _struct(self.prog, typ.decode())
        try:
            return t.member(member.decode()) if t else None  # looks into anonymous structs and unions
        except (LookupError, TypeError):
            return None

    def _member_offset(self, _ctx, typ, member):
        m = self._member(typ, member)
        return m.bit_offset // 8 if m else -1

    def _member_size(self, _ctx, typ, member):
        m = self._member(typ, member)
        return _sizeof(m.type) if m else -1

    def _symbol(self, _ctx, name):
        return self.symbol(name.decode())

    def _type_size(self, _ctx, typ):
        t = _struct(self.prog, typ.decode())
        return _sizeof(t) if t else -1

    def symbol(self, name):
        """A kernel symbol's address, 0 when there is none."""
        addr = 0
        try:
            addr = self.prog.object(name).address_ or 0
        except (LookupError, ValueError):
            try:
                addr = self.prog.symbol(name).address
            except (LookupError, ValueError):
                return 0
        if addr and addr < KERNEL_HALF:
            found = ctypes.c_uint64()
            err = nestscope_abi.Error()
            if core().lib.ns_module_symbol(ctypes.byref(self.target), name.encode(), ctypes.byref(found),
                                           ctypes.byref(err)) != nestscope_abi.NS_OK:
                self.symbol_why = (f"drgn did not relocate {name} (at {addr:#x}) and the module's kallsyms "
                                   f"do not give it: {err.msg.decode(errors='replace')}")
                return 0
            addr = found.value
        return addr

    # ---- struct ns_frontend ----

    def _eval(self, _ctx, expr, value):
        """An address the user typed: a symbol is its address, as in crash; else a Python expression in the
        command's globals (a drgn Object: a pointer's value, a variable's address; or an int)."""
        text = expr.decode()
        if text.isidentifier() and self.symbol(text):
            value[0] = self.symbol(text)
            return True
        if self.globals is None:
            return False
        try:
            v = eval(text, self.globals, {"prog": self.prog})  # the user's own expression, in their own session
            if isinstance(v, drgn.Object):
                from . import _address
                v = _address(v)
            value[0] = int(v)
            return True
        except Exception:  # any error in the user's expression means: not an address
            return False

    def _read_phys(self, _ctx, pa, buf, n):
        """The target's physical memory: on a kernel dump, the host's."""
        try:
            data = self.prog.read(pa, n, True)
        except (drgn.FaultError, ValueError, OverflowError) as e:
            self.phys_why = str(e)
            return False
        ctypes.memmove(buf, data, n)
        return True

    def _current_pid(self, _ctx):
        """drgn has no crash-like current context: none (the documented default)."""
        return -1

    def _vmcs12_members(self, _ctx, m, cap, size):
        """struct vmcs12's members as drgn lists them (kvm-intel.ko's debuginfo), and its size."""
        t = _struct(self.prog, "vmcs12")
        if t is None:
            return -1
        members = [(f.name, f.bit_offset // 8, _sizeof(f.type)) for f in t.members if f.name][:cap]
        self._names[:] = [name.encode() for name, _, _ in members]
        for i, ((_, off, sz), name) in enumerate(zip(members, self._names)):
            m[i] = nestscope_abi.AbiMember(name, off, sz)
        size[0] = _sizeof(t)
        return len(members)

    # ---- the session ----

    def release(self):
        """The kernel's release (init_uts_ns), or None."""
        try:
            return self.prog["init_uts_ns"].name.release.string_().decode()
        except (LookupError, drgn.FaultError):
            return None

    def session(self):
        if self._session is None:
            self._session = core().session(self.target)
        return self._session

    def forget(self):
        """New debug info: resolve the offsets again."""
        if self._session is not None:
            core().free(self._session)
        self._session = None

    def command(self, argv, hint=None, globals=None):
        """One command line through the core; its text, or NestscopeError with the core's line."""
        rel = self.release() if argv and argv[0] == "vmcs12-abi" else None
        self.frontend.release = rel.encode() if rel else None
        self.globals, self.phys_why, self.symbol_why = globals, None, None
        try:
            return core().command(self.session(), self.frontend, list(argv))
        except NestscopeError as e:
            if self.phys_why:
                raise NestscopeError(f"{e}: {self.phys_why}", e.code) from None
            if e.code in (nestscope_abi.NS_ERR_TYPES, nestscope_abi.NS_ERR_KVM_TYPES):
                # missing types: what to load; unless the types are there and the kernel's memory is what fails
                raise NestscopeError(f"{e}; {self.symbol_why or hint}" if self.symbol_why or hint else str(e),
                                     e.code) from None
            raise
        finally:
            self.globals = None


def prog_target(prog):
    """The DrgnTarget of prog, made once and kept in prog.cache."""
    t = prog.cache.get("nestscope")
    if t is None:
        t = prog.cache["nestscope"] = DrgnTarget(prog)
    return t
