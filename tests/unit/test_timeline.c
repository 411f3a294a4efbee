/* test_timeline.c: Gantt rows, column scaling, axis ticks and labels, waits,
 * durations, bottlenecks and the comparison with history. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "timeline.h"

#include <stdio.h>
#include <string.h>

#define T0 1700000000000LL   /* wall-clock ms: the arithmetic must not overflow */
#define S 1000LL
#define MIN (60 * S)
#define H (60 * MIN)

static char cause[200];
static struct timeline_bar bars[TIMELINE_MAX_STEPS + 1];

static const char *const DEP_A[] = { "A" };
static const char *const DEP_BC[] = { "B", "C" };

static int layout(const struct timeline_step *steps, size_t n, int64_t exec_start, int64_t now,
		  size_t top_n)
{
	int nrows = -1;
	assert_int_equal(timeline_layout(steps, n, exec_start, now, top_n, bars, &nrows, cause,
					 sizeof cause), 0);
	return nrows;
}

/* A -> {B, C} -> D: B and C run side by side, D comes back to row 0. */
static void test_rows_diamond(void **state)
{
	(void)state;
	const struct timeline_step steps[] = {
		{ "A", "fetch", TIMELINE_COMPLETED, T0, T0 + 10 * S, NULL, 0 },
		{ "B", "left", TIMELINE_COMPLETED, T0 + 10 * S, T0 + 20 * S, DEP_A, 1 },
		{ "C", "right", TIMELINE_COMPLETED, T0 + 10 * S, T0 + 25 * S, DEP_A, 1 },
		{ "D", "join", TIMELINE_COMPLETED, T0 + 25 * S, T0 + 30 * S, DEP_BC, 2 },
	};
	assert_int_equal(layout(steps, 4, T0, T0 + 60 * S, 0), 2);
	assert_int_equal(bars[0].row, 0);
	assert_int_equal(bars[1].row, 0);   /* starts as A ends: the row is free */
	assert_int_equal(bars[2].row, 1);
	assert_int_equal(bars[3].row, 0);
	assert_int_not_equal(bars[1].row, bars[2].row);
}

/* Table: bars as (start, end) offsets in input order, the rows expected. */
static void test_rows_table(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		int n;
		int64_t se[6][2];
		int rows[6];
		int nrows;
	} cases[] = {
		{ "chain", 3, { { 0, 10 }, { 10, 20 }, { 20, 30 } }, { 0, 0, 0 }, 1 },
		{ "staircase", 4, { { 0, 10 }, { 5, 15 }, { 8, 20 }, { 12, 30 } }, { 0, 1, 2, 0 }, 3 },
		{ "input out of order", 3, { { 20, 30 }, { 0, 25 }, { 10, 15 } }, { 1, 0, 1 }, 2 },
		{ "lowest free row", 4, { { 0, 100 }, { 0, 10 }, { 0, 50 }, { 20, 30 } }, { 0, 1, 2, 1 }, 3 },
		{ "same start: input order", 2, { { 5, 9 }, { 5, 7 } }, { 0, 1 }, 2 },
		{ "instants at the same time", 3, { { 5, 5 }, { 5, 5 }, { 6, 6 } }, { 0, 1, 0 }, 2 },
		{ "touching is not overlapping", 2, { { 0, 10 }, { 10, 10 } }, { 0, 0 }, 1 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct timeline_step steps[6];
		char ids[6][16];
		for (int i = 0; i < cases[c].n; i++) {
			snprintf(ids[i], sizeof ids[i], "s%d", i);
			steps[i] = (struct timeline_step){ ids[i], ids[i], TIMELINE_COMPLETED,
							   T0 + cases[c].se[i][0], T0 + cases[c].se[i][1],
							   NULL, 0 };
		}
		print_message("rows: %s\n", cases[c].what);
		assert_int_equal(layout(steps, (size_t)cases[c].n, T0, T0 + 100, 0), cases[c].nrows);
		for (int i = 0; i < cases[c].n; i++)
			assert_int_equal(bars[i].row, cases[c].rows[i]);
	}
}

