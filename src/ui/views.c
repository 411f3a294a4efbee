/* views.c: the three views (executions list, execution, step), their key
 * tables and their drawing (see ui_view.h).
 *
 * Invariants: the list's selection follows an execution id, not a row
 * number, so rows moving under it never move the selection to another
 * execution; a view draws only between its top row and top + rows; columns
 * that do not fit are dropped in a fixed order instead of wrapping. */
#include "ui_view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ui_screen.h"
#include "xalloc.h"

/* ---- shared words ------------------------------------------------------------------ */

const char *ui_status_text(enum model_status s)
{
	switch (s) {
	case MS_QUEUED: return C_("execution status", "queued");
	case MS_RUNNING: return C_("execution status", "running");
	case MS_COMPLETED: return C_("execution status", "completed");
	case MS_FAILED: return C_("execution status", "failed");
	case MS_CANCELLED: return C_("execution status", "cancelled");
	case MS_STALE: return C_("execution status", "stale");
	default: return "?";
	}
}

const char *ui_step_status_text(enum model_step_status s)
{
	switch (s) {
	case MSS_PENDING: return C_("step status", "pending");
	case MSS_RUNNING: return C_("step status", "running");
	case MSS_COMPLETED: return C_("step status", "completed");
	case MSS_FAILED: return C_("step status", "failed");
	default: return "?";
	}
}

enum ui_element ui_status_element(enum model_status s)
{
	static const enum ui_element el[MS__COUNT] = {
		[MS_QUEUED] = UI_STATUS_QUEUED, [MS_RUNNING] = UI_STATUS_RUNNING,
		[MS_COMPLETED] = UI_STATUS_OK, [MS_FAILED] = UI_STATUS_FAILED,
		[MS_CANCELLED] = UI_STATUS_CANCELLED, [MS_STALE] = UI_STATUS_STALE,
	};
	return (unsigned)s < MS__COUNT ? el[s] : UI_NORMAL;
}

enum ui_element ui_step_status_element(enum model_step_status s)
{
	static const enum ui_element el[MSS__COUNT] = {
		[MSS_PENDING] = UI_STATUS_PENDING, [MSS_RUNNING] = UI_STATUS_RUNNING,
		[MSS_COMPLETED] = UI_STATUS_OK, [MSS_FAILED] = UI_STATUS_FAILED,
	};
	return (unsigned)s < MSS__COUNT ? el[s] : UI_NORMAL;
}

const char *ui_status_symbol(enum model_status s)
{
	static const enum ui_symbol sym[MS__COUNT] = {
		[MS_QUEUED] = SYM_QUEUED, [MS_RUNNING] = SYM_BULLET, [MS_COMPLETED] = SYM_CHECK,
		[MS_FAILED] = SYM_CROSS, [MS_CANCELLED] = SYM_CANCELLED, [MS_STALE] = SYM_STALE,
	};
	return ui_sym(sym[s]);
}

const char *ui_log_kind_text(enum model_log_kind k)
{
	switch (k) {
	case MLOG_EXEC_STARTED: return _("Workflow execution started");
	case MLOG_EXEC_COMPLETED: return _("Workflow execution completed successfully");
	case MLOG_EXEC_FAILED: return _("Workflow execution failed");
	case MLOG_EXEC_CANCELLED: return _("Workflow execution cancelled");
	case MLOG_STEP_STARTED: return _("Step started");
	case MLOG_STEP_COMPLETED: return _("Step completed");
	case MLOG_STEP_FAILED: return _("Step failed");
	default: return "";
	}
}

void ui_short_id(const char *id, char *buf, size_t len)
{
	size_t n = strlen(id);
	if (n <= 10)
		snprintf(buf, len, "%s", id);
	else
		snprintf(buf, len, "%s%s", ui_sym(SYM_ELLIPSIS), id + n - 9);
}

void ui_title_line(int y, const char *title, const char *extra)
{
	int w = ui_screen_cols();
	ui_fill(y, 0, w, UI_BORDER);
	int x = ui_text(y, 1, w - 2, UI_TITLE, title);
	if (extra != NULL && extra[0] != '\0') {
		int ew = ui_width(extra);
		if (ew < w - x - 4)
			ui_text(y, w - ew - 1, ew, UI_MUTED, extra);
	}
}

void ui_hint(int y, int *x, const char *key, const char *what, bool active)
{
	int w = ui_screen_cols();
	if (*x >= w)
		return;
	*x += ui_text(y, *x, w - *x, active ? UI_SELECTION : UI_FOOTER_KEY, key);
	*x += ui_text(y, *x, w - *x, active ? UI_SELECTION : UI_FOOTER, " ");
	*x += ui_text(y, *x, w - *x, active ? UI_SELECTION : UI_FOOTER, what);
	*x += ui_text(y, *x, w - *x, UI_FOOTER, " ");
}

/* ---- executions list ------------------------------------------------------------------ */

enum list_col { COL_MARK, COL_WORKFLOW, COL_ID, COL_STATUS, COL_PROGRESS, COL_STEP, COL_TIME,
		COL_PRIO, COL__COUNT };

