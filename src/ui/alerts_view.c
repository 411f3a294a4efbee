/* alerts_view.c: the alerts view (active alerts first, then history), the
 * view of one alert in full, and the alert actions (acknowledge, resolve,
 * escalate) with the daemon's answers (see ui_view.h).
 *
 * Invariants: the selection follows an alert id, so records arriving or
 * changing never move it to another alert; no action is sent under
 * --readonly; every action's request id is MODEL_ID_ALERT "ACTION:ID", which
 * is how its answer is told apart and said on the message line; refusals
 * (forbidden) are the daemon's, the console does not guess from the role. */
#include "ui_view.h"

#include <curses.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ui_screen.h"
#include "xalloc.h"

/* ---- shared words ------------------------------------------------------------------- */

const char *ui_severity_text(enum alert_severity s)
{
	switch (s) {
	case SEV_INFO: return C_("severity", "info");
	case SEV_WARNING: return C_("severity", "warning");
	case SEV_ERROR: return C_("severity", "error");
	case SEV_CRITICAL: return C_("severity", "critical");
	default: return "?";
	}
}

enum ui_element ui_severity_element(enum alert_severity s)
{
	static const enum ui_element el[SEV__COUNT] = {
		[SEV_INFO] = UI_NORMAL, [SEV_WARNING] = UI_STATUS_STALE,
		[SEV_ERROR] = UI_STATUS_FAILED, [SEV_CRITICAL] = UI_ALERT_CRITICAL,
	};
	return (unsigned)s < SEV__COUNT ? el[s] : UI_NORMAL;
}

const char *ui_alert_state_text(enum alert_state s)
{
	switch (s) {
	case ALERT_ACTIVE: return C_("alert state", "active");
	case ALERT_ACKNOWLEDGED: return C_("alert state", "acknowledged");
	case ALERT_RESOLVED: return C_("alert state", "resolved");
	default: return "?";
	}
}

/* "acknowledged by olga", "resolved by jan", "resolved automatically", "-" */
static void alert_who(const struct alert_record *a, char *buf, size_t len)
{
	if (a->state == ALERT_RESOLVED && a->resolved_by[0] != '\0')
		snprintf(buf, len, _("resolved by %s"), a->resolved_by);
	else if (a->state == ALERT_RESOLVED)
		snprintf(buf, len, "%s", _("resolved automatically"));
	else if (a->acknowledged_by[0] != '\0')
		snprintf(buf, len, _("acknowledged by %s"), a->acknowledged_by);
	else
		snprintf(buf, len, "%s", _("not acknowledged"));
}

/* ---- actions ----------------------------------------------------------------------------- */

enum alert_act { ACT_ACK, ACT_RESOLVE, ACT_ESCALATE, ACT__COUNT };

static const struct {
	const char *wire;      /* the request's action */
	const char *done;      /* N_(): the daemon said done */
	const char *verb;      /* N_(): "cannot VERB alert N" */
	const char *ask;       /* N_(): the question, with the alert id */
} acts[ACT__COUNT] = {
	[ACT_ACK] = { "acknowledge", N_("Alert acknowledged"), N_("acknowledge"),
		      N_("Acknowledge alert %lld: note (Enter: none, Esc: cancel): ") },
	[ACT_RESOLVE] = { "resolve", N_("Alert resolved"), N_("resolve"),
			  N_("Resolve alert %lld: note (Enter: none, Esc: cancel): ") },
	[ACT_ESCALATE] = { "escalate", N_("Alert escalated"), N_("escalate"),
			   N_("Escalate alert %lld (severity one step up, escalation channels)? (y/n) ") },
};

/* The alert the keys act on: the one shown, else the selected one. */
static struct alert_record *target(struct ui *ui)
{
	int64_t id = ui->view_id == VIEW_ALERT ? ui->alert_id : ui->alert_sel_id;
	return id != 0 ? model_alert_find(&ui->model, id) : NULL;
}

static void act_send(struct ui *ui, enum alert_act act, const char *note)
{
	struct alert_record *a = target(ui);
	if (a == NULL) {
		ui_message(ui, UI_ERROR, "%s", _("that alert is gone"));
		return;
	}
	char id[64];
	snprintf(id, sizeof id, "%s%s:%" PRId64, MODEL_ID_ALERT, acts[act].wire, a->id);
	json_t *req = json_pack("{s:s, s:s, s:s, s:I}", "type", "alert", "id", id, "action", acts[act].wire,
				"alert_id", (json_int_t)a->id);
	if (req == NULL)
		return;
	if (note != NULL && note[0] != '\0')
		json_object_set_new(req, "note", json_string(note));
	if (ui_request(ui, req) == 0)
		ui_message(ui, UI_MESSAGE, "%s", _("asking the server…"));
}

