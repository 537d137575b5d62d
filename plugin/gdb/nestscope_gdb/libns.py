"""libnestscope through ctypes: the structures the session API takes, and
calls that return the rendered text or raise gdb.GdbError with the core's
one-line error.  Nothing is decoded in Python."""
import ctypes
import os

import gdb

HERE = os.path.dirname(os.path.abspath(__file__))
# build tree (plugin/gdb/nestscope_gdb -> build/), then the install (share/nestscope/gdb/nestscope_gdb -> lib/)
CANDIDATES = [os.environ.get("NESTSCOPE_LIB", ""),
              os.path.join(HERE, "..", "..", "..", "build", "libnestscope.so"),
              os.path.join(HERE, "..", "..", "..", "..", "lib", "libnestscope.so"),
              "libnestscope.so"]


def _load():
    for path in CANDIDATES:
        if not path:
            continue
        try:
            return ctypes.CDLL(os.path.normpath(path) if os.sep in path else path)
        except OSError:
            continue
    raise gdb.GdbError("nestscope: libnestscope.so not found; build it (make) or set NESTSCOPE_LIB")


lib = _load()

READ = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t)
MEMBER = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)
SYMBOL = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_char_p)
TYPESIZE = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_char_p)
WRITE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)


class Target(ctypes.Structure):
    """struct ns_target: memory and types, from gdb."""
    _fields_ = [("ctx", ctypes.c_void_p), ("read", READ), ("member_offset", MEMBER),
                ("member_size", MEMBER), ("symbol", SYMBOL), ("type_size", TYPESIZE)]


class Out(ctypes.Structure):
    """struct ns_out: where the core renders."""
    _fields_ = [("write", WRITE), ("ctx", ctypes.c_void_p)]


class Error(ctypes.Structure):
    """struct ns_error: a code and one line."""
    _fields_ = [("code", ctypes.c_int), ("msg", ctypes.c_char * 320)]


class CmdOpts(ctypes.Structure):
    """struct ns_cmd_opts: what vmcs12/vmcs02/vmcs01 were asked for."""
    _fields_ = [("sections", ctypes.c_uint), ("all", ctypes.c_bool), ("force", ctypes.c_bool),
                ("json", ctypes.c_bool), ("layout_file", ctypes.c_char_p), ("copy", ctypes.c_int)]


class AbiMember(ctypes.Structure):
    """struct ns_abi_member: one member of the kernel's struct vmcs12."""
    _fields_ = [("name", ctypes.c_char_p), ("offset", ctypes.c_uint64), ("size", ctypes.c_int64)]


NS_OK, NS_ERR_ARG, NS_ERR_TYPES = 0, -5, -6
SECT_GUEST, SECT_HOST, SECT_CTRL, SECT_EXIT = 1, 2, 4, 8
COPIES = {"cached": 0, "shadow": 1, "memory": 2}
DATADIR = os.path.normpath(os.path.join(HERE, "..", ".."))  # the install's share/nestscope

P = ctypes.c_void_p
for name, args in {
        "ns_session_new": [ctypes.POINTER(Target), ctypes.c_char_p],
        "ns_session_ready": [P, ctypes.c_bool, ctypes.POINTER(Error)],
        "ns_cmd_kvm": [P, ctypes.c_bool, ctypes.c_bool, ctypes.POINTER(Out), ctypes.POINTER(Error)],
        "ns_cmd_vmcs12": [P, ctypes.c_char_p, ctypes.POINTER(CmdOpts), ctypes.POINTER(Out), ctypes.POINTER(Error)],
        "ns_cmd_vmcs12_all": [P, ctypes.POINTER(CmdOpts), ctypes.POINTER(Out), ctypes.POINTER(Error)],
        "ns_cmd_vmcs12_at": [P, ctypes.c_uint64, ctypes.c_char_p, ctypes.POINTER(CmdOpts), ctypes.POINTER(Out),
                             ctypes.POINTER(Error)],
        "ns_cmd_checks": [P, ctypes.c_char_p, ctypes.POINTER(CmdOpts), ctypes.POINTER(Out), ctypes.POINTER(Error)],
        "ns_cmd_diff": [P, ctypes.c_char_p, ctypes.POINTER(CmdOpts), ctypes.POINTER(Out), ctypes.POINTER(Error)],
        "ns_cmd_loaded_vmcs": [P, ctypes.c_char_p, ctypes.c_bool, ctypes.POINTER(CmdOpts), ctypes.POINTER(Out),
                               ctypes.POINTER(Error)],
        "ns_cmd_region": [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p,
                          ctypes.POINTER(CmdOpts), ctypes.POINTER(Out), ctypes.POINTER(Error)],
        "ns_vmcs12_field": [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint64),
                            ctypes.POINTER(Error)],
        "ns_cmd_vmcs12_abi": [ctypes.POINTER(AbiMember), ctypes.c_size_t, ctypes.c_uint64, ctypes.c_char_p,
                              ctypes.c_char_p, ctypes.c_bool, ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(Out),
                              ctypes.POINTER(Error)],
}.items():
    getattr(lib, name).argtypes = args
    getattr(lib, name).restype = ctypes.c_int
lib.ns_session_new.restype = P
lib.ns_session_free.argtypes = [P]
lib.ns_session_free.restype = None


def _b(s):
    return s.encode() if isinstance(s, str) else s


def call(fn, *args, hint=None):
    """Runs one core command; returns what it rendered, or raises its error line."""
    chunks = []

    def write(_ctx, s, n):
        chunks.append(ctypes.string_at(s, n))
    out = Out(WRITE(write), None)
    err = Error()
    rc = fn(*[_b(a) for a in args], ctypes.byref(out), ctypes.byref(err))
    text = b"".join(chunks).decode(errors="replace")
    if rc != NS_OK:
        msg = err.msg.decode(errors="replace")
        if rc == NS_ERR_TYPES and hint:
            msg += "; " + hint
        raise gdb.GdbError(text + msg if text else msg)
    return text


def region(buf, label, opts):
    """Bytes read by the front end, decoded as a vmcs12, hardware VMCS or nested-state blob."""
    return call(lambda *a: lib.ns_cmd_region(buf, len(buf), *a), label, DATADIR.encode(), ctypes.byref(opts))


def vmcs12_abi(members, size, release, origin, json):
    """members: (name, offset, size) of the kernel's struct vmcs12; the check rendered, and the number of breaks."""
    names = [_b(m[0]) for m in members]  # kept alive for the call
    arr = (AbiMember * max(len(members), 1))(*[AbiMember(n, off, sz) for n, (_, off, sz) in zip(names, members)])
    breaks = ctypes.c_uint()
    text = call(lambda *a: lib.ns_cmd_vmcs12_abi(arr, len(members), size, *a), release, origin, json,
                ctypes.byref(breaks))
    return text, breaks.value


def vmcs12_field(buf, name):
    value = ctypes.c_uint64()
    err = Error()
    if lib.ns_vmcs12_field(buf, len(buf), _b(name), ctypes.byref(value), ctypes.byref(err)) != NS_OK:
        raise gdb.GdbError(err.msg.decode(errors="replace"))
    return value.value
