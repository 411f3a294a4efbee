/* test_daemon.c: the real wfmond, real WebSocket clients: authentication,
 * fan-out, snapshot then live, tenant isolation, rights, duplicates, resume,
 * slow consumers, bad frames, HTTP endpoints and the drain on SIGTERM. */
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
#include <unistd.h>

#include "harness.h"
#include "proto.h"
#include "wsclient.h"

static struct daemon D;

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	static const char *const extra[] = { "--outq-max-messages", "256", "--outq-max-bytes", "256K",
					     "--write-threads", "1", NULL };
	return daemon_start(&D, extra);
}

static int teardown(void **state)
{
	(void)state;
	return daemon_stop(&D) == 0 ? 0 : -1;
}

static const char QUEUED_EXTRA[] =
	"\"workflow_name\":\"month-end-closing\",\"priority\":\"HIGH\",\"steps\":["
	"{\"id\":\"s1\",\"name\":\"lock-period\"},{\"id\":\"s2\",\"name\":\"reconcile\",\"depends_on\":[\"s1\"]}]";

/* ---- authentication -------------------------------------------------------------- */

static void test_upgrade_without_token_is_401(void **state)
{
	(void)state;
	struct wsc *c = client_try(&D, NULL, NULL);
	assert_non_null(c);
	assert_int_equal(wsc_state(c), WSC_CLOSED);
	assert_int_equal(wsc_http_status(c), 401);
	wsc_free(c);

	c = client_try(&D, "not.a.token", NULL);
	assert_int_equal(wsc_http_status(c), 401);
	wsc_free(c);

	/* A token signed with another secret. */
	struct daemon other = D;
	snprintf(other.secret, sizeof other.secret, "%s/other-secret", D.dir);
	FILE *f = fopen(other.secret, "w");
	fputs("0123456789abcdef0123456789abcdef-another", f);
	fclose(f);
	char *t = daemon_token(&other, "acme", "eve", "admin");
	c = client_try(&D, t, NULL);
	assert_int_equal(wsc_http_status(c), 401);
	wsc_free(c);
	free(t);
}

static void test_upgrade_needs_subprotocol_and_websocket(void **state)
{
	(void)state;
	char body[1024];
	char *t = daemon_token(&D, "acme", "ann", "viewer");
	char req[4096];
	/* Neither websocket nor h2c: refused, and no later callback treats it as ours. */
	snprintf(req, sizeof req,
		 "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: foo\r\n"
		 "Authorization: Bearer %s\r\n\r\n", t);
	int status = http_raw(&D, req, body, sizeof body);
	assert_true(status == 403 || status == -1);
	/* A negative Content-Length is refused. */
	snprintf(req, sizeof req,
		 "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nAuthorization: Bearer %s\r\n\r\n", t);
	status = http_raw(&D, req, body, sizeof body);
	assert_true(status == 400 || status == 403 || status == -1);
	free(t);
	/* The daemon is still serving. */
	assert_int_equal(http_raw(&D, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body), 200);
}

/* ---- fan-out, order, snapshot ------------------------------------------------------ */

static void test_fanout_in_order_to_many(void **state)
{
	(void)state;
	/* More subscribers than one flush writes alone: the helpers share it. */
	enum { SUBS = 100, EVENTS = 200 };
	char *vt = daemon_token(&D, "acme", "ann", "viewer");
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *subs[SUBS];
	long long base[SUBS];
	for (int i = 0; i < SUBS; i++) {
		subs[i] = client_open(&D, vt);
		assert_non_null(subs[i]);
		json_t *a = client_subscribe(subs[i], "execution:fan-1", -1);
		assert_string_equal(jstr(a, "type"), "subscribed");
		base[i] = json_integer_value(json_object_get(a, "seq"));
		json_decref(a);
	}
	struct wsc *p = client_open(&D, pt);
	for (int b = 0; b < EVENTS / 50; b++) {
		json_t *ack = publish_log_batch(p, "fan", b * 50, 50, "fan-1", NULL);
		assert_int_equal(json_integer_value(json_object_get(ack, "accepted")), 50);
		json_decref(ack);
	}
	for (int i = 0; i < SUBS; i++) {
		for (int e = 0; e < EVENTS; e++) {
			json_t *m = client_recv(subs[i], 5000);
			assert_non_null(m);
			assert_string_equal(jstr(m, "type"), "event");
			/* Positions rise strictly; nothing in between belongs to this room. */
			long long seq = json_integer_value(json_object_get(m, "seq"));
			assert_true(seq > base[i]);
			base[i] = seq;
			char want[32];
			snprintf(want, sizeof want, "line %d", e);
			assert_string_equal(jstr(json_object_get(m, "event"), "message"), want);
			json_decref(m);
		}
		wsc_free(subs[i]);
	}
	assert_true(daemon_metric(&D, "wfmond_shared_flushes_total") > 0);
	wsc_free(p);
	free(vt);
	free(pt);
}

