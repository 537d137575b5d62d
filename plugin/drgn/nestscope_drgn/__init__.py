"""
KVM nested VMX
--------------

The ``nestscope_drgn`` helpers find KVM's VMs and nested vCPUs in a kernel
(a dump or a live kernel) and decode a vCPU's vmcs12, vmcs02 and vmcs01, run
the Intel SDM's VM-entry checks on its vmcs12, and compare vmcs12 with vmcs02.

All of the walking and decoding is done by libnestscope, the C core the crash
extension, the gdb package and the ``nestscope`` CLI use, through the same
command grammar (``kvm``, ``vmcs12``, ``vmcs02``, ``vmcs01``, ``vmcs12-abi``);
drgn gives it memory (``prog.read``) and types (``prog.type``).  The helpers
run a command with ``-j`` and return its JSON documents as Python objects,
and drgn Objects where the core names a kernel structure.

KVM's types live in kvm.ko and kvm-intel.ko: load their debug info with
:func:`load_kvm_debug_info` when drgn has not found it by itself.
"""
import json
import logging
import os
import shlex

import drgn

from .target import VMCS_REGION, NestscopeError, core, prog_target

__all__ = (
    "NestscopeError",
    "Field",
    "Record",
    "Vmcs",
    "for_each_kvm",
    "for_each_nested_vcpu",
    "for_each_vcpu",
    "load_kvm_debug_info",
    "nestscope_command",
    "nestscope_json",
    "vcpu_nested_state",
    "vmcs01",
    "vmcs02",
    "vmcs12",
    "vmcs12_abi",
    "vmcs12_checks",
    "vmcs12_diff",
    "vmcs12_field",
)

# where Debian's linux-image-*-dbg installs the modules' debug info, RELEASE filled in
DEBUG_MODULES_DIR = "/usr/lib/debug/lib/modules/{release}"
KVM_MODULE_FILES = ("kvm.ko", "kvm-intel.ko", "kvm-amd.ko")  # an AMD host's vCPUs are kvm-amd.ko's struct vcpu_svm
TYPES_HINT = "load them with: nestscope_drgn.load_kvm_debug_info(prog, [DIR])"


def _hexint(v):
    """A register-sized JSON value ("0x1a2b", docs/json-schema.md) as an int; anything else as it is."""
    if isinstance(v, str) and v.startswith("0x"):
        try:
            return int(v, 16)
        except ValueError:
            return v
    return v


class Record:
    """One JSON object of the core's output.  Attributes are its members, with register-sized values
    (hex strings in the JSON) as ints and nested objects as Records; ``json`` is the object as printed."""

    def __init__(self, obj):
        self.json = obj

    def __getattr__(self, name):
        try:
            v = self.__dict__["json"][name]
        except KeyError:
            raise AttributeError(name) from None
        return _wrap(v)

    def __getitem__(self, name):
        return _wrap(self.json[name])

    def __contains__(self, name):
        return name in self.json

    def __dir__(self):
        return list(self.json)

    def __repr__(self):
        return f"Record({json.dumps(self.json)[:200]})"


def _wrap(v):
    if isinstance(v, dict):
        return Record(v)
    if isinstance(v, list):
        return [_wrap(x) for x in v]
    return _hexint(v)


class Field(Record):
    """One VMCS field: ``name`` (Linux's enum vmcs_field name), ``encoding``, ``sdm_name``, ``section``,
    ``width``, ``offset``, ``value`` (int), ``decoded`` (a Record with ``text``, ``flags``, ``values``,
    ``reserved``, ``notes``; None when the field has no symbolic form), ``text`` (the decoded form as one
    line, or None), ``copy`` (which copy of the VMCS the value came from: the view's ``copy``, a Record with
    ``name``, ``address``, ``label`` ...) and ``stale`` (that copy may be out of date)."""

    def __init__(self, obj, copy=None):
        super().__init__(obj)
        self.copy = copy

    @property
    def text(self):
        d = self.json.get("decoded")
        return d["text"] if d else None

    def __int__(self):
        return self.value

    __index__ = __int__

    def __repr__(self):
        return (f"Field({self.json['name']}={self.json['value']}"
                + (f" [{self.text}]" if self.text else "") + (", stale" if self.json.get("stale") else "") + ")")


