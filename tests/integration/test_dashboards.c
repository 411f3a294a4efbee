/* test_dashboards.c: dashboards stored by a real wfmond in a real
 * PostgreSQL: saved and read back (across a daemon restart), replaced,
 * renamed, one default per user; another user and another organization
 * cannot read them, an admin can, a viewer cannot change someone else's,
 * and row-level security says the same when the daemon is bypassed;
 * invalid layouts refused with the field named; the audit rows with what
 * changed; `wfmon dashboards` export and import. One cluster and one
 * daemon for the file. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "pg.h"

static struct pgtest PG;
static struct daemon D;
static char spool[300];
static const char *args[16];

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (pgtest_start(&PG) < 0)
		return -1;
	snprintf(spool, sizeof spool, "%s/spool", PG.dir);
	int n = 0;
	args[n++] = "--database";
	args[n++] = PG.app;
	args[n++] = "--database-owner";
	args[n++] = PG.owner;
	args[n++] = "--spool-dir";
	args[n++] = spool;
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

static struct wsc *as(const char *org, const char *sub, const char *role)
{
	char *t = daemon_token(&D, org, sub, role);
	struct wsc *c = client_open(&D, t);
	free(t);
	assert_non_null(c);
	return c;
}

/* Sends a request (text) and returns the answer: a "dashboard" or "error" message. */
static json_t *ask(struct wsc *c, const char *fmt, ...)
{
	char req[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(req, sizeof req, fmt, ap);
	va_end(ap);
	assert_int_equal(client_send(c, req), 0);
	for (int i = 0; i < 20; i++) {
		json_t *m = client_recv(c, 5000);
		assert_non_null(m);
		const char *type = jstr(m, "type");
		if (type && (strcmp(type, "dashboard") == 0 || strcmp(type, "error") == 0))
			return m;
		json_decref(m);
	}
	fail_msg("no answer to %s", req);
	return NULL;
}

static void expect_error(json_t *m, const char *code, const char *field)
{
	if (strcmp(jstr(m, "type"), "error") != 0 || strcmp(jstr(m, "code"), code) != 0 ||
	    (field && (jstr(m, "field") == NULL || strcmp(jstr(m, "field"), field) != 0))) {
		char *t = json_dumps(m, JSON_COMPACT);
		fail_msg("want %s at %s, got %s", code, field ? field : "-", t);
	}
	assert_non_null(jstr(m, "message"));
	json_decref(m);
}

static void expect_ok(json_t *m)
{
	if (strcmp(jstr(m, "type"), "dashboard") != 0) {
		char *t = json_dumps(m, JSON_COMPACT);
		fail_msg("want an answer, got %s", t);
	}
}

#define W(id, type, x, y, w, h) \
	"{\"id\":\"" id "\",\"type\":\"" type "\",\"title\":\"\",\"position\":{\"x\":" #x ",\"y\":" #y ",\"w\":" #w ",\"h\":" #h "}}"

static const char month_end[] =
	"{\"name\":\"Month-end\",\"layout\":{\"columns\":12},\"is_default\":true,\"widgets\":["
	W("s", "summary", 0, 0, 12, 3) "," W("run", "active_executions", 0, 3, 7, 8) ","
	W("tax", "tax_deadlines", 7, 3, 5, 8) "]}";

static long long sql_count(const char *org, const char *user, const char *role, const char *where)
{
	char sql[1024];
	snprintf(sql, sizeof sql,
		 "SELECT set_config('wfmon.org', '%s', false), set_config('wfmon.user', '%s', false), "
		 "set_config('wfmon.role', '%s', false); SELECT count(*) FROM %s",
		 org, user, role, where);
	return pgtest_value(PG.app, sql);
}

static void test_saved_and_reloaded(void **state)
{
	(void)state;
	struct wsc *anna = as("acme", "anna", "operator");
	json_t *m = ask(anna, "{\"type\":\"dashboard\",\"id\":\"s1\",\"action\":\"save\",\"dashboard\":%s}", month_end);
	expect_ok(m);
	assert_string_equal(jstr(m, "action"), "save");
	assert_true(json_is_true(json_object_get(m, "created")));
	json_t *d = json_object_get(m, "dashboard");
	assert_string_equal(jstr(d, "user"), "anna");
	assert_int_equal(json_array_size(json_object_get(d, "widgets")), 3);
	json_decref(m);

	/* Moved and resized: replaced, not created. */
	m = ask(anna, "{\"type\":\"dashboard\",\"id\":\"s2\",\"action\":\"save\",\"dashboard\":"
		      "{\"name\":\"Month-end\",\"is_default\":true,\"widgets\":[" W("s", "summary", 0, 0, 12, 4) ","
		      W("run", "active_executions", 0, 4, 7, 8) "," W("tax", "tax_deadlines", 7, 5, 5, 8) "]}}");
	expect_ok(m);
	assert_false(json_is_true(json_object_get(m, "created")));
	json_decref(m);

	/* A second one, made the default: the first stops being it. */
	m = ask(anna, "{\"type\":\"dashboard\",\"id\":\"s3\",\"action\":\"save\",\"dashboard\":"
		      "{\"name\":\"Queue watch\",\"is_default\":true,\"widgets\":[" W("q", "queue_status", 0, 0, 6, 5) "]}}");
	expect_ok(m);
	json_decref(m);
	m = ask(anna, "{\"type\":\"dashboard\",\"id\":\"l1\",\"action\":\"list\"}");
	expect_ok(m);
	json_t *list = json_object_get(m, "dashboards");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(jstr(json_array_get(list, 0), "name"), "Queue watch");
	assert_true(json_is_true(json_object_get(json_array_get(list, 0), "is_default")));
	assert_false(json_is_true(json_object_get(json_array_get(list, 1), "is_default")));
	json_decref(m);
	/* And back, with the default action. */
	m = ask(anna, "{\"type\":\"dashboard\",\"id\":\"d1\",\"action\":\"default\",\"name\":\"Month-end\"}");
	expect_ok(m);
	assert_true(json_is_true(json_object_get(json_object_get(m, "dashboard"), "is_default")));
	json_decref(m);
	assert_int_equal(sql_count("acme", "anna", "operator", "user_dashboards WHERE is_default"), 1);
	wsc_free(anna);

	/* After a restart, read back as saved. */
	assert_int_equal(daemon_restart(&D, args), 0);
	anna = as("acme", "anna", "operator");
	m = ask(anna, "{\"type\":\"dashboard\",\"id\":\"g1\",\"action\":\"get\",\"name\":\"Month-end\"}");
	expect_ok(m);
	d = json_object_get(m, "dashboard");
	assert_true(json_is_true(json_object_get(d, "is_default")));
	json_t *w = json_array_get(json_object_get(d, "widgets"), 2);
	assert_string_equal(jstr(w, "type"), "tax_deadlines");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(w, "position"), "y")), 5);
	json_decref(m);

	/* Renamed, then deleted. */
	m = ask(anna, "{\"type\":\"dashboard\",\"id\":\"r1\",\"action\":\"save\",\"rename_from\":\"Queue watch\","
		      "\"dashboard\":{\"name\":\"Kolejka\",\"widgets\":[" W("q", "queue_status", 0, 0, 6, 5) "]}}");
	expect_ok(m);
	json_decref(m);
	expect_error(ask(anna, "{\"type\":\"dashboard\",\"id\":\"g2\",\"action\":\"get\",\"name\":\"Queue watch\"}"),
		     "not_found", "name");
	m = ask(anna, "{\"type\":\"dashboard\",\"id\":\"x1\",\"action\":\"delete\",\"name\":\"Kolejka\"}");
	expect_ok(m);
	assert_string_equal(jstr(m, "name"), "Kolejka");
	json_decref(m);
	expect_error(ask(anna, "{\"type\":\"dashboard\",\"id\":\"x2\",\"action\":\"delete\",\"name\":\"Kolejka\"}"),
		     "not_found", "name");
	wsc_free(anna);
}

