/* test_metrics.c: performance metrics end to end against a real wfmond and a
 * real PostgreSQL: the specification's cases over WebSocket and HTTP, a
 * period cut into rollups and raw minutes (checked against percentile_disc
 * over the raw rows), rollups that outlive the raw rows retention deleted,
 * migration 0005 building rollups for history stored before it, the
 * performance_degraded rule firing once within its cooldown, a retried
 * success counted once in the rollups, organizations
 * kept apart (row-level security), bad input, Prometheus series, and
 * `wfmon metrics` as CSV and JSON checked field by field. One cluster and
 * one daemon for the file, in temp folders removed at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "pg.h"
#include "proto.h"

static struct pgtest PG;
static struct daemon D;
static char spool[300];
static const char *args[32];
static long long T0;   /* the tests' "now", fixed at set-up */

static long long wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (pgtest_start(&PG) < 0)
		return -1;
	snprintf(spool, sizeof spool, "%s/spool", PG.dir);
	int n = pgtest_daemon_args(&PG, spool, args);
	args[n++] = "--metrics-rollup-interval";
	args[n++] = "1";
	args[n++] = "--degradation-check-interval";
	args[n++] = "1";
	args[n++] = "--degradation-window-hours";
	args[n++] = "2";
	/* Raw history goes after 5 days; rollups stay 400. */
	args[n++] = "--retention-events-days";
	args[n++] = "5";
	args[n++] = "--retention-metrics-days";
	args[n++] = "5";
	args[n] = NULL;
	T0 = wall_ms();
	return daemon_start(&D, args);
}

static int teardown(void **state)
{
	(void)state;
	daemon_stop(&D);
	pgtest_destroy(&PG);
	return 0;
}

/* ---- publishing ----------------------------------------------------------------------- */

static void add(json_t *batch, const char *kind, const char *id, const char *exec, const char *wf, long long ts,
		json_t *extra)
{
	char t[40];
	proto_time_format(ts, t, sizeof t);
	json_t *e = extra ? extra : json_object();
	json_object_set_new(e, "type", json_string(kind));
	json_object_set_new(e, "id", json_string(id));
	json_object_set_new(e, "execution_id", json_string(exec));
	json_object_set_new(e, "workflow_id", json_string(wf));
	json_object_set_new(e, "ts", json_string(t));
	json_array_append_new(batch, e);
}

/* One execution of wf: queued 50 ms before it starts, one step taking half
 * its time, then the outcome ("completed", "failed" or "cancelled"). */
static void run(json_t *batch, const char *exec, const char *wf, const char *name, long long start, long long dur,
		const char *outcome)
{
	char id[96];
	snprintf(id, sizeof id, "%s-q", exec);
	add(batch, "execution.queued", id, exec, wf, start - 50,
	    json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "workflow_name", name, "priority", "NORMAL", "steps", "id", "work",
		      "name", "Do the work"));
	snprintf(id, sizeof id, "%s-s", exec);
	add(batch, "execution.started", id, exec, wf, start, NULL);
	snprintf(id, sizeof id, "%s-ss", exec);
	add(batch, "step.started", id, exec, wf, start, json_pack("{s:s}", "step_id", "work"));
	snprintf(id, sizeof id, "%s-sc", exec);
	add(batch, "step.completed", id, exec, wf, start + dur / 2,
	    json_pack("{s:s,s:I}", "step_id", "work", "duration_ms", (json_int_t)(dur / 2)));
	char kind[40];
	snprintf(kind, sizeof kind, "execution.%s", outcome);
	snprintf(id, sizeof id, "%s-e", exec);
	add(batch, kind, id, exec, wf, start + dur,
	    strcmp(outcome, "failed") == 0 ? json_pack("{s:s}", "error", "boom") : NULL);
}

static void publish_batch(const char *org, json_t *batch)
{
	char *pt = daemon_token(&D, org, "engine", "producer");
	struct wsc *p = client_open(&D, pt);
	assert_non_null(p);
	for (size_t i = 0; i < json_array_size(batch); i += 500) {
		json_t *part = json_array();
		for (size_t k = i; k < i + 500 && k < json_array_size(batch); k++)
			json_array_append(part, json_array_get(batch, k));
		char *text = json_dumps(part, JSON_COMPACT);
		json_t *ack = client_publish(p, text);
		if (json_integer_value(json_object_get(ack, "rejected")) != 0)
			fail_msg("rejected: %s", json_dumps(ack, 0));
		json_decref(ack);
		free(text);
		json_decref(part);
	}
	wsc_free(p);
	free(pt);
	json_decref(batch);
}

/* ---- asking ------------------------------------------------------------------------------- */

