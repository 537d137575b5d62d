"""Pretty-printers for struct vmcs12 and struct kvm_nested_state (kvm-intel.ko),
struct vmcb and struct vcpu_svm (kvm-amd.ko), as gdb users expect them: a
short summary line (to_string) and the members as children, each the
kernel's own gdb.Value, so that `print/x` shows them in hex and a
plain `print` in decimal.  A vmcs12's fields are grouped in the sections the
core's tables give them (guest, host, control, exit-info: the catalog's type
of each field, in dump_vmcs()'s order); `print/r` shows the raw struct.
`vmcs12 -r ADDR` is the command that decodes a vmcs12 in full.

A struct vmcb's summary is its last #VMEXIT (the exit code by name,
EXITINFO1/2 decoded by it, EXITINTINFO), its intercepts by name, ASID and
nested paging; a struct vcpu_svm's is its level (L2 while current_vmcb is
&nested.vmcb02), vmcb12's GPA, the exit L0 last handled from the VMCB it runs
on and vmcb12's intercepts as KVM cached them (nested.ctl).  Every name and
decoding is the core's (the APM's tables in vmcb_fields.def and
svm_bits.def), read from the VMCB's bytes by the APM's offsets; the children
are the kernel's own members.  `vmcb02 PID` decodes a VMCB in full.

They are registered for the module's objfile that holds these types
(kvm-intel.ko, kvm-amd.ko), never globally: by gdb's auto-load script for
that objfile, or, from ~/.gdbinit, when gdb reads the module (kvm-symbols,
add-symbol-file, file)."""
import os
import re

import gdb
import gdb.printing

from . import libns

NAME = "nestscope"
# kvm-intel.ko and kvm-amd.ko, their names in the target's module list (kvm_intel, kvm_amd), and a separate
# debug file of each
KVM_INTEL = re.compile(r"^kvm[-_]intel\.ko(\.debug)?$")
KVM_AMD = re.compile(r"^kvm[-_]amd\.ko(\.debug)?$")
# the types each module holds, a subprinter each
INTEL_TYPES = ("vmcs12", "kvm_nested_state")
AMD_TYPES = ("vmcb", "vcpu_svm", "kvm_nested_state")
# KVM_STATE_NESTED_FORMAT_VMX (include/uapi/linux/kvm.h): the only format whose payload is vmcs12
NESTED_FORMAT_VMX = 0

_SLOTS = libns.vmcs12_slots()  # (member, VMCS field, section) in struct vmcs12's order
SECTIONS = libns.section_keys()
HEADER = "header"  # ns_vmcs12_slot's section of the revision id, abort and launch state
# how the kernel names struct vmcs12's padding (u32 padding[7], u64 padding64[], paddingl[], dead_space[]),
# for the members the core's table does not list
_PADDING = ("padding", "dead_space")


def _vmcs12_type():
    try:
        return gdb.lookup_type("struct vmcs12").strip_typedefs()
    except gdb.error:
        return None


def _section_type(vmcs12_t, i):
    """The marker type of section i: an empty array of struct vmcs12 whose lower bound is i + 1.

    gdb asks a pretty-printer for each child value, and a child must be a gdb.Value: a section is
    this zero-length value at the vmcs12's own address (nothing is read for it), and no C array
    starts at index 1, so the type names the section without ever meeting a real value."""
    return vmcs12_t.array(i + 1, i)


def _section_of(val):
    """The section index a section value (_section_type) stands for, or None."""
    t = val.type.strip_typedefs()
    if t.code != gdb.TYPE_CODE_ARRAY or t.target().strip_typedefs().tag != "vmcs12":
        return None
    lo, hi = t.range()
    return lo - 1 if hi == lo - 1 and 1 <= lo <= len(SECTIONS) else None


def _member_names(t):
    return {f.name for f in t.fields() if f.name}


