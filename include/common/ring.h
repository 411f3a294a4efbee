/* ring.h: the index arithmetic of a bounded ring of cap slots (the storage
 * is the caller's), so that every "keep the last N" in the tree counts the
 * same way: head is the oldest element's slot, count how many are held. */
#ifndef WFMON_RING_H
#define WFMON_RING_H

#include <stdbool.h>
#include <stdint.h>

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

#endif
