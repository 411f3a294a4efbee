/* list_view.c: the executions list view: its columns, key table, filters,
 * sort and drawing (see ui_view.h).
 *
 * Invariants: the selection follows an execution id, not a row number, so
 * rows moving under it never move the selection to another execution; the
 * view draws only between its top row and top + rows; columns that do not fit
 * are dropped in a fixed order instead of wrapping. */
#include "ui_view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ui_screen.h"
#include "xalloc.h"

/* ---- executions list ------------------------------------------------------------------ */

enum list_col { COL_MARK, COL_WORKFLOW, COL_ID, COL_STATUS, COL_PROGRESS, COL_STEP, COL_TIME,
		COL_PRIO, COL__COUNT };

/* The columns for this width, in the language shown: the status and
 * priority columns as wide as their longest translated word. */
static void list_layout(int width, struct ui_table *t, struct ui_col cols[COL__COUNT])
{
	const struct ui_col c[COL__COUNT] = {
		[COL_MARK] = { "", 1, 0, 0, 0, false },
		[COL_WORKFLOW] = { _("WORKFLOW"), 14, 0, 3, 0, false },
		[COL_ID] = { _("ID"), 10, 0, 0, 3, false },
		[COL_STATUS] = { _("STATUS"), ui_status_width(), 0, 0, 0, false },
		[COL_PROGRESS] = { _("PROGRESS"), 15, 0, 0, 4, false },
		[COL_STEP] = { _("STEP"), 10, 0, 2, 2, false },
		/* "59 min 59 s" whole when there is room */
		[COL_TIME] = { _("TIME"), 9, 11, 0, 5, true },
		[COL_PRIO] = { _("PRIO"), ui_prio_width(), 0, 0, 1, false },
	};
	memcpy(cols, c, sizeof c);
	ui_table_layout(t, cols, COL__COUNT, 0, width);
}

/* Brings the list up to date (it is rebuilt only when the executions, the
 * filter or the time that matters changed), keeps the selection on its
 * execution, then moves it. */
static void list_select(struct ui *ui, long delta)
{
	bool rebuilt = model_list_refresh(&ui->model, &ui->filter, ui->now_ms, ui->stale_ms, &ui->list);
	if (!rebuilt && delta == 0)
		return;
	ui_sel_follow(&ui->list_sel, ui->list.n, model_list_find(&ui->list, ui->list_sel_id));
	if (ui_sel_move(&ui->list_sel, ui->list.n, delta))
		snprintf(ui->list_sel_id, sizeof ui->list_sel_id, "%s", ui->list.items[ui->list_sel]->x.id);
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
		ui_open_execution(ui, ui->list.items[ui->list_sel]->x.id);
}

void ui_list_search(struct ui *ui)
{
	json_t *req = model_search_request_new(&ui->model, &ui->filter);
	if (req != NULL && session_request(ui->session, req) != 0)
		model_search_unsent(&ui->model);   /* asked again once connected */
	ui->dirty = true;
}

static void list_control(struct ui *ui, enum proto_control cmd)
{
	list_rebuild(ui);
	if (ui->list.n > 0)
		ui_exec_control_ask(ui, &ui->list.items[ui->list_sel]->x, cmd);
}

static void k_list_cancel(struct ui *ui) { list_control(ui, CONTROL_CANCEL); }
static void k_list_retry(struct ui *ui) { list_control(ui, CONTROL_RETRY); }

