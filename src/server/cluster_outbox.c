/* cluster_outbox.c: a cluster node's outbox in use (see cluster-internal.h;
 * backlog.h keeps the FIFO on disk): the batches the node takes while Redis
 * is away, their pending delivery to the node's own subscribers, and their
 * way to Redis and the store once it is back.
 *
 * Order: a producer's batch joins the outbox when Redis is away or the outbox
 * holds anything (cluster_publish). Entries go to Redis in FIFO order, at most
 * DRAIN_WINDOW of them SENT or NUMBERED at once (drain_inflight counts them),
 * on the one publish link, so Redis numbers them in outbox order; only the
 * head leaves, once STORED. `outboxed` holds the ids of the events in the
 * outbox; each organization's outbox_events counts its new events there.
 *
 * The fence: an entry goes to Redis only once the reader has applied the
 * stream up to its last entry as Redis said after the entry was kept
 * (XREVRANGE on the publish link). A first copy of its events appended
 * before that (a batch whose answer the link lost, taken here by
 * cluster_outbox_take_lost; a producer's retry of a batch that reached the
 * stream) is then applied, and those events keep the position they were
 * delivered at (drain_take_applied) instead of being numbered again. A
 * first copy appended after the fence, which the reader has not applied
 * yet, the publish script finds itself (it looks after the reader's last
 * entry); for an entry a previous run left, after the entry that run's
 * reader had applied when it kept it (e->after, on disk), since this run's
 * reader started at the stream's end.
 *
 * Pending delivery: an entry's new events (pos 0) are delivered as pending
 * event messages (frame_new_pending_event) to this node's rooms once, when
 * the entry is durable (the ack point: nothing is shown that could not be
 * kept), by the routing rules of ingest_item_route, to the subscribers that
 * asked for pending events in their hello (conn_deliver); they are not applied to
 * the live state, which follows the numbered stream. A subscription answered
 * while an entry is READY or SENT gets its events after the answer
 * (cluster_outbox_replay), except those already applied (numbered: a reply
 * lost after Redis ran the script). Each entry's aux is its struct
 * outbox_aux: what routing needs of each new event (route keys) and, until
 * the entry is durable, the parsed events themselves. */
#include "cluster.h"
#include "cluster-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "frame.h"
#include "log.h"
#include "org.h"
#include "pending.h"
#include "publish.h"
#include "room.h"
#include "server.h"
#include "store.h"
#include "xalloc.h"

#define NO_ID UINT32_MAX

/* What routing needs of one new event of an entry: offsets into ids. */
struct route_key {
	enum proto_event_kind kind;
	uint32_t index;                 /* in the entry's events */
	uint32_t event_id, execution_id, workflow_id;   /* workflow_id NO_ID: none */
};

struct outbox_aux {
	struct route_key *keys;
	size_t nkeys, capkeys;
	char *ids;                      /* NUL-ended ids, one after the other */
	size_t idslen, idscap;
	struct ingest_item *items;      /* nitems: the parsed new events until durable, then NULL */
	size_t nitems;
	bool found_at_open;             /* a previous run kept the entry (backlog_open found it) */
	/* Sent in this run already, the publish script told to look for copies
	 * after sent_after: sent again (a lost reply), it is sent the same, so
	 * that the answer Redis kept for it fits it. */
	bool sent;
	char sent_after[64];
};

static struct outbox_aux *aux_new(void)
{
	return xcalloc(1, sizeof(struct outbox_aux));
}

static uint32_t aux_id(struct outbox_aux *x, const char *id)
{
	if (id == NULL)
		return NO_ID;
	size_t len = strlen(id) + 1;
	if (x->idslen + len > x->idscap) {
		x->idscap = (x->idslen + len) * 2;
		x->ids = xrealloc(x->ids, x->idscap);
	}
	uint32_t at = (uint32_t)x->idslen;
	memcpy(x->ids + at, id, len);
	x->idslen += len;
	return at;
}

