/* puts.c: the store's small writes that are not events (queue snapshots, the
 * daemon's resource samples, audit rows) and the database-connections sample.
 * Each runs inside storeq_run's transaction, with the organization set, so
 * row-level security checks every row. */
#include "store.h"
#include "store_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_record.h"
#include "alert_rule.h"
#include "schedule.h"
#include "pgconn.h"
#include "xalloc.h"

bool store_query_is_put(enum store_query_kind kind)
{
	return kind == STORE_Q_PUT_QUEUE_SNAPSHOT || kind == STORE_Q_PUT_DAEMON_SAMPLE ||
	       kind == STORE_Q_PUT_AUDIT || kind == STORE_Q_PUT_RULE || kind == STORE_Q_PUT_RULE_DELETE ||
	       kind == STORE_Q_PUT_ALERT || kind == STORE_Q_PUT_NOTIFY_ATTEMPT || kind == STORE_Q_PUT_ACTION_USE ||
	       kind == STORE_Q_PUT_SCHEDULE || kind == STORE_Q_PUT_SCHEDULE_DELETE;
}

static int run_insert(PGconn *c, const char *sql, int n, const char *const *values, json_t **result,
		      char *err, size_t errlen)
{
	PGresult *r = pgconn_query(c, sql, n, values, err, errlen);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	PQclear(r);
	*result = json_object();
	return 0;
}

/* The JSON text of v, or dflt when the field is absent. A fresh json_object()
 * as the fallback would have to be freed again; a literal needs nothing. */
static char *dump_or(json_t *v, const char *dflt)
{
	return v != NULL ? json_dumps(v, JSON_COMPACT) : xstrdup(dflt);
}

static char *num_text(json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.6g", json_real_value(v));
	else
		return NULL;
	return buf;
}

int storeq_put_queue_snapshot(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	char depth[32], processing[32], oldest[32], wait[32], rate[32];
	char *by = dump_or(json_object_get(p, "by_priority"), "{}");
	const char *v[6] = {
		num_text(json_object_get(p, "depth"), depth, sizeof depth) ?: "0",
		num_text(json_object_get(p, "processing"), processing, sizeof processing) ?: "0",
		by,
		num_text(json_object_get(p, "oldest_age_ms"), oldest, sizeof oldest),
		num_text(json_object_get(p, "avg_wait_ms"), wait, sizeof wait),
		num_text(json_object_get(p, "rate_per_min"), rate, sizeof rate),
	};
	int rc = run_insert(c,
			    "INSERT INTO queue_snapshots (org_id, pending_count, processing_count, "
			    "pending_by_priority, oldest_wait_ms, average_wait_ms, processing_rate_per_minute) "
			    "VALUES (current_setting('wfmon.org'), $1::int, $2::int, $3::jsonb, $4::bigint, "
			    "$5::bigint, $6::double precision)",
			    6, v, result, err, errlen);
	free(by);
	return rc;
}

int storeq_put_daemon_sample(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	char cpu[32], mem[32];
	char *tags = dump_or(json_object_get(p, "tags"), "{}");
	const char *v[3] = {
		num_text(json_object_get(p, "cpu_percent"), cpu, sizeof cpu) ?: "0",
		num_text(json_object_get(p, "memory_bytes"), mem, sizeof mem) ?: "0",
		tags,
	};
	int rc = run_insert(c,
			    "INSERT INTO resource_metrics (org_id, worker, source, cpu_percent, memory_bytes, tags) "
			    "VALUES (current_setting('wfmon.org'), 'wfmond', 'daemon', $1::double precision, "
			    "$2::bigint, $3::jsonb)",
			    3, v, result, err, errlen);
	free(tags);
	return rc;
}

int storeq_put_audit(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	const char *actor = json_string_value(json_object_get(p, "actor"));
	const char *action = json_string_value(json_object_get(p, "action"));
	if (actor == NULL || action == NULL) {
		snprintf(err, errlen, "an audit row needs an actor and an action");
		return STOREQ_BAD_PARAMS;
	}
	char *details = dump_or(json_object_get(p, "details"), "{}");
	const char *v[4] = { actor, action, json_string_value(json_object_get(p, "target")), details };
	int rc = run_insert(c,
			    "INSERT INTO audit_log (org_id, actor, action, target, details) "
			    "VALUES (current_setting('wfmon.org'), $1, $2, $3, $4::jsonb)",
			    4, v, result, err, errlen);
	free(details);
	return rc;
}