static void on_ack(struct ui *ui, const char *note) { act_send(ui, ACT_ACK, note); }
static void on_resolve(struct ui *ui, const char *note) { act_send(ui, ACT_RESOLVE, note); }
static void on_escalate(struct ui *ui, const char *yes) { (void)yes; act_send(ui, ACT_ESCALATE, NULL); }

static void act_start(struct ui *ui, enum alert_act act)
{
	static void (*const fns[ACT__COUNT])(struct ui *, const char *) = {
		[ACT_ACK] = on_ack, [ACT_RESOLVE] = on_resolve, [ACT_ESCALATE] = on_escalate,
	};
	if (ui->opt->readonly) {
		ui_message(ui, UI_ERROR, "%s", _("read-only console (--readonly): acting on alerts is disabled"));
		return;
	}
	struct alert_record *a = target(ui);
	if (a == NULL) {
		ui_message(ui, UI_ERROR, "%s", _("no alert selected"));
		return;
	}
	char label[256];
	snprintf(label, sizeof label, _(acts[act].ask), (long long)a->id);
	ui_ask(ui, act == ACT_ESCALATE ? PROMPT_CONFIRM : PROMPT_ASK, label, fns[act]);
}

static void k_ack(struct ui *ui) { act_start(ui, ACT_ACK); }
static void k_resolve(struct ui *ui) { act_start(ui, ACT_RESOLVE); }
static void k_escalate(struct ui *ui) { act_start(ui, ACT_ESCALATE); }

bool ui_alerts_reply(struct ui *ui, const struct model_reply *r)
{
	size_t pl = strlen(MODEL_ID_ALERT);
	if (strncmp(r->id, MODEL_ID_ALERT, pl) != 0)
		return false;
	const char *action = r->id + pl;
	const char *colon = strchr(action, ':');
	size_t alen = colon ? (size_t)(colon - action) : strlen(action);
	int act = -1;
	for (int i = 0; i < ACT__COUNT; i++)
		if (strlen(acts[i].wire) == alen && strncmp(action, acts[i].wire, alen) == 0)
			act = i;
	if (act < 0)
		return false;
	const char *alert = colon ? colon + 1 : "?";
	if (r->ok) {
		ui_message(ui, UI_MESSAGE, "%s (%s)", _(acts[act].done), alert);
		return true;
	}
	const char *why = strcmp(r->code, "forbidden") == 0 ? _("only operators and admins may act on alerts")
			  : strcmp(r->code, "not_found") == 0 ? _("the server does not know it")
			  : r->message[0] ? r->message : r->code;
	ui_notice_raise(ui, NOTICE_REFUSAL, UI_ERROR, 0, _("cannot %s alert %s: %s"), _(acts[act].verb), alert, why);
	return true;
}

/* ---- the list --------------------------------------------------------------------------- */

/* The selection by alert id: a removed alert moves it to the nearest row. */
static void alerts_select(struct ui *ui, long delta)
{
	struct model *m = &ui->model;
	long found = -1;
	for (size_t i = 0; i < m->nalerts && found < 0; i++)
		if (m->alerts[i].id == ui->alert_sel_id)
			found = (long)i;
	ui_sel_follow(&ui->alert_sel, m->nalerts, found);
	ui->alert_sel_id = ui_sel_move(&ui->alert_sel, m->nalerts, delta) ? m->alerts[ui->alert_sel].id : 0;
}

static void alerts_sync(struct ui *ui)
{
	alerts_select(ui, 0);
}

static void k_up(struct ui *ui) { alerts_select(ui, -1); }
static void k_down(struct ui *ui) { alerts_select(ui, 1); }
static void k_pgup(struct ui *ui) { alerts_select(ui, -10); }
static void k_pgdn(struct ui *ui) { alerts_select(ui, 10); }
static void k_home(struct ui *ui) { alerts_select(ui, -(long)MODEL_MAX_ALERTS - 1); }
static void k_end(struct ui *ui) { alerts_select(ui, (long)MODEL_MAX_ALERTS + 1); }
static void k_rules(struct ui *ui) { ui_set_view(ui, VIEW_RULES); }
static void k_list_back(struct ui *ui) { ui_set_view(ui, VIEW_LIST); }

