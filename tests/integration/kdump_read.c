/*
 * Reads a dump through libkdumpfile, the library `nestscope triage` builds on:
 * prints its format, architecture and kernel release, and the list_head at a
 * kernel address (vm_list), so a test can check the dump is readable.
 * usage: kdump_read DUMP VM_LIST_ADDRESS
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <libkdumpfile/kdumpfile.h>

int main(int argc, char **argv)
{
	kdump_ctx_t *ctx;
	const char *format, *arch, *release;
	uint64_t head[2];
	size_t n = sizeof(head);
	FILE *f;

	if (argc != 3)
		return 2;
	f = fopen(argv[1], "rb");
	ctx = kdump_new();
	if (!f || !ctx || kdump_open_fd(ctx, fileno(f)) != KDUMP_OK) {
		fprintf(stderr, "kdump_read: cannot open %s: %s\n", argv[1], ctx ? kdump_get_err(ctx) : "");
		return 1;
	}
	/* a Linux dump: lets libkdumpfile set up kernel address translation */
	if (kdump_set_string_attr(ctx, KDUMP_ATTR_OSTYPE, "linux") != KDUMP_OK ||
	    kdump_get_string_attr(ctx, "file.format", &format) != KDUMP_OK ||
	    kdump_get_string_attr(ctx, KDUMP_ATTR_ARCH_NAME, &arch) != KDUMP_OK ||
	    kdump_get_string_attr(ctx, "linux.uts.release", &release) != KDUMP_OK) {
		fprintf(stderr, "kdump_read: %s\n", kdump_get_err(ctx));
		return 1;
	}
	if (kdump_read(ctx, KDUMP_KVADDR, strtoull(argv[2], NULL, 0), head, &n) != KDUMP_OK || n != sizeof(head)) {
		fprintf(stderr, "kdump_read: reading %s: %s\n", argv[2], kdump_get_err(ctx));
		return 1;
	}
	printf("format %s\narch %s\nrelease %s\nvm_list.next 0x%" PRIx64 "\nvm_list.prev 0x%" PRIx64 "\n", format, arch,
	       release, head[0], head[1]);
	kdump_free(ctx);
	return 0;
}
