/* exec.h: one workflow execution as every part of wfmon sees it: its steps,
 * statuses, counters and recent log, built by applying validated events, and
 * the execution snapshot JSON that carries it (summary and full).
 *
 * The daemon's live state (server/live.c) keeps many of these per
 * organization, the console's model (client/model_exec.c) keeps the same
 * structs, and the store (store/queries.c) fills them from its rows to answer
 * queries, so that one writer and one reader of the snapshot schema serve
 * everyone. The SQL function wfmon_apply_events (store/migrations) applies the
 * same rules to the tables; tests/integration/test_exec_model.c feeds both the
 * same event scripts and checks that they agree field by field.
 *
 * The rules (one function per event kind, in one table in exec.c):
 *   - An execution first seen through anything but execution.queued is
 *     already running.
 *   - An execution's status only moves forward: queued, running, then one of
 *     completed, failed, cancelled. The first terminal event wins; a later
 *     one changes nothing (status, finish time, error).
 *   - When an execution fails or is cancelled, its running steps fail: they
 *     will not finish on their own. A completed one leaves them running.
 *   - A step moves pending, running, then completed or failed; a step's
 *     terminal event always applies (completed after failed: a retry worked),
 *     a late step.started or step.progress never takes it back to running.
 *   - Steps come in plan order, then the steps no plan named in the order
 *     they were first seen. The plan's steps always get in; an unplanned step
 *     only while the execution has fewer than EXEC_MAX_STEPS steps.
 *   - Counters are absolute totals: a late, smaller value never lowers one;
 *     at most EXEC_COUNTERS names per execution, later new names are dropped.
 *   - The log keeps the last EXEC_LOG_LINES producer log lines.
 *   - A finished execution has no current step.
 *   - Attempts. An execution event or a step event may say which attempt it
 *     belongs to (an event that says none belongs to the current one). One
 *     of a later attempt starts that attempt: a step's current attempt moves
 *     to its earlier attempts (at most EXEC_STEP_TRIES kept, the oldest go)
 *     and the step starts over from pending; an execution that had finished
 *     opens again (queued for execution.queued, else running), its finish
 *     time and error cleared, its steps as they were. An event of an earlier
 *     attempt than the current one changes nothing. The rules above hold
 *     within one attempt.
 *   - Labels: each execution.queued or execution.started adds its labels or
 *     changes their values; at most PROTO_MAX_LABELS, a new key beyond that
 *     is dropped (within one event, keys in byte order get in first). Kept
 *     sorted by key.
 *   - An unplanned step takes the name its events give; a plan's name wins.
 *   - Each execution.queued says whether the execution waits for a time
 *     (delayed_until; absent: it does not).
 *   - Control: control.requested records an operator's request (replacing an
 *     earlier one); control.replied for it (same command, and the same
 *     request id when it names one) marks it accepted or refused; a cancel is
 *     done once the execution ends, a retry once a later attempt starts.
 *
 * Ownership: an execution owns everything it points to (input, output and
 * params are JSON references it holds). Pure code: no I/O. */
#ifndef WFMON_EXEC_H
#define WFMON_EXEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

#define EXEC_MAX_STEPS PROTO_MAX_STEPS   /* unplanned steps stop here */
#define EXEC_COUNTERS 32
#define EXEC_LOG_LINES 100
#define EXEC_STEP_TRIES 16                /* earlier attempts kept per step */

enum exec_status { EXEC_QUEUED, EXEC_RUNNING, EXEC_COMPLETED, EXEC_FAILED, EXEC_CANCELLED, EXEC__COUNT };
enum exec_step_status { STEP_PENDING, STEP_RUNNING, STEP_COMPLETED, STEP_FAILED, STEP__COUNT };

const char *exec_status_name(enum exec_status s);        /* "queued" ...; "?" out of range */
int exec_status_parse(const char *name, enum exec_status *out);
bool exec_status_finished(enum exec_status s);           /* completed, failed or cancelled */
const char *exec_step_status_name(enum exec_step_status s);
int exec_step_status_parse(const char *name, enum exec_step_status *out);

/* An earlier attempt of a step: how far it got. */
struct exec_try {
	uint32_t attempt;
	enum exec_step_status status;           /* failed, completed, or running when it never ended */
	int64_t started_ms, finished_ms;        /* 0 when unknown */
	int64_t duration_ms;                    /* -1 when unknown */
	char *error;                            /* NULL for none */
};

struct exec_step {
	char id[PROTO_MAX_ID + 1];
	char *name;                     /* NULL until a plan names it */
	char **depends_on;              /* step ids, from the plan */
	uint32_t ndepends;
	int32_t plan_index;             /* position in the plan, -1 when no plan named it */
	uint32_t seen;                  /* order of first appearance */
	enum exec_step_status status;
	int64_t started_ms, finished_ms;        /* 0 when unknown */
	int64_t duration_ms;                    /* -1 when unknown */
	int64_t progress_current, progress_total;   /* total 0: no progress reported */
	char *progress_unit, *progress_message;
	json_t *input, *output;                 /* references, or NULL */
	char *error, *error_code, *worker;
	double cpu_percent;                     /* -1 when unknown */
	int64_t memory_bytes;                   /* -1 when unknown */
	uint32_t attempt;                       /* the attempt the fields above describe, from 1 */
	struct exec_try *tries;                 /* earlier attempts, oldest first */
	uint32_t ntries;                        /* at most EXEC_STEP_TRIES */
};

