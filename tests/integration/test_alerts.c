/* test_alerts.c: alerts end to end, with a real PostgreSQL and real receivers
 * on loopback: three consecutive failures fire exactly one alert within a
 * second, delivered to a webhook (signature checked) and by email; a receiver
 * that is down is retried and each attempt recorded; the cooldown holds across
 * a restart; a viewer cannot change rules; acknowledge, escalate, resolve and
 * the automatic resolve, each audited. */
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
#include "receivers.h"

static struct pgtest PG;
static struct daemon D;
static char spool[300];
static const char *args[24];
static struct http_rx *hook;
static struct smtp_rx *mail;
static const char SECRET[] = "s3cret-for-the-webhook-hmac";

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (pgtest_start(&PG) < 0)
		return -1;
	hook = http_rx_start(0);
	mail = smtp_rx_start(0);
	if (hook == NULL || mail == NULL)
		return -1;
	snprintf(spool, sizeof spool, "%s/spool", PG.dir);
	int n = pgtest_daemon_args(&PG, spool, args);
	args[n++] = "--notify-attempts";
	args[n++] = "3";
	args[n++] = "--notify-backoff-ms";
	args[n++] = "100";
	args[n] = NULL;
	return daemon_start(&D, args);
}

static int teardown(void **state)
{
	(void)state;
	daemon_stop(&D);
	http_rx_free(hook);
	smtp_rx_free(mail);
	pgtest_destroy(&PG);
	return 0;
}

static long long db_count(const char *org, const char *sql_tail)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT set_config('wfmon.org', '%s', false); SELECT count(*) FROM %s", org,
		 sql_tail);
	return pgtest_value(PG.app, sql);
}

static bool wait_db_count(const char *org, const char *sql_tail, long long want, int timeout_ms)
{
	long long end = mono_ms() + timeout_ms, got = -1;
	while (mono_ms() < end) {
		if ((got = db_count(org, sql_tail)) == want)
			return true;
		usleep(100000);
	}
	fprintf(stderr, "SELECT count(*) FROM %s: %lld, wanted %lld\n", sql_tail, got, want);
	return false;
}

static json_t *request(struct wsc *c, const char *json)
{
	return client_request(c, json, 5000);
}

static void fail_or_pass(struct wsc *p, const char *exec, bool failed, int n)
{
	char eid[64], extra[256], *ev, *arr;
	snprintf(eid, sizeof eid, "%s-end-%d", exec, n);
	snprintf(extra, sizeof extra, failed ? "\"error\":\"XSD validation failed: element P_15 missing\","
					       "\"step_id\":\"validate-xsd\"" : "");
	ev = event_json(failed ? "execution.failed" : "execution.completed", eid, exec, extra);
	/* These executions belong to jpk-generation. */
	char *p2 = strstr(ev, "\"wf-test\"");
	assert_non_null(p2);
	char *fixed;
	assert_true(asprintf(&fixed, "%.*s\"jpk-generation\"%s", (int)(p2 - ev), ev, p2 + 9) > 0);
	assert_true(asprintf(&arr, "[%s]", fixed) > 0);
	json_t *ack = client_publish(p, arr);
	assert_int_equal(json_integer_value(json_object_get(ack, "rejected")), 0);
	json_decref(ack);
	free(arr);
	free(fixed);
	free(ev);
}

/* Waits for an alert message matching id (0: any other id = a new alert) and
 * state (NULL: any); alert messages also report delivery attempts, so others
 * are skipped. Returns the alert object (new reference) or NULL. */
static json_t *wait_alert(struct wsc *c, long long id, bool other_id, const char *state, int timeout_ms)
{
	long long end = mono_ms() + timeout_ms;
	while (mono_ms() < end) {
		json_t *m = client_recv_type(c, "alert", (int)(end - mono_ms()) > 0 ? (int)(end - mono_ms()) : 1);
		if (m == NULL)
			return NULL;
		json_t *al = json_object_get(m, "alert");
		long long got = json_integer_value(json_object_get(al, "id"));
		bool id_ok = other_id ? got != id : (id == 0 || got == id);
		if (id_ok && (state == NULL || strcmp(jstr(al, "state"), state) == 0)) {
			json_incref(al);
			json_decref(m);
			return al;
		}
		json_decref(m);
	}
	return NULL;
}