static json_t *ask_ws(const char *org, const char *role, const char *params_json)
{
	char *t = daemon_token(&D, org, "ann", role);
	struct wsc *c = client_open(&D, t);
	assert_non_null(c);
	char *req;
	assert_true(asprintf(&req, "{\"type\":\"query\",\"id\":\"m\",\"query\":\"metrics\",\"params\":%s}",
			     params_json) > 0);
	assert_int_equal(client_send(c, req), 0);
	json_t *m;
	while ((m = client_recv(c, 20000)) != NULL &&
	       strcmp(json_string_value(json_object_get(m, "id")) ?: "", "m") != 0)
		json_decref(m);
	free(req);
	wsc_free(c);
	free(t);
	assert_non_null(m);
	return m;
}

/* The data of a successful answer (new reference). */
static json_t *metrics_ok(const char *org, const char *params_json)
{
	json_t *m = ask_ws(org, "viewer", params_json);
	if (strcmp(jstr(m, "type"), "result") != 0)
		fail_msg("%s: %s", params_json, json_dumps(m, 0));
	json_t *d = json_incref(json_object_get(m, "data"));
	json_decref(m);
	return d;
}

static long long inum(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		fail_msg("%s is not a number", key);
	return (long long)llround(json_number_value(v));
}

static json_t *workflow_row(json_t *d, const char *id)
{
	size_t i;
	json_t *w;
	json_array_foreach(json_object_get(d, "workflows"), i, w)
		if (strcmp(jstr(w, "id"), id) == 0)
			return w;
	return NULL;
}

/* ---- the specification's cases ----------------------------------------------------------------- */

static void publish_spec(void)
{
	json_t *b = json_array();
	for (int i = 1; i <= 10; i++) {
		char x[32];
		snprintf(x, sizeof x, "dc-%d", i);
		run(b, x, "document-classification", "Document classification", T0 - 600000 + i * 1000, 100 * i,
		    i <= 8 ? "completed" : "failed");
	}
	publish_batch("spec", b);
}

static void check_spec(json_t *s)
{
	assert_int_equal(inum(s, "runs"), 10);
	assert_int_equal(inum(s, "completed"), 8);
	assert_int_equal(inum(s, "failed"), 2);
	assert_true(json_number_value(json_object_get(s, "success_rate")) == 80.0);
	assert_int_equal(inum(s, "p50_ms"), 500);
	assert_int_equal(inum(s, "p95_ms"), 1000);
	assert_int_equal(inum(s, "p99_ms"), 1000);
	assert_int_equal(inum(s, "avg_ms"), 550);
	assert_int_equal(inum(s, "min_ms"), 100);
	assert_int_equal(inum(s, "max_ms"), 1000);
	assert_int_equal(inum(s, "avg_wait_ms"), 50);
}

static void test_spec_cases(void **state)
{
	(void)state;
	publish_spec();
	/* Over the protocol, by id and by name. */
	json_t *d = metrics_ok("spec", "{\"workflow\":\"document-classification\",\"range\":\"24h\"}");
	check_spec(json_object_get(d, "summary"));
	assert_string_equal(jstr(json_object_get(d, "workflow"), "name"), "Document classification");
	/* The step: 10 runs of 50..500 ms. */
	json_t *st = json_array_get(json_object_get(d, "steps"), 0);
	assert_string_equal(jstr(st, "step_id"), "work");
	assert_string_equal(jstr(st, "name"), "Do the work");
	assert_int_equal(inum(st, "runs"), 10);
	assert_int_equal(inum(st, "p50_ms"), 250);
	assert_int_equal(inum(st, "p95_ms"), 500);
	/* The trend's hour holding them has the same figures. */
	long long runs = 0;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(d, "trend"), i, p)
		runs += inum(p, "runs");
	assert_int_equal(runs, 10);
	json_decref(d);
	d = metrics_ok("spec", "{\"workflow\":\"Document classification\",\"range\":\"1h\"}");
	check_spec(json_object_get(d, "summary"));
	assert_string_equal(jstr(d, "bucket"), "1m");
	json_decref(d);
	/* Over HTTP, with the same token rules. */
	char *vt = daemon_token(&D, "spec", "ann", "viewer");
	char req[4096], body[65536];
	snprintf(req, sizeof req, "GET /v1/metrics?workflow=document-classification&range=7d HTTP/1.1\r\n"
				  "Host: x\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n", vt);
	assert_int_equal(http_raw(&D, req, body, sizeof body), 200);
	json_t *h = json_loads(body, 0, NULL);
	assert_non_null(h);
	check_spec(json_object_get(h, "summary"));
	assert_int_equal(inum(h, "points"), 168);
	json_decref(h);
	/* Producers may not read them. */
	char *pt = daemon_token(&D, "spec", "engine", "producer");
	snprintf(req, sizeof req, "GET /v1/metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
				  "Connection: close\r\n\r\n", pt);
	assert_int_equal(http_raw(&D, req, body, sizeof body), 403);
	json_t *m = ask_ws("spec", "producer", "{}");
	assert_string_equal(jstr(m, "code"), "forbidden");
	json_decref(m);
	free(vt);
	free(pt);
}

