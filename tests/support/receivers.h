/* receivers.h: loopback test receivers for outbound notifications: an HTTP
 * server that records requests and answers a chosen status, and an SMTP sink
 * that records envelopes and messages. Each listens on 127.0.0.1 (a free port
 * unless one is given), serves one connection at a time in its own thread,
 * and keeps at most RX_MAX_RECORDS records; every read is bounded in size and
 * time. Records are appended only, so pointers returned stay valid until the
 * receiver is freed. */
#ifndef WFMON_RECEIVERS_H
#define WFMON_RECEIVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RX_MAX_RECORDS 64
#define RX_MAX_HEADERS 32
#define RX_MAX_RCPT 16

/* ---- HTTP ------------------------------------------------------------------------ */

struct http_rx_request {
	char method[16];
	char path[512];
	struct {
		char *name, *value;
	} headers[RX_MAX_HEADERS];
	size_t nheaders;
	char *body;          /* NUL-terminated */
	size_t body_len;
	int64_t at_us;       /* CLOCK_MONOTONIC, when the request was complete */
	int status;          /* what was answered */
};

struct http_rx;

/* Starts on port (0: a free one). NULL on failure. */
struct http_rx *http_rx_start(int port);
int http_rx_port(const struct http_rx *rx);
/* The first fail_count requests from now are answered fail_status, the rest
 * ok_status (default: 200 for all). */
void http_rx_set_replies(struct http_rx *rx, int fail_status, int fail_count, int ok_status);
/* Holds each answer back this long (0: none), to test timeouts and shutdown. */
void http_rx_set_delay(struct http_rx *rx, int delay_ms);
/* Closes the listening socket (connections are then refused); records stay. */
void http_rx_stop(struct http_rx *rx);
/* Listens again on the same port. Returns 0 or -1. */
int http_rx_restart(struct http_rx *rx);
void http_rx_free(struct http_rx *rx);

/* Requests recorded so far. */
size_t http_rx_count(struct http_rx *rx);
/* Waits until at least n requests were recorded or timeout_ms passed; returns the count. */
size_t http_rx_wait(struct http_rx *rx, size_t n, int timeout_ms);
/* The i-th request (borrowed), or NULL. */
const struct http_rx_request *http_rx_get(struct http_rx *rx, size_t i);
/* A header's value (case-insensitive name), or NULL. */
const char *http_rx_header(const struct http_rx_request *req, const char *name);
/* Whether X-Wfmon-Signature is "sha256=" + hex HMAC-SHA256(secret,
 * X-Wfmon-Timestamp "." body), recomputed here. */
bool http_rx_verify_signature(const struct http_rx_request *req, const char *secret);

/* ---- SMTP -------------------------------------------------------------------------- */

struct smtp_rx_message {
	char *mail_from;               /* the address inside MAIL FROM:<...> */
	char *rcpt[RX_MAX_RCPT];       /* accepted RCPT TO addresses */
	size_t nrcpt;
	char *data;                    /* the message, dot-unstuffed, CRLF kept, without the final "." line */
	size_t data_len;
};

struct smtp_rx;

/* Starts on port (0: a free one). NULL on failure. */
struct smtp_rx *smtp_rx_start(int port);
int smtp_rx_port(const struct smtp_rx *rx);
/* Answers every RCPT TO with "550 mailbox unavailable" when on. */
void smtp_rx_set_reject_rcpt(struct smtp_rx *rx, bool on);
void smtp_rx_free(struct smtp_rx *rx);

/* Messages accepted (after the final "."), and sessions seen (connections). */
size_t smtp_rx_count(struct smtp_rx *rx);
size_t smtp_rx_sessions(struct smtp_rx *rx);
/* Waits until at least n messages were accepted or timeout_ms passed; returns the count. */
size_t smtp_rx_wait(struct smtp_rx *rx, size_t n, int timeout_ms);
/* Waits until at least n sessions ended (QUIT or close); returns the count. */
size_t smtp_rx_wait_sessions(struct smtp_rx *rx, size_t n, int timeout_ms);
const struct smtp_rx_message *smtp_rx_get(struct smtp_rx *rx, size_t i);

#endif
