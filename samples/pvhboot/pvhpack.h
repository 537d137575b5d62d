/*
 * The layout pvhpack writes and the pvhboot loader reads: one file that
 * SYSLINUX loads as the "initrd", holding the kernel's loadable segments
 * (from vmlinux), its PVH entry point, and the real initramfs.
 * All fields little-endian; offsets are from the start of the file.
 */
#ifndef PVHPACK_H
#define PVHPACK_H

#define PVHPACK_MAGIC "NSPVH01"
#define PVHPACK_MAX_SEGS 16

struct pvhpack_seg {
	unsigned int paddr;   /* where the segment goes */
	unsigned int offset;  /* where its bytes are in this file */
	unsigned int filesz;  /* bytes to copy */
	unsigned int memsz;   /* bytes it occupies (the rest is zeroed) */
};

struct pvhpack_header {
	char magic[8];
	unsigned int entry;        /* physical address of the PVH entry (pvh_start_xen) */
	unsigned int nsegs;
	unsigned int initrd_offset;
	unsigned int initrd_size;
	struct pvhpack_seg seg[PVHPACK_MAX_SEGS];
};

#endif