static const struct {
	const char *title;    /* N_() */
	int width;            /* fixed width, or the minimum of a flexible one */
	int flex;             /* share of the spare width, 0 for fixed */
	int drop;             /* dropped in this order when too narrow (0: never) */
} list_cols[COL__COUNT] = {
	[COL_MARK] = { "", 1, 0, 0 },
	[COL_WORKFLOW] = { N_("WORKFLOW"), 14, 3, 0 },
	[COL_ID] = { N_("ID"), 10, 0, 3 },
	[COL_STATUS] = { N_("STATUS"), 12, 0, 0 },
	[COL_PROGRESS] = { N_("PROGRESS"), 15, 0, 4 },
	[COL_STEP] = { N_("STEP"), 10, 2, 2 },
	[COL_TIME] = { N_("TIME"), 9, 0, 5 },
	[COL_PRIO] = { N_("PRIO"), 6, 0, 1 },
};

struct col_layout {
	bool on[COL__COUNT];
	int x[COL__COUNT], w[COL__COUNT];
};

static void list_layout(int width, struct col_layout *L)
{
	for (int c = 0; c < COL__COUNT; c++)
		L->on[c] = true;
	for (int round = 1;; round++) {
		int need = 0, flex = 0;
		for (int c = 0; c < COL__COUNT; c++)
			if (L->on[c]) {
				need += list_cols[c].width + 1;
				flex += list_cols[c].flex;
			}
		if (need <= width || round > 6) {
			int spare = width - need;
			if (spare < 0)
				spare = 0;
			int x = 0;
			for (int c = 0; c < COL__COUNT; c++) {
				if (!L->on[c])
					continue;
				L->w[c] = list_cols[c].width + (flex ? spare * list_cols[c].flex / flex : 0);
				L->x[c] = x;
				x += L->w[c] + 1;
			}
			return;
		}
		for (int c = 0; c < COL__COUNT; c++)
			if (list_cols[c].drop == round)
				L->on[c] = false;
	}
}

/* Rebuilds the list, keeps the selection on its execution, then moves it. */
static void list_select(struct ui *ui, long delta)
{
	model_list_build(&ui->model, &ui->filter, ui->now_ms, ui->stale_ms, &ui->list);
	ui_sel_follow(&ui->list_sel, ui->list.n, model_list_find(&ui->list, ui->list_sel_id));
	if (ui_sel_move(&ui->list_sel, ui->list.n, delta))
		snprintf(ui->list_sel_id, sizeof ui->list_sel_id, "%s", ui->list.items[ui->list_sel]->id);
	else
		ui->list_sel_id[0] = '\0';
}

static void list_rebuild(struct ui *ui)
{
	list_select(ui, 0);
}

static int list_page(void)
{
	int p = ui_screen_rows() - 7;
	return p > 1 ? p : 1;
}

static void k_list_up(struct ui *ui) { list_select(ui, -1); }
static void k_list_down(struct ui *ui) { list_select(ui, 1); }
static void k_list_pgup(struct ui *ui) { list_select(ui, -list_page()); }
static void k_list_pgdn(struct ui *ui) { list_select(ui, list_page()); }
static void k_list_home(struct ui *ui) { list_select(ui, -(long)ui->list.n - 1); }
static void k_list_end(struct ui *ui) { list_select(ui, (long)ui->list.n + 1); }

static void k_list_open(struct ui *ui)
{
	list_rebuild(ui);
	if (ui->list.n > 0)
		ui_open_execution(ui, ui->list.items[ui->list_sel]->id);
}

static void set_status_filter(struct ui *ui, enum model_status_filter f)
{
	ui->filter.status = f;
	list_rebuild(ui);
}

static void k_f_all(struct ui *ui) { set_status_filter(ui, SF_ALL); }
static void k_f_running(struct ui *ui) { set_status_filter(ui, SF_RUNNING); }
static void k_f_failed(struct ui *ui) { set_status_filter(ui, SF_FAILED); }
static void k_f_completed(struct ui *ui) { set_status_filter(ui, SF_COMPLETED); }
static void k_f_queued(struct ui *ui) { set_status_filter(ui, SF_QUEUED); }

static void k_sort(struct ui *ui)
{
	ui->filter.sort = (enum model_sort)((ui->filter.sort + 1) % SORT__COUNT);
	list_rebuild(ui);
}

static void k_reverse(struct ui *ui)
{
	ui->filter.reverse = !ui->filter.reverse;
	list_rebuild(ui);
}

static void k_filter(struct ui *ui)
{
	ui_prompt_start(ui, PROMPT_FILTER, ui->filter.text);
}

static void k_list_queue(struct ui *ui) { ui_set_view(ui, VIEW_QUEUE); }
static void k_list_resources(struct ui *ui) { ui_set_view(ui, VIEW_RESOURCES); }

