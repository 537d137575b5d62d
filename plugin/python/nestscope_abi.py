"""libnestscope through ctypes, for the Python front ends (the gdb package and
the drgn package): the callbacks a front end gives the core (memory, types,
output) and the core's one command grammar.  Commands, options and help text
are the core's (commands.def); nothing is parsed or decoded in Python.

The declarations below are the core's ABI version NS_ABI_VERSION
(command.h): a library of another version is refused.  This module imports
no debugger: a front end fills a Target and a Frontend with its own
callbacks and turns NestscopeError into its own error type."""
import ctypes
import os

ABI_VERSION = 4  # NS_ABI_VERSION in decoders/include/nestscope/command.h

HERE = os.path.dirname(os.path.abspath(__file__))
# build tree (plugin/python -> build/), then the install (share/nestscope/python -> lib/), then the
# loader's path by the library's SONAME (a package's multiarch libdir; the Makefile's SONAME), then the
# development link
SONAME = "libnestscope.so.0"
CANDIDATES = [os.environ.get("NESTSCOPE_LIB", ""),
              os.path.join(HERE, "..", "..", "build", "libnestscope.so"),
              os.path.join(HERE, "..", "..", "..", "lib", SONAME),
              SONAME,
              "libnestscope.so"]
DATADIR = os.path.normpath(os.path.join(HERE, ".."))  # the install's share/nestscope


class NestscopeError(Exception):
    """One line from the core (or from loading it); the front end shows it as its own error.  code: the
    core's enum ns_errcode, when the core said it."""

    def __init__(self, msg, code=None):
        super().__init__(msg)
        self.code = code


def load():
    """libnestscope.so of this ABI version (NESTSCOPE_LIB, the build tree, the install, the loader's path)."""
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
            raise NestscopeError(f"nestscope: {path} has ABI version {version}, this package wants {ABI_VERSION}: "
                                 "use the libnestscope.so built with it (NESTSCOPE_LIB)")
        _declare(found)
        return found
    raise NestscopeError("nestscope: libnestscope.so not found; build it (make) or set NESTSCOPE_LIB")


READ = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t)
MEMBER = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)
SYMBOL = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_char_p)
TYPESIZE = ctypes.CFUNCTYPE(ctypes.c_long, ctypes.c_void_p, ctypes.c_char_p)
WRITE = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
EVAL = ctypes.CFUNCTYPE(ctypes.c_bool, ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint64))
PID = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p)


class Target(ctypes.Structure):
    """struct ns_target: memory and types, from the debugger."""
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
                ("vmcs12_members", MEMBERS), ("release", ctypes.c_char_p), ("types_origin", ctypes.c_char_p),
                ("phys_space", ctypes.c_char_p)]


# enum ns_errcode: the codes a front end acts on
NS_OK, NS_ERR_TYPES, NS_ERR_KVM_TYPES = 0, -6, -11
NS_HELP_TEXT = 0
# enum ns_nested_word's NS_NESTED_WORD_FLAGS and enum ns_nested_flags_style's NS_FLAGS_LIST (nested_state.h)
NS_NESTED_WORD_FLAGS, NS_FLAGS_LIST = 0, 1


def _declare(lib):
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
    C = ctypes.POINTER(ctypes.c_char_p)
    lib.ns_command_option.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char), C, C]
    lib.ns_command_option.restype = ctypes.c_bool
    lib.ns_command_operand.argtypes = [ctypes.c_char_p]
    lib.ns_command_operand.restype = ctypes.c_char_p
    lib.ns_vmcs12_slot.argtypes = [ctypes.c_size_t, C, C, C]
    lib.ns_vmcs12_slot.restype = ctypes.c_bool
    lib.ns_vmcs_section_key.argtypes = [ctypes.c_size_t]
    lib.ns_vmcs_section_key.restype = ctypes.c_char_p
    lib.ns_launch_state_str.argtypes = [ctypes.c_uint32]
    lib.ns_launch_state_str.restype = ctypes.c_char_p
    lib.ns_nested_flags_join.argtypes = [ctypes.c_int, ctypes.c_uint32, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
    lib.ns_nested_flags_join.restype = None
    lib.ns_vmcb_field_text.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                       ctypes.POINTER(ctypes.c_uint64), ctypes.c_char_p, ctypes.c_size_t,
                                       ctypes.POINTER(Error)]
    lib.ns_vmcb_field_text.restype = ctypes.c_int
    lib.ns_svm_value_text.argtypes = [ctypes.c_char_p, ctypes.c_uint64, ctypes.c_bool, ctypes.c_uint64,
                                      ctypes.c_char_p, ctypes.c_size_t]
    lib.ns_svm_value_text.restype = ctypes.c_size_t
    lib.ns_svm_exit_name.argtypes = [ctypes.c_uint64, ctypes.c_char_p, ctypes.c_size_t,
                                     ctypes.POINTER(ctypes.c_char_p)]
    lib.ns_svm_exit_name.restype = ctypes.c_bool


def _b(s):
    return s.encode() if isinstance(s, str) else s


