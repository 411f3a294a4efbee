/* rules_view.c: the alert rules list (name, type, scope, severity, cooldown,
 * enabled) with new, edit, delete and enable/disable, and the daemon's
 * answers to rule requests (see ui_view.h).
 *
 * Invariants: the list is the daemon's last "rules" answer, asked for on
 * entering the view and after every change the daemon confirmed; the
 * selection follows a rule id; nothing is changed under --readonly; request
 * ids are MODEL_ID_RULE "ACTION[:RULE]". */
#include "ui_view.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "ui_screen.h"

static const struct alert_rule *rule_at(struct ui *ui, size_t i)
{
	return i < ui->model.rules.n ? &ui->model.rules.list[i] : NULL;
}

void ui_rules_refresh(struct ui *ui)
{
	char id[32];
	snprintf(id, sizeof id, "%slist", MODEL_ID_RULE);
	json_t *req = json_pack("{s:s, s:s, s:s}", "type", "rule", "id", id, "action", "list");
	if (req != NULL)
		ui_request(ui, req);
}

/* Keeps the selection on its rule id, then moves it. */
static void rules_select(struct ui *ui, long delta)
{
	size_t n = ui->model.rules.n;
	long found = -1;
	for (size_t i = 0; i < n && found < 0; i++)
		if (strcmp(rule_at(ui, i)->id, ui->rule_sel_id) == 0)
			found = (long)i;
	ui_sel_follow(&ui->rule_sel, n, found);
	if (ui_sel_move(&ui->rule_sel, n, delta))
		snprintf(ui->rule_sel_id, sizeof ui->rule_sel_id, "%s", rule_at(ui, ui->rule_sel)->id);
	else
		ui->rule_sel_id[0] = '\0';
}

static void rules_sync(struct ui *ui)
{
	rules_select(ui, 0);
}

static const struct alert_rule *selected(struct ui *ui)
{
	rules_sync(ui);
	return ui->rule_sel_id[0] ? rule_at(ui, ui->rule_sel) : NULL;
}

static bool may_change(struct ui *ui)
{
	if (!ui->opt->readonly)
		return true;
	ui_message(ui, UI_ERROR, "%s", _("read-only console (--readonly): changing alert rules is disabled"));
	return false;
}

/* Sends delete, enable or disable for the selected rule. */
static void rule_action(struct ui *ui, const char *action)
{
	const struct alert_rule *r = selected(ui);
	if (r == NULL)
		return;
	char id[PROTO_MAX_ID + 32];
	snprintf(id, sizeof id, "%s%s:%s", MODEL_ID_RULE, action, r->id);
	json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "type", "rule", "id", id, "action", action, "rule_id", r->id);
	if (req != NULL && ui_request(ui, req) == 0)
		ui_message(ui, UI_MESSAGE, "%s", _("asking the server…"));
}

static void on_delete(struct ui *ui, const char *yes)
{
	(void)yes;
	rule_action(ui, "delete");
}

static void k_up(struct ui *ui) { rules_select(ui, -1); }
static void k_down(struct ui *ui) { rules_select(ui, 1); }
static void k_back(struct ui *ui) { ui_set_view(ui, VIEW_ALERTS); }
static void k_refresh(struct ui *ui) { ui_rules_refresh(ui); }

static void k_new(struct ui *ui)
{
	if (may_change(ui))
		ui_rule_form_open(ui, NULL);
}

static void k_edit(struct ui *ui)
{
	const struct alert_rule *r = selected(ui);
	if (r != NULL && may_change(ui))
		ui_rule_form_open(ui, r);
}

static void k_delete(struct ui *ui)
{
	const struct alert_rule *r = selected(ui);
	if (r == NULL || !may_change(ui))
		return;
	char label[PROTO_MAX_NAME + 128];
	snprintf(label, sizeof label, _("Delete the rule \"%s\"? (y/n) "), r->name);
	ui_ask(ui, PROMPT_CONFIRM, label, on_delete);
}