/* Notes what routing needs of ev, event `index` of the entry. */
static void aux_key(struct outbox_aux *x, size_t index, const struct proto_event *ev)
{
	if (x->nkeys == x->capkeys) {
		x->capkeys = x->capkeys ? x->capkeys * 2 : 8;
		x->keys = xrealloc(x->keys, x->capkeys * sizeof *x->keys);
	}
	struct route_key *rk = &x->keys[x->nkeys++];
	rk->kind = ev->kind;
	rk->index = (uint32_t)index;
	rk->event_id = aux_id(x, ev->event_id);
	rk->execution_id = aux_id(x, ev->execution_id);
	rk->workflow_id = aux_id(x, ev->workflow_id);
}

/* Frees the slack of x's growth: what it holds is what aux_bytes counts. */
static void aux_fit(struct outbox_aux *x)
{
	/* Never empty when shrunk: an entry with no new event has no slack. */
	if (x->nkeys > 0 && x->nkeys < x->capkeys) {
		x->capkeys = x->nkeys;
		x->keys = xrealloc(x->keys, x->capkeys * sizeof *x->keys);
	}
	if (x->idslen > 0 && x->idslen < x->idscap) {
		x->idscap = x->idslen;
		x->ids = xrealloc(x->ids, x->idscap);
	}
}

/* What x keeps for the life of its entry (not its items: they go at the
 * ack point, a sync after they came). */
static size_t aux_bytes(const struct outbox_aux *x)
{
	return sizeof *x + x->capkeys * sizeof *x->keys + x->idscap;
}

static void aux_items_free(struct outbox_aux *x)
{
	ingest_items_free(x->items, x->nitems);
	x->items = NULL;
	x->nitems = 0;
}

static void aux_free(struct outbox_aux *x)
{
	if (x == NULL)
		return;
	aux_items_free(x);
	free(x->keys);
	free(x->ids);
	free(x);
}

/* Event `index` of e as an item (event and ev set, position 0); -1 when it
 * does not parse (the outbox checked it when it took it: logged). */
static int entry_item(const struct backlog_entry *e, size_t index, struct ingest_item *it)
{
	memset(it, 0, sizeof *it);
	const struct store_event *se = &e->events[index];
	json_error_t err;
	it->event = json_loadb(se->json, se->len ? se->len : strlen(se->json), 0, &err);
	struct proto_cause cause;
	if (it->event == NULL || proto_event_validate(it->event, &it->ev, &cause) < 0) {
		log_warn("cluster: an event of outbox entry %s is not readable: not shown pending", e->id);
		ingest_item_clear(it);
		return -1;
	}
	return 0;
}

/* The route keys of an entry a previous run left (parsed once, at start). */
static struct outbox_aux *aux_from_entry(const struct backlog_entry *e)
{
	struct outbox_aux *x = aux_new();
	x->found_at_open = true;
	for (size_t i = 0; i < e->n; i++) {
		struct ingest_item it;
		if (e->events[i].pos != 0 || entry_item(e, i, &it) < 0)
			continue;
		aux_key(x, i, &it.ev);
		ingest_item_clear(&it);
	}
	aux_fit(x);
	return x;
}

/* ---- pending delivery --------------------------------------------------------------------- */

static void pending_publish(struct room *r, const char *text, size_t len, void *arg)
{
	(void)arg;
	room_publish_pending(r, text, len);
}

/* The ack point of e: its new events go, pending, to this node's rooms. */
static void pending_deliver(struct cluster *k, struct backlog_entry *e)
{
	struct outbox_aux *x = e->aux;
	if (x == NULL)
		return;
	struct org *o = server_org(k->s, e->org);
	for (size_t i = 0; i < x->nitems; i++)
		/* Applied already (a batch whose answer was lost): delivered numbered. */
		if (!dedup_seen(&o->dedup, x->items[i].ev.event_id))
			ingest_item_route(o, &x->items[i], pending_publish, NULL);
	aux_items_free(x);
}

/* Whether event i of aux x (of an entry of o) goes to room r as a pending
 * event now: r gets it and it has not been applied (numbered) meanwhile. */
static bool replay_wanted(const struct outbox_aux *x, size_t i, struct org *o, const struct room *r)
{
	const struct route_key *rk = &x->keys[i];
	struct proto_event ev = {
		.kind = rk->kind,
		.event_id = x->ids + rk->event_id,
		.execution_id = x->ids + rk->execution_id,
		.workflow_id = rk->workflow_id == NO_ID ? NULL : x->ids + rk->workflow_id,
	};
	return ingest_event_goes_to(&ev, &r->spec) && !dedup_seen(&o->dedup, ev.event_id);
}

