/* test_metrics.c: the metric definitions (metrics.h) and the client's side
 * of an answer (metrics_data.h): bucketing across day boundaries in UTC
 * with local display, rollup blocks, the query's parameters and periods,
 * the figures (the specification's cases), changes, degradation, sorting
 * and the CSV writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "metrics_data.h"

static int64_t at(const char *rfc3339)
{
	int64_t ms;
	if (proto_time_parse(rfc3339, &ms) != 0)
		fail_msg("bad test time %s", rfc3339);
	return ms;
}

static void assert_time(int64_t ms, const char *want)
{
	char buf[40];
	metrics_time_iso(ms, buf, sizeof buf);
	assert_string_equal(buf, want);
}

/* ---- time ------------------------------------------------------------------------ */

static void test_day_boundaries_utc_local_display(void **state)
{
	(void)state;
	/* The last millisecond of a UTC day and the first of the next. */
	assert_time(metrics_floor(at("2026-03-28T23:59:59.999Z"), METRICS_DAY_MS), "2026-03-28T00:00:00Z");
	assert_time(metrics_floor(at("2026-03-29T00:00:00.000Z"), METRICS_DAY_MS), "2026-03-29T00:00:00Z");
	/* An execution finishing at 00:30 in Warsaw (23:30 UTC) is in the UTC day before. */
	assert_time(metrics_floor(at("2026-03-29T00:30:00+01:00"), METRICS_DAY_MS), "2026-03-28T00:00:00Z");
	assert_time(metrics_ceil(at("2026-03-28T00:00:00.001Z"), METRICS_DAY_MS), "2026-03-29T00:00:00Z");
	assert_time(metrics_ceil(at("2026-03-28T00:00:00Z"), METRICS_DAY_MS), "2026-03-28T00:00:00Z");
	/* Hours and minutes. */
	assert_time(metrics_floor(at("2026-11-23T10:59:59Z"), METRICS_HOUR_MS), "2026-11-23T10:00:00Z");
	assert_time(metrics_floor(at("2026-11-23T10:59:59Z"), 15 * METRICS_MINUTE_MS), "2026-11-23T10:45:00Z");
	/* Weeks start on Mondays (2026-11-23 is one); four-week blocks too. */
	assert_time(metrics_floor(at("2026-11-25T12:00:00Z"), METRICS_WEEK_MS), "2026-11-23T00:00:00Z");
	assert_time(metrics_floor(at("2026-11-23T00:00:00Z"), METRICS_WEEK_MS), "2026-11-23T00:00:00Z");
	assert_time(metrics_floor(at("2026-11-22T23:59:59Z"), METRICS_WEEK_MS), "2026-11-16T00:00:00Z");
	assert_time(metrics_floor(at("2026-12-06T08:00:00Z"), METRICS_4WEEK_MS), "2026-11-23T00:00:00Z");
	assert_time(metrics_floor(at("1969-12-31T23:00:00Z"), METRICS_DAY_MS), "1969-12-31T00:00:00Z");

	/* Shown in local time: a UTC day starts at 01:00 in Warsaw in winter,
	 * 02:00 after the switch to summer time (2026-03-29). */
	char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	setenv("TZ", "Europe/Warsaw", 1);
	tzset();
	char buf[40];
	metrics_time_local(at("2026-03-28T00:00:00Z"), buf, sizeof buf);
	assert_string_equal(buf, "2026-03-28 01:00");
	metrics_time_local(at("2026-03-30T00:00:00Z"), buf, sizeof buf);
	assert_string_equal(buf, "2026-03-30 02:00");
	metrics_time_local(metrics_floor(at("2026-03-29T00:30:00+01:00"), METRICS_DAY_MS), buf, sizeof buf);
	assert_string_equal(buf, "2026-03-28 01:00");
	if (tz != NULL)
		setenv("TZ", tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(tz);
}

static void test_buckets_and_ranges(void **state)
{
	(void)state;
	assert_int_equal(metrics_bucket_parse("15m"), 15 * METRICS_MINUTE_MS);
	assert_int_equal(metrics_bucket_parse("1w"), METRICS_WEEK_MS);
	assert_int_equal(metrics_bucket_parse("2h"), 0);
	assert_int_equal(metrics_bucket_parse(NULL), 0);
	assert_string_equal(metrics_bucket_name(METRICS_DAY_MS), "1d");
	assert_null(metrics_bucket_name(7));
	int64_t ms;
	assert_int_equal(metrics_range_parse("30d", &ms), 0);
	assert_int_equal(ms, 30 * METRICS_DAY_MS);
	assert_int_equal(metrics_range_parse("1y", &ms), 0);
	assert_int_equal(ms, 365 * METRICS_DAY_MS);
	assert_int_equal(metrics_range_parse("90m", &ms), 0);
	assert_int_equal(ms, 90 * METRICS_MINUTE_MS);
	static const char *const bad[] = { "", "d", "0d", "-1d", "3x", "1.5h", "30 d", "07d", "1dd", NULL };
	for (int i = 0; bad[i]; i++)
		if (metrics_range_parse(bad[i], &ms) == 0)
			fail_msg("range '%s' accepted", bad[i]);
	/* The largest bucket with at least 24 points, 1 d at most. */
	static const struct { const char *range, *bucket; } autos[] = {
		{ "1h", "1m" }, { "2h", "5m" }, { "6h", "15m" }, { "24h", "1h" }, { "7d", "1h" },
		{ "30d", "1d" }, { "90d", "1d" }, { "1y", "1d" }, { "10m", "1m" },
	};
	for (size_t i = 0; i < sizeof autos / sizeof autos[0]; i++) {
		assert_int_equal(metrics_range_parse(autos[i].range, &ms), 0);
		assert_string_equal(metrics_bucket_name(metrics_bucket_auto(ms)), autos[i].bucket);
	}
}

static void check_blocks(int64_t from, int64_t to, bool open, int max_blocks)
{
	struct metrics_block b[256];
	int n = metrics_decompose(from, to, open, b, 256);
	assert_true(n > 0 && n <= max_blocks);
	int64_t t = from;
	for (int i = 0; i < n; i++) {
		assert_int_equal(b[i].start_ms, t);
		assert_int_equal(metrics_floor(b[i].start_ms, b[i].span_ms), b[i].start_ms);
		t += b[i].span_ms;
		if (!open)
			assert_true(t <= to);
	}
	assert_true(open ? (t >= to && t - b[n - 1].span_ms < to) : t == to);
}

static void test_rollup_blocks(void **state)
{
	(void)state;
	int64_t now_h = at("2026-12-06T09:00:00Z");
	/* A year up to now, from a day boundary: a few dozen rows at most. */
	check_blocks(at("2025-12-07T00:00:00Z"), now_h, true, 30);
	/* The year before it, closed at both ends. */
	check_blocks(at("2024-12-07T00:00:00Z"), at("2025-12-07T00:00:00Z"), false, 30);
	/* Hour-aligned ends. */
	check_blocks(at("2026-11-06T13:00:00Z"), at("2026-12-06T09:00:00Z"), false, 60);
	check_blocks(at("2026-12-06T05:00:00Z"), at("2026-12-06T09:00:00Z"), false, 4);
	/* An open end takes the block that holds now whole. */
	struct metrics_block b[8];
	assert_int_equal(metrics_decompose(at("2026-11-23T00:00:00Z"), at("2026-12-06T09:00:00Z"), true, b, 8), 1);
	assert_int_equal(b[0].span_ms, METRICS_4WEEK_MS);
	/* Not hour-aligned, or too many blocks for the room. */
	assert_int_equal(metrics_decompose(at("2026-12-06T05:30:00Z"), now_h, false, b, 8), -1);
	assert_int_equal(metrics_decompose(at("2026-12-01T00:00:00Z"), at("2026-12-06T09:00:00Z"), false, b, 2), -1);
}

/* ---- parameters and periods -------------------------------------------------------------- */

struct param_case {
	const char *json;
	const char *field;   /* NULL: accepted */
};

static const struct param_case param_cases[] = {
	{ "{}", NULL },
	{ "{\"workflow\":\"Invoice processing\",\"range\":\"30d\",\"bucket\":\"1h\"}", NULL },
	{ "{\"from\":\"2026-11-01T00:00:00+01:00\",\"to\":\"2026-12-01T00:00:00+01:00\",\"bucket\":\"1d\"}", NULL },
	{ "{\"include\":\"summary\"}", NULL },
	{ "{\"workflow\":\"x\",\"include\":[\"steps\",\"trend\"]}", NULL },
	{ "{\"workflow\":null,\"range\":null}", NULL },
	{ "{\"range\":\"3x\"}", "range" },
	{ "{\"range\":\"1000d\"}", "range" },
	{ "{\"range\":7}", "range" },
	{ "{\"bucket\":\"2h\"}", "bucket" },
	{ "{\"range\":\"30d\",\"bucket\":\"1m\"}", "bucket" },
	{ "{\"range\":\"7d\",\"from\":\"2026-11-01T00:00:00Z\"}", "range" },
	{ "{\"to\":\"2026-11-01T00:00:00Z\"}", "to" },
	{ "{\"from\":\"yesterday\"}", "from" },
	{ "{\"from\":\"2026-11-01T00:00:00Z\",\"to\":\"soon\"}", "to" },
	{ "{\"from\":\"2026-12-01T00:00:00Z\",\"to\":\"2026-11-01T00:00:00Z\"}", "from" },
	{ "{\"from\":\"2020-01-01T00:00:00Z\",\"to\":\"2026-01-01T00:00:00Z\"}", "from" },
	{ "{\"workflow\":\"\"}", "workflow" },
	{ "{\"include\":[\"everything\"]}", "include" },
	{ "{\"include\":\"steps\"}", "include" },
	{ "{\"include\":[]}", "include" },
	{ "{\"limit\":5}", "limit" },
	{ "[]", "params" },
};

static void test_params(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof param_cases / sizeof param_cases[0]; i++) {
		const struct param_case *c = &param_cases[i];
		json_t *in = json_loads(c->json, JSON_DECODE_ANY, NULL);
		struct proto_cause cause = { { 0 }, { 0 } };
		json_t *out = metrics_params_new(in, &cause);
		if (c->field == NULL && out == NULL)
			fail_msg("case %zu refused: %s: %s", i, cause.field, cause.message);
		if (c->field != NULL) {
			if (out != NULL)
				fail_msg("case %zu accepted", i);
			assert_string_equal(cause.field, c->field);
			assert_true(cause.message[0] != '\0');
		}
		if (out != NULL) {
			/* Normalized params pass again, unchanged. */
			json_t *again = metrics_params_new(out, &cause);
			assert_non_null(again);
			assert_true(json_equal(again, out));
			json_decref(again);
		}
		json_decref(out);
		json_decref(in);
	}
	/* The defaults: 24 h, and the parts that apply. */
	json_t *out = metrics_params_new(NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(out, "range")), "24h");
	char *s = json_dumps(json_object_get(out, "include"), JSON_COMPACT);
	assert_string_equal(s, "[\"summary\",\"trend\",\"workflows\",\"degradation\"]");
	free(s);
	json_decref(out);
	json_t *one = json_pack("{s:s}", "workflow", "wf");
	out = metrics_params_new(one, NULL);
	s = json_dumps(json_object_get(out, "include"), JSON_COMPACT);
	assert_string_equal(s, "[\"summary\",\"trend\",\"steps\",\"degradation\"]");
	free(s);
	json_decref(out);
	json_decref(one);
}

