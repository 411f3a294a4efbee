/* room.c: rooms, positions, history and fan-out (see room.h).
 *
 * Invariants: a room with subscribers is never freed; every subscriber's conn
 * lists the room and the room lists the conn. A room is on its
 * organization's history list exactly while it keeps events, and the
 * organization's hist_bytes is the sum of its rooms' hist_bytes, at most
 * room-history-bytes after every publish: past it, the room that published
 * least recently drops its oldest event, and so on. */
#include "room.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conn.h"
#include "org.h"
#include "ring.h"
#include "server.h"
#include "xalloc.h"

struct room *room_find(struct org *o, const char *name)
{
	return strmap_get(&o->rooms, name);
}

struct room *room_get(struct org *o, const struct proto_room *spec)
{
	char name[PROTO_MAX_ROOM + 1];
	if (proto_room_format(spec, name, sizeof name) < 0)
		return NULL;
	struct room *r = strmap_get(&o->rooms, name);
	if (r != NULL)
		return r;
	if (strmap_count(&o->rooms) >= o->srv->cfg.max_rooms_per_org)
		return NULL;
	r = xcalloc(1, sizeof *r);
	memcpy(r->name, name, sizeof name);
	r->spec = *spec;
	r->org = o;
	r->created_pos = o->pos;
	r->histcap = o->srv->cfg.room_history;
	r->empty_since_us = clock_mono_us();
	strmap_put(&o->rooms, r->name, r);
	o->srv->nrooms++;
	o->rooms_of_kind[spec->kind]++;
	return r;
}

static bool hist_listed(const struct room *r)
{
	return r->org->hist_newest == r || r->hist_prev != NULL;
}

static void hist_unlink(struct room *r)
{
	struct org *o = r->org;
	if (r->hist_prev) r->hist_prev->hist_next = r->hist_next; else o->hist_newest = r->hist_next;
	if (r->hist_next) r->hist_next->hist_prev = r->hist_prev; else o->hist_oldest = r->hist_prev;
	r->hist_prev = r->hist_next = NULL;
}

static void hist_push_front(struct room *r)
{
	struct org *o = r->org;
	r->hist_prev = NULL;
	r->hist_next = o->hist_newest;
	if (o->hist_newest) o->hist_newest->hist_prev = r; else o->hist_oldest = r;
	o->hist_newest = r;
}

/* Drops the oldest kept event; off the list once none is left. */
static void hist_drop_oldest(struct room *r)
{
	struct room_hist *h = &r->hist[r->histhead];
	r->evicted_upto = h->seq;
	r->hist_bytes -= h->frame->len;
	r->org->hist_bytes -= h->frame->len;
	frame_unref(h->frame);
	r->histhead = (r->histhead + 1) % r->histslots;
	if (--r->histcount == 0)
		hist_unlink(r);
}

void room_free(struct room *r)
{
	if (hist_listed(r))
		hist_unlink(r);
	r->org->hist_bytes -= r->hist_bytes;
	for (uint32_t i = 0; i < r->histcount; i++)
		frame_unref(r->hist[ring_at(r->histhead, r->histslots, i)].frame);
	free(r->hist);
	free(r->subs);
	free(r);
}

void room_add(struct room *r, struct conn *c)
{
	if (r->nsubs == r->capsubs) {
		r->capsubs = r->capsubs ? r->capsubs * 2 : 4;
		r->subs = xrealloc(r->subs, sizeof *r->subs * r->capsubs);
	}
	r->subs[r->nsubs++] = c;
	r->empty_since_us = 0;
}

void room_remove(struct room *r, struct conn *c)
{
	for (uint32_t i = 0; i < r->nsubs; i++) {
		if (r->subs[i] == c) {
			/* Order among subscribers does not matter: swap with the last. */
			r->subs[i] = r->subs[--r->nsubs];
			break;
		}
	}
	if (r->nsubs == 0)
		r->empty_since_us = clock_mono_us();
}

static void room_keep(struct room *r, int64_t seq, struct frame *f)
{
	if (r->histcap == 0)
		return;
	ring_reserve((void **)&r->hist, sizeof *r->hist, &r->histhead, r->histcount, &r->histslots, r->histcap);
	if (r->histcount == r->histslots)
		hist_drop_oldest(r);
	if (hist_listed(r))
		hist_unlink(r);
	hist_push_front(r);
	uint32_t slot;
	ring_push(&r->histhead, &r->histcount, r->histslots, &slot);
	r->hist[slot] = (struct room_hist){ seq, frame_ref(f) };
	r->hist_bytes += f->len;
	struct org *o = r->org;
	o->hist_bytes += f->len;
	while (o->hist_bytes > o->srv->cfg.room_history_bytes && o->hist_oldest != NULL)
		hist_drop_oldest(o->hist_oldest);
}

void room_publish(struct room *r, int64_t pos, const char *event_text, size_t len)
{
	struct frame *f = frame_new_event(r->name, pos, event_text, len);
	room_keep(r, pos, f);
	for (uint32_t i = 0; i < r->nsubs; i++)
		conn_deliver(r->subs[i], r, pos, f);
	frame_unref(f);
}

void room_publish_pending(struct room *r, const char *event_text, size_t len)
{
	if (r->nsubs == 0)
		return;
	struct frame *f = frame_new_pending_event(r->name, event_text, len);
	for (uint32_t i = 0; i < r->nsubs; i++)
		conn_deliver(r->subs[i], r, -1, f);
	frame_unref(f);
}

void room_broadcast(struct room *r, char *payload)
{
	struct frame *f = frame_take_text(payload);
	for (uint32_t i = 0; i < r->nsubs; i++)
		conn_deliver(r->subs[i], NULL, 0, f);
	frame_unref(f);
}

bool room_can_resume(const struct room *r, int64_t since)
{
	if (r->histcap == 0)
		return since == r->org->pos;
	return since >= r->created_pos && since >= r->evicted_upto && since <= r->org->pos;
}

void room_replay(struct room *r, int64_t since, struct conn *c)
{
	for (uint32_t i = 0; i < r->histcount; i++) {
		struct room_hist *h = &r->hist[ring_at(r->histhead, r->histslots, i)];
		if (h->seq > since)
			conn_deliver(c, NULL, h->seq, h->frame);
	}
}

struct gc_ctx {
	int64_t now_us, idle_us;
	struct room *victims[64];
	unsigned n;
};

static void gc_collect(const char *key, void *value, void *arg)
{
	(void)key;
	struct room *r = value;
	struct gc_ctx *g = arg;
	if (r->nsubs == 0 && r->empty_since_us != 0 && g->now_us - r->empty_since_us >= g->idle_us &&
	    g->n < sizeof g->victims / sizeof g->victims[0])
		g->victims[g->n++] = r;
}

void room_gc(struct org *o, int64_t now_us, int64_t idle_us)
{
	struct gc_ctx g = { .now_us = now_us, .idle_us = idle_us, .n = 0 };
	/* Bounded work per call: at most 64 rooms, the rest on the next tick. */
	strmap_each(&o->rooms, gc_collect, &g);
	for (unsigned i = 0; i < g.n; i++) {
		strmap_remove(&o->rooms, g.victims[i]->name);
		o->srv->nrooms--;
		o->rooms_of_kind[g.victims[i]->spec.kind]--;
		room_free(g.victims[i]);
	}
}
