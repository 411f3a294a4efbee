/* dashboard_view.c: the dashboard (see ui_view.h, ui_dashboard.h): the
 * shown dashboard laid out on the terminal (dashboard_grid.h), a selected
 * widget, Enter to its full view, switching between the user's dashboards,
 * and the editor: a view of its own (VIEW_DASHBOARD_EDIT) whose keys move,
 * resize, add (a picker of types with a live preview), remove, configure
 * and rename, with undo, save, and Esc for the saved layout.
 *
 * Invariants: the shown dashboard only changes through the editor
 * (dashboard_grid.h: every change keeps it valid) or an answer of the
 * daemon (dashboard_model.h); --readonly never enters the editor nor sends
 * a change; the cache is rebuilt when the model changed or a second passed,
 * never per frame otherwise; requests leave the outbox only while LIVE. */
#include "ui_dashboard.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dashboard_grid.h"
#include "i18n.h"
#include "ui_screen.h"
#include "xalloc.h"

struct dashboard_view {
	struct ui_dash_cache cache;
	size_t sel;                 /* the selected widget's index */
	int top;                    /* first line of the layout shown */
	struct dg_editor ed;
	bool picking;
	size_t pick;                /* the picker's selected type */
	bool changed;               /* edited since the last save or load */
	bool is_new;                /* the editor holds a new dashboard (N): saving creates, never renames */
	uint64_t reply_seen;
	bool rooms_wanted[2];       /* view_rooms[i] is ours (a widget reads it) */
	struct dash_widget preview; /* the picker's widget */
};

static struct dashboard_view *dv_of(struct ui *ui)
{
	if (ui->dash == NULL)
		ui->dash = xcalloc(1, sizeof *ui->dash);
	return ui->dash;
}

static struct dashboard *shown(struct ui *ui)
{
	return ui->model.dash.shown;
}

static int body_rows(void)
{
	/* Header and footer take two lines each. */
	return ui_screen_rows() - 4;
}

/* ---- the cache ------------------------------------------------------------------------------ */

static struct taxcal_date today(int64_t now_ms)
{
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	return (struct taxcal_date){ tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday };
}

static void cache_widget(struct ui *ui, struct ui_dash_cache *c, size_t k, const struct dash_widget *w)
{
	c->nrunning[k] = 0;
	c->ndeadlines[k] = 0;
	if (w->type == DW_ACTIVE_EXECUTIONS)
		c->nrunning[k] = dashboard_data_running(&ui->model, w->cfg.workflow, c->running[k],
							 w->cfg.limit > 0 && w->cfg.limit < UI_DASH_RUNNING_MAX
								 ? (size_t)w->cfg.limit : UI_DASH_RUNNING_MAX);
	else if (w->type == DW_TAX_DEADLINES)
		c->ndeadlines[k] = dashboard_data_deadlines(&ui->model, &w->cfg, today(ui->now_ms), c->deadlines[k],
							    UI_DASH_DEADLINES_MAX);
}

const struct ui_dash_cache *ui_dashboard_cache(struct ui *ui)
{
	struct dashboard_view *v = dv_of(ui);
	struct ui_dash_cache *c = &v->cache;
	const struct dashboard *d = shown(ui);
	if (c->execs_serial == ui->model.execs_serial && c->built_s == ui->now_ms / 1000 &&
	    c->dash_serial == ui->model.dash.serial && c->health_serial == ui->model.health.serial)
		return c;
	c->health_serial = ui->model.health.serial;
	c->execs_serial = ui->model.execs_serial;
	c->built_s = ui->now_ms / 1000;
	c->dash_serial = ui->model.dash.serial;
	dashboard_data_summary(&ui->model, ui->now_ms, ui->stale_ms, &c->summary);
	c->nhealth = dashboard_data_health(&ui->model, ui->now_ms, ui->stale_ms, c->health, UI_DASH_HEALTH_MAX);
	for (size_t k = 0; d != NULL && k < d->nwidgets; k++)
		cache_widget(ui, c, k, &d->widgets[k]);
	return c;
}

size_t ui_dashboard_slot(struct ui *ui, const struct dash_widget *w)
{
	const struct dashboard *d = shown(ui);
	if (d != NULL && w >= d->widgets && w < d->widgets + d->nwidgets)
		return (size_t)(w - d->widgets);
	return DASH_MAX_WIDGETS;
}

/* ---- drawing -------------------------------------------------------------------------------- */

static const char *widget_title(const struct dash_widget *w)
{
	return w->title[0] ? w->title : _(ui_dash_type_of(w->type)->title);
}

