/* metrics.c: the definitions of the performance figures (see metrics.h): the
 * metrics query's parameters, its periods and buckets, the rollup blocks a
 * period is cut into, the figures and their changes, and the degradation
 * verdict.
 *
 * Invariants: a resolved frame's periods are aligned to its bucket, hold at
 * most METRICS_MAX_POINTS buckets and are never longer than
 * METRICS_MAX_RANGE_MS; the previous period is exactly as long as the
 * current one and ends where it starts; every refusal names the parameter. */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto-internal.h"

void metrics_settings_defaults(struct metrics_settings *s)
{
	*s = (struct metrics_settings){
		.rollup_retention_days = 400,
		.rollup_interval_s = 10,
		.degrade_window_hours = 3,
		.degrade_baseline_days = 7,
		.degrade_p95_margin_pct = 50,
		.degrade_success_margin_pts = 10,
		.degrade_min_runs = 10,
		.degrade_check_interval_s = 60,
		.prometheus_workflows = 20,
	};
}

/* ---- time ------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t origin_of(int64_t span_ms)
{
	return span_ms % METRICS_WEEK_MS == 0 ? METRICS_WEEK_ORIGIN_MS : 0;
}

int64_t metrics_floor(int64_t ms, int64_t span_ms)
{
	int64_t o = origin_of(span_ms);
	return o + floor_div(ms - o, span_ms) * span_ms;
}

int64_t metrics_ceil(int64_t ms, int64_t span_ms)
{
	int64_t f = metrics_floor(ms, span_ms);
	return f == ms ? ms : f + span_ms;
}

static const struct {
	const char *name;
	int64_t ms;
} buckets[] = {
	{ "1m", METRICS_MINUTE_MS }, { "5m", 5 * METRICS_MINUTE_MS }, { "15m", 15 * METRICS_MINUTE_MS },
	{ "1h", METRICS_HOUR_MS },   { "1d", METRICS_DAY_MS },        { "1w", METRICS_WEEK_MS },
};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

int64_t metrics_bucket_parse(const char *name)
{
	for (size_t i = 0; name != NULL && i < NBUCKETS; i++)
		if (strcmp(buckets[i].name, name) == 0)
			return buckets[i].ms;
	return 0;
}

const char *metrics_bucket_name(int64_t bucket_ms)
{
	for (size_t i = 0; i < NBUCKETS; i++)
		if (buckets[i].ms == bucket_ms)
			return buckets[i].name;
	return NULL;
}

int metrics_range_parse(const char *text, int64_t *ms_out)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {
		{ 'm', METRICS_MINUTE_MS }, { 'h', METRICS_HOUR_MS }, { 'd', METRICS_DAY_MS },
		{ 'w', METRICS_WEEK_MS },   { 'y', 365 * METRICS_DAY_MS },
	};
	if (text == NULL || text[0] < '1' || text[0] > '9')
		return -1;
	char *end;
	long long n = strtoll(text, &end, 10);
	if (n <= 0 || n > 1000000 || end[0] == '\0' || end[1] != '\0')
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (units[i].unit == end[0]) {
			*ms_out = n * units[i].ms;
			return 0;
		}
	}
	return -1;
}

int64_t metrics_bucket_auto(int64_t len_ms)
{
	/* 1w is never chosen: a day is the coarsest automatic bucket. */
	int64_t best = buckets[0].ms;
	for (size_t i = 0; i < NBUCKETS && buckets[i].ms <= METRICS_DAY_MS; i++)
		if ((len_ms + buckets[i].ms - 1) / buckets[i].ms >= METRICS_AUTO_MIN_POINTS)
			best = buckets[i].ms;
	return best;
}

const int64_t metrics_levels_ms[METRICS_LEVELS] = {
	METRICS_4WEEK_MS, METRICS_WEEK_MS, METRICS_DAY_MS, METRICS_HOUR_MS,
};

