/* cluster.h: several wfmond nodes on one Redis (the cluster bus) and one
 * PostgreSQL. Without `cluster` in the configuration none of this runs and
 * s->cluster is NULL.
 *
 * One order for everyone. A producer's batch (validated and de-duplicated by
 * the node it reached) goes to Redis in one script call that takes the next
 * positions from the organization's counter (hash wfmon:pos) and appends the
 * batch to one stream (wfmon:events) in the same atomic step: so stream order
 * and position order agree, and a position means the same on every node.
 * Every node, the one that took the batch included, applies the stream's
 * entries in stream order to its live state and rooms: the events of one
 * execution reach every subscriber of every node in the same order with the
 * same positions.
 *
 * Stored once. Only the node that took the batch writes it to its spool (and
 * so to PostgreSQL), with the positions Redis gave; the acknowledgement goes
 * out when the batch is both in the stream and synced to that spool. A retry
 * of an event the node has already applied (from any node) is written to the
 * spool again with its known position: PostgreSQL keeps one row per (org,
 * event id), so an event whose first node died before its spool was synced is
 * still stored, and stored once.
 *
 * Resume anywhere. Each node keeps the recent events of each organization
 * (cluster-history events) in memory: a room a node has never served can
 * resume a client from any position that node has applied since.
 *
 * Alerts once. One node at a time holds the alert lease (key wfmon:leader,
 * renewed every second, 3 s long): only it evaluates alert rules, fires and
 * notifies. Rule changes and alert records (fired, acknowledged, resolved,
 * escalated) made on any node go through the stream to the others, which
 * keep them in memory and show them in their alerts rooms without storing or
 * notifying again.
 *
 * Redis away. The node keeps serving its own clients (subscriptions,
 * history, dashboards) and keeps taking its producers' batches: each goes,
 * not numbered yet, to the node's outbox (backlog.h) and is acknowledged once
 * that is synced. When Redis is back the outbox goes to the stream first,
 * oldest first, through the same script (which remembers its answer per
 * outbox entry, so that sending one again after a crash gives no second
 * copy), then to the store like any batch of this node; an entry leaves the
 * outbox once Redis has it and the store has synced it. New batches go to
 * the outbox too while it holds anything, so a producer's order is kept.
 * While an entry waits to be numbered, its events are shown to this node's
 * own subscribers as pending events (no position: wfmon-protocol(7)), once
 * when it is acknowledged and again after the answer of a subscription made
 * meanwhile; the other nodes see nothing of them until Redis numbers them.
 * Past the outbox's bound (cluster-outbox-max) batches are refused with
 * "unavailable" (nothing acknowledged). /healthz and /metrics say peers'
 * events are delayed and show the outbox; both links reconnect with backoff
 * and the reader resumes after the last entry it applied.
 *
 * Threads: everything runs on the daemon's libev loop (hiredis's asynchronous
 * API through its libev adapter); nothing here blocks. */
#ifndef WFMON_CLUSTER_H
#define WFMON_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ingest.h"
#include "pending.h"
#include "reply.h"

struct ev_loop;
struct server;
struct org;
struct room;
struct conn;
struct cluster;

/* Parses "redis://HOST:PORT" (port 6379 when absent) into host and port;
 * 0, or -1 with a cause. */
int cluster_url_parse(const char *url, char *host, size_t hostlen, int *port, char *cause, size_t causelen);

/* Starts the links to Redis for s (s->cfg.cluster), connecting in the
 * background. Returns a new cluster, or NULL with a cause. */
struct cluster *cluster_start(struct server *s, struct ev_loop *loop, char *cause, size_t causelen);
/* Closes the links; pending publishes are answered "unavailable". */
void cluster_stop(struct cluster *k);

/* Takes over batch b of org o (prepared without positions: cluster mode):
 * sends it to Redis, then to the spool with its positions, and answers `to`
 * once durable with an ack (PENDING_ACK) or "done" (PENDING_DONE). b is left
 * empty (ingest_batch_clear and json_decref(b->results) stay the caller's). */
void cluster_publish(struct cluster *k, struct org *o, struct ingest_batch *b, enum pending_kind kind,
		     const struct reply_to *to);

/* Whether the node's recent events of o hold every event after `since`. */
bool cluster_can_resume(const struct cluster *k, const struct org *o, int64_t since);
/* Queues to c, in order, the recent events of r's organization after `since`
 * that room r gets. */
void cluster_replay(struct cluster *k, struct room *r, int64_t since, struct conn *c);

/* Queues to c, as pending event messages and in outbox order, the events of
 * this node's outbox that room r gets and that are acknowledged but not
 * numbered yet: sent right after a subscription's answer (and what it
 * resumed), so that a client subscribing while Redis is away sees them: as
 * many as fit in half of c's output limits, the newest. Nothing for a
 * client that did not ask for pending events in its hello. k may be NULL (no
 * cluster: nothing to send). */
void cluster_outbox_replay(struct cluster *k, struct room *r, struct conn *c);
/* Events of org in this node's outbox (acknowledged, not numbered yet); 0
 * for a NULL k. */
size_t cluster_outbox_org_events(const struct cluster *k, const char *org);
/* The store's answer (history_poll) to an outbox batch given to it
 * (PENDING_OUTBOX ticket). */
void cluster_outbox_stored(struct cluster *k, uint64_t ticket, int status, const char *error);

/* Whether this node holds the alert lease (evaluates alert rules). */
bool cluster_leads(const struct cluster *k);

/* What one node tells the others (alerts.c applies the rules and alerts:
 * alerts_shared; prioritize.c the priorities: prioritize_shared;
 * schedules.c the schedules: schedules_shared). */
enum cluster_share {
	CLUSTER_SHARE_RULE,          /* {"rule": storage form} */
	CLUSTER_SHARE_RULE_DELETE,   /* {"rule_id"} */
	CLUSTER_SHARE_ALERT,         /* the alert record's storage form */
	CLUSTER_SHARE_PRIORITY,      /* {"execution_id","priority","previous","by"} (prioritize.h) */
	CLUSTER_SHARE_SCHEDULE,      /* {"schedule": storage form} (schedules.h) */
	CLUSTER_SHARE_SCHEDULE_DELETE, /* {"workflow_id"} */
	CLUSTER_SHARE_ACTION_USE,    /* {"nonce","exp_s"}: an alert's action link was used (action.h) */
	CLUSTER_SHARE_CONTROL,       /* {"listening"}: producers listen in its control room (control.h) */
	CLUSTER_SHARE__COUNT
};
/* Sends j (taken) about org to the other nodes, after the events before it. */
void cluster_share(struct cluster *k, const char *org, enum cluster_share kind, json_t *j);

/* Whether the bus is up and the reader current: false means peers' events are delayed. */
bool cluster_peers_current(const struct cluster *k);
/* {"state": "up"|"connecting"|"down", "peers": "current"|"delayed", "node", "error",
 *  "applied_total", "published_total", "leader", "last_entry_age_ms",
 *  "outbox": {"batches", "events", "bytes", "max_bytes", "acknowledged_total"}} for /healthz. */
json_t *cluster_status_new(const struct cluster *k);
/* Prometheus lines for /metrics (appended to f). */
void cluster_metrics_write(const struct cluster *k, void *file);

#endif
