/* queue_view.c: the queue view: the daemon's queue numbers, the depth
 * history graph, the queued executions oldest first, the backlog warning,
 * and raising an execution's priority (see ui_view.h).
 *
 * Invariants: the selection follows an execution id (rows leave the queue as
 * executions start); prioritizing is never sent under --readonly; the
 * numbers shown are the daemon's, except the oldest's age and the newest
 * depth points, which tick on our clock. */
#include "ui_view.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "ui_graph.h"
#include "ui_screen.h"

#define QUEUE_GRAPH_ROWS_MAX 6

/* Rebuilds the queue when the executions changed, keeps the selection on
 * its execution, then moves it. */
static void queue_select(struct ui *ui, long delta)
{
	if (ui->queue.built && ui->queue.serial == ui->model.execs_serial && delta == 0)
		return;
	if (!ui->queue.built || ui->queue.serial != ui->model.execs_serial) {
		model_queue_list(&ui->model, &ui->queue);
		ui->queue.built = true;
		ui->queue.serial = ui->model.execs_serial;
	}
	ui_sel_follow(&ui->queue_sel, ui->queue.n, model_list_find(&ui->queue, ui->queue_sel_id));
	if (ui_sel_move(&ui->queue_sel, ui->queue.n, delta))
		snprintf(ui->queue_sel_id, sizeof ui->queue_sel_id, "%s", ui->queue.items[ui->queue_sel]->x.id);
	else
		ui->queue_sel_id[0] = '\0';
}

static void queue_rebuild(struct ui *ui)
{
	queue_select(ui, 0);
}

static void k_q_up(struct ui *ui) { queue_select(ui, -1); }
static void k_q_down(struct ui *ui) { queue_select(ui, 1); }
static void k_q_pgup(struct ui *ui) { queue_select(ui, -10); }
static void k_q_pgdn(struct ui *ui) { queue_select(ui, 10); }
static void k_q_home(struct ui *ui) { queue_select(ui, -(long)ui->queue.n - 1); }
static void k_q_end(struct ui *ui) { queue_select(ui, (long)ui->queue.n + 1); }

static void k_q_open(struct ui *ui)
{
	queue_rebuild(ui);
	if (ui->queue.n > 0)
		ui_open_execution(ui, ui->queue.items[ui->queue_sel]->x.id);
}

static void k_q_prioritize(struct ui *ui)
{
	if (ui->opt->readonly) {
		ui_message(ui, UI_ERROR, "%s", _("read-only console (--readonly): raising a priority is disabled"));
		return;
	}
	queue_rebuild(ui);
	if (ui->queue.n == 0) {
		ui_message(ui, UI_ERROR, "%s", _("nothing queued to prioritize"));
		return;
	}
	const struct exec *x = &ui->queue.items[ui->queue_sel]->x;
	if (x->priority == PRIO_HIGH) {
		ui_message(ui, UI_MESSAGE, _("%s already has the high priority"), x->id);
		return;
	}
	char id[PROTO_MAX_ID + 16];
	snprintf(id, sizeof id, "%s%s", MODEL_ID_PRIO, x->id);
	json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "type", "prioritize", "id", id, "execution_id",
				x->id, "priority", proto_priority_name(PRIO_HIGH));
	if (req == NULL)
		return;
	if (ui_request(ui, req) == 0)
		ui_message(ui, UI_MESSAGE, _("asking the server to raise the priority of %s to high…"), x->id);
}

static void k_q_back(struct ui *ui) { ui_set_view(ui, VIEW_LIST); }
static void k_q_resources(struct ui *ui) { ui_set_view(ui, VIEW_RESOURCES); }

static const struct ui_key queue_keys[] = {
	{ KEY_UP, "Up k", N_("select the execution above"), k_q_up },
	{ 'k', NULL, NULL, k_q_up },
	{ KEY_DOWN, "Down j", N_("select the execution below"), k_q_down },
	{ 'j', NULL, NULL, k_q_down },
	{ KEY_PPAGE, "PgUp", N_("one page up"), k_q_pgup },
	{ KEY_NPAGE, "PgDn", N_("one page down"), k_q_pgdn },
	{ 'g', "g Home", N_("oldest execution"), k_q_home },
	{ KEY_HOME, NULL, NULL, k_q_home },
	{ 'G', "G End", N_("newest execution"), k_q_end },
	{ KEY_END, NULL, NULL, k_q_end },
	{ 'p', "p", N_("raise the selected execution's priority to high (operators, admins)"), k_q_prioritize },
	{ '\r', "Enter", N_("open the execution"), k_q_open },
	{ '\n', NULL, NULL, k_q_open },
	{ KEY_ENTER, NULL, NULL, k_q_open },
	{ 'R', "R", N_("the resources view"), k_q_resources },
	{ 27, "Esc", N_("back to the executions"), k_q_back },
};

/* When the queue will be empty, as one sentence whatever the case: "clears
 * in about 3 min", "the queue is empty", or why it cannot be told. */