class Vmcs12Printer:
    """struct vmcs12: revision id and launch state; the header members, then one child per section."""

    def __init__(self, val):
        self.val = val

    def to_string(self):
        try:
            rev = int(self.val["hdr"]["revision_id"])
            shadow = int(self.val["hdr"]["shadow_vmcs"])
            launch = int(self.val["launch_state"])
            abort = int(self.val["abort"])
        except gdb.error as e:  # MemoryError included
            return f"vmcs12 <unreadable: {e}>"
        words = [f"vmcs12 revision {rev:#x}", f"launch state {libns.launch_state(launch)}"]
        if shadow:
            words.append("shadow VMCS")
        if abort:
            words.append(f"VMX abort {abort}")
        return ", ".join(words)

    def children(self):
        members = _member_names(self.val.type.strip_typedefs())
        for member, _field, section in _SLOTS:
            if section == HEADER and member in members:
                yield member, self.val[member]
        if self.val.address is None:
            # not in memory (a value gdb built): no address for the sections, so the fields themselves
            for member, field, _section in _SLOTS:
                if field and member in members:
                    yield member, self.val[member]
            return
        for i, key in enumerate(SECTIONS):
            sect = _section_type(self.val.type.strip_typedefs(), i)
            yield key, self.val.address.cast(sect.pointer()).dereference()
        # members of this kernel's struct that the core's table does not know (vmcs12-abi names them)
        known = {m for m, _f, _s in _SLOTS}
        for name in sorted(members - known):
            if not name.startswith(_PADDING):
                yield name, self.val[name]


class SectionPrinter:
    """One section of a vmcs12 (a _section_type value): its fields, in struct vmcs12's order."""

    def __init__(self, val, index):
        self.key = SECTIONS[index]
        vmcs12_t = val.type.strip_typedefs().target()
        self.vmcs12 = val.address.cast(vmcs12_t.pointer()).dereference()

    def children(self):
        members = _member_names(self.vmcs12.type.strip_typedefs())
        for member, field, section in _SLOTS:
            if section == self.key and member in members:
                yield member, self.vmcs12[member]


class NestedStatePrinter:
    """struct kvm_nested_state (KVM_GET_NESTED_STATE's blob): its flags; the header, then the vmcs12 and
    shadow vmcs12 it carries, as struct vmcs12 values (pretty-printed in turn)."""

    def __init__(self, val):
        self.val = val

    def to_string(self):
        try:
            flags, fmt, size = (int(self.val[m]) for m in ("flags", "format", "size"))
        except gdb.error as e:
            return f"kvm_nested_state <unreadable: {e}>"
        return (f"kvm_nested_state format {fmt}, size {size}, flags "
                f"{libns.nested_flags(flags) if flags else 'none'}")

    def _payload(self):
        """(name, struct vmcs12 value) for each vmcs12 the blob's size covers (format VMX only)."""
        vmcs12_t = _vmcs12_type()
        if vmcs12_t is None or self.val.address is None or int(self.val["format"]) != NESTED_FORMAT_VMX:
            return
        t = self.val.type.strip_typedefs()
        data = next((f for f in t.fields() if f.name == "data"), None)
        if data is None:
            return
        vmx = self.val["data"]["vmx"][0]
        size = int(self.val["size"])
        # offsets and sizes from the kernel's own struct kvm_vmx_nested_state_data
        for f in vmx.type.strip_typedefs().fields():
            end = data.bitpos // 8 + f.bitpos // 8 + f.type.sizeof
            if f.name in ("vmcs12", "shadow_vmcs12") and size >= end:
                yield f.name, vmx[f.name].address.cast(vmcs12_t.pointer()).dereference()

    def children(self):
        for m in ("flags", "format", "size"):
            yield m, self.val[m]
        if int(self.val["format"]) == NESTED_FORMAT_VMX:
            yield "hdr.vmx", self.val["hdr"]["vmx"]
        else:
            yield "hdr", self.val["hdr"]
        yield from self._payload()


