/* ingest.c: the publish pipeline (see ingest.h).
 *
 * Routing, by room: execution:<id> gets every event of the execution;
 * workflow:<id>, org and queue get the execution-level events without step
 * inputs and outputs (dashboards need the change, not the data); resources gets
 * resource samples. Only rooms that exist are served: serializing for a room
 * nobody watches would be wasted work. */
#include "ingest.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "org.h"
#include "proto.h"
#include "room.h"
#include "server.h"

json_t *ingest_error_result_new(const char *event_id, const char *code, const char *field,
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

static json_t *ok_result_new(const char *event_id, const char *status)
{
	return json_pack("{s:s,s:s}", "event_id", event_id, "status", status);
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

void ingest_batch(struct org *o, json_t *events, struct ingest_result *out)
{
	struct server_stats *stats = &o->srv->stats;
	out->accepted = out->rejected = 0;
	out->results = json_array();
	int64_t now = clock_wall_ms();
	size_t i;
	json_t *event;
	json_array_foreach(events, i, event) {
		struct proto_event ev;
		struct proto_cause cause;
		if (proto_event_validate(event, &ev, &cause) < 0) {
			json_t *id = json_object_get(event, "id");
			char field[128];
			snprintf(field, sizeof field, "events[%zu]%s%s", i, cause.field[0] ? "." : "",
				 cause.field);
			json_array_append_new(out->results,
					      ingest_error_result_new(json_string_value(id), "bad_request",
								      field, cause.message));
			out->rejected++;
			stats->events_rejected++;
			continue;
		}
		if (dedup_seen(&o->dedup, ev.event_id)) {
			json_array_append_new(out->results, ok_result_new(ev.event_id, "duplicate"));
			out->accepted++;
			stats->events_duplicate++;
			continue;
		}
		dedup_add(&o->dedup, ev.event_id);
		live_apply(&o->live, &ev, event, now);
		route(o, &ev, ++o->pos, event);
		json_array_append_new(out->results, ok_result_new(ev.event_id, "ok"));
		out->accepted++;
		stats->events_in++;
	}
}
