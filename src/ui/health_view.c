/* health_view.c: every workflow's health (W): its executions now, its last
 * run, and its schedule with where the expected run stands, from the
 * daemon's "health" room (model_health.h); Enter shows the workflow's
 * executions (see ui_view.h).
 *
 * Invariants: the room is wanted while the view is open; the selection
 * follows a workflow id; nothing is sorted here (the daemon sends the rows
 * in name order). */
#include "ui_view.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "ui_screen.h"

#define HEALTH_ROOM "health"

static char sel_id[PROTO_MAX_ID + 1];

static void health_select(struct ui *ui, long delta)
{
	const struct model_health *h = &ui->model.health;
	if (ui_sel_move(&ui->health_sel, h->n, delta))
		snprintf(sel_id, sizeof sel_id, "%s", h->rows[ui->health_sel].workflow_id);
}

static void k_up(struct ui *ui) { health_select(ui, -1); }
static void k_down(struct ui *ui) { health_select(ui, 1); }
static void k_back(struct ui *ui) { ui_set_view(ui, VIEW_LIST); }

/* The workflow's executions: the list, filtered to it. */
static void k_open(struct ui *ui)
{
	const struct model_health *h = &ui->model.health;
	if (ui->health_sel >= h->n)
		return;
	snprintf(ui->filter.workflow, sizeof ui->filter.workflow, "%s", h->rows[ui->health_sel].workflow_id);
	ui_set_view(ui, VIEW_LIST);
	ui_message(ui, UI_MESSAGE, _("showing the executions of %s (:wf to show all)"), h->rows[ui->health_sel].name);
}

static const struct ui_key health_keys[] = {
	{ KEY_UP, "Up k", N_("the workflow above"), k_up },
	{ 'k', NULL, NULL, k_up },
	{ KEY_DOWN, "Down j", N_("the workflow below"), k_down },
	{ 'j', NULL, NULL, k_down },
	{ '\r', "Enter", N_("the workflow's executions"), k_open },
	{ '\n', NULL, NULL, k_open },
	{ KEY_ENTER, NULL, NULL, k_open },
	{ 27, "Esc", N_("back to the executions"), k_back },
};

static const char *state_text(const struct model_health_row *r, enum ui_element *el)
{
	*el = UI_MUTED;
	if (!r->has_schedule)
		return "";
	switch (r->state) {
	case SCHED_OK: *el = UI_STATUS_OK; return C_("schedule", "on time");
	case SCHED_RUNNING: *el = UI_STATUS_RUNNING; return C_("schedule", "running");
	case SCHED_WAITING: return C_("schedule", "waiting");
	case SCHED_MISSED: *el = UI_STATUS_FAILED; return C_("schedule", "MISSED");
	default: return C_("schedule", "off");
	}
}

static const char *miss_text(enum schedule_miss m)
{
	switch (m) {
	case MISS_START: return _("did not start");
	case MISS_FINISH: return _("did not complete in time");
	case MISS_FAILED: return _("failed");
	default: return "";
	}
}

