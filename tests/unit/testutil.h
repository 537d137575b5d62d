/* Helpers shared by the unit tests: reading the bundled samples and data. */
#ifndef NS_TESTUTIL_H
#define NS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* SRCDIR is the source tree, passed by the Makefile. */
static inline char *test_path(const char *rel)
{
	static char buf[4][1024];
	static int next;
	char *p = buf[next++ & 3];

	snprintf(p, sizeof(buf[0]), "%s/%s", SRCDIR, rel);
	return p;
}

/* Reads a whole file; fails the test if it cannot. */
static inline uint8_t *test_slurp(const char *rel, size_t *len)
{
	const char *path = test_path(rel);
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

#endif
