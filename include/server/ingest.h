/* ingest.h: accepting a batch of events from a producer, over WebSocket or
 * HTTP alike, in two steps so that nothing is delivered that could not be kept:
 *
 *   ingest_prepare  validates each event, recognises retries (already accepted,
 *                   or twice in this batch), gives each new one its position
 *                   and serializes it (once: the store and the rooms share the
 *                   text);
 *   ingest_commit   (once the store took them, or when there is no store)
 *                   applies them to the live state and routes them to the rooms;
 *   ingest_refuse   (the store is full) answers each new event "unavailable",
 *                   so that the producer retries it later.
 *
 * One bad event never drops the others of its batch. */
#ifndef WFMON_INGEST_H
#define WFMON_INGEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "proto.h"
#include "store.h"

struct org;

struct ingest_item {
	json_t *event;            /* reference */
	struct proto_event ev;    /* decodes event (borrows from it) */
	int64_t pos;
	size_t result_index;      /* its entry in results */
	/* Its serializations, each made once, when first needed (owned): */
	char *text;               /* as event messages carry it: the execution room's */
	size_t text_len;
	char *summary;            /* the same without input and output: the dashboards' rooms */
	size_t summary_len;
	char *exact;              /* in full precision for the store, when text is not exact */
};

struct ingest_batch {
	json_t *results;          /* one result object per event, in order */
	int accepted;             /* new events and retries (both acknowledged) */
	int rejected;
	struct ingest_item *items;   /* the new events */
	struct store_event *stored;  /* the same for the store, borrowing the items' texts */
	size_t n;
	json_t *retried;          /* cluster mode: events already applied, sent again (array, or NULL) */
	/* Cluster mode: events Redis found numbered already (at pos) by a stream
	 * entry this node had not applied yet; stored, not delivered (owned). */
	struct ingest_item *known;
	size_t nknown;
};

/* Processes an array of events for org (step 1); serializes the new ones into
 * b->stored only when they are to be stored. */
void ingest_prepare(struct org *o, json_t *events, bool for_store, struct ingest_batch *b);
/* The same for events the daemon makes itself (control.requested): the kinds
 * producers may not send are allowed. */
void ingest_prepare_own(struct org *o, json_t *events, bool for_store, struct ingest_batch *b);
/* The text an event was parsed from (borrowed). */
struct ingest_text {
	const char *text;
	size_t len;
};
/* For the cluster's reader (cluster.h): the events of one stream entry, the
 * event at index i at position first_pos + i; nothing is stored; events
 * already applied are skipped. texts (or NULL) are the texts the events were
 * parsed from, as another node's ingest_item_store wrote them: where that is
 * the text messages carry (every number exact), it is kept as the item's
 * text instead of serializing the event again (a text written by
 * proto_event_text_new reads back into an event it writes the same way). */
void ingest_prepare_at(struct org *o, json_t *events, const struct ingest_text *texts, int64_t first_pos,
		       struct ingest_batch *b);
/* For the cluster's reader, an entry this node appended itself: items[0..n),
 * prepared when the producer sent them and since numbered, become b's items
 * (b owns the array), so that they are neither validated nor serialized
 * again; those applied meanwhile (another node had the same event first) are
 * dropped. b->results stays NULL. */
void ingest_batch_adopt(struct org *o, struct ingest_item *items, size_t n, struct ingest_batch *b);
/* Whether room `spec` gets ev (only its kind and ids are read): the routing
 * rules, for an event not parsed yet. */
bool ingest_event_goes_to(const struct proto_event *ev, const struct proto_room *spec);
/* The text room `spec` carries item it with (borrowed, made on first use),
 * or NULL when that room does not get it: the routing rules of
 * ingest_commit, for replaying an event to one room. */
const char *ingest_item_text_for(struct ingest_item *it, const struct proto_room *spec, size_t *len);
/* Calls fn(room, text, len, arg) for each room of o that exists and gets
 * item it, with the text it carries there (borrowed, made on first use):
 * the routing rules of ingest_commit, for any way of delivering the item. */
struct room;
typedef void ingest_room_fn(struct room *r, const char *text, size_t len, void *arg);
void ingest_item_route(struct org *o, struct ingest_item *it, ingest_room_fn *fn, void *arg);
/* Step 2, when the events are kept (or there is no store). */
void ingest_commit(struct org *o, struct ingest_batch *b);
/* New event i of b turns out to be a retry after all (the cluster's outbox
 * holds its first copy): answered "duplicate" (acknowledged), taken out of
 * the batch's new events. */
void ingest_drop_duplicate(struct ingest_batch *b, size_t i);
/* New event i of b turns out to be numbered already, at pos, by a stream
 * entry this node has not applied yet (cluster.c's publish script found it):
 * answered "duplicate" like a retry and taken out of the new events, but
 * kept in b->known with that position, for the store. */
void ingest_take_known(struct ingest_batch *b, size_t i, int64_t pos);
/* Step 2, when the store refused them. */
void ingest_refuse(struct ingest_batch *b, const char *message);
/* What the store keeps of item it of org: the message text when it is exact,
 * else a full-precision one (made once, kept in it). se borrows from it. */
void ingest_item_store(struct ingest_item *it, const char *org, struct store_event *se);
/* Frees an item's event reference and texts; it is zeroed. */
void ingest_item_clear(struct ingest_item *it);
/* Frees items[0..n) and the array (NULL: nothing). */
void ingest_items_free(struct ingest_item *items, size_t n);
/* Frees the items (and any serialized events the store did not take);
 * results stay with the caller, who decrefs them. */
void ingest_batch_clear(struct ingest_batch *b);
/* Moves src's items, texts and retries into dst (src keeps none of them)
 * and shares its results (dst takes a reference of its own). */
void ingest_batch_take(struct ingest_batch *dst, struct ingest_batch *src);

#endif