/* ---- rollups and raw minutes ------------------------------------------------------------------- */

static long long sql_value(const char *org, const char *select)
{
	char sql[4096];
	snprintf(sql, sizeof sql, "SELECT set_config('wfmon.org', '%s', false); %s", org, select);
	return pgtest_value(PG.app, sql);
}

static void test_rollups_and_raw_minutes(void **state)
{
	(void)state;
	/* 80 executions over five hours, 3.5 minutes apart, of growing durations. */
	json_t *b = json_array();
	long long base = T0 - 5 * 3600000LL;
	for (int i = 0; i < 80; i++) {
		char x[32];
		snprintf(x, sizeof x, "span-%d", i);
		run(b, x, "monthly-close", "Monthly close", base + i * 210000LL, 1000 + 37LL * i * i,
		    i % 9 == 0 ? "failed" : i % 23 == 0 ? "cancelled" : "completed");
	}
	publish_batch("span", b);
	/* From 4 h 17 min to 43 min ago in 1-minute buckets: the whole hours come
	 * from rollups, the minutes at both ends from the facts. */
	char from[40], to[40], params[256];
	long long a = T0 - 4 * 3600000LL - 17 * 60000LL, z = T0 - 43 * 60000LL;
	a -= a % 60000;
	z -= z % 60000;
	proto_time_format(a, from, sizeof from);
	proto_time_format(z, to, sizeof to);
	snprintf(params, sizeof params, "{\"from\":\"%s\",\"to\":\"%s\",\"bucket\":\"1m\"}", from, to);
	json_t *d = metrics_ok("span", params);
	json_t *s = json_object_get(d, "summary");
	/* The same counted straight from the raw rows, with percentile_disc. */
	char where[512], sql[2048];
	snprintf(where, sizeof where,
		 "FROM workflow_executions WHERE finished_at >= timestamptz 'epoch' + %lld * interval '1 ms' "
		 "AND finished_at < timestamptz 'epoch' + %lld * interval '1 ms'", a, z);
	snprintf(sql, sizeof sql, "SELECT count(*) %s", where);
	assert_int_equal(inum(s, "runs"), sql_value("span", sql));
	snprintf(sql, sizeof sql, "SELECT count(*) %s AND status = 'failed'", where);
	assert_int_equal(inum(s, "failed"), sql_value("span", sql));
	static const char *const ps[][2] = { { "0.5", "p50_ms" }, { "0.95", "p95_ms" }, { "0.99", "p99_ms" } };
	for (int k = 0; k < 3; k++) {
		snprintf(sql, sizeof sql,
			 "SELECT percentile_disc(%s) WITHIN GROUP (ORDER BY floor(extract(epoch FROM finished_at - "
			 "started_at) * 1000)) %s AND status IN ('completed', 'failed')", ps[k][0], where);
		long long exact = sql_value("span", sql), got = inum(s, ps[k][1]);
		assert_true(exact > 0);
		if (llabs(got - exact) > exact / 100)
			fail_msg("%s: %lld, percentile_disc %lld", ps[k][1], got, exact);
	}
	/* Every minute bucket of the trend adds up to the summary. */
	long long runs = 0;
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(d, "trend"), i, p)
		runs += inum(p, "runs");
	assert_int_equal(runs, inum(s, "runs"));
	assert_int_equal(json_array_size(json_object_get(d, "trend")), (z - a) / 60000);
	json_decref(d);
}

/* ---- retention ----------------------------------------------------------------------------------- */

static void test_rollups_outlive_raw_history(void **state)
{
	(void)state;
	/* Twelve executions ten days ago: past the raw history's five days. */
	json_t *b = json_array();
	long long base = T0 - 10 * 86400000LL;
	for (int i = 0; i < 12; i++) {
		char x[32];
		snprintf(x, sizeof x, "old-%d", i);
		run(b, x, "annual-audit", "Annual audit", base + i * 60000LL, 2000 + 1000LL * i, "completed");
	}
	publish_batch("old", b);
	/* Rolled up at once (a query brings the rollups up to date first). */
	json_t *d = metrics_ok("old", "{\"workflow\":\"annual-audit\",\"range\":\"30d\"}");
	assert_int_equal(inum(json_object_get(d, "summary"), "runs"), 12);
	json_decref(d);
	/* Retention removes the raw rows (its first pass comes within a minute)... */
	long long end = mono_ms() + 120000;
	while (mono_ms() < end && sql_value("old", "SELECT count(*) FROM workflow_executions") != 0)
		usleep(200000);
	assert_int_equal(sql_value("old", "SELECT count(*) FROM workflow_executions"), 0);
	assert_int_equal(sql_value("old", "SELECT count(*) FROM execution_metrics"), 0);
	/* ...the figures stay. */
	d = metrics_ok("old", "{\"workflow\":\"annual-audit\",\"range\":\"30d\",\"bucket\":\"1d\"}");
	json_t *s = json_object_get(d, "summary");
	assert_int_equal(inum(s, "runs"), 12);
	assert_int_equal(inum(s, "p50_ms"), 7000);
	assert_int_equal(inum(s, "max_ms"), 13000);
	json_decref(d);
}