static int resolve(const char *json, int64_t now, struct metrics_frame *f, struct proto_cause *cause)
{
	json_t *in = json_loads(json, 0, NULL);
	json_t *p = metrics_params_new(in, cause);
	json_decref(in);
	if (p == NULL)
		return -1;
	int rc = metrics_frame_resolve(p, now, f, cause);
	f->workflow = NULL;   /* it borrowed from p */
	json_decref(p);
	return rc;
}

static void test_frames(void **state)
{
	(void)state;
	int64_t now = at("2026-12-06T09:42:17Z");
	struct metrics_frame f;
	struct proto_cause cause;
	/* 30 days: the last 30 UTC days, today included, and the 30 before. */
	assert_int_equal(resolve("{\"range\":\"30d\"}", now, &f, &cause), 0);
	assert_int_equal(f.bucket_ms, METRICS_DAY_MS);
	assert_int_equal(f.points, 30);
	assert_time(f.from_ms, "2026-11-07T00:00:00Z");
	assert_time(f.to_ms, "2026-12-07T00:00:00Z");
	assert_true(f.open_end);
	assert_time(f.prev_from_ms, "2026-10-08T00:00:00Z");
	assert_time(f.prev_to_ms, "2026-11-07T00:00:00Z");
	assert_int_equal(metrics_frame_covered_ms(&f), now - f.from_ms);
	assert_true(f.parts[PART_SUMMARY] && f.parts[PART_TREND] && f.parts[PART_WORKFLOWS] && !f.parts[PART_STEPS]);
	/* 24 hours in hours; 1 hour in minutes. */
	assert_int_equal(resolve("{\"range\":\"24h\"}", now, &f, &cause), 0);
	assert_int_equal(f.points, 24);
	assert_time(f.from_ms, "2026-12-05T10:00:00Z");
	assert_int_equal(resolve("{\"range\":\"1h\"}", now, &f, &cause), 0);
	assert_int_equal(f.bucket_ms, METRICS_MINUTE_MS);
	assert_int_equal(f.points, 60);
	assert_time(f.from_ms, "2026-12-06T08:43:00Z");
	/* A year in days: 365 points. */
	assert_int_equal(resolve("{\"range\":\"1y\"}", now, &f, &cause), 0);
	assert_int_equal(f.points, 365);
	/* from/to widen to whole buckets. */
	assert_int_equal(resolve("{\"from\":\"2026-11-01T00:00:00+01:00\",\"to\":\"2026-11-30T12:00:00+01:00\","
				 "\"bucket\":\"1d\"}", now, &f, &cause), 0);
	assert_false(f.open_end);
	assert_time(f.from_ms, "2026-10-31T00:00:00Z");
	assert_time(f.to_ms, "2026-12-01T00:00:00Z");
	assert_int_equal(f.points, 31);
	assert_int_equal(f.prev_to_ms - f.prev_from_ms, f.to_ms - f.from_ms);
	/* from alone runs to now; a bucket too small for it names "bucket". */
	assert_int_equal(resolve("{\"from\":\"2026-12-06T07:00:00Z\"}", now, &f, &cause), 0);
	assert_true(f.open_end);
	assert_int_equal(f.bucket_ms, 5 * METRICS_MINUTE_MS);
	assert_int_equal(resolve("{\"from\":\"2026-01-01T00:00:00Z\",\"bucket\":\"1m\"}", now, &f, &cause), -1);
	assert_string_equal(cause.field, "bucket");
	/* from after now. */
	assert_int_equal(resolve("{\"from\":\"2026-12-07T00:00:00Z\"}", now, &f, &cause), -1);
	assert_string_equal(cause.field, "from");
	/* A to in the future is now. */
	assert_int_equal(resolve("{\"from\":\"2026-12-06T00:00:00Z\",\"to\":\"2027-01-01T00:00:00Z\"}", now, &f, &cause), 0);
	assert_true(f.open_end);
}

