/* pendids.c: the pending event ids of one room (see pendids.h).
 *
 * Invariants: index holds exactly the ids still pending, each mapped to the
 * serial (+1) of the newest slot that added it; a slot whose id was taken
 * (or added again later) stays in the ring until it is the oldest, and its
 * eviction removes the id from the index only when the index still points
 * at that slot. */
#include "pendids.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

void pendids_init(struct pendids *p)
{
	memset(p, 0, sizeof *p);
	strmap_init(&p->index);
}

void pendids_clear(struct pendids *p)
{
	free(p->ring);
	strmap_clear(&p->index);
	pendids_init(p);
}

static void *serial_value(uint64_t serial)
{
	return (void *)(uintptr_t)(serial + 1);
}

bool pendids_add(struct pendids *p, const char *id)
{
	if (id == NULL || strlen(id) > PROTO_MAX_ID || strmap_get(&p->index, id) != NULL)
		return false;
	ring_reserve((void **)&p->ring, sizeof *p->ring, &p->head, p->count, &p->cap, PENDIDS_MAX);
	uint32_t slot;
	if (ring_push(&p->head, &p->count, p->cap, &slot)) {
		struct pendids_slot *old = &p->ring[slot];
		if (strmap_get(&p->index, old->id) == serial_value(old->serial)) {
			strmap_remove(&p->index, old->id);
			p->forgotten++;
		}
	}
	struct pendids_slot *s = &p->ring[slot];
	snprintf(s->id, sizeof s->id, "%s", id);
	s->serial = p->next_serial++;
	strmap_put(&p->index, s->id, serial_value(s->serial));
	return true;
}

bool pendids_take(struct pendids *p, const char *id)
{
	return id != NULL && p->index.count > 0 && strmap_remove(&p->index, id) != NULL;
}

size_t pendids_count(const struct pendids *p)
{
	return strmap_count(&p->index);
}
