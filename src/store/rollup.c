/* rollup.c: the performance rollups: their upkeep from the write path's
 * facts, their rebuild from stored history, and reading rows back (see
 * rollup.h).
 *
 * Invariants: a fact is added to its rows and the watermark moves past it in
 * the same transaction, so it counts once; rows are merged by adding counts
 * and histograms (associative), so the order facts arrive in does not matter;
 * everything runs in a transaction that has set the organization, and row-level
 * security keeps it to that organization's rows; results are read in binary
 * format (no hex for the histograms). Memory is bounded: a catch-up reads at
 * most its limit of facts, a rebuild holds only the blocks still open in a
 * time-ordered stream. */
#include "rollup.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "pgarray.h"
#include "pgconn.h"
#include "store_db.h"
#include "xalloc.h"

#define WRITE_ROWS 1000          /* rows per upsert statement */
#define FETCH_ROWS "20000"       /* rows per cursor fetch in a rebuild */
#define OUTBOX_ROWS 5000         /* finished rows written together in a rebuild */
#define TICK_FACTS 20000         /* facts per catch-up step of the periodic upkeep */
#define TICK_SOON_US 1000000LL   /* more to do: come back after this */

/* ---- binary columns ----------------------------------------------------------------- */

static int64_t col_i64(const PGresult *r, int row, int col)
{
	uint64_t v = 0;
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 8)
		return -1;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

static int32_t col_i32(const PGresult *r, int row, int col)
{
	uint32_t v;
	if (PQgetisnull(r, row, col) || PQgetlength(r, row, col) != 4)
		return -1;
	memcpy(&v, PQgetvalue(r, row, col), 4);
	return (int32_t)ntohl(v);
}

/* A text column as a NUL-terminated copy into buf (cut to len - 1). */
static const char *col_text(const PGresult *r, int row, int col, char *buf, size_t len)
{
	if (PQgetisnull(r, row, col)) {
		buf[0] = '\0';
		return NULL;
	}
	size_t n = (size_t)PQgetlength(r, row, col);
	if (n > len - 1)
		n = len - 1;
	memcpy(buf, PQgetvalue(r, row, col), n);
	buf[n] = '\0';
	return buf;
}

void rollup_row_keys(const PGresult *r, int row, struct rollup_row *out)
{
	col_text(r, row, 0, out->workflow_id, sizeof out->workflow_id);
	col_text(r, row, 1, out->step_id, sizeof out->step_id);
	out->span_ms = (int64_t)col_i32(r, row, 2) * METRICS_HOUR_MS;
	out->start_ms = col_i64(r, row, 3);
}

int rollup_row_add(const PGresult *r, int row, struct metrics_agg *to)
{
	/* The histogram first: a damaged one leaves `to` as it was. */
	if (hist_decode_merge(&to->dur, (const uint8_t *)PQgetvalue(r, row, 9), (size_t)PQgetlength(r, row, 9)) != 0)
		return -1;
	to->completed += (uint64_t)col_i64(r, row, 4);
	to->failed += (uint64_t)col_i64(r, row, 5);
	to->cancelled += (uint64_t)col_i64(r, row, 6);
	to->wait_count += (uint64_t)col_i64(r, row, 7);
	to->wait_sum_ms += (uint64_t)col_i64(r, row, 8);
	return 0;
}

int rollup_row_read(const PGresult *r, int row, struct rollup_row *out)
{
	rollup_row_keys(r, row, out);
	return rollup_row_add(r, row, &out->agg);
}

/* ---- rows being built ----------------------------------------------------------------- */

void rollup_acc_init(struct rollup_acc *a)
{
	memset(a, 0, sizeof *a);
	strmap_init(&a->map);
}

static void acc_clear(struct rollup_acc *a)
{
	for (size_t i = 0; i < a->n; i++) {
		metrics_agg_free(&a->rows[i]->agg);
		free(a->rows[i]);
	}
	a->n = 0;
	strmap_clear(&a->map);
	strmap_init(&a->map);
}

void rollup_acc_free(struct rollup_acc *a)
{
	acc_clear(a);
	strmap_clear(&a->map);
	free(a->rows);
	memset(a, 0, sizeof *a);
}

static void row_key(char *buf, size_t len, const char *wf, const char *step, int64_t span_ms, int64_t start_ms)
{
	snprintf(buf, len, "%s\x1f%s\x1f%" PRId64 "\x1f%" PRId64, wf, step, span_ms, start_ms);
}

