/* dashboard_widgets.c: drawing each dashboard widget type into its
 * rectangle, and the view each opens on Enter (see ui_dashboard.h).
 *
 * One const row per type (htop's Meter classes): its default title, its
 * draw and its open. Draw functions only read: the figures come from the
 * view's cache (dashboard_data.h, rebuilt when the model changes) and the
 * aggregates (dashboard_model.h); nothing here sorts or filters the model.
 * Every draw stays inside its rectangle and works in ASCII and mono. */
#include "ui_dashboard.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "ui_graph.h"
#include "ui_screen.h"

/* ---- small helpers --------------------------------------------------------------------- */

static void line(struct ui_rect r, int row, enum ui_element el, const char *text)
{
	if (row < r.h)
		ui_text(r.y + row, r.x, r.w, el, text);
}

static void waiting(struct ui_rect r, const char *what)
{
	line(r, 0, UI_MUTED, what);
}

static const struct md_row *agg_row(const struct metrics_data *d, const char *workflow)
{
	for (size_t i = 0; workflow && workflow[0] && i < d->nrows; i++)
		if (strcmp(d->rows[i].id, workflow) == 0 || strcmp(d->rows[i].name, workflow) == 0)
			return &d->rows[i];
	return NULL;
}

/* The aggregate's figures for a widget: one workflow's row or the summary;
 * NULL (and a line saying why) when there are none yet. */
static const struct md_figures *agg_figures(struct ui *ui, const struct dash_widget *w, struct ui_rect r,
					    const struct md_figures **prev)
{
	const struct dm_aggregate *a = dash_model_aggregate(&ui->model.dash, w);
	if (a == NULL || !a->m.has_data) {
		waiting(r, a && a->m.state == MSTATE_ERROR ? a->m.error : _("waiting for the figures…"));
		return NULL;
	}
	const struct metrics_data *d = &a->m.data;
	if (w->cfg.workflow[0] && d->workflow_id[0] == '\0') {
		const struct md_row *row = agg_row(d, w->cfg.workflow);
		if (row == NULL) {
			waiting(r, _("no runs of this workflow in the range"));
			return NULL;
		}
		*prev = &row->prev;
		return &row->cur;
	}
	*prev = &d->previous;
	return &d->summary;
}

static const char *range_of(const struct dash_widget *w)
{
	return w->cfg.range[0] ? w->cfg.range : "24h";
}

/* ---- summary ------------------------------------------------------------------------------ */

/* The daemon's words for its database and notifier states, for people. */
static const char *system_word(const char *w)
{
	static const struct { const char *word, *text; } words[] = {
		{ "up", N_("up") }, { "down", N_("down") }, { "connecting", N_("connecting") },
		{ "none", N_("none") }, { "ok", N_("ok") }, { "retrying", N_("retrying") },
		{ "failing", N_("failing") }, { "off", N_("off") },
	};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strcmp(words[i].word, w) == 0)
			return _(words[i].text);
	return w;
}

