/* test_actions.c: acting on an alert from its notification (AC6), end to end
 * over HTTPS with a real PostgreSQL: the webhook carries signed links; a GET
 * shows the confirmation page and changes nothing; the page's POST
 * acknowledges, audited with who and how; a second use, an expired link, a
 * tampered one and one for another organization's alert are refused; the
 * escalate link escalates; a used link stays used across a restart. */
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

#include "action.h"
#include "harness.h"
#include "pg.h"
#include "receivers.h"
#include "tlsraw.h"

static struct pgtest PG;
static struct daemon D;
static struct http_rx *hook;
static char spool[300], secret_file[320], public_url[128];
static const char *args[24];
static const char ACTION_SECRET[] = "action-links-secret-0123456789-0123456789";
static long long alert_id;
static char ack_url[2048], esc_url[2048];

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (pgtest_start(&PG) < 0 || (hook = http_rx_start(0)) == NULL)
		return -1;
	snprintf(spool, sizeof spool, "%s/spool", PG.dir);
	snprintf(secret_file, sizeof secret_file, "%s/action-secret", PG.dir);
	FILE *f = fopen(secret_file, "w");
	fputs(ACTION_SECRET, f);
	fclose(f);
	int n = pgtest_daemon_args(&PG, spool, args);
	args[n++] = "--action-secret-file";
	args[n++] = secret_file;
	args[n] = NULL;
	/* The port is the daemon's to choose: the public URL names it once known. */
	if (daemon_start_with(&D, args, DAEMON_TLS) < 0)
		return -1;
	snprintf(public_url, sizeof public_url, "https://localhost:%d", D.port);
	args[n++] = "--public-url";
	args[n++] = public_url;
	args[n] = NULL;
	return daemon_restart(&D, args);
}

static int teardown(void **state)
{
	(void)state;
	daemon_stop(&D);
	http_rx_free(hook);
	pgtest_destroy(&PG);
	return 0;
}

/* An HTTPS request to a path of the daemon; the status, the page in body. */
static int https(const char *method, const char *path, const char *form, char *body, size_t len)
{
	char *req;
	if (form != NULL)
		assert_true(asprintf(&req, "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test-mailer\r\n"
					   "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %zu\r\n"
					   "Connection: close\r\n\r\n%s", method, path, strlen(form), form) > 0);
	else
		assert_true(asprintf(&req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", method,
				     path) > 0);
	struct tlsraw_options o = { .port = D.port, .host = "localhost", .ca_file = D.ca.cert };
	int status = tlsraw_http(&o, req, body, len);
	free(req);
	return status;
}

/* The path of a link the daemon made ("/v1/actions/..."). */
static const char *link_path(const char *url)
{
	assert_int_equal(strncmp(url, public_url, strlen(public_url)), 0);
	return url + strlen(public_url);
}

static long long audit_count(const char *org, const char *where)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT set_config('wfmon.org', '%s', false); SELECT count(*) FROM audit_log WHERE %s",
		 org, where);
	return pgtest_value(PG.app, sql);
}

static bool wait_audit(const char *org, const char *where, long long want)
{
	for (int i = 0; i < 100; i++) {
		if (audit_count(org, where) == want)
			return true;
		usleep(100000);
	}
	return false;
}

static json_t *alert_now(struct wsc *c)
{
	json_t *s = client_subscribe(c, "alerts", -1);
	json_t *list = json_object_get(json_object_get(s, "snapshot"), "alerts"), *a;
	size_t i;
	json_t *found = NULL;
	json_array_foreach(list, i, a)
		if (json_integer_value(json_object_get(a, "id")) == alert_id)
			found = json_incref(a);
	json_decref(s);
	assert_non_null(found);
	return found;
}