static void eta_text(const struct model_queue *q, char *buf, size_t len)
{
	char d[64];
	if (q->n.depth == 0 || q->n.eta_ms == 0) {
		snprintf(buf, len, "%s", _("the queue is empty"));
	} else if (q->n.eta_ms < 0) {
		snprintf(buf, len, "%s", _("when it clears is unknown: nothing finished lately"));
	} else {
		/* An estimate: whole seconds, up (never "about 0 s" while queued). */
		i18n_format_remaining(q->n.eta_ms, d, sizeof d);
		snprintf(buf, len, _("clears in about %s"), d);
	}
}

void ui_queue_backlog_text(const struct model_queue *q, char *buf, size_t len)
{
	char depth[32], threshold[32], d[64];
	i18n_format_count(q->n.depth > INT64_MAX ? INT64_MAX : (int64_t)q->n.depth, depth, sizeof depth);
	i18n_format_count(q->n.threshold > INT64_MAX ? INT64_MAX : (int64_t)q->n.threshold, threshold, sizeof threshold);
	if (q->n.eta_ms > 0) {
		i18n_format_remaining(q->n.eta_ms, d, sizeof d);
		snprintf(buf, len, _("BACKLOG: %s queued (threshold %s), clears in about %s"), depth, threshold, d);
	} else {
		snprintf(buf, len, _("BACKLOG: %s queued (threshold %s); nothing finished lately, so when it "
				     "clears is unknown"), depth, threshold);
	}
}

/* "15 min" of a window, or "" when the daemon did not say. */
static void window_text(int64_t ms, char *buf, size_t len)
{
	if (ms > 0)
		i18n_format_duration((double)ms, buf, len);
	else
		snprintf(buf, len, "?");
}

