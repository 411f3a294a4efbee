/* test_control.c: protocol revision 2 end to end, against a real wfmond and
 * PostgreSQL: the hello; cancel and retry asked by an operator, honoured by
 * wfmon-sim, kept in the store, refused to a viewer and a producer, refused
 * for an unknown execution, one in the wrong state, or when no producer
 * listens; a producer cannot forge control.requested; labels through the
 * history query and an alert rule's scope; schedules (checked, refused to a
 * viewer) and a missed_schedule rule that fires once and resolves when the
 * run arrives; the health room. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
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
static const char *args[12];

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (pgtest_start(&PG) < 0)
		return -1;
	snprintf(spool, sizeof spool, "%s/spool", PG.dir);
	int n = pgtest_daemon_args(&PG, spool, args);
	args[n] = NULL;
	return daemon_start(&D, args);
}

static int teardown(void **state)
{
	(void)state;
	daemon_stop(&D);
	pgtest_destroy(&PG);
	return 0;
}

/* Sends a request and returns the answer with its id. */
static json_t *request(struct wsc *c, const char *json)
{
	return client_request(c, json, 10000);
}

static void expect_error(struct wsc *c, const char *json, const char *code, const char *says)
{
	json_t *a = request(c, json);
	assert_non_null(a);
	if (strcmp(jstr(a, "type"), "error") != 0 || strcmp(jstr(a, "code"), code) != 0 ||
	    (says != NULL && strstr(jstr(a, "message"), says) == NULL)) {
		char *t = json_dumps(a, 0);
		fail_msg("%s: expected %s (%s), got %s", json, code, says ? says : "", t);
	}
	json_decref(a);
}

/* Waits for an event of this kind (and execution, when given) in a room the
 * client is in; returns the event (new reference) or NULL. */
static json_t *wait_event(struct wsc *c, const char *kind, const char *exec, int timeout_ms)
{
	long long end = mono_ms() + timeout_ms;
	while (mono_ms() < end) {
		json_t *m = client_recv_type(c, "event", (int)(end - mono_ms()) > 0 ? (int)(end - mono_ms()) : 1);
		if (m == NULL)
			return NULL;
		json_t *ev = json_object_get(m, "event");
		if (strcmp(jstr(ev, "type"), kind) == 0 && (exec == NULL || strcmp(jstr(ev, "execution_id"), exec) == 0)) {
			json_incref(ev);
			json_decref(m);
			return ev;
		}
		json_decref(m);
	}
	return NULL;
}

static void test_hello(void **state)
{
	(void)state;
	char *t = daemon_token(&D, "acme", "olga", "operator");
	struct wsc *c = client_open(&D, t);
	json_t *a = request(c, "{\"type\":\"hello\",\"id\":\"h\",\"protocol\":1,\"revision\":2,\"client\":\"test\"}");
	assert_string_equal(jstr(a, "type"), "hello");
	assert_int_equal(json_integer_value(json_object_get(a, "protocol")), PROTO_VERSION);
	assert_int_equal(json_integer_value(json_object_get(a, "revision")), PROTO_REVISION);
	assert_true(proto_hello_has(a, "attempt"));
	assert_true(proto_hello_has(a, "control.cancel"));
	assert_int_equal(proto_hello_revision(a), 2);
	json_decref(a);
	expect_error(c, "{\"type\":\"hello\",\"id\":\"h2\",\"protocol\":2}", "bad_request", "protocol version 1");
	wsc_free(c);
	free(t);
}