static const struct ui_key list_keys[] = {
	{ KEY_UP, "Up k", N_("select the execution above"), k_list_up },
	{ 'k', NULL, NULL, k_list_up },
	{ KEY_DOWN, "Down j", N_("select the execution below"), k_list_down },
	{ 'j', NULL, NULL, k_list_down },
	{ KEY_PPAGE, "PgUp", N_("one page up"), k_list_pgup },
	{ KEY_NPAGE, "PgDn", N_("one page down"), k_list_pgdn },
	{ 'g', "g Home", N_("first execution"), k_list_home },
	{ KEY_HOME, NULL, NULL, k_list_home },
	{ 'G', "G End", N_("last execution"), k_list_end },
	{ KEY_END, NULL, NULL, k_list_end },
	{ '\r', "Enter", N_("open the execution: steps, counters, log"), k_list_open },
	{ '\n', NULL, NULL, k_list_open },
	{ KEY_ENTER, NULL, NULL, k_list_open },
	{ '1', "1", N_("show all executions"), k_f_all },
	{ '2', "2", N_("show running executions"), k_f_running },
	{ '3', "3", N_("show failed executions"), k_f_failed },
	{ '4', "4", N_("show completed executions"), k_f_completed },
	{ '5', "5", N_("show queued executions"), k_f_queued },
	{ '/', "/", N_("filter by text or regular expression"), k_filter },
	{ 's', "s", N_("sort by the next column"), k_sort },
	{ 'S', "S", N_("reverse the sort order"), k_reverse },
	{ 'Q', "Q", N_("the queue: numbers, depth history, queued executions"), k_list_queue },
	{ 'R', "R", N_("the daemon's resources: CPU, memory, database, events/s"), k_list_resources },
};

static const char *sort_text(enum model_sort s)
{
	switch (s) {
	case SORT_ACTIVITY: return C_("sort", "activity");
	case SORT_WORKFLOW: return C_("sort", "workflow");
	case SORT_STATUS: return C_("sort", "status");
	case SORT_PROGRESS: return C_("sort", "progress");
	case SORT_DURATION: return C_("sort", "duration");
	case SORT_PRIORITY: return C_("sort", "priority");
	case SORT_ID: return C_("sort", "id");
	default: return "?";
	}
}

const char *ui_prio_text(enum proto_priority p)
{
	switch (p) {
	case PRIO_HIGH: return C_("priority", "high");
	case PRIO_LOW: return C_("priority", "low");
	default: return C_("priority", "normal");
	}
}

static void list_draw(struct ui *ui, int top, int rows)
{
	list_rebuild(ui);
	int w = ui_screen_cols();
	char title[256], extra[512];
	snprintf(title, sizeof title, "%s (%zu)", _("Executions"), ui->list.n);
	int k = snprintf(extra, sizeof extra, "%s: %s%s", _("sort"), sort_text(ui->filter.sort),
			 ui->filter.reverse ? " (-)" : "");
	if (ui->filter.text[0] != '\0')
		k += snprintf(extra + k, sizeof extra - (size_t)k, "  %s: %s", _("filter"), ui->filter.text);
	if (ui->filter.workflow[0] != '\0')
		snprintf(extra + k, sizeof extra - (size_t)k, "  %s: %s", _("workflow"), ui->filter.workflow);
	ui_title_line(top, title, extra);

	struct col_layout L;
	list_layout(w, &L);
	for (int c = 0; c < COL__COUNT; c++)
		if (L.on[c])
			ui_text(top + 1, L.x[c], L.w[c], UI_MUTED, _(list_cols[c].title[0] ? list_cols[c].title : " "));
	int body = rows - 2;
	if (body <= 0)
		return;
	if (ui->list.n == 0) {
		ui_text(top + 3, 2, w - 4, UI_MUTED,
			ui->model.nexecs == 0 ? _("No executions yet.")
					      : _("No execution matches the filter."));
		return;
	}
	ui_scroll_clamp(ui->list_sel, &ui->list_top, (size_t)body, ui->list.n);
	for (int i = 0; i < body; i++) {
		size_t idx = ui->list_top + (size_t)i;
		if (idx >= ui->list.n)
			break;
		const struct model_exec *x = ui->list.items[idx];
		int y = top + 2 + i;
		bool sel = idx == ui->list_sel;
		if (sel)
			ui_fill(y, 0, w, UI_SELECTION);
		enum model_status st = model_exec_status(x, ui->now_ms, ui->stale_ms);
		enum ui_element sel_or = sel ? UI_SELECTION : UI_NORMAL;
		char buf[256];
		ui_text(y, L.x[COL_MARK], 1, sel ? UI_SELECTION : ui_status_element(st), ui_status_symbol(st));
		ui_text(y, L.x[COL_WORKFLOW], L.w[COL_WORKFLOW], sel_or, x->workflow_name);
		if (L.on[COL_ID]) {
			ui_short_id(x->id, buf, sizeof buf);
			ui_text(y, L.x[COL_ID], L.w[COL_ID], sel ? UI_SELECTION : UI_MUTED, buf);
		}
		ui_text(y, L.x[COL_STATUS], L.w[COL_STATUS], sel ? UI_SELECTION : ui_status_element(st),
			ui_status_text(st));
		if (L.on[COL_PROGRESS]) {
			int pct = model_exec_percent(x);
			ui_bar(y, L.x[COL_PROGRESS], L.w[COL_PROGRESS] - 5, pct,
			       st == MS_FAILED ? UI_STATUS_FAILED : UI_GRAPH);
			snprintf(buf, sizeof buf, "%3d%%", pct);
			ui_text_right(y, L.x[COL_PROGRESS] + L.w[COL_PROGRESS] - 5, 5, sel_or, buf);
		}
		if (L.on[COL_STEP]) {
			const char *step = x->current_step;
			if (st == MS_FAILED && x->error != NULL)
				step = x->error;
			ui_text(y, L.x[COL_STEP], L.w[COL_STEP], sel ? UI_SELECTION : UI_MUTED, step);
		}
		if (L.on[COL_TIME]) {
			i18n_format_elapsed(model_exec_duration_ms(x, ui->now_ms), buf, sizeof buf);
			ui_text_right(y, L.x[COL_TIME], L.w[COL_TIME], sel_or, buf);
		}
		if (L.on[COL_PRIO])
			ui_text(y, L.x[COL_PRIO], L.w[COL_PRIO], x->priority == PRIO_HIGH && !sel ? UI_COUNTER : sel_or,
				ui_prio_text(x->priority));
	}
}

