/*
 * pvhpack: prepares a Linux kernel for the pvhboot loader.  Reads vmlinux
 * (ELF, e.g. decompressed from a Debian vmlinuz), finds its PVH entry point
 * (the XEN_ELFNOTE_PHYS32_ENTRY note), and writes one file holding the
 * loadable segments, the entry, and the initramfs to pass on.
 *
 * usage: pvhpack VMLINUX INITRD OUT
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvhpack.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18

static void die(const char *m, const char *a)
{
	fprintf(stderr, "pvhpack: %s %s\n", m, a ? a : "");
	exit(1);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;

	if (!f)
		die("cannot open", path);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(*len);
	if (!b || fread(b, 1, *len, f) != *len)
		die("cannot read", path);
	fclose(f);
	return b;
}

/* Looks for the PVH entry among the notes of one PT_NOTE segment. */
static uint32_t find_entry(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off + sizeof(Elf64_Nhdr) <= len) {
		const Elf64_Nhdr *n = (const Elf64_Nhdr *)(p + off);
		size_t name = off + sizeof(*n), desc = name + ((n->n_namesz + 3) & ~3u);

		if (desc + n->n_descsz > len)
			break;
		if (n->n_type == XEN_ELFNOTE_PHYS32_ENTRY && n->n_namesz == 4 && !memcmp(p + name, "Xen", 4) &&
		    n->n_descsz >= 4) {
			uint32_t e;
			memcpy(&e, p + desc, 4);
			return e;
		}
		off = desc + ((n->n_descsz + 3) & ~3u);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct pvhpack_header h = { .magic = PVHPACK_MAGIC };
	size_t klen, ilen, off;
	uint8_t *k, *initrd;
	const Elf64_Ehdr *eh;
	FILE *out;

	if (argc != 4)
		die("usage: pvhpack VMLINUX INITRD OUT", NULL);
	k = slurp(argv[1], &klen);
	initrd = slurp(argv[2], &ilen);
	eh = (const Elf64_Ehdr *)k;
	if (klen < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		die("not a 64-bit ELF:", argv[1]);
	if (eh->e_phoff + (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > klen)
		die("truncated program headers in", argv[1]);

	off = (sizeof(h) + 4095) & ~(size_t)4095;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(k + eh->e_phoff + i * sizeof(Elf64_Phdr));

		if (ph->p_offset + ph->p_filesz > klen)
			die("segment past the end of", argv[1]);
		if (ph->p_type == PT_NOTE && !h.entry)
			h.entry = find_entry(k + ph->p_offset, ph->p_filesz);
		if (ph->p_type != PT_LOAD || !ph->p_memsz)
			continue;
		if (h.nsegs == PVHPACK_MAX_SEGS || ph->p_paddr + ph->p_memsz > 0xffffffffull)
			die("unexpected segments in", argv[1]);
		h.seg[h.nsegs++] = (struct pvhpack_seg){ (uint32_t)ph->p_paddr, (uint32_t)off, (uint32_t)ph->p_filesz,
							 (uint32_t)ph->p_memsz };
		off = (off + ph->p_filesz + 4095) & ~(size_t)4095;
	}
	if (!h.entry)
		die("no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) in", argv[1]);
	h.initrd_offset = (uint32_t)off;
	h.initrd_size = (uint32_t)ilen;

	out = fopen(argv[3], "wb");
	if (!out)
		die("cannot create", argv[3]);
	fwrite(&h, sizeof(h), 1, out);
	for (unsigned i = 0; i < h.nsegs; i++) {
		const Elf64_Phdr *ph = NULL;

		for (unsigned j = 0; j < eh->e_phnum; j++) {
			const Elf64_Phdr *c = (const Elf64_Phdr *)(k + eh->e_phoff + j * sizeof(Elf64_Phdr));
			if (c->p_type == PT_LOAD && c->p_paddr == h.seg[i].paddr && c->p_memsz == h.seg[i].memsz)
				ph = c;
		}
		fseek(out, h.seg[i].offset, SEEK_SET);
		fwrite(k + ph->p_offset, 1, ph->p_filesz, out);
	}
	fseek(out, h.initrd_offset, SEEK_SET);
	fwrite(initrd, 1, ilen, out);
	if (fclose(out))
		die("cannot write", argv[3]);
	printf("pvhpack: entry 0x%x, %u segments, initrd at +0x%x (%zu bytes)\n", h.entry, h.nsegs, h.initrd_offset, ilen);
	return 0;
}
