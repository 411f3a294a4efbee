/* notify.h: delivering alert notifications off the event loop.
 *
 * One thread with a bounded queue. Each job is one message to one channel:
 * webhook (JSON POST signed with HMAC-SHA256), Slack (incoming-webhook JSON),
 * email (SMTP through libcurl, TLS when the URL is smtps:// or the server
 * offers STARTTLS), SMS (JSON POST to a configurable HTTP gateway). A failed
 * attempt is retried with exponential backoff up to max_attempts; every
 * attempt's outcome is reported back to the loop thread (wake, then
 * notify_take_outcomes). A dead endpoint costs the loop nothing: timeouts are
 * bounded and the thread never blocks the caller. Secrets never appear in
 * outcomes or logs. In-app delivery is the daemon's own (the alerts room), not
 * a job here. */
#ifndef WFMON_NOTIFY_H
#define WFMON_NOTIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"

struct notify;

struct notify_config {
	int max_attempts;      /* default 5 */
	int backoff_ms;        /* first retry after this, doubling; default 1000 */
	int backoff_max_ms;    /* default 60000 */
	int timeout_ms;        /* per attempt; default 10000 */
	size_t queue_max;      /* jobs waiting; default 1000 */
};

struct notify_outcome {
	char org[PROTO_MAX_ID + 1];
	int64_t alert_id;          /* the alert_history row */
	enum channel_type channel;
	int channel_index;
	int attempt;               /* 1, 2, ... */
	bool ok;
	bool final;                /* no further attempt will be made (ok, or gave up) */
	char detail[256];          /* "HTTP 200", "HTTP 503", "connection refused", "550 mailbox unavailable" */
	int64_t at_ms;
	int64_t next_attempt_ms;   /* when not final: when the retry is due */
};

/* Starts the thread. wake is called from it when outcomes are ready. cfg may
 * be NULL; a field <= 0 takes its default. */
struct notify *notify_new(const struct notify_config *cfg, void (*wake)(void *arg), void *wake_arg);
/* Stops the thread promptly (well under a second, whatever the endpoints do):
 * no new attempt starts, the one under way is cut short, and it and every job
 * waiting are reported as final failures ("daemon shutting down") before this
 * returns. Outcomes can still be taken afterwards; later submits return -1.
 * Idempotent. */
void notify_stop(struct notify *n);
/* notify_stop, then frees (outcomes not taken by then are lost). */
void notify_free(struct notify *n);

/* Queues one message (copies everything). payload is the alert as JSON (the
 * webhook body's "alert"); title/body are the human text. Returns -1 when the
 * queue is full (the caller records that as a failed attempt). */
int notify_submit(struct notify *n, const char *org, int64_t alert_id, int channel_index,
		  const struct alert_channel *ch, const char *title, const char *body, json_t *payload);

size_t notify_take_outcomes(struct notify *n, struct notify_outcome *out, size_t max);

/* ---- pure helpers (unit-tested) --------------------------------------------- */

/* The wait before the retry that follows attempt (1, 2, ...): backoff_ms *
 * 2^(attempt-1), capped at backoff_max_ms, less up to 10% jitter taken from
 * random. Fields <= 0 take their defaults. */
int64_t notify_backoff_ms(const struct notify_config *cfg, int attempt, uint64_t random);
/* HMAC-SHA256 of data with key, as 64 lowercase hex characters + NUL. */
void notify_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65]);
/* The webhook request: body {"type":"alert","alert":payload,"title","text"} and
 * the signature header value "sha256=<hex of HMAC(secret, timestamp + "." + body)>"
 * sent with "X-Wfmon-Timestamp: <unix seconds>". Returns the new body. */
char *notify_webhook_body_new(json_t *payload, const char *title, const char *body);
void notify_webhook_signature(const char *secret, int64_t unix_s, const char *body, char out[80]);
/* Slack incoming-webhook JSON {"text": ..., "blocks": [...]}. */
char *notify_slack_body_new(const char *title, const char *body);
/* An RFC 5322 message (CRLF, UTF-8 subject as an encoded-word, Date, Message-ID).
 * CR and LF in from/to/subject become spaces. NULL when out of memory. */
char *notify_email_new(const char *from, const char *to, const char *subject, const char *body,
		       int64_t now_ms);
/* The SMS gateway's JSON {"to": to, "message": title ": " first line of body},
 * the message cut to NOTIFY_SMS_MAX characters (code points, never inside
 * one). NULL when a text is not UTF-8. */
#define NOTIFY_SMS_MAX 459
char *notify_sms_body_new(const char *to, const char *title, const char *body);

#endif