/* ---- figures ---------------------------------------------------------------------------------- */

static void test_spec_figures(void **state)
{
	(void)state;
	struct metrics_agg a;
	metrics_agg_init(&a);
	/* 8 completed and 2 failed (and one cancelled, which counts against nothing). */
	for (int i = 1; i <= 10; i++)
		metrics_agg_add(&a, i <= 8 ? "completed" : "failed", 100 * i, 50);
	metrics_agg_add(&a, "cancelled", -1, -1);
	json_t *f = metrics_figures_new(&a, METRICS_HOUR_MS);
	assert_int_equal(json_integer_value(json_object_get(f, "runs")), 11);
	assert_true(json_real_value(json_object_get(f, "success_rate")) == 80.0);
	assert_int_equal(json_integer_value(json_object_get(f, "p50_ms")), 500);
	assert_int_equal(json_integer_value(json_object_get(f, "p95_ms")), 1000);
	assert_int_equal(json_integer_value(json_object_get(f, "p99_ms")), 1000);
	assert_true(json_real_value(json_object_get(f, "avg_ms")) == 550.0);
	assert_true(json_real_value(json_object_get(f, "avg_wait_ms")) == 50.0);
	assert_true(json_real_value(json_object_get(f, "per_hour")) == 11.0);
	assert_true(json_real_value(json_object_get(f, "per_day")) == 264.0);
	/* Nothing at all: unknowns are null, not zero. */
	struct metrics_agg e;
	metrics_agg_init(&e);
	json_t *g = metrics_figures_new(&e, METRICS_HOUR_MS);
	assert_true(json_is_null(json_object_get(g, "success_rate")));
	assert_true(json_is_null(json_object_get(g, "p95_ms")));
	assert_true(json_is_null(json_object_get(g, "avg_ms")));
	/* Changes: against nothing, null; against something, percent and points. */
	json_t *c = metrics_change_new(f, g);
	assert_true(json_is_null(json_object_get(c, "p95_ms_percent")));
	json_decref(c);
	struct metrics_agg b;
	metrics_agg_init(&b);
	for (int i = 1; i <= 10; i++)
		metrics_agg_add(&b, i <= 9 ? "completed" : "failed", 50 * i, -1);
	json_t *h = metrics_figures_new(&b, METRICS_HOUR_MS);
	c = metrics_change_new(f, h);   /* p95 1000 against 500 */
	assert_true(json_real_value(json_object_get(c, "p95_ms_percent")) == 100.0);
	assert_true(json_real_value(json_object_get(c, "success_rate_points")) == -10.0);
	assert_true(json_real_value(json_object_get(c, "runs_per_hour_percent")) == 10.0);
	json_decref(c);
	json_decref(f), json_decref(g), json_decref(h);
	metrics_agg_free(&a), metrics_agg_free(&e), metrics_agg_free(&b);
}