static void health_draw(struct ui *ui, int top, int rows)
{
	const struct model_health *h = &ui->model.health;
	int w = ui_screen_cols();
	char title[96], extra[96], buf[512];
	size_t missed = 0;
	for (size_t i = 0; i < h->n; i++)
		missed += h->rows[i].has_schedule && h->rows[i].state == SCHED_MISSED;
	snprintf(title, sizeof title, "%s (%zu)", _("Workflows"), h->n);
	if (missed > 0)
		snprintf(extra, sizeof extra, _("%zu schedule(s) missed"), missed);
	else
		extra[0] = '\0';
	ui_title_line(top, title, extra);
	if (!h->loaded) {
		ui_text(top + 2, 2, w - 4, UI_MUTED, _("Waiting for the workflows' health from the server…"));
		return;
	}
	if (h->n == 0) {
		ui_text(top + 2, 2, w - 4, UI_MUTED, _("No workflow has run or been scheduled yet."));
		return;
	}
	int name_w = w / 4 > 28 ? 28 : w / 4, last_w = 16, num_w = 5, sched_w = 14, state_w = 9;
	int x = 2, y = top + 1;
	x += ui_text(y, x, name_w, UI_MUTED, _("WORKFLOW")) + 0;
	x = 2 + name_w + 1;
	ui_text(y, x, last_w, UI_MUTED, _("LAST RUN"));
	x += last_w + 1;
	ui_text_right(y, x, num_w, UI_MUTED, _("RUN"));
	ui_text_right(y, x + num_w + 1, num_w, UI_MUTED, _("OK"));
	ui_text_right(y, x + 2 * (num_w + 1), num_w, UI_MUTED, _("FAIL"));
	x += 3 * (num_w + 1) + 1;
	ui_text(y, x, sched_w, UI_MUTED, _("SCHEDULE"));
	ui_text(y, x + sched_w + 1, w - x - sched_w - 1, UI_MUTED, _("EXPECTED RUN"));
	int body = rows - 2;
	if (body < 1)
		return;
	long found = -1;
	for (size_t i = 0; i < h->n && sel_id[0]; i++)
		if (strcmp(h->rows[i].workflow_id, sel_id) == 0)
			found = (long)i;
	ui_sel_follow(&ui->health_sel, h->n, found);
	ui_scroll_clamp(ui->health_sel, &ui->health_top, (size_t)body, h->n);
	for (int i = 0; i < body; i++) {
		size_t idx = ui->health_top + (size_t)i;
		if (idx >= h->n)
			break;
		const struct model_health_row *r = &h->rows[idx];
		int ry = y + 1 + i;
		bool sel = idx == ui->health_sel;
		if (sel)
			ui_fill(ry, 0, w, UI_SELECTION);
		enum ui_element st_el;
		const char *st = state_text(r, &st_el);
		/* A missed run or a failed last one first; else running; else the
		 * last run's own mark (a cancelled run is no success). */
		const char *mark = r->has_schedule && r->state == SCHED_MISSED ? ui_sym(SYM_CROSS)
				   : r->has_last && r->last_status == EXEC_FAILED ? ui_sym(SYM_CROSS)
				   : r->running > 0 ? ui_sym(SYM_BULLET)
				   : r->has_last ? ui_status_symbol((enum model_status)r->last_status)
				   : ui_sym(SYM_PENDING);
		ui_text(ry, 0, 1, sel ? UI_SELECTION : st_el == UI_STATUS_FAILED ? UI_STATUS_FAILED : UI_NORMAL, mark);
		ui_text(ry, 2, name_w, sel ? UI_SELECTION : UI_NORMAL, r->name);
		x = 2 + name_w + 1;
		if (r->has_last) {
			char ago[48];
			i18n_format_elapsed(ui->now_ms - r->last_finished_ms, ago, sizeof ago);
			snprintf(buf, sizeof buf, "%s %s", ui_status_text((enum model_status)r->last_status), ago);
		} else {
			snprintf(buf, sizeof buf, "-");
		}
		ui_text(ry, x, last_w, sel ? UI_SELECTION : r->has_last ? ui_status_element((enum model_status)r->last_status)
								       : UI_MUTED, buf);
		x += last_w + 1;
		int64_t nums[3] = { r->running + r->queued, r->completed, r->failed };
		for (int k = 0; k < 3; k++) {
			snprintf(buf, sizeof buf, "%lld", (long long)nums[k]);
			ui_text_right(ry, x + k * (num_w + 1), num_w, sel ? UI_SELECTION : k == 2 && nums[k] ? UI_STATUS_FAILED
											      : UI_NORMAL, buf);
		}
		x += 3 * (num_w + 1) + 1;
		ui_text(ry, x, sched_w, sel ? UI_SELECTION : UI_MUTED, r->has_schedule ? r->schedule_text : "-");
		int sx = x + sched_w + 1;
		if (!r->has_schedule)
			continue;
		sx += ui_text(ry, sx, state_w, sel ? UI_SELECTION : st_el, st) + 1;
		/* What was missed first: on a narrow screen the times are cut, not it. */
		if (r->state == SCHED_MISSED && strcmp(r->expected_local, r->due_local) == 0)
			snprintf(buf, sizeof buf, "%s (%s %s)", miss_text(r->miss), _("due"), r->due_local);
		else if (r->state == SCHED_MISSED)
			snprintf(buf, sizeof buf, "%s: %s (%s %s)", miss_text(r->miss), r->expected_local, _("due"),
				 r->due_local);
		else if (r->next_ms > 0) {
			char t[32];
			i18n_format_time(r->next_ms, t, sizeof t);
			snprintf(buf, sizeof buf, "%s %s", _("next"), t);
		} else
			buf[0] = '\0';
		ui_text(ry, sx, w - sx, sel ? UI_SELECTION : st_el == UI_STATUS_FAILED ? UI_STATUS_FAILED : UI_MUTED, buf);
	}
}

static void health_hints(struct ui *ui, int y)
{
	(void)ui;
	int x = 0;
	ui_hint(y, &x, "Enter", _("Executions"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
	ui_hint(y, &x, "q", _("Quit"), false);
}

void ui_health_open(struct ui *ui, const char *workflow_id)
{
	if (workflow_id != NULL && workflow_id[0] != '\0')
		snprintf(sel_id, sizeof sel_id, "%s", workflow_id);
	ui_set_view(ui, VIEW_HEALTH);
}

static void health_enter(struct ui *ui)
{
	if (session_want(ui->session, HEALTH_ROOM) != 0)
		ui_message(ui, UI_ERROR, "%s", _("too many rooms open"));
}

static void health_leave(struct ui *ui)
{
	session_unwant(ui->session, HEALTH_ROOM);
}

static int health_tick_ms(struct ui *ui)
{
	(void)ui;
	return 1000;   /* "ago" moves */
}

const struct ui_view_ops ui_view_health = {
	.name = N_("Workflows"),
	.keys = health_keys,
	.nkeys = sizeof health_keys / sizeof health_keys[0],
	.enter = health_enter,
	.leave = health_leave,
	.draw = health_draw,
	.tick_ms = health_tick_ms,
	.hints = health_hints,
};