static void k_toggle(struct ui *ui)
{
	const struct alert_rule *r = selected(ui);
	if (r == NULL || !may_change(ui))
		return;
	rule_action(ui, r->enabled ? "disable" : "enable");
}

static const struct ui_key rules_keys[] = {
	{ KEY_UP, "Up k", N_("select the rule above"), k_up },
	{ 'k', NULL, NULL, k_up },
	{ KEY_DOWN, "Down j", N_("select the rule below"), k_down },
	{ 'j', NULL, NULL, k_down },
	{ 'n', "n", N_("new rule"), k_new },
	{ '\r', "Enter E", N_("edit the rule"), k_edit },
	{ '\n', NULL, NULL, k_edit },
	{ KEY_ENTER, NULL, NULL, k_edit },
	{ 'E', NULL, NULL, k_edit },
	{ 'd', "d", N_("delete the rule (asks first)"), k_delete },
	{ ' ', "Space", N_("enable or disable the rule"), k_toggle },
	{ 'l', "l", N_("load the list again"), k_refresh },
	{ 27, "Esc", N_("back to the alerts"), k_back },
};

bool ui_rules_reply(struct ui *ui, const struct model_reply *r)
{
	size_t pl = strlen(MODEL_ID_RULE);
	if (strncmp(r->id, MODEL_ID_RULE, pl) != 0)
		return false;
	const char *action = r->id + pl;
	bool save = strcmp(action, "save") == 0;
	if (r->ok) {
		if (save) {
			if (ui->model.rules.saved_id[0] != '\0')
				snprintf(ui->rule_sel_id, sizeof ui->rule_sel_id, "%s", ui->model.rules.saved_id);
			ui_set_view(ui, VIEW_RULES);   /* which asks for the list again */
			ui_message(ui, UI_MESSAGE, "%s", _("Rule saved"));
			return true;
		} else if (strncmp(action, "delete:", 7) == 0) {
			ui_message(ui, UI_MESSAGE, "%s", _("Rule deleted"));
		} else if (strncmp(action, "enable:", 7) == 0) {
			ui_message(ui, UI_MESSAGE, "%s", _("Rule enabled"));
		} else if (strncmp(action, "disable:", 8) == 0) {
			ui_message(ui, UI_MESSAGE, "%s", _("Rule disabled"));
		}
		ui_rules_refresh(ui);
		return true;
	}
	if (strcmp(r->code, "forbidden") == 0) {
		if (save && ui->form != NULL)
			ui_rule_form_error(ui, "", _("only operators and admins may change alert rules"));
		ui_notice_raise(ui, NOTICE_REFUSAL, UI_ERROR, 0, "%s",
				_("the server refused: only operators and admins may change alert rules"));
		return true;
	}
	if (save && ui->form != NULL && ui->view_id == VIEW_RULE_FORM) {
		ui_rule_form_error(ui, r->field, r->message[0] ? r->message : r->code);
		return true;
	}
	ui_notice_raise(ui, NOTICE_REFUSAL, UI_ERROR, 0, _("the server refused: %s%s%s"), r->code,
			r->message[0] ? " - " : "", r->message);
	return true;
}

struct rule_cols {
	int name, type, scope, sev, cool, en;
};

static void rule_cols(int w, struct rule_cols *c)
{
	c->type = 22;
	c->scope = 20;
	c->sev = 12;
	c->cool = 9;
	c->en = 8;
	c->name = w - (c->type + c->scope + c->sev + c->cool + c->en + 7);
	if (c->name < 12)
		c->name = 12;
}