static void test_users_and_organizations_apart(void **state)
{
	(void)state;
	struct wsc *anna = as("acme", "anna", "operator");
	json_decref(ask(anna, "{\"type\":\"dashboard\",\"id\":\"s\",\"action\":\"save\",\"dashboard\":"
			      "{\"name\":\"Private one\",\"widgets\":[]}}"));
	wsc_free(anna);

	/* Another user of the same organization: sees nothing of anna's. */
	struct wsc *bob = as("acme", "bob", "viewer");
	json_t *m = ask(bob, "{\"type\":\"dashboard\",\"id\":\"l\",\"action\":\"list\"}");
	expect_ok(m);
	assert_int_equal(json_array_size(json_object_get(m, "dashboards")), 0);
	json_decref(m);
	expect_error(ask(bob, "{\"type\":\"dashboard\",\"id\":\"g\",\"action\":\"get\",\"name\":\"Private one\"}"),
		     "not_found", "name");
	expect_error(ask(bob, "{\"type\":\"dashboard\",\"id\":\"g\",\"action\":\"get\",\"name\":\"Private one\","
			      "\"user\":\"anna\"}"), "forbidden", "user");
	/* A viewer cannot change someone else's. */
	expect_error(ask(bob, "{\"type\":\"dashboard\",\"id\":\"s\",\"action\":\"save\",\"user\":\"anna\","
			      "\"dashboard\":{\"name\":\"Private one\",\"widgets\":[]}}"), "forbidden", "user");
	expect_error(ask(bob, "{\"type\":\"dashboard\",\"id\":\"x\",\"action\":\"delete\",\"name\":\"Private one\","
			      "\"user\":\"anna\"}"), "forbidden", "user");
	/* But keeps dashboards of his own. */
	m = ask(bob, "{\"type\":\"dashboard\",\"id\":\"s\",\"action\":\"save\",\"dashboard\":"
		     "{\"name\":\"Private one\",\"widgets\":[" W("a", "alert_list", 0, 0, 12, 6) "]}}");
	expect_ok(m);
	assert_true(json_is_true(json_object_get(m, "created")));
	json_decref(m);
	wsc_free(bob);

	/* The same user name in another organization sees nothing. */
	struct wsc *other = as("globex", "anna", "admin");
	m = ask(other, "{\"type\":\"dashboard\",\"id\":\"l\",\"action\":\"list\",\"user\":\"anna\"}");
	expect_ok(m);
	assert_int_equal(json_array_size(json_object_get(m, "dashboards")), 0);
	json_decref(m);
	wsc_free(other);

	/* The organization's admin reads and changes anna's. */
	struct wsc *carol = as("acme", "carol", "admin");
	m = ask(carol, "{\"type\":\"dashboard\",\"id\":\"g\",\"action\":\"get\",\"name\":\"Private one\",\"user\":\"anna\"}");
	expect_ok(m);
	assert_string_equal(jstr(json_object_get(m, "dashboard"), "user"), "anna");
	json_decref(m);
	m = ask(carol, "{\"type\":\"dashboard\",\"id\":\"s\",\"action\":\"save\",\"user\":\"anna\",\"dashboard\":"
		       "{\"name\":\"Private one\",\"widgets\":[" W("q", "queue_status", 0, 0, 4, 5) "]}}");
	expect_ok(m);
	assert_false(json_is_true(json_object_get(m, "created")));
	json_decref(m);
	wsc_free(carol);

	/* Producers have none. */
	struct wsc *p = as("acme", "engine", "producer");
	expect_error(ask(p, "{\"type\":\"dashboard\",\"id\":\"l\",\"action\":\"list\"}"), "forbidden", NULL);
	wsc_free(p);

	/* Row-level security holds without the daemon's checks: the daemon's role
	 * with bob's settings sees bob's row only; with admin's, both; with
	 * another organization's, none. */
	assert_int_equal(sql_count("acme", "bob", "viewer", "user_dashboards"), 1);
	assert_int_equal(sql_count("acme", "bob", "viewer", "user_dashboards WHERE user_id = 'anna'"), 0);
	assert_true(sql_count("acme", "carol", "admin", "user_dashboards WHERE name = 'Private one'") == 2);
	assert_int_equal(sql_count("globex", "anna", "admin", "user_dashboards"), 0);
	/* Nor can it write a row for someone else. */
	assert_int_not_equal(pgtest_exec(PG.app,
					 "SELECT set_config('wfmon.org', 'acme', false), set_config('wfmon.user', 'bob', false), "
					 "set_config('wfmon.role', 'viewer', false); "
					 "INSERT INTO user_dashboards (org_id, user_id, name) VALUES ('acme', 'anna', 'sneaky')",
					 true), 0);
}

