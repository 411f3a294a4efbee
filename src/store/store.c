/* store.c: the store's two threads and their queues (see store.h).
 *
 * The loop thread hands over append batches and queries under the mutex.
 * The spool thread takes every queued batch at once, appends them to the
 * spool with one write and one fdatasync (group commit), posts a DURABLE
 * completion per batch and wakes the loop: acknowledgements depend on the
 * disk alone. The database thread writes what the spool holds into
 * PostgreSQL, runs the queries, and when idle runs retention and a liveness
 * ping; however long PostgreSQL takes (an outage's backlog, a slow query, a
 * hung connection), the spool thread goes on.
 *
 * Invariants: both queues are bounded (records and bytes for appends, a count
 * for queries); each queued item yields exactly one completion, which waits
 * in the done list until the loop thread takes it (it does on every wake);
 * the spool's appending side belongs to the spool thread, its reading side
 * and the PostgreSQL connection to the database thread; `status` is the
 * threads' picture, copied under the mutex; wake() is called without the
 * mutex held; a record leaves the spool only after the transaction that
 * wrote it committed. */
#include "store.h"

#include <malloc.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "pgconn.h"
#include "promtext.h"
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
/* A batch short of WRITE_BATCH_RECORDS goes to PostgreSQL at most this often:
 * at 10,000 events/s, writing at every spool sync made transactions of about
 * 130 records, whose fixed costs (the call, the projections' upserts, the
 * commit) doubled PostgreSQL's CPU per event. Nothing waits on it: acks wait
 * for the spool, and history queries and stopping write what is pending. */
#define WRITE_PARTIAL_EVERY_US 100000LL
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

const unsigned store_sync_bounds_ms[8] = { 1, 5, 10, 25, 50, 100, 250, 1000 };

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
	uint64_t after_append;       /* appends submitted before it (store_append's count) */
	bool parked;                 /* waited for PostgreSQL: no longer counted in qcount */
};

struct store {
	struct store_config cfg;     /* strings owned */
	void (*wake)(void *arg);
	void *wake_arg;
	pthread_t thread;            /* the database thread */
	pthread_t spool_thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;         /* wakes the database thread */
	pthread_cond_t acond;        /* wakes the spool thread */

	/* under mu */
	bool stopping;
	bool spooled;                /* the spool took records the database thread has not seen */
	uint64_t appends_submitted;  /* batches given to store_append */
	uint64_t appends_done;       /* of those, the ones the spool thread has finished */
	struct append_batch *ahead, **atail;
	size_t arecords, abytes;
	struct query_item *qhead, **qtail;
	size_t qcount;
	struct store_done **done;
	size_t ndone, capdone;
	struct store_status status;

