/* wslink.c: a WebSocket connection through libwebsockets' client (see
 * wslink.h).
 *
 * One lws context per connection, serviced without blocking: wsl_io calls
 * lws_service with a negative timeout (a poll of the context's own sockets
 * with no wait), again while lws says it holds something to do (a TLS record
 * already decrypted). lws 4.1.6 is built without external-poll callbacks, so
 * the events to wait for are ours to work out: POLLIN always, POLLOUT while
 * the TCP connect is under way or something waits to be written; a short
 * timeout while connecting or closing lets lws's own timers run.
 *
 * Invariants: lws callbacks run only inside wsl_io (lws_service) or
 * wsl_free (lws_context_destroy), so the connection's fields change only
 * there; every queued message is owned by its queue; the bearer token is
 * wiped before it is freed; lws's log never reaches the terminal. */
#include "wslink.h"

#include <errno.h>
#include <libwebsockets.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "clock.h"
#include "tlsclient.h"
#include "xalloc.h"

#define WSL_DEFAULT_MAX_MESSAGE (16u * 1024 * 1024)
#define WSL_DEFAULT_MAX_OUTBUF (8u * 1024 * 1024)
#define WSL_SERVICE_ROUNDS 64          /* lws_service calls per wsl_io at most */
#define WSL_TICK_CONNECTING_MS 50      /* lws's timers while connecting or closing */
#define WSL_TICK_OPEN_MS 1000
#define WSL_SERV_BUF (32 * 1024)       /* lws builds the upgrade request here: an 8 KiB token fits */

struct wsl_out {
	unsigned char *buf;                /* LWS_PRE bytes, then the message */
	size_t len;
};

struct wsl_in {
	char *data;
	size_t len;
};

struct wsl {
	struct lws_context *ctx;
	struct lws *wsi;
	enum wsl_state state;
	char host[256];
	int port;
	char peer[300];
	char *bearer;
	char *ca_file;
	size_t max_message, max_outbuf;

	struct wsl_out *out;               /* ring */
	size_t out_head, out_count, out_cap, out_bytes;
	bool close_wanted;
	int close_send;

	char *rx;                          /* the message being reassembled */
	size_t rxlen, rxcap;
	struct wsl_in *in;                 /* ring of whole messages */
	size_t in_head, in_count, in_cap;
	char *given;                       /* handed out by wsl_next */

	int http_status;
	int close_code;
	long verify_error;                 /* X509_V_ERR_* of a refused certificate */
	char error[300];
};

/* lws logs process-wide: the last line is kept for a connection's error
 * sentence (one thread runs the connections of a process). */
static char lws_last[200];

static void lws_log_keep(int level, const char *line)
{
	(void)level;
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	/* lws starts its lines with a time stamp in brackets. */
	const char *p = line;
	if (*p == '[') {
		const char *e = memchr(p, ']', n);
		if (e != NULL) {
			n -= (size_t)(e + 1 - p);
			p = e + 1;
			while (n > 0 && *p == ' ')
				p++, n--;
		}
	}
	snprintf(lws_last, sizeof lws_last, "%.*s", (int)n, p);
}

static void wsl_set_error(struct wsl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wsl_set_error(struct wsl *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof c->error, fmt, ap);
	va_end(ap);
}

static void wsl_closed(struct wsl *c, int code)
{
	c->state = WSL_CLOSED;
	if (c->close_code == 0)
		c->close_code = code;
}

/* ---- queues ---------------------------------------------------------------------------- */

static void in_push(struct wsl *c, char *data, size_t len)
{
	if (c->in_count == c->in_cap) {
		size_t cap = c->in_cap ? c->in_cap * 2 : 8;
		struct wsl_in *q = xmalloc(sizeof *q * cap);
		for (size_t i = 0; i < c->in_count; i++)
			q[i] = c->in[(c->in_head + i) % c->in_cap];
		free(c->in);
		c->in = q;
		c->in_cap = cap;
		c->in_head = 0;
	}
	c->in[(c->in_head + c->in_count++) % c->in_cap] = (struct wsl_in){ data, len };
}

