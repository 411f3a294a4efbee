/* alert.h: alert rules at work inside the daemon: their evaluation
 * (alert_eval.c), what a firing says (alert_text.c) and the life of an alert
 * (alert_life.c). The rule schema and the alert record are the protocol's
 * (alert_rule.h, alert_record.h). Pure: no I/O, no threads, no
 * libwebsockets, no libpq; time is always passed in. The daemon feeds events
 * and timer ticks in, persists what comes out (firings, state changes,
 * cooldowns) and delivers notifications.
 *
 * Ownership: *_new return new objects/references the caller frees; everything
 * else borrows. */
#ifndef WFMON_ALERT_H
#define WFMON_ALERT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_record.h"
#include "alert_rule.h"
#include "metrics.h"
#include "exec.h"
#include "proto.h"
#include "schedule.h"

/* Rules kept per organization (the daemon refuses more; the evaluator keeps
 * no more). */
#define ALERT_MAX_RULES_PER_ORG 500

/* ---- evaluation ------------------------------------------------------------- */

/* What the evaluator needs to know of an execution-level event. */
struct alert_fact {
	enum proto_event_kind kind;          /* started, completed, failed, cancelled */
	const char *execution_id, *workflow_id, *workflow_name;
	int64_t ts_ms, started_ms;           /* started_ms 0 if unknown */
	const char *error;                   /* failed: the execution's error, or NULL */
	const char *step_id;                 /* failed: the failing step, or NULL */
	const struct exec_label *labels;     /* the execution's labels, for rules scoped by them */
	uint32_t nlabels;
	bool retried_failure;                /* completed: an earlier attempt of it had failed */
};

/* A scheduled workflow's status at the tick, for missed_schedule rules. */
struct alert_schedule_fact {
	const char *workflow_id, *workflow_name;
	struct schedule_status status;
	const char *expected_text, *due_text;   /* those times on the schedule's clock, with its zone */
};

/* The numbers the timer check sees (queue, resources, anything custom). */
struct alert_metrics {
	const char *const *names;            /* e.g. "queue_depth", "cpu_percent", "memory_percent" */
	const double *values;
	size_t n;
	/* running executions, for running_long */
	const struct alert_fact *running;    /* kind unused; started_ms set */
	size_t nrunning;
	/* scheduled workflows, for missed_schedule */
	const struct alert_schedule_fact *schedules;
	size_t nschedules;
};

/* Where a workflow's performance stands (the daemon's periodic check, from
 * the metrics rollups): its recent window against its own baseline. */
struct alert_health {
	const char *workflow_id, *workflow_name;
	struct metrics_health recent, baseline;
};
/* The daemon's side of the check: its margins (a rule's own replace them)
 * and the windows, for the texts. */
struct alert_health_context {
	struct metrics_margins margins;
	int window_hours, baseline_days;
};

/* An alert that fires: the rule, the workflow it is about (or ""), the
 * context with the numbers that triggered it, and the message in the rule's
 * language. */
struct alert_firing {
	const struct alert_rule *rule;       /* borrowed from the evaluator */
	char workflow_id[PROTO_MAX_ID + 1];
	char execution_id[PROTO_MAX_ID + 1]; /* or "" */
	json_t *context;                     /* new reference: {"error","step_id","consecutive":3,"rate":..,"value":..} */
	char title[ALERT_TITLE_MAX + 1];     /* e.g. "Wykonanie workflow nie powiodło się: jpk-generation" */
	char body[ALERT_BODY_MAX + 1];       /* details, the error, and how to open it: "wfmon open ID" */
};

/* A condition that cleared: alerts of (rule, workflow) still active resolve. */
struct alert_clear {
	const struct alert_rule *rule;
	char workflow_id[PROTO_MAX_ID + 1];
};

struct alert_eval;   /* per organization */

/* Bounds of the evaluator's memory, per organization: (rule, workflow) pairs
 * (least recently used evicted, with their cooldown) and executions
 * running_long has fired for (oldest forgotten). */
#define ALERT_EVAL_MAX_PAIRS 10000
#define ALERT_EVAL_MAX_LONG_RUNS 10000

struct alert_eval *alert_eval_new(void);
void alert_eval_free(struct alert_eval *e);
/* Replaces the rules (copies them). */
void alert_eval_set_rules(struct alert_eval *e, const struct alert_rule *rules, size_t n);
/* The cooldown memory: (rule, workflow) last fired at ms. Loaded from the
 * store at start-up so that a restart does not re-fire. */
void alert_eval_set_last_fired(struct alert_eval *e, const char *rule_id, const char *workflow_id,
			       int64_t fired_ms);

/* Feeds one execution-level fact at now_ms. Fills up to max firings and
 * clears; returns how many of each through *nf and *nc. Firings respect the
 * cooldown per (rule, workflow) and record it (the caller persists it). */
void alert_eval_on_fact(struct alert_eval *e, const struct alert_fact *f, int64_t now_ms,
			struct alert_firing *firings, size_t max, size_t *nf,
			struct alert_clear *clears, size_t maxc, size_t *nc);
/* The periodic performance check: performance_degraded rules fire for each
 * workflow in scope that is degraded (metrics_degraded with the rule's
 * margins), once per cooldown, and clear once it decidably is not. */
