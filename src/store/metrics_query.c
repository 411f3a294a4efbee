/* metrics_query.c: the metrics query's answer, from the rollups (see
 * store.h, STORE_Q_METRICS, and man/wfmon-protocol.7).
 *
 * Invariants: rollups are brought up to date first (rollup_catch_up), so an
 * answer includes every event stored before it; a period's figures come from
 * the fewest rollup rows that cover it (metrics_decompose) and, when a sub-hour
 * bucket leaves part of an hour at its edges, from the facts of those minutes;
 * nothing here scans executions by the million: one year of one workflow is
 * a few dozen rows. Everything runs in the caller's transaction with the
 * organization set. */
#include "store_db.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "metrics.h"
#include "pgarray.h"
#include "pgconn.h"
#include "rollup.h"
#include "strmap.h"
#include "xalloc.h"

#define CATCH_UP_FACTS 200000    /* facts a query rolls up before answering */
#define MAX_BLOCKS 1024          /* rollup blocks of the periods of one answer */

/* The periods an answer aggregates over. */
enum period { P_CUR, P_PREV, P_RECENT, P_BASE, P__COUNT };

/* A workflow (step "") or a step, or the organization (both ""). */
struct entity {
	char workflow_id[PROTO_MAX_ID + 1];
	char step_id[PROTO_MAX_ID + 1];
	char name[PROTO_MAX_NAME + 1];
	int order;                      /* steps: position in the newest plan, else large */
	struct metrics_agg agg[P__COUNT];
};

struct answer {
	PGconn *c;
	const struct metrics_frame *f;
	struct metrics_margins margins;
	int window_hours, baseline_days;
	int64_t rollup_horizon_ms;      /* rollups older than this are gone */
	const char *scope;              /* the workflow id, or "" for all */
	struct period_span {
		int64_t from, to;
		bool open;
	} period[P__COUNT];
	struct strmap entities;         /* "wf\x1fstep" -> struct entity */
	struct entity **list;
	size_t n, cap;
	struct metrics_agg *trend;      /* f->points of them */
	struct strmap blocks;           /* "span:start" -> period bit mask (uintptr_t) */
	struct metrics_block *block_list;
	size_t nblocks;
};

/* ---- entities --------------------------------------------------------------------- */

static struct entity *entity_get(struct answer *a, const char *wf, const char *step)
{
	char key[2 * PROTO_MAX_ID + 4];
	snprintf(key, sizeof key, "%s\x1f%s", wf, step);
	struct entity *e = strmap_get(&a->entities, key);
	if (e != NULL)
		return e;
	e = xcalloc(1, sizeof *e);
	snprintf(e->workflow_id, sizeof e->workflow_id, "%s", wf);
	snprintf(e->step_id, sizeof e->step_id, "%s", step);
	snprintf(e->name, sizeof e->name, "%s", step[0] ? step : wf);
	e->order = 1 << 30;
	for (int p = 0; p < P__COUNT; p++)
		metrics_agg_init(&e->agg[p]);
	strmap_put(&a->entities, key, e);
	if (a->n == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 32;
		a->list = xrealloc(a->list, sizeof *a->list * a->cap);
	}
	a->list[a->n++] = e;
	return e;
}

/* Which entities an answer keeps: the scope itself, and its workflows (all)
 * or its steps (one workflow). */
static bool wanted(const struct answer *a, const char *wf, const char *step)
{
	if (a->scope[0] == '\0')
		return step[0] == '\0';
	return strcmp(wf, a->scope) == 0;
}

/* ---- periods and their blocks ------------------------------------------------------- */

static void block_key(char *buf, size_t len, int64_t span, int64_t start)
{
	snprintf(buf, len, "%" PRId64 ":%" PRId64, span, start);
}

