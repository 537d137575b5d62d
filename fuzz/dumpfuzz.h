/*
 * What the dump harnesses (fuzz_dump_*.c) share: the input written to a
 * memfd and opened by path (/proc/self/fd/N) through ns_dump_open, the
 * function the CLI opens a dump with; then a bounded read of what the dump
 * holds.  They link sources/ and libkdumpfile (Makefile: fuzz harnesses
 * named fuzz_dump*).  Paths are relative to the source tree, where run.sh
 * and `make test` run them.
 */
#ifndef NESTSCOPE_DUMPFUZZ_H
#define NESTSCOPE_DUMPFUZZ_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "sources.h"

#define FUZZ_PROFILE "profiles/6.1.0-56-amd64.json"
#define FUZZ_PAGES 64            /* present pages read per execution */

/* The bundled 6.1 profile, read once: its symbols are the kernel addresses read. */
static inline const struct ns_types *fuzz_types(void)
{
	static struct ns_types t;
	static int state;
	struct ns_error err;

	if (!state) {
		/* a gzip input inflates into a temporary file: bounded here */
		setenv("NESTSCOPE_SPOOL_MAX", "64M", 1);
		ns_types_init(&t);
		if (ns_profile_read(FUZZ_PROFILE, &t, &err)) {
			fprintf(stderr, "fuzz: %s (run from the source tree)\n", err.msg);
			abort();
		}
		state = 1;
	}
	return &t;
}

/* A memfd holding the input, with magic (if any) over its first bytes. */
static inline int fuzz_memfd(const uint8_t *data, size_t size, const char *magic, size_t mlen, char *path, size_t n)
{
	int fd = memfd_create("fuzz-dump", MFD_CLOEXEC);
	size_t m = mlen < size ? mlen : size;

	if (fd < 0) {
		perror("memfd_create");
		abort();
	}
	if ((m && write(fd, magic, m) != (ssize_t)m) || (size > m && write(fd, data + m, size - m) != (ssize_t)(size - m))) {
		perror("fuzz: write");
		abort();
	}
	snprintf(path, n, "/proc/self/fd/%d", fd);
	return fd;
}

/* Reads what a dump holds, a bounded amount: present pages, physical and kernel addresses, symbols. */
static inline void fuzz_read_dump(struct ns_dump *d, const struct ns_types *t)
{
	static const uint64_t phys[] = { 0, 0xff8, 0x1000, 0x100000, 1ull << 32, ~0ull - 7 };
	static const uint64_t kv[] = { 0xffffffff81000000ull, 0xffff888000000000ull, 0xffff888000000ff8ull,
				       0xffffffffff600000ull, 0, ~0ull - 7 };
	static const char *const syms[] = { "linux_banner", "init_uts_ns", "page_offset_base", "init_top_pgt", "vm_list" };
	static uint8_t buf[8192];
	struct ns_dump_target dt;
	volatile size_t sum = strlen(ns_dump_release(d)) + strlen(ns_dump_format(d));
	uint64_t pfn = 0;

	(void)sum;
	for (int i = 0; i < FUZZ_PAGES && ns_dump_next_page(d, &pfn); i++, pfn++)
		ns_dump_read_phys(d, pfn * 4096, buf, 4096);
	for (size_t i = 0; i < sizeof(phys) / sizeof(phys[0]); i++)
		ns_dump_read_phys(d, phys[i], buf, 16);
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		ns_dump_read(d, kv[i], buf, 16);
	ns_dump_read(d, 0xffffffff81000000ull, buf, sizeof(buf));
	ns_dump_target_init(&dt, d, t);
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		uint64_t a = dt.t.symbol(dt.t.ctx, syms[i]);

		if (a)
			dt.t.read(dt.t.ctx, a, buf, 256);
	}
}

/* Opens the input as the CLI does (kernel: triage; else: scan) and reads it. */
static inline int fuzz_dump_input(const uint8_t *data, size_t size, const char *magic, size_t mlen)
{
	const struct ns_types *t = fuzz_types();
	char path[64];
	int fd = fuzz_memfd(data, size, magic, mlen, path, sizeof(path));

	for (int kernel = 1; kernel >= 0; kernel--) {
		struct ns_dump *d;
		struct ns_error err;

		if (ns_dump_open(path, kernel, &d, &err))
			continue;
		if (kernel)
			ns_dump_use_types(d, t, &err);
		fuzz_read_dump(d, t);
		ns_dump_close(d);
		break;
	}
	close(fd);
	return 0;
}

#endif