int metrics_decompose(int64_t from_ms, int64_t to_ms, bool open_end, struct metrics_block *out, size_t max)
{
	size_t n = 0;
	int64_t t = from_ms;
	while (t < to_ms) {
		int64_t span = 0;
		for (int l = 0; l < METRICS_LEVELS && span == 0; l++) {
			int64_t L = metrics_levels_ms[l];
			if (metrics_floor(t, L) == t && (t + L <= to_ms || open_end))
				span = L;
		}
		if (span == 0 || n == max)
			return -1;   /* not hour-aligned, or too many blocks */
		out[n++] = (struct metrics_block){ .start_ms = t, .span_ms = span };
		t += span;
	}
	return (int)n;
}

/* ---- parameters ------------------------------------------------------------------------- */

static const char *const part_names[PART__COUNT] = {
	[PART_SUMMARY] = "summary", [PART_TREND] = "trend", [PART_WORKFLOWS] = "workflows",
	[PART_STEPS] = "steps", [PART_DEGRADATION] = "degradation",
};

const char *metrics_part_name(enum metrics_part p)
{
	return (unsigned)p < PART__COUNT ? part_names[p] : NULL;
}

static int part_parse(const char *name)
{
	for (int i = 0; name != NULL && i < PART__COUNT; i++)
		if (strcmp(part_names[i], name) == 0)
			return i;
	return -1;
}

static const char *const param_names[] = { "workflow", "range", "from", "to", "bucket", "include", "max_age_s",
					     NULL };

static bool text_ok(json_t *v, size_t max)
{
	return json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= max &&
	       strlen(json_string_value(v)) == json_string_length(v);
}

/* Checks one time parameter; *ms gets its value. */
static int time_param(json_t *v, const char *field, int64_t *ms, struct proto_cause *cause)
{
	if (!json_is_string(v) || proto_time_parse(json_string_value(v), ms) != 0)
		return proto_fail(cause, field, "must be an RFC 3339 time such as 2026-11-01T00:00:00Z");
	return 0;
}

/* The parts asked for, as a normalized array. */
static json_t *include_new(json_t *v, bool one_workflow, struct proto_cause *cause)
{
	bool want[PART__COUNT] = { false };
	if (v == NULL || json_is_null(v)) {
		want[PART_SUMMARY] = want[PART_TREND] = want[PART_DEGRADATION] = true;
		want[one_workflow ? PART_STEPS : PART_WORKFLOWS] = true;
	} else {
		json_t *list = json_is_string(v) ? json_pack("[O]", v) : json_incref(v);
		if (!json_is_array(list) || json_array_size(list) == 0 || json_array_size(list) > PART__COUNT) {
			json_decref(list);
			proto_fail(cause, "include", "must be a list of summary, trend, workflows, steps, degradation");
			return NULL;
		}
		size_t i;
		json_t *p;
		json_array_foreach(list, i, p) {
			int k = part_parse(json_string_value(p));
			if (k < 0) {
				json_decref(list);
				proto_fail(cause, "include", "must be a list of summary, trend, workflows, steps, degradation");
				return NULL;
			}
			want[k] = true;
		}
		json_decref(list);
	}
	if (want[PART_STEPS] && !one_workflow) {
		proto_fail(cause, "include", "steps are per workflow: give a workflow too");
		return NULL;
	}
	json_t *out = json_array();
	for (int k = 0; k < PART__COUNT; k++)
		if (want[k])
			json_array_append_new(out, json_string(part_names[k]));
	return out;
}