static void test_cancel_and_retry_with_the_simulator(void **state)
{
	(void)state;
	char *ot = daemon_token(&D, "acme", "olga", "operator");
	char *vt = daemon_token(&D, "acme", "vera", "viewer");
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *o = client_open(&D, ot), *v = client_open(&D, vt), *p = client_open(&D, pt);
	/* Requests on one connection, the rooms on another: request() drops
	 * what is not its answer. */
	struct wsc *w = client_open(&D, ot);
	json_decref(client_subscribe(w, "org", -1));

	/* Nobody listens in the control room yet. */
	assert_int_equal(publish_ok(p, "execution.started", "lonely-1", "lonely", ""), 0);
	expect_error(o, "{\"type\":\"cancel\",\"id\":\"c0\",\"execution_id\":\"lonely\"}", "unavailable",
		     "no producer of this organization listens");

	const char *sargs[] = { "--token", pt, "--seed", "7", "--rate", "240", "--speed", "40", "--workers", "3",
				"--quiet", NULL };
	pid_t sim = simproc_start(&D, sargs);
	json_t *started = NULL;
	do {
		json_decref(started);
		started = wait_event(w, "execution.started", NULL, 15000);
		assert_non_null(started);
	} while (strncmp(jstr(started, "execution_id"), "ex-", 3) != 0);
	char xid[PROTO_MAX_ID + 1];
	snprintf(xid, sizeof xid, "%s", jstr(started, "execution_id"));
	json_decref(started);

	char req[256];
	/* A viewer and a producer may not; an unknown execution; a foreign event. */
	snprintf(req, sizeof req, "{\"type\":\"cancel\",\"id\":\"v1\",\"execution_id\":\"%s\"}", xid);
	expect_error(v, req, "forbidden", "operators and admins only");
	expect_error(p, req, "forbidden", NULL);
	expect_error(o, "{\"type\":\"retry\",\"id\":\"u1\",\"execution_id\":\"no-such\"}", "not_found", NULL);
	json_t *ack = client_publish(p, "[{\"type\":\"control.requested\",\"id\":\"forged-1\",\"execution_id\":\"lonely\","
				     "\"workflow_id\":\"wf-test\",\"ts\":\"2026-11-23T04:00:00Z\",\"command\":\"cancel\","
				     "\"request_id\":\"forged-1\",\"by\":\"mallory\"}]");
	assert_int_equal(json_integer_value(json_object_get(ack, "rejected")), 1);
	assert_non_null(strstr(jstr(json_array_get(json_object_get(ack, "results"), 0), "message"), "made by wfmond only"));
	json_decref(ack);

	/* Cancel a running one: done; the simulator answers and cancels it. It
	 * may finish before the command reaches it (under load, say): the
	 * simulator then refuses, and the next one that starts is taken. */
	bool accepted = false;
	json_t *ev = NULL;
	for (int tries = 0; tries < 5 && !accepted; tries++) {
		if (tries > 0) {
			started = wait_event(w, "execution.started", NULL, 15000);
			assert_non_null(started);
			snprintf(xid, sizeof xid, "%s", jstr(started, "execution_id"));
			json_decref(started);
		}
		snprintf(req, sizeof req, "{\"type\":\"cancel\",\"id\":\"c1\",\"execution_id\":\"%s\","
			 "\"reason\":\"wrong month\"}", xid);
		json_t *a = request(o, req);
		/* The simulator joins the control room as it connects: until then,
		 * nobody could act on it. */
		for (int i = 0; i < 50 && strcmp(jstr(a, "code"), "unavailable") == 0; i++) {
			json_decref(a);
			usleep(100000);
			a = request(o, req);
		}
		if (strcmp(jstr(a, "type"), "done") != 0) {
			/* It finished meanwhile. */
			assert_string_equal(jstr(a, "code"), "bad_request");
			json_decref(a);
			continue;
		}
		json_decref(a);
		ev = wait_event(w, "control.requested", xid, 5000);
		assert_non_null(ev);
		assert_string_equal(jstr(ev, "by"), "olga");
		json_decref(ev);
		ev = wait_event(w, "control.replied", xid, 10000);
		assert_non_null(ev);
		accepted = json_is_true(json_object_get(ev, "accepted"));
		json_decref(ev);
	}
	assert_true(accepted);
	ev = wait_event(w, "execution.cancelled", xid, 10000);
	if (ev == NULL)
		fail_msg("%s was not cancelled", xid);
	assert_string_equal(jstr(ev, "reason"), "cancelled by olga");
	json_decref(ev);
	/* Again: it is cancelled now, not queued or running. */
	expect_error(o, req, "bad_request", "only a queued or running one can be cancelled");

	/* Retry it: the same id comes back as attempt 2. */
	snprintf(req, sizeof req, "{\"type\":\"retry\",\"id\":\"r1\",\"execution_id\":\"%s\"}", xid);
	json_t *a = request(o, req);
	assert_string_equal(jstr(a, "type"), "done");
	json_decref(a);
	ev = wait_event(w, "execution.queued", xid, 10000);
	assert_non_null(ev);
	assert_int_equal(json_integer_value(json_object_get(ev, "attempt")), 2);
	json_decref(ev);
	expect_error(o, req, "bad_request", "only a failed or cancelled one can be retried");
	long long end = mono_ms() + 20000;
	bool finished = false;
	while (!finished && mono_ms() < end) {
		json_t *m = client_recv_type(w, "event", 1000);
		json_t *e = json_object_get(m, "event");
		if (m != NULL && strcmp(jstr(e, "execution_id"), xid) == 0 && proto_event_kind_parse(jstr(e, "type"),
		    &(enum proto_event_kind){0}) == 0) {
			const char *k = jstr(e, "type");
			finished = strcmp(k, "execution.completed") == 0 || strcmp(k, "execution.failed") == 0 ||
				   strcmp(k, "execution.cancelled") == 0;
			if (finished)
				assert_int_equal(json_integer_value(json_object_get(e, "attempt")), 2);
		}
		json_decref(m);
	}
	assert_true(finished);
	assert_true(simproc_stop(sim) >= 0);

	/* The store has it: attempt 2, the retry done, the audit rows. */
	snprintf(req, sizeof req, "{\"type\":\"query\",\"id\":\"q1\",\"query\":\"execution\",\"params\":{\"id\":\"%s\"}}", xid);
	a = NULL;
	for (int i = 0; i < 50; i++) {
		json_decref(a);
		a = request(o, req);
		json_t *x = json_object_get(json_object_get(a, "data"), "execution");
		if (json_integer_value(json_object_get(x, "attempt")) == 2 &&
		    strcmp(jstr(json_object_get(x, "control"), "state"), "done") == 0 &&
		    strcmp(jstr(x, "status"), "queued") != 0 && strcmp(jstr(x, "status"), "running") != 0)
			break;
		usleep(100000);
	}
	json_t *x = json_object_get(json_object_get(a, "data"), "execution");
	assert_int_equal(json_integer_value(json_object_get(x, "attempt")), 2);
	assert_string_equal(jstr(json_object_get(x, "control"), "command"), "retry");
	assert_string_equal(jstr(json_object_get(x, "control"), "state"), "done");
	json_decref(a);
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT set_config('wfmon.org', 'acme', false); SELECT count(*) FROM audit_log "
		 "WHERE target = '%s' AND action IN ('execution.cancel_requested', 'execution.retry_requested')", xid);
	long long audited = 0;
	for (int i = 0; i < 50 && audited < 2; i++, usleep(100000))
		audited = pgtest_value(PG.app, sql);
	assert_int_equal(audited, 2);
	wsc_free(o);
	wsc_free(w);
	wsc_free(v);
	wsc_free(p);
	free(ot);
	free(vt);
	free(pt);
}