static void test_snapshot_then_live(void **state)
{
	(void)state;
	char *vt = daemon_token(&D, "acme", "ann", "viewer");
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *p = client_open(&D, pt);
	PUBLISH_OK(p, "execution.queued", "snap-1", "snap-x", QUEUED_EXTRA);
	PUBLISH_OK(p, "execution.started", "snap-2", "snap-x", "");
	PUBLISH_OK(p, "step.started", "snap-3", "snap-x", "\"step_id\":\"s1\",\"input\":{\"period\":\"2026-10\"}");
	PUBLISH_OK(p, "counter", "snap-4", "snap-x", "\"name\":\"POS orders fetched\",\"value\":42");

	struct wsc *v = client_open(&D, vt);
	json_t *sub = client_subscribe(v, "execution:snap-x", -1);
	assert_string_equal(jstr(sub, "type"), "subscribed");
	long long seq = json_integer_value(json_object_get(sub, "seq"));
	json_t *x = json_object_get(json_object_get(sub, "snapshot"), "execution");
	assert_string_equal(jstr(x, "status"), "running");
	assert_string_equal(jstr(x, "workflow_name"), "month-end-closing");
	json_t *steps = json_object_get(x, "steps");
	assert_int_equal(json_array_size(steps), 2);
	assert_string_equal(jstr(json_array_get(steps, 0), "status"), "running");
	assert_string_equal(jstr(json_array_get(steps, 1), "status"), "pending");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "counters"), "POS orders fetched")), 42);
	json_decref(sub);

	PUBLISH_OK(p, "step.completed", "snap-5", "snap-x", "\"step_id\":\"s1\",\"duration_ms\":1200");
	PUBLISH_OK(p, "execution.completed", "snap-6", "snap-x", "");
	json_t *m = client_recv(v, 5000);
	long long seq1 = json_integer_value(json_object_get(m, "seq"));
	assert_true(seq1 > seq);
	assert_string_equal(jstr(json_object_get(m, "event"), "id"), "snap-5");
	json_decref(m);
	m = client_recv(v, 5000);
	assert_true(json_integer_value(json_object_get(m, "seq")) > seq1);
	assert_string_equal(jstr(json_object_get(m, "event"), "type"), "execution.completed");
	json_decref(m);
	/* Nothing more: no event twice. */
	assert_null(client_recv(v, 300));
	wsc_free(v);
	wsc_free(p);
	free(vt);
	free(pt);
}

/* ---- tenants and rights ---------------------------------------------------------------- */

static void test_tenant_isolation(void **state)
{
	(void)state;
	char *vb = daemon_token(&D, "beta", "bob", "admin");
	char *pa = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *p = client_open(&D, pa);
	PUBLISH_OK(p, "execution.queued", "iso-1", "iso-x", QUEUED_EXTRA);
	PUBLISH_OK(p, "execution.started", "iso-2", "iso-x", "");
	struct wsc *b = client_open(&D, vb);
	/* Whatever room names B asks for, it only ever sees its own organization:
	 * A's execution is not in B's snapshots ... */
	const char *rooms[] = { "org", "execution:iso-x", "workflow:wf-test", "queue", "resources" };
	for (size_t i = 0; i < sizeof rooms / sizeof rooms[0]; i++) {
		json_t *a = client_subscribe(b, rooms[i], -1);
		assert_string_equal(jstr(a, "type"), "subscribed");
		json_t *snap = json_object_get(a, "snapshot");
		char *dump = json_dumps(snap, 0);
		assert_null(strstr(dump, "iso-x"));
		assert_null(strstr(dump, "month-end-closing"));
		free(dump);
		json_decref(a);
	}
	/* ... and none of its live events reach B. */
	PUBLISH_OK(p, "step.started", "iso-3", "iso-x", "\"step_id\":\"s1\"");
	PUBLISH_OK(p, "resource.sample", "iso-4", "iso-x", "\"worker\":\"w1\",\"cpu_percent\":50,\"memory_bytes\":1000");
	PUBLISH_OK(p, "execution.failed", "iso-5", "iso-x", "\"error\":\"boom\"");
	/* B may hear about its own organization (queue and resource numbers),
	 * never an event or anything naming A's execution. */
	long long until = mono_ms() + 1000;
	while (mono_ms() < until) {
		json_t *m = client_recv(b, 200);
		if (m == NULL)
			continue;
		char *dump = json_dumps(m, 0);
		assert_string_not_equal(jstr(m, "type"), "event");
		assert_null(strstr(dump, "iso-x"));
		assert_null(strstr(dump, "month-end-closing"));
		free(dump);
		json_decref(m);
	}
	wsc_free(b);
	wsc_free(p);
	free(vb);
	free(pa);
}