json_t *metrics_params_new(json_t *params, struct proto_cause *cause)
{
	if (params != NULL && !json_is_object(params)) {
		proto_fail(cause, "params", "must be an object");
		return NULL;
	}
	const char *key;
	json_t *v;
	json_object_foreach(params, key, v) {
		bool known = false;
		for (const char *const *p = param_names; *p != NULL && !known; p++)
			known = strcmp(*p, key) == 0;
		if (!known) {
			proto_fail(cause, key, "unknown parameter");
			return NULL;
		}
	}
	json_t *out = json_object();
	json_t *wf = json_object_get(params, "workflow");
	if (wf != NULL && !json_is_null(wf)) {
		if (!text_ok(wf, PROTO_MAX_NAME)) {
			proto_fail(cause, "workflow", "must be a workflow id or name of 1 to %d bytes", PROTO_MAX_NAME);
			goto fail;
		}
		json_object_set(out, "workflow", wf);
	}
	json_t *range = json_object_get(params, "range"), *from = json_object_get(params, "from");
	json_t *to = json_object_get(params, "to"), *bucket = json_object_get(params, "bucket");
	if (json_is_null(range))
		range = NULL;
	if (json_is_null(from))
		from = NULL;
	if (json_is_null(to))
		to = NULL;
	if (json_is_null(bucket))
		bucket = NULL;
	if (range != NULL && (from != NULL || to != NULL)) {
		proto_fail(cause, "range", "give either range or from (and to), not both");
		goto fail;
	}
	if (to != NULL && from == NULL) {
		proto_fail(cause, "to", "needs from");
		goto fail;
	}
	int64_t bucket_ms = 0;
	if (bucket != NULL) {
		bucket_ms = metrics_bucket_parse(json_string_value(bucket));
		if (bucket_ms == 0) {
			proto_fail(cause, "bucket", "must be one of 1m, 5m, 15m, 1h, 1d, 1w");
			goto fail;
		}
		json_object_set(out, "bucket", bucket);
	}
	int64_t len = 0;
	if (from != NULL) {
		int64_t a, b = 0;
		if (time_param(from, "from", &a, cause) != 0 || (to != NULL && time_param(to, "to", &b, cause) != 0))
			goto fail;
		if (to != NULL && a >= b) {
			proto_fail(cause, "from", "must be before to");
			goto fail;
		}
		len = to != NULL ? b - a : 0;   /* up to now: checked when resolved */
		json_object_set(out, "from", from);
		if (to != NULL)
			json_object_set(out, "to", to);
	} else {
		const char *text = range ? json_string_value(range) : METRICS_DEFAULT_RANGE;
		if (metrics_range_parse(text, &len) != 0) {
			proto_fail(cause, "range", "must be a number and a unit, such as 1h, 24h, 7d, 30d, 90d or 1y");
			goto fail;
		}
		json_object_set_new(out, "range", json_string(text));
	}
	if (len > METRICS_MAX_RANGE_MS) {
		proto_fail(cause, from ? "from" : "range", "covers more than %lld days",
			   (long long)(METRICS_MAX_RANGE_MS / METRICS_DAY_MS));
		goto fail;
	}
	if (len > 0 && bucket_ms > 0 && (len + bucket_ms - 1) / bucket_ms > METRICS_MAX_POINTS) {
		proto_fail(cause, "bucket", "%s over this range gives more than %d points: choose a larger one",
			   json_string_value(bucket), METRICS_MAX_POINTS);
		goto fail;
	}
	json_t *inc = include_new(json_object_get(params, "include"), json_object_get(out, "workflow") != NULL, cause);
	if (inc == NULL)
		goto fail;
	json_object_set_new(out, "include", inc);
	json_t *age = json_object_get(params, "max_age_s");
	if (age != NULL) {
		if (!json_is_integer(age) || json_integer_value(age) < 0 || json_integer_value(age) > METRICS_MAX_AGE_S) {
			proto_fail(cause, "max_age_s", "must be a whole number of seconds from 0 to %d", METRICS_MAX_AGE_S);
			goto fail;
		}
		if (json_integer_value(age) > 0)
			json_object_set(out, "max_age_s", age);
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

int metrics_room_format(const char *range, const char *workflow, char *buf, size_t len)
{
	char id[PROTO_MAX_ID + 2];
	int n = workflow && workflow[0] ? snprintf(id, sizeof id, "%s:%s", range, workflow)
					: snprintf(id, sizeof id, "%s", range);
	if (n < 0 || (size_t)n >= sizeof id || !proto_id_valid(id))
		return -1;
	n = snprintf(buf, len, "metrics:%s", id);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

json_t *metrics_room_params_new(const char *room_id, struct proto_cause *cause)
{
	const char *colon = strchr(room_id, ':');
	size_t rl = colon ? (size_t)(colon - room_id) : strlen(room_id);
	char range[16];
	int64_t ms;
	if (rl == 0 || rl >= sizeof range) {
		proto_fail(cause, "room", "metrics rooms are metrics:<range> or metrics:<range>:<workflow>");
		return NULL;
	}
	memcpy(range, room_id, rl);
	range[rl] = '\0';
	if (metrics_range_parse(range, &ms) != 0) {
		proto_fail(cause, "room", "the range of a metrics room must be a number and a unit, such as 1h, 24h or 7d");
		return NULL;
	}
	json_t *q = json_pack("{s:s}", "range", range);
	if (colon != NULL)
		json_object_set_new(q, "workflow", json_string(colon + 1));
	json_t *params = metrics_params_new(q, cause);
	json_decref(q);
	if (params == NULL)
		snprintf(cause->field, sizeof cause->field, "room");
	return params;
}

int metrics_frame_resolve(json_t *params, int64_t now_ms, struct metrics_frame *f, struct proto_cause *cause)
{
	memset(f, 0, sizeof *f);
	f->now_ms = now_ms;
	f->workflow = json_string_value(json_object_get(params, "workflow"));
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(params, "include"), i, p) {
		int k = part_parse(json_string_value(p));
		if (k >= 0)
			f->parts[k] = true;
	}
	const char *bucket = json_string_value(json_object_get(params, "bucket"));
	int64_t b = bucket ? metrics_bucket_parse(bucket) : 0;
	if (bucket != NULL && b == 0)
		return proto_fail(cause, "bucket", "must be one of 1m, 5m, 15m, 1h, 1d, 1w");
	const char *from = json_string_value(json_object_get(params, "from"));
	const char *field = from ? "from" : "range";
	int64_t a, z, len;
	if (from != NULL) {
		const char *to = json_string_value(json_object_get(params, "to"));
		if (proto_time_parse(from, &a) != 0)
			return proto_fail(cause, "from", "must be an RFC 3339 time such as 2026-11-01T00:00:00Z");
		z = now_ms;
		if (to != NULL && proto_time_parse(to, &z) != 0)
			return proto_fail(cause, "to", "must be an RFC 3339 time such as 2026-11-01T00:00:00Z");
		if (z > now_ms)
			z = now_ms;
		if (a >= z)
			return proto_fail(cause, "from", to ? "must be before to (and before now)" : "must be before now");
		len = z - a;
		f->open_end = z >= now_ms;
	} else {
		const char *range = json_string_value(json_object_get(params, "range"));
		if (metrics_range_parse(range ? range : METRICS_DEFAULT_RANGE, &len) != 0)
			return proto_fail(cause, "range", "must be a number and a unit, such as 1h, 24h, 7d, 30d, 90d or 1y");
		z = now_ms;
		a = now_ms - len;
		f->open_end = true;
	}
	if (len > METRICS_MAX_RANGE_MS)
		return proto_fail(cause, field, "covers more than %lld days",
				  (long long)(METRICS_MAX_RANGE_MS / METRICS_DAY_MS));
	if (b == 0)
		b = metrics_bucket_auto(len);
	if (from == NULL) {
		/* The last N buckets, the current one included. */
		int64_t n = (len + b - 1) / b;
		f->to_ms = metrics_floor(now_ms, b) + b;
		f->from_ms = f->to_ms - n * b;
	} else {
		f->from_ms = metrics_floor(a, b);
		f->to_ms = f->open_end ? metrics_floor(now_ms, b) + b : metrics_ceil(z, b);
	}
	int64_t points = (f->to_ms - f->from_ms) / b;
	if (points > METRICS_MAX_POINTS)
		return proto_fail(cause, "bucket", "%s over this range gives %lld points, more than %d: choose a larger one",
				  metrics_bucket_name(b), (long long)points, METRICS_MAX_POINTS);
	f->bucket_ms = b;
	f->points = (uint32_t)points;
	f->prev_to_ms = f->from_ms;
	f->prev_from_ms = f->from_ms - (f->to_ms - f->from_ms);
	return 0;
}

int64_t metrics_frame_covered_ms(const struct metrics_frame *f)
{
	int64_t end = f->open_end && f->now_ms < f->to_ms ? f->now_ms : f->to_ms;
	return end > f->from_ms ? end - f->from_ms : 1;
}

/* ---- figures ------------------------------------------------------------------------------ */

void metrics_agg_init(struct metrics_agg *a)
{
	memset(a, 0, sizeof *a);
	hist_init(&a->dur);
}

void metrics_agg_free(struct metrics_agg *a)
{
	hist_free(&a->dur);
	memset(a, 0, sizeof *a);
}

void metrics_agg_merge(struct metrics_agg *dst, const struct metrics_agg *src)
{
	dst->completed += src->completed;
	dst->failed += src->failed;
	dst->cancelled += src->cancelled;
	dst->wait_count += src->wait_count;
	dst->wait_sum_ms += src->wait_sum_ms;
	hist_merge(&dst->dur, &src->dur);
}

void metrics_agg_add(struct metrics_agg *a, const char *status, int64_t dur_ms, int64_t wait_ms)
{
	if (strcmp(status, "completed") == 0)
		a->completed++;
	else if (strcmp(status, "failed") == 0)
		a->failed++;
	else
		a->cancelled++;
	if (dur_ms >= 0)
		hist_add(&a->dur, dur_ms);
	if (wait_ms >= 0) {
		a->wait_count++;
		a->wait_sum_ms += (uint64_t)wait_ms;
	}
}

static void take_one(uint64_t *n)
{
	if (*n > 0)
		(*n)--;
}

void metrics_agg_remove(struct metrics_agg *a, const char *status, int64_t dur_ms, int64_t wait_ms)
{
	if (strcmp(status, "completed") == 0)
		take_one(&a->completed);
	else if (strcmp(status, "failed") == 0)
		take_one(&a->failed);
	else
		take_one(&a->cancelled);
	if (dur_ms >= 0)
		(void)hist_remove(&a->dur, dur_ms);
	if (wait_ms >= 0 && a->wait_count > 0) {
		a->wait_count--;
		a->wait_sum_ms = a->wait_sum_ms > (uint64_t)wait_ms ? a->wait_sum_ms - (uint64_t)wait_ms : 0;
	}
}

uint64_t metrics_agg_runs(const struct metrics_agg *a)
{
	return a->completed + a->failed + a->cancelled;
}

double metrics_success_rate(uint64_t completed, uint64_t failed)
{
	if (completed + failed == 0)
		return -1;
	return 100.0 * (double)completed / (double)(completed + failed);
}

static double round2(double v)
{
	return round(v * 100.0) / 100.0;
}

static json_t *ms_or_null(int64_t v)
{
	return v < 0 ? json_null() : json_integer(v);
}

json_t *metrics_figures_new(const struct metrics_agg *a, int64_t period_ms)
{
	uint64_t runs = metrics_agg_runs(a);
	double sr = metrics_success_rate(a->completed, a->failed);
	const struct hist *h = &a->dur;
	double hours = (double)(period_ms > 0 ? period_ms : 1) / (double)METRICS_HOUR_MS;
	json_t *o = json_object();
	json_object_set_new(o, "runs", json_integer((json_int_t)runs));
	json_object_set_new(o, "completed", json_integer((json_int_t)a->completed));
	json_object_set_new(o, "failed", json_integer((json_int_t)a->failed));
	json_object_set_new(o, "cancelled", json_integer((json_int_t)a->cancelled));
	json_object_set_new(o, "success_rate", sr < 0 ? json_null() : json_real(round2(sr)));
	json_object_set_new(o, "avg_ms", h->count ? json_real(round2((double)hist_sum(h) / (double)h->count))
						  : json_null());
	json_object_set_new(o, "p50_ms", ms_or_null(hist_percentile(h, 5000)));
	json_object_set_new(o, "p95_ms", ms_or_null(hist_percentile(h, 9500)));
	json_object_set_new(o, "p99_ms", ms_or_null(hist_percentile(h, 9900)));
	json_object_set_new(o, "min_ms", h->count ? json_integer(h->min_ms) : json_null());
	json_object_set_new(o, "max_ms", h->count ? json_integer(h->max_ms) : json_null());
	json_object_set_new(o, "avg_wait_ms", a->wait_count ? json_real(round2((double)a->wait_sum_ms /
										     (double)a->wait_count))
							    : json_null());
	json_object_set_new(o, "per_hour", json_real(round2((double)runs / hours)));
	json_object_set_new(o, "per_day", json_real(round2((double)runs / hours * 24)));
	json_object_set_new(o, "per_week", json_real(round2((double)runs / hours * 168)));
	return o;
}

static json_t *pct_change(json_t *cur, json_t *prev)
{
	if (!json_is_number(cur) || !json_is_number(prev) || json_number_value(prev) <= 0)
		return json_null();
	return json_real(round2((json_number_value(cur) - json_number_value(prev)) / json_number_value(prev) * 100.0));
}

json_t *metrics_change_new(json_t *cur, json_t *prev)
{
	json_t *o = json_object();
	json_object_set_new(o, "runs_per_hour_percent",
			    pct_change(json_object_get(cur, "per_hour"), json_object_get(prev, "per_hour")));
	json_t *a = json_object_get(cur, "success_rate"), *b = json_object_get(prev, "success_rate");
	json_object_set_new(o, "success_rate_points", json_is_number(a) && json_is_number(b)
			    ? json_real(round2(json_number_value(a) - json_number_value(b))) : json_null());
	static const char *const keys[][2] = {
		{ "avg_ms", "avg_ms_percent" }, { "p50_ms", "p50_ms_percent" },
		{ "p95_ms", "p95_ms_percent" }, { "p99_ms", "p99_ms_percent" },
	};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		json_object_set_new(o, keys[i][1], pct_change(json_object_get(cur, keys[i][0]),
							      json_object_get(prev, keys[i][0])));
	return o;
}

/* ---- degradation ---------------------------------------------------------------------------- */

void metrics_health_of(const struct metrics_agg *a, struct metrics_health *h)
{
	h->runs = (int64_t)(a->completed + a->failed);
	h->success_rate = metrics_success_rate(a->completed, a->failed);
	h->p95_ms = hist_percentile(&a->dur, 9500);
}

bool metrics_health_decidable(const struct metrics_health *recent, const struct metrics_health *base,
			      const struct metrics_margins *m)
{
	int64_t need = m->min_runs > 0 ? m->min_runs : 1;
	return recent->runs >= need && base->runs >= need;
}

unsigned metrics_degraded(const struct metrics_health *recent, const struct metrics_health *base,
			  const struct metrics_margins *m)
{
	if (!metrics_health_decidable(recent, base, m))
		return 0;
	unsigned why = 0;
	if (recent->p95_ms >= 0 && base->p95_ms >= 0 &&
	    (double)recent->p95_ms > (double)base->p95_ms * (1.0 + m->p95_percent / 100.0))
		why |= DEGRADED_P95;
	if (recent->success_rate >= 0 && base->success_rate >= 0 &&
	    recent->success_rate < base->success_rate - m->success_points)
		why |= DEGRADED_SUCCESS;
	return why;
}

static json_t *health_json_new(const struct metrics_health *h)
{
	return json_pack("{s:I,s:o,s:o}", "runs", (json_int_t)h->runs, "success_rate",
			 h->success_rate < 0 ? json_null() : json_real(round2(h->success_rate)), "p95_ms",
			 ms_or_null(h->p95_ms));
}

json_t *metrics_degradation_new(const struct metrics_health *recent, const struct metrics_health *base,
				const struct metrics_margins *m, int window_hours, int baseline_days)
{
	unsigned why = metrics_degraded(recent, base, m);
	json_t *reasons = json_array();
	if (why & DEGRADED_P95)
		json_array_append_new(reasons, json_string("p95"));
	if (why & DEGRADED_SUCCESS)
		json_array_append_new(reasons, json_string("success_rate"));
	return json_pack("{s:b,s:b,s:o,s:i,s:i,s:o,s:o,s:{s:f,s:f,s:I}}", "degraded", why != 0, "decidable",
			 metrics_health_decidable(recent, base, m), "reasons", reasons, "window_hours", window_hours,
			 "baseline_days", baseline_days, "recent", health_json_new(recent), "baseline",
			 health_json_new(base), "margins", "p95_percent", m->p95_percent, "success_points",
			 m->success_points, "min_runs", (json_int_t)m->min_runs);
}
