/* conn.h: one WebSocket connection of wfmond: who it is, what it subscribed
 * to, what is queued for it, and its request budget.
 *
 * Lives in the lws per-session storage; conn_close_after_flush and conn_abort
 * mark it and let lws close it from its own callback (never freed inside
 * someone else's). */
#ifndef WFMON_CONN_H
#define WFMON_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "outq.h"
#include "proto.h"
#include "tls.h"

struct lws;
struct server;
struct org;
struct room;

/* One subscription. While its answer waits for the store (ticket nonzero),
 * the room's live events are held here, to follow the answer in order. */
struct held_frame {
	int64_t pos;
	struct frame *frame;
};

/* Recent refusals of one kind, to close a connection that keeps earning
 * them: the times of the last `cap` (allocated on the first). */
struct strikes {
	int64_t *at;
	uint32_t cap, head, count;
};

struct sub {
	struct room *room;
	uint64_t ticket;
	struct held_frame *held;
	uint32_t nheld, capheld;
};

struct conn {
	uint64_t id;               /* for answers that come back from the store */
	struct lws *wsi;
	struct server *srv;
	struct org *org;
	struct auth_identity who;
	enum tls_mode tls_mode;    /* how flush.c writes to it */
	SSL *ssl;                  /* lws's, for TLS_OPENSSL writes */
	bool ready;                /* established and authenticated */
	bool pending_events;       /* its hello listed PROTO_FEATURE_PENDING_EVENTS */
	struct outq q;
	struct sub *subs;
	uint32_t nsubs, capsubs;
	uint32_t npending;         /* subscriptions waiting for the store */
	char *rx;                  /* the message being reassembled */
	size_t rxlen, rxcap;
	double tokens;             /* request budget (token bucket) */
	int64_t tokens_at_us;
	struct strikes rate_limited;   /* requests refused for the budget */
	struct strikes bad_requests;   /* malformed requests */
	int close_code;            /* nonzero once it is to be closed */
	const char *close_reason;
	bool close_frame_asked;    /* lws was told to send the close frame */
	int64_t close_by_us;       /* cut then if it has not closed (0: none pending) */
	int swallow_code;          /* nonzero: the message being received is refused */
	const char *swallow_reason;
	int64_t last_write_us;     /* monotonic time of the last write to the socket */
	int64_t heard_us;          /* ... of the last message or pong from the peer */
	int64_t pinged_us;         /* ... of the last ping sent, 0: none since heard_us */
	bool flush_queued;         /* on flush.c's list, to be written at flush_due_us */
	int64_t flush_due_us;
	struct conn *flush_next;
	struct conn *prev, *next;  /* server's list */
};

/* Queues a shared room event; a consumer over its limits is cut off (4001).
 * pos < 0: a pending event (no position yet): dropped unless c said in its
 * hello that it takes them, and while c's subscription to `from` waits for
 * the store.
 * It is written from a timer, in one write with whatever else is queued, once
 * write-coalesce-ms have passed since the connection's last write. */
void conn_deliver(struct conn *c, struct room *from, int64_t pos, struct frame *f);
/* Frames and queues one answer to a request, written at once; takes ownership
 * of payload (a malloc'd string). */
void conn_send(struct conn *c, char *payload);
/* Sends the error answer to request `id` (borrowed; NULL: the request had none). */
void conn_send_error(struct conn *c, json_t *id, enum proto_error code, const char *message,
		     const char *field);
/* The answer {"type":type,"id":id,key:value} to a request (id borrowed,
 * NULL for none; takes value). */
void conn_send_answer(struct conn *c, json_t *id, const char *type, const char *key, json_t *value);
/* Closes after what is queued now has been written, with a close frame of
 * this code; a connection that has not closed CONN_CLOSE_GRACE_US later
 * (its socket takes nothing) is cut (conn_keepalive). reason: a literal. */
#define CONN_CLOSE_GRACE_US 1500000
void conn_close_after_flush(struct conn *c, int code, const char *reason);
/* Cuts c off now, for a dead or failed peer: what is queued is dropped, no
 * close frame is sent, and lws closes it in this turn of its loop. */
void conn_abort(struct conn *c, int code);

struct conn_keepalive_policy {
	int64_t now_wall_ms;   /* for token expiry */
	int64_t ping_us;       /* silence before a ping */
	int64_t timeout_us;    /* then, the time a sign of life may take */
	int64_t tick_us;       /* how often conn_keepalive runs */
};
/* Whether c's token has expired, its leeway passed (it was not renewed in
 * time with an auth request). */
bool conn_token_expired(const struct conn *c, int64_t now_wall_ms);
/* Closes c with PROTO_CLOSE_TOKEN_EXPIRED (4004), once. */
void conn_close_token_expired(struct conn *c);
/* Run every p->tick_us: closes a connection whose token expired (4004);
 * pings a connection silent for ping_us; cuts one
 * that gave no sign of life within ping_us + timeout_us (a dead peer: no
 * close handshake) so that it is gone by then, not a tick later; cuts one
 * whose close overran its grace. */
void conn_keepalive(struct conn *c, int64_t now_us, const struct conn_keepalive_policy *p);
/* A request was refused for the budget (rate_limited) or was malformed:
 * false once the connection has earned its close (4002 / 4003), which is
 * then under way. */
bool conn_strike_rate_limited(struct conn *c, int64_t now_us);
bool conn_strike_bad_request(struct conn *c, int64_t now_us);
/* Frees what the connection holds besides its queue (strikes). */
void conn_release(struct conn *c);
/* New queue limits (a reload); a queue already over them cuts the
 * connection at its next message. */
void conn_set_limits(struct conn *c, uint32_t max_msgs, size_t max_bytes);
/* Takes one request from the budget; false when it is exhausted. */
bool conn_take_token(struct conn *c, int64_t now_us);

/* Subscriptions. */
struct sub *conn_sub_find(struct conn *c, const struct room *r);
struct sub *conn_sub_by_ticket(struct conn *c, uint64_t ticket);
/* Adds r (and c to r's subscribers); pending with this ticket when nonzero. */
struct sub *conn_sub_add(struct conn *c, struct room *r, uint64_t ticket);
/* Ends a pending subscription's wait: its held events after position `after`
 * go out now (the answer already covered the others). */
void conn_sub_release(struct conn *c, struct sub *s, int64_t after);
/* Waits again, for a new ticket, from now on: what was held is dropped (the
 * new answer will include it). */
void conn_sub_rewait(struct conn *c, struct sub *s, uint64_t ticket);
void conn_sub_remove(struct conn *c, struct room *r);
void conn_subs_clear(struct conn *c);

#endif
