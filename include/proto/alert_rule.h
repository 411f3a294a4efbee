/* alert_rule.h: the alert rule schema, in one place for the daemon (which
 * keeps and evaluates rules), `wfmon alerts` (which checks a rule before
 * sending it) and the console's rule form (which lays itself out from the
 * tables): the types, severities, operators and metrics; the typed rule; the
 * field tables (alert_schema.h rows); the parser that names the field it
 * refuses, and the JSON form back (alert_rule.c).
 *
 * The JSON form (see man/wfmon-protocol.7):
 * {"id"?, "name", "type", "workflow_id"?, "labels"?, "severity", "cooldown_minutes"?,
 *  "enabled"?, "language"?, "conditions": {...by type...}, "channels": [...],
 *  "escalation_channels"?: [...]}
 *
 * Adding a rule type: an enum value below and its row in alert_rule.c's
 * types[] (name, label, condition fields); the daemon then needs its
 * evaluator (alert_eval.c's row).
 *
 * Ownership: *_new return new references the caller frees; a parsed rule owns
 * its channels' strings (alert_rule_clear frees them). */
#ifndef WFMON_ALERT_RULE_H
#define WFMON_ALERT_RULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "alert_channel.h"
#include "alert_schema.h"
#include "proto.h"

#define ALERT_COOLDOWN_MIN_S (5 * 60)
#define ALERT_COOLDOWN_MAX_S (24 * 3600)
#define ALERT_COOLDOWN_DEFAULT_S (15 * 60)
#define ALERT_MAX_CHANNELS 8
#define ALERT_MAX_LABELS 4                /* labels a rule's scope may name */
#define ALERT_LABELS_TEXT 1024            /* their text form */

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
	ALERT_MISSED_SCHEDULE,       /* an expected run of a scheduled workflow (schedule.h) did not happen */
	ALERT__TYPE_COUNT
};
const char *alert_type_name(enum alert_type t);    /* "execution_failed", "running_long", ... */
/* The types as choices (name, label, condition fields), indexed by enum alert_type. */
const struct alert_choice *alert_types(void);
/* Whether a type's rules are about executions, so that a scope of labels
 * applies (the metric and schedule types are not). */
bool alert_type_has_labels(enum alert_type t);

enum alert_severity { SEV_INFO, SEV_WARNING, SEV_ERROR, SEV_CRITICAL, SEV__COUNT };
const char *alert_severity_name(enum alert_severity s);
/* From the wire name: 0 and *out, or -1. */
int alert_severity_parse(const char *name, enum alert_severity *out);

enum alert_op { OP_GT, OP_GTE, OP_LT, OP_LTE, OP_EQ, OP_NE, OP__COUNT };
const char *alert_op_name(enum alert_op op);       /* "gt", "gte", ... */
const char *alert_op_symbol(enum alert_op op);     /* ">", ">=", ... */

/* The numbers a custom rule may watch. The daemon fills them by these indexes,
 * under alert_metric_name's names, so what a rule may name and what the daemon
 * feeds cannot drift apart. */
enum alert_metric {
	ALERT_M_QUEUE_DEPTH, ALERT_M_QUEUE_WAIT, ALERT_M_QUEUE_RATE, ALERT_M_CPU, ALERT_M_MEMORY,
	ALERT_M_DAEMON_CPU, ALERT_M_DAEMON_RSS, ALERT_M_EVENTS_IN, ALERT_M_EVENTS_OUT, ALERT_M_DB_ACTIVE,
	ALERT_M__COUNT
};
const char *alert_metric_name(enum alert_metric m);   /* "queue_depth", ...; NULL out of range */

struct alert_rule {
	char id[PROTO_MAX_ID + 1];
	char name[PROTO_MAX_NAME + 1];
	enum alert_type type;
	char workflow_id[PROTO_MAX_ID + 1];   /* empty: every workflow of the organization */
	char labels[ALERT_LABELS_TEXT];       /* scope: executions with all these labels ("k=v, ..."); "" all */
	enum alert_severity severity;
	int cooldown_s;
	bool enabled;
	/* conditions, by type */
	double threshold;                     /* seconds, percent, depth or the custom value */
	int count;                            /* consecutive failures */
	int window_s, min_sample;             /* error rate */
	/* Metric rules (queue_backlog, resource_threshold, custom) hold the rule
	 * as "metric op threshold": the fields a type implies (fixed rows of its
	 * conditions) fill what the JSON does not say. */
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

/* The rule's own fields (id, name, type, workflow_id, severity,
 * cooldown_minutes, enabled, language), in the order forms show them; the
 * conditions are the type's choice's fields, the channels alert_channel.h's. */
const struct alert_field *alert_rule_fields(void);

/* Parses and validates a rule from its JSON form. Fills *rule (new strings
 * owned by it; free with alert_rule_clear). Returns 0 or -1 with *cause
 * naming the field by its JSON path ("conditions.count", "channels[1].url");
 * unknown fields are refused. On error *rule holds nothing to free. */
int alert_rule_parse(json_t *j, struct alert_rule *rule, struct proto_cause *cause);
/* alert_rule_parse for an edit of prev (NULL: none). Clients see secrets as
 * ALERT_SECRET_MASK (alert_rule_json_new without secrets); a secret field that
 * comes back masked in channel i of a list keeps the value of channel i of the
 * same list of prev when that channel has the same type and the secret set. */
int alert_rule_parse_edit(json_t *j, const struct alert_rule *prev, struct alert_rule *rule,
			  struct proto_cause *cause);
/* A client's check of a rule it holds or is about to send: alert_rule_parse,
 * except that a masked secret passes (the daemon keeps the stored one); the
 * rule then holds the mask. */
int alert_rule_parse_client(json_t *j, struct alert_rule *rule, struct proto_cause *cause);
void alert_rule_clear(struct alert_rule *rule);
/* Copies a rule (deep). */
void alert_rule_copy(struct alert_rule *dst, const struct alert_rule *src);
/* The JSON form; with_secrets false masks every secret (for clients).
 * parse(json_new(rule, true)) == rule; parse_edit(json_new(rule, false), rule) == rule. */
json_t *alert_rule_json_new(const struct alert_rule *rule, bool with_secrets);

#endif
