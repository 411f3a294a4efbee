/* metrics_view.c: the metrics views (see ui_view.h): every workflow's
 * performance over a range in a sortable table, and one workflow's trends
 * (execution time p95 and p50, success rate, executions per hour, day or
 * week, drawn as graphs) with its step breakdown; both export what they show
 * as CSV or JSON.
 *
 * Invariants: the answers live in the model (model.metrics, metrics_data.h);
 * this view keeps only its choices (range, bucket, sort, selection) and what
 * it derives from an answer (sorted rows, graph series), rebuilt when an
 * answer comes, never while drawing; an answer for another scope than the
 * one shown is not shown; a request is re-sent every METRICS_REFRESH_MS while
 * the view is open, and not more often than METRICS_RETRY_MS when it could
 * not be sent. */
#include "ui_view.h"

#include <curses.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "metrics.h"
#include "ui_graph.h"
#include "ui_screen.h"
#include "xalloc.h"

#define METRICS_REFRESH_MS 60000
#define METRICS_RETRY_MS 3000
#define GRAPH_ROWS_MAX 4
#define STEPS_MIN_ROWS 4

static const struct {
	const char *range;     /* the query's */
	const char *text;      /* N_(): shown */
} ranges[] = {
	{ "1h", N_("1 h") }, { "24h", N_("24 h") }, { "7d", N_("7 d") },
	{ "30d", N_("30 d") }, { "90d", N_("90 d") }, { "1y", N_("1 y") },
};
#define NRANGES ((int)(sizeof ranges / sizeof ranges[0]))

static const struct {
	const char *bucket;    /* NULL: the daemon chooses */
	const char *text;      /* N_() */
} buckets[] = {
	{ NULL, N_("auto") }, { "1h", N_("per hour") }, { "1d", N_("per day") }, { "1w", N_("per week") },
};

enum series { SER_P95, SER_P50, SER_SUCCESS, SER_RUNS, SER__COUNT };

struct metrics_view {
	int range;                       /* into ranges[] */
	int bucket;                      /* into buckets[]: the workflow view's */
	enum md_sort sort;
	bool reverse;
	size_t sel, top;                 /* the table: selection follows sel_id */
	char sel_id[PROTO_MAX_ID + 1];
	char workflow[PROTO_MAX_ID + 1]; /* the workflow view's, by id */
	bool steps_focus;                /* Tab: the steps take the graphs' room */
	size_t step_top;
	uint64_t seen;                   /* the model's answer serial last derived from */
	int64_t asked_ms;                /* when the shown scope was last asked for */
	char asked_key[160];             /* what it was asked for (scope, range, bucket) */
	/* derived from the answer */
	double *series[SER__COUNT];
	size_t npoints;
	int group;                       /* buckets per graph point */
	int degraded;                    /* workflows flagged in the table */
};

static struct metrics_view *mv_of(struct ui *ui)
{
	if (ui->metrics == NULL) {
		ui->metrics = xcalloc(1, sizeof *ui->metrics);
		ui->metrics->range = 1;   /* 24 h */
	}
	return ui->metrics;
}

void ui_metrics_free(struct ui *ui)
{
	struct metrics_view *v = ui->metrics;
	if (v == NULL)
		return;
	for (int s = 0; s < SER__COUNT; s++)
		free(v->series[s]);
	free(v);
	ui->metrics = NULL;
}

static bool workflow_view(const struct ui *ui)
{
	return ui->view_id == VIEW_METRICS_WF;
}

/* The answer in the model, if it is about what this view shows. */
static const struct metrics_data *shown(struct ui *ui)
{
	const struct metrics_model *m = &ui->model.metrics;
	if (!m->has_data)
		return NULL;
	const char *want = workflow_view(ui) ? mv_of(ui)->workflow : "";
	return strcmp(m->data.workflow_id, want) == 0 ? &m->data : NULL;
}

/* ---- asking --------------------------------------------------------------------------- */

static void ask_key(struct ui *ui, char *buf, size_t len)
{
	struct metrics_view *v = mv_of(ui);
	bool wf = workflow_view(ui);
	snprintf(buf, len, "%s|%s|%s", wf ? v->workflow : "", ranges[v->range].range,
		 wf && buckets[v->bucket].bucket ? buckets[v->bucket].bucket : "");
}

/* Sends the request for what is shown when it was never asked, the choice
 * changed, or the last answer is older than METRICS_REFRESH_MS. */
