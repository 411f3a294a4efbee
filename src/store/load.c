/* load.c: store_load_state: what the daemon reloads at start-up, read
 * organization by organization (each in its own transaction with wfmon.org
 * set, since the daemon's role sees nothing without one).
 *
 * Bounded: at most LOAD_EXECUTIONS active executions per organization (the
 * most recent), the LOAD_RECENT_FINISHED most recent finished ones, and
 * recent_ids event ids. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_record.h"
#include "pgconn.h"
#include "store_db.h"

#define LOAD_EXECUTIONS 1000
#define LOAD_RECENT_FINISHED 100   /* so that the dashboard shows recent runs after a restart */
#define LOAD_BATCH 250             /* executions read per round of queries */

/* Appends the full executions named in the first column of r, last row
 * first, LOAD_BATCH at a time (four queries per batch). */
static int load_list(PGconn *c, PGresult *r, json_t *list, char *cause, size_t causelen)
{
	const char *ids[LOAD_BATCH];
	int n = PQntuples(r);
	for (int done = 0; done < n;) {
		size_t k = 0;
		for (; k < LOAD_BATCH && done < n; k++, done++)
			ids[k] = PQgetvalue(r, n - 1 - done, 0);
		if (storeq_executions_full(c, ids, k, list, cause, causelen) != 0)
			return -1;
	}
	return 0;
}

/* A time column as ms since the epoch, 0 when NULL. */
#define LOAD_MS(col) "coalesce((extract(epoch FROM " col ") * 1000)::bigint, 0)"

