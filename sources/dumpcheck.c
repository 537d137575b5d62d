/*
 * What a dump file is, and whether its headers fit the file, checked before
 * libkdumpfile sees it.  libkdumpfile 0.5.1 crashes on some files it fails
 * to open (docs/robustness.md, "libkdumpfile"), so only a kdump-compressed
 * dump or an ELF core of x86-64 whose every header, bitmap and page
 * descriptor table lies inside the file is handed to it; anything else is
 * refused here with its cause, or read as a raw memory image.
 *
 * Layouts: makedumpfile's disk_dump_header and kdump_sub_header (64-bit,
 * little-endian: the x86-64 ones), and <elf.h>.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "sources.h"

#define KDUMP_HDR 464          /* sizeof(struct disk_dump_header), 64-bit */
#define KDUMP_SUB 104          /* sizeof(struct kdump_sub_header), 64-bit */
#define PD_SIZE 24             /* sizeof(struct page_desc) */
#define X86_PAGE 4096u
#define MAX_PFNS (1ull << 40)  /* 52-bit physical addresses */
#define MAX_SUB_BLOCKS 4096u   /* 16 MiB of notes is more than 8192 CPUs need */
#define MAX_NOTES (64ull << 20)
#define TAIL_PDS 4096u         /* page descriptors read from the end to find where the data ends */
#define ELF_GAP (64ull << 20)
#define MAX_PHNUM (1u << 20)
#define WINDOW (1u << 20)
#define MAX_SHNUM (1u << 16)   /* a core has none, or the one PN_XNUM needs; Xen's a handful */

static uint16_t get16(const uint8_t *p, bool be)
{
	return be ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* A string from the file, fit for a one-line message: non-printable bytes escaped. */
static void printable(char *out, size_t n, const uint8_t *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && s[i] && o + 5 < n; i++)
		o += (size_t)snprintf(out + o, n - o, s[i] >= ' ' && s[i] < 0x7f && s[i] != '\\' ? "%c" : "\\x%02x", s[i]);
	out[o] = '\0';
}

static int cut(struct ns_error *err, const char *name, const char *what, uint64_t size, uint64_t need, bool exact)
{
	return ns_fail(err, NS_ERR_TRUNCATED, "%s: %s cut at byte %llu of %s%llu: the file is truncated", name, what,
		       (unsigned long long)size, exact ? "" : "at least ", (unsigned long long)need);
}

/* Machines by the names the kernel (utsname) and <elf.h> give them. */
static const struct {
	const char *uts;
	unsigned em;
	const char *article, *name;
} machines[] = {
	{ "x86_64", EM_X86_64, "an", "x86-64" },     { "aarch64", EM_AARCH64, "an", "AArch64" },
	{ "riscv64", EM_RISCV, "a", "RISC-V" },       { "i686", EM_386, "an", "i386" },
	{ "ppc64le", EM_PPC64, "a", "PowerPC 64" },   { "ppc64", EM_PPC64, "a", "PowerPC 64" },
	{ "s390x", EM_S390, "an", "s390x" },          { "armv7l", EM_ARM, "an", "Arm" },
	{ "loongarch64", 258, "a", "LoongArch" },     { "mips64", EM_MIPS, "a", "MIPS" },
	{ "sparc64", EM_SPARCV9, "a", "SPARC" },      { "ia64", EM_IA_64, "an", "Itanium" },
};
#define NMACHINES (sizeof(machines) / sizeof(machines[0]))

/* ---- kdump-compressed (makedumpfile, QEMU's dump-guest-memory -z/-l/-s) ---- */

/* Set bits below nbits in the bitmap at off, read a window at a time. */
static bool count_bits(int fd, uint64_t off, uint64_t nbits, uint64_t *count)
{
	uint8_t *buf = malloc(WINDOW);
	uint64_t bytes = (nbits + 7) / 8, done = 0, n = 0;

	if (!buf)
		return false;
	while (done < bytes) {
		size_t len = bytes - done < WINDOW ? (size_t)(bytes - done) : WINDOW;

		if (!ns_pread_full(fd, buf, len, off + done)) {
			free(buf);
			return false;
		}
		for (size_t i = 0; i < len; i++) {
			uint8_t b = buf[i];
			uint64_t bit = (done + i) * 8;

			if (bit + 8 > nbits)
				b &= (uint8_t)((1u << (nbits - bit)) - 1);
			n += (uint64_t)__builtin_popcount(b);
		}
		done += len;
	}
	free(buf);
	*count = n;
	return true;
}

