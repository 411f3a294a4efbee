/* control.c: cancel and retry requests (see control.h).
 *
 * Invariants: nothing is recorded or sent unless every check passed; the
 * event, the command and the audit row of one request carry the same request
 * id; the operator's "done" goes out once the event is durable (at once
 * without a store). */
#include "control.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "clock.h"
#include "conn.h"
#include "history.h"
#include "ingest.h"
#include "live.h"
#include "cluster.h"
#include "log.h"
#include "org.h"
#include "pending.h"
#include "room.h"
#include "server.h"
#include "store.h"
#include "strmap.h"
#include "xalloc.h"

/* Which statuses each command fits, and what the operator is told otherwise. */
static const struct {
	enum proto_control command;
	unsigned statuses;            /* bits of enum exec_status */
	const char *fits;
} commands[REQ__COUNT] = {
	[REQ_CANCEL] = { CONTROL_CANCEL, 1u << EXEC_QUEUED | 1u << EXEC_RUNNING, "only a queued or running one can be cancelled" },
	[REQ_RETRY] = { CONTROL_RETRY, 1u << EXEC_FAILED | 1u << EXEC_CANCELLED, "only a failed or cancelled one can be retried" },
};

static void request_id_new(char *out, size_t len)
{
	uint8_t raw[8];
	if (getrandom(raw, sizeof raw, 0) != sizeof raw)
		memset(raw, 0, sizeof raw);
	snprintf(out, len, "ctl-%02x%02x%02x%02x%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3], raw[4], raw[5],
		 raw[6], raw[7]);
}

/* The daemon's own event, stored and delivered; the operator hears "done"
 * (to the request req_id) once it is durable. Returns -1 after answering
 * with the error when it could not be kept. */
static int record(struct conn *c, json_t *event, json_t *req_id)
{
	struct server *s = c->srv;
	struct org *o = c->org;
	struct reply_to to = { .conn_id = c->id, .req_id = req_id };
	json_t *events = json_pack("[O]", event);
	struct ingest_batch b;
	ingest_prepare_own(o, events, s->store != NULL, &b);
	json_decref(events);
	int rc = -1;
	if (b.n != 1) {
		/* Our own event did not validate: a bug, said plainly. */
		log_error("%s: the daemon's control.requested event was refused: %s", o->id,
			  json_string_value(json_object_get(json_array_get(b.results, 0), "message")));
		conn_send_error(c, req_id, PROTO_ERR_UNAVAILABLE, "the daemon could not record the request", NULL);
		goto out;
	}
	if (s->cluster != NULL) {
		/* Numbered and delivered by the cluster, wherever the producer is. */
		cluster_publish(s->cluster, o, &b, PENDING_DONE, &to);
		rc = 0;
		goto out;
	}
	if (s->store != NULL) {
		struct pending *p = pending_new(s, PENDING_DONE, &to);
		if (store_append(s->store, b.stored, b.n, p->ticket) < 0) {
			pending_free(pending_take(s, p->ticket));
			conn_send_error(c, req_id, PROTO_ERR_UNAVAILABLE,
					"the daemon's spool is full while the database is away: retry later", NULL);
			goto out;
		}
	}
	ingest_commit(o, &b);
	if (s->store == NULL)
		conn_send(c, proto_done_message_new(req_id));
	rc = 0;
out:
	ingest_batch_clear(&b);
	json_decref(b.results);
	return rc;
}

/* ---- the other nodes' control rooms ------------------------------------------------ */

static bool peers_listening(const struct org *o, int64_t now_us)
{
	const struct control_peers *cp = o->control_peers;
	for (uint32_t i = 0; cp != NULL && i < cp->n; i++)
		if (cp->peer[i].until_us > now_us)
			return true;
	return false;
}

/* Not while Redis is away (cluster_share would log each one): the next
 * refresh after it is back tells again, and a room emptied meanwhile expires. */
static void tell_peers(struct server *s, const struct org *o, bool listening)
{
	if (!cluster_peers_current(s->cluster))
		return;
	cluster_share(s->cluster, o->id, CLUSTER_SHARE_CONTROL, json_pack("{s:b}", "listening", listening));
}

void control_room_changed(struct server *s, struct room *r)
{
	if (s->cluster != NULL && r->spec.kind == ROOM_CONTROL && r->nsubs <= 1)
		tell_peers(s, r->org, r->nsubs == 1);
}

static void refresh_org(const char *key, void *value, void *arg)
{
	(void)key;
	struct org *o = value;
	struct room *control = room_find(o, "control");
	if (control != NULL && control->nsubs > 0)
		tell_peers(arg, o, true);
}

void control_peers_refresh(struct server *s)
{
	if (s->cluster != NULL)
		strmap_each(&s->orgs, refresh_org, s);
}

