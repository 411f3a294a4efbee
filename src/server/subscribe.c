/* subscribe.c: subscriptions and their first answer (see subscribe.h).
 *
 * The three ways a subscription starts:
 *  - resume from memory: the room still holds every event after `since`;
 *  - resume from the store: the room is newer than `since` (a restart, an idle
 *    room collected), so the store replays what the room missed;
 *  - a snapshot: from the live state, or from the store for an execution no
 *    longer in memory.
 * Whatever cannot be answered exactly ends in a fresh snapshot with
 * "resumed": false: never a partial gap. */
#include "subscribe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aggregates.h"
#include "alerts.h"
#include "clock.h"
#include "cluster.h"
#include "conn.h"
#include "history.h"
#include "monitor.h"
#include "live.h"
#include "log.h"
#include "org.h"
#include "pending.h"
#include "room.h"
#include "schedules.h"
#include "server.h"
#include "summary.h"

/* Beyond this many missed events a fresh snapshot is cheaper for everyone. */
#define REPLAY_MAX 10000

static bool may_subscribe(enum auth_role role, enum proto_room_kind kind)
{
	/* Producers see commands meant for them; people see everything else. */
	if (role == ROLE_PRODUCER)
		return kind == ROOM_CONTROL;
	return kind != ROOM_CONTROL;
}

/* ---- snapshots from the live state, by room kind ---------------------------- */

static json_t *snapshot_execution(struct org *o, const struct room *r)
{
	struct live_execution *x = live_find(&o->live, r->spec.id);
	return json_pack("{s:o}", "execution", x ? exec_json_new(&x->x) : json_null());
}

static json_t *snapshot_workflow(struct org *o, const struct room *r)
{
	return live_org_snapshot_new(&o->live, r->spec.id);
}

/* The executions and the organization's summary (summary.h). */
static json_t *snapshot_org(struct org *o, const struct room *r)
{
	(void)r;
	json_t *snap = live_org_snapshot_new(&o->live, NULL);
	json_object_set_new(snap, "summary", summary_json_new(o, clock_wall_ms()));
	return snap;
}

static json_t *snapshot_queue(struct org *o, const struct room *r)
{
	(void)r;
	return monitor_queue_snapshot_new(o, clock_wall_ms());
}

static json_t *snapshot_resources(struct org *o, const struct room *r)
{
	(void)r;
	return monitor_resources_snapshot_new(o);
}

static json_t *snapshot_alerts(struct org *o, const struct room *r)
{
	(void)r;
	return alerts_snapshot_new(o);
}

static json_t *snapshot_control(struct org *o, const struct room *r)
{
	(void)o;
	(void)r;
	return json_object();
}

static json_t *snapshot_health(struct org *o, const struct room *r)
{
	(void)r;
	return schedules_health_new(o, clock_wall_ms());
}

static json_t *(*const snapshot_table[ROOM__COUNT])(struct org *, const struct room *) = {
	[ROOM_METRICS] = aggregates_snapshot_new,
	[ROOM_HEALTH] = snapshot_health,
	[ROOM_EXECUTION] = snapshot_execution,
	[ROOM_WORKFLOW] = snapshot_workflow,
	[ROOM_ORG] = snapshot_org,
	[ROOM_QUEUE] = snapshot_queue,
	[ROOM_RESOURCES] = snapshot_resources,
	[ROOM_ALERTS] = snapshot_alerts,
	[ROOM_CONTROL] = snapshot_control,
};

/* The store keeps the event log of these rooms. */
static bool room_replayable(enum proto_room_kind kind)
{
	return kind == ROOM_EXECUTION || kind == ROOM_WORKFLOW || kind == ROOM_ORG ||
	       kind == ROOM_QUEUE || kind == ROOM_RESOURCES;
}

/* Answers with a snapshot of the live state as it is now. */
static void answer_live_snapshot(struct conn *c, json_t *req_id, struct room *r)
{
	json_t *snap = snapshot_table[r->spec.kind](c->org, r);
	conn_send(c, proto_subscribed_message_new(req_id, r->name, c->org->pos, snap, false));
	json_decref(snap);
}