static void test_columns_table(void **state)
{
	(void)state;
	static const struct {
		int64_t start, end, t0, t1;
		int width;
		bool visible;
		int first, last;
	} cases[] = {
		/* 10 ms a column */
		{ 0, 10, 0, 1000, 100, true, 0, 0 },
		{ 5, 15, 0, 1000, 100, true, 0, 1 },        /* touches two columns */
		{ 10, 20, 0, 1000, 100, true, 1, 1 },
		{ 0, 1000, 0, 1000, 100, true, 0, 99 },
		{ -500, 2000, 0, 1000, 100, true, 0, 99 },  /* clipped both sides */
		{ 995, 1005, 0, 1000, 100, true, 99, 99 },
		{ 1000, 1100, 0, 1000, 100, false, 0, 0 },  /* starts at the window's end */
		{ -100, 0, 0, 1000, 100, false, 0, 0 },     /* ends at the window's start */
		{ -100, 1, 0, 1000, 100, true, 0, 0 },
		{ 500, 500, 0, 1000, 100, true, 50, 50 },   /* instant */
		{ 0, 0, 0, 1000, 100, true, 0, 0 },
		{ 1000, 1000, 0, 1000, 100, false, 0, 0 },
		{ 501, 502, 0, 1000, 100, true, 50, 50 },   /* inside one column */
		/* 33.3 ms a column: floor for the first, ceil - 1 for the last */
		{ 100, 200, 0, 1000, 30, true, 3, 5 },
		{ 0, 34, 0, 1000, 30, true, 0, 1 },
		{ 34, 66, 0, 1000, 30, true, 1, 1 },
		{ 34, 67, 0, 1000, 30, true, 1, 2 },
		/* wall-clock times, a one-hour window of 80 columns (45 s each) */
		{ T0 + 30 * MIN, T0 + 30 * MIN + 1, T0, T0 + H, 80, true, 40, 40 },        /* 1 ms */
		{ T0 - 5 * 24 * H, T0 + 5 * 24 * H, T0, T0 + H, 80, true, 0, 79 },         /* 10 days */
		{ T0 + 44999, T0 + 45001, T0, T0 + H, 80, true, 0, 1 },
		{ T0 + H - 1, T0 + H, T0, T0 + H, 80, true, 79, 79 },
		/* degenerate views */
		{ 0, 10, 0, 1000, 0, false, 0, 0 },
		{ 0, 10, 1000, 1000, 80, false, 0, 0 },
		{ 0, 10, 1000, 0, 80, false, 0, 0 },
		{ 20, 10, 0, 1000, 100, true, 2, 2 },       /* end before start: an instant */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int first = -7, last = -7;
		bool v = timeline_columns(cases[i].start, cases[i].end, cases[i].t0, cases[i].t1,
					  cases[i].width, &first, &last);
		print_message("columns case %zu\n", i);
		assert_int_equal(v, cases[i].visible);
		if (v) {
			assert_int_equal(first, cases[i].first);
			assert_int_equal(last, cases[i].last);
		}
	}
}

/* Widths 40, 80, 200 and spans 500 ms, 90 s, 3 h; labels 6 columns wide. */
static void test_axis_labels(void **state)
{
	(void)state;
	static const struct {
		int64_t span;
		int width;
		int64_t interval;
		size_t count;
		const char *labels[6];   /* the first few */
		int cols[6];
		const char *last;
	} cases[] = {
		{ 500, 40, 100, 5, { "0 s", "100 ms", "200 ms", "300 ms", "400 ms" }, { 0, 8, 16, 24, 32 }, "400 ms" },
		{ 500, 80, 50, 10, { "0 s", "50 ms", "100 ms", "150 ms" }, { 0, 8, 16, 24 }, "450 ms" },
		{ 500, 200, 20, 25, { "0 s", "20 ms", "40 ms" }, { 0, 8, 16 }, "480 ms" },
		{ 90 * S, 40, 30 * S, 3, { "0 s", "30 s", "1 min" }, { 0, 13, 26 }, "1 min" },
		/* "1 min 15 s" is ten columns: ticks 15 s apart, not 10 */
		{ 90 * S, 80, 15 * S, 6, { "0 s", "15 s", "30 s", "45 s", "1 min", "1 min 15 s" },
		  { 0, 13, 26, 40, 53, 66 }, "1 min 15 s" },
		{ 90 * S, 200, 5 * S, 18, { "0 s", "5 s", "10 s" }, { 0, 11, 22 }, "1 min 25 s" },
		{ 3 * H, 40, H, 3, { "0 s", "1 h", "2 h" }, { 0, 13, 26 }, "2 h" },
		{ 3 * H, 80, 30 * MIN, 6, { "0 s", "30 min", "1 h", "1 h 30 min", "2 h", "2 h 30 min" },
		  { 0, 13, 26, 40, 53, 66 }, "2 h 30 min" },
		{ 3 * H, 200, 10 * MIN, 18, { "0 s", "10 min", "20 min", "30 min", "40 min", "50 min" },
		  { 0, 11, 22, 33, 44, 55 }, "2 h 50 min" },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct timeline_tick ticks[64];
		int64_t iv = -1;
		size_t n = timeline_ticks(FMT_EN, T0, T0 + cases[c].span, T0, cases[c].width, 6, ticks, 64, &iv);
		print_message("axis case %zu\n", c);
		assert_int_equal(iv, cases[c].interval);
		assert_int_equal(n, cases[c].count);
		for (size_t i = 0; i < 6 && cases[c].labels[i] != NULL; i++) {
			assert_string_equal(ticks[i].label, cases[c].labels[i]);
			assert_int_equal(ticks[i].col, cases[c].cols[i]);
			assert_int_equal(ticks[i].at_ms, T0 + (int64_t)i * iv);
		}
		assert_string_equal(ticks[n - 1].label, cases[c].last);
		assert_true(ticks[n - 1].col < cases[c].width);
	}
}

