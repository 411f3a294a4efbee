/* dedup.c: recently accepted event ids (see dedup.h).
 *
 * Linear probing with backward-shift deletion keeps lookups short without
 * tombstones; the hash 0 marks an empty slot, so real hashes are never 0. */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "xalloc.h"

static uint64_t dedup_hash(const char *id)
{
	uint64_t h = hash64(id, strlen(id));
	return h ? h : 1;
}

void dedup_init(struct dedup *d, size_t capacity)
{
	memset(d, 0, sizeof *d);
	d->capacity = capacity ? capacity : 1;
}

void dedup_free(struct dedup *d)
{
	free(d->fifo);
	free(d->table);
	memset(d, 0, sizeof *d);
}

static size_t dedup_find(const struct dedup *d, uint64_t h)
{
	size_t mask = d->tablesize - 1;
	size_t i = h & mask;
	while (d->table[i] != 0 && d->table[i] != h)
		i = (i + 1) & mask;
	return i;
}

bool dedup_seen(const struct dedup *d, const char *event_id)
{
	if (d->tablesize == 0)
		return false;
	uint64_t h = dedup_hash(event_id);
	return d->table[dedup_find(d, h)] == h;
}

static void dedup_table_remove(struct dedup *d, uint64_t h)
{
	size_t mask = d->tablesize - 1;
	size_t i = dedup_find(d, h);
	if (d->table[i] != h)
		return;
	d->table[i] = 0;
	/* Shift back the entries that probed past the hole. */
	for (size_t j = (i + 1) & mask; d->table[j] != 0; j = (j + 1) & mask) {
		size_t home = d->table[j] & mask;
		bool between = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
		if (!between) {
			d->table[i] = d->table[j];
			d->table[j] = 0;
			i = j;
		}
	}
}

/* Doubles the fifo (its ids in order from slot 0) and rebuilds the table
 * for it; the first tables hold DEDUP_FIRST_SLOTS ids. */
#define DEDUP_FIRST_SLOTS 64
static void dedup_grow(struct dedup *d)
{
	size_t slots = d->slots ? d->slots * 2 : DEDUP_FIRST_SLOTS;
	if (slots > d->capacity)
		slots = d->capacity;
	uint64_t *fifo = xcalloc(slots, sizeof *fifo);
	for (size_t i = 0; i < d->count; i++)
		fifo[i] = d->fifo[(d->head + i) % d->slots];
	free(d->fifo);
	free(d->table);
	d->fifo = fifo;
	d->slots = slots;
	d->head = 0;
	d->tablesize = 1;
	while (d->tablesize < slots * 2)
		d->tablesize <<= 1;
	d->table = xcalloc(d->tablesize, sizeof *d->table);
	for (size_t i = 0; i < d->count; i++)
		d->table[dedup_find(d, fifo[i])] = fifo[i];
}

void dedup_add(struct dedup *d, const char *event_id)
{
	uint64_t h = dedup_hash(event_id);
	if (d->count == d->slots && d->slots < d->capacity)
		dedup_grow(d);
	size_t slot = dedup_find(d, h);
	if (d->table[slot] == h)
		return;
	if (d->count == d->slots) {   /* the window is full: the oldest id goes */
		dedup_table_remove(d, d->fifo[d->head]);
		d->head = (d->head + 1) % d->slots;
		d->count--;
		slot = dedup_find(d, h);
	}
	d->table[slot] = h;
	d->fifo[(d->head + d->count) % d->slots] = h;
	d->count++;
}