/* Asks the store; returns the ticket, or 0 when the store cannot take it. */
static uint64_t ask_store(struct conn *c, enum pending_kind kind, enum store_query_kind q,
			  json_t *params, json_t *req_id, struct room *r, int64_t since)
{
	struct server *s = c->srv;
	if (s->store == NULL) {
		json_decref(params);
		return 0;
	}
	struct reply_to to = { .conn_id = c->id, .req_id = req_id };
	struct pending *p = pending_new(s, kind, &to);
	snprintf(p->room, sizeof p->room, "%s", r->name);
	p->since = since;
	p->pos = c->org->pos;
	if (store_query(s->store, q, c->org->id, params, p->ticket) < 0) {
		pending_free(pending_take(s, p->ticket));
		return 0;
	}
	return p->ticket;
}

static uint64_t ask_execution_snapshot(struct conn *c, json_t *req_id, struct room *r)
{
	if (r->spec.kind != ROOM_EXECUTION || live_find(&c->org->live, r->spec.id) != NULL)
		return 0;
	return ask_store(c, PENDING_SUB_SNAPSHOT, STORE_Q_EXECUTION,
			 json_pack("{s:s}", "id", r->spec.id), req_id, r, 0);
}

/* Every subscription granted is audited: who watched what. */
static void audit_subscription(struct conn *c, const char *room)
{
	history_audit(c->srv, c->org->id, c->who.sub, "subscription.created", room,
		      json_pack("{s:s}", "role", auth_role_name(c->who.role)));
}

void subscribe_start(struct conn *c, const struct proto_request *req)
{
	struct server *s = c->srv;
	char name[PROTO_MAX_ROOM + 1];
	char msg[200];
	proto_room_format(&req->room, name, sizeof name);
	if (!may_subscribe(c->who.role, req->room.kind)) {
		snprintf(msg, sizeof msg, "role %s may not subscribe to %s", auth_role_name(c->who.role), name);
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN, msg, "room");
		return;
	}
	struct proto_cause cause;
	if (req->room.kind == ROOM_METRICS && aggregates_check(s, &req->room, &cause) != 0) {
		conn_send_error(c, req->id, s->store ? PROTO_ERR_BAD_REQUEST : PROTO_ERR_UNAVAILABLE, cause.message,
				cause.field);
		return;
	}
	struct room *r = room_find(c->org, name);
	if (r != NULL && conn_sub_find(c, r) != NULL) {
		snprintf(msg, sizeof msg, "already subscribed to %s", name);
		conn_send_error(c, req->id, PROTO_ERR_BAD_REQUEST, msg, "room");
		return;
	}
	if (c->nsubs >= s->cfg.max_subscriptions) {
		snprintf(msg, sizeof msg, "at most %u subscriptions per connection: unsubscribe first",
			 s->cfg.max_subscriptions);
		conn_send_error(c, req->id, PROTO_ERR_TOO_LARGE, msg, "room");
		return;
	}
	if (r == NULL && (r = room_get(c->org, &req->room)) == NULL) {
		conn_send_error(c, req->id, PROTO_ERR_UNAVAILABLE,
				"this organization has too many rooms open; try again later", "room");
		return;
	}

	audit_subscription(c, name);
	/* One thread: nothing is published between the answer and the first
	 * live event, so the client sees each event exactly once. */
	/* An aggregate has no events to resume from: its snapshot is its state. */
	bool resumable = req->has_since && r->spec.kind != ROOM_METRICS;
	bool from_room = resumable && room_can_resume(r, req->since);
	/* In a cluster, the node's recent events cover rooms it never served. */
	if (from_room || (resumable && s->cluster != NULL && cluster_can_resume(s->cluster, c->org, req->since))) {
		conn_sub_add(c, r, 0);
		conn_send(c, proto_subscribed_message_new(req->id, name, req->since, NULL, true));
		if (from_room)
			room_replay(r, req->since, c);
		else
			cluster_replay(s->cluster, r, req->since, c);
		cluster_outbox_replay(s->cluster, r, c);
		/* A resumed subscription carries no snapshot: the summary follows. */
		if (r->spec.kind == ROOM_ORG)
			summary_send(c, clock_wall_ms());
		return;
	}
	uint64_t ticket = 0;
	if (req->has_since && req->since < c->org->pos && room_replayable(r->spec.kind))
		ticket = ask_store(c, PENDING_SUB_REPLAY, STORE_Q_REPLAY,
				   json_pack("{s:s,s:I,s:i}", "room", name, "since", (json_int_t)req->since,
					     "limit", REPLAY_MAX),
				   req->id, r, req->since);
	if (ticket == 0)
		ticket = ask_execution_snapshot(c, req->id, r);
	if (ticket != 0) {
		conn_sub_add(c, r, ticket);
		return;
	}
	conn_sub_add(c, r, 0);
	answer_live_snapshot(c, req->id, r);
	cluster_outbox_replay(s->cluster, r, c);
}