/* ---- retries ----------------------------------------------------------------------------------- */

/* One attempt's end: its step and the execution, both of `outcome`. */
static void attempt_end(json_t *b, const char *exec, int attempt, long long start, const char *outcome)
{
	char id[64], kind[40];
	snprintf(id, sizeof id, "%s-%d-s", exec, attempt);
	add(b, "execution.started", id, exec, "payroll", start, json_pack("{s:i}", "attempt", attempt));
	snprintf(id, sizeof id, "%s-%d-ss", exec, attempt);
	add(b, "step.started", id, exec, "payroll", start, json_pack("{s:s,s:i}", "step_id", "pay", "attempt", attempt));
	snprintf(kind, sizeof kind, "step.%s", outcome);
	snprintf(id, sizeof id, "%s-%d-sf", exec, attempt);
	bool failed = strcmp(outcome, "failed") == 0;
	json_t *step = json_pack("{s:s,s:i,s:i}", "step_id", "pay", "attempt", attempt, "duration_ms", 400);
	json_t *exe = json_pack("{s:i}", "attempt", attempt);
	if (failed) {
		json_object_set_new(step, "error", json_string("bank file refused"));
		json_object_set_new(exe, "error", json_string("bank file refused"));
	}
	add(b, kind, id, exec, "payroll", start + 400, step);
	snprintf(kind, sizeof kind, "execution.%s", outcome);
	snprintf(id, sizeof id, "%s-%d-e", exec, attempt);
	add(b, kind, id, exec, "payroll", start + 500, exe);
}

/* A failed attempt rolled up before its retry succeeded: the rollups then
 * hold one success and no failure, for the execution and for its step (the
 * rows themselves, not only the answers), and nothing is left to take out. */
static void test_retried_success_counts_once_in_rollups(void **state)
{
	(void)state;
	long long start = T0 - 3 * 3600000LL;
	json_t *b = json_array();
	add(b, "execution.queued", "rt-q", "rt-1", "payroll", start - 100,
	    json_pack("{s:s,s:s}", "workflow_name", "Payroll", "priority", "NORMAL"));
	attempt_end(b, "rt-1", 1, start, "failed");
	publish_batch("retry", b);
	/* A query rolls the failure up. */
	json_t *d = metrics_ok("retry", "{\"workflow\":\"payroll\",\"range\":\"24h\"}");
	assert_int_equal(inum(json_object_get(d, "summary"), "failed"), 1);
	json_decref(d);
	const char *rows = "SELECT coalesce(sum(%s), -1) FROM metric_rollups WHERE span_hours = 1 AND step_id = '%s' "
			   "AND workflow_id = 'payroll'";
	char sql[512];
	snprintf(sql, sizeof sql, rows, "failed", "");
	assert_int_equal(sql_value("retry", sql), 1);
	snprintf(sql, sizeof sql, rows, "failed", "pay");
	assert_int_equal(sql_value("retry", sql), 1);

	/* The retry succeeds ten minutes later. */
	b = json_array();
	attempt_end(b, "rt-1", 2, start + 600000, "completed");
	publish_batch("retry", b);
	d = metrics_ok("retry", "{\"workflow\":\"payroll\",\"range\":\"24h\"}");
	json_t *s = json_object_get(d, "summary");
	assert_int_equal(inum(s, "runs"), 1);
	assert_int_equal(inum(s, "completed"), 1);
	assert_int_equal(inum(s, "failed"), 0);
	assert_true(json_number_value(json_object_get(s, "success_rate")) == 100.0);
	assert_int_equal(inum(s, "max_ms"), 500);
	json_t *step = json_array_get(json_object_get(d, "steps"), 0);
	assert_non_null(step);
	assert_int_equal(inum(step, "completed"), 1);
	assert_int_equal(inum(step, "failed"), 0);
	json_decref(d);
	static const char *const cols[][3] = {
		{ "failed", "", "0" }, { "completed", "", "1" }, { "duration_count", "", "1" },
		{ "failed", "pay", "0" }, { "completed", "pay", "1" }, { "duration_count", "pay", "1" },
	};
	for (size_t k = 0; k < sizeof cols / sizeof cols[0]; k++) {
		snprintf(sql, sizeof sql, rows, cols[k][0], cols[k][1]);
		if (sql_value("retry", sql) != atoll(cols[k][2]))
			fail_msg("%s of step '%s': %lld, expected %s", cols[k][0], cols[k][1], sql_value("retry", sql),
				 cols[k][2]);
	}
	/* The organization's own row and the coarser levels agree. */
	assert_int_equal(sql_value("retry", "SELECT sum(failed) FROM metric_rollups WHERE step_id = ''"), 0);
	assert_int_equal(sql_value("retry", "SELECT sum(completed) FROM metric_rollups WHERE step_id = '' "
					    "AND workflow_id = ''"), 4);   /* hour, day, week, four weeks */
	assert_int_equal(sql_value("retry", "SELECT count(*) FROM metric_rollup_retractions"), 0);
}