static int add_block(struct answer *a, int64_t span, int64_t start, int period)
{
	char key[48];
	block_key(key, sizeof key, span, start);
	uintptr_t mask = (uintptr_t)strmap_get(&a->blocks, key);
	if (mask == 0) {
		if (a->nblocks == MAX_BLOCKS)
			return -1;
		a->block_list[a->nblocks++] = (struct metrics_block){ .start_ms = start, .span_ms = span };
	}
	strmap_put(&a->blocks, key, (void *)(mask | ((uintptr_t)1 << period)));
	return 0;
}

/* The raw edges of a period that is not hour-aligned, read now. */
struct raw_target {
	struct answer *a;
	int period;
};

static void raw_into_period(void *arg, const struct rollup_fact *f)
{
	struct raw_target *t = arg;
	if (!wanted(t->a, f->workflow_id, f->step_id))
		return;
	metrics_agg_add(&entity_get(t->a, f->workflow_id, f->step_id)->agg[t->period], f->status, f->dur_ms,
			f->wait_ms);
	if (f->step_id[0] == '\0' && t->a->scope[0] == '\0')
		metrics_agg_add(&entity_get(t->a, "", "")->agg[t->period], f->status, f->dur_ms, f->wait_ms);
}

static int raw_edge(struct answer *a, int period, int64_t from, int64_t to, char *err, size_t errlen)
{
	if (from >= to)
		return 0;
	struct raw_target t = { a, period };
	const char *wf = a->scope[0] ? a->scope : NULL;
	if (rollup_raw_facts(a->c, from, to, wf, false, raw_into_period, &t, err, errlen) != 0)
		return -1;
	if (a->scope[0] != '\0' && rollup_raw_facts(a->c, from, to, wf, true, raw_into_period, &t, err, errlen) != 0)
		return -1;
	return 0;
}

/* Cuts a period into rollup blocks; its sub-hour edges come from the facts. */
static int plan_period(struct answer *a, int period, char *err, size_t errlen)
{
	const struct period_span *ps = &a->period[period];
	int64_t from = metrics_ceil(ps->from, METRICS_HOUR_MS);
	int64_t to = ps->open ? metrics_ceil(ps->to, METRICS_HOUR_MS) : metrics_floor(ps->to, METRICS_HOUR_MS);
	if (from >= to) {
		/* Shorter than its first whole hour: facts only. */
		return raw_edge(a, period, ps->from, ps->to, err, errlen);
	}
	struct metrics_block blocks[256];
	int n = metrics_decompose(from, to, ps->open, blocks, sizeof blocks / sizeof blocks[0]);
	if (n < 0)
		return storeq_bad(err, errlen, "internal: a period could not be cut into rollup blocks");
	for (int i = 0; i < n; i++)
		if (add_block(a, blocks[i].span_ms, blocks[i].start_ms, period) != 0)
			return storeq_bad(err, errlen, "internal: too many rollup blocks");
	if (raw_edge(a, period, ps->from, from, err, errlen) != 0)
		return STOREQ_DB_ERROR;
	if (!ps->open && raw_edge(a, period, to, ps->to, err, errlen) != 0)
		return STOREQ_DB_ERROR;
	return 0;
}

/* ---- reading rows ---------------------------------------------------------------------- */

/* Rows are read by ranges of bucket_start per span (the blocks of the periods,
 * sorted and joined where they touch): a range is one index range scan
 * (metric_rollups_time for every workflow, the primary key for one), far
 * cheaper than a lookup per block. */
struct range {
	int64_t span_ms, from_ms, to_ms;   /* bucket_start in [from, to) */
};

static int block_cmp(const void *x, const void *y)
{
	const struct metrics_block *a = x, *b = y;
	if (a->span_ms != b->span_ms)
		return a->span_ms < b->span_ms ? -1 : 1;
	return (a->start_ms > b->start_ms) - (a->start_ms < b->start_ms);
}

static size_t ranges_of(struct metrics_block *blocks, size_t n, struct range *out)
{
	qsort(blocks, n, sizeof *blocks, block_cmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct metrics_block *b = &blocks[i];
		if (k > 0 && out[k - 1].span_ms == b->span_ms && b->start_ms <= out[k - 1].to_ms) {
			if (b->start_ms + b->span_ms > out[k - 1].to_ms)
				out[k - 1].to_ms = b->start_ms + b->span_ms;
			continue;
		}
		out[k++] = (struct range){ b->span_ms, b->start_ms, b->start_ms + b->span_ms };
	}
	return k;
}

