"""libnestscope through ctypes: the callbacks a front end gives the core
(memory, types, output) and the core's one command grammar.  Commands,
options and help text are the core's (commands.def); nothing is parsed or
decoded in Python.  The declarations below are the core's ABI version
NS_ABI_VERSION (command.h): a library of another version is refused."""
import ctypes
import os

import gdb

ABI_VERSION = 1  # NS_ABI_VERSION in decoders/include/nestscope/command.h

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
            found = ctypes.CDLL(os.path.normpath(path) if os.sep in path else path)
        except OSError:
            continue
        try:
            version = found.ns_abi_version()
        except AttributeError:
            version = 0
        if version != ABI_VERSION:
            raise gdb.GdbError(f"nestscope: {path} has ABI version {version}, this package wants {ABI_VERSION}: "
                               "use the libnestscope.so built with it (NESTSCOPE_LIB)")
        return found
    raise gdb.GdbError("nestscope: libnestscope.so not found; build it (make) or set NESTSCOPE_LIB")


lib = _load()

READ = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t)
MEMBER = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)
SYMBOL = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_char_p)
TYPESIZE = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_char_p)
WRITE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
EVAL = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint64))
PID = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)


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


class AbiMember(ctypes.Structure):
    """struct ns_abi_member: one member of the kernel's struct vmcs12."""
    _fields_ = [("name", ctypes.c_char_p), ("offset", ctypes.c_uint64), ("size", ctypes.c_int64)]


MEMBERS = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.POINTER(AbiMember), ctypes.c_size_t,
                           ctypes.POINTER(ctypes.c_uint64))


class Frontend(ctypes.Structure):
    """struct ns_frontend: what only the debugger knows (expressions, physical memory, context)."""
    _fields_ = [("ctx", ctypes.c_void_p), ("eval", EVAL), ("read_phys", READ), ("current_pid", PID),
                ("vmcs12_members", MEMBERS), ("release", ctypes.c_char_p), ("types_origin", ctypes.c_char_p)]


# enum ns_errcode: the codes a front end acts on
NS_OK, NS_ERR_TYPES, NS_ERR_KVM_TYPES = 0, -6, -11
NS_HELP_TEXT = 0
DATADIR = os.path.normpath(os.path.join(HERE, "..", ".."))  # the install's share/nestscope

P = ctypes.c_void_p
for name, args in {
        "ns_session_new": [ctypes.POINTER(Target), ctypes.c_char_p],
        "ns_command": [P, ctypes.POINTER(Frontend), ctypes.c_int, ctypes.POINTER(ctypes.c_char_p),
                       ctypes.POINTER(Out), ctypes.POINTER(Error)],
        "ns_command_help": [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(Out), ctypes.POINTER(Error)],
        "ns_region_text": [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_char_p,
                           ctypes.POINTER(Out), ctypes.POINTER(Error)],
        "ns_vmcs12_field": [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint64),
                            ctypes.POINTER(Error)],
}.items():
    getattr(lib, name).argtypes = args
    getattr(lib, name).restype = ctypes.c_int
lib.ns_session_new.restype = P
lib.ns_session_free.argtypes = [P]
lib.ns_session_free.restype = None
lib.ns_command_name.argtypes = [ctypes.c_size_t]
lib.ns_command_name.restype = ctypes.c_char_p


def _b(s):
    return s.encode() if isinstance(s, str) else s


def _call(fn, *args):
    """Runs fn(*args, out, err); (rc, rendered text, error line)."""
    chunks = []

    def write(_ctx, s, n):
        chunks.append(ctypes.string_at(s, n))
    out = Out(WRITE(write), None)
    err = Error()
    rc = fn(*args, ctypes.byref(out), ctypes.byref(err))
    return rc, b"".join(chunks).decode(errors="replace"), err.msg.decode(errors="replace")


def commands():
    """The names of the core's commands, in its table's order."""
    names, i = [], 0
    while (n := lib.ns_command_name(i)) is not None:
        names.append(n.decode())
        i += 1
    return names


def help_text(name):
    return _call(lib.ns_command_help, _b(name), NS_HELP_TEXT)[1]


def command(session, frontend, argv, hint=None):
    """One command line through the core's grammar; returns what it rendered, or raises its error line."""
    arr = (ctypes.c_char_p * len(argv))(*[_b(a) for a in argv])
    rc, text, msg = _call(lib.ns_command, session, ctypes.byref(frontend), len(argv), arr)
    if rc != NS_OK:
        if rc in (NS_ERR_TYPES, NS_ERR_KVM_TYPES) and hint:
            msg += "; " + hint
        raise gdb.GdbError(text + msg if text else msg)
    return text


def region(buf, label):
    """Bytes read by the front end, decoded as a vmcs12, hardware VMCS or nested-state blob."""
    rc, text, msg = _call(lib.ns_region_text, buf, len(buf), _b(label), DATADIR.encode())
    if rc != NS_OK:
        raise gdb.GdbError(msg)
    return text


def vmcs12_field(buf, name):
    value = ctypes.c_uint64()
    err = Error()
    if lib.ns_vmcs12_field(buf, len(buf), _b(name), ctypes.byref(value), ctypes.byref(err)) != NS_OK:
        raise gdb.GdbError(err.msg.decode(errors="replace"))
    return value.value