static void draw_widget(struct ui *ui, const struct dash_widget *w, struct ui_rect r, bool selected, bool editing)
{
	/* A column of separation from the widget on the left. */
	if (r.x > 0) {
		for (int i = 0; i < r.h; i++)
			ui_text(r.y + i, r.x, 1, UI_BORDER, ui_sym(SYM_VLINE));
		r.x++;
		r.w--;
	}
	if (r.w < 4 || r.h < 1)
		return;
	char title[DASH_TITLE_MAX * 4 + 64], extra[PROTO_MAX_ID + 64] = "";
	snprintf(title, sizeof title, "%s%s", selected ? ui_sym(SYM_SELECT) : " ", widget_title(w));
	if (editing && selected) {
		/* Its place and what is configured: workflow, range, rows. */
		char lim[16] = "";
		if (w->cfg.limit > 0)
			snprintf(lim, sizeof lim, " n%d", w->cfg.limit);
		snprintf(extra, sizeof extra, "%s%s%s%s%d,%d %dx%d", w->cfg.workflow, w->cfg.workflow[0] ? " " : "",
			 w->cfg.range, w->cfg.range[0] ? " " : "", w->x, w->y, w->w, w->h);
		snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "%s", lim);
	}
	else if (w->cfg.workflow[0])
		snprintf(extra, sizeof extra, "%s", w->cfg.workflow);
	enum ui_element el = selected ? UI_SELECTION : UI_TITLE;
	ui_fill(r.y, r.x, r.w, el);
	int ew = extra[0] ? ui_width(extra) + 1 : 0;
	ui_text(r.y, r.x, r.w - ew, el, title);
	if (ew > 0 && ew < r.w)
		ui_text_right(r.y, r.x + r.w - ew, ew - 1, el, extra);
	if (r.h > 1)
		ui_dash_type_of(w->type)->draw(ui, w, (struct ui_rect){ r.y + 1, r.x, r.h - 1, r.w });
}

static void draw_picker(struct ui *ui, int top, int rows)
{
	struct dashboard_view *v = dv_of(ui);
	int cols = ui_screen_cols(), lw = cols >= 100 ? 44 : cols / 2;
	for (int i = 0; i < rows; i++)
		ui_fill(top + i, 0, cols, UI_NORMAL);
	ui_title_line(top, _("Add a widget"), _("Enter: add  Esc: cancel"));
	for (int t = 0; t < DW__COUNT && 1 + 2 * t < rows; t++) {
		const struct ui_dash_type *ty = ui_dash_type_of((enum dash_type)t);
		bool sel = (size_t)t == v->pick;
		ui_fill(top + 1 + t, 0, lw, sel ? UI_SELECTION : UI_NORMAL);
		char name[128];
		snprintf(name, sizeof name, "%s%s", sel ? ui_sym(SYM_SELECT) : " ", _(ty->title));
		ui_text(top + 1 + t, 0, lw, sel ? UI_SELECTION : UI_NORMAL, name);
	}
	/* The preview: the type drawn with live data, with its description. */
	const struct ui_dash_type *ty = ui_dash_type_of((enum dash_type)v->pick);
	memset(&v->preview, 0, sizeof v->preview);
	v->preview.type = (enum dash_type)v->pick;
	snprintf(v->preview.id, sizeof v->preview.id, "preview");
	cache_widget(ui, &v->cache, DASH_MAX_WIDGETS, &v->preview);
	int px = lw + 1, pw = cols - px;
	ui_text(top + 1, px, pw, UI_MUTED, _(ty->about));
	int w, h;
	dashboard_type_default_size(v->preview.type, DASH_MAX_COLUMNS, &w, &h);
	if (h > rows - 3)
		h = rows - 3;
	if (h > 0)
		draw_widget(ui, &v->preview, (struct ui_rect){ top + 2, px, h, pw }, false, false);
}

static void dash_draw(struct ui *ui, int top, int rows)
{
	struct dashboard_view *v = dv_of(ui);
	dash_model_prepare(&ui->model.dash, body_rows());
	if (v->picking) {
		draw_picker(ui, top, rows);
		return;
	}
	const struct dashboard *d = shown(ui);
	int cols = ui_screen_cols();
	if (d == NULL || d->nwidgets == 0) {
		ui_text(top + 1, 2, cols - 4, UI_MUTED,
			ui->view_id == VIEW_DASHBOARD_EDIT ? _("An empty dashboard: a adds a widget.")
							   : _("An empty dashboard: e edits it, then a adds a widget."));
		return;
	}
	if (v->sel >= d->nwidgets)
		v->sel = 0;
	ui_dashboard_cache(ui);
	struct dg_layout l;
	dashboard_grid_layout(d, cols, &l);
	/* Scroll so that the selected widget is in view. */
	const struct dg_rect *s = &l.rect[v->sel];
	if (s->y < v->top)
		v->top = s->y;
	if (s->y + (s->h < rows ? s->h : rows) > v->top + rows)
		v->top = s->y + (s->h < rows ? s->h : rows) - rows;
	if (v->top > 0 && l.rows - v->top < rows)
		v->top = l.rows > rows ? l.rows - rows : 0;
	bool editing = ui->view_id == VIEW_DASHBOARD_EDIT;
	for (size_t i = 0; i < l.n; i++) {
		struct dg_rect r = l.rect[i];
		int y0 = r.y - v->top, y1 = y0 + r.h;
		if (y1 <= 0 || y0 >= rows)
			continue;
		/* Clip to the body: a widget cut at the top loses its title line. */
		if (y0 < 0)
			y0 = 0;
		if (y1 > rows)
			y1 = rows;
		draw_widget(ui, &d->widgets[i], (struct ui_rect){ top + y0, r.x, y1 - y0, r.w }, i == v->sel, editing);
	}
	if (l.rows > rows) {
		char more[64];
		snprintf(more, sizeof more, " %d-%d/%d ", v->top + 1, v->top + rows < l.rows ? v->top + rows : l.rows,
			 l.rows);
		ui_text_right(top + rows - 1, cols - ui_width(more), ui_width(more), UI_MUTED, more);
	}
}

