/*
 * Looking into a symbolic decoding (explain.h's struct ns_decoding) by its
 * items' names: the VMX and the SVM decoders' tests read their results the
 * same way.
 */
#ifndef NESTSCOPE_TEST_DECODING_H
#define NESTSCOPE_TEST_DECODING_H

#include "nestscope/explain.h"
#include "testutil.h"

static inline const struct ns_item *item(const struct ns_decoding *d, const char *name)
{
	for (unsigned i = 0; i < d->n; i++)
		if (!strcmp(d->item[i].name, name))
			return &d->item[i];
	return NULL;
}

static inline bool has_flag(const struct ns_decoding *d, const char *name)
{
	const struct ns_item *it = item(d, name);
	return it && it->kind == NS_ITEM_FLAG;
}

/* A VALUE item's number (and its symbol, if sym); the test fails when there is none. */
static inline uint64_t value_of(const struct ns_decoding *d, const char *key, const char **sym)
{
	const struct ns_item *it = item(d, key);

	if (!it || it->kind != NS_ITEM_VALUE)
		fail_msg("no sub-field %s", key);
	if (sym)
		*sym = it->sym;
	return it->value;
}

static inline bool has_reserved(const struct ns_decoding *d)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->item[i].kind == NS_ITEM_RESERVED)
			return true;
	return false;
}

#endif
