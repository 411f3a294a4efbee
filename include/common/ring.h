/* ring.h: the index arithmetic of a bounded ring of cap slots (the storage
 * is the caller's), so that every "keep the last N" in the tree counts the
 * same way: head is the oldest element's slot, count how many are held. */
#ifndef WFMON_RING_H
#define WFMON_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* Where a new element goes: after the newest, or, when the ring is full, in
 * the oldest's slot (returns true: the caller frees what it held first), the
 * ring then starting at the next one. */
static inline bool ring_push(uint32_t *head, uint32_t *count, uint32_t cap, uint32_t *slot)
{
	if (*count == cap) {
		*slot = *head;
		*head = (*head + 1) % cap;
		return true;
	}
	*slot = (*head + *count) % cap;
	(*count)++;
	return false;
}

/* The slot of the i-th element, oldest first (i < count). */
static inline uint32_t ring_at(uint32_t head, uint32_t cap, uint32_t i)
{
	return (head + i) % cap;
}

/* A ring that starts small and doubles up to max slots, so that thousands of
 * quiet owners (rooms, executions) do not each hold the whole of a ring they
 * may never fill: before a push, makes room for one more element while *cap
 * is below max (a full ring at max is left for ring_push to recycle). The
 * storage *slots (elem bytes each; NULL with *cap 0 at first) is reallocated
 * with the elements in order from slot 0 (*head becomes 0). */
static inline void ring_reserve(void **slots, size_t elem, uint32_t *head, uint32_t count, uint32_t *cap,
				uint32_t max)
{
	if (count < *cap || *cap >= max)
		return;
	uint32_t ncap = *cap ? *cap * 2 : 4;
	if (ncap > max)
		ncap = max;
	char *n = xmalloc(elem * ncap);
	const char *old = *slots;
	for (uint32_t i = 0; i < count; i++)
		memcpy(n + elem * i, old + elem * ring_at(*head, *cap, i), elem);
	free(*slots);
	*slots = n;
	*cap = ncap;
	*head = 0;
}

#endif
