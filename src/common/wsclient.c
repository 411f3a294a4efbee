/* wsclient.c: a non-blocking RFC 6455 client over plain TCP (see wsclient.h).
 *
 * One connection, one state machine: CONNECTING (non-blocking connect, trying
 * each resolved address in turn) -> HANDSHAKE (upgrade request written, waiting
 * for a 101 with the right Sec-WebSocket-Accept) -> OPEN -> CLOSED. Nothing
 * blocks except the *_wait helpers.
 *
 * Buffers and their invariants:
 * - out: one growable buffer of masked frames, out[out_off, out_len) unsent,
 *   never more than max_outbuf bytes queued. While the handshake is pending only
 *   the request (out[0, hold_from)) may be written: frames queued early wait.
 * - in: bytes read, in[0, in_parse) already parsed. Complete unfragmented
 *   messages are not copied: the queue holds their offsets into in, and in is
 *   compacted only below the oldest queued message, so a message returned by
 *   wsc_next stays put until the next call on the client. Fragmented messages
 *   are reassembled in frag and then owned by their queue entry.
 * - Reading stops (no POLLIN) while queued, unread bytes pass in_limit, so a
 *   caller that does not drain wsc_next bounds memory by back-pressure.
 * - Idle clients hold no buffers: in and out are freed when empty and larger
 *   than WSC_KEEP, so thousands of mostly idle clients stay small.
 *
 * Close codes: wsc_close_code reports the server's code when it closed, the
 * code we failed the connection with (1002, 1007, 1009) when the server broke
 * the protocol, and 1006 when the connection ended without a close frame. */
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "wsclient.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base64.h"
#include "clock.h"
#include "tlsclient.h"
#include "wsframe.h"
#include "xalloc.h"

#define WSC_DEFAULT_MAX_MESSAGE (16u * 1024 * 1024)
#define WSC_DEFAULT_MAX_OUTBUF (8u * 1024 * 1024)
#define WSC_READ_CHUNK (64 * 1024)
#define WSC_MAX_RESPONSE (16 * 1024)
#define WSC_KEEP 4096
#define WSC_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WSC_TLS_READ_MAX (4 * WSC_READ_CHUNK)   /* plain text taken from TLS per read */

struct wsc_msg {
	size_t off;       /* payload offset in c->in when owned is NULL */
	size_t len;
	uint8_t *owned;   /* reassembled fragments, or NULL */
};

struct wsc {
	int fd;
	enum wsc_state state;
	struct addrinfo *ai_list;
	struct addrinfo *ai_next;  /* next address to try if this connect fails */
	char peer[300];            /* "host:port" for messages */
	char host[256];
	int port;
	SSL_CTX *tls_ctx;          /* borrowed; NULL: plain TCP */
	const char *tls_ca_file;   /* borrowed, for messages */
	SSL *ssl;                  /* while TLS is up */
	bool tls_handshaking;      /* CONNECTING: TCP is up, TLS is not yet */
	short tls_want;            /* POLLIN or POLLOUT: what OpenSSL waits for */
	size_t max_message;
	size_t max_outbuf;
	size_t in_limit;

	char accept[32];           /* the Sec-WebSocket-Accept we expect */
	char *subprotocol;         /* requested, or NULL */

	uint8_t *out;
	size_t out_off, out_len, out_cap;
	size_t hold_from;          /* end of the upgrade request while not open */

	uint8_t *in;
	size_t in_parse, in_len, in_cap;

	struct wsc_msg *q;
	size_t q_head, q_count, q_cap;
	size_t q_owned_bytes;
	uint8_t *given;            /* owned message handed out by wsc_next */

	uint8_t *frag;
	size_t frag_len, frag_cap;
	enum ws_opcode frag_op;
	bool in_frag;

	bool close_sent;
	bool close_received;
	int http_status;
	int close_code;
	char error[256];
	uint64_t bytes_in, bytes_out;
	uint64_t rng;
};

/* A scratch area a read can spill into, so that one readv takes up to 64 KiB
 * without every client owning a 64 KiB buffer. Per thread: tests run servers
 * and clients in several threads. */
static __thread uint8_t wsc_scratch[WSC_READ_CHUNK];

