/* conn.h: one WebSocket connection of wfmond: who it is, what it subscribed
 * to, what is queued for it, and its request budget.
 *
 * Lives in the lws per-session storage; conn_close_now marks it and lets lws
 * close it from its own callback (never freed inside someone else's). */
#ifndef WFMON_CONN_H
#define WFMON_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "outq.h"

struct lws;
struct server;
struct org;
struct room;

struct conn {
	struct lws *wsi;
	struct server *srv;
	struct org *org;
	struct auth_identity who;
	bool ready;                /* established and authenticated */
	struct outq q;
	struct room **subs;
	uint32_t nsubs, capsubs;
	char *rx;                  /* the message being reassembled */
	size_t rxlen, rxcap;
	double tokens;             /* request budget (token bucket) */
	int64_t tokens_at_us;
	int close_code;            /* nonzero once it is to be closed */
	const char *close_reason;
	int swallow_code;          /* nonzero: the message being received is refused */
	const char *swallow_reason;
	struct conn *prev, *next;  /* server's list */
};

/* Queues a shared frame; a consumer over its limits is cut off (4001). */
void conn_deliver(struct conn *c, struct frame *f);
/* Frames and queues one message; takes ownership of payload (a malloc'd string). */
void conn_send(struct conn *c, char *payload);
/* Closes after what is queued now has been written (or at once for a slow one). */
void conn_close_after_flush(struct conn *c, int code, const char *reason);
/* Takes one request from the budget; false when it is exhausted. */
bool conn_take_token(struct conn *c, int64_t now_us);
bool conn_subscribed(const struct conn *c, const struct room *r);

#endif