static void test_rights(void **state)
{
	(void)state;
	char *vt = daemon_token(&D, "acme", "ann", "viewer");
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *v = client_open(&D, vt);
	char *ev = event_json("log", "r-1", "r-x", "\"level\":\"info\",\"message\":\"hi\"");
	char *arr;
	assert_true(asprintf(&arr, "[%s]", ev) > 0);
	json_t *a = client_publish(v, arr);
	assert_string_equal(jstr(a, "type"), "error");
	assert_string_equal(jstr(a, "code"), "forbidden");
	json_decref(a);
	a = client_subscribe(v, "control", -1);
	assert_string_equal(jstr(a, "code"), "forbidden");
	json_decref(a);

	struct wsc *p = client_open(&D, pt);
	a = client_subscribe(p, "org", -1);
	assert_string_equal(jstr(a, "code"), "forbidden");
	json_decref(a);
	a = client_subscribe(p, "control", -1);
	assert_string_equal(jstr(a, "type"), "subscribed");
	json_decref(a);
	wsc_free(v);
	wsc_free(p);
	free(arr);
	free(ev);
	free(vt);
	free(pt);
}

/* ---- bad input -------------------------------------------------------------------------- */

static void test_bad_events_are_named_and_others_kept(void **state)
{
	(void)state;
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *p = client_open(&D, pt);
	char *good = event_json("log", "bad-1", "bad-x", "\"level\":\"info\",\"message\":\"ok\"");
	char *bad = event_json("step.progress", "bad-2", "bad-x", "\"step_id\":\"s1\",\"current\":5,\"total\":\"x\"");
	char *good2 = event_json("log", "bad-3", "bad-x", "\"level\":\"warn\",\"message\":\"ok\"");
	char *arr;
	assert_true(asprintf(&arr, "[%s,%s,%s]", good, bad, good2) > 0);
	json_t *ack = client_publish(p, arr);
	assert_string_equal(jstr(ack, "type"), "ack");
	assert_int_equal(json_integer_value(json_object_get(ack, "accepted")), 2);
	assert_int_equal(json_integer_value(json_object_get(ack, "rejected")), 1);
	json_t *r = json_object_get(ack, "results");
	assert_string_equal(jstr(json_array_get(r, 0), "status"), "ok");
	assert_string_equal(jstr(json_array_get(r, 1), "status"), "error");
	assert_string_equal(jstr(json_array_get(r, 1), "event_id"), "bad-2");
	assert_non_null(strstr(jstr(json_array_get(r, 1), "field"), "total"));
	assert_string_equal(jstr(json_array_get(r, 2), "status"), "ok");
	json_decref(ack);

	/* Malformed requests get errors and the connection stays. */
	assert_int_equal(client_send(p, "{not json"), 0);
	json_t *e = client_recv_type(p, "error", 2000);
	assert_string_equal(jstr(e, "code"), "bad_request");
	json_decref(e);
	assert_int_equal(client_send(p, "{\"type\":\"dance\",\"id\":9}"), 0);
	e = client_recv_type(p, "error", 2000);
	assert_int_equal(json_integer_value(json_object_get(e, "id")), 9);
	json_decref(e);
	wsc_free(p);
	free(arr);
	free(good);
	free(bad);
	free(good2);
	free(pt);
}

