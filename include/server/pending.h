/* pending.h: requests whose answer waits for the store thread, by ticket.
 *
 * A pending answer names its client by connection id (WebSocket) or by the
 * lws handle of the HTTP request, never by a pointer that could dangle: a
 * connection that went away meanwhile is simply not found, and an HTTP request
 * that closed clears http_wsi through pending_forget_http. */
#ifndef WFMON_PENDING_H
#define WFMON_PENDING_H

#include <jansson.h>
#include <stdint.h>

#include "proto.h"
#include "reply.h"

struct lws;
struct server;

enum pending_kind {
	PENDING_ACK,        /* a publish: the ack goes out once its events are durable */
	PENDING_QUERY,      /* a history query */
	PENDING_SUB_REPLAY, /* a subscribe with since: what was missed, from the store */
	PENDING_SUB_SNAPSHOT, /* a subscribe to an execution no longer in memory */
	PENDING_MONITOR,    /* the database connections sample */
	PENDING_HEALTH,     /* the performance check of one organization (metrics_req.h) */
	PENDING_DONE,       /* a change recorded as the daemon's own event: "done" once durable */
	PENDING_DASHBOARD,  /* a dashboard request (dashboards.h) */
	PENDING_AGGREGATE,  /* a dashboard aggregate of one room (aggregates.h) */
	PENDING_OUTBOX,     /* a cluster outbox batch given to the store (cluster.h): nobody to answer */
};

struct pending {
	uint64_t ticket;
	enum pending_kind kind;
	/* Who asked; to.req_id is a reference held here, to.http_wsi is NULL
	 * once the HTTP request went away. Empty for the daemon's own asks. */
	struct reply_to to;
	/* PENDING_ACK */
	json_t *results;
	int accepted, rejected;
	/* PENDING_QUERY */
	enum proto_query query;
	char *metrics_key;         /* owned: a metrics answer others may share (metrics_cache.h), or NULL */
	/* PENDING_SUB_* */
	char room[PROTO_MAX_ROOM + 1];
	int64_t since;
	int64_t pos;               /* the organization's position when the store was asked */
	/* PENDING_HEALTH, PENDING_AGGREGATE (and room) */
	char org[PROTO_MAX_ID + 1];
	/* PENDING_DASHBOARD: enum dash_action */
	int dash_action;
};

/* Registers a new pending answer with a fresh ticket, for `to` (copied, its
 * request id referenced; NULL: nobody to answer). */
struct pending *pending_new(struct server *s, enum pending_kind kind, const struct reply_to *to);
/* Unregisters and returns the pending answer, or NULL. */
struct pending *pending_take(struct server *s, uint64_t ticket);
/* The pending answer, still registered, or NULL. */
struct pending *pending_find(struct server *s, uint64_t ticket);
void pending_free(struct pending *p);
/* The HTTP request on wsi went away: its answers will be dropped. */
void pending_forget_http(struct server *s, struct lws *wsi);
/* Frees every pending answer (shutdown). */
void pending_clear_all(struct server *s);

#endif
