/*
 * A small JSON reader for profiles: the whole text becomes a tree of nodes
 * in one array, children linked by index.  Input is untrusted (a profile may
 * come from anywhere): nesting and size are bounded, every error is one
 * message with the byte offset.  Integers keep all 64 bits, as ISF stores
 * kernel addresses as plain JSON numbers.
 */
#ifndef NESTSCOPE_JSONPARSE_H
#define NESTSCOPE_JSONPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nestscope/error.h"

enum jp_kind { JP_NULL, JP_FALSE, JP_TRUE, JP_NUMBER, JP_STRING, JP_ARRAY, JP_OBJECT };

#define JP_NONE 0xffffffffu

struct jp_node {
	enum jp_kind kind;
	uint32_t key;         /* for an object member: offset of its name in the string pool, else JP_NONE */
	uint32_t str;         /* JP_STRING: offset of the text in the pool */
	uint32_t first, next; /* first child; next sibling (JP_NONE at the end) */
	uint32_t count;       /* children */
	bool is_int, negative;
	uint64_t u;           /* an integer's magnitude */
	double d;
};

struct jp_doc {
	struct jp_node *node;
	size_t nnodes, cap;
	char *pool;           /* NUL-terminated strings */
	size_t pool_len, pool_cap;
};

/* Parses text[0..len) into doc (root is node 0).  Free with jp_free even on error. */
int jp_parse(const char *text, size_t len, struct jp_doc *doc, struct ns_error *err);
void jp_free(struct jp_doc *doc);

/* The member of object n named key, or JP_NONE. */
uint32_t jp_get(const struct jp_doc *doc, uint32_t n, const char *key);
/* A string node's text, an object member's name; NULL when n is not one. */
const char *jp_str(const struct jp_doc *doc, uint32_t n);
const char *jp_key(const struct jp_doc *doc, uint32_t n);
/* A non-negative integer node's value into *v; false otherwise. */
bool jp_uint(const struct jp_doc *doc, uint32_t n, uint64_t *v);

#endif