/* Labels: kept, found by the history query, and scoping an alert rule. */
static void test_labels(void **state)
{
	(void)state;
	char *ot = daemon_token(&D, "lab", "olga", "operator");
	char *pt = daemon_token(&D, "lab", "engine", "producer");
	struct wsc *o = client_open(&D, ot), *p = client_open(&D, pt), *w = client_open(&D, ot);
	json_t *a = request(o, "{\"type\":\"rule\",\"id\":\"s\",\"action\":\"save\",\"rule\":{\"name\":\"November fails\","
			       "\"type\":\"execution_failed\",\"labels\":\"period=2026-11\",\"severity\":\"error\","
			       "\"conditions\":{},\"channels\":[{\"type\":\"in_app\"}]}}");
	assert_string_equal(jstr(a, "type"), "rule_saved");
	assert_string_equal(jstr(json_object_get(json_object_get(a, "rule"), "labels"), "period"), "2026-11");
	json_decref(a);
	expect_error(o, "{\"type\":\"rule\",\"id\":\"s2\",\"action\":\"save\",\"rule\":{\"name\":\"x\","
			"\"type\":\"queue_backlog\",\"labels\":{\"period\":\"2026-11\"},\"severity\":\"error\","
			"\"conditions\":{\"threshold\":5},\"channels\":[{\"type\":\"in_app\"}]}}", "bad_request",
		     "leave labels out");
	expect_error(o, "{\"type\":\"rule\",\"id\":\"s3\",\"action\":\"save\",\"rule\":{\"name\":\"x\","
			"\"type\":\"execution_failed\",\"labels\":\"period 2026\",\"severity\":\"error\","
			"\"conditions\":{},\"channels\":[{\"type\":\"in_app\"}]}}", "bad_request", "key=value");
	json_decref(client_subscribe(w, "alerts", -1));
	PUBLISH_OK(p, "execution.started", "l-oct-s", "oct-1", "\"labels\":{\"period\":\"2026-10\",\"client\":\"ACME\"}");
	PUBLISH_OK(p, "execution.failed", "l-oct-f", "oct-1", "\"error\":\"bank down\"");
	PUBLISH_OK(p, "execution.started", "l-nov-s", "nov-1", "\"labels\":{\"period\":\"2026-11\",\"client\":\"Biuro \\\"Bilans\\\", Kraków\"}");
	PUBLISH_OK(p, "execution.failed", "l-nov-f", "nov-1", "\"error\":\"bank down\"");
	json_t *m = client_recv_type(w, "alert", 3000);
	assert_non_null(m);
	assert_string_equal(jstr(json_object_get(m, "alert"), "execution_id"), "nov-1");   /* not oct-1 */
	json_decref(m);
	/* The history query by labels, as an object and as text. */
	const char *queries[] = {
		"{\"type\":\"query\",\"id\":\"ql\",\"query\":\"executions\",\"params\":{\"labels\":{\"period\":\"2026-11\"}}}",
		"{\"type\":\"query\",\"id\":\"ql\",\"query\":\"executions\",\"params\":{\"labels\":\"client=\\\"Biuro \\\\\\\"Bilans\\\\\\\", Kraków\\\"\"}}",
	};
	for (size_t i = 0; i < 2; i++) {
		json_t *r = NULL;
		for (int k = 0; k < 50; k++) {
			json_decref(r);
			r = request(o, queries[i]);
			if (json_array_size(json_object_get(json_object_get(r, "data"), "executions")) == 1)
				break;
			usleep(100000);
		}
		json_t *list = json_object_get(json_object_get(r, "data"), "executions");
		if (json_array_size(list) != 1)
			fail_msg("query %zu: %s", i, json_dumps(r, 0));
		assert_string_equal(jstr(json_array_get(list, 0), "id"), "nov-1");
		json_decref(r);
	}
	expect_error(o, "{\"type\":\"query\",\"id\":\"qb\",\"query\":\"executions\",\"params\":{\"labels\":\"a b\"}}",
		     "bad_request", "must be labels");
	wsc_free(o);
	wsc_free(w);
	wsc_free(p);
	free(ot);
	free(pt);
}