class Vmcs(Record):
    """A decoded VMCS (one entry of a nestscope/decode/2 report's ``vmcs[]``): ``kind``, ``copy`` (which copy:
    ``name``, ``address``, ``address_space``, ``layout``, ``label``), ``revision_id``, ``launch_state``,
    ``abort``, ``shadow``, ``staleness`` (the sections that may be out of date and why, or None),
    ``findings``, and the fields, by name: ``vmcs["GUEST_RIP"].value``, ``"GUEST_RIP" in vmcs``, iteration
    in the core's order.  ``document`` is the report it came from (``vcpu``, ``kvm_copies`` ...)."""

    def __init__(self, obj, document):
        super().__init__(obj)
        self.document = document
        copy = Record(obj["copy"])
        self.fields = {f["name"]: Field(f, copy) for f in obj["fields"]}

    def __getitem__(self, name):
        try:
            return self.fields[name]
        except KeyError:
            raise KeyError(f"{name}: not a field of this {self.json.get('kind', 'VMCS')} "
                           "(a VMCS field name, or the section was not asked for)") from None

    def __contains__(self, name):
        return name in self.fields

    def __iter__(self):
        return iter(self.fields.values())

    def __len__(self):
        return len(self.fields)

    def __repr__(self):
        return f"Vmcs({self.json.get('kind')}, {len(self.fields)} fields, copy={self.json['copy']['label']!r})"


def _address(obj):
    """What a pointer Object points to, or where any other Object is (drgn 0.0.22 has no
    Type.unaliased_kind: typedefs are followed here)."""
    t = obj.type_
    while t.kind == drgn.TypeKind.TYPEDEF:
        t = t.type
    return obj.value_() if t.kind in (drgn.TypeKind.POINTER, drgn.TypeKind.INT) else obj.address_


def _operand(vcpu):
    """The core's VCPU operand for a vCPU given as a drgn Object (struct kvm_vcpu or vcpu_vmx, or a
    pointer to one), a Record of vcpu_nested_state(), an int address or a string as typed."""
    if isinstance(vcpu, drgn.Object):
        return hex(_address(vcpu))
    if isinstance(vcpu, Record):
        return hex(vcpu.kvm_vcpu)
    if isinstance(vcpu, int):
        return hex(vcpu)
    return str(vcpu)


def nestscope_command(prog, command, globals=None):
    """
    Run one of the core's commands, as crash and gdb have them, and return what it printed.

    >>> print(nestscope_command(prog, "kvm -v"))

    :param prog: The kernel.
    :param command: The command line (a string, split as a shell would) or its argument vector:
        ``kvm``, ``vmcs12``, ``vmcs02``, ``vmcs01`` or ``vmcs12-abi`` and their options (``%crash help CMD``
        in drgn 0.3's CLI, ``nestscope help CMD`` or the man page list them).
    :param globals: Python names an address operand may use (``vmcs12 -r vmx.nested.cached_vmcs12``).
    :returns: The command's output (text, or one JSON document a line with ``-j``).
    :raises NestscopeError: with the core's one error line (a usage error, missing debug info, memory that
        cannot be read).
    """
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    return prog_target(prog).command(argv, hint=TYPES_HINT, globals=globals)


def nestscope_json(prog, argv):
    """
    Run a command with ``-j`` and return its JSON documents.

    :param prog: The kernel.
    :param argv: The argument vector, without ``-j``.
    :returns: A list of dicts, one per document (docs/json-schema.md).
    """
    out = nestscope_command(prog, list(argv) + ["-j"])
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _kvm(prog):
    return nestscope_json(prog, ["kvm", "-v"])[0]["vms"]


def for_each_kvm(prog):
    """
    Iterate over every VM on KVM's ``vm_list``.

    :param prog: The kernel.
    :returns: Iterator of ``struct kvm *`` Objects.
    """
    for vm in _kvm(prog):
        yield drgn.Object(prog, "struct kvm *", value=int(vm["kvm"], 16))


def _vcpus(prog, kvm=None):
    want = None if kvm is None else _address(kvm)
    for vm in _kvm(prog):
        if want is not None and int(vm["kvm"], 16) != want:
            continue
        if "error" in vm:
            raise NestscopeError(f"VM {vm['kvm']} (pid {vm['pid']}): {vm['error']}")
        for c in vm.get("vcpus", []):
            yield vm, c


def _vendor_object(prog, c):
    """A vCPU of kvm/2 as its vendor's struct: vcpu_svm on an AMD host, else vcpu_vmx."""
    if c.get("vendor") == "svm":
        return drgn.Object(prog, "struct vcpu_svm *", value=int(c["vcpu_svm"], 16))
    return drgn.Object(prog, "struct vcpu_vmx *", value=int(c["vcpu_vmx"], 16))


def for_each_vcpu(prog, kvm=None):
    """
    Iterate over the vCPUs of every VM, or of one.

    :param prog: The kernel.
    :param kvm: ``struct kvm *`` (from :func:`for_each_kvm`), or None for every VM.
    :returns: Iterator of ``struct vcpu_vmx *`` Objects (``struct vcpu_svm *`` on an AMD host).
    """
    for _vm, c in _vcpus(prog, kvm):
        yield _vendor_object(prog, c)