static void test_invalid_layouts_name_the_field(void **state)
{
	(void)state;
	struct wsc *c = as("acme", "dora", "operator");
	static const struct {
		const char *dashboard, *field;
	} cases[] = {
		{ "{\"name\":\"ab\"}", "dashboard.name" },
		{ "{\"name\":\"Grid\",\"layout\":{\"columns\":13}}", "dashboard.layout.columns" },
		{ "{\"name\":\"Grid\",\"widgets\":[" W("a", "pie_chart", 0, 0, 6, 4) "]}", "dashboard.widgets[0].type" },
		{ "{\"name\":\"Grid\",\"widgets\":[" W("a", "summary", 0, 0, 6, 4) "," W("b", "summary", 5, 2, 6, 4) "]}",
		  "dashboard.widgets[1].position" },
		{ "{\"name\":\"Grid\",\"widgets\":[" W("a", "summary", 8, 0, 6, 4) "]}", "dashboard.widgets[0].position.w" },
		{ "{\"name\":\"Grid\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":0,\"y\":0,\"w\":1,"
		  "\"h\":1},\"config\":{\"range\":\"2y\"}}]}", "dashboard.widgets[0].config.range" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		expect_error(ask(c, "{\"type\":\"dashboard\",\"id\":\"v%zu\",\"action\":\"save\",\"dashboard\":%s}", i,
				 cases[i].dashboard), "bad_request", cases[i].field);
	expect_error(ask(c, "{\"type\":\"dashboard\",\"id\":\"v\",\"action\":\"explode\"}"), "bad_request", "action");
	assert_int_equal(sql_count("acme", "dora", "operator", "user_dashboards"), 0);
	/* A bounded number per user. */
	for (int i = 0; i < 20; i++) {
		json_t *m = ask(c, "{\"type\":\"dashboard\",\"id\":\"n%d\",\"action\":\"save\",\"dashboard\":"
				   "{\"name\":\"Board %02d\",\"widgets\":[]}}", i, i);
		expect_ok(m);
		json_decref(m);
	}
	expect_error(ask(c, "{\"type\":\"dashboard\",\"id\":\"n\",\"action\":\"save\",\"dashboard\":"
			    "{\"name\":\"One too many\",\"widgets\":[]}}"), "bad_request", "dashboard.name");
	assert_int_equal(sql_count("acme", "dora", "operator", "user_dashboards"), 20);
	/* A rename onto another's name is refused. */
	expect_error(ask(c, "{\"type\":\"dashboard\",\"id\":\"n\",\"action\":\"save\",\"rename_from\":\"Board 01\","
			    "\"dashboard\":{\"name\":\"Board 02\",\"widgets\":[]}}"), "bad_request", "dashboard.name");
	wsc_free(c);
}

static void test_audit_rows(void **state)
{
	(void)state;
	struct wsc *c = as("audit", "ewa", "operator");
	json_decref(ask(c, "{\"type\":\"dashboard\",\"id\":\"a\",\"action\":\"save\",\"dashboard\":%s}", month_end));
	json_decref(ask(c, "{\"type\":\"dashboard\",\"id\":\"b\",\"action\":\"save\",\"dashboard\":"
			   "{\"name\":\"Month-end\",\"is_default\":true,\"widgets\":[" W("s", "summary", 0, 0, 12, 3) ","
			   W("run", "active_executions", 0, 4, 7, 8) "," W("q", "queue_status", 7, 3, 5, 5) "]}}"));
	json_decref(ask(c, "{\"type\":\"dashboard\",\"id\":\"c\",\"action\":\"delete\",\"name\":\"Month-end\"}"));
	wsc_free(c);
	const char *org = "SELECT set_config('wfmon.org', 'audit', false); ";
	char sql[512];
	snprintf(sql, sizeof sql, "%sSELECT count(*) FROM audit_log WHERE action = 'monitoring.dashboard.created' "
		 "AND actor = 'ewa' AND target = 'Month-end'", org);
	assert_int_equal(pgtest_value(PG.app, sql), 1);
	snprintf(sql, sizeof sql, "%sSELECT details->'changes' FROM audit_log WHERE action = "
		 "'monitoring.dashboard.updated'", org);
	char *changes = pgtest_text(PG.app, sql);
	assert_non_null(changes);
	json_t *j = json_loads(changes, 0, NULL);
	free(changes);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "moved"), 0)), "run");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "added"), 0)), "q");
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "removed"), 0)), "tax");
	json_decref(j);
	snprintf(sql, sizeof sql, "%sSELECT count(*) FROM audit_log WHERE action = 'monitoring.dashboard.deleted' "
		 "AND details->>'user' = 'ewa'", org);
	assert_int_equal(pgtest_value(PG.app, sql), 1);
}