/* Statement parameters: the texts, formatted here. */
struct params {
	const char **v;
	char (*buf)[40];
	int n;
};

static int param_int(struct params *p, int64_t v)
{
	snprintf(p->buf[p->n], sizeof p->buf[p->n], "%" PRId64, v);
	p->v[p->n] = p->buf[p->n];
	return ++p->n;
}

static int param_time(struct params *p, int64_t ms)
{
	proto_time_format(ms, p->buf[p->n], sizeof p->buf[p->n]);
	p->v[p->n] = p->buf[p->n];
	return ++p->n;
}

/* Reads the rows of the ranges matching `where` (which may use $1 for
 * workflow) and hands each to fn, which adds it where it belongs
 * (rollup_row_add: the histogram bytes merge straight into their targets). */
static int read_ranges(struct answer *a, const char *where, const char *workflow, const struct range *r,
		       size_t nr, int (*fn)(struct answer *a, const PGresult *res, int i), char *err, size_t errlen)
{
	if (nr == 0)
		return 0;
	struct params p = { xcalloc(3 * nr + 1, sizeof *p.v), xcalloc(3 * nr + 1, sizeof *p.buf), 0 };
	if (workflow != NULL) {
		p.v[0] = workflow;
		p.n = 1;
	}
	char *sql = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&sql, &len);
	for (size_t i = 0; i < nr; i++) {
		int h = param_int(&p, r[i].span_ms / METRICS_HOUR_MS);
		int from = param_time(&p, r[i].from_ms);
		int to = param_time(&p, r[i].to_ms);
		fprintf(f, "%sSELECT " ROLLUP_SELECT_COLUMNS " FROM metric_rollups r WHERE %s AND r.span_hours = $%d "
			   "AND r.bucket_start >= $%d::timestamptz AND r.bucket_start < $%d::timestamptz",
			i ? " UNION ALL " : "", where, h, from, to);
	}
	fclose(f);
	PGresult *res = pgconn_query_binary(a->c, sql, p.n, p.v, err, errlen);
	free(sql);
	free(p.v);
	free(p.buf);
	if (res == NULL)
		return STOREQ_DB_ERROR;
	int rc = 0;
	for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
		if (fn(a, res, i) != 0) {
			struct rollup_row row;
			rollup_row_keys(res, i, &row);
			rc = storeq_bad(err, errlen, "a stored rollup row is damaged (%s/%s at %" PRId64 ")", row.workflow_id,
				 row.step_id, row.start_ms);
		}
	}
	PQclear(res);
	return rc;
}

static int row_into_periods(struct answer *a, const PGresult *res, int i)
{
	struct rollup_row r;
	rollup_row_keys(res, i, &r);
	if (!wanted(a, r.workflow_id, r.step_id))
		return 0;
	char key[48];
	block_key(key, sizeof key, r.span_ms, r.start_ms);
	uintptr_t mask = (uintptr_t)strmap_get(&a->blocks, key);
	if (mask == 0)
		return 0;   /* inside a range, but no period's block */
	struct entity *e = entity_get(a, r.workflow_id, r.step_id);
	for (int p = 0; p < P__COUNT; p++)
		if ((mask & ((uintptr_t)1 << p)) && rollup_row_add(res, i, &e->agg[p]) != 0)
			return -1;
	return 0;
}

static int read_periods(struct answer *a, char *err, size_t errlen)
{
	struct range *r = xcalloc(a->nblocks ? a->nblocks : 1, sizeof *r);
	size_t nr = ranges_of(a->block_list, a->nblocks, r);
	int rc = read_ranges(a, a->scope[0] ? "r.workflow_id = $1" : "r.step_id = ''", a->scope[0] ? a->scope : NULL,
			     r, nr, row_into_periods, err, errlen);
	free(r);
	return rc;
}