static void test_degradation(void **state)
{
	(void)state;
	struct metrics_margins m = { .p95_percent = 50, .success_points = 10, .min_runs = 10 };
	struct metrics_health base = { .runs = 100, .success_rate = 98, .p95_ms = 1000 };
	struct metrics_health ok = { .runs = 20, .success_rate = 97, .p95_ms = 1400 };
	struct metrics_health slow = { .runs = 20, .success_rate = 97, .p95_ms = 1600 };
	struct metrics_health failing = { .runs = 20, .success_rate = 85, .p95_ms = 900 };
	struct metrics_health few = { .runs = 5, .success_rate = 0, .p95_ms = 99999 };
	assert_int_equal(metrics_degraded(&ok, &base, &m), 0);
	assert_true(metrics_health_decidable(&ok, &base, &m));
	assert_int_equal(metrics_degraded(&slow, &base, &m), DEGRADED_P95);
	assert_int_equal(metrics_degraded(&failing, &base, &m), DEGRADED_SUCCESS);
	/* Too few runs: no verdict either way. */
	assert_int_equal(metrics_degraded(&few, &base, &m), 0);
	assert_false(metrics_health_decidable(&few, &base, &m));
	/* A rule's own margin. */
	struct metrics_margins tight = { .p95_percent = 20, .success_points = 10, .min_runs = 10 };
	assert_int_equal(metrics_degraded(&ok, &base, &tight), DEGRADED_P95);
	json_t *j = metrics_degradation_new(&slow, &base, &m, 3, 7);
	assert_true(json_is_true(json_object_get(j, "degraded")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "reasons"), 0)), "p95");
	json_decref(j);
}

