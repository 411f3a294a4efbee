/* store.c: the store thread and its queues (see store.h).
 *
 * The loop thread hands over append batches and queries under the mutex; the
 * store thread takes everything queued at once, appends all the batches to the
 * spool with one write and one fdatasync (group commit), posts a DURABLE
 * completion per batch, writes what the spool holds into PostgreSQL, then runs
 * the queries, and when idle runs retention and a liveness ping.
 *
 * Invariants: both queues are bounded (records and bytes for appends, a count
 * for queries); each queued item yields exactly one completion, which waits
 * in the done list until the loop thread takes it (it does on every wake);
 * the spool and the PostgreSQL connection belong to the store thread alone;
 * `status` is the thread's picture, copied under the mutex; wake() is called
 * without the mutex held; a record leaves the spool only after the
 * transaction that wrote it committed. */
#include "store.h"

#include <errno.h>
#include <malloc.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "pgconn.h"
#include "rollup.h"
#include "spool.h"
#include "store_db.h"
#include "xalloc.h"

#define QUEUE_MAX_RECORDS 100000
#define QUEUE_MAX_BYTES (64u * 1024 * 1024)
#define QUERY_QUEUE_MAX 256
#define WRITE_BATCH_RECORDS 1000
#define WRITE_BATCH_BYTES (4u * 1024 * 1024)
#define WRITE_BUDGET_US 2000000LL        /* then queries get their turn */
#define PING_IDLE_US 5000000LL
#define IDLE_WAIT_US 1000000LL
#define WRITE_RETRY_US 1000000LL
#define ROLLUP_BUDGET_US 500000LL        /* of rollup upkeep per turn, then the queues */
#define SPOOL_MAX_DEFAULT (1024ull * 1024 * 1024)
#define DATA_CAP_DEFAULT 65536
#define UNAVAILABLE "the history database is unavailable"

static const char *const db_state_names[] = {
	[STORE_DB_CONNECTING] = "connecting", [STORE_DB_UP] = "up", [STORE_DB_DOWN] = "down",
};

const char *store_db_state_name(enum store_db_state s)
{
	return (unsigned)s <= STORE_DB_DOWN ? db_state_names[s] : "unknown";
}

struct append_batch {
	struct append_batch *next;
	uint64_t ticket;
	size_t n;
	struct spool_record *recs;   /* payloads owned */
	size_t bytes;                /* as they will take on disk */
};

struct query_item {
	struct query_item *next;
	enum store_query_kind kind;
	char org[PROTO_MAX_ID + 1];
	json_t *params;
	uint64_t ticket;
	bool parked;                 /* waited for PostgreSQL: no longer counted in qcount */
};

struct store {
	struct store_config cfg;     /* strings owned */
	void (*wake)(void *arg);
	void *wake_arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;

	/* under mu */
	bool stopping;
	struct append_batch *ahead, **atail;
	size_t arecords, abytes;
	struct query_item *qhead, **qtail;
	size_t qcount;
	struct store_done **done;
	size_t ndone, capdone;
	struct store_status status;

	/* store thread only (and store_new before it starts) */
	struct spool *spool;
	struct pgconn pc;
	struct retention rt;
	struct rollup_tick rollups;
	int64_t spool_max_pos;
	int64_t last_db_us;          /* last successful PostgreSQL round trip */
	int64_t write_retry_us;      /* after a non-connection write error */
	uint64_t written_total;
	int64_t last_write_ms;
	uint64_t write_us_total;     /* time spent writing events */
	uint64_t rollup_us_total, rollup_facts_total;   /* time and facts of rollup passes */
	json_t *recovered;           /* [[org, event id]] found in the spool at start-up */
	/* Puts that arrived while PostgreSQL was away, oldest first, bounded. */
	struct query_item *puts_head, **puts_tail;
	size_t nputs;
	uint64_t puts_dropped;
};

#define PUTS_WAITING_MAX 10000

static void batch_free(struct append_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		free((char *)b->recs[i].payload);
	free(b->recs);
	free(b);
}