static void ask_if_due(struct ui *ui, bool now)
{
	struct metrics_view *v = mv_of(ui);
	char key[sizeof v->asked_key];
	ask_key(ui, key, sizeof key);
	bool changed = strcmp(key, v->asked_key) != 0;
	int64_t wait = ui->model.metrics.state == MSTATE_PENDING ? METRICS_RETRY_MS * 5 : METRICS_REFRESH_MS;
	if (!now && !changed && ui->now_ms - v->asked_ms < wait)
		return;
	if (!changed && !now && ui->model.metrics.state == MSTATE_ERROR && ui->now_ms - v->asked_ms < METRICS_RETRY_MS)
		return;
	bool wf = workflow_view(ui);
	json_t *req = metrics_model_request_new(&ui->model.metrics, wf ? v->workflow : NULL, ranges[v->range].range,
						wf ? buckets[v->bucket].bucket : NULL, ui->now_ms);
	snprintf(v->asked_key, sizeof v->asked_key, "%s", key);
	v->asked_ms = ui->now_ms;
	if (session_request(ui->session, req) != 0) {
		/* Not connected: try again shortly. */
		v->asked_ms = ui->now_ms - METRICS_REFRESH_MS + METRICS_RETRY_MS;
		ui->model.metrics.state = MSTATE_ERROR;
		snprintf(ui->model.metrics.error, sizeof ui->model.metrics.error, "%s",
			 _("not connected: the figures come when the header says LIVE"));
	}
	ui->dirty = true;
}

/* ---- what an answer gives the view --------------------------------------------------------- */

static void rows_follow(struct ui *ui)
{
	struct metrics_view *v = mv_of(ui);
	struct metrics_data *d = &ui->model.metrics.data;
	long found = -1;
	for (size_t i = 0; i < d->nrows && found < 0; i++)
		if (strcmp(d->rows[i].id, v->sel_id) == 0)
			found = (long)i;
	ui_sel_follow(&v->sel, d->nrows, found);
	if (d->nrows > 0)
		snprintf(v->sel_id, sizeof v->sel_id, "%s", d->rows[v->sel].id);
}

/* The graph series, as many points as the graph holds (cap): buckets are
 * grouped when there are more (durations keep the group's peak, success its
 * overall rate, runs their mean per bucket) and repeated when there are
 * fewer, so that the range always spans the graph's width. */
static void series_build(struct ui *ui, size_t cap)
{
	struct metrics_view *v = mv_of(ui);
	const struct metrics_data *d = &ui->model.metrics.data;
	for (int s = 0; s < SER__COUNT; s++)
		free(v->series[s]);
	v->group = cap > 0 && d->npoints > cap ? (int)((d->npoints + cap - 1) / cap) : 1;
	size_t n = (d->npoints + (size_t)v->group - 1) / (size_t)v->group;
	size_t repeat = n > 0 && cap > n ? cap / n : 1;
	v->npoints = n * repeat;
	for (int s = 0; s < SER__COUNT; s++)
		v->series[s] = xcalloc(v->npoints ? v->npoints : 1, sizeof *v->series[s]);
	for (size_t p = 0; p < n; p++) {
		int64_t p95 = -1, p50 = -1, runs = 0, ok = 0, bad = 0;
		size_t k = 0;
		for (size_t i = p * (size_t)v->group; i < d->npoints && k < (size_t)v->group; i++, k++) {
			const struct md_figures *f = &d->trend[i].f;
			if (f->p95_ms > p95)
				p95 = f->p95_ms;
			if (f->p50_ms > p50)
				p50 = f->p50_ms;
			runs += f->runs;
			ok += f->completed;
			bad += f->failed;
		}
		double val[SER__COUNT] = {
			[SER_P95] = (double)p95, [SER_P50] = (double)p50,
			[SER_SUCCESS] = ok + bad > 0 ? 100.0 * (double)ok / (double)(ok + bad) : -1,
			[SER_RUNS] = k > 0 ? (double)runs / (double)k : 0,
		};
		for (int s = 0; s < SER__COUNT; s++)
			for (size_t r = 0; r < repeat; r++)
				v->series[s][p * repeat + r] = val[s];
	}
}

static void metrics_changed(struct ui *ui, unsigned changes)
{
	struct metrics_view *v = mv_of(ui);
	struct metrics_model *m = &ui->model.metrics;
	if (!(changes & MC_METRICS) || m->serial == v->seen)
		return;
	v->seen = m->serial;
	if (m->state == MSTATE_ERROR && m->error_field[0] != '\0')
		ui_message(ui, UI_ERROR, _("server: %s (%s)"), m->error, m->error_field);
	if (shown(ui) == NULL)
		return;
	if (!workflow_view(ui)) {
		/* Steps keep the plan's order; workflows follow the chosen column. */
		metrics_data_sort(&m->data, v->sort, v->reverse);
		rows_follow(ui);
	}
	v->degraded = 0;
	for (size_t i = 0; i < m->data.nrows; i++)
		v->degraded += m->data.rows[i].deg.degraded;
	int cols = ui_screen_cols() - 2;
	series_build(ui, (size_t)(cols > 1 ? cols : 1) * (ui_screen_ascii() ? 1 : 2));
}

/* ---- formatting ------------------------------------------------------------------------------ */

static void fmt_ms(double v, char *buf, size_t len)
{
	i18n_format_duration(v < 0 ? -1 : (int64_t)llround(v), buf, len);
}

/* In a table's column. */
static void fmt_ms_short(double v, char *buf, size_t len)
{
	i18n_format_duration_short(v < 0 ? -1 : (int64_t)llround(v), buf, len);
}