/* A schedule whose expected run did not come: a missed_schedule rule fires
 * once and resolves when the run arrives; the health room shows it. */
static void test_missed_schedule(void **state)
{
	(void)state;
	char *ot = daemon_token(&D, "sch", "olga", "operator");
	char *vt = daemon_token(&D, "sch", "vera", "viewer");
	char *pt = daemon_token(&D, "sch", "cron", "producer");
	struct wsc *o = client_open(&D, ot), *v = client_open(&D, vt), *p = client_open(&D, pt), *w = client_open(&D, ot);
	expect_error(v, "{\"type\":\"schedule\",\"id\":\"v\",\"action\":\"save\",\"schedule\":{\"workflow_id\":\"w\","
			"\"cron\":\"* * * * *\"}}", "forbidden", NULL);
	expect_error(o, "{\"type\":\"schedule\",\"id\":\"z\",\"action\":\"save\",\"schedule\":{\"workflow_id\":\"w\","
			"\"cron\":\"0 2 * * *\",\"timezone\":\"Mars/Olympus\"}}", "bad_request", "unknown time zone");
	expect_error(o, "{\"type\":\"schedule\",\"id\":\"g\",\"action\":\"save\",\"schedule\":{\"workflow_id\":\"w\","
			"\"cron\":\"*/5 * * * *\",\"grace_minutes\":10}}", "bad_request", "between two expected runs (5 min)");
	expect_error(o, "{\"type\":\"schedule\",\"id\":\"d\",\"action\":\"delete\",\"workflow_id\":\"nothing\"}",
		     "not_found", NULL);
	json_t *a = request(o, "{\"type\":\"rule\",\"id\":\"r\",\"action\":\"save\",\"rule\":{\"name\":\"Backup missed\","
			       "\"type\":\"missed_schedule\",\"workflow_id\":\"nightly-backup\",\"severity\":\"critical\","
			       "\"language\":\"pl\",\"conditions\":{},\"channels\":[{\"type\":\"in_app\"}]}}");
	assert_string_equal(jstr(a, "type"), "rule_saved");
	json_decref(a);
	json_decref(client_subscribe(w, "alerts", -1));
	struct wsc *hw = client_open(&D, ot);
	json_t *h = client_subscribe(hw, "health", -1);
	assert_string_equal(jstr(h, "type"), "subscribed");
	json_decref(h);
	/* Every minute, looked for since ten minutes ago, no grace: missed at once. */
	char since[40], req[512];
	proto_time_format(((long long)time(NULL) - 600) * 1000, since, sizeof since);
	snprintf(req, sizeof req, "{\"type\":\"schedule\",\"id\":\"s\",\"action\":\"save\",\"schedule\":{"
		 "\"workflow_id\":\"nightly-backup\",\"name\":\"Nightly backup\",\"cron\":\"* * * * *\","
		 "\"grace_minutes\":0,\"timezone\":\"Europe/Warsaw\",\"since\":\"%s\"}}", since);
	a = request(o, req);
	assert_string_equal(jstr(a, "type"), "schedule_saved");
	json_decref(a);
	json_t *m = client_recv_type(w, "alert", 5000);
	assert_non_null(m);
	json_t *al = json_object_get(m, "alert");
	long long id = json_integer_value(json_object_get(al, "id"));
	assert_string_equal(jstr(al, "state"), "active");
	assert_string_equal(jstr(al, "workflow_id"), "nightly-backup");
	assert_non_null(strstr(jstr(al, "title"), "Zaplanowane uruchomienie nie odbyło się"));
	assert_non_null(strstr(jstr(al, "body"), "nie rozpoczęło się"));
	assert_non_null(strstr(jstr(al, "body"), "Europe/Warsaw"));
	json_decref(m);
	/* The health room and the list say it too (a push from before the
	 * schedule was saved may come first: it is about nothing yet). */
	json_t *wf = NULL;
	for (long long end = mono_ms() + 5000; wf == NULL && mono_ms() < end;) {
		m = client_recv_type(hw, "stats", 5000);
		assert_non_null(m);
		json_t *first = json_array_get(json_object_get(json_object_get(m, "data"), "workflows"), 0);
		if (strcmp(jstr(first, "workflow_id"), "nightly-backup") == 0)
			wf = json_incref(first);
		json_decref(m);
	}
	assert_non_null(wf);
	assert_string_equal(jstr(json_object_get(wf, "schedule_status"), "state"), "missed");
	json_decref(wf);
	a = request(v, "{\"type\":\"schedule\",\"id\":\"l\",\"action\":\"list\"}");
	assert_string_equal(jstr(json_object_get(json_array_get(json_object_get(a, "schedules"), 0), "status"), "state"),
			    "missed");
	json_decref(a);
	/* No second alert while it stays missed (two ticks). */
	m = client_recv_type(w, "alert", 2500);
	assert_null(m);
	/* The run arrives: resolved. */
	char ev[256], ts[40];
	proto_time_format((long long)time(NULL) * 1000, ts, sizeof ts);
	snprintf(ev, sizeof ev, "[{\"type\":\"execution.started\",\"id\":\"b-1\",\"execution_id\":\"backup-1\","
		 "\"workflow_id\":\"nightly-backup\",\"ts\":\"%s\"}]", ts);
	json_t *ack = client_publish(p, ev);
	assert_int_equal(json_integer_value(json_object_get(ack, "accepted")), 1);
	json_decref(ack);
	m = client_recv_type(w, "alert", 5000);
	assert_non_null(m);
	al = json_object_get(m, "alert");
	assert_int_equal(json_integer_value(json_object_get(al, "id")), id);
	assert_string_equal(jstr(al, "state"), "resolved");
	json_decref(m);
	/* Deleting a schedule is audited and ends it. */
	a = request(o, "{\"type\":\"schedule\",\"id\":\"del\",\"action\":\"delete\",\"workflow_id\":\"nightly-backup\"}");
	assert_string_equal(jstr(a, "type"), "done");
	json_decref(a);
	wsc_free(o);
	wsc_free(w);
	wsc_free(hw);
	wsc_free(v);
	wsc_free(p);
	free(ot);
	free(vt);
	free(pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_cancel_and_retry_with_the_simulator),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_missed_schedule),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
