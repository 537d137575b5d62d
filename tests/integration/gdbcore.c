/*
 * gdbcore: presents a kdump-compressed kernel dump to gdb, which reads ELF
 * cores but not the kdump format.  Like QEMU's dump-guest-memory with
 * paging, it walks the kernel's page tables (init_top_pgt, the upper half)
 * and writes one PT_LOAD per run of mapped pages, at their kernel virtual
 * addresses: the direct map, the kernel image, modules and vmalloc space.
 * Pages the dump filtered out stay out of the core, so gdb cannot read them
 * either.  Each physical page is read and stored once, however many mappings
 * share it; the page data comes first and the headers after it.
 *
 * usage: gdbcore DUMP OUT.elf
 */
#include <elf.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libkdumpfile/kdumpfile.h>

#define PAGE 4096ull
#define PFN_MASK 0x000ffffffffff000ull

struct page_map {
	uint64_t vaddr, pfn;
};

static kdump_ctx_t *ctx;
static struct page_map *maps;
static size_t nmaps, capmaps;

static void die(const char *what)
{
	fprintf(stderr, "gdbcore: %s%s%s\n", what, ctx ? ": " : "", ctx ? kdump_get_err(ctx) : "");
	exit(1);
}

static bool read_phys(uint64_t pa, void *buf, size_t len)
{
	size_t n = len;

	return kdump_read(ctx, KDUMP_KPHYSADDR, pa, buf, &n) == KDUMP_OK && n == len;
}

static void add(uint64_t vaddr, uint64_t pfn)
{
	if (nmaps == capmaps) {
		capmaps = capmaps ? 2 * capmaps : 65536;
		maps = realloc(maps, capmaps * sizeof(*maps));
		if (!maps)
			die("out of memory");
	}
	maps[nmaps++] = (struct page_map){ vaddr, pfn };
}

static uint64_t canon(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16);
}

/* One level of the 4-level walk; leaves (and large pages) become page maps. */
static void walk(uint64_t table, int level, uint64_t base)
{
	static const unsigned shift[] = { 39, 30, 21, 12 };
	uint64_t e[512];

	if (!read_phys(table, e, sizeof(e)))
		return;
	for (int i = level == 0 ? 256 : 0; i < 512; i++) {
		uint64_t va = canon(base | (uint64_t)i << shift[level]);

		if (!(e[i] & 1))
			continue;
		if (level == 3 || (level > 0 && (e[i] & 0x80))) {
			uint64_t pa = e[i] & PFN_MASK & ~((1ull << shift[level]) - 1), n = 1ull << (shift[level] - 12);

			for (uint64_t k = 0; k < n; k++)
				add(va + k * PAGE, (pa >> 12) + k);
			continue;
		}
		walk(e[i] & PFN_MASK, level + 1, va);
	}
}

int main(int argc, char **argv)
{
	FILE *in, *out;
	kdump_addr_t pgt;
	char *pb;
	uint64_t pgd_pa, max_pfn = 0, *slot, stored = 0;
	uint8_t page[PAGE];
	Elf64_Phdr *ph;
	size_t nph = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: gdbcore DUMP OUT.elf\n");
		return 2;
	}
	in = fopen(argv[1], "rb");
	if (!in)
		die("cannot open the dump");
	ctx = kdump_new();
	if (!ctx || kdump_open_fd(ctx, fileno(in)) != KDUMP_OK ||
	    kdump_set_string_attr(ctx, KDUMP_ATTR_OSTYPE, "linux") != KDUMP_OK)
		die("cannot read the dump");
	/* the kernel image maps physical phys_base at __START_KERNEL_map */
	if (kdump_vmcoreinfo_symbol(ctx, "init_top_pgt", &pgt) != KDUMP_OK)
		die("no init_top_pgt in VMCOREINFO");
	pgd_pa = pgt - 0xffffffff80000000ull;
	if (kdump_vmcoreinfo_line(ctx, "NUMBER(phys_base)", &pb) == KDUMP_OK) {
		pgd_pa += strtoull(pb, NULL, 0);
		free(pb);
	}
	walk(pgd_pa, 0, 0);

	/* each readable physical page once, in the order first met */
	for (size_t i = 0; i < nmaps; i++)
		if (maps[i].pfn > max_pfn)
			max_pfn = maps[i].pfn;
	slot = calloc(max_pfn + 1, sizeof(*slot));  /* file page index + 1, 0: unread, ~0: absent */
	ph = calloc(nmaps + 1, sizeof(*ph));
	out = fopen(argv[2], "wb");
	if (!slot || !ph || !out)
		die("cannot write the core");
	/* the pages first, from offset PAGE, each written as it is read; the headers go after them */
	if (fseeko(out, (off_t)PAGE, SEEK_SET))
		die("cannot write the core");
	for (size_t i = 0; i < nmaps; i++) {
		uint64_t *s = &slot[maps[i].pfn];

		if (*s)
			continue;
		*s = read_phys(maps[i].pfn * PAGE, page, PAGE) ? ++stored : ~0ull;
		if (*s != ~0ull && fwrite(page, PAGE, 1, out) != 1)
			die("cannot write the core");
	}
	/* runs where both the virtual address and the stored page advance by one */
	for (size_t i = 0; i < nmaps;) {
		size_t j = i;

		if (slot[maps[i].pfn] == ~0ull) {
			i++;
			continue;
		}
		while (j + 1 < nmaps && maps[j + 1].vaddr == maps[j].vaddr + PAGE && slot[maps[j + 1].pfn] != ~0ull &&
		       slot[maps[j + 1].pfn] == slot[maps[j].pfn] + 1)
			j++;
		ph[nph++] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X,
					  .p_offset = slot[maps[i].pfn] * PAGE, .p_vaddr = maps[i].vaddr,
					  .p_paddr = maps[i].pfn * PAGE, .p_filesz = (j - i + 1) * PAGE,
					  .p_memsz = (j - i + 1) * PAGE, .p_align = PAGE };
		i = j + 1;
	}
	/* the program headers after the pages, then the one section header PN_XNUM needs */
	uint64_t phoff = (stored + 1) * PAGE, shoff = phoff + nph * sizeof(Elf64_Phdr);
	Elf64_Ehdr eh = { .e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
			  .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_phoff = phoff, .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = nph < PN_XNUM ? (Elf64_Half)nph : PN_XNUM,
			  .e_shoff = shoff, .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 1 };
	/* as the kernel's own cores: a count past 0xfffe lives in section 0's sh_info */
	Elf64_Shdr sh0 = { .sh_info = (Elf64_Word)nph };
	if (fwrite(ph, sizeof(*ph), nph, out) != nph || fwrite(&sh0, sizeof(sh0), 1, out) != 1 ||
	    fseeko(out, 0, SEEK_SET) || fwrite(&eh, sizeof(eh), 1, out) != 1)
		die("cannot write the core");
	if (fclose(out))
		die("cannot write the core");
	printf("gdbcore: %zu mappings, %" PRIu64 " pages stored, %zu segments\n", nmaps, stored, nph);
	kdump_free(ctx);
	return 0;
}
