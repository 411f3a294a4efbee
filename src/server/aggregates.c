/* aggregates.c: the dashboards' aggregates pushed by wfmond (see
 * aggregates.h).
 *
 * Invariants: an organization holds one aggregate per metrics room that has
 * had a subscriber since the last tick (the list is bounded by the
 * organization's rooms); each has at most one question in flight (pending);
 * an aggregate nobody watches is freed at the next tick, or when its answer
 * comes back; answers are pushed only to the room of the organization that
 * asked, framed once for all its subscribers. */
#include "aggregates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "metrics_req.h"
#include "org.h"
#include "pending.h"
#include "room.h"
#include "server.h"
#include "xalloc.h"

struct aggregate {
	char room[PROTO_MAX_ROOM + 1];
	json_t *last;          /* the last answer pushed ({"error"} included), or NULL */
	int64_t asked_ms;      /* when the store was last asked, 0 never */
	bool pending;
	bool orphan;           /* no one watches: freed when its answer comes back */
	struct aggregate *next;
};

void aggregates_init(struct org_aggregates *a)
{
	a->list = NULL;
}

static void aggregate_free(struct aggregate *g)
{
	json_decref(g->last);
	free(g);
}

void aggregates_free(struct org_aggregates *a)
{
	while (a->list != NULL) {
		struct aggregate *g = a->list;
		a->list = g->next;
		aggregate_free(g);
	}
}

static struct aggregate *find(struct org_aggregates *a, const char *room)
{
	for (struct aggregate *g = a->list; g != NULL; g = g->next)
		if (strcmp(g->room, room) == 0)
			return g;
	return NULL;
}

int aggregates_check(const struct server *s, const struct proto_room *room, struct proto_cause *cause)
{
	if (s->store == NULL) {
		snprintf(cause->field, sizeof cause->field, "room");
		snprintf(cause->message, sizeof cause->message,
			 "metrics need the database: start wfmond with --database");
		return -1;
	}
	json_t *params = metrics_room_params_new(room->id, cause);
	json_decref(params);
	return params == NULL ? -1 : 0;
}

json_t *aggregates_snapshot_new(struct org *o, const struct room *r)
{
	struct aggregate *g = find(&o->aggregates, r->name);
	if (g == NULL) {
		g = xcalloc(1, sizeof *g);
		snprintf(g->room, sizeof g->room, "%s", r->name);
		g->next = o->aggregates.list;
		o->aggregates.list = g;
	}
	g->orphan = false;
	return g->last ? json_pack("{s:O}", "data", g->last) : json_object();
}

static void push(struct org *o, struct aggregate *g, json_t *data)
{
	json_decref(g->last);
	g->last = data;
	struct room *r = room_find(o, g->room);
	if (r == NULL || r->nsubs == 0)
		return;
	o->srv->stats.aggregate_pushes++;
	room_broadcast(r, proto_stats_message_new(g->room, data));
}

static void ask(struct org *o, struct aggregate *g, int64_t now_ms)
{
	struct server *s = o->srv;
	struct proto_cause cause;
	struct proto_room spec;
	json_t *params = NULL, *store_params = NULL;
	if (proto_room_parse(g->room, &spec, &cause) == 0 && (params = metrics_room_params_new(spec.id, &cause)))
		store_params = metrics_store_params_new(s, params, now_ms, &cause);
	json_decref(params);
	g->asked_ms = now_ms;
	if (store_params == NULL) {
		push(o, g, json_pack("{s:s}", "error", cause.message));
		return;
	}
	struct pending *p = pending_new(s, PENDING_AGGREGATE, NULL);
	snprintf(p->org, sizeof p->org, "%s", o->id);
	snprintf(p->room, sizeof p->room, "%s", g->room);
	if (store_query(s->store, STORE_Q_METRICS, o->id, store_params, p->ticket) < 0) {
		pending_free(pending_take(s, p->ticket));
		return;   /* the store's queue is full: the next refresh asks again */
	}
	g->pending = true;
	s->stats.aggregate_queries++;
}

void aggregates_tick(struct org *o, int64_t now_ms)
{
	if (o->srv->store == NULL)
		return;
	struct aggregate **at = &o->aggregates.list;
	while (*at != NULL) {
		struct aggregate *g = *at;
		struct room *r = room_find(o, g->room);
		if (r == NULL || r->nsubs == 0) {
			if (g->pending) {
				g->orphan = true;
				at = &g->next;
			} else {
				*at = g->next;
				aggregate_free(g);
			}
			continue;
		}
		g->orphan = false;
		if (!g->pending && (g->asked_ms == 0 || now_ms - g->asked_ms >= METRICS_ROOM_REFRESH_MS ||
				    now_ms < g->asked_ms))
			ask(o, g, now_ms);
		at = &g->next;
	}
}

void aggregates_done(struct server *s, struct pending *p, const struct store_done *d)
{
	struct org *o = strmap_get(&s->orgs, p->org);
	struct aggregate *g = o ? find(&o->aggregates, p->room) : NULL;
	if (g == NULL)
		return;
	g->pending = false;
	if (g->orphan) {
		struct aggregate **at = &o->aggregates.list;
		while (*at != g)
			at = &(*at)->next;
		*at = g->next;
		aggregate_free(g);
		return;
	}
	if (d->status != 0) {
		log_warn("%s: the aggregate %s failed: %s", o->id, p->room, d->error);
		push(o, g, json_pack("{s:s}", "error", d->error));
	} else if (json_object_get(d->result, "not_found") != NULL) {
		push(o, g, json_pack("{s:s}", "error", "no workflow with this id or name in this organization"));
	} else {
		push(o, g, json_incref(d->result));
	}
}
