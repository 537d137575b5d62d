"""Convenience functions for expressions: $vmcs12_field(addr, "GUEST_RIP")."""
import gdb

from . import libns, target


class Vmcs12Field(gdb.Function):
    """Return one field of the vmcs12 at an address, by its VMCS field name.

Usage: $vmcs12_field(ADDR, "NAME")

ADDR is a kernel address or a struct vmcs12 pointer (cached_vmcs12); NAME a
field name as `nestscope fields` lists it (GUEST_RIP, VM_EXIT_REASON ...,
case-insensitive).  Example: p/x $vmcs12_field(vmx->nested.cached_vmcs12, "GUEST_RIP")"""

    def __init__(self):
        super().__init__("vmcs12_field")

    def invoke(self, addr, name):
        a = int(addr.cast(gdb.lookup_type("unsigned long")))
        # the 4 KiB region KVM allocates (VMCS12_SIZE, the ABI), else the target's own struct vmcs12
        try:
            sizes = (4096, gdb.lookup_type("struct vmcs12").sizeof)
        except gdb.error:
            sizes = (4096,)
        buf = target.read_region(a, sizes)
        if buf is None:
            raise gdb.GdbError(f"$vmcs12_field: cannot read a vmcs12 at {a:#x}")
        return gdb.Value(libns.vmcs12_field(buf, name.string())).cast(gdb.lookup_type("unsigned long long"))


def register():
    Vmcs12Field()