static void draw_summary(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	(void)w;
	const struct dd_summary *s = &ui_dashboard_cache(ui)->summary;
	char v[64];
	int x = r.x, lim = r.x + r.w;
	snprintf(v, sizeof v, "%d", s->running);
	x = ui_pair(r.y, x, lim, UI_PAIR_BODY, _("running"), v, UI_STATUS_RUNNING);
	snprintf(v, sizeof v, "%d", s->queued);
	x = ui_pair(r.y, x, lim, UI_PAIR_BODY, _("queued"), v, UI_NORMAL);
	snprintf(v, sizeof v, "%d", s->failed_attention);
	x = ui_pair(r.y, x, lim, UI_PAIR_BODY, _("failed, needing attention"), v,
		    s->failed_attention ? UI_STATUS_FAILED : UI_NORMAL);
	if (s->stale) {
		snprintf(v, sizeof v, "%d", s->stale);
		x = ui_pair(r.y, x, lim, UI_PAIR_BODY, _("stale"), v, UI_STATUS_STALE);
	}
	snprintf(v, sizeof v, "%d", s->alerts_open);
	ui_pair(r.y, x, lim, UI_PAIR_BODY, _("alerts"), v, s->alerts_critical ? UI_ALERT_CRITICAL
						   : s->alerts_open ? UI_WARNING : UI_NORMAL);
	if (r.h < 2)
		return;
	/* System health: the daemon (reachable or not), and what its summary
	 * says of its database, its spool and its notifications. */
	x = r.x;
	enum session_display sd = session_display(ui->session);
	x = ui_pair(r.y + 1, x, lim, UI_PAIR_BODY, _("daemon"), sd == SD_LIVE ? _("up") : _("unreachable"),
		    sd == SD_LIVE ? UI_STATUS_OK : UI_STATUS_FAILED);
	const struct model_resources *res = &ui->model.res;
	const struct org_summary *sys = ui->model.summary.loaded && ui->model.summary.s.has_system
					? &ui->model.summary.s : NULL;
	const char *db = sys ? sys->database : res->has_current ? res->current.db_state : "";
	x = ui_pair(r.y + 1, x, lim, UI_PAIR_BODY, _("database"), db[0] ? system_word(db) : "-",
		    strcmp(db, "up") == 0 ? UI_STATUS_OK : strcmp(db, "none") == 0 || !db[0] ? UI_MUTED
		    : UI_STATUS_FAILED);
	if (sys != NULL && strcmp(sys->database, "none") != 0) {
		snprintf(v, sizeof v, "%llu", (unsigned long long)sys->spool_pending);
		x = ui_pair(r.y + 1, x, lim, UI_PAIR_BODY, _("spool backlog"), v,
			    sys->spool_pending ? UI_WARNING : UI_STATUS_OK);
	}
	if (sys != NULL)
		x = ui_pair(r.y + 1, x, lim, UI_PAIR_BODY, _("notifier"), system_word(sys->notifier),
			    strcmp(sys->notifier, "ok") == 0 ? UI_STATUS_OK : strcmp(sys->notifier, "off") == 0 ? UI_MUTED
			    : strcmp(sys->notifier, "retrying") == 0 ? UI_WARNING : UI_STATUS_FAILED);
	if (sys != NULL && sys->peers[0] != '\0')
		x = ui_pair(r.y + 1, x, lim, UI_PAIR_BODY, _("other nodes"),
			    strcmp(sys->peers, "current") == 0 ? _("current") : _("delayed"),
			    strcmp(sys->peers, "current") == 0 ? UI_STATUS_OK : UI_WARNING);
	if (sys != NULL && sys->peers[0] != '\0' && sys->outbox > 0) {
		/* This node's own events, shown pending until Redis numbers them. */
		snprintf(v, sizeof v, "%llu", (unsigned long long)sys->outbox);
		x = ui_pair(r.y + 1, x, lim, UI_PAIR_BODY, _("events pending"), v, UI_WARNING);
	}
	const struct model_queue *q = &ui->model.queue;
	if (q->loaded) {
		snprintf(v, sizeof v, "%lld", (long long)q->n.depth);
		x = ui_pair(r.y + 1, x, lim, UI_PAIR_BODY, q->n.backlog ? _("queue BACKLOG") : _("queue"), v,
			    q->n.backlog ? UI_WARNING : UI_STATUS_OK);
	}
	if (res->has_current && res->current.warning) {
		i18n_format_decimal(res->current.host_cpu, 1, v, sizeof v);
		ui_pair(r.y + 1, x, lim, UI_PAIR_BODY, _("CPU high"), v, UI_WARNING);
	}
	if (r.h >= 3 && s->last_failed != NULL) {
		char t[PROTO_MAX_NAME + 200], id[PROTO_MAX_ID + 8];
		ui_short_id(s->last_failed->x.id, id, sizeof id);
		snprintf(t, sizeof t, "%s %s %s: %s", ui_sym(SYM_CROSS), exec_workflow_name(&s->last_failed->x), id,
			 s->last_failed->x.error ? s->last_failed->x.error : _("failed"));
		line(r, 2, UI_STATUS_FAILED, t);
	}
}

static void open_summary(struct ui *ui, const struct dash_widget *w)
{
	(void)w;
	ui->filter.status = SF_FAILED;
	ui_set_view(ui, VIEW_LIST);
}

/* ---- running executions --------------------------------------------------------------------- */

