#include <stdarg.h>
#include <stdio.h>

#include "nestscope/error.h"

int ns_fail(struct ns_error *err, enum ns_errcode code, const char *fmt, ...)
{
	if (err) {
		va_list ap;

		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}
