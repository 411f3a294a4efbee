/* test_limits.c: the protocol limits against clients that misbehave on
 * purpose, each with its close code and its timing: a dead peer, a slow
 * consumer (alone and a hundred at once), a binary frame, unmasked frames,
 * data before the 101, a flood over the request budget, a run of malformed
 * requests, and HTTP requests that never finish (slowloris).
 *
 * Timings are printed ("limit: ...") and checked with generous bounds; the
 * daemon runs with short settings so that the suite stays quick. With
 * WFMON_LIMITS_DEFAULTS=1 the dead-peer and slowloris cases run with the
 * defaults (25 + 10 s, 10 s) instead, to measure those. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "proto.h"
#include "wsframe.h"

static bool defaults(void)
{
	const char *e = getenv("WFMON_LIMITS_DEFAULTS");
	return e != NULL && strcmp(e, "1") == 0;
}

/* Polls a metric every 10 ms until it differs from `from`; returns the time
 * (mono ms) it was first seen changed, or -1 after timeout_ms. */
static long long wait_metric_change(const struct daemon *d, const char *name, long from, int timeout_ms)
{
	long long end = mono_ms() + timeout_ms;
	while (mono_ms() < end) {
		long v = daemon_metric(d, name);
		if (v >= 0 && v != from)
			return mono_ms();
		usleep(10000);
	}
	return -1;
}

/* The next message, also one that arrived before the close frame; 0 once
 * the connection is closed and nothing is left, or at end_ms. */
static int next_message(struct wsc *c, long long end_ms, const char **data, size_t *len)
{
	for (;;) {
		if (wsc_next(c, data, len) == 1)
			return 1;
		if (wsc_state(c) == WSC_CLOSED || mono_ms() >= end_ms)
			return 0;
		if (wsc_wait_message(c, 10, data, len) == 1)
			return 1;
	}
}

static int raw_connect(const struct daemon *d)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)d->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

/* A WebSocket upgrade request with token, without its final blank line;
 * returns its length. */
static int upgrade_request(char *buf, size_t len, const char *token)
{
	return snprintf(buf, len,
			"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
			"Sec-WebSocket-Protocol: " PROTO_SUBPROTOCOL "\r\nAuthorization: Bearer %s\r\n", token);
}

