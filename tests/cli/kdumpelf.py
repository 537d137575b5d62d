"""A bundled kdump's layout, read here rather than by nestscope, and an ELF core made of the same memory: what
hostile_dumps.py cuts and flips, and what the golden harness (tests/golden/inputs.py) records triage and scan on.

The kdump is makedumpfile's compressed format on x86-64 (disk_dump_header, then kdump_sub_header one page in,
the two bitmaps, a 24-byte page descriptor per dumped page, the pages); the ELF core has one PT_NOTE (the
kdump's ELF notes) and a PT_LOAD per run of pages, at the kernel's direct map."""
import struct
import zlib

PAGE = 4096
DIRECT_MAP = 0xffff888000000000  # x86-64's direct map (page_offset_base): the samples boot with nokaslr
DESC_SIZE = 24                   # struct page_desc: offset, size, flags, page_flags
RUN_GAP = 1024                   # pages: a gap up to this between dumped pages is a hole inside one PT_LOAD


class Kdump:
    """The layout of a kdump's bytes: size, notes, the dumped page frames, where the headers and descriptors end."""

    def __init__(self, data):
        self.data = data
        self.size = len(data)
        # disk_dump_header: sub_hdr_size and bitmap_blocks (with max_mapnr) at 432
        self.sub_blocks, self.bitmap_blocks = struct.unpack_from("<iI", data, 432)
        # kdump_sub_header: offset_note, size_note at 48, max_mapnr_64 at 96
        (_pb, _dl, _sp, _s, _e, _vo, _vl, self.note_off, self.note_len, _eo, _el, _s64, _e64, mapnr64) = \
            struct.unpack_from("<QiiQQQQQQQQQQQ", data, PAGE)
        bm2 = data[(1 + self.sub_blocks) * PAGE + self.bitmap_blocks * PAGE // 2:
                   (1 + self.sub_blocks + self.bitmap_blocks) * PAGE]
        self.pfns = [i for i in range(mapnr64) if bm2[i >> 3] >> (i & 7) & 1]
        self.hdr_end = (1 + self.sub_blocks + self.bitmap_blocks) * PAGE
        self.desc_end = self.hdr_end + DESC_SIZE * len(self.pfns)

    def cuts(self):
        """Where to cut it short: in the header, sub-header, notes, bitmaps, page descriptors and page data."""
        return [100, 463, 4100, 4300, 9000, 20000, 44000, 50000, 300000, self.desc_end + 10, 2000000, 9000000,
                self.size - PAGE, self.size - 1]

    def pages(self):
        """{pfn: the page's bytes}, inflated (flag 1: zlib) where the kdump compressed it."""
        pages = {}
        for i, pfn in enumerate(self.pfns):
            off, size, flags, _ = struct.unpack_from("<QIIQ", self.data, self.hdr_end + DESC_SIZE * i)
            data = self.data[off:off + size]
            pages[pfn] = zlib.decompress(data) if flags & 1 else data
        return pages

    def notes(self):
        return self.data[self.note_off:self.note_off + self.note_len]


class ElfCore:
    """An ELF core written from a Kdump: its program headers (nph) and where they end (ph_end), its notes' length,
    its size."""

    def __init__(self, kd, path):
        pages = kd.pages()
        runs = []
        for pfn in kd.pfns:
            if runs and pfn - runs[-1][1] <= RUN_GAP:  # a few runs, short gaps stored as holes
                runs[-1][1] = pfn
            else:
                runs.append([pfn, pfn])
        notes = kd.notes()
        self.nph = nph = 1 + len(runs)
        self.ph_end = 64 + 56 * nph
        self.notes_len = len(notes)
        off = (self.ph_end + len(notes) + PAGE - 1) // PAGE * PAGE
        ehdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, 0, 0, 64,
                                                                       56, nph, 0, 0, 0)
        phdrs = [struct.pack("<IIQQQQQQ", 4, 0, 64 + 56 * nph, 0, 0, len(notes), len(notes), 4)]
        seg_offs = []
        for a, b in runs:
            length = (b - a + 1) * PAGE
            phdrs.append(struct.pack("<IIQQQQQQ", 1, 7, off, DIRECT_MAP + a * PAGE, a * PAGE, length, length, PAGE))
            seg_offs.append((off, a))
            off += length
        self.size = off
        with open(path, "wb") as f:
            f.write(ehdr + b"".join(phdrs) + notes)
            for (base, a), (_, b) in zip(seg_offs, runs):
                for pfn in range(a, b + 1):
                    if pfn in pages and any(pages[pfn]):
                        f.seek(base + (pfn - a) * PAGE)
                        f.write(pages[pfn])
            f.truncate(self.size)

    def cuts(self):
        """Where to cut it short: in the ELF header, the program headers, the notes, the segments."""
        return [10, 63, 100, self.ph_end - 1, self.ph_end + 100, self.ph_end + self.notes_len - 1] + \
               [self.size * k // 8 for k in range(1, 8, 2)] + [self.size - PAGE, self.size - 1]


UTSNAME_MACHINE = 272  # disk_dump_header.utsname.machine (new_utsname's fifth 65-byte field, after 8 + 4 + 4 * 65)
UTS_LEN = 65

# ELF cores of other machines, which nestscope must refuse: (file name, e_machine, EI_CLASS, EI_DATA)
FOREIGN_CORES = (("aarch64.core", 183, 2, 1), ("riscv.core", 243, 2, 1), ("s390x.core", 22, 2, 2),
                 ("arm.core", 40, 1, 1))
# QEMU's core of an x86 guest outside long mode: ELF32, EM_386; scan reads its physical memory
I386_CORE = ("i386.core", 3, 1, 1)


def kdump_of_machine(kd, machine):
    """The kdump's bytes with its header's utsname.machine set to machine (e.g. "aarch64")."""
    out = bytearray(kd)
    out[UTSNAME_MACHINE:UTSNAME_MACHINE + UTS_LEN] = machine.encode().ljust(UTS_LEN, b"\0")
    return out


def elf_core_header(machine, cls=2, data=1):
    """The first page of an ELF core (ET_CORE) of e_machine machine: ELF64 (cls 2) or ELF32 (cls 1), little- (data
    1) or big-endian (data 2), one PT_LOAD of a page at file offset PAGE."""
    e = "<" if data == 1 else ">"
    if cls == 2:
        h = b"\x7fELF" + bytes([2, data, 1]) + bytes(9) + struct.pack(e + "HHIQQQIHHHHHH", 4, machine, 1, 0, 64,
                                                                      0, 0, 64, 56, 1, 0, 0, 0)
        h += struct.pack(e + "IIQQQQQQ", 1, 7, PAGE, 0, 0, PAGE, PAGE, PAGE)
    else:
        h = b"\x7fELF" + bytes([1, data, 1]) + bytes(9) + struct.pack(e + "HHIIIIIHHHHHH", 4, machine, 1, 0, 52,
                                                                      0, 0, 52, 32, 1, 0, 0, 0)
        h += struct.pack(e + "IIIIIIII", 1, PAGE, 0, 0, PAGE, PAGE, 7, PAGE)
    return h.ljust(PAGE, b"\0")