static void query_free(struct query_item *q)
{
	json_decref(q->params);
	free(q);
}

/* Called with mu held. */
static void done_push(struct store *s, struct store_done *d)
{
	if (s->ndone == s->capdone) {
		s->capdone = s->capdone ? s->capdone * 2 : 64;
		s->done = xrealloc(s->done, sizeof *s->done * s->capdone);
	}
	s->done[s->ndone++] = d;
}

static struct store_done *done_new(enum store_done_kind kind, uint64_t ticket, int status,
				   const char *error, json_t *result)
{
	struct store_done *d = xcalloc(1, sizeof *d);
	d->kind = kind;
	d->ticket = ticket;
	d->status = status;
	if (error)
		snprintf(d->error, sizeof d->error, "%s", error);
	d->result = result;
	return d;
}

/* ---- spool recovery ------------------------------------------------------ */

/* Payloads are {"org":"..","pos":N,"event":{..}} as store_append builds them;
 * an org is an id, so no escaped quote can come before "pos". */
static int64_t payload_pos(const char *payload, uint32_t len)
{
	const char *key = "\"pos\":";
	const char *end = payload + len;
	for (const char *p = payload; p + 6 < end; p++)
		if (memcmp(p, key, 6) == 0)
			return strtoll(p + 6, NULL, 10);
	return 0;
}

#define RECOVERED_IDS_MAX 1000000

static void on_recovered(const char *payload, uint32_t len, void *arg)
{
	struct store *s = arg;
	int64_t pos = payload_pos(payload, len);
	if (pos > s->spool_max_pos)
		s->spool_max_pos = pos;
	if (json_array_size(s->recovered) >= RECOVERED_IDS_MAX)
		return;
	json_t *rec = json_loadb(payload, len, 0, NULL);
	const char *org = json_string_value(json_object_get(rec, "org"));
	const char *id = json_string_value(json_object_get(json_object_get(rec, "event"), "id"));
	if (org != NULL && id != NULL)
		json_array_append_new(s->recovered, json_pack("[s,s]", org, id));
	json_decref(rec);
}

void store_take_recovered(struct store *s, void (*fn)(const char *org, const char *event_id, void *arg),
			  void *arg)
{
	size_t i;
	json_t *pair;
	json_array_foreach(s->recovered, i, pair)
		fn(json_string_value(json_array_get(pair, 0)), json_string_value(json_array_get(pair, 1)), arg);
	json_array_clear(s->recovered);
}

int store_wait_drained(struct store *s, int timeout_ms)
{
	int64_t end = clock_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		struct store_status st;
		store_get_status(s, &st);
		if (st.pending_records == 0)
			return 0;
		if (st.db == STORE_DB_DOWN || clock_mono_us() >= end)
			return -1;
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
}

/* ---- appends: spool and DURABLE ------------------------------------------ */

static void process_appends(struct store *s, struct append_batch *batches)
{
	size_t total = 0;
	for (struct append_batch *b = batches; b; b = b->next)
		total += b->n;
	struct spool_record *all = xmalloc(sizeof *all * (total ? total : 1));
	size_t k = 0;
	for (struct append_batch *b = batches; b; b = b->next) {
		memcpy(all + k, b->recs, sizeof *all * b->n);
		k += b->n;
	}
	char cause[256] = "";
	int rc = spool_append(s->spool, all, total, cause, sizeof cause);
	if (rc == 0)
		rc = spool_sync(s->spool, cause, sizeof cause);
	free(all);
	if (rc != 0)
		log_error("store: %s", cause);
	pthread_mutex_lock(&s->mu);
	while (batches) {
		struct append_batch *b = batches;
		batches = b->next;
		s->arecords -= b->n;
		s->abytes -= b->bytes;
		done_push(s, done_new(STORE_DONE_DURABLE, b->ticket, rc,
				      rc ? "the event could not be stored; retry later" : NULL, NULL));
		batch_free(b);
	}
	pthread_mutex_unlock(&s->mu);
}

