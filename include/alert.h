/* alert.h: alert rules in workflow terms, their evaluation, and the life of
 * an alert. Pure: no I/O, no threads, no libwebsockets, no libpq; time is
 * always passed in. The daemon feeds events and timer ticks in, persists what
 * comes out (firings, state changes, cooldowns) and delivers notifications.
 *
 * Ownership: *_new return new objects/references the caller frees; everything
 * else borrows. */
#ifndef WFMON_ALERT_H
#define WFMON_ALERT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "proto.h"

#define ALERT_COOLDOWN_MIN_S (5 * 60)
#define ALERT_COOLDOWN_MAX_S (24 * 3600)
#define ALERT_COOLDOWN_DEFAULT_S (15 * 60)
#define ALERT_MAX_CHANNELS 8
#define ALERT_MAX_RULES_PER_ORG 500
/* Addresses in an email channel's "to": the rule parser refuses more and the
 * notifier sizes its envelope by it, so a saved rule can always be delivered. */
#define ALERT_EMAIL_MAX_RCPT 20

enum alert_type {
	ALERT_EXECUTION_FAILED,      /* an execution of the scope failed */
	ALERT_RUNNING_LONG,          /* an execution has been running longer than threshold_s (checked while it runs) */
	ALERT_SLOW_EXECUTION,        /* an execution finished in more than threshold_s */
	ALERT_CONSECUTIVE_FAILURES,  /* count failures in a row (per workflow) */
	ALERT_ERROR_RATE,            /* failed/finished above threshold_percent over window_s, with at least min_sample finished */
	ALERT_QUEUE_BACKLOG,         /* queue depth at or above threshold */
	ALERT_RESOURCE_THRESHOLD,    /* metric ("cpu_percent" | "memory_percent") above threshold */
	ALERT_CUSTOM,                /* metric <op> value, metric among the numbers the daemon computes */
	ALERT_PERFORMANCE_DEGRADED,  /* recent p95 or success rate worse than the workflow's baseline (metrics.h) */
	ALERT__TYPE_COUNT
};
const char *alert_type_name(enum alert_type t);    /* "execution_failed", "running_long", ... */

enum alert_severity { SEV_INFO, SEV_WARNING, SEV_ERROR, SEV_CRITICAL, SEV__COUNT };
const char *alert_severity_name(enum alert_severity s);

enum alert_op { OP_GT, OP_GTE, OP_LT, OP_LTE, OP_EQ, OP_NE, OP__COUNT };
const char *alert_op_name(enum alert_op op);       /* "gt", "gte", ... */
/* The numbers a custom rule may watch. The daemon fills them by these indexes
 * into alert_custom_metrics(), so the names exist only in alert_rule.c. */
enum alert_metric {
	ALERT_M_QUEUE_DEPTH, ALERT_M_QUEUE_WAIT, ALERT_M_QUEUE_RATE, ALERT_M_CPU, ALERT_M_MEMORY,
	ALERT_M_DAEMON_CPU, ALERT_M_DAEMON_RSS, ALERT_M_EVENTS_IN, ALERT_M_EVENTS_OUT, ALERT_M_DB_ACTIVE,
	ALERT_M__COUNT
};
/* The metric names a custom rule may use (NULL-terminated, indexed by enum
 * alert_metric): the numbers the daemon passes to alert_eval_on_tick under
 * these names. */
const char *const *alert_custom_metrics(void);

enum channel_type { CH_IN_APP, CH_WEBHOOK, CH_SLACK, CH_EMAIL, CH_SMS, CH__COUNT };
const char *channel_type_name(enum channel_type t);

/* A notification channel as saved. Secrets (webhook secret, SMTP password,
 * SMS token) live here and are never sent back to clients or logged. */
struct alert_channel {
	enum channel_type type;
	char *url;          /* webhook, slack, sms gateway (http/https only) */
	char *secret;       /* webhook: HMAC-SHA256 key; sms: bearer token (optional) */
	char *to;           /* email: comma-separated addresses; sms: phone number (+48...) */
	char *smtp_url;     /* email: smtp:// or smtps:// server */
	char *smtp_user, *smtp_password, *from;
	bool bell;          /* in_app: ask consoles to ring/flash */
};

struct alert_rule {
	char id[PROTO_MAX_ID + 1];
	char name[PROTO_MAX_NAME + 1];
	enum alert_type type;
	char workflow_id[PROTO_MAX_ID + 1];   /* empty: every workflow of the organization */
	enum alert_severity severity;
	int cooldown_s;
	bool enabled;
	/* conditions, by type */
	double threshold;                     /* seconds, percent, depth or the custom value */
	int count;                            /* consecutive failures */
	int window_s, min_sample;             /* error rate */
	/* Metric rules (queue_backlog, resource_threshold, custom) hold the rule
	 * as "metric op threshold": the parser sets what the type implies
	 * (queue_backlog: "queue_depth" gte; resource_threshold: gt). */
	char metric[PROTO_MAX_NAME + 1];
	enum alert_op op;
	/* performance_degraded: margins beyond which a workflow is degraded; 0
	 * takes the daemon's (degradation-* in wfmond.conf(5)). */
	double p95_margin_pct, success_margin_pts;
	int min_runs;
	struct alert_channel channels[ALERT_MAX_CHANNELS];
	size_t nchannels;
	struct alert_channel escalation[ALERT_MAX_CHANNELS];   /* notified on escalation */
	size_t nescalation;
	char language[3];                     /* "en" or "pl" */
};