static void set_status_filter(struct ui *ui, enum model_status_filter f)
{
	ui->filter.status = f;
	ui_list_search(ui);
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
	ui_prompt_start(ui, PROMPT_FILTER, ui->filter.typed);
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
	{ '/', "/", N_("filter by text or regular expression; label:KEY=VALUE for a label"), k_filter },
	{ 'c', "c", N_("cancel the selected execution (asks first; operators, admins)"), k_list_cancel },
	{ 'r', "r", N_("retry the selected failed execution (asks first; operators, admins)"), k_list_retry },
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

/* Whether the list reaches into history, and how that went: the title says
 * so, so that an empty result is never mistaken for "there is none". */
static bool list_history_text(struct ui *ui, char *buf, size_t len)
{
	const struct model_search *s = &ui->model.search;
	switch (s->state) {
	case MSEARCH_REGEX:
		snprintf(buf, len, "%s", _("history: not searched (a regular expression: loaded executions only)"));
		return true;
	case MSEARCH_PENDING:
		snprintf(buf, len, "%s", _("history: asking the server…"));
		return true;
	case MSEARCH_LOADED:
		if (s->more)
			snprintf(buf, len, _("history: %zu from the server, more there: narrow the filter"),
				 ui->list.from_history);
		else
			snprintf(buf, len, _("history: %zu from the server"), ui->list.from_history);
		return true;
	case MSEARCH_UNAVAILABLE:
		snprintf(buf, len, "%s", _("history: not available (the server keeps none now)"));
		return true;
	case MSEARCH_FAILED:
		snprintf(buf, len, _("history: refused (%s)"), s->error);
		return true;
	default:
		return false;
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
	if (ui->filter.typed[0] != '\0')
		k += snprintf(extra + k, sizeof extra - (size_t)k, "  %s: %s", _("filter"), ui->filter.typed);
	if (ui->filter.workflow[0] != '\0')
		k += snprintf(extra + k, sizeof extra - (size_t)k, "  %s: %s", _("workflow"), ui->filter.workflow);
	char hist[256];
	if (list_history_text(ui, hist, sizeof hist))
		snprintf(extra + k, sizeof extra - (size_t)k, "  %s", hist);
	ui_title_line(top, title, extra);

	struct ui_col cols[COL__COUNT];
	struct ui_table L;
	list_layout(w, &L, cols);
	ui_table_header(&L, top + 1, UI_MUTED);
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
		const struct model_exec *mx = ui->list.items[idx];
		const struct exec *x = &mx->x;
		int y = top + 2 + i;
		bool sel = idx == ui->list_sel;
		if (sel)
			ui_fill(y, 0, w, UI_SELECTION);
		enum model_status st = model_exec_status(mx, ui->now_ms, ui->stale_ms);
		enum ui_element sel_or = sel ? UI_SELECTION : UI_NORMAL;
		char buf[256];
		ui_table_cell(&L, y, COL_MARK, sel ? UI_SELECTION : ui_status_element(st), ui_status_symbol(st));
		ui_table_cell(&L, y, COL_WORKFLOW, sel_or, exec_workflow_name(x));
		ui_short_id(x->id, buf, sizeof buf);
		ui_table_cell(&L, y, COL_ID, sel ? UI_SELECTION : UI_MUTED, buf);
		/* A cancel or retry on its way shows instead of the status. */
		if (x->control.state == CTL_REQUESTED || x->control.state == CTL_ACCEPTED)
			ui_table_cell(&L, y, COL_STATUS, sel ? UI_SELECTION : UI_STATUS_STALE,
				      x->control.command == CONTROL_CANCEL ? _("cancelling") : _("retrying"));
		else
			ui_table_cell(&L, y, COL_STATUS, sel ? UI_SELECTION : ui_status_element(st), ui_status_text(st));
		if (L.on[COL_PROGRESS]) {
			/* The bar and the number count the same: steps (a summary has no
			 * producer's unit). */
			int pct = model_exec_percent(mx);
			char full[32];
			i18n_format_percent(100, 0, full, sizeof full);
			int pw = ui_width(full) + 1;
			ui_bar(y, L.x[COL_PROGRESS], L.w[COL_PROGRESS] - pw, pct,
			       st == MS_FAILED ? UI_STATUS_FAILED : UI_GRAPH);
			i18n_format_percent(pct, 0, buf, sizeof buf);
			ui_text_right(y, L.x[COL_PROGRESS] + L.w[COL_PROGRESS] - pw, pw, sel_or, buf);
		}
		const char *step = x->current_step;
		if (st == MS_FAILED && x->error != NULL)
			step = x->error;
		ui_table_cell(&L, y, COL_STEP, sel ? UI_SELECTION : UI_MUTED, step);
		ui_exec_duration_text(mx, ui->now_ms, buf, sizeof buf);
		ui_table_cell(&L, y, COL_TIME, sel_or, buf);
		ui_table_cell(&L, y, COL_PRIO, x->priority == PRIO_HIGH && !sel ? UI_COUNTER : sel_or,
			      ui_prio_text(x->priority));
	}
}

static int list_tick_ms(struct ui *ui)
{
	/* The rows first: a key or a message may have replaced what they point
	 * to (history's answer) since the last frame. */
	list_rebuild(ui);
	/* Elapsed times of running rows change once a second. */
	int body = ui_screen_rows() - 6;
	for (size_t i = ui->list_top; i < ui->list.n && i < ui->list_top + (size_t)(body > 0 ? body : 0); i++)
		if (ui->list.items[i]->x.status == EXEC_RUNNING)
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