static void test_oversized_and_invalid_frames(void **state)
{
	(void)state;
	char *vt = daemon_token(&D, "acme", "ann", "viewer");
	struct wsc *c = client_open(&D, vt);
	size_t big = PROTO_MAX_MESSAGE + 10;
	char *junk = malloc(big);
	memset(junk, 'a', big);
	wsc_send_frame(c, 0x1, true, junk, big);
	assert_int_equal(client_wait_close(c, 5000), 1009);
	wsc_free(c);

	/* The same size in fragments. */
	c = client_open(&D, vt);
	wsc_send_frame(c, 0x1, false, junk, big / 2);
	wsc_send_frame(c, 0x0, true, junk, big - big / 2);
	assert_int_equal(client_wait_close(c, 5000), 1009);
	wsc_free(c);
	free(junk);

	c = client_open(&D, vt);
	const char invalid[] = { '{', '"', (char)0xc3, (char)0x28, '"', '}' };
	wsc_send_frame(c, 0x1, true, invalid, sizeof invalid);
	assert_int_equal(client_wait_close(c, 5000), 1007);
	wsc_free(c);
	free(vt);
}

/* ---- duplicates and resume ------------------------------------------------------------ */

static void test_duplicate_event_delivered_once(void **state)
{
	(void)state;
	char *vt = daemon_token(&D, "acme", "ann", "viewer");
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *v = client_open(&D, vt);
	json_decref(client_subscribe(v, "execution:dup-x", -1));
	struct wsc *p = client_open(&D, pt);
	char *ev = event_json("log", "dup-1", "dup-x", "\"level\":\"info\",\"message\":\"once\"");
	char *arr;
	assert_true(asprintf(&arr, "[%s]", ev) > 0);
	for (int i = 0; i < 3; i++) {
		json_t *ack = client_publish(p, arr);
		assert_string_equal(jstr(json_array_get(json_object_get(ack, "results"), 0), "status"),
				    i == 0 ? "ok" : "duplicate");
		json_decref(ack);
	}
	json_t *m = client_recv(v, 2000);
	assert_non_null(m);
	json_decref(m);
	assert_null(client_recv(v, 300));
	wsc_free(v);
	wsc_free(p);
	free(arr);
	free(ev);
	free(vt);
	free(pt);
}

static void test_resume_and_reset(void **state)
{
	(void)state;
	char *vt = daemon_token(&D, "acme", "ann", "viewer");
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *v = client_open(&D, vt);
	json_t *a = client_subscribe(v, "execution:res-x", -1);
	long long seq = json_integer_value(json_object_get(a, "seq"));
	json_decref(a);
	struct wsc *p = client_open(&D, pt);
	PUBLISH_OK(p, "log", "res-1", "res-x", "\"level\":\"info\",\"message\":\"one\"");
	json_t *m = client_recv(v, 2000);
	long long last = json_integer_value(json_object_get(m, "seq"));
	assert_true(last > seq);
	json_decref(m);
	wsc_free(v);

	/* Missed while away. */
	PUBLISH_OK(p, "log", "res-2", "res-x", "\"level\":\"info\",\"message\":\"two\"");
	PUBLISH_OK(p, "log", "res-3", "res-x", "\"level\":\"info\",\"message\":\"three\"");

	v = client_open(&D, vt);
	a = client_subscribe(v, "execution:res-x", last);
	assert_string_equal(jstr(a, "type"), "subscribed");
	assert_true(json_is_true(json_object_get(a, "resumed")));
	json_decref(a);
	const char *want[] = { "two", "three" };
	long long prev = last;
	for (int i = 0; i < 2; i++) {
		m = client_recv(v, 2000);
		assert_true(json_integer_value(json_object_get(m, "seq")) > prev);
		prev = json_integer_value(json_object_get(m, "seq"));
		assert_string_equal(jstr(json_object_get(m, "event"), "message"), want[i]);
		json_decref(m);
	}
	assert_null(client_recv(v, 300));
	wsc_free(v);

	/* Too old or unknown: an explicit reset with a fresh snapshot. */
	v = client_open(&D, vt);
	a = client_subscribe(v, "execution:res-x", 5);
	assert_false(json_is_true(json_object_get(a, "resumed")));
	assert_non_null(json_object_get(json_object_get(a, "snapshot"), "execution"));
	json_decref(a);
	wsc_free(v);
	wsc_free(p);
	free(vt);
	free(pt);
}