static int dash_tick(struct ui *ui)
{
	(void)ui;
	return 1000;   /* elapsed times, spinners, stale executions */
}

static void dash_hints(struct ui *ui, int y)
{
	const struct dash_model *dm = &ui->model.dash;
	struct dashboard_view *v = dv_of(ui);
	int x = 0;
	char name[DASH_NAME_MAX * 4 + 64];
	const struct dashboard *d = shown(ui);
	snprintf(name, sizeof name, " %s%s%s ", d ? d->name : "", dm->builtin ? _(" (built-in)") : "",
		 d && d->is_default ? _(" (default)") : "");
	if (ui->view_id == VIEW_DASHBOARD_EDIT) {
		ui_hint(y, &x, v->changed ? _("EDITING*") : _("EDITING"), name, true);
		if (v->picking) {
			ui_hint(y, &x, "Enter", _("add"), true);
			ui_hint(y, &x, "Esc", _("cancel"), true);
			return;
		}
		ui_hint(y, &x, "hjkl", _("move"), true);
		ui_hint(y, &x, "HJKL", _("size"), true);
		ui_hint(y, &x, "a", _("add"), true);
		ui_hint(y, &x, "d", _("remove"), true);
		ui_hint(y, &x, "u", _("undo"), true);
		ui_hint(y, &x, "s", _("save"), true);
		ui_hint(y, &x, "Esc", _("leave"), true);
		return;
	}
	ui_hint(y, &x, _("Dashboard"), name, true);
	ui_hint(y, &x, "Tab", _("select"), true);
	ui_hint(y, &x, "Enter", _("open"), true);
	ui_hint(y, &x, "[ ]", _("switch"), dm->nlist > 1);
	ui_hint(y, &x, "e", _("edit"), !ui->opt->readonly);
	ui_hint(y, &x, "?", _("help"), true);
}

/* ---- selection and opening ---------------------------------------------------------------------- */

static void select_dir(struct ui *ui, enum dg_dir dir)
{
	const struct dashboard *d = shown(ui);
	if (d == NULL || d->nwidgets == 0)
		return;
	struct dg_layout l;
	dashboard_grid_layout(d, ui_screen_cols(), &l);
	dv_of(ui)->sel = dashboard_grid_neighbour(&l, dv_of(ui)->sel, dir);
}

static void select_next(struct ui *ui, bool back)
{
	const struct dashboard *d = shown(ui);
	if (d == NULL || d->nwidgets == 0)
		return;
	struct dg_layout l;
	dashboard_grid_layout(d, ui_screen_cols(), &l);
	dv_of(ui)->sel = dashboard_grid_next(&l, dv_of(ui)->sel, back);
}

static void k_left(struct ui *ui) { select_dir(ui, DG_LEFT); }
static void k_right(struct ui *ui) { select_dir(ui, DG_RIGHT); }
static void k_up(struct ui *ui) { select_dir(ui, DG_UP); }
static void k_down(struct ui *ui) { select_dir(ui, DG_DOWN); }
static void k_next(struct ui *ui) { select_next(ui, false); }
static void k_prev(struct ui *ui) { select_next(ui, true); }

static void k_open(struct ui *ui)
{
	const struct dashboard *d = shown(ui);
	if (d == NULL || d->nwidgets == 0)
		return;
	const struct dash_widget *w = &d->widgets[dv_of(ui)->sel < d->nwidgets ? dv_of(ui)->sel : 0];
	ui_dash_type_of(w->type)->open(ui, w);
}

/* ---- dashboards: switch, new, duplicate, delete, default ------------------------------------------ */

static bool refuse_readonly(struct ui *ui)
{
	if (ui->opt->readonly) {
		ui_message(ui, UI_ERROR, "%s", _("read-only console (--readonly): dashboards cannot be changed"));
		return true;
	}
	if (ui->model.dash.unavailable) {
		ui_message(ui, UI_ERROR, "%s", _("the server keeps no dashboards (it runs without a database)"));
		return true;
	}
	return false;
}

void ui_dashboard_open(struct ui *ui, const char *name)
{
	struct dash_model *dm = &ui->model.dash;
	if (name == NULL || name[0] == '\0') {
		char list[1024] = "";
		for (size_t i = 0; i < dm->nlist; i++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s%s", i ? ", " : "", dm->list[i].name,
				 dm->list[i].is_default ? "*" : "");
		ui_set_view(ui, VIEW_DASHBOARD);
		if (dm->nlist == 0)
			ui_message(ui, UI_MESSAGE, "%s", _("no saved dashboards yet: e edits this one, s saves it"));
		else
			ui_message(ui, UI_MESSAGE, _("dashboards: %s (:dashboard NAME opens one)"), list);
		return;
	}
	bool known = false;
	for (size_t i = 0; i < dm->nlist; i++)
		known |= strcmp(dm->list[i].name, name) == 0;
	if (!known) {
		ui_message(ui, UI_ERROR, _("no dashboard named %s (N creates one)"), name);
		return;
	}
	ui_set_view(ui, VIEW_DASHBOARD);
	dv_of(ui)->sel = 0;
	dv_of(ui)->top = 0;
	dash_model_open(dm, name);
}