static int list_tick_ms(struct ui *ui)
{
	/* Elapsed times of running rows change once a second. */
	int body = ui_screen_rows() - 6;
	for (size_t i = ui->list_top; i < ui->list.n && i < ui->list_top + (size_t)(body > 0 ? body : 0); i++)
		if (ui->list.items[i]->status == MS_RUNNING)
			return 1000;
	return 0;
}

static void list_hints(struct ui *ui, int y)
{
	static const struct {
		const char *key;
		const char *what;
		enum model_status_filter f;
	} filters[] = {
		{ "1", N_("All"), SF_ALL }, { "2", N_("Running"), SF_RUNNING },
		{ "3", N_("Failed"), SF_FAILED }, { "4", N_("Completed"), SF_COMPLETED },
		{ "5", N_("Queued"), SF_QUEUED },
	};
	int x = 0;
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
		ui_hint(y, &x, filters[i].key, _(filters[i].what), ui->filter.status == filters[i].f);
	ui_hint(y, &x, "/", _("Filter"), false);
	ui_hint(y, &x, "s", _("Sort"), false);
	ui_hint(y, &x, "Q", _("Queue"), false);
	ui_hint(y, &x, "R", _("Resources"), false);
	ui_hint(y, &x, "?", _("Help"), false);
	ui_hint(y, &x, "q", _("Quit"), false);
}

static void list_enter(struct ui *ui)
{
	list_rebuild(ui);
}

const struct ui_view_ops ui_view_list = {
	.name = N_("Executions"),
	.keys = list_keys,
	.nkeys = sizeof list_keys / sizeof list_keys[0],
	.enter = list_enter,
	.draw = list_draw,
	.tick_ms = list_tick_ms,
	.hints = list_hints,
};

/* ---- execution ----------------------------------------------------------------------------- */

static void exec_select(struct ui *ui, long delta)
{
	struct model_detail *d = &ui->model.detail;
	if (ui->log_focus) {
		ui_textpane_scroll(&ui->log, delta);
		return;
	}
	if (ui_sel_move(&ui->step_sel, d->nsteps, delta))
		snprintf(ui->step_sel_id, sizeof ui->step_sel_id, "%s", d->steps[ui->step_sel].id);
}

static int exec_page(void)
{
	int p = (ui_screen_rows() - 10) / 2;
	return p > 1 ? p : 1;
}

static void k_exec_up(struct ui *ui) { exec_select(ui, -1); }
static void k_exec_down(struct ui *ui) { exec_select(ui, 1); }
static void k_exec_pgup(struct ui *ui) { exec_select(ui, -exec_page()); }
static void k_exec_pgdn(struct ui *ui) { exec_select(ui, exec_page()); }

static void k_exec_home(struct ui *ui)
{
	if (ui->log_focus)
		ui_textpane_home(&ui->log);
	else
		exec_select(ui, -(long)PROTO_MAX_STEPS);
}

static void k_exec_end(struct ui *ui)
{
	if (ui->log_focus)
		ui_textpane_end(&ui->log);
	else
		exec_select(ui, PROTO_MAX_STEPS);
}

static void k_exec_open(struct ui *ui)
{
	struct model_detail *d = &ui->model.detail;
	if (d->nsteps == 0 || ui->step_sel >= d->nsteps)
		return;
	snprintf(ui->step_id, sizeof ui->step_id, "%s", d->steps[ui->step_sel].id);
	ui_set_view(ui, VIEW_STEP);
}

static void k_exec_back(struct ui *ui) { ui_set_view(ui, VIEW_LIST); }

static void k_exec_focus(struct ui *ui)
{
	ui->log_focus = !ui->log_focus;
}

static void k_exec_follow(struct ui *ui)
{
	ui_textpane_end(&ui->log);
}

static void k_exec_timeline(struct ui *ui) { ui_set_view(ui, VIEW_TIMELINE); }