/* ---- writing the spool into PostgreSQL ------------------------------------ */

struct org_group {
	const char *org;     /* borrowed from the parsed payloads */
	json_t *records;
};

static size_t data_size(json_t *v)
{
	return v ? json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
}

/* Parses a batch into per-organization arrays of {"pos","event","in_size"?,
 * "out_size"?}, in spool order. Unreadable records are logged and skipped. */
static size_t group_batch(const struct spool_batch *b, json_t **parsed, struct org_group *groups)
{
	size_t ngroups = 0;
	for (size_t i = 0; i < b->n; i++) {
		json_error_t jerr;
		json_t *p = json_loadb(b->records[i].payload, b->records[i].len, 0, &jerr);
		parsed[i] = p;
		const char *org = json_string_value(json_object_get(p, "org"));
		json_t *event = json_object_get(p, "event");
		if (org == NULL || !json_is_integer(json_object_get(p, "pos")) || !json_is_object(event)) {
			log_error("store: skipping an unreadable spool record (%s)", p ? "missing fields" : jerr.text);
			continue;
		}
		json_t *rec = json_pack("{s:O,s:O}", "pos", json_object_get(p, "pos"), "event", event);
		json_t *in = json_object_get(event, "input"), *out = json_object_get(event, "output");
		if (in)
			json_object_set_new(rec, "in_size", json_integer((json_int_t)data_size(in)));
		if (out)
			json_object_set_new(rec, "out_size", json_integer((json_int_t)data_size(out)));
		size_t g = 0;
		while (g < ngroups && strcmp(groups[g].org, org) != 0)
			g++;
		if (g == ngroups) {
			groups[g].org = org;
			groups[g].records = json_array();
			ngroups++;
		}
		json_array_append_new(groups[g].records, rec);
	}
	return ngroups;
}

/* Applies one group; falls back to one record at a time when the group is
 * refused for its data, dropping (and logging) the records that are refused
 * on their own. Returns 0, or -1 to stop and retry later. */
static int apply_group(struct store *s, struct org_group *g)
{
	char err[256];
	bool permanent;
	char *text = json_dumps(g->records, JSON_COMPACT);
	long n = storew_apply(s->pc.conn, g->org, text, s->cfg.data_cap_bytes, &permanent, err, sizeof err);
	free(text);
	if (n >= 0)
		return 0;
	if (pgconn_check_lost(&s->pc))
		return -1;
	if (!permanent) {
		log_warn("store: writing events for %s failed, retrying: %s", g->org, err);
		return -1;
	}
	size_t i;
	json_t *rec;
	json_array_foreach(g->records, i, rec) {
		json_t *one = json_pack("[O]", rec);
		text = json_dumps(one, JSON_COMPACT);
		json_decref(one);
		n = storew_apply(s->pc.conn, g->org, text, s->cfg.data_cap_bytes, &permanent, err, sizeof err);
		free(text);
		if (n >= 0)
			continue;
		if (pgconn_check_lost(&s->pc))
			return -1;
		if (!permanent)
			return -1;
		log_error("store: dropping event at position %" JSON_INTEGER_FORMAT " of %s: %s",
			  json_integer_value(json_object_get(rec, "pos")), g->org, err);
	}
	return 0;
}

/* One spool batch into PostgreSQL. Returns the records consumed, 0 when
 * there is nothing to do, -1 to stop for now. */
static long write_one_batch(struct store *s)
{
	char cause[256];
	struct spool_batch b;
	if (spool_read(s->spool, WRITE_BATCH_RECORDS, WRITE_BATCH_BYTES, &b, cause, sizeof cause) != 0) {
		log_error("store: %s", cause);
		return -1;
	}
	if (b.n == 0) {
		spool_consume(s->spool, &b);
		return 0;
	}
	json_t **parsed = xcalloc(b.n, sizeof *parsed);
	struct org_group *groups = xcalloc(b.n, sizeof *groups);
	size_t ngroups = group_batch(&b, parsed, groups);
	int rc = 0;
	for (size_t g = 0; g < ngroups && rc == 0; g++)
		rc = apply_group(s, &groups[g]);
	for (size_t g = 0; g < ngroups; g++)
		json_decref(groups[g].records);
	for (size_t i = 0; i < b.n; i++)
		json_decref(parsed[i]);
	free(parsed);
	free(groups);
	if (rc != 0)
		return -1;
	spool_consume(s->spool, &b);
	s->written_total += b.n;
	s->last_write_ms = clock_wall_ms();
	s->last_db_us = clock_mono_us();
	return (long)b.n;
}