# ---- AMD SVM ----
# VMCB fields by the core's table names (vmcb_fields.def): the summary's, in the order it says them
EXIT_INFO = (("EXIT_INFO_1", "EXITINFO1"), ("EXIT_INFO_2", "EXITINFO2"))  # (table name, the APM's)
EVENTS = (("EXIT_INT_INFO", "EXITINTINFO"), ("EVENT_INJ", "EVENTINJ"))
INTERCEPTS = ("INTERCEPT_EXCEPTION", "INTERCEPT_WORD3", "INTERCEPT_WORD4", "INTERCEPT_WORD5")
# the intercept words of KVM's cache of vmcb12 (struct vmcb_ctrl_area_cached's intercepts[], indexed by the
# kernel's enum intercept_words, whose names are the table's)
CACHED_INTERCEPTS = ("INTERCEPT_WORD3", "INTERCEPT_WORD4", "INTERCEPT_WORD5")


def _bytes(val):
    """The bytes of a value in the target's memory (None for one gdb built, which has no address)."""
    if val.address is None:
        return None
    return bytes(gdb.selected_inferior().read_memory(int(val.address), val.type.sizeof))


def _exit_words(buf):
    """A VMCB's last #VMEXIT in words: the exit code by name, EXITINFO1/2 decoded by it."""
    code, _ = libns.vmcb_field(buf, "EXIT_CODE")
    name = libns.svm_exit_name(code)
    words = [f"exit {code:#x} {name}" if name else f"exit {code:#x}"]
    for field, apm in EXIT_INFO:
        value, text = libns.vmcb_field(buf, field)
        words.append(f"{apm} {value:#x}" + (f" ({text})" if text else ""))
    return words


def _vmcb_summary(buf):
    words = _exit_words(buf)
    for field, apm in EVENTS:
        value, text = libns.vmcb_field(buf, field)
        words.append(f"{apm} {value:#x}" + (f" ({text})" if text else ""))
    named = [libns.vmcb_field(buf, f)[1] for f in INTERCEPTS]
    words.append("intercepts " + (" ".join(t for t in named if t) or "none"))
    asid, _ = libns.vmcb_field(buf, "ASID")
    misc, misc_text = libns.vmcb_field(buf, "MISC_CTL")
    words.append(f"ASID {asid}, MISC_CTL {misc:#x}" + (f" ({misc_text})" if misc_text else ""))
    return ", ".join(words)


def _members(val):
    """A struct's own members as children, an anonymous union's members as the struct's (svm->vmcb->save)."""
    for f in val.type.strip_typedefs().fields():
        if f.name:
            yield f.name, val[f]
        else:
            yield from _members(val[f])


class VmcbPrinter:
    """struct vmcb: its last #VMEXIT, events, intercepts, ASID and nested paging; the control and save areas."""

    def __init__(self, val):
        self.val = val

    def to_string(self):
        try:
            buf = _bytes(self.val)
            if buf is None:
                return "vmcb <not in memory: print/r shows its members>"
            return "vmcb " + _vmcb_summary(buf)
        except (gdb.error, gdb.GdbError) as e:  # MemoryError included
            return f"vmcb <unreadable: {e}>"

    def children(self):
        yield from _members(self.val)


