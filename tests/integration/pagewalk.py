"""Kernel virtual to physical addresses in a raw image of a bundled dump (kdump2raw's output), by the kernel's own
4-level page walk from init_top_pgt: what damaged_dumps.py damages, and where the golden harness (tests/golden/
inputs.py) makes the same damage, find KVM's structures."""
import struct

KMAP = 0xffffffff80000000  # __START_KERNEL_map; the samples boot with nokaslr, phys_base 0
PTE_PRESENT, PTE_HUGE = 1, 0x80
PTE_ADDR = 0x000ffffffffff000


class PageWalk:
    """walk(va) is va's physical address in mem (an open raw image), walk.u64(va) the 8 bytes there; init_top_pgt is
    the symbol's (kernel image) address.  A 1 GiB or 2 MiB page ends the walk early; an absent entry raises."""

    def __init__(self, mem, init_top_pgt):
        self.mem = mem
        self.top = init_top_pgt - KMAP

    def rd(self, pa, n):
        self.mem.seek(pa)
        return self.mem.read(n)

    def __call__(self, va):
        table = self.top
        for level, shift in enumerate((39, 30, 21, 12)):
            e = struct.unpack("<Q", self.rd(table + 8 * ((va >> shift) & 511), 8))[0]
            if not e & PTE_PRESENT:
                raise ValueError(f"{va:#x} not mapped")
            if level in (1, 2) and e & PTE_HUGE:
                size = 1 << shift
                return (e & PTE_ADDR & ~(size - 1)) | (va & (size - 1))
            table = e & PTE_ADDR
        return table | (va & 0xfff)

    def u64(self, va):
        return struct.unpack("<Q", self.rd(self(va), 8))[0]
