/* harness.h: integration-test support: a real wfmond on a free loopback port,
 * tokens, WebSocket clients and raw HTTP requests.
 *
 * The daemon binary comes from $WFMON_BUILD (build or build/san), so the same
 * tests run against the sanitized build. */
#ifndef WFMON_HARNESS_H
#define WFMON_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "testca.h"
#include "wsclient.h"

struct daemon {
	pid_t pid;
	int port;
	char dir[256];         /* temp folder: secret, log */
	char secret[300];
	char log[300];
	char config[300];      /* DAEMON_CONFIG_FILE: the config file, else "" */
	bool tls;              /* DAEMON_TLS: wss/https with a certificate for "localhost" */
	struct testca ca;      /* ... signed by this CA, made in d->dir/ca */
	char tls_cert[320], tls_key[320];
};

/* Starts wfmond with extra flags (NULL-terminated list, may be NULL) and waits
 * until it answers /healthz. Returns 0 or -1. */
int daemon_start(struct daemon *d, const char *const *extra);

enum daemon_start_flags {
	/* Returns once the process runs, without waiting for /healthz. */
	DAEMON_NO_WAIT = 1,
	/* Listen address, secret and log level go in d->config (a config file,
	 * "listen", "jwt-secret-file", "log-level" lines) instead of flags, so
	 * that a test can change them and send SIGHUP. */
	DAEMON_CONFIG_FILE = 2,
	/* TLS: a test CA in d->dir/ca signs a certificate for "localhost" (and
	 * no IP address: 127.0.0.1 is the wrong name); clients and http_raw
	 * speak TLS to it, trusting that CA. */
	DAEMON_TLS = 4,
};
int daemon_start_with(struct daemon *d, const char *const *extra, unsigned flags);
/* Waits until the daemon answers /healthz (after DAEMON_NO_WAIT); 0 or -1. */
int daemon_wait_ready(struct daemon *d, int timeout_ms);
/* SIGTERM, then waits; returns the exit status (or -1). */
int daemon_stop(struct daemon *d);
/* Restarts on the same port with the same secret. */
int daemon_restart(struct daemon *d, const char *const *extra);

/* A new token (malloc'd) signed with the daemon's secret. */
char *daemon_token(const struct daemon *d, const char *org, const char *sub, const char *role);

/* Connects with that token and waits until open; NULL on failure. */
struct wsc *client_open(const struct daemon *d, const char *token);
/* Like client_open but returns the client in whatever state it reached. */
struct wsc *client_try(const struct daemon *d, const char *token, const char *extra_headers);

/* Sends text (a JSON message). */
int client_send(struct wsc *c, const char *json);
/* Waits up to timeout_ms for the next message; returns it parsed (new ref) or NULL. */
json_t *client_recv(struct wsc *c, int timeout_ms);
/* Waits for a message of this type (skipping others, which are dropped); NULL on timeout. */
json_t *client_recv_type(struct wsc *c, const char *type, int timeout_ms);
/* Sends a request (JSON text with an "id") and returns the message that
 * answers it (same id; others dropped), or NULL after timeout_ms of silence. */
json_t *client_request(struct wsc *c, const char *json, int timeout_ms);
/* Subscribes and returns the "subscribed" (or "error") answer. */
json_t *client_subscribe(struct wsc *c, const char *room, long long since);
/* Publishes a JSON array text of events and returns the ack (or error). */
json_t *client_publish(struct wsc *c, const char *events_json);
/* Drains until the connection closes; returns the close code, or -1 on timeout. */
int client_wait_close(struct wsc *c, int timeout_ms);

/* The lean client's TLS context trusting ca_file (one per file, kept). */
SSL_CTX *client_tls_ctx(const char *ca_file);

/* Sends a raw HTTP request to the daemon (over TLS for a DAEMON_TLS one) and
 * returns the status; the body is copied to body (NUL-terminated, truncated
 * to bodylen). */
int http_raw(const struct daemon *d, const char *request, char *body, size_t bodylen);
/* For the readers of a raw HTTP response (http_raw, tlsraw_http): whether
 * buf (got bytes, NUL-terminated) holds the whole response (headers and a
 * Content-Length body) or is full; and its status with the body copied into
 * body (may be NULL), or -1 when it is no HTTP response. */
bool http_response_done(const char *buf, size_t got, size_t cap);
int http_response_parse(const char *buf, char *body, size_t bodylen);
/* One unlabelled number from the daemon's /metrics; -1 if it is not there. */
long daemon_metric(const struct daemon *d, const char *name);

/* A valid event as JSON text: kind, event id, execution id, then extra fields
 * as a JSON object text without braces (may be ""). Returns malloc'd text. */
char *event_json(const char *kind, const char *event_id, const char *exec_id, const char *extra);

/* A string field of a JSON object, "" when absent. */
const char *jstr(json_t *o, const char *key);
/* CLOCK_MONOTONIC in milliseconds. */
long long mono_ms(void);
/* Publishes one event (event_json's arguments) and returns 0 when it was
 * acknowledged without a rejection. Use PUBLISH_OK in cmocka tests. */
int publish_ok(struct wsc *p, const char *kind, const char *event_id, const char *exec_id, const char *extra);
#define PUBLISH_OK(...) assert_int_equal(publish_ok(__VA_ARGS__), 0)
/* Publishes n log events, ids PREFIX-first .. PREFIX-(first+n-1), to one
 * execution in one batch; message NULL writes "line <number>". Returns the
 * answer (ack or error), or NULL. */
json_t *publish_log_batch(struct wsc *p, const char *prefix, int first, int n, const char *exec_id,
			  const char *message);
/* The JSON array text publish_log_batch sends (malloc'd), or NULL. */
char *log_batch_new(const char *prefix, int first, int n, const char *exec_id, const char *message);
/* Starts $WFMON_BUILD/wfmon-sim against the daemon with these extra
 * arguments (NULL-terminated), its output in d->dir/sim.log. */
pid_t simproc_start(const struct daemon *d, const char *const *args);
/* SIGINT, then its exit status (-1 when it did not exit normally). */
int simproc_stop(pid_t pid);

#endif