static void write_pending(struct store *s, int64_t budget_us)
{
	int64_t start = clock_mono_us();
	if (start < s->write_retry_us)
		return;
	while (spool_pending(s->spool) > 0 && s->pc.state == STORE_DB_UP) {
		int64_t t0 = clock_mono_us();
		long n = write_one_batch(s);
		s->write_us_total += (uint64_t)(clock_mono_us() - t0);
		if (n < 0) {
			if (s->pc.state == STORE_DB_UP)
				s->write_retry_us = clock_mono_us() + WRITE_RETRY_US;
			return;
		}
		if (n == 0 || clock_mono_us() - start > budget_us)
			return;
	}
}

/* ---- queries ------------------------------------------------------------- */

static struct store_done *run_query(struct store *s, struct query_item *q)
{
	if (!pgconn_ensure(&s->pc, clock_mono_us()))
		return done_new(STORE_DONE_QUERY, q->ticket, -1, UNAVAILABLE, NULL);
	/* A query must see every event appended before it: while the spool still
	 * holds some that PostgreSQL has not taken, an answer could have a gap. */
	if (spool_pending(s->spool) > 0 && !store_query_is_put(q->kind) && q->kind != STORE_Q_DB_CONNECTIONS)
		return done_new(STORE_DONE_QUERY, q->ticket, -1,
				"the history database is catching up after an outage: retry shortly", NULL);
	json_t *result;
	char err[256];
	int rc = storeq_run(s->pc.conn, q->kind, q->org, q->params, &result, err, sizeof err);
	if (rc == 0) {
		s->last_db_us = clock_mono_us();
		return done_new(STORE_DONE_QUERY, q->ticket, 0, NULL, result);
	}
	if (rc == STOREQ_BAD_PARAMS)
		return done_new(STORE_DONE_QUERY, q->ticket, -1, err, NULL);
	pgconn_check_lost(&s->pc);
	log_error("store: query failed: %s", err);
	return done_new(STORE_DONE_QUERY, q->ticket, -1, UNAVAILABLE, NULL);
}

/* A put that cannot run now waits for PostgreSQL, up to PUTS_WAITING_MAX
 * (then the oldest goes, counted). Returns true when q was kept. */
static bool put_wait(struct store *s, struct query_item *q)
{
	if (!store_query_is_put(q->kind) || s->pc.state == STORE_DB_UP)
		return false;
	if (!q->parked) {
		q->parked = true;
		pthread_mutex_lock(&s->mu);
		s->qcount--;
		pthread_mutex_unlock(&s->mu);
	}
	q->next = NULL;
	*s->puts_tail = q;
	s->puts_tail = &q->next;
	if (++s->nputs > PUTS_WAITING_MAX) {
		struct query_item *old = s->puts_head;
		s->puts_head = old->next;
		if (s->puts_head == NULL)
			s->puts_tail = &s->puts_head;
		s->nputs--;
		if (s->puts_dropped++ % 1000 == 0)
			log_warn("store: PostgreSQL has been away too long: dropping metrics and audit rows (%" PRIu64 " so far)",
				 s->puts_dropped);
		query_free(old);
	}
	return true;
}

/* The puts that waited go first once PostgreSQL is back. */
static struct query_item *take_waiting_puts(struct store *s, struct query_item *queries)
{
	if (s->puts_head == NULL || s->pc.state != STORE_DB_UP)
		return queries;
	*s->puts_tail = queries;
	queries = s->puts_head;
	s->puts_head = NULL;
	s->puts_tail = &s->puts_head;
	s->nputs = 0;
	return queries;
}