static void k_open(struct ui *ui)
{
	alerts_sync(ui);
	if (ui->alert_sel_id == 0)
		return;
	ui->alert_id = ui->alert_sel_id;
	ui_set_view(ui, VIEW_ALERT);
}

static void k_exec(struct ui *ui)
{
	struct alert_record *a = target(ui);
	if (a == NULL || a->execution_id[0] == '\0') {
		ui_message(ui, UI_ERROR, "%s", _("this alert names no execution"));
		return;
	}
	ui_open_execution(ui, a->execution_id);
}

static const struct ui_key alerts_keys[] = {
	{ KEY_UP, "Up k", N_("select the alert above"), k_up },
	{ 'k', NULL, NULL, k_up },
	{ KEY_DOWN, "Down j", N_("select the alert below"), k_down },
	{ 'j', NULL, NULL, k_down },
	{ KEY_PPAGE, "PgUp", N_("one page up"), k_pgup },
	{ KEY_NPAGE, "PgDn", N_("one page down"), k_pgdn },
	{ 'g', "g Home", N_("first alert"), k_home },
	{ KEY_HOME, NULL, NULL, k_home },
	{ 'G', "G End", N_("last alert"), k_end },
	{ KEY_END, NULL, NULL, k_end },
	{ '\r', "Enter", N_("show the alert in full"), k_open },
	{ '\n', NULL, NULL, k_open },
	{ KEY_ENTER, NULL, NULL, k_open },
	{ 'a', "a", N_("acknowledge (with an optional note; operators, admins)"), k_ack },
	{ 'r', "r", N_("resolve (with an optional note; operators, admins)"), k_resolve },
	{ 'e', "e", N_("escalate: severity one step up (operators, admins)"), k_escalate },
	{ 'o', "o", N_("open the alert's execution"), k_exec },
	{ 'u', "u", N_("the alert rules"), k_rules },
	{ 27, "Esc", N_("back to the executions"), k_list_back },
};

struct alert_cols {
	int sev, state, rule, wf, exec, age, who;
};

static void alert_cols(int w, struct alert_cols *c)
{
	c->sev = 12;
	c->state = 14;
	c->wf = 18;
	c->exec = 12;
	c->age = 8;
	c->who = 26;
	c->rule = w - (c->sev + c->state + c->wf + c->exec + c->age + c->who + 8);
	if (c->rule < 12) {
		c->who = 0;
		c->rule = w - (c->sev + c->state + c->wf + c->exec + c->age + 7);
	}
	if (c->rule < 10)
		c->rule = 10;
}

static void alert_row(struct ui *ui, int y, const struct alert_record *a, bool sel, const struct alert_cols *c)
{
	int w = ui_screen_cols();
	enum ui_element n_el = sel ? UI_SELECTION : UI_NORMAL;
	char buf[160], id[PROTO_MAX_ID + 8];
	if (sel)
		ui_fill(y, 0, w, UI_SELECTION);
	int x = 1;
	ui_text(y, x, c->sev, sel ? UI_SELECTION : ui_severity_element(a->severity), ui_severity_text(a->severity));
	x += c->sev + 1;
	ui_text(y, x, c->state, sel ? UI_SELECTION : a->state == ALERT_ACTIVE ? UI_STATUS_FAILED : UI_MUTED,
		ui_alert_state_text(a->state));
	x += c->state + 1;
	ui_text(y, x, c->rule, n_el, a->rule_name);
	x += c->rule + 1;
	ui_text(y, x, c->wf, n_el, a->workflow_id[0] ? a->workflow_id : _("(all)"));
	x += c->wf + 1;
	ui_short_id(a->execution_id[0] ? a->execution_id : "-", id, sizeof id);
	ui_text(y, x, c->exec, sel ? UI_SELECTION : UI_MUTED, id);
	x += c->exec + 1;
	i18n_format_elapsed(a->triggered_ms > 0 ? ui->now_ms - a->triggered_ms : -1, buf, sizeof buf);
	ui_text_right(y, x, c->age, n_el, buf);
	x += c->age + 1;
	if (c->who > 0) {
		alert_who(a, buf, sizeof buf);
		ui_text(y, x, c->who, sel ? UI_SELECTION : a->state == ALERT_ACKNOWLEDGED ? UI_NORMAL : UI_MUTED, buf);
	}
}