static int row_into_trend(struct answer *a, const PGresult *res, int i)
{
	struct rollup_row r;
	rollup_row_keys(res, i, &r);
	int64_t k = (r.start_ms - a->f->from_ms) / a->f->bucket_ms;
	if (r.span_ms == a->f->bucket_ms && k >= 0 && k < (int64_t)a->f->points)
		return rollup_row_add(res, i, &a->trend[k]);
	return 0;
}

static void raw_into_trend(void *arg, const struct rollup_fact *f)
{
	struct answer *a = arg;
	int64_t i = (metrics_floor(f->finished_ms, a->f->bucket_ms) - a->f->from_ms) / a->f->bucket_ms;
	if (i < 0 || i >= (int64_t)a->f->points)
		return;
	metrics_agg_add(&a->trend[i], f->status, f->dur_ms, f->wait_ms);
}

static int build_trend(struct answer *a, char *err, size_t errlen)
{
	const struct metrics_frame *f = a->f;
	a->trend = xcalloc(f->points ? f->points : 1, sizeof *a->trend);
	for (uint32_t i = 0; i < f->points; i++)
		metrics_agg_init(&a->trend[i]);
	if (f->bucket_ms < METRICS_HOUR_MS) {
		/* Under an hour: the facts themselves (rollups are hourly). */
		int64_t to = f->open_end && f->now_ms + 1 < f->to_ms ? f->now_ms + 1 : f->to_ms;
		return rollup_raw_facts(a->c, f->from_ms, to, a->scope[0] ? a->scope : NULL, false, raw_into_trend, a,
					err, errlen) == 0 ? 0 : STOREQ_DB_ERROR;
	}
	struct range r = { f->bucket_ms, f->from_ms, f->to_ms };
	return read_ranges(a, "r.workflow_id = $1 AND r.step_id = ''", a->scope, &r, 1, row_into_trend, err, errlen);
}

/* ---- names -------------------------------------------------------------------------------- */

static int fill_names(struct answer *a, char *err, size_t errlen)
{
	if (a->scope[0] == '\0') {
		/* Workflow names, as the workflows table has them. */
		const char **ids = xcalloc(a->n ? a->n : 1, sizeof *ids);
		size_t k = 0;
		for (size_t i = 0; i < a->n; i++)
			if (a->list[i]->workflow_id[0] != '\0')
				ids[k++] = a->list[i]->workflow_id;
		char *lit = pgarray_text_literal_new(ids, k);
		free(ids);
		const char *p[] = { lit };
		PGresult *r = pgconn_query(a->c, "SELECT workflow_id, name FROM workflows WHERE workflow_id = ANY($1::text[])",
					   1, p, err, errlen);
		free(lit);
		if (r == NULL)
			return STOREQ_DB_ERROR;
		for (int i = 0; i < PQntuples(r); i++) {
			char key[2 * PROTO_MAX_ID + 4];
			snprintf(key, sizeof key, "%s\x1f", PQgetvalue(r, i, 0));
			struct entity *e = strmap_get(&a->entities, key);
			if (e != NULL)
				snprintf(e->name, sizeof e->name, "%s", PQgetvalue(r, i, 1));
		}
		PQclear(r);
		return 0;
	}
	/* Step names and their order, from the workflow's newest plan. */
	const char *p[] = { a->scope };
	PGresult *r = pgconn_query(a->c,
				   "SELECT s.step_id, coalesce(s.name, s.step_id), coalesce(s.seq, 1000000) FROM step_executions s "
				   "WHERE s.execution_id = (SELECT execution_id FROM workflow_executions WHERE workflow_id = $1 "
				   "  ORDER BY sort_at DESC LIMIT 1)",
				   1, p, err, errlen);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	for (int i = 0; i < PQntuples(r); i++) {
		char key[2 * PROTO_MAX_ID + 4];
		snprintf(key, sizeof key, "%s\x1f%s", a->scope, PQgetvalue(r, i, 0));
		struct entity *e = strmap_get(&a->entities, key);
		if (e != NULL) {
			snprintf(e->name, sizeof e->name, "%s", PQgetvalue(r, i, 1));
			e->order = atoi(PQgetvalue(r, i, 2));
		}
	}
	PQclear(r);
	return 0;
}

