/*
 * Writes a dump's physical memory as a raw image (physical address 0 at
 * byte 0; pages the dump omits stay holes), through libkdumpfile: the raw
 * image a test gives `nestscope triage`, from a real dump.
 * usage: kdump2raw DUMP RAW
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <libkdumpfile/kdumpfile.h>

int main(int argc, char **argv)
{
	kdump_ctx_t *ctx = kdump_new();
	kdump_attr_t a;
	kdump_addr_t pfn = 0, last = 0;
	unsigned char page[4096];
	int in, out;

	if (argc != 3 || !ctx || (in = open(argv[1], O_RDONLY)) < 0 || kdump_open_fd(ctx, in) != KDUMP_OK ||
	    kdump_get_attr(ctx, KDUMP_ATTR_FILE_PAGEMAP, &a) != KDUMP_OK || a.type != KDUMP_BITMAP ||
	    (out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) {
		fprintf(stderr, "kdump2raw: cannot convert %s\n", argc > 1 ? argv[1] : "(nothing)");
		return 1;
	}
	for (; kdump_bmp_find_set(a.val.bitmap, &pfn) == KDUMP_OK; pfn++) {
		size_t n = sizeof(page);

		if (kdump_read(ctx, KDUMP_MACHPHYSADDR, pfn << 12, page, &n) != KDUMP_OK || n != sizeof(page))
			continue;
		if (pwrite(out, page, sizeof(page), (off_t)(pfn << 12)) != (ssize_t)sizeof(page)) {
			fprintf(stderr, "kdump2raw: writing %s failed\n", argv[2]);
			return 1;
		}
		last = pfn;
	}
	if (ftruncate(out, (off_t)((last + 1) << 12)) || close(out))
		return 1;
	kdump_free(ctx);
	return 0;
}
