/* session.h: the console's connection to wfmond, as a state machine.
 *
 *   CONNECTING (TCP + upgrade, bounded) -> LIVE (rooms subscribed)
 *     -> BACKOFF (timer: 0.5 s doubling to 15 s, jittered) -> CONNECTING ...
 *   any -> FAILED (the server refused the token or the path, or its TLS
 *                  certificate, for good)
 *
 * The token is renewed before it expires when its source allows (a token
 * file, a token command: tokensrc.h) and sent in-band on the live connection,
 * so that the daemon does not close it (4004).
 *
 * It never blocks: the caller polls session_fd() for session_poll_events()
 * (together with its own descriptors) for at most session_timeout_ms(), then
 * calls session_service(). Every message received goes to the model, which
 * keeps each room's position; on a reconnect every wanted room is subscribed
 * again with "since" set to that position, and once all have answered the
 * session tells whether everything was recovered (all resumed) or some room
 * had to be resynchronised from a fresh snapshot.
 *
 * Ownership: session_new borrows the options (they must outlive the session)
 * and the model. */
#ifndef WFMON_SESSION_H
#define WFMON_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "reconnect.h"

/* The same timing as `wfmon tail` (reconnect.h). */
#define SESSION_BACKOFF_MIN_MS RECONNECT_BACKOFF_MIN_MS
#define SESSION_BACKOFF_MAX_MS RECONNECT_BACKOFF_MAX_MS
#define SESSION_CONNECT_TIMEOUT_MS RECONNECT_CONNECT_TIMEOUT_MS
/* After this many failed attempts in a row the state reads OFFLINE. */
#define SESSION_OFFLINE_AFTER 3

struct endpoint;

struct session_options {
	struct endpoint *ep;  /* where and as whom; its token is renewed in time (endpoint.h) */
};

enum session_state {
	SESSION_CONNECTING,
	SESSION_LIVE,
	SESSION_BACKOFF,
	SESSION_FAILED,
};

/* What the user should see: a badge and details. */
enum session_display { SD_CONNECTING, SD_LIVE, SD_RECONNECTING, SD_OFFLINE };

enum session_recovery {
	SR_NONE,        /* no reconnect finished since the last call */
	SR_COMPLETE,    /* every room resumed: nothing missed */
	SR_RESYNC,      /* at least one room started over from a fresh snapshot */
};

struct session;

struct session *session_new(const struct session_options *opt, struct model *m);
void session_free(struct session *s);

/* Asks for a room (kept across reconnects); a no-op if already wanted.
 * Returns -1 past MODEL_MAX_ROOMS. */
int session_want(struct session *s, const char *room);
/* Leaves a room: unsubscribes when connected and forgets its position. */
void session_unwant(struct session *s, const char *room);

/* Sends a request (takes req) while LIVE. Returns 0, or -1 when there is no
 * live connection (the request is dropped: answers are not kept across drops). */
int session_request(struct session *s, json_t *req);

/* -1 when there is no socket (backoff, failed). */
int session_fd(const struct session *s);
short session_poll_events(const struct session *s);
/* Milliseconds until the session needs a call to session_service even without
 * I/O (a backoff or connect deadline); -1 for none. */
int session_timeout_ms(const struct session *s, int64_t now_us);
/* Does the I/O revents allow (0 for none), then any timer that is due.
 * Returns the model changes (enum model_change) of the messages handled. */
unsigned session_service(struct session *s, short revents, int64_t now_us, int64_t now_wall_ms);

enum session_state session_state(const struct session *s);
enum session_display session_display(const struct session *s);
/* Milliseconds until the next connection attempt (backoff), else 0. */
int64_t session_retry_in_ms(const struct session *s, int64_t now_us);
/* Why the connection is down, or "". */
const char *session_last_error(const struct session *s);
/* Why the token could not be renewed (the console shows it), or "". */
const char *session_token_notice(const struct session *s);
/* Reported once per finished reconnect, then SR_NONE. */
enum session_recovery session_take_recovery(struct session *s);
/* True once the state changed since the last call (to redraw the header). */
bool session_take_changed(struct session *s);
/* Says goodbye with a close frame, waiting at most timeout_ms. */
void session_close(struct session *s, int timeout_ms);

#endif