static const struct ui_key exec_keys[] = {
	{ KEY_UP, "Up k", N_("previous step (log: scroll up)"), k_exec_up },
	{ 'k', NULL, NULL, k_exec_up },
	{ KEY_DOWN, "Down j", N_("next step (log: scroll down)"), k_exec_down },
	{ 'j', NULL, NULL, k_exec_down },
	{ KEY_PPAGE, "PgUp", N_("one page up"), k_exec_pgup },
	{ KEY_NPAGE, "PgDn", N_("one page down"), k_exec_pgdn },
	{ 'g', "g Home", N_("first step (log: oldest line)"), k_exec_home },
	{ KEY_HOME, NULL, NULL, k_exec_home },
	{ 'G', "G End", N_("last step (log: newest line, follow)"), k_exec_end },
	{ KEY_END, NULL, NULL, k_exec_end },
	{ '\t', "Tab", N_("move the focus between steps and log"), k_exec_focus },
	{ 'f', "f", N_("follow the log again"), k_exec_follow },
	{ '\r', "Enter", N_("open the step: input, output, usage"), k_exec_open },
	{ '\n', NULL, NULL, k_exec_open },
	{ KEY_ENTER, NULL, NULL, k_exec_open },
	{ 't', "t", N_("timeline: the steps on a time axis (Gantt)"), k_exec_timeline },
	{ 27, "Esc", N_("back to the executions"), k_exec_back },
	{ KEY_LEFT, NULL, NULL, k_exec_back },
};

/* The log pane holds formatted lines; new model lines are appended as they come. */
static void exec_sync_log(struct ui *ui)
{
	struct model_detail *d = &ui->model.detail;
	if (ui->log_seen > d->log_total) {
		ui_textpane_clear(&ui->log);
		ui->log_seen = 0;
	}
	uint64_t fresh = d->log_total - ui->log_seen;
	if (fresh > d->log_count)
		fresh = d->log_count;
	for (uint32_t i = d->log_count - (uint32_t)fresh; i < d->log_count; i++) {
		const struct model_log_line *l = model_log_line(d, i);
		static const enum ui_element lvl_el[MLL__COUNT] = {
			[MLL_DEBUG] = UI_LOG_DEBUG, [MLL_INFO] = UI_LOG_INFO,
			[MLL_WARN] = UI_LOG_WARN, [MLL_ERROR] = UI_LOG_ERROR,
		};
		char t[32], line[PROTO_MAX_TEXT + 256];
		i18n_format_time(l->ts_ms, t, sizeof t);
		const char *first = l->text ? l->text : "";
		size_t flen = strcspn(first, "\n");
		if (l->kind == MLOG_TEXT) {
			snprintf(line, sizeof line, "%s %-5s %s%s%.*s", t, l->level == MLL_WARN ? "WARN" :
				 l->level == MLL_ERROR ? "ERROR" : l->level == MLL_DEBUG ? "DEBUG" : "INFO",
				 l->step_id[0] ? l->step_id : "", l->step_id[0] ? ": " : "", (int)flen, first);
		} else {
			snprintf(line, sizeof line, "%s %s%s%s%s%.*s", t, ui_log_kind_text(l->kind),
				 l->step_id[0] ? ": " : "", l->step_id, flen ? " - " : "", (int)flen, first);
		}
		ui_textpane_add(&ui->log, l->kind == MLOG_TEXT ? lvl_el[l->level]
				: l->level == MLL_ERROR ? UI_LOG_ERROR : UI_STATUS_OK, line);
	}
	ui->log_seen = d->log_total;
}

static int64_t step_elapsed(const struct model_step *s, int64_t now_ms)
{
	if (s->status == MSS_RUNNING)
		return s->started_ms > 0 && now_ms > s->started_ms ? now_ms - s->started_ms : 0;
	if (s->duration_ms >= 0)
		return s->duration_ms;
	if (s->finished_ms > 0 && s->started_ms > 0)
		return s->finished_ms - s->started_ms;
	return -1;
}

/* A running step's time ticks in whole seconds; a finished one's is exact. */
static void step_duration_text(const struct model_step *s, int64_t now_ms, char *buf, size_t len)
{
	if (s->status == MSS_RUNNING)
		i18n_format_elapsed(step_elapsed(s, now_ms), buf, len);
	else
		i18n_format_duration(step_elapsed(s, now_ms), buf, len);
}

