/* live.h: the daemon's in-memory picture of an organization's executions, built
 * by applying validated events, and the snapshots a subscriber receives first.
 *
 * Bounded: at most max_executions per organization (the least recently updated
 * finished ones go first, then the least recently updated of any state), steps
 * per execution by PROTO_MAX_STEPS, LIVE_LOG_LINES log lines and LIVE_COUNTERS
 * counters per execution, LIVE_WORKERS resource samples. No libwebsockets here. */
#ifndef WFMON_LIVE_H
#define WFMON_LIVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"
#include "strmap.h"

#define LIVE_LOG_LINES 100
#define LIVE_COUNTERS 32
#define LIVE_WORKERS 256
#define LIVE_SNAPSHOT_RECENT 200   /* finished executions listed in org/workflow snapshots */

enum live_exec_status { EXEC_QUEUED, EXEC_RUNNING, EXEC_COMPLETED, EXEC_FAILED, EXEC_CANCELLED };
enum live_step_status { STEP_PENDING, STEP_RUNNING, STEP_COMPLETED, STEP_FAILED };
const char *live_exec_status_name(enum live_exec_status s);
const char *live_step_status_name(enum live_step_status s);

struct live_step {
	char id[PROTO_MAX_ID + 1];
	char *name;
	json_t *depends_on;     /* array of ids, owned reference */
	enum live_step_status status;
	int64_t started_ms, finished_ms, duration_ms;   /* 0 / -1 when unknown */
	int64_t progress_current, progress_total;       /* total 0: no progress reported */
	char *progress_unit, *progress_message;
	json_t *input, *output;                         /* owned references or NULL */
	char *error, *error_code, *worker;
	double cpu_percent;                             /* < 0: unknown */
	int64_t memory_bytes;                           /* < 0: unknown */
};

struct live_counter {
	char *name;
	int64_t value;
};

struct live_execution {
	char id[PROTO_MAX_ID + 1];
	char workflow_id[PROTO_MAX_ID + 1];
	char *workflow_name;
	enum proto_priority priority;
	enum live_exec_status status;
	int64_t queued_ms, started_ms, finished_ms, last_event_ms;
	char *error, *error_code, *worker;
	json_t *params;
	struct live_step *steps;
	uint32_t nsteps, capsteps;
	struct live_counter counters[LIVE_COUNTERS];
	uint32_t ncounters;
	json_t *log[LIVE_LOG_LINES];   /* ring of log events, owned references */
	uint32_t log_head, log_count;
	uint64_t events;
	/* recency list, most recently updated first */
	struct live_execution *prev, *next;
};

struct live_org {
	struct strmap executions;      /* id -> struct live_execution */
	struct live_execution *newest, *oldest;
	uint32_t max_executions;
	struct strmap workers;         /* worker name -> json_t sample (owned) */
};

void live_org_init(struct live_org *o, uint32_t max_executions);
void live_org_free(struct live_org *o);

/* Applies a validated event. Returns the execution it changed (borrowed);
 * *before gets its status before the event, -1 if it was not known. */
struct live_execution *live_apply(struct live_org *o, const struct proto_event *ev, json_t *event,
				  int *before);
/* Completed, failed or cancelled. */
bool live_exec_finished(enum live_exec_status s);
struct live_execution *live_find(const struct live_org *o, const char *execution_id);

/* Puts back an execution as live_execution_json_new shaped it (a restart
 * reloading what was running). Returns -1 if the object lacks an id. */
int live_load_execution(struct live_org *o, json_t *x);

/* Snapshots, each a new reference. */
json_t *live_execution_json_new(const struct live_execution *x);         /* full */
json_t *live_execution_summary_new(const struct live_execution *x);      /* one list row */
/* {"executions":[summaries]}: every queued and running one, then the
 * LIVE_SNAPSHOT_RECENT most recent finished; workflow_id NULL for all. */
json_t *live_org_snapshot_new(const struct live_org *o, const char *workflow_id);
/* {"queued":[summaries, oldest first]} */
json_t *live_queue_snapshot_new(const struct live_org *o);
/* {"workers":[latest sample per worker]} */
json_t *live_resources_snapshot_new(const struct live_org *o);

#endif