/* Panned and zoomed views: ticks stay on multiples of the interval from the
 * execution start, so labels are still round. */
static void test_axis_pan(void **state)
{
	(void)state;
	struct timeline_tick ticks[64];
	int64_t iv;
	size_t n = timeline_ticks(FMT_EN, T0 + 45 * S, T0 + 135 * S, T0, 80, 6, ticks, 64, &iv);
	assert_int_equal(iv, 15 * S);
	assert_int_equal(n, 6);
	assert_string_equal(ticks[0].label, "45 s");
	assert_int_equal(ticks[0].col, 0);
	assert_string_equal(ticks[1].label, "1 min");
	assert_string_equal(ticks[5].label, "2 min");
	/* A window before the execution start has negative labels. */
	n = timeline_ticks(FMT_EN, T0 - 30 * S, T0 + 60 * S, T0, 40, 6, ticks, 64, &iv);
	assert_int_equal(iv, 30 * S);
	assert_int_equal(n, 3);
	assert_string_equal(ticks[0].label, "-30 s");
	assert_string_equal(ticks[1].label, "0 s");
	/* Too small an output array: a coarser interval, never an overflow of out. */
	n = timeline_ticks(FMT_EN, T0, T0 + 90 * S, T0, 200, 6, ticks, 4, &iv);
	assert_true(n <= 4 && n >= 2);
	assert_int_equal(iv, 30 * S);
	/* Degenerate views. */
	assert_int_equal(timeline_ticks(FMT_EN, T0, T0, T0, 80, 6, ticks, 64, &iv), 0);
	assert_int_equal(iv, 0);
	assert_int_equal(timeline_ticks(FMT_EN, T0, T0 + 1000, T0, 0, 6, ticks, 64, &iv), 0);
}

/* For many widths and spans: ticks ascend, fit the width, and labels (the
 * longest label or label_width, plus a blank) never overlap. */
static void test_axis_never_overlaps(void **state)
{
	(void)state;
	static const int64_t spans[] = { 1, 7, 333, 1500, 7777, 61 * S, 17 * MIN, 5 * H + 17,
					 3 * 24 * H, 400LL * 24 * H };
	static const int widths[] = { 8, 20, 40, 79, 80, 133, 200, 1000 };
	static const int lws[] = { 1, 4, 6, 9 };
	for (size_t a = 0; a < sizeof spans / sizeof spans[0]; a++)
		for (size_t b = 0; b < sizeof widths / sizeof widths[0]; b++)
			for (size_t c = 0; c < sizeof lws / sizeof lws[0]; c++) {
				struct timeline_tick ticks[512];
				int64_t iv;
				int64_t t0 = T0 + 12345;
				size_t n = timeline_ticks(FMT_EN, t0, t0 + spans[a], T0, widths[b], lws[c], ticks,
							  512, &iv);
				assert_true(iv > 0);
				int longest = lws[c];
				for (size_t i = 0; i < n; i++) {
					int len = (int)strlen(ticks[i].label);
					longest = len > longest ? len : longest;
					assert_true(ticks[i].col >= 0 && ticks[i].col < widths[b]);
					assert_true(ticks[i].at_ms >= t0 && ticks[i].at_ms < t0 + spans[a]);
					assert_int_equal((ticks[i].at_ms - T0) % iv, 0);
				}
				for (size_t i = 1; i < n; i++)
					assert_true(ticks[i].col - ticks[i - 1].col >= longest + 1);
			}
}