static void process_queries(struct store *s, struct query_item *queries, bool stopping)
{
	queries = take_waiting_puts(s, queries);
	while (queries) {
		struct query_item *q = queries;
		queries = q->next;
		if (!stopping && put_wait(s, q))
			continue;
		struct store_done *d = stopping
			? done_new(STORE_DONE_QUERY, q->ticket, -1, "the daemon is shutting down", NULL)
			: run_query(s, q);
		bool parked = q->parked;
		query_free(q);
		pthread_mutex_lock(&s->mu);
		if (!parked)
			s->qcount--;
		done_push(s, d);
		pthread_mutex_unlock(&s->mu);
	}
}

/* ---- idle work ----------------------------------------------------------- */

static void idle_work(struct store *s)
{
	int64_t now = clock_mono_us();
	if (s->pc.state != STORE_DB_UP || spool_pending(s->spool) > 0)
		return;
	char err[256];
	if (now >= s->rt.next_us) {
		if (retention_pass(s->pc.conn, &s->cfg, &s->rt, now, err, sizeof err) < 0) {
			if (!pgconn_check_lost(&s->pc))
				log_warn("store: retention failed: %s", err);
		} else {
			s->last_db_us = clock_mono_us();
		}
	}
	/* Without traffic a dead server would go unnoticed; ask it now and then. */
	if (s->pc.state == STORE_DB_UP && now - s->last_db_us >= PING_IDLE_US) {
		PGresult *r = pgconn_query(s->pc.conn, "SELECT 1", 0, NULL, err, sizeof err);
		if (r != NULL) {
			PQclear(r);
			s->last_db_us = now;
		} else {
			pgconn_check_lost(&s->pc);
		}
	}
}

/* Rollups follow the stored events every metrics-rollup-interval seconds,
 * busy or not, so that they are never more than that behind. */
static void rollup_upkeep(struct store *s)
{
	if (s->pc.state != STORE_DB_UP)
		return;
	char err[256];
	int64_t now = clock_mono_us(), due = s->rollups.next_us;
	long n = rollup_tick(s->pc.conn, &s->cfg.metrics, &s->rollups, now, ROLLUP_BUDGET_US, err, sizeof err);
	if (n < 0) {
		if (!pgconn_check_lost(&s->pc))
			log_warn("store: rolling up metrics failed: %s", err);
	} else if (s->rollups.next_us != due) {
		s->last_db_us = clock_mono_us();   /* it ran */
		s->rollup_us_total += (uint64_t)(s->last_db_us - now);
		s->rollup_facts_total += (uint64_t)n;
		if (n > 0)
			log_debug("store: rolled up %ld facts in %.1f ms", n, (double)(s->last_db_us - now) / 1000.0);
	}
}

/* How long the thread may sleep when nothing is queued. */
static int64_t idle_wait_us(struct store *s)
{
	int64_t now = clock_mono_us();
	int64_t wait = IDLE_WAIT_US;
	if (s->pc.state == STORE_DB_CONNECTING)
		return 0;
	if (s->pc.state == STORE_DB_DOWN) {
		int64_t r = pgconn_retry_in(&s->pc, now);
		return r < wait ? r : wait;
	}
	if (spool_pending(s->spool) > 0) {
		int64_t r = s->write_retry_us - now;
		return r > 0 ? (r < wait ? r : wait) : 0;
	}
	int64_t r = s->rt.next_us - now;
	if (r < wait)
		wait = r > 0 ? r : 0;
	r = s->last_db_us + PING_IDLE_US - now;
	if (r < wait)
		wait = r > 0 ? r : 0;
	return wait;
}