static struct rollup_row *acc_row(struct rollup_acc *a, const char *wf, const char *step, int64_t span_ms,
				  int64_t start_ms)
{
	char key[2 * PROTO_MAX_ID + 64];
	row_key(key, sizeof key, wf, step, span_ms, start_ms);
	struct rollup_row *r = strmap_get(&a->map, key);
	if (r != NULL)
		return r;
	r = xcalloc(1, sizeof *r);
	snprintf(r->workflow_id, sizeof r->workflow_id, "%s", wf);
	snprintf(r->step_id, sizeof r->step_id, "%s", step);
	r->span_ms = span_ms;
	r->start_ms = start_ms;
	metrics_agg_init(&r->agg);
	strmap_put(&a->map, key, r);
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 64;
		a->rows = xrealloc(a->rows, sizeof *a->rows * a->cap);
	}
	a->rows[a->n++] = r;
	return r;
}

static void add_level(struct rollup_acc *a, int level, const char *wf, const char *step, const char *status,
		      int64_t t, int64_t dur_ms, int64_t wait_ms)
{
	int64_t span = metrics_levels_ms[level];
	metrics_agg_add(&acc_row(a, wf, step, span, metrics_floor(t, span))->agg, status, dur_ms, wait_ms);
}

void rollup_acc_execution(struct rollup_acc *a, const char *workflow_id, const char *status, int64_t finished_ms,
			  int64_t dur_ms, int64_t wait_ms)
{
	for (int l = 0; l < METRICS_LEVELS; l++) {
		add_level(a, l, workflow_id, "", status, finished_ms, dur_ms, wait_ms);
		add_level(a, l, "", "", status, finished_ms, dur_ms, wait_ms);
	}
}

void rollup_acc_step(struct rollup_acc *a, const char *workflow_id, const char *step_id, const char *status,
		     int64_t finished_ms, int64_t dur_ms)
{
	for (int l = 0; l < METRICS_LEVELS; l++)
		add_level(a, l, workflow_id, step_id, status, finished_ms, dur_ms, -1);
}

/* ---- writing rows ----------------------------------------------------------------------- */

static const char read_sql[] =
	"SELECT " ROLLUP_SELECT_COLUMNS " FROM metric_rollups r "
	"JOIN unnest($1::text[], $2::text[], $3::integer[], $4::timestamptz[]) AS k(w, s, h, b) "
	"ON r.workflow_id = k.w AND r.step_id = k.s AND r.span_hours = k.h AND r.bucket_start = k.b";

/* Adds what is stored for rows[0..n) to them. */
static int merge_stored(PGconn *c, struct rollup_acc *a, size_t first, size_t n, char *err, size_t errlen)
{
	struct pgarray w, s, h, b;
	pgarray_init(&w), pgarray_init(&s), pgarray_init(&h), pgarray_init(&b);
	for (size_t i = first; i < first + n; i++) {
		struct rollup_row *r = a->rows[i];
		pgarray_text(&w, r->workflow_id);
		pgarray_text(&s, r->step_id);
		pgarray_int(&h, r->span_ms / METRICS_HOUR_MS);
		pgarray_time(&b, r->start_ms);
	}
	const char *p[] = { pgarray_finish(&w), pgarray_finish(&s), pgarray_finish(&h), pgarray_finish(&b) };
	PGresult *res = pgconn_query_binary(c, read_sql, 4, p, err, errlen);
	pgarray_free(&w), pgarray_free(&s), pgarray_free(&h), pgarray_free(&b);
	if (res == NULL)
		return -1;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		struct rollup_row stored;
		memset(&stored, 0, sizeof stored);
		metrics_agg_init(&stored.agg);
		if (rollup_row_read(res, i, &stored) != 0) {
			/* A damaged row would make every later answer wrong: stop here. */
			snprintf(err, errlen, "rollup row %s/%s at %" PRId64 " has a damaged histogram",
				 stored.workflow_id, stored.step_id, stored.start_ms);
			rc = -1;
		} else {
			metrics_agg_merge(&acc_row(a, stored.workflow_id, stored.step_id, stored.span_ms,
						   stored.start_ms)->agg, &stored.agg);
		}
		metrics_agg_free(&stored.agg);
	}
	PQclear(res);
	return rc;
}

static const char upsert_sql[] =
	"INSERT INTO metric_rollups AS r (org_id, workflow_id, step_id, span_hours, bucket_start, bucket_end, "
	"  completed, failed, cancelled, duration_count, duration_sum_ms, duration_min_ms, duration_max_ms, "
	"  wait_count, wait_sum_ms, histogram, updated_at) "
	"SELECT current_setting('wfmon.org'), w, s, h, timestamptz 'epoch' + b * interval '1 millisecond', "
	"  timestamptz 'epoch' + (b + h * 3600000::bigint) * interval '1 millisecond', c, f, x, dc, ds, dmin, dmax, "
	"  wc, ws, hist, now() "
	"FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::bigint[], $6::bigint[], "
	"  $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], "
	"  $13::bigint[], $14::bytea[]) AS t(w, s, h, b, c, f, x, dc, ds, dmin, dmax, wc, ws, hist) "
	"ON CONFLICT (org_id, workflow_id, span_hours, bucket_start, step_id) DO UPDATE SET "
	"  completed = excluded.completed, failed = excluded.failed, cancelled = excluded.cancelled, "
	"  duration_count = excluded.duration_count, duration_sum_ms = excluded.duration_sum_ms, "
	"  duration_min_ms = excluded.duration_min_ms, duration_max_ms = excluded.duration_max_ms, "
	"  wait_count = excluded.wait_count, wait_sum_ms = excluded.wait_sum_ms, "
	"  histogram = excluded.histogram, updated_at = excluded.updated_at";

