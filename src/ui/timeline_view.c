/* timeline_view.c: the Gantt view of the open execution (see ui_view.h).
 *
 * The layout comes from timeline.h (rows, waits, bottlenecks, columns, ticks);
 * this file only turns the model's steps into its input and draws. The
 * cursor follows a step id, so steps arriving or moving never move it to
 * another step. The window [t0, t0 + span) is the whole execution (growing
 * with a running one) until the user zooms or pans; 0 returns to that.
 * Invariants: nothing is drawn outside [top, top + rows); bars are drawn
 * only inside the chart's columns; the window's span is at least
 * TL_MIN_SPAN_MS. */
#include "ui_view.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "timeline.h"
#include "ui_screen.h"

#define TL_MIN_SPAN_MS 100
#define TL_MAX_ZOOM 20
#define TL_STATS_RUNS 20
#define TL_STATS_RETRY_MS 30000
#define TL_DETAIL_ROWS 4     /* title and three lines */

/* One frame's layout, rebuilt from the model when drawn or when a key needs it. */
struct tl_frame {
	struct timeline_step in[TIMELINE_MAX_STEPS];
	struct timeline_bar bars[TIMELINE_MAX_STEPS];
	size_t n;
	int nrows;
	int64_t origin_ms;           /* the execution's start: tick labels count from it */
	int64_t full_t0, full_t1;    /* the whole execution */
	int64_t t0, t1;              /* the window shown */
};

static struct tl_frame F;    /* large: kept out of the stack */

static enum timeline_status tl_status(enum exec_step_status s)
{
	static const enum timeline_status map[STEP__COUNT] = {
		[STEP_PENDING] = TIMELINE_PENDING, [STEP_RUNNING] = TIMELINE_RUNNING,
		[STEP_COMPLETED] = TIMELINE_COMPLETED, [STEP_FAILED] = TIMELINE_FAILED,
	};
	return map[s];
}

/* The window for the current zoom and pan. */
static void tl_window(struct ui *ui, struct tl_frame *f)
{
	int64_t span = f->full_t1 - f->full_t0;
	if (span < TL_MIN_SPAN_MS)
		span = TL_MIN_SPAN_MS;
	if (!ui->tl_fixed) {
		f->t0 = f->full_t0;
		f->t1 = f->full_t0 + span;
		return;
	}
	f->t0 = ui->tl_t0;
	f->t1 = ui->tl_t0 + (ui->tl_span < TL_MIN_SPAN_MS ? TL_MIN_SPAN_MS : ui->tl_span);
}

static void tl_build(struct ui *ui, int width)
{
	struct model_detail *d = &ui->model.detail;
	struct tl_frame *f = &F;
	f->n = d->exec.x.nsteps < TIMELINE_MAX_STEPS ? d->exec.x.nsteps : TIMELINE_MAX_STEPS;
	int64_t first = 0;
	for (size_t i = 0; i < f->n; i++) {
		const struct exec_step *s = &d->exec.x.steps[i];
		f->in[i] = (struct timeline_step){
			.id = s->id,
			.name = s->name ? s->name : s->id,
			.status = tl_status(s->status),
			.start_ms = s->started_ms,
			.end_ms = s->finished_ms,
			.depends_on = (const char *const *)s->depends_on,
			.ndepends = s->ndepends,
		};
		/* A finished step that reported only its duration. */
		if (s->finished_ms == 0 && s->started_ms > 0 && s->duration_ms >= 0 &&
		    (s->status == STEP_COMPLETED || s->status == STEP_FAILED))
			f->in[i].end_ms = s->started_ms + s->duration_ms;
		/* A retried step's bar spans its attempts: from the first one's start. */
		for (uint32_t t = 0; t < s->ntries; t++)
			if (s->tries[t].started_ms > 0 &&
			    (f->in[i].start_ms == 0 || s->tries[t].started_ms < f->in[i].start_ms))
				f->in[i].start_ms = s->tries[t].started_ms;
		if (s->started_ms > 0 && (first == 0 || s->started_ms < first))
			first = s->started_ms;
	}
	f->origin_ms = d->exec.x.started_ms > 0 ? d->exec.x.started_ms : first;
	if (first > 0 && (f->origin_ms == 0 || first < f->origin_ms))
		f->origin_ms = first;
	char cause[128];
	f->nrows = 0;
	if (timeline_layout(f->in, f->n, f->origin_ms, ui->now_ms, 0, f->bars, &f->nrows, cause,
			    sizeof cause) != 0)
		f->n = 0;
	f->full_t0 = f->origin_ms;
	f->full_t1 = f->origin_ms;
	for (size_t i = 0; i < f->n; i++)
		if (f->bars[i].row >= 0 && f->bars[i].end_ms > f->full_t1)
			f->full_t1 = f->bars[i].end_ms;
	if (d->exec.x.finished_ms > f->full_t1 && exec_status_finished(d->exec.x.status))
		f->full_t1 = d->exec.x.finished_ms;
	if (!exec_status_finished(d->exec.x.status) && f->origin_ms > 0 && ui->now_ms > f->full_t1)
		f->full_t1 = ui->now_ms;
	tl_window(ui, f);
	timeline_scale(f->bars, f->n, f->t0, f->t1, width);
}