/* The entries whose events a subscription gets after its answer: WRITING
 * ones are delivered when durable, NUMBERED ones on come through the stream. */
static bool replay_entry(const struct backlog_entry *e, const struct org *o)
{
	return e->aux != NULL && (e->state == BACKLOG_READY || e->state == BACKLOG_SENT) &&
	       strcmp(e->org, o->id) == 0;
}

void cluster_outbox_replay(struct cluster *k, struct room *r, struct conn *c)
{
	if (k == NULL || k->outbox == NULL || !c->pending_events)
		return;
	struct org *o = r->org;
	const struct cluster_org *co = strmap_get(&k->orgs, o->id);
	if (co == NULL || co->outbox_events == 0)
		return;
	/* They take at most half of the connection's output limits, the newest
	 * when more are pending: a console subscribing during a long outage is
	 * not cut off as a slow consumer for them; the others come numbered. */
	size_t total = 0;
	for (struct backlog_entry *e = backlog_head(k->outbox); e != NULL; e = e->next)
		for (size_t i = 0; replay_entry(e, o) && i < ((struct outbox_aux *)e->aux)->nkeys; i++)
			total += replay_wanted(e->aux, i, o, r);
	size_t budget = c->q.count < c->q.max_msgs / 2 ? c->q.max_msgs / 2 - c->q.count : 0;
	size_t skip = total > budget ? total - budget : 0;
	for (struct backlog_entry *e = backlog_head(k->outbox); e != NULL; e = e->next) {
		if (!replay_entry(e, o))
			continue;
		const struct outbox_aux *x = e->aux;
		for (size_t i = 0; i < x->nkeys; i++) {
			if (!replay_wanted(x, i, o, r))
				continue;
			if (skip > 0) {
				skip--;
				continue;
			}
			struct ingest_item it;
			if (entry_item(e, x->keys[i].index, &it) < 0)
				continue;
			size_t len;
			const char *text = ingest_item_text_for(&it, &r->spec, &len);
			struct frame *f = text != NULL ? frame_new_pending_event(r->name, text, len) : NULL;
			ingest_item_clear(&it);
			if (f != NULL && c->q.bytes + f->len > c->q.max_bytes / 2) {
				frame_unref(f);
				return;
			}
			if (f != NULL)
				conn_deliver(c, NULL, -1, f);
			frame_unref(f);
		}
	}
}

size_t cluster_outbox_org_events(const struct cluster *k, const char *org)
{
	const struct cluster_org *co = k != NULL ? strmap_get(&k->orgs, org) : NULL;
	return co != NULL ? co->outbox_events : 0;
}

/* ---- taking batches ----------------------------------------------------------------------- */

static void outboxed_key(char *key, size_t len, const char *org, const char *event_id)
{
	snprintf(key, len, "%s\n%s", org, event_id);
}

/* What the id set holds for one id: its entry, its key and (at most) two
 * bucket pointers. */
static size_t outboxed_bytes(const char *org, const char *event_id)
{
	return sizeof(struct strmap_entry) + strlen(org) + 1 + strlen(event_id) + 1 + 2 * sizeof(void *);
}

/* Adds (or removes) the ids of e's events to the outbox's id set; returns
 * the bytes that takes. */
static size_t outboxed_mark(struct cluster *k, const struct backlog_entry *e, bool add)
{
	size_t bytes = 0;
	for (size_t i = 0; i < e->n; i++) {
		json_t *ev = json_loadb(e->events[i].json, e->events[i].len, 0, NULL);
		const char *id = json_string_value(json_object_get(ev, "id"));
		if (id != NULL) {
			char key[2 * PROTO_MAX_ID + 8];
			outboxed_key(key, sizeof key, e->org, id);
			if (add)
				strmap_put(&k->outboxed, key, k);
			else
				strmap_remove(&k->outboxed, key);
			bytes += outboxed_bytes(e->org, id);
		}
		json_decref(ev);
	}
	struct cluster_org *co = cluster_org_of(k, e->org);
	co->outbox_events = add ? co->outbox_events + e->nnew : co->outbox_events - e->nnew;
	return bytes;
}