static char *rule_json(void)
{
	char *r;
	assert_true(asprintf(&r,
			     "{\"type\":\"rule\",\"id\":\"save\",\"action\":\"save\",\"rule\":{"
			     "\"name\":\"JPK fails repeatedly\",\"type\":\"consecutive_failures\","
			     "\"workflow_id\":\"jpk-generation\",\"severity\":\"error\",\"cooldown_minutes\":15,"
			     "\"language\":\"pl\",\"conditions\":{\"count\":3},\"channels\":["
			     "{\"type\":\"in_app\",\"bell\":true},"
			     "{\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/hook\",\"secret\":\"%s\"},"
			     "{\"type\":\"email\",\"to\":\"ksiegowa@firma.pl\",\"from\":\"wfmon@firma.pl\","
			     "\"smtp_url\":\"smtp://127.0.0.1:%d\"}],"
			     "\"escalation_channels\":[{\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/escalate\","
			     "\"secret\":\"%s\"}]}}",
			     http_rx_port(hook), SECRET, smtp_rx_port(mail), http_rx_port(hook), SECRET) > 0);
	return r;
}

static char rule_id[80];
static long long alert_id;

static void test_viewer_cannot_change_rules(void **state)
{
	(void)state;
	char *vt = daemon_token(&D, "fin", "viewer-1", "viewer");
	struct wsc *v = client_open(&D, vt);
	char *r = rule_json();
	json_t *a = request(v, r);
	assert_string_equal(jstr(a, "type"), "error");
	assert_string_equal(jstr(a, "code"), "forbidden");
	json_decref(a);
	a = request(v, "{\"type\":\"rule\",\"id\":\"l\",\"action\":\"list\"}");
	assert_string_equal(jstr(a, "type"), "rules");
	json_decref(a);
	free(r);
	wsc_free(v);
	free(vt);
}

static void test_invalid_rule_names_the_field(void **state)
{
	(void)state;
	char *ot = daemon_token(&D, "fin", "olga", "operator");
	struct wsc *o = client_open(&D, ot);
	json_t *a = request(o, "{\"type\":\"rule\",\"id\":\"bad\",\"action\":\"save\",\"rule\":{\"name\":\"x\","
			       "\"type\":\"consecutive_failures\",\"severity\":\"error\",\"cooldown_minutes\":1,"
			       "\"conditions\":{\"count\":3},\"channels\":[{\"type\":\"in_app\"}]}}");
	assert_string_equal(jstr(a, "code"), "bad_request");
	assert_non_null(strstr(jstr(a, "field"), "cooldown_minutes"));
	json_decref(a);
	a = request(o, "{\"type\":\"rule\",\"id\":\"bad2\",\"action\":\"save\",\"rule\":{\"name\":\"x\","
		       "\"type\":\"execution_failed\",\"severity\":\"error\",\"conditions\":{},"
		       "\"channels\":[{\"type\":\"webhook\",\"url\":\"ftp://x\",\"secret\":\"0123456789abcdef\"}]}}");
	assert_string_equal(jstr(a, "code"), "bad_request");
	assert_non_null(strstr(jstr(a, "field"), "channels[0].url"));
	json_decref(a);
	wsc_free(o);
	free(ot);
}

