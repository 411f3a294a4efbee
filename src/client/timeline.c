/* timeline.c: Gantt layout, scaling, axis ticks and duration comparison (see
 * timeline.h).
 *
 * Invariants: no allocation (scratch arrays are bounded by TIMELINE_MAX_STEPS);
 * a bar's end is never before its start; column arithmetic is done in 128 bits
 * so that wall-clock times and wide views cannot overflow; a visible bar always
 * has 0 <= col_first <= col_last < width. */
#include "timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS_S 1000LL
#define MS_MIN (60 * MS_S)
#define MS_H (60 * MS_MIN)
#define MS_DAY (24 * MS_H)

/* floor(a * b / c) and ceil(a * b / c) for c > 0, without overflow. */
static int64_t muldiv_floor(int64_t a, int64_t b, int64_t c)
{
	__int128 p = (__int128)a * b;
	__int128 q = p / c;
	if (p % c != 0 && p < 0)
		q--;
	return (int64_t)q;
}

static int64_t muldiv_ceil(int64_t a, int64_t b, int64_t c)
{
	__int128 p = (__int128)a * b;
	__int128 q = p / c;
	if (p % c != 0 && p > 0)
		q++;
	return (int64_t)q;
}

/* ---- layout ------------------------------------------------------------------ */

static void bar_extent(const struct timeline_step *s, int64_t now_ms, int64_t *start, int64_t *end)
{
	static const bool finished[] = {
		[TIMELINE_PENDING] = false, [TIMELINE_RUNNING] = false,
		[TIMELINE_COMPLETED] = true, [TIMELINE_FAILED] = true,
	};
	bool done = (unsigned)s->status <= TIMELINE_FAILED && finished[s->status];
	int64_t e = s->end_ms > 0 ? s->end_ms : done ? s->start_ms : now_ms;
	*start = s->start_ms;
	*end = e > s->start_ms ? e : s->start_ms;
}

static const struct timeline_step *step_find(const struct timeline_step *steps, size_t n,
					     const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (steps[i].id != NULL && strcmp(steps[i].id, id) == 0)
			return &steps[i];
	return NULL;
}

struct order {
	int64_t start;
	size_t idx;
};

static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Longer first; equal durations: earlier start, then input order. */
static int rank_cmp(const struct order *x, const struct order *y, const struct timeline_bar *bars)
{
	int64_t dx = bars[x->idx].duration_ms, dy = bars[y->idx].duration_ms;
	if (dx != dy)
		return dx > dy ? -1 : 1;
	return order_cmp(x, y);
}

/* Marks the top_n longest started bars. Partial selection: top_n is small. */
static void mark_bottlenecks(struct timeline_bar *bars, const struct order *ord, size_t nstarted,
			     size_t top_n)
{
	struct order top[TIMELINE_MAX_STEPS];
	size_t ntop = 0;
	if (top_n > nstarted)
		top_n = nstarted;
	for (size_t i = 0; i < nstarted; i++) {
		/* insertion into the sorted top list, dropping what falls off */
		size_t pos = ntop;
		while (pos > 0 && rank_cmp(&ord[i], &top[pos - 1], bars) < 0)
			pos--;
		if (pos >= top_n)
			continue;
		size_t last = ntop < top_n ? ntop : top_n - 1;
		memmove(&top[pos + 1], &top[pos], (last - pos) * sizeof top[0]);
		top[pos] = ord[i];
		if (ntop < top_n)
			ntop++;
	}
	for (size_t i = 0; i < ntop; i++)
		bars[top[i].idx].bottleneck = (int)i + 1;
}

