/* cluster-internal.h: what the cluster bus (cluster.c: links, reader,
 * cluster_publish.c: publishing) and its outbox (cluster_outbox.c: the batches a node keeps
 * while Redis is away, their pending delivery and their way to Redis) share.
 * Not a public interface: cluster.h is.
 *
 * Everything runs on the daemon's loop thread. */
#ifndef WFMON_CLUSTER_INTERNAL_H
#define WFMON_CLUSTER_INTERNAL_H

#include <ev.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backlog.h"
#include "cluster.h"
#include "ingest.h"
#include "strmap.h"

#define CLUSTER_STREAM_KEY "wfmon:events"
/* Entries kept in the stream (approximately): a reader that falls further
 * behind than this has lost entries, and says so. */
#define CLUSTER_STREAM_MAXLEN "1000000"
/* Outbox batches sent to Redis and not yet stored, at most. */
#define DRAIN_WINDOW 32
/* This node's own batches whose prepared items are kept until the reader
 * applies their entry, at most (older ones are parsed again from the text). */
#define OWN_KEPT 256

enum link_state { LINK_DOWN, LINK_CONNECTING, LINK_UP };

struct cluster;

struct link {
	struct cluster *k;
	const char *name;             /* "publish" or "reader", for logs */
	redisAsyncContext *ac;        /* NULL while down */
	enum link_state state;
	ev_timer retry;
	double backoff_s;
};

/* A batch sent to Redis, waiting for its positions: a producer's (b, ticket)
 * or an outbox entry (oe, owned by the outbox). */
struct flight {
	struct cluster *k;
	char org[PROTO_MAX_ID + 1];
	struct ingest_batch b;        /* moved from the caller */
	uint64_t ticket;              /* its pending answer */
	struct backlog_entry *oe;     /* or the outbox entry it sends (b empty, no ticket) */
	int64_t sent_us;              /* monotonic: when it went to Redis */
	/* The reader's last entry when it went: a first copy of its events that
	 * the link's loss hid went into the stream after it. */
	char sent_after[64];
	struct flight *prev, *next;
};

/* What the publish script answered (cluster_publish.c). */
struct script_answer {
	int64_t last;                 /* the last position it gave (or the counter, when it gave none) */
	const char *entry;            /* the stream entry it appended; "" when none (borrowed from the reply) */
	const redisReply *known;      /* index, position, ... of the events numbered already (rising indexes) */
	size_t nknown;                /* pairs in known */
	bool cut;                     /* its look for copies stopped at its bound */
};

/* The prepared items of an entry this node appended (numbered, their texts
 * made), so that its reader need not parse, validate or serialize them again. */
struct own_entry {
	char id[48];                  /* stream entry id; "" for a free slot */
	struct ingest_item *items;    /* owned; NULL for a free slot */
	size_t n;
};

/* The recent events of one organization, in position order. */
struct cluster_org {
	struct ingest_item *ring;
	uint32_t head, count, cap;
	int64_t floor;                /* every applied event after it is in the ring; -1: none applied yet */
	size_t outbox_events;         /* of its events in the outbox (not numbered yet) */
};

struct cluster {
	struct server *s;
	struct ev_loop *loop;
	char host[256];
	int port;
	char node[64];
	struct link cmd, rd;
	char publish_sha[48];          /* the publish script's digest in Redis, "" until loaded */
	ev_timer watchdog;             /* also renews the alert lease, every second */
	ev_timer read_pace;            /* the next read, after a read that brought little */
	int64_t lease_asked_us;        /* monotonic time of the outstanding lease request, 0: none */
	int64_t leader_until_us;       /* holds the alert lease until then (monotonic) */
	int64_t read_sent_us;         /* monotonic time of the outstanding read, 0: none */
	char last_id[64];             /* the last stream entry applied ("" until known) */
	struct strmap orgs;           /* org id -> struct cluster_org */
	struct flight *flights;
	struct backlog *outbox;        /* NULL when cluster-outbox-max is 0 */
	int drain_inflight;            /* outbox entries SENT or NUMBERED */
	bool drain_blocked;            /* the store refused a write: wait for the watchdog */
	bool outbox_full_logged;       /* said once that the outbox refuses batches */
	struct strmap outboxed;        /* "org\nevent id" of every event in the outbox -> non-NULL */
	uint64_t outboxed_total;       /* events acknowledged from the outbox */
	/* The outbox's fence: the stream's last entry id when it was asked,
	 * after every entry of seq < fence_covers was kept; those are sent only
	 * once the reader's last_id has reached it (cluster_outbox.c). */
	enum { FENCE_NONE, FENCE_ASKED, FENCE_SET } fence;
	char fence_id[64];
	uint64_t fence_covers;
	ev_timer fence_wait;           /* runs while the drain waits for the reader */
	uint64_t lost_replies_total;   /* producers' batches whose answer the link lost */
	uint64_t already_numbered_total; /* events the publish script found numbered already */
	uint64_t scans_cut_total;      /* publish script calls whose look for copies stopped at its bound */
	struct own_entry own[OWN_KEPT]; /* a ring: own_next is the slot filled next */
	uint32_t own_next;
	char error[256];
	bool stopping;
	uint64_t published_total, applied_total, entries_total, refused_total, reconnects_total;
	uint64_t reads_total;
	/* Publish round trips to Redis answered: how many, their total, and how
	 * many took at most store_sync_bounds_ms[i] (an acknowledgement waits
	 * for one, then for the spool). */
	uint64_t publishes, publish_us_total, publish_le[8];
	int64_t last_entry_ms;        /* wall clock of the last entry applied */
};