static int tl_chart_width(void)
{
	int w = ui_screen_cols() - 2;
	return w > 1 ? w : 1;
}

static long tl_sel_index(struct ui *ui)
{
	struct model_detail *d = &ui->model.detail;
	for (uint32_t i = 0; i < d->exec.x.nsteps && i < TIMELINE_MAX_STEPS; i++)
		if (strcmp(d->exec.x.steps[i].id, ui->tl_sel_id) == 0)
			return (long)i;
	if (d->exec.x.nsteps == 0)
		return -1;
	snprintf(ui->tl_sel_id, sizeof ui->tl_sel_id, "%s", d->exec.x.steps[0].id);
	return 0;
}

static void tl_select(struct ui *ui, size_t i)
{
	snprintf(ui->tl_sel_id, sizeof ui->tl_sel_id, "%s", ui->model.detail.exec.x.steps[i].id);
}

/* ---- keys ---------------------------------------------------------------------- */

/* Plan order. */
static void tl_move(struct ui *ui, long delta)
{
	long i = tl_sel_index(ui);
	long n = (long)ui->model.detail.exec.x.nsteps;
	if (i < 0)
		return;
	i += delta;
	i = i < 0 ? 0 : i >= n ? n - 1 : i;
	if (i >= TIMELINE_MAX_STEPS)
		i = TIMELINE_MAX_STEPS - 1;
	tl_select(ui, (size_t)i);
}

/* Time order: by start, started steps first, then plan order. */
static bool tl_before(const struct tl_frame *f, size_t a, size_t b)
{
	bool sa = f->bars[a].row >= 0, sb = f->bars[b].row >= 0;
	if (sa != sb)
		return sa;
	if (sa && f->bars[a].start_ms != f->bars[b].start_ms)
		return f->bars[a].start_ms < f->bars[b].start_ms;
	return a < b;
}

static void tl_move_time(struct ui *ui, int dir)
{
	tl_build(ui, tl_chart_width());
	long cur = tl_sel_index(ui);
	if (cur < 0 || F.n == 0)
		return;
	long best = -1;
	for (size_t i = 0; i < F.n; i++) {
		if ((long)i == cur)
			continue;
		bool after = tl_before(&F, (size_t)cur, i);
		if ((dir > 0) != after)
			continue;
		/* The nearest in that direction. */
		if (best < 0 || (dir > 0 ? tl_before(&F, i, (size_t)best) : tl_before(&F, (size_t)best, i)))
			best = (long)i;
	}
	if (best >= 0)
		tl_select(ui, (size_t)best);
}

static void k_tl_up(struct ui *ui) { tl_move(ui, -1); }
static void k_tl_down(struct ui *ui) { tl_move(ui, 1); }
static void k_tl_first(struct ui *ui) { tl_move(ui, -TIMELINE_MAX_STEPS); }
static void k_tl_last(struct ui *ui) { tl_move(ui, TIMELINE_MAX_STEPS); }
static void k_tl_prev(struct ui *ui) { tl_move_time(ui, -1); }
static void k_tl_next(struct ui *ui) { tl_move_time(ui, 1); }

