/* backlog.h: a cluster node's outbox: the batches it keeps on its own disk
 * while the cluster's Redis is away (cluster.h), until Redis has numbered them.
 *
 * A FIFO of entries, each one producer batch (already validated and
 * de-duplicated by the node) of one organization: its events as the store
 * keeps them, the new ones without a position (pos 0: Redis numbers them),
 * events retried with the position they already have. The entries live in
 * memory and, durably, in a spool (spool.h) of their own folder; an entry
 * is acknowledged once that spool is synced, and leaves the FIFO (and the
 * disk) only when the caller says it is in Redis and in the store
 * (backlog_pop). A node killed meanwhile finds its entries again at
 * backlog_open, in order, under the same ids (so that sending one again is
 * recognised: cluster.c's script keeps the answer per id).
 *
 * The FIFO is bounded in bytes: backlog_add refuses past max_bytes. The
 * bytes are all an entry holds in memory: its record, its events' index,
 * the entry itself and what the caller keeps with it (its aux: the caller
 * says how much, backlog_add's extra or backlog_charge).
 *
 * Threads: every function runs on the loop thread; the outbox's own thread
 * appends, fdatasyncs and consumes the spool, and reports syncs through an
 * ev_async on the loop (the `durable` callback, on the loop thread). */
#ifndef WFMON_BACKLOG_H
#define WFMON_BACKLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "store.h"

struct ev_loop;
struct backlog;

enum backlog_state {
	BACKLOG_WRITING,   /* on its way to the disk: not acknowledged yet */
	BACKLOG_READY,     /* durable, to be sent to Redis */
	BACKLOG_SENT,      /* sent to Redis, no answer yet */
	BACKLOG_NUMBERED,  /* numbered by Redis, given to the store */
	BACKLOG_STORED,    /* durable in the store: may leave (backlog_pop) */
};

struct backlog_entry {
	char id[40];                  /* stable across restarts */
	char org[PROTO_MAX_ID + 1];
	char after[64];               /* the caller's stream entry id (see backlog_add); "" for none */
	struct store_event *events;   /* n; json borrows from payload; pos 0: to be numbered */
	size_t n, nnew;               /* events, of which without a position */
	char *payload;                /* owned: the record on disk */
	uint32_t len;
	enum backlog_state state;      /* the caller's, except WRITING -> READY */
	uint64_t ticket;              /* the caller's ticket (the ack's, then the store's); 0: none */
	uint64_t seq;                 /* order of addition */
	void *aux;                    /* the caller's; it frees it before the entry leaves (pop, close) */
	size_t extra;                 /* bytes the caller keeps with it (aux), counted in the bound */
	struct backlog_entry *next;
};

/* Told on the loop thread once entry e is durable (status 0) or could not be
 * made so (status -1, error says why: nothing written since can be trusted). */
typedef void backlog_durable_fn(void *arg, struct backlog_entry *e, int status, const char *error);

/* Opens (creates) the outbox in dir and loads the entries a previous run
 * left (READY, ticket 0), starting its thread. Returns a new outbox, or
 * NULL with a cause. */
struct backlog *backlog_open(const char *dir, uint64_t max_bytes, struct ev_loop *loop, backlog_durable_fn *durable,
			   void *arg, char *cause, size_t causelen);
/* Finishes the writes under way, stops the thread and frees everything. */
void backlog_close(struct backlog *ob);

/* Adds a batch of org (events borrowed, copied; ticket the caller's) at the
 * FIFO's tail, in state WRITING, counting `extra` bytes the caller keeps
 * with it. `after` (a stream entry id of at most 63 bytes without spaces, or
 * "") is kept with it, on disk too: the cluster's reader had applied the
 * stream up to there, so a first copy of its events is further on. Returns
 * -1 (nothing kept) when it would go past the bound or the record is too
 * large, with a cause. */
int backlog_add(struct backlog *ob, const char *org, const char *after, const struct store_event *events, size_t n,
	       size_t extra, uint64_t ticket, char *cause, size_t causelen);
/* Counts `extra` bytes the caller keeps with e from now on, instead of what
 * it said before (for the entries backlog_open found: never refused). */
void backlog_charge(struct backlog *ob, struct backlog_entry *e, size_t extra);

/* The oldest entry, or NULL. */
struct backlog_entry *backlog_head(struct backlog *ob);
/* The newest entry (the one backlog_add just added), or NULL. */
struct backlog_entry *backlog_tail(struct backlog *ob);
/* Removes the head entry (BACKLOG_STORED) for good. */
void backlog_pop(struct backlog *ob);

/* The backlog: entries, events and bytes held (see above); the bound. */
size_t backlog_entries(const struct backlog *ob);
size_t backlog_events(const struct backlog *ob);
uint64_t backlog_bytes(const struct backlog *ob);
uint64_t backlog_max_bytes(const struct backlog *ob);

#endif