enum { A_W, A_S, A_H, A_B, A_C, A_F, A_X, A_DC, A_DS, A_DMIN, A_DMAX, A_WC, A_WS, A_HIST, A__COUNT };

static int upsert(PGconn *c, struct rollup_row **rows, size_t n, char *err, size_t errlen)
{
	struct pgarray arr[A__COUNT];
	for (int k = 0; k < A__COUNT; k++)
		pgarray_init(&arr[k]);
	uint8_t *buf = NULL;
	size_t bufcap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct rollup_row *r = rows[i];
		const struct metrics_agg *g = &r->agg;
		pgarray_text(&arr[A_W], r->workflow_id);
		pgarray_text(&arr[A_S], r->step_id);
		pgarray_int(&arr[A_H], r->span_ms / METRICS_HOUR_MS);
		pgarray_int(&arr[A_B], r->start_ms);
		pgarray_int(&arr[A_C], (int64_t)g->completed);
		pgarray_int(&arr[A_F], (int64_t)g->failed);
		pgarray_int(&arr[A_X], (int64_t)g->cancelled);
		pgarray_int(&arr[A_DC], (int64_t)g->dur.count);
		pgarray_int(&arr[A_DS], (int64_t)hist_sum(&g->dur));
		if (g->dur.count > 0) {
			pgarray_int(&arr[A_DMIN], g->dur.min_ms);
			pgarray_int(&arr[A_DMAX], g->dur.max_ms);
		} else {
			pgarray_null(&arr[A_DMIN]);
			pgarray_null(&arr[A_DMAX]);
		}
		pgarray_int(&arr[A_WC], (int64_t)g->wait_count);
		pgarray_int(&arr[A_WS], (int64_t)g->wait_sum_ms);
		size_t need = HIST_ENCODED_MAX(g->dur.n);
		if (need > bufcap) {
			bufcap = need;
			buf = xrealloc(buf, bufcap);
		}
		pgarray_bytea(&arr[A_HIST], buf, hist_encode(&g->dur, buf));
	}
	free(buf);
	const char *p[A__COUNT];
	for (int k = 0; k < A__COUNT; k++)
		p[k] = pgarray_finish(&arr[k]);
	int rc = pgconn_exec(c, upsert_sql, A__COUNT, p, err, errlen);
	for (int k = 0; k < A__COUNT; k++)
		pgarray_free(&arr[k]);
	return rc;
}

static int merge_all(PGconn *c, struct rollup_acc *a, char *err, size_t errlen)
{
	size_t n = a->n;
	for (size_t i = 0; i < n; i += WRITE_ROWS)
		if (merge_stored(c, a, i, n - i < WRITE_ROWS ? n - i : WRITE_ROWS, err, errlen) != 0)
			return -1;
	return 0;
}

static int upsert_all(PGconn *c, struct rollup_acc *a, char *err, size_t errlen)
{
	for (size_t i = 0; i < a->n; i += WRITE_ROWS)
		if (upsert(c, a->rows + i, a->n - i < WRITE_ROWS ? a->n - i : WRITE_ROWS, err, errlen) != 0)
			return -1;
	return 0;
}

int rollup_write(PGconn *c, struct rollup_acc *a, bool merge, char *err, size_t errlen)
{
	if (merge && merge_all(c, a, err, errlen) != 0)
		return -1;
	return upsert_all(c, a, err, errlen);
}

/* ---- facts ---------------------------------------------------------------------------------- */

#define MS_OF(expr) "floor(extract(epoch FROM " expr ") * 1000)::bigint"

/* Finished executions after the watermark: id, workflow, status, finished,
 * duration, wait (status NULL when the execution row has gone). Here and in
 * the raw reads, facts of an attempt a later one replaced (marked retried
 * by migration 0008) are left out, so a retried success counts once; a fact
 * rolled up before its retry arrived stays in its hour. */
static const char exec_facts_sql[] =
	"WITH f AS (SELECT id, org_id, execution_id, workflow_id FROM execution_metrics "
	"  WHERE org_id = current_setting('wfmon.org') AND id > $1 AND metric_type = 'duration_ms' "
	"    AND NOT (metadata ? 'retried') "
	"  ORDER BY org_id, id LIMIT $2) "
	"SELECT f.id, f.workflow_id, x.status, " MS_OF("x.finished_at") ", "
	"  CASE WHEN x.status <> 'cancelled' AND x.started_at IS NOT NULL "
	"    THEN greatest(0, " MS_OF("x.finished_at - x.started_at") ") END, "
	"  CASE WHEN x.started_at IS NOT NULL AND x.queued_at IS NOT NULL "
	"    THEN greatest(0, " MS_OF("x.started_at - x.queued_at") ") END "
	"FROM f LEFT JOIN workflow_executions x ON x.org_id = f.org_id AND x.execution_id = f.execution_id "
	"ORDER BY f.id";