class Core:
    """The loaded library and the calls a front end makes; errors are NestscopeError."""

    def __init__(self, lib=None):
        self.lib = lib or load()

    def _call(self, fn, *args):
        """Runs fn(*args, out, err); (rc, rendered text, error line)."""
        chunks = []

        def write(_ctx, s, n):
            chunks.append(ctypes.string_at(s, n))
        out = Out(WRITE(write), None)
        err = Error()
        rc = fn(*args, ctypes.byref(out), ctypes.byref(err))
        return rc, b"".join(chunks).decode(errors="replace"), err.msg.decode(errors="replace")

    @staticmethod
    def _listed(fn):
        """The strings fn(0), fn(1), ... give until the first NULL: how the core lists a table's names."""
        out, i = [], 0
        while (s := fn(i)) is not None:
            out.append(s.decode())
            i += 1
        return out

    def commands(self):
        """The names of the core's commands, in its table's order."""
        return self._listed(self.lib.ns_command_name)

    def options(self, name):
        """The options a command takes, as its synopsis and help list them: (letter, long name or None,
        argument name or None) each."""
        out, i = [], 0
        letter, lname, arg = ctypes.c_char(), ctypes.c_char_p(), ctypes.c_char_p()
        while self.lib.ns_command_option(_b(name), i, ctypes.byref(letter), ctypes.byref(lname), ctypes.byref(arg)):
            out.append((letter.value.decode(), lname.value and lname.value.decode(), arg.value and arg.value.decode()))
            i += 1
        return out

    def operand(self, name):
        """A command's positional argument's name ("VCPU"), "" when it takes none."""
        op = self.lib.ns_command_operand(_b(name))
        return op.decode() if op else ""

    def vmcs12_slots(self):
        """struct vmcs12's members in the core's table order: (member, VMCS field or None, section or None)."""
        out, i = [], 0
        member, field, section = ctypes.c_char_p(), ctypes.c_char_p(), ctypes.c_char_p()
        while self.lib.ns_vmcs12_slot(i, ctypes.byref(member), ctypes.byref(field), ctypes.byref(section)):
            out.append(tuple(x.value and x.value.decode() for x in (member, field, section)))
            i += 1
        return out

    def section_keys(self):
        """A decoded VMCS's sections in the text's (dump_vmcs()'s) order: "guest", "host", ..."""
        return self._listed(self.lib.ns_vmcs_section_key)

    def launch_state(self, value):
        """A vmcs12's launch_state word in words: "clear", "launched" or "invalid"."""
        return self.lib.ns_launch_state_str(value & 0xffffffff).decode()

    def nested_flags(self, mask):
        """struct kvm_nested_state's flags word as the core names its bits ("GUEST_MODE, RUN_PENDING")."""
        buf = ctypes.create_string_buffer(256)
        self.lib.ns_nested_flags_join(NS_NESTED_WORD_FLAGS, mask & 0xffff, NS_FLAGS_LIST, buf, len(buf))
        return buf.value.decode()

    def help_text(self, name):
        return self._call(self.lib.ns_command_help, _b(name), NS_HELP_TEXT)[1]

    def session(self, target):
        """A new session on target (a Target that must live as long as the session); free it with free()."""
        s = self.lib.ns_session_new(ctypes.byref(target), DATADIR.encode())
        if not s:
            raise NestscopeError("nestscope: out of memory")
        return s

    def free(self, session):
        self.lib.ns_session_free(session)

    def command(self, session, frontend, argv, hint=None):
        """One command line through the core's grammar; returns what it rendered, or raises its error line
        (after what it rendered before the error, if anything)."""
        arr = (ctypes.c_char_p * len(argv))(*[_b(a) for a in argv])
        rc, text, msg = self._call(self.lib.ns_command, session, ctypes.byref(frontend), len(argv), arr)
        if rc != NS_OK:
            if rc in (NS_ERR_TYPES, NS_ERR_KVM_TYPES) and hint:
                msg += "; " + hint
            raise NestscopeError(text + msg if text else msg, rc)
        return text

    def region(self, buf, label):
        """Bytes read by the front end, decoded as a vmcs12, hardware VMCS or nested-state blob."""
        rc, text, msg = self._call(self.lib.ns_region_text, buf, len(buf), _b(label), DATADIR.encode())
        if rc != NS_OK:
            raise NestscopeError(msg)
        return text

    def vmcs12_field(self, buf, name):
        value = ctypes.c_uint64()
        err = Error()
        if self.lib.ns_vmcs12_field(buf, len(buf), _b(name), ctypes.byref(value), ctypes.byref(err)) != NS_OK:
            raise NestscopeError(err.msg.decode(errors="replace"))
        return value.value

    # the VMCB's table (decoders/include/nestscope/vmcb_fields.def) and its decoders, for printers of struct vmcb
    # and struct vcpu_svm
    TEXT_MAX = 1024

    def vmcb_field(self, buf, name):
        """(value, its decoding as one line or "") of the VMCB field `name` (the table's or KVM's name) in buf,
        a VMCB's bytes from its start."""
        value = ctypes.c_uint64()
        text = ctypes.create_string_buffer(self.TEXT_MAX)
        err = Error()
        if self.lib.ns_vmcb_field_text(buf, len(buf), _b(name), ctypes.byref(value), text, len(text),
                                       ctypes.byref(err)) != NS_OK:
            raise NestscopeError(err.msg.decode(errors="replace"))
        return value.value, text.value.decode(errors="replace")

    def svm_value(self, name, value, exit_code=None):
        """A value of the VMCB field `name` held outside a VMCB, decoded as one line ("" when nothing to say);
        EXITINFO1/2 by exit_code."""
        text = ctypes.create_string_buffer(self.TEXT_MAX)
        self.lib.ns_svm_value_text(_b(name), value & (2**64 - 1), exit_code is not None, (exit_code or 0) & (2**64 - 1),
                                   text, len(text))
        return text.value.decode(errors="replace")

    def svm_exit_name(self, code):
        """An SVM exit code's name (KVM's SVM_EXIT_* without the prefix), or None for a code no table knows."""
        name = ctypes.create_string_buffer(64)
        if not self.lib.ns_svm_exit_name(code & (2**64 - 1), name, len(name), None):
            return None
        return name.value.decode()