/* ---- slow consumers ------------------------------------------------------------------- */

static void test_slow_consumer_cut_off_others_keep_pace(void **state)
{
	(void)state;
	char *vt = daemon_token(&D, "acme", "ann", "viewer");
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *slow = client_open(&D, vt);
	struct wsc *fast = client_open(&D, vt);
	json_decref(client_subscribe(slow, "execution:slow-x", -1));
	json_decref(client_subscribe(fast, "execution:slow-x", -1));
	struct wsc *p = client_open(&D, pt);
	/* 2 KB messages: the slow one never reads, and its socket buffers and its
	 * 256-message / 256 KiB queue run over. */
	char pad[2001];
	memset(pad, 'x', 2000);
	pad[2000] = '\0';
	int received = 0;
	const int total = 3000;
	for (int b = 0; b < total / 100; b++) {
		json_decref(publish_log_batch(p, "slow", b * 100, 100, "slow-x", pad));
		/* The fast consumer keeps up. */
		json_t *m;
		while ((m = client_recv(fast, received < (b + 1) * 100 ? 2000 : 0)) != NULL) {
			received++;
			json_decref(m);
			if (received == (b + 1) * 100)
				break;
		}
	}
	assert_int_equal(received, total);
	/* The slow one was closed (it may only see the close once it reads). */
	int code = client_wait_close(slow, 10000);
	assert_true(code == PROTO_CLOSE_SLOW_CONSUMER || code == 1006);
	char body[8192];
	assert_int_equal(http_raw(&D, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body), 200);
	assert_null(strstr(body, "wfmond_slow_consumers_dropped_total 0\n"));
	wsc_free(slow);
	wsc_free(fast);
	wsc_free(p);
	free(vt);
	free(pt);
}

/* Every turn of the event loop is counted: the histogram's +Inf bucket is
 * its count, the count grows with traffic; the longest turn is shown, and
 * the loop thread's CPU time and time waiting for a CPU. */
static long metric_in(const char *body, const char *name)
{
	char want[128];
	snprintf(want, sizeof want, "\n%s ", name);
	const char *p = strstr(body, want);
	return p ? atol(p + strlen(want)) : -1;
}

static void test_loop_turns_counted(void **state)
{
	(void)state;
	static char body[65536];
	assert_int_equal(http_raw(&D, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body), 200);
	long before = metric_in(body, "wfmond_loop_turn_seconds_count");
	assert_true(before > 0);
	assert_int_equal(metric_in(body, "wfmond_loop_turn_seconds_bucket{le=\"+Inf\"}"), before);
	assert_non_null(strstr(body, "\nwfmond_loop_turn_max_seconds 0."));
	assert_non_null(strstr(body, "\nwfmond_loop_cpu_seconds_total "));
	assert_non_null(strstr(body, "\nwfmond_loop_runnable_waiting_seconds_total "));
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *p = client_open(&D, pt);
	for (int i = 0; i < 20; i++) {
		char id[32];
		snprintf(id, sizeof id, "turns-%d", i);
		PUBLISH_OK(p, "log", id, "x-turns", "\"level\":\"info\",\"message\":\"m\"");
	}
	assert_int_equal(http_raw(&D, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body), 200);
	assert_true(metric_in(body, "wfmond_loop_turn_seconds_count") >= before + 20);
	wsc_free(p);
	free(pt);
}

/* The same among many, whose flushes the write helper shares: the slow one
 * also watches a room of 4 KB events (10 MB in all, more than the sockets
 * hold), the 80 others only a room of small ones, and they keep up. */