static void rules_draw(struct ui *ui, int top, int rows)
{
	int w = ui_screen_cols();
	char title[96], buf[64];
	size_t n = ui->model.rules.n;
	rules_sync(ui);
	snprintf(title, sizeof title, _("Alert rules (%zu)"), n);
	ui_title_line(top, title, ui->opt->readonly ? "" : _("n: new  Enter: edit  d: delete  Space: on/off"));
	int y = top + 1, bottom = top + rows;
	if (!ui->model.rules.loaded) {
		ui_text(y + 1, 2, w - 4, UI_MUTED, _("Waiting for the rules from the server…"));
		return;
	}
	struct rule_cols c;
	rule_cols(w, &c);
	int x = 1;
	ui_text(y, x, c.name, UI_MUTED, _("NAME"));
	x += c.name + 1;
	ui_text(y, x, c.type, UI_MUTED, _("TYPE"));
	x += c.type + 1;
	ui_text(y, x, c.scope, UI_MUTED, _("SCOPE"));
	x += c.scope + 1;
	ui_text(y, x, c.sev, UI_MUTED, _("SEVERITY"));
	x += c.sev + 1;
	ui_text_right(y, x, c.cool, UI_MUTED, _("COOLDOWN"));
	x += c.cool + 1;
	ui_text(y, x, c.en, UI_MUTED, _("ENABLED"));
	y++;
	if (ui->model.rules.unreadable > 0 && bottom - y > 1) {
		/* Rules of a newer daemon's schema: said, not hidden. */
		char note[160];
		snprintf(note, sizeof note, _("%zu more rules this console cannot read (is the server newer?)"),
			 ui->model.rules.unreadable);
		ui_text(--bottom, 2, w - 4, UI_WARNING, note);
	}
	if (n == 0) {
		ui_text(y + 1, 2, w - 4, UI_MUTED, _("No alert rules yet. n creates one."));
		return;
	}
	int body = bottom - y;
	if (body <= 0)
		return;
	ui_scroll_clamp(ui->rule_sel, &ui->rule_top, (size_t)body, n);
	for (int i = 0; i < body && ui->rule_top + (size_t)i < n; i++) {
		size_t idx = ui->rule_top + (size_t)i;
		const struct alert_rule *r = rule_at(ui, idx);
		bool sel = idx == ui->rule_sel;
		bool enabled = r->enabled;
		enum ui_element el = sel ? UI_SELECTION : enabled ? UI_NORMAL : UI_MUTED;
		int ry = y + i;
		if (sel)
			ui_fill(ry, 0, w, UI_SELECTION);
		x = 1;
		ui_text(ry, x, c.name, el, r->name);
		x += c.name + 1;
		ui_text(ry, x, c.type, el, ui_rule_type_text(r->type));
		x += c.type + 1;
		ui_text(ry, x, c.scope, el, r->workflow_id[0] ? r->workflow_id : _("all workflows"));
		x += c.scope + 1;
		ui_text(ry, x, c.sev, sel ? UI_SELECTION : ui_severity_element(r->severity), ui_severity_text(r->severity));
		x += c.sev + 1;
		snprintf(buf, sizeof buf, _("%lld min"), (long long)(r->cooldown_s / 60));
		ui_text_right(ry, x, c.cool, el, buf);
		x += c.cool + 1;
		ui_text(ry, x, c.en, el, enabled ? _("yes") : _("no"));
	}
}

static void rules_hints(struct ui *ui, int y)
{
	int x = 0;
	if (!ui->opt->readonly) {
		ui_hint(y, &x, "n", _("New"), false);
		ui_hint(y, &x, "Enter", _("Edit"), false);
		ui_hint(y, &x, "d", _("Delete"), false);
		ui_hint(y, &x, "Space", _("On/off"), false);
	}
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
}

static void rules_enter(struct ui *ui)
{
	ui_rules_refresh(ui);
}

const struct ui_view_ops ui_view_rules = {
	.name = N_("Alert rules"),
	.keys = rules_keys,
	.nkeys = sizeof rules_keys / sizeof rules_keys[0],
	.enter = rules_enter,
	.draw = rules_draw,
	.hints = rules_hints,
};
