/* topn.h: keeping the first `max` items of a stream in order, in a caller's
 * array, without sorting the whole stream: each item is inserted where it
 * belongs and the last one falls off when the array is full (the widgets'
 * lists, the next tax deadlines).
 *
 * Pure: no allocation; items are copied by size. Items that compare equal
 * keep their arrival order. */
#ifndef WFMON_TOPN_H
#define WFMON_TOPN_H

#include <stdbool.h>
#include <stddef.h>

/* base holds n items of `size` bytes (n <= max), in order by `before`
 * (true when a must come before b). Inserts item; returns the new count. */
size_t topn_insert(void *base, size_t n, size_t max, size_t size, const void *item,
		   bool (*before)(const void *a, const void *b));

#endif