/* "▲ 12 %" / "▼ 3 %"; "" when unknown. worse_up: a rise is bad (durations). */
static const char *fmt_change(double v, const char *unit, char *buf, size_t len, bool worse_up,
			      enum ui_element *el)
{
	*el = UI_MUTED;
	if (isnan(v)) {
		buf[0] = '\0';
		return buf;
	}
	char d[24];
	i18n_format_decimal(fabs(v), fabs(v) < 10 ? 1 : 0, d, sizeof d);
	snprintf(buf, len, "%s %s%s", v > 0 ? ui_sym(SYM_ARROW_UP) : v < 0 ? ui_sym(SYM_ARROW_DOWN) : "=", d, unit);
	if (fabs(v) >= 5)
		*el = (v > 0) == worse_up ? UI_STATUS_FAILED : UI_STATUS_OK;
	return buf;
}

/* "last 30 d, per day · compared with the 30 d before · at 14:05". */
static void period_text(struct ui *ui, const struct metrics_data *d, char *buf, size_t len)
{
	char at[32];
	i18n_format_clock(d->now_ms, at, sizeof at);
	const struct metrics_view *v = ui->metrics;
	const char *b = metrics_bucket_name(d->bucket_ms);
	snprintf(buf, len, _("last %s, buckets of %s, vs the period before, at %s%s"), _(ranges[v->range].text),
		 b ? b : "?", at, d->behind ? _(" (catching up)") : "");
}

/* The summary lines: runs, success, durations; rates and queue wait; on a
 * narrow screen (80 columns) short durations and outcomes on a third line. */
static int draw_summary(const struct metrics_data *d, int y)
{
	int w = ui_screen_cols();
	bool narrow = w < 100;
	void (*dur)(double, char *, size_t) = narrow ? fmt_ms_short : fmt_ms;
	const struct md_figures *f = &d->summary;
	char a[64], c[48], buf[128];
	enum ui_element el;
	int x = 1;
	snprintf(a, sizeof a, "%lld", (long long)f->runs);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("runs"), a, UI_COUNTER);
	fmt_change(d->change.runs_per_hour_pct, " %", c, sizeof c, false, &el);
	if (c[0] != '\0')
		x += ui_text(y, x - 2, w - x, UI_MUTED, c) + 1;
	metrics_format_percent(i18n_lang(), f->success_rate, a, sizeof a);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("success"), a, f->success_rate >= 0 && f->success_rate < 90 ? UI_STATUS_FAILED
											  : UI_NORMAL);
	fmt_change(d->change.success_points, "", c, sizeof c, false, &el);
	if (c[0] != '\0')
		x += ui_text(y, x - 2, w - x, el, c) + 1;
	static const struct {
		const char *label;
		size_t off;
	} durs[] = {
		{ "p50", offsetof(struct md_figures, p50_ms) },
		{ "p95", offsetof(struct md_figures, p95_ms) },
		{ "p99", offsetof(struct md_figures, p99_ms) },
	};
	dur(f->avg_ms, a, sizeof a);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("avg"), a, UI_NORMAL);
	for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++) {
		dur((double)*(const int64_t *)((const char *)f + durs[i].off), a, sizeof a);
		x = ui_pair(y, x, w, UI_PAIR_BODY, durs[i].label, a, UI_NORMAL);
	}
	fmt_change(d->change.p95_pct, " %", c, sizeof c, true, &el);
	if (c[0] != '\0')
		ui_text(y, x - 2, w - x, el, c);
	y++;
	x = 1;
	char h[24], dd[24], wk[24];
	i18n_format_decimal(f->per_hour, 1, h, sizeof h);
	i18n_format_decimal(f->per_day, 0, dd, sizeof dd);
	i18n_format_decimal(f->per_week, 0, wk, sizeof wk);
	snprintf(buf, sizeof buf, _("%s/h, %s/day, %s/week"), h, dd, wk);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("executions"), buf, UI_NORMAL);
	dur(f->avg_wait_ms, a, sizeof a);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("queue wait"), a, UI_NORMAL);
	if (narrow) {
		y++;
		x = 1;
	}
	snprintf(a, sizeof a, "%lld", (long long)(f->failed));
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("failed"), a, f->failed > 0 ? UI_STATUS_FAILED : UI_NORMAL);
	snprintf(a, sizeof a, "%lld", (long long)(f->cancelled));
	ui_pair(y, x, w, UI_PAIR_BODY, _("cancelled"), a, UI_NORMAL);
	return y + 1;
}

/* The ranges (keys 1 to 6) and, for one workflow, the buckets (a h d w),
 * the current ones marked. */
static int draw_ranges(struct ui *ui, int y, bool with_buckets)
{
	int w = ui_screen_cols(), x = 1;
	const struct metrics_view *v = ui->metrics;
	x += ui_text(y, x, w - x, UI_MUTED, _("range 1-6:"));
	for (int i = 0; i < NRANGES && x < w; i++) {
		x++;
		x += ui_text(y, x, w - x, i == v->range ? UI_SELECTION : UI_NORMAL, _(ranges[i].text));
	}
	if (with_buckets) {
		x += 3;
		x += ui_text(y, x, w - x, UI_MUTED, _("buckets a/h/d/w:"));
		for (int i = 0; i < 4 && x < w; i++) {
			x++;
			x += ui_text(y, x, w - x, i == v->bucket ? UI_SELECTION : UI_NORMAL, _(buckets[i].text));
		}
	}
	return y + 1;
}