/* ---- the client's side ---------------------------------------------------------------------------- */

static const char answer_json[] =
	"{\"workflow\":null,\"from\":\"2026-12-05T10:00:00.000Z\",\"to\":\"2026-12-06T10:00:00.000Z\","
	"\"now\":\"2026-12-06T09:42:17.000Z\",\"bucket\":\"1h\",\"bucket_ms\":3600000,\"points\":2,"
	"\"previous_period\":{\"from\":\"2026-12-04T10:00:00.000Z\",\"to\":\"2026-12-05T10:00:00.000Z\",\"complete\":true},"
	"\"rollups_behind\":false,"
	"\"summary\":{\"runs\":10,\"completed\":8,\"failed\":2,\"cancelled\":0,\"success_rate\":80.0,\"avg_ms\":550.0,"
	"\"p50_ms\":500,\"p95_ms\":1000,\"p99_ms\":1000,\"min_ms\":100,\"max_ms\":1000,\"avg_wait_ms\":null,"
	"\"per_hour\":0.42,\"per_day\":10.07,\"per_week\":70.52,"
	"\"change\":{\"runs_per_hour_percent\":-12.5,\"success_rate_points\":null,\"avg_ms_percent\":null,"
	"\"p50_ms_percent\":null,\"p95_ms_percent\":33.33,\"p99_ms_percent\":null},"
	"\"previous\":{\"runs\":12,\"completed\":12,\"failed\":0,\"cancelled\":0,\"success_rate\":100.0,\"avg_ms\":null,"
	"\"p50_ms\":null,\"p95_ms\":750,\"p99_ms\":null,\"min_ms\":null,\"max_ms\":null,\"avg_wait_ms\":null,"
	"\"per_hour\":0.5,\"per_day\":12.0,\"per_week\":84.0}},"
	"\"degradation\":{\"degraded\":true,\"decidable\":true,\"reasons\":[\"p95\"],\"window_hours\":3,"
	"\"baseline_days\":7,\"recent\":{\"runs\":10,\"success_rate\":80.0,\"p95_ms\":1000},"
	"\"baseline\":{\"runs\":50,\"success_rate\":99.0,\"p95_ms\":400},"
	"\"margins\":{\"p95_percent\":50.0,\"success_points\":10.0,\"min_runs\":10}},"
	"\"trend\":[{\"start\":\"2026-12-05T10:00:00.000Z\",\"runs\":0,\"completed\":0,\"failed\":0,\"cancelled\":0,"
	"\"success_rate\":null,\"avg_ms\":null,\"p50_ms\":null,\"p95_ms\":null,\"p99_ms\":null,\"min_ms\":null,"
	"\"max_ms\":null,\"avg_wait_ms\":null},"
	"{\"start\":\"2026-12-06T09:00:00.000Z\",\"runs\":10,\"completed\":8,\"failed\":2,\"cancelled\":0,"
	"\"success_rate\":80.0,\"avg_ms\":550.0,\"p50_ms\":500,\"p95_ms\":1000,\"p99_ms\":1000,\"min_ms\":100,"
	"\"max_ms\":1000,\"avg_wait_ms\":null}],"
	"\"workflows\":[{\"id\":\"a\",\"name\":\"Alpha, \\\"the first\\\"\",\"runs\":3,\"completed\":3,\"failed\":0,"
	"\"cancelled\":0,\"success_rate\":100.0,\"avg_ms\":100.0,\"p50_ms\":100,\"p95_ms\":100,\"p99_ms\":100,"
	"\"min_ms\":100,\"max_ms\":100,\"avg_wait_ms\":null,\"per_hour\":0.13,\"per_day\":3.0,\"per_week\":21.0,"
	"\"change\":{\"p95_ms_percent\":null},\"previous\":{\"runs\":0}},"
	"{\"id\":\"b\",\"name\":\"Beta\",\"runs\":7,\"completed\":5,\"failed\":2,\"cancelled\":0,\"success_rate\":71.43,"
	"\"avg_ms\":600.0,\"p50_ms\":600,\"p95_ms\":1000,\"p99_ms\":1000,\"min_ms\":200,\"max_ms\":1000,"
	"\"avg_wait_ms\":null,\"per_hour\":0.3,\"per_day\":7.0,\"per_week\":49.0,"
	"\"change\":{\"p95_ms_percent\":25.0},\"previous\":{\"runs\":9},"
	"\"degradation\":{\"degraded\":true,\"reasons\":[\"success_rate\"]}}]}";