static void test_three_failures_fire_once_within_a_second(void **state)
{
	(void)state;
	char *ot = daemon_token(&D, "fin", "olga", "operator");
	char *pt = daemon_token(&D, "fin", "engine", "producer");
	struct wsc *o = client_open(&D, ot);
	char *r = rule_json();
	json_t *a = request(o, r);
	free(r);
	assert_string_equal(jstr(a, "type"), "rule_saved");
	json_t *rule = json_object_get(a, "rule");
	snprintf(rule_id, sizeof rule_id, "%s", jstr(rule, "id"));
	/* Secrets never come back. */
	char *dump = json_dumps(a, 0);
	assert_null(strstr(dump, SECRET));
	free(dump);
	json_decref(a);
	json_decref(client_subscribe(o, "alerts", -1));

	struct wsc *p = client_open(&D, pt);
	fail_or_pass(p, "jpk-a", true, 1);
	fail_or_pass(p, "jpk-b", true, 2);
	fail_or_pass(p, "jpk-c", false, 3);
	fail_or_pass(p, "jpk-d", true, 4);
	fail_or_pass(p, "jpk-e", true, 5);
	long long t0 = mono_ms();
	fail_or_pass(p, "jpk-f", true, 6);
	json_t *al = wait_alert(o, 0, false, "active", 2000);
	long long took = mono_ms() - t0;
	assert_non_null(al);
	assert_true(took < 1000);
	alert_id = json_integer_value(json_object_get(al, "id"));
	assert_string_equal(jstr(al, "state"), "active");
	assert_string_equal(jstr(al, "execution_id"), "jpk-f");
	assert_non_null(strstr(jstr(al, "title"), "nie powiodło się"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(al, "context"), "consecutive")), 3);
	fprintf(stderr, "alert fired %lld ms after the third failure\n", took);
	json_decref(al);

	/* Delivered once to the webhook (signed) and once by email. */
	assert_int_equal(http_rx_wait(hook, 1, 5000), 1);
	const struct http_rx_request *req = http_rx_get(hook, 0);
	assert_string_equal(req->path, "/hook");
	assert_true(http_rx_verify_signature(req, SECRET));
	assert_non_null(strstr(req->body, "jpk-f"));
	assert_non_null(strstr(req->body, "XSD validation failed"));
	/* No public URL: how to act from a shell instead of links. */
	char cmd[96];
	snprintf(cmd, sizeof cmd, "Potwierd\u017a z pow\u0142oki: wfmon alerts ack %lld", alert_id);
	assert_non_null(strstr(req->body, cmd));
	assert_null(strstr(req->body, "/v1/actions/"));
	assert_int_equal(smtp_rx_wait(mail, 1, 5000), 1);
	const struct smtp_rx_message *msg = smtp_rx_get(mail, 0);
	assert_string_equal(msg->rcpt[0], "ksiegowa@firma.pl");
	assert_non_null(strstr(msg->data, "jpk-f"));
	snprintf(cmd, sizeof cmd, "wfmon alerts escalate %lld", alert_id);
	assert_non_null(strstr(msg->data, cmd));

	/* Two more failures inside the cooldown: nothing more. */
	fail_or_pass(p, "jpk-g", true, 7);
	fail_or_pass(p, "jpk-h", true, 8);
	assert_null(wait_alert(o, alert_id, true, NULL, 1500));
	assert_int_equal(http_rx_count(hook), 1);
	assert_true(wait_db_count("fin", "alert_history", 1, 5000));
	assert_true(wait_db_count("fin", "notification_attempts WHERE ok", 2, 5000));
	wsc_free(p);
	wsc_free(o);
	free(ot);
	free(pt);
}