static void test_short_and_long_steps(void **state)
{
	(void)state;
	const struct timeline_step steps[] = {
		{ "blink", "blink", TIMELINE_COMPLETED, T0 + 30 * MIN, T0 + 30 * MIN + 1, NULL, 0 },
		{ "epoch", "epoch", TIMELINE_COMPLETED, T0 - 24 * H, T0 + 24 * H, NULL, 0 },
		{ "zero", "zero", TIMELINE_COMPLETED, T0 + 10 * MIN, T0 + 10 * MIN, NULL, 0 },
		{ "after", "after", TIMELINE_COMPLETED, T0 + 2 * H, T0 + 3 * H, NULL, 0 },
	};
	assert_int_equal(layout(steps, 4, T0 - 24 * H, T0 + 4 * H, 0), 2);
	timeline_scale(bars, 4, T0, T0 + H, 80);
	assert_true(bars[0].visible);
	assert_int_equal(bars[0].col_first, 40);
	assert_int_equal(bars[0].col_last, 40);
	assert_int_equal(bars[0].duration_ms, 1);
	assert_true(bars[1].visible);
	assert_int_equal(bars[1].col_first, 0);
	assert_int_equal(bars[1].col_last, 79);
	assert_true(bars[2].visible);
	assert_int_equal(bars[2].col_first, bars[2].col_last);
	assert_int_equal(bars[2].duration_ms, 0);
	assert_false(bars[3].visible);
	assert_int_equal(bars[3].col_first, -1);
	/* Zoomed out, the last one shows too. */
	timeline_scale(bars, 4, T0, T0 + 4 * H, 80);
	assert_true(bars[3].visible);
	assert_int_equal(bars[3].col_first, 40);
	assert_int_equal(bars[3].col_last, 59);
}

/* Names never run together: a bar's name stops a blank column before the
 * next bar on its row; the last on its row has the whole bar. */
static void test_label_room(void **state)
{
	(void)state;
	static const char *const DEP_V[] = { "validate" };
	const struct timeline_step steps[] = {
		{ "validate", "Validate batch", TIMELINE_COMPLETED, T0, T0 + 1000, NULL, 0 },
		{ "iban", "Verify IBAN", TIMELINE_COMPLETED, T0 + 1000, T0 + 1500, DEP_V, 1 },
		{ "report", "Report VAT", TIMELINE_COMPLETED, T0 + 6000, T0 + 7400, NULL, 0 },
	};
	assert_int_equal(layout(steps, 3, T0, T0 + 8000, 0), 1);
	/* 116 columns over 7.4 s: validate takes 0..15 (1000 ms ends inside
	 * column 15), iban starts in column 15. */
	timeline_scale(bars, 3, T0, T0 + 7400, 116);
	assert_int_equal(bars[0].col_first, 0);
	assert_int_equal(bars[0].col_last, 15);
	assert_int_equal(bars[1].col_first, 15);
	assert_int_equal(bars[0].label_cols, 14);   /* columns 0..13, 14 blank, 15 the next */
	/* iban is alone up to report: all of its bar. */
	assert_int_equal(bars[1].label_cols, bars[1].col_last - bars[1].col_first + 1);
	/* The last bar on its row has all of it. */
	assert_int_equal(bars[2].label_cols, bars[2].col_last - bars[2].col_first + 1);
	/* No two names share a column or touch. */
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 0; j < 3; j++)
			if (i != j && bars[j].col_first > bars[i].col_first)
				assert_true(bars[i].col_first + bars[i].label_cols < bars[j].col_first);
	/* Zoomed in on the first: it fills the view alone. */
	timeline_scale(bars, 3, T0, T0 + 500, 80);
	assert_int_equal(bars[0].label_cols, 80);
	assert_int_equal(bars[1].label_cols, 0);
}