/* Finished steps after the watermark: id, workflow, step, status, finished, duration. */
static const char step_facts_sql[] =
	"WITH f AS (SELECT id, org_id, execution_id, workflow_id, step_id, status, duration_ms, recorded_at "
	"  FROM step_metrics WHERE org_id = current_setting('wfmon.org') AND id > $1 AND NOT retried "
	"  ORDER BY org_id, id LIMIT $2) "
	"SELECT f.id, f.workflow_id, f.step_id, f.status, " MS_OF("f.recorded_at") ", "
	"  coalesce(f.duration_ms, CASE WHEN s.started_at IS NOT NULL AND s.finished_at IS NOT NULL "
	"    THEN greatest(0, " MS_OF("s.finished_at - s.started_at") ") END) "
	"FROM f LEFT JOIN step_executions s ON s.org_id = f.org_id AND s.execution_id = f.execution_id "
	"  AND s.step_id = f.step_id "
	"ORDER BY f.id";

/* A fact row (exec or step shape, its first column at `first`) as a fact;
 * false when it no longer counts (its execution is gone). */
static bool fact_of(const PGresult *r, int row, int first, bool steps, struct rollup_fact *f, char *wf, char *step,
		    char *status)
{
	col_text(r, row, first, wf, PROTO_MAX_ID + 1);
	f->workflow_id = wf;
	if (steps) {
		col_text(r, row, first + 1, step, PROTO_MAX_ID + 1);
		col_text(r, row, first + 2, status, 16);
		f->step_id = step;
		f->status = status;
		f->finished_ms = col_i64(r, row, first + 3);
		f->dur_ms = col_i64(r, row, first + 4);
		f->wait_ms = -1;
		return step[0] != '\0' && status[0] != '\0';
	}
	f->step_id = "";
	f->status = status;
	if (col_text(r, row, first + 1, status, 16) == NULL)
		return false;
	f->finished_ms = col_i64(r, row, first + 2);
	f->dur_ms = col_i64(r, row, first + 3);
	f->wait_ms = col_i64(r, row, first + 4);
	return true;
}

void rollup_acc_fact(struct rollup_acc *a, const struct rollup_fact *f)
{
	if (f->step_id[0] != '\0')
		rollup_acc_step(a, f->workflow_id, f->step_id, f->status, f->finished_ms, f->dur_ms);
	else
		rollup_acc_execution(a, f->workflow_id, f->status, f->finished_ms, f->dur_ms, f->wait_ms);
}

/* Reads up to limit facts after *wm with sql and feeds them; moves *wm. */
static long read_facts(PGconn *c, const char *sql, bool steps, int64_t *wm, long limit, struct rollup_acc *a,
		       char *err, size_t errlen)
{
	char p1[24], p2[24];
	snprintf(p1, sizeof p1, "%" PRId64, *wm);
	snprintf(p2, sizeof p2, "%ld", limit);
	const char *p[] = { p1, p2 };
	PGresult *r = pgconn_query_binary(c, sql, 2, p, err, errlen);
	if (r == NULL)
		return -1;
	long n = PQntuples(r);
	for (int i = 0; i < n; i++) {
		struct rollup_fact f;
		char wf[PROTO_MAX_ID + 1], step[PROTO_MAX_ID + 1], status[16];
		if (fact_of(r, i, 1, steps, &f, wf, step, status))
			rollup_acc_fact(a, &f);
		int64_t id = col_i64(r, i, 0);
		if (id > *wm)
			*wm = id;
	}
	PQclear(r);
	return n;
}

/* The watermarks, the state row locked until the transaction ends: a retry
 * being applied on another connection waits, or has marked its facts before
 * they are read (see migration 0013). */
static int state_read(PGconn *c, int64_t *exec_wm, int64_t *step_wm, char *err, size_t errlen)
{
	PGresult *r = pgconn_query(c, "SELECT exec_wm, step_wm FROM wfmon_rollup_lock(current_setting('wfmon.org'))",
				   0, NULL, err, errlen);
	if (r == NULL)
		return -1;
	*exec_wm = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	*step_wm = PQntuples(r) ? strtoll(PQgetvalue(r, 0, 1), NULL, 10) : 0;
	PQclear(r);
	return 0;
}

