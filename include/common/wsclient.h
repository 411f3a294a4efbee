/* wsclient.h: a small non-blocking WebSocket client (RFC 6455) over TCP or
 * TLS: the lean client.
 *
 * Used by wfmon-bench, where thousands of connections share one thread and
 * the client's own cost per message must stay far below the daemon's (the
 * README measures both clients), and by the integration tests, which need
 * to send what a correct client never sends (unmasked frames, bad UTF-8).
 * The console, its commands and wfmon-sim use libwebsockets' client
 * (wslink.h). It never blocks unless a *_wait function is called: the caller polls
 * wsc_fd() for wsc_poll_events() and calls wsc_io() when it is ready. Outbound
 * frames are masked as RFC 6455 requires; inbound messages are reassembled from
 * fragments up to a limit. Pings are answered automatically.
 *
 * Ownership: wsc_new returns a new client the caller frees with wsc_free. */
#ifndef WFMON_WSCLIENT_H
#define WFMON_WSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wsc;
typedef struct ssl_ctx_st SSL_CTX;

/* The close code of a connection whose TLS handshake failed (RFC 6455 keeps
 * 1015 for this: it never travels in a close frame). */
#define WSC_CLOSE_TLS 1015

/* ---- Connections ------------------------------------------------------------- */

struct wsc_config {
	const char *host;          /* IPv4/IPv6 literal or name; resolved in wsc_new */
	int port;
	const char *path;          /* "/" if NULL */
	const char *subprotocol;   /* Sec-WebSocket-Protocol, e.g. "wfmon.v1"; NULL for none */
	const char *bearer;        /* token for "Authorization: Bearer"; NULL for none */
	const char *extra_headers; /* raw "Name: value\r\n" lines for tests; NULL for none */
	size_t max_message;        /* inbound message limit; 0 = 16 MiB */
	size_t max_outbuf;         /* bytes queued for sending; 0 = 8 MiB */
	SSL_CTX *tls;              /* TLS with this context (tlsclient.h), borrowed; NULL: plain */
	const char *tls_ca_file;   /* the CA file tls trusts, for messages; NULL: the system's */
};

enum wsc_state {
	WSC_CONNECTING,   /* TCP connect (and TLS handshake) in progress */
	WSC_HANDSHAKE,    /* upgrade request sent, waiting for 101 */
	WSC_OPEN,
	WSC_CLOSED,       /* see wsc_close_code / wsc_http_status / wsc_error */
};

/* Resolves and starts a non-blocking connect. Returns NULL with a message in
 * cause (of causelen bytes) when the address cannot be resolved or no socket
 * can be made. */
struct wsc *wsc_new(const struct wsc_config *cfg, char *cause, size_t causelen);
void wsc_free(struct wsc *c);

int wsc_fd(const struct wsc *c);
/* POLLIN and/or POLLOUT the client waits for now. */
short wsc_poll_events(const struct wsc *c);
/* Does whatever I/O revents allow. Returns 0, or -1 once the connection is
 * closed (the state is then WSC_CLOSED). */
int wsc_io(struct wsc *c, short revents);

enum wsc_state wsc_state(const struct wsc *c);
/* HTTP status of a refused upgrade (e.g. 401), or 0. */
int wsc_http_status(const struct wsc *c);
/* Close code the server sent (e.g. 1009, 4001), 1006 if the connection dropped
 * without a close frame, WSC_CLOSE_TLS if the TLS handshake failed (the
 * server's certificate was refused: wsc_error says why), 0 while open. */
int wsc_close_code(const struct wsc *c);
/* A sentence describing why the connection is closed, or "". */
const char *wsc_error(const struct wsc *c);

/* Queues one text message. Returns -1 if closed or if the outbound buffer
 * would pass max_outbuf. */
int wsc_send_text(struct wsc *c, const char *data, size_t len);
/* Queues a frame exactly as given (for tests: invalid UTF-8, fragments, bad
 * opcodes); the payload is masked here. */
int wsc_send_frame(struct wsc *c, int opcode, bool fin, const void *data, size_t len);
/* Queues bytes exactly as given, once open (for tests: an unmasked frame,
 * over TLS too, where writing to the socket is not an option). */
int wsc_send_raw(struct wsc *c, const void *data, size_t len);
/* Starts a close handshake with this code. */
int wsc_send_close(struct wsc *c, int code);
size_t wsc_outbuf_len(const struct wsc *c);

/* Pops the next complete inbound text or binary message. Returns 1 and points
 * *data and *len at it (valid until the next call on c), or 0 if none is ready. */
int wsc_next(struct wsc *c, const char **data, size_t *len);

/* Blocking helpers for tools and tests: wait up to timeout_ms. */
/* Until the connection is open (0) or closed or timed out (-1). */
int wsc_wait_open(struct wsc *c, int timeout_ms);
/* Until a message is available (1), the timeout passes (0) or it closes (-1). */
int wsc_wait_message(struct wsc *c, int timeout_ms, const char **data, size_t *len);
/* Until everything queued is written (0) or it closes or times out (-1). */
int wsc_wait_flushed(struct wsc *c, int timeout_ms);

/* Bytes received and sent in total, including frame headers. */
uint64_t wsc_bytes_in(const struct wsc *c);
uint64_t wsc_bytes_out(const struct wsc *c);

#endif