/* Loading, failed or empty: a line saying so. True when nothing more can be drawn. */
static bool draw_state(struct ui *ui, const struct metrics_data *d, int y)
{
	int w = ui_screen_cols();
	const struct metrics_model *m = &ui->model.metrics;
	if (m->state == MSTATE_ERROR && (d == NULL || m->error_field[0] != '\0')) {
		char buf[PROTO_MAX_TEXT + 64];
		snprintf(buf, sizeof buf, _("cannot show the figures: %s"), m->error);
		ui_text(y, 2, w - 4, UI_ERROR, buf);
		return d == NULL;
	}
	if (d == NULL) {
		ui_text(y, 2, w - 4, UI_MUTED, _("Asking the server for the figures…"));
		return true;
	}
	return false;
}

/* ---- the table of workflows ------------------------------------------------------------------ */

static const struct column {
	const char *head;      /* N_() */
	int width;
	enum md_sort sort;
} columns[] = {
	{ N_("RUNS"), 7, MD_SORT_RUNS }, { N_("SUCCESS"), 8, MD_SORT_SUCCESS }, { N_("AVG"), 8, MD_SORT_AVG },
	{ N_("P50"), 8, MD_SORT_P50 },   { N_("P95"), 8, MD_SORT_P95 },         { N_("P99"), 8, MD_SORT_P99 },
	{ N_("P95 CHG"), 8, MD_SORT_CHANGE },
};
#define NCOLS ((int)(sizeof columns / sizeof columns[0]))

static void draw_table(struct ui *ui, const struct metrics_data *d, int y, int bottom)
{
	struct metrics_view *v = ui->metrics;
	int w = ui_screen_cols();
	int fixed = 0;
	for (int c = 0; c < NCOLS; c++)
		fixed += columns[c].width + 1;
	int namew = w - fixed - 4;
	if (namew < 8)
		namew = 8;
	/* The header: the sorted column carries the order's arrow. */
	char head[48];
	snprintf(head, sizeof head, "%s%s", _("WORKFLOW"),
		 v->sort == MD_SORT_NAME ? (v->reverse ? ui_sym(SYM_ARROW_UP) : ui_sym(SYM_ARROW_DOWN)) : "");
	ui_text(y, 1, namew, v->sort == MD_SORT_NAME ? UI_TITLE : UI_MUTED, head);
	int x = 2 + namew;
	for (int c = 0; c < NCOLS; c++) {
		bool sorted = columns[c].sort == v->sort;
		snprintf(head, sizeof head, "%s%s", sorted ? (v->reverse ? ui_sym(SYM_ARROW_UP) : ui_sym(SYM_ARROW_DOWN)) : "",
			 _(columns[c].head));
		ui_text_right(y, x, columns[c].width, sorted ? UI_TITLE : UI_MUTED, head);
		x += columns[c].width + 1;
	}
	y++;
	int body = bottom - y;
	if (body <= 0)
		return;
	if (d->nrows == 0) {
		ui_text(y, 2, w - 4, UI_MUTED, _("No execution finished in this period."));
		return;
	}
	ui_scroll_clamp(v->sel, &v->top, (size_t)body, d->nrows);
	for (int i = 0; i < body && v->top + (size_t)i < d->nrows; i++) {
		size_t idx = v->top + (size_t)i;
		const struct md_row *r = &d->rows[idx];
		bool sel = idx == v->sel;
		int ry = y + i;
		enum ui_element n_el = sel ? UI_SELECTION : UI_NORMAL;
		if (sel)
			ui_fill(ry, 0, w, UI_SELECTION);
		ui_text(ry, 1, namew, n_el, r->name[0] ? r->name : r->id);
		char cell[NCOLS][48];
		snprintf(cell[0], sizeof cell[0], "%lld", (long long)r->cur.runs);
		metrics_format_percent(i18n_lang(), r->cur.success_rate, cell[1], sizeof cell[1]);
		fmt_ms_short(r->cur.avg_ms, cell[2], sizeof cell[2]);
		fmt_ms_short((double)r->cur.p50_ms, cell[3], sizeof cell[3]);
		fmt_ms_short((double)r->cur.p95_ms, cell[4], sizeof cell[4]);
		fmt_ms_short((double)r->cur.p99_ms, cell[5], sizeof cell[5]);
		enum ui_element cel;
		fmt_change(r->change.p95_pct, " %", cell[6], sizeof cell[6], true, &cel);
		x = 2 + namew;
		for (int c = 0; c < NCOLS; c++) {
			enum ui_element el = n_el;
			if (!sel && c == 1 && r->cur.success_rate >= 0 && r->cur.success_rate < 90)
				el = UI_STATUS_FAILED;
			if (!sel && c == 6)
				el = cel;
			ui_text_right(ry, x, columns[c].width, el, cell[c]);
			x += columns[c].width + 1;
		}
		if (r->deg.degraded)
			ui_text(ry, x, 2, sel ? UI_SELECTION : UI_WARNING, ui_sym(SYM_WARN));
	}
}