static void switch_by(struct ui *ui, int delta)
{
	struct dash_model *dm = &ui->model.dash;
	if (dm->nlist == 0) {
		ui_message(ui, UI_MESSAGE, "%s", _("no saved dashboards to switch to"));
		return;
	}
	size_t at = dm->nlist;
	for (size_t i = 0; i < dm->nlist && dm->shown; i++)
		if (strcmp(dm->list[i].name, dm->shown->name) == 0)
			at = i;
	size_t next = at == dm->nlist ? 0 : (at + dm->nlist + (size_t)(delta + (int)dm->nlist)) % dm->nlist;
	ui_dashboard_open(ui, dm->list[next].name);
}

static void k_next_dash(struct ui *ui) { switch_by(ui, 1); }
static void k_prev_dash(struct ui *ui) { switch_by(ui, -1); }

static bool name_ok(struct ui *ui, const char *name)
{
	struct proto_cause cause;
	if (dashboard_name_check(name, &cause) != 0) {
		ui_message(ui, UI_ERROR, _("a dashboard name: %s"), cause.message);
		return false;
	}
	return true;
}

static void enter_editor(struct ui *ui)
{
	struct dashboard_view *v = dv_of(ui);
	dashboard_edit_free(&v->ed);
	dashboard_edit_init(&v->ed, shown(ui));
	v->picking = false;
	ui_set_view(ui, VIEW_DASHBOARD_EDIT);
}

static void on_new_name(struct ui *ui, const char *name)
{
	if (!name_ok(ui, name))
		return;
	struct dashboard *d = shown(ui);
	memset(d, 0, sizeof *d);
	snprintf(d->name, sizeof d->name, "%s", name);
	d->columns = DASH_MAX_COLUMNS;
	d->is_default = ui->model.dash.nlist == 0;
	size_t at;
	struct dg_editor e;
	dashboard_edit_init(&e, d);
	dashboard_edit_add(&e, DW_SUMMARY, 12, 3, &at);
	dashboard_edit_free(&e);
	enter_editor(ui);
	dv_of(ui)->changed = true;
	dv_of(ui)->is_new = true;
	ui_message(ui, UI_MESSAGE, _("new dashboard %s: a adds widgets, s saves it"), name);
}

static void k_new(struct ui *ui)
{
	if (!refuse_readonly(ui))
		ui_ask(ui, PROMPT_ASK, _("new dashboard's name: "), on_new_name);
}

static void on_copy_name(struct ui *ui, const char *name)
{
	if (!name_ok(ui, name))
		return;
	struct dashboard *d = shown(ui);
	snprintf(d->name, sizeof d->name, "%s", name);
	d->is_default = false;
	dash_model_save(&ui->model.dash, NULL);
	ui_message(ui, UI_MESSAGE, _("saving a copy as %s…"), name);
}

static void k_copy(struct ui *ui)
{
	if (!refuse_readonly(ui))
		ui_ask(ui, PROMPT_ASK, _("name of the copy: "), on_copy_name);
}

static void on_delete(struct ui *ui, const char *answer)
{
	(void)answer;
	struct dash_model *dm = &ui->model.dash;
	if (dm->saved != NULL)
		dash_model_delete(dm, dm->saved->name);
}

static void k_delete(struct ui *ui)
{
	if (refuse_readonly(ui))
		return;
	struct dash_model *dm = &ui->model.dash;
	if (dm->saved == NULL) {
		ui_message(ui, UI_ERROR, "%s", _("the built-in dashboard cannot be deleted"));
		return;
	}
	char q[DASH_NAME_MAX * 4 + 64];
	snprintf(q, sizeof q, _("delete dashboard %s? (y/n) "), dm->saved->name);
	ui_ask(ui, PROMPT_CONFIRM, q, on_delete);
}

static void k_default(struct ui *ui)
{
	if (refuse_readonly(ui))
		return;
	struct dash_model *dm = &ui->model.dash;
	if (dm->saved == NULL) {
		ui_message(ui, UI_ERROR, "%s", _("save this dashboard first (e, then s)"));
		return;
	}
	dash_model_set_default(dm, dm->saved->name);
}

static void k_edit(struct ui *ui)
{
	if (!refuse_readonly(ui))
		enter_editor(ui);
}