/*
 * ELF notes: whole notes (header, name, data, each 4-byte aligned) filling
 * len, but for zero padding; vi_len: the VMCOREINFO note's data must be
 * there, at vi_off.
 */
static int check_notes(int fd, uint64_t off, uint64_t len, uint64_t vi_off, uint64_t vi_len, const char *name,
		       const char *what, struct ns_error *err)
{
	uint8_t *p = malloc(len ? (size_t)len : 1);
	uint64_t pos = 0;
	unsigned i = 0;
	bool vmcoreinfo = false;

	if (!p)
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if (!ns_pread_full(fd, p, (size_t)len, off)) {
		free(p);
		return ns_fail(err, NS_ERR_IO, "%s: cannot read its ELF notes", name);
	}
	for (; pos + 12 <= len; i++) {
		uint64_t namesz = le32(p + pos), descsz = le32(p + pos + 4);
		uint64_t next = pos + 12 + ((namesz + 3) & ~3ull) + ((descsz + 3) & ~3ull);

		if (!namesz && !descsz && !le32(p + pos + 8))
			break; /* padding */
		if (next > len) {
			free(p);
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt %s: ELF note %u at byte %llu claims %llu + %llu bytes, "
				       "past the end of its notes (byte %llu)", name, what, i, (unsigned long long)(off + pos),
				       (unsigned long long)namesz, (unsigned long long)descsz, (unsigned long long)(off + len));
		}
		if (namesz == 11 && !memcmp(p + pos + 12, "VMCOREINFO", 11))
			vmcoreinfo = off + pos + 24 == vi_off && descsz == vi_len;
		pos = next;
	}
	if (vi_len && !vmcoreinfo) {
		free(p);
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt %s: no VMCOREINFO note among its ELF notes with the %llu bytes "
			       "at byte %llu its header says", name, what, (unsigned long long)vi_len,
			       (unsigned long long)vi_off);
	}
	for (; pos < len; pos++)
		if (p[pos]) {
			free(p);
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt %s: bytes after its last ELF note (at byte %llu)", name,
				       what, (unsigned long long)(off + pos));
		}
	free(p);
	return NS_OK;
}