static void test_cooldown_holds_across_restart(void **state)
{
	(void)state;
	assert_int_equal(daemon_restart(&D, args), 0);
	char *ot = daemon_token(&D, "fin", "olga", "operator");
	char *pt = daemon_token(&D, "fin", "engine", "producer");
	struct wsc *o = client_open(&D, ot);
	json_t *a = client_subscribe(o, "alerts", -1);
	/* The alert is still there after the restart. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "snapshot"), "active")), 1);
	json_decref(a);
	struct wsc *p = client_open(&D, pt);
	for (int i = 0; i < 3; i++) {
		char x[32];
		snprintf(x, sizeof x, "jpk-r%d", i);
		fail_or_pass(p, x, true, 10 + i);
	}
	assert_null(wait_alert(o, alert_id, true, NULL, 1500));
	assert_true(wait_db_count("fin", "alert_history", 1, 3000));
	wsc_free(p);
	wsc_free(o);
	free(ot);
	free(pt);
}

static void test_acknowledge_escalate_resolve(void **state)
{
	(void)state;
	char *ot = daemon_token(&D, "fin", "olga", "operator");
	char *vt = daemon_token(&D, "fin", "viewer-1", "viewer");
	struct wsc *o = client_open(&D, ot);
	/* A second connection watches the room: o's own requests would skip
	 * past the announcements while waiting for their answers. */
	struct wsc *w = client_open(&D, ot);
	json_decref(client_subscribe(w, "alerts", -1));
	char req[256];
	struct wsc *v = client_open(&D, vt);
	snprintf(req, sizeof req, "{\"type\":\"alert\",\"id\":\"a1\",\"action\":\"acknowledge\",\"alert_id\":%lld}", alert_id);
	json_t *a = request(v, req);
	assert_string_equal(jstr(a, "code"), "forbidden");
	json_decref(a);
	wsc_free(v);

	snprintf(req, sizeof req, "{\"type\":\"alert\",\"id\":\"a2\",\"action\":\"acknowledge\",\"alert_id\":%lld,"
		 "\"note\":\"sprawdzam plik JPK\"}", alert_id);
	a = request(o, req);
	assert_string_equal(jstr(a, "type"), "done");
	json_decref(a);
	json_t *al = wait_alert(w, alert_id, false, "acknowledged", 2000);
	assert_non_null(al);
	assert_string_equal(jstr(al, "acknowledged_by"), "olga");
	assert_string_equal(jstr(al, "ack_note"), "sprawdzam plik JPK");
	json_decref(al);

	size_t before = http_rx_count(hook);
	snprintf(req, sizeof req, "{\"type\":\"alert\",\"id\":\"a3\",\"action\":\"escalate\",\"alert_id\":%lld}", alert_id);
	a = request(o, req);
	assert_string_equal(jstr(a, "type"), "done");
	json_decref(a);
	long long end0 = mono_ms() + 2000;
	bool critical = false;
	while (!critical && mono_ms() < end0 && (al = wait_alert(w, alert_id, false, NULL, 500)) != NULL) {
		critical = strcmp(jstr(al, "severity"), "critical") == 0;
		json_decref(al);
	}
	assert_true(critical);
	assert_int_equal(http_rx_wait(hook, before + 1, 5000), before + 1);
	assert_string_equal(http_rx_get(hook, before)->path, "/escalate");

	/* The next success resolves it on its own. */
	char *pt = daemon_token(&D, "fin", "engine", "producer");
	struct wsc *p = client_open(&D, pt);
	fail_or_pass(p, "jpk-ok", false, 20);
	al = wait_alert(w, alert_id, false, "resolved", 3000);
	assert_non_null(al);
	assert_string_equal(jstr(al, "resolved_by"), "wfmond");
	json_decref(al);
	/* Resolving twice is refused with a reason. */
	snprintf(req, sizeof req, "{\"type\":\"alert\",\"id\":\"a4\",\"action\":\"resolve\",\"alert_id\":%lld}", alert_id);
	a = request(o, req);
	assert_string_equal(jstr(a, "code"), "bad_request");
	json_decref(a);

	/* Every step is audited. */
	assert_true(wait_db_count("fin", "audit_log WHERE action = 'alert.rule_created'", 1, 3000));
	assert_true(wait_db_count("fin", "audit_log WHERE action = 'alert.triggered'", 1, 3000));
	assert_true(wait_db_count("fin", "audit_log WHERE action = 'alert.acknowledged' AND actor = 'olga'", 1, 3000));
	assert_true(wait_db_count("fin", "audit_log WHERE action = 'alert.escalated'", 1, 3000));
	assert_true(wait_db_count("fin", "audit_log WHERE action = 'alert.resolved'", 1, 3000));
	assert_true(wait_db_count("fin", "alert_history WHERE status = 'resolved' AND acknowledged_by = 'olga'", 1, 3000));
	wsc_free(p);
	wsc_free(o);
	wsc_free(w);
	free(ot);
	free(vt);
	free(pt);
}

static void test_dead_receiver_retried_and_recorded(void **state)
{
	(void)state;
	/* A receiver that is down: its port refuses connections. */
	struct http_rx *dead = http_rx_start(0);
	int port = http_rx_port(dead);
	http_rx_stop(dead);
	char *ot = daemon_token(&D, "ops", "olga", "operator");
	char *pt = daemon_token(&D, "ops", "engine", "producer");
	struct wsc *o = client_open(&D, ot);
	char r[1024];
	snprintf(r, sizeof r,
		 "{\"type\":\"rule\",\"id\":\"s\",\"action\":\"save\",\"rule\":{\"name\":\"any failure\","
		 "\"type\":\"execution_failed\",\"severity\":\"warning\",\"conditions\":{},\"channels\":["
		 "{\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/down\",\"secret\":\"%s\"}]}}", port, SECRET);
	json_t *a = request(o, r);
	assert_string_equal(jstr(a, "type"), "rule_saved");
	json_decref(a);
	struct wsc *p = client_open(&D, pt);
	char *ev = event_json("execution.failed", "ops-f1", "ops-x1", "\"error\":\"Brak kursu NBP dla EUR\"");
	char *arr;
	assert_true(asprintf(&arr, "[%s]", ev) > 0);
	json_decref(client_publish(p, arr));
	/* Three attempts (the daemon runs with --notify-attempts 3), all failed, the last final. */
	assert_true(wait_db_count("ops", "notification_attempts WHERE NOT ok", 3, 10000));
	assert_true(wait_db_count("ops", "notification_attempts WHERE NOT ok AND final", 1, 1000));
	char *detail = pgtest_text(PG.app, "SELECT set_config('wfmon.org', 'ops', false); "
					   "SELECT string_agg(detail, '|') FROM notification_attempts");
	assert_non_null(detail);
	assert_null(strstr(detail, SECRET));
	free(detail);
	http_rx_free(dead);
	free(arr);
	free(ev);
	wsc_free(p);
	wsc_free(o);
	free(ot);
	free(pt);
}