	/* the database thread's (and store_new's before it starts); the spool is
	 * shared as spool.h allows */
	struct spool *spool;
	struct pgconn pc;
	struct retention rt;
	struct partitions parts;
	struct rollup_tick rollups;
	int64_t spool_max_pos;
	int64_t last_db_us;          /* last successful PostgreSQL round trip */
	int64_t write_retry_us;      /* after a non-connection write error */
	int64_t partial_after_us;    /* no batch short of WRITE_BATCH_RECORDS before then */
	uint64_t written_total;
	uint64_t write_batches;      /* transactions that wrote events */
	int64_t last_write_ms;
	uint64_t write_us_total;     /* time spent writing events */
	uint64_t rollup_us_total, rollup_facts_total;   /* time and facts of rollup passes */
	json_t *recovered;           /* [[org, event id]] found in the spool at start-up */
	bool migrated;               /* the schema is ready: writes and queries may run */
	int64_t migrate_retry_us;
	int64_t migrate_backoff_ms;
	char migrate_error[256];
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

/* A spool record's payload is
 * {"org":"..","pos":N,"at":MS,"in_size"?:N,"out_size"?:N,"event":{..}}, the
 * record wfmon_apply_events took up to migration 0015; since 0016 the write
 * path scans it into typed columns (batch.h) without parsing the event into
 * a tree. An org is an id: no escaped quote can come before "pos". */
#define PAYLOAD_ORG "{\"org\":\""

static int64_t payload_pos(const char *payload, uint32_t len)
{
	const char *key = "\"pos\":";
	const char *end = payload + len;
	for (const char *p = payload; p + 6 < end; p++)
		if (memcmp(p, key, 6) == 0)
			return strtoll(p + 6, NULL, 10);
	return 0;
}

/* The organization a payload begins with, into org; -1 if it does not. */
static int payload_org(const char *payload, uint32_t len, char org[PROTO_MAX_ID + 1])
{
	size_t skip = strlen(PAYLOAD_ORG);
	if (len <= skip || memcmp(payload, PAYLOAD_ORG, skip) != 0)
		return -1;
	const char *start = payload + skip, *q = memchr(start, '"', len - skip);
	if (q == NULL || q == start || q - start > PROTO_MAX_ID)
		return -1;
	memcpy(org, start, (size_t)(q - start));
	org[q - start] = '\0';
	return proto_id_valid(org) ? 0 : -1;
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
	int64_t start = clock_mono_us();
	int rc = spool_append(s->spool, all, total, cause, sizeof cause);
	if (rc == 0)
		rc = spool_sync(s->spool, cause, sizeof cause);
	uint64_t took = (uint64_t)(clock_mono_us() - start);
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
		s->appends_done++;
	}
	s->status.syncs++;
	s->status.sync_us_total += took;
	promtext_histogram_add(store_sync_bounds_ms, s->status.syncs_le,
			       sizeof s->status.syncs_le / sizeof s->status.syncs_le[0], took);
	/* What left the queue is counted in the spool now, in the same step. */
	s->status.spool_bytes = spool_bytes(s->spool);
	s->status.pending_records = spool_pending(s->spool);
	if (rc == 0)
		s->spooled = true;
	pthread_cond_signal(&s->cond);   /* new records, and appends_done for queries */
	pthread_mutex_unlock(&s->mu);
}

/* The spool thread: appends, syncs, acknowledges; nothing else. */
static void *spool_main(void *arg)
{
	struct store *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->ahead == NULL && !s->stopping)
			pthread_cond_wait(&s->acond, &s->mu);
		struct append_batch *appends = s->ahead;
		s->ahead = NULL;
		s->atail = &s->ahead;
		if (appends == NULL)
			break;   /* stopping, and everything given was synced */
		pthread_mutex_unlock(&s->mu);
		process_appends(s, appends);
		if (s->wake)
			s->wake(s->wake_arg);
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- migrations that had to wait for PostgreSQL --------------------------- */

/* Runs the migrations the daemon could not run at start-up, when their time
 * has come; a failure waits, with the same backoff as the connection. */
static void migrate_when_due(struct store *s)
{
	int64_t now = clock_mono_us();
	if (s->migrated || now < s->migrate_retry_us)
		return;
	char cause[256];
	if (store_migrate(s->cfg.migrate_conninfo, s->cfg.app_role, cause, sizeof cause) == 0) {
		s->migrated = true;
		s->migrate_error[0] = '\0';
		log_info("store: PostgreSQL is there: migrations applied");
		return;
	}
	if (strcmp(cause, s->migrate_error) != 0)
		log_warn("store: migrations are waiting for PostgreSQL: %s", cause);
	snprintf(s->migrate_error, sizeof s->migrate_error, "%s", cause);
	s->migrate_retry_us = clock_mono_us() + s->migrate_backoff_ms * 1000;
	s->migrate_backoff_ms = s->migrate_backoff_ms * 2 > s->pc.max_backoff_ms ? s->pc.max_backoff_ms
										 : s->migrate_backoff_ms * 2;
}

/* PostgreSQL is there and its schema ready. */
static bool db_ready(const struct store *s)
{
	return s->migrated && s->pc.state == STORE_DB_UP;
}

/* ---- writing the spool into PostgreSQL ------------------------------------ */

struct org_group {
	char org[PROTO_MAX_ID + 1];
	struct spool_record **recs;   /* borrowed from the batch, in spool order */
	size_t n;
};

/* Sorts a batch into per-organization lists, in spool order. Records that do
 * not begin as store_append writes them are logged and skipped. */