/* ---- degradation ------------------------------------------------------------------------------------ */

static int count_alerts(json_t *snapshot, const char *rule_id)
{
	int n = 0;
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(snapshot, "alerts"), i, a)
		n += strcmp(jstr(a, "rule_id"), rule_id) == 0;
	return n;
}

static void test_degradation_fires_once(void **state)
{
	(void)state;
	/* A baseline of 40 one-second runs two to six days ago... */
	json_t *b = json_array();
	for (int i = 0; i < 40; i++) {
		char x[32];
		snprintf(x, sizeof x, "base-%d", i);
		run(b, x, "slowpoke", "Slowpoke", T0 - 2 * 86400000LL - i * 8640000LL, 1000 + 10 * i, "completed");
	}
	publish_batch("deg", b);
	/* ...and a rule, in Polish, with the cooldown at its least (5 min). */
	char *ot = daemon_token(&D, "deg", "olga", "operator");
	struct wsc *o = client_open(&D, ot);
	assert_non_null(o);
	assert_int_equal(client_send(o, "{\"type\":\"rule\",\"id\":\"r\",\"action\":\"save\",\"rule\":{"
				       "\"id\":\"slow-p95\",\"name\":\"Slowpoke slower\",\"type\":\"performance_degraded\","
				       "\"workflow_id\":\"slowpoke\",\"severity\":\"warning\",\"cooldown_minutes\":5,"
				       "\"language\":\"pl\",\"conditions\":{\"p95_margin_percent\":100},"
				       "\"channels\":[{\"type\":\"in_app\"}]}}"), 0);
	json_t *saved = client_recv_type(o, "rule_saved", 5000);
	assert_non_null(saved);
	assert_true(json_is_real(json_object_get(json_object_get(json_object_get(saved, "rule"), "conditions"),
						 "p95_margin_percent")));
	json_decref(saved);
	json_decref(client_subscribe(o, "alerts", -1));
	/* Healthy now: nothing fires for a few checks. */
	b = json_array();
	for (int i = 0; i < 12; i++) {
		char x[32];
		snprintf(x, sizeof x, "ok-%d", i);
		run(b, x, "slowpoke", "Slowpoke", T0 - 1800000 + i * 60000LL, 1100, "completed");
	}
	publish_batch("deg", b);
	assert_null(client_recv_type(o, "alert", 2500));
	/* Then the recent runs take five seconds: degraded beyond the margin. */
	b = json_array();
	for (int i = 0; i < 30; i++) {
		char x[32];
		snprintf(x, sizeof x, "slow-%d", i);
		run(b, x, "slowpoke", "Slowpoke", wall_ms() - 1200000 + i * 30000LL, 5000, "completed");
	}
	publish_batch("deg", b);
	json_t *m = client_recv_type(o, "alert", 10000);
	assert_non_null(m);
	json_t *al = json_object_get(m, "alert");
	assert_string_equal(jstr(al, "rule_id"), "slow-p95");
	assert_string_equal(jstr(al, "workflow_id"), "slowpoke");
	assert_string_equal(jstr(al, "title"), "Wykryto spadek wydajności: Slowpoke");
	assert_non_null(strstr(jstr(al, "body"), "p95 5,0 s w ciągu ostatnich"));
	json_t *deg = json_object_get(json_object_get(al, "context"), "degradation");
	assert_true(json_is_true(json_object_get(deg, "degraded")));
	json_decref(m);
	/* Still degraded at every check, but quiet within the cooldown. */
	assert_null(client_recv_type(o, "alert", 4000));
	struct wsc *v = client_open(&D, ot);
	json_t *snap = client_subscribe(v, "alerts", -1);
	assert_int_equal(count_alerts(json_object_get(snap, "snapshot"), "slow-p95"), 1);
	json_decref(snap);
	wsc_free(v);
	/* The metrics answer says so too. */
	json_t *d = metrics_ok("deg", "{\"include\":[\"workflows\",\"degradation\"]}");
	json_t *w = workflow_row(d, "slowpoke");
	assert_non_null(w);
	assert_true(json_is_true(json_object_get(json_object_get(w, "degradation"), "degraded")));
	json_decref(d);
	wsc_free(o);
	free(ot);
}

