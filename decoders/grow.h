/* Growing arrays (private to the core): the type set's tables. */
#ifndef NS_GROW_H
#define NS_GROW_H

#include <stdbool.h>
#include <stddef.h>

/* Makes *buf hold at least need elements of elem bytes, doubling *cap; false when out of memory. */
bool ns_grow(void **buf, size_t *cap, size_t need, size_t elem);

#endif