/* Keeps the batch in the outbox while Redis is away (or the outbox still
 * holds older batches: they go first); the outbox answers the ticket once
 * durable (on_outbox_durable). Past the outbox's bound, or without one, the
 * batch is refused as a whole. */
void cluster_outbox_keep(struct cluster *k, const char *org, struct ingest_batch *b, uint64_t ticket,
			 const char *after)
{
	char cause[256] = "there is no outbox (cluster-outbox-max is 0)";
	char key[2 * PROTO_MAX_ID + 8];
	struct outbox_aux *x = NULL;
	int rc = -1;
	if (k->outbox != NULL) {
		/* Sent again while its first copy waits in the outbox: a duplicate,
		 * as it would be once applied. */
		for (size_t i = b->n; i-- > 0;) {
			outboxed_key(key, sizeof key, org, b->items[i].ev.event_id);
			if (strmap_get(&k->outboxed, key) != NULL)
				ingest_drop_duplicate(b, i);
		}
		/* The bound counts what the node keeps for each event besides its
		 * record: its route keys and its place in the id set. */
		x = aux_new();
		size_t extra = 0;
		for (size_t i = 0; i < b->n; i++) {
			aux_key(x, i, &b->items[i].ev);
			extra += outboxed_bytes(org, b->items[i].ev.event_id);
		}
		aux_fit(x);
		extra += aux_bytes(x);
		size_t m;
		struct store_event *all = cluster_batch_events_new(k, org, b, &m);
		rc = backlog_add(k->outbox, org, after, all, m, extra, ticket, cause, sizeof cause);
		free(all);
	}
	if (rc < 0) {
		aux_free(x);
		if (!k->outbox_full_logged)
			log_warn("cluster: Redis is away and %s: new batches are refused until it drains", cause);
		k->outbox_full_logged = true;
		cluster_refuse(k, b, ticket, "the cluster's Redis is away and this node's outbox is full: nothing of this "
		       "batch was acknowledged, retry later");
		return;
	}
	struct backlog_entry *e = backlog_tail(k->outbox);
	for (size_t i = 0; i < b->n; i++) {
		outboxed_key(key, sizeof key, org, b->items[i].ev.event_id);
		strmap_put(&k->outboxed, key, k);
	}
	cluster_org_of(k, org)->outbox_events += e->nnew;
	cluster_pending_ack_set(k->s, ticket, b);
	/* The new events wait, parsed, for the ack point (on_outbox_durable),
	 * where they are delivered pending. */
	x->items = b->items;
	x->nitems = b->n;
	b->items = NULL;
	b->n = 0;
	e->aux = x;
}

/* A producer's batch whose answer the link lost (see cluster-internal.h). */
bool cluster_outbox_take_lost(struct cluster *k, struct flight *f)
{
	const struct pending *p = pending_find(k->s, f->ticket);
	if (k->outbox == NULL || (p != NULL && p->kind != PENDING_ACK))
		return false;
	log_warn("cluster: the answer to a batch of %zu event(s) of %s was lost with the link: kept in the outbox, "
		 "sent once the stream is read up to now", f->b.n, f->org);
	k->lost_replies_total++;
	/* A first copy Redis appended is after where the reader stood when
	 * the batch went: a run after a kill -9 looks from there. */
	cluster_outbox_keep(k, f->org, &f->b, f->ticket, f->sent_after);
	return true;
}

/* ---- the way to Redis and the store --------------------------------------------------------- */

static bool entry_numbered(const struct backlog_entry *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->events[i].pos == 0)
			return false;
	return true;
}

/* An entry that was given up on for now (Redis or the store failed): sent again later. */
static void drain_retreat(struct cluster *k, struct backlog_entry *e)
{
	e->state = BACKLOG_READY;
	e->ticket = 0;
	k->drain_inflight--;
}