static int state_write(PGconn *c, int64_t exec_wm, int64_t step_wm, char *err, size_t errlen)
{
	char a[24], b[24];
	snprintf(a, sizeof a, "%" PRId64, exec_wm);
	snprintf(b, sizeof b, "%" PRId64, step_wm);
	const char *p[] = { a, b };
	return pgconn_exec(c, "INSERT INTO metric_rollup_state (org_id, execution_fact_id, step_fact_id) "
			      "VALUES (current_setting('wfmon.org'), $1, $2) ON CONFLICT (org_id) DO UPDATE SET "
			      "execution_fact_id = excluded.execution_fact_id, step_fact_id = excluded.step_fact_id, "
			      "updated_at = now()", 2, p, err, errlen);
}

/* The last ids the fact tables' sequences have drawn (0 when none). */
static int last_ids(PGconn *c, int64_t *exec_id, int64_t *step_id, char *err, size_t errlen)
{
	PGresult *r = pgconn_query(c, "SELECT coalesce(pg_sequence_last_value('execution_metrics_id_seq'), 0), "
				      "coalesce(pg_sequence_last_value('step_metrics_id_seq'), 0)", 0, NULL, err, errlen);
	if (r == NULL)
		return -1;
	*exec_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	*step_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	return 0;
}

/* ---- retractions ----------------------------------------------------------------------- */

/* Facts rolled up before a later attempt replaced them (migration 0013),
 * oldest first: id, workflow, step ('' for an execution), status, finished,
 * duration, wait. */
static const char retractions_sql[] =
	"SELECT id, workflow_id, step_id, status, finished_ms, dur_ms, wait_ms FROM metric_rollup_retractions "
	"WHERE org_id = current_setting('wfmon.org') ORDER BY id LIMIT $1";

struct retractions {
	PGresult *res;            /* owns the rows; NULL when none */
	int64_t last_id;
};

static void retraction_at(const PGresult *r, int row, struct rollup_fact *f, char *wf, char *step, char *status)
{
	col_text(r, row, 1, wf, PROTO_MAX_ID + 1);
	col_text(r, row, 2, step, PROTO_MAX_ID + 1);
	col_text(r, row, 3, status, 16);
	f->workflow_id = wf;
	f->step_id = step;
	f->status = status;
	f->finished_ms = col_i64(r, row, 4);
	f->dur_ms = col_i64(r, row, 5);
	f->wait_ms = step[0] != '\0' ? -1 : col_i64(r, row, 6);
}

/* Reads up to limit retractions and makes sure the rows they touch are in a,
 * so that merging the stored rows brings in what they are taken from. */
static int retractions_read(PGconn *c, long limit, struct rollup_acc *a, struct retractions *out, char *err,
			    size_t errlen)
{
	char p1[24];
	snprintf(p1, sizeof p1, "%ld", limit);
	const char *p[] = { p1 };
	out->res = pgconn_query_binary(c, retractions_sql, 1, p, err, errlen);
	out->last_id = 0;
	if (out->res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(out->res); i++) {
		struct rollup_fact f;
		char wf[PROTO_MAX_ID + 1], step[PROTO_MAX_ID + 1], status[16];
		retraction_at(out->res, i, &f, wf, step, status);
		for (int l = 0; l < METRICS_LEVELS; l++) {
			int64_t span = metrics_levels_ms[l];
			int64_t start = metrics_floor(f.finished_ms, span);
			acc_row(a, f.workflow_id, f.step_id, span, start);
			if (f.step_id[0] == '\0')
				acc_row(a, "", "", span, start);
		}
		out->last_id = col_i64(out->res, i, 0);
	}
	return 0;
}

static void remove_level(struct rollup_acc *a, int level, const char *wf, const struct rollup_fact *f)
{
	int64_t span = metrics_levels_ms[level];
	metrics_agg_remove(&acc_row(a, wf, f->step_id, span, metrics_floor(f->finished_ms, span))->agg, f->status,
			   f->dur_ms, f->wait_ms);
}

/* Takes the retractions out of a's rows (which hold what is stored by now)
 * and deletes them. */
static int retractions_apply(PGconn *c, struct rollup_acc *a, struct retractions *rt, char *err, size_t errlen)
{
	for (int i = 0; i < PQntuples(rt->res); i++) {
		struct rollup_fact f;
		char wf[PROTO_MAX_ID + 1], step[PROTO_MAX_ID + 1], status[16];
		retraction_at(rt->res, i, &f, wf, step, status);
		for (int l = 0; l < METRICS_LEVELS; l++) {
			remove_level(a, l, f.workflow_id, &f);
			if (f.step_id[0] == '\0')
				remove_level(a, l, "", &f);
		}
	}
	char p1[24];
	snprintf(p1, sizeof p1, "%" PRId64, rt->last_id);
	const char *p[] = { p1 };
	return pgconn_exec(c, "DELETE FROM metric_rollup_retractions WHERE org_id = current_setting('wfmon.org') "
			      "AND id <= $1", 1, p, err, errlen);
}

