/* alert_rule.c: the alert rule schema (see alert_rule.h): the names of the
 * types, severities, operators and metrics; the rule's own fields and each
 * type's conditions as alert_schema.h rows; parsing and validating the JSON
 * form, the JSON form back (with or without secrets), copying and freeing.
 *
 * Invariants: a parsed rule satisfies every row of the tables below, which
 * are the whole of the rule's rules (man/wfmon-protocol.7 says the same to
 * people); unknown fields are refused everywhere; every error names the
 * field by its JSON path. parse(json_new(rule, true)) == rule, and
 * parse_edit(json_new(rule, false), rule) == rule. */
#include "alert_rule.h"
#include "alert_schema-internal.h"

#include <float.h>
#include <stdio.h>
#include <string.h>

#include "xalloc.h"

/* ---- names -------------------------------------------------------------------------- */

static const struct alert_choice severities[SEV__COUNT] = {
	[SEV_INFO] = { "info", NULL, NULL }, [SEV_WARNING] = { "warning", NULL, NULL },
	[SEV_ERROR] = { "error", NULL, NULL }, [SEV_CRITICAL] = { "critical", NULL, NULL },
};

/* The label is the symbol people read in forms and in alert texts. */
static const struct alert_choice ops[OP__COUNT] = {
	[OP_GT] = { "gt", ">", NULL }, [OP_GTE] = { "gte", ">=", NULL }, [OP_LT] = { "lt", "<", NULL },
	[OP_LTE] = { "lte", "<=", NULL }, [OP_EQ] = { "eq", "=", NULL }, [OP_NE] = { "ne", "!=", NULL },
};

static const struct alert_choice languages[] = {
	{ "en", "English", NULL },
	{ "pl", "Polish", NULL },
};

static const struct alert_choice resource_metrics[] = {
	{ "cpu_percent", NULL, NULL },
	{ "memory_percent", NULL, NULL },
};

/* Indexed by enum alert_metric so the daemon's values cannot pair with the
 * wrong name. */
static const struct alert_choice custom_metrics[ALERT_M__COUNT] = {
	[ALERT_M_QUEUE_DEPTH] = { "queue_depth", NULL, NULL },
	[ALERT_M_QUEUE_WAIT] = { "queue_avg_wait_ms", NULL, NULL },
	[ALERT_M_QUEUE_RATE] = { "queue_rate_per_min", NULL, NULL },
	[ALERT_M_CPU] = { "cpu_percent", NULL, NULL },
	[ALERT_M_MEMORY] = { "memory_percent", NULL, NULL },
	[ALERT_M_DAEMON_CPU] = { "daemon_cpu_percent", NULL, NULL },
	[ALERT_M_DAEMON_RSS] = { "daemon_rss_bytes", NULL, NULL },
	[ALERT_M_EVENTS_IN] = { "events_in_per_s", NULL, NULL },
	[ALERT_M_EVENTS_OUT] = { "events_out_per_s", NULL, NULL },
	[ALERT_M_DB_ACTIVE] = { "db_connections_active", NULL, NULL },
};

#define NOF(a) (sizeof a / sizeof a[0])

/* ---- conditions, by type ----------------------------------------------------------------- */

#define R_DOUBLE(m) .store = ALERT_STORE_DOUBLE, .offset = offsetof(struct alert_rule, m)
#define R_INT(m) .store = ALERT_STORE_INT, .offset = offsetof(struct alert_rule, m)
#define R_ENUM(m) .store = ALERT_STORE_ENUM, .offset = offsetof(struct alert_rule, m)
#define R_CHARS(m) .store = ALERT_STORE_CHARS, .offset = offsetof(struct alert_rule, m), \
	.size = sizeof(((struct alert_rule *)0)->m)
#define R_BOOL(m) .store = ALERT_STORE_BOOL, .offset = offsetof(struct alert_rule, m)

#define REQ ALERT_F_REQUIRED
#define SECONDS_MAX (365.0 * 24 * 3600)

static const struct alert_field conds_none[] = { { 0 } };