static void alerts_draw(struct ui *ui, int top, int rows)
{
	struct model *m = &ui->model;
	int w = ui_screen_cols();
	char title[128];
	alerts_sync(ui);
	int open = model_alerts_open(m);
	snprintf(title, sizeof title, _("Alerts (%d active)"), open);
	ui_title_line(top, title, ui->opt->readonly ? "" : _("a: acknowledge  r: resolve  e: escalate"));
	int y = top + 1, bottom = top + rows;
	if (!model_room_find(m, "alerts") || !model_room_find(m, "alerts")->has_pos) {
		ui_text(y + 1, 2, w - 4, UI_MUTED, _("Waiting for the alerts from the server…"));
		return;
	}
	struct alert_cols c;
	alert_cols(w, &c);
	if (y < bottom) {
		int x = 1;
		ui_text(y, x, c.sev, UI_MUTED, _("SEVERITY"));
		x += c.sev + 1;
		ui_text(y, x, c.state, UI_MUTED, _("STATE"));
		x += c.state + 1;
		ui_text(y, x, c.rule, UI_MUTED, _("RULE"));
		x += c.rule + 1;
		ui_text(y, x, c.wf, UI_MUTED, _("WORKFLOW"));
		x += c.wf + 1;
		ui_text(y, x, c.exec, UI_MUTED, _("EXECUTION"));
		x += c.exec + 1;
		ui_text_right(y, x, c.age, UI_MUTED, _("AGE"));
		x += c.age + 1;
		if (c.who > 0)
			ui_text(y, x, c.who, UI_MUTED, _("ACKNOWLEDGED"));
		y++;
	}
	if (m->nalerts == 0) {
		ui_text(y + 1, 2, w - 4, UI_MUTED, _("No alerts. Rules: u"));
		return;
	}
	/* Lines: the open alerts, a "History" heading, the resolved ones. */
	size_t nopen = (size_t)open;
	size_t nlines = m->nalerts + (nopen < m->nalerts ? 1 : 0);
	size_t sel_line = ui->alert_sel + (ui->alert_sel >= nopen && nopen < m->nalerts ? 1 : 0);
	int body = bottom - y;
	if (body <= 0)
		return;
	ui_scroll_clamp(sel_line, &ui->alert_top, (size_t)body, nlines);
	for (int i = 0; i < body; i++) {
		size_t line = ui->alert_top + (size_t)i;
		if (line >= nlines)
			break;
		if (nopen < m->nalerts && line == nopen) {
			ui_title_line(y + i, _("History"), "");
			continue;
		}
		size_t idx = line > nopen && nopen < m->nalerts ? line - 1 : line;
		alert_row(ui, y + i, &m->alerts[idx], idx == ui->alert_sel, &c);
	}
}

static int alerts_tick_ms(struct ui *ui)
{
	/* Ages move; a minute is fine when nothing else ticks. */
	return ui->model.nalerts > 0 ? 1000 : 0;
}

