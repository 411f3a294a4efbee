/* reconnect.c: backoff and close explanations shared by tail.c and session.c
 * (see reconnect.h). */
#include "reconnect.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto.h"

void backoff_init(struct backoff *b, int min_ms, int max_ms, unsigned seed)
{
	b->min_ms = min_ms;
	b->max_ms = max_ms;
	b->base_ms = min_ms;
	b->rng = seed;
}

int backoff_next(struct backoff *b)
{
	int base = b->base_ms;
	int delay = base / 2 + (int)(rand_r(&b->rng) % (unsigned)(base / 2 + 1));
	b->base_ms = base > b->max_ms / 2 ? b->max_ms : base * 2;
	return delay;
}

void backoff_reset(struct backoff *b)
{
	b->base_ms = b->min_ms;
}

/* Refusals of the upgrade that retrying cannot fix. */
static const struct {
	int http_status;
	const char *message;
} http_table[] = {
	{ 401, "the server refused the token (HTTP 401; its log says why: expired, another issuer or "
	       "audience, an unknown key id): get a fresh one, or mint one with `wfmon token`" },
	{ 403, "the server refused access (HTTP 403): check the token's organization and role" },
	{ 404, "no WebSocket endpoint at this path (HTTP 404): check the URL" },
	{ 400, "the server rejected the WebSocket upgrade (HTTP 400): is the URL wfmond's?" },
};

/* Close codes the server chooses. A reason with about_self starts with
 * "this CLIENT", in the caller's name for itself. */
static const struct {
	int close_code;
	enum reconnect_verdict verdict;
	bool about_self;
	const char *reason;
} close_table[] = {
	{ 1000, RECONNECT_STOP, false, "the server ended the session" },
	{ PROTO_CLOSE_SHUTDOWN, RECONNECT_RETRY, false, "the server is shutting down" },
	{ 1006, RECONNECT_RETRY, false, "the connection dropped" },
	{ 1009, RECONNECT_RETRY, false, "a message was too large" },
	{ PROTO_CLOSE_SLOW_CONSUMER, RECONNECT_RETRY, true, "fell too far behind" },
	{ PROTO_CLOSE_RATE_LIMITED, RECONNECT_RETRY, true, "sent too many requests" },
	{ PROTO_CLOSE_TOKEN_EXPIRED, RECONNECT_RETRY, false,
	  "the token expired and no fresh one was sent (give a --token-file or a token command that "
	  "renews it)" },
	/* The TLS handshake failed: the client's own sentence says why. */
	{ RECONNECT_CLOSE_TLS, RECONNECT_FAIL, false, NULL },
};

enum reconnect_verdict reconnect_explain(int http_status, int close_code, const char *err,
					 const char *who, char *why, size_t whylen)
{
	if (err == NULL)
		err = "";
	if (http_status != 0) {
		for (size_t i = 0; i < sizeof http_table / sizeof http_table[0]; i++) {
			if (http_table[i].http_status == http_status) {
				snprintf(why, whylen, "%s", http_table[i].message);
				return RECONNECT_FAIL;
			}
		}
		snprintf(why, whylen, "the server refused the connection (HTTP %d)", http_status);
		return RECONNECT_RETRY;
	}
	enum reconnect_verdict verdict = RECONNECT_RETRY;
	const char *reason = NULL;
	bool about_self = false;
	for (size_t i = 0; i < sizeof close_table / sizeof close_table[0]; i++) {
		if (close_table[i].close_code == close_code) {
			verdict = close_table[i].verdict;
			reason = close_table[i].reason;
			about_self = close_table[i].about_self;
		}
	}
	/* wsclient's sentence says more about a drop (refused, reset); the table
	 * says more about a code the server chose. */
	if (err[0] != '\0' && (close_code == 1006 || reason == NULL)) {
		snprintf(why, whylen, "%s", err);
	} else if (reason != NULL && about_self) {
		snprintf(why, whylen, "this %s %s (close code %d)", who ? who : "client", reason,
			 close_code);
	} else if (reason != NULL) {
		snprintf(why, whylen, "%s (close code %d)", reason, close_code);
	} else {
		snprintf(why, whylen, "the server closed the connection (close code %d)", close_code);
	}
	return verdict;
}