static const struct alert_field conds_seconds[] = {
	{ .name = "threshold_seconds", .label = "threshold (seconds)", .kind = ALERT_FIELD_NUMBER,
	  .flags = REQ | ALERT_F_ABOVE_MIN, .min = 0, .max = SECONDS_MAX,
	  .must = "a number of seconds above 0 (at most 31536000)", R_DOUBLE(threshold) },
	{ 0 },
};

static const struct alert_field conds_consecutive[] = {
	{ .name = "count", .label = "failures in a row", .kind = ALERT_FIELD_INT, .flags = REQ, .min = 2,
	  .max = 100, .form_start = "3", R_INT(count) },
	{ 0 },
};

static const struct alert_field conds_rate[] = {
	{ .name = "threshold_percent", .label = "threshold (%)", .kind = ALERT_FIELD_NUMBER,
	  .flags = REQ | ALERT_F_ABOVE_MIN, .min = 0, .max = 100, .must = "a number above 0 and at most 100",
	  R_DOUBLE(threshold) },
	{ .name = "window_minutes", .label = "window (minutes)", .kind = ALERT_FIELD_INT, .flags = REQ, .min = 1,
	  .max = 1440, .scale = 60, R_INT(window_s) },
	{ .name = "min_sample", .label = "minimum sample", .kind = ALERT_FIELD_INT, .flags = REQ, .min = 1,
	  .max = 10000, R_INT(min_sample) },
	{ 0 },
};

/* The metric rules read "metric op threshold": the rows with .fixed are
 * what the type implies and never travel. */
static const struct alert_field conds_backlog[] = {
	{ .name = "threshold", .label = "queued at least", .kind = ALERT_FIELD_NUMBER, .flags = REQ, .min = 1,
	  .max = DBL_MAX, .must = "a number of at least 1", R_DOUBLE(threshold) },
	{ .name = "metric", .kind = ALERT_FIELD_CHOICE, .choices = custom_metrics, .nchoices = ALERT_M__COUNT,
	  .fixed = "queue_depth", R_CHARS(metric) },
	{ .name = "op", .kind = ALERT_FIELD_CHOICE, .choices = ops, .nchoices = OP__COUNT, .fixed = "gte",
	  R_ENUM(op) },
	{ 0 },
};

static const struct alert_field conds_resource[] = {
	{ .name = "metric", .label = "metric", .kind = ALERT_FIELD_CHOICE, .flags = REQ, .choices = resource_metrics,
	  .nchoices = NOF(resource_metrics), .form_start = "cpu_percent", R_CHARS(metric) },
	{ .name = "threshold", .label = "threshold (%)", .kind = ALERT_FIELD_NUMBER, .flags = REQ, .min = 0,
	  .max = 100, .must = "a number from 0 to 100", R_DOUBLE(threshold) },
	{ .name = "op", .kind = ALERT_FIELD_CHOICE, .choices = ops, .nchoices = OP__COUNT, .fixed = "gt",
	  R_ENUM(op) },
	{ 0 },
};

static const struct alert_field conds_custom[] = {
	{ .name = "metric", .label = "metric", .kind = ALERT_FIELD_CHOICE, .flags = REQ, .choices = custom_metrics,
	  .nchoices = ALERT_M__COUNT, .form_start = "queue_depth", R_CHARS(metric) },
	{ .name = "op", .label = "comparison", .kind = ALERT_FIELD_CHOICE, .flags = REQ, .choices = ops,
	  .nchoices = OP__COUNT, .form_start = "gt", R_ENUM(op) },
	{ .name = "value", .label = "value", .kind = ALERT_FIELD_NUMBER, .flags = REQ, .min = -DBL_MAX, .max = DBL_MAX,
	  .must = "a number", R_DOUBLE(threshold) },
	{ 0 },
};

/* The margins of performance_degraded may be left out: the daemon's
 * (degradation-* in wfmond.conf(5)) apply. */