/* Fixes the window where it is, so zoom and pan start from what is shown. */
static void tl_fix(struct ui *ui)
{
	tl_build(ui, tl_chart_width());
	ui->tl_fixed = true;
	ui->tl_t0 = F.t0;
	ui->tl_span = F.t1 - F.t0;
}

static void tl_zoom(struct ui *ui, int in)
{
	tl_fix(ui);
	int64_t full = F.full_t1 - F.full_t0;
	if (in && (ui->tl_zoom >= TL_MAX_ZOOM || ui->tl_span / 2 < TL_MIN_SPAN_MS))
		return;
	if (!in && ui->tl_zoom <= 0) {
		ui->tl_fixed = false;
		return;
	}
	/* Around the selected bar when it is in view, else around the middle. */
	int64_t mid = ui->tl_t0 + ui->tl_span / 2;
	long i = tl_sel_index(ui);
	if (i >= 0 && (size_t)i < F.n && F.bars[i].visible)
		mid = F.bars[i].start_ms + (F.bars[i].end_ms - F.bars[i].start_ms) / 2;
	ui->tl_span = in ? ui->tl_span / 2 : ui->tl_span * 2;
	ui->tl_zoom += in ? 1 : -1;
	ui->tl_t0 = mid - ui->tl_span / 2;
	if (ui->tl_zoom <= 0 || ui->tl_span >= full) {
		ui->tl_fixed = false;
		ui->tl_zoom = 0;
	}
}

static void k_tl_zoom_in(struct ui *ui) { tl_zoom(ui, 1); }
static void k_tl_zoom_out(struct ui *ui) { tl_zoom(ui, 0); }

static void tl_pan(struct ui *ui, int dir)
{
	tl_fix(ui);
	int64_t step = ui->tl_span / 4 > 0 ? ui->tl_span / 4 : 1;
	int64_t t0 = ui->tl_t0 + dir * step;
	/* Keep at least half the window on the execution. */
	int64_t lo = F.full_t0 - ui->tl_span / 2, hi = F.full_t1 - ui->tl_span / 2;
	ui->tl_t0 = t0 < lo ? lo : t0 > hi ? (hi > lo ? hi : lo) : t0;
}

static void k_tl_left(struct ui *ui) { tl_pan(ui, -1); }
static void k_tl_right(struct ui *ui) { tl_pan(ui, 1); }

static void k_tl_reset(struct ui *ui)
{
	ui->tl_fixed = false;
	ui->tl_zoom = 0;
	ui->tl_top = 0;
}

static void k_tl_open(struct ui *ui)
{
	if (tl_sel_index(ui) < 0)
		return;
	snprintf(ui->step_id, sizeof ui->step_id, "%s", ui->tl_sel_id);
	ui_set_view(ui, VIEW_STEP);
}

static void k_tl_back(struct ui *ui) { ui_set_view(ui, VIEW_EXEC); }

static const struct ui_key tl_keys[] = {
	{ KEY_UP, "Up k", N_("previous step (plan order)"), k_tl_up },
	{ 'k', NULL, NULL, k_tl_up },
	{ KEY_DOWN, "Down j", N_("next step (plan order)"), k_tl_down },
	{ 'j', NULL, NULL, k_tl_down },
	{ 'h', "h Left", N_("the step that started before (time order)"), k_tl_prev },
	{ KEY_LEFT, NULL, NULL, k_tl_prev },
	{ 'l', "l Right", N_("the step that started after (time order)"), k_tl_next },
	{ KEY_RIGHT, NULL, NULL, k_tl_next },
	{ 'g', "g Home", N_("first step"), k_tl_first },
	{ KEY_HOME, NULL, NULL, k_tl_first },
	{ 'G', "G End", N_("last step"), k_tl_last },
	{ KEY_END, NULL, NULL, k_tl_last },
	{ '+', "+ =", N_("zoom in (around the selected step)"), k_tl_zoom_in },
	{ '=', NULL, NULL, k_tl_zoom_in },
	{ '-', "-", N_("zoom out"), k_tl_zoom_out },
	{ '<', "< H", N_("pan to earlier times"), k_tl_left },
	{ 'H', NULL, NULL, k_tl_left },
	{ '>', "> L", N_("pan to later times"), k_tl_right },
	{ 'L', NULL, NULL, k_tl_right },
	{ '0', "0", N_("show the whole execution again"), k_tl_reset },
	{ '\r', "Enter", N_("open the step: input, output, usage"), k_tl_open },
	{ '\n', NULL, NULL, k_tl_open },
	{ KEY_ENTER, NULL, NULL, k_tl_open },
	{ 27, "Esc", N_("back to the execution"), k_tl_back },
};

