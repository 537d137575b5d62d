/* Output sinks: everything the core prints goes through one of these. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "nestscope/render.h"

static void file_write(void *ctx, const char *s, size_t n)
{
	fwrite(s, 1, n, (FILE *)ctx);
}

struct ns_out ns_out_file(FILE *f)
{
	return (struct ns_out){ file_write, f };
}

void ns_printf(struct ns_out *o, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		o->write(o->ctx, small, (size_t)n);
		return;
	}
	/* Rare: a long line.  Format it again into a buffer of the right size. */
	char *big = malloc((size_t)n + 1);
	if (!big)
		return;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	o->write(o->ctx, big, (size_t)n);
	free(big);
}
