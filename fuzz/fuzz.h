/*
 * What the fuzz harnesses share.  Each harness is one LLVMFuzzerTestOneInput
 * over a parser or analyzer of libnestscope; built with libFuzzer for `make
 * fuzz`, or with replay.c's main() to run saved inputs (seeds, regressions)
 * in `make test`.  Output goes to a sink that drops it: rendering is run,
 * not read.
 */
#ifndef NESTSCOPE_FUZZ_H
#define NESTSCOPE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nestscope/nestscope.h"
#include "render/report_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_drop(void *ctx, const char *s, size_t n)
{
	/* touch the text, so a bad string is found here rather than never */
	volatile size_t *sum = ctx;

	for (size_t i = 0; i < n; i++)
		*sum += (unsigned char)s[i];
}

static inline struct ns_out fuzz_out(void)
{
	static size_t sum;

	return (struct ns_out){ fuzz_drop, &sum };
}

/* A report as the one decode/2 document a command line prints of it. */
static inline void fuzz_render_json(struct ns_out *o, const struct ns_report *r, const struct ns_render_opts *opt)
{
	struct ns_report_doc doc;

	ns_render_doc_begin(&doc, o, true, opt);
	ns_render_doc_add(&doc, r);
	ns_render_doc_end(&doc);
}

#endif