static int check_kdump(int fd, uint64_t size, const char *name, const uint8_t *h, struct ns_error *err)
{
	uint8_t sub[KDUMP_SUB];
	char machine[80];
	int32_t version = (int32_t)le32(h + 8), sub_blocks = (int32_t)le32(h + 432), bs = (int32_t)le32(h + 428);
	uint32_t bitmap_blocks = le32(h + 436), mapnr32 = le32(h + 440);
	uint64_t pfns, bits, hdr_end, bitmap2, ndesc, desc_end, data_end, first, tail;
	uint8_t *pds;

	if (size < KDUMP_HDR)
		return cut(err, name, "a kdump", size, KDUMP_HDR, false);
	if ((version < 1 || version > 6) && be32(h + 8) >= 1 && be32(h + 8) <= 6)
		return ns_fail(err, NS_ERR_FORMAT, "%s: a big-endian kdump: nestscope reads x86-64 dumps", name);
	printable(machine, sizeof(machine), h + DISKDUMP_UTS_MACHINE, UTS_FIELD);
	/* QEMU's kdumps leave utsname empty but for the machine; libkdumpfile then reads VMCOREINFO alone */
	if (strcmp(machine, "x86_64") && machine[0]) {
		for (size_t i = 0; i < NMACHINES; i++)
			if (!strcmp(machine, machines[i].uts))
				return ns_fail(err, NS_ERR_FORMAT, "%s: %s %s kdump: nestscope reads x86-64 dumps", name,
					       machines[i].article, machines[i].name);
		return ns_fail(err, NS_ERR_FORMAT,
			       "%s: a kdump whose header names the machine '%s', not x86_64: corrupt, or another "
			       "architecture's", name, machine);
	}
	if (version < 1 || version > 6)
		return ns_fail(err, NS_ERR_FORMAT,
			       "%s: corrupt kdump header: version %d (makedumpfile writes 1 to 6)", name, version);
	if (bs != X86_PAGE)
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt kdump header: block size %d, not x86-64's 4096", name, bs);
	if (sub_blocks < 1 || (uint32_t)sub_blocks > MAX_SUB_BLOCKS)
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt kdump header: a sub-header of %d blocks", name, sub_blocks);
	if (size < X86_PAGE + KDUMP_SUB)
		return cut(err, name, "a kdump", size, X86_PAGE + KDUMP_SUB, false);
	if (!ns_pread_full(fd, sub, sizeof(sub), X86_PAGE))
		return ns_fail(err, NS_ERR_IO, "%s: cannot read the kdump sub-header", name);
	if (le32(sub + 12))
		return ns_fail(err, NS_ERR_FORMAT, "%s: one part of a split kdump (makedumpfile --split): join the parts "
			       "with makedumpfile --reassemble first", name);
	pfns = version >= 6 ? le64(sub + 96) : mapnr32;
	if (version >= 6 && mapnr32 != (pfns > UINT32_MAX ? UINT32_MAX : pfns))
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt kdump header: max_mapnr %u disagrees with the sub-header's "
			       "max_mapnr_64 %llu", name, mapnr32, (unsigned long long)pfns);
	if (!pfns || pfns > MAX_PFNS)
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt kdump header: %llu page frames", name,
			       (unsigned long long)pfns);
	/* two bitmaps (all RAM, then the pages dumped), each whole blocks and no more than needed */
	bits = (uint64_t)bitmap_blocks * X86_PAGE * 8 / 2;
	if (bitmap_blocks % 2 || pfns > bits || bits - pfns >= X86_PAGE * 8)
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt kdump header: page bitmaps of %u blocks do not fit %llu "
			       "page frames", name, bitmap_blocks, (unsigned long long)pfns);
	hdr_end = (1 + (uint64_t)sub_blocks + bitmap_blocks) * X86_PAGE;
	/* the notes (VMCOREINFO among them) are in the sub-header's blocks */
	for (int i = 0; i < 2; i++) {
		uint64_t off = le64(sub + (i ? 48 : 32)), len = le64(sub + (i ? 56 : 40));

		if (version < (i ? 4 : 3) || !len)
			continue;
		if (off < X86_PAGE + KDUMP_SUB || len > MAX_NOTES || off + len > (1 + (uint64_t)sub_blocks) * X86_PAGE)
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt kdump sub-header: its %s (%llu bytes at byte %llu) "
				       "lie outside the sub-header (bytes 4096 to %llu)", name, i ? "ELF notes" : "VMCOREINFO",
				       (unsigned long long)len, (unsigned long long)off,
				       (unsigned long long)(1 + (uint64_t)sub_blocks) * X86_PAGE);
	}
	if (size < hdr_end)
		return cut(err, name, "a kdump", size, hdr_end, false);
	if (version >= 4 && le64(sub + 56)) {
		uint64_t off = le64(sub + 48), len = le64(sub + 56), vi_off = le64(sub + 32), vi_len = le64(sub + 40);
		uint64_t blocks = (off + len - X86_PAGE + X86_PAGE - 1) / X86_PAGE;
		int rc;

		/* makedumpfile and QEMU size the sub-header to hold its notes, no more */
		if (blocks != (uint64_t)sub_blocks)
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt kdump header: a sub-header of %d blocks, but its notes "
				       "end in its block %llu", name, sub_blocks, (unsigned long long)blocks);
		if (version >= 3 && vi_len && (vi_off < off || vi_off + vi_len > off + len))
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt kdump sub-header: its VMCOREINFO (%llu bytes at byte "
				       "%llu) is not among its notes (%llu bytes at byte %llu)", name,
				       (unsigned long long)vi_len, (unsigned long long)vi_off, (unsigned long long)len,
				       (unsigned long long)off);
		if ((rc = check_notes(fd, off, len, version >= 3 ? vi_off : 0, version >= 3 ? vi_len : 0, name, "kdump",
				      err)))
			return rc;
	}
	bitmap2 = (1 + (uint64_t)sub_blocks) * X86_PAGE + (uint64_t)bitmap_blocks * X86_PAGE / 2;
	if (!count_bits(fd, bitmap2, pfns, &ndesc))
		return ns_fail(err, NS_ERR_IO, "%s: cannot read the kdump's page bitmap", name);
	desc_end = hdr_end + ndesc * PD_SIZE;
	if (size < desc_end)
		return cut(err, name, "a kdump", size, desc_end, false);
	/* where the page data ends: the highest of the last descriptors (makedumpfile writes in order) */
	data_end = desc_end;
	if (version >= 5 && le64(sub + 72)) {
		uint64_t off = le64(sub + 64), len = le64(sub + 72);

		if (off < desc_end || len > MAX_NOTES || off + len < off)
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt kdump sub-header: erase information of %llu bytes at "
				       "byte %llu", name, (unsigned long long)len, (unsigned long long)off);
		data_end = off + len;
	}
	tail = ndesc < TAIL_PDS ? ndesc : TAIL_PDS;
	if (tail) {
		if (!(pds = malloc(tail * PD_SIZE)))
			return ns_fail(err, NS_ERR_NOMEM, "out of memory");
		first = desc_end - tail * PD_SIZE;
		if (!ns_pread_full(fd, pds, tail * PD_SIZE, first)) {
			free(pds);
			return ns_fail(err, NS_ERR_IO, "%s: cannot read the kdump's page descriptors", name);
		}
		for (uint64_t i = 0; i < tail; i++) {
			uint64_t off = le64(pds + i * PD_SIZE);
			uint32_t len = le32(pds + i * PD_SIZE + 8);

			if (off < desc_end || len > X86_PAGE || off + len < off) {
				free(pds);
				return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt kdump: page descriptor %llu says %u bytes at "
					       "byte %llu", name, (unsigned long long)(ndesc - tail + i), len,
					       (unsigned long long)off);
			}
			if (off + len > data_end)
				data_end = off + len;
		}
		free(pds);
	}
	if (size < data_end)
		return cut(err, name, "a kdump", size, data_end, true);
	return NS_OK;
}