static const struct ui_key dash_keys[] = {
	{ '\t', "Tab", N_("select the next widget (Shift-Tab: the previous)"), k_next },
	{ KEY_BTAB, NULL, NULL, k_prev },
	{ KEY_LEFT, "Arrows hjkl", N_("select the widget in that direction"), k_left },
	{ KEY_RIGHT, NULL, NULL, k_right },
	{ KEY_UP, NULL, NULL, k_up },
	{ KEY_DOWN, NULL, NULL, k_down },
	{ 'h', NULL, NULL, k_left },
	{ 'l', NULL, NULL, k_right },
	{ 'k', NULL, NULL, k_up },
	{ 'j', NULL, NULL, k_down },
	{ '\r', "Enter", N_("open the view behind the widget"), k_open },
	{ '\n', NULL, NULL, k_open },
	{ KEY_ENTER, NULL, NULL, k_open },
	{ ']', "] [", N_("the next (previous) dashboard"), k_next_dash },
	{ '[', NULL, NULL, k_prev_dash },
	{ 'e', "e", N_("edit this dashboard"), k_edit },
	{ 'N', "N", N_("a new dashboard"), k_new },
	{ 'C', "C", N_("save a copy under another name"), k_copy },
	{ 'x', "x", N_("delete this dashboard (asks first)"), k_delete },
	{ '*', "*", N_("make this the default dashboard (wfmon opens on it)"), k_default },
};

/* ---- the editor ---------------------------------------------------------------------------------- */

static void edited(struct ui *ui, bool ok, const char *refusal)
{
	if (ok)
		dv_of(ui)->changed = true;
	else
		ui_message(ui, UI_ERROR, "%s", refusal);
}

static void move_by(struct ui *ui, int dx, int dy)
{
	struct dashboard_view *v = dv_of(ui);
	edited(ui, dashboard_edit_move(&v->ed, v->sel, dx, dy),
	       _("it cannot go there: the grid ends or another widget is in the way"));
}

static void size_by(struct ui *ui, int dw, int dh)
{
	struct dashboard_view *v = dv_of(ui);
	edited(ui, dashboard_edit_resize(&v->ed, v->sel, dw, dh),
	       _("it cannot take that size: the grid ends, another widget is in the way, or it is as small as it gets"));
}

static void k_mleft(struct ui *ui) { move_by(ui, -1, 0); }
static void k_mright(struct ui *ui) { move_by(ui, 1, 0); }
static void k_mup(struct ui *ui) { move_by(ui, 0, -1); }
static void k_mdown(struct ui *ui) { move_by(ui, 0, 1); }
static void k_narrower(struct ui *ui) { size_by(ui, -1, 0); }
static void k_wider(struct ui *ui) { size_by(ui, 1, 0); }
static void k_shorter(struct ui *ui) { size_by(ui, 0, -1); }
static void k_taller(struct ui *ui) { size_by(ui, 0, 1); }

static void k_add(struct ui *ui)
{
	struct dashboard_view *v = dv_of(ui);
	if (shown(ui)->nwidgets >= DASH_MAX_WIDGETS) {
		ui_message(ui, UI_ERROR, _("a dashboard holds at most %d widgets"), DASH_MAX_WIDGETS);
		return;
	}
	v->picking = true;
}

static void on_remove(struct ui *ui, const char *answer)
{
	(void)answer;
	struct dashboard_view *v = dv_of(ui);
	edited(ui, dashboard_edit_remove(&v->ed, v->sel), _("nothing to remove"));
	if (v->sel > 0 && v->sel >= shown(ui)->nwidgets)
		v->sel = shown(ui)->nwidgets - 1;
}

static void k_remove(struct ui *ui)
{
	const struct dashboard *d = shown(ui);
	if (d->nwidgets == 0)
		return;
	char q[DASH_TITLE_MAX * 4 + 64];
	snprintf(q, sizeof q, _("remove the widget %s? (y/n) "), widget_title(&d->widgets[dv_of(ui)->sel]));
	ui_ask(ui, PROMPT_CONFIRM, q, on_remove);
}

static void k_undo(struct ui *ui)
{
	struct dashboard_view *v = dv_of(ui);
	if (!dashboard_edit_undo(&v->ed))
		ui_message(ui, UI_MESSAGE, "%s", _("nothing to undo"));
	if (v->sel >= shown(ui)->nwidgets)
		v->sel = 0;
}

static struct dash_widget *selected(struct ui *ui)
{
	struct dashboard *d = shown(ui);
	return d->nwidgets ? &d->widgets[dv_of(ui)->sel] : NULL;
}

static void on_title(struct ui *ui, const char *text)
{
	struct dash_widget *w = selected(ui);
	size_t chars = 0;
	for (const char *p = text; *p; p++)
		chars += ((unsigned char)*p & 0xc0) != 0x80;
	if (chars > DASH_TITLE_MAX) {
		ui_message(ui, UI_ERROR, _("a title of at most %d characters, please"), DASH_TITLE_MAX);
		return;
	}
	if (w != NULL) {
		dashboard_edit_push(&dv_of(ui)->ed);
		snprintf(w->title, sizeof w->title, "%s", text);
		dv_of(ui)->changed = true;
	}
}

static void k_title(struct ui *ui)
{
	if (selected(ui) != NULL)
		ui_ask(ui, PROMPT_ASK, _("title (empty: the type's own): "), on_title);
}