def for_each_nested_vcpu(prog, kvm=None):
    """
    Iterate over the vCPUs with nested state: in VMX operation (their L1 did VMXON), or on an AMD host
    using nested SVM (their L1 set EFER.SVME).

    :param prog: The kernel.
    :param kvm: ``struct kvm *``, or None for every VM.
    :returns: Iterator of ``struct vcpu_vmx *`` Objects (``struct vcpu_svm *`` on an AMD host).
    """
    for _vm, c in _vcpus(prog, kvm):
        if c["state"] != "l1_no_svm" if c.get("vendor") == "svm" else c["vmxon"]:
            yield _vendor_object(prog, c)


def vcpu_nested_state(vcpu):
    """
    What KVM holds for a vCPU's nesting, as ``kvm -v`` lists it.

    :param vcpu: ``struct vcpu_vmx *``, ``struct vcpu_svm *`` or ``struct kvm_vcpu *``.
    :returns: A Record: ``pid`` and ``comm`` of its VMM, ``index``, ``mode`` (``L1``/``L2``),
        ``state``, ``hflags``, ``hflags_agrees``, ``vmxon``, ``vmxon_pa``, ``vmcs12_pa`` (L1's current VMCS),
        the addresses ``cached_vmcs12``, ``cached_shadow_vmcs12``, ``vmcs01``, ``vmcs02``, ``loaded_copy``,
        ``nested_run_pending`` and ``l0_last_exit_reason`` (``value`` and ``decoded``, or None)
        (docs/json-schema.md, nestscope/kvm/2); an AMD host's vCPU has ``vendor`` ``svm`` and common-v1's
        vcpu_svm members instead (``vcpu_svm``, ``vmcb12_pa``, ``vmcb01``, ``vmcb02``, ``current_copy``,
        ``l0_last_exit_code``, ...).
    :raises LookupError: if no VM on vm_list has this vCPU.
    """
    addr = _address(vcpu)
    for vm, c in _vcpus(vcpu.prog_):
        if addr in (int(c.get("vcpu_vmx", c.get("vcpu_svm")), 16), int(c["kvm_vcpu"], 16)):
            return Record(dict(c, pid=vm["pid"], comm=vm["comm"], kvm=vm["kvm"]))
    raise LookupError(f"no VM on vm_list has a vCPU at {addr:#x}")


def _prog(vcpu, prog):
    if isinstance(vcpu, drgn.Object):
        return vcpu.prog_
    if prog is None:
        raise TypeError("give prog= with a vCPU that is not a drgn Object")
    return prog


def _reports(docs):
    """The reports of the decode documents in docs."""
    return [r for d in docs if d.get("schema") == "nestscope/decode/2" for r in d.get("reports", [])]


def _decode(docs):
    """The first VMCS of the decode documents in docs, as a Vmcs."""
    for r in _reports(docs):
        if r.get("vmcs"):
            return Vmcs(r["vmcs"][0], r)
    return None


def vmcs12(vcpu, copy="cached", prog=None):
    """
    A vCPU's vmcs12 (the VMCS its L1 wrote for L2), decoded: every field, zero ones too.

    >>> v = vmcs12(vcpu)
    >>> hex(v["GUEST_RIP"].value), v["CPU_BASED_VM_EXEC_CONTROL"].decoded.flags

    :param vcpu: ``struct vcpu_vmx *`` or ``struct kvm_vcpu *`` (or the core's VCPU operand as a string,
        ``"PID:INDEX"``, with *prog*).
    :param copy: ``cached`` (KVM's nested.cached_vmcs12), ``shadow`` (nested.cached_shadow_vmcs12) or
        ``memory`` (L1's own region at current_vmptr).
    :returns: A :class:`Vmcs`; each field names the copy its value came from, and while the vCPU is in L2 the
        fields KVM has not yet copied back from vmcs02 are marked stale.
    """
    prog = _prog(vcpu, prog)
    return _decode(nestscope_json(prog, ["vmcs12", "-A", "-s", copy, _operand(vcpu)]))


def _hardware(name, vcpu, prog, layout):
    prog = _prog(vcpu, prog)
    docs = nestscope_json(prog, [name] + (["-L", layout] if layout else []) + [_operand(vcpu)])
    v = _decode(docs)
    reports = _reports(docs)
    return v if v is not None else Record(reports[0]) if len(reports) == 1 else [Record(d) for d in docs]


def vmcs02(vcpu, layout=None, prog=None):
    """
    The hardware VMCS KVM built to run a vCPU's L2, decoded with the layout of its revision id.

    :param vcpu: As for :func:`vmcs12`.
    :param layout: A hardware VMCS layout file, instead of the search path.
    :returns: A :class:`Vmcs` when a layout decodes the region (its ``document`` holds the rest of what the
        core says, such as KVM's software copies); without a layout, a Record of the core's report
        (docs/json-schema.md, nestscope/decode/2).
    """
    return _hardware("vmcs02", vcpu, prog, layout)


