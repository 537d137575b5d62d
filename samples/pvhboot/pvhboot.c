/*
 * pvhboot: a 32-bit loader that boots a Linux kernel through its PVH entry
 * point instead of the bzImage decompressor, because Bochs needs about a
 * minute to run Debian's XZ decompressor.  It takes the file SYSLINUX loaded
 * as the initrd (written by pvhpack: the kernel's segments, already
 * uncompressed, plus the real initramfs), copies the segments to their
 * physical addresses, builds the PVH start info from boot_params (memory
 * map, command line, initramfs) and enters the kernel.
 */
#include "pvhpack.h"

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

/* struct boot_params offsets (Documentation/arch/x86/zero-page.rst) */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_CMD_LINE_PTR 0x0c8
#define BP_E820_ENTRIES 0x1e8
#define BP_RAMDISK_IMAGE 0x218
#define BP_CMD_LINE_PTR 0x228
#define BP_E820_TABLE 0x2d0

/* Xen's public/arch-x86/hvm/start_info.h, version 1 */
struct hvm_start_info {
	u32 magic, version, flags, nr_modules;
	u64 modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	u32 memmap_entries, reserved;
};
struct hvm_modlist_entry { u64 paddr, size, cmdline_paddr, reserved; };
struct hvm_memmap_table_entry { u64 addr, size; u32 type, reserved; };
#define HVM_START_MAGIC 0x336ec578

static struct hvm_start_info start_info;
static struct hvm_modlist_entry module;
static struct hvm_memmap_table_entry memmap[128];

void loader_main(u8 *bp);
void pvh_enter(u32 entry, struct hvm_start_info *si) __attribute__((noreturn));

static void copy(void *dst, const void *src, u32 n)
{
	u32 d = (u32)dst, s = (u32)src, c = n / 4;

	/* the segments come from high memory to low: no overlap, plain forward copy */
	__asm__ volatile("rep movsl" : "+D"(d), "+S"(s), "+c"(c) : : "memory");
	c = n & 3;
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(c) : : "memory");
}

static void zero(void *dst, u32 n)
{
	u32 d = (u32)dst, c = n;

	__asm__ volatile("rep stosb" : "+D"(d), "+c"(c) : "a"(0) : "memory");
}

static void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }

static u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* Reports on COM1 (SYSLINUX set it up): wait for the transmitter, then send. */
static void say(const char *s)
{
	for (; *s; s++) {
		for (int spin = 0; spin < 100000 && !(inb(0x3fd) & 0x20); spin++)
			;
		outb(0x3f8, (u8)*s);
	}
}

static u32 rd32(const u8 *p) { return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24; }

/* The ACPI RSDP, which the BIOS keeps in 0xe0000..0xfffff on a 16-byte boundary. */
static u32 find_rsdp(void)
{
	for (u32 a = 0xe0000; a < 0x100000; a += 16) {
		const u8 *p = (const u8 *)a;
		if (p[0] == 'R' && p[1] == 'S' && p[2] == 'D' && p[3] == ' ' && p[4] == 'P' && p[5] == 'T' &&
		    p[6] == 'R' && p[7] == ' ')
			return a;
	}
	return 0;
}

void loader_main(u8 *bp)
{
	u32 rd = rd32(bp + BP_RAMDISK_IMAGE);
	const struct pvhpack_header *h = (const struct pvhpack_header *)rd;
	const char *magic = PVHPACK_MAGIC;
	u32 n;

	if (rd32(bp + BP_EXT_RAMDISK_IMAGE))
		rd = 0; /* above 4 GiB: not with 512 MiB of RAM */
	for (int i = 0; i < 8; i++)
		if (!rd || h->magic[i] != magic[i]) {
			say("pvhboot: the initrd is not a pvhpack image\r\n");
			return;
		}
	say("pvhboot: loading the kernel\r\n");
	for (u32 i = 0; i < h->nsegs && i < PVHPACK_MAX_SEGS; i++) {
		const struct pvhpack_seg *s = &h->seg[i];
		copy((void *)s->paddr, (const u8 *)rd + s->offset, s->filesz);
		zero((u8 *)s->paddr + s->filesz, s->memsz - s->filesz);
	}
	n = bp[BP_E820_ENTRIES];
	if (n > 128)
		n = 128;
	for (u32 i = 0; i < n; i++) {
		const u8 *e = bp + BP_E820_TABLE + 20 * i;
		memmap[i].addr = rd32(e) | (u64)rd32(e + 4) << 32;
		memmap[i].size = rd32(e + 8) | (u64)rd32(e + 12) << 32;
		memmap[i].type = rd32(e + 16);
	}
	module.paddr = rd + h->initrd_offset;
	module.size = h->initrd_size;
	start_info.magic = HVM_START_MAGIC;
	start_info.version = 1;
	start_info.nr_modules = 1;
	start_info.modlist_paddr = (u32)&module;
	start_info.cmdline_paddr = rd32(bp + BP_CMD_LINE_PTR) | (u64)rd32(bp + BP_EXT_CMD_LINE_PTR) << 32;
	start_info.rsdp_paddr = find_rsdp();
	start_info.memmap_paddr = (u32)memmap;
	start_info.memmap_entries = n;
	say("pvhboot: entering the kernel at its PVH entry\r\n");
	pvh_enter(h->entry, &start_info);
}