/* Runs `wfmon dashboards` as org/sub; returns its output, *status its exit status. */
static char *wfmon_dashboards(const char *org, const char *sub, const char *role, const char *args_text,
			      int *status)
{
	char *t = daemon_token(&D, org, sub, role);
	const char *build = getenv("WFMON_BUILD") ? getenv("WFMON_BUILD") : "build";
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "'%s/wfmon' dashboards --url ws://127.0.0.1:%d --token '%s' %s 2>&1", build, D.port,
		 t, args_text);
	free(t);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	size_t cap = 1 << 16, len = 0, n;
	char *out = malloc(cap);
	while ((n = fread(out + len, 1, cap - len - 1, f)) > 0)
		len += n;
	out[len] = '\0';
	int rc = pclose(f);
	*status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	return out;
}

static void test_cli_export_import(void **state)
{
	(void)state;
	struct wsc *c = as("cli", "fred", "operator");
	json_decref(ask(c, "{\"type\":\"dashboard\",\"id\":\"a\",\"action\":\"save\",\"dashboard\":%s}", month_end));
	wsc_free(c);
	int st;
	char *out = wfmon_dashboards("cli", "fred", "operator", "list", &st);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "Month-end"));
	assert_non_null(strstr(out, "yes"));
	free(out);
	out = wfmon_dashboards("cli", "fred", "operator", "export Month-end", &st);
	assert_int_equal(st, 0);
	json_t *j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_null(json_object_get(j, "user"));
	assert_int_equal(json_array_size(json_object_get(j, "widgets")), 3);
	char path[400];
	snprintf(path, sizeof path, "%s/exported.json", PG.dir);
	FILE *f = fopen(path, "w");
	fputs(out, f);
	fclose(f);
	free(out);
	json_decref(j);
	/* Another user imports it: his own copy. */
	char a[512];
	snprintf(a, sizeof a, "import '%s'", path);
	out = wfmon_dashboards("cli", "gosia", "viewer", a, &st);
	assert_int_equal(st, 0);
	assert_non_null(strstr(out, "created dashboard Month-end"));
	free(out);
	out = wfmon_dashboards("cli", "gosia", "viewer", a, &st);
	assert_non_null(strstr(out, "replaced dashboard Month-end"));
	free(out);
	assert_int_equal(sql_count("cli", "x", "admin", "user_dashboards WHERE name = 'Month-end'"), 2);
	/* A bad file is refused before any connection, naming the field. */
	f = fopen(path, "w");
	fputs("{\"name\":\"Bad\",\"layout\":{\"columns\":20}}", f);
	fclose(f);
	out = wfmon_dashboards("cli", "gosia", "viewer", a, &st);
	assert_int_equal(st, 2);
	assert_non_null(strstr(out, "layout.columns"));
	free(out);
	/* Another user's, without the right: refused. */
	out = wfmon_dashboards("cli", "gosia", "viewer", "export Month-end --user fred", &st);
	assert_int_equal(st, 1);
	assert_non_null(strstr(out, "forbidden"));
	free(out);
}