/* ---- organizations apart ------------------------------------------------------------------------------ */

static void test_organizations_apart(void **state)
{
	(void)state;
	/* Another organization asks for spec's workflow: not there for it. */
	json_t *m = ask_ws("intruder", "admin", "{\"workflow\":\"document-classification\"}");
	assert_string_equal(jstr(m, "code"), "not_found");
	assert_string_equal(jstr(m, "field"), "workflow");
	json_decref(m);
	json_t *d = metrics_ok("intruder", "{\"range\":\"30d\"}");
	assert_int_equal(inum(json_object_get(d, "summary"), "runs"), 0);
	assert_int_equal(json_array_size(json_object_get(d, "workflows")), 0);
	json_decref(d);
	/* Row-level security in the database itself. */
	assert_true(sql_value("spec", "SELECT count(*) FROM metric_rollups") > 0);
	assert_int_equal(sql_value("intruder", "SELECT count(*) FROM metric_rollups"), 0);
	assert_int_equal(sql_value("intruder", "SELECT count(*) FROM metric_rollup_state WHERE org_id <> 'intruder'"), 0);
	/* Its watermark moved past spec's facts without reading them: its next
	 * catch-up starts after them. */
	assert_true(sql_value("intruder", "SELECT step_fact_id FROM metric_rollup_state") > 0);
	assert_int_equal(pgtest_value(PG.app, "SELECT count(*) FROM metric_rollups"), 0);
	/* And it cannot write into spec's. */
	assert_int_equal(pgtest_exec(PG.app, "BEGIN; SELECT set_config('wfmon.org', 'intruder', true); "
					      "INSERT INTO metric_rollups (org_id, workflow_id, step_id, span_hours, "
					      "bucket_start, bucket_end, histogram) VALUES ('spec', '', '', 1, now(), now(), "
					      "'\\x0100'); COMMIT", true), -1);
}

/* ---- bad input ---------------------------------------------------------------------------------------- */

static void test_bad_input(void **state)
{
	(void)state;
	static const struct {
		const char *params, *code, *field;
	} cases[] = {
		{ "{\"workflow\":\"no-such-workflow\"}", "not_found", "workflow" },
		{ "{\"range\":\"1000d\"}", "bad_request", "range" },
		{ "{\"range\":\"ten days\"}", "bad_request", "range" },
		{ "{\"range\":\"30d\",\"bucket\":\"1m\"}", "bad_request", "bucket" },
		{ "{\"from\":\"2026-01-01T00:00:00Z\",\"bucket\":\"1m\"}", "bad_request", "bucket" },
		{ "{\"from\":\"2026-12-01T00:00:00Z\",\"to\":\"2026-11-01T00:00:00Z\"}", "bad_request", "from" },
		{ "{\"from\":\"2026-13-01\"}", "bad_request", "from" },
		{ "{\"from\":\"2099-01-01T00:00:00Z\"}", "bad_request", "from" },
		{ "{\"bucket\":\"2h\"}", "bad_request", "bucket" },
		{ "{\"include\":[\"steps\"]}", "bad_request", "include" },
		{ "{\"sort\":\"p95\"}", "bad_request", "sort" },
	};
	long long rows = sql_value("spec", "SELECT count(*) FROM metric_rollups");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *m = ask_ws("spec", "viewer", cases[i].params);
		if (strcmp(jstr(m, "type"), "error") != 0 || strcmp(jstr(m, "code"), cases[i].code) != 0 ||
		    strcmp(jstr(m, "field"), cases[i].field) != 0)
			fail_msg("%s: %s", cases[i].params, json_dumps(m, 0));
		assert_true(strlen(jstr(m, "message")) > 10);
		json_decref(m);
	}
	/* Nothing was written by them, and the daemon is fine. */
	assert_int_equal(sql_value("spec", "SELECT count(*) FROM metric_rollups"), rows);
	char body[4096];
	assert_int_equal(http_raw(&D, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", body, sizeof body),
			 200);
}

/* ---- Prometheus ----------------------------------------------------------------------------------------- */