static void draw_active(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	const struct ui_dash_cache *c = ui_dashboard_cache(ui);
	size_t k = ui_dashboard_slot(ui, w);
	size_t n = c->nrunning[k];
	if (n == 0) {
		waiting(r, _("nothing running"));
		return;
	}
	int name_w = r.w >= 60 ? 22 : r.w >= 40 ? 16 : r.w - 12;
	int bar_w = r.w >= 60 ? 10 : r.w >= 40 ? 6 : 0;
	for (size_t i = 0; i < n && (int)i < r.h; i++) {
		const struct model_exec *x = c->running[k][i];
		int y = r.y + (int)i, col = r.x, lim = r.x + r.w;
		enum model_status st = model_exec_status(x, ui->now_ms, ui->stale_ms);
		ui_text(y, col, 2, ui_status_element(st), st == MS_STALE ? ui_sym(SYM_STALE) : ui_spinner(ui->spin));
		col += 2;
		ui_text(y, col, name_w, UI_NORMAL, exec_workflow_name(&x->x));
		col += name_w + 1;
		int pct = model_exec_percent(x);
		if (bar_w > 0 && col + bar_w + 5 < lim) {
			ui_bar(y, col, bar_w, pct < 0 ? 0 : pct, UI_STATUS_RUNNING);
			col += bar_w + 1;
			char p[8];
			snprintf(p, sizeof p, pct < 0 ? "  -" : "%3d%%", pct);
			ui_text(y, col, 4, UI_NORMAL, p);
			col += 5;
		}
		char el[32];
		i18n_format_elapsed(model_exec_duration_ms(x, ui->now_ms), el, sizeof el);
		int ew = ui_width(el);
		if (col + ew < lim)
			ui_text_right(y, lim - ew, ew, UI_MUTED, el);
		const struct exec_step *s = x->x.current_step[0] ? exec_step_find(&x->x, x->x.current_step) : NULL;
		const char *step = s && s->name ? s->name : x->x.current_step;
		if (col < lim - ew - 1)
			ui_text(y, col, lim - ew - 1 - col, UI_MUTED, step);
	}
}

static void open_active(struct ui *ui, const struct dash_widget *w)
{
	ui->filter.status = SF_RUNNING;
	snprintf(ui->filter.workflow, sizeof ui->filter.workflow, "%s", w->cfg.workflow);
	ui_set_view(ui, VIEW_LIST);
}

/* ---- aggregates: chart, success rate, performance ------------------------------------------- */

static void draw_chart(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	const struct dm_aggregate *a = dash_model_aggregate(&ui->model.dash, w);
	if (a == NULL || !a->m.has_data) {
		waiting(r, a && a->m.state == MSTATE_ERROR ? a->m.error : _("waiting for the figures…"));
		return;
	}
	const struct metrics_data *d = &a->m.data;
	if (d->npoints == 0 || r.h < 2) {
		waiting(r, _("no runs in the range"));
		return;
	}
	/* Runs per bucket, the failed share drawn over them. */
	int gh = r.h - 1, cols = r.w;
	size_t n = d->npoints < (size_t)cols ? d->npoints : (size_t)cols, from = d->npoints - n;
	int64_t peak = 1, total = 0, failed = 0;
	for (size_t i = from; i < d->npoints; i++) {
		if (d->trend[i].f.runs > peak)
			peak = d->trend[i].f.runs;
		total += d->trend[i].f.runs > 0 ? d->trend[i].f.runs : 0;
		failed += d->trend[i].f.failed > 0 ? d->trend[i].f.failed : 0;
	}
	int x0 = r.x + cols - (int)n;
	const char *full = ui_screen_ascii() ? "#" : "█", *fail = ui_screen_ascii() ? "x" : "█";
	for (size_t i = 0; i < n; i++) {
		const struct md_figures *f = &d->trend[from + i].f;
		int hr = (int)((f->runs * gh + peak - 1) / peak), hf = f->runs > 0 ? (int)((f->failed * hr + f->runs - 1) / f->runs) : 0;
		for (int k = 0; k < hr; k++)
			ui_text(r.y + gh - 1 - k, x0 + (int)i, 1, k < hf ? UI_STATUS_FAILED : UI_GRAPH, k < hf ? fail : full);
	}
	char t[160], rt[32], ft[32];
	i18n_format_decimal((double)total, 0, rt, sizeof rt);
	i18n_format_decimal((double)failed, 0, ft, sizeof ft);
	snprintf(t, sizeof t, _("%s runs, %s failed, peak %lld per bucket (%s)"), rt, ft, (long long)peak, range_of(w));
	line(r, gh, UI_MUTED, t);
}

