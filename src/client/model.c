/* model.c: the console's state, built from the daemon's messages (see model.h):
 * the rooms and their positions, the dispatch of each message to the part of
 * the model it concerns, the answers to the console's own requests, and the
 * model's life cycle.
 *
 * Invariants: a room's position moves forward except when a fresh snapshot
 * resets it; an event at or below it is a duplicate and changes nothing.
 * A pending event (no position: the daemon's cluster cannot number it yet) is
 * applied once and its id kept in the room's pendids; its numbered copy then
 * moves the position only. A fresh snapshot forgets the room's pending ids:
 * it holds no pending event, so the daemon sends them again after it and the
 * numbered copy of one it does not repeat is applied as new. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model-internal.h"
#include "names.h"
#include "xalloc.h"

unsigned model_reply_set(struct model *m, const char *id, bool ok, const char *code,
			  const char *message)
{
	struct model_reply *r = &m->reply;
	copy_str(r->id, sizeof r->id, id);
	r->ok = ok;
	copy_str(r->code, sizeof r->code, code ? code : "");
	copy_str(r->message, sizeof r->message, message ? message : "");
	r->field[0] = '\0';
	r->serial++;
	return MC_REPLY;
}

static unsigned on_done(struct model *m, json_t *msg)
{
	const char *id = jstr(msg, "id");
	if (id == NULL)
		return MC_NONE;
	return model_reply_set(m, id, true, NULL, NULL);
}

/* ---- rooms ------------------------------------------------------------------------ */

struct model_room *model_room_find(struct model *m, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < m->nrooms; i++)
		if (strcmp(m->rooms[i].name, name) == 0)
			return &m->rooms[i];
	return NULL;
}

const char *model_room_execution_id(const char *name)
{
	return strncmp(name, "execution:", 10) == 0 ? name + 10 : NULL;
}

struct model_room *model_room_track(struct model *m, const char *name)
{
	struct model_room *r = model_room_find(m, name);
	if (r != NULL)
		return r;
	if (m->nrooms >= MODEL_MAX_ROOMS || strlen(name) > PROTO_MAX_ROOM)
		return NULL;
	const char *xid = model_room_execution_id(name);
	if (xid != NULL)
		model_exec_detail_follow(m, xid);
	r = &m->rooms[m->nrooms++];
	memset(r, 0, sizeof *r);
	pendids_init(&r->pending);
	copy_str(r->name, sizeof r->name, name);
	return r;
}

size_t model_room_pending(struct model *m, const char *name)
{
	struct model_room *r = model_room_find(m, name);
	return r != NULL ? pendids_count(&r->pending) : 0;
}

void model_room_forget(struct model *m, const char *name)
{
	struct model_room *r = model_room_find(m, name);
	if (r == NULL)
		return;
	const char *xid = model_room_execution_id(name);
	if (xid != NULL)
		model_exec_detail_forget(m, xid);
	pendids_clear(&r->pending);
	*r = m->rooms[--m->nrooms];
}

/* ---- messages ------------------------------------------------------------------------ */

