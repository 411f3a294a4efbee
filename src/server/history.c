/* history.c: queries and store completions (see history.h). */
#include "history.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <string.h>

#include "aggregates.h"
#include "clock.h"
#include "cluster.h"
#include "dashboards.h"
#include "log.h"
#include "metrics_cache.h"
#include "metrics_req.h"
#include "org.h"
#include "pending.h"
#include "publish.h"
#include "server.h"
#include "store.h"
#include "subscribe.h"

static const enum store_query_kind store_kind_of[QUERY__COUNT] = {
	[QUERY_EXECUTIONS] = STORE_Q_EXECUTIONS,
	[QUERY_EXECUTION] = STORE_Q_EXECUTION,
	[QUERY_STEP_STATS] = STORE_Q_STEP_STATS,
	[QUERY_METRICS] = STORE_Q_METRICS,
};

/* A query's result (borrowed) to whoever asked. */
static void reply_result(struct server *s, const struct reply_to *to, enum proto_query q, json_t *result)
{
	char *ws = to->http_wsi ? NULL : proto_result_message_new(to->req_id, q, result);
	reply_send(s, to, ws, 200, to->http_wsi ? json_incref(result) : NULL);
}

void history_query(struct server *s, struct org *o, enum proto_query q, json_t *params,
		   const struct reply_to *to)
{
	if (s->store == NULL) {
		reply_error(s, to, PROTO_ERR_UNAVAILABLE,
			    "history needs the database: start wfmond with --database", NULL);
		return;
	}
	json_t *store_params;
	char *shared = NULL;
	if (q == QUERY_METRICS && (shared = metrics_cache_key_new(o->id, params)) != NULL) {
		/* Another client's answer to the same question, young enough. */
		if (s->mcache == NULL)
			s->mcache = metrics_cache_new();
		json_t *hit = metrics_cache_get(s->mcache, shared, (int)json_integer_value(json_object_get(params, "max_age_s")),
						clock_wall_ms());
		if (hit != NULL) {
			free(shared);
			s->stats.metrics_shared++;
			reply_result(s, to, q, hit);
			return;
		}
	}
	if (q == QUERY_METRICS) {
		/* Its periods depend on the clock: checked now, so a refusal names the field. */
		struct proto_cause cause;
		store_params = metrics_store_params_new(s, params, clock_wall_ms(), &cause);
		if (store_params == NULL) {
			free(shared);
			reply_error(s, to, PROTO_ERR_BAD_REQUEST, cause.message, cause.field);
			return;
		}
	} else {
		store_params = json_incref(params);
	}
	struct pending *p = pending_new(s, PENDING_QUERY, to);
	p->query = q;
	p->metrics_key = shared;
	if (store_query(s->store, store_kind_of[q], o->id, store_params, p->ticket) < 0) {
		pending_free(pending_take(s, p->ticket));
		reply_error(s, to, PROTO_ERR_UNAVAILABLE, "the store is busy: retry in a moment", NULL);
	}
}

static void query_done(struct server *s, struct pending *p, const struct store_done *d)
{
	const struct reply_to *to = &p->to;
	if (d->status != 0) {
		reply_error(s, to, PROTO_ERR_UNAVAILABLE, d->error, NULL);
		return;
	}
	if (p->query == QUERY_EXECUTION && json_is_null(json_object_get(d->result, "execution"))) {
		reply_error(s, to, PROTO_ERR_NOT_FOUND, "no such execution in this organization", "id");
		return;
	}
	if (p->query == QUERY_METRICS && json_object_get(d->result, "not_found") != NULL) {
		reply_error(s, to, PROTO_ERR_NOT_FOUND,
			    "no workflow with this id or name in this organization", "workflow");
		return;
	}
	if (p->metrics_key != NULL && s->mcache != NULL)
		metrics_cache_put(s->mcache, p->metrics_key, d->result, clock_wall_ms());
	reply_result(s, to, p->query, d->result);
}

void history_put(struct server *s, enum store_query_kind kind, const char *org, json_t *row)
{
	if (s->store == NULL) {
		json_decref(row);
		return;
	}
	/* store_query takes row, also when it refuses it. */
	if (store_query(s->store, kind, org, row, 0) < 0)
		log_warn("store queue full: a %s row of %s was dropped",
			 kind == STORE_Q_PUT_AUDIT ? "audit" : "metrics", org);
}

void history_audit(struct server *s, const char *org, const char *actor, const char *action,
		   const char *target, json_t *details)
{
	json_t *row = json_pack("{s:s,s:s,s:s?,s:o}", "actor", actor, "action", action, "target", target,
				"details", details ? details : json_object());
	history_put(s, STORE_Q_PUT_AUDIT, org, row);
}

void history_wake(void *server)
{
	struct server *s = server;
	if (s->lws != NULL)
		lws_cancel_service(s->lws);
}

void history_poll(struct server *s)
{
	if (s->store == NULL)
		return;
	struct store_done *done[64];
	size_t n;
	while ((n = store_take_done(s->store, done, 64)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct store_done *d = done[i];
			struct pending *p = d->ticket ? pending_take(s, d->ticket) : NULL;
			if (d->ticket == 0) {
				/* A put: only its failure is worth a line. */
				if (d->status != 0)
					log_warn("store: a write was not kept: %s", d->error);
			} else if (p == NULL) {
				log_warn("store answered an unknown ticket %llu", (unsigned long long)d->ticket);
			} else if (p->kind == PENDING_ACK) {
				publish_durable(s, p, d->status, d->error);
			} else if (p->kind == PENDING_QUERY) {
				query_done(s, p, d);
			} else if (p->kind == PENDING_DONE) {
				if (d->status != 0)
					reply_error(s, &p->to, PROTO_ERR_UNAVAILABLE, d->error, NULL);
				else
					reply_send(s, &p->to, p->to.http_wsi ? NULL : proto_done_message_new(p->to.req_id),
						   200, p->to.http_wsi ? json_object() : NULL);
			} else if (p->kind == PENDING_MONITOR) {
				if (d->status == 0)
					monitor_db_connections(s, d->result);
			} else if (p->kind == PENDING_HEALTH) {
				metrics_watch_done(s, p, d);
			} else if (p->kind == PENDING_AGGREGATE) {
				aggregates_done(s, p, d);
			} else if (p->kind == PENDING_OUTBOX) {
				if (s->cluster != NULL)
					cluster_outbox_stored(s->cluster, d->ticket, d->status, d->error);
			} else if (p->kind == PENDING_DASHBOARD) {
				dashboards_done(s, p, d);
			} else {
				subscribe_done(s, p, d);
			}
			pending_free(p);
			store_done_free(d);
		}
	}
}