static void table_draw(struct ui *ui, int top, int rows)
{
	ask_if_due(ui, false);
	struct metrics_view *v = mv_of(ui);
	const struct metrics_data *d = shown(ui);
	int w = ui_screen_cols(), y = top, bottom = top + rows;
	char extra[256] = "";
	if (d != NULL)
		period_text(ui, d, extra, sizeof extra);
	ui_title_line(y++, _("Metrics: all workflows"), extra);
	y = draw_ranges(ui, y, false);
	if (draw_state(ui, d, y))
		return;
	y = draw_summary(d, y);
	if (v->degraded > 0 && y < bottom) {
		char buf[256];
		snprintf(buf, sizeof buf, " %s %s: %d (%s)", ui_sym(SYM_WARN), _("Performance degradation detected"),
			 v->degraded, _("Enter shows why"));
		ui_fill(y, 0, w, UI_WARNING);
		ui_text(y++, 0, w, UI_WARNING, buf);
	}
	draw_table(ui, d, y, bottom);
}

/* ---- one workflow ------------------------------------------------------------------------------ */

static void draw_degradation(const struct md_degradation *g, int y)
{
	int w = ui_screen_cols();
	char a[32], b[32], buf[512];
	if (g->p95) {
		fmt_ms((double)g->recent.p95_ms, a, sizeof a);
		fmt_ms((double)g->baseline.p95_ms, b, sizeof b);
		snprintf(buf, sizeof buf, _(" %s %s: p95 %s over the last %d h against %s over the %d days before"),
			 ui_sym(SYM_WARN), _("Performance degradation detected"), a, g->window_hours, b, g->baseline_days);
	} else {
		metrics_format_percent(i18n_lang(), g->recent.success_rate, a, sizeof a);
		metrics_format_percent(i18n_lang(), g->baseline.success_rate, b, sizeof b);
		snprintf(buf, sizeof buf, _(" %s %s: success %s over the last %d h against %s over the %d days before"),
			 ui_sym(SYM_WARN), _("Performance degradation detected"), a, g->window_hours, b, g->baseline_days);
	}
	ui_fill(y, 0, w, UI_WARNING);
	ui_text(y, 0, w, UI_WARNING, buf);
}

static void draw_graph(struct ui *ui, const struct metrics_data *d, enum series s, int y, int h)
{
	const struct metrics_view *v = ui->metrics;
	int w = ui_screen_cols();
	double peak = 0;
	const double *pts = v->series[s];
	for (size_t i = 0; i < v->npoints; i++)
		if (pts[i] > peak)
			peak = pts[i];
	char title[160], extra[160], val[48];
	const char *b = metrics_bucket_name(d->bucket_ms);
	enum ui_element el = UI_GRAPH;
	switch (s) {
	case SER_P95:
	case SER_P50:
		fmt_ms(peak, val, sizeof val);
		snprintf(title, sizeof title, _("Execution time %s per %s"), s == SER_P95 ? "p95" : "p50", b ? b : "?");
		snprintf(extra, sizeof extra, _("peak %s"), val);
		if (s == SER_P95 && d->deg.p95)
			el = UI_WARNING;
		break;
	case SER_SUCCESS:
		snprintf(title, sizeof title, _("Success rate per %s"), b ? b : "?");
		snprintf(extra, sizeof extra, "%s", _("scale 0-100 %"));
		peak = 100;
		if (d->deg.success)
			el = UI_WARNING;
		break;
	default:
		snprintf(title, sizeof title, _("Executions per %s"), b ? b : "?");
		i18n_format_decimal(peak, peak < 10 ? 1 : 0, val, sizeof val);
		snprintf(extra, sizeof extra, _("peak %s"), val);
		break;
	}
	if (v->group > 1) {
		size_t n = strlen(extra);
		snprintf(extra + n, sizeof extra - n, _(", %d buckets a point"), v->group);
	}
	ui_title_line(y, title, extra);
	ui_graph_draw((struct ui_rect){ y + 1, 1, h, w - 2 }, pts, v->npoints, peak > 0 ? peak : 1, false, el);
}

/* Under the graphs: when they start and end, in local time. */
static void draw_axis(const struct metrics_data *d, int y)
{
	int w = ui_screen_cols();
	char a[48], b[48];
	i18n_format_datetime(d->from_ms, a, sizeof a);
	i18n_format_datetime(d->now_ms < d->to_ms ? d->now_ms : d->to_ms, b, sizeof b);
	ui_text(y, 1, w / 2, UI_MUTED, a);
	ui_text_right(y, w / 2, w / 2 - 1, UI_MUTED, b);
}

