"""Pretty-printers: `print *vmcs12` and `print nested_state` show the decoded
VMCS, as `vmcs12 -r` would, instead of raw members."""
import gdb
import gdb.printing

from . import libns, target

NESTED_STATE_MAX = 128 + 2 * 4096  # header, vmcs12, shadow vmcs12 (struct kvm_nested_state)


def _bytes(val, size):
    """size bytes from where val lives, or fewer (down to the struct) if the rest is unreadable."""
    if val.address is None:
        raise gdb.GdbError("nestscope: this value is not in memory")
    data = target.read_region(int(val.address), (size, val.type.sizeof))
    if data is None:
        raise gdb.GdbError(f"nestscope: cannot read {val.type} at {int(val.address):#x}")
    return data


class Vmcs12Printer:
    """struct vmcs12, decoded by libnestscope (a 4 KiB VMCS12_SIZE region)."""

    def __init__(self, val):
        self.val = val

    def to_string(self):
        return libns.region(_bytes(self.val, 4096), f"struct vmcs12 at {int(self.val.address):#x}")


class NestedStatePrinter:
    """struct kvm_nested_state (KVM_GET_NESTED_STATE's blob), decoded by libnestscope."""

    def __init__(self, val):
        self.val = val

    def to_string(self):
        size = max(128, min(int(self.val["size"]), NESTED_STATE_MAX))
        return libns.region(_bytes(self.val, size), f"struct kvm_nested_state at {int(self.val.address):#x}")


def register():
    pp = gdb.printing.RegexpCollectionPrettyPrinter("nestscope")
    pp.add_printer("vmcs12", "^vmcs12$", Vmcs12Printer)
    pp.add_printer("kvm_nested_state", "^kvm_nested_state$", NestedStatePrinter)
    gdb.printing.register_pretty_printer(None, pp, replace=True)