/* Parses and validates a rule from its JSON form (see man/wfmon-protocol.7):
 * {"id"?, "name", "type", "workflow_id"?, "severity", "cooldown_minutes"?,
 *  "enabled"?, "conditions": {...by type...}, "channels": [...],
 *  "escalation_channels"?: [...], "language"?}
 * Fills *rule (new strings owned by it; free with alert_rule_clear). Returns 0
 * or -1 with *cause naming the field ("conditions.count", "channels[1].url"). */
int alert_rule_parse(json_t *j, struct alert_rule *rule, struct proto_cause *cause);
/* alert_rule_parse for an edit of prev (NULL: none). Clients see secrets as
 * "***" (alert_rule_json_new without secrets); a secret field that comes back
 * as "***" in channel i of a list keeps the value of channel i of the same
 * list of prev when that channel has the same type and the secret set. */
int alert_rule_parse_edit(json_t *j, const struct alert_rule *prev, struct alert_rule *rule,
			  struct proto_cause *cause);
void alert_rule_clear(struct alert_rule *rule);
/* Copies a rule (deep). */
void alert_rule_copy(struct alert_rule *dst, const struct alert_rule *src);
/* Channel validation, as alert_rule_parse does it for each channel: URL
 * schemes (http/https for webhook, slack and sms; smtp/smtps for email),
 * address syntax (user@domain.tld, comma-separated), phone syntax (+ and 8 to
 * 15 digits), required fields. 0 or -1 with *cause naming the field relative
 * to the channel ("url", "to"). */
int alert_channel_parse(json_t *j, struct alert_channel *ch, struct proto_cause *cause);
/* The JSON form; with_secrets false masks every secret as "***" (for clients). */
json_t *alert_rule_json_new(const struct alert_rule *rule, bool with_secrets);

/* ---- evaluation ------------------------------------------------------------- */

/* What the evaluator needs to know of an execution-level event. */
struct alert_fact {
	enum proto_event_kind kind;          /* started, completed, failed, cancelled */
	const char *execution_id, *workflow_id, *workflow_name;
	int64_t ts_ms, started_ms;           /* started_ms 0 if unknown */
	const char *error;                   /* failed: the execution's error, or NULL */
	const char *step_id;                 /* failed: the failing step, or NULL */
};

/* The numbers the timer check sees (queue, resources, anything custom). */
struct alert_metrics {
	const char *const *names;            /* e.g. "queue_depth", "cpu_percent", "memory_percent" */
	const double *values;
	size_t n;
	/* running executions, for running_long */
	const struct alert_fact *running;    /* kind unused; started_ms set */
	size_t nrunning;
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
	char title[256];                     /* e.g. "Wykonanie workflow nie powiodło się: jpk-generation" */
	char body[1024];                     /* details, the error, and how to open it: "wfmon :exec ID" */
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

/* ---- the life of an alert ------------------------------------------------------ */

enum alert_state { ALERT_ACTIVE, ALERT_ACKNOWLEDGED, ALERT_RESOLVED, ALERT__STATE_COUNT };
const char *alert_state_name(enum alert_state s);
enum alert_action { ACT_ACKNOWLEDGE, ACT_RESOLVE, ACT_ESCALATE, ACT_AUTO_RESOLVE };
const char *alert_action_name(enum alert_action a);   /* "acknowledge", ..., "auto_resolve" */
/* Whether an action is allowed from a state (e.g. nothing but escalate... see
 * alert.c); the new state and, for escalation, the new severity (one up, at
 * most critical). Returns -1 with a sentence when not allowed. */
int alert_transition(enum alert_state from, enum alert_severity sev, enum alert_action act,
		     enum alert_state *to, enum alert_severity *new_sev, char *cause, size_t causelen);

/* The texts, English and Polish (the original specification's). */
enum alert_text { TXT_EXECUTION_FAILED, TXT_EXECUTION_STARTED, TXT_EXECUTION_COMPLETED, TXT_STEP_COMPLETED,
		  TXT_STEP_FAILED, TXT_ALERT_TRIGGERED, TXT_ALERT_ACKNOWLEDGED, TXT_QUEUE_BACKLOG,
		  TXT_RESOURCE_WARNING, TXT_PERFORMANCE_DEGRADED, TXT__COUNT };
const char *alert_text(enum alert_text t, const char *language);

#endif