/* ---- drawing ------------------------------------------------------------------- */

static enum ui_element bar_element(enum exec_step_status s)
{
	static const enum ui_element el[STEP__COUNT] = {
		[STEP_PENDING] = UI_BAR_WAIT, [STEP_RUNNING] = UI_BAR_RUNNING,
		[STEP_COMPLETED] = UI_BAR_OK, [STEP_FAILED] = UI_BAR_FAILED,
	};
	return el[s];
}

/* The comparison with the workflow's history, or known = false. */
static void tl_compare(struct ui *ui, size_t i, struct timeline_cmp *cmp,
		       const struct step_stat **stat)
{
	struct model_detail *d = &ui->model.detail;
	*stat = model_step_stat_find(&ui->model, d->exec.x.workflow_id, d->exec.x.steps[i].id);
	memset(cmp, 0, sizeof *cmp);
	if (*stat != NULL && F.bars[i].row >= 0 && d->exec.x.steps[i].status != STEP_PENDING)
		timeline_compare(F.bars[i].duration_ms, llround((*stat)->avg_ms), llround((*stat)->p95_ms), cmp);
}

static void draw_axis(int y, int x0, int width)
{
	struct timeline_tick ticks[64];
	int64_t interval;
	size_t n = timeline_ticks(i18n_lang(), F.t0, F.t1, F.origin_ms, width, 0, ticks, 64, &interval);
	char rule[4096];
	size_t k = 0;
	const char *h = ui_sym(SYM_HLINE), *t = ui_sym(SYM_TICK);
	size_t next = 0;
	for (int c = 0; c < width && k + 8 < sizeof rule; c++) {
		const char *p = h;
		if (next < n && ticks[next].col == c) {
			p = t;
			next++;
		}
		size_t l = strlen(p);
		memcpy(rule + k, p, l);
		k += l;
	}
	rule[k] = '\0';
	for (size_t i = 0; i < n; i++)
		ui_text(y, x0 + ticks[i].col, width - ticks[i].col, UI_MUTED, ticks[i].label);
	ui_text(y + 1, x0, width, UI_BORDER, rule);
}

/* What each pass draws of the bars: every wait line, then every bar over
 * them, then every name (timeline.h's label_cols), so that nothing a
 * neighbour draws covers a name. */
enum tl_pass { TLP_WAIT, TLP_BAR, TLP_NAME, TLP__COUNT };