/* Gives the numbered entry to the store; on_outbox_stored follows. */
static void drain_store(struct cluster *k, struct backlog_entry *e)
{
	struct server *s = k->s;
	if (e->n == 0) {
		e->state = BACKLOG_STORED;
		k->drain_inflight--;
		return;
	}
	struct pending *p = pending_new(s, PENDING_OUTBOX, NULL);
	e->ticket = p->ticket;
	e->state = BACKLOG_NUMBERED;
	if (store_append(s->store, e->events, e->n, p->ticket) < 0) {
		pending_free(pending_take(s, p->ticket));
		drain_retreat(k, e);
		k->drain_blocked = true;
	}
}

/* Events of e the reader has applied since e was kept keep the position
 * they were delivered at, instead of a second one: a batch whose answer the
 * link lost (Redis had run the script), or a producer's retry of a batch
 * whose first copy is in the stream. Behind the fence the reader has seen
 * every entry appended before e was kept, so a first copy is applied by now
 * or was never appended. An event applied too long ago to be among the
 * recent events is numbered again (delivered once all the same: every
 * node's dedup skips the second copy) and said in the log. */
static void drain_take_applied(struct cluster *k, struct backlog_entry *e)
{
	const struct outbox_aux *x = e->aux;
	if (x == NULL || e->nnew == 0)
		return;
	struct org *o = server_org(k->s, e->org);
	size_t taken = 0, lost = 0;
	for (size_t i = 0; i < x->nkeys; i++) {
		struct store_event *se = &e->events[x->keys[i].index];
		const char *id = x->ids + x->keys[i].event_id;
		if (se->pos != 0 || !dedup_seen(&o->dedup, id))
			continue;
		int64_t pos = cluster_applied_pos(k, e->org, id);
		if (pos <= 0) {
			lost++;
			continue;
		}
		se->pos = pos;
		e->nnew--;
		taken++;
	}
	cluster_org_of(k, e->org)->outbox_events -= taken;
	if (taken > 0)
		log_info("cluster: %zu event(s) of outbox batch %s were in the stream already: stored at the positions "
			 "delivered", taken, e->id);
	if (lost > 0)
		log_warn("cluster: %zu event(s) of outbox batch %s were applied too long ago to know their position: "
			 "numbered again (delivered once, stored under the new position)", lost, e->id);
}

/* The ids of e's events without a position, one a line in event order (as
 * cluster_events_text_new writes their texts): "" for one whose id the
 * route keys lack (it did not parse). Returns a new text. */
static char *entry_ids_new(const struct backlog_entry *e)
{
	const struct outbox_aux *x = e->aux;
	const char **ids = xcalloc(e->nnew + 1, sizeof *ids);
	size_t n = 0, key = 0;
	for (size_t i = 0; i < e->n && n < e->nnew; i++) {
		if (e->events[i].pos != 0)
			continue;
		while (x != NULL && key < x->nkeys && x->keys[key].index < i)
			key++;
		ids[n++] = x != NULL && key < x->nkeys && x->keys[key].index == i ? x->ids + x->keys[key].event_id : "";
	}
	char *text = cluster_lines_new(ids, n);
	free(ids);
	return text;
}

/* Sends the READY entry: to Redis to be numbered, or straight to the store
 * when every event of it has its position (retries only, events found
 * applied, or numbered before the store refused it). */
static void drain_send(struct cluster *k, struct backlog_entry *e)
{
	k->drain_inflight++;
	e->state = BACKLOG_SENT;
	struct outbox_aux *x = e->aux;
	if (x == NULL || !x->sent)
		drain_take_applied(k, e);
	if (entry_numbered(e)) {
		drain_store(k, e);
		return;
	}
	struct flight *f = xcalloc(1, sizeof *f);
	f->k = k;
	f->oe = e;
	snprintf(f->org, sizeof f->org, "%s", e->org);
	char *text = cluster_events_text_new(e->events, e->n);
	char *ids = entry_ids_new(e);
	/* This run's reader applied the stream up to last_id (drain_take_applied
	 * used that); an entry of a previous run was kept after e->after, and
	 * what lies between was never applied here. */
	if (x != NULL && !x->sent) {
		x->sent = true;
		snprintf(x->sent_after, sizeof x->sent_after, "%s", x->found_at_open ? e->after : k->last_id);
	}
	const char *after = x != NULL ? x->sent_after : k->last_id;
	int rc = cluster_script_send(k, f, server_org(k->s, e->org)->pos, e->nnew, text, ids, after, e->id);
	free(ids);
	free(text);
	if (rc < 0) {
		free(f);
		drain_retreat(k, e);
	}
}