static void out_push(struct wsl *c, unsigned char *buf, size_t len)
{
	if (c->out_count == c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap * 2 : 8;
		struct wsl_out *q = xmalloc(sizeof *q * cap);
		for (size_t i = 0; i < c->out_count; i++)
			q[i] = c->out[(c->out_head + i) % c->out_cap];
		free(c->out);
		c->out = q;
		c->out_cap = cap;
		c->out_head = 0;
	}
	c->out[(c->out_head + c->out_count++) % c->out_cap] = (struct wsl_out){ buf, len };
	c->out_bytes += len;
}

static void out_pop(struct wsl *c)
{
	struct wsl_out *m = &c->out[c->out_head];
	c->out_bytes -= m->len;
	free(m->buf);
	c->out_head = (c->out_head + 1) % c->out_cap;
	c->out_count--;
}

/* ---- the lws callback ------------------------------------------------------------------ */

static int on_receive(struct wsl *c, struct lws *wsi, const void *in, size_t len)
{
	if (len > c->max_message - c->rxlen) {
		wsl_set_error(c, "%s sent a message larger than %zu bytes", c->peer, c->max_message);
		c->close_code = 1009;
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
		return -1;
	}
	if (c->rxlen + len + 1 > c->rxcap) {
		size_t cap = c->rxcap ? c->rxcap : 4096;
		while (cap < c->rxlen + len + 1)
			cap *= 2;
		c->rx = xrealloc(c->rx, cap);
		c->rxcap = cap;
	}
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
		return 0;
	char *msg = xmalloc(c->rxlen + 1);
	memcpy(msg, c->rx, c->rxlen);
	msg[c->rxlen] = '\0';
	in_push(c, msg, c->rxlen);
	c->rxlen = 0;
	if (c->rxcap > 64 * 1024) {
		free(c->rx);
		c->rx = NULL;
		c->rxcap = 0;
	}
	return 0;
}

static int on_writable(struct wsl *c, struct lws *wsi)
{
	if (c->out_count > 0) {
		struct wsl_out *m = &c->out[c->out_head];
		if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len) {
			wsl_set_error(c, "write to %s failed", c->peer);
			return -1;
		}
		out_pop(c);
		if (c->out_count > 0 || c->close_wanted)
			lws_callback_on_writable(wsi);
		return 0;
	}
	if (c->close_wanted) {
		/* lws sends the close frame and waits for the daemon's. */
		lws_close_reason(wsi, (enum lws_close_status)c->close_send, NULL, 0);
		return -1;
	}
	return 0;
}

/* Why the connection never opened, in words. */
static void on_connection_error(struct wsl *c, struct lws *wsi, const char *in)
{
	int status = wsi ? (int)lws_http_client_http_response(wsi) : 0;
	unsigned said = 0;
	if (status == 0 && sscanf(lws_last, "lws_client_handshake: got bad HTTP response '%u'", &said) == 1)
		status = (int)said;
	if (status == 0 && in != NULL && strstr(in, "unauthorized") != NULL)
		status = 401;
	if (c->verify_error != X509_V_OK) {
		tlsc_verify_explain(c->verify_error, c->host, c->port, c->ca_file, c->error, sizeof c->error);
		wsl_closed(c, WSL_CLOSE_TLS);
		return;
	}
	if (status >= 300) {
		c->http_status = status;
		wsl_set_error(c, "%s refused the WebSocket upgrade: HTTP %d", c->peer, status);
	} else if (in != NULL && strstr(in, "tls") != NULL) {
		wsl_set_error(c, "the TLS handshake with %s failed (%s%s%s): is it a TLS listener? does it want "
				 "a client certificate?", c->peer, in, lws_last[0] ? "; " : "", lws_last);
		wsl_closed(c, WSL_CLOSE_TLS);
		return;
	} else {
		wsl_set_error(c, "cannot connect to %s: %s", c->peer,
			      in && in[0] ? in : lws_last[0] ? lws_last : "no detail from libwebsockets");
	}
	wsl_closed(c, 1006);
}

