"""Convenience functions for expressions: $vmcs12_field(addr, "GUEST_RIP").

Bad input is one gdb error line (gdb.GdbError), never a Python traceback."""
import gdb

from . import libns, target

# the 4 KiB region KVM allocates for a vmcs12 (VMCS12_SIZE, the ABI: vmcs12.h's NS_VMCS12_REGION_SIZE)
VMCS12_REGION = 4096


def _struct_tag(t):
    t = t.strip_typedefs()
    return t.tag if t.code == gdb.TYPE_CODE_STRUCT else None


def _vmcs12_address(fn, v):
    """Where the vmcs12 is that v names: an address (an integer or any pointer but the ones below),
    a struct vmcs12 or a pointer to one, or a vCPU (struct vcpu_vmx or kvm_vcpu, or a pointer to one),
    whose nested.cached_vmcs12 it is."""
    t = v.type.strip_typedefs()
    if t.code == gdb.TYPE_CODE_PTR and _struct_tag(t.target()) in ("vmcs12", "vcpu_vmx", "kvm_vcpu"):
        if int(v) == 0:
            raise gdb.GdbError(f"{fn}: the {t.target().strip_typedefs()} pointer is NULL")
        v, t = v.dereference(), t.target().strip_typedefs()
    tag = _struct_tag(t)
    if tag == "kvm_vcpu":
        # struct vcpu_vmx begins with its struct kvm_vcpu (container_of, as KVM's to_vmx())
        try:
            vmx_t = gdb.lookup_type("struct vcpu_vmx")
        except gdb.error:
            raise gdb.GdbError(f"{fn}: a struct kvm_vcpu needs kvm-intel.ko's struct vcpu_vmx (kvm-symbols)") from None
        off = next(f.bitpos // 8 for f in vmx_t.fields() if f.name == "vcpu")
        v, tag = gdb.Value(int(v.address) - off).cast(vmx_t.pointer()).dereference(), "vcpu_vmx"
    if tag == "vcpu_vmx":
        cached = v["nested"]["cached_vmcs12"]
        if int(cached) == 0:
            raise gdb.GdbError(f"{fn}: vCPU {int(v.address):#x} has no nested state (nested.cached_vmcs12 is NULL: "
                               "L1 has not run VMXON)")
        return int(cached)
    if tag == "vmcs12":
        if v.address is None:
            raise gdb.GdbError(f"{fn}: this struct vmcs12 is not in memory")
        return int(v.address)
    if t.code in (gdb.TYPE_CODE_INT, gdb.TYPE_CODE_PTR, gdb.TYPE_CODE_ENUM, gdb.TYPE_CODE_BOOL, gdb.TYPE_CODE_CHAR):
        return int(v.cast(gdb.lookup_type("unsigned long")))
    raise gdb.GdbError(f"{fn}: ADDR (of type {v.type}) is not an address, a struct vmcs12 or a vCPU")


class Vmcs12Field(gdb.Function):
    """Return one field of the vmcs12 at an address, by its VMCS field name.

Usage: $vmcs12_field(ADDR, "NAME")

ADDR is a kernel address, a struct vmcs12 or a pointer to one
(nested.cached_vmcs12), or a vCPU (struct vcpu_vmx or kvm_vcpu pointer: its
cached_vmcs12); NAME a field name as `nestscope fields` lists it (GUEST_RIP,
VM_EXIT_REASON ..., case-insensitive).  The value has the type of the member
of struct vmcs12 that holds the field (unsigned long long without it).
Example: p/x $vmcs12_field(vmx->nested.cached_vmcs12, "GUEST_RIP")"""

    NAME = "vmcs12_field"

    def __init__(self):
        super().__init__(self.NAME)

    def invoke(self, *args):
        fn = "$" + self.NAME
        if len(args) != 2:
            raise gdb.GdbError(f'{fn}: takes 2 arguments (ADDR, "NAME"), not {len(args)}')
        addr, name = args
        try:
            name = name.string()
        except gdb.error:
            raise gdb.GdbError(f'{fn}: NAME (of type {name.type}) is not a string such as "GUEST_RIP"') from None
        try:
            a = _vmcs12_address(fn, addr)
        except gdb.error as e:  # gdb.MemoryError too: a vCPU that cannot be read
            raise gdb.GdbError(f"{fn}: {e}") from None
        if a == 0:
            raise gdb.GdbError(f"{fn}: ADDR is 0 (NULL): no vmcs12 there")
        # the 4 KiB region KVM allocates, else the target's own struct vmcs12
        try:
            sizes = (VMCS12_REGION, gdb.lookup_type("struct vmcs12").sizeof)
        except gdb.error:
            sizes = (VMCS12_REGION,)
        buf = target.read_region(a, sizes)
        if buf is None:
            raise gdb.GdbError(f"{fn}: cannot read a vmcs12 at {a:#x}")
        try:
            value = libns.vmcs12_field(buf, name)
        except gdb.GdbError as e:
            raise gdb.GdbError(f"{fn}: {e}") from None
        return gdb.Value(value).cast(_field_type(name))


def _field_type(name):
    """The type of the struct vmcs12 member that holds the field (the core's table names it), so that
    print and print/x show it at its width; unsigned long long for a HIGH half or without the type."""
    member = next((m for m, f, _s in libns.vmcs12_slots() if f and f.lower() == name.lower()), None)
    try:
        t = gdb.lookup_type("struct vmcs12").strip_typedefs()
        return next(f.type for f in t.fields() if f.name == member)
    except (gdb.error, StopIteration):
        return gdb.lookup_type("unsigned long long")


def register():
    Vmcs12Field()