/* ---- ELF cores (/proc/vmcore, QEMU's dump-guest-memory, makedumpfile -E, /proc/kcore) ---- */

static const char *elf_type(unsigned t)
{
	switch (t) {
	case ET_REL: return "a relocatable object";
	case ET_EXEC: return "an executable";
	case ET_DYN: return "a shared library or position-independent executable";
	default: return "of an unknown type";
	}
}

/* The machine's name; *article "a" or "an" */
static const char *elf_machine(unsigned em, const char **article, char *buf, size_t n)
{
	for (size_t i = 0; i < NMACHINES; i++)
		if (machines[i].em == em) {
			*article = machines[i].article;
			return machines[i].name;
		}
	snprintf(buf, n, "e_machine %u", em);
	*article = "an";
	return buf;
}

/* Where ELF's fields are, in the 64-bit and 32-bit forms (<elf.h>'s Elf64_* and Elf32_*). */
static const struct elf_form {
	bool is64;
	unsigned ehsize, phentsize, shentsize;
	unsigned e_phoff, e_shoff, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
	unsigned p_offset, p_filesz, p_memsz;
	unsigned sh_offset, sh_size, sh_info;
} elf64 = { true, 64, 56, 64, 32, 40, 54, 56, 58, 60, 62, 8, 32, 40, 24, 32, 44 },
  elf32 = { false, 52, 32, 40, 28, 32, 42, 44, 46, 48, 50, 4, 16, 20, 16, 20, 28 };

static uint64_t word(const struct elf_form *f, const uint8_t *p)
{
	return f->is64 ? le64(p) : le32(p);
}

/*
 * Section headers, as libkdumpfile 0.5.1 reads them when e_shoff is not 0:
 * header 0 (the count when e_shnum is 0) in a chunk of e_shentsize bytes,
 * then every header, then the section name table (e_shstrndx) and the
 * sections it names.  A chunk of 0 bytes gives it a NULL header that it
 * reads anyway (docs/robustness.md, "libkdumpfile"): the table must be
 * whole Elf64_Shdr entries inside the file, and every section's data too.
 */
static int check_sections(int fd, uint64_t size, const char *name, const uint8_t *h, const struct elf_form *f,
			  struct ns_error *err)
{
	uint64_t shoff = word(f, h + f->e_shoff), n = get16(h + f->e_shnum, false), strndx = get16(h + f->e_shstrndx, false);
	unsigned shsize = f->shentsize;
	uint8_t *sh;