static const struct alert_field conds_degraded[] = {
	{ .name = "p95_margin_percent", .label = "p95 margin (%, empty: default)", .kind = ALERT_FIELD_NUMBER,
	  .flags = ALERT_F_ABOVE_MIN | ALERT_F_ZERO_ABSENT, .min = 0, .max = 10000,
	  .must = "a percentage above 0 (at most 10000)", R_DOUBLE(p95_margin_pct) },
	{ .name = "success_margin_points", .label = "success margin (points, empty: default)",
	  .kind = ALERT_FIELD_NUMBER, .flags = ALERT_F_ABOVE_MIN | ALERT_F_ZERO_ABSENT, .min = 0, .max = 100,
	  .must = "a number of percentage points above 0 and at most 100", R_DOUBLE(success_margin_pts) },
	{ .name = "min_runs", .label = "minimum runs (empty: default)", .kind = ALERT_FIELD_INT,
	  .flags = ALERT_F_ZERO_ABSENT, .min = 1, .max = 100000, R_INT(min_runs) },
	{ 0 },
};

/* One row per rule type: its name, what people call it, its conditions. */
static const struct alert_choice types[ALERT__TYPE_COUNT] = {
	[ALERT_EXECUTION_FAILED] = { "execution_failed", "execution failed", conds_none },
	[ALERT_RUNNING_LONG] = { "running_long", "running too long", conds_seconds },
	[ALERT_SLOW_EXECUTION] = { "slow_execution", "slower than usual", conds_seconds },
	[ALERT_CONSECUTIVE_FAILURES] = { "consecutive_failures", "consecutive failures", conds_consecutive },
	[ALERT_ERROR_RATE] = { "error_rate", "error rate", conds_rate },
	[ALERT_QUEUE_BACKLOG] = { "queue_backlog", "queue backlog", conds_backlog },
	[ALERT_RESOURCE_THRESHOLD] = { "resource_threshold", "resource threshold", conds_resource },
	[ALERT_CUSTOM] = { "custom", "custom metric", conds_custom },
	[ALERT_PERFORMANCE_DEGRADED] = { "performance_degraded", "performance degraded", conds_degraded },
	[ALERT_MISSED_SCHEDULE] = { "missed_schedule", "missed schedule", conds_none },
};

/* ---- the rule's own fields ------------------------------------------------------------------ */

static const struct alert_field rule_fields[] = {
	{ .name = "id", .label = "id", .kind = ALERT_FIELD_ID, .flags = ALERT_F_SERVER, R_CHARS(id) },
	{ .name = "name", .label = "name", .kind = ALERT_FIELD_TEXT, .flags = REQ, .min = 1, .max = PROTO_MAX_NAME,
	  R_CHARS(name) },
	{ .name = "type", .label = "type", .kind = ALERT_FIELD_CHOICE, .flags = REQ, .choices = types,
	  .nchoices = ALERT__TYPE_COUNT, .form_start = "consecutive_failures", R_ENUM(type) },
	{ .name = "workflow_id", .label = "workflow (empty: all)", .kind = ALERT_FIELD_ID,
	  .flags = ALERT_F_NULL_WHEN_EMPTY, R_CHARS(workflow_id) },
	{ .name = "labels", .label = "labels (key=value, ...; empty: all)", .kind = ALERT_FIELD_LABELS,
	  .max = ALERT_MAX_LABELS, R_CHARS(labels) },
	{ .name = "severity", .label = "severity", .kind = ALERT_FIELD_CHOICE, .flags = REQ, .choices = severities,
	  .nchoices = SEV__COUNT, .form_start = "error", R_ENUM(severity) },
	{ .name = "cooldown_minutes", .label = "cooldown (minutes)", .kind = ALERT_FIELD_INT,
	  .min = ALERT_COOLDOWN_MIN_S / 60, .max = ALERT_COOLDOWN_MAX_S / 60, .scale = 60, .dflt = "15",
	  R_INT(cooldown_s) },
	{ .name = "enabled", .label = "enabled", .kind = ALERT_FIELD_BOOL, .dflt = "true", R_BOOL(enabled) },
	{ .name = "language", .label = "language of messages", .kind = ALERT_FIELD_CHOICE, .choices = languages,
	  .nchoices = NOF(languages), .dflt = "en", R_CHARS(language) },
	{ 0 },
};