static void test_slow_consumer_among_many(void **state)
{
	(void)state;
	enum { FAST = 80, ROUNDS = 25, BIG = 100, SMALL = 20 };
	char *vt = daemon_token(&D, "acme", "ann", "viewer");
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	long shared_before = daemon_metric(&D, "wfmond_shared_flushes_total");
	long cut_before = daemon_metric(&D, "wfmond_slow_consumers_dropped_total");
	struct wsc *slow = client_open(&D, vt);
	json_decref(client_subscribe(slow, "execution:many-x", -1));
	json_decref(client_subscribe(slow, "execution:many-big", -1));
	struct wsc *fast[FAST];
	for (int i = 0; i < FAST; i++) {
		fast[i] = client_open(&D, vt);
		assert_non_null(fast[i]);
		json_decref(client_subscribe(fast[i], "execution:many-x", -1));
	}
	struct wsc *p = client_open(&D, pt);
	char big[4001];
	memset(big, 'y', 4000);
	big[4000] = '\0';
	for (int r = 0; r < ROUNDS; r++) {
		json_decref(publish_log_batch(p, "many-big", r * BIG, BIG, "many-big", big));
		json_decref(publish_log_batch(p, "many", r * SMALL, SMALL, "many-x", NULL));
		for (int i = 0; i < FAST; i++) {
			for (int e = r * SMALL; e < (r + 1) * SMALL; e++) {
				json_t *m = client_recv(fast[i], 5000);
				assert_non_null(m);
				char want[32];
				snprintf(want, sizeof want, "many-%d", e);
				assert_string_equal(jstr(json_object_get(m, "event"), "id"), want);
				json_decref(m);
			}
		}
	}
	int code = client_wait_close(slow, 10000);
	assert_true(code == PROTO_CLOSE_SLOW_CONSUMER || code == 1006);
	assert_int_equal(daemon_metric(&D, "wfmond_slow_consumers_dropped_total"), cut_before + 1);
	assert_true(daemon_metric(&D, "wfmond_shared_flushes_total") > shared_before);
	for (int i = 0; i < FAST; i++) {
		assert_int_equal(wsc_state(fast[i]), WSC_OPEN);
		wsc_free(fast[i]);
	}
	wsc_free(slow);
	wsc_free(p);
	free(vt);
	free(pt);
}

/* ---- HTTP ------------------------------------------------------------------------------- */

static void test_http_endpoints(void **state)
{
	(void)state;
	char body[65536];
	char req[8192];
	assert_int_equal(http_raw(&D, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body), 200);
	assert_non_null(strstr(body, "\"status\":\"ok\""));
	assert_int_equal(http_raw(&D, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body), 200);
	assert_non_null(strstr(body, "wfmond_connections "));
	assert_int_equal(http_raw(&D, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body), 404);

	char *vt = daemon_token(&D, "acme", "ann", "viewer");
	char *pt = daemon_token(&D, "acme", "sim", "producer");
	struct wsc *v = client_open(&D, vt);
	json_decref(client_subscribe(v, "execution:http-x", -1));

	char *e1 = event_json("log", "http-1", "http-x", "\"level\":\"info\",\"message\":\"via http\"");
	char *e2 = event_json("log", "http-2", "http-x", "\"level\":\"info\",\"message\":\"second\"");
	char payload[4096];
	snprintf(payload, sizeof payload, "%s\n{broken\n%s\n", e1, e2);
	snprintf(req, sizeof req,
		 "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
		 "Authorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n%s", pt, strlen(payload), payload);
	assert_int_equal(http_raw(&D, req, body, sizeof body), 200);
	json_t *res = json_loads(body, 0, NULL);
	assert_non_null(res);
	assert_int_equal(json_integer_value(json_object_get(res, "accepted")), 2);
	assert_int_equal(json_integer_value(json_object_get(res, "rejected")), 1);
	assert_int_equal(json_array_size(json_object_get(res, "results")), 3);
	json_decref(res);
	json_t *m = client_recv(v, 2000);
	assert_string_equal(jstr(json_object_get(m, "event"), "message"), "via http");
	json_decref(m);
	m = client_recv(v, 2000);
	assert_string_equal(jstr(json_object_get(m, "event"), "message"), "second");
	json_decref(m);

	/* A viewer token may not post; no token is 401. */
	snprintf(payload, sizeof payload, "[%s]", e1);
	snprintf(req, sizeof req,
		 "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n%s",
		 vt, strlen(payload), payload);
	assert_int_equal(http_raw(&D, req, body, sizeof body), 403);
	snprintf(req, sizeof req, "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s",
		 strlen(payload), payload);
	assert_int_equal(http_raw(&D, req, body, sizeof body), 401);
	wsc_free(v);
	free(e1);
	free(e2);
	free(vt);
	free(pt);
}

