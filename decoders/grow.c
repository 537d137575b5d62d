/* Growing arrays (grow.h). */
#include <stdint.h>
#include <stdlib.h>

#include "grow.h"

bool ns_grow(void **buf, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 16;
	void *nb;

	if (need <= *cap)
		return true;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return false;
		n *= 2;
	}
	if (n > SIZE_MAX / elem || !(nb = realloc(*buf, n * elem)))
		return false;
	*buf = nb;
	*cap = n;
	return true;
}