long rollup_catch_up(PGconn *c, long max_facts, bool *more, char *err, size_t errlen)
{
	*more = false;
	int64_t ewm, swm;
	if (state_read(c, &ewm, &swm, err, errlen) != 0)
		return -1;
	int64_t ewm0 = ewm, swm0 = swm, elast, slast;
	if (last_ids(c, &elast, &slast, err, errlen) != 0)
		return -1;
	struct rollup_acc a;
	rollup_acc_init(&a);
	long half = max_facts / 2 > 0 ? max_facts / 2 : 1;
	long ne = read_facts(c, exec_facts_sql, false, &ewm, half, &a, err, errlen);
	long ns = ne < 0 ? -1 : read_facts(c, step_facts_sql, true, &swm, half, &a, err, errlen);
	long total = -1;
	if (ns >= 0) {
		total = ne + ns;
		*more = ne == half || ns == half;
		/* Caught up: no fact of this organization lies between the watermark
		 * and the last id drawn before the reads (this connection is the only
		 * writer, and it has committed), so the watermark moves there; an
		 * idle organization's next read then starts after everyone's facts
		 * of the pass before instead of after its own last one. */
		if (ne < half && elast > ewm)
			ewm = elast;
		if (ns < half && slast > swm)
			swm = slast;
		struct retractions rt = { 0 };
		if (retractions_read(c, half, &a, &rt, err, errlen) != 0)
			total = -1;
		else if (PQntuples(rt.res) > 0) {
			*more = *more || PQntuples(rt.res) == half;
			if (merge_all(c, &a, err, errlen) != 0 || retractions_apply(c, &a, &rt, err, errlen) != 0 ||
			    upsert_all(c, &a, err, errlen) != 0)
				total = -1;
		} else if (total > 0 && rollup_write(c, &a, true, err, errlen) != 0) {
			total = -1;
		}
		if (total >= 0 && (ewm != ewm0 || swm != swm0) && state_write(c, ewm, swm, err, errlen) != 0)
			total = -1;
		PQclear(rt.res);
	}
	rollup_acc_free(&a);
	return total;
}

/* ---- facts of a time range ------------------------------------------------------------------- */

static const char raw_exec_sql[] =
	"SELECT m.workflow_id, x.status, " MS_OF("x.finished_at") ", "
	"  CASE WHEN x.status <> 'cancelled' AND x.started_at IS NOT NULL "
	"    THEN greatest(0, " MS_OF("x.finished_at - x.started_at") ") END, "
	"  CASE WHEN x.started_at IS NOT NULL AND x.queued_at IS NOT NULL "
	"    THEN greatest(0, " MS_OF("x.started_at - x.queued_at") ") END "
	"FROM execution_metrics m JOIN workflow_executions x ON x.org_id = m.org_id "
	"  AND x.execution_id = m.execution_id "
	"WHERE m.metric_type = 'duration_ms' AND NOT (m.metadata ? 'retried') "
	"  AND m.recorded_at >= timestamptz 'epoch' + $1::bigint * interval '1 millisecond' "
	"  AND m.recorded_at < timestamptz 'epoch' + $2::bigint * interval '1 millisecond' "
	"  AND ($3::text IS NULL OR m.workflow_id = $3)";

static const char raw_step_sql[] =
	"SELECT m.workflow_id, m.step_id, m.status, " MS_OF("m.recorded_at") ", "
	"  coalesce(m.duration_ms, CASE WHEN s.started_at IS NOT NULL AND s.finished_at IS NOT NULL "
	"    THEN greatest(0, " MS_OF("s.finished_at - s.started_at") ") END) "
	"FROM step_metrics m LEFT JOIN step_executions s ON s.org_id = m.org_id "
	"  AND s.execution_id = m.execution_id AND s.step_id = m.step_id "
	"WHERE NOT m.retried AND m.recorded_at >= timestamptz 'epoch' + $1::bigint * interval '1 millisecond' "
	"  AND m.recorded_at < timestamptz 'epoch' + $2::bigint * interval '1 millisecond' "
	"  AND ($3::text IS NULL OR m.workflow_id = $3)";

int rollup_raw_facts(PGconn *c, int64_t from_ms, int64_t to_ms, const char *workflow_id, bool steps,
		     void (*fn)(void *arg, const struct rollup_fact *f), void *arg, char *err, size_t errlen)
{
	if (from_ms >= to_ms)
		return 0;
	char a[24], b[24];
	snprintf(a, sizeof a, "%" PRId64, from_ms);
	snprintf(b, sizeof b, "%" PRId64, to_ms);
	const char *p[] = { a, b, workflow_id };
	PGresult *r = pgconn_query_binary(c, steps ? raw_step_sql : raw_exec_sql, 3, p, err, errlen);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct rollup_fact f;
		char wf[PROTO_MAX_ID + 1], step[PROTO_MAX_ID + 1], status[16];
		if (fact_of(r, i, 0, steps, &f, wf, step, status))
			fn(arg, &f);
	}
	PQclear(r);
	return 0;
}