static unsigned on_subscribed(struct model *m, struct model_room *r, json_t *msg, int64_t now_ms)
{
	int64_t seq;
	if (!jint(msg, "seq", &seq))
		return MC_NONE;
	bool resumed = json_is_true(json_object_get(msg, "resumed"));
	r->last_resumed = resumed;
	unsigned changed = MC_SUBSCRIBED;
	if (resumed) {
		/* The missed events follow; they carry their own positions. */
		if (!r->has_pos)
			r->seq = seq;
		r->has_pos = true;
		return changed;
	}
	r->has_pos = true;
	r->seq = seq;
	pendids_clear(&r->pending);
	json_t *snap = json_object_get(msg, "snapshot");
	if (model_room_execution_id(r->name) != NULL)
		changed |= model_exec_snapshot_detail(m, json_object_get(snap, "execution"), now_ms);
	else if (strcmp(r->name, "org") == 0 || strncmp(r->name, "workflow:", 9) == 0)
		changed |= model_exec_snapshot_list(m, json_object_get(snap, "executions"), now_ms) |
			   model_summary_set(m, json_object_get(snap, "summary"), now_ms);
	else if (strcmp(r->name, "queue") == 0)
		changed |= model_queue_snapshot(m, snap, now_ms);
	else if (strcmp(r->name, "resources") == 0)
		changed |= model_res_snapshot(m, snap);
	else if (strcmp(r->name, "alerts") == 0)
		changed |= model_alerts_snapshot(m, json_object_get(snap, "alerts"));
	else if (strcmp(r->name, "health") == 0)
		changed |= model_health_read(m, snap);
	else if (strncmp(r->name, "metrics:", 8) == 0 && json_object_get(snap, "data") != NULL)
		changed |= dash_model_on_push(&m->dash, r->name, json_object_get(snap, "data")) ? MC_DASHBOARD : 0;
	return changed;
}

/* An event applied to the part of the model its room feeds. */
static unsigned apply_event(struct model *m, struct model_room *r, json_t *ev, int64_t now_ms)
{
	m->last_event_rx_ms = now_ms;
	/* Alert records are not events (see model_alerts_on_message). */
	if (strcmp(r->name, "alerts") == 0)
		return MC_NONE;
	/* Worker samples: they describe workers, not the executions list. */
	if (strcmp(r->name, "resources") == 0)
		return model_res_on_event(m, ev);
	return model_exec_on_event(m, r->name, ev, now_ms);
}

static unsigned on_event(struct model *m, struct model_room *r, json_t *msg, int64_t now_ms)
{
	int64_t seq;
	json_t *ev = json_object_get(msg, "event");
	if (!json_is_object(ev))
		return MC_NONE;
	const char *id = jstr(ev, "id");
	if (json_is_true(json_object_get(msg, "pending")) && json_object_get(msg, "seq") == NULL) {
		/* Shown at once; the position waits for the numbered copy. */
		if (!r->has_pos || !pendids_add(&r->pending, id))
			return MC_NONE;
		return apply_event(m, r, ev, now_ms) | MC_PENDING;
	}
	if (!jint(msg, "seq", &seq))
		return MC_NONE;
	if (r->has_pos && seq <= r->seq) {
		r->duplicates++;
		return MC_NONE;
	}
	if (r->has_pos && seq > r->seq + 1)
		r->gaps++;
	r->seq = seq;
	r->has_pos = true;
	if (pendids_take(&r->pending, id)) {
		m->last_event_rx_ms = now_ms;
		return MC_PENDING;   /* applied when it came pending */
	}
	return apply_event(m, r, ev, now_ms);
}

static unsigned on_error(struct model *m, json_t *msg)
{
	const char *text = jstr(msg, "message");
	const char *code = jstr(msg, "code");
	const char *id = jstr(msg, "id");
	/* Answers to the console's own requests go where the request came from. */
	if (id != NULL && strncmp(id, METRICS_ID_PREFIX, strlen(METRICS_ID_PREFIX)) == 0 &&
	    metrics_model_on_error(&m->metrics, msg))
		return MC_METRICS;
	if (dash_model_on_error(&m->dash, msg))
		return MC_DASHBOARD;
	if (model_search_owns(id))
		return model_search_on_error(m, msg);
	if (id != NULL && strncmp(id, MODEL_ID_STATS, strlen(MODEL_ID_STATS)) == 0) {
		if (strcmp(id + strlen(MODEL_ID_STATS), m->stats.workflow_id) != 0)
			return MC_NONE;
		m->stats.state = MSTATS_UNAVAILABLE;
		return MC_STATS;
	}
	if (id != NULL && (strncmp(id, MODEL_ID_PRIO, strlen(MODEL_ID_PRIO)) == 0 ||
			   strncmp(id, MODEL_ID_ALERT, strlen(MODEL_ID_ALERT)) == 0 ||
			   strncmp(id, MODEL_ID_RULE, strlen(MODEL_ID_RULE)) == 0 ||
			   strncmp(id, MODEL_ID_CONTROL, strlen(MODEL_ID_CONTROL)) == 0)) {
		unsigned c = model_reply_set(m, id, false, code ? code : "error", text);
		copy_str(m->reply.field, sizeof m->reply.field, jstr(msg, "field"));
		return c;
	}
	snprintf(m->last_error, sizeof m->last_error, "%s%s%s", code ? code : "error",
		 text ? ": " : "", text ? text : "");
	m->last_error_room[0] = '\0';
	/* The session names its subscribe requests "sub:<room>". */
	if (id != NULL && strncmp(id, "sub:", 4) == 0)
		copy_str(m->last_error_room, sizeof m->last_error_room, id + 4);
	return MC_ERROR;
}