static void wsc_set_error(struct wsc *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void wsc_set_error(struct wsc *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
}

/* Masks need only be unpredictable to the network path, not secret: a
 * xorshift64* seeded from getrandom avoids one syscall per frame. */
static uint32_t wsc_random32(struct wsc *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (uint32_t)((c->rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static int wsc_fill_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* ---- Teardown -------------------------------------------------------------- */

static void wsc_close_fd(struct wsc *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	c->tls_handshaking = false;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void wsc_release_frag(struct wsc *c)
{
	free(c->frag);
	c->frag = NULL;
	c->frag_len = c->frag_cap = 0;
	c->in_frag = false;
}

/* Ends the connection for good. Messages already queued stay readable. */
static void wsc_finish(struct wsc *c, int close_code)
{
	wsc_close_fd(c);
	wsc_release_frag(c);
	c->state = WSC_CLOSED;
	if (c->close_code == 0)
		c->close_code = close_code;
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	freeaddrinfo(c->ai_list);
	c->ai_list = c->ai_next = NULL;
}

/* ---- Output ----------------------------------------------------------------- */

/* Makes room for need more bytes; -1 past max_outbuf or out of memory. */
static int wsc_out_reserve(struct wsc *c, size_t need)
{
	size_t queued = c->out_len - c->out_off;
	if (need > c->max_outbuf || queued > c->max_outbuf - need)
		return -1;
	if (c->out_cap - c->out_len >= need)
		return 0;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, queued);
		c->hold_from = c->hold_from > c->out_off ? c->hold_from - c->out_off : 0;
		c->out_len = queued;
		c->out_off = 0;
		if (c->out_cap - c->out_len >= need)
			return 0;
	}
	size_t cap = c->out_cap ? c->out_cap : 1024;
	while (cap - c->out_len < need)
		cap *= 2;
	uint8_t *p = realloc(c->out, cap);
	if (p == NULL)
		return -1;
	c->out = p;
	c->out_cap = cap;
	return 0;
}

static int wsc_queue_raw(struct wsc *c, const void *data, size_t len)
{
	if (wsc_out_reserve(c, len) < 0)
		return -1;
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

static int wsc_queue_frame(struct wsc *c, unsigned opcode, bool fin, const void *data, size_t len)
{
	uint8_t hdr[WSFRAME_MAX_HEADER];
	uint32_t m = wsc_random32(c);
	uint8_t mask[4];
	memcpy(mask, &m, 4);
	size_t hlen = wsframe_header(hdr, (enum ws_opcode)(opcode & 0x0F), fin, len, mask);
	if (len > SIZE_MAX - hlen || wsc_out_reserve(c, hlen + len) < 0)
		return -1;
	uint8_t *dst = c->out + c->out_len;
	memcpy(dst, hdr, hlen);
	if (len > 0)
		memcpy(dst + hlen, data, len);
	wsframe_mask(dst + hlen, len, mask, 0);
	c->out_len += hlen + len;
	return 0;
}

/* Writes what the socket takes. Returns -1 on a write error. */
static int wsc_flush(struct wsc *c)
{
	if (c->fd < 0 || c->state == WSC_CONNECTING)
		return 0;
	size_t limit = c->state == WSC_OPEN ? c->out_len : c->hold_from;
	while (c->out_off < limit) {
		ssize_t n;
		if (c->ssl != NULL) {
			/* One record per call (partial writes): a full socket leaves
			 * OpenSSL holding the record begun at out_off, which the next
			 * try offers again (the buffer may have moved meanwhile). */
			ERR_clear_error();
			int w = SSL_write(c->ssl, c->out + c->out_off,
					  limit - c->out_off > INT_MAX ? INT_MAX : (int)(limit - c->out_off));
			if (w <= 0) {
				int e = SSL_get_error(c->ssl, w);
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
					break;
				ERR_clear_error();
				wsc_set_error(c, "write to %s failed (TLS)", c->peer);
				return -1;
			}
			c->out_off += (size_t)w;
			c->bytes_out += (uint64_t)w;
			continue;
		}
		n = send(c->fd, c->out + c->out_off, limit - c->out_off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			wsc_set_error(c, "write to %s failed: %s", c->peer, strerror(errno));
			return -1;
		}
		c->out_off += (size_t)n;
		c->bytes_out += (uint64_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		c->hold_from = 0;
		if (c->out_cap > WSC_KEEP) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	return 0;
}

/* Fails the connection because the server broke the protocol: a best-effort
 * close frame with code, then the socket is closed. */
static void wsc_fail(struct wsc *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void wsc_fail(struct wsc *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
	if (c->state == WSC_OPEN && !c->close_sent) {
		uint8_t payload[2] = { (uint8_t)(code >> 8), (uint8_t)code };
		/* Queued frames stay: one may be half written, and cutting it would
		 * garble the close behind it. */
		if (wsc_queue_frame(c, WS_OP_CLOSE, true, payload, 2) == 0) {
			c->close_sent = true;
			wsc_flush(c);
		}
	}
	wsc_finish(c, code);
}

/* ---- Connecting -------------------------------------------------------------- */

/* ---- TLS ------------------------------------------------------------------------- */

/* One step of the TLS handshake. Returns 0 while it goes on or once it is
 * done (state HANDSHAKE, the upgrade request then goes out), -1 (with
 * c->error, close code 1015) when it failed. */
static int wsc_tls_step(struct wsc *c)
{
	ERR_clear_error();
	int r = SSL_connect(c->ssl);
	if (r == 1) {
		c->tls_handshaking = false;
		c->tls_want = 0;
		c->state = WSC_HANDSHAKE;
		return 0;
	}
	int e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		c->tls_want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	long v = SSL_get_verify_result(c->ssl);
	if (v != X509_V_OK) {
		tlsc_verify_explain(v, c->host, c->port, c->tls_ca_file, c->error, sizeof c->error);
	} else {
		char err[160];
		unsigned long code = ERR_peek_last_error();
		if (code != 0)
			ERR_error_string_n(code, err, sizeof err);
		else
			snprintf(err, sizeof err, "%s", e == SSL_ERROR_SYSCALL ? "the connection was closed" : "no detail");
		wsc_set_error(c, "the TLS handshake with %s failed: %s (is it a TLS listener? does it want a "
				 "client certificate?)", c->peer, err);
	}
	ERR_clear_error();
	c->close_code = WSC_CLOSE_TLS;
	return -1;
}

/* TCP is up: the upgrade request may go, or, over TLS, the handshake first. */
static int wsc_tcp_connected(struct wsc *c)
{
	if (c->tls_ctx == NULL) {
		c->state = WSC_HANDSHAKE;
		return 0;
	}
	c->ssl = SSL_new(c->tls_ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		wsc_set_error(c, "OpenSSL cannot make a TLS connection");
		return -1;
	}
	/* The name to verify: an address is checked as one, a name as a name
	 * (and sent as SNI). */
	X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
	X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_ip_asc(param, c->host) != 1) {
		ERR_clear_error();
		SSL_set_tlsext_host_name(c->ssl, c->host);
		X509_VERIFY_PARAM_set1_host(param, c->host, 0);
	}
	SSL_set_connect_state(c->ssl);
	c->tls_handshaking = true;
	return wsc_tls_step(c);
}

/* Starts a connect to the next address. Returns 0 when one is under way or
 * done, -1 (with c->error) when no address is left. */
static int wsc_connect_next(struct wsc *c)
{
	int last_errno = 0;
	wsc_close_fd(c);
	while (c->ai_next != NULL) {
		struct addrinfo *ai = c->ai_next;
		c->ai_next = ai->ai_next;
		int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			last_errno = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			c->fd = fd;
			c->state = WSC_CONNECTING;
			return wsc_tcp_connected(c);
		}
		if (errno == EINPROGRESS) {
			c->fd = fd;
			c->state = WSC_CONNECTING;
			return 0;
		}
		last_errno = errno;
		close(fd);
	}
	wsc_set_error(c, "cannot connect to %s: %s", c->peer,
		      last_errno ? strerror(last_errno) : "no address left to try");
	return -1;
}

static bool wsc_header_value_ok(const char *s)
{
	return s == NULL || strpbrk(s, "\r\n") == NULL;
}

static int wsc_build_request(struct wsc *c, const struct wsc_config *cfg, char *cause,
			     size_t causelen)
{
	uint8_t nonce[16];
	char key[32];
	if (wsc_fill_random(nonce, sizeof nonce) < 0 ||
	    wsc_fill_random(&c->rng, sizeof c->rng) < 0) {
		snprintf(cause, causelen, "getrandom failed: %s", strerror(errno));
		return -1;
	}
	c->rng |= 1; /* xorshift must not start at zero */
	base64_encode(nonce, sizeof nonce, key, sizeof key);

	char both[96];
	snprintf(both, sizeof both, "%s%s", key, WSC_GUID);
	unsigned char digest[SHA_DIGEST_LENGTH];
	SHA1((const unsigned char *)both, strlen(both), digest);
	base64_encode(digest, sizeof digest, c->accept, sizeof c->accept);

	const char *path = cfg->path ? cfg->path : "/";
	bool v6 = strchr(cfg->host, ':') != NULL;
	char *req = xasprintf("GET %s HTTP/1.1\r\n"
			      "Host: %s%s%s:%d\r\n"
			      "Upgrade: websocket\r\n"
			      "Connection: Upgrade\r\n"
			      "Sec-WebSocket-Key: %s\r\n"
			      "Sec-WebSocket-Version: 13\r\n"
			      "%s%s%s"
			      "%s%s%s"
			      "%s"
			      "\r\n",
			      path, v6 ? "[" : "", cfg->host, v6 ? "]" : "", cfg->port, key,
			      cfg->subprotocol ? "Sec-WebSocket-Protocol: " : "",
			      cfg->subprotocol ? cfg->subprotocol : "",
			      cfg->subprotocol ? "\r\n" : "",
			      cfg->bearer ? "Authorization: Bearer " : "",
			      cfg->bearer ? cfg->bearer : "", cfg->bearer ? "\r\n" : "",
			      cfg->extra_headers ? cfg->extra_headers : "");
	size_t len = strlen(req);
	int rc = wsc_queue_raw(c, req, len);
	free(req);
	if (rc < 0) {
		snprintf(cause, causelen, "the upgrade request is larger than max_outbuf");
		return -1;
	}
	c->hold_from = c->out_len;
	return 0;
}

/* ---- Connections ------------------------------------------------------------- */

struct wsc *wsc_new(const struct wsc_config *cfg, char *cause, size_t causelen)
{
	if (cfg->host == NULL || cfg->port <= 0 || cfg->port > 65535) {
		snprintf(cause, causelen, "a host and a port between 1 and 65535 are needed");
		return NULL;
	}
	if (!wsc_header_value_ok(cfg->host) || !wsc_header_value_ok(cfg->path) ||
	    !wsc_header_value_ok(cfg->subprotocol) || !wsc_header_value_ok(cfg->bearer) ||
	    (cfg->path && (cfg->path[0] != '/' || strchr(cfg->path, ' ')))) {
		snprintf(cause, causelen,
			 "host, path, subprotocol and token must not contain line breaks, "
			 "and the path must start with '/' and contain no spaces");
		return NULL;
	}
	char port[8];
	snprintf(port, sizeof port, "%d", cfg->port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *list = NULL;
	int gai = getaddrinfo(cfg->host, port, &hints, &list);
	if (gai != 0) {
		snprintf(cause, causelen, "cannot resolve %s: %s", cfg->host, gai_strerror(gai));
		return NULL;
	}

	struct wsc *c = xcalloc(1, sizeof *c);
	c->fd = -1;
	c->ai_list = c->ai_next = list;
	snprintf(c->peer, sizeof c->peer, "%s:%d", cfg->host, cfg->port);
	snprintf(c->host, sizeof c->host, "%s", cfg->host);
	c->port = cfg->port;
	c->tls_ctx = cfg->tls;
	c->tls_ca_file = cfg->tls_ca_file;
	c->max_message = cfg->max_message ? cfg->max_message : WSC_DEFAULT_MAX_MESSAGE;
	c->max_outbuf = cfg->max_outbuf ? cfg->max_outbuf : WSC_DEFAULT_MAX_OUTBUF;
	c->in_limit = c->max_message + WSFRAME_MAX_HEADER + WSC_READ_CHUNK;
	if (cfg->subprotocol)
		c->subprotocol = xstrdup(cfg->subprotocol);
	if (wsc_build_request(c, cfg, cause, causelen) < 0) {
		wsc_free(c);
		return NULL;
	}
	if (wsc_connect_next(c) < 0) {
		/* Refused at once: a client in CLOSED state says why, like a later failure. */
		wsc_finish(c, c->close_code ? c->close_code : 1006);
		return c;
	}
	if (c->state == WSC_HANDSHAKE && wsc_flush(c) < 0)
		wsc_finish(c, 1006);
	return c;
}

void wsc_free(struct wsc *c)
{
	if (c == NULL)
		return;
	wsc_close_fd(c);
	if (c->ai_list)
		freeaddrinfo(c->ai_list);
	for (size_t i = 0; i < c->q_count; i++)
		free(c->q[(c->q_head + i) % c->q_cap].owned);
	free(c->q);
	free(c->given);
	free(c->frag);
	free(c->in);
	free(c->out);
	free(c->subprotocol);
	free(c);
}

/* ---- Handshake response ------------------------------------------------------ */

/* Finds header name in the response head (lines after the status line); copies
 * its trimmed value. Returns false if absent. A repeated header keeps the first. */
static bool wsc_header_find(const char *head, const char *name, char *val, size_t vallen)
{
	size_t nlen = strlen(name);
	const char *line = strstr(head, "\r\n");
	while (line != NULL) {
		line += 2;
		const char *end = strstr(line, "\r\n");
		if (end == NULL || end == line)
			return false;
		if ((size_t)(end - line) > nlen && strncasecmp(line, name, nlen) == 0 &&
		    line[nlen] == ':') {
			const char *v = line + nlen + 1;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			const char *e = end;
			while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			size_t n = (size_t)(e - v);
			if (n >= vallen)
				n = vallen - 1;
			memcpy(val, v, n);
			val[n] = '\0';
			return true;
		}
		line = end;
	}
	return false;
}

/* True if the comma-separated list contains token (case-insensitive). */
static bool wsc_list_has(const char *list, const char *token)
{
	size_t tlen = strlen(token);
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		const char *s = p;
		while (*p && *p != ',')
			p++;
		const char *e = p;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) == tlen && strncasecmp(s, token, tlen) == 0)
			return true;
	}
	return false;
}

/* Appends the start of a refusal's body to the error, when it is short text. */
static void wsc_refusal_body(struct wsc *c, const uint8_t *body, size_t len)
{
	size_t n = 0;
	while (n < len && n < 160 && body[n] != '\r' && body[n] != '\n' && body[n] >= 0x20)
		n++;
	if (n == 0 || !utf8_valid(body, n))
		return;
	size_t used = strlen(c->error);
	snprintf(c->error + used, sizeof c->error - used, ": %.*s", (int)n, (const char *)body);
}

/* Parses the response once its head is complete. Returns 1 when done (open or
 * closed), 0 while more bytes are needed. */
static int wsc_handshake_parse(struct wsc *c)
{
	uint8_t *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
	if (end == NULL) {
		if (c->in_len > WSC_MAX_RESPONSE) {
			wsc_set_error(c, "the upgrade response from %s has more than %d bytes of headers",
				      c->peer, WSC_MAX_RESPONSE);
			wsc_finish(c, 1006);
			return 1;
		}
		return 0;
	}
	size_t head_len = (size_t)(end - c->in) + 4;
	char *head = xstrndup((const char *)c->in, head_len);
	int status = 0;
	char reason[64] = "";
	if (sscanf(head, "HTTP/1.%*1[01] %3d %63[^\r\n]", &status, reason) < 1 ||
	    status < 100 || status > 599) {
		wsc_set_error(c, "%s did not answer with HTTP", c->peer);
		free(head);
		wsc_finish(c, 1006);
		return 1;
	}
	c->http_status = status;
	if (status != 101) {
		wsc_set_error(c, "%s refused the WebSocket upgrade: HTTP %d %s", c->peer, status,
			      reason);
		wsc_refusal_body(c, c->in + head_len, c->in_len - head_len);
		free(head);
		wsc_finish(c, 1006);
		return 1;
	}

	char val[256];
	const char *problem = NULL;
	if (!wsc_header_find(head, "Upgrade", val, sizeof val) || strcasecmp(val, "websocket") != 0)
		problem = "no \"Upgrade: websocket\"";
	else if (!wsc_header_find(head, "Connection", val, sizeof val) ||
		 !wsc_list_has(val, "upgrade"))
		problem = "no \"Connection: Upgrade\"";
	else if (!wsc_header_find(head, "Sec-WebSocket-Accept", val, sizeof val) ||
		 strcmp(val, c->accept) != 0)
		problem = "a missing or wrong Sec-WebSocket-Accept";
	else if (wsc_header_find(head, "Sec-WebSocket-Extensions", val, sizeof val))
		problem = "an extension we did not offer";
	else if (wsc_header_find(head, "Sec-WebSocket-Protocol", val, sizeof val) &&
		 (c->subprotocol == NULL || strcmp(val, c->subprotocol) != 0))
		problem = "a subprotocol we did not offer";
	free(head);
	if (problem != NULL) {
		wsc_set_error(c, "%s answered the upgrade with %s", c->peer, problem);
		wsc_finish(c, 1006);
		return 1;
	}
	/* Bytes after the head are already frames. */
	c->in_parse = head_len;
	c->http_status = 0; /* not a refusal */
	c->state = WSC_OPEN;
	return 1;
}

/* ---- Inbound frames ------------------------------------------------------------ */

static void wsc_queue_message(struct wsc *c, size_t off, size_t len, uint8_t *owned)
{
	if (c->q_count == c->q_cap) {
		size_t cap = c->q_cap ? c->q_cap * 2 : 8;
		struct wsc_msg *q = xmalloc(cap * sizeof *q);
		for (size_t i = 0; i < c->q_count; i++)
			q[i] = c->q[(c->q_head + i) % c->q_cap];
		free(c->q);
		c->q = q;
		c->q_cap = cap;
		c->q_head = 0;
	}
	c->q[(c->q_head + c->q_count) % c->q_cap] = (struct wsc_msg){ off, len, owned };
	c->q_count++;
	if (owned)
		c->q_owned_bytes += len;
}

/* RFC 6455 7.4 and the IANA registry after it: 1012-1014 (service restart,
 * try again later, bad gateway) are registered; wfmond says 1013 when it is
 * full or draining. */
static bool wsc_close_code_valid(int code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static void wsc_on_close(struct wsc *c, const uint8_t *p, size_t len)
{
	int code = 1005;
	if (len == 1) {
		wsc_fail(c, 1002, "%s sent a close frame with a 1-byte payload", c->peer);
		return;
	}
	if (len >= 2) {
		code = p[0] << 8 | p[1];
		if (!wsc_close_code_valid(code)) {
			wsc_fail(c, 1002, "%s sent the invalid close code %d", c->peer, code);
			return;
		}
		if (!utf8_valid(p + 2, len - 2)) {
			wsc_fail(c, 1007, "%s sent a close reason that is not UTF-8", c->peer);
			return;
		}
	}
	c->close_received = true;
	if (len > 2)
		wsc_set_error(c, "%s closed the connection with code %d: %.*s", c->peer, code,
			      (int)(len - 2), (const char *)p + 2);
	else
		wsc_set_error(c, "%s closed the connection with code %d", c->peer, code);
	c->close_code = code;
	if (!c->close_sent) {
		/* Echo the code behind what is queued (a frame may be half written). */
		if (code == 1005)
			wsc_queue_frame(c, WS_OP_CLOSE, true, NULL, 0);
		else
			wsc_queue_frame(c, WS_OP_CLOSE, true, p, 2);
		c->close_sent = true;
		wsc_flush(c);
	}
	wsc_finish(c, code);
}

/* Appends a fragment; -1 (connection failed) past max_message. */
static int wsc_frag_append(struct wsc *c, const uint8_t *p, size_t len)
{
	if (len > c->max_message - c->frag_len) {
		wsc_fail(c, 1009, "%s sent a fragmented message larger than %zu bytes", c->peer,
			 c->max_message);
		return -1;
	}
	if (c->frag_cap - c->frag_len < len || c->frag == NULL) {
		size_t cap = c->frag_cap ? c->frag_cap : 1024;
		while (cap - c->frag_len < len)
			cap *= 2;
		uint8_t *f = realloc(c->frag, cap);
		if (f == NULL) {
			wsc_fail(c, 1009, "out of memory reassembling a message of %zu bytes",
				 c->frag_len + len);
			return -1;
		}
		c->frag = f;
		c->frag_cap = cap;
	}
	memcpy(c->frag + c->frag_len, p, len);
	c->frag_len += len;
	return 0;
}

static void wsc_on_data(struct wsc *c, const struct wsframe *f, size_t off)
{
	const uint8_t *p = c->in + off;
	size_t len = (size_t)f->len;
	if (f->op != WS_OP_CONT) {
		if (c->in_frag) {
			wsc_fail(c, 1002, "%s started a message inside a fragmented one", c->peer);
			return;
		}
		if (f->fin) {
			if (f->op == WS_OP_TEXT && !utf8_valid(p, len)) {
				wsc_fail(c, 1007, "%s sent a text message that is not valid UTF-8",
					 c->peer);
				return;
			}
			wsc_queue_message(c, off, len, NULL);
			return;
		}
		c->in_frag = true;
		c->frag_op = f->op;
		c->frag_len = 0;
		wsc_frag_append(c, p, len);
		return;
	}
	if (!c->in_frag) {
		wsc_fail(c, 1002, "%s sent a continuation frame outside a message", c->peer);
		return;
	}
	if (wsc_frag_append(c, p, len) < 0 || !f->fin)
		return;
	if (c->frag_op == WS_OP_TEXT && !utf8_valid(c->frag, c->frag_len)) {
		wsc_fail(c, 1007, "%s sent a text message that is not valid UTF-8", c->peer);
		return;
	}
	wsc_queue_message(c, 0, c->frag_len, c->frag);
	c->frag = NULL;
	c->frag_len = c->frag_cap = 0;
	c->in_frag = false;
}

static void wsc_parse_frames(struct wsc *c)
{
	while (c->state == WSC_OPEN && c->in_parse < c->in_len) {
		size_t avail = c->in_len - c->in_parse;
		struct wsframe f;
		int r = wsframe_parse(c->in + c->in_parse, avail, &f);
		if (r < 0) {
			wsc_fail(c, 1002, "%s sent a malformed frame header", c->peer);
			return;
		}
		if (r == 0)
			return;
		if (f.masked) {
			wsc_fail(c, 1002, "%s sent a masked frame (servers must not mask)", c->peer);
			return;
		}
		if (f.len > c->max_message) {
			wsc_fail(c, 1009, "%s sent a frame of %llu bytes, over the limit of %zu",
				 c->peer, (unsigned long long)f.len, c->max_message);
			return;
		}
		if (avail - f.header_len < f.len)
			return;
		size_t off = c->in_parse + f.header_len;
		c->in_parse = off + (size_t)f.len;
		switch (f.op) {
		case WS_OP_TEXT:
		case WS_OP_BINARY:
		case WS_OP_CONT:
			wsc_on_data(c, &f, off);
			break;
		case WS_OP_PING:
			if (!c->close_sent &&
			    wsc_queue_frame(c, WS_OP_PONG, true, c->in + off, (size_t)f.len) < 0)
				wsc_fail(c, 1008, "outbound buffer full: cannot answer a ping");
			break;
		case WS_OP_PONG:
			break;
		case WS_OP_CLOSE:
			wsc_on_close(c, c->in + off, (size_t)f.len);
			break;
		}
	}
}

/* ---- Reading ---------------------------------------------------------------------- */

static size_t wsc_in_pending(const struct wsc *c)
{
	return c->in_len + c->q_owned_bytes;
}

/* Drops parsed bytes no queued message needs, and the buffer itself when
 * nothing is left. */
static void wsc_in_compact(struct wsc *c)
{
	size_t keep = c->in_parse;
	for (size_t i = 0; i < c->q_count; i++) {
		const struct wsc_msg *m = &c->q[(c->q_head + i) % c->q_cap];
		if (m->owned == NULL && m->off < keep)
			keep = m->off;
	}
	if (keep == 0)
		return;
	memmove(c->in, c->in + keep, c->in_len - keep);
	c->in_len -= keep;
	c->in_parse -= keep;
	for (size_t i = 0; i < c->q_count; i++) {
		struct wsc_msg *m = &c->q[(c->q_head + i) % c->q_cap];
		if (m->owned == NULL)
			m->off -= keep;
	}
	if (c->in_len == 0 && c->in_cap > WSC_KEEP) {
		free(c->in);
		c->in = NULL;
		c->in_cap = 0;
	} else if (c->in_cap > 4 * WSC_READ_CHUNK && c->in_len < c->in_cap / 4) {
		/* Shrink after a big message. */
		size_t cap = WSC_READ_CHUNK;
		while (cap < c->in_len)
			cap *= 2;
		uint8_t *p = realloc(c->in, cap);
		if (p != NULL) {
			c->in = p;
			c->in_cap = cap;
		}
	}
}

/* Appends n bytes to the input buffer. */
static int wsc_in_append(struct wsc *c, const uint8_t *p, size_t n)
{
	if (c->in_cap - c->in_len < n) {
		size_t cap = c->in_cap ? c->in_cap : WSC_KEEP;
		while (cap - c->in_len < n)
			cap *= 2;
		uint8_t *q = realloc(c->in, cap);
		if (q == NULL) {
			wsc_set_error(c, "out of memory buffering %zu bytes from %s", cap, c->peer);
			return -1;
		}
		c->in = q;
		c->in_cap = cap;
	}
	memcpy(c->in + c->in_len, p, n);
	c->in_len += n;
	return 0;
}

/* The plain text of whole TLS records, up to WSC_TLS_READ_MAX bytes. Without
 * read-ahead, OpenSSL keeps no bytes of a later record once one is returned
 * whole (the scratch holds any record), so what is not read now stays in the
 * socket, where poll sees it. */
static int wsc_tls_read(struct wsc *c)
{
	size_t got = 0;
	while (got < WSC_TLS_READ_MAX) {
		ERR_clear_error();
		int n = SSL_read(c->ssl, wsc_scratch, sizeof wsc_scratch);
		if (n > 0) {
			c->bytes_in += (uint64_t)n;
			got += (size_t)n;
			if (wsc_in_append(c, wsc_scratch, (size_t)n) < 0)
				return -1;
			continue;
		}
		int e = SSL_get_error(c->ssl, n);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			break;
		ERR_clear_error();
		if (e == SSL_ERROR_ZERO_RETURN || got == 0)
			wsc_set_error(c, "%s closed the connection without a close frame", c->peer);
		if (got > 0)
			break;   /* the end is seen at the next read */
		return -1;
	}
	return got > 0 ? 1 : 0;
}

/* One readv of up to 64 KiB more than the buffer has free. Returns 1 with
 * data, 0 if nothing was there, -1 when the connection ended. */
static int wsc_read(struct wsc *c)
{
	wsc_in_compact(c);
	if (c->ssl != NULL)
		return wsc_tls_read(c);
	/* No buffer (compaction freed it): everything lands in the scratch
	 * first (no arithmetic on a null pointer). */
	struct iovec iov[2] = {
		{ c->in != NULL ? c->in + c->in_len : NULL, c->in_cap - c->in_len },
		{ wsc_scratch, sizeof wsc_scratch },
	};
	ssize_t n;
	do
		n = readv(c->fd, iov, 2);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		wsc_set_error(c, "connection to %s lost: %s", c->peer, strerror(errno));
		return -1;
	}
	if (n == 0) {
		wsc_set_error(c, "%s closed the connection without a close frame", c->peer);
		return -1;
	}
	c->bytes_in += (uint64_t)n;
	size_t got = (size_t)n;
	size_t direct = got < iov[0].iov_len ? got : iov[0].iov_len;
	c->in_len += direct;
	size_t spill = got - direct;
	if (spill > 0 && wsc_in_append(c, wsc_scratch, spill) < 0)
		return -1;
	return 1;
}

/* ---- The public loop interface ---------------------------------------------------- */

int wsc_fd(const struct wsc *c)
{
	return c->fd;
}

short wsc_poll_events(const struct wsc *c)
{
	switch (c->state) {
	case WSC_CONNECTING:
		return c->tls_handshaking ? c->tls_want : POLLOUT;
	case WSC_HANDSHAKE:
	case WSC_OPEN: {
		short ev = 0;
		if (wsc_in_pending(c) < c->in_limit)
			ev |= POLLIN;
		size_t limit = c->state == WSC_OPEN ? c->out_len : c->hold_from;
		if (c->out_off < limit)
			ev |= POLLOUT;
		return ev;
	}
	case WSC_CLOSED:
		break;
	}
	return 0;
}

static void wsc_connect_done(struct wsc *c)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err == 0) {
		if (wsc_tcp_connected(c) < 0)
			wsc_finish(c, c->close_code ? c->close_code : 1006);
		return;
	}
	if (c->ai_next == NULL) {
		wsc_set_error(c, "cannot connect to %s: %s", c->peer, strerror(err));
		wsc_finish(c, 1006);
	} else if (wsc_connect_next(c) < 0) {
		wsc_finish(c, 1006);
	}
}

int wsc_io(struct wsc *c, short revents)
{
	if (c->state == WSC_CLOSED)
		return -1;
	if (c->state == WSC_CONNECTING && c->tls_handshaking) {
		if (revents == 0)
			return 0;
		if (wsc_tls_step(c) < 0) {
			wsc_finish(c, WSC_CLOSE_TLS);
			return -1;
		}
		if (c->state != WSC_HANDSHAKE)
			return 0;
		revents |= POLLOUT;
	} else if (c->state == WSC_CONNECTING) {
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		wsc_connect_done(c);
		if (c->state != WSC_HANDSHAKE)
			return c->state == WSC_CLOSED ? -1 : 0;
		revents |= POLLOUT;
	}
	if ((revents & POLLOUT) && wsc_flush(c) < 0) {
		wsc_finish(c, 1006);
		return -1;
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && wsc_in_pending(c) < c->in_limit) {
		int r = wsc_read(c);
		if (r > 0) {
			if (c->state == WSC_HANDSHAKE)
				wsc_handshake_parse(c);
			if (c->state == WSC_OPEN)
				wsc_parse_frames(c);
		} else if (r < 0) {
			/* Frames read before the end are parsed; the end itself is final. */
			wsc_finish(c, 1006);
			return -1;
		}
	}
	if (c->state == WSC_OPEN && c->out_off < c->out_len && wsc_flush(c) < 0) {
		wsc_finish(c, 1006);
		return -1;
	}
	return c->state == WSC_CLOSED ? -1 : 0;
}

enum wsc_state wsc_state(const struct wsc *c)
{
	return c->state;
}

int wsc_http_status(const struct wsc *c)
{
	return c->http_status;
}

int wsc_close_code(const struct wsc *c)
{
	return c->state == WSC_CLOSED ? c->close_code : 0;
}

const char *wsc_error(const struct wsc *c)
{
	return c->state == WSC_CLOSED ? c->error : "";
}

static bool wsc_can_send(const struct wsc *c)
{
	return c->state != WSC_CLOSED && !c->close_sent;
}

int wsc_send_text(struct wsc *c, const char *data, size_t len)
{
	if (!wsc_can_send(c))
		return -1;
	return wsc_queue_frame(c, WS_OP_TEXT, true, data, len);
}

int wsc_send_frame(struct wsc *c, int opcode, bool fin, const void *data, size_t len)
{
	if (!wsc_can_send(c) || opcode < 0 || opcode > 0x0F)
		return -1;
	return wsc_queue_frame(c, (unsigned)opcode, fin, data, len);
}

int wsc_send_raw(struct wsc *c, const void *data, size_t len)
{
	if (!wsc_can_send(c) || c->state != WSC_OPEN)
		return -1;
	return wsc_queue_raw(c, data, len);
}

int wsc_send_close(struct wsc *c, int code)
{
	if (!wsc_can_send(c) || code < 0 || code > 0xFFFF)
		return -1;
	uint8_t payload[2] = { (uint8_t)(code >> 8), (uint8_t)code };
	if (wsc_queue_frame(c, WS_OP_CLOSE, true, payload, code ? 2 : 0) < 0)
		return -1;
	c->close_sent = true;
	return 0;
}

size_t wsc_outbuf_len(const struct wsc *c)
{
	return c->out_len - c->out_off;
}

int wsc_next(struct wsc *c, const char **data, size_t *len)
{
	free(c->given);
	c->given = NULL;
	if (c->q_count == 0)
		return 0;
	struct wsc_msg m = c->q[c->q_head];
	c->q_head = (c->q_head + 1) % c->q_cap;
	c->q_count--;
	if (m.owned) {
		c->given = m.owned;
		c->q_owned_bytes -= m.len;
		*data = (const char *)m.owned;
	} else {
		*data = (const char *)c->in + m.off;
	}
	*len = m.len;
	return 1;
}

/* ---- Blocking helpers ------------------------------------------------------------ */

/* One poll and wsc_io, waiting at most until deadline (µs, monotonic).
 * Returns -1 once closed, 0 otherwise. */
static int wsc_wait_once(struct wsc *c, int64_t deadline)
{
	if (c->state == WSC_CLOSED)
		return -1;
	int64_t left = deadline - clock_mono_us();
	if (left < 0)
		left = 0;
	struct pollfd pfd = { .fd = c->fd, .events = wsc_poll_events(c) };
	int n = poll(&pfd, 1, (int)((left + 999) / 1000));
	if (n < 0 && errno != EINTR)
		return 0;
	if (n > 0)
		return wsc_io(c, pfd.revents);
	return 0;
}

int wsc_wait_open(struct wsc *c, int timeout_ms)
{
	int64_t deadline = clock_mono_us() + (int64_t)timeout_ms * 1000;
	while (c->state != WSC_OPEN) {
		if (wsc_wait_once(c, deadline) < 0 || clock_mono_us() >= deadline)
			return c->state == WSC_OPEN ? 0 : -1;
	}
	return 0;
}

int wsc_wait_message(struct wsc *c, int timeout_ms, const char **data, size_t *len)
{
	int64_t deadline = clock_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		if (wsc_next(c, data, len))
			return 1;
		if (c->state == WSC_CLOSED)
			return -1;
		if (clock_mono_us() >= deadline)
			return 0;
		wsc_wait_once(c, deadline);
	}
}

int wsc_wait_flushed(struct wsc *c, int timeout_ms)
{
	int64_t deadline = clock_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		if (c->state == WSC_CLOSED)
			return -1;
		if (c->state == WSC_OPEN && c->out_len == c->out_off)
			return 0;
		if (clock_mono_us() >= deadline)
			return -1;
		wsc_wait_once(c, deadline);
	}
}

uint64_t wsc_bytes_in(const struct wsc *c)
{
	return c->bytes_in;
}

uint64_t wsc_bytes_out(const struct wsc *c)
{
	return c->bytes_out;
}