/* ---- the fence ------------------------------------------------------------------------------ */

/* Stream entry ids "MS-SEQ" in stream order. */
static int stream_id_cmp(const char *a, const char *b)
{
	char *end;
	unsigned long long ams = strtoull(a, &end, 10), aseq = *end == '-' ? strtoull(end + 1, NULL, 10) : 0;
	unsigned long long bms = strtoull(b, &end, 10), bseq = *end == '-' ? strtoull(end + 1, NULL, 10) : 0;
	if (ams != bms)
		return ams < bms ? -1 : 1;
	return aseq < bseq ? -1 : aseq > bseq;
}

static void on_fence(redisAsyncContext *ac, void *r, void *privdata)
{
	(void)ac;
	struct cluster *k = privdata;
	const redisReply *reply = r;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
		k->fence = FENCE_NONE;   /* asked again at the next kick */
		return;
	}
	/* [[id, [fields]]], or [] for an empty stream. */
	const redisReply *last = reply->elements > 0 ? reply->element[0] : NULL;
	snprintf(k->fence_id, sizeof k->fence_id, "%s",
		 last != NULL && last->type == REDIS_REPLY_ARRAY && last->elements > 0 &&
		 last->element[0]->type == REDIS_REPLY_STRING ? last->element[0]->str : "0-0");
	k->fence = FENCE_SET;
	cluster_outbox_kick(k);
}

/* While the drain waits for the reader to reach the fence; with a link
 * down it stops (the watchdog's kick, every second, tries again). */
static void fence_wait_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct cluster *k = w->data;
	if (k->cmd.state != LINK_UP || k->rd.state != LINK_UP)
		ev_timer_stop(loop, w);
	cluster_outbox_kick(k);
}

/* Whether e may go to Redis now: the fence covers it (asked after e was
 * kept) and the reader has applied the stream up to it. Asks for a fence
 * that covers every entry kept so far when e is not covered yet; the drain
 * waits meanwhile (a timer checks the reader). */
static bool fence_passed(struct cluster *k, const struct backlog_entry *e)
{
	if (k->fence == FENCE_SET && e->seq < k->fence_covers) {
		if (stream_id_cmp(k->last_id, k->fence_id) >= 0) {
			ev_timer_stop(k->loop, &k->fence_wait);
			return true;
		}
		if (!ev_is_active(&k->fence_wait) && k->rd.state == LINK_UP)
			ev_timer_start(k->loop, &k->fence_wait);
		return false;
	}
	if (k->fence == FENCE_ASKED)
		return false;
	if (redisAsyncCommand(k->cmd.ac, on_fence, k, "XREVRANGE %s + - COUNT 1", CLUSTER_STREAM_KEY) == REDIS_OK) {
		k->fence = FENCE_ASKED;
		k->fence_covers = backlog_tail(k->outbox)->seq + 1;
	}
	return false;
}

/* Moves the outbox on: drops the stored entries at its head, sends the next
 * ones in order (a window of them) while Redis is up and the reader knows
 * where it stands (so that this node applies its own entries too) and has
 * passed the fence. */
void cluster_outbox_kick(struct cluster *k)
{
	if (k->outbox == NULL || k->stopping)
		return;
	struct backlog_entry *e;
	while ((e = backlog_head(k->outbox)) != NULL && e->state == BACKLOG_STORED) {
		outboxed_mark(k, e, false);
		aux_free(e->aux);
		e->aux = NULL;
		backlog_pop(k->outbox);
	}
	if (e == NULL && k->outbox_full_logged) {
		log_info("cluster: the outbox is empty again; batches are taken as usual");
		k->outbox_full_logged = false;
	}
	if (k->cmd.state != LINK_UP || k->last_id[0] == '\0' || k->drain_blocked)
		return;
	for (; e != NULL && e->state != BACKLOG_WRITING && k->drain_inflight < DRAIN_WINDOW; e = e->next) {
		if (e->state != BACKLOG_READY)
			continue;
		if (!fence_passed(k, e))
			break;
		drain_send(k, e);
	}
}