/* Sets an id of the selected widget's configuration (the workflow or the
 * execution; "" clears it), as a change the editor can undo. */
static void set_cfg_id(struct ui *ui, const char *text, bool execution, const char *refusal)
{
	struct dash_widget *w = selected(ui);
	if (text[0] != '\0' && !proto_id_valid(text)) {
		ui_message(ui, UI_ERROR, refusal, text);
		return;
	}
	if (w != NULL) {
		dashboard_edit_push(&dv_of(ui)->ed);
		char *id = execution ? w->cfg.execution : w->cfg.workflow;
		snprintf(id, PROTO_MAX_ID + 1, "%s", text);
		dv_of(ui)->changed = true;
	}
}

static void on_workflow(struct ui *ui, const char *text)
{
	set_cfg_id(ui, text, false, _("\"%s\" is not a workflow id"));
}

static void k_workflow(struct ui *ui)
{
	if (selected(ui) != NULL)
		ui_ask(ui, PROMPT_ASK, _("workflow id (empty: all workflows): "), on_workflow);
}

static void on_limit(struct ui *ui, const char *text)
{
	struct dash_widget *w = selected(ui);
	char *end;
	long n = text[0] ? strtol(text, &end, 10) : 0;
	if (text[0] && (*end != '\0' || n < 1 || n > DASH_LIMIT_MAX)) {
		ui_message(ui, UI_ERROR, _("the limit is a number of rows from 1 to %d (empty: as many as fit)"),
			   DASH_LIMIT_MAX);
		return;
	}
	if (w != NULL) {
		dashboard_edit_push(&dv_of(ui)->ed);
		w->cfg.limit = (int)n;
		dv_of(ui)->changed = true;
	}
}

static void k_limit(struct ui *ui)
{
	struct dash_widget *w = selected(ui);
	if (w == NULL)
		return;
	char now[16] = "";
	if (w->cfg.limit > 0)
		snprintf(now, sizeof now, "%d", w->cfg.limit);
	ui_ask_edit(ui, _("rows at most (empty: as many as fit): "), now, on_limit);
}

static void on_execution(struct ui *ui, const char *text)
{
	set_cfg_id(ui, text, true, _("\"%s\" is not an execution id"));
}

/* The execution a timeline or step breakdown shows (empty: the latest). */
static void k_execution(struct ui *ui)
{
	struct dash_widget *w = selected(ui);
	if (w == NULL)
		return;
	if (w->type != DW_TIMELINE && w->type != DW_STEP_BREAKDOWN) {
		ui_message(ui, UI_ERROR, "%s", _("only a timeline or a step breakdown shows one execution"));
		return;
	}
	ui_ask_edit(ui, _("execution id (empty: the latest of its workflow): "), w->cfg.execution, on_execution);
}

static void on_deadlines(struct ui *ui, const char *text)
{
	struct dash_widget *w = selected(ui);
	if (w == NULL)
		return;
	struct dash_config cfg = w->cfg;
	struct proto_cause cause;
	if (dashboard_deadlines_parse(text, &cfg, &cause) != 0) {
		ui_message(ui, UI_ERROR, "%s: %s", cause.field, cause.message);
		return;
	}
	dashboard_edit_push(&dv_of(ui)->ed);
	w->cfg = cfg;
	dv_of(ui)->changed = true;
	if (cfg.ndeadlines == 0)
		ui_message(ui, UI_MESSAGE, "%s", _("the statutory deadlines"));
	else
		ui_message(ui, UI_MESSAGE, _("%zu deadline(s)"), cfg.ndeadlines);
}

/* A tax_deadlines widget's list, as "NAME DAY [WORKFLOW]; ...". */
static void k_deadlines(struct ui *ui)
{
	struct dash_widget *w = selected(ui);
	if (w == NULL)
		return;
	if (w->type != DW_TAX_DEADLINES) {
		ui_message(ui, UI_ERROR, "%s", _("only a tax deadlines widget has deadlines"));
		return;
	}
	char now[TAXCAL_MAX_RULES * (TAXCAL_NAME_MAX + TAXCAL_WORKFLOW_MAX + 8)];
	dashboard_deadlines_format(&w->cfg, now, sizeof now);
	ui_ask_edit(ui, _("deadlines NAME DAY [WORKFLOW]; ... (empty: statutory): "), now, on_deadlines);
}

static void k_range(struct ui *ui)
{
	static const char *const ranges[] = { "1h", "24h", "7d", "30d" };
	struct dash_widget *w = selected(ui);
	if (w == NULL)
		return;
	size_t i = 1;
	while (i < 4 && strcmp(ranges[i], w->cfg.range[0] ? w->cfg.range : "24h") != 0)
		i++;
	dashboard_edit_push(&dv_of(ui)->ed);
	snprintf(w->cfg.range, sizeof w->cfg.range, "%s", ranges[(i + 1) % 4]);
	dv_of(ui)->changed = true;
	ui_message(ui, UI_MESSAGE, _("range %s"), w->cfg.range);
}