/* The keys of the rule object besides its own fields. */
static const char *const list_keys[] = { "conditions", "channels", "escalation_channels", NULL };

_Static_assert(sizeof(enum alert_type) == sizeof(int), "rule types are stored as int");
_Static_assert(sizeof(enum alert_severity) == sizeof(int), "severities are stored as int");
_Static_assert(sizeof(enum alert_op) == sizeof(int), "operators are stored as int");

const char *alert_type_name(enum alert_type t)
{
	return (unsigned)t < ALERT__TYPE_COUNT ? types[t].name : NULL;
}

const struct alert_choice *alert_types(void)
{
	return types;
}

bool alert_type_has_labels(enum alert_type t)
{
	return t == ALERT_EXECUTION_FAILED || t == ALERT_RUNNING_LONG || t == ALERT_SLOW_EXECUTION ||
	       t == ALERT_CONSECUTIVE_FAILURES || t == ALERT_ERROR_RATE;
}

const char *alert_severity_name(enum alert_severity s)
{
	return (unsigned)s < SEV__COUNT ? severities[s].name : NULL;
}

int alert_severity_parse(const char *name, enum alert_severity *out)
{
	int i = alert_choice_find(severities, SEV__COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum alert_severity)i;
	return 0;
}

const char *alert_op_name(enum alert_op op)
{
	return (unsigned)op < OP__COUNT ? ops[op].name : NULL;
}

const char *alert_op_symbol(enum alert_op op)
{
	return (unsigned)op < OP__COUNT ? ops[op].label : NULL;
}

const char *alert_metric_name(enum alert_metric m)
{
	return (unsigned)m < ALERT_M__COUNT ? custom_metrics[m].name : NULL;
}

const struct alert_field *alert_rule_fields(void)
{
	return rule_fields;
}

/* ---- parsing ------------------------------------------------------------------------------------ */

static int parse_conditions(json_t *j, struct alert_rule *r, struct proto_cause *cause)
{
	const struct alert_field *conds = types[r->type].fields;
	const char *type = types[r->type].name;
	if (j != NULL && !json_is_object(j))
		return proto_fail(cause, "conditions", "must be an object with the conditions of a %s rule", type);
	bool wire = false;
	for (const struct alert_field *c = conds; !alert_field_end(c); c++)
		wire = wire || c->fixed == NULL;
	if (j == NULL && wire)
		return proto_fail(cause, "conditions", "must be an object with the conditions of a %s rule", type);
	if (alert_schema_check_keys(j, conds, NULL, "conditions", cause) < 0)
		return -1;
	char missing[64];
	snprintf(missing, sizeof missing, "is required for a %s rule", type);
	struct alert_parse p = { .prefix = "conditions", .missing = missing };
	return alert_schema_parse(j, conds, r, &p, cause);
}

/* prev/nprev: the same list of the rule before the edit (channel i keeps
 * masked secrets of prev[i]), or NULL/0. */
static int parse_channels(json_t *j, const char *name, size_t min, const struct alert_channel *prev,
			  size_t nprev, bool mask_ok, struct alert_channel *chs, size_t *n,
			  struct proto_cause *cause)
{
	*n = 0;
	if (j == NULL && min == 0)
		return 0;
	if (!json_is_array(j) || json_array_size(j) < min || json_array_size(j) > ALERT_MAX_CHANNELS)
		return proto_fail(cause, name, "must be an array of %zu to %d channels", min, ALERT_MAX_CHANNELS);
	for (size_t i = 0; i < json_array_size(j); i++) {
		if (alert_channel_parse_edit(json_array_get(j, i), i < nprev ? &prev[i] : NULL, mask_ok, &chs[i],
					     cause) < 0) {
			char prefix[48];
			snprintf(prefix, sizeof prefix, "%s[%zu]", name, i);
			return alert_schema_fail_prefix(cause, prefix);
		}
		*n = i + 1;
	}
	return 0;
}