int timeline_layout(const struct timeline_step *steps, size_t n, int64_t exec_start_ms,
		    int64_t now_ms, size_t top_n, struct timeline_bar *bars, int *nrows, char *cause,
		    size_t causelen)
{
	if (n > TIMELINE_MAX_STEPS) {
		snprintf(cause, causelen, "%zu steps: at most %d can be laid out", n, TIMELINE_MAX_STEPS);
		return -1;
	}
	struct order ord[TIMELINE_MAX_STEPS];
	size_t nstarted = 0;
	for (size_t i = 0; i < n; i++) {
		struct timeline_bar *b = &bars[i];
		*b = (struct timeline_bar){ .row = -1, .duration_ms = -1 };
		if (steps[i].start_ms <= 0)
			continue;
		bar_extent(&steps[i], now_ms, &b->start_ms, &b->end_ms);
		b->duration_ms = b->end_ms - b->start_ms;

		/* Without an execution start either, there is nothing to wait from. */
		int64_t ready = exec_start_ms > 0 ? exec_start_ms : b->start_ms;
		bool any_dep = false;
		for (size_t d = 0; d < steps[i].ndepends; d++) {
			const struct timeline_step *dep = steps[i].depends_on[d] == NULL ? NULL
				: step_find(steps, n, steps[i].depends_on[d]);
			if (dep == NULL || dep->start_ms <= 0 || dep->end_ms <= 0)
				continue;   /* unknown or unfinished: says nothing about readiness */
			if (!any_dep || dep->end_ms > ready)
				ready = dep->end_ms;
			any_dep = true;
		}
		b->wait_ms = b->start_ms > ready ? b->start_ms - ready : 0;
		ord[nstarted++] = (struct order){ b->start_ms, i };
	}
	qsort(ord, nstarted, sizeof ord[0], order_cmp);

	/* Greedy interval partitioning: each row remembers where its last bar ends. */
	int64_t row_end[TIMELINE_MAX_STEPS];
	int rows = 0;
	for (size_t k = 0; k < nstarted; k++) {
		struct timeline_bar *b = &bars[ord[k].idx];
		int64_t end = b->end_ms > b->start_ms ? b->end_ms : b->start_ms + 1;
		int r = 0;
		while (r < rows && row_end[r] > b->start_ms)
			r++;
		if (r == rows)
			rows++;
		row_end[r] = end;
		b->row = r;
	}
	*nrows = rows;
	mark_bottlenecks(bars, ord, nstarted, top_n ? top_n : TIMELINE_TOP_N);
	return 0;
}

/* ---- scaling ---------------------------------------------------------------- */

bool timeline_columns(int64_t start_ms, int64_t end_ms, int64_t t0, int64_t t1, int width,
		      int *first, int *last)
{
	if (width < 1 || t1 <= t0)
		return false;
	if (end_ms < start_ms)
		end_ms = start_ms;
	/* [start, end) meets [t0, t1); an instant step counts as at its start. */
	if (start_ms >= t1 || (end_ms > start_ms ? end_ms <= t0 : start_ms < t0))
		return false;
	int64_t span = t1 - t0;
	int64_t s = start_ms > t0 ? start_ms : t0;
	int64_t e = end_ms < t1 ? end_ms : t1;
	int64_t f = muldiv_floor(s - t0, width, span);
	int64_t l = muldiv_ceil(e - t0, width, span) - 1;
	if (l < f)
		l = f;   /* shorter than a column: still one */
	if (l > width - 1)
		l = width - 1;
	*first = (int)f;
	*last = (int)l;
	return true;
}

void timeline_scale(struct timeline_bar *bars, size_t n, int64_t t0, int64_t t1, int width)
{
	for (size_t i = 0; i < n; i++) {
		struct timeline_bar *b = &bars[i];
		b->visible = b->row >= 0 &&
			     timeline_columns(b->start_ms, b->end_ms, t0, t1, width, &b->col_first,
					      &b->col_last);
		if (!b->visible)
			b->col_first = b->col_last = -1;
		b->label_cols = 0;
	}
	/* A bar's name stops a blank column short of the next bar on its row
	 * (a bar that reaches into the next one's first column gives that up). */
	for (size_t i = 0; i < n; i++) {
		struct timeline_bar *b = &bars[i];
		if (!b->visible)
			continue;
		int room = b->col_last - b->col_first + 1;
		for (size_t j = 0; j < n; j++) {
			const struct timeline_bar *o = &bars[j];
			if (j == i || !o->visible || o->row != b->row || o->col_first <= b->col_first)
				continue;
			if (o->col_first - b->col_first - 1 < room)
				room = o->col_first - b->col_first - 1;
		}
		b->label_cols = room > 0 ? room : 0;
	}
}