/* ---- the answer ------------------------------------------------------------------------------ */

static void put_time(json_t *o, const char *key, int64_t ms)
{
	char buf[40];
	proto_time_format(ms, buf, sizeof buf);
	json_object_set_new(o, key, json_string(buf));
}

static json_t *figures_with_previous(const struct answer *a, const struct entity *e)
{
	json_t *cur = metrics_figures_new(&e->agg[P_CUR], metrics_frame_covered_ms(a->f));
	json_t *prev = metrics_figures_new(&e->agg[P_PREV], a->f->prev_to_ms - a->f->prev_from_ms);
	json_object_set_new(cur, "change", metrics_change_new(cur, prev));
	json_object_set_new(cur, "previous", prev);
	return cur;
}

static json_t *degradation_of(const struct answer *a, const struct entity *e)
{
	struct metrics_health recent, base;
	metrics_health_of(&e->agg[P_RECENT], &recent);
	metrics_health_of(&e->agg[P_BASE], &base);
	return metrics_degradation_new(&recent, &base, &a->margins, a->window_hours, a->baseline_days);
}

static int by_runs(const void *x, const void *y)
{
	const struct entity *a = *(const struct entity *const *)x, *b = *(const struct entity *const *)y;
	uint64_t ra = metrics_agg_runs(&a->agg[P_CUR]), rb = metrics_agg_runs(&b->agg[P_CUR]);
	if (ra != rb)
		return ra < rb ? 1 : -1;
	return strcmp(a->workflow_id, b->workflow_id);
}

static int by_order(const void *x, const void *y)
{
	const struct entity *a = *(const struct entity *const *)x, *b = *(const struct entity *const *)y;
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return strcmp(a->step_id, b->step_id);
}

