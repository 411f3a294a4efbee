/* topn.c: a bounded ordered insert (see topn.h). */
#include "topn.h"

#include <string.h>

size_t topn_insert(void *base, size_t n, size_t max, size_t size, const void *item,
		   bool (*before)(const void *a, const void *b))
{
	if (max == 0)
		return 0;
	char *a = base;
	size_t at = n < max ? n : max;
	while (at > 0 && before(item, a + (at - 1) * size))
		at--;
	if (at >= max)
		return n;
	size_t last = n < max ? n : max - 1;
	memmove(a + (at + 1) * size, a + at * size, (last - at) * size);
	memcpy(a + at * size, item, size);
	return n < max ? n + 1 : n;
}