static void draw_success(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	const struct md_figures *prev = NULL, *f = agg_figures(ui, w, r, &prev);
	if (f == NULL)
		return;
	char pct[32], t[200];
	metrics_format_percent(i18n_lang(), f->success_rate, pct, sizeof pct);
	snprintf(t, sizeof t, "%s  %s", pct, range_of(w));
	line(r, 0, f->success_rate >= 0 && f->success_rate < 90 ? UI_STATUS_FAILED : UI_STATUS_OK, t);
	snprintf(t, sizeof t, _("%lld runs: %lld completed, %lld failed"), (long long)f->runs, (long long)f->completed,
		 (long long)f->failed);
	line(r, 1, UI_NORMAL, t);
	if (prev != NULL && prev->success_rate >= 0 && f->success_rate >= 0) {
		char pp[32];
		metrics_format_percent(i18n_lang(), prev->success_rate, pp, sizeof pp);
		snprintf(t, sizeof t, _("before: %s (%+.1f points)"), pp, f->success_rate - prev->success_rate);
		line(r, 2, UI_MUTED, t);
	}
	if (r.h >= 4)
		ui_bar(r.y + 3, r.x, r.w < 40 ? r.w : 40, f->success_rate < 0 ? 0 : (int)lround(f->success_rate), UI_STATUS_OK);
}

static void draw_performance(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	const struct md_figures *prev = NULL, *f = agg_figures(ui, w, r, &prev);
	if (f == NULL)
		return;
	static const char *const labels[] = { N_("average"), "p50", "p95", "p99" };
	double now_v[4] = { f->avg_ms, (double)f->p50_ms, (double)f->p95_ms, (double)f->p99_ms };
	double before[4] = { prev->avg_ms, (double)prev->p50_ms, (double)prev->p95_ms, (double)prev->p99_ms };
	char t[200], d[32], b[32];
	for (int i = 0; i < 4 && i < r.h; i++) {
		i18n_format_duration(now_v[i] < 0 ? -1 : (int64_t)llround(now_v[i]), d, sizeof d);
		if (before[i] > 0 && now_v[i] >= 0) {
			snprintf(b, sizeof b, "%+.0f%%", 100.0 * (now_v[i] - before[i]) / before[i]);
			snprintf(t, sizeof t, "%-8s %10s  %s", _(labels[i]), d, b);
		} else {
			snprintf(t, sizeof t, "%-8s %10s", _(labels[i]), d);
		}
		line(r, i, UI_NORMAL, t);
	}
	if (r.h > 4) {
		snprintf(t, sizeof t, _("%lld runs over %s, %s"), (long long)f->runs, range_of(w),
			 w->cfg.workflow[0] ? w->cfg.workflow : _("all workflows"));
		line(r, 4, UI_MUTED, t);
	}
}

static void open_metrics(struct ui *ui, const struct dash_widget *w)
{
	ui_metrics_open(ui, w->cfg.workflow);
}

/* ---- queue and resources ------------------------------------------------------------------------ */

static void draw_queue(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	(void)w;
	const struct model_queue *q = &ui->model.queue;
	if (!q->loaded) {
		waiting(r, _("waiting for the queue's numbers…"));
		return;
	}
	char v[96], t[256];
	int row = 0;
	if (q->n.backlog) {
		snprintf(t, sizeof t, "%s %s", ui_sym(SYM_WARN), _("BACKLOG"));
		line(r, row++, UI_WARNING, t);
	}
	int x = r.x, lim = r.x + r.w;
	snprintf(v, sizeof v, "%lld", (long long)q->n.depth);
	x = ui_pair(r.y + row, x, lim, UI_PAIR_BODY, _("depth"), v, q->n.backlog ? UI_WARNING : UI_COUNTER);
	for (int p = 0; p < PRIO__COUNT; p++) {
		snprintf(v, sizeof v, "%lld", (long long)q->n.by_priority[p]);
		x = ui_pair(r.y + row, x, lim, UI_PAIR_BODY, ui_prio_text((enum proto_priority)p), v, UI_NORMAL);
	}
	row++;
	if (row < r.h) {
		char age[64];
		i18n_format_elapsed(model_queue_oldest_age(q, ui->now_ms), age, sizeof age);
		ui_pair(r.y + row++, r.x, lim, UI_PAIR_BODY, _("oldest waits"), q->n.has_oldest ? age : "-", UI_NORMAL);
	}
	if (row < r.h) {
		i18n_format_decimal(q->n.rate_per_min, 1, v, sizeof v);
		snprintf(t, sizeof t, _("%s/min"), v);
		ui_pair(r.y + row++, r.x, lim, UI_PAIR_BODY, _("rate"), t, UI_NORMAL);
	}
	if (row < r.h && q->hist_count > 1) {
		double vals[MODEL_DEPTH_HISTORY];
		double max = 1;
		for (uint32_t i = 0; i < q->hist_count; i++) {
			vals[i] = model_queue_history(q, i);
			if (vals[i] > max)
				max = vals[i];
		}
		ui_graph_draw((struct ui_rect){ r.y + row, r.x, r.h - row, r.w }, vals, q->hist_count, max, false, UI_GRAPH);
	}
}

