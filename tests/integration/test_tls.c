/* test_tls.c: wfmond over TLS, against a test CA made here with openssl:
 * wss:// and https:// with verification (the lean client, the libwebsockets
 * client, raw OpenSSL); a wrong host name and an unknown CA refused with the
 * message; TLS 1.1 refused; SIGHUP swaps the certificate and new connections
 * see the new one while old ones stay open; fan-out over TLS to sockets that
 * fill up, every frame intact and in order; the masking check and the
 * request deadline over TLS; client certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "harness.h"
#include "proto.h"
#include "tlsraw.h"
#include "wsframe.h"
#include "wslink.h"

static bool wait_log(const struct daemon *d, const char *needle, int timeout_ms)
{
	long long end = mono_ms() + timeout_ms;
	while (mono_ms() < end) {
		FILE *f = fopen(d->log, "r");
		char line[2048];
		bool found = false;
		while (f != NULL && !found && fgets(line, sizeof line, f) != NULL)
			found = strstr(line, needle) != NULL;
		if (f != NULL)
			fclose(f);
		if (found)
			return true;
		usleep(50000);
	}
	return false;
}

static struct tlsraw_options raw_opts(const struct daemon *d)
{
	return (struct tlsraw_options){ .port = d->port, .host = "localhost", .ca_file = d->ca.cert };
}

/* A libwebsockets connection (the console's client) to the daemon, waited for. */
static struct wsl *wsl_to(const struct daemon *d, const char *host, const char *ca, const char *token)
{
	struct wsl_config cfg = { .host = host, .port = d->port, .tls = true, .ca_file = ca,
				  .subprotocol = PROTO_SUBPROTOCOL, .bearer = token };
	char cause[256];
	struct wsl *c = wsl_new(&cfg, cause, sizeof cause);
	if (c == NULL)
		fail_msg("wsl_new: %s", cause);
	wsl_wait_open(c, 5000);
	return c;
}

/* ---- verification ------------------------------------------------------------------------ */

