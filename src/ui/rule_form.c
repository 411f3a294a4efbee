/* rule_form.c: the form that creates or edits an alert rule (see ui_view.h).
 *
 * The form holds its values as text and choices; the fields shown are laid
 * out again from them after every change (the conditions follow the rule's
 * type, the channel fields follow each channel's type). Channels are a list
 * of slots with one empty slot last: choosing a type for it adds a channel,
 * choosing "none" for another removes that one.
 *
 * Invariants: the daemon validates, the form does not guess: numbers go as
 * typed (an integer, a real, or the text itself), so the daemon's error names
 * the field and the cursor goes there; what the form does not edit
 * (escalation channels, unknown keys) is kept from the rule it started from,
 * and secrets shown as "***" go back as "***" so the daemon keeps them;
 * every text field is bounded (RF_TEXT_MAX). */
#include "ui_view.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ui_screen.h"
#include "xalloc.h"

#define RF_TEXT_MAX 256
#define RF_NUM_MAX 32
#define RF_MAX_CHANNELS 6
#define RF_MAX_FIELDS 64

/* ---- choices ------------------------------------------------------------------------ */

static const char *const type_wire[] = {
	"execution_failed", "running_long", "slow_execution", "consecutive_failures",
	"error_rate", "queue_backlog", "resource_threshold", "custom", "performance_degraded",
};
static const char *const type_shown[] = {
	N_("execution failed"), N_("running too long"), N_("slower than usual"), N_("consecutive failures"),
	N_("error rate"), N_("queue backlog"), N_("resource threshold"), N_("custom metric"),
	N_("performance degraded"),
};
#define NTYPES ((int)(sizeof type_wire / sizeof type_wire[0]))

static const char *const sev_wire[] = { "info", "warning", "error", "critical" };
static const char *const yesno_wire[] = { "yes", "no" };
static const char *const yesno_shown[] = { N_("yes"), N_("no") };
static const char *const lang_wire[] = { "en", "pl" };
static const char *const lang_shown[] = { N_("English"), N_("Polish") };
static const char *const metric_wire[] = { "cpu_percent", "memory_percent" };
static const char *const op_wire[] = { "gt", "gte", "lt", "lte", "eq", "ne" };
static const char *const op_shown[] = { ">", ">=", "<", "<=", "=", "!=" };

enum ch_type { CH_NONE, CH_IN_APP, CH_WEBHOOK, CH_SLACK, CH_EMAIL, CH_SMS, CH__COUNT };
static const char *const ch_wire[CH__COUNT] = { "", "in_app", "webhook", "slack", "email", "sms" };
static const char *const ch_shown[CH__COUNT] = {
	N_("(none)"), N_("in the console"), N_("webhook"), N_("Slack"), N_("e-mail"), N_("SMS"),
};

const char *ui_rule_type_text(const char *wire)
{
	for (int i = 0; wire != NULL && i < NTYPES; i++)
		if (strcmp(wire, type_wire[i]) == 0)
			return _(type_shown[i]);
	return wire ? wire : "?";
}

/* ---- state ---------------------------------------------------------------------------- */

struct rf_channel {
	int type;                 /* enum ch_type */
	int bell;                 /* 0 yes, 1 no (yesno_wire) */
	char url[RF_TEXT_MAX], secret[RF_TEXT_MAX], to[RF_TEXT_MAX], from[RF_TEXT_MAX];
	char smtp_url[RF_TEXT_MAX], smtp_user[RF_TEXT_MAX], smtp_password[RF_TEXT_MAX];
	json_t *orig;             /* the channel it started from, or NULL */
};

enum rf_kind { RF_TEXT, RF_CYCLE };

struct rf_field {
	enum rf_kind kind;
	const char *label;        /* N_() */
	const char *section;      /* N_(): a heading drawn above it, or NULL */
	char *text;               /* RF_TEXT: the buffer, cap bytes */
	size_t cap;
	int *choice;              /* RF_CYCLE */
	const char *const *wire;
	const char *const *shown; /* N_() names, or NULL to show the wire names */
	int nchoices;
	bool relayout;            /* a change of this choice changes the fields */
	char path[64];            /* the JSON path the daemon's errors name, without "rule." */
};