static void draw_bar(struct ui *ui, int y, int x0, int width, size_t i, enum tl_pass pass)
{
	struct model_detail *d = &ui->model.detail;
	const struct timeline_bar *b = &F.bars[i];
	const struct exec_step *s = &d->exec.x.steps[i];
	/* The wait before it: a thin line from when its dependencies were done. */
	int wf, wl;
	if (pass == TLP_WAIT && b->wait_ms > 0 && timeline_columns(b->start_ms - b->wait_ms, b->start_ms, F.t0, F.t1, width,
					       &wf, &wl)) {
		if (b->visible && wl >= b->col_first)
			wl = b->col_first - 1;
		char line[2048];
		size_t k = 0;
		for (int c = wf; c <= wl && k + 8 < sizeof line; c++) {
			const char *p = ui_sym(SYM_HLINE);
			memcpy(line + k, p, strlen(p));
			k += strlen(p);
		}
		line[k] = '\0';
		if (wl >= wf)
			ui_text(y, x0 + wf, wl - wf + 1, UI_BAR_WAIT, line);
	}
	if (pass == TLP_WAIT || !b->visible)
		return;
	struct timeline_cmp cmp;
	const struct step_stat *stat;
	tl_compare(ui, i, &cmp, &stat);
	bool sel = strcmp(s->id, ui->tl_sel_id) == 0;
	enum ui_element el = sel ? UI_SELECTION : cmp.slow && s->status != STEP_FAILED ? UI_BAR_SLOW
									 : bar_element(s->status);
	int bw = b->col_last - b->col_first + 1;
	char name[PROTO_MAX_NAME + 32];
	char rank[16] = "";
	if (b->bottleneck > 0)
		snprintf(rank, sizeof rank, "#%d ", b->bottleneck);
	snprintf(name, sizeof name, "%s%s%s", cmp.slow ? "! " : "", rank, s->name ? s->name : s->id);
	if (pass == TLP_BAR)
		ui_fill(y, x0 + b->col_first, bw, el);
	/* Earlier attempts inside the bar, each with its number; the name goes
	 * on the current attempt when it has room there. */
	int label_at = b->col_first;
	for (uint32_t t = 0; t < s->ntries; t++) {
		const struct exec_try *tr = &s->tries[t];
		int64_t end = tr->finished_ms > 0 ? tr->finished_ms
			      : tr->duration_ms >= 0 && tr->started_ms > 0 ? tr->started_ms + tr->duration_ms : 0;
		int f0, f1;
		if (tr->started_ms <= 0 || end <= 0 ||
		    !timeline_columns(tr->started_ms, end, F.t0, F.t1, width, &f0, &f1))
			continue;
		if (pass == TLP_BAR) {
			enum ui_element tel = sel ? UI_SELECTION : tr->status == STEP_FAILED ? UI_BAR_FAILED : UI_BAR_WAIT;
			char num[16];
			snprintf(num, sizeof num, "%s%u", ui_sym(SYM_CROSS), tr->attempt);
			ui_fill(y, x0 + f0, f1 - f0 + 1, tel);
			if (f1 - f0 + 1 >= 2)
				ui_text(y, x0 + f0, f1 - f0 + 1, tel, num);
		}
		if (f1 + 1 > label_at && f1 + 1 <= b->col_last - 2)
			label_at = f1 + 1;
	}
	int lw = b->label_cols - (label_at - b->col_first);
	if (pass != TLP_NAME)
		return;
	if (lw >= 2)
		ui_text(y, x0 + label_at, lw, el, name);
	else if (!ui_screen_colors())
		ui_text(y, x0 + b->col_first, 1, el, ui_sym(SYM_BAR_FULL));
}

/* "+1.25 s", "-30 s": a time since the execution's start. */
static void offset_text(int64_t ms, char *buf, size_t len)
{
	char o[TIMELINE_LABEL_MAX];
	fmt_offset(i18n_lang(), ms, o, sizeof o);
	snprintf(buf, len, "%s%s", o[0] == '-' ? "" : "+", o);
}