struct exec_label {
	char *key, *value;
};

enum exec_control_state { CTL_NONE, CTL_REQUESTED, CTL_ACCEPTED, CTL_REFUSED, CTL_DONE, CTL__COUNT };
const char *exec_control_state_name(enum exec_control_state s);   /* "none", "requested", ... */
int exec_control_state_parse(const char *name, enum exec_control_state *out);

/* The last cancel or retry an operator asked for, and where it stands. */
struct exec_control {
	enum exec_control_state state;
	enum proto_control command;
	char request_id[PROTO_MAX_ID + 1];
	char *by;                               /* who asked */
	char *reason;                           /* the request's reason, then a refusal's */
	int64_t requested_ms, answered_ms;      /* 0 when not (yet) */
};

struct exec_counter {
	char *name;
	int64_t value;
};

struct exec_log_line {
	char event_id[PROTO_MAX_ID + 1];
	char step_id[PROTO_MAX_ID + 1];         /* "" for none */
	int64_t ts_ms;
	enum proto_level level;
	char *message;
};

struct exec {
	char id[PROTO_MAX_ID + 1];
	char workflow_id[PROTO_MAX_ID + 1];
	char *workflow_name;                    /* NULL until a plan names it: shown as the id */
	enum proto_priority priority;
	enum exec_status status;
	int64_t queued_ms, started_ms, finished_ms, last_event_ms;   /* 0 when unknown */
	char *error, *error_code, *worker;
	json_t *params;
	struct exec_step *steps;
	uint32_t nsteps, capsteps, next_seen;
	/* Steps in each state. Counted from steps[] as events change them; a
	 * summary (which has counts, not steps) may raise them further. */
	uint32_t steps_total, steps_completed, steps_failed;
	char current_step[PROTO_MAX_ID + 1];    /* the running step started last; "" for none */
	struct exec_counter counters[EXEC_COUNTERS];
	uint32_t ncounters;
	struct exec_log_line *log;              /* ring of log_cap lines, growing up to EXEC_LOG_LINES */
	uint32_t log_head, log_count, log_cap;
	uint64_t events;                        /* events applied */
	uint32_t attempt;                       /* the current attempt, from 1 */
	struct exec_label labels[PROTO_MAX_LABELS];   /* sorted by key */
	uint32_t nlabels;
	int64_t delayed_until_ms;               /* queued and waiting for this time; 0: not */
	struct exec_control control;
};

/* An empty, queued execution. */
void exec_init(struct exec *x, const char *id, const char *workflow_id);
/* The execution an event creates: running unless the event is execution.queued. */
void exec_init_for(struct exec *x, const struct proto_event *ev);
/* Frees what x holds; x is left empty (exec_init again to reuse it). */
void exec_clear(struct exec *x);

/* What an event did, for the caller's own bookkeeping (notices, metrics). */
struct exec_change {
	enum exec_status before;                /* the status before the event */
	bool ended;                             /* this event ended the execution */
	bool reopened;                          /* it started a later attempt of a finished execution */
	bool stale;                             /* it belonged to an earlier attempt: nothing changed */
	struct exec_step *step;                 /* the step it concerned (NULL: none, or over the limit) */
};

/* Applies a validated event of this execution. out may be NULL. */
void exec_apply(struct exec *x, const struct proto_event *ev, struct exec_change *out);

struct exec_step *exec_step_find(const struct exec *x, const char *step_id);

/* The log's i-th line, oldest first (i < log_count). */
const struct exec_log_line *exec_log_at(const struct exec *x, uint32_t i);
/* The shown name: the plan's, else the id. */
const char *exec_workflow_name(const struct exec *x);
/* A label's value, or NULL. */
const char *exec_label(const struct exec *x, const char *key);
/* Whether the execution has every label of want (an object of strings;
 * NULL or empty matches all). */
bool exec_labels_match(const struct exec *x, json_t *want);

/* ---- The snapshot schema (exec_json.c) ---------------------------------------- */

/* One list row: {"id","workflow_id","workflow_name","priority","status",
 * "queued_at","started_at","finished_at","last_event_at","error","steps_total",
 * "steps_completed","steps_failed","current_step","attempt","labels":{..},
 * "delayed_until","control":{"state","command","request_id","by","reason",
 * "requested_at","answered_at"}|null}. New reference. */
json_t *exec_summary_json_new(const struct exec *x);
/* The whole execution: the summary plus "error_code","worker","params",
 * "steps":[...each with "attempt" and "attempts":[earlier ones]],
 * "counters":{...},"log":[log events]. New reference. */
json_t *exec_json_new(const struct exec *x);

/* Reads a summary or a whole execution (as the writers above shape them)
 * into x, moving nothing backwards: a later attempt than the one held opens
 * it (or a step) as the rules above say, and within one attempt statuses and
 * counts only move forward, times
 * to the later, texts and data only where the JSON has them, a step's name
 * not to its id, dependencies not to an empty list, log lines only those
 * newer than the newest held. Into a fresh execution this is a faithful
 * load. Values of the wrong type are passed over. Returns the number of log
 * lines appended. */
uint32_t exec_merge_json(struct exec *x, json_t *j);

#endif