/* ---- rebuild ----------------------------------------------------------------------------------- */

static const char rebuild_exec_sql[] =
	"DECLARE rollup_rebuild NO SCROLL CURSOR FOR "
	"SELECT x.workflow_id, x.status, " MS_OF("x.finished_at") ", "
	"  CASE WHEN x.status <> 'cancelled' AND x.started_at IS NOT NULL "
	"    THEN greatest(0, " MS_OF("x.finished_at - x.started_at") ") END, "
	"  CASE WHEN x.started_at IS NOT NULL AND x.queued_at IS NOT NULL "
	"    THEN greatest(0, " MS_OF("x.started_at - x.queued_at") ") END "
	"FROM workflow_executions x WHERE x.status IN ('completed', 'failed', 'cancelled') "
	"  AND x.finished_at IS NOT NULL AND (x.started_at IS NOT NULL OR x.queued_at IS NOT NULL) "
	"ORDER BY x.finished_at";

static const char rebuild_step_sql[] =
	"DECLARE rollup_rebuild NO SCROLL CURSOR FOR "
	"SELECT x.workflow_id, s.step_id, s.status, " MS_OF("s.finished_at") ", "
	"  coalesce(s.duration_ms, CASE WHEN s.started_at IS NOT NULL "
	"    THEN greatest(0, " MS_OF("s.finished_at - s.started_at") ") END) "
	"FROM step_executions s JOIN workflow_executions x ON x.org_id = s.org_id "
	"  AND x.execution_id = s.execution_id "
	"WHERE s.status IN ('completed', 'failed') AND s.finished_at IS NOT NULL "
	"ORDER BY s.finished_at";

/* A time-ordered stream of facts: one accumulator per level; when the
 * stream passes the end of a level's block, that level's rows are complete
 * and move to the outbox, written in large batches. */
struct stream {
	struct rollup_acc level[METRICS_LEVELS];
	int64_t block[METRICS_LEVELS];
	struct rollup_acc outbox;
	long facts;
};

static void stream_move(struct rollup_acc *from, struct rollup_acc *to)
{
	for (size_t i = 0; i < from->n; i++) {
		struct rollup_row *r = from->rows[i];
		struct rollup_row *t = acc_row(to, r->workflow_id, r->step_id, r->span_ms, r->start_ms);
		metrics_agg_merge(&t->agg, &r->agg);
	}
	acc_clear(from);
}

static int stream_flush(PGconn *c, struct stream *st, bool all, char *err, size_t errlen)
{
	if (all)
		for (int l = 0; l < METRICS_LEVELS; l++)
			stream_move(&st->level[l], &st->outbox);
	if (st->outbox.n == 0 || (!all && st->outbox.n < OUTBOX_ROWS))
		return 0;
	int rc = rollup_write(c, &st->outbox, false, err, errlen);
	acc_clear(&st->outbox);
	return rc;
}

/* Before a fact at t: levels whose block ended go to the outbox. */
static int stream_advance(PGconn *c, struct stream *st, int64_t t, char *err, size_t errlen)
{
	for (int l = 0; l < METRICS_LEVELS; l++) {
		int64_t b = metrics_floor(t, metrics_levels_ms[l]);
		if (b != st->block[l]) {
			stream_move(&st->level[l], &st->outbox);
			st->block[l] = b;
		}
	}
	return stream_flush(c, st, false, err, errlen);
}

static int rebuild_one(PGconn *c, const char *declare, bool steps, struct stream *st, char *err, size_t errlen)
{
	if (pgconn_exec(c, declare, 0, NULL, err, errlen) != 0)
		return -1;
	int rc = 0;
	for (;;) {
		PGresult *r = pgconn_query_binary(c, "FETCH " FETCH_ROWS " FROM rollup_rebuild", 0, NULL, err, errlen);
		if (r == NULL) {
			rc = -1;
			break;
		}
		int n = PQntuples(r);
		for (int i = 0; i < n && rc == 0; i++) {
			struct rollup_fact f;
			char wf[PROTO_MAX_ID + 1], step[PROTO_MAX_ID + 1], status[16];
			if (!fact_of(r, i, 0, steps, &f, wf, step, status))
				continue;
			rc = stream_advance(c, st, f.finished_ms, err, errlen);
			for (int l = 0; l < METRICS_LEVELS && rc == 0; l++) {
				add_level(&st->level[l], l, f.workflow_id, f.step_id, f.status, f.finished_ms, f.dur_ms,
					  f.wait_ms);
				if (!steps)
					add_level(&st->level[l], l, "", "", f.status, f.finished_ms, f.dur_ms, f.wait_ms);
			}
		}
		st->facts += n;
		PQclear(r);
		if (n == 0 || rc != 0)
			break;
	}
	if (rc == 0)
		rc = stream_flush(c, st, true, err, errlen);
	if (rc == 0)
		rc = pgconn_exec(c, "CLOSE rollup_rebuild", 0, NULL, err, errlen);
	return rc;
}

