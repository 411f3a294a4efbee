/* metrics_data.c: metrics answers on the client side (see metrics_data.h).
 *
 * Invariants: a decoded answer holds only numbers (no pointers into the
 * JSON but raw, referenced); the CSV writer formats numbers itself, so the
 * locale (a Polish decimal comma) never reaches a file; a model takes only
 * the answer to its latest request. */
#include "metrics_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"
#include "xalloc.h"

/* ---- decoding -------------------------------------------------------------------------- */

static double num(json_t *o, const char *key, double dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? json_number_value(v) : dflt;
}

static int64_t inum(json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_number(v) ? (int64_t)llround(json_number_value(v)) : dflt;
}

static int64_t time_of(json_t *o, const char *key)
{
	int64_t ms = 0;
	const char *s = json_string_value(json_object_get(o, key));
	if (s == NULL || proto_time_parse(s, &ms) != 0)
		return 0;
	return ms;
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void figures_of(json_t *o, struct md_figures *f)
{
	f->runs = inum(o, "runs", 0);
	f->completed = inum(o, "completed", 0);
	f->failed = inum(o, "failed", 0);
	f->cancelled = inum(o, "cancelled", 0);
	f->success_rate = num(o, "success_rate", -1);
	f->avg_ms = num(o, "avg_ms", -1);
	f->p50_ms = inum(o, "p50_ms", -1);
	f->p95_ms = inum(o, "p95_ms", -1);
	f->p99_ms = inum(o, "p99_ms", -1);
	f->min_ms = inum(o, "min_ms", -1);
	f->max_ms = inum(o, "max_ms", -1);
	f->avg_wait_ms = num(o, "avg_wait_ms", -1);
	f->per_hour = num(o, "per_hour", 0);
	f->per_day = num(o, "per_day", 0);
	f->per_week = num(o, "per_week", 0);
}

static void change_of(json_t *o, struct md_change *c)
{
	c->runs_per_hour_pct = num(o, "runs_per_hour_percent", NAN);
	c->success_points = num(o, "success_rate_points", NAN);
	c->avg_pct = num(o, "avg_ms_percent", NAN);
	c->p50_pct = num(o, "p50_ms_percent", NAN);
	c->p95_pct = num(o, "p95_ms_percent", NAN);
	c->p99_pct = num(o, "p99_ms_percent", NAN);
}

static void health_of(json_t *o, struct md_health *h)
{
	h->runs = inum(o, "runs", 0);
	h->success_rate = num(o, "success_rate", -1);
	h->p95_ms = inum(o, "p95_ms", -1);
}

static void degradation_of(json_t *o, struct md_degradation *d)
{
	memset(d, 0, sizeof *d);
	if (!json_is_object(o))
		return;
	d->present = true;
	d->degraded = json_is_true(json_object_get(o, "degraded"));
	d->decidable = json_is_true(json_object_get(o, "decidable"));
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(o, "reasons"), i, r) {
		const char *s = json_string_value(r);
		d->p95 |= s && strcmp(s, "p95") == 0;
		d->success |= s && strcmp(s, "success_rate") == 0;
	}
	d->window_hours = (int)inum(o, "window_hours", 0);
	d->baseline_days = (int)inum(o, "baseline_days", 0);
	health_of(json_object_get(o, "recent"), &d->recent);
	health_of(json_object_get(o, "baseline"), &d->baseline);
	json_t *m = json_object_get(o, "margins");
	d->p95_margin = num(m, "p95_percent", 0);
	d->success_margin = num(m, "success_points", 0);
	d->min_runs = inum(m, "min_runs", 0);
}

void metrics_data_init(struct metrics_data *d)
{
	memset(d, 0, sizeof *d);
}

void metrics_data_free(struct metrics_data *d)
{
	free(d->rows);
	free(d->trend);
	json_decref(d->raw);
	memset(d, 0, sizeof *d);
}

