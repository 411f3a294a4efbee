/* reconnect.h: what `wfmon tail` and the console's session share about
 * reconnecting: the jittered exponential backoff, the timing constants, and
 * what a refused upgrade or a close code means (a sentence and a verdict).
 *
 * Pure: no I/O, no clock; the caller owns the timer and the connection. */
#ifndef WFMON_RECONNECT_H
#define WFMON_RECONNECT_H

#include <stddef.h>

/* The first delay is about RECONNECT_BACKOFF_MIN_MS; it doubles up to
 * RECONNECT_BACKOFF_MAX_MS. */
#define RECONNECT_BACKOFF_MIN_MS 500
#define RECONNECT_BACKOFF_MAX_MS 15000
/* TCP connect plus upgrade must finish within this. */
#define RECONNECT_CONNECT_TIMEOUT_MS 10000
/* The close code of a failed TLS handshake (wslink.h, wsclient.h): the
 * certificate was refused, which retrying does not fix. */
#define RECONNECT_CLOSE_TLS 1015
/* A connection that stayed open this long was healthy: start the backoff over. */
#define RECONNECT_HEALTHY_MS 30000

struct backoff {
	int min_ms;
	int max_ms;
	int base_ms;     /* the base of the next delay */
	unsigned rng;    /* rand_r state */
};

/* Starts at min_ms; seed the jitter differently per process (e.g. the pid). */
void backoff_init(struct backoff *b, int min_ms, int max_ms, unsigned seed);
/* The next delay in milliseconds: half the base fixed, half random, so that
 * clients dropped together do not return together (base/2 .. base). Then the
 * base doubles, up to max_ms. */
int backoff_next(struct backoff *b);
/* Back to min_ms (after a healthy connection). */
void backoff_reset(struct backoff *b);

enum reconnect_verdict {
	RECONNECT_RETRY,   /* try again after a backoff */
	RECONNECT_STOP,    /* the server ended the session normally (close code 1000) */
	RECONNECT_FAIL,    /* refused for good (HTTP 400, 401, 403, 404, a refused TLS certificate) */
};

/* Explains why a connection closed, from the wsclient's HTTP status of a
 * refused upgrade (0 if none), the close code, and its error sentence (may be
 * "" or NULL). who names this program in sentences about its own behaviour
 * ("client", "console": "this console fell too far behind"). Writes the
 * sentence to why and returns what to do; callers that never stop (the
 * console) treat RECONNECT_STOP as RECONNECT_RETRY. */
enum reconnect_verdict reconnect_explain(int http_status, int close_code, const char *err,
					 const char *who, char *why, size_t whylen);

#endif
