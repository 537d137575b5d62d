"""Pretty-printers for struct vmcs12 and struct kvm_nested_state, as gdb users
expect them: a short summary line (to_string) and the members as children,
each the kernel's own gdb.Value, so that `print/x` shows them in hex and a
plain `print` in decimal.  A vmcs12's fields are grouped in the sections the
core's tables give them (guest, host, control, exit-info: the catalog's type
of each field, in dump_vmcs()'s order); `print/r` shows the raw struct.
`vmcs12 -r ADDR` is the command that decodes a vmcs12 in full.

They are registered for kvm-intel.ko's objfile, which holds these types,
never globally: by gdb's auto-load script for that objfile, or, from
~/.gdbinit, when gdb reads kvm-intel.ko (kvm-symbols, add-symbol-file, file)."""
import os
import re

import gdb
import gdb.printing

from . import libns

NAME = "nestscope"
# kvm-intel.ko, its name in the target's module list (kvm_intel), and a separate debug file of it
KVM_INTEL = re.compile(r"^kvm[-_]intel\.ko(\.debug)?$")
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


class Printers(gdb.printing.PrettyPrinter):
    """nestscope's printers, one subprinter per type (`disable pretty-printer ... nestscope;vmcs12`)."""

    def __init__(self):
        super().__init__(NAME, [gdb.printing.SubPrettyPrinter("vmcs12"),
                                gdb.printing.SubPrettyPrinter("kvm_nested_state")])

    def _on(self, name):
        return self.enabled and next(s.enabled for s in self.subprinters if s.name == name)

    def __call__(self, val):
        t = val.type.strip_typedefs()
        if t.code == gdb.TYPE_CODE_STRUCT and t.tag == "vmcs12" and self._on("vmcs12"):
            return Vmcs12Printer(val)
        if t.code == gdb.TYPE_CODE_STRUCT and t.tag == "kvm_nested_state" and self._on("kvm_nested_state"):
            return NestedStatePrinter(val)
        if t.code == gdb.TYPE_CODE_ARRAY and self._on("vmcs12"):
            i = _section_of(val)
            if i is not None and val.address is not None:
                return SectionPrinter(val, i)
        return None


def is_kvm_intel(objfile):
    return objfile is not None and objfile.filename is not None and \
        KVM_INTEL.match(os.path.basename(objfile.filename)) is not None


def register_for(objfile):
    """The printers on objfile's list (again: replaced, so that sourcing the script twice adds nothing)."""
    gdb.printing.register_pretty_printer(objfile, Printers(), replace=True)


def _new_objfile(event):
    if is_kvm_intel(event.new_objfile):
        register_for(event.new_objfile)


_watching = False


def register(objfile=None):
    """objfile: the one gdb's auto-load runs the script for (kvm-intel.ko's), else None (~/.gdbinit):
    then every kvm-intel.ko objfile gdb has already, and each it reads from now on."""
    global _watching
    if objfile is not None:
        register_for(objfile)
    for o in gdb.objfiles():
        if is_kvm_intel(o):
            register_for(o)
    if not _watching:
        gdb.events.new_objfile.connect(_new_objfile)
        _watching = True
