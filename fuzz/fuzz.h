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

#endif