static void on_rename(struct ui *ui, const char *name)
{
	if (!name_ok(ui, name))
		return;
	dashboard_edit_push(&dv_of(ui)->ed);
	snprintf(shown(ui)->name, sizeof shown(ui)->name, "%s", name);
	dv_of(ui)->changed = true;
}

static void k_rename(struct ui *ui)
{
	ui_ask(ui, PROMPT_ASK, _("rename the dashboard to: "), on_rename);
}

static void k_save(struct ui *ui)
{
	if (refuse_readonly(ui))
		return;
	struct dash_model *dm = &ui->model.dash;
	const char *from = !dv_of(ui)->is_new && dm->saved && strcmp(dm->saved->name, shown(ui)->name) != 0
				   ? dm->saved->name : NULL;
	if (dm->nlist == 0)
		shown(ui)->is_default = true;   /* the first one saved is the one wfmon opens on */
	dash_model_save(dm, from);
	ui_message(ui, UI_MESSAGE, _("saving dashboard %s…"), shown(ui)->name);
}

static void leave_editor(struct ui *ui)
{
	struct dashboard_view *v = dv_of(ui);
	dashboard_edit_free(&v->ed);
	v->picking = false;
	v->changed = false;
	v->is_new = false;
	ui_set_view(ui, VIEW_DASHBOARD);
}

static void k_leave(struct ui *ui)
{
	struct dashboard_view *v = dv_of(ui);
	bool changed = v->changed;
	dash_model_revert(&ui->model.dash);
	leave_editor(ui);
	if (v->sel >= shown(ui)->nwidgets)
		v->sel = 0;
	if (changed)
		ui_message(ui, UI_MESSAGE, "%s", _("left the editor: the saved layout is back"));
}

static const struct ui_key edit_keys[] = {
	{ '\t', "Tab", N_("select the next widget (Shift-Tab: the previous)"), k_next },
	{ KEY_BTAB, NULL, NULL, k_prev },
	{ KEY_LEFT, "Arrows hjkl", N_("move the selected widget"), k_mleft },
	{ KEY_RIGHT, NULL, NULL, k_mright },
	{ KEY_UP, NULL, NULL, k_mup },
	{ KEY_DOWN, NULL, NULL, k_mdown },
	{ 'h', NULL, NULL, k_mleft },
	{ 'l', NULL, NULL, k_mright },
	{ 'k', NULL, NULL, k_mup },
	{ 'j', NULL, NULL, k_mdown },
	{ 'H', "H L", N_("narrower, wider"), k_narrower },
	{ 'L', NULL, NULL, k_wider },
	{ 'K', "K J", N_("shorter, taller"), k_shorter },
	{ 'J', NULL, NULL, k_taller },
	{ 'a', "a", N_("add a widget (a picker of types with a preview)"), k_add },
	{ 'd', "d", N_("remove the selected widget (asks first)"), k_remove },
	{ 't', "t", N_("the widget's title"), k_title },
	{ 'w', "w", N_("the widget's workflow"), k_workflow },
	{ 'g', "g", N_("the widget's range: 1h, 24h, 7d, 30d"), k_range },
	{ 'n', "n", N_("the widget's number of rows at most"), k_limit },
	{ 'i', "i", N_("the execution a timeline or step breakdown shows"), k_execution },
	{ 'T', "T", N_("a tax deadlines widget's deadlines: NAME DAY [WORKFLOW]; ..."), k_deadlines },
	{ 'R', "R", N_("rename the dashboard"), k_rename },
	{ 'u', "u", N_("undo the last change"), k_undo },
	{ 's', "s", N_("save the dashboard on the server"), k_save },
	{ 27, "Esc", N_("leave the editor: the saved layout comes back"), k_leave },
};

/* The picker takes the keys while it is open. */
static bool edit_raw_key(struct ui *ui, int key)
{
	struct dashboard_view *v = dv_of(ui);
	if (!v->picking)
		return false;
	switch (key) {
	case KEY_UP: case 'k':
		v->pick = (v->pick + DW__COUNT - 1) % DW__COUNT;
		break;
	case KEY_DOWN: case 'j': case '\t':
		v->pick = (v->pick + 1) % DW__COUNT;
		break;
	case 27:
		v->picking = false;
		break;
	case '\r': case '\n': case KEY_ENTER: {
		v->picking = false;
		int w, h;
		size_t at;
		dashboard_type_default_size((enum dash_type)v->pick, shown(ui)->columns, &w, &h);
		if (dashboard_edit_add(&v->ed, (enum dash_type)v->pick, w, h, &at)) {
			v->sel = at;
			v->changed = true;
			ui_message(ui, UI_MESSAGE, _("added %s: hjkl moves it, HJKL sizes it"),
				   _(ui_dash_type_of((enum dash_type)v->pick)->title));
		} else {
			ui_message(ui, UI_ERROR, "%s", _("no room for it on the grid"));
		}
		break;
	}
	default:
		break;
	}
	return true;
}

/* ---- the daemon's answers and the outbox ------------------------------------------------------------ */

/* The rooms of the views some widgets read while a dashboard is shown:
 * "resources" (resource usage, the summary's database), "health" (workflow
 * health's overdue schedules). The view of the same room keeps it while it
 * is shown. */