static void test_answer_sort_and_csv(void **state)
{
	(void)state;
	json_t *j = json_loads(answer_json, 0, NULL);
	assert_non_null(j);
	struct metrics_data d;
	metrics_data_init(&d);
	char err[64];
	assert_int_equal(metrics_data_parse(&d, j, err, sizeof err), 0);
	json_decref(j);
	assert_int_equal(d.nrows, 2);
	assert_false(d.steps);
	assert_true(d.deg.degraded && d.deg.p95 && !d.deg.success);
	assert_true(d.rows[1].deg.success);
	assert_true(isnan(d.change.success_points));
	/* Sorting: runs (most first), success (worst first), p95 change (unknown last). */
	metrics_data_sort(&d, MD_SORT_RUNS, false);
	assert_string_equal(d.rows[0].id, "b");
	metrics_data_sort(&d, MD_SORT_RUNS, true);
	assert_string_equal(d.rows[0].id, "a");
	metrics_data_sort(&d, MD_SORT_SUCCESS, false);
	assert_string_equal(d.rows[0].id, "b");
	metrics_data_sort(&d, MD_SORT_CHANGE, true);
	assert_string_equal(d.rows[0].id, "b");   /* a's change is unknown: last either way */
	metrics_data_sort(&d, MD_SORT_NAME, false);
	assert_string_equal(d.rows[0].id, "a");

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(metrics_export_csv(&d, f), 0);
	fclose(f);
	/* Header, summary, previous, 2 x (workflow, previous), 2 trend points: CRLF each. */
	int lines = 0;
	for (size_t i = 0; i + 1 < len; i++)
		lines += buf[i] == '\r' && buf[i + 1] == '\n';
	assert_int_equal(lines, 9);
	assert_non_null(strstr(buf, "kind,workflow_id,workflow_name,step_id,step_name,period_start,period_end,runs,"));
	assert_non_null(strstr(buf, "\r\nsummary,,,,,2026-12-05T10:00:00Z,2026-12-06T09:42:17Z,10,8,2,0,80.00,550.00,"
				    "500,1000,1000,100,1000,,0.42,10.07,70.52,-12.50,,,,33.33,,true\r\n"));
	assert_non_null(strstr(buf, "\r\nprevious,,,,,2026-12-04T10:00:00Z,2026-12-05T10:00:00Z,12,12,0,0,100.00,,,750,"));
	/* A name with a comma and quotes is quoted, quotes doubled. */
	assert_non_null(strstr(buf, "\r\nworkflow,a,\"Alpha, \"\"the first\"\"\",,,"));
	assert_non_null(strstr(buf, "\r\ntrend,,,,,2026-12-06T09:00:00Z,2026-12-06T10:00:00Z,10,8,2,0,80.00,550.00,"
				    "500,1000,1000,100,1000,,,,,,,,,,,\r\n"));
	free(buf);
	metrics_data_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_boundaries_utc_local_display),
		cmocka_unit_test(test_buckets_and_ranges),
		cmocka_unit_test(test_rollup_blocks),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_spec_figures),
		cmocka_unit_test(test_degradation),
		cmocka_unit_test(test_answer_sort_and_csv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