static void publish_status(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	s->status.db = s->pc.state;
	snprintf(s->status.db_error, sizeof s->status.db_error, "%s", s->pc.error);
	s->status.spool_bytes = spool_bytes(s->spool);
	s->status.pending_records = spool_pending(s->spool);
	s->status.written_total = s->written_total;
	s->status.write_us_total = s->write_us_total;
	s->status.rollup_us_total = s->rollup_us_total;
	s->status.rollup_facts_total = s->rollup_facts_total;
	s->status.last_write_ms = s->last_write_ms;
	pthread_mutex_unlock(&s->mu);
}

static void cond_wait_us(struct store *s, int64_t us)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += us / 1000000;
	ts.tv_nsec += (us % 1000000) * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&s->cond, &s->mu, &ts);
}

static void *store_main(void *arg)
{
	struct store *s = arg;
	for (;;) {
		pthread_mutex_lock(&s->mu);
		if (s->ahead == NULL && s->qhead == NULL && !s->stopping) {
			int64_t wait = idle_wait_us(s);
			if (wait > 0)
				cond_wait_us(s, wait);
		}
		struct append_batch *appends = s->ahead;
		struct query_item *queries = s->qhead;
		s->ahead = NULL;
		s->atail = &s->ahead;
		s->qhead = NULL;
		s->qtail = &s->qhead;
		bool stopping = s->stopping;
		pthread_mutex_unlock(&s->mu);

		bool posted = appends != NULL || queries != NULL;
		if (appends)
			process_appends(s, appends);
		publish_status(s);
		if (posted && s->wake)
			s->wake(s->wake_arg);   /* the DURABLE acks first: they hold producers */

		pgconn_ensure(&s->pc, clock_mono_us());
		write_pending(s, stopping ? WRITE_BUDGET_US / 2 : WRITE_BUDGET_US);
		process_queries(s, queries, stopping);
		if (!stopping)
			rollup_upkeep(s);
		if (!stopping && appends == NULL && queries == NULL)
			idle_work(s);
		publish_status(s);
		if (queries && s->wake)
			s->wake(s->wake_arg);
		if (stopping) {
			pthread_mutex_lock(&s->mu);
			bool empty = s->ahead == NULL && s->qhead == NULL;
			pthread_mutex_unlock(&s->mu);
			if (empty)
				break;
		}
	}
	return NULL;
}

/* ---- the loop thread's side ---------------------------------------------- */

struct store *store_new(const struct store_config *cfg, void (*wake)(void *arg), void *wake_arg,
			char *cause, size_t causelen)
{
	struct store *s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	s->cfg.conninfo = xstrdup(cfg->conninfo ? cfg->conninfo : "");
	s->cfg.spool_dir = xstrdup(cfg->spool_dir ? cfg->spool_dir : "");
	if (s->cfg.spool_max_bytes == 0)
		s->cfg.spool_max_bytes = SPOOL_MAX_DEFAULT;
	if (s->cfg.data_cap_bytes == 0)
		s->cfg.data_cap_bytes = DATA_CAP_DEFAULT;
	s->wake = wake;
	s->wake_arg = wake_arg;
	/* A metrics answer allocates and frees a few megabytes (histograms); by
	 * default glibc hands freed memory back at once, and every answer then
	 * pays page faults for it again (a third of its time, measured). Keep up
	 * to 64 MiB of it. */
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	s->atail = &s->ahead;
	s->qtail = &s->qhead;
	s->puts_tail = &s->puts_head;
	s->recovered = json_array();
	if (spool_open(s->cfg.spool_dir, 0, on_recovered, s, &s->spool, cause, causelen) != 0) {
		json_decref(s->recovered);
		free((char *)s->cfg.conninfo);
		free((char *)s->cfg.spool_dir);
		free(s);
		return NULL;
	}
	if (spool_pending(s->spool) > 0)
		log_info("store: %" PRIu64 " events in the spool from an earlier run will be written again",
			 spool_pending(s->spool));
	pgconn_init(&s->pc, s->cfg.conninfo, cfg->reconnect_max_s);
	retention_init(&s->rt);
	/* A first retention pass soon after start, not at once. */
	s->rt.next_us = clock_mono_us() + 10 * 1000000LL;
	s->last_db_us = clock_mono_us();
	s->status.db = STORE_DB_CONNECTING;
	s->status.spool_bytes = spool_bytes(s->spool);
	s->status.pending_records = spool_pending(s->spool);
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&s->thread, NULL, store_main, s);
	if (rc != 0)
		fatal("cannot start the store thread: %s", strerror(rc));
	return s;
}