static int wsl_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct wsl *c = lws_context_user(lws_get_context(wsi));
	(void)user;
	if (c == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		if (c->bearer == NULL)
			return 0;
		unsigned char **p = in, *end = *p + len;
		char *value = xasprintf("Bearer %s", c->bearer);
		int rc = lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, (unsigned char *)value,
						      (int)strlen(value), p, end);
		explicit_bzero(value, strlen(value));
		free(value);
		return rc ? -1 : 0;
	}
	case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
		/* user: the X509_STORE_CTX; len: OpenSSL's verdict. Returning 0
		 * keeps it (lws fails the handshake when OpenSSL did). */
		if (len == 0 && user != NULL)
			c->verify_error = X509_STORE_CTX_get_error(user);
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->state = WSL_OPEN;
		if (c->out_count > 0 || c->close_wanted)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return on_receive(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return on_writable(c, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
		const unsigned char *p = in;
		int code = len >= 2 ? p[0] << 8 | p[1] : 1005;
		c->close_code = code;
		if (len > 2)
			wsl_set_error(c, "%s closed the connection with code %d: %.*s", c->peer, code,
				      (int)(len - 2 > 200 ? 200 : len - 2), (const char *)p + 2);
		else
			wsl_set_error(c, "%s closed the connection with code %d", c->peer, code);
		return 0;
	}
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		on_connection_error(c, wsi, in);
		c->wsi = NULL;
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (c->close_code == 0 && !c->close_wanted)
			wsl_set_error(c, "%s closed the connection without a close frame", c->peer);
		wsl_closed(c, c->close_wanted ? c->close_send : 1006);
		c->wsi = NULL;
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (c->wsi == wsi)
			c->wsi = NULL;
		if (c->state != WSL_CLOSED) {
			if (c->error[0] == '\0')
				wsl_set_error(c, "the connection to %s ended", c->peer);
			wsl_closed(c, 1006);
		}
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols wsl_protocols[] = {
	{ "wfmon-client", wsl_callback, 0, 64 * 1024, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }   /* 4.1.6 has no LWS_PROTOCOL_LIST_TERM */
};

/* ---- life --------------------------------------------------------------------------------- */

struct wsl *wsl_new(const struct wsl_config *cfg, char *cause, size_t causelen)
{
	if (cfg->host == NULL || cfg->host[0] == '\0' || cfg->port <= 0 || cfg->port > 65535) {
		snprintf(cause, causelen, "a host and a port between 1 and 65535 are needed");
		return NULL;
	}
	if ((cfg->bearer != NULL && strpbrk(cfg->bearer, "\r\n") != NULL) ||
	    (cfg->path != NULL && (cfg->path[0] != '/' || strpbrk(cfg->path, " \r\n") != NULL))) {
		snprintf(cause, causelen, "the token must not contain line breaks, and the path must start "
					  "with '/' and contain no spaces");
		return NULL;
	}
	struct tlsc_files files = { cfg->ca_file, cfg->cert_file, cfg->key_file };
	if (cfg->tls && tlsc_files_check(&files, cause, causelen) < 0)
		return NULL;
	if (!cfg->tls && (cfg->ca_file || cfg->cert_file)) {
		snprintf(cause, causelen, "--ca-file, --cert and --key are for TLS: use a wss:// or https:// URL");
		return NULL;
	}

	struct wsl *c = xcalloc(1, sizeof *c);
	snprintf(c->host, sizeof c->host, "%s", cfg->host);
	c->port = cfg->port;
	bool v6 = strchr(cfg->host, ':') != NULL;
	snprintf(c->peer, sizeof c->peer, "%s%s%s:%d", v6 ? "[" : "", cfg->host, v6 ? "]" : "", cfg->port);
	c->bearer = cfg->bearer ? xstrdup(cfg->bearer) : NULL;
	c->ca_file = cfg->ca_file ? xstrdup(cfg->ca_file) : NULL;
	c->max_message = cfg->max_message ? cfg->max_message : WSL_DEFAULT_MAX_MESSAGE;
	c->max_outbuf = cfg->max_outbuf ? cfg->max_outbuf : WSL_DEFAULT_MAX_OUTBUF;
	c->verify_error = X509_V_OK;
	c->state = WSL_CONNECTING;

	lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_keep);
	lws_last[0] = '\0';
	/* The daemon pings; lws must not hang up on a quiet but healthy link. */
	static const lws_retry_bo_t no_lws_pings = { .secs_since_valid_hangup = 0 };
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = wsl_protocols;
	info.user = c;
	info.gid = -1;
	info.uid = -1;
	info.fd_limit_per_thread = 8;
	info.pt_serv_buf_size = WSL_SERV_BUF;
	info.retry_and_idle_policy = &no_lws_pings;
	info.timeout_secs = 10;
	if (cfg->tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.client_ssl_ca_filepath = cfg->ca_file;
		info.client_ssl_cert_filepath = cfg->cert_file;
		info.client_ssl_private_key_filepath = cfg->key_file;
		/* A CA file given is the whole trust, as in tlsclient.h. */
		if (cfg->ca_file != NULL)
			info.options |= LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
	}
	c->ctx = lws_create_context(&info);
	if (c->ctx == NULL) {
		snprintf(cause, causelen, "libwebsockets cannot start a client%s%s", lws_last[0] ? ": " : "", lws_last);
		wsl_free(c);
		return NULL;
	}
	struct lws_client_connect_info ci;
	memset(&ci, 0, sizeof ci);
	ci.context = c->ctx;
	ci.address = c->host;
	ci.port = c->port;
	ci.path = cfg->path ? cfg->path : "/";
	ci.host = c->host;
	ci.protocol = cfg->subprotocol;
	ci.local_protocol_name = wsl_protocols[0].name;
	ci.ssl_connection = cfg->tls ? LCCSCF_USE_SSL : 0;
	ci.pwsi = &c->wsi;
	if (lws_client_connect_via_info(&ci) == NULL && c->state != WSL_CLOSED) {
		/* Refused at once (a name that does not resolve): a closed
		 * connection says why, like a later failure. */
		wsl_set_error(c, "cannot connect to %s: %s", c->peer, lws_last[0] ? lws_last : "no address");
		wsl_closed(c, 1006);
	}
	return c;
}