int storeq_put_rule(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	/* Read through the rule schema (secrets and all: they stay in the daemon's
	 * store), so that what the columns say is what the rule says. */
	struct alert_rule rule;
	struct proto_cause cause;
	if (alert_rule_parse(json_object_get(p, "rule"), &rule, &cause) < 0) {
		snprintf(err, errlen, "a rule to save: %s: %s", cause.field, cause.message);
		return STOREQ_BAD_PARAMS;
	}
	if (rule.id[0] == '\0') {
		alert_rule_clear(&rule);
		snprintf(err, errlen, "a rule to save needs its id");
		return STOREQ_BAD_PARAMS;
	}
	json_t *stored = alert_rule_json_new(&rule, true);
	char *rule_text = json_dumps(stored, JSON_COMPACT);
	char *cond_text = json_dumps(json_object_get(stored, "conditions"), JSON_COMPACT);
	char *chan_text = json_dumps(json_object_get(stored, "channels"), JSON_COMPACT);
	char cooldown[16];
	snprintf(cooldown, sizeof cooldown, "%d", rule.cooldown_s / 60);
	const char *by = json_string_value(json_object_get(p, "by"));
	const char *v[11] = {
		rule.id, rule.workflow_id[0] ? rule.workflow_id : NULL, alert_type_name(rule.type), rule.name,
		cond_text, chan_text, cooldown, rule.enabled ? "t" : "f", by ? by : "wfmond", rule_text,
		alert_severity_name(rule.severity),
	};
	int rc = run_insert(c,
			    "INSERT INTO monitoring_alerts (org_id, alert_id, workflow_id, alert_type, name, conditions, "
			    "notification_channels, cooldown_minutes, is_active, created_by, rule, severity, updated_by) "
			    "VALUES (current_setting('wfmon.org'), $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::int, $8::boolean, "
			    "$9, $10::jsonb, $11, $9) "
			    "ON CONFLICT (org_id, alert_id) DO UPDATE SET workflow_id = EXCLUDED.workflow_id, "
			    "alert_type = EXCLUDED.alert_type, name = EXCLUDED.name, conditions = EXCLUDED.conditions, "
			    "notification_channels = EXCLUDED.notification_channels, "
			    "cooldown_minutes = EXCLUDED.cooldown_minutes, is_active = EXCLUDED.is_active, "
			    "rule = EXCLUDED.rule, severity = EXCLUDED.severity, updated_at = now(), updated_by = $9",
			    11, v, result, err, errlen);
	free(rule_text);
	free(cond_text);
	free(chan_text);
	json_decref(stored);
	alert_rule_clear(&rule);
	return rc;
}

int storeq_put_rule_delete(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	const char *v[1] = { json_string_value(json_object_get(p, "rule_id")) };
	return run_insert(c, "DELETE FROM monitoring_alerts WHERE alert_id = $1", 1, v, result, err, errlen);
}

/* A schedule, read through its schema, kept as its JSON form. */
int storeq_put_schedule(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	struct schedule s;
	struct proto_cause cause;
	if (schedule_parse(json_object_get(p, "schedule"), &s, &cause) < 0) {
		snprintf(err, errlen, "a schedule to save: %s: %s", cause.field, cause.message);
		return STOREQ_BAD_PARAMS;
	}
	json_t *j = schedule_json_new(&s);
	char *text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	const char *by = json_string_value(json_object_get(p, "by"));
	const char *v[3] = { s.workflow_id, text, by ? by : "wfmond" };
	int rc = run_insert(c,
			    "INSERT INTO workflow_schedules (org_id, workflow_id, schedule, updated_by) "
			    "VALUES (current_setting('wfmon.org'), $1, $2::jsonb, $3) "
			    "ON CONFLICT (org_id, workflow_id) DO UPDATE SET schedule = excluded.schedule, "
			    "updated_at = now(), updated_by = excluded.updated_by",
			    3, v, result, err, errlen);
	free(text);
	return rc;
}

int storeq_put_schedule_delete(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	const char *v[1] = { json_string_value(json_object_get(p, "workflow_id")) };
	return run_insert(c, "DELETE FROM workflow_schedules WHERE workflow_id = $1", 1, v, result, err, errlen);
}

static const char *time_text(int64_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		return NULL;
	proto_time_format(ms, buf, len);
	return buf;
}

static const char *text_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