static void test_running_step_grows(void **state)
{
	(void)state;
	const struct timeline_step steps[] = {
		{ "done", "done", TIMELINE_COMPLETED, T0, T0 + 10 * S, NULL, 0 },
		{ "run", "run", TIMELINE_RUNNING, T0 + 10 * S, 0, DEP_A, 0 },
	};
	static const struct {
		int64_t now, duration;
		int last;
	} cases[] = {
		{ T0 + 10 * S, 0, 10 },           /* just started: one column */
		{ T0 + 20 * S, 10 * S, 19 },
		{ T0 + 70 * S, 60 * S, 69 },
		{ T0 + 500 * S, 490 * S, 99 },    /* past the window: clipped */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		layout(steps, 2, T0, cases[i].now, 0);
		assert_int_equal(bars[1].duration_ms, cases[i].duration);
		assert_int_equal(bars[1].end_ms, cases[i].now);
		timeline_scale(bars, 2, T0, T0 + 100 * S, 100);
		assert_true(bars[1].visible);
		assert_int_equal(bars[1].col_first, 10);
		assert_int_equal(bars[1].col_last, cases[i].last);
		assert_int_equal(bars[0].duration_ms, 10 * S);   /* a finished one does not grow */
	}
	/* Finished without a known end: an instant, not a bar growing with now. */
	const struct timeline_step failed[] = {
		{ "f", "f", TIMELINE_FAILED, T0 + 5 * S, 0, NULL, 0 },
	};
	layout(failed, 1, T0, T0 + 80 * S, 0);
	assert_int_equal(bars[0].end_ms, T0 + 5 * S);
	assert_int_equal(bars[0].duration_ms, 0);
}

static void test_never_started(void **state)
{
	(void)state;
	const struct timeline_step steps[] = {
		{ "A", "a", TIMELINE_RUNNING, T0 + S, 0, NULL, 0 },
		{ "B", "b", TIMELINE_PENDING, 0, 0, DEP_A, 1 },
		{ "C", "c", TIMELINE_PENDING, 0, 0, NULL, 0 },
	};
	assert_int_equal(layout(steps, 3, T0, T0 + 10 * S, 0), 1);
	for (int i = 1; i < 3; i++) {
		assert_int_equal(bars[i].row, -1);
		assert_int_equal(bars[i].duration_ms, -1);
		assert_int_equal(bars[i].wait_ms, 0);
		assert_int_equal(bars[i].bottleneck, 0);
	}
	assert_int_equal(bars[0].bottleneck, 1);
	timeline_scale(bars, 3, T0, T0 + 10 * S, 50);
	assert_true(bars[0].visible);
	assert_false(bars[1].visible);
	assert_false(bars[2].visible);
	/* No steps at all. */
	assert_int_equal(layout(steps, 0, T0, T0, 0), 0);
}

static void test_wait(void **state)
{
	(void)state;
	static const char *const dep_a[] = { "A" };
	static const char *const dep_ab[] = { "A", "B" };
	static const char *const dep_unknown[] = { "nope" };
	static const char *const dep_running[] = { "R" };
	static const char *const dep_mixed[] = { "A", "R", "nope", NULL };
	const struct timeline_step steps[] = {
		{ "A", "a", TIMELINE_COMPLETED, T0 + 500, T0 + 3000, NULL, 0 },
		{ "B", "b", TIMELINE_COMPLETED, T0 + 3500, T0 + 6000, dep_a, 1 },
		{ "C", "c", TIMELINE_COMPLETED, T0 + 6000, T0 + 7000, dep_ab, 2 },
		{ "D", "d", TIMELINE_COMPLETED, T0 + 2000, T0 + 2500, dep_unknown, 1 },
		{ "R", "r", TIMELINE_RUNNING, T0 + 100, 0, NULL, 0 },
		{ "E", "e", TIMELINE_RUNNING, T0 + 9000, 0, dep_running, 1 },
		{ "F", "f", TIMELINE_COMPLETED, T0 + 2000, T0 + 2100, dep_a, 1 },   /* skew */
		{ "G", "g", TIMELINE_RUNNING, T0 + 8000, 0, dep_mixed, 4 },
		{ "P", "p", TIMELINE_PENDING, 0, 0, dep_a, 1 },
	};
	static const int64_t want[] = { 500, 500, 0, 2000, 100, 9000, 0, 5000, 0 };
	layout(steps, 9, T0, T0 + 10000, 0);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		print_message("wait of %s\n", steps[i].id);
		assert_int_equal(bars[i].wait_ms, want[i]);
	}
	/* Without an execution start, a step without dependencies did not wait. */
	layout(steps, 9, 0, T0 + 10000, 0);
	assert_int_equal(bars[0].wait_ms, 0);
	assert_int_equal(bars[1].wait_ms, 500);
}

