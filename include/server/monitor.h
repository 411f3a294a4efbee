/* monitor.h: what wfmond computes about itself and each organization: queue
 * depth and its estimates (from the events, queue_stats.h), and resource use
 * (the host and the daemon from /proc, the database's connections, traffic,
 * the workers' own samples). Pushed to the "queue" and "resources" rooms as
 * "stats" messages and saved to the store at intervals.
 *
 * Off the fan-out path: events update a few counters; everything else runs on
 * timers. Memory is fixed per organization (bounded histories). */
#ifndef WFMON_MONITOR_H
#define WFMON_MONITOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "queue_stats.h"
#include "resource_sample.h"
#include "sampler.h"

struct server;
struct org;
struct live_execution;

#define MONITOR_HISTORY 120   /* resource samples kept per organization */

/* Per organization. */
struct org_monitor {
	struct queue_stats queue;
	struct queue_numbers latest;     /* the numbers every reader uses (monitor_queue_numbers) */
	bool latest_valid;               /* false after an event moved the queue */
	struct queue_numbers pushed;     /* what the queue room last got */
	bool pushed_once;
	struct resource_sample samples[MONITOR_HISTORY];   /* ring, oldest at samples_head */
	uint32_t samples_head, samples_count;
};

struct prom_workflows;

/* Per daemon. */
struct monitor {
	struct sampler sampler;
	bool sampler_ok;
	bool db_known;                   /* the store answered the connections sample */
	int64_t db_active, db_idle, db_total, db_max;   /* its latest answer */
	uint64_t events_in_prev, messages_out_prev;
	int64_t sampled_at_us;
	int64_t queue_saved_at_us;
	struct prom_workflows *workflows;  /* per-workflow series for /metrics */
};

int org_monitor_init(struct org_monitor *m, const struct server *s, char *cause, size_t causelen);
void org_monitor_free(struct org_monitor *m);

/* An event was applied: `before` is the execution's status before it (or -1
 * when it was new), x the execution after it. */
void monitor_on_event(struct org *o, int before, const struct live_execution *x,
		      const struct proto_event *ev);
/* Start-up: the queued executions the store gave back (live.h) join the
 * queue numbers, so the depth after a restart is the stored one. */
void monitor_reload(struct org *o);
/* A queued execution's priority was changed by an operator. */
void monitor_on_priority(struct org *o, const char *execution_id, enum proto_priority p);

void monitor_init(struct monitor *m);
void monitor_free(struct monitor *m);
/* Every second: depth history, queue pushes, queue snapshots to the store. */
void monitor_tick(struct server *s, int64_t now_us);
/* The store answered the connections sample. */
void monitor_db_connections(struct server *s, json_t *result);

/* The organization's queue numbers: computed once (every tick, or when an
 * event moved the queue since) and the same for every reader: the queue
 * room, the resource samples, the summary, the stored snapshots. Borrowed
 * until the next event or tick. */
const struct queue_numbers *monitor_queue_numbers(struct org *o, int64_t now_ms);
/* The organization's newest resource sample, or NULL before the first. */
const struct resource_sample *monitor_latest_sample(const struct org *o);

/* Snapshots for the two rooms, new references. */
json_t *monitor_queue_snapshot_new(struct org *o, int64_t now_ms);
json_t *monitor_resources_snapshot_new(struct org *o);

#endif
