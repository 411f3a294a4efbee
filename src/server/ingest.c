/* ingest.c: the publish pipeline (see ingest.h).
 *
 * Routing, by room: execution:<id> gets every event of the execution;
 * workflow:<id>, org and queue get the execution-level events without step
 * inputs and outputs (dashboards need the change, not the data); resources gets
 * resource samples. Only rooms that exist are served: serializing for a room
 * nobody watches would be wasted work.
 *
 * Each event is serialized at most three times whatever the number of rooms:
 * as event messages carry it (the execution and resources rooms, and the
 * store when that text keeps every number exactly), without its data (the
 * dashboards' rooms, only when it has data), and in full precision for the
 * store (only when a real needs more digits than messages give it). */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "control.h"
#include "alerts.h"
#include "jsonw.h"
#include "monitor.h"
#include "org.h"
#include "room.h"
#include "schedules.h"
#include "server.h"
#include "strmap.h"
#include "summary.h"
#include "xalloc.h"

static json_t *result_new(const char *event_id, const char *status)
{
	/* Built directly: json_pack parses its format for every event. */
	json_t *r = json_object();
	json_object_set_new(r, "event_id", json_string(event_id));
	json_object_set_new(r, "status", json_string(status));
	return r;
}

static json_t *error_result_new(const char *event_id, const char *code, const char *field,
				const char *message)
{
	json_t *r = json_object();
	json_object_set_new(r, "event_id", event_id ? json_string(event_id) : json_null());
	json_object_set_new(r, "status", json_string("error"));
	json_object_set_new(r, "code", json_string(code));
	if (field != NULL && *field != '\0')
		json_object_set_new(r, "field", json_string(field));
	json_object_set_new(r, "message", json_string(message));
	return r;
}

/* The event as messages carry it, serialized on first use. */
static const char *item_text(struct ingest_item *it, size_t *len)
{
	if (it->text == NULL) {
		it->text = proto_event_text_new(it->event, &it->text_len);
		if (it->text == NULL)
			fatal("out of memory serializing an event");
	}
	*len = it->text_len;
	return it->text;
}

/* The same without the step's input and output (the text itself when it has none). */
static const char *item_summary(struct ingest_item *it, size_t *len)
{
	if (it->ev.input == NULL && it->ev.output == NULL)
		return item_text(it, len);
	if (it->summary == NULL) {
		json_t *copy = json_copy(it->event);
		json_object_del(copy, "input");
		json_object_del(copy, "output");
		it->summary = proto_event_text_new(copy, &it->summary_len);
		json_decref(copy);
		if (it->summary == NULL)
			fatal("out of memory serializing an event");
	}
	*len = it->summary_len;
	return it->summary;
}

void ingest_item_store(struct ingest_item *it, const char *org, struct store_event *se)
{
	snprintf(se->org, sizeof se->org, "%s", org);
	se->pos = it->pos;
	se->in_size = it->ev.input_size;
	se->out_size = it->ev.output_size;
	if (proto_event_text_exact(it->event)) {
		se->json = item_text(it, &se->len);
		return;
	}
	it->exact = jsonw_dumps(it->event, 17, &se->len);
	if (it->exact == NULL)
		fatal("out of memory serializing an event");
	se->json = it->exact;
}

/* Positions: first_pos > 0 gives the event at index i position first_pos + i
 * (the cluster's reader: Redis numbered the batch); in cluster mode otherwise
 * they stay 0 until Redis numbers the batch (cluster.h); else each new event
 * takes the organization's next one. The reader answers nobody: it makes no
 * result objects (b->results stays NULL). */