static void test_wss_and_https_verified(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start_with(&d, NULL, DAEMON_TLS), 0);
	assert_true(wait_log(&d, "listening on wss://", 2000));
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	char *pt = daemon_token(&d, "acme", "eng", "producer");

	/* The lean client (wfmon-bench's), verifying: an event goes through. */
	struct wsc *v = client_open(&d, vt);
	assert_non_null(v);
	json_t *sub = client_subscribe(v, "execution:tls-1", -1);
	assert_string_equal(jstr(sub, "type"), "subscribed");
	json_decref(sub);
	struct wsc *p = client_open(&d, pt);
	assert_non_null(p);
	PUBLISH_OK(p, "execution.started", "tls-ev-1", "tls-1", "");
	json_t *ev = client_recv_type(v, "event", 3000);
	assert_non_null(ev);
	json_decref(ev);

	/* The libwebsockets client (the console's, tail's, the simulator's). */
	struct wsl *l = wsl_to(&d, "localhost", d.ca.cert, vt);
	assert_int_equal(wsl_state(l), WSL_OPEN);
	const char sub2[] = "{\"type\":\"subscribe\",\"id\":\"s\",\"room\":\"execution:tls-1\"}";
	assert_int_equal(wsl_send_text(l, sub2, sizeof sub2 - 1), 0);
	const char *data;
	size_t len;
	assert_int_equal(wsl_wait_message(l, 3000, &data, &len), 1);
	assert_non_null(memmem(data, len, "\"subscribed\"", 12));
	PUBLISH_OK(p, "step.started", "tls-ev-2", "tls-1", "\"step_id\":\"s1\"");
	assert_int_equal(wsl_wait_message(l, 3000, &data, &len), 1);
	assert_non_null(memmem(data, len, "tls-ev-2", 8));
	wsl_free(l);

	/* HTTPS: the same listener answers plain HTTP requests over TLS. */
	char body[4096];
	assert_int_equal(http_raw(&d, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", body,
				  sizeof body), 200);
	assert_non_null(strstr(body, "\"ok\""));
	assert_true(daemon_metric(&d, "wfmond_tls_connections") >= 2);

	/* TLS 1.1 is refused; a plain request to the TLS port gets nothing. */
	struct tlsraw_options old = raw_opts(&d);
	old.max_version = TLS1_1_VERSION;
	char err[256];
	assert_null(tlsraw_open(&old, err, sizeof err));
	fprintf(stderr, "TLS 1.1: %s\n", err);
	struct daemon plain = d;
	plain.tls = false;
	assert_int_not_equal(http_raw(&plain, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0), 200);

	wsc_free(v);
	wsc_free(p);
	free(vt);
	free(pt);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_wrong_name_and_unknown_ca_refused(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start_with(&d, NULL, DAEMON_TLS), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");

	/* The certificate is for localhost, not for 127.0.0.1. */
	struct wsl *l = wsl_to(&d, "127.0.0.1", d.ca.cert, vt);
	assert_int_equal(wsl_state(l), WSL_CLOSED);
	assert_int_equal(wsl_close_code(l), WSL_CLOSE_TLS);
	fprintf(stderr, "wrong name: %s\n", wsl_error(l));
	assert_non_null(strstr(wsl_error(l), "is not for 127.0.0.1"));
	wsl_free(l);

	/* Another CA than the one that signed it. */
	struct testca other;
	char dir[400];
	snprintf(dir, sizeof dir, "%s/other-ca", d.dir);
	assert_int_equal(testca_make(&other, dir, "another CA"), 0);
	l = wsl_to(&d, "localhost", other.cert, vt);
	assert_int_equal(wsl_close_code(l), WSL_CLOSE_TLS);
	fprintf(stderr, "unknown CA: %s\n", wsl_error(l));
	assert_non_null(strstr(wsl_error(l), "is not signed by the CA in"));
	wsl_free(l);

	/* The lean client says the same. */
	struct wsc_config cfg = { .host = "127.0.0.1", .port = d.port, .subprotocol = PROTO_SUBPROTOCOL,
				  .bearer = vt, .tls = client_tls_ctx(d.ca.cert), .tls_ca_file = d.ca.cert };
	char cause[256];
	struct wsc *c = wsc_new(&cfg, cause, sizeof cause);
	assert_non_null(c);
	wsc_wait_open(c, 5000);
	assert_int_equal(wsc_close_code(c), WSC_CLOSE_TLS);
	assert_non_null(strstr(wsc_error(c), "is not for 127.0.0.1"));
	wsc_free(c);
	/* Nothing was refused for the token: the daemon never saw one. */
	assert_int_equal(daemon_metric(&d, "wfmond_connections_refused_total"), 0);
	free(vt);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- the certificate swapped on SIGHUP ------------------------------------------------------- */

static void test_sighup_swaps_certificate(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start_with(&d, NULL, DAEMON_TLS), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	struct tlsraw_options o = raw_opts(&d);
	char err[256];
	struct tlsraw *t = tlsraw_open(&o, err, sizeof err);
	assert_non_null(t);
	char *before = tlsraw_peer_serial(t);
	tlsraw_close(t);
	struct wsc *old = client_open(&d, vt);
	assert_non_null(old);

	/* A new certificate in the same files (as certbot renews), then SIGHUP. */
	char cert[320], key[320];
	assert_int_equal(testca_issue(&d.ca, "localhost", "DNS:localhost", 2, 0, cert, key), 0);
	assert_string_equal(cert, d.tls_cert);
	kill(d.pid, SIGHUP);
	assert_true(wait_log(&d, "reload: TLS certificate", 3000));

	t = tlsraw_open(&o, err, sizeof err);
	assert_non_null(t);
	char *after = tlsraw_peer_serial(t);
	tlsraw_close(t);
	fprintf(stderr, "certificate serial %s -> %s\n", before, after);
	assert_string_not_equal(before, after);
	/* The connection made before the swap goes on. */
	assert_int_equal(client_send(old, "{\"type\":\"ping\",\"id\":9}"), 0);
	json_t *pong = client_recv_type(old, "pong", 3000);
	assert_non_null(pong);
	json_decref(pong);
	struct wsc *fresh = client_open(&d, vt);
	assert_non_null(fresh);

	/* A key that does not match keeps the running certificate. */
	char other_cert[320], other_key[320];
	assert_int_equal(testca_issue(&d.ca, "stray", "DNS:localhost", 2, 0, other_cert, other_key), 0);
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "cp %s %s", other_key, d.tls_key);
	assert_int_equal(system(cmd), 0);
	kill(d.pid, SIGHUP);
	assert_true(wait_log(&d, "kept the running configuration: TLS certificate: tls-key", 3000));
	t = tlsraw_open(&o, err, sizeof err);
	assert_non_null(t);
	char *still = tlsraw_peer_serial(t);
	tlsraw_close(t);
	assert_string_equal(still, after);

	free(before);
	free(after);
	free(still);
	wsc_free(old);
	wsc_free(fresh);
	free(vt);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- fan-out over TLS, sockets full --------------------------------------------------------- */

static void test_fanout_over_tls_when_sockets_fill(void **state)
{
	(void)state;
	/* No coalescing: every event its own write, many records begun with
	 * the socket full. Room for the backlog in each queue. */
	const char *const extra[] = { "--write-coalesce-ms", "0", "--outq-max-bytes", "64M",
				      "--outq-max-messages", "100000", "--requests-per-second", "100000",
				      "--request-burst", "100000", NULL };
	struct daemon d;
	assert_int_equal(daemon_start_with(&d, extra, DAEMON_TLS), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	char *pt = daemon_token(&d, "acme", "eng", "producer");
	enum { SUBS = 2, BATCHES = 1500, PER = 1 };
	struct wsc *s[SUBS];
	for (int i = 0; i < SUBS; i++) {
		s[i] = client_open(&d, vt);
		assert_non_null(s[i]);
		json_decref(client_subscribe(s[i], "execution:big", -1));
	}
	struct wsc *p = client_open(&d, pt);
	/* 1500 log events of about 4 KB, 6 MB per subscriber: more than a
	 * loopback socket holds while nobody reads (4 MB to send, the receive
	 * window of a reader that does not read). One event a publish: each
	 * finds the connection's queue empty and is written at once, without
	 * waiting for the socket to be writable, so that the last ones meet a
	 * socket with less room than they need. */
	char msg[4001];
	memset(msg, 'x', sizeof msg - 1);
	msg[sizeof msg - 1] = '\0';
	for (int b = 0; b < BATCHES; b++) {
		json_t *ack = publish_log_batch(p, "big", b * PER, PER, "big", msg);
		assert_non_null(ack);
		assert_int_equal(json_integer_value(json_object_get(ack, "rejected")), 0);
		json_decref(ack);
	}
	/* Now each subscriber reads everything: in order, every frame whole. */
	for (int i = 0; i < SUBS; i++) {
		int next = 0;
		long long end = mono_ms() + 30000;
		while (next < BATCHES * PER && mono_ms() < end) {
			json_t *m = client_recv_type(s[i], "event", 5000);
			if (m == NULL)
				break;
			json_t *e = json_object_get(m, "event");
			char want[32];
			snprintf(want, sizeof want, "big-%d", next);
			assert_string_equal(jstr(e, "id"), want);
			assert_int_equal(strlen(jstr(e, "message")), sizeof msg - 1);
			json_decref(m);
			next++;
		}
		fprintf(stderr, "subscriber %d: %d of %d events, in order\n", i, next, BATCHES * PER);
		assert_int_equal(next, BATCHES * PER);
	}
	/* The path under test was taken: records begun on a full socket were
	 * finished by lws. */
	long held = daemon_metric(&d, "wfmond_tls_writes_held_total");
	fprintf(stderr, "TLS records held on a full socket and handed to lws: %ld\n", held);
	assert_true(held > 0);
	for (int i = 0; i < SUBS; i++)
		wsc_free(s[i]);
	wsc_free(p);
	free(vt);
	free(pt);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- the socket guard over TLS --------------------------------------------------------------- */

static void test_unmasked_frame_over_wss(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start_with(&d, NULL, DAEMON_TLS), 0);
	char *vt = daemon_token(&d, "acme", "ann", "viewer");
	struct wsc *c = client_open(&d, vt);
	assert_int_equal(client_send(c, "{\"type\":\"ping\",\"id\":1}"), 0);
	json_t *pong = client_recv_type(c, "pong", 3000);
	assert_non_null(pong);
	json_decref(pong);
	uint8_t frame[64];
	const char *payload = "{\"type\":\"ping\",\"id\":2}";
	size_t h = wsframe_header(frame, WS_OP_TEXT, true, strlen(payload), NULL);
	memcpy(frame + h, payload, strlen(payload));
	assert_int_equal(wsc_send_raw(c, frame, h + strlen(payload)), 0);
	assert_int_equal(client_wait_close(c, 5000), 1002);
	assert_int_equal(daemon_metric(&d, "wfmond_protocol_error_closes_total"), 1);
	wsc_free(c);
	free(vt);
	assert_int_equal(daemon_stop(&d), 0);
}

static int tcp_connect(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	return fd;
}

static void test_unfinished_requests_over_tls_cut(void **state)
{
	(void)state;
	const char *const extra[] = { "--http-request-timeout", "2", NULL };
	struct daemon d;
	assert_int_equal(daemon_start_with(&d, extra, DAEMON_TLS), 0);
	/* One never starts its handshake; one trickles a request over TLS. */
	long long t0 = mono_ms();
	int fd = tcp_connect(d.port);
	struct tlsraw_options o = raw_opts(&d);
	char err[256];
	struct tlsraw *t = tlsraw_open(&o, err, sizeof err);
	assert_non_null(t);
	assert_int_equal(tlsraw_write(t, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", 40), 0);
	long long closed_fd = -1, closed_t = -1;
	while (mono_ms() - t0 < 8000 && (closed_fd < 0 || closed_t < 0)) {
		if (closed_t < 0)
			tlsraw_write(t, "a", 1);
		struct pollfd pf = { .fd = closed_fd < 0 ? fd : -1, .events = POLLIN };
		if (poll(&pf, 1, 100) > 0 && (pf.revents & (POLLIN | POLLHUP | POLLERR))) {
			char b[64];
			if (read(fd, b, sizeof b) <= 0)
				closed_fd = mono_ms();
		}
		char buf[256];
		if (closed_t < 0 && tlsraw_read(t, buf, sizeof buf, 200) == 0)
			closed_t = mono_ms();
	}
	tlsraw_close(t);
	close(fd);
	double a = (double)(closed_fd - t0) / 1000, b = (double)(closed_t - t0) / 1000;
	fprintf(stderr, "over TLS: no handshake cut after %.2f s, trickled request after %.2f s (timeout 2 s)\n", a, b);
	assert_true(closed_fd > 0 && closed_t > 0);
	assert_true(a >= 1.9 && a <= 3.5);
	assert_true(b >= 1.9 && b <= 3.5);
	assert_int_equal(daemon_metric(&d, "wfmond_http_requests_late_total"), 2);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- client certificates ------------------------------------------------------------------------ */

static void test_client_certificates(void **state)
{
	(void)state;
	/* The client CA: made first, in a folder of its own, named as a flag. */
	char dir[] = "/tmp/wfmon-clientca.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct testca clients;
	char cadir[300];
	snprintf(cadir, sizeof cadir, "%s/ca", dir);
	assert_int_equal(testca_make(&clients, cadir, "wfmon client CA"), 0);
	char ccert[320], ckey[320];
	assert_int_equal(testca_issue(&clients, "anna", NULL, 2, 1, ccert, ckey), 0);
	const char *const extra[] = { "--tls-client-ca", clients.cert, NULL };
	struct daemon d;
	assert_int_equal(daemon_start_with(&d, extra, DAEMON_TLS | DAEMON_NO_WAIT), 0);
	/* Ready: with a client certificate, /healthz answers. */
	struct tlsraw_options o = raw_opts(&d);
	o.cert_file = ccert;
	o.key_file = ckey;
	char body[1024];
	int status = -1;
	for (int i = 0; i < 100 && status != 200; i++) {
		status = tlsraw_http(&o, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", body,
				     sizeof body);
		if (status != 200)
			usleep(50000);
	}
	assert_int_equal(status, 200);
	/* Without one, nothing. */
	struct tlsraw_options none = raw_opts(&d);
	assert_int_not_equal(tlsraw_http(&none, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", body, sizeof body),
			     200);
	/* With one the client CA did not sign (the server's own CA signed it). */
	char scert[320], skey[320];
	assert_int_equal(testca_issue(&d.ca, "mallory", NULL, 2, 1, scert, skey), 0);
	struct tlsraw_options wrong = raw_opts(&d);
	wrong.cert_file = scert;
	wrong.key_file = skey;
	assert_int_not_equal(tlsraw_http(&wrong, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", body, sizeof body),
			     200);
	assert_true(wait_log(&d, "a client certificate was refused", 2000));
	assert_int_equal(daemon_stop(&d), 0);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wss_and_https_verified),
		cmocka_unit_test(test_wrong_name_and_unknown_ca_refused),
		cmocka_unit_test(test_sighup_swaps_certificate),
		cmocka_unit_test(test_fanout_over_tls_when_sockets_fill),
		cmocka_unit_test(test_unmasked_frame_over_wss),
		cmocka_unit_test(test_unfinished_requests_over_tls_cut),
		cmocka_unit_test(test_client_certificates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