static void draw_detail(struct ui *ui, int y, int w)
{
	struct model_detail *d = &ui->model.detail;
	long i = tl_sel_index(ui);
	if (i < 0 || (size_t)i >= F.n) {
		ui_title_line(y, _("No step selected"), "");
		return;
	}
	const struct exec_step *s = &d->exec.x.steps[i];
	const struct timeline_bar *b = &F.bars[i];
	char buf[1024], a[64], c[64], e[64], t1[32], t2[32];
	char extra[128] = "";
	if (b->bottleneck > 0)
		snprintf(extra, sizeof extra, _("longest #%d"), b->bottleneck);
	snprintf(buf, sizeof buf, "%s %s (%s)", ui_sym(SYM_SELECT), s->name ? s->name : s->id, s->id);
	ui_title_line(y, buf, extra);
	int x = 1 + ui_width(buf) + 2;
	if (x < w - 12)
		ui_text(y, x, 12, ui_step_status_element(s->status), ui_step_status_text(s->status));

	/* Times. */
	if (b->row < 0) {
		ui_text(y + 1, 1, w - 2, UI_MUTED, _("not started yet"));
	} else {
		offset_text(b->start_ms - F.origin_ms, a, sizeof a);
		i18n_format_time(b->start_ms, t1, sizeof t1);
		i18n_format_duration(b->duration_ms, c, sizeof c);
		i18n_format_duration(b->wait_ms, e, sizeof e);
		int k = snprintf(buf, sizeof buf, "%s %s (%s)   ", _("start"), a, t1);
		if (s->status == STEP_RUNNING) {
			k += snprintf(buf + k, sizeof buf - (size_t)k, "%s   ", _("still running"));
		} else {
			offset_text(b->end_ms - F.origin_ms, a, sizeof a);
			i18n_format_time(b->end_ms, t2, sizeof t2);
			k += snprintf(buf + k, sizeof buf - (size_t)k, "%s %s (%s)   ", _("end"), a, t2);
		}
		snprintf(buf + k, sizeof buf - (size_t)k, "%s %s   %s %s", _("duration"), c, _("waited"), e);
		ui_text(y + 1, 1, w - 2, UI_NORMAL, buf);
	}

	/* History. */
	struct timeline_cmp cmp;
	const struct step_stat *stat;
	tl_compare(ui, (size_t)i, &cmp, &stat);
	enum model_stats_state st = strcmp(ui->model.stats.workflow_id, d->exec.x.workflow_id) == 0
					    ? ui->model.stats.state : MSTATS_NONE;
	if (stat != NULL) {
		i18n_format_duration(stat->avg_ms, a, sizeof a);
		i18n_format_duration(stat->p95_ms, c, sizeof c);
		int k = snprintf(buf, sizeof buf, _("last %lld runs: avg %s, p95 %s"),
				 (long long)stat->count, a, c);
		if (cmp.known)
			k += snprintf(buf + k, sizeof buf - (size_t)k, "   %s %s", cmp.text, _("vs avg"));
		x = 1 + ui_text(y + 2, 1, w - 2, cmp.known && cmp.percent > 0 ? UI_STATUS_STALE : UI_NORMAL, buf);
		if (cmp.slow)
			ui_text(y + 2, x + 2, w - x - 3, UI_BAR_SLOW, _(" SLOW: above p95 "));
	} else {
		const char *why = st == MSTATS_PENDING ? _("asking the server for this workflow's history…")
				  : st == MSTATS_UNAVAILABLE ? _("no history to compare with (the server keeps none)")
				  : _("no history for this step yet");
		ui_text(y + 2, 1, w - 2, UI_MUTED, why);
	}

	/* Its attempts, the error, or what it waited for. */
	if (s->ntries > 0) {
		int k = snprintf(buf, sizeof buf, "%s: ", _("attempts"));
		for (uint32_t t = 0; t < s->ntries && k < (int)sizeof buf - 200; t++) {
			const struct exec_try *tr = &s->tries[t];
			size_t elen = tr->error ? strcspn(tr->error, "\n") : 0;
			i18n_format_duration(tr->duration_ms, a, sizeof a);
			k += snprintf(buf + k, sizeof buf - (size_t)k, "#%u %s %s%s%.*s%s; ", tr->attempt,
				      tr->status == STEP_RUNNING ? _("abandoned") : ui_step_status_text(tr->status), a,
				      tr->error ? " (" : "", (int)(elen < 120 ? elen : 120), tr->error ? tr->error : "",
				      tr->error ? ")" : "");
		}
		i18n_format_duration(s->duration_ms, a, sizeof a);
		snprintf(buf + k, sizeof buf - (size_t)k, "#%u %s %s%s%s%s", s->attempt, ui_step_status_text(s->status),
			 s->status == STEP_RUNNING ? "" : a, s->status == STEP_FAILED && s->error ? " (" : "",
			 s->status == STEP_FAILED && s->error ? s->error : "", s->status == STEP_FAILED && s->error ? ")" : "");
		ui_text(y + 3, 1, w - 2, s->status == STEP_FAILED ? UI_STATUS_FAILED : UI_STATUS_STALE, buf);
	} else if (s->status == STEP_FAILED && s->error != NULL) {
		size_t n = strcspn(s->error, "\n");
		snprintf(buf, sizeof buf, "%s: %.*s%s%s%s", _("error"), (int)(n < 600 ? n : 600), s->error,
			 s->error_code ? " (" : "", s->error_code ? s->error_code : "", s->error_code ? ")" : "");
		ui_text(y + 3, 1, w - 2, UI_STATUS_FAILED, buf);
	} else if (s->ndepends > 0) {
		int k = snprintf(buf, sizeof buf, "%s: ", _("after"));
		for (uint32_t j = 0; j < s->ndepends && k < (int)sizeof buf - 80; j++)
			k += snprintf(buf + k, sizeof buf - (size_t)k, "%s%s", j ? ", " : "", s->depends_on[j]);
		ui_text(y + 3, 1, w - 2, UI_MUTED, buf);
	}
}