/* ---- cluster_ring.c: the recent events ---- */

/* The recent events of org, made on first use. */
struct cluster_org *cluster_org_of(struct cluster *k, const char *org);
/* Takes the applied item (its event and texts) into co's ring, the oldest
 * item leaving it once cluster-history are held; *it is zeroed. */
void cluster_ring_keep(struct cluster *k, struct cluster_org *co, struct ingest_item *it);
/* The kept item of this event id of org, or NULL. */
struct ingest_item *cluster_ring_find(struct cluster *k, const char *org, const char *event_id);
/* Frees every organization's ring (k->orgs emptied). */
void cluster_orgs_free(struct cluster *k);

/* ---- cluster.c: the links and the reader ---- */

/* The publish script's text, for SCRIPT LOAD (cluster_publish.c). */
extern const char cluster_publish_script[];
/* Keeps the items of the batch this node just appended as entry `id`
 * (taken out of b: b->n becomes 0), so that its reader need not parse,
 * validate or serialize them again. */
void cluster_own_keep(struct cluster *k, const char *id, struct ingest_batch *b);

/* ---- cluster_publish.c: a batch through the publish script (also for the outbox) ---- */

/* Answers the batch's asker (ticket) that nothing of it was kept. */
void cluster_refuse(struct cluster *k, struct ingest_batch *b, uint64_t ticket, const char *why);
/* The batch's events for the store or the outbox: its new events, then the
 * events retried with the positions they were applied at. Returns a new
 * array (n in *m) borrowing from b and the ring. */
struct store_event *cluster_batch_events_new(struct cluster *k, const char *org, struct ingest_batch *b, size_t *m);
/* The position this node applied (delivered) event_id of org at, from its
 * recent events; 0 when they no longer hold it. */
int64_t cluster_applied_pos(struct cluster *k, const char *org, const char *event_id);
/* The pending ack of ticket answers for b once durable. */
void cluster_pending_ack_set(struct server *s, uint64_t ticket, const struct ingest_batch *b);
/* One JSON text a line: the events of ev[0..n) without a position. Returns
 * a new NUL-ended text. */
char *cluster_events_text_new(const struct store_event *ev, size_t n);
/* lines[0..n) (borrowed; none holds a newline), one a line, as one new
 * NUL-ended text. */
char *cluster_lines_new(const char *const *lines, size_t n);
/* Sends f's events (n of them, one a line in text; their ids one a line in
 * ids) to the publish script, which recognises those numbered already in the
 * stream's entries after `after` (this node applied everything up to it;
 * "": looks nowhere), with the outbox entry's id when it is one; f joins
 * the flights. Returns -1 (f not sent, not a flight) when hiredis refuses. */
int cluster_script_send(struct cluster *k, struct flight *f, int64_t floor, size_t n, const char *text,
			const char *ids, const char *after, const char *outbox_id);
/* Reads the publish script's reply into *a (borrowing from reply) for a
 * batch of n events, and counts what it found. Returns false (nothing
 * counted) when it is no such answer: Redis refused, or the link went. */
bool cluster_script_answer(struct cluster *k, const redisReply *reply, size_t n, struct script_answer *a);
/* The index (among those sent) and the position of known event j of a. */
size_t cluster_known_index(const struct script_answer *a, size_t j);
int64_t cluster_known_pos(const struct script_answer *a, size_t j);

/* ---- cluster_outbox.c ---- */

/* Opens the outbox (cluster-outbox-max > 0) and learns the ids of what a
 * previous run left in it. Returns -1 with a cause. */
int cluster_outbox_open(struct cluster *k, char *cause, size_t causelen);
void cluster_outbox_close(struct cluster *k);
/* Keeps the batch in the outbox (Redis away, or older batches wait there);
 * the ticket is answered once it is durable, and its new events are then
 * delivered as pending events to this node's rooms. after: the stream entry
 * up to which this node had applied the stream when the batch came (kept
 * with it, see cluster_script_send). Past the bound, or without an outbox,
 * the batch is refused as a whole. */
void cluster_outbox_keep(struct cluster *k, const char *org, struct ingest_batch *b, uint64_t ticket,
			 const char *after);
/* The link went while a producer's batch (f) waited for its positions:
 * Redis may have run the script (the reply was lost) or not. Refused, the
 * producer's retry would be numbered a second time and stored under that
 * second position while every subscriber got the first. So the batch goes
 * to the outbox instead (acknowledged once on disk, as while Redis is
 * away), which sends it only once this node's reader has applied what the
 * stream held by then (the fence): events found applied keep the position
 * they were delivered at. The daemon's own events (PENDING_DONE) are left
 * to the caller, which refuses them. Returns whether it took f's batch
 * (f->b is then empty; the caller frees f). */
bool cluster_outbox_take_lost(struct cluster *k, struct flight *f);
/* Moves the outbox on: drops what is stored at its head, sends the next
 * entries to Redis while it is up. */
void cluster_outbox_kick(struct cluster *k);
/* Redis's answer (reply, NULL when the link went) to outbox entry e. */
void cluster_outbox_numbered(struct cluster *k, struct backlog_entry *e, const redisReply *reply);

#endif
