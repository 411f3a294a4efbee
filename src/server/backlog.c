/* backlog.c: a cluster node's outbox on its own disk while Redis is away
 * (see backlog.h).
 *
 * A record on disk is one entry:
 *   "WFOB2 <id> <org> <after> <n>\n" then, per event, "<pos> <in> <out> <len>\n<json>\n"
 * (pos 0: not numbered yet; after "-": none). Records of the first format,
 * "WFOB1 <id> <org> <n>\n" (before `after`), are read as with none; a
 * wfmond of that format skips records of this one (logged): empty the
 * outbox (Redis up) before going back to such a version. The spool's CRC guards it; a record that does
 * not parse at open is kept as an empty entry (logged) so that the FIFO and
 * the spool's records stay one to one.
 *
 * Invariants: entries are in the FIFO in seq order; the records queued for
 * the thread are the WRITING entries' payloads in the same order, and every
 * entry with seq < synced_seq has been through a sync (its payload is not
 * freed before: an entry leaves only once STORED, after READY); `writing`
 * is the first WRITING entry; `consume` counts records the thread still has
 * to move the spool's cursor past (entries popped), so the spool's records
 * after its cursor are always the FIFO's entries, oldest first. */
#include "backlog.h"

#include <ev.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "spool.h"
#include "xalloc.h"

#define RECORD_MAGIC "WFOB2"
#define RECORD_MAGIC_1 "WFOB1"
#define READ_BYTES (4u * 1024 * 1024)

struct backlog {
	struct spool *sp;
	struct ev_loop *loop;
	ev_async async;
	backlog_durable_fn *durable;
	void *arg;
	uint64_t max_bytes;
	char token[17];               /* this run's prefix of new entry ids */
	struct backlog_entry *head, *tail, *writing;
	size_t count, nevents;
	uint64_t bytes;
	uint64_t next_seq;

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	/* under mu */
	struct spool_record *queue;   /* payloads borrowed from WRITING entries */
	size_t nqueue, capqueue;
	size_t consume;
	bool stopping;
	bool started;                 /* the thread runs */
	uint64_t synced_seq;
	int status;                   /* -1 once a sync failed (sticky) */
	char error[320];
};

/* ---- records --------------------------------------------------------------- */

static char *record_new(const char *id, const char *org, const char *after, const struct store_event *events,
			size_t n, uint32_t *len_out, char *cause, size_t causelen)
{
	if (after[0] == '\0')
		after = "-";
	size_t total = strlen(RECORD_MAGIC) + strlen(id) + strlen(org) + strlen(after) + 32;
	for (size_t i = 0; i < n; i++)
		total += (events[i].len ? events[i].len : strlen(events[i].json)) + 4 * 24;
	if (total > SPOOL_RECORD_MAX) {
		snprintf(cause, causelen, "the batch is too large for the outbox (%zu bytes, at most %u)", total,
			 SPOOL_RECORD_MAX);
		return NULL;
	}
	char *rec = xmalloc(total);
	size_t at = (size_t)snprintf(rec, total, "%s %s %s %s %zu\n", RECORD_MAGIC, id, org, after, n);
	for (size_t i = 0; i < n; i++) {
		const struct store_event *e = &events[i];
		size_t len = e->len ? e->len : strlen(e->json);
		at += (size_t)snprintf(rec + at, total - at, "%" PRId64 " %" PRId64 " %" PRId64 " %zu\n", e->pos,
				       e->in_size, e->out_size, len);
		memcpy(rec + at, e->json, len);
		at += len;
		rec[at++] = '\n';
	}
	*len_out = (uint32_t)at;
	return xrealloc(rec, at);   /* the bound counts what is held: no slack */
}

/* Reads one space- or newline-ended number at *p (below end); -1 if none. */
static int next_number(const char **p, const char *end, int64_t *v)
{
	char buf[24];
	size_t i = 0;
	while (*p < end && (**p == '-' || (**p >= '0' && **p <= '9')) && i < sizeof buf - 1)
		buf[i++] = *(*p)++;
	if (i == 0 || *p >= end || (**p != ' ' && **p != '\n'))
		return -1;
	buf[i] = '\0';
	(*p)++;
	*v = strtoll(buf, NULL, 10);
	return 0;
}