static json_t *answer_json_new(struct answer *a, const char *scope_name, bool behind, int64_t started_us)
{
	const struct metrics_frame *f = a->f;
	json_t *o = json_object();
	json_object_set_new(o, "workflow", a->scope[0] ? json_pack("{s:s,s:s}", "id", a->scope, "name", scope_name)
						     : json_null());
	put_time(o, "from", f->from_ms);
	put_time(o, "to", f->to_ms);
	put_time(o, "now", f->now_ms);
	json_object_set_new(o, "bucket", json_string(metrics_bucket_name(f->bucket_ms)));
	json_object_set_new(o, "bucket_ms", json_integer(f->bucket_ms));
	json_object_set_new(o, "points", json_integer(f->points));
	json_t *prev = json_object();
	put_time(prev, "from", f->prev_from_ms);
	put_time(prev, "to", f->prev_to_ms);
	json_object_set_new(prev, "complete", json_boolean(f->prev_from_ms >= a->rollup_horizon_ms));
	json_object_set_new(o, "previous_period", prev);
	json_object_set_new(o, "rollups_behind", json_boolean(behind));

	struct entity *self = entity_get(a, a->scope, "");
	if (f->parts[PART_SUMMARY])
		json_object_set_new(o, "summary", figures_with_previous(a, self));
	if (f->parts[PART_DEGRADATION])
		json_object_set_new(o, "degradation", degradation_of(a, self));
	if (f->parts[PART_TREND]) {
		json_t *t = json_array();
		for (uint32_t i = 0; i < f->points; i++) {
			json_t *pt = metrics_figures_new(&a->trend[i], f->bucket_ms);
			/* A point is one bucket: its rates would only repeat runs, and
			 * its extremes and waits are in the summary; a year of days
			 * stays a small answer. */
			static const char *const drop[] = { "per_hour", "per_day", "per_week", "min_ms", "max_ms",
							    "avg_wait_ms" };
			for (size_t k = 0; k < sizeof drop / sizeof drop[0]; k++)
				json_object_del(pt, drop[k]);
			json_t *row = json_object();
			put_time(row, "start", f->from_ms + (int64_t)i * f->bucket_ms);
			json_object_update(row, pt);
			json_decref(pt);
			json_array_append_new(t, row);
		}
		json_object_set_new(o, "trend", t);
	}
	/* The workflows (all) or steps (one workflow), self left out. */
	struct entity **others = xcalloc(a->n ? a->n : 1, sizeof *others);
	size_t k = 0;
	for (size_t i = 0; i < a->n; i++)
		if (a->list[i] != self)
			others[k++] = a->list[i];
	if (a->scope[0] == '\0' && f->parts[PART_WORKFLOWS]) {
		qsort(others, k, sizeof *others, by_runs);
		json_t *list = json_array();
		for (size_t i = 0; i < k; i++) {
			json_t *w = json_pack("{s:s,s:s}", "id", others[i]->workflow_id, "name", others[i]->name);
			json_t *fig = figures_with_previous(a, others[i]);
			json_object_update(w, fig);
			json_decref(fig);
			if (f->parts[PART_DEGRADATION])
				json_object_set_new(w, "degradation", degradation_of(a, others[i]));
			json_array_append_new(list, w);
		}
		json_object_set_new(o, "workflows", list);
	}
	if (a->scope[0] != '\0' && f->parts[PART_STEPS]) {
		qsort(others, k, sizeof *others, by_order);
		json_t *list = json_array();
		for (size_t i = 0; i < k; i++) {
			json_t *s = json_pack("{s:s,s:s}", "step_id", others[i]->step_id, "name", others[i]->name);
			json_t *fig = figures_with_previous(a, others[i]);
			json_object_update(s, fig);
			json_decref(fig);
			json_array_append_new(list, s);
		}
		json_object_set_new(o, "steps", list);
	}
	free(others);
	json_object_set_new(o, "took_ms", json_real(round((double)(clock_mono_us() - started_us) / 100.0) / 10.0));
	return o;
}

/* Finds the workflow by id, else by name (the most recently seen of that
 * name). 1 found, 0 not, -1 error. */
