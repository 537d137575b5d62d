/*
 * Raw memory images with the bundled 6.1 profile's translation: the banner
 * search, the page tables found from linux_banner and init_top_pgt
 * (ns_dump_use_types), kernel reads through them, the module walk for
 * vm_list.  The input is a sparse image: records of a page frame number
 * (32 bits, little-endian, below 2^18: 1 GiB) and up to a page of data
 * written there, so that a seed holds the few real pages translation needs
 * (the banner, the page tables) at their real addresses.
 */
#include "dumpfuzz.h"

#define REC (4 + 4096)
#define MAX_PFN (1u << 18)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ns_types *t = fuzz_types();
	struct ns_dump *d;
	struct ns_error err;
	char path[64];
	int fd = fuzz_memfd(NULL, 0, NULL, 0, path, sizeof(path));

	for (size_t at = 0; at + 4 < size; at += REC) {
		uint32_t pfn = (uint32_t)data[at] | (uint32_t)data[at + 1] << 8 | (uint32_t)data[at + 2] << 16 |
			       (uint32_t)data[at + 3] << 24;
		size_t n = size - at - 4 < 4096 ? size - at - 4 : 4096;

		if (pwrite(fd, data + at + 4, n, (off_t)(pfn % MAX_PFN) * 4096) != (ssize_t)n)
			abort();
	}
	if (!ns_dump_open(path, true, &d, &err)) {
		ns_dump_use_types(d, t, &err);
		fuzz_read_dump(d, t);
		ns_dump_close(d);
	}
	close(fd);
	return 0;
}