static void open_queue(struct ui *ui, const struct dash_widget *w)
{
	(void)w;
	ui_set_view(ui, VIEW_QUEUE);
}

static void draw_resources(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	(void)w;
	const struct model_resources *res = &ui->model.res;
	if (!res->has_current) {
		waiting(r, _("waiting for a resource sample…"));
		return;
	}
	const struct resource_sample *s = &res->current;
	char v[64], m1[32], m2[32], t[200];
	int lim = r.x + r.w, bw = r.w - 16 > 20 ? 20 : r.w - 16;
	/* A first sample has no CPU figure yet (no interval to measure over). */
	if (s->host_cpu >= 0) {
		i18n_format_decimal(s->host_cpu, 1, v, sizeof v);
		snprintf(t, sizeof t, "%s %%", v);
	} else {
		snprintf(t, sizeof t, "-");
	}
	int x = ui_pair(r.y, r.x, lim, UI_PAIR_BODY, _("CPU"), t, s->warning ? UI_WARNING : UI_NORMAL);
	if (bw > 3 && s->host_cpu >= 0)
		ui_bar(r.y, x, bw < lim - x ? bw : lim - x, (int)lround(s->host_cpu), s->warning ? UI_WARNING : UI_STATUS_OK);
	if (r.h > 1 && s->mem_total > 0) {
		i18n_format_bytes(s->mem_total - s->mem_available, m1, sizeof m1);
		i18n_format_bytes(s->mem_total, m2, sizeof m2);
		snprintf(t, sizeof t, _("%s of %s"), m1, m2);
		ui_pair(r.y + 1, r.x, lim, UI_PAIR_BODY, _("memory"), t, UI_NORMAL);
	}
	if (r.h > 2) {
		i18n_format_decimal(s->daemon_cpu, 1, v, sizeof v);
		i18n_format_bytes(s->daemon_rss, m1, sizeof m1);
		if (s->daemon_cpu >= 0)
			snprintf(t, sizeof t, "%s %%, %s", v, m1);
		else
			snprintf(t, sizeof t, "-, %s", m1);
		ui_pair(r.y + 2, r.x, lim, UI_PAIR_BODY, _("daemon"), t, UI_NORMAL);
	}
	if (r.h > 3) {
		i18n_format_decimal(s->events_in, 1, m1, sizeof m1);
		i18n_format_decimal(s->events_out, 1, m2, sizeof m2);
		snprintf(t, sizeof t, _("%s in, %s out"), m1, m2);
		ui_pair(r.y + 3, r.x, lim, UI_PAIR_BODY, _("events/s"), t, UI_NORMAL);
	}
	if (r.h > 4 && s->ntop > 0) {
		i18n_format_decimal(s->top[0].cpu_percent, 1, v, sizeof v);
		snprintf(t, sizeof t, "%s %s %%", s->top[0].workflow_id, v);
		ui_pair(r.y + 4, r.x, lim, UI_PAIR_BODY, _("top"), t, UI_NORMAL);
	}
}

static void open_resources(struct ui *ui, const struct dash_widget *w)
{
	(void)w;
	ui_set_view(ui, VIEW_RESOURCES);
}

/* ---- alerts ----------------------------------------------------------------------------------- */

