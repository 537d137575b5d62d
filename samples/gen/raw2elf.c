/*
 * raw2elf: turns a raw image of the sample machine's RAM into an ELF core
 * like the kernel's /proc/vmcore, so that makedumpfile can make a
 * kdump-compressed dump of it and crash and libkdumpfile can read it.
 *
 * The image was written by Bochs's debugger while L2 was active: byte N of
 * the file is physical address N.  The kernel's VMCOREINFO note is already
 * in that memory, at the address /sys/kernel/vmcoreinfo gave; it becomes the
 * core's PT_NOTE.  Each "System RAM" range of /proc/iomem becomes a PT_LOAD,
 * with the virtual address of the kernel's direct map (nokaslr).
 *
 * usage: raw2elf RAW MACHINE_TXT OUT.elf
 *   MACHINE_TXT  lines "vmcoreinfo PADDR SIZE" and "ram START-END : System RAM"
 *                (hex), as the sample machine's /init records them.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIRECT_MAP 0xffff888000000000ull
#define MAX_RANGES 32

struct range {
	uint64_t start, end; /* inclusive end, as /proc/iomem prints it */
};

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "raw2elf: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	exit(1);
}

int main(int argc, char **argv)
{
	struct range ram[MAX_RANGES];
	unsigned nram = 0;
	unsigned long long note_pa = 0, note_size = 0;
	char line[256];
	FILE *raw, *txt, *out;
	long raw_size;
	uint8_t *note, buf[1 << 16];

	if (argc != 4)
		die("usage: raw2elf RAW MACHINE_TXT OUT.elf", NULL);
	raw = fopen(argv[1], "rb");
	txt = fopen(argv[2], "r");
	if (!raw || !txt)
		die("cannot open input", raw ? argv[2] : argv[1]);
	fseek(raw, 0, SEEK_END);
	raw_size = ftell(raw);
	while (fgets(line, sizeof(line), txt)) {
		unsigned long long a, b;

		if (sscanf(line, "vmcoreinfo %llx %llx", &a, &b) == 2) {
			note_pa = a;
			note_size = b;
		} else if (sscanf(line, "ram %llx-%llx", &a, &b) == 2 && nram < MAX_RANGES) {
			if ((long long)a >= raw_size)
				continue;  /* beyond what was captured */
			if ((long long)b >= raw_size)
				b = (unsigned long long)raw_size - 1;
			ram[nram++] = (struct range){ a, b };
		}
	}
	fclose(txt);
	if (!note_size || note_size > 1 << 20 || (long long)(note_pa + note_size) > raw_size)
		die("no usable vmcoreinfo line in", argv[2]);
	if (!nram)
		die("no System RAM ranges in", argv[2]);

	note = malloc(note_size);
	fseek(raw, (long)note_pa, SEEK_SET);
	if (fread(note, 1, note_size, raw) != note_size)
		die("cannot read the VMCOREINFO note from", argv[1]);
	if (memcmp(note + sizeof(Elf64_Nhdr), "VMCOREINFO", 10))
		die("no VMCOREINFO note at the address the kernel gave", NULL);

	out = fopen(argv[3], "wb");
	if (!out)
		die("cannot create", argv[3]);

	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (Elf64_Half)(1 + nram);
	fwrite(&eh, sizeof(eh), 1, out);

	uint64_t off = sizeof(eh) + (1 + nram) * sizeof(Elf64_Phdr);
	Elf64_Phdr ph = { .p_type = PT_NOTE, .p_offset = off, .p_filesz = note_size, .p_memsz = note_size };
	fwrite(&ph, sizeof(ph), 1, out);
	off = (off + note_size + 4095) & ~4095ull;
	for (unsigned i = 0; i < nram; i++) {
		uint64_t len = ram[i].end - ram[i].start + 1;

		ph = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = off,
				   .p_vaddr = DIRECT_MAP + ram[i].start, .p_paddr = ram[i].start,
				   .p_filesz = len, .p_memsz = len };
		fwrite(&ph, sizeof(ph), 1, out);
		off += len;
	}
	fwrite(note, 1, note_size, out);
	/* pad to the first PT_LOAD, then copy each range */
	off = sizeof(eh) + (1 + nram) * sizeof(Elf64_Phdr) + note_size;
	memset(buf, 0, sizeof(buf));
	fwrite(buf, 1, ((off + 4095) & ~4095ull) - off, out);
	for (unsigned i = 0; i < nram; i++) {
		uint64_t left = ram[i].end - ram[i].start + 1;

		fseek(raw, (long)ram[i].start, SEEK_SET);
		while (left) {
			size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
			if (fread(buf, 1, n, raw) != n)
				die("short read from", argv[1]);
			fwrite(buf, 1, n, out);
			left -= n;
		}
	}
	if (fclose(out))
		die("cannot write", argv[3]);
	fclose(raw);
	free(note);
	return 0;
}