static size_t group_batch(const struct spool_batch *b, struct org_group *groups)
{
	size_t ngroups = 0;
	for (size_t i = 0; i < b->n; i++) {
		char org[PROTO_MAX_ID + 1];
		if (payload_org(b->records[i].payload, b->records[i].len, org) != 0) {
			log_error("store: skipping an unreadable spool record at position %" PRId64,
				  payload_pos(b->records[i].payload, b->records[i].len));
			continue;
		}
		size_t g = 0;
		while (g < ngroups && strcmp(groups[g].org, org) != 0)
			g++;
		if (g == ngroups) {
			memcpy(groups[g].org, org, sizeof org);
			groups[g].recs = xcalloc(b->n, sizeof *groups[g].recs);
			groups[g].n = 0;
			ngroups++;
		}
		groups[g].recs[groups[g].n++] = &b->records[i];
	}
	return ngroups;
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
	struct org_group *groups = xcalloc(b.n, sizeof *groups);
	size_t ngroups = group_batch(&b, groups);
	int rc = 0;
	for (size_t g = 0; g < ngroups && rc == 0; g++)
		rc = storew_records(&s->pc, groups[g].org, groups[g].recs, groups[g].n, s->cfg.data_cap_bytes);
	for (size_t g = 0; g < ngroups; g++)
		free(groups[g].recs);
	free(groups);
	if (rc != 0)
		return -1;
	spool_consume(s->spool, &b);
	s->written_total += b.n;
	s->write_batches++;
	s->last_write_ms = clock_wall_ms();
	s->last_db_us = clock_mono_us();
	return (long)b.n;
}

/* Writes pending records for up to budget_us; unless forced, a batch short
 * of WRITE_BATCH_RECORDS waits for partial_after_us. */
static void write_pending(struct store *s, int64_t budget_us, bool force)
{
	int64_t start = clock_mono_us();
	if (start < s->write_retry_us)
		return;
	while (spool_pending(s->spool) > 0 && db_ready(s)) {
		int64_t t0 = clock_mono_us();
		if (!force && spool_pending(s->spool) < WRITE_BATCH_RECORDS && t0 < s->partial_after_us)
			return;
		long n = write_one_batch(s);
		s->write_us_total += (uint64_t)(clock_mono_us() - t0);
		if (n < 0) {
			if (s->pc.state == STORE_DB_UP)
				s->write_retry_us = clock_mono_us() + WRITE_RETRY_US;
			return;
		}
		s->partial_after_us = t0 + WRITE_PARTIAL_EVERY_US;
		if (n == 0 || clock_mono_us() - start > budget_us)
			return;
	}
}

/* ---- queries ------------------------------------------------------------- */

static struct store_done *run_query(struct store *s, struct query_item *q)
{
	if (!s->migrated || !pgconn_ensure(&s->pc, clock_mono_us()))
		return done_new(STORE_DONE_QUERY, q->ticket, -1, UNAVAILABLE, NULL);
	/* A query must see every event appended before it: while the spool still
	 * holds some that PostgreSQL has not taken, an answer could have a gap. */
	if (spool_pending(s->spool) > 0 && !store_query_is_put(q->kind) && q->kind != STORE_Q_DB_CONNECTIONS &&
	    q->kind != STORE_Q_DASHBOARD)
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
	if (!store_query_is_put(q->kind) || db_ready(s))
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
	if (s->puts_head == NULL || !db_ready(s))
		return queries;
	*s->puts_tail = queries;
	queries = s->puts_head;
	s->puts_head = NULL;
	s->puts_tail = &s->puts_head;
	s->nputs = 0;
	return queries;
}

/* A history query sees every event appended before it was submitted: it
 * waits for the spool thread to have taken those appends (a group commit,
 * milliseconds), and what the spool holds is written first. */
static void query_catch_up(struct store *s, const struct query_item *q)
{
	pthread_mutex_lock(&s->mu);
	while (s->appends_done < q->after_append && !s->stopping)
		pthread_cond_wait(&s->cond, &s->mu);
	pthread_mutex_unlock(&s->mu);
	if (spool_pending(s->spool) > 0)
		write_pending(s, WRITE_BUDGET_US, true);
}