static void test_bottlenecks(void **state)
{
	(void)state;
	/* durations 5, 50, 20, 50, 1, running 30 (now = T0 + 100); one never started */
	const struct timeline_step steps[] = {
		{ "a", "a", TIMELINE_COMPLETED, T0 + 0, T0 + 5, NULL, 0 },
		{ "b", "b", TIMELINE_COMPLETED, T0 + 10, T0 + 60, NULL, 0 },
		{ "c", "c", TIMELINE_COMPLETED, T0 + 20, T0 + 40, NULL, 0 },
		{ "d", "d", TIMELINE_FAILED, T0 + 5, T0 + 55, NULL, 0 },
		{ "e", "e", TIMELINE_COMPLETED, T0 + 1, T0 + 2, NULL, 0 },
		{ "f", "f", TIMELINE_RUNNING, T0 + 70, 0, NULL, 0 },
		{ "g", "g", TIMELINE_PENDING, 0, 0, NULL, 0 },
	};
	static const struct {
		size_t top_n;
		int rank[7];
	} cases[] = {
		/* d and b tie at 50: d started first */
		{ 0, { 0, 2, 0, 1, 0, 3, 0 } },
		{ 1, { 0, 0, 0, 1, 0, 0, 0 } },
		{ 4, { 0, 2, 4, 1, 0, 3, 0 } },
		{ 100, { 5, 2, 4, 1, 6, 3, 0 } },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		layout(steps, 7, T0, T0 + 100, cases[c].top_n);
		for (int i = 0; i < 7; i++)
			assert_int_equal(bars[i].bottleneck, cases[c].rank[i]);
	}
}

static void test_too_many_steps(void **state)
{
	(void)state;
	static struct timeline_step steps[TIMELINE_MAX_STEPS + 1];
	int nrows = 0;
	assert_int_equal(timeline_layout(steps, TIMELINE_MAX_STEPS + 1, T0, T0, 0, bars, &nrows,
					 cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "513 steps"));
	/* The most allowed, all overlapping: one row each. */
	for (size_t i = 0; i < TIMELINE_MAX_STEPS; i++)
		steps[i] = (struct timeline_step){ "x", "x", TIMELINE_RUNNING, T0 + (int64_t)i, 0, NULL, 0 };
	assert_int_equal(layout(steps, TIMELINE_MAX_STEPS, T0, T0 + 10000, 0), TIMELINE_MAX_STEPS);
	assert_int_equal(bars[TIMELINE_MAX_STEPS - 1].row, TIMELINE_MAX_STEPS - 1);
	assert_int_equal(bars[0].bottleneck, 1);
}

static void test_compare(void **state)
{
	(void)state;
	static const struct {
		int64_t dur, avg, p95;
		bool known;
		const char *text;
		bool slow;
	} cases[] = {
		{ 1450, 1000, 2000, true, "+45%", false },
		{ 880, 1000, 2000, true, "-12%", false },
		{ 1000, 1000, 2000, true, "+0%", false },
		{ 2500, 1000, 2000, true, "+150%", true },
		{ 2000, 1000, 2000, true, "+100%", false },   /* at p95 is not above it */
		{ 2001, 1000, 2000, true, "+100%", true },
		{ 1005, 1000, 2000, true, "+1%", false },     /* halves round away from zero */
		{ 995, 1000, 2000, true, "-1%", false },
		{ 1004, 1000, 2000, true, "+0%", false },
		{ 0, 1000, 2000, true, "-100%", false },
		{ 3, 7, 0, true, "-57%", false },             /* no p95: never slow */
		{ 500, 0, 400, false, "", true },             /* no average: no percentage */
		{ -1, 1000, 2000, false, "", false },         /* never started */
		{ INT64_MAX / 2, 1, 10, true, "+1000000%", true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct timeline_cmp cmp;
		timeline_compare(cases[i].dur, cases[i].avg, cases[i].p95, &cmp);
		assert_int_equal(cmp.known, cases[i].known);
		assert_string_equal(cmp.text, cases[i].text);
		assert_int_equal(cmp.slow, cases[i].slow);
	}
	struct timeline_cmp cmp;
	timeline_compare(1450, 1000, 0, &cmp);
	assert_int_equal(cmp.percent, 45);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_diamond),
		cmocka_unit_test(test_rows_table),
		cmocka_unit_test(test_columns_table),
		cmocka_unit_test(test_axis_labels),
		cmocka_unit_test(test_axis_pan),
		cmocka_unit_test(test_axis_never_overlaps),
		cmocka_unit_test(test_short_and_long_steps),
		cmocka_unit_test(test_label_room),
		cmocka_unit_test(test_running_step_grows),
		cmocka_unit_test(test_never_started),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_bottlenecks),
		cmocka_unit_test(test_too_many_steps),
		cmocka_unit_test(test_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