void control_peers_shared(struct server *s, const char *org, const char *node, const json_t *j)
{
	bool listening = json_is_true(json_object_get(j, "listening"));
	struct org *o = listening ? server_org(s, org) : strmap_get(&s->orgs, org);
	if (o == NULL)
		return;
	if (o->control_peers == NULL) {
		if (!listening)
			return;
		o->control_peers = xcalloc(1, sizeof *o->control_peers);
	}
	struct control_peers *cp = o->control_peers;
	int64_t now = clock_mono_us();
	uint32_t i = 0;
	while (i < cp->n && strcmp(cp->peer[i].node, node) != 0)
		i++;
	if (i == cp->n) {
		if (!listening)
			return;
		/* Full: the entry that expired first makes room (a node long gone). */
		if (cp->n == CONTROL_PEERS_MAX) {
			i = 0;
			for (uint32_t k = 1; k < cp->n; k++)
				if (cp->peer[k].until_us < cp->peer[i].until_us)
					i = k;
		} else {
			cp->n++;
		}
		snprintf(cp->peer[i].node, sizeof cp->peer[i].node, "%s", node);
	}
	cp->peer[i].until_us = listening ? now + CONTROL_PEER_EXPIRE_S * 1000000LL : 0;
}

/* ---- requests ------------------------------------------------------------------------ */

void control_request(struct conn *c, const struct proto_request *req)
{
	struct server *s = c->srv;
	struct org *o = c->org;
	enum proto_control cmd = commands[req->type].command;
	const char *name = proto_control_name(cmd);
	char msg[256];
	if (c->who.role != ROLE_OPERATOR && c->who.role != ROLE_ADMIN) {
		snprintf(msg, sizeof msg, "role %s may not %s executions: operators and admins only",
			 auth_role_name(c->who.role), name);
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN, msg, NULL);
		return;
	}
	struct live_execution *lx = live_find(&o->live, req->execution_id);
	if (lx == NULL) {
		snprintf(msg, sizeof msg, "no execution %s in this organization (the daemon keeps the recent ones)",
			 req->execution_id);
		conn_send_error(c, req->id, PROTO_ERR_NOT_FOUND, msg, "execution_id");
		return;
	}
	const struct exec *x = &lx->x;
	if (!(commands[req->type].statuses & (1u << x->status))) {
		snprintf(msg, sizeof msg, "execution %s is %s: %s", x->id, exec_status_name(x->status),
			 commands[req->type].fits);
		conn_send_error(c, req->id, PROTO_ERR_BAD_REQUEST, msg, "execution_id");
		return;
	}
	/* In a cluster the request goes to every node's control room, so a
	 * producer connected to another node gets it: enough that one said
	 * lately that its producers listen. */
	struct room *control = room_find(o, "control");
	if ((control == NULL || control->nsubs == 0) && !peers_listening(o, clock_mono_us())) {
		snprintf(msg, sizeof msg, "no producer of this organization listens in the control room%s, so "
			 "nobody could %s %s; start its producer and ask again",
			 s->cluster != NULL ? " on any node" : "", name, x->id);
		conn_send_error(c, req->id, PROTO_ERR_UNAVAILABLE, msg, NULL);
		return;
	}

	char rid[PROTO_MAX_ID + 1], ts[40];
	request_id_new(rid, sizeof rid);
	proto_time_format(clock_wall_ms(), ts, sizeof ts);
	json_t *event = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type",
				  proto_event_kind_name(EV_CONTROL_REQUESTED), "id", rid, "execution_id", x->id,
				  "workflow_id", x->workflow_id, "ts", ts, "command", name, "request_id", rid, "by",
				  c->who.sub);
	if (req->reason != NULL)
		json_object_set_new(event, "reason", json_string(req->reason));
	char workflow_id[PROTO_MAX_ID + 1];
	snprintf(workflow_id, sizeof workflow_id, "%s", x->workflow_id);
	int attempt = (int)x->attempt;
	int rc = record(c, event, req->id);
	json_decref(event);
	if (rc < 0)
		return;

	/* The command itself reached the control room as the event was applied
	 * (control_on_event); the audit names the attempt it was about. */
	json_t *args = json_pack("{s:s,s:s,s:s,s:i,s:s}", "execution_id", req->execution_id, "workflow_id",
				 workflow_id, "request_id", rid, "attempt", attempt, "by", c->who.sub);
	if (req->reason != NULL)
		json_object_set_new(args, "reason", json_string(req->reason));
	log_info("%s/%s asked the producers to %s %s (%s)", o->id, c->who.sub, name, req->execution_id, rid);
	history_audit(s, o->id, c->who.sub, cmd == CONTROL_CANCEL ? "execution.cancel_requested"
								     : "execution.retry_requested",
		      req->execution_id, args);
}

void control_on_event(struct org *o, const struct live_execution *x, const struct proto_event *ev, json_t *event)
{
	if (ev->kind != EV_CONTROL_REQUESTED)
		return;
	struct room *control = room_find(o, "control");
	if (control == NULL || control->nsubs == 0)
		return;
	/* The command names the attempt it is about, so that a producer running
	 * a later one by then can tell. */
	json_t *args = json_pack("{s:O,s:O,s:O,s:i,s:O}", "execution_id", json_object_get(event, "execution_id"),
				 "workflow_id", json_object_get(event, "workflow_id"), "request_id",
				 json_object_get(event, "request_id"), "attempt", x ? (int)x->x.attempt : 1, "by",
				 json_object_get(event, "by"));
	json_t *reason = json_object_get(event, "reason");
	if (args == NULL) {
		log_error("%s: control.requested %s lacks a field; no command sent", o->id, ev->event_id);
		return;
	}
	if (reason != NULL)
		json_object_set(args, "reason", reason);
	room_broadcast(control, proto_control_message_new(json_string_value(json_object_get(event, "command")), args));
	json_decref(args);
}