int metrics_data_parse(struct metrics_data *d, json_t *answer, char *err, size_t errlen)
{
	metrics_data_free(d);
	if (!json_is_object(answer) || json_object_get(answer, "bucket_ms") == NULL) {
		snprintf(err, errlen, "not a metrics answer");
		return -1;
	}
	d->raw = json_incref(answer);
	json_t *wf = json_object_get(answer, "workflow");
	copy(d->workflow_id, sizeof d->workflow_id, json_string_value(json_object_get(wf, "id")));
	copy(d->workflow_name, sizeof d->workflow_name, json_string_value(json_object_get(wf, "name")));
	d->from_ms = time_of(answer, "from");
	d->to_ms = time_of(answer, "to");
	d->now_ms = time_of(answer, "now");
	d->bucket_ms = inum(answer, "bucket_ms", 0);
	json_t *pp = json_object_get(answer, "previous_period");
	d->prev_from_ms = time_of(pp, "from");
	d->prev_to_ms = time_of(pp, "to");
	d->prev_complete = !json_is_false(json_object_get(pp, "complete"));
	d->behind = json_is_true(json_object_get(answer, "rollups_behind"));
	json_t *sum = json_object_get(answer, "summary");
	d->has_summary = json_is_object(sum);
	figures_of(sum, &d->summary);
	figures_of(json_object_get(sum, "previous"), &d->previous);
	change_of(json_object_get(sum, "change"), &d->change);
	degradation_of(json_object_get(answer, "degradation"), &d->deg);
	json_t *rows = json_object_get(answer, "workflows");
	d->steps = rows == NULL;
	if (rows == NULL)
		rows = json_object_get(answer, "steps");
	d->nrows = json_array_size(rows);
	d->rows = xcalloc(d->nrows ? d->nrows : 1, sizeof *d->rows);
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		struct md_row *row = &d->rows[i];
		copy(row->id, sizeof row->id, json_string_value(json_object_get(r, d->steps ? "step_id" : "id")));
		copy(row->name, sizeof row->name, json_string_value(json_object_get(r, "name")));
		figures_of(r, &row->cur);
		figures_of(json_object_get(r, "previous"), &row->prev);
		change_of(json_object_get(r, "change"), &row->change);
		degradation_of(json_object_get(r, "degradation"), &row->deg);
	}
	json_t *trend = json_object_get(answer, "trend");
	d->npoints = json_array_size(trend);
	d->trend = xcalloc(d->npoints ? d->npoints : 1, sizeof *d->trend);
	json_array_foreach(trend, i, r) {
		d->trend[i].start_ms = time_of(r, "start");
		figures_of(r, &d->trend[i].f);
	}
	return 0;
}

json_t *metrics_request_new(const char *id, const char *workflow, const char *range, const char *from,
			    const char *to, const char *bucket)
{
	json_t *p = json_object();
	const char *keys[] = { "workflow", "range", "from", "to", "bucket" };
	const char *vals[] = { workflow, range, from, to, bucket };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (vals[i] != NULL)
			json_object_set_new(p, keys[i], json_string(vals[i]));
	return json_pack("{s:s,s:s,s:s,s:o}", "type", "query", "id", id, "query", "metrics", "params", p);
}

/* ---- sorting ---------------------------------------------------------------------------- */

static const char *const sort_names[MD_SORT__COUNT] = {
	[MD_SORT_RUNS] = "runs", [MD_SORT_NAME] = "name", [MD_SORT_SUCCESS] = "success",
	[MD_SORT_AVG] = "avg", [MD_SORT_P50] = "p50", [MD_SORT_P95] = "p95", [MD_SORT_P99] = "p99",
	[MD_SORT_CHANGE] = "change",
};

const char *metrics_sort_name(enum md_sort s)
{
	return (unsigned)s < MD_SORT__COUNT ? sort_names[s] : NULL;
}

static enum md_sort sort_key;
static bool sort_reverse;

/* The value a row sorts by, larger first; unknown is NAN. Success sorts the
 * worst (lowest) first, so it is negated. */
static double sort_value(const struct md_row *r)
{
	switch (sort_key) {
	case MD_SORT_RUNS: return (double)r->cur.runs;
	case MD_SORT_SUCCESS: return r->cur.success_rate < 0 ? NAN : -r->cur.success_rate;
	case MD_SORT_AVG: return r->cur.avg_ms < 0 ? NAN : r->cur.avg_ms;
	case MD_SORT_P50: return r->cur.p50_ms < 0 ? NAN : (double)r->cur.p50_ms;
	case MD_SORT_P95: return r->cur.p95_ms < 0 ? NAN : (double)r->cur.p95_ms;
	case MD_SORT_P99: return r->cur.p99_ms < 0 ? NAN : (double)r->cur.p99_ms;
	case MD_SORT_CHANGE: return r->change.p95_pct;
	default: return NAN;
	}
}