/* ---- axis ------------------------------------------------------------------- */


/* The candidate intervals in increasing order; past the table, 1-2-5 x 10^k days. */
static int64_t nice_interval(size_t i)
{
	static const int64_t table[] = {
		1, 2, 5, 10, 20, 50, 100, 200, 500,
		1 * MS_S, 2 * MS_S, 5 * MS_S, 10 * MS_S, 15 * MS_S, 30 * MS_S,
		1 * MS_MIN, 2 * MS_MIN, 5 * MS_MIN, 10 * MS_MIN, 15 * MS_MIN, 30 * MS_MIN,
		1 * MS_H, 2 * MS_H, 3 * MS_H, 6 * MS_H, 12 * MS_H,
	};
	static const int64_t steps125[] = { 1, 2, 5 };
	size_t nt = sizeof table / sizeof table[0];
	if (i < nt)
		return table[i];
	i -= nt;
	int64_t v = MS_DAY * steps125[i % 3];
	for (size_t k = 0; k < i / 3; k++) {
		if (v > INT64_MAX / 10)
			return 0;
		v *= 10;
	}
	return v;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && a > 0) ? q + 1 : q;
}

/* Fills out with the ticks of one interval; false if they would not fit in
 * max or would come closer than allowed. */
static bool ticks_try(enum fmt_lang lang, int64_t t0, int64_t t1, int64_t origin_ms, int width,
		      int label_width, int64_t interval, struct timeline_tick *out, size_t max, size_t *count)
{
	int64_t span = t1 - t0;
	int64_t k = ceil_div(t0 - origin_ms, interval);
	size_t n = 0;
	int longest = label_width;
	for (int64_t t = origin_ms + k * interval; t < t1; t += interval) {
		if (n == max)
			return false;
		struct timeline_tick *tk = &out[n++];
		tk->at_ms = t;
		tk->col = (int)muldiv_floor(t - t0, width, span);
		size_t full = fmt_offset(lang, t - origin_ms, tk->label, sizeof tk->label);
		int len = full < sizeof tk->label ? (int)full : (int)sizeof tk->label;
		if (len > longest)
			longest = len;
		if (t > INT64_MAX - interval)
			break;
	}
	for (size_t i = 1; i < n; i++)
		if (out[i].col - out[i - 1].col < longest + 1)
			return false;
	*count = n;
	return true;
}

size_t timeline_ticks(enum fmt_lang lang, int64_t t0, int64_t t1, int64_t origin_ms, int width,
		      int label_width, struct timeline_tick *out, size_t max, int64_t *interval_ms)
{
	*interval_ms = 0;
	if (width < 1 || t1 <= t0 || max == 0)
		return 0;
	int64_t span = t1 - t0;
	for (size_t i = 0;; i++) {
		int64_t iv = nice_interval(i);
		if (iv == 0)
			return 0;
		/* Skip the intervals that cannot be wide enough before generating ticks. */
		if (muldiv_floor(iv, width, span) + 1 < label_width + 1)
			continue;
		size_t n = 0;
		if (ticks_try(lang, t0, t1, origin_ms, width, label_width, iv, out, max, &n)) {
			*interval_ms = iv;
			return n;
		}
	}
}

/* ---- comparison ----------------------------------------------------------- */

void timeline_compare(int64_t duration_ms, int64_t avg_ms, int64_t p95_ms, struct timeline_cmp *out)
{
	memset(out, 0, sizeof *out);
	out->slow = p95_ms > 0 && duration_ms > p95_ms;
	if (avg_ms <= 0 || duration_ms < 0)
		return;
	out->known = true;
	/* round half away from zero, in integers */
	__int128 num = (__int128)(duration_ms - avg_ms) * 200;
	__int128 q = num / (2 * (__int128)avg_ms);
	__int128 r = num % (2 * (__int128)avg_ms);
	if (r >= avg_ms)
		q++;
	else if (r <= -avg_ms)
		q--;
	if (q > 1000000)
		q = 1000000;
	out->percent = (int)q;
	snprintf(out->text, sizeof out->text, "%+d%%", out->percent);
}
