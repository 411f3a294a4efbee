/* cluster_ring.c: each organization's recent events on this node (see
 * cluster.h and cluster-internal.h): a ring of at most cluster-history
 * applied items in position order, which resumes replay from and which
 * knows the position an event was applied at. Loop thread only. */
#include "cluster.h"
#include "cluster-internal.h"

#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "frame.h"
#include "org.h"
#include "ring.h"
#include "room.h"
#include "server.h"
#include "strmap.h"
#include "xalloc.h"

struct cluster_org *cluster_org_of(struct cluster *k, const char *org)
{
	struct cluster_org *co = strmap_get(&k->orgs, org);
	if (co == NULL) {
		co = xcalloc(1, sizeof *co);
		co->floor = -1;
		strmap_put(&k->orgs, org, co);
	}
	return co;
}

void cluster_ring_keep(struct cluster *k, struct cluster_org *co, struct ingest_item *it)
{
	uint32_t max = k->s->cfg.cluster_history;
	if (co->count < max)
		ring_reserve((void **)&co->ring, sizeof *co->ring, &co->head, co->count, &co->cap, max);
	uint32_t slot;
	if (ring_push(&co->head, &co->count, co->cap, &slot)) {
		co->floor = co->ring[slot].pos;
		ingest_item_clear(&co->ring[slot]);
	}
	co->ring[slot] = *it;
	memset(it, 0, sizeof *it);
}

static void corg_free(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	struct cluster_org *co = value;
	for (uint32_t i = 0; i < co->count; i++)
		ingest_item_clear(&co->ring[ring_at(co->head, co->cap, i)]);
	free(co->ring);
	free(co);
}

bool cluster_can_resume(const struct cluster *k, const struct org *o, int64_t since)
{
	const struct cluster_org *co = strmap_get(&k->orgs, o->id);
	return co != NULL && co->floor >= 0 && since >= co->floor && since <= o->pos;
}

void cluster_replay(struct cluster *k, struct room *r, int64_t since, struct conn *c)
{
	struct cluster_org *co = strmap_get(&k->orgs, r->org->id);
	if (co == NULL)
		return;
	for (uint32_t i = 0; i < co->count; i++) {
		struct ingest_item *it = &co->ring[ring_at(co->head, co->cap, i)];
		if (it->pos <= since)
			continue;
		size_t len;
		const char *text = ingest_item_text_for(it, &r->spec, &len);
		if (text == NULL)
			continue;
		struct frame *f = frame_new_event(r->name, it->pos, text, len);
		conn_deliver(c, NULL, it->pos, f);
		frame_unref(f);
	}
}

struct ingest_item *cluster_ring_find(struct cluster *k, const char *org, const char *event_id)
{
	struct cluster_org *co = strmap_get(&k->orgs, org);
	if (co == NULL)
		return NULL;
	for (uint32_t i = co->count; i-- > 0;) {
		struct ingest_item *it = &co->ring[ring_at(co->head, co->cap, i)];
		if (strcmp(it->ev.event_id, event_id) == 0)
			return it;
	}
	return NULL;
}

void cluster_orgs_free(struct cluster *k)
{
	strmap_each(&k->orgs, corg_free, NULL);
	strmap_clear(&k->orgs);
}