/* A masked client frame in buf (at least len + 14 bytes); returns its size. */
static size_t client_frame(uint8_t *buf, enum ws_opcode op, const void *data, size_t len, bool masked)
{
	static const uint8_t mask[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t h = wsframe_header(buf, op, true, len, masked ? mask : NULL);
	memcpy(buf + h, data, len);
	if (masked)
		wsframe_mask(buf + h, len, mask, 0);
	return h + len;
}

/* ---- dead peers ------------------------------------------------------------------ */

static void test_dead_peer_closed_in_time(void **state)
{
	(void)state;
	int ping = defaults() ? 25 : 2, timeout = defaults() ? 10 : 1;
	char sping[16], stimeout[16];
	snprintf(sping, sizeof sping, "%d", ping);
	snprintf(stimeout, sizeof stimeout, "%d", timeout);
	const char *const extra[] = { "--ping-interval", sping, "--ping-timeout", stimeout, NULL };
	struct daemon d;
	assert_int_equal(daemon_start(&d, extra), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	struct wsc *alive = client_open(&d, vt);
	struct wsc *dead = client_open(&d, vt);
	json_decref(client_subscribe(dead, "org", -1));
	/* Its last sign of life: the subscribe request it just sent. */
	long long heard = mono_ms();
	long closed_before = daemon_metric(&d, "wfmond_dead_peers_closed_total");
	long long closed = -1;
	long long end = heard + (ping + timeout) * 1000 + 5000;
	while (closed < 0 && mono_ms() < end) {
		const char *data;
		size_t len;
		wsc_wait_message(alive, 10, &data, &len);   /* alive answers pings */
		if (daemon_metric(&d, "wfmond_dead_peers_closed_total") != closed_before)
			closed = mono_ms();
	}
	assert_true(closed > 0);
	double after = (double)(closed - heard) / 1000;
	fprintf(stderr, "limit: dead peer closed %.2f s after its last sign of life (ping %d s + timeout %d s)\n",
		after, ping, timeout);
	/* Not before its ping went unanswered for most of the timeout... */
	assert_true(after >= ping + timeout - 0.5);
	/* ...and within the deadline (generous for a loaded machine). */
	assert_true(after <= ping + timeout + 1.0);
	assert_int_equal(daemon_metric(&d, "wfmond_connections"), 1);
	assert_int_equal(wsc_state(alive), WSC_OPEN);
	wsc_free(alive);
	wsc_free(dead);
	free(vt);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- slow consumers ---------------------------------------------------------------- */

/* Publishes 4 KB log events to execution:ID in batches of 50 until stop()
 * says so or max_batches are out; returns the batches sent. */
static int flood(struct wsc *p, const char *exec_id, int first_batch, int max_batches,
		 bool (*stop)(void *), void *arg)
{
	static char pad[4001];
	memset(pad, 'z', 4000);
	int b;
	for (b = first_batch; b < first_batch + max_batches && !(stop && stop(arg)); b++)
		json_decref(publish_log_batch(p, exec_id, b * 50, 50, exec_id, pad));
	return b - first_batch;
}

struct cut_watch {
	const struct daemon *d;
	long want;     /* slow_consumers_dropped_total to reach */
};

static bool was_cut(void *arg)
{
	struct cut_watch *w = arg;
	return daemon_metric(w->d, "wfmond_slow_consumers_dropped_total") >= w->want;
}

static void test_slow_consumer_cut_within_2s_and_released(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start(&d, NULL), 0);   /* outq-max-bytes 1M by default */
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	char *pt = daemon_token(&d, "acme", "sim", "producer");
	struct wsc *slow = client_open(&d, vt);
	json_decref(client_subscribe(slow, "execution:slow-1", -1));
	struct wsc *p = client_open(&d, pt);
	long conns = daemon_metric(&d, "wfmond_connections");
	long cut_before = daemon_metric(&d, "wfmond_slow_consumers_dropped_total");
	struct cut_watch w = { &d, cut_before + 1 };
	/* The slow one never reads: its socket buffers fill, then its queue. */
	int batches = flood(p, "slow-1", 0, 400, was_cut, &w);
	long long cut = wait_metric_change(&d, "wfmond_slow_consumers_dropped_total", cut_before, 5000);
	assert_true(cut > 0);
	/* Its memory goes at once: nothing of it stays queued. */
	long queued = daemon_metric(&d, "wfmond_outbound_queued_bytes");
	long long closed = wait_metric_change(&d, "wfmond_connections", conns, 5000);
	assert_true(closed > 0);
	double after = (double)(closed - cut) / 1000;
	fprintf(stderr, "limit: slow consumer over 1 MiB (after %d x 200 KB batches): closed %.2f s after the "
			"cut (goal 2 s); %ld bytes queued right after the cut\n", batches, after, queued);
	assert_true(queued < 64 * 1024);
	assert_true(after <= 3.0);
	assert_int_equal(daemon_metric(&d, "wfmond_connections"), conns - 1);
	wsc_free(slow);
	wsc_free(p);
	free(vt);
	free(pt);
	assert_int_equal(daemon_stop(&d), 0);
}

/* A hundred slow consumers at once: each is cut, and each that reads a
 * little within the grace (its socket takes the close frame then) finds the
 * close frame 4001 once it reads everything. */
static void test_hundred_slow_consumers_get_4001(void **state)
{
	(void)state;
	enum { N = 100 };
	struct daemon d;
	const char *const extra[] = { "--outq-max-bytes", "128K", "--max-connections", "1000", NULL };
	assert_int_equal(daemon_start(&d, extra), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	char *pt = daemon_token(&d, "acme", "sim", "producer");
	struct wsc *c[N];
	for (int i = 0; i < N; i++) {
		c[i] = client_open(&d, vt);
		assert_non_null(c[i]);
		/* Small buffers, so that the flood fills them soon. */
		int small = 32 * 1024;
		setsockopt(wsc_fd(c[i]), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
		json_decref(client_subscribe(c[i], "execution:many-slow", -1));
	}
	struct wsc *p = client_open(&d, pt);
	long cut_before = daemon_metric(&d, "wfmond_slow_consumers_dropped_total");
	struct cut_watch w = { &d, cut_before + N };
	long long t0 = mono_ms();
	flood(p, "many-slow", 0, 200, was_cut, &w);
	long cut = daemon_metric(&d, "wfmond_slow_consumers_dropped_total") - cut_before;
	/* Each reads now (a message or two makes room for the close frame)... */
	for (int i = 0; i < N; i++) {
		const char *data;
		size_t len;
		for (int k = 0; k < 8; k++)
			wsc_wait_message(c[i], 0, &data, &len);
	}
	/* ...then everything, to the end. */
	int got4001 = 0, got1006 = 0;
	for (int i = 0; i < N; i++) {
		int code = client_wait_close(c[i], 10000);
		got4001 += code == PROTO_CLOSE_SLOW_CONSUMER;
		got1006 += code == 1006;
	}
	cut = daemon_metric(&d, "wfmond_slow_consumers_dropped_total") - cut_before;
	fprintf(stderr, "limit: %d slow consumers: %ld cut, %d got the close frame 4001, %d none (1006), "
			"%.1f s in all\n", N, cut, got4001, got1006, (double)(mono_ms() - t0) / 1000);
	assert_int_equal(cut, N);
	assert_int_equal(got4001, N);
	assert_int_equal(daemon_metric(&d, "wfmond_outbound_queued_bytes") < 64 * 1024, true);
	for (int i = 0; i < N; i++)
		wsc_free(c[i]);
	wsc_free(p);
	free(vt);
	free(pt);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- frames the daemon refuses ------------------------------------------------------- */

static void test_binary_frame_answered_at_once_1003(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start(&d, NULL), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	struct wsc *c = client_open(&d, vt);
	long long t0 = mono_ms();
	assert_int_equal(wsc_send_frame(c, WS_OP_BINARY, true, "\x01\x02\x03", 3), 0);
	/* Nothing else is sent: the close must come for this frame alone. */
	assert_int_equal(client_wait_close(c, 5000), 1003);
	double after = (double)(mono_ms() - t0) / 1000;
	fprintf(stderr, "limit: binary frame answered with 1003 after %.3f s\n", after);
	assert_true(after < 1.0);
	wsc_free(c);
	free(vt);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_unmasked_frames_refused_1002(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start(&d, NULL), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	long refused_before = daemon_metric(&d, "wfmond_protocol_error_closes_total");
	static const struct {
		enum ws_opcode op;
		const char *payload;
	} cases[] = {
		{ WS_OP_TEXT, "{\"type\":\"ping\",\"id\":1}" },
		{ WS_OP_PING, "hi" },   /* a control frame: no message follows it */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct wsc *c = client_open(&d, vt);
		/* A masked request first: the frame follower is in step. */
		json_t *pong = NULL;
		assert_int_equal(client_send(c, "{\"type\":\"ping\",\"id\":7}"), 0);
		pong = client_recv_type(c, "pong", 2000);
		assert_non_null(pong);
		json_decref(pong);
		uint8_t frame[64];
		size_t n = client_frame(frame, cases[i].op, cases[i].payload, strlen(cases[i].payload), false);
		long long t0 = mono_ms();
		assert_int_equal(write(wsc_fd(c), frame, n), (ssize_t)n);
		/* Closed with 1002, and the unmasked request is not answered. */
		const char *data;
		size_t len;
		bool answered = false;
		while (next_message(c, t0 + 5000, &data, &len) == 1)
			answered = true;
		assert_int_equal(wsc_close_code(c), 1002);
		assert_false(answered);
		fprintf(stderr, "limit: unmasked %s frame refused with 1002 after %.3f s\n",
			cases[i].op == WS_OP_PING ? "ping" : "text", (double)(mono_ms() - t0) / 1000);
		wsc_free(c);
	}
	/* Frames sent before the upgrade was answered cannot be followed: 1002. */
	int fd = raw_connect(&d);
	char req[4096];
	int rn = upgrade_request(req, sizeof req - 2, vt);
	rn += snprintf(req + rn, sizeof req - (size_t)rn, "\r\n");
	uint8_t frame[64];
	size_t fn = client_frame(frame, WS_OP_TEXT, "{\"type\":\"ping\"}", 15, true);
	memcpy(req + rn, frame, fn);
	assert_int_equal(write(fd, req, (size_t)rn + fn), (ssize_t)((size_t)rn + fn));
	char buf[8192];
	size_t got = 0;
	long long end = mono_ms() + 5000;
	while (mono_ms() < end) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 100) <= 0)
			continue;
		ssize_t r = recv(fd, buf + got, sizeof buf - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	/* The 101, then a close frame 1002 (0x88, length, 0x03 0xEA). */
	char *hend = memmem(buf, got, "\r\n\r\n", 4);
	assert_non_null(hend);
	assert_int_equal(strncmp(buf, "HTTP/1.1 101", 12), 0);
	uint8_t *f = (uint8_t *)hend + 4;
	assert_true((size_t)(f - (uint8_t *)buf) + 4 <= got);
	assert_int_equal(f[0], 0x88);
	assert_int_equal((f[2] << 8) | f[3], 1002);
	assert_int_equal(daemon_metric(&d, "wfmond_protocol_error_closes_total"), refused_before + 3);
	free(vt);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- requests ---------------------------------------------------------------------------- */

static void test_request_flood_closed_4002(void **state)
{
	(void)state;
	struct daemon d;
	const char *const extra[] = { "--outq-max-messages", "100000", "--outq-max-bytes", "64M", NULL };
	assert_int_equal(daemon_start(&d, extra), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	struct wsc *c = client_open(&d, vt);
	long long t0 = mono_ms();
	int sent = 0;
	for (; sent < 20000 && wsc_state(c) == WSC_OPEN; sent++) {
		wsc_send_text(c, "{\"type\":\"ping\"}", 15);
		if (sent % 500 == 499)
			wsc_wait_flushed(c, 5000);
	}
	wsc_wait_flushed(c, 5000);
	int pongs = 0, limited = 0, code = -1;
	const char *data;
	size_t len;
	long long end = mono_ms() + 10000;
	while (next_message(c, end, &data, &len) == 1) {
		if (memmem(data, len, "\"pong\"", 6))
			pongs++;
		else if (memmem(data, len, "rate_limited", 12))
			limited++;
	}
	code = wsc_close_code(c);
	fprintf(stderr, "limit: %d pings in a burst: %d answered, %d refused rate_limited, then closed %d "
			"after %.2f s\n", sent, pongs, limited, code, (double)(mono_ms() - t0) / 1000);
	assert_int_equal(code, PROTO_CLOSE_RATE_LIMITED);
	assert_true(pongs >= 400 && pongs < 1000);
	assert_in_range(limited, 95, 100);
	assert_int_equal(daemon_metric(&d, "wfmond_rate_limit_closes_total"), 1);
	wsc_free(c);
	free(vt);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_malformed_run_closed_4003(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start(&d, NULL), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	/* A few mistakes are answered and forgiven... */
	struct wsc *c = client_open(&d, vt);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(client_send(c, "{\"type\":\"dance\",\"id\":3}"), 0);
		json_t *e = client_recv_type(c, "error", 2000);
		assert_non_null(e);
		assert_string_equal(jstr(e, "code"), "bad_request");
		json_decref(e);
	}
	assert_int_equal(wsc_state(c), WSC_OPEN);
	wsc_free(c);
	/* ...a run of them is not: 100 in a row, about 4 s of them. */
	c = client_open(&d, vt);
	long long t0 = mono_ms();
	int answered = 0;
	const char *data;
	size_t len;
	for (int i = 0; i < 100 && wsc_state(c) == WSC_OPEN; i++) {
		wsc_send_text(c, i % 2 ? "not json" : "{\"type\":\"dance\"}", i % 2 ? 8 : 16);
		long long until = mono_ms() + 40;
		while (mono_ms() < until && next_message(c, until, &data, &len) == 1)
			answered++;
	}
	while (next_message(c, mono_ms() + 5000, &data, &len) == 1)
		answered++;
	int code = client_wait_close(c, 5000);
	fprintf(stderr, "limit: malformed requests every 40 ms: %d answered, then closed %d after %.2f s\n",
		answered, code, (double)(mono_ms() - t0) / 1000);
	assert_int_equal(code, PROTO_CLOSE_BAD_REQUESTS);
	assert_int_equal(answered, 19);
	wsc_free(c);
	free(vt);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- slowloris ------------------------------------------------------------------------------ */

static void test_unfinished_http_requests_closed(void **state)
{
	(void)state;
	int timeout = defaults() ? 10 : 2;
	char st[16];
	snprintf(st, sizeof st, "%d", timeout);
	const char *const extra[] = { "--http-request-timeout", st, NULL };
	struct daemon d;
	assert_int_equal(daemon_start(&d, extra), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	static const char *const names[] = { "nothing sent", "headers trickling", "upgrade trickling",
					     "body short of its length" };
	char upgrade[4096];
	upgrade_request(upgrade, sizeof upgrade, vt);
	char *pt = daemon_token(&d, "acme", "sim", "producer");
	char post[4096];
	snprintf(post, sizeof post, "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
		 "Content-Length: 1000\r\n\r\n[{\"type\":", pt);
	const char *const texts[] = { "", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", upgrade, post };
	int fds[4];
	long long opened[4], closed[4];
	for (int i = 0; i < 4; i++) {
		fds[i] = raw_connect(&d);
		opened[i] = mono_ms();
		closed[i] = -1;
		size_t n = strlen(texts[i]);
		if (n > 0)
			assert_int_equal(write(fds[i], texts[i], n), (ssize_t)n);
	}
	/* The tricklers send a byte every 300 ms; everyone waits to be cut,
	 * watched every 10 ms. */
	long long end = mono_ms() + (timeout + 5) * 1000, trickle = 0;
	int open = 4;
	while (open > 0 && mono_ms() < end) {
		if (mono_ms() - trickle >= 300) {
			trickle = mono_ms();
			for (int i = 1; i <= 2; i++)
				if (closed[i] < 0)
					(void)!write(fds[i], "a", 1);
		}
		struct pollfd pf[4];
		for (int i = 0; i < 4; i++)
			pf[i] = (struct pollfd){ .fd = closed[i] < 0 ? fds[i] : -1, .events = POLLIN };
		if (poll(pf, 4, 10) <= 0)
			continue;
		for (int i = 0; i < 4; i++) {
			if (closed[i] >= 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[4096];
			ssize_t r = recv(fds[i], buf, sizeof buf, 0);
			if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
				closed[i] = mono_ms();
				open--;
			}
		}
	}
	for (int i = 0; i < 4; i++) {
		double after = closed[i] > 0 ? (double)(closed[i] - opened[i]) / 1000 : -1;
		fprintf(stderr, "limit: HTTP request with %s: closed %.2f s after the connection opened (timeout %d s)\n",
			names[i], after, timeout);
		assert_true(closed[i] > 0);
		assert_true(after >= timeout - 0.1);
		/* the check runs every 250 ms; generous for a loaded machine */
		assert_true(after <= timeout + 1.0);
		close(fds[i]);
	}
	/* A request that finishes in time is answered, and the connection it
	 * keeps alive has as long again for its next one. */
	char body[512];
	assert_int_equal(http_raw(&d, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body), 200);
	assert_int_equal(daemon_metric(&d, "wfmond_http_requests_late_total"), 4);
	free(vt);
	free(pt);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- organizations in memory ------------------------------------------------------ */

#define ORG_STEPS "\"workflow_name\":\"Close\",\"priority\":\"NORMAL\",\"steps\":[{\"id\":\"s1\",\"name\":\"one\"}]"

/* Polls a metric until it equals want; false after timeout_ms. */
static bool wait_metric_equal(const struct daemon *d, const char *name, long want, int timeout_ms)
{
	long long end = mono_ms() + timeout_ms;
	while (mono_ms() < end) {
		if (daemon_metric(d, name) == want)
			return true;
		usleep(20000);
	}
	return false;
}

static struct wsc *org_client(const struct daemon *d, const char *org, const char *role)
{
	char *t = daemon_token(d, org, "someone", role);
	struct wsc *c = client_open(d, t);
	free(t);
	assert_non_null(c);
	return c;
}

/* An organization idle for org-idle-evict with nothing live is freed; one
 * with a running execution, a connection or a room stays; the freed one
 * comes back on its next connection. */
static void test_idle_organization_freed(void **state)
{
	(void)state;
	struct daemon d;
	const char *const extra[] = { "--org-idle-evict", "2", NULL };
	assert_int_equal(daemon_start(&d, extra), 0);
	struct wsc *a = org_client(&d, "idle-a", "producer");
	PUBLISH_OK(a, "execution.queued", "ia-1", "ia-x", ORG_STEPS);
	PUBLISH_OK(a, "execution.started", "ia-2", "ia-x", "");
	PUBLISH_OK(a, "execution.completed", "ia-3", "ia-x", "");
	struct wsc *b = org_client(&d, "busy-b", "producer");
	PUBLISH_OK(b, "execution.queued", "ib-1", "ib-x", ORG_STEPS);
	PUBLISH_OK(b, "execution.started", "ib-2", "ib-x", "");
	struct wsc *c = org_client(&d, "connected-c", "viewer");   /* stays connected */
	struct wsc *r = org_client(&d, "room-r", "viewer");
	json_decref(client_subscribe(r, "execution:r-x", -1));    /* leaves a room behind it */
	wsc_free(a);
	wsc_free(b);
	wsc_free(r);
	assert_int_equal(daemon_metric(&d, "wfmond_organizations"), 4);
	assert_true(wait_metric_equal(&d, "wfmond_organizations_evicted_total", 1, 10000));
	/* Only idle-a: a running execution, a connection and a room keep the others. */
	sleep(3);
	assert_int_equal(daemon_metric(&d, "wfmond_organizations_evicted_total"), 1);
	assert_int_equal(daemon_metric(&d, "wfmond_organizations"), 3);
	/* Back as after a restart: served at once. */
	a = org_client(&d, "idle-a", "producer");
	PUBLISH_OK(a, "execution.queued", "ia-4", "ia-y", ORG_STEPS);
	assert_int_equal(daemon_metric(&d, "wfmond_organizations"), 4);
	wsc_free(a);
	wsc_free(c);
	assert_int_equal(daemon_stop(&d), 0);
}

/* Past max-orgs the organization idle longest that may go makes room for a
 * new one; when none may, the client is refused (1013 for a WebSocket, 503
 * over HTTP) and nothing else changes. */
static void test_max_orgs(void **state)
{
	(void)state;
	struct daemon d;
	const char *const extra[] = { "--max-orgs", "2", "--org-idle-evict", "0", NULL };
	assert_int_equal(daemon_start(&d, extra), 0);
	struct wsc *one = org_client(&d, "cap-1", "viewer");
	struct wsc *two = org_client(&d, "cap-2", "viewer");
	char *t3 = daemon_token(&d, "cap-3", "someone", "viewer");
	struct wsc *three = client_try(&d, t3, NULL);
	assert_non_null(three);
	int code = client_wait_close(three, 3000);
	if (code != 1013)
		fail_msg("closed %d: %s", code, wsc_error(three));
	wsc_free(three);
	char req[2048], body[1024];
	snprintf(req, sizeof req, "GET /v1/summary HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
		 "Connection: close\r\n\r\n", t3);
	assert_int_equal(http_raw(&d, req, body, sizeof body), 503);
	assert_non_null(strstr(body, "max-orgs"));
	assert_int_equal(daemon_metric(&d, "wfmond_organizations_refused_total"), 2);
	assert_int_equal(daemon_metric(&d, "wfmond_organizations"), 2);
	/* cap-2 leaves: it makes room, cap-1 (connected) stays. */
	long conns = daemon_metric(&d, "wfmond_connections");
	wsc_free(two);
	assert_true(wait_metric_equal(&d, "wfmond_connections", conns - 1, 3000));
	three = org_client(&d, "cap-3", "viewer");
	assert_int_equal(daemon_metric(&d, "wfmond_organizations_evicted_total"), 1);
	assert_int_equal(daemon_metric(&d, "wfmond_organizations"), 2);
	assert_int_equal(wsc_state(one), WSC_OPEN);
	wsc_free(three);
	wsc_free(one);
	free(t3);
	assert_int_equal(daemon_stop(&d), 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_frame_answered_at_once_1003),
		cmocka_unit_test(test_unmasked_frames_refused_1002),
		cmocka_unit_test(test_malformed_run_closed_4003),
		cmocka_unit_test(test_request_flood_closed_4002),
		cmocka_unit_test(test_unfinished_http_requests_closed),
		cmocka_unit_test(test_dead_peer_closed_in_time),
		cmocka_unit_test(test_slow_consumer_cut_within_2s_and_released),
		cmocka_unit_test(test_hundred_slow_consumers_get_4001),
		cmocka_unit_test(test_idle_organization_freed),
		cmocka_unit_test(test_max_orgs),
	};
	return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