def vmcs01(vcpu, layout=None, prog=None):
    """
    The hardware VMCS KVM uses to run a vCPU's L1, as :func:`vmcs02`.

    :param vcpu: As for :func:`vmcs12`.
    :param layout: A hardware VMCS layout file, instead of the search path.
    :returns: As :func:`vmcs02`.
    """
    return _hardware("vmcs01", vcpu, prog, layout)


def vmcs12_checks(vcpu, all=False, prog=None):
    """
    The Intel SDM's VM-entry checks on a vCPU's vmcs12, against the VMX capabilities KVM offered its L1.

    :param vcpu: As for :func:`vmcs12`.
    :param all: Every rule, not only the ones that fail or warn.
    :returns: A Record of the nestscope/checks/3 document (docs/json-schema.md).
    """
    prog = _prog(vcpu, prog)
    return Record(nestscope_json(prog, ["vmcs12", "-C"] + (["-A"] if all else []) + [_operand(vcpu)])[0])


def vmcs12_diff(vcpu, all=False, prog=None):
    """
    A vCPU's vmcs12 against its vmcs02, field by field: each difference expected by construction (and
    the KVM mechanism), a stale copy, or unexplained.

    :param vcpu: As for :func:`vmcs12`.
    :param all: The expected differences too.
    :returns: A Record of the nestscope/diff/2 document: ``context``, ``counts``, ``differences`` (``name``,
        ``a``, ``b``, ``class``, ``explanation``).
    """
    prog = _prog(vcpu, prog)
    return Record(nestscope_json(prog, ["vmcs12", "-D"] + (["-A"] if all else []) + [_operand(vcpu)])[0])


def vmcs12_abi(prog):
    """
    This kernel's struct vmcs12 (kvm-intel.ko's debug info) against the table nestscope decodes with.

    :param prog: The kernel.
    :returns: A Record of the nestscope/abi/2 document: ``compatible``, ``break_count``, ``findings``.
    """
    return Record(nestscope_json(prog, ["vmcs12-abi"])[0])


def vmcs12_field(obj, name):
    """
    One field of the vmcs12 at an address, by name: no vCPU needed.

    :param obj: ``struct vmcs12 *`` (``vmx.nested.cached_vmcs12``) or a ``struct vmcs12``.
    :param name: A VMCS field name (``GUEST_RIP``, ``VM_EXIT_REASON``; any case).
    :returns: The field's value as an int.
    """
    prog = obj.prog_
    addr = _address(obj)
    try:
        buf = prog.read(addr, VMCS_REGION)
    except drgn.FaultError:
        buf = prog.read(addr, prog.type("struct vmcs12").size)
    return core().vmcs12_field(buf, name)


def load_kvm_debug_info(prog, directory=None):
    """
    Load the debug info of the KVM modules (kvm.ko, kvm-intel.ko, kvm-amd.ko), as gdb's kvm-symbols does.

    :param prog: The kernel.
    :param directory: Where to look for them, recursively (default: where Debian's linux-image-*-dbg
        installs them, /usr/lib/debug/lib/modules/RELEASE).
    :returns: The files loaded.
    :raises LookupError: if the directory has none of them, or drgn loaded neither vendor module's types
        (kvm-intel.ko's struct vcpu_vmx, kvm-amd.ko's struct vcpu_svm) from them.
    """
    t = prog_target(prog)
    top = directory or DEBUG_MODULES_DIR.format(release=t.release())
    files = []
    for root, _dirs, names in os.walk(top):
        files += [os.path.join(root, n) for n in names if n in KVM_MODULE_FILES]
    if not files:
        raise LookupError(f"no {', '.join(KVM_MODULE_FILES)} under {top}")
    # a host loads one vendor module: drgn 0.3 warns (logger "drgn") that the other's file matches no loaded
    # module, which is expected, not something for the user to act on; what did load is checked below
    log = logging.getLogger("drgn")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        prog.load_debug_info(sorted(files))
    except drgn.MissingDebugInfoError:
        pass  # what else drgn could not find; the files given are checked below
    finally:
        log.setLevel(level)
    t.forget()
    for vendor_type in ("struct vcpu_vmx", "struct vcpu_svm"):
        try:
            prog.type(vendor_type)
            return sorted(files)
        except LookupError:
            pass
    # drgn 0.3 loads a module's file only when it finds the module in the kernel's module list
    raise LookupError(f"drgn loaded no KVM types from {top}: it matched no file to a module it found "
                      "in the kernel (is kvm_intel or kvm_amd loaded, can the module list be read?)")