class VcpuSvmPrinter:
    """struct vcpu_svm: its level, vmcb12's GPA, the exit L0 last handled and vmcb12's intercepts; its members."""

    def __init__(self, val):
        self.val = val

    def _level(self):
        cur = int(self.val["current_vmcb"])
        if cur == int(self.val["nested"]["vmcb02"].address):
            return "L2 (current_vmcb is &nested.vmcb02)", "vmcb02"
        if cur == int(self.val["vmcb01"].address):
            return "L1 (current_vmcb is &vmcb01)", "vmcb01"
        return f"level unknown (current_vmcb {cur:#x} is neither &vmcb01 nor &nested.vmcb02)", None

    def _cached_intercepts(self):
        words = self.val["nested"]["ctl"]["intercepts"]
        named = []
        for field in CACHED_INTERCEPTS:
            try:
                index = int(gdb.parse_and_eval(field))  # the kernel's enum intercept_words
            except gdb.error:
                return None
            named.append(libns.svm_value(field, int(words[index])))
        return " ".join(t for t in named if t) or "none"

    def to_string(self):
        try:
            level, current = self._level()
            words = [f"vcpu_svm {level}", f"vmcb12 GPA {int(self.val['nested']['vmcb12_gpa']):#x}"]
            if current:
                vmcb = self.val["current_vmcb"].dereference()["ptr"].dereference()
                buf = _bytes(vmcb)
                if buf is not None:
                    words.append(f"L0's last #VMEXIT ({current}): " + ", ".join(_exit_words(buf)))
            named = self._cached_intercepts()
            if named is not None:
                words.append(f"vmcb12's intercepts (nested.ctl): {named}")
            return "; ".join(words)
        except (gdb.error, gdb.GdbError) as e:
            return f"vcpu_svm <unreadable: {e}>"

    def children(self):
        yield from _members(self.val)


class Printers(gdb.printing.PrettyPrinter):
    """nestscope's printers for one module's types, one subprinter per type
    (`disable pretty-printer ... nestscope;vmcs12`)."""

    def __init__(self, types=INTEL_TYPES):
        super().__init__(NAME, [gdb.printing.SubPrettyPrinter(t) for t in types])

    def _on(self, name):
        return self.enabled and next((s.enabled for s in self.subprinters if s.name == name), False)

    def __call__(self, val):
        t = val.type.strip_typedefs()
        if t.code == gdb.TYPE_CODE_STRUCT and t.tag == "vmcs12" and self._on("vmcs12"):
            return Vmcs12Printer(val)
        if t.code == gdb.TYPE_CODE_STRUCT and t.tag == "kvm_nested_state" and self._on("kvm_nested_state"):
            return NestedStatePrinter(val)
        if t.code == gdb.TYPE_CODE_STRUCT and t.tag == "vmcb" and self._on("vmcb"):
            return VmcbPrinter(val)
        if t.code == gdb.TYPE_CODE_STRUCT and t.tag == "vcpu_svm" and self._on("vcpu_svm"):
            return VcpuSvmPrinter(val)
        if t.code == gdb.TYPE_CODE_ARRAY and self._on("vmcs12"):
            i = _section_of(val)
            if i is not None and val.address is not None:
                return SectionPrinter(val, i)
        return None


def _module_types(objfile):
    """The types whose printers go on objfile's list: kvm-intel.ko's or kvm-amd.ko's, else None."""
    if objfile is None or objfile.filename is None:
        return None
    base = os.path.basename(objfile.filename)
    return INTEL_TYPES if KVM_INTEL.match(base) else AMD_TYPES if KVM_AMD.match(base) else None


def register_for(objfile):
    """The printers on objfile's list (again: replaced, so that sourcing the script twice adds nothing); an
    objfile of another name (a link of its own to the auto-load script) gets kvm-intel.ko's."""
    gdb.printing.register_pretty_printer(objfile, Printers(_module_types(objfile) or INTEL_TYPES), replace=True)


def _new_objfile(event):
    if _module_types(event.new_objfile):
        register_for(event.new_objfile)


_watching = False


def register(objfile=None):
    """objfile: the one gdb's auto-load runs the script for (kvm-intel.ko's or kvm-amd.ko's), else None
    (~/.gdbinit): then every such objfile gdb has already, and each it reads from now on."""
    global _watching
    if objfile is not None:
        register_for(objfile)
    for o in gdb.objfiles():
        if _module_types(o):
            register_for(o)
    if not _watching:
        gdb.events.new_objfile.connect(_new_objfile)
        _watching = True
