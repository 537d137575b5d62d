"""Writes a raw memory image as a kdump-compressed dump (makedumpfile's diskdump format, header version 6), each
page compressed with zlib on its own and all-zero pages left out, as `makedumpfile -c -d 1` writes them.

The bench needs a compressed kdump of several GiB: makedumpfile cannot make one from the samples' memory, because
it keeps only the pages the kernel's own mem_map describes (512 MiB on the sample machine).  No VMCOREINFO and no
notes: `nestscope scan` reads physical memory only.  Layout (x86-64, little-endian, 4 KiB blocks): block 0 the
disk_dump_header, block 1 the kdump_sub_header, then the two bitmaps (RAM, dumped), the page descriptors
(offset, size, flags, page_flags) and the page data.

usage: raw2kdump.py RAW OUT
"""
import os
import struct
import sys
import zlib

PAGE = 4096
DUMP_DH_COMPRESSED_ZLIB = 1
ZERO = bytes(PAGE)


def main(raw, out):
    size = os.path.getsize(raw)
    mapnr = size // PAGE
    dumped = bytearray((mapnr + 7) // 8)
    count = 0
    with open(raw, "rb") as f:
        for pfn in range(mapnr):
            if f.read(PAGE) != ZERO:
                dumped[pfn >> 3] |= 1 << (pfn & 7)
                count += 1
    bitmap_len = (len(dumped) + PAGE - 1) // PAGE * PAGE
    bitmap_blocks = 2 * bitmap_len // PAGE
    ram = bytearray(b"\xff" * (mapnr // 8)) + (bytes([(1 << (mapnr % 8)) - 1]) if mapnr % 8 else b"")
    desc_at = (2 + bitmap_blocks) * PAGE
    data_at = desc_at + 24 * count

    utsname = b"".join(s.ljust(65, b"\0") for s in (b"Linux", b"", b"", b"", b"x86_64", b""))
    header = (b"KDUMP   " + struct.pack("<i", 6) + utsname + bytes(6) + struct.pack("<qq", 0, 0) +
              struct.pack("<IiiIIIIIIi", DUMP_DH_COMPRESSED_ZLIB, PAGE, 1, bitmap_blocks, min(mapnr, 0xffffffff),
                          0, 0, 0, 0, 1))
    sub = struct.pack("<QiiQQQQQQQQQQQ", 0, 1, 0, 0, min(mapnr, 0xffffffff), 0, 0, 0, 0, 0, 0, 0, mapnr, mapnr)
    descs = bytearray()
    with open(raw, "rb") as f, open(out, "wb") as o:
        o.write(header.ljust(PAGE, b"\0") + sub.ljust(PAGE, b"\0"))
        o.write(bytes(ram).ljust(bitmap_len, b"\0") + bytes(dumped).ljust(bitmap_len, b"\0"))
        o.seek(data_at)
        at = data_at
        for pfn in range(mapnr):
            page = f.read(PAGE)
            if not dumped[pfn >> 3] >> (pfn & 7) & 1:
                continue
            z = zlib.compress(page, 1)
            flags = DUMP_DH_COMPRESSED_ZLIB
            if len(z) >= PAGE:
                z, flags = page, 0
            o.write(z)
            descs += struct.pack("<QIIQ", at, len(z), flags, 0)
            at += len(z)
        o.seek(desc_at)
        o.write(descs)
    print(f"{out}: {count} of {mapnr} pages, {at} bytes")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
