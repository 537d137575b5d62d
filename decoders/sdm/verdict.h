/*
 * A check's failure, as the SDM's VM-entry checks (sdm/checks.c) and the
 * APM's VMRUN checks (svm/checks.c) both write it: the offending values
 * into the result's detail, and NS_FAIL, so that a rule reads
 * `return fail(why, n, "...", ...)`.
 */
#ifndef NS_SDM_VERDICT_H
#define NS_SDM_VERDICT_H

#include <stdarg.h>
#include <stdio.h>

#include "nestscope/checks.h"

static inline enum ns_verdict fail(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static inline enum ns_verdict fail(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return NS_FAIL;
}

#endif
