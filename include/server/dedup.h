/* dedup.h: the event ids an organization has recently accepted, so that a
 * producer's retry is acknowledged without being stored or delivered twice.
 *
 * Bounded: it remembers the last `capacity` ids (FIFO eviction), keyed by a
 * 64-bit hash of the id (hash.h: seeded per process, so ids cannot be crafted
 * to collide or to crowd one run of slots). A retry older than that window is
 * accepted again; the store's unique key catches those. The tables start
 * small and double up to the window, so that an organization that publishes
 * little costs little (a full window of 100,000 ids is about 2.8 MiB). */
#ifndef WFMON_DEDUP_H
#define WFMON_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dedup {
	uint64_t *fifo;      /* a ring of `slots` hashes, oldest at head */
	uint64_t *table;     /* open addressing, 2*slots rounded up to a power of two; 0 = empty */
	size_t capacity;     /* the window: ids remembered at most */
	size_t slots;        /* the fifo's size now, doubling up to capacity; 0: nothing allocated */
	size_t tablesize;
	size_t head;
	size_t count;
};

void dedup_init(struct dedup *d, size_t capacity);
void dedup_free(struct dedup *d);
bool dedup_seen(const struct dedup *d, const char *event_id);
/* Records the id (evicting the oldest when full). */
void dedup_add(struct dedup *d, const char *event_id);

#endif