static void alerts_hints(struct ui *ui, int y)
{
	int x = 0;
	ui_hint(y, &x, "Enter", _("Details"), false);
	if (!ui->opt->readonly) {
		ui_hint(y, &x, "a", _("Acknowledge"), false);
		ui_hint(y, &x, "r", _("Resolve"), false);
		ui_hint(y, &x, "e", _("Escalate"), false);
	}
	ui_hint(y, &x, "u", _("Rules"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
}

static void alerts_enter(struct ui *ui)
{
	alerts_sync(ui);
}

const struct ui_view_ops ui_view_alerts = {
	.name = N_("Alerts"),
	.keys = alerts_keys,
	.nkeys = sizeof alerts_keys / sizeof alerts_keys[0],
	.enter = alerts_enter,
	.draw = alerts_draw,
	.tick_ms = alerts_tick_ms,
	.hints = alerts_hints,
};

/* ---- one alert in full ------------------------------------------------------------------ */

static void pane_pair(struct ui_textpane *t, enum ui_element el, const char *label, const char *value)
{
	char *line = xasprintf("%-16s %s", label, value);
	ui_textpane_add(t, el, line);
	free(line);
}

static void when_text(struct ui *ui, int64_t ms, char *buf, size_t len)
{
	char at[64], ago[64];
	i18n_format_datetime(ms, at, sizeof at);
	if (ui->now_ms - ms < 1000) {
		snprintf(buf, len, _("%s (just now)"), at);
		return;
	}
	i18n_format_elapsed(ui->now_ms - ms, ago, sizeof ago);
	snprintf(buf, len, _("%s (%s ago)"), at, ago);
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* A context value as a person reads it: numbers through fmt.h (99.7, not
 * 99.700000000000003; a "..._ms" key as a duration, a "..._percent" one as a
 * percentage), strings as they are, anything else as JSON. */
static void json_value_text(const char *key, json_t *v, char *buf, size_t len)
{
	if (json_is_string(v)) {
		snprintf(buf, len, "%s", json_string_value(v));
		return;
	}
	if (json_is_number(v)) {
		double x = json_number_value(v);
		if (ends_with(key, "_ms") && x >= 0)
			i18n_format_duration(x, buf, len);
		else if (ends_with(key, "_percent") && x >= 0)
			i18n_format_percent(x, 1, buf, len);
		else
			i18n_format_value(x, buf, len);
		return;
	}
	char *d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, len, "%s", d ? d : "?");
	free(d);
}

static void delivery_line(const struct alert_delivery *d, char *buf, size_t len)
{
	const char *ch = channel_type_name(d->channel);
	char when[64] = "";
	if (d->at_ms > 0)
		i18n_format_time(d->at_ms, when, sizeof when);
	snprintf(buf, len, "%s %-8s #%d  %s %d  %s%s  %s  %s", d->ok ? ui_sym(SYM_CHECK) : ui_sym(SYM_CROSS),
		 ch ? ch : "?", d->channel_index, _("attempt"), d->attempt, d->ok ? _("delivered") : _("failed"),
		 d->ok ? "" : d->final ? _(", gave up") : _(", will retry"), when, d->detail);
}

static void alert_fill(struct ui *ui)
{
	struct ui_textpane *t = &ui->alert_pane;
	size_t top = t->top;
	ui_textpane_clear(t);
	t->top = top;
	struct alert_record *a = model_alert_find(&ui->model, ui->alert_id);
	if (a == NULL) {
		ui_textpane_add(t, UI_MUTED, _("This alert is no longer in the list."));
		return;
	}
	char buf[PROTO_MAX_TEXT + 128], v[256];
	ui_textpane_add(t, ui_severity_element(a->severity), a->title);
	ui_textpane_add(t, UI_NORMAL, "");
	snprintf(v, sizeof v, "%s, %s", ui_severity_text(a->severity), ui_alert_state_text(a->state));
	pane_pair(t, a->state == ALERT_ACTIVE ? UI_STATUS_FAILED : UI_NORMAL, _("severity, state"), v);
	snprintf(v, sizeof v, "%s (%s)", a->rule_name, a->rule_id);
	pane_pair(t, UI_NORMAL, _("rule"), v);
	pane_pair(t, UI_NORMAL, _("workflow"), a->workflow_id[0] ? a->workflow_id : _("(all)"));
	pane_pair(t, UI_NORMAL, _("execution"), a->execution_id[0] ? a->execution_id : "-");
	snprintf(v, sizeof v, "%" PRId64, a->id);
	pane_pair(t, UI_MUTED, _("alert id"), v);
	if (a->triggered_ms > 0) {
		when_text(ui, a->triggered_ms, v, sizeof v);
		pane_pair(t, UI_NORMAL, _("triggered"), v);
	}
	if (a->acknowledged_by[0] != '\0') {
		char when[128];
		when_text(ui, a->acknowledged_ms, when, sizeof when);
		snprintf(buf, sizeof buf, _("by %s, %s"), a->acknowledged_by, when);
		pane_pair(t, UI_NORMAL, _("acknowledged"), buf);
	}
	if (a->ack_note != NULL)
		pane_pair(t, UI_NORMAL, _("note"), a->ack_note);
	if (a->state == ALERT_RESOLVED) {
		char when[128];
		when_text(ui, a->resolved_ms, when, sizeof when);
		if (a->resolved_by[0] != '\0')
			snprintf(buf, sizeof buf, _("by %s, %s"), a->resolved_by, when);
		else
			snprintf(buf, sizeof buf, _("automatically (the condition cleared), %s"), when);
		pane_pair(t, UI_NORMAL, _("resolved"), buf);
	}
	if (a->resolve_note != NULL)
		pane_pair(t, UI_NORMAL, _("note"), a->resolve_note);
	if (a->escalations > 0) {
		char when[128];
		when_text(ui, a->escalated_ms, when, sizeof when);
		snprintf(buf, sizeof buf, _("%lld times, last %s"), (long long)a->escalations, when);
		pane_pair(t, UI_STATUS_STALE, _("escalated"), buf);
	}
	ui_textpane_add(t, UI_NORMAL, "");
	ui_textpane_add(t, UI_TITLE, _("Message"));
	ui_textpane_add_text(t, UI_NORMAL, a->body[0] ? a->body : "-");
	ui_textpane_add(t, UI_NORMAL, "");
	ui_textpane_add(t, UI_TITLE, _("Context"));
	const char *key;
	json_t *val;
	if (json_object_size(a->context) == 0)
		ui_textpane_add(t, UI_MUTED, "-");
	json_object_foreach(a->context, key, val) {
		json_value_text(key, val, v, sizeof v);
		pane_pair(t, UI_JSON_KEY, key, v);
	}
	ui_textpane_add(t, UI_NORMAL, "");
	snprintf(buf, sizeof buf, _("Deliveries (%zu)"), a->ndeliveries);
	ui_textpane_add(t, UI_TITLE, buf);
	if (a->ndeliveries == 0)
		ui_textpane_add(t, UI_MUTED, _("no delivery attempts yet"));
	for (size_t i = 0; i < a->ndeliveries; i++) {
		delivery_line(&a->deliveries[i], buf, sizeof buf);
		ui_textpane_add(t, a->deliveries[i].ok ? UI_STATUS_OK : UI_STATUS_FAILED, buf);
	}
}

static void k_a_up(struct ui *ui) { ui_textpane_key(&ui->alert_pane, KEY_UP); }
static void k_a_down(struct ui *ui) { ui_textpane_key(&ui->alert_pane, KEY_DOWN); }
static void k_a_pgup(struct ui *ui) { ui_textpane_key(&ui->alert_pane, KEY_PPAGE); }
static void k_a_pgdn(struct ui *ui) { ui_textpane_key(&ui->alert_pane, KEY_NPAGE); }
static void k_a_back(struct ui *ui) { ui_set_view(ui, VIEW_ALERTS); }

static const struct ui_key alert_keys[] = {
	{ KEY_UP, "Up k", N_("scroll up"), k_a_up },
	{ 'k', NULL, NULL, k_a_up },
	{ KEY_DOWN, "Down j", N_("scroll down"), k_a_down },
	{ 'j', NULL, NULL, k_a_down },
	{ KEY_PPAGE, "PgUp", N_("one page up"), k_a_pgup },
	{ KEY_NPAGE, "PgDn", N_("one page down"), k_a_pgdn },
	{ 'a', "a", N_("acknowledge (with an optional note; operators, admins)"), k_ack },
	{ 'r', "r", N_("resolve (with an optional note; operators, admins)"), k_resolve },
	{ 'e', "e", N_("escalate: severity one step up (operators, admins)"), k_escalate },
	{ 'o', "o", N_("open the alert's execution"), k_exec },
	{ 27, "Esc", N_("back to the alerts"), k_a_back },
	{ KEY_LEFT, NULL, NULL, k_a_back },
};

static void alert_draw(struct ui *ui, int top, int rows)
{
	int w = ui_screen_cols();
	char title[96];
	snprintf(title, sizeof title, "%s %" PRId64, _("Alert"), ui->alert_id);
	ui_title_line(top, title, ui->opt->readonly ? "" : _("a: acknowledge  r: resolve  e: escalate"));
	struct ui_widget pane = { &ui_textpane_ops, &ui->alert_pane };
	ui_textpane_ops.draw(&pane, ui, (struct ui_rect){ top + 1, 1, rows - 1, w - 2 });
}

static void alert_enter(struct ui *ui)
{
	ui->alert_pane.top = 0;
	ui->alert_pane.follow = false;
	alert_fill(ui);
}

static void alert_changed(struct ui *ui, unsigned changes)
{
	if (changes & MC_ALERTS)
		alert_fill(ui);
}

static void alert_hints(struct ui *ui, int y)
{
	int x = 0;
	if (!ui->opt->readonly) {
		ui_hint(y, &x, "a", _("Acknowledge"), false);
		ui_hint(y, &x, "r", _("Resolve"), false);
		ui_hint(y, &x, "e", _("Escalate"), false);
	}
	ui_hint(y, &x, "o", _("Execution"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
}

const struct ui_view_ops ui_view_alert = {
	.name = N_("Alert"),
	.keys = alert_keys,
	.nkeys = sizeof alert_keys / sizeof alert_keys[0],
	.enter = alert_enter,
	.draw = alert_draw,
	.hints = alert_hints,
	.changed = alert_changed,
};