	if (!shoff && !n)
		return NS_OK;
	/* at byte 0 (e_shoff 0, e_shnum set), libkdumpfile reads e_shnum headers of e_shentsize bytes too */
	if (!shoff || get16(h + f->e_shentsize, false) != shsize || shoff > size || size - shoff < shsize)
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt ELF header: section headers of %u bytes at byte %llu "
			       "(the file has %llu)", name, get16(h + f->e_shentsize, false), (unsigned long long)shoff,
			       (unsigned long long)size);
	if (!n) {
		uint8_t sh0[sizeof(Elf64_Shdr)];

		if (!ns_pread_full(fd, sh0, shsize, shoff))
			return ns_fail(err, NS_ERR_IO, "%s: cannot read its section header 0", name);
		n = word(f, sh0 + f->sh_size);
	}
	if (n > MAX_SHNUM || n > (size - shoff) / shsize)
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt ELF header: %llu section headers at byte %llu (the file "
			       "has %llu bytes)", name, (unsigned long long)n, (unsigned long long)shoff,
			       (unsigned long long)size);
	if (!n)
		return NS_OK;
	if (!(sh = malloc((size_t)n * shsize)))
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if (!ns_pread_full(fd, sh, (size_t)n * shsize, shoff)) {
		free(sh);
		return ns_fail(err, NS_ERR_IO, "%s: cannot read its section headers", name);
	}
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *p = sh + i * shsize;
		uint32_t type = le32(p + 4);
		uint64_t off = word(f, p + f->sh_offset), len = word(f, p + f->sh_size);

		/* section 0 holds counts, not data; the name table is read whatever its type */
		if (i == 0 || ((type == SHT_NULL || type == SHT_NOBITS) && i != strndx))
			continue;
		if (off > size || len > size - off) {
			free(sh);
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt section header %llu: %llu bytes at byte %llu, past "
				       "the end of the file (%llu bytes)", name, (unsigned long long)i,
				       (unsigned long long)len, (unsigned long long)off, (unsigned long long)size);
		}
	}
	free(sh);
	return NS_OK;
}