void wsl_free(struct wsl *c)
{
	if (c == NULL)
		return;
	if (c->ctx != NULL) {
		struct lws_context *ctx = c->ctx;
		c->ctx = NULL;
		lws_context_destroy(ctx);   /* callbacks still see c: its fields are alive */
	}
	while (c->out_count > 0)
		out_pop(c);
	free(c->out);
	for (size_t i = 0; i < c->in_count; i++)
		free(c->in[(c->in_head + i) % c->in_cap].data);
	free(c->in);
	free(c->given);
	free(c->rx);
	if (c->bearer != NULL)
		explicit_bzero(c->bearer, strlen(c->bearer));
	free(c->bearer);
	free(c->ca_file);
	free(c);
}

/* ---- the caller's loop ---------------------------------------------------------------------- */

int wsl_fd(const struct wsl *c)
{
	return c->wsi != NULL && c->state != WSL_CLOSED ? lws_get_socket_fd(c->wsi) : -1;
}

short wsl_poll_events(const struct wsl *c)
{
	int fd = wsl_fd(c);
	if (fd < 0)
		return 0;
	short ev = POLLIN;
	struct sockaddr_storage sa;
	socklen_t salen = sizeof sa;
	/* Until the TCP connect completes (no peer yet), lws waits to write. */
	if (c->out_count > 0 || c->close_wanted || lws_partial_buffered(c->wsi) ||
	    getpeername(fd, (struct sockaddr *)&sa, &salen) < 0)
		ev |= POLLOUT;
	return ev;
}

int wsl_timeout_ms(const struct wsl *c)
{
	if (c->state == WSL_CLOSED)
		return -1;
	if (c->ctx != NULL && lws_service_adjust_timeout(c->ctx, 1, 0) == 0)
		return 0;   /* lws holds work (a decrypted record) no socket will signal */
	return c->state == WSL_CONNECTING || c->close_wanted ? WSL_TICK_CONNECTING_MS : WSL_TICK_OPEN_MS;
}