static void draw_alerts(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	const struct model *m = &ui->model;
	if (m->nalerts == 0) {
		waiting(r, _("no alerts"));
		return;
	}
	int limit = w->cfg.limit > 0 ? w->cfg.limit : r.h;
	/* Active first (the model keeps the newest last). */
	int row = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = m->nalerts; i-- > 0 && row < r.h && row < limit;) {
			const struct alert_record *a = &m->alerts[i];
			if ((a->state == ALERT_RESOLVED) != (pass == 1))
				continue;
			char age[32], t[PROTO_MAX_TEXT + 64];
			i18n_format_elapsed(ui->now_ms - a->triggered_ms, age, sizeof age);
			snprintf(t, sizeof t, "%-9.9s %s", ui_severity_text(a->severity), a->title);
			int aw = ui_width(age);
			ui_text(r.y + row, r.x, r.w - aw - 1, pass ? UI_MUTED : ui_severity_element(a->severity), t);
			ui_text_right(r.y + row, r.x + r.w - aw, aw, UI_MUTED, age);
			row++;
		}
	}
}

static void open_alerts(struct ui *ui, const struct dash_widget *w)
{
	(void)w;
	ui_set_view(ui, VIEW_ALERTS);
}

/* ---- workflow health -------------------------------------------------------------------------- */

static void draw_health(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	const struct ui_dash_cache *c = ui_dashboard_cache(ui);
	if (c->nhealth == 0) {
		waiting(r, _("no workflow has run yet"));
		return;
	}
	/* The success rate over the range from the aggregate when it has the
	 * workflow; else over the runs the console has seen. */
	const struct dm_aggregate *a = dash_model_aggregate(&ui->model.dash, w);
	const struct metrics_data *d = a && a->m.has_data ? &a->m.data : NULL;
	int name_w = r.w >= 70 ? 28 : r.w / 3;
	char hdr[200];
	snprintf(hdr, sizeof hdr, "%-*s %-10s %-12s %8s", name_w, _("WORKFLOW"), _("LAST RUN"), _("RESULT"), _("SUCCESS"));
	line(r, 0, UI_MUTED, hdr);
	int limit = w->cfg.limit > 0 ? w->cfg.limit : r.h - 1;
	for (size_t i = 0; i < c->nhealth && (int)i < r.h - 1 && (int)i < limit; i++) {
		const struct dd_health *h = &c->health[i];
		int y = r.y + 1 + (int)i, x = r.x, lim = r.x + r.w;
		ui_text(y, x, 2, h->attention ? UI_STATUS_FAILED : UI_STATUS_OK,
			h->attention ? ui_sym(SYM_WARN) : ui_sym(SYM_CHECK));
		x += 2;
		ui_text(y, x, name_w - 2, UI_NORMAL, h->name);
		x += name_w - 1;
		char ago[32] = "-";
		if (h->last_ms > 0)
			i18n_format_elapsed(ui->now_ms - h->last_ms, ago, sizeof ago);
		ui_text(y, x, 10, UI_MUTED, ago);
		x += 11;
		const char *res = h->overdue ? _("OVERDUE") : h->stale ? ui_status_text(MS_STALE)
				: h->last_ms ? ui_status_text(h->last) : "-";
		ui_text(y, x, 12, h->overdue ? UI_STATUS_FAILED : h->stale ? UI_STATUS_STALE : ui_status_element(h->last),
			res);
		x += 13;
		const struct md_row *row = d ? agg_row(d, h->workflow_id) : NULL;
		char pct[32];
		metrics_format_percent(i18n_lang(), row ? row->cur.success_rate : h->success, pct, sizeof pct);
		if (x < lim)
			ui_text_right(y, x, lim - x < 8 ? lim - x : 8, UI_NORMAL, pct);
	}
}

/* The workflows view (W) on the widget's workflow, else on the first row
 * (the one needing attention most). */
static void open_health(struct ui *ui, const struct dash_widget *w)
{
	const struct ui_dash_cache *c = ui_dashboard_cache(ui);
	ui_health_open(ui, w->cfg.workflow[0] ? w->cfg.workflow : c->nhealth ? c->health[0].workflow_id : NULL);
}

/* ---- one execution: step breakdown and timeline ------------------------------------------------- */

static const struct model_exec *latest(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	const struct model_exec *x = dashboard_data_latest(&ui->model, w->cfg.workflow, w->cfg.execution);
	if (x == NULL)
		waiting(r, _("no execution to show yet"));
	else if (x->x.nsteps == 0)
		waiting(r, _("no steps reported yet"));
	return x && x->x.nsteps ? x : NULL;
}