static void test_prometheus_series(void **state)
{
	(void)state;
	char *body = malloc(1 << 20);
	assert_int_equal(http_raw(&D, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", body, 1 << 20),
			 200);
	assert_non_null(strstr(body, "wfmond_workflow_executions_total{org=\"spec\",workflow=\"document-classification\","
				     "status=\"completed\"} 8\n"));
	assert_non_null(strstr(body, "wfmond_workflow_executions_total{org=\"spec\",workflow=\"document-classification\","
				     "status=\"failed\"} 2\n"));
	assert_non_null(strstr(body, "wfmond_workflow_duration_seconds_bucket{org=\"spec\",workflow=\"document-"
				     "classification\",le=\"0.5\"} 5\n"));
	assert_non_null(strstr(body, "wfmond_workflow_duration_seconds_count{org=\"spec\",workflow=\"document-"
				     "classification\"} 10\n"));
	assert_non_null(strstr(body, "wfmond_workflow_running{org=\"*\",workflow=\"other\"} "));
	assert_non_null(strstr(body, "# TYPE wfmond_workflow_notifications_failed_total counter"));
	free(body);
}

/* ---- wfmon metrics ---------------------------------------------------------------------------------------- */

/* Runs `wfmon metrics` with args; returns its output, *status its exit status. */
static char *wfmon_metrics(const char *args_text, int *status)
{
	char *t = daemon_token(&D, "spec", "ann", "viewer");
	const char *build = getenv("WFMON_BUILD") ? getenv("WFMON_BUILD") : "build";
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "'%s/wfmon' metrics --url ws://127.0.0.1:%d --token '%s' %s 2>&1", build, D.port, t,
		 args_text);
	free(t);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t cap = 1 << 16, len = 0, n;
	char *out = malloc(cap);
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap)
			out = realloc(out, cap *= 2);
	}
	out[len] = '\0';
	int rc = pclose(f);
	*status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	return out;
}

/* Splits one CSV line (RFC 4180, no line breaks inside fields) into fields. */
static int csv_fields(const char *line, char fields[][128], int max)
{
	int n = 0;
	const char *p = line;
	while (n < max) {
		char *o = fields[n];
		size_t k = 0;
		if (*p == '"') {
			p++;
			while (*p && !(*p == '"' && p[1] != '"')) {
				if (*p == '"')
					p++;
				if (k < 127)
					o[k++] = *p;
				p++;
			}
			if (*p == '"')
				p++;
		} else {
			while (*p && *p != ',' && *p != '\r' && *p != '\n') {
				if (k < 127)
					o[k++] = *p;
				p++;
			}
		}
		o[k] = '\0';
		n++;
		if (*p != ',')
			break;
		p++;
	}
	return n;
}

static void test_cli_csv_and_json(void **state)
{
	(void)state;
	int st;
	char *csv = wfmon_metrics("--workflow document-classification --range 24h --format csv", &st);
	assert_int_equal(st, 0);
	static const char *const header[] = {
		"kind", "workflow_id", "workflow_name", "step_id", "step_name", "period_start", "period_end", "runs",
		"completed", "failed", "cancelled", "success_rate", "avg_ms", "p50_ms", "p95_ms", "p99_ms", "min_ms",
		"max_ms", "avg_wait_ms", "per_hour", "per_day", "per_week", "change_runs_per_hour_percent",
		"change_success_rate_points", "change_avg_ms_percent", "change_p50_ms_percent",
		"change_p95_ms_percent", "change_p99_ms_percent", "degraded",
	};
	enum { NF = sizeof header / sizeof header[0] };
	char f[NF + 2][128];
	char *line = csv, *next;
	int lineno = 0, summaries = 0, steps = 0, trend = 0;
	for (; line && *line; line = next) {
		next = strstr(line, "\r\n");
		assert_non_null(next);   /* CRLF line ends */
		*next = '\0';
		next += 2;
		int n = csv_fields(line, f, NF + 2);
		assert_int_equal(n, NF);
		if (lineno++ == 0) {
			for (int i = 0; i < NF; i++)
				assert_string_equal(f[i], header[i]);
			continue;
		}
		/* Times are ISO 8601 UTC. */
		assert_int_equal(strlen(f[5]), 20);
		assert_true(f[5][4] == '-' && f[5][10] == 'T' && f[5][19] == 'Z');
		if (strcmp(f[0], "summary") == 0) {
			summaries++;
			assert_string_equal(f[1], "document-classification");
			assert_string_equal(f[2], "Document classification");
			assert_string_equal(f[7], "10");
			assert_string_equal(f[8], "8");
			assert_string_equal(f[9], "2");
			assert_string_equal(f[10], "0");
			assert_string_equal(f[11], "80.00");
			assert_string_equal(f[12], "550.00");
			assert_string_equal(f[13], "500");
			assert_string_equal(f[14], "1000");
			assert_string_equal(f[15], "1000");
			assert_string_equal(f[16], "100");
			assert_string_equal(f[17], "1000");
			assert_string_equal(f[18], "50.00");
		} else if (strcmp(f[0], "step") == 0) {
			steps++;
			assert_string_equal(f[3], "work");
			assert_string_equal(f[4], "Do the work");
			assert_string_equal(f[13], "250");
		} else if (strcmp(f[0], "trend") == 0) {
			trend++;
			assert_string_equal(f[19], "");   /* no rates per bucket */
		}
	}
	assert_int_equal(summaries, 1);
	assert_int_equal(steps, 1);
	assert_int_equal(trend, 24);
	free(csv);

	char *js = wfmon_metrics("--workflow document-classification --range 24h --format json", &st);
	assert_int_equal(st, 0);
	json_t *j = json_loads(js, 0, NULL);
	assert_non_null(j);
	check_spec(json_object_get(j, "summary"));
	assert_string_equal(jstr(json_object_get(j, "workflow"), "id"), "document-classification");
	assert_int_equal(json_array_size(json_object_get(j, "trend")), 24);
	json_decref(j);
	free(js);

	/* The table for people, and errors that name the field. */
	char *tab = wfmon_metrics("--workflow document-classification --range 24h", &st);
	assert_int_equal(st, 0);
	assert_non_null(strstr(tab, "Workflow: Document classification (document-classification)"));
	assert_non_null(strstr(tab, "80.0%"));
	free(tab);
	char *err = wfmon_metrics("--workflow nope", &st);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "not_found at workflow"));
	free(err);
	err = wfmon_metrics("--range 30d --bucket 1m", &st);
	assert_int_equal(st, 1);
	assert_non_null(strstr(err, "bad_request at bucket"));
	free(err);
	err = wfmon_metrics("--range 30d --from 2026-11-01T00:00:00Z", &st);
	assert_int_equal(st, 2);
	free(err);
}