static int64_t max_id(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r = pgconn_query(c, sql, 0, NULL, err, errlen);
	if (r == NULL)
		return -1;
	int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

long rollup_rebuild(PGconn *c, char *err, size_t errlen)
{
	/* The watermarks first: the facts written from now on are the next catch-up's. */
	int64_t ewm = max_id(c, "SELECT coalesce(max(id), 0) FROM execution_metrics", err, errlen);
	int64_t swm = ewm < 0 ? -1 : max_id(c, "SELECT coalesce(max(id), 0) FROM step_metrics", err, errlen);
	if (swm < 0 || pgconn_exec(c, "DELETE FROM metric_rollups", 0, NULL, err, errlen) != 0)
		return -1;
	/* Retractions waiting for the next pass are of rows rebuilt from now on
	 * (the table comes with migration 0013, after 0005 runs a rebuild). */
	if (pgconn_exec(c, "DO $$ BEGIN IF to_regclass('metric_rollup_retractions') IS NOT NULL THEN "
			   "DELETE FROM metric_rollup_retractions; END IF; END $$", 0, NULL, err, errlen) != 0)
		return -1;
	struct stream st;
	memset(&st, 0, sizeof st);
	for (int l = 0; l < METRICS_LEVELS; l++) {
		rollup_acc_init(&st.level[l]);
		st.block[l] = INT64_MIN;
	}
	rollup_acc_init(&st.outbox);
	int rc = rebuild_one(c, rebuild_exec_sql, false, &st, err, errlen);
	long executions = st.facts;
	for (int l = 0; l < METRICS_LEVELS; l++)
		st.block[l] = INT64_MIN;
	if (rc == 0)
		rc = rebuild_one(c, rebuild_step_sql, true, &st, err, errlen);
	for (int l = 0; l < METRICS_LEVELS; l++)
		rollup_acc_free(&st.level[l]);
	rollup_acc_free(&st.outbox);
	if (rc == 0)
		rc = state_write(c, ewm, swm, err, errlen);
	return rc == 0 ? executions : -1;
}

int rollup_migrate(PGconn *c, char *err, size_t errlen)
{
	json_t *orgs = storew_known_orgs(c, err, errlen);
	if (orgs == NULL)
		return -1;
	int rc = 0;
	size_t i;
	json_t *o;
	json_array_foreach(orgs, i, o) {
		const char *p[] = { json_string_value(o) };
		if (pgconn_exec(c, "SELECT set_config('wfmon.org', $1, true)", 1, p, err, errlen) != 0) {
			rc = -1;
			break;
		}
		int64_t t0 = clock_mono_us();
		long n = rollup_rebuild(c, err, errlen);
		if (n < 0) {
			rc = -1;
			break;
		}
		log_info("store: rolled up %ld finished executions of %s in %.1f s", n, p[0],
			 (double)(clock_mono_us() - t0) / 1e6);
	}
	json_decref(orgs);
	return rc;
}

/* ---- the periodic upkeep ---------------------------------------------------------------------------- */

long rollup_tick(PGconn *c, const struct metrics_settings *ms, struct rollup_tick *t, int64_t now_us,
		 int64_t budget_us, char *err, size_t errlen)
{
	if (ms->rollup_interval_s <= 0 || now_us < t->next_us)
		return 0;
	t->next_us = now_us + (int64_t)ms->rollup_interval_s * 1000000;
	json_t *orgs = storew_known_orgs(c, err, errlen);
	if (orgs == NULL)
		return -1;
	long total = 0;
	size_t n_orgs = json_array_size(orgs);
	for (size_t k = 0; k < n_orgs; k++) {
		/* Starting where the last turn ran out of time: none waits forever. */
		size_t i = (t->next_org + k) % n_orgs;
		json_t *o = json_array_get(orgs, i);
		bool more = true;
		while (more) {
			if (clock_mono_us() - now_us > budget_us) {
				/* Out of time: the rest on the next turn, soon. */
				t->next_us = clock_mono_us() + TICK_SOON_US;
				t->next_org = i;
				json_decref(orgs);
				return total;
			}
			if (pgconn_begin_org(c, json_string_value(o), err, errlen) != 0) {
				json_decref(orgs);
				return -1;
			}
			long n = rollup_catch_up(c, TICK_FACTS, &more, err, errlen);
			if (n < 0) {
				pgconn_rollback(c);
				json_decref(orgs);
				return -1;
			}
			if (pgconn_commit(c, err, errlen) != 0) {
				json_decref(orgs);
				return -1;
			}
			total += n;
		}
	}
	json_decref(orgs);
	return total;
}
