/* ingest.c: the publish pipeline (see ingest.h).
 *
 * Routing, by room: execution:<id> gets every event of the execution;
 * workflow:<id>, org and queue get the execution-level events without step
 * inputs and outputs (dashboards need the change, not the data); resources gets
 * resource samples. Only rooms that exist are served: serializing for a room
 * nobody watches would be wasted work. */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "monitor.h"
#include "org.h"
#include "room.h"
#include "server.h"
#include "strmap.h"
#include "xalloc.h"

static json_t *result_new(const char *event_id, const char *status)
{
	return json_pack("{s:s,s:s}", "event_id", event_id, "status", status);
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

void ingest_prepare(struct org *o, json_t *events, bool for_store, struct ingest_batch *b)
{
	struct server_stats *stats = &o->srv->stats;
	memset(b, 0, sizeof *b);
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
		if (proto_event_validate(event, &it->ev, &cause) < 0) {
			char field[128];
			snprintf(field, sizeof field, "events[%zu]%s%s", i, cause.field[0] ? "." : "",
				 cause.field);
			json_array_append_new(b->results,
					      error_result_new(json_string_value(json_object_get(event, "id")),
							       "bad_request", field, cause.message));
			b->rejected++;
			stats->events_rejected++;
			continue;
		}
		if (dedup_seen(&o->dedup, it->ev.event_id) || strmap_get(&in_batch, it->ev.event_id)) {
			json_array_append_new(b->results, result_new(it->ev.event_id, "duplicate"));
			b->accepted++;
			stats->events_duplicate++;
			continue;
		}
		strmap_put(&in_batch, it->ev.event_id, it);
		it->event = json_incref(event);
		it->pos = ++o->pos;
		it->result_index = json_array_size(b->results);
		json_array_append_new(b->results, result_new(it->ev.event_id, "ok"));
		if (for_store) {
			struct store_event *se = &b->stored[b->n];
			snprintf(se->org, sizeof se->org, "%s", o->id);
			se->pos = it->pos;
			se->json = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);
			if (se->json == NULL)
				fatal("out of memory serializing an event");
		}
		b->n++;
	}
	strmap_clear(&in_batch);
}

static void publish_to(struct org *o, enum proto_room_kind kind, const char *id, int64_t pos,
		       json_t *event)
{
	struct proto_room spec = { .kind = kind };
	if (id != NULL)
		snprintf(spec.id, sizeof spec.id, "%s", id);
	char name[PROTO_MAX_ROOM + 1];
	if (proto_room_format(&spec, name, sizeof name) < 0)
		return;
	struct room *r = room_find(o, name);
	if (r != NULL)
		room_publish(r, pos, event);
}

static bool is_queue_event(enum proto_event_kind k)
{
	return k == EV_EXECUTION_QUEUED || k == EV_EXECUTION_STARTED || proto_event_is_terminal(k);
}

static void route(struct org *o, const struct proto_event *ev, int64_t pos, json_t *event)
{
	publish_to(o, ROOM_EXECUTION, ev->execution_id, pos, event);
	if (ev->kind == EV_RESOURCE_SAMPLE)
		publish_to(o, ROOM_RESOURCES, NULL, pos, event);
	if (!proto_event_is_execution_level(ev->kind))
		return;
	json_t *summary = event;
	if (json_object_get(event, "input") != NULL || json_object_get(event, "output") != NULL) {
		summary = json_copy(event);
		json_object_del(summary, "input");
		json_object_del(summary, "output");
	} else {
		json_incref(summary);
	}
	publish_to(o, ROOM_WORKFLOW, ev->workflow_id, pos, summary);
	publish_to(o, ROOM_ORG, NULL, pos, summary);
	if (is_queue_event(ev->kind))
		publish_to(o, ROOM_QUEUE, NULL, pos, summary);
	json_decref(summary);
}

void ingest_commit(struct org *o, struct ingest_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct ingest_item *it = &b->items[i];
		dedup_add(&o->dedup, it->ev.event_id);
		int before_status;
		struct live_execution *x = live_apply(&o->live, &it->ev, it->event, &before_status);
		monitor_on_event(o, before_status, x, &it->ev);
		if (proto_event_is_execution_level(it->ev.kind))
			alerts_on_event(o->srv, o, x, &it->ev);
		route(o, &it->ev, it->pos, it->event);
		b->accepted++;
		o->srv->stats.events_in++;
	}
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

void ingest_batch_clear(struct ingest_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		json_decref(b->items[i].event);
		if (b->stored != NULL)
			free(b->stored[i].json);
	}
	free(b->items);
	free(b->stored);
	b->items = NULL;
	b->stored = NULL;
	b->n = 0;
}