int storeq_put_alert(PGconn *c, json_t *a, json_t **result, char *err, size_t errlen)
{
	struct alert_record r;
	struct proto_cause cause;
	if (alert_record_parse(a, &r, &cause) < 0) {
		snprintf(err, errlen, "an alert to save: %s: %s", cause.field, cause.message);
		return STOREQ_BAD_PARAMS;
	}
	char id[32], esc[16], trig[40], ackt[40], rest[40], escat[40];
	snprintf(id, sizeof id, "%lld", (long long)r.id);
	snprintf(esc, sizeof esc, "%d", r.escalations);
	char *context = json_dumps(r.context, JSON_COMPACT);
	const char *v[19] = {
		id,
		r.rule_id,
		r.workflow_id,
		r.execution_id,
		alert_severity_name(r.severity),
		r.body,
		context,
		alert_state_name(r.state),
		text_or_null(r.acknowledged_by),
		time_text(r.acknowledged_ms, ackt, sizeof ackt),
		time_text(r.resolved_ms, rest, sizeof rest),
		time_text(r.triggered_ms, trig, sizeof trig),
		r.title,
		r.rule_name,
		r.ack_note,
		text_or_null(r.resolved_by),
		esc,
		time_text(r.escalated_ms, escat, sizeof escat),
		r.resolve_note,
	};
	int rc = run_insert(c,
			    "INSERT INTO alert_history (id, org_id, alert_id, workflow_id, execution_id, severity, message, "
			    "context, status, acknowledged_by, acknowledged_at, resolved_at, triggered_at, title, rule_name, "
			    "ack_note, resolved_by, escalations, escalated_at, resolve_note) VALUES ($1::bigint, "
			    "current_setting('wfmon.org'), $2, nullif($3, ''), nullif($4, ''), $5, coalesce($6, ''), "
			    "$7::jsonb, $8, $9, $10::timestamptz, $11::timestamptz, $12::timestamptz, coalesce($13, ''), "
			    "coalesce($14, ''), $15, $16, coalesce($17::int, 0), $18::timestamptz, $19) "
			    "ON CONFLICT (id) DO UPDATE SET severity = EXCLUDED.severity, status = EXCLUDED.status, "
			    "acknowledged_by = EXCLUDED.acknowledged_by, acknowledged_at = EXCLUDED.acknowledged_at, "
			    "resolved_at = EXCLUDED.resolved_at, ack_note = EXCLUDED.ack_note, "
			    "resolved_by = EXCLUDED.resolved_by, escalations = EXCLUDED.escalations, "
			    "escalated_at = EXCLUDED.escalated_at, resolve_note = EXCLUDED.resolve_note",
			    19, v, result, err, errlen);
	free(context);
	alert_record_clear(&r);
	return rc;
}

int storeq_put_notify_attempt(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	struct alert_delivery d;
	struct proto_cause cause;
	json_t *alert_id = json_object_get(p, "alert_id");
	if (!json_is_integer(alert_id) || alert_delivery_parse(p, &d, &cause) < 0) {
		snprintf(err, errlen, "a notification attempt needs alert_id and a delivery (%s: %s)",
			 json_is_integer(alert_id) ? cause.field : "alert_id",
			 json_is_integer(alert_id) ? cause.message : "must be an integer");
		return STOREQ_BAD_PARAMS;
	}
	char id[32], idx[16], att[16];
	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(alert_id));
	snprintf(idx, sizeof idx, "%d", d.channel_index);
	snprintf(att, sizeof att, "%d", d.attempt);
	const char *v[7] = {
		id, channel_type_name(d.channel), idx, att, d.ok ? "t" : "f", d.final ? "t" : "f", d.detail,
	};
	return run_insert(c,
			  "INSERT INTO notification_attempts (org_id, alert_history_id, channel_type, channel_index, "
			  "attempt, ok, final, detail) VALUES (current_setting('wfmon.org'), $1::bigint, $2, $3::int, "
			  "$4::int, $5::boolean, $6::boolean, coalesce($7, ''))",
			  7, v, result, err, errlen);
}

int storeq_put_action_use(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	const char *nonce = json_string_value(json_object_get(p, "nonce"));
	const char *action = json_string_value(json_object_get(p, "action"));
	const char *by = json_string_value(json_object_get(p, "by"));
	json_t *alert_id = json_object_get(p, "alert_id"), *exp = json_object_get(p, "exp_s");
	if (nonce == NULL || action == NULL || by == NULL || !json_is_integer(alert_id) || !json_is_integer(exp)) {
		snprintf(err, errlen, "an action link's use needs nonce, alert_id, action, by and exp_s");
		return STOREQ_BAD_PARAMS;
	}
	char id[32], until[32];
	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(alert_id));
	snprintf(until, sizeof until, "%lld", (long long)json_integer_value(exp));
	const char *v[5] = { nonce, id, action, by, until };
	/* A second use of one nonce (another daemon's, a replay after a restart
	 * that came before the first was stored) is the same fact: kept once. */
	return run_insert(c,
			  "INSERT INTO action_link_uses (org_id, nonce, alert_id, action, used_by, expires_at) "
			  "VALUES (current_setting('wfmon.org'), $1, $2::bigint, $3, $4, to_timestamp($5::bigint)) "
			  "ON CONFLICT DO NOTHING",
			  5, v, result, err, errlen);
}

int storeq_db_connections(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	(void)p;
	/* Other roles' sessions show their state only to pg_monitor members;
	 * without it they count in total but not as active or idle. */
	PGresult *r = pgconn_query(c,
				   "SELECT count(*) FILTER (WHERE state = 'active'), "
				   "count(*) FILTER (WHERE state LIKE 'idle%'), count(*), "
				   "current_setting('max_connections')::int "
				   "FROM pg_stat_activity WHERE backend_type = 'client backend'",
				   0, NULL, err, errlen);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	*result = json_pack("{s:I,s:I,s:I,s:I}", "active", (json_int_t)atoll(PQgetvalue(r, 0, 0)),
			    "idle", (json_int_t)atoll(PQgetvalue(r, 0, 1)),
			    "total", (json_int_t)atoll(PQgetvalue(r, 0, 2)),
			    "max", (json_int_t)atoll(PQgetvalue(r, 0, 3)));
	PQclear(r);
	return 0;
}