/* Reads one space-ended word of at most cap - 1 bytes into out; -1 if none. */
static int next_word(const char **p, const char *end, char *out, size_t cap)
{
	const char *sp = memchr(*p, ' ', (size_t)(end - *p));
	if (sp == NULL || sp == *p || (size_t)(sp - *p) >= cap)
		return -1;
	memcpy(out, *p, (size_t)(sp - *p));
	out[sp - *p] = '\0';
	*p = sp + 1;
	return 0;
}

/* Fills e's id, org, after and events from its payload; -1 if it does not parse. */
static int record_parse(struct backlog_entry *e)
{
	const char *p = e->payload, *end = e->payload + e->len;
	char magic[8];
	int64_t n;
	if (next_word(&p, end, magic, sizeof magic) < 0 ||
	    (strcmp(magic, RECORD_MAGIC) != 0 && strcmp(magic, RECORD_MAGIC_1) != 0) ||
	    next_word(&p, end, e->id, sizeof e->id) < 0 || next_word(&p, end, e->org, sizeof e->org) < 0 ||
	    (strcmp(magic, RECORD_MAGIC) == 0 && next_word(&p, end, e->after, sizeof e->after) < 0) ||
	    next_number(&p, end, &n) < 0 || n < 0 || n > (int64_t)e->len)
		return -1;
	if (strcmp(e->after, "-") == 0)
		e->after[0] = '\0';
	e->events = xcalloc((size_t)n + 1, sizeof *e->events);
	for (int64_t i = 0; i < n; i++) {
		struct store_event *se = &e->events[i];
		int64_t len;
		if (next_number(&p, end, &se->pos) < 0 || next_number(&p, end, &se->in_size) < 0 ||
		    next_number(&p, end, &se->out_size) < 0 || next_number(&p, end, &len) < 0 || len <= 0 ||
		    len >= end - p)
			return -1;
		snprintf(se->org, sizeof se->org, "%s", e->org);
		se->json = p;
		se->len = (size_t)len;
		p += len;
		if (*p++ != '\n')
			return -1;
		if (se->pos == 0)
			e->nnew++;
	}
	e->n = (size_t)n;
	return p == end ? 0 : -1;
}

/* ---- the FIFO ------------------------------------------------------------------ */

/* What an entry of a record of len bytes and n events holds in memory,
 * besides the caller's extra. */
static uint64_t entry_bytes(uint32_t len, size_t n)
{
	return sizeof(struct backlog_entry) + len + (n + 1) * sizeof(struct store_event);
}

static void entry_free(struct backlog_entry *e)
{
	free(e->events);
	free(e->payload);
	free(e);
}

static void fifo_push(struct backlog *ob, struct backlog_entry *e)
{
	e->seq = ob->next_seq++;
	if (ob->tail)
		ob->tail->next = e;
	else
		ob->head = e;
	ob->tail = e;
	ob->count++;
	ob->nevents += e->n;
	ob->bytes += entry_bytes(e->len, e->n) + e->extra;
}

static void on_recovered(const char *payload, uint32_t len, void *arg)
{
	struct backlog *ob = arg;
	struct backlog_entry *e = xcalloc(1, sizeof *e);
	e->payload = xmalloc(len + 1);
	memcpy(e->payload, payload, len);
	e->payload[len] = '\0';
	e->len = len;
	if (record_parse(e) < 0) {
		log_warn("cluster outbox: a record does not parse (%u bytes): skipped", len);
		free(e->events);
		e->events = NULL;
		e->n = e->nnew = 0;
		e->id[0] = e->org[0] = '\0';
	}
	e->state = BACKLOG_READY;
	fifo_push(ob, e);
}

struct backlog_entry *backlog_head(struct backlog *ob)
{
	return ob->head;
}

struct backlog_entry *backlog_tail(struct backlog *ob)
{
	return ob->tail;
}