static void test_rate_and_subscription_limits(void **state)
{
	(void)state;
	char *vt = daemon_token(&D, "acme", "ann", "viewer");
	struct wsc *v = client_open(&D, vt);
	int subscribed = 0, refused = 0;
	for (int i = 0; i < 70; i++) {
		char room[64];
		snprintf(room, sizeof room, "execution:lim-%d", i);
		json_t *a = client_subscribe(v, room, -1);
		if (strcmp(jstr(a, "type"), "subscribed") == 0)
			subscribed++;
		else if (strcmp(jstr(a, "code"), "too_large") == 0)
			refused++;
		json_decref(a);
	}
	assert_int_equal(subscribed, 64);
	assert_int_equal(refused, 6);
	/* A burst a little over what is left of the budget (400, refilled at
	 * 200/s, less the subscriptions above): some are
	 * refused, the connection stays (it is closed only once 100 refusals
	 * fall within 10 s: test_limits). Sent in rounds of 50 so that the
	 * answers never pass the queue limit. */
	int pongs = 0, limited = 0;
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < 50; i++)
			wsc_send_text(v, "{\"type\":\"ping\"}", 15);
		assert_int_equal(wsc_wait_flushed(v, 5000), 0);
		for (int i = 0; i < 50; i++) {
			json_t *m = client_recv(v, 2000);
			assert_non_null(m);
			if (strcmp(jstr(m, "type"), "pong") == 0)
				pongs++;
			else if (strcmp(jstr(m, "code"), "rate_limited") == 0)
				limited++;
			json_decref(m);
		}
	}
	assert_int_equal(pongs + limited, 400);
	assert_true(limited > 0);
	assert_true(limited < 100);
	assert_true(pongs >= 300);
	assert_int_equal(wsc_state(v), WSC_OPEN);
	wsc_free(v);
	free(vt);
}

static void test_sigterm_drains(void **state)
{
	(void)state;
	struct daemon d2;
	assert_int_equal(daemon_start(&d2, NULL), 0);
	char *vt = daemon_token(&d2, "acme", "ann", "viewer");
	struct wsc *v = client_open(&d2, vt);
	json_decref(client_subscribe(v, "org", -1));
	kill(d2.pid, SIGTERM);
	assert_int_equal(client_wait_close(v, 5000), 1001);
	assert_int_equal(daemon_stop(&d2), 0);
	wsc_free(v);
	free(vt);
}

static void test_dead_peer_detected_by_ping(void **state)
{
	(void)state;
	struct daemon d2;
	static const char *const extra[] = { "--ping-interval", "1", "--ping-timeout", "2", NULL };
	assert_int_equal(daemon_start(&d2, extra), 0);
	char *vt = daemon_token(&d2, "acme", "ann", "viewer");
	struct wsc *alive = client_open(&d2, vt);
	struct wsc *dead = client_open(&d2, vt);
	json_decref(client_subscribe(dead, "org", -1));
	assert_int_equal(daemon_metric(&d2, "wfmond_connections"), 2);
	/* `dead` is never serviced again: it answers no ping. `alive` is. */
	for (int i = 0; i < 50 && daemon_metric(&d2, "wfmond_connections") != 1; i++) {
		const char *data;
		size_t len;
		wsc_wait_message(alive, 100, &data, &len);
	}
	assert_int_equal(daemon_metric(&d2, "wfmond_connections"), 1);
	assert_int_equal(wsc_state(alive), WSC_OPEN);
	wsc_free(alive);
	wsc_free(dead);
	free(vt);
	assert_int_equal(daemon_stop(&d2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upgrade_without_token_is_401),
		cmocka_unit_test(test_loop_turns_counted),
		cmocka_unit_test(test_upgrade_needs_subprotocol_and_websocket),
		cmocka_unit_test(test_fanout_in_order_to_many),
		cmocka_unit_test(test_snapshot_then_live),
		cmocka_unit_test(test_tenant_isolation),
		cmocka_unit_test(test_rights),
		cmocka_unit_test(test_bad_events_are_named_and_others_kept),
		cmocka_unit_test(test_oversized_and_invalid_frames),
		cmocka_unit_test(test_duplicate_event_delivered_once),
		cmocka_unit_test(test_resume_and_reset),
		cmocka_unit_test(test_slow_consumer_cut_off_others_keep_pace),
		cmocka_unit_test(test_slow_consumer_among_many),
		cmocka_unit_test(test_http_endpoints),
		cmocka_unit_test(test_rate_and_subscription_limits),
		cmocka_unit_test(test_sigterm_drains),
		cmocka_unit_test(test_dead_peer_detected_by_ping),
	};
	return cmocka_run_group_tests_name("daemon", tests, setup, teardown);
}