static void test_notification_carries_links(void **state)
{
	(void)state;
	char *ot = daemon_token(&D, "fin", "olga", "operator");
	char *pt = daemon_token(&D, "fin", "engine", "producer");
	struct wsc *o = client_open(&D, ot);
	char *rule;
	assert_true(asprintf(&rule, "{\"type\":\"rule\",\"id\":\"s\",\"action\":\"save\",\"rule\":{\"name\":\"JPK failed\","
				    "\"type\":\"execution_failed\",\"severity\":\"warning\",\"conditions\":{},"
				    "\"channels\":[{\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/hook\","
				    "\"secret\":\"webhook-secret-0123456789\"}]}}", http_rx_port(hook)) > 0);
	assert_int_equal(client_send(o, rule), 0);
	json_t *saved = client_recv_type(o, "rule_saved", 5000);
	assert_non_null(saved);
	json_decref(saved);
	free(rule);
	struct wsc *p = client_open(&D, pt);
	/* A workflow name with markup: the page must show it as text. */
	PUBLISH_OK(p, "execution.queued", "jpk-x-q", "jpk-x",
		   "\"workflow_name\":\"JPK <b>VAT</b>\",\"priority\":\"HIGH\",\"steps\":[{\"id\":\"s1\",\"name\":\"xsd\"}]");
	PUBLISH_OK(p, "execution.failed", "jpk-x-end", "jpk-x", "\"error\":\"XSD validation failed\"");
	assert_int_equal(http_rx_wait(hook, 1, 5000), 1);
	const struct http_rx_request *req = http_rx_get(hook, 0);
	json_t *body = json_loads(req->body, 0, NULL);
	json_t *al = json_object_get(body, "alert");
	alert_id = json_integer_value(json_object_get(al, "id"));
	json_t *actions = json_object_get(al, "actions");
	snprintf(ack_url, sizeof ack_url, "%s", jstr(actions, "acknowledge"));
	snprintf(esc_url, sizeof esc_url, "%s", jstr(actions, "escalate"));
	fprintf(stderr, "acknowledge link: %.80s...\n", ack_url);
	assert_non_null(strstr(ack_url, "/v1/actions/"));
	assert_string_not_equal(ack_url, esc_url);
	/* The text says it too, for a human reading the message. */
	assert_non_null(strstr(jstr(body, "text"), "Acknowledge: https://localhost:"));
	json_decref(body);
	wsc_free(p);
	wsc_free(o);
	free(ot);
	free(pt);
}

static void test_get_shows_and_changes_nothing(void **state)
{
	(void)state;
	char page[16384];
	assert_int_equal(https("GET", link_path(ack_url), NULL, page, sizeof page), 200);
	assert_non_null(strstr(page, "Acknowledge this alert?"));
	assert_non_null(strstr(page, "<form method=\"post\">"));
	assert_non_null(strstr(page, "Workflow execution failed: JPK &lt;b&gt;VAT&lt;/b&gt;"));
	assert_null(strstr(page, "<b>"));
	/* Twice, even: nothing happened. */
	assert_int_equal(https("GET", link_path(ack_url), NULL, page, sizeof page), 200);
	char *ot = daemon_token(&D, "fin", "olga", "operator");
	struct wsc *o = client_open(&D, ot);
	json_t *a = alert_now(o);
	assert_string_equal(jstr(a, "state"), "active");
	json_decref(a);
	wsc_free(o);
	free(ot);
}

static void test_post_acknowledges_and_audits(void **state)
{
	(void)state;
	char page[16384];
	assert_int_equal(https("POST", link_path(ack_url), "name=Anna+Kowalska&confirm=yes", page, sizeof page), 200);
	assert_non_null(strstr(page, "The alert is acknowledged."));
	char *ot = daemon_token(&D, "fin", "olga", "operator");
	struct wsc *o = client_open(&D, ot);
	json_t *a = alert_now(o);
	assert_string_equal(jstr(a, "state"), "acknowledged");
	assert_string_equal(jstr(a, "acknowledged_by"), "Anna Kowalska (webhook link)");
	json_decref(a);
	wsc_free(o);
	free(ot);
	/* Who and how, in the audit log. */
	assert_true(wait_audit("fin", "action = 'alert.acknowledged' AND details->>'via' = 'link' AND "
				      "details->>'name' = 'Anna Kowalska' AND details->>'channel' = 'webhook' AND "
				      "details->>'user_agent' = 'test-mailer' AND details->>'ip' = '127.0.0.1'", 1));
}