/* One completed execution of wf-test in org, published by its producer. */
static void one_run(const char *org, const char *exec)
{
	char *t = daemon_token(&D, org, "engine", "producer");
	struct wsc *p = client_open(&D, t);
	free(t);
	char id1[64], id2[64];
	snprintf(id1, sizeof id1, "%s-s", exec);
	snprintf(id2, sizeof id2, "%s-c", exec);
	char *a = event_json("execution.started", id1, exec, NULL), *b = event_json("execution.completed", id2, exec, NULL);
	char batch[1024];
	snprintf(batch, sizeof batch, "[%s,%s]", a, b);
	json_t *ack = client_publish(p, batch);
	assert_int_equal(json_integer_value(json_object_get(ack, "accepted")), 2);
	json_decref(ack);
	free(a);
	free(b);
	wsc_free(p);
}

static long long runs_answered(struct wsc *c, const char *extra)
{
	char req[256];
	snprintf(req, sizeof req, "{\"type\":\"query\",\"id\":\"m\",\"query\":\"metrics\",\"params\":{\"range\":\"24h\"%s}}",
		 extra);
	assert_int_equal(client_send(c, req), 0);
	json_t *m = client_recv_type(c, "result", 10000);
	assert_non_null(m);
	long long runs = json_integer_value(json_object_get(json_object_get(json_object_get(m, "data"), "summary"), "runs"));
	json_decref(m);
	return runs;
}

