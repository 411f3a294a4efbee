/* wslink.h: a WebSocket connection to wfmond through libwebsockets' client,
 * over TCP or TLS: the client the console, `wfmon tail`, `wfmon alerts` and
 * wfmon-sim use.
 *
 * Why lws and not our own client: TLS, certificate and host name checks,
 * close handshakes and ping answers are upstream code, maintained and used
 * far beyond wfmon; the lean client (wsclient.h) stays only where its cost
 * per message was measured to matter (wfmon-bench, see the README) and where
 * tests must send what a correct client never does.
 *
 * The same shape as the lean client, so that a caller's loop does not care:
 * it polls wsl_fd() for wsl_poll_events() for at most wsl_timeout_ms(), then
 * calls wsl_io(). Nothing blocks except the wsl_wait_* helpers and the name
 * lookup in wsl_new (lws 4.1.6 resolves synchronously). Each connection has
 * its own lws context (one socket, its own TLS settings); lws's log goes
 * nowhere but into the connection's error sentence, so a full-screen console
 * is never written over.
 *
 * Ownership: wsl_new returns a new connection the caller frees with wsl_free;
 * it copies what it keeps of the configuration. */
#ifndef WFMON_WSLINK_H
#define WFMON_WSLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wsl;

/* The close code of a connection whose TLS handshake failed (the daemon's
 * certificate was refused; RFC 6455 keeps 1015 for this). */
#define WSL_CLOSE_TLS 1015

struct wsl_config {
	const char *host;          /* a name or an address; the certificate must be for it */
	int port;
	const char *path;          /* "/" if NULL */
	bool tls;
	const char *ca_file;       /* trust only this CA (PEM); NULL: the system's CA store */
	const char *cert_file;     /* a client certificate, for a daemon that asks; NULL: none */
	const char *key_file;
	const char *subprotocol;   /* Sec-WebSocket-Protocol, e.g. "wfmon.v1" */
	const char *bearer;        /* sent as "Authorization: Bearer"; NULL: none */
	size_t max_message;        /* inbound message limit; 0 = 16 MiB */
	size_t max_outbuf;         /* bytes queued for sending; 0 = 8 MiB */
};

enum wsl_state {
	WSL_CONNECTING,   /* TCP, TLS, upgrade */
	WSL_OPEN,
	WSL_CLOSED,       /* see wsl_close_code, wsl_http_status, wsl_error */
};

/* Checks the TLS files, resolves and starts connecting. Returns NULL with a
 * sentence in cause when a file or the address is wrong; a connection that
 * fails later is returned CLOSED, its reason in wsl_error. */
struct wsl *wsl_new(const struct wsl_config *cfg, char *cause, size_t causelen);
void wsl_free(struct wsl *c);

/* The socket, -1 when there is none (closed). */
int wsl_fd(const struct wsl *c);
/* POLLIN and/or POLLOUT to wait for. */
short wsl_poll_events(const struct wsl *c);
/* The longest to wait before calling wsl_io even without I/O (lws's own
 * timers, a TLS record it holds): -1 for none. */
int wsl_timeout_ms(const struct wsl *c);
/* Does what is ready (revents may be 0: timers only). Returns 0, or -1 once
 * closed. */
int wsl_io(struct wsl *c, short revents);

enum wsl_state wsl_state(const struct wsl *c);
/* The HTTP status of a refused upgrade (e.g. 401), or 0. */
int wsl_http_status(const struct wsl *c);
/* The daemon's close code, 1006 for a drop, WSL_CLOSE_TLS for a refused
 * certificate, 0 while not closed. */
int wsl_close_code(const struct wsl *c);
/* Why it is closed, as a sentence; "" while not. */
const char *wsl_error(const struct wsl *c);

/* Queues a text message; -1 when closed or past max_outbuf. */
int wsl_send_text(struct wsl *c, const char *data, size_t len);
/* Starts the close handshake with this code. */
int wsl_send_close(struct wsl *c, int code);
size_t wsl_outbuf_len(const struct wsl *c);

/* The next whole message: 1 with *data, *len (valid until the next call on
 * c), 0 when none is there. */
int wsl_next(struct wsl *c, const char **data, size_t *len);

/* Blocking helpers for commands and tools, at most timeout_ms each. */
int wsl_wait_open(struct wsl *c, int timeout_ms);
int wsl_wait_message(struct wsl *c, int timeout_ms, const char **data, size_t *len);
int wsl_wait_flushed(struct wsl *c, int timeout_ms);

#endif