/* The note given with a resolve is stored and comes back after a restart. */
static void test_resolve_note_survives_restart(void **state)
{
	(void)state;
	char *ot = daemon_token(&D, "ops", "olga", "operator");
	struct wsc *o = client_open(&D, ot);
	json_t *a = client_subscribe(o, "alerts", -1);
	json_t *al = json_array_get(json_object_get(json_object_get(a, "snapshot"), "alerts"), 0);
	assert_non_null(al);
	long long id = json_integer_value(json_object_get(al, "id"));
	json_decref(a);
	char req[256];
	snprintf(req, sizeof req, "{\"type\":\"alert\",\"id\":\"r1\",\"action\":\"resolve\",\"alert_id\":%lld,"
		 "\"note\":\"kurs NBP dopisany recznie\"}", id);
	a = request(o, req);
	assert_string_equal(jstr(a, "type"), "done");
	json_decref(a);
	assert_true(wait_db_count("ops", "alert_history WHERE resolve_note = 'kurs NBP dopisany recznie'", 1, 3000));
	wsc_free(o);

	assert_int_equal(daemon_restart(&D, args), 0);
	o = client_open(&D, ot);
	a = client_subscribe(o, "alerts", -1);
	json_t *found = NULL;
	size_t i;
	json_array_foreach(json_object_get(json_object_get(a, "snapshot"), "alerts"), i, al)
		if (json_integer_value(json_object_get(al, "id")) == id)
			found = al;
	assert_non_null(found);
	assert_string_equal(jstr(found, "state"), "resolved");
	assert_string_equal(jstr(found, "resolve_note"), "kurs NBP dopisany recznie");
	json_decref(a);
	wsc_free(o);
	free(ot);
}

static void test_edit_keeps_secrets(void **state)
{
	(void)state;
	char *ot = daemon_token(&D, "fin", "olga", "operator");
	struct wsc *o = client_open(&D, ot);
	json_t *a = request(o, "{\"type\":\"rule\",\"id\":\"l2\",\"action\":\"list\"}");
	json_t *rule = NULL;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(a, "rules"), i, r)
		if (strcmp(jstr(r, "id"), rule_id) == 0)
			rule = r;
	assert_non_null(rule);
	assert_string_equal(jstr(json_array_get(json_object_get(rule, "channels"), 1), "secret"), "***");
	/* Rename it and send it back as clients see it. */
	json_object_set_new(rule, "name", json_string("JPK: three failures in a row"));
	json_t *req = json_pack("{s:s,s:s,s:s,s:O}", "type", "rule", "id", "e1", "action", "save", "rule", rule);
	char *text = json_dumps(req, JSON_COMPACT);
	json_t *saved = request(o, text);
	assert_string_equal(jstr(saved, "type"), "rule_saved");
	char sql[512];
	snprintf(sql, sizeof sql, "SELECT set_config('wfmon.org', 'fin', false); "
		 "SELECT rule->'channels'->1->>'secret' FROM monitoring_alerts WHERE alert_id = '%s'", rule_id);
	long long end = mono_ms() + 3000;
	char *secret = NULL;
	while (mono_ms() < end) {
		free(secret);
		secret = pgtest_text(PG.app, sql);
		char *name_sql;
		assert_true(asprintf(&name_sql, "SELECT set_config('wfmon.org', 'fin', false); SELECT name FROM "
					      "monitoring_alerts WHERE alert_id = '%s'", rule_id) > 0);
		char *name = pgtest_text(PG.app, name_sql);
		free(name_sql);
		bool renamed = name && strcmp(name, "JPK: three failures in a row") == 0;
		free(name);
		if (renamed)
			break;
		usleep(100000);
	}
	assert_non_null(secret);
	assert_string_equal(secret, SECRET);
	free(secret);
	free(text);
	json_decref(req);
	json_decref(saved);
	json_decref(a);
	wsc_free(o);
	free(ot);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_viewer_cannot_change_rules),
		cmocka_unit_test(test_invalid_rule_names_the_field),
		cmocka_unit_test(test_three_failures_fire_once_within_a_second),
		cmocka_unit_test(test_cooldown_holds_across_restart),
		cmocka_unit_test(test_acknowledge_escalate_resolve),
		cmocka_unit_test(test_dead_receiver_retried_and_recorded),
		cmocka_unit_test(test_resolve_note_survives_restart),
		cmocka_unit_test(test_edit_keeps_secrets),
	};
	return cmocka_run_group_tests_name("alerts", tests, setup, teardown);
}