static void draw_steps(struct ui *ui, const struct metrics_data *d, int y, int bottom)
{
	struct metrics_view *v = ui->metrics;
	int w = ui_screen_cols();
	ui_title_line(y++, _("Steps: this period against the one before"), v->steps_focus ? _("Tab: graphs") : _("Tab: all steps"));
	static const char *const heads[] = { N_("RUNS"), N_("AVG"), N_("BEFORE"), N_("P95"), N_("BEFORE"), N_("P95 CHG") };
	int cw = 8, namew = w - 6 * (cw + 1) - 3;
	if (namew < 8)
		namew = 8;
	if (y < bottom) {
		ui_text(y, 1, namew, UI_MUTED, _("STEP"));
		for (int c = 0; c < 6; c++)
			ui_text_right(y, 2 + namew + c * (cw + 1), cw, UI_MUTED, _(heads[c]));
		y++;
	}
	int body = bottom - y;
	if (body <= 0)
		return;
	if (d->nrows == 0) {
		ui_text(y, 2, w - 4, UI_MUTED, _("No step finished in this period."));
		return;
	}
	if (v->step_top + (size_t)body > d->nrows)
		v->step_top = d->nrows > (size_t)body ? d->nrows - (size_t)body : 0;
	for (int i = 0; i < body && v->step_top + (size_t)i < d->nrows; i++) {
		const struct md_row *r = &d->rows[v->step_top + (size_t)i];
		char cell[6][48];
		enum ui_element cel;
		snprintf(cell[0], sizeof cell[0], "%lld", (long long)r->cur.runs);
		fmt_ms_short(r->cur.avg_ms, cell[1], sizeof cell[1]);
		fmt_ms_short(r->prev.avg_ms, cell[2], sizeof cell[2]);
		fmt_ms_short((double)r->cur.p95_ms, cell[3], sizeof cell[3]);
		fmt_ms_short((double)r->prev.p95_ms, cell[4], sizeof cell[4]);
		fmt_change(r->change.p95_pct, " %", cell[5], sizeof cell[5], true, &cel);
		ui_text(y + i, 1, namew, UI_NORMAL, r->name[0] ? r->name : r->id);
		for (int c = 0; c < 6; c++)
			ui_text_right(y + i, 2 + namew + c * (cw + 1), cw,
				      c == 5 ? cel : (c == 2 || c == 4) ? UI_MUTED : UI_NORMAL, cell[c]);
	}
}

static void workflow_draw(struct ui *ui, int top, int rows)
{
	ask_if_due(ui, false);
	struct metrics_view *v = mv_of(ui);
	const struct metrics_data *d = shown(ui);
	int y = top, bottom = top + rows;
	char title[PROTO_MAX_NAME + 64], extra[256] = "";
	snprintf(title, sizeof title, _("Metrics: %s"), d != NULL && d->workflow_name[0] ? d->workflow_name : v->workflow);
	if (d != NULL)
		period_text(ui, d, extra, sizeof extra);
	ui_title_line(y++, title, extra);
	y = draw_ranges(ui, y, true);
	if (draw_state(ui, d, y))
		return;
	y = draw_summary(d, y);
	if (d->deg.degraded && y < bottom)
		draw_degradation(&d->deg, y++);
	if (v->steps_focus) {
		draw_steps(ui, d, y, bottom);
		return;
	}
	/* Graphs first, what is left for the steps (at least a few rows when it can). */
	int room = bottom - y - 1;
	int steps_rows = d->nrows > 0 ? STEPS_MIN_ROWS : 0;
	int h = (room - steps_rows) / SER__COUNT - 1;
	if (h > GRAPH_ROWS_MAX)
		h = GRAPH_ROWS_MAX;
	int ngraphs = SER__COUNT;
	if (h < 1) {
		/* Small screens: fewer graphs, one row each. */
		h = 1;
		ngraphs = (room - steps_rows) / 2;
		if (ngraphs < 1)
			ngraphs = room >= 2 ? 1 : 0;
	}
	static const enum series order[SER__COUNT] = { SER_P95, SER_P50, SER_SUCCESS, SER_RUNS };
	for (int g = 0; g < ngraphs && g < SER__COUNT; g++) {
		draw_graph(ui, d, order[g], y, h);
		y += h + 1;
	}
	if (ngraphs > 0 && y < bottom)
		draw_axis(d, y++);
	if (y < bottom)
		draw_steps(ui, d, y, bottom);
}

/* ---- exports ------------------------------------------------------------------------------------- */

static void export(struct ui *ui, bool json)
{
	const struct metrics_data *d = shown(ui);
	if (d == NULL) {
		ui_message(ui, UI_ERROR, "%s", _("nothing to export yet"));
		return;
	}
	char stamp[32], path[PROTO_MAX_ID + 96];
	time_t t = (time_t)(ui->now_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	snprintf(path, sizeof path, "wfmon-metrics-%s-%s-%s.%s", d->workflow_id[0] ? d->workflow_id : "all",
		 ranges[ui->metrics->range].range, stamp, json ? "json" : "csv");
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		ui_message(ui, UI_ERROR, _("cannot write %s: %s"), path, strerror(errno));
		return;
	}
	int rc = json ? metrics_export_json(d, f) : metrics_export_csv(d, f);
	int e = errno;
	if (fclose(f) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc != 0) {
		ui_message(ui, UI_ERROR, _("cannot write %s: %s"), path, strerror(e));
		return;
	}
	char *abs = realpath(path, NULL);
	ui_message(ui, UI_MESSAGE, _("wrote the figures to %s"), abs ? abs : path);
	free(abs);
}