/* Clients asking the same metrics question with max_age_s share one answer
 * (and one database query); dashboards are pushed theirs instead
 * (test_aggregates.c). */
static void test_metrics_answers_shared(void **state)
{
	(void)state;
	one_run("shared", "sh-1");
	struct wsc *a = as("shared", "ula", "viewer"), *b = as("shared", "wit", "operator");
	long shared0 = daemon_metric(&D, "wfmond_metrics_shared_total");
	assert_int_equal(runs_answered(a, ",\"max_age_s\":30"), 1);
	one_run("shared", "sh-2");
	/* Another console, the same question, within 30 s: the same answer. */
	assert_int_equal(runs_answered(b, ",\"max_age_s\":30"), 1);
	assert_int_equal(daemon_metric(&D, "wfmond_metrics_shared_total"), shared0 + 1);
	/* A fresh question sees the second run; so does one that accepts no age. */
	assert_int_equal(runs_answered(b, ""), 2);
	assert_int_equal(runs_answered(a, ",\"max_age_s\":0"), 2);
	/* Another organization never gets this one's answer. */
	struct wsc *o = as("elsewhere", "ula", "viewer");
	assert_int_equal(runs_answered(o, ",\"max_age_s\":30"), 0);
	assert_int_equal(daemon_metric(&D, "wfmond_metrics_shared_total"), shared0 + 1);
	/* Bounded. */
	assert_int_equal(client_send(o, "{\"type\":\"query\",\"id\":\"x\",\"query\":\"metrics\","
				       "\"params\":{\"max_age_s\":61}}"), 0);
	json_t *e = client_recv_type(o, "error", 5000);
	assert_non_null(e);
	assert_non_null(strstr(jstr(e, "field"), "max_age_s"));
	json_decref(e);
	wsc_free(a);
	wsc_free(b);
	wsc_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_saved_and_reloaded),
		cmocka_unit_test(test_users_and_organizations_apart),
		cmocka_unit_test(test_invalid_layouts_name_the_field),
		cmocka_unit_test(test_audit_rows),
		cmocka_unit_test(test_cli_export_import),
		cmocka_unit_test(test_metrics_answers_shared),
	};
	return cmocka_run_group_tests_name("dashboards", tests, setup, teardown);
}