int wsl_io(struct wsl *c, short revents)
{
	(void)revents;   /* lws polls its own sockets, without waiting */
	for (int i = 0; i < WSL_SERVICE_ROUNDS && c->ctx != NULL && c->state != WSL_CLOSED; i++) {
		lws_service(c->ctx, -1);
		if (lws_service_adjust_timeout(c->ctx, 1, 0) != 0)
			break;
	}
	return c->state == WSL_CLOSED ? -1 : 0;
}

enum wsl_state wsl_state(const struct wsl *c)
{
	return c->state;
}

int wsl_http_status(const struct wsl *c)
{
	return c->http_status;
}

int wsl_close_code(const struct wsl *c)
{
	return c->state == WSL_CLOSED ? c->close_code : 0;
}

const char *wsl_error(const struct wsl *c)
{
	return c->state == WSL_CLOSED ? c->error : "";
}

int wsl_send_text(struct wsl *c, const char *data, size_t len)
{
	if (c->state == WSL_CLOSED || c->close_wanted || len > c->max_outbuf - c->out_bytes)
		return -1;
	unsigned char *buf = xmalloc(LWS_PRE + len);
	memcpy(buf + LWS_PRE, data, len);
	out_push(c, buf, len);
	if (c->state == WSL_OPEN && c->wsi != NULL)
		lws_callback_on_writable(c->wsi);
	return 0;
}

int wsl_send_close(struct wsl *c, int code)
{
	if (c->state == WSL_CLOSED || c->close_wanted)
		return -1;
	c->close_wanted = true;
	c->close_send = code;
	if (c->state == WSL_OPEN && c->wsi != NULL)
		lws_callback_on_writable(c->wsi);
	return 0;
}

size_t wsl_outbuf_len(const struct wsl *c)
{
	return c->out_bytes + (c->wsi != NULL && lws_partial_buffered(c->wsi) ? 1 : 0);
}

int wsl_next(struct wsl *c, const char **data, size_t *len)
{
	free(c->given);
	c->given = NULL;
	if (c->in_count == 0)
		return 0;
	struct wsl_in m = c->in[c->in_head];
	c->in_head = (c->in_head + 1) % c->in_cap;
	c->in_count--;
	c->given = m.data;
	*data = m.data;
	*len = m.len;
	return 1;
}

/* ---- blocking helpers ------------------------------------------------------------------------- */

/* One poll and wsl_io, waiting at most until deadline_us. */
static void wsl_wait_once(struct wsl *c, int64_t deadline_us)
{
	int64_t left = (deadline_us - clock_mono_us() + 999) / 1000;
	int tick = wsl_timeout_ms(c);
	int ms = left < 0 ? 0 : left > 1000 ? 1000 : (int)left;
	if (tick >= 0 && tick < ms)
		ms = tick;
	struct pollfd pfd = { .fd = wsl_fd(c), .events = wsl_poll_events(c) };
	int n = poll(&pfd, pfd.fd >= 0 ? 1 : 0, ms);
	if (n < 0 && errno != EINTR)
		return;
	wsl_io(c, n > 0 ? pfd.revents : 0);
}

int wsl_wait_open(struct wsl *c, int timeout_ms)
{
	int64_t deadline = clock_mono_us() + (int64_t)timeout_ms * 1000;
	while (c->state == WSL_CONNECTING && clock_mono_us() < deadline)
		wsl_wait_once(c, deadline);
	return c->state == WSL_OPEN ? 0 : -1;
}

int wsl_wait_message(struct wsl *c, int timeout_ms, const char **data, size_t *len)
{
	int64_t deadline = clock_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		if (wsl_next(c, data, len))
			return 1;
		if (c->state == WSL_CLOSED)
			return -1;
		if (clock_mono_us() >= deadline)
			return 0;
		wsl_wait_once(c, deadline);
	}
}

int wsl_wait_flushed(struct wsl *c, int timeout_ms)
{
	int64_t deadline = clock_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		if (c->state == WSL_CLOSED)
			return c->close_wanted ? 0 : -1;
		if (c->state == WSL_OPEN && wsl_outbuf_len(c) == 0 && !c->close_wanted)
			return 0;
		if (clock_mono_us() >= deadline)
			return -1;
		wsl_wait_once(c, deadline);
	}
}