void store_free(struct store *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	json_decref(s->recovered);
	while (s->puts_head != NULL) {
		struct query_item *q = s->puts_head;
		s->puts_head = q->next;
		query_free(q);
	}
	for (size_t i = 0; i < s->ndone; i++)
		store_done_free(s->done[i]);
	free(s->done);
	spool_close(s->spool);
	pgconn_close(&s->pc);
	retention_free(&s->rt);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free((char *)s->cfg.conninfo);
	free((char *)s->cfg.spool_dir);
	free(s);
}

int64_t store_spool_max_pos(const struct store *s)
{
	return s->spool_max_pos;
}

int store_append(struct store *s, struct store_event *events, size_t n, uint64_t ticket)
{
	struct append_batch *b = xcalloc(1, sizeof *b);
	b->ticket = ticket;
	b->recs = xcalloc(n ? n : 1, sizeof *b->recs);
	bool too_big = false;
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("{\"org\":\"%s\",\"pos\":%" PRId64 ",\"event\":%s}", events[i].org,
				    events[i].pos, events[i].json ? events[i].json : "null");
		free(events[i].json);
		events[i].json = NULL;
		size_t len = strlen(p);
		b->recs[b->n].payload = p;
		b->recs[b->n].len = (uint32_t)(len > SPOOL_RECORD_MAX ? SPOOL_RECORD_MAX : len);
		b->n++;
		b->bytes += SPOOL_HEADER + len;
		/* Cannot happen with protocol-sized events; refused rather than
		 * failing the whole group-committed write. */
		too_big |= len > SPOOL_RECORD_MAX;
	}
	pthread_mutex_lock(&s->mu);
	bool full = too_big || s->stopping || s->arecords + n > QUEUE_MAX_RECORDS ||
		    s->abytes + b->bytes > QUEUE_MAX_BYTES ||
		    s->status.spool_bytes + s->abytes + b->bytes > s->cfg.spool_max_bytes;
	if (full) {
		s->status.refused_total++;
		pthread_mutex_unlock(&s->mu);
		batch_free(b);
		return -1;
	}
	s->arecords += n;
	s->abytes += b->bytes;
	*s->atail = b;
	s->atail = &b->next;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int store_query(struct store *s, enum store_query_kind kind, const char *org, json_t *params,
		uint64_t ticket)
{
	pthread_mutex_lock(&s->mu);
	if (s->stopping || s->qcount >= QUERY_QUEUE_MAX || org == NULL || !proto_id_valid(org)) {
		pthread_mutex_unlock(&s->mu);
		json_decref(params);
		return -1;
	}
	struct query_item *q = xcalloc(1, sizeof *q);
	q->kind = kind;
	snprintf(q->org, sizeof q->org, "%s", org);
	q->params = params;
	q->ticket = ticket;
	s->qcount++;
	*s->qtail = q;
	s->qtail = &q->next;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

size_t store_take_done(struct store *s, struct store_done **out, size_t max)
{
	pthread_mutex_lock(&s->mu);
	size_t n = s->ndone < max ? s->ndone : max;
	if (n > 0) {
		memcpy(out, s->done, sizeof *out * n);
		memmove(s->done, s->done + n, sizeof *s->done * (s->ndone - n));
		s->ndone -= n;
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

void store_done_free(struct store_done *d)
{
	if (d == NULL)
		return;
	json_decref(d->result);
	free(d);
}

void store_get_status(struct store *s, struct store_status *out)
{
	pthread_mutex_lock(&s->mu);
	*out = s->status;
	pthread_mutex_unlock(&s->mu);
}