static int64_t col_ms(PGresult *r, int row, int col)
{
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static char *col_text(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* One alert_history row in the record's JSON form (alert_record.h): the
 * daemon reads it back with alert_record_parse. The table holds what the
 * daemon wrote; a severity or state it does not know (edited by hand) reads
 * as warning and active, so that the alert is still shown. */
static json_t *alert_row_json_new(PGresult *r, int i)
{
	struct alert_record a;
	alert_record_init(&a);
	a.id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	snprintf(a.rule_id, sizeof a.rule_id, "%s", PQgetvalue(r, i, 1));
	snprintf(a.rule_name, sizeof a.rule_name, "%s", PQgetvalue(r, i, 2));
	snprintf(a.workflow_id, sizeof a.workflow_id, "%s", PQgetvalue(r, i, 3));
	snprintf(a.execution_id, sizeof a.execution_id, "%s", PQgetvalue(r, i, 4));
	if (alert_severity_parse(PQgetvalue(r, i, 5), &a.severity) < 0)
		a.severity = SEV_WARNING;
	int st = -1;
	for (int k = 0; k < ALERT__STATE_COUNT && st < 0; k++)
		if (strcmp(alert_state_name((enum alert_state)k), PQgetvalue(r, i, 6)) == 0)
			st = k;
	a.state = st >= 0 ? (enum alert_state)st : ALERT_ACTIVE;
	alert_record_set_text(&a.title, PQgetvalue(r, i, 7), ALERT_TITLE_MAX);
	alert_record_set_text(&a.body, PQgetvalue(r, i, 8), ALERT_BODY_MAX);
	json_t *ctx = storeq_parse_json(PQgetvalue(r, i, 9));
	if (json_is_object(ctx)) {
		json_decref(a.context);
		a.context = ctx;
	} else {
		json_decref(ctx);
	}
	a.triggered_ms = col_ms(r, i, 10);
	snprintf(a.acknowledged_by, sizeof a.acknowledged_by, "%s", PQgetvalue(r, i, 11));
	a.acknowledged_ms = col_ms(r, i, 12);
	alert_record_set_text(&a.ack_note, col_text(r, i, 13), PROTO_MAX_TEXT);
	snprintf(a.resolved_by, sizeof a.resolved_by, "%s", PQgetvalue(r, i, 14));
	a.resolved_ms = col_ms(r, i, 15);
	alert_record_set_text(&a.resolve_note, col_text(r, i, 16), PROTO_MAX_TEXT);
	a.escalations = atoi(PQgetvalue(r, i, 17));
	a.escalated_ms = col_ms(r, i, 18);
	json_t *j = alert_record_json_new(&a, false);
	alert_record_clear(&a);
	return j;
}

/* Rules (with their secrets: they stay in the daemon), the alerts worth
 * showing, and when each (rule, workflow) last fired, for the cooldown. */
static int load_alerts(PGconn *c, json_t *o, char *cause, size_t causelen)
{
	PGresult *r = pgconn_query(c, "SELECT rule FROM monitoring_alerts ORDER BY created_at", 0, NULL, cause,
				   causelen);
	if (r == NULL)
		return -1;
	json_t *rules = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(rules, storeq_parse_json(PQgetvalue(r, i, 0)));
	PQclear(r);
	json_object_set_new(o, "rules", rules);

	r = pgconn_query(c,
			 "SELECT id, alert_id, rule_name, coalesce(workflow_id, ''), coalesce(execution_id, ''), "
			 "severity, status, title, message, context, " LOAD_MS("triggered_at") ", "
			 "coalesce(acknowledged_by, ''), " LOAD_MS("acknowledged_at") ", ack_note, "
			 "coalesce(resolved_by, ''), " LOAD_MS("resolved_at") ", resolve_note, escalations, "
			 LOAD_MS("escalated_at") " "
			 "FROM (SELECT * FROM alert_history WHERE status <> 'resolved' "
			 "UNION ALL (SELECT * FROM alert_history WHERE status = 'resolved' "
			 "ORDER BY triggered_at DESC LIMIT 50)) a ORDER BY triggered_at, id",
			 0, NULL, cause, causelen);
	if (r == NULL)
		return -1;
	json_t *alerts = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(alerts, alert_row_json_new(r, i));
	PQclear(r);
	json_object_set_new(o, "alerts", alerts);

	r = pgconn_query(c,
			 "SELECT alert_id, coalesce(workflow_id, ''), "
			 "(extract(epoch FROM max(triggered_at)) * 1000)::bigint FROM alert_history GROUP BY 1, 2",
			 0, NULL, cause, causelen);
	if (r == NULL)
		return -1;
	json_t *cool = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(cool, json_pack("{s:s,s:s,s:I}", "rule_id", PQgetvalue(r, i, 0),
						      "workflow_id", PQgetvalue(r, i, 1), "fired_ms",
						      (json_int_t)strtoll(PQgetvalue(r, i, 2), NULL, 10)));
	PQclear(r);
	json_object_set_new(o, "cooldowns", cool);

	/* Action links already used and not yet expired: still refused. */
	r = pgconn_query(c,
			 "SELECT nonce, extract(epoch FROM expires_at)::bigint FROM action_link_uses "
			 "WHERE expires_at > now()",
			 0, NULL, cause, causelen);
	if (r == NULL)
		return -1;
	json_t *used = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(used, json_pack("{s:s,s:I}", "nonce", PQgetvalue(r, i, 0), "exp_s",
						      (json_int_t)strtoll(PQgetvalue(r, i, 1), NULL, 10)));
	PQclear(r);
	json_object_set_new(o, "action_uses", used);
	return 0;
}

/* What the summary's failed_unhandled starts from (org_summary.h, summary.h):
 * the failed executions no later run of their workflow has made good and
 * no resolved alert has handled, newest first and at most ATTENTION_LOAD,
 * and each workflow's latest start of a completed run. A run starts at its
 * start time, else its queued time, else its first event. */
#define ATTENTION_LOAD 10000
#define RUN_START "coalesce(started_at, queued_at, first_seen)"

static int load_attention(PGconn *c, json_t *o, char *cause, size_t causelen)
{
	PGresult *r = pgconn_query(c,
				   "SELECT workflow_id, (extract(epoch FROM max(" RUN_START ")) * 1000)::bigint "
				   "FROM workflow_executions WHERE status = 'completed' GROUP BY workflow_id",
				   0, NULL, cause, causelen);
	if (r == NULL)
		return -1;
	json_t *ok = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(ok, json_pack("{s:s,s:I}", "workflow_id", PQgetvalue(r, i, 0), "start_ms",
						    (json_int_t)col_ms(r, i, 1)));
	PQclear(r);
	char lim[32];
	snprintf(lim, sizeof lim, "%d", ATTENTION_LOAD);
	const char *p[] = { lim };
	r = pgconn_query(c,
			 "WITH ok AS (SELECT workflow_id, max(" RUN_START ") AS start FROM workflow_executions "
			 "WHERE status = 'completed' GROUP BY workflow_id) "
			 "SELECT x.execution_id, x.workflow_id, "
			 LOAD_MS("coalesce(x.finished_at, x.last_heartbeat)") " "
			 "FROM workflow_executions x LEFT JOIN ok USING (workflow_id) "
			 "WHERE x.status = 'failed' "
			 "AND (ok.start IS NULL OR coalesce(x.finished_at, x.last_heartbeat) >= ok.start) "
			 "AND NOT EXISTS (SELECT 1 FROM alert_history a WHERE a.execution_id = x.execution_id "
			 "AND a.status = 'resolved') "
			 "ORDER BY coalesce(x.finished_at, x.last_heartbeat) DESC LIMIT $1::integer",
			 1, p, cause, causelen);
	if (r == NULL) {
		json_decref(ok);
		return -1;
	}
	json_t *failed = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(failed, json_pack("{s:s,s:s,s:I}", "execution_id", PQgetvalue(r, i, 0),
							"workflow_id", PQgetvalue(r, i, 1), "failed_ms",
							(json_int_t)col_ms(r, i, 2)));
	PQclear(r);
	json_object_set_new(o, "attention", json_pack("{s:o,s:o}", "succeeded", ok, "failed", failed));
	return 0;
}

/* Schedules, and what each scheduled workflow did last, so that a restart
 * judges its expected runs as the daemon before it did. */
static int load_schedules(PGconn *c, json_t *o, char *cause, size_t causelen)
{
	PGresult *r = pgconn_query(c, "SELECT schedule FROM workflow_schedules ORDER BY workflow_id", 0, NULL, cause,
				   causelen);
	if (r == NULL)
		return -1;
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(list, storeq_parse_json(PQgetvalue(r, i, 0)));
	PQclear(r);
	json_object_set_new(o, "schedules", list);
	r = pgconn_query(c,
			 "SELECT s.workflow_id, " LOAD_MS("(SELECT max(started_at) FROM workflow_executions x "
			 "  WHERE x.workflow_id = s.workflow_id AND x.started_at IS NOT NULL)") ", "
			 LOAD_MS("(SELECT max(finished_at) FROM workflow_executions x WHERE x.workflow_id = s.workflow_id "
			 "  AND x.status = 'completed')") ", "
			 LOAD_MS("(SELECT max(finished_at) FROM workflow_executions x WHERE x.workflow_id = s.workflow_id "
			 "  AND x.status IN ('failed', 'cancelled'))") " "
			 "FROM workflow_schedules s", 0, NULL, cause, causelen);
	if (r == NULL)
		return -1;
	json_t *runs = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(runs, json_pack("{s:s,s:I,s:I,s:I}", "workflow_id", PQgetvalue(r, i, 0),
						      "last_started_ms", (json_int_t)col_ms(r, i, 1), "last_completed_ms",
						      (json_int_t)col_ms(r, i, 2), "last_failed_ms",
						      (json_int_t)col_ms(r, i, 3)));
	PQclear(r);
	json_object_set_new(o, "workflow_runs", runs);
	return 0;
}

/* The ids of the (at most) n events with the highest positions up to
 * max_pos, oldest first. The positions have no btree (0016): the events
 * above max_pos - span are read through the BRIN index on pos, the span
 * widening until n are found or it covers every position (positions are
 * nearly dense: each accepted event takes the next one). */
static json_t *load_recent_ids(PGconn *c, int64_t max_pos, size_t n, char *cause, size_t causelen)
{
	char lim[32], from[32];
	snprintf(lim, sizeof lim, "%zu", n);
	const char *p[] = {lim, from};
	int64_t span = (int64_t)n + 1000;
	for (;;) {
		snprintf(from, sizeof from, "%lld", (long long)(max_pos > span ? max_pos - span : 0));
		PGresult *r = pgconn_query(c, "SELECT event_id FROM (SELECT event_id, pos FROM execution_events "
					      "WHERE pos > $2::bigint ORDER BY pos DESC LIMIT $1::bigint) t ORDER BY pos",
					   2, p, cause, causelen);
		if (r == NULL)
			return NULL;
		if ((size_t)PQntuples(r) < n && span < max_pos) {
			PQclear(r);
			span *= 4;
			continue;
		}
		json_t *ids = json_array();
		for (int i = 0; i < PQntuples(r); i++)
			json_array_append_new(ids, json_string(PQgetvalue(r, i, 0)));
		PQclear(r);
		return ids;
	}
}

static json_t *load_org(PGconn *c, const char *org, size_t recent_ids, char *cause, size_t causelen)
{
	if (pgconn_begin_org(c, org, cause, causelen) != 0)
		return NULL;
	json_t *o = json_pack("{s:s}", "org", org);
	PGresult *r = pgconn_query(c, "SELECT coalesce((SELECT max_pos FROM event_positions), 0)", 0, NULL,
				   cause, causelen);
	if (r == NULL)
		goto fail;
	int64_t max_pos = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	json_object_set_new(o, "max_pos", json_integer(max_pos));
	PQclear(r);
	json_t *ids = load_recent_ids(c, max_pos, recent_ids, cause, causelen);
	if (ids == NULL)
		goto fail;
	json_object_set_new(o, "recent_event_ids", ids);

	char lim[32];
	const char *p[] = {lim};
	/* Oldest first: the daemon puts each one in front of the last. */
	json_t *list = json_array();
	json_object_set_new(o, "executions", list);
	snprintf(lim, sizeof lim, "%d", LOAD_RECENT_FINISHED);
	r = pgconn_query(c, "SELECT execution_id FROM workflow_executions "
			    "WHERE status NOT IN ('queued', 'running') ORDER BY sort_at DESC LIMIT $1::integer",
			 1, p, cause, causelen);
	if (r == NULL)
		goto fail;
	int rc = load_list(c, r, list, cause, causelen);
	PQclear(r);
	if (rc != 0)
		goto fail;
	snprintf(lim, sizeof lim, "%d", LOAD_EXECUTIONS);
	r = pgconn_query(c, "SELECT execution_id FROM workflow_executions "
			    "WHERE status IN ('queued', 'running') ORDER BY sort_at DESC LIMIT $1::integer",
			 1, p, cause, causelen);
	if (r == NULL)
		goto fail;
	rc = load_list(c, r, list, cause, causelen);
	PQclear(r);
	if (rc != 0)
		goto fail;
	if (load_alerts(c, o, cause, causelen) != 0 || load_attention(c, o, cause, causelen) != 0 ||
	    load_schedules(c, o, cause, causelen) != 0)
		goto fail;
	if (pgconn_commit(c, cause, causelen) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
fail:
	pgconn_rollback(c);
	json_decref(o);
	return NULL;
}

json_t *store_load_state(const char *conninfo, size_t recent_ids, char *cause, size_t causelen)
{
	char why[200];
	PGconn *c = pgconn_connect_once(conninfo, why, sizeof why);
	if (c == NULL) {
		snprintf(cause, causelen, "cannot connect to PostgreSQL: %s", why);
		return NULL;
	}
	json_t *orgs = storew_known_orgs(c, why, sizeof why);
	if (orgs == NULL) {
		snprintf(cause, causelen, "cannot list organizations: %s", why);
		PQfinish(c);
		return NULL;
	}
	json_t *out = json_array();
	size_t i;
	json_t *org;
	json_array_foreach(orgs, i, org) {
		json_t *o = load_org(c, json_string_value(org), recent_ids, why, sizeof why);
		if (o == NULL) {
			snprintf(cause, causelen, "cannot load organization %s: %s", json_string_value(org), why);
			json_decref(out);
			out = NULL;
			break;
		}
		json_array_append_new(out, o);
	}
	json_decref(orgs);
	PQfinish(c);
	return out ? json_pack("{s:o}", "orgs", out) : NULL;
}
