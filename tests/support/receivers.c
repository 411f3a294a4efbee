/* receivers.c: loopback HTTP and SMTP receivers for the notifier's tests
 * (see receivers.h).
 *
 * Invariants: a receiver's thread is the only one touching its sockets;
 * records and settings are shared under the receiver's mutex and records are
 * only appended (at most RX_MAX_RECORDS). Every read waits at most
 * RX_IO_TIMEOUT_MS and fills at most RX_CONN_BUF bytes, and every wait also
 * watches the stop pipe, so stopping never waits on a peer. */
#include "receivers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "xalloc.h"

#define RX_IO_TIMEOUT_MS 5000
#define RX_CONN_BUF (512 * 1024)
#define RX_SMTP_DATA_MAX (1024 * 1024)
#define RX_SMTP_LINE_MAX 2048

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- a loopback server: listening socket, stop pipe, one thread ---------------- */

struct rx_server {
	int port;
	int lfd;                  /* -1 when stopped */
	int stop[2];              /* written once to stop the thread */
	pthread_t thread;
	bool running;
	void (*serve)(void *owner, int fd, int stopfd);
	void *owner;
};

static int listen_loopback(int port, int *bound)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

static void *server_main(void *arg)
{
	struct rx_server *s = arg;
	for (;;) {
		struct pollfd p[2] = { { s->lfd, POLLIN, 0 }, { s->stop[0], POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		s->serve(s->owner, fd, s->stop[0]);
		close(fd);
	}
	return NULL;
}

static int server_start(struct rx_server *s, int port)
{
	s->lfd = listen_loopback(port, &s->port);
	if (s->lfd < 0)
		return -1;
	if (pipe2(s->stop, O_CLOEXEC) < 0) {
		close(s->lfd);
		s->lfd = -1;
		return -1;
	}
	if (pthread_create(&s->thread, NULL, server_main, s) != 0) {
		close(s->lfd);
		close(s->stop[0]);
		close(s->stop[1]);
		s->lfd = -1;
		return -1;
	}
	s->running = true;
	return 0;
}

static void server_stop(struct rx_server *s)
{
	if (!s->running)
		return;
	char c = 1;
	(void)!write(s->stop[1], &c, 1);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	close(s->stop[0]);
	close(s->stop[1]);
	s->lfd = -1;
	s->running = false;
}

/* ---- one connection: bounded, timed reads ------------------------------------------ */

struct rx_conn {
	int fd, stopfd;
	char *buf;
	size_t len;
};

/* Reads more. 0, or -1 on close, error, timeout, stop or a full buffer. */
static int conn_fill(struct rx_conn *c)
{
	if (c->len >= RX_CONN_BUF)
		return -1;
	struct pollfd p[2] = { { c->fd, POLLIN, 0 }, { c->stopfd, POLLIN, 0 } };
	if (poll(p, 2, RX_IO_TIMEOUT_MS) <= 0 || p[1].revents)
		return -1;
	ssize_t n = read(c->fd, c->buf + c->len, RX_CONN_BUF - c->len);
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return 0;
}

/* Takes one line (without its CRLF or LF) into line. 0 or -1. */
static int conn_line(struct rx_conn *c, char *line, size_t cap)
{
	char *nl;
	while (!(nl = memchr(c->buf, '\n', c->len)))
		if (conn_fill(c) < 0)
			return -1;
	size_t n = (size_t)(nl - c->buf);
	size_t keep = n > 0 && c->buf[n - 1] == '\r' ? n - 1 : n;
	if (keep >= cap)
		keep = cap - 1;
	memcpy(line, c->buf, keep);
	line[keep] = '\0';
	memmove(c->buf, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	c->buf[c->len] = '\0';
	return 0;
}

static void conn_send(struct rx_conn *c, const char *s)
{
	size_t len = strlen(s), off = 0;
	while (off < len) {
		ssize_t n = send(c->fd, s + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* Sleeps ms, unless the receiver is stopped or the peer hangs up meanwhile. */
static void conn_pause(struct rx_conn *c, int ms)
{
	struct pollfd p[2] = { { c->stopfd, POLLIN, 0 }, { c->fd, POLLRDHUP, 0 } };
	if (ms > 0)
		poll(p, 2, ms);
}

/* ---- HTTP ---------------------------------------------------------------------------- */

struct http_rx {
	struct rx_server srv;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int fail_status, fail_left, ok_status, delay_ms;
	struct http_rx_request req[RX_MAX_RECORDS];
	size_t count;
};

static const char *status_reason(int status)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = { { 200, "OK" }, { 202, "Accepted" }, { 204, "No Content" }, { 400, "Bad Request" },
			{ 401, "Unauthorized" }, { 404, "Not Found" }, { 413, "Payload Too Large" },
			{ 429, "Too Many Requests" }, { 500, "Internal Server Error" }, { 503, "Service Unavailable" } };
	for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Status";
}

static void http_answer(struct rx_conn *c, int status)
{
	char resp[256];
	snprintf(resp, sizeof resp,
		 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
		 status, status_reason(status));
	conn_send(c, resp);
}

/* Parses the head in c->buf[0..head_len) into r. 0 or -1. */
static int http_parse_head(struct rx_conn *c, size_t head_len, struct http_rx_request *r)
{
	char *save = NULL;
	c->buf[head_len] = '\0';
	char *line = strtok_r(c->buf, "\r\n", &save);
	if (!line || sscanf(line, "%15s %511s", r->method, r->path) != 2)
		return -1;
	while ((line = strtok_r(NULL, "\r\n", &save))) {
		char *colon = strchr(line, ':');
		if (!colon || r->nheaders == RX_MAX_HEADERS)
			continue;
		char *v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		size_t vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			vl--;
		r->headers[r->nheaders].name = xstrndup(line, (size_t)(colon - line));
		r->headers[r->nheaders].value = xstrndup(v, vl);
		r->nheaders++;
	}
	return 0;
}

static void request_clear(struct http_rx_request *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->body);
	memset(r, 0, sizeof *r);
}

static void http_serve(void *owner, int fd, int stopfd)
{
	struct http_rx *rx = owner;
	struct rx_conn c = { .fd = fd, .stopfd = stopfd, .buf = xmalloc(RX_CONN_BUF + 1) };
	struct http_rx_request r = { 0 };
	char *end;
	c.buf[0] = '\0';
	while (!(end = strstr(c.buf, "\r\n\r\n")))
		if (conn_fill(&c) < 0)
			goto out;
	size_t head_len = (size_t)(end - c.buf), body_at = head_len + 4;
	/* The body may already be in the buffer: keep it before parsing cuts the head. */
	char *rest = xstrndup(c.buf + body_at, c.len - body_at);
	size_t rest_len = c.len - body_at;
	if (http_parse_head(&c, head_len, &r) < 0) {
		free(rest);
		http_answer(&c, 400);
		goto out;
	}
	memcpy(c.buf, rest, rest_len);
	c.len = rest_len;
	c.buf[c.len] = '\0';
	free(rest);

	const char *cl = http_rx_header(&r, "Content-Length");
	size_t want = cl ? strtoul(cl, NULL, 10) : 0;
	if (want >= RX_CONN_BUF) {
		http_answer(&c, 413);
		goto out;
	}
	const char *expect = http_rx_header(&r, "Expect");
	if (expect && strcasecmp(expect, "100-continue") == 0)
		conn_send(&c, "HTTP/1.1 100 Continue\r\n\r\n");
	while (c.len < want)
		if (conn_fill(&c) < 0)
			goto out;
	r.body = xstrndup(c.buf, want);
	r.body_len = want;
	r.at_us = mono_us();

	pthread_mutex_lock(&rx->mu);
	if (rx->fail_left > 0) {
		r.status = rx->fail_status;
		rx->fail_left--;
	} else {
		r.status = rx->ok_status;
	}
	int status = r.status, delay = rx->delay_ms;
	if (rx->count < RX_MAX_RECORDS) {
		rx->req[rx->count++] = r;
		memset(&r, 0, sizeof r);
	}
	pthread_cond_broadcast(&rx->cond);
	pthread_mutex_unlock(&rx->mu);

	conn_pause(&c, delay);
	http_answer(&c, status);
out:
	request_clear(&r);
	free(c.buf);
}

struct http_rx *http_rx_start(int port)
{
	struct http_rx *rx = xcalloc(1, sizeof *rx);
	pthread_mutex_init(&rx->mu, NULL);
	pthread_cond_init(&rx->cond, NULL);
	rx->ok_status = 200;
	rx->srv.serve = http_serve;
	rx->srv.owner = rx;
	if (server_start(&rx->srv, port) < 0) {
		free(rx);
		return NULL;
	}
	return rx;
}

int http_rx_port(const struct http_rx *rx)
{
	return rx->srv.port;
}

void http_rx_set_replies(struct http_rx *rx, int fail_status, int fail_count, int ok_status)
{
	pthread_mutex_lock(&rx->mu);
	rx->fail_status = fail_status;
	rx->fail_left = fail_count;
	rx->ok_status = ok_status;
	pthread_mutex_unlock(&rx->mu);
}

void http_rx_set_delay(struct http_rx *rx, int delay_ms)
{
	pthread_mutex_lock(&rx->mu);
	rx->delay_ms = delay_ms;
	pthread_mutex_unlock(&rx->mu);
}

void http_rx_stop(struct http_rx *rx)
{
	server_stop(&rx->srv);
}

int http_rx_restart(struct http_rx *rx)
{
	if (rx->srv.running)
		return 0;
	return server_start(&rx->srv, rx->srv.port);
}

void http_rx_free(struct http_rx *rx)
{
	if (!rx)
		return;
	server_stop(&rx->srv);
	for (size_t i = 0; i < rx->count; i++)
		request_clear(&rx->req[i]);
	pthread_cond_destroy(&rx->cond);
	pthread_mutex_destroy(&rx->mu);
	free(rx);
}

size_t http_rx_count(struct http_rx *rx)
{
	pthread_mutex_lock(&rx->mu);
	size_t n = rx->count;
	pthread_mutex_unlock(&rx->mu);
	return n;
}

/* Waits on cond until *count >= n or the deadline; returns *count. */
static size_t wait_count(pthread_mutex_t *mu, pthread_cond_t *cond, const size_t *count, size_t n,
			 int timeout_ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(mu);
	while (*count < n)
		if (pthread_cond_timedwait(cond, mu, &dl) == ETIMEDOUT)
			break;
	size_t k = *count;
	pthread_mutex_unlock(mu);
	return k;
}

size_t http_rx_wait(struct http_rx *rx, size_t n, int timeout_ms)
{
	return wait_count(&rx->mu, &rx->cond, &rx->count, n, timeout_ms);
}

const struct http_rx_request *http_rx_get(struct http_rx *rx, size_t i)
{
	pthread_mutex_lock(&rx->mu);
	const struct http_rx_request *r = i < rx->count ? &rx->req[i] : NULL;
	pthread_mutex_unlock(&rx->mu);
	return r;
}

const char *http_rx_header(const struct http_rx_request *req, const char *name)
{
	for (size_t i = 0; i < req->nheaders; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return req->headers[i].value;
	return NULL;
}

bool http_rx_verify_signature(const struct http_rx_request *req, const char *secret)
{
	const char *ts = http_rx_header(req, "X-Wfmon-Timestamp");
	const char *sig = http_rx_header(req, "X-Wfmon-Signature");
	if (!ts || !sig || !*ts || strspn(ts, "0123456789") != strlen(ts) || strncmp(sig, "sha256=", 7) != 0)
		return false;
	/* Checked with OpenSSL's HMAC directly, not with the daemon's signing code. */
	size_t tl = strlen(ts);
	unsigned char *text = xmalloc(tl + 1 + req->body_len);
	memcpy(text, ts, tl);
	text[tl] = '.';
	memcpy(text + tl + 1, req->body, req->body_len);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	HMAC(EVP_sha256(), secret, (int)strlen(secret), text, tl + 1 + req->body_len, mac, &maclen);
	free(text);
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	for (unsigned int i = 0; i < maclen; i++)
		sprintf(hex + 2 * i, "%02x", mac[i]);
	hex[2 * maclen] = '\0';
	return strcmp(sig + 7, hex) == 0;
}

/* ---- SMTP ------------------------------------------------------------------------------ */

struct smtp_rx {
	struct rx_server srv;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool reject_rcpt;
	struct smtp_rx_message msg[RX_MAX_RECORDS];
	size_t count;
	size_t sessions;
};

struct smtp_session {
	struct smtp_rx *rx;
	struct rx_conn c;
	struct smtp_rx_message cur;
	bool quit;
};

static void message_clear(struct smtp_rx_message *m)
{
	free(m->mail_from);
	for (size_t i = 0; i < m->nrcpt; i++)
		free(m->rcpt[i]);
	free(m->data);
	memset(m, 0, sizeof *m);
}

/* The address inside <...> after "FROM:" or "TO:", new; NULL when malformed. */
static char *smtp_path(const char *arg)
{
	const char *lt = strchr(arg, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	return gt ? xstrndup(lt + 1, (size_t)(gt - lt - 1)) : NULL;
}

static void smtp_hello(struct smtp_session *s, const char *arg)
{
	(void)arg;
	conn_send(&s->c, "250 rx.test\r\n");
}

static void smtp_mail(struct smtp_session *s, const char *arg)
{
	char *from = strncasecmp(arg, "FROM:", 5) == 0 ? smtp_path(arg) : NULL;
	if (!from) {
		conn_send(&s->c, "501 syntax: MAIL FROM:<address>\r\n");
		return;
	}
	message_clear(&s->cur);
	s->cur.mail_from = from;
	conn_send(&s->c, "250 OK\r\n");
}

static void smtp_rcpt(struct smtp_session *s, const char *arg)
{
	pthread_mutex_lock(&s->rx->mu);
	bool reject = s->rx->reject_rcpt;
	pthread_mutex_unlock(&s->rx->mu);
	char *to = strncasecmp(arg, "TO:", 3) == 0 ? smtp_path(arg) : NULL;
	if (!s->cur.mail_from || !to || s->cur.nrcpt == RX_MAX_RCPT) {
		free(to);
		conn_send(&s->c, "503 bad sequence of commands\r\n");
	} else if (reject) {
		free(to);
		conn_send(&s->c, "550 mailbox unavailable\r\n");
	} else {
		s->cur.rcpt[s->cur.nrcpt++] = to;
		conn_send(&s->c, "250 OK\r\n");
	}
}

static void smtp_data(struct smtp_session *s, const char *arg)
{
	(void)arg;
	if (!s->cur.mail_from || s->cur.nrcpt == 0) {
		conn_send(&s->c, "503 bad sequence of commands\r\n");
		return;
	}
	conn_send(&s->c, "354 end with <CRLF>.<CRLF>\r\n");
	char *data = xmalloc(RX_SMTP_DATA_MAX + 1);
	size_t len = 0;
	bool too_big = false;
	char line[RX_SMTP_LINE_MAX];
	for (;;) {
		if (conn_line(&s->c, line, sizeof line) < 0) {
			free(data);
			s->quit = true;
			return;
		}
		if (strcmp(line, ".") == 0)
			break;
		const char *l = line[0] == '.' ? line + 1 : line;   /* dot-unstuffing */
		size_t ll = strlen(l);
		if (len + ll + 2 > RX_SMTP_DATA_MAX) {
			too_big = true;
			continue;
		}
		memcpy(data + len, l, ll);
		memcpy(data + len + ll, "\r\n", 2);
		len += ll + 2;
	}
	if (too_big) {
		free(data);
		message_clear(&s->cur);
		conn_send(&s->c, "552 message too large\r\n");
		return;
	}
	data[len] = '\0';
	s->cur.data = data;
	s->cur.data_len = len;
	pthread_mutex_lock(&s->rx->mu);
	if (s->rx->count < RX_MAX_RECORDS) {
		s->rx->msg[s->rx->count++] = s->cur;
		memset(&s->cur, 0, sizeof s->cur);
	}
	pthread_cond_broadcast(&s->rx->cond);
	pthread_mutex_unlock(&s->rx->mu);
	message_clear(&s->cur);
	conn_send(&s->c, "250 OK queued\r\n");
}

static void smtp_rset(struct smtp_session *s, const char *arg)
{
	(void)arg;
	message_clear(&s->cur);
	conn_send(&s->c, "250 OK\r\n");
}

static void smtp_noop(struct smtp_session *s, const char *arg)
{
	(void)arg;
	conn_send(&s->c, "250 OK\r\n");
}

static void smtp_quit(struct smtp_session *s, const char *arg)
{
	(void)arg;
	conn_send(&s->c, "221 bye\r\n");
	s->quit = true;
}

static const struct {
	const char *verb;
	void (*fn)(struct smtp_session *s, const char *arg);
} smtp_verbs[] = {
	{ "EHLO", smtp_hello }, { "HELO", smtp_hello }, { "MAIL", smtp_mail }, { "RCPT", smtp_rcpt },
	{ "DATA", smtp_data },  { "RSET", smtp_rset },  { "NOOP", smtp_noop }, { "QUIT", smtp_quit },
};

static void smtp_serve(void *owner, int fd, int stopfd)
{
	struct smtp_session s = { .rx = owner, .c = { .fd = fd, .stopfd = stopfd, .buf = xmalloc(RX_CONN_BUF + 1) } };
	char line[RX_SMTP_LINE_MAX];
	conn_send(&s.c, "220 rx.test ESMTP sink\r\n");
	while (!s.quit && conn_line(&s.c, line, sizeof line) == 0) {
		const char *arg = line + strcspn(line, " ");
		arg += strspn(arg, " ");
		size_t i;
		for (i = 0; i < sizeof smtp_verbs / sizeof smtp_verbs[0]; i++)
			if (strncasecmp(line, smtp_verbs[i].verb, 4) == 0 && (line[4] == ' ' || line[4] == '\0'))
				break;
		if (i < sizeof smtp_verbs / sizeof smtp_verbs[0])
			smtp_verbs[i].fn(&s, arg);
		else
			conn_send(&s.c, "502 command not implemented\r\n");
	}
	message_clear(&s.cur);
	free(s.c.buf);
	pthread_mutex_lock(&s.rx->mu);
	s.rx->sessions++;
	pthread_cond_broadcast(&s.rx->cond);
	pthread_mutex_unlock(&s.rx->mu);
}

struct smtp_rx *smtp_rx_start(int port)
{
	struct smtp_rx *rx = xcalloc(1, sizeof *rx);
	pthread_mutex_init(&rx->mu, NULL);
	pthread_cond_init(&rx->cond, NULL);
	rx->srv.serve = smtp_serve;
	rx->srv.owner = rx;
	if (server_start(&rx->srv, port) < 0) {
		free(rx);
		return NULL;
	}
	return rx;
}

int smtp_rx_port(const struct smtp_rx *rx)
{
	return rx->srv.port;
}

void smtp_rx_set_reject_rcpt(struct smtp_rx *rx, bool on)
{
	pthread_mutex_lock(&rx->mu);
	rx->reject_rcpt = on;
	pthread_mutex_unlock(&rx->mu);
}

void smtp_rx_free(struct smtp_rx *rx)
{
	if (!rx)
		return;
	server_stop(&rx->srv);
	for (size_t i = 0; i < rx->count; i++)
		message_clear(&rx->msg[i]);
	pthread_cond_destroy(&rx->cond);
	pthread_mutex_destroy(&rx->mu);
	free(rx);
}

size_t smtp_rx_count(struct smtp_rx *rx)
{
	pthread_mutex_lock(&rx->mu);
	size_t n = rx->count;
	pthread_mutex_unlock(&rx->mu);
	return n;
}

size_t smtp_rx_sessions(struct smtp_rx *rx)
{
	pthread_mutex_lock(&rx->mu);
	size_t n = rx->sessions;
	pthread_mutex_unlock(&rx->mu);
	return n;
}

size_t smtp_rx_wait(struct smtp_rx *rx, size_t n, int timeout_ms)
{
	return wait_count(&rx->mu, &rx->cond, &rx->count, n, timeout_ms);
}

size_t smtp_rx_wait_sessions(struct smtp_rx *rx, size_t n, int timeout_ms)
{
	return wait_count(&rx->mu, &rx->cond, &rx->sessions, n, timeout_ms);
}

const struct smtp_rx_message *smtp_rx_get(struct smtp_rx *rx, size_t i)
{
	pthread_mutex_lock(&rx->mu);
	const struct smtp_rx_message *m = i < rx->count ? &rx->msg[i] : NULL;
	pthread_mutex_unlock(&rx->mu);
	return m;
}