static const struct {
	const char *room;
	enum dash_type a, b;          /* the widget types that read it */
	enum ui_view_id view;         /* the view that also wants it */
} view_rooms[] = {
	{ "resources", DW_RESOURCE_USAGE, DW_SUMMARY, VIEW_RESOURCES },
	{ "health", DW_WORKFLOW_HEALTH, DW_WORKFLOW_HEALTH, VIEW_HEALTH },
};

static void view_rooms_want(struct ui *ui)
{
	struct dashboard_view *v = dv_of(ui);
	const struct dashboard *d = shown(ui);
	bool on = ui->view_id == VIEW_DASHBOARD || ui->view_id == VIEW_DASHBOARD_EDIT;
	for (size_t r = 0; r < sizeof view_rooms / sizeof view_rooms[0]; r++) {
		bool want = false;
		for (size_t i = 0; d != NULL && on && i < d->nwidgets; i++)
			want |= d->widgets[i].type == view_rooms[r].a || d->widgets[i].type == view_rooms[r].b;
		if (want)
			session_want(ui->session, view_rooms[r].room);
		else if (v->rooms_wanted[r] && ui->view_id != view_rooms[r].view)
			session_unwant(ui->session, view_rooms[r].room);
		v->rooms_wanted[r] = want;
	}
}

/* The metrics rooms the shown widgets read, while a dashboard is on screen:
 * the daemon pushes their figures every 5 s to every console that reads
 * them, and computes nothing for a room nobody reads. */
static void aggregate_rooms(struct ui *ui)
{
	struct dash_model *dm = &ui->model.dash;
	dash_model_want_aggregates(dm, dm->state == DM_READY && (ui->view_id == VIEW_DASHBOARD ||
								 ui->view_id == VIEW_DASHBOARD_EDIT));
	for (size_t i = 0; i < DM_AGGREGATES; i++) {
		struct dm_aggregate *a = &dm->agg[i];
		if (a->wanted && !a->used) {
			session_unwant(ui->session, a->room);
			a->wanted = false;
		}
	}
	for (size_t i = 0; i < DM_AGGREGATES; i++) {
		struct dm_aggregate *a = &dm->agg[i];
		if (a->used && !a->wanted && session_want(ui->session, a->room) == 0)
			a->wanted = true;
	}
}

void ui_dashboard_poll(struct ui *ui, unsigned changes)
{
	struct dash_model *dm = &ui->model.dash;
	view_rooms_want(ui);
	bool live = session_display(ui->session) == SD_LIVE;
	if (dm->state == DM_IDLE && live)
		dash_model_start(dm, body_rows());
	aggregate_rooms(ui);
	json_t *req;
	while (live && (req = dash_model_take_request(dm)) != NULL)
		if (ui_request(ui, req) != 0)
			break;
	struct dashboard_view *v = dv_of(ui);
	if (!(changes & MC_DASHBOARD) || dm->reply_serial == v->reply_seen)
		return;
	v->reply_seen = dm->reply_serial;
	if (!dm->reply_ok) {
		/* A daemon without a database: the built-in dashboard, said once by e or s. */
		if (dm->unavailable && (dm->reply_action == DASH_LIST || dm->reply_action == DASH_GET))
			return;
		ui_message(ui, UI_ERROR, _("the server refused: %s%s%s"), dm->reply_error, dm->reply_field[0] ? " - " : "",
			   dm->reply_field);
		/* A refused copy goes back to what it was copied from. */
		if (dm->reply_action == DASH_SAVE && ui->view_id != VIEW_DASHBOARD_EDIT)
			dash_model_revert(dm);
		return;
	}
	switch (dm->reply_action) {
	case DASH_SAVE:
		ui_message(ui, UI_MESSAGE, _("saved dashboard %s"), dm->reply_name);
		if (ui->view_id == VIEW_DASHBOARD_EDIT)
			leave_editor(ui);
		break;
	case DASH_DEFAULT:
		ui_message(ui, UI_MESSAGE, _("%s is now the dashboard wfmon opens on"), dm->reply_name);
		break;
	case DASH_DELETE:
		ui_message(ui, UI_MESSAGE, _("deleted dashboard %s"), dm->reply_name);
		break;
	default:
		break;
	}
}

void ui_dashboard_free(struct ui *ui)
{
	if (ui->dash != NULL)
		dashboard_edit_free(&ui->dash->ed);
	free(ui->dash);
	ui->dash = NULL;
}

const struct ui_view_ops ui_view_dashboard = {
	.name = N_("Dashboard"),
	.keys = dash_keys,
	.nkeys = sizeof dash_keys / sizeof dash_keys[0],
	.draw = dash_draw,
	.tick_ms = dash_tick,
	.hints = dash_hints,
};

const struct ui_view_ops ui_view_dashboard_edit = {
	.name = N_("Editing the dashboard"),
	.keys = edit_keys,
	.nkeys = sizeof edit_keys / sizeof edit_keys[0],
	.draw = dash_draw,
	.tick_ms = dash_tick,
	.hints = dash_hints,
	.raw_key = edit_raw_key,
};