struct rule_form {
	json_t *orig;             /* the rule edited (a copy), or NULL for a new one */
	char name[RF_TEXT_MAX], workflow[RF_TEXT_MAX], cooldown[RF_NUM_MAX];
	int type, severity, enabled, language;
	char threshold_seconds[RF_NUM_MAX], count[RF_NUM_MAX], threshold_percent[RF_NUM_MAX];
	char window_minutes[RF_NUM_MAX], min_sample[RF_NUM_MAX], threshold[RF_NUM_MAX];
	char metric[RF_TEXT_MAX], value[RF_NUM_MAX];
	char p95_margin[RF_NUM_MAX], success_margin[RF_NUM_MAX], min_runs[RF_NUM_MAX];
	int res_metric, op;
	struct rf_channel ch[RF_MAX_CHANNELS];
	int nch;
	struct rf_field fields[RF_MAX_FIELDS];
	int nfields, focus, top;
	char error[PROTO_MAX_TEXT + 1];
	bool waiting;             /* a save is on its way */
};

static int choice_of(const char *const *wire, int n, const char *name, int dflt)
{
	for (int i = 0; name != NULL && i < n; i++)
		if (strcmp(wire[i], name) == 0)
			return i;
	return dflt;
}

static void text_of(char *dst, size_t cap, json_t *v)
{
	if (json_is_string(v))
		snprintf(dst, cap, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(dst, cap, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(dst, cap, "%g", json_real_value(v));
	else
		dst[0] = '\0';
}

/* ---- layout ----------------------------------------------------------------------------- */

static struct rf_field *add(struct rule_form *f, enum rf_kind kind, const char *label, const char *path)
{
	if (f->nfields >= RF_MAX_FIELDS)
		fatal("rule form: too many fields");
	struct rf_field *x = &f->fields[f->nfields++];
	memset(x, 0, sizeof *x);
	x->kind = kind;
	x->label = label;
	snprintf(x->path, sizeof x->path, "%s", path);
	return x;
}

static void add_text(struct rule_form *f, const char *label, const char *path, char *buf, size_t cap)
{
	struct rf_field *x = add(f, RF_TEXT, label, path);
	x->text = buf;
	x->cap = cap;
}

static struct rf_field *add_cycle(struct rule_form *f, const char *label, const char *path, int *choice,
				  const char *const *wire, const char *const *shown, int n)
{
	struct rf_field *x = add(f, RF_CYCLE, label, path);
	x->choice = choice;
	x->wire = wire;
	x->shown = shown;
	x->nchoices = n;
	return x;
}

#define NOF(a) ((int)(sizeof a / sizeof a[0]))

static void conditions_layout(struct rule_form *f)
{
	int first = f->nfields;
	switch (f->type) {
	case 1: case 2:
		add_text(f, N_("threshold (seconds)"), "conditions.threshold_seconds", f->threshold_seconds,
			 sizeof f->threshold_seconds);
		break;
	case 3:
		add_text(f, N_("failures in a row"), "conditions.count", f->count, sizeof f->count);
		break;
	case 4:
		add_text(f, N_("threshold (%)"), "conditions.threshold_percent", f->threshold_percent,
			 sizeof f->threshold_percent);
		add_text(f, N_("window (minutes)"), "conditions.window_minutes", f->window_minutes,
			 sizeof f->window_minutes);
		add_text(f, N_("minimum sample"), "conditions.min_sample", f->min_sample, sizeof f->min_sample);
		break;
	case 5:
		add_text(f, N_("queued at least"), "conditions.threshold", f->threshold, sizeof f->threshold);
		break;
	case 6:
		add_cycle(f, N_("metric"), "conditions.metric", &f->res_metric, metric_wire, NULL, NOF(metric_wire));
		add_text(f, N_("threshold (%)"), "conditions.threshold", f->threshold, sizeof f->threshold);
		break;
	case 7:
		add_text(f, N_("metric"), "conditions.metric", f->metric, sizeof f->metric);
		add_cycle(f, N_("comparison"), "conditions.op", &f->op, op_wire, op_shown, NOF(op_wire));
		add_text(f, N_("value"), "conditions.value", f->value, sizeof f->value);
		break;
	case 8:
		/* Empty: the daemon's margins (wfmond.conf(5), degradation-*). */
		add_text(f, N_("p95 margin (%, empty: default)"), "conditions.p95_margin_percent", f->p95_margin,
			 sizeof f->p95_margin);
		add_text(f, N_("success margin (points, empty: default)"), "conditions.success_margin_points",
			 f->success_margin, sizeof f->success_margin);
		add_text(f, N_("minimum runs (empty: default)"), "conditions.min_runs", f->min_runs, sizeof f->min_runs);
		break;
	default:
		break;
	}
	if (f->nfields > first)
		f->fields[first].section = N_("Conditions");
}

static void channel_layout(struct rule_form *f, int slot, int index)
{
	struct rf_channel *c = &f->ch[slot];
	char p[64];
	snprintf(p, sizeof p, "channels[%d]", index);
	struct rf_field *t = add_cycle(f, N_("channel"), p, &c->type, ch_wire, ch_shown, CH__COUNT);
	t->relayout = true;
	if (slot == 0)
		t->section = N_("Channels");
	static const struct {
		int type;
		const char *label;
		const char *key;
		size_t offset;
	} ch_fields[] = {
		{ CH_WEBHOOK, N_("  URL"), "url", offsetof(struct rf_channel, url) },
		{ CH_WEBHOOK, N_("  signing secret"), "secret", offsetof(struct rf_channel, secret) },
		{ CH_SLACK, N_("  URL"), "url", offsetof(struct rf_channel, url) },
		{ CH_EMAIL, N_("  to"), "to", offsetof(struct rf_channel, to) },
		{ CH_EMAIL, N_("  from"), "from", offsetof(struct rf_channel, from) },
		{ CH_EMAIL, N_("  SMTP URL"), "smtp_url", offsetof(struct rf_channel, smtp_url) },
		{ CH_EMAIL, N_("  SMTP user"), "smtp_user", offsetof(struct rf_channel, smtp_user) },
		{ CH_EMAIL, N_("  SMTP password"), "smtp_password", offsetof(struct rf_channel, smtp_password) },
		{ CH_SMS, N_("  URL"), "url", offsetof(struct rf_channel, url) },
		{ CH_SMS, N_("  to"), "to", offsetof(struct rf_channel, to) },
		{ CH_SMS, N_("  secret"), "secret", offsetof(struct rf_channel, secret) },
	};
	if (c->type == CH_IN_APP) {
		snprintf(p, sizeof p, "channels[%d].bell", index);
		add_cycle(f, N_("  bell"), p, &c->bell, yesno_wire, yesno_shown, 2);
	}
	for (size_t i = 0; i < sizeof ch_fields / sizeof ch_fields[0]; i++) {
		if (ch_fields[i].type != c->type)
			continue;
		snprintf(p, sizeof p, "channels[%d].%s", index, ch_fields[i].key);
		add_text(f, ch_fields[i].label, p, (char *)c + ch_fields[i].offset, RF_TEXT_MAX);
	}
}

/* Empty slots leave the list, except one at the end for adding. */
static void channels_normalize(struct rule_form *f)
{
	int n = 0;
	for (int i = 0; i < f->nch; i++) {
		if (f->ch[i].type == CH_NONE) {
			json_decref(f->ch[i].orig);
			continue;
		}
		f->ch[n++] = f->ch[i];
	}
	f->nch = n;
	if (f->nch < RF_MAX_CHANNELS) {
		memset(&f->ch[f->nch], 0, sizeof f->ch[0]);
		f->nch++;
	}
}

static void form_layout(struct rule_form *f)
{
	f->nfields = 0;
	add_text(f, N_("name"), "name", f->name, sizeof f->name);
	add_cycle(f, N_("type"), "type", &f->type, type_wire, type_shown, NTYPES)->relayout = true;
	add_text(f, N_("workflow (empty: all)"), "workflow_id", f->workflow, sizeof f->workflow);
	add_cycle(f, N_("severity"), "severity", &f->severity, sev_wire, NULL, NOF(sev_wire));
	add_text(f, N_("cooldown (minutes)"), "cooldown_minutes", f->cooldown, sizeof f->cooldown);
	add_cycle(f, N_("enabled"), "enabled", &f->enabled, yesno_wire, yesno_shown, 2);
	add_cycle(f, N_("language of messages"), "language", &f->language, lang_wire, lang_shown, 2);
	conditions_layout(f);
	int index = 0;
	for (int i = 0; i < f->nch; i++) {
		channel_layout(f, i, index);
		index += f->ch[i].type != CH_NONE;
	}
	if (f->focus >= f->nfields)
		f->focus = f->nfields - 1;
}

/* ---- from and to JSON --------------------------------------------------------------------- */

static void channel_from(struct rf_channel *c, json_t *j)
{
	memset(c, 0, sizeof *c);
	c->type = choice_of(ch_wire, CH__COUNT, json_string_value(json_object_get(j, "type")), CH_NONE);
	if (c->type == CH_NONE)
		return;
	c->orig = json_deep_copy(j);
	c->bell = json_is_true(json_object_get(j, "bell")) ? 0 : 1;
	text_of(c->url, sizeof c->url, json_object_get(j, "url"));
	text_of(c->secret, sizeof c->secret, json_object_get(j, "secret"));
	text_of(c->to, sizeof c->to, json_object_get(j, "to"));
	text_of(c->from, sizeof c->from, json_object_get(j, "from"));
	text_of(c->smtp_url, sizeof c->smtp_url, json_object_get(j, "smtp_url"));
	text_of(c->smtp_user, sizeof c->smtp_user, json_object_get(j, "smtp_user"));
	text_of(c->smtp_password, sizeof c->smtp_password, json_object_get(j, "smtp_password"));
}

static void form_from(struct rule_form *f, json_t *rule)
{
	f->type = 3;           /* consecutive failures: the common case */
	f->severity = 2;       /* error */
	f->enabled = 0;
	f->language = 0;
	f->nch = 0;
	if (rule == NULL) {
		snprintf(f->cooldown, sizeof f->cooldown, "15");
		snprintf(f->count, sizeof f->count, "3");
		f->ch[f->nch++] = (struct rf_channel){ .type = CH_IN_APP, .bell = 0 };
		channels_normalize(f);
		return;
	}
	f->orig = json_deep_copy(rule);
	text_of(f->name, sizeof f->name, json_object_get(rule, "name"));
	text_of(f->workflow, sizeof f->workflow, json_object_get(rule, "workflow_id"));
	text_of(f->cooldown, sizeof f->cooldown, json_object_get(rule, "cooldown_minutes"));
	f->type = choice_of(type_wire, NTYPES, json_string_value(json_object_get(rule, "type")), f->type);
	f->severity = choice_of(sev_wire, NOF(sev_wire), json_string_value(json_object_get(rule, "severity")),
				f->severity);
	f->enabled = json_is_false(json_object_get(rule, "enabled")) ? 1 : 0;
	f->language = choice_of(lang_wire, 2, json_string_value(json_object_get(rule, "language")), 0);
	json_t *c = json_object_get(rule, "conditions");
	text_of(f->threshold_seconds, sizeof f->threshold_seconds, json_object_get(c, "threshold_seconds"));
	text_of(f->count, sizeof f->count, json_object_get(c, "count"));
	text_of(f->threshold_percent, sizeof f->threshold_percent, json_object_get(c, "threshold_percent"));
	text_of(f->window_minutes, sizeof f->window_minutes, json_object_get(c, "window_minutes"));
	text_of(f->min_sample, sizeof f->min_sample, json_object_get(c, "min_sample"));
	text_of(f->threshold, sizeof f->threshold, json_object_get(c, "threshold"));
	text_of(f->value, sizeof f->value, json_object_get(c, "value"));
	text_of(f->p95_margin, sizeof f->p95_margin, json_object_get(c, "p95_margin_percent"));
	text_of(f->success_margin, sizeof f->success_margin, json_object_get(c, "success_margin_points"));
	text_of(f->min_runs, sizeof f->min_runs, json_object_get(c, "min_runs"));
	const char *metric = json_string_value(json_object_get(c, "metric"));
	f->res_metric = choice_of(metric_wire, NOF(metric_wire), metric, 0);
	text_of(f->metric, sizeof f->metric, json_object_get(c, "metric"));
	f->op = choice_of(op_wire, NOF(op_wire), json_string_value(json_object_get(c, "op")), 0);
	size_t i;
	json_t *ch;
	json_array_foreach(json_object_get(rule, "channels"), i, ch) {
		if (f->nch >= RF_MAX_CHANNELS - 1)
			break;
		channel_from(&f->ch[f->nch], ch);
		if (f->ch[f->nch].type != CH_NONE)
			f->nch++;
	}
	channels_normalize(f);
}

/* A number as typed: an integer, else a real, else the text (the daemon says
 * what is wrong with it). */
static json_t *number_new(const char *text)
{
	char *end;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (errno == 0 && end != text && *end == '\0')
		return json_integer(v);
	double d = strtod(text, &end);
	if (end != text && *end == '\0')
		return json_real(d);
	return json_string(text);
}

static void set_number(json_t *o, const char *key, const char *text)
{
	if (text[0] == '\0')
		json_object_del(o, key);
	else
		json_object_set_new(o, key, number_new(text));
}

static void set_text(json_t *o, const char *key, const char *text)
{
	if (text[0] == '\0')
		json_object_del(o, key);
	else
		json_object_set_new(o, key, json_string(text));
}

static json_t *channel_json_new(const struct rf_channel *c)
{
	json_t *j = c->orig != NULL && choice_of(ch_wire, CH__COUNT,
						  json_string_value(json_object_get(c->orig, "type")), -1) == c->type
		    ? json_deep_copy(c->orig) : json_object();
	json_object_set_new(j, "type", json_string(ch_wire[c->type]));
	switch (c->type) {
	case CH_IN_APP:
		json_object_set_new(j, "bell", json_boolean(c->bell == 0));
		break;
	case CH_WEBHOOK:
		set_text(j, "url", c->url);
		set_text(j, "secret", c->secret);
		break;
	case CH_SLACK:
		set_text(j, "url", c->url);
		break;
	case CH_EMAIL:
		set_text(j, "to", c->to);
		set_text(j, "from", c->from);
		set_text(j, "smtp_url", c->smtp_url);
		set_text(j, "smtp_user", c->smtp_user);
		set_text(j, "smtp_password", c->smtp_password);
		break;
	case CH_SMS:
		set_text(j, "url", c->url);
		set_text(j, "to", c->to);
		set_text(j, "secret", c->secret);
		break;
	default:
		break;
	}
	return j;
}

static json_t *form_json_new(const struct rule_form *f)
{
	json_t *r = f->orig ? json_deep_copy(f->orig) : json_object();
	json_object_set_new(r, "name", json_string(f->name));
	json_object_set_new(r, "type", json_string(type_wire[f->type]));
	set_text(r, "workflow_id", f->workflow);
	json_object_set_new(r, "severity", json_string(sev_wire[f->severity]));
	set_number(r, "cooldown_minutes", f->cooldown);
	json_object_set_new(r, "enabled", json_boolean(f->enabled == 0));
	json_object_set_new(r, "language", json_string(lang_wire[f->language]));
	json_t *c = json_object();
	switch (f->type) {
	case 1: case 2: set_number(c, "threshold_seconds", f->threshold_seconds); break;
	case 3: set_number(c, "count", f->count); break;
	case 4:
		set_number(c, "threshold_percent", f->threshold_percent);
		set_number(c, "window_minutes", f->window_minutes);
		set_number(c, "min_sample", f->min_sample);
		break;
	case 5: set_number(c, "threshold", f->threshold); break;
	case 6:
		json_object_set_new(c, "metric", json_string(metric_wire[f->res_metric]));
		set_number(c, "threshold", f->threshold);
		break;
	case 7:
		set_text(c, "metric", f->metric);
		json_object_set_new(c, "op", json_string(op_wire[f->op]));
		set_number(c, "value", f->value);
		break;
	case 8:
		set_number(c, "p95_margin_percent", f->p95_margin);
		set_number(c, "success_margin_points", f->success_margin);
		set_number(c, "min_runs", f->min_runs);
		break;
	default:
		break;
	}
	json_object_set_new(r, "conditions", c);
	json_t *chs = json_array();
	for (int i = 0; i < f->nch; i++)
		if (f->ch[i].type != CH_NONE)
			json_array_append_new(chs, channel_json_new(&f->ch[i]));
	json_object_set_new(r, "channels", chs);
	return r;
}

/* ---- life ------------------------------------------------------------------------------------ */

void ui_rule_form_free(struct ui *ui)
{
	struct rule_form *f = ui->form;
	if (f == NULL)
		return;
	for (int i = 0; i < f->nch; i++)
		json_decref(f->ch[i].orig);
	json_decref(f->orig);
	free(f);
	ui->form = NULL;
}

void ui_rule_form_open(struct ui *ui, json_t *rule)
{
	if (ui->opt->readonly) {
		ui_message(ui, UI_ERROR, "%s", _("read-only console (--readonly): changing alert rules is disabled"));
		return;
	}
	ui_rule_form_free(ui);
	ui->form = xcalloc(1, sizeof *ui->form);
	form_from(ui->form, rule);
	form_layout(ui->form);
	ui_set_view(ui, VIEW_RULE_FORM);
}

/* The field the daemon's error names: exact, else the nearest by prefix. */
static int field_find(const struct rule_form *f, const char *path)
{
	int best = -1;
	size_t best_len = 0;
	for (int i = 0; i < f->nfields; i++) {
		const char *p = f->fields[i].path;
		if (strcmp(p, path) == 0)
			return i;
		size_t n = strlen(p), m = strlen(path);
		/* "channels[1]" names the channel's first field; "conditions" the first condition. */
		size_t common = 0;
		while (common < n && common < m && p[common] == path[common])
			common++;
		bool boundary = (common == m && (p[common] == '.' || p[common] == '[')) ||
				(common == n && (path[common] == '.' || path[common] == '['));
		if (boundary && common > best_len) {
			best = i;
			best_len = common;
		}
	}
	return best;
}

void ui_rule_form_error(struct ui *ui, const char *field, const char *message)
{
	struct rule_form *f = ui->form;
	if (f == NULL)
		return;
	f->waiting = false;
	const char *path = strncmp(field, "rule.", 5) == 0 ? field + 5 : field;
	int i = field_find(f, path);
	if (i >= 0) {
		f->focus = i;
		snprintf(f->error, sizeof f->error, "%s: %s", _(f->fields[i].label), message);
	} else {
		snprintf(f->error, sizeof f->error, "%s%s%s", field, field[0] ? ": " : "", message);
	}
	/* The label may carry the indent of a channel's fields. */
	char *e = f->error;
	while (*e == ' ')
		memmove(e, e + 1, strlen(e));
	ui_message(ui, UI_ERROR, _("the server refused the rule: %s (field %s)"), message, field);
}

/* ---- keys ------------------------------------------------------------------------------------- */

static void focus_move(struct ui *ui, int delta)
{
	struct rule_form *f = ui->form;
	if (f == NULL || f->nfields == 0)
		return;
	f->focus = (f->focus + delta + f->nfields) % f->nfields;
}

static void cycle(struct ui *ui, int delta)
{
	struct rule_form *f = ui->form;
	if (f == NULL)
		return;
	struct rf_field *x = &f->fields[f->focus];
	if (x->kind != RF_CYCLE)
		return;
	*x->choice = (*x->choice + delta + x->nchoices) % x->nchoices;
	if (x->relayout) {
		char path[64];
		snprintf(path, sizeof path, "%s", x->path);
		if (x->choice != &f->type)
			channels_normalize(f);
		form_layout(f);
		/* Stay on the field that changed (a removed channel: its successor). */
		int i = field_find(f, path);
		f->focus = i >= 0 ? i : f->focus;
	}
}

static void k_next(struct ui *ui) { focus_move(ui, 1); }
static void k_prev(struct ui *ui) { focus_move(ui, -1); }
static void k_left(struct ui *ui) { cycle(ui, -1); }
static void k_right(struct ui *ui) { cycle(ui, 1); }

static void k_save(struct ui *ui)
{
	struct rule_form *f = ui->form;
	if (f == NULL)
		return;
	json_t *rule = form_json_new(f);
	char id[PROTO_MAX_ID + 16];
	snprintf(id, sizeof id, "%ssave", MODEL_ID_RULE);
	json_t *req = json_pack("{s:s, s:s, s:s, s:o}", "type", "rule", "id", id, "action", "save", "rule", rule);
	if (req == NULL)
		return;
	f->error[0] = '\0';
	if (ui_request(ui, req) == 0) {
		f->waiting = true;
		ui_message(ui, UI_MESSAGE, "%s", _("saving the rule…"));
	}
}

static void k_cancel(struct ui *ui)
{
	ui_set_view(ui, VIEW_RULES);
	ui_message(ui, UI_MESSAGE, "%s", _("rule not saved"));
}

static void k_clear(struct ui *ui)
{
	struct rule_form *f = ui->form;
	if (f != NULL && f->fields[f->focus].kind == RF_TEXT)
		f->fields[f->focus].text[0] = '\0';
}

static const struct ui_key form_keys[] = {
	{ '\t', "Tab Down", N_("next field"), k_next },
	{ KEY_DOWN, NULL, NULL, k_next },
	{ KEY_BTAB, "S-Tab Up", N_("previous field"), k_prev },
	{ KEY_UP, NULL, NULL, k_prev },
	{ KEY_LEFT, "Left", N_("previous choice (type, severity, channel...)"), k_left },
	{ KEY_RIGHT, "Right Spc", N_("next choice"), k_right },
	{ 21, "Ctrl-U", N_("clear the field"), k_clear },
	{ '\r', "Enter", N_("save the rule (the server checks it)"), k_save },
	{ '\n', NULL, NULL, k_save },
	{ KEY_ENTER, NULL, NULL, k_save },
	{ 27, "Esc", N_("cancel: back to the rules"), k_cancel },
};

/* Typing goes into the focused field; no printable key reaches the global
 * table (q must not quit halfway through a name). */
static bool form_raw_key(struct ui *ui, int key)
{
	struct rule_form *f = ui->form;
	if (f == NULL)
		return false;
	struct rf_field *x = &f->fields[f->focus];
	bool printable = key >= 0x20 && key < 0x100 && key != 127;
	if (x->kind == RF_CYCLE) {
		if (key == ' ')
			cycle(ui, 1);
		return printable;
	}
	size_t n = strlen(x->text);
	if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		while (n > 0 && ((unsigned char)x->text[n - 1] & 0xc0) == 0x80)
			x->text[--n] = '\0';
		if (n > 0)
			x->text[--n] = '\0';
		return true;
	}
	if (!printable)
		return false;
	if (n + 1 < x->cap) {
		x->text[n] = (char)key;
		x->text[n + 1] = '\0';
	}
	return true;
}

/* ---- drawing ------------------------------------------------------------------------------------ */

static void form_draw(struct ui *ui, int top, int rows)
{
	struct rule_form *f = ui->form;
	int w = ui_screen_cols();
	if (f == NULL) {
		ui_title_line(top, _("Alert rule"), "");
		return;
	}
	char title[RF_TEXT_MAX + 64];
	const char *id = f->orig ? json_string_value(json_object_get(f->orig, "id")) : NULL;
	if (id != NULL)
		snprintf(title, sizeof title, _("Edit rule %s"), id);
	else
		snprintf(title, sizeof title, "%s", _("New alert rule"));
	ui_title_line(top, title, f->waiting ? _("saving…") : _("Enter: save  Esc: cancel"));
	int y = top + 1, bottom = top + rows;
	if (f->error[0] != '\0' && y < bottom) {
		ui_fill(y, 0, w, UI_ERROR);
		ui_text(y++, 1, w - 2, UI_ERROR, f->error);
	}
	/* Rows: one per field plus one per heading; keep the focus in sight. */
	int lines[RF_MAX_FIELDS];
	int n = 0;
	for (int i = 0; i < f->nfields; i++) {
		n += f->fields[i].section != NULL;
		lines[i] = n++;
	}
	int body = bottom - y;
	if (body <= 0)
		return;
	int fl = lines[f->focus] - (f->fields[f->focus].section ? 1 : 0);
	if (fl < f->top)
		f->top = fl;
	if (lines[f->focus] >= f->top + body)
		f->top = lines[f->focus] - body + 1;
	int labw = 26, valw = w - labw - 4;
	if (valw > 60)
		valw = 60;
	for (int i = 0; i < f->nfields; i++) {
		const struct rf_field *x = &f->fields[i];
		int ly = lines[i] - f->top;
		if (x->section != NULL && ly - 1 >= 0 && ly - 1 < body)
			ui_title_line(y + ly - 1, _(x->section), "");
		if (ly < 0 || ly >= body)
			continue;
		bool foc = i == f->focus;
		int ry = y + ly;
		ui_text(ry, 1, labw, foc ? UI_TITLE : UI_MUTED, _(x->label));
		char v[RF_TEXT_MAX + 16];
		if (x->kind == RF_CYCLE) {
			const char *name = x->shown ? _(x->shown[*x->choice]) : x->wire[*x->choice];
			if (x->choice == &f->severity)
				name = ui_severity_text((enum model_severity)*x->choice);
			snprintf(v, sizeof v, "< %s >", name);
		} else {
			snprintf(v, sizeof v, "%s", x->text);
		}
		enum ui_element el = foc ? UI_SELECTION : UI_FORM_FIELD;
		ui_fill(ry, labw + 2, valw, el);
		/* A long value shows its end, where typing goes. */
		const char *shown = v;
		while (x->kind == RF_TEXT && foc && ui_width(shown) > valw - 1 && *shown)
			shown++;
		int used = ui_text(ry, labw + 2, valw, el, shown);
		if (foc && x->kind == RF_TEXT && used < valw)
			ui_text(ry, labw + 2 + used, 1, UI_FOOTER_KEY, " ");
	}
}

static void form_hints(struct ui *ui, int y)
{
	(void)ui;
	int x = 0;
	ui_hint(y, &x, "Tab", _("Next field"), false);
	ui_hint(y, &x, "Left/Right", _("Choose"), false);
	ui_hint(y, &x, "Enter", _("Save"), false);
	ui_hint(y, &x, "Esc", _("Cancel"), false);
	ui_hint(y, &x, "F1", _("Help"), false);
}

static void form_leave(struct ui *ui)
{
	ui_rule_form_free(ui);
}

const struct ui_view_ops ui_view_rule_form = {
	.name = N_("Alert rule"),
	.keys = form_keys,
	.nkeys = sizeof form_keys / sizeof form_keys[0],
	.leave = form_leave,
	.draw = form_draw,
	.hints = form_hints,
	.raw_key = form_raw_key,
};