static void draw_steps(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	const struct model_exec *x = latest(ui, w, r);
	if (x == NULL)
		return;
	char t[PROTO_MAX_NAME + 80], id[PROTO_MAX_ID + 8];
	ui_short_id(x->x.id, id, sizeof id);
	snprintf(t, sizeof t, "%s %s", exec_workflow_name(&x->x), id);
	line(r, 0, UI_MUTED, t);
	int64_t longest = 1;
	for (uint32_t i = 0; i < x->x.nsteps; i++)
		if (x->x.steps[i].duration_ms > longest)
			longest = x->x.steps[i].duration_ms;
	int name_w = r.w / 3, bar_w = r.w - name_w - 12;
	for (uint32_t i = 0; i < x->x.nsteps && (int)i < r.h - 1; i++) {
		const struct exec_step *s = &x->x.steps[i];
		int y = r.y + 1 + (int)i;
		ui_text(y, r.x, 2, ui_step_status_element(s->status), ui_sym(s->status == STEP_COMPLETED ? SYM_CHECK
									  : s->status == STEP_FAILED ? SYM_CROSS : SYM_PENDING));
		ui_text(y, r.x + 2, name_w - 3, UI_NORMAL, s->name ? s->name : s->id);
		char d[32];
		ui_step_duration_text(s, ui->now_ms, d, sizeof d);
		ui_text_right(y, r.x + name_w, 9, UI_MUTED, d);
		if (bar_w > 2 && s->duration_ms > 0)
			ui_bar(y, r.x + name_w + 10, bar_w, (int)(100 * s->duration_ms / longest), ui_step_status_element(s->status));
	}
}

static void draw_timeline(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	const struct model_exec *x = latest(ui, w, r);
	if (x == NULL)
		return;
	int64_t t0 = x->x.started_ms, t1 = x->x.finished_ms ? x->x.finished_ms : ui->now_ms;
	for (uint32_t i = 0; i < x->x.nsteps; i++)
		if (x->x.steps[i].started_ms && (t0 == 0 || x->x.steps[i].started_ms < t0))
			t0 = x->x.steps[i].started_ms;
	if (t0 == 0 || t1 <= t0) {
		waiting(r, _("no step has started yet"));
		return;
	}
	char t[PROTO_MAX_NAME + 80], id[PROTO_MAX_ID + 8], total[32];
	ui_short_id(x->x.id, id, sizeof id);
	i18n_format_duration(t1 - t0, total, sizeof total);
	snprintf(t, sizeof t, "%s %s  %s", exec_workflow_name(&x->x), id, total);
	line(r, 0, UI_MUTED, t);
	int name_w = r.w / 4, span = r.w - name_w - 1;
	const char *fill = ui_screen_ascii() ? "=" : "█";
	for (uint32_t i = 0; i < x->x.nsteps && (int)i < r.h - 1; i++) {
		const struct exec_step *s = &x->x.steps[i];
		int y = r.y + 1 + (int)i;
		ui_text(y, r.x, name_w, UI_NORMAL, s->name ? s->name : s->id);
		if (s->started_ms == 0 || span < 2)
			continue;
		int64_t e = s->finished_ms ? s->finished_ms : ui->now_ms;
		int a = (int)((s->started_ms - t0) * span / (t1 - t0)), b = (int)((e - t0) * span / (t1 - t0));
		if (b <= a)
			b = a + 1;
		if (b > span)
			b = span;
		for (int k = a; k < b; k++)
			ui_text(y, r.x + name_w + 1 + k, 1, ui_step_status_element(s->status), fill);
	}
}

static void open_execution(struct ui *ui, const struct dash_widget *w)
{
	const struct model_exec *x = dashboard_data_latest(&ui->model, w->cfg.workflow, w->cfg.execution);
	if (x == NULL) {
		ui_message(ui, UI_ERROR, "%s", _("no execution to open"));
		return;
	}
	ui_open_execution(ui, x->x.id);
	if (w->type == DW_TIMELINE && ui->view_id == VIEW_EXEC)
		ui_set_view(ui, VIEW_TIMELINE);
}

/* ---- tax deadlines ------------------------------------------------------------------------------ */