/* ---- keys ----------------------------------------------------------------------------------------- */

static void set_range(struct ui *ui, int r)
{
	struct metrics_view *v = mv_of(ui);
	if (r < 0 || r >= NRANGES)
		return;
	v->range = r;
	ask_if_due(ui, false);
}

static void k_r1(struct ui *ui) { set_range(ui, 0); }
static void k_r2(struct ui *ui) { set_range(ui, 1); }
static void k_r3(struct ui *ui) { set_range(ui, 2); }
static void k_r4(struct ui *ui) { set_range(ui, 3); }
static void k_r5(struct ui *ui) { set_range(ui, 4); }
static void k_r6(struct ui *ui) { set_range(ui, 5); }
static void k_shorter(struct ui *ui) { set_range(ui, mv_of(ui)->range - 1); }
static void k_longer(struct ui *ui) { set_range(ui, mv_of(ui)->range + 1); }
static void k_refresh(struct ui *ui) { ask_if_due(ui, true); }
static void k_csv(struct ui *ui) { export(ui, false); }
static void k_json(struct ui *ui) { export(ui, true); }

static void resort(struct ui *ui)
{
	struct metrics_view *v = mv_of(ui);
	struct metrics_data *d = &ui->model.metrics.data;
	if (shown(ui) == NULL)
		return;
	metrics_data_sort(d, v->sort, v->reverse);
	rows_follow(ui);
	ui_message(ui, UI_MESSAGE, _("sorted by %s%s"), metrics_sort_name(v->sort), v->reverse ? _(", reversed") : "");
}

static void k_sort(struct ui *ui)
{
	struct metrics_view *v = mv_of(ui);
	v->sort = (enum md_sort)((v->sort + 1) % MD_SORT__COUNT);
	resort(ui);
}

static void k_reverse(struct ui *ui)
{
	mv_of(ui)->reverse = !mv_of(ui)->reverse;
	resort(ui);
}

static void table_move(struct ui *ui, long delta)
{
	struct metrics_view *v = mv_of(ui);
	const struct metrics_data *d = shown(ui);
	size_t n = d ? d->nrows : 0;
	if (ui_sel_move(&v->sel, n, delta))
		snprintf(v->sel_id, sizeof v->sel_id, "%s", d->rows[v->sel].id);
	else
		v->sel_id[0] = '\0';
}

static void k_up(struct ui *ui) { table_move(ui, -1); }
static void k_down(struct ui *ui) { table_move(ui, 1); }
static void k_pgup(struct ui *ui) { table_move(ui, -10); }
static void k_pgdn(struct ui *ui) { table_move(ui, 10); }
static void k_home(struct ui *ui) { table_move(ui, -1000000); }
static void k_end(struct ui *ui) { table_move(ui, 1000000); }

void ui_metrics_open(struct ui *ui, const char *workflow)
{
	struct metrics_view *v = mv_of(ui);
	if (workflow == NULL || workflow[0] == '\0') {
		ui_set_view(ui, VIEW_METRICS);
		return;
	}
	snprintf(v->workflow, sizeof v->workflow, "%s", workflow);
	v->steps_focus = false;
	v->step_top = 0;
	ui_set_view(ui, VIEW_METRICS_WF);
}

static void k_open(struct ui *ui)
{
	const struct metrics_data *d = shown(ui);
	struct metrics_view *v = mv_of(ui);
	if (d == NULL || d->nrows == 0)
		return;
	ui_metrics_open(ui, d->rows[v->sel].id);
}

static void k_table_back(struct ui *ui) { ui_set_view(ui, VIEW_LIST); }
static void k_wf_back(struct ui *ui) { ui_set_view(ui, VIEW_METRICS); }

static void set_bucket(struct ui *ui, int b)
{
	mv_of(ui)->bucket = b;
	ask_if_due(ui, false);
}

static void k_auto(struct ui *ui) { set_bucket(ui, 0); }
static void k_hourly(struct ui *ui) { set_bucket(ui, 1); }
static void k_daily(struct ui *ui) { set_bucket(ui, 2); }
static void k_weekly(struct ui *ui) { set_bucket(ui, 3); }

static void k_focus(struct ui *ui)
{
	struct metrics_view *v = mv_of(ui);
	v->steps_focus = !v->steps_focus;
	v->step_top = 0;
}

static void steps_scroll(struct ui *ui, long delta)
{
	struct metrics_view *v = mv_of(ui);
	long top = (long)v->step_top + delta;
	v->step_top = top < 0 ? 0 : (size_t)top;
}