static void tl_draw(struct ui *ui, int top, int rows)
{
	struct model_detail *d = &ui->model.detail;
	int w = ui_screen_cols();
	int cw = tl_chart_width();
	char buf[512], num[64];
	if (ui_exec_unknown(ui)) {
		ui_fill(top, 0, w, UI_BORDER);
		snprintf(buf, sizeof buf, "%s: %s  ", _("Timeline"), ui->exec_id);
		int tx = 1 + ui_text(top, 1, w - 2, UI_TITLE, buf);
		ui_text(top, tx, w - tx, UI_STATUS_FAILED, _("not found"));
		ui_exec_not_found(ui, top + 2);
		return;
	}
	tl_build(ui, cw);

	/* Title: workflow, id, status, total, zoom. */
	enum model_status st = model_exec_status(&d->exec, ui->now_ms, ui->stale_ms);
	ui_fill(top, 0, w, UI_BORDER);
	int x = 1;
	snprintf(buf, sizeof buf, "%s: ", _("Timeline"));
	x += ui_text(top, x, w - x, UI_TITLE, buf);
	x += ui_text(top, x, w - x, UI_TITLE, exec_workflow_name(&d->exec.x)[0] ? exec_workflow_name(&d->exec.x) : ui->exec_id);
	x += ui_text(top, x, w - x, UI_NORMAL, " ");
	x += ui_text(top, x, w - x, UI_MUTED, ui->exec_id);
	x += ui_text(top, x, w - x, UI_NORMAL, "  ");
	x += ui_text(top, x, w - x, ui_status_element(st), ui_status_text(st));
	int64_t total = model_exec_duration_ms(&d->exec, ui->now_ms);
	if (total < 0 || (total == 0 && F.full_t1 > F.full_t0))
		total = F.full_t1 - F.full_t0;
	if (model_status_finished(st))
		i18n_format_duration(total, num, sizeof num);
	else
		i18n_format_elapsed(total, num, sizeof num);
	snprintf(buf, sizeof buf, "  %s %s", _("total"), num);
	x += ui_text(top, x, w - x, UI_NORMAL, buf);
	if (ui->tl_fixed) {
		char z[32];
		snprintf(z, sizeof z, "  %s x%lld", _("zoom"), 1LL << (ui->tl_zoom > 0 ? ui->tl_zoom : 0));
		ui_text(top, x, w - x, UI_MUTED, z);
	}

	if (!d->loaded) {
		ui_text(top + 2, 2, w - 4, UI_MUTED, _("Loading…"));
		return;
	}
	if (F.n == 0) {
		ui_text(top + 2, 2, w - 4, UI_MUTED, _("No steps reported yet."));
		return;
	}
	draw_axis(top + 1, 1, cw);

	/* Bottlenecks and detail at the bottom; the chart gets the rest. */
	int detail_y = top + rows - TL_DETAIL_ROWS;
	int chart_y = top + 3;
	int chart_rows = detail_y - 1 - chart_y;
	if (chart_rows < 1) {
		chart_rows = 1;
		detail_y = chart_y + 2;
	}
	long sel = tl_sel_index(ui);
	int sel_row = sel >= 0 && (size_t)sel < F.n ? F.bars[sel].row : -1;
	if (sel_row >= 0 && sel_row < ui->tl_top)
		ui->tl_top = sel_row;
	if (sel_row >= ui->tl_top + chart_rows)
		ui->tl_top = sel_row - chart_rows + 1;
	if (ui->tl_top > F.nrows - chart_rows)
		ui->tl_top = F.nrows - chart_rows > 0 ? F.nrows - chart_rows : 0;
	for (int pass = 0; pass < TLP__COUNT; pass++)
		for (size_t i = 0; i < F.n; i++) {
			int r = F.bars[i].row - ui->tl_top;
			if (F.bars[i].row >= 0 && r >= 0 && r < chart_rows)
				draw_bar(ui, chart_y + r, 1, cw, i, (enum tl_pass)pass);
		}
	/* "now" on a running execution, when it is inside the window. */
	if (!exec_status_finished(d->exec.x.status) && ui->now_ms >= F.t0 && ui->now_ms < F.t1) {
		int c0, c1;
		if (timeline_columns(ui->now_ms, ui->now_ms, F.t0, F.t1, cw, &c0, &c1))
			ui_text(top + 2, 1 + c0, 1, UI_STATUS_RUNNING, ui_sym(SYM_ARROW_DOWN));
	}
	if (F.nrows > chart_rows) {
		snprintf(buf, sizeof buf, _("rows %d-%d of %d"), ui->tl_top + 1, ui->tl_top + chart_rows, F.nrows);
		ui_text_right(detail_y - 1, w - 24, 23, UI_MUTED, buf);
	}

	/* The longest steps, in rank order. */
	int k = snprintf(buf, sizeof buf, "%s:", _("Longest"));
	for (int rank = 1; rank <= TIMELINE_TOP_N; rank++)
		for (size_t i = 0; i < F.n; i++)
			if (F.bars[i].bottleneck == rank && k < (int)sizeof buf - 200) {
				i18n_format_duration(F.bars[i].duration_ms, num, sizeof num);
				k += snprintf(buf + k, sizeof buf - (size_t)k, "  #%d %s %s", rank,
					      d->exec.x.steps[i].name ? d->exec.x.steps[i].name : d->exec.x.steps[i].id, num);
			}
	ui_text(detail_y - 1, 1, F.nrows > chart_rows ? w - 26 : w - 2, UI_MUTED, buf);
	draw_detail(ui, detail_y, w);
}