void cluster_outbox_numbered(struct cluster *k, struct backlog_entry *e, const redisReply *reply)
{
	struct script_answer a;
	if (!cluster_script_answer(k, reply, e->nnew, &a)) {
		drain_retreat(k, e);
		if (reply != NULL) {
			/* Redis answered but refused: start again on a new link, later. */
			log_warn("cluster: the outbox could not send a batch: %s",
				 reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
			if (k->cmd.ac != NULL)
				redisAsyncDisconnect(k->cmd.ac);
		}
		return;
	}
	/* Those numbered already (another node had them first) keep that
	 * position; the others take the new ones, in order. */
	int64_t next = a.last - (int64_t)(e->nnew - a.nknown) + 1;
	size_t sent = 0, j = 0;
	for (size_t i = 0; i < e->n; i++) {
		if (e->events[i].pos != 0)
			continue;
		if (j < a.nknown && cluster_known_index(&a, j) == sent)
			e->events[i].pos = cluster_known_pos(&a, j++);
		else
			e->events[i].pos = next++;
		sent++;
	}
	e->nnew -= a.nknown;
	cluster_org_of(k, e->org)->outbox_events -= a.nknown;
	k->published_total += e->nnew;
	drain_store(k, e);
}

static void on_outbox_durable(void *arg, struct backlog_entry *e, int status, const char *error)
{
	struct cluster *k = arg;
	struct server *s = k->s;
	struct pending *p = e->ticket ? pending_take(s, e->ticket) : NULL;
	e->ticket = 0;
	if (status == 0) {
		k->outboxed_total += e->nnew;
		pending_deliver(k, e);
	}
	if (p != NULL) {
		publish_durable(s, p, status, error);
		pending_free(p);
	} else if (status != 0) {
		server_fail(s, error);
	}
	cluster_outbox_kick(k);
}

void cluster_outbox_stored(struct cluster *k, uint64_t ticket, int status, const char *error)
{
	for (struct backlog_entry *e = k->outbox ? backlog_head(k->outbox) : NULL; e != NULL; e = e->next) {
		if (e->state != BACKLOG_NUMBERED || e->ticket != ticket)
			continue;
		if (status == 0) {
			e->state = BACKLOG_STORED;
			e->ticket = 0;
			k->drain_inflight--;
		} else {
			log_warn("cluster: an outbox batch was not stored (%s): sent again later", error);
			drain_retreat(k, e);
			k->drain_blocked = true;
		}
		break;
	}
	cluster_outbox_kick(k);
}

/* ---- lifetime ----------------------------------------------------------------------------- */

int cluster_outbox_open(struct cluster *k, char *cause, size_t causelen)
{
	struct server *s = k->s;
	strmap_init(&k->outboxed);
	ev_timer_init(&k->fence_wait, fence_wait_cb, 0.01, 0.01);
	k->fence_wait.data = k;
	if (s->cfg.cluster_outbox_max == 0)
		return 0;
	char *dir = xasprintf("%s/outbox", s->cfg.spool_dir);
	k->outbox = backlog_open(dir, s->cfg.cluster_outbox_max, k->loop, on_outbox_durable, k, cause, causelen);
	free(dir);
	if (k->outbox == NULL) {
		strmap_clear(&k->outboxed);
		return -1;
	}
	for (struct backlog_entry *e = backlog_head(k->outbox); e != NULL; e = e->next) {
		size_t extra = outboxed_mark(k, e, true);
		e->aux = aux_from_entry(e);
		backlog_charge(k->outbox, e, extra + aux_bytes(e->aux));
	}
	return 0;
}

void cluster_outbox_close(struct cluster *k)
{
	ev_timer_stop(k->loop, &k->fence_wait);
	for (struct backlog_entry *e = k->outbox ? backlog_head(k->outbox) : NULL; e != NULL; e = e->next) {
		aux_free(e->aux);
		e->aux = NULL;
	}
	backlog_close(k->outbox);
	k->outbox = NULL;
	strmap_clear(&k->outboxed);
}