static void draw_tax(struct ui *ui, const struct dash_widget *w, struct ui_rect r)
{
	const struct ui_dash_cache *c = ui_dashboard_cache(ui);
	size_t k = ui_dashboard_slot(ui, w);
	const struct dd_deadline *d = c->deadlines[k];
	for (size_t i = 0; i < c->ndeadlines[k] && (int)i < r.h; i++) {
		const struct taxcal_due *u = &d[i].due;
		char date[16], left[48], t[160];
		snprintf(date, sizeof date, "%02d.%02d%s", u->due.day, u->due.month, u->moved ? "*" : " ");
		if (u->days_left == 0)
			snprintf(left, sizeof left, "%s", _("today"));
		else
			snprintf(left, sizeof left, _("%d d"), u->days_left);
		static const enum ui_symbol marks[] = {
			[DD_NO_WORKFLOW] = SYM_BULLET, [DD_DONE] = SYM_CHECK, [DD_PENDING] = SYM_PENDING, [DD_FAILED] = SYM_CROSS,
		};
		static const enum ui_element els[] = {
			[DD_NO_WORKFLOW] = UI_MUTED, [DD_DONE] = UI_STATUS_OK, [DD_PENDING] = UI_STATUS_PENDING,
			[DD_FAILED] = UI_STATUS_FAILED,
		};
		int y = r.y + (int)i, lw = ui_width(left);
		ui_text(y, r.x, 2, els[d[i].state], ui_sym(marks[d[i].state]));
		snprintf(t, sizeof t, "%s %s", date, u->rule->name);
		enum ui_element el = u->days_left <= 2 && d[i].state != DD_DONE ? UI_WARNING : UI_NORMAL;
		ui_text(y, r.x + 2, r.w - lw - 3, el, t);
		ui_text_right(y, r.x + r.w - lw, lw, el, left);
	}
}

static void open_tax(struct ui *ui, const struct dash_widget *w)
{
	const struct ui_dash_cache *c = ui_dashboard_cache(ui);
	size_t k = ui_dashboard_slot(ui, w);
	for (size_t i = 0; i < c->ndeadlines[k]; i++)
		if (c->deadlines[k][i].due.rule->workflow[0]) {
			ui_metrics_open(ui, c->deadlines[k][i].due.rule->workflow);
			return;
		}
	ui_message(ui, UI_MESSAGE, "%s", _("no deadline here names a workflow (config \"deadlines\")"));
}

/* ---- the table ------------------------------------------------------------------------------------ */

static const struct ui_dash_type types[DW__COUNT] = {
	[DW_SUMMARY] = { N_("Summary"), N_("running, failed needing attention, system health, alerts"),
			 draw_summary, open_summary },
	[DW_ACTIVE_EXECUTIONS] = { N_("Running executions"), N_("progress and current step of each running one"),
				   draw_active, open_active },
	[DW_EXECUTION_CHART] = { N_("Executions per bucket"), N_("runs over the range, failed ones marked"),
				 draw_chart, open_metrics },
	[DW_SUCCESS_RATE] = { N_("Success rate"), N_("completed / (completed + failed) over the range"),
			      draw_success, open_metrics },
	[DW_PERFORMANCE_METRICS] = { N_("Performance"), N_("average, p50, p95, p99 durations"),
				     draw_performance, open_metrics },
	[DW_QUEUE_STATUS] = { N_("Queue"), N_("depth by priority, oldest wait, rate, backlog"), draw_queue, open_queue },
	[DW_RESOURCE_USAGE] = { N_("Resources"), N_("CPU, memory, the daemon, events per second"),
				draw_resources, open_resources },
	[DW_ALERT_LIST] = { N_("Alerts"), N_("active alerts first, then recent ones"), draw_alerts, open_alerts },
	[DW_WORKFLOW_HEALTH] = { N_("Workflow health"), N_("per workflow: last run, result, success rate, stale"),
				 draw_health, open_health },
	[DW_STEP_BREAKDOWN] = { N_("Steps"), N_("the steps of the latest execution and their durations"),
				draw_steps, open_execution },
	[DW_TIMELINE] = { N_("Timeline"), N_("Gantt of the latest execution of a workflow"), draw_timeline,
			  open_execution },
	[DW_TAX_DEADLINES] = { N_("Tax deadlines"), N_("VAT/JPK, PIT/CIT, PIT-4, ZUS: next working day, done or not"),
			       draw_tax, open_tax },
};

const struct ui_dash_type *ui_dash_type_of(enum dash_type t)
{
	return &types[(unsigned)t < DW__COUNT ? t : DW_SUMMARY];
}