static void exec_draw(struct ui *ui, int top, int rows)
{
	struct model_detail *d = &ui->model.detail;
	int w = ui_screen_cols();
	char buf[512], num[64];
	exec_sync_log(ui);
	enum model_status st = model_exec_status(&d->sum, ui->now_ms, ui->stale_ms);

	/* Title: workflow, id, status, LIVE badge, time, priority. */
	ui_fill(top, 0, w, UI_BORDER);
	int x = 1;
	x += ui_text(top, x, w - x, UI_TITLE, d->sum.workflow_name[0] ? d->sum.workflow_name : ui->exec_id);
	x += ui_text(top, x, w - x, UI_NORMAL, " ");
	x += ui_text(top, x, w - x, UI_MUTED, ui->exec_id);
	x += ui_text(top, x, w - x, UI_NORMAL, "  ");
	x += ui_text(top, x, w - x, ui_status_element(st), ui_status_text(st));
	x += ui_text(top, x, w - x, UI_NORMAL, "  ");
	if (st == MS_RUNNING && session_display(ui->session) == SD_LIVE) {
		snprintf(buf, sizeof buf, " %s ", _("LIVE"));
		x += ui_text(top, x, w - x, UI_BADGE_LIVE, buf);
	} else if (st == MS_STALE) {
		snprintf(buf, sizeof buf, " %s ", _("STALE"));
		x += ui_text(top, x, w - x, UI_BADGE_RECONNECTING, buf);
	}
	i18n_format_elapsed(model_exec_duration_ms(&d->sum, ui->now_ms), num, sizeof num);
	snprintf(buf, sizeof buf, "  %s %s  %s %s", model_status_finished(st) ? _("took") : _("elapsed"),
		 num, _("priority"), ui_prio_text(d->sum.priority));
	ui_text(top, x, w - x, UI_MUTED, buf);

	if (!d->loaded || (d->missing && d->nsteps == 0)) {
		ui_text(top + 2, 2, w - 4, UI_MUTED, d->missing ? _("The server knows no execution with this id (yet): waiting for its events.")
								 : _("Loading…"));
		return;
	}

	/* Progress line. */
	uint32_t done = 0;
	const struct model_step *unit_step = NULL;
	for (uint32_t i = 0; i < d->nsteps; i++) {
		done += d->steps[i].status == MSS_COMPLETED;
		if (d->steps[i].status == MSS_RUNNING && d->steps[i].progress_total > 0)
			unit_step = &d->steps[i];
	}
	uint32_t total = d->nsteps > (uint32_t)d->sum.steps_total ? d->nsteps : (uint32_t)d->sum.steps_total;
	int pct = total ? (int)(done * 100 / total) : 0;
	if (unit_step != NULL && unit_step->progress_unit != NULL && strcmp(unit_step->progress_unit, "days") == 0)
		snprintf(buf, sizeof buf, _("Processing %lld of %lld days (%s)"),
			 (long long)unit_step->progress_current, (long long)unit_step->progress_total,
			 unit_step->name ? unit_step->name : unit_step->id);
	else if (model_status_finished(st))
		snprintf(buf, sizeof buf, _("%u of %u steps completed"), done, total);
	else
		snprintf(buf, sizeof buf, _("Processing %u of %u steps"), done < total ? done + 1 : done, total);
	int bw = w / 4 > 30 ? 30 : w / 4;
	x = 1 + ui_text(top + 1, 1, w - bw - 8, UI_NORMAL, buf) + 2;
	ui_bar(top + 1, x, bw, pct, st == MS_FAILED ? UI_STATUS_FAILED : UI_GRAPH);
	snprintf(buf, sizeof buf, " %d%%", pct);
	ui_text(top + 1, x + bw, 6, UI_NORMAL, buf);

	/* Counters, counting up live. */
	x = 1;
	for (uint32_t i = 0; i < d->ncounters && x < w - 4; i++) {
		i18n_format_count(d->counters[i].value, num, sizeof num);
		snprintf(buf, sizeof buf, "%s: ", d->counters[i].name);
		x += ui_text(top + 2, x, w - x, UI_MUTED, buf);
		x += ui_text(top + 2, x, w - x, UI_COUNTER, num);
		x += ui_text(top + 2, x, w - x, UI_NORMAL, "   ");
	}
	if (d->ncounters == 0)
		ui_text(top + 2, 1, w - 2, UI_MUTED, _("No counters reported."));

	/* Steps and log share the rest. */
	int avail = rows - 3;
	int log_rows = avail * 2 / 5;
	if (log_rows < 3)
		log_rows = avail > 6 ? 3 : 0;
	int step_rows = avail - log_rows - (log_rows ? 1 : 0) - 1;
	if (step_rows < 1)
		step_rows = 1;
	int sy = top + 3;
	snprintf(buf, sizeof buf, "%s (%u)", _("Steps"), d->nsteps);
	ui_title_line(sy, buf, ui->log_focus ? "" : _("Tab: log"));
	long found = -1;
	if (ui->step_sel_id[0] != '\0')
		for (uint32_t i = 0; i < d->nsteps; i++)
			if (strcmp(d->steps[i].id, ui->step_sel_id) == 0)
				found = i;
	ui_sel_follow(&ui->step_sel, d->nsteps, found);
	ui_scroll_clamp(ui->step_sel, &ui->step_top, (size_t)step_rows, d->nsteps);
	int name_w = w / 3 > 36 ? 36 : w / 3;
	int stat_w = 12, dur_w = 10;
	for (int i = 0; i < step_rows; i++) {
		size_t idx = ui->step_top + (size_t)i;
		if (idx >= d->nsteps)
			break;
		const struct model_step *s = &d->steps[idx];
		int y = sy + 1 + i;
		bool sel = idx == ui->step_sel && !ui->log_focus;
		if (sel)
			ui_fill(y, 0, w, UI_SELECTION);
		enum ui_element el = sel ? UI_SELECTION : ui_step_status_element(s->status);
		const char *mark = s->status == MSS_COMPLETED ? ui_sym(SYM_CHECK)
				   : s->status == MSS_FAILED ? ui_sym(SYM_CROSS)
				   : s->status == MSS_RUNNING ? ui_spinner(ui->spin) : ui_sym(SYM_PENDING);
		ui_text(y, 1, 1, el, mark);
		ui_text(y, 3, name_w, sel ? UI_SELECTION : s->status == MSS_PENDING ? UI_STATUS_PENDING : UI_NORMAL,
			s->name ? s->name : s->id);
		ui_text(y, 4 + name_w, stat_w, el, ui_step_status_text(s->status));
		step_duration_text(s, ui->now_ms, num, sizeof num);
		ui_text_right(y, 5 + name_w + stat_w, dur_w, sel ? UI_SELECTION : UI_NORMAL,
			      s->status == MSS_PENDING ? "" : num);
		int dx = 7 + name_w + stat_w + dur_w;
		if (s->status == MSS_FAILED && s->error != NULL) {
			size_t n = strcspn(s->error, "\n");
			snprintf(buf, sizeof buf, "%.*s", (int)(n < 400 ? n : 400), s->error);
			ui_text(y, dx, w - dx, sel ? UI_SELECTION : UI_STATUS_FAILED, buf);
		} else if (s->status == MSS_RUNNING && s->progress_total > 0) {
			snprintf(buf, sizeof buf, "%lld/%lld %s", (long long)s->progress_current,
				 (long long)s->progress_total,
				 s->progress_unit ? (strcmp(s->progress_unit, "days") == 0 ? _("days") : s->progress_unit) : "");
			ui_text(y, dx, w - dx, sel ? UI_SELECTION : UI_MUTED, buf);
		}
	}
	if (log_rows == 0)
		return;
	int ly = sy + 1 + step_rows;
	ui_title_line(ly, ui->log_focus ? _("Log (focus)") : _("Log"),
		   ui->log.follow ? _("following") : _("scrolled back: G or f follows"));
	struct ui_widget pane = { &ui_textpane_ops, &ui->log };
	ui_textpane_ops.draw(&pane, ui, (struct ui_rect){ ly + 1, 1, log_rows, w - 2 });
}