static int row_cmp(const void *x, const void *y)
{
	const struct md_row *a = x, *b = y;
	int c;
	if (sort_key == MD_SORT_NAME) {
		c = strcmp(a->name, b->name);
	} else {
		double va = sort_value(a), vb = sort_value(b);
		bool na = isnan(va), nb = isnan(vb);
		if (na != nb)
			return na ? 1 : -1;   /* unknown last, whatever the direction */
		c = na ? 0 : va > vb ? -1 : va < vb ? 1 : 0;
	}
	if (c == 0)
		c = strcmp(a->id, b->id);
	return sort_reverse ? -c : c;
}

void metrics_data_sort(struct metrics_data *d, enum md_sort s, bool reverse)
{
	/* qsort has no context argument: the key lives here for the call. */
	sort_key = s;
	sort_reverse = reverse;
	qsort(d->rows, d->nrows, sizeof *d->rows, row_cmp);
}

/* ---- exports ---------------------------------------------------------------------------- */

void metrics_time_iso(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void metrics_time_local(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

void metrics_format_percent(enum fmt_lang lang, double v, char *buf, size_t len)
{
	if (v < 0) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_percent(lang, v, 1, buf, len);
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void csv_text(FILE *f, const char *s, bool first)
{
	if (!first)
		fputc(',', f);
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void csv_int(FILE *f, int64_t v)
{
	if (v < 0)
		fputc(',', f);
	else
		fprintf(f, ",%lld", (long long)v);
}

/* Two decimals with a '.', whatever LC_NUMERIC says. */
static void csv_real(FILE *f, double v, bool known)
{
	if (!known || isnan(v)) {
		fputc(',', f);
		return;
	}
	long long cents = llround(v * 100.0);
	const char *sign = cents < 0 ? "-" : "";
	if (cents < 0)
		cents = -cents;
	fprintf(f, ",%s%lld.%02lld", sign, cents / 100, cents % 100);
}

static const char *const csv_header[] = {
	"kind", "workflow_id", "workflow_name", "step_id", "step_name", "period_start", "period_end", "runs",
	"completed", "failed", "cancelled", "success_rate", "avg_ms", "p50_ms", "p95_ms", "p99_ms", "min_ms",
	"max_ms", "avg_wait_ms", "per_hour", "per_day", "per_week", "change_runs_per_hour_percent",
	"change_success_rate_points", "change_avg_ms_percent", "change_p50_ms_percent",
	"change_p95_ms_percent", "change_p99_ms_percent", "degraded", NULL,
};

struct csv_row {
	const char *kind, *wf_id, *wf_name, *step_id, *step_name;
	int64_t start, end;
	const struct md_figures *f;
	const struct md_change *c;         /* NULL: none */
	const struct md_degradation *deg;  /* NULL or absent: empty */
	bool rates;                        /* per hour/day/week apply */
};

static void csv_line(FILE *f, const struct csv_row *r)
{
	char a[40], b[40];
	metrics_time_iso(r->start, a, sizeof a);
	metrics_time_iso(r->end, b, sizeof b);
	csv_text(f, r->kind, true);
	csv_text(f, r->wf_id, false);
	csv_text(f, r->wf_name, false);
	csv_text(f, r->step_id, false);
	csv_text(f, r->step_name, false);
	csv_text(f, a, false);
	csv_text(f, b, false);
	const struct md_figures *x = r->f;
	csv_int(f, x->runs);
	csv_int(f, x->completed);
	csv_int(f, x->failed);
	csv_int(f, x->cancelled);
	csv_real(f, x->success_rate, x->success_rate >= 0);
	csv_real(f, x->avg_ms, x->avg_ms >= 0);
	csv_int(f, x->p50_ms);
	csv_int(f, x->p95_ms);
	csv_int(f, x->p99_ms);
	csv_int(f, x->min_ms);
	csv_int(f, x->max_ms);
	csv_real(f, x->avg_wait_ms, x->avg_wait_ms >= 0);
	csv_real(f, x->per_hour, r->rates);
	csv_real(f, x->per_day, r->rates);
	csv_real(f, x->per_week, r->rates);
	const struct md_change *c = r->c;
	csv_real(f, c ? c->runs_per_hour_pct : NAN, c != NULL);
	csv_real(f, c ? c->success_points : NAN, c != NULL);
	csv_real(f, c ? c->avg_pct : NAN, c != NULL);
	csv_real(f, c ? c->p50_pct : NAN, c != NULL);
	csv_real(f, c ? c->p95_pct : NAN, c != NULL);
	csv_real(f, c ? c->p99_pct : NAN, c != NULL);
	csv_text(f, r->deg && r->deg->present ? (r->deg->degraded ? "true" : "false") : "", false);
	fputs("\r\n", f);
}

int metrics_export_csv(const struct metrics_data *d, FILE *f)
{
	for (size_t i = 0; csv_header[i] != NULL; i++)
		csv_text(f, csv_header[i], i == 0);
	fputs("\r\n", f);
	int64_t cur_end = d->now_ms > 0 && d->now_ms < d->to_ms ? d->now_ms : d->to_ms;
	const char *wid = d->workflow_id, *wname = d->workflow_name;
	if (d->has_summary) {
		csv_line(f, &(struct csv_row){ "summary", wid, wname, "", "", d->from_ms, cur_end, &d->summary,
					       &d->change, &d->deg, true });
		csv_line(f, &(struct csv_row){ "previous", wid, wname, "", "", d->prev_from_ms, d->prev_to_ms,
					       &d->previous, NULL, NULL, true });
	}
	for (size_t i = 0; i < d->nrows; i++) {
		const struct md_row *r = &d->rows[i];
		struct csv_row cur = { d->steps ? "step" : "workflow", d->steps ? wid : r->id, d->steps ? wname : r->name,
				       d->steps ? r->id : "", d->steps ? r->name : "", d->from_ms, cur_end, &r->cur,
				       &r->change, &r->deg, true };
		csv_line(f, &cur);
		cur.kind = d->steps ? "step_previous" : "workflow_previous";
		cur.start = d->prev_from_ms;
		cur.end = d->prev_to_ms;
		cur.f = &r->prev;
		cur.c = NULL;
		cur.deg = NULL;
		csv_line(f, &cur);
	}
	for (size_t i = 0; i < d->npoints; i++)
		csv_line(f, &(struct csv_row){ "trend", wid, wname, "", "", d->trend[i].start_ms,
					       d->trend[i].start_ms + d->bucket_ms, &d->trend[i].f, NULL, NULL, false });
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

int metrics_export_json(const struct metrics_data *d, FILE *f)
{
	if (d->raw == NULL || json_dumpf(d->raw, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) != 0)
		return -1;
	fputc('\n', f);
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

/* ---- the console's state ------------------------------------------------------------------- */

void metrics_model_init(struct metrics_model *m)
{
	memset(m, 0, sizeof *m);
	metrics_data_init(&m->data);
}

void metrics_model_free(struct metrics_model *m)
{
	metrics_data_free(&m->data);
	memset(m, 0, sizeof *m);
}

json_t *metrics_model_request_new(struct metrics_model *m, const char *workflow, const char *range,
				  const char *bucket, int64_t now_ms)
{
	snprintf(m->id, sizeof m->id, "%s%llu", METRICS_ID_PREFIX, (unsigned long long)++m->next_id);
	m->state = MSTATE_PENDING;
	m->asked_ms = now_ms;
	return metrics_request_new(m->id, workflow, range, NULL, NULL, bucket);
}

static bool ours(const struct metrics_model *m, json_t *msg)
{
	const char *id = json_string_value(json_object_get(msg, "id"));
	return id != NULL && m->id[0] != '\0' && strcmp(id, m->id) == 0;
}

void metrics_model_take(struct metrics_model *m, json_t *data, const char *error)
{
	struct metrics_data d;
	metrics_data_init(&d);
	char err[128] = "";
	if (error != NULL || metrics_data_parse(&d, data, err, sizeof err) != 0) {
		metrics_data_free(&d);
		m->state = MSTATE_ERROR;
		snprintf(m->error, sizeof m->error, "%s", error ? error : err);
		m->error_field[0] = '\0';
	} else {
		metrics_data_free(&m->data);
		m->data = d;
		m->has_data = true;
		m->state = MSTATE_LOADED;
	}
	m->serial++;
}

bool metrics_model_on_result(struct metrics_model *m, json_t *msg)
{
	if (!ours(m, msg))
		return false;
	metrics_model_take(m, json_object_get(msg, "data"), NULL);
	return true;
}

bool metrics_model_on_error(struct metrics_model *m, json_t *msg)
{
	if (!ours(m, msg))
		return false;
	m->state = MSTATE_ERROR;
	snprintf(m->error, sizeof m->error, "%s", json_string_value(json_object_get(msg, "message")) ?: "error");
	snprintf(m->error_field, sizeof m->error_field, "%s", json_string_value(json_object_get(msg, "field")) ?: "");
	m->serial++;
	return true;
}