unsigned model_handle_message(struct model *m, json_t *msg, int64_t now_ms)
{
	const char *type = jstr(msg, "type");
	if (type == NULL)
		return MC_NONE;
	if (strcmp(type, "error") == 0)
		return on_error(m, msg);
	if (strcmp(type, "done") == 0)
		return on_done(m, msg);
	if (strcmp(type, "result") == 0) {
		const char *query = jstr(msg, "query");
		if (query != NULL && strcmp(query, "metrics") == 0) {
			return metrics_model_on_result(&m->metrics, msg) ? MC_METRICS : MC_NONE;
		}
		return model_search_owns(jstr(msg, "id")) ? model_search_on_result(m, msg)
							  : model_stats_on_result(m, msg);
	}
	if (strcmp(type, "rules") == 0)
		return model_rules_on_message(m, msg);
	if (strcmp(type, "dashboard") == 0)
		return dash_model_on_answer(&m->dash, msg) ? MC_DASHBOARD : MC_NONE;
	if (strcmp(type, "rule_saved") == 0)
		return model_rules_on_saved(m, msg);
	struct model_room *r = model_room_find(m, jstr(msg, "room"));
	if (r == NULL)
		return MC_NONE;
	if (strcmp(type, "alert") == 0 && strcmp(r->name, "alerts") == 0)
		return model_alerts_on_message(m, msg);
	if (strcmp(type, "subscribed") == 0)
		return on_subscribed(m, r, msg, now_ms);
	if (strcmp(type, "event") == 0)
		return on_event(m, r, msg, now_ms);
	if (strcmp(type, "stats") == 0 && strcmp(r->name, "health") == 0)
		return model_health_read(m, json_object_get(msg, "data"));
	if (strcmp(type, "stats") == 0 && strncmp(r->name, "metrics:", 8) == 0)
		return dash_model_on_push(&m->dash, r->name, json_object_get(msg, "data")) ? MC_DASHBOARD : MC_NONE;
	if (strcmp(type, "stats") == 0)
		return model_monitor_on_stats(m, r, msg, now_ms);
	return MC_NONE;
}

unsigned model_handle_text(struct model *m, const char *data, size_t len, int64_t now_ms)
{
	json_t *msg = json_loadb(data, len, 0, NULL);
	if (msg == NULL)
		return MC_NONE;
	unsigned changed = model_handle_message(m, msg, now_ms);
	json_decref(msg);
	return changed;
}

/* ---- life cycle ------------------------------------------------------------------------ */

void model_init(struct model *m)
{
	memset(m, 0, sizeof *m);
	strmap_init(&m->by_id);
	metrics_model_init(&m->metrics);
	dash_model_init(&m->dash);
}

void model_free(struct model *m)
{
	for (size_t i = 0; i < m->nrooms; i++)
		pendids_clear(&m->rooms[i].pending);
	model_exec_clear_all(m);
	model_alerts_clear(m);
	model_rules_clear(m);
	model_stats_clear(&m->stats);
	metrics_model_free(&m->metrics);
	model_search_clear(m);
	model_health_clear(m);
	dash_model_free(&m->dash);
	memset(m, 0, sizeof *m);
}