/* ---- migration 0005 over stored history ----------------------------------------------------------------- */

static void test_migration_builds_rollups(void **state)
{
	(void)state;
	/* History written before migration 0005 existed: rows only, no rollups. */
	assert_int_equal(pgtest_exec(PG.owner,
		"BEGIN; SELECT set_config('wfmon.org', 'legacy', true);"
		"INSERT INTO workflows VALUES ('legacy', 'vat', 'VAT settlement', now() - interval '3 days', now());"
		"INSERT INTO workflow_executions (org_id, execution_id, workflow_id, workflow_name, status, first_seen, "
		"  queued_at, started_at, finished_at, last_heartbeat) "
		"SELECT 'legacy', 'v-' || i, 'vat', 'VAT settlement', CASE WHEN i % 5 = 0 THEN 'failed' ELSE 'completed' END, "
		"  now() - interval '2 days', now() - interval '2 days' + i * interval '1 minute', "
		"  now() - interval '2 days' + i * interval '1 minute' + interval '1 second', "
		"  now() - interval '2 days' + i * interval '1 minute' + interval '1 second' + i * interval '100 ms', now() "
		"FROM generate_series(1, 20) i;"
		"COMMIT;", false), 0);
	/* As if 0005 had never run. */
	assert_int_equal(pgtest_exec(PG.owner, "DROP TABLE metric_rollups, metric_rollup_state; "
					       "DROP INDEX execution_metrics_org_id, step_metrics_org_id; "
					       "DELETE FROM schema_migrations WHERE name = '0005_metrics'", false), 0);
	assert_int_equal(daemon_restart(&D, args), 0);
	json_t *d = metrics_ok("legacy", "{\"workflow\":\"vat\",\"range\":\"7d\"}");
	json_t *s = json_object_get(d, "summary");
	assert_int_equal(inum(s, "runs"), 20);
	assert_int_equal(inum(s, "failed"), 4);
	assert_true(json_number_value(json_object_get(s, "success_rate")) == 80.0);
	assert_int_equal(inum(s, "p50_ms"), 1000);   /* rank 10 of 100..2000 */
	assert_int_equal(inum(s, "p95_ms"), 1900);
	json_decref(d);
	/* The other organizations' rollups were rebuilt from their rows too. */
	d = metrics_ok("spec", "{\"workflow\":\"document-classification\",\"range\":\"24h\"}");
	check_spec(json_object_get(d, "summary"));
	json_decref(d);
	/* And new events after it are rolled up on top. */
	json_t *b = json_array();
	run(b, "v-new", "vat", "VAT settlement", wall_ms() - 60000, 3000, "completed");
	publish_batch("legacy", b);
	d = metrics_ok("legacy", "{\"workflow\":\"vat\",\"range\":\"7d\"}");
	assert_int_equal(inum(json_object_get(d, "summary"), "runs"), 21);
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_cases),
		cmocka_unit_test(test_rollups_and_raw_minutes),
		cmocka_unit_test(test_rollups_outlive_raw_history),
		cmocka_unit_test(test_retried_success_counts_once_in_rollups),
		cmocka_unit_test(test_degradation_fires_once),
		cmocka_unit_test(test_organizations_apart),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_prometheus_series),
		cmocka_unit_test(test_cli_csv_and_json),
		cmocka_unit_test(test_migration_builds_rollups),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