static void prepare(struct org *o, json_t *events, const struct ingest_text *texts, bool for_store, bool own,
		    int64_t first_pos, struct ingest_batch *b)
{
	/* The texts are worth keeping only where rooms may want them. */
	if (strmap_count(&o->rooms) == 0)
		texts = NULL;
	bool clustered = o->srv->cluster != NULL;
	bool answer = first_pos == 0;
	struct server_stats *stats = &o->srv->stats;
	memset(b, 0, sizeof *b);
	if (answer)
		b->results = json_array();
	size_t count = json_array_size(events);
	if (count == 0)
		return;
	b->items = xcalloc(count, sizeof *b->items);
	if (for_store)
		b->stored = xcalloc(count, sizeof *b->stored);
	struct strmap in_batch;
	strmap_init(&in_batch);
	size_t i;
	json_t *event;
	json_array_foreach(events, i, event) {
		struct ingest_item *it = &b->items[b->n];
		struct proto_cause cause;
		int rc = proto_event_validate(event, &it->ev, &cause);
		if (rc == 0 && !own && proto_event_is_daemon_only(it->ev.kind)) {
			rc = proto_fail(&cause, "type", "%s is made by wfmond only; a producer answers a request "
					"with control.replied", proto_event_kind_name(it->ev.kind));
		}
		if (rc < 0) {
			char field[128];
			snprintf(field, sizeof field, "events[%zu]%s%s", i, cause.field[0] ? "." : "",
				 cause.field);
			if (answer)
				json_array_append_new(b->results,
						      error_result_new(json_string_value(json_object_get(event, "id")),
								       "bad_request", field, cause.message));
			b->rejected++;
			stats->events_rejected++;
			continue;
		}
		/* A batch of one cannot repeat itself: no map to fill and free. */
		if (dedup_seen(&o->dedup, it->ev.event_id) ||
		    (count > 1 && strmap_get(&in_batch, it->ev.event_id))) {
			/* In a cluster the first copy may have been applied from a node
			 * that died before its spool was synced: written again. */
			if (clustered && for_store && first_pos == 0 && dedup_seen(&o->dedup, it->ev.event_id)) {
				if (b->retried == NULL)
					b->retried = json_array();
				json_array_append(b->retried, event);
			}
			if (answer)
				json_array_append_new(b->results, result_new(it->ev.event_id, "duplicate"));
			b->accepted++;
			stats->events_duplicate++;
			continue;
		}
		if (count > 1)
			strmap_put(&in_batch, it->ev.event_id, it);
		it->event = json_incref(event);
		if (texts != NULL && texts[i].len > 0 && proto_event_text_exact(event)) {
			/* What proto_event_text_new would write again, byte for byte. */
			it->text = xmalloc(texts[i].len + 1);
			memcpy(it->text, texts[i].text, texts[i].len);
			it->text[texts[i].len] = '\0';
			it->text_len = texts[i].len;
		}
		it->pos = first_pos > 0 ? first_pos + (int64_t)i : clustered ? 0 : ++o->pos;
		if (answer) {
			it->result_index = json_array_size(b->results);
			json_array_append_new(b->results, result_new(it->ev.event_id, "ok"));
		}
		if (for_store)
			ingest_item_store(it, o->id, &b->stored[b->n]);
		b->n++;
	}
	strmap_clear(&in_batch);
}

void ingest_prepare(struct org *o, json_t *events, bool for_store, struct ingest_batch *b)
{
	prepare(o, events, NULL, for_store, false, 0, b);
}

void ingest_prepare_own(struct org *o, json_t *events, bool for_store, struct ingest_batch *b)
{
	prepare(o, events, NULL, for_store, true, 0, b);
}

void ingest_prepare_at(struct org *o, json_t *events, const struct ingest_text *texts, int64_t first_pos,
		       struct ingest_batch *b)
{
	prepare(o, events, texts, false, true, first_pos, b);
}

void ingest_batch_adopt(struct org *o, struct ingest_item *items, size_t n, struct ingest_batch *b)
{
	memset(b, 0, sizeof *b);
	b->items = items;
	for (size_t i = 0; i < n; i++) {
		if (dedup_seen(&o->dedup, items[i].ev.event_id)) {
			ingest_item_clear(&items[i]);
			o->srv->stats.events_duplicate++;
			continue;
		}
		if (b->n != i)
			items[b->n] = items[i];
		b->n++;
	}
}

static bool is_queue_event(enum proto_event_kind k)
{
	return k == EV_EXECUTION_QUEUED || k == EV_EXECUTION_STARTED || proto_event_is_terminal(k);
}

enum cut { CUT_NONE, CUT_FULL, CUT_SUMMARY };

/* The routing rules, asked of one room: which text of the event it gets. */
static enum cut room_cut(const struct proto_event *ev, const struct proto_room *spec)
{
	bool dashboards = proto_event_is_execution_level(ev->kind);
	switch (spec->kind) {
	case ROOM_EXECUTION:
		return strcmp(spec->id, ev->execution_id) == 0 ? CUT_FULL : CUT_NONE;
	case ROOM_RESOURCES:
		return ev->kind == EV_RESOURCE_SAMPLE ? CUT_FULL : CUT_NONE;
	case ROOM_WORKFLOW:
		return dashboards && ev->workflow_id != NULL && strcmp(spec->id, ev->workflow_id) == 0 ? CUT_SUMMARY
													 : CUT_NONE;
	case ROOM_ORG:
		return dashboards ? CUT_SUMMARY : CUT_NONE;
	case ROOM_QUEUE:
		return dashboards && is_queue_event(ev->kind) ? CUT_SUMMARY : CUT_NONE;
	default:
		return CUT_NONE;
	}
}

static const char *cut_text(struct ingest_item *it, enum cut cut, size_t *len)
{
	return cut == CUT_FULL ? item_text(it, len) : cut == CUT_SUMMARY ? item_summary(it, len) : NULL;
}

bool ingest_event_goes_to(const struct proto_event *ev, const struct proto_room *spec)
{
	return room_cut(ev, spec) != CUT_NONE;
}

const char *ingest_item_text_for(struct ingest_item *it, const struct proto_room *spec, size_t *len)
{
	return cut_text(it, room_cut(&it->ev, spec), len);
}