size_t backlog_entries(const struct backlog *ob) { return ob->count; }
size_t backlog_events(const struct backlog *ob) { return ob->nevents; }
uint64_t backlog_bytes(const struct backlog *ob) { return ob->bytes; }
uint64_t backlog_max_bytes(const struct backlog *ob) { return ob->max_bytes; }

/* ---- the thread: appends, syncs, consumes ------------------------------------------ */

static void consume_records(struct backlog *ob, size_t count)
{
	while (count > 0) {
		struct spool_batch b;
		char cause[256];
		if (spool_read(ob->sp, count, READ_BYTES, &b, cause, sizeof cause) != 0) {
			log_error("cluster outbox: %s", cause);
			return;
		}
		if (b.n == 0)
			return;
		spool_consume(ob->sp, &b);
		count -= b.n < count ? b.n : count;
	}
}

static void *backlog_main(void *arg)
{
	struct backlog *ob = arg;
	struct spool_record *mine = NULL;
	size_t capmine = 0;
	pthread_mutex_lock(&ob->mu);
	for (;;) {
		while (ob->nqueue == 0 && ob->consume == 0 && !ob->stopping)
			pthread_cond_wait(&ob->cond, &ob->mu);
		if (ob->nqueue == 0 && ob->consume == 0)
			break;   /* stopping, and nothing left to do */
		size_t n = ob->nqueue, consume = ob->consume;
		if (n > capmine) {
			capmine = ob->capqueue;
			mine = xrealloc(mine, sizeof *mine * capmine);
		}
		if (n > 0)
			memcpy(mine, ob->queue, sizeof *mine * n);
		ob->nqueue = 0;
		ob->consume = 0;
		pthread_mutex_unlock(&ob->mu);
		int rc = 0;
		char cause[256] = "";
		if (n > 0) {
			rc = spool_append(ob->sp, mine, n, cause, sizeof cause);
			if (rc == 0)
				rc = spool_sync(ob->sp, cause, sizeof cause);
			if (rc != 0)
				log_error("cluster outbox: %s", cause);
		}
		if (consume > 0)
			consume_records(ob, consume);
		pthread_mutex_lock(&ob->mu);
		if (n > 0) {
			ob->synced_seq += n;
			if (rc != 0 && ob->status == 0) {
				ob->status = -1;
				snprintf(ob->error, sizeof ob->error, "the outbox could not be synced: %s", cause);
			}
			ev_async_send(ob->loop, &ob->async);
		}
	}
	pthread_mutex_unlock(&ob->mu);
	free(mine);
	return NULL;
}

/* On the loop thread: the entries the thread synced are durable now. */
static void on_async(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)revents;
	struct backlog *ob = w->data;
	pthread_mutex_lock(&ob->mu);
	uint64_t synced = ob->synced_seq;
	int status = ob->status;
	char error[320];
	snprintf(error, sizeof error, "%s", ob->error);
	pthread_mutex_unlock(&ob->mu);
	while (ob->writing != NULL && ob->writing->seq < synced) {
		struct backlog_entry *e = ob->writing;
		ob->writing = e->next;
		e->state = BACKLOG_READY;
		ob->durable(ob->arg, e, status, error);
	}
}

/* ---- the loop thread's side ---------------------------------------------------- */