static void process_queries(struct store *s, struct query_item *queries, bool stopping)
{
	queries = take_waiting_puts(s, queries);
	while (queries) {
		struct query_item *q = queries;
		queries = q->next;
		if (!stopping && put_wait(s, q))
			continue;
		if (!stopping && !store_query_is_put(q->kind))
			query_catch_up(s, q);
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
	if (!db_ready(s) || spool_pending(s->spool) > 0)
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
	if (!db_ready(s))
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

/* Tomorrow's partitions must exist before tomorrow, busy or not (a row with
 * no day partition lands in the default one, which retention trims row by
 * row): checked at start-up and hourly, a few catalog lookups when nothing
 * is missing. */
static void partition_upkeep(struct store *s)
{
	if (!db_ready(s))
		return;
	char err[256];
	int64_t now = clock_mono_us();
	if (now < s->parts.next_us)
		return;
	if (partitions_ensure(s->pc.conn, &s->parts, now, err, sizeof err) < 0) {
		if (!pgconn_check_lost(&s->pc))
			log_warn("store: creating day partitions failed: %s", err);
	} else {
		s->last_db_us = clock_mono_us();
	}
}

/* How long the thread may sleep when nothing is queued. */
static int64_t idle_wait_us(struct store *s)
{
	int64_t now = clock_mono_us();
	int64_t wait = IDLE_WAIT_US;
	if (!s->migrated) {
		int64_t r = s->migrate_retry_us - now;
		return r > 0 ? (r < wait ? r : wait) : 0;
	}
	if (s->pc.state == STORE_DB_CONNECTING)
		return 0;
	if (s->pc.state == STORE_DB_DOWN) {
		int64_t r = pgconn_retry_in(&s->pc, now);
		return r < wait ? r : wait;
	}
	if (spool_pending(s->spool) > 0) {
		bool partial = spool_pending(s->spool) < WRITE_BATCH_RECORDS;
		int64_t r = (partial && s->partial_after_us > s->write_retry_us ? s->partial_after_us
										   : s->write_retry_us) - now;
		return r > 0 ? (r < wait ? r : wait) : 0;
	}
	int64_t r = s->rt.next_us - now;
	if (r < wait)
		wait = r > 0 ? r : 0;
	r = s->parts.next_us - now;
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
	if (s->migrated) {
		s->status.db = s->pc.state;
		snprintf(s->status.db_error, sizeof s->status.db_error, "%s", s->pc.error);
	} else {
		s->status.db = STORE_DB_DOWN;
		snprintf(s->status.db_error, sizeof s->status.db_error, "migrations waiting: %.200s",
			 s->migrate_error[0] ? s->migrate_error : "not tried yet");
	}
	s->status.spool_bytes = spool_bytes(s->spool);
	s->status.pending_records = spool_pending(s->spool);
	s->status.written_total = s->written_total;
	s->status.write_us_total = s->write_us_total;
	s->status.write_batches = s->write_batches;
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

/* The database thread. */
static void *store_main(void *arg)
{
	struct store *s = arg;
	/* The database thread runs at the event loop's priority. Ten nice
	 * steps below it (so that catching up after an outage left the CPU to
	 * acknowledgements) it waited for the CPU 2.5-3.3 times as long as it
	 * ran, at the same priority half as long (schedstat under
	 * tests/bench_ingest.sh, 50,000 events/s offered, the daemon on one
	 * core), while PostgreSQL waited for its next batch; its
	 * work is small now (no JSON trees: about 2 ms of CPU a thousand
	 * events), so it takes no more than that from the loop. */
	for (;;) {
		pthread_mutex_lock(&s->mu);
		if (!s->spooled && s->qhead == NULL && !s->stopping) {
			int64_t wait = idle_wait_us(s);
			if (wait > 0)
				cond_wait_us(s, wait);
		}
		bool spooled = s->spooled;
		s->spooled = false;
		struct query_item *queries = s->qhead;
		s->qhead = NULL;
		s->qtail = &s->qhead;
		bool stopping = s->stopping;
		pthread_mutex_unlock(&s->mu);

		if (!stopping)
			migrate_when_due(s);
		pgconn_ensure(&s->pc, clock_mono_us());
		write_pending(s, stopping ? WRITE_BUDGET_US / 2 : WRITE_BUDGET_US, stopping);
		process_queries(s, queries, stopping);
		if (!stopping) {
			partition_upkeep(s);
			rollup_upkeep(s);
		}
		if (!stopping && !spooled && queries == NULL)
			idle_work(s);
		publish_status(s);
		if (queries && s->wake)
			s->wake(s->wake_arg);
		if (stopping) {
			pthread_mutex_lock(&s->mu);
			bool empty = s->qhead == NULL;
			pthread_mutex_unlock(&s->mu);
			if (empty)
				break;
		}
	}
	return NULL;
}

/* ---- the loop thread's side ---------------------------------------------- */

/* The strings store_new copied. */
static void store_config_free(struct store_config *c)
{
	free((char *)c->conninfo);
	free((char *)c->spool_dir);
	free((char *)c->migrate_conninfo);
	free((char *)c->app_role);
}

struct store *store_new(const struct store_config *cfg, void (*wake)(void *arg), void *wake_arg,
			char *cause, size_t causelen)
{
	struct store *s = xcalloc(1, sizeof *s);
	s->cfg = *cfg;
	s->cfg.conninfo = xstrdup(cfg->conninfo ? cfg->conninfo : "");
	s->cfg.spool_dir = xstrdup(cfg->spool_dir ? cfg->spool_dir : "");
	s->cfg.migrate_conninfo = cfg->migrate_conninfo ? xstrdup(cfg->migrate_conninfo) : NULL;
	s->cfg.app_role = cfg->app_role ? xstrdup(cfg->app_role) : NULL;
	s->migrated = cfg->migrate_conninfo == NULL;
	s->migrate_backoff_ms = 500;
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
		store_config_free(&s->cfg);
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
	pthread_cond_init(&s->acond, NULL);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&s->spool_thread, NULL, spool_main, s);
	if (rc == 0)
		rc = pthread_create(&s->thread, NULL, store_main, s);
	if (rc != 0)
		fatal("cannot start the store threads: %s", strerror(rc));
	return s;
}

void store_free(struct store *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_signal(&s->acond);
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->mu);
	/* Everything given is synced first; then the database thread writes
	 * what it can in its time. */
	pthread_join(s->spool_thread, NULL);
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
	pthread_cond_destroy(&s->acond);
	pthread_mutex_destroy(&s->mu);
	store_config_free(&s->cfg);
	free(s);
}

int64_t store_spool_max_pos(const struct store *s)
{
	return s->spool_max_pos;
}

/* The spool record of an event (see payload_pos), accepted at at_ms (wall
 * time: execution_events.received_at, which picks the row's day partition, so
 * a replayed record is the very same row). malloc'd. */
static char *payload_new(const struct store_event *e, int64_t at_ms)
{
	char sizes[64] = "";
	int k = 0;
	if (e->in_size > 0)
		k += snprintf(sizes + k, sizeof sizes - (size_t)k, ",\"in_size\":%" PRId64, e->in_size);
	if (e->out_size > 0)
		snprintf(sizes + k, sizeof sizes - (size_t)k, ",\"out_size\":%" PRId64, e->out_size);
	const char *json = e->json ? e->json : "null";
	size_t len = e->json && e->len ? e->len : strlen(json);
	return xasprintf(PAYLOAD_ORG "%s\",\"pos\":%" PRId64 ",\"at\":%" PRId64 "%s,\"event\":%.*s}", e->org,
			 e->pos, at_ms, sizes, (int)len, json);
}

int store_append(struct store *s, struct store_event *events, size_t n, uint64_t ticket)
{
	struct append_batch *b = xcalloc(1, sizeof *b);
	b->ticket = ticket;
	b->recs = xcalloc(n ? n : 1, sizeof *b->recs);
	bool too_big = false;
	int64_t at_ms = clock_wall_ms();
	for (size_t i = 0; i < n; i++) {
		char *p = payload_new(&events[i], at_ms);
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
	s->appends_submitted++;
	*s->atail = b;
	s->atail = &b->next;
	pthread_cond_signal(&s->acond);
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
	q->after_append = s->appends_submitted;
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