void unsubscribe(struct conn *c, const struct proto_request *req)
{
	char name[PROTO_MAX_ROOM + 1];
	proto_room_format(&req->room, name, sizeof name);
	struct room *r = room_find(c->org, name);
	if (r == NULL || conn_sub_find(c, r) == NULL) {
		char msg[160];
		snprintf(msg, sizeof msg, "not subscribed to %s", name);
		conn_send_error(c, req->id, PROTO_ERR_NOT_FOUND, msg, "room");
		return;
	}
	conn_sub_remove(c, r);
	conn_send(c, proto_unsubscribed_message_new(req->id, name));
}

/* ---- answers from the store ----------------------------------------------------- */

static bool replay_usable(const struct store_done *d)
{
	return d->status == 0 && json_is_true(json_object_get(d->result, "found")) &&
	       !json_is_true(json_object_get(d->result, "truncated"));
}

static void finish_replay(struct conn *c, struct sub *sub, struct pending *p, const struct store_done *d)
{
	conn_send(c, proto_subscribed_message_new(p->to.req_id, p->room, p->since, NULL, true));
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(d->result, "events"), i, e) {
		int64_t pos = json_integer_value(json_object_get(e, "pos"));
		/* Later events are held already: never send one twice. */
		if (pos <= p->since || pos > p->pos)
			continue;
		char *msg = proto_event_message_new(p->room, pos, json_object_get(e, "event"));
		if (msg == NULL)
			continue;   /* a stored row that does not encode: drop it, not the daemon */
		struct frame *f = frame_take_text(msg);
		conn_deliver(c, NULL, pos, f);
		frame_unref(f);
	}
	struct room *r = sub->room;
	conn_sub_release(c, sub, p->pos);
	cluster_outbox_replay(c->srv->cluster, r, c);
	if (strcmp(p->room, "org") == 0)
		summary_send(c, clock_wall_ms());
}

/* The newest position an execution snapshot from the store already reflects:
 * the store may have written events that arrived after it was asked. */
static int64_t snapshot_covers(const struct pending *p, const struct store_done *d)
{
	int64_t covered = p->pos;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(d->result, "events"), i, e) {
		int64_t pos = json_integer_value(json_object_get(e, "pos"));
		if (pos > covered)
			covered = pos;
	}
	return covered;
}

void subscribe_done(struct server *s, struct pending *p, const struct store_done *d)
{
	struct conn *c = server_conn(s, p->to.conn_id);
	if (c == NULL)
		return;
	struct sub *sub = conn_sub_by_ticket(c, p->ticket);
	if (sub == NULL)
		return;   /* unsubscribed meanwhile */
	struct room *r = sub->room;

	if (p->kind == PENDING_SUB_REPLAY) {
		if (replay_usable(d)) {
			finish_replay(c, sub, p, d);
			return;
		}
		/* Cannot resume exactly: a fresh snapshot, from the store when the
		 * execution is no longer in memory. What was held is dropped: the
		 * new snapshot covers it, and events after it are held anew. */
		uint64_t ticket = ask_execution_snapshot(c, p->to.req_id, r);
		if (ticket != 0) {
			conn_sub_rewait(c, sub, ticket);
			return;
		}
	} else if (d->status == 0) {
		json_t *x = json_object_get(d->result, "execution");
		json_t *snap = json_pack("{s:O}", "execution", x ? x : json_null());
		int64_t covered = snapshot_covers(p, d);
		conn_send(c, proto_subscribed_message_new(p->to.req_id, r->name, covered, snap, false));
		json_decref(snap);
		conn_sub_release(c, sub, covered);
		cluster_outbox_replay(s->cluster, r, c);
		return;
	} else {
		log_warn("snapshot of %s for %s/%s from the store failed: %s", r->name, c->who.org,
			 c->who.sub, d->error);
	}
	/* The live state is current: it already holds what was held. */
	answer_live_snapshot(c, p->to.req_id, r);
	conn_sub_release(c, sub, INT64_MAX);
	cluster_outbox_replay(s->cluster, r, c);
}