static void test_second_use_refused(void **state)
{
	(void)state;
	char page[16384];
	assert_int_equal(https("POST", link_path(ack_url), "confirm=yes", page, sizeof page), 410);
	assert_non_null(strstr(page, "used already"));
	assert_int_equal(https("GET", link_path(ack_url), NULL, page, sizeof page), 410);
	assert_true(wait_audit("fin", "action = 'alert.acknowledged'", 1));
}

static void test_tampered_expired_and_other_org_refused(void **state)
{
	(void)state;
	char page[16384], path[2048];
	/* One character of the payload changed: the signature no longer matches. */
	snprintf(path, sizeof path, "%s", link_path(esc_url));
	char *c = path + strlen("/v1/actions/") + 10;
	*c = *c == 'A' ? 'B' : 'A';
	assert_int_equal(https("POST", path, "confirm=yes", page, sizeof page), 403);
	assert_non_null(strstr(page, "not valid"));

	/* Signed with the daemon's secret, but expired, or for another organization. */
	struct action_key *k = action_key_new(ACTION_SECRET, strlen(ACTION_SECRET));
	struct action_claims cl = { .alert_id = alert_id, .kind = ACTION_ESCALATE, .exp_s = (int64_t)time(NULL) - 5 };
	snprintf(cl.org, sizeof cl.org, "fin");
	snprintf(cl.nonce, sizeof cl.nonce, "00112233445566778899aabbccddeeff");
	snprintf(cl.channel, sizeof cl.channel, "webhook");
	char *tok = action_token_new(k, &cl);
	snprintf(path, sizeof path, "/v1/actions/%s", tok);
	free(tok);
	assert_int_equal(https("POST", path, "confirm=yes", page, sizeof page), 410);
	assert_non_null(strstr(page, "expired"));
	cl.exp_s = (int64_t)time(NULL) + 600;
	snprintf(cl.org, sizeof cl.org, "another-org");
	tok = action_token_new(k, &cl);
	snprintf(path, sizeof path, "/v1/actions/%s", tok);
	free(tok);
	assert_int_equal(https("POST", path, "confirm=yes", page, sizeof page), 404);
	assert_non_null(strstr(page, "not known"));
	action_key_free(k);
	/* None of these changed anything. */
	assert_true(wait_audit("fin", "action = 'alert.escalated'", 0));
	assert_true(daemon_metric(&D, "wfmond_action_links_refused_total") >= 4);
}

static void test_escalate_link(void **state)
{
	(void)state;
	char page[16384];
	assert_int_equal(https("POST", link_path(esc_url), "confirm=yes", page, sizeof page), 200);
	assert_non_null(strstr(page, "The alert is escalated."));
	assert_true(wait_audit("fin", "action = 'alert.escalated' AND details->>'via' = 'link'", 1));
}

static void test_used_link_stays_used_after_restart(void **state)
{
	(void)state;
	/* The use is in PostgreSQL before the restart. */
	for (int i = 0; i < 50; i++) {
		if (pgtest_value(PG.app, "SELECT set_config('wfmon.org', 'fin', false); "
					 "SELECT count(*) FROM action_link_uses") == 2)
			break;
		usleep(100000);
	}
	assert_int_equal(daemon_restart(&D, args), 0);
	char page[16384];
	assert_int_equal(https("POST", link_path(ack_url), "confirm=yes", page, sizeof page), 410);
	assert_int_equal(https("POST", link_path(esc_url), "confirm=yes", page, sizeof page), 410);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notification_carries_links),
		cmocka_unit_test(test_get_shows_and_changes_nothing),
		cmocka_unit_test(test_post_acknowledges_and_audits),
		cmocka_unit_test(test_second_use_refused),
		cmocka_unit_test(test_tampered_expired_and_other_org_refused),
		cmocka_unit_test(test_escalate_link),
		cmocka_unit_test(test_used_link_stays_used_after_restart),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