int backlog_add(struct backlog *ob, const char *org, const char *after, const struct store_event *events, size_t n,
	       size_t extra, uint64_t ticket, char *cause, size_t causelen)
{
	char id[40];
	snprintf(id, sizeof id, "%s-%" PRIu64, ob->token, ob->next_seq);
	uint32_t len;
	char *rec = record_new(id, org, after, events, n, &len, cause, causelen);
	if (rec == NULL)
		return -1;
	if (ob->bytes + entry_bytes(len, n) + extra > ob->max_bytes) {
		snprintf(cause, causelen, "the outbox is full (%" PRIu64 " of %" PRIu64 " bytes)", ob->bytes,
			 ob->max_bytes);
		free(rec);
		return -1;
	}
	struct backlog_entry *e = xcalloc(1, sizeof *e);
	e->payload = rec;
	e->len = len;
	if (record_parse(e) < 0)
		fatal("cluster outbox: a record made here does not parse");
	e->state = BACKLOG_WRITING;
	e->ticket = ticket;
	e->extra = extra;
	fifo_push(ob, e);
	if (ob->writing == NULL)
		ob->writing = e;
	pthread_mutex_lock(&ob->mu);
	if (ob->nqueue == ob->capqueue) {
		ob->capqueue = ob->capqueue ? ob->capqueue * 2 : 64;
		ob->queue = xrealloc(ob->queue, sizeof *ob->queue * ob->capqueue);
	}
	ob->queue[ob->nqueue++] = (struct spool_record){ .payload = e->payload, .len = e->len };
	pthread_cond_signal(&ob->cond);
	pthread_mutex_unlock(&ob->mu);
	return 0;
}

void backlog_charge(struct backlog *ob, struct backlog_entry *e, size_t extra)
{
	ob->bytes = ob->bytes - e->extra + extra;
	e->extra = extra;
}

void backlog_pop(struct backlog *ob)
{
	struct backlog_entry *e = ob->head;
	if (e == NULL || e->state != BACKLOG_STORED)
		fatal("cluster outbox: popping an entry that is not stored");
	ob->head = e->next;
	if (ob->head == NULL)
		ob->tail = NULL;
	ob->count--;
	ob->nevents -= e->n;
	ob->bytes -= entry_bytes(e->len, e->n) + e->extra;
	entry_free(e);
	pthread_mutex_lock(&ob->mu);
	ob->consume++;
	pthread_cond_signal(&ob->cond);
	pthread_mutex_unlock(&ob->mu);
}

struct backlog *backlog_open(const char *dir, uint64_t max_bytes, struct ev_loop *loop, backlog_durable_fn *durable,
			   void *arg, char *cause, size_t causelen)
{
	struct backlog *ob = xcalloc(1, sizeof *ob);
	ob->loop = loop;
	ob->durable = durable;
	ob->arg = arg;
	ob->max_bytes = max_bytes;
	unsigned char rnd[8];
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t v = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
		memcpy(rnd, &v, sizeof rnd);
	}
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(ob->token + 2 * i, 3, "%02x", rnd[i]);
	if (spool_open(dir, 0, on_recovered, ob, &ob->sp, cause, causelen) != 0) {
		backlog_close(ob);
		return NULL;
	}
	ob->synced_seq = ob->next_seq;
	if (ob->count > 0)
		log_info("cluster outbox: %zu batch(es), %zu event(s) kept from the last run, to send once Redis "
			 "is reachable", ob->count, ob->nevents);
	pthread_mutex_init(&ob->mu, NULL);
	pthread_cond_init(&ob->cond, NULL);
	ev_async_init(&ob->async, on_async);
	ob->async.data = ob;
	ev_async_start(loop, &ob->async);
	if (pthread_create(&ob->thread, NULL, backlog_main, ob) != 0) {
		snprintf(cause, causelen, "cannot start the outbox's thread");
		ev_async_stop(loop, &ob->async);
		pthread_mutex_destroy(&ob->mu);
		pthread_cond_destroy(&ob->cond);
		backlog_close(ob);
		return NULL;
	}
	ob->started = true;
	return ob;
}

void backlog_close(struct backlog *ob)
{
	if (ob == NULL)
		return;
	if (ob->started) {
		pthread_mutex_lock(&ob->mu);
		ob->stopping = true;
		pthread_cond_signal(&ob->cond);
		pthread_mutex_unlock(&ob->mu);
		pthread_join(ob->thread, NULL);
		ev_async_stop(ob->loop, &ob->async);
		pthread_mutex_destroy(&ob->mu);
		pthread_cond_destroy(&ob->cond);
	}
	if (ob->sp != NULL)
		spool_close(ob->sp);
	while (ob->head != NULL) {
		struct backlog_entry *e = ob->head;
		ob->head = e->next;
		entry_free(e);
	}
	free(ob->queue);
	free(ob);
}
