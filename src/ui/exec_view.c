/* exec_view.c: one execution in full: its steps, counters and live log, the
 * key table and drawing (see ui_view.h). */
#include "ui_view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ui_screen.h"
#include "xalloc.h"

/* ---- execution ----------------------------------------------------------------------------- */

static void exec_select(struct ui *ui, long delta)
{
	struct model_detail *d = &ui->model.detail;
	if (ui->log_focus) {
		ui_textpane_scroll(&ui->log, delta);
		return;
	}
	if (ui_sel_move(&ui->step_sel, d->exec.x.nsteps, delta))
		snprintf(ui->step_sel_id, sizeof ui->step_sel_id, "%s", d->exec.x.steps[ui->step_sel].id);
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
	if (d->exec.x.nsteps == 0 || ui->step_sel >= d->exec.x.nsteps)
		return;
	snprintf(ui->step_id, sizeof ui->step_id, "%s", d->exec.x.steps[ui->step_sel].id);
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
static void k_exec_cancel(struct ui *ui) { ui_exec_control_ask(ui, &ui->model.detail.exec.x, CONTROL_CANCEL); }
static void k_exec_retry(struct ui *ui) { ui_exec_control_ask(ui, &ui->model.detail.exec.x, CONTROL_RETRY); }

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
	{ 'c', "c", N_("cancel the execution (asks first; operators, admins)"), k_exec_cancel },
	{ 'r', "r", N_("retry the failed execution (asks first; operators, admins)"), k_exec_retry },
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
		static const enum ui_element lvl_el[LEVEL__COUNT] = {
			[LEVEL_DEBUG] = UI_LOG_DEBUG, [LEVEL_INFO] = UI_LOG_INFO,
			[LEVEL_WARN] = UI_LOG_WARN, [LEVEL_ERROR] = UI_LOG_ERROR,
		};
		char t[32], line[PROTO_MAX_TEXT + 256];
		i18n_format_time(l->ts_ms, t, sizeof t);
		const char *first = l->text ? l->text : "";
		size_t flen = strcspn(first, "\n");
		if (l->kind == MLOG_TEXT) {
			snprintf(line, sizeof line, "%s %-5s %s%s%.*s", t, l->level == LEVEL_WARN ? "WARN" :
				 l->level == LEVEL_ERROR ? "ERROR" : l->level == LEVEL_DEBUG ? "DEBUG" : "INFO",
				 l->step_id[0] ? l->step_id : "", l->step_id[0] ? ": " : "", (int)flen, first);
		} else {
			snprintf(line, sizeof line, "%s %s%s%s%s%.*s", t, ui_log_kind_text(l->kind),
				 l->step_id[0] ? ": " : "", l->step_id, flen ? " - " : "", (int)flen, first);
		}
		ui_textpane_add(&ui->log, l->kind == MLOG_TEXT ? lvl_el[l->level]
				: l->level == LEVEL_ERROR ? UI_LOG_ERROR : UI_STATUS_OK, line);
	}
	ui->log_seen = d->log_total;
}

/* A unit the producer named, in the language shown when it is a common
 * one ("days" -> "dni"), else as the producer wrote it. */
static const char *unit_text(const char *unit)
{
	static const char *const known[] = { N_("days"), N_("documents"), N_("invoices"), N_("files"),
					     N_("records"), N_("items") };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(unit, known[i]) == 0)
			return _(known[i]);
	return unit;
}

/* The progress line: one unit for the label, the bar and the percentage. */
static void exec_progress_line(struct ui *ui, int y, enum model_status st)
{
	const struct exec *x = &ui->model.detail.exec.x;
	int w = ui_screen_cols();
	struct model_progress p;
	model_exec_progress(x, &p);
	char buf[512], pct[32], done[32], total[32];
	i18n_format_count(p.total, total, sizeof total);
	i18n_format_count(p.unit == NULL && !model_status_finished(st) && p.done < p.total ? p.done + 1 : p.done,
			  done, sizeof done);
	if (p.unit != NULL)
		snprintf(buf, sizeof buf, _("Processing %s of %s %s (%s)"), done, total, unit_text(p.unit),
			 p.step->name ? p.step->name : p.step->id);
	else if (model_status_finished(st))
		snprintf(buf, sizeof buf, _("%s of %s steps completed"), done, total);
	else
		snprintf(buf, sizeof buf, _("Processing %s of %s steps"), done, total);
	i18n_format_percent(p.total > 0 ? 100.0 * (double)p.done / (double)p.total : 0, 0, pct, sizeof pct);
	int bw = w / 4 > 30 ? 30 : w / 4;
	int pw = ui_width(pct) + 1;
	int x0 = 1 + ui_text(y, 1, w - bw - pw - 4, UI_NORMAL, buf) + 2;
	ui_bar_ratio(y, x0, bw, p.done, p.total, st == MS_FAILED ? UI_STATUS_FAILED : UI_GRAPH);
	ui_text(y, x0 + bw + 1, pw, UI_NORMAL, pct);
}

/* The steps, as a table fitted by display width. */
enum step_col { SC_MARK, SC_NAME, SC_STATUS, SC_TIME, SC_MORE, SC__COUNT };