static int resolve_workflow(PGconn *c, const char *given, char *id, char *name, char *err, size_t errlen)
{
	const char *p[] = { given };
	PGresult *r = pgconn_query(c,
				   "(SELECT workflow_id, name FROM workflows WHERE workflow_id = $1) UNION ALL "
				   "(SELECT workflow_id, name FROM workflows WHERE name = $1 ORDER BY last_seen DESC LIMIT 1) "
				   "LIMIT 1",
				   1, p, err, errlen);
	if (r == NULL)
		return -1;
	int found = PQntuples(r) > 0;
	if (found) {
		snprintf(id, PROTO_MAX_ID + 1, "%s", PQgetvalue(r, 0, 0));
		snprintf(name, PROTO_MAX_NAME + 1, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return found;
}

static int int_setting(json_t *o, const char *key, int dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

static void answer_free(struct answer *a)
{
	for (size_t i = 0; i < a->n; i++) {
		for (int p = 0; p < P__COUNT; p++)
			metrics_agg_free(&a->list[i]->agg[p]);
		free(a->list[i]);
	}
	free(a->list);
	strmap_clear(&a->entities);
	strmap_clear(&a->blocks);
	free(a->block_list);
	if (a->trend != NULL)
		for (uint32_t i = 0; i < a->f->points; i++)
			metrics_agg_free(&a->trend[i]);
	free(a->trend);
}

int storeq_metrics(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen)
{
	struct proto_cause cause;
	json_t *query = metrics_params_new(json_object_get(params, "query"), &cause);
	if (query == NULL)
		return storeq_bad(err, errlen, "parameter %s: %s", cause.field, cause.message);
	json_t *settings = json_object_get(params, "settings");
	struct metrics_settings defaults;
	metrics_settings_defaults(&defaults);
	int64_t now = json_integer_value(json_object_get(params, "now_ms"));
	struct metrics_frame f;
	if (now <= 0 || metrics_frame_resolve(query, now, &f, &cause) != 0) {
		json_decref(query);
		return now <= 0 ? storeq_bad(err, errlen, "parameter now_ms: required")
				: storeq_bad(err, errlen, "parameter %s: %s", cause.field, cause.message);
	}
	int64_t started_us = clock_mono_us();
	bool more = false;
	if (rollup_catch_up(c, CATCH_UP_FACTS, &more, err, errlen) < 0) {
		json_decref(query);
		return STOREQ_DB_ERROR;
	}
	char scope[PROTO_MAX_ID + 1] = "", scope_name[PROTO_MAX_NAME + 1] = "";
	if (f.workflow != NULL) {
		int found = resolve_workflow(c, f.workflow, scope, scope_name, err, errlen);
		if (found <= 0) {
			json_decref(query);
			if (found < 0)
				return STOREQ_DB_ERROR;
			*result = json_pack("{s:s,s:s}", "not_found", "workflow", "workflow_given", f.workflow);
			return 0;
		}
	}

	struct answer a;
	memset(&a, 0, sizeof a);
	a.c = c;
	a.f = &f;
	a.scope = scope;
	a.window_hours = int_setting(settings, "window_hours", defaults.degrade_window_hours);
	a.baseline_days = int_setting(settings, "baseline_days", defaults.degrade_baseline_days);
	a.margins = (struct metrics_margins){
		.p95_percent = int_setting(settings, "p95_margin_percent", defaults.degrade_p95_margin_pct),
		.success_points = int_setting(settings, "success_margin_points", defaults.degrade_success_margin_pts),
		.min_runs = int_setting(settings, "min_runs", defaults.degrade_min_runs),
	};
	int retention_days = int_setting(settings, "rollup_retention_days", defaults.rollup_retention_days);
	a.rollup_horizon_ms = retention_days > 0 ? metrics_floor(now, METRICS_DAY_MS) - (int64_t)retention_days * METRICS_DAY_MS
						 : INT64_MIN;
	strmap_init(&a.entities);
	strmap_init(&a.blocks);
	a.block_list = xcalloc(MAX_BLOCKS, sizeof *a.block_list);
	int64_t recent = metrics_floor(now, METRICS_HOUR_MS) - (int64_t)(a.window_hours - 1) * METRICS_HOUR_MS;
	int64_t base_to = metrics_floor(recent, METRICS_DAY_MS);
	a.period[P_CUR] = (struct period_span){ f.from_ms, f.open_end ? now + 1 : f.to_ms, f.open_end };
	a.period[P_PREV] = (struct period_span){ f.prev_from_ms, f.prev_to_ms, false };
	a.period[P_RECENT] = (struct period_span){ recent, now + 1, true };
	a.period[P_BASE] = (struct period_span){ base_to - (int64_t)a.baseline_days * METRICS_DAY_MS, base_to, false };

	int rc = 0;
	entity_get(&a, scope, "");   /* the scope answers even when empty */
	bool need_periods = f.parts[PART_SUMMARY] || f.parts[PART_WORKFLOWS] || f.parts[PART_STEPS];
	for (int p = 0; p < P__COUNT && rc == 0; p++) {
		bool needed = (p == P_CUR || p == P_PREV) ? need_periods : f.parts[PART_DEGRADATION];
		if (needed)
			rc = plan_period(&a, p, err, errlen);
	}
	if (rc == 0)
		rc = read_periods(&a, err, errlen);
	if (rc == 0 && f.parts[PART_TREND])
		rc = build_trend(&a, err, errlen);
	if (rc == 0)
		rc = fill_names(&a, err, errlen);
	if (rc == 0)
		*result = answer_json_new(&a, scope_name, more, started_us);
	answer_free(&a);
	json_decref(query);
	return rc;
}
