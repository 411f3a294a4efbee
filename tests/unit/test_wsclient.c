/* test_wsclient.c: the WebSocket client against a scripted server running in
 * a thread of this test (blocking sockets on 127.0.0.1:0). The server checks
 * the upgrade request and then plays one script: fragments, pings, close,
 * masked or oversized frames, invalid UTF-8, a 401, a wrong accept key.
 * The server thread never calls cmocka: it records the first problem in
 * srv.problem and the main thread asserts on it after joining. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "keyfile.h"
#include <openssl/sha.h>
#include "wsclient.h"
#include "wsurl.h"
#include "wsframe.h"

struct srv;
typedef void (*srv_script)(struct srv *s, int fd);

struct srv {
	int lfd;
	int port;
	pthread_t thread;
	srv_script script;
	char request[4096];
	char key[64];
	char problem[256];
	int close_code_seen;  /* code in the client's close frame, -1 if none */
	size_t big_len;       /* length of the big message the client sent */
};

static void srv_problem(struct srv *s, const char *what)
{
	if (s->problem[0] == '\0')
		snprintf(s->problem, sizeof s->problem, "%s", what);
}

static int srv_read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = read(fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void srv_write(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static const char *srv_header(const char *req, const char *name, char *val, size_t vallen)
{
	size_t nlen = strlen(name);
	for (const char *l = strstr(req, "\r\n"); l; l = strstr(l, "\r\n")) {
		l += 2;
		if (strncasecmp(l, name, nlen) == 0 && l[nlen] == ':') {
			const char *v = l + nlen + 1;
			while (*v == ' ')
				v++;
			size_t n = strcspn(v, "\r\n");
			if (n >= vallen)
				n = vallen - 1;
			memcpy(val, v, n);
			val[n] = '\0';
			return val;
		}
	}
	return NULL;
}

/* Reads the request head and checks what every upgrade must carry. */
static int srv_read_request(struct srv *s, int fd)
{
	size_t len = 0;
	while (len < sizeof s->request - 1) {
		ssize_t n = read(fd, s->request + len, 1);
		if (n <= 0) {
			srv_problem(s, "connection ended inside the request");
			return -1;
		}
		len++;
		s->request[len] = '\0';
		if (len >= 4 && memcmp(s->request + len - 4, "\r\n\r\n", 4) == 0)
			break;
	}
	char v[256];
	uint8_t raw[32];
	if (strncmp(s->request, "GET /ws HTTP/1.1\r\n", 18) != 0)
		srv_problem(s, "request line is not GET /ws HTTP/1.1");
	if (!srv_header(s->request, "Host", v, sizeof v) || strcmp(v, "127.0.0.1:0") == 0 ||
	    strncmp(v, "127.0.0.1:", 10) != 0)
		srv_problem(s, "bad Host");
	if (!srv_header(s->request, "Upgrade", v, sizeof v) || strcasecmp(v, "websocket") != 0)
		srv_problem(s, "bad Upgrade");
	if (!srv_header(s->request, "Connection", v, sizeof v) || strcasecmp(v, "Upgrade") != 0)
		srv_problem(s, "bad Connection");
	if (!srv_header(s->request, "Sec-WebSocket-Version", v, sizeof v) || strcmp(v, "13") != 0)
		srv_problem(s, "bad Sec-WebSocket-Version");
	if (!srv_header(s->request, "Sec-WebSocket-Key", s->key, sizeof s->key) ||
	    base64_decode(s->key, strlen(s->key), raw, sizeof raw) != 16)
		srv_problem(s, "Sec-WebSocket-Key is not 16 bytes of base64");
	return 0;
}

static void srv_accept_value(const char *key, char *out, size_t outlen)
{
	char both[128];
	snprintf(both, sizeof both, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
	unsigned char d[SHA_DIGEST_LENGTH];
	SHA1((const unsigned char *)both, strlen(both), d);
	base64_encode(d, sizeof d, out, outlen);
}

/* 101 plus, in the same write, whatever bytes follow (frames). */
static void srv_send_101(struct srv *s, int fd, const void *after, size_t after_len)
{
	char accept[40], resp[512];
	srv_accept_value(s->key, accept, sizeof accept);
	int n = snprintf(resp, sizeof resp,
			 "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			 "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
			 "Sec-WebSocket-Protocol: wfmon.v1\r\n\r\n", accept);
	uint8_t buf[1024];
	memcpy(buf, resp, (size_t)n);
	memcpy(buf + n, after, after_len);
	srv_write(fd, buf, (size_t)n + after_len);
}

static size_t srv_frame(uint8_t *out, int op, bool fin, const void *data, size_t len,
			const uint8_t *mask)
{
	size_t h = wsframe_header(out, (enum ws_opcode)op, fin, len, mask);
	memcpy(out + h, data, len);
	if (mask)
		wsframe_mask(out + h, len, mask, 0);
	return h + len;
}

static void srv_send(int fd, int op, bool fin, const void *data, size_t len)
{
	uint8_t *buf = malloc(len + WSFRAME_MAX_HEADER);
	size_t n = srv_frame(buf, op, fin, data, len, NULL);
	srv_write(fd, buf, n);
	free(buf);
}

/* Reads one client frame, checks it is masked, unmasks it into a new buffer. */
static uint8_t *srv_recv(struct srv *s, int fd, struct wsframe *f)
{
	uint8_t hdr[WSFRAME_MAX_HEADER];
	size_t have = 2;
	if (srv_read_full(fd, hdr, 2) < 0)
		return NULL;
	int r;
	while ((r = wsframe_parse(hdr, have, f)) == 0) {
		if (srv_read_full(fd, hdr + have, 1) < 0)
			return NULL;
		have++;
	}
	if (r < 0) {
		srv_problem(s, "client sent a malformed header");
		return NULL;
	}
	if (!f->masked)
		srv_problem(s, "client frame not masked");
	uint8_t *p = malloc(f->len + 1);
	if (srv_read_full(fd, p, f->len) < 0) {
		free(p);
		return NULL;
	}
	wsframe_mask(p, f->len, f->mask, 0);
	p[f->len] = '\0';
	return p;
}

/* Waits for the client's close frame and records its code. */
static void srv_expect_close(struct srv *s, int fd)
{
	struct wsframe f;
	uint8_t *p;
	while ((p = srv_recv(s, fd, &f)) != NULL) {
		if (f.op == WS_OP_CLOSE) {
			s->close_code_seen = f.len >= 2 ? (p[0] << 8 | p[1]) : 1005;
			free(p);
			return;
		}
		free(p);
	}
	srv_problem(s, "no close frame from the client");
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	int fd = accept(s->lfd, NULL, NULL);
	if (fd < 0) {
		srv_problem(s, "accept failed");
		return NULL;
	}
	s->script(s, fd);
	close(fd);
	return NULL;
}

static void srv_start(struct srv *s, srv_script script)
{
	memset(s, 0, sizeof *s);
	s->close_code_seen = -1;
	s->script = script;
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	socklen_t al = sizeof a;
	getsockname(s->lfd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

static void srv_join(struct srv *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
	if (s->problem[0])
		fail_msg("server: %s", s->problem);
}

static struct wsc *client_new(const struct srv *s, size_t max_message)
{
	struct wsc_config cfg = {
		.host = "127.0.0.1", .port = s->port, .path = "/ws",
		.subprotocol = "wfmon.v1", .bearer = "tok.en-1",
		.extra_headers = "X-Test: yes\r\n", .max_message = max_message,
	};
	char cause[256];
	struct wsc *c = wsc_new(&cfg, cause, sizeof cause);
	if (c == NULL)
		fail_msg("wsc_new: %s", cause);
	return c;
}

/* ---- Scripts ------------------------------------------------------------ */

/* Greets in the same write as the 101, echoes one message back in three
 * fragments with a ping between them, checks the pong, then closes. */
static void script_echo(struct srv *s, int fd)
{
	if (srv_read_request(s, fd) < 0)
		return;
	char v[128];
	if (!srv_header(s->request, "Authorization", v, sizeof v) || strcmp(v, "Bearer tok.en-1"))
		srv_problem(s, "bad Authorization");
	if (!srv_header(s->request, "Sec-WebSocket-Protocol", v, sizeof v) || strcmp(v, "wfmon.v1"))
		srv_problem(s, "bad Sec-WebSocket-Protocol");
	if (!srv_header(s->request, "X-Test", v, sizeof v) || strcmp(v, "yes"))
		srv_problem(s, "extra header missing");
	uint8_t greet[64];
	size_t n = srv_frame(greet, WS_OP_TEXT, true, "hello", 5, NULL);
	n += srv_frame(greet + n, WS_OP_TEXT, true, "żółw", strlen("żółw"), NULL);
	srv_send_101(s, fd, greet, n);

	struct wsframe f;
	uint8_t *p = srv_recv(s, fd, &f);
	if (p == NULL || f.op != WS_OP_TEXT || !f.fin || strcmp((char *)p, "echo me please") != 0)
		srv_problem(s, "expected the text \"echo me please\"");
	free(p);
	srv_send(fd, WS_OP_TEXT, false, "echo ", 5);
	srv_send(fd, WS_OP_PING, true, "pp", 2);
	srv_send(fd, WS_OP_CONT, false, "me ", 3);
	srv_send(fd, WS_OP_CONT, true, "please", 6);
	p = srv_recv(s, fd, &f);
	if (p == NULL || f.op != WS_OP_PONG || f.len != 2 || memcmp(p, "pp", 2) != 0)
		srv_problem(s, "expected a pong with the ping's payload");
	free(p);
	/* The big message the client sends next: 100 000 bytes. */
	p = srv_recv(s, fd, &f);
	if (p == NULL || f.op != WS_OP_BINARY)
		srv_problem(s, "expected a binary message");
	s->big_len = p ? f.len : 0;
	for (size_t i = 0; p && i < f.len; i++)
		if (p[i] != (uint8_t)(i * 7))
			srv_problem(s, "binary payload corrupted");
	free(p);
	/* Many small messages in one write, then a 200 000-byte one. */
	uint8_t burst[2000];
	size_t bn = 0;
	for (int i = 0; i < 100; i++) {
		char msg[16];
		int ml = snprintf(msg, sizeof msg, "m%d", i);
		bn += srv_frame(burst + bn, WS_OP_TEXT, true, msg, (size_t)ml, NULL);
	}
	srv_write(fd, burst, bn);
	size_t big = 200000;
	uint8_t *bigp = malloc(big);
	memset(bigp, 'x', big);
	srv_send(fd, WS_OP_TEXT, true, bigp, big);
	free(bigp);
	uint8_t cl[] = { 0x03, 0xE8, 'b', 'y', 'e' };
	srv_send(fd, WS_OP_CLOSE, true, cl, sizeof cl);
	srv_expect_close(s, fd);
}

static void test_echo_fragments_ping_close(void **state)
{
	(void)state;
	struct srv s;
	srv_start(&s, script_echo);
	struct wsc *c = client_new(&s, 0);
	assert_int_equal(wsc_wait_open(c, 5000), 0);
	assert_int_equal(wsc_state(c), WSC_OPEN);
	assert_int_equal(wsc_http_status(c), 0);
	assert_int_equal(wsc_close_code(c), 0);
	assert_string_equal(wsc_error(c), "");

	const char *d;
	size_t len;
	assert_int_equal(wsc_wait_message(c, 5000, &d, &len), 1);
	assert_int_equal(len, 5);
	assert_memory_equal(d, "hello", 5);
	assert_int_equal(wsc_wait_message(c, 5000, &d, &len), 1);
	assert_int_equal(len, strlen("żółw"));
	assert_memory_equal(d, "żółw", len);

	assert_int_equal(wsc_send_text(c, "echo me please", 14), 0);
	assert_int_equal(wsc_wait_flushed(c, 5000), 0);
	assert_int_equal(wsc_wait_message(c, 5000, &d, &len), 1);
	assert_int_equal(len, 14);
	assert_memory_equal(d, "echo me please", 14);

	size_t big = 100000;
	uint8_t *bp = malloc(big);
	for (size_t i = 0; i < big; i++)
		bp[i] = (uint8_t)(i * 7);
	assert_int_equal(wsc_send_frame(c, WS_OP_BINARY, true, bp, big), 0);
	assert_true(wsc_outbuf_len(c) >= big + 14);
	free(bp);
	assert_int_equal(wsc_wait_flushed(c, 5000), 0);
	assert_int_equal(wsc_outbuf_len(c), 0);

	for (int i = 0; i < 100; i++) {
		char want[16];
		snprintf(want, sizeof want, "m%d", i);
		assert_int_equal(wsc_wait_message(c, 5000, &d, &len), 1);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(d, want, len);
	}
	assert_int_equal(wsc_wait_message(c, 5000, &d, &len), 1);
	assert_int_equal(len, 200000);
	assert_int_equal(d[0], 'x');
	assert_int_equal(d[199999], 'x');
	/* Then the server's close: no more messages, code and reason recorded. */
	assert_int_equal(wsc_wait_message(c, 5000, &d, &len), -1);
	assert_int_equal(wsc_state(c), WSC_CLOSED);
	assert_int_equal(wsc_close_code(c), 1000);
	assert_non_null(strstr(wsc_error(c), "bye"));
	assert_int_equal(wsc_send_text(c, "late", 4), -1);
	assert_true(wsc_bytes_in(c) > 200000);
	assert_true(wsc_bytes_out(c) > 100000);
	srv_join(&s);
	assert_int_equal(s.big_len, 100000);
	assert_int_equal(s.close_code_seen, 1000);
	wsc_free(c);
}

/* A bad frame after a good 101: the client must fail with the right code.
 * Each case is up to two parts, each some bytes followed by pad bytes 'a'. */
struct bad_case {
	const char *what;
	uint8_t part[2][8];
	size_t len[2];
	size_t pad[2];
	int code;
};
static const struct bad_case *bad_current;

static void script_bad_frame(struct srv *s, int fd)
{
	if (srv_read_request(s, fd) < 0)
		return;
	srv_send_101(s, fd, "", 0);
	for (int i = 0; i < 2; i++) {
		srv_write(fd, bad_current->part[i], bad_current->len[i]);
		uint8_t pad[700];
		memset(pad, 'a', sizeof pad);
		srv_write(fd, pad, bad_current->pad[i]);
	}
	srv_expect_close(s, fd);
}

static void test_protocol_violations(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
		{ "masked frame", { { 0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2 } }, { 8 }, { 0 }, 1002 },
		{ "reserved bit", { { 0xC1, 0x01, 'a' } }, { 3 }, { 0 }, 1002 },
		{ "unknown opcode", { { 0x83, 0x00 } }, { 2 }, { 0 }, 1002 },
		{ "fragmented ping", { { 0x09, 0x00 } }, { 2 }, { 0 }, 1002 },
		{ "continuation first", { { 0x80, 0x01, 'a' } }, { 3 }, { 0 }, 1002 },
		{ "new message inside fragments", { { 0x01, 0x01, 'a', 0x81, 0x01, 'b' } }, { 6 },
		  { 0 }, 1002 },
		{ "invalid UTF-8 text", { { 0x81, 0x02, 0xC0, 0xAF } }, { 4 }, { 0 }, 1007 },
		{ "UTF-8 broken across fragments", { { 0x01, 0x01, 0xE2, 0x80, 0x01, 0x28 } }, { 6 },
		  { 0 }, 1007 },
		{ "oversized frame", { { 0x82, 0x7E, 0x04, 0x00 } }, { 4 }, { 0 }, 1009 },
		{ "oversized fragments", { { 0x02, 0x7E, 0x02, 0x58 }, { 0x80, 0x7E, 0x02, 0x58 } },
		  { 4, 4 }, { 600, 600 }, 1009 },
		{ "bad close code", { { 0x88, 0x02, 0x03, 0xED } }, { 4 }, { 0 }, 1002 },
		{ "one-byte close", { { 0x88, 0x01, 0x03 } }, { 3 }, { 0 }, 1002 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct srv s;
		bad_current = &cases[i];
		srv_start(&s, script_bad_frame);
		struct wsc *c = client_new(&s, 1000);
		/* The bad frame may come in the same read as the 101, so the
		 * connection can be failed before wsc_wait_open returns. */
		wsc_wait_open(c, 5000);
		assert_int_equal(wsc_http_status(c), 0);
		const char *d;
		size_t len;
		int r = wsc_wait_message(c, 5000, &d, &len);
		if (r != -1)
			fail_msg("%s: wsc_wait_message returned %d", cases[i].what, r);
		if (wsc_close_code(c) != cases[i].code)
			fail_msg("%s: close code %d, expected %d (%s)", cases[i].what,
				 wsc_close_code(c), cases[i].code, wsc_error(c));
		assert_true(strlen(wsc_error(c)) > 0);
		srv_join(&s);
		if (s.close_code_seen != cases[i].code)
			fail_msg("%s: server saw close code %d", cases[i].what, s.close_code_seen);
		wsc_free(c);
	}
}

static void script_401(struct srv *s, int fd)
{
	if (srv_read_request(s, fd) < 0)
		return;
	const char *r = "HTTP/1.1 401 Unauthorized\r\nContent-Type: text/plain\r\n"
			"Content-Length: 13\r\n\r\ntoken expired";
	srv_write(fd, r, strlen(r));
}

static void test_refused_401(void **state)
{
	(void)state;
	struct srv s;
	srv_start(&s, script_401);
	struct wsc *c = client_new(&s, 0);
	assert_int_equal(wsc_wait_open(c, 5000), -1);
	assert_int_equal(wsc_state(c), WSC_CLOSED);
	assert_int_equal(wsc_http_status(c), 401);
	assert_non_null(strstr(wsc_error(c), "401"));
	assert_non_null(strstr(wsc_error(c), "token expired"));
	assert_int_equal(wsc_poll_events(c), 0);
	srv_join(&s);
	wsc_free(c);
}

static void script_wrong_accept(struct srv *s, int fd)
{
	if (srv_read_request(s, fd) < 0)
		return;
	const char *r = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	srv_write(fd, r, strlen(r));
}

static void test_wrong_accept(void **state)
{
	(void)state;
	struct srv s;
	srv_start(&s, script_wrong_accept);
	struct wsc *c = client_new(&s, 0);
	assert_int_equal(wsc_wait_open(c, 5000), -1);
	assert_int_equal(wsc_state(c), WSC_CLOSED);
	assert_non_null(strstr(wsc_error(c), "Sec-WebSocket-Accept"));
	srv_join(&s);
	wsc_free(c);
}

/* The server drops the connection without a close frame: 1006. Frames sent
 * while the handshake was pending go out only after the 101. */
static void script_drop(struct srv *s, int fd)
{
	if (srv_read_request(s, fd) < 0)
		return;
	/* Nothing may follow the request before our 101. */
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 200) != 0)
		srv_problem(s, "client sent data before the 101");
	srv_send_101(s, fd, "", 0);
	struct wsframe f;
	uint8_t *m = srv_recv(s, fd, &f);
	if (m == NULL || strcmp((char *)m, "early") != 0)
		srv_problem(s, "the early message did not follow the 101");
	free(m);
}

static void test_early_send_and_drop(void **state)
{
	(void)state;
	struct srv s;
	srv_start(&s, script_drop);
	struct wsc *c = client_new(&s, 0);
	assert_int_equal(wsc_send_text(c, "early", 5), 0);
	assert_int_equal(wsc_wait_open(c, 5000), 0);
	const char *d;
	size_t len;
	assert_int_equal(wsc_wait_message(c, 5000, &d, &len), -1);
	assert_int_equal(wsc_close_code(c), 1006);
	assert_int_equal(wsc_fd(c), -1);
	srv_join(&s);
	wsc_free(c);
}

static void test_connect_refused_and_limits(void **state)
{
	(void)state;
	/* A port nobody listens on: bind one, close it. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(fd, (struct sockaddr *)&a, sizeof a);
	socklen_t al = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &al);
	close(fd);
	struct wsc_config cfg = { .host = "127.0.0.1", .port = ntohs(a.sin_port), .max_outbuf = 2000 };
	char cause[256];
	struct wsc *c = wsc_new(&cfg, cause, sizeof cause);
	assert_non_null(c);
	/* The request (about 170 bytes) fits; a 4000-byte message does not. */
	char big[4000] = { 0 };
	assert_int_equal(wsc_send_text(c, big, sizeof big), -1);
	assert_int_equal(wsc_wait_open(c, 5000), -1);
	assert_int_equal(wsc_state(c), WSC_CLOSED);
	assert_non_null(strstr(wsc_error(c), "cannot connect"));
	assert_int_equal(wsc_close_code(c), 1006);
	wsc_free(c);

	struct wsc_config bad = { .host = "no-such-host.invalid", .port = 80 };
	assert_null(wsc_new(&bad, cause, sizeof cause));
	assert_non_null(strstr(cause, "no-such-host.invalid"));
	struct wsc_config inj = { .host = "127.0.0.1", .port = 80, .bearer = "a\r\nX-Evil: 1" };
	assert_null(wsc_new(&inj, cause, sizeof cause));
	struct wsc_config noport = { .host = "127.0.0.1", .port = 0 };
	assert_null(wsc_new(&noport, cause, sizeof cause));
}

/* ---- What the clients read before connecting: the URL and the token file ---- */

static void test_url_parse(void **state)
{
	(void)state;
	struct ws_url u;
	char cause[256];
	assert_int_equal(ws_url_parse("ws://127.0.0.1:7681", &u, cause, sizeof cause), 0);
	assert_false(u.tls);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 7681);
	assert_string_equal(u.path, "/");
	assert_int_equal(ws_url_parse("WS://example.org:80/ws/x?a=1", &u, cause, sizeof cause), 0);
	assert_string_equal(u.host, "example.org");
	assert_int_equal(u.port, 80);
	assert_string_equal(u.path, "/ws/x?a=1");
	assert_int_equal(ws_url_parse("ws://[::1]:9/p", &u, cause, sizeof cause), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 9);
	assert_string_equal(u.path, "/p");
	/* TLS: wss:// and https:// name the same listener; 443 without a port. */
	static const struct {
		const char *url, *host, *path;
		int port;
		bool tls;
	} good[] = {
		{ "wss://wfmon.example.com", "wfmon.example.com", "/", 443, true },
		{ "WSS://h:7681/x", "h", "/x", 7681, true },
		{ "https://h/p?q", "h", "/p?q", 443, true },
		{ "https://[::1]", "::1", "/", 443, true },
		{ "https://[::1]/a", "::1", "/a", 443, true },
		{ "http://h:80", "h", "/", 80, false },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (ws_url_parse(good[i].url, &u, cause, sizeof cause) != 0)
			fail_msg("%s: %s", good[i].url, cause);
		assert_string_equal(u.host, good[i].host);
		assert_string_equal(u.path, good[i].path);
		assert_int_equal(u.port, good[i].port);
		assert_int_equal(u.tls, good[i].tls);
	}
	assert_true(ws_url_host_is_loopback("localhost"));
	assert_true(ws_url_host_is_loopback("127.0.0.1"));
	assert_true(ws_url_host_is_loopback("127.9.8.7"));
	assert_true(ws_url_host_is_loopback("::1"));
	assert_false(ws_url_host_is_loopback("128.0.0.1"));
	assert_false(ws_url_host_is_loopback("127.0.0.1.example.com"));
	assert_false(ws_url_host_is_loopback("wfmon.example.com"));

	static const struct {
		const char *url;
		const char *cause;
	} bad[] = {
		{ "ftp://h:1", "must start with ws://, wss://" },
		{ "h:1", "must start with ws://, wss://" },
		{ "http://h", "has no port" },
		{ "wss://h:0", "port must be a number" },
		{ "ws://h", "has no port" },
		{ "ws://h/p", "has no port" },
		{ "ws://[::1]/p", "ws://[ADDRESS]:PORT" },
		{ "ws://[::1", "ws://[ADDRESS]:PORT" },
		{ "ws://:1", "host must be 1 to 255" },
		{ "ws://user@h:1", "without user name" },
		{ "ws://h:0", "port must be a number from 1 to 65535" },
		{ "ws://h:65536", "port must be a number" },
		{ "ws://h:", "port must be a number" },
		{ "ws://h:-1", "port must be a number" },
		{ "ws://h:12x", "port must be a number" },
		{ "ws://h:99999999999999999999", "port must be a number" },
		{ "ws://h:1/a b", "must not contain spaces" },
		{ "ws://h:1/a#b", "must not contain spaces" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause[0] = '\0';
		if (ws_url_parse(bad[i].url, &u, cause, sizeof cause) != -1 ||
		    strstr(cause, bad[i].cause) == NULL)
			fail_msg("%s: cause \"%s\", want \"%s\"", bad[i].url, cause, bad[i].cause);
	}
	/* Host and path limits. */
	char url[2048];
	snprintf(url, sizeof url, "ws://%0256d:1", 0);
	assert_int_equal(ws_url_parse(url, &u, cause, sizeof cause), -1);
	snprintf(url, sizeof url, "ws://%0255d:1", 0);
	assert_int_equal(ws_url_parse(url, &u, cause, sizeof cause), 0);
	assert_int_equal(strlen(u.host), 255);
	snprintf(url, sizeof url, "ws://h:1/%01024d", 0);
	assert_int_equal(ws_url_parse(url, &u, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "longer than 1024"));
	snprintf(url, sizeof url, "ws://h:1/%01023d", 0);
	assert_int_equal(ws_url_parse(url, &u, cause, sizeof cause), 0);
	assert_int_equal(strlen(u.path), 1024);
}

static char *tf_write(const char *dir, const char *name, const void *data, size_t len)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	return path;
}

static void test_token_file_read(void **state)
{
	(void)state;
	char dir[] = "/tmp/wfmon-tokfile.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cause[1024];
	char *tok = NULL;

	assert_int_equal(token_file_read(tf_write(dir, "ok", "abc.def.ghi\n", 12), &tok, cause,
					 sizeof cause), 0);
	assert_string_equal(tok, "abc.def.ghi");
	free(tok);
	tok = NULL;
	assert_int_equal(token_file_read(tf_write(dir, "ws", " \t\r\nabc\r\n\n ", 11), &tok, cause,
					 sizeof cause), 0);
	assert_string_equal(tok, "abc");
	free(tok);
	tok = NULL;

	/* Refused: what the file holds is never repeated in the cause. */
	static const struct {
		const char *name, *data;
		size_t len;
	} bad[] = {
		{ "empty", "", 0 },
		{ "blank", " \n\r\n\t", 5 },
		{ "two words", "secret1 secret2\n", 16 },
		{ "two lines", "secret1\nsecret2\n", 16 },
		{ "nul", "secret1\0secret2", 15 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause[0] = '\0';
		char *path = tf_write(dir, "bad", bad[i].data, bad[i].len);
		if (token_file_read(path, &tok, cause, sizeof cause) != -1 || tok != NULL ||
		    strstr(cause, "must hold one token on one line") == NULL ||
		    strstr(cause, path) == NULL || strstr(cause, "secret") != NULL)
			fail_msg("%s: cause \"%s\"", bad[i].name, cause);
	}

	/* A token of TOKEN_FILE_MAX_TOKEN bytes is fine, one more is not. */
	static char big[TOKEN_FILE_MAX + 2];
	memset(big, 'a', sizeof big);
	assert_int_equal(token_file_read(tf_write(dir, "max", big, TOKEN_FILE_MAX_TOKEN), &tok, cause,
					 sizeof cause), 0);
	assert_int_equal(strlen(tok), TOKEN_FILE_MAX_TOKEN);
	free(tok);
	tok = NULL;
	assert_int_equal(token_file_read(tf_write(dir, "long", big, TOKEN_FILE_MAX_TOKEN + 1), &tok,
					 cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "must hold one token"));
	/* Past the file cap: refused while reading. */
	assert_int_equal(token_file_read(tf_write(dir, "huge", big, TOKEN_FILE_MAX + 1), &tok, cause,
					 sizeof cause), -1);
	assert_non_null(strstr(cause, "larger than 64 KiB, it is not a token"));

	/* Missing file, a directory. */
	char path[300];
	snprintf(path, sizeof path, "%s/missing", dir);
	assert_int_equal(token_file_read(path, &tok, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "cannot read the token file"));
	assert_non_null(strstr(cause, "No such file"));
	assert_int_equal(token_file_read(dir, &tok, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "cannot read the token file"));
	assert_null(tok);

	static const char *names[] = { "ok", "ws", "bad", "max", "long", "huge" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_fragments_ping_close),
		cmocka_unit_test(test_protocol_violations),
		cmocka_unit_test(test_refused_401),
		cmocka_unit_test(test_wrong_accept),
		cmocka_unit_test(test_early_send_and_drop),
		cmocka_unit_test(test_connect_refused_and_limits),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_token_file_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
