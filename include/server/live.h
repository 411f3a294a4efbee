/* live.h: the daemon's in-memory picture of an organization: the executions
 * (the protocol's struct exec, see exec.h, which applies the events) kept on
 * a recency list with eviction, the latest resource sample of each worker,
 * and the snapshots a subscriber receives first.
 *
 * Bounded: at most max_executions per organization (the least recently
 * updated finished ones go first, then the least recently updated of any
 * state); each execution is bounded by exec.h; at most LIVE_WORKERS workers.
 * No libwebsockets here. */
#ifndef WFMON_LIVE_H
#define WFMON_LIVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "exec.h"
#include "proto.h"
#include "strmap.h"

#define LIVE_WORKERS 256
#define LIVE_SNAPSHOT_RECENT 200   /* finished executions listed in org/workflow snapshots */

/* One execution of the organization and its place on the recency list. */
struct live_execution {
	struct exec x;
	int64_t heard_ms;                     /* the daemon's clock at its latest event (stale) */
	struct live_execution *prev, *next;   /* most recently updated first */
};

struct live_org {
	struct strmap executions;      /* id -> struct live_execution */
	struct live_execution *newest, *oldest;
	uint32_t max_executions;
	struct strmap workers;         /* worker name -> json_t sample (owned) */
};

void live_org_init(struct live_org *o, uint32_t max_executions);
void live_org_free(struct live_org *o);

/* Applies a validated event (ev decodes event, which a resource sample keeps
 * as its worker's latest). Returns the execution it changed (borrowed);
 * *before gets its status before the event, -1 if it was not known. */
struct live_execution *live_apply(struct live_org *o, const struct proto_event *ev, json_t *event,
				  int *before);
struct live_execution *live_find(const struct live_org *o, const char *execution_id);
/* Whether one of its executions is queued or running. */
bool live_org_has_unfinished(const struct live_org *o);

/* Puts back an execution as exec_json_new shaped it (a restart reloading
 * what was running), heard of at its last event's time. Returns -1 if the
 * object lacks a valid id. */
int live_load_execution(struct live_org *o, json_t *x);

/* Snapshots, each a new reference. */
/* {"executions":[summaries]}: every queued and running one, then the
 * LIVE_SNAPSHOT_RECENT most recent finished; workflow_id NULL for all. */
json_t *live_org_snapshot_new(const struct live_org *o, const char *workflow_id);
/* {"queued":[summaries, oldest first]} */
json_t *live_queue_snapshot_new(const struct live_org *o);
/* {"workers":[latest sample per worker]} */
json_t *live_resources_snapshot_new(const struct live_org *o);

#endif