void alert_eval_on_health(struct alert_eval *e, const struct alert_health *h, size_t n,
			  const struct alert_health_context *ctx, int64_t now_ms, struct alert_firing *firings,
			  size_t max, size_t *nf, struct alert_clear *clears, size_t maxc, size_t *nc);
/* The timer check (time-based and metric rules). */
void alert_eval_on_tick(struct alert_eval *e, const struct alert_metrics *m, int64_t now_ms,
			struct alert_firing *firings, size_t max, size_t *nf,
			struct alert_clear *clears, size_t maxc, size_t *nc);
void alert_firing_clear(struct alert_firing *f);
/* Sizing the output arrays: one fact yields at most one firing per rule and
 * at most two clears per rule (its own and a running_long one). A firing's
 * rule pointer is valid until the next alert_eval_set_rules or _free. Rule ids
 * must be unique (state is keyed by them); at most ALERT_MAX_RULES_PER_ORG
 * rules are kept. */
size_t alert_eval_rule_count(const struct alert_eval *e);
/* How many (rule, workflow) pairs the evaluator remembers (for tests and stats). */
size_t alert_eval_pair_count(const struct alert_eval *e);

/* ---- what a firing says (alert_text.c) ------------------------------------------- */

/* Appends to buf (a body, NUL-terminated, len bytes in all) how to act on
 * alert_id: the links to acknowledge and escalate it when both are given
 * (action.h), else the `wfmon alerts` commands to paste into a shell; in the
 * rule's language. Cut, never inside a character, when buf is full. */
void alert_text_actions(char *buf, size_t len, const char *language, int64_t alert_id, const char *ack_url,
			const char *escalate_url);

/* The fixed texts, English and Polish (the original specification's). */
enum alert_text { TXT_EXECUTION_FAILED, TXT_EXECUTION_STARTED, TXT_EXECUTION_COMPLETED, TXT_STEP_COMPLETED,
		  TXT_STEP_FAILED, TXT_ALERT_TRIGGERED, TXT_ALERT_ACKNOWLEDGED, TXT_QUEUE_BACKLOG,
		  TXT_RESOURCE_WARNING, TXT_PERFORMANCE_DEGRADED, TXT_SCHEDULE_MISSED, TXT__COUNT };
/* In "en" or "pl"; any other language (or NULL) is English. NULL for an
 * unknown text. */
const char *alert_text(enum alert_text t, const char *language);

/* What the title names after its colon. */
enum alert_subject {
	SUBJECT_WORKFLOW,    /* the workflow's name (else its id, else the rule's name) */
	SUBJECT_METRIC,      /* the metric the rule watches */
	SUBJECT_RULE,        /* the rule's name */
};

/* The numbers a firing reports, in its body's first line and its context. */
enum alert_measure {
	MEASURE_NONE,        /* the fact itself (an execution failed) */
	MEASURE_CONSECUTIVE, /* failures in a row */
	MEASURE_RATE,        /* failed of finished over the window */
	MEASURE_TOOK,        /* how long a finished execution took */
	MEASURE_RUNNING,     /* how long a running execution has run */
	MEASURE_METRIC,      /* metric value against the threshold */
	MEASURE_CUSTOM,      /* the same, with the rule's own operator */
	MEASURE_DEGRADED,    /* a workflow's recent p95 / success rate against its baseline */
	MEASURE_SCHEDULE,    /* the expected run, what went wrong, and when it was due */
};

/* How a rule type's firings read (a row of alert_eval.c's type table). */
struct alert_wording {
	enum alert_text title;
	enum alert_subject subject;
	enum alert_measure measure;
};

/* What triggered a firing: the execution it is about (if any) and the numbers
 * its measure reports. Strings are borrowed; unused fields stay 0/NULL. */
struct alert_trigger {
	const char *workflow_id, *workflow_name, *execution_id, *error, *step_id;
	int consecutive;
	int failed, finished;
	double rate;
	int64_t duration_ms, threshold_ms;
	double value;
	/* MEASURE_DEGRADED: where the workflow stands, the margins that applied,
	 * what is worse (DEGRADED_* of metrics.h), the windows compared */
	const struct alert_health *health;
	struct metrics_margins margins;
	unsigned degraded;
	int window_hours, baseline_days;
	enum schedule_miss miss;             /* MEASURE_SCHEDULE */
	const char *expected_text, *due_text;
	int64_t expected_ms, due_ms;
};

/* Fills the firing's title and body in the rule's language and its context
 * (a new object) from the trigger, as the wording says. */
void alert_text_firing(struct alert_firing *af, const struct alert_rule *r, const struct alert_wording *w,
		       const struct alert_trigger *t);

/* ---- the life of an alert (alert_life.c) ---------------------------------------- */

enum alert_action { ACT_ACKNOWLEDGE, ACT_RESOLVE, ACT_ESCALATE, ACT_AUTO_RESOLVE };
const char *alert_action_name(enum alert_action a);   /* "acknowledge", ..., "auto_resolve" */
/* Whether an action is allowed from a state (see alert_life.c's table); the
 * new state and, for escalation, the new severity (one up, at most critical).
 * Returns -1 with a sentence when not allowed. */
int alert_transition(enum alert_state from, enum alert_severity sev, enum alert_action act,
		     enum alert_state *to, enum alert_severity *new_sev, char *cause, size_t causelen);

#endif