static int tl_tick_ms(struct ui *ui)
{
	struct model_detail *d = &ui->model.detail;
	for (uint32_t i = 0; i < d->exec.x.nsteps; i++)
		if (d->exec.x.steps[i].status == STEP_RUNNING)
			return 500;   /* the running bar grows */
	return d->exec.x.status == EXEC_RUNNING ? 1000 : 0;
}

static void tl_hints(struct ui *ui, int y)
{
	(void)ui;
	int x = 0;
	ui_hint(y, &x, "j/k h/l", _("Step"), false);
	ui_hint(y, &x, "+/-", _("Zoom"), false);
	ui_hint(y, &x, "</>", _("Pan"), false);
	ui_hint(y, &x, "0", _("Reset"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
}

/* Asks for the workflow's step statistics once they are needed. */
static void tl_ask_stats(struct ui *ui)
{
	json_t *req = model_stats_request_new(&ui->model, ui->model.detail.exec.x.workflow_id, TL_STATS_RUNS,
					      ui->now_ms, TL_STATS_RETRY_MS);
	if (req != NULL && session_request(ui->session, req) != 0)
		ui->model.stats.asked_ms = 0;   /* not sent: ask again at the next draw */
}

static void tl_enter(struct ui *ui)
{
	if (strcmp(ui->tl_sel_id, ui->step_sel_id) != 0 && ui->step_sel_id[0] != '\0')
		snprintf(ui->tl_sel_id, sizeof ui->tl_sel_id, "%s", ui->step_sel_id);
	tl_ask_stats(ui);
}

static void tl_draw_and_ask(struct ui *ui, int top, int rows)
{
	/* The workflow id may come with the snapshot after the view opened. */
	if (ui->model.detail.exec.x.workflow_id[0] != '\0')
		tl_ask_stats(ui);
	tl_draw(ui, top, rows);
}

const struct ui_view_ops ui_view_timeline = {
	.name = N_("Timeline"),
	.keys = tl_keys,
	.nkeys = sizeof tl_keys / sizeof tl_keys[0],
	.enter = tl_enter,
	.draw = tl_draw_and_ask,
	.tick_ms = tl_tick_ms,
	.hints = tl_hints,
};