void ingest_item_route(struct org *o, struct ingest_item *it, ingest_room_fn *fn, void *arg)
{
	/* Every room an event can go to, asked the rules before it is looked
	 * up (and only of a kind the organization has rooms of); its text is
	 * made only for a room that exists. */
	static const enum proto_room_kind kinds[] = { ROOM_EXECUTION, ROOM_RESOURCES, ROOM_WORKFLOW, ROOM_ORG,
						      ROOM_QUEUE };
	const struct proto_event *ev = &it->ev;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		if (o->rooms_of_kind[kinds[k]] == 0)
			continue;
		struct proto_room spec = { .kind = kinds[k] };
		const char *id = kinds[k] == ROOM_EXECUTION ? ev->execution_id
				 : kinds[k] == ROOM_WORKFLOW ? ev->workflow_id : NULL;
		if (id != NULL)
			snprintf(spec.id, sizeof spec.id, "%s", id);
		enum cut cut = room_cut(ev, &spec);
		char name[PROTO_MAX_ROOM + 1];
		struct room *r;
		if (cut == CUT_NONE || proto_room_format(&spec, name, sizeof name) < 0 ||
		    (r = room_find(o, name)) == NULL)
			continue;
		size_t len = 0;
		const char *text = cut_text(it, cut, &len);
		fn(r, text, len, arg);
	}
}

static void route_publish(struct room *r, const char *text, size_t len, void *arg)
{
	const struct ingest_item *it = arg;
	room_publish(r, it->pos, text, len);
}

void ingest_commit(struct org *o, struct ingest_batch *b)
{
	int64_t now_ms = clock_wall_ms();
	o->active_us = clock_mono_us();
	for (size_t i = 0; i < b->n; i++) {
		struct ingest_item *it = &b->items[i];
		dedup_add(&o->dedup, it->ev.event_id);
		int before_status;
		struct live_execution *x = live_apply(&o->live, &it->ev, it->event, &before_status);
		monitor_on_event(o, before_status, x, &it->ev);
		summary_on_event(o, before_status, x, &it->ev, now_ms);
		schedules_on_event(o, &x->x, &it->ev);
		if (proto_event_is_execution_level(it->ev.kind))
			alerts_on_event(o->srv, o, x, &it->ev);
		ingest_item_route(o, it, route_publish, it);
		control_on_event(o, x, &it->ev, it->event);
		b->accepted++;
		o->srv->stats.events_in++;
	}
}

/* New event i of b answered "duplicate" and taken out of its new events:
 * moved to *keep, or freed when keep is NULL. */
static void drop_new(struct ingest_batch *b, size_t i, struct ingest_item *keep)
{
	struct ingest_item *it = &b->items[i];
	json_array_set_new(b->results, it->result_index, result_new(it->ev.event_id, "duplicate"));
	b->accepted++;
	if (keep != NULL)
		*keep = *it;
	else
		ingest_item_clear(it);
	memmove(&b->items[i], &b->items[i + 1], (b->n - i - 1) * sizeof *b->items);
	if (b->stored != NULL)
		memmove(&b->stored[i], &b->stored[i + 1], (b->n - i - 1) * sizeof *b->stored);
	b->n--;
}

void ingest_drop_duplicate(struct ingest_batch *b, size_t i)
{
	drop_new(b, i, NULL);
}

void ingest_take_known(struct ingest_batch *b, size_t i, int64_t pos)
{
	b->known = xrealloc(b->known, (b->nknown + 1) * sizeof *b->known);
	drop_new(b, i, &b->known[b->nknown]);
	b->known[b->nknown++].pos = pos;
}

void ingest_refuse(struct ingest_batch *b, const char *message)
{
	for (size_t i = 0; i < b->n; i++) {
		struct ingest_item *it = &b->items[i];
		json_array_set_new(b->results, it->result_index,
				   error_result_new(it->ev.event_id, "unavailable", NULL, message));
		b->rejected++;
	}
}

void ingest_item_clear(struct ingest_item *it)
{
	json_decref(it->event);
	free(it->text);
	free(it->summary);
	free(it->exact);
	memset(it, 0, sizeof *it);
}

void ingest_items_free(struct ingest_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ingest_item_clear(&items[i]);
	free(items);
}

/* b no longer owns its items, texts and retries (freed or moved). */
static void batch_forget(struct ingest_batch *b)
{
	b->items = NULL;
	b->known = NULL;
	b->stored = NULL;
	b->retried = NULL;
	b->n = 0;
	b->nknown = 0;
}

void ingest_batch_clear(struct ingest_batch *b)
{
	ingest_items_free(b->items, b->n);
	ingest_items_free(b->known, b->nknown);
	free(b->stored);
	json_decref(b->retried);
	batch_forget(b);
}

void ingest_batch_take(struct ingest_batch *dst, struct ingest_batch *src)
{
	*dst = *src;
	json_incref(dst->results);
	batch_forget(src);
}