static int rule_parse_fields(json_t *j, const struct alert_rule *prev, bool mask_ok, struct alert_rule *r,
			     struct proto_cause *cause)
{
	if (!json_is_object(j))
		return proto_fail(cause, "", "a rule must be a JSON object");
	if (alert_schema_check_keys(j, rule_fields, list_keys, "", cause) < 0)
		return -1;
	struct alert_parse p = { .prefix = "" };
	if (alert_schema_parse(j, rule_fields, r, &p, cause) < 0)
		return -1;
	if (parse_conditions(json_object_get(j, "conditions"), r, cause) < 0)
		return -1;
	if (r->labels[0] != '\0' && !alert_type_has_labels(r->type))
		return proto_fail(cause, "labels", "a %s rule is not about executions: leave labels out",
				  types[r->type].name);
	if (parse_channels(json_object_get(j, "channels"), "channels", 1, prev ? prev->channels : NULL,
			   prev ? prev->nchannels : 0, mask_ok, r->channels, &r->nchannels, cause) < 0)
		return -1;
	if (parse_channels(json_object_get(j, "escalation_channels"), "escalation_channels", 0,
			   prev ? prev->escalation : NULL, prev ? prev->nescalation : 0, mask_ok, r->escalation,
			   &r->nescalation, cause) < 0)
		return -1;
	return 0;
}

static int rule_parse(json_t *j, const struct alert_rule *prev, bool mask_ok, struct alert_rule *rule,
		      struct proto_cause *cause)
{
	memset(rule, 0, sizeof *rule);
	if (rule_parse_fields(j, prev, mask_ok, rule, cause) < 0) {
		alert_rule_clear(rule);
		return -1;
	}
	return 0;
}

int alert_rule_parse_edit(json_t *j, const struct alert_rule *prev, struct alert_rule *rule,
			  struct proto_cause *cause)
{
	return rule_parse(j, prev, false, rule, cause);
}

int alert_rule_parse(json_t *j, struct alert_rule *rule, struct proto_cause *cause)
{
	return rule_parse(j, NULL, false, rule, cause);
}

int alert_rule_parse_client(json_t *j, struct alert_rule *rule, struct proto_cause *cause)
{
	return rule_parse(j, NULL, true, rule, cause);
}

void alert_rule_clear(struct alert_rule *rule)
{
	for (size_t i = 0; i < rule->nchannels && i < ALERT_MAX_CHANNELS; i++)
		alert_channel_clear(&rule->channels[i]);
	for (size_t i = 0; i < rule->nescalation && i < ALERT_MAX_CHANNELS; i++)
		alert_channel_clear(&rule->escalation[i]);
	rule->nchannels = 0;
	rule->nescalation = 0;
}

void alert_rule_copy(struct alert_rule *dst, const struct alert_rule *src)
{
	*dst = *src;
	for (size_t i = 0; i < src->nchannels; i++)
		alert_channel_copy(&dst->channels[i], &src->channels[i]);
	for (size_t i = 0; i < src->nescalation; i++)
		alert_channel_copy(&dst->escalation[i], &src->escalation[i]);
}

/* ---- the JSON form ---------------------------------------------------------------------------------- */

static json_t *channels_json_new(const struct alert_channel *chs, size_t n, bool with_secrets)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, alert_channel_json_new(&chs[i], with_secrets));
	return a;
}

json_t *alert_rule_json_new(const struct alert_rule *r, bool with_secrets)
{
	json_t *o = json_object();
	alert_schema_write(o, rule_fields, r, with_secrets);
	json_t *c = json_object();
	if ((unsigned)r->type < ALERT__TYPE_COUNT)
		alert_schema_write(c, types[r->type].fields, r, with_secrets);
	json_object_set_new(o, "conditions", c);
	json_object_set_new(o, "channels", channels_json_new(r->channels, r->nchannels, with_secrets));
	json_object_set_new(o, "escalation_channels", channels_json_new(r->escalation, r->nescalation, with_secrets));
	return o;
}