static int check_elf(int fd, uint64_t size, const char *name, const uint8_t *h, struct ns_error *err)
{
	char mbuf[32];
	const char *mname, *article;
	bool be = h[EI_DATA] == ELFDATA2MSB;
	const struct elf_form *f;
	unsigned type, machine, phnum;
	uint64_t phoff, pht_end, end = 0, end_off = 0;
	uint8_t *ph;

	if (size < EI_NIDENT + 4)
		return cut(err, name, "an ELF file", size, sizeof(Elf64_Ehdr), false);
	if ((h[EI_CLASS] != ELFCLASS32 && h[EI_CLASS] != ELFCLASS64) ||
	    (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB))
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt ELF header: class %u, data encoding %u", name,
			       h[EI_CLASS], h[EI_DATA]);
	type = get16(h + 16, be);
	machine = get16(h + 18, be);
	mname = elf_machine(machine, &article, mbuf, sizeof(mbuf));
	if (type != ET_CORE)
		return ns_fail(err, NS_ERR_FORMAT, "%s: not a core file: ELF, but %s (%s)", name, elf_type(type), mname);
	/*
	 * x86-64 cores, and the EM_386 ones (ELF64 or ELF32) QEMU's
	 * dump-guest-memory writes of an x86 guest outside long mode: their
	 * physical memory is what scan reads
	 */
	if (!be && (machine == EM_X86_64 || machine == EM_386))
		f = h[EI_CLASS] == ELFCLASS64 ? &elf64 : &elf32;
	else if (be)
		return ns_fail(err, NS_ERR_FORMAT, "%s: a big-endian %s core: nestscope reads x86-64 dumps", name, mname);
	else
		return ns_fail(err, NS_ERR_FORMAT, "%s: %s %s core: nestscope reads x86-64 dumps", name, article, mname);
	if (size < f->ehsize)
		return cut(err, name, "an ELF core", size, f->ehsize, false);
	phoff = word(f, h + f->e_phoff);
	phnum = get16(h + f->e_phnum, false);
	if (get16(h + f->e_phentsize, false) != f->phentsize)
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt ELF header: program headers of %u bytes, not %u", name,
			       get16(h + f->e_phentsize, false), f->phentsize);
	if (phnum == PN_XNUM) {
		/* more than 65534 program headers: the count is in section header 0 */
		uint8_t sh[sizeof(Elf64_Shdr)];
		uint64_t shoff = word(f, h + f->e_shoff);

		if (get16(h + f->e_shentsize, false) != f->shentsize || shoff > size || size - shoff < f->shentsize)
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt ELF header: PN_XNUM program headers, and no "
				       "section header 0 to count them", name);
		if (!ns_pread_full(fd, sh, f->shentsize, shoff))
			return ns_fail(err, NS_ERR_IO, "%s: cannot read its section header 0", name);
		phnum = le32(sh + f->sh_info);
	}
	if (!phnum || phnum > MAX_PHNUM || phoff < f->ehsize || phoff > (1ull << 62))
		return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt ELF header: %u program headers at byte %llu", name, phnum,
			       (unsigned long long)phoff);
	pht_end = phoff + (uint64_t)phnum * f->phentsize;
	if (pht_end > size) {
		if (phoff >= size && phoff > WINDOW)
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt ELF header: program headers at byte %llu, past the "
				       "end of the file (%llu bytes)", name, (unsigned long long)phoff,
				       (unsigned long long)size);
		return cut(err, name, "an ELF core", size, pht_end, false);
	}
	if (!(ph = malloc((size_t)phnum * f->phentsize)))
		return ns_fail(err, NS_ERR_NOMEM, "out of memory");
	if (!ns_pread_full(fd, ph, (size_t)phnum * f->phentsize, phoff)) {
		free(ph);
		return ns_fail(err, NS_ERR_IO, "%s: cannot read its program headers", name);
	}
	for (unsigned i = 0; i < phnum; i++) {
		const uint8_t *p = ph + (size_t)i * f->phentsize;
		uint32_t pt = le32(p);
		uint64_t off = word(f, p + f->p_offset), filesz = word(f, p + f->p_filesz), memsz = word(f, p + f->p_memsz);

		if (pt != PT_LOAD && pt != PT_NOTE)
			continue;
		if (off + filesz < off || (pt == PT_LOAD && filesz > memsz) || (pt == PT_NOTE && filesz > MAX_NOTES)) {
			free(ph);
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt program header %u: %s of %llu bytes (%llu in memory) "
				       "at byte %llu", name, i, pt == PT_LOAD ? "a segment" : "notes",
				       (unsigned long long)filesz, (unsigned long long)memsz, (unsigned long long)off);
		}
		if (filesz && off + filesz > end) {
			end = off + filesz;
			end_off = off;
		}
	}
	if (end > size) {
		/* a cut file loses its last segments; a segment that starts far past all others is a corrupt header */
		uint64_t others = pht_end;

		for (unsigned i = 0; i < phnum; i++) {
			const uint8_t *p = ph + (size_t)i * f->phentsize;
			uint64_t off = word(f, p + f->p_offset), e = off + word(f, p + f->p_filesz);

			if ((le32(p) == PT_LOAD || le32(p) == PT_NOTE) && off < end_off && e > others)
				others = e;
		}
		free(ph);
		if (end_off >= size && end_off > others + ELF_GAP)
			return ns_fail(err, NS_ERR_FORMAT, "%s: corrupt program header: a segment at byte %llu, far past the "
				       "others (they end at byte %llu) and the file's end (%llu)", name,
				       (unsigned long long)end_off, (unsigned long long)others, (unsigned long long)size);
		return cut(err, name, "an ELF core", size, end, true);
	}
	free(ph);
	return check_sections(fd, size, name, h, f, err);
}

int ns_dump_check(int fd, uint64_t size, const char *name, enum ns_dump_kind *kind, struct ns_error *err)
{
	uint8_t h[KDUMP_HDR] = { 0 };
	size_t n = size < sizeof(h) ? (size_t)size : sizeof(h);

	*kind = NS_DUMP_RAW;
	if (!ns_pread_full(fd, h, n, 0))
		return ns_fail(err, NS_ERR_IO, "%s: cannot read its first %zu bytes", name, n);
	if (n >= 8 && !memcmp(h, "KDUMP   ", 8)) {
		*kind = NS_DUMP_KDUMP;
		return check_kdump(fd, size, name, h, err);
	}
	if (n >= 8 && !memcmp(h, "DISKDUMP", 8))
		return ns_fail(err, NS_ERR_FORMAT, "%s: an old diskdump (not kdump-compressed): nestscope reads kdump "
			       "and ELF dumps", name);
	if (n >= 12 && !memcmp(h, "makedumpfile", 12))
		return ns_fail(err, NS_ERR_FORMAT, "%s: a flattened makedumpfile stream (makedumpfile -F): rearrange it "
			       "with 'makedumpfile -R' first", name);
	if (n >= 4 && !memcmp(h, ELFMAG, SELFMAG)) {
		*kind = NS_DUMP_ELF;
		return check_elf(fd, size, name, h, err);
	}
	return NS_OK;
}