static void k_steps_up(struct ui *ui) { steps_scroll(ui, -1); }
static void k_steps_down(struct ui *ui) { steps_scroll(ui, 1); }

#define RANGE_KEYS                                                                         \
	{ '1', "1-6", N_("range: 1 h, 24 h, 7 d, 30 d, 90 d, 1 y"), k_r1 },                  \
	{ '2', NULL, NULL, k_r2 }, { '3', NULL, NULL, k_r3 }, { '4', NULL, NULL, k_r4 },     \
	{ '5', NULL, NULL, k_r5 }, { '6', NULL, NULL, k_r6 },                                \
	{ '[', "[ ]", N_("a shorter or a longer range"), k_shorter },                        \
	{ ']', NULL, NULL, k_longer },                                                       \
	{ 'r', "r", N_("ask the server again now"), k_refresh },                             \
	{ 'e', "e", N_("export what is shown as CSV (a file in the current folder)"), k_csv }, \
	{ 'E', "E", N_("export what is shown as JSON"), k_json }

static const struct ui_key table_keys[] = {
	{ KEY_UP, "Up k", N_("select the workflow above"), k_up },
	{ 'k', NULL, NULL, k_up },
	{ KEY_DOWN, "Down j", N_("select the workflow below"), k_down },
	{ 'j', NULL, NULL, k_down },
	{ KEY_PPAGE, "PgUp", N_("one page up"), k_pgup },
	{ KEY_NPAGE, "PgDn", N_("one page down"), k_pgdn },
	{ 'g', "g Home", N_("first workflow"), k_home },
	{ KEY_HOME, NULL, NULL, k_home },
	{ 'G', "G End", N_("last workflow"), k_end },
	{ KEY_END, NULL, NULL, k_end },
	{ '\r', "Enter", N_("the workflow's trends and steps"), k_open },
	{ '\n', NULL, NULL, k_open },
	{ KEY_ENTER, NULL, NULL, k_open },
	{ 's', "s", N_("sort by the next column"), k_sort },
	{ 'S', "S", N_("reverse the sort order"), k_reverse },
	RANGE_KEYS,
	{ 27, "Esc", N_("back to the executions"), k_table_back },
};

static const struct ui_key workflow_keys[] = {
	RANGE_KEYS,
	{ 'a', "a h d w", N_("trend buckets: automatic, per hour, per day, per week"), k_auto },
	{ 'h', NULL, NULL, k_hourly },
	{ 'd', NULL, NULL, k_daily },
	{ 'w', NULL, NULL, k_weekly },
	{ '\t', "Tab", N_("the steps take the graphs' room, and back"), k_focus },
	{ KEY_UP, "Up k", N_("scroll the steps"), k_steps_up },
	{ 'k', NULL, NULL, k_steps_up },
	{ KEY_DOWN, "Down j", NULL, k_steps_down },
	{ 'j', NULL, NULL, k_steps_down },
	{ 27, "Esc", N_("back to every workflow"), k_wf_back },
	{ KEY_LEFT, NULL, NULL, k_wf_back },
};

static void table_hints(struct ui *ui, int y)
{
	(void)ui;
	int x = 0;
	ui_hint(y, &x, "Enter", _("Trends"), false);
	ui_hint(y, &x, "1-6", _("Range"), false);
	ui_hint(y, &x, "s", _("Sort"), false);
	ui_hint(y, &x, "e/E", _("Export"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
}

static void workflow_hints(struct ui *ui, int y)
{
	(void)ui;
	int x = 0;
	ui_hint(y, &x, "1-6", _("Range"), false);
	ui_hint(y, &x, "h/d/w", _("Per hour/day/week"), false);
	ui_hint(y, &x, "Tab", _("Steps"), false);
	ui_hint(y, &x, "e/E", _("Export"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
}

static void metrics_enter(struct ui *ui)
{
	struct metrics_view *v = mv_of(ui);
	v->seen = 0;   /* derive again from whatever answer is there */
	metrics_changed(ui, MC_METRICS);
	ask_if_due(ui, false);
}

/* A spinner while asking; otherwise the refresh comes once a minute. */
static int metrics_tick_ms(struct ui *ui)
{
	return ui->model.metrics.state == MSTATE_PENDING ? 1000 : METRICS_REFRESH_MS / 4;
}

const struct ui_view_ops ui_view_metrics = {
	.name = N_("Metrics"),
	.keys = table_keys,
	.nkeys = sizeof table_keys / sizeof table_keys[0],
	.enter = metrics_enter,
	.draw = table_draw,
	.tick_ms = metrics_tick_ms,
	.hints = table_hints,
	.changed = metrics_changed,
};

const struct ui_view_ops ui_view_metrics_workflow = {
	.name = N_("Workflow metrics"),
	.keys = workflow_keys,
	.nkeys = sizeof workflow_keys / sizeof workflow_keys[0],
	.enter = metrics_enter,
	.draw = workflow_draw,
	.tick_ms = metrics_tick_ms,
	.hints = workflow_hints,
	.changed = metrics_changed,
};