static void queue_draw(struct ui *ui, int top, int rows)
{
	const struct model_queue *q = &ui->model.queue;
	int w = ui_screen_cols();
	char buf[512], v[128], title[128];
	queue_rebuild(ui);
	snprintf(title, sizeof title, "%s (%zu)", _("Queue"), ui->queue.n);
	if (q->loaded) {
		i18n_format_count(q->n.threshold, v, sizeof v);
		snprintf(buf, sizeof buf, _("backlog threshold %s"), v);
	} else
		buf[0] = '\0';
	ui_title_line(top, title, buf);
	int y = top + 1, bottom = top + rows;
	if (!q->loaded) {
		ui_text(y + 1, 2, w - 4, UI_MUTED, _("Waiting for the queue's numbers from the server…"));
		return;
	}
	/* The backlog warning is on the notice line and in the header. */

	/* The numbers. */
	int x = 1;
	i18n_format_count(model_queue_depth(&ui->model), v, sizeof v);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("depth"), v, q->n.backlog ? UI_STATUS_STALE : UI_COUNTER);
	for (int p = 0; p < PRIO__COUNT; p++) {
		i18n_format_count((int64_t)q->n.by_priority[p], v, sizeof v);
		x = ui_pair(y, x, w, UI_PAIR_BODY, ui_prio_text((enum proto_priority)p), v, UI_NORMAL);
	}
	if (q->n.delayed > 0) {
		snprintf(v, sizeof v, "%lld", (long long)q->n.delayed);
		x = ui_pair(y, x, w, UI_PAIR_BODY, _("delayed"), v, UI_MUTED);
	}
	if (q->n.untracked > 0) {
		i18n_format_count(q->n.untracked, v, sizeof v);
		ui_pair(y, x, w, UI_PAIR_BODY, _("untracked"), v, UI_MUTED);
	}
	y++;
	x = 1;
	if (q->n.has_oldest) {
		char age[64], id[PROTO_MAX_ID + 8];
		ui_short_id(q->n.oldest_id, id, sizeof id);
		i18n_format_elapsed(model_queue_oldest_age(q, ui->now_ms), age, sizeof age);
		snprintf(v, sizeof v, _("%s, waiting %s"), id, age);
		x = ui_pair(y, x, w, UI_PAIR_BODY, _("oldest"), v, UI_NORMAL);
	} else {
		x = ui_pair(y, x, w, UI_PAIR_BODY, _("oldest"), "-", UI_MUTED);
	}
	/* The average wait says over what, on a line of its own: the
	 * executions that left the queue (started after waiting in it) within
	 * the wait window. */
	y++;
	x = 1;
	char d[64], win[64];
	window_text(q->n.wait_window_ms, win, sizeof win);
	if (q->n.avg_wait_ms >= 0) {
		i18n_format_duration((double)q->n.avg_wait_ms, d, sizeof d);
		snprintf(v, sizeof v, ngettext("%s (%lld execution left the queue in the last %s)",
					       "%s (%lld executions left the queue in the last %s)",
					       (unsigned long)q->n.wait_samples),
			 d, (long long)q->n.wait_samples, win);
		ui_pair(y, x, w, UI_PAIR_BODY, _("average wait"), v, UI_NORMAL);
	} else {
		snprintf(v, sizeof v, _("unknown: no execution left the queue in the last %s"), win);
		ui_pair(y, x, w, UI_PAIR_BODY, _("average wait"), v, UI_MUTED);
	}
	y++;
	x = 1;
	i18n_format_decimal(q->n.rate_per_min, 1, d, sizeof d);
	window_text(q->n.rate_window_ms, win, sizeof win);
	snprintf(buf, sizeof buf, _("%s finished/min over the last %s"), d, win);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("rate"), buf, UI_NORMAL);
	eta_text(q, v, sizeof v);
	ui_text(y, x, w - x, q->n.eta_ms < 0 && q->n.depth > 0 ? UI_STATUS_STALE : UI_NORMAL, v);
	y++;

	/* The depth history: what is left after the list's minimum. */
	int list_min = 4;
	int gh = bottom - y - 1 - list_min;
	if (gh > QUEUE_GRAPH_ROWS_MAX)
		gh = QUEUE_GRAPH_ROWS_MAX;
	if (gh >= 1) {
		static double pts[MODEL_DEPTH_HISTORY];
		uint32_t n = q->hist_count, peak = 0;
		for (uint32_t i = 0; i < n; i++) {
			pts[i] = model_queue_history(q, i);
			if (pts[i] > peak)
				peak = (uint32_t)pts[i];
		}
		i18n_format_duration((double)n * 1000, d, sizeof d);
		snprintf(title, sizeof title, _("Depth, last %s"), d);
		char pk[32], th[32];
		i18n_format_count(peak, pk, sizeof pk);
		i18n_format_count(q->n.threshold, th, sizeof th);
		snprintf(buf, sizeof buf, _("peak %s, threshold %s"), pk, th);
		ui_title_line(y++, title, buf);
		/* Scaled to the threshold at least, so a short queue looks short. */
		double scale = peak > (uint32_t)q->n.threshold ? peak : (double)q->n.threshold;
		ui_graph_draw((struct ui_rect){ y, 1, gh, w - 2 }, pts, n, scale > 0 ? scale : 1, true,
			      q->n.backlog ? UI_STATUS_STALE : UI_GRAPH);
		y += gh;
	}

	/* The queued executions, oldest first. */
	ui_title_line(y++, _("Queued, oldest first"), ui->opt->readonly ? "" : _("p: raise the priority"));
	const struct ui_col cols[] = {
		{ "#", 5, 0, 0, 0, true },
		{ _("WORKFLOW"), 8, 0, 1, 0, false },
		{ _("ID"), 10, 0, 0, 2, false },
		{ _("PRIO"), ui_prio_width(), 0, 0, 1, false },
		{ _("WAITING"), 8, 11, 0, 0, true },
	};
	struct ui_table t;
	ui_table_layout(&t, cols, sizeof cols / sizeof cols[0], 0, w);
	if (y < bottom)
		ui_table_header(&t, y++, UI_MUTED);
	int body = bottom - y;
	if (body <= 0)
		return;
	if (ui->queue.n == 0) {
		ui_text(y, 2, w - 4, UI_MUTED, _("Nothing is queued."));
		return;
	}
	ui_scroll_clamp(ui->queue_sel, &ui->queue_top, (size_t)body, ui->queue.n);
	for (int i = 0; i < body; i++) {
		size_t idx = ui->queue_top + (size_t)i;
		if (idx >= ui->queue.n)
			break;
		const struct exec *ex = &ui->queue.items[idx]->x;
		bool sel = idx == ui->queue_sel;
		int ry = y + i;
		enum ui_element n_el = sel ? UI_SELECTION : UI_NORMAL;
		if (sel)
			ui_fill(ry, 0, w, UI_SELECTION);
		snprintf(v, sizeof v, "%zu", idx + 1);
		ui_table_cell(&t, ry, 0, sel ? UI_SELECTION : UI_MUTED, v);
		ui_table_cell(&t, ry, 1, n_el, exec_workflow_name(ex));
		ui_short_id(ex->id, v, sizeof v);
		ui_table_cell(&t, ry, 2, sel ? UI_SELECTION : UI_MUTED, v);
		ui_table_cell(&t, ry, 3, ex->priority == PRIO_HIGH && !sel ? UI_COUNTER : n_el, ui_prio_text(ex->priority));
		int64_t age = ex->queued_ms > 0 ? ui->now_ms - ex->queued_ms : -1;
		i18n_format_elapsed(age, v, sizeof v);
		ui_table_cell(&t, ry, 4, n_el, v);
	}
}

static int queue_tick_ms(struct ui *ui)
{
	/* Ages and the depth graph move every second. */
	return ui->model.queue.loaded ? 1000 : 0;
}

static void queue_hints(struct ui *ui, int y)
{
	int x = 0;
	if (!ui->opt->readonly)
		ui_hint(y, &x, "p", _("Prioritize"), false);
	ui_hint(y, &x, "Enter", _("Open"), false);
	ui_hint(y, &x, "R", _("Resources"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
	ui_hint(y, &x, "q", _("Quit"), false);
}

static void queue_enter(struct ui *ui)
{
	queue_rebuild(ui);
}

const struct ui_view_ops ui_view_queue = {
	.name = N_("Queue"),
	.keys = queue_keys,
	.nkeys = sizeof queue_keys / sizeof queue_keys[0],
	.enter = queue_enter,
	.draw = queue_draw,
	.tick_ms = queue_tick_ms,
	.hints = queue_hints,
};