static int exec_tick_ms(struct ui *ui)
{
	struct model_detail *d = &ui->model.detail;
	for (uint32_t i = 0; i < d->nsteps; i++)
		if (d->steps[i].status == MSS_RUNNING)
			return 250;   /* the spinner */
	return d->sum.status == MS_RUNNING ? 1000 : 0;
}

static void exec_hints(struct ui *ui, int y)
{
	(void)ui;
	int x = 0;
	ui_hint(y, &x, "Enter", _("Step"), false);
	ui_hint(y, &x, "Tab", _("Log"), false);
	ui_hint(y, &x, "t", _("Timeline"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
	ui_hint(y, &x, "q", _("Quit"), false);
}

static void exec_enter(struct ui *ui)
{
	ui->log.follow = true;
	ui->log.max_lines = MODEL_LOG_LINES;
}

const struct ui_view_ops ui_view_exec = {
	.name = N_("Execution"),
	.keys = exec_keys,
	.nkeys = sizeof exec_keys / sizeof exec_keys[0],
	.enter = exec_enter,
	.draw = exec_draw,
	.tick_ms = exec_tick_ms,
	.hints = exec_hints,
};

/* ---- step ---------------------------------------------------------------------------------- */

static struct model_step *step_current(struct ui *ui)
{
	return model_detail_step(&ui->model.detail, ui->step_id);
}

/* Rebuilds the document shown (input and output, pretty-printed) when it changed. */
static void step_sync(struct ui *ui)
{
	struct model_step *s = step_current(ui);
	json_t *doc = json_object();
	json_object_set_new(doc, "execution_id", json_string(ui->exec_id));
	json_object_set_new(doc, "step_id", json_string(ui->step_id));
	json_object_set(doc, "input", s && s->input ? s->input : json_null());
	json_object_set(doc, "output", s && s->output ? s->output : json_null());
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	json_decref(doc);
	if (text == NULL)
		return;
	if (ui->data_doc != NULL && strcmp(ui->data_doc, text) == 0) {
		free(text);
		return;
	}
	free(ui->data_doc);
	ui->data_doc = text;
	size_t top = ui->data.top;
	ui_textpane_clear(&ui->data);
	ui->data.follow = false;
	/* Shown as two labelled blocks; the document (y, w) holds both. */
	for (size_t i = 0; i < 2; i++) {
		json_t *v = s ? (i == 0 ? s->input : s->output) : NULL;
		ui_textpane_add(&ui->data, UI_TITLE, i == 0 ? _("Input") : _("Output"));
		if (v == NULL) {
			ui_textpane_add(&ui->data, UI_MUTED, i == 0 ? _("  (no input)") : _("  (no output yet)"));
		} else {
			char *p = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(9));
			if (p != NULL)
				ui_textpane_add_text(&ui->data, UI_NORMAL, p);
			free(p);
		}
		ui_textpane_add(&ui->data, UI_NORMAL, "");
	}
	ui->data.top = top;
}

static void step_draw(struct ui *ui, int top, int rows)
{
	int w = ui_screen_cols();
	char buf[512], a[64], b[64], c[64];
	struct model_step *s = step_current(ui);
	step_sync(ui);
	ui_fill(top, 0, w, UI_BORDER);
	int x = 1 + ui_text(top, 1, w - 2, UI_TITLE, s && s->name ? s->name : ui->step_id);
	x += ui_text(top, x, w - x, UI_NORMAL, "  ");
	if (s != NULL)
		x += ui_text(top, x, w - x, ui_step_status_element(s->status), ui_step_status_text(s->status));
	snprintf(buf, sizeof buf, "  %s", ui->exec_id);
	ui_text(top, x, w - x, UI_MUTED, buf);
	if (s == NULL) {
		ui_text(top + 2, 2, w - 4, UI_MUTED, _("This step is not known (yet)."));
		return;
	}
	step_duration_text(s, ui->now_ms, a, sizeof a);
	if (s->cpu_percent >= 0) {
		i18n_format_decimal(s->cpu_percent, 1, b, sizeof b);
		strncat(b, " %", sizeof b - strlen(b) - 1);
	} else {
		snprintf(b, sizeof b, "-");
	}
	i18n_format_bytes(s->memory_bytes, c, sizeof c);
	snprintf(buf, sizeof buf, "%s: %s   %s: %s   %s: %s   %s: %s", _("duration"), a, _("CPU"), b,
		 _("memory"), c, _("worker"), s->worker ? s->worker : "-");
	ui_text(top + 1, 1, w - 2, UI_NORMAL, buf);
	int y = top + 2;
	if (s->error != NULL) {
		snprintf(buf, sizeof buf, "%s: %s%s%s%s", _("error"), s->error, s->error_code ? " (" : "",
			 s->error_code ? s->error_code : "", s->error_code ? ")" : "");
		ui_text(y++, 1, w - 2, UI_STATUS_FAILED, buf);
	}
	ui_title_line(y, _("Data"), ui->data.n > (size_t)(rows - (y - top) - 1) ? _("Up/Down PgUp/PgDn scroll") : "");
	struct ui_widget pane = { &ui_textpane_ops, &ui->data };
	ui_textpane_ops.draw(&pane, ui, (struct ui_rect){ y + 1, 1, rows - (y - top) - 1, w - 2 });
}

static void k_step_up(struct ui *ui) { ui_textpane_key(&ui->data, KEY_UP); }
static void k_step_down(struct ui *ui) { ui_textpane_key(&ui->data, KEY_DOWN); }
static void k_step_pgup(struct ui *ui) { ui_textpane_key(&ui->data, KEY_PPAGE); }
static void k_step_pgdn(struct ui *ui) { ui_textpane_key(&ui->data, KEY_NPAGE); }
static void k_step_home(struct ui *ui) { ui_textpane_key(&ui->data, KEY_HOME); }
static void k_step_end(struct ui *ui) { ui_textpane_key(&ui->data, KEY_END); }
static void k_step_back(struct ui *ui) { ui_set_view(ui, VIEW_EXEC); }

static void k_step_copy(struct ui *ui)
{
	step_sync(ui);
	if (ui->data_doc == NULL)
		return;
	const char *tmux = getenv("TMUX");
	char *osc = ui_osc52_new(ui->data_doc, strlen(ui->data_doc), tmux != NULL && tmux[0] != '\0');
	if (osc == NULL) {
		ui_message(ui, UI_ERROR, "%s", _("too large for the clipboard: write it to a file with w"));
		return;
	}
	int rc = ui_screen_write_raw(osc, strlen(osc));
	free(osc);
	if (rc == 0)
		ui_message(ui, UI_MESSAGE, _("copied %zu bytes to the clipboard (OSC 52)"), strlen(ui->data_doc));
	else
		ui_message(ui, UI_ERROR, "%s", _("cannot write to the terminal"));
}

static void k_step_write(struct ui *ui)
{
	char path[PROTO_MAX_ID * 2 + 32];
	snprintf(path, sizeof path, "./wfmon-%s-%s.json", ui->exec_id, ui->step_id);
	ui_prompt_start(ui, PROMPT_WRITE, path);
}

static const struct ui_key step_keys[] = {
	{ KEY_UP, "Up k", N_("scroll up"), k_step_up },
	{ 'k', NULL, NULL, k_step_up },
	{ KEY_DOWN, "Down j", N_("scroll down"), k_step_down },
	{ 'j', NULL, NULL, k_step_down },
	{ KEY_PPAGE, "PgUp", N_("one page up"), k_step_pgup },
	{ KEY_NPAGE, "PgDn", N_("one page down"), k_step_pgdn },
	{ 'g', "g Home", N_("top"), k_step_home },
	{ KEY_HOME, NULL, NULL, k_step_home },
	{ 'G', "G End", N_("bottom"), k_step_end },
	{ KEY_END, NULL, NULL, k_step_end },
	{ 'y', "y", N_("copy the input and output to the clipboard (OSC 52)"), k_step_copy },
	{ 'w', "w", N_("write the input and output to a file"), k_step_write },
	{ 27, "Esc", N_("back to the execution"), k_step_back },
	{ KEY_LEFT, NULL, NULL, k_step_back },
};

static int step_tick_ms(struct ui *ui)
{
	struct model_step *s = step_current(ui);
	return s != NULL && s->status == MSS_RUNNING ? 1000 : 0;
}

static void step_hints(struct ui *ui, int y)
{
	(void)ui;
	int x = 0;
	ui_hint(y, &x, "y", _("Copy"), false);
	ui_hint(y, &x, "w", _("Write"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
	ui_hint(y, &x, "q", _("Quit"), false);
}

static void step_enter(struct ui *ui)
{
	free(ui->data_doc);
	ui->data_doc = NULL;
	ui_textpane_clear(&ui->data);
	ui->data.top = 0;
}

const struct ui_view_ops ui_view_step = {
	.name = N_("Step"),
	.keys = step_keys,
	.nkeys = sizeof step_keys / sizeof step_keys[0],
	.enter = step_enter,
	.draw = step_draw,
	.tick_ms = step_tick_ms,
	.hints = step_hints,
};