static void exec_steps_layout(struct ui_table *t, struct ui_col cols[SC__COUNT], int w)
{
	const char *st[STEP__COUNT];
	for (int i = 0; i < STEP__COUNT; i++)
		st[i] = ui_step_status_text((enum exec_step_status)i);
	const struct ui_col c[SC__COUNT] = {
		[SC_MARK] = { "", 1, 0, 0, 0, false },
		[SC_NAME] = { "", 12, w / 3 > 36 ? 36 : w / 3, 0, 0, false },
		[SC_STATUS] = { "", ui_words_width(st, STEP__COUNT), 0, 0, 0, false },
		[SC_TIME] = { "", 8, 11, 0, 0, true },
		[SC_MORE] = { "", 0, 0, 1, 1, false },
	};
	memcpy(cols, c, sizeof c);
	ui_table_layout(t, cols, SC__COUNT, 1, w - 2);
}

static void exec_draw(struct ui *ui, int top, int rows)
{
	struct model_detail *d = &ui->model.detail;
	int w = ui_screen_cols();
	char buf[512], num[64];
	exec_sync_log(ui);
	enum model_status st = model_exec_status(&d->exec, ui->now_ms, ui->stale_ms);

	/* Title: workflow, id, status, LIVE badge, time, priority; or, for an
	 * id the server does not know, only that. */
	ui_fill(top, 0, w, UI_BORDER);
	int x = 1;
	if (ui_exec_unknown(ui)) {
		x += ui_text(top, x, w - x, UI_MUTED, ui->exec_id);
		x += ui_text(top, x, w - x, UI_NORMAL, "  ");
		ui_text(top, x, w - x, UI_STATUS_FAILED, _("not found"));
		ui_exec_not_found(ui, top + 2);
		return;
	}
	x += ui_text(top, x, w - x, UI_TITLE, exec_workflow_name(&d->exec.x)[0] ? exec_workflow_name(&d->exec.x) : ui->exec_id);
	x += ui_text(top, x, w - x, UI_NORMAL, " ");
	x += ui_text(top, x, w - x, UI_MUTED, ui->exec_id);
	if (!d->loaded) {
		ui_text(top + 2, 2, w - 4, UI_MUTED, _("Loading…"));
		return;
	}
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
	/* Its last events came from this node's outbox while the cluster's Redis
	 * is away: shown, not numbered yet (the header says the node's backlog). */
	char room[PROTO_MAX_ROOM + 1];
	snprintf(room, sizeof room, "execution:%s", ui->exec_id);
	size_t pending = model_room_pending(&ui->model, room);
	if (pending > 0) {
		snprintf(buf, sizeof buf, ngettext(" %llu EVENT PENDING ", " %llu EVENTS PENDING ", pending),
			 (unsigned long long)pending);
		x += ui_text(top, x, w - x, UI_BADGE_RECONNECTING, buf);
	}
	ui_exec_duration_text(&d->exec, ui->now_ms, num, sizeof num);
	snprintf(buf, sizeof buf, "  %s %s  %s %s", model_status_finished(st) ? _("took") : _("elapsed"),
		 num, _("priority"), ui_prio_text(d->exec.x.priority));
	x += ui_text(top, x, w - x, UI_MUTED, buf);
	if (d->exec.x.attempt > 1) {
		snprintf(buf, sizeof buf, "  %s %u", _("attempt"), d->exec.x.attempt);
		x += ui_text(top, x, w - x, UI_STATUS_STALE, buf);
	}
	/* An operator's request, until the producer has done it. */
	enum ui_element ctl_el;
	char ctl[PROTO_MAX_TEXT];
	if (ui_exec_control_text(&d->exec.x, ctl, sizeof ctl, &ctl_el)) {
		ui_text(top, x, w - x, ctl_el, "  ");
		ui_text(top, x + 2, w - x - 2, ctl_el, ctl);
	}

	exec_progress_line(ui, top + 1, st);

	/* Why it failed or was cancelled, its labels, then the counters, counting up live. */
	x = 1;
	if (d->exec.x.error != NULL && model_status_finished(st)) {
		size_t n = strcspn(d->exec.x.error, "\n");
		snprintf(buf, sizeof buf, "%s: %.*s", _("error"), (int)(n < 400 ? n : 400), d->exec.x.error);
		x += ui_text(top + 2, x, w - x, UI_STATUS_FAILED, buf) + 3;
	}
	for (uint32_t i = 0; i < d->exec.x.nlabels && x < w - 4; i++) {
		snprintf(buf, sizeof buf, "%s=%s", d->exec.x.labels[i].key, d->exec.x.labels[i].value);
		x += ui_text(top + 2, x, w - x, UI_MUTED, buf);
		x += ui_text(top + 2, x, w - x, UI_NORMAL, "  ");
	}
	for (uint32_t i = 0; i < d->exec.x.ncounters && x < w - 4; i++) {
		i18n_format_count(d->exec.x.counters[i].value, num, sizeof num);
		snprintf(buf, sizeof buf, "%s: ", d->exec.x.counters[i].name);
		x += ui_text(top + 2, x, w - x, UI_MUTED, buf);
		x += ui_text(top + 2, x, w - x, UI_COUNTER, num);
		x += ui_text(top + 2, x, w - x, UI_NORMAL, "   ");
	}
	if (d->exec.x.ncounters == 0 && x == 1)
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
	snprintf(buf, sizeof buf, "%s (%u)", _("Steps"), d->exec.x.nsteps);
	ui_title_line(sy, buf, ui->log_focus ? "" : _("Tab: log"));
	long found = -1;
	if (ui->step_sel_id[0] != '\0')
		for (uint32_t i = 0; i < d->exec.x.nsteps; i++)
			if (strcmp(d->exec.x.steps[i].id, ui->step_sel_id) == 0)
				found = i;
	ui_sel_follow(&ui->step_sel, d->exec.x.nsteps, found);
	ui_scroll_clamp(ui->step_sel, &ui->step_top, (size_t)step_rows, d->exec.x.nsteps);
	struct ui_col cols[SC__COUNT];
	struct ui_table t;
	exec_steps_layout(&t, cols, w);
	for (int i = 0; i < step_rows; i++) {
		size_t idx = ui->step_top + (size_t)i;
		if (idx >= d->exec.x.nsteps)
			break;
		const struct exec_step *s = &d->exec.x.steps[idx];
		int y = sy + 1 + i;
		bool sel = idx == ui->step_sel && !ui->log_focus;
		if (sel)
			ui_fill(y, 0, w, UI_SELECTION);
		enum ui_element el = sel ? UI_SELECTION : ui_step_status_element(s->status);
		const char *mark = s->status == STEP_COMPLETED ? ui_sym(SYM_CHECK)
				   : s->status == STEP_FAILED ? ui_sym(SYM_CROSS)
				   : s->status == STEP_RUNNING ? ui_spinner(ui->spin) : ui_sym(SYM_PENDING);
		ui_table_cell(&t, y, SC_MARK, el, mark);
		ui_table_cell(&t, y, SC_NAME, sel ? UI_SELECTION : s->status == STEP_PENDING ? UI_STATUS_PENDING : UI_NORMAL,
			      s->name ? s->name : s->id);
		ui_table_cell(&t, y, SC_STATUS, el, ui_step_status_text(s->status));
		ui_step_duration_text(s, ui->now_ms, num, sizeof num);
		ui_table_cell(&t, y, SC_TIME, sel ? UI_SELECTION : UI_NORMAL, s->status == STEP_PENDING ? "" : num);
		/* A retried step: its attempt, and how the one before ended. */
		char att[24] = "";
		if (s->attempt > 1 || s->ntries > 0) {
			const struct exec_try *prev = s->ntries ? &s->tries[s->ntries - 1] : NULL;
			if (prev != NULL && prev->error != NULL && s->status != STEP_FAILED) {
				snprintf(buf, sizeof buf, "#%u  %s %u: %.*s", s->attempt, _("attempt"), prev->attempt,
					 (int)strcspn(prev->error, "\n"), prev->error);
				ui_table_cell(&t, y, SC_MORE, sel ? UI_SELECTION : UI_STATUS_STALE, buf);
				continue;
			}
			snprintf(att, sizeof att, "#%u ", s->attempt);
		}
		if (s->status == STEP_FAILED && s->error != NULL) {
			size_t n = strcspn(s->error, "\n");
			snprintf(buf, sizeof buf, "%s%.*s", att, (int)(n < 400 ? n : 400), s->error);
			ui_table_cell(&t, y, SC_MORE, sel ? UI_SELECTION : UI_STATUS_FAILED, buf);
		} else if (s->status == STEP_RUNNING && s->progress_total > 0) {
			char cur[32], tot[32];
			i18n_format_count(s->progress_current, cur, sizeof cur);
			i18n_format_count(s->progress_total, tot, sizeof tot);
			snprintf(buf, sizeof buf, "%s%s/%s %s", att, cur, tot,
				 s->progress_unit ? unit_text(s->progress_unit) : "");
			ui_table_cell(&t, y, SC_MORE, sel ? UI_SELECTION : UI_MUTED, buf);
		} else if (att[0] != '\0') {
			ui_table_cell(&t, y, SC_MORE, sel ? UI_SELECTION : UI_STATUS_STALE, att);
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
	for (uint32_t i = 0; i < d->exec.x.nsteps; i++)
		if (d->exec.x.steps[i].status == STEP_RUNNING)
			return 250;   /* the spinner */
	return d->exec.x.status == EXEC_RUNNING ? 1000 : 0;
}

static void exec_hints(struct ui *ui, int y)
{
	int x = 0;
	ui_hint(y, &x, "Enter", _("Step"), false);
	ui_hint(y, &x, "Tab", _("Log"), false);
	ui_hint(y, &x, "t", _("Timeline"), false);
	if (!ui->opt->readonly) {
		ui_hint(y, &x, "c", _("Cancel"), false);
		ui_hint(y, &x, "r", _("Retry"), false);
	}
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
