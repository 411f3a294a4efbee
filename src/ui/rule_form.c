/* rule_form.c: the form that creates or edits an alert rule (see ui_view.h).
 *
 * The form is laid out from the protocol's rule schema (alert_rule.h): the
 * rule's own fields, the conditions of the chosen type, and for each channel
 * the fields of its type, with their labels, kinds and choices; the form
 * repeats no field name. Values are held as text by field name (a choice as
 * its wire name, a boolean as "true" or "false"), so that a field two types
 * share (a channel's "url", a condition's "threshold") keeps what was typed
 * when the type changes. The fields shown are laid out again after every
 * change of a type. Channels are a list of slots with one empty slot last:
 * choosing a type for it adds a channel, choosing "none" for another removes
 * that one.
 *
 * Invariants: the daemon validates, the form does not guess: numbers go as
 * typed (an integer, a real, or the text itself), so that the daemon's error
 * names the field and the cursor goes there; what the form does not edit
 * (escalation channels) is kept from the rule it started from, and secrets
 * shown as the mask go back as the mask so the daemon keeps them; every text
 * is bounded (RF_TEXT_MAX); a rule's channels all fit (ALERT_MAX_CHANNELS). */
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
#define RF_NAME_MAX 32
#define RF_MAX_VALUES 32          /* field names of a rule (with every type's conditions) or of a channel */
#define RF_SLOTS (ALERT_MAX_CHANNELS + 1)   /* a rule's channels, and one empty slot to add one */
#define RF_MAX_FIELDS 96
#define RF_NONE (-1)              /* a slot without a channel */

/* ---- values by field name --------------------------------------------------------------- */

struct rf_values {
	struct {
		char name[RF_NAME_MAX];
		char text[RF_TEXT_MAX];
	} v[RF_MAX_VALUES];
	int n;
};

static char *value_find(struct rf_values *vs, const char *name)
{
	for (int i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].name, name) == 0)
			return vs->v[i].text;
	return NULL;
}

/* The value of name, made with text when there is none yet. */
static char *value_get(struct rf_values *vs, const char *name, const char *text)
{
	char *t = value_find(vs, name);
	if (t != NULL)
		return t;
	if (vs->n >= RF_MAX_VALUES)
		fatal("rule form: too many values");
	snprintf(vs->v[vs->n].name, sizeof vs->v[vs->n].name, "%s", name);
	snprintf(vs->v[vs->n].text, sizeof vs->v[vs->n].text, "%s", text ? text : "");
	return vs->v[vs->n++].text;
}

/* What a field starts with when nothing was given: a new rule's suggestion,
 * else the schema's default, else nothing (false for a boolean). */
static const char *field_start(const struct alert_field *f)
{
	if (f->form_start != NULL)
		return f->form_start;
	if (f->dflt != NULL)
		return f->dflt;
	return f->kind == ALERT_FIELD_BOOL ? "false" : "";
}

/* A JSON value as the form holds it; absent: the schema's default. */
static void value_set_json(struct rf_values *vs, const struct alert_field *f, json_t *v)
{
	char *t = value_get(vs, f->name, NULL);
	if (json_is_string(v))
		snprintf(t, RF_TEXT_MAX, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(t, RF_TEXT_MAX, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(t, RF_TEXT_MAX, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(t, RF_TEXT_MAX, "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_object(v) && f->kind == ALERT_FIELD_LABELS)
		proto_labels_format(v, t, RF_TEXT_MAX);   /* sent back as this text, which the schema reads */
	else
		snprintf(t, RF_TEXT_MAX, "%s", f->dflt ? f->dflt : f->kind == ALERT_FIELD_BOOL ? "false" : "");
}

/* ---- state ---------------------------------------------------------------------------------- */

struct rf_slot {
	int type;                 /* enum channel_type, or RF_NONE */
	struct rf_values values;
	json_t *orig;             /* the channel it started from, or NULL */
};

enum rf_kind { RF_TEXT, RF_CHOICE, RF_BOOL, RF_CHANNEL };

struct rf_field {
	enum rf_kind kind;
	const struct alert_field *schema;   /* NULL for a channel's type */
	const char *label;        /* English (the schema's): translated when drawn */
	const char *section;      /* N_(): a heading drawn above it, or NULL */
	bool indent;              /* a channel's own field */
	char *text;               /* the value (RF_TEXT, RF_CHOICE, RF_BOOL) */
	struct rf_slot *slot;     /* RF_CHANNEL */
	bool relayout;            /* a change of this choice changes the fields */
	char path[64];            /* the JSON path the daemon's errors name, without "rule." */
};

struct rule_form {
	json_t *orig;             /* the rule edited (its JSON form), or NULL for a new one */
	char id[PROTO_MAX_ID + 1];
	struct rf_values values;  /* the rule's fields and every type's conditions */
	struct rf_slot ch[RF_SLOTS];
	int nch;
	struct rf_field fields[RF_MAX_FIELDS];
	int nfields, focus, top;
	char error[PROTO_MAX_TEXT + 1];
	bool waiting;             /* a save is on its way */
};

static const char *const channel_none = N_("(none)");

const char *ui_rule_type_text(enum alert_type type)
{
	const char *label = alert_choice_label(alert_types(), ALERT__TYPE_COUNT, (size_t)type);
	return label != NULL ? _(label) : "?";
}

/* The rule type chosen, by its value. */
static int form_type(struct rule_form *f)
{
	int t = alert_choice_find(alert_types(), ALERT__TYPE_COUNT, value_find(&f->values, "type"));
	return t < 0 ? 0 : t;
}

/* ---- layout ----------------------------------------------------------------------------------- */

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

/* One schema row, its value made with its start when there is none. */
static struct rf_field *add_schema(struct rule_form *f, const struct alert_field *s, struct rf_values *vs,
				   const char *prefix)
{
	char path[64];
	if (prefix[0] != '\0')
		snprintf(path, sizeof path, "%s.%s", prefix, s->name);
	else
		snprintf(path, sizeof path, "%s", s->name);
	enum rf_kind kind = s->kind == ALERT_FIELD_CHOICE ? RF_CHOICE : s->kind == ALERT_FIELD_BOOL ? RF_BOOL : RF_TEXT;
	struct rf_field *x = add(f, kind, s->label, path);
	x->schema = s;
	x->text = value_get(vs, s->name, field_start(s));
	/* A name two types share may hold a choice this one lacks. */
	if (kind == RF_CHOICE && alert_choice_find(s->choices, s->nchoices, x->text) < 0)
		snprintf(x->text, RF_TEXT_MAX, "%s", field_start(s));
	return x;
}

/* The rows people edit: not the ones the daemon gives or the type implies. */
static bool editable(const struct alert_field *s)
{
	return s->fixed == NULL && !(s->flags & ALERT_F_SERVER);
}

static void conditions_layout(struct rule_form *f)
{
	int first = f->nfields;
	for (const struct alert_field *c = alert_types()[form_type(f)].fields; !alert_field_end(c); c++)
		if (editable(c))
			add_schema(f, c, &f->values, "conditions");
	if (f->nfields > first)
		f->fields[first].section = N_("Conditions");
}

static void channel_layout(struct rule_form *f, int slot, int index)
{
	struct rf_slot *c = &f->ch[slot];
	char p[64];
	snprintf(p, sizeof p, "channels[%d]", index);
	struct rf_field *t = add(f, RF_CHANNEL, "channel", p);
	t->slot = c;
	t->relayout = true;
	if (slot == 0)
		t->section = N_("Channels");
	if (c->type == RF_NONE)
		return;
	for (const struct alert_field *s = alert_channel_types()[c->type].fields; !alert_field_end(s); s++)
		if (editable(s))
			add_schema(f, s, &c->values, p)->indent = true;
}

/* Empty slots leave the list, except one at the end for adding. */
static void channels_normalize(struct rule_form *f)
{
	int n = 0;
	for (int i = 0; i < f->nch; i++) {
		if (f->ch[i].type == RF_NONE) {
			json_decref(f->ch[i].orig);
			continue;
		}
		f->ch[n++] = f->ch[i];
	}
	f->nch = n;
	if (f->nch < RF_SLOTS) {
		memset(&f->ch[f->nch], 0, sizeof f->ch[0]);
		f->ch[f->nch].type = RF_NONE;
		f->nch++;
	}
}

static void form_layout(struct rule_form *f)
{
	f->nfields = 0;
	for (const struct alert_field *s = alert_rule_fields(); !alert_field_end(s); s++) {
		if (!editable(s))
			continue;
		struct rf_field *x = add_schema(f, s, &f->values, "");
		x->relayout = strcmp(s->name, "type") == 0;
	}
	conditions_layout(f);
	int index = 0;
	for (int i = 0; i < f->nch; i++) {
		channel_layout(f, i, index);
		index += f->ch[i].type != RF_NONE;
	}
	if (f->focus >= f->nfields)
		f->focus = f->nfields - 1;
}

/* ---- from and to JSON --------------------------------------------------------------------------- */

/* Every field of the list from obj (the defaults where obj has none). */
static void values_from(struct rf_values *vs, const struct alert_field *fields, json_t *obj)
{
	for (const struct alert_field *s = fields; !alert_field_end(s); s++)
		if (editable(s))
			value_set_json(vs, s, json_object_get(obj, s->name));
}

static void channel_from(struct rf_slot *c, json_t *j)
{
	memset(c, 0, sizeof *c);
	c->type = alert_choice_find(alert_channel_types(), CH__COUNT, json_string_value(json_object_get(j, "type")));
	if (c->type < 0) {
		c->type = RF_NONE;
		return;
	}
	c->orig = json_deep_copy(j);
	values_from(&c->values, alert_channel_types()[c->type].fields, j);
}

static void form_from(struct rule_form *f, const struct alert_rule *rule)
{
	f->nch = 0;
	if (rule == NULL) {
		/* A new rule: the schema's starts, and a channel in the console. */
		f->ch[0] = (struct rf_slot){ .type = CH_IN_APP };
		f->nch = 1;
		channels_normalize(f);
		return;
	}
	snprintf(f->id, sizeof f->id, "%s", rule->id);
	/* The JSON form of what the daemon listed: secrets are masks, and go back so. */
	f->orig = alert_rule_json_new(rule, true);
	values_from(&f->values, alert_rule_fields(), f->orig);
	values_from(&f->values, alert_types()[rule->type].fields, json_object_get(f->orig, "conditions"));
	size_t i;
	json_t *ch;
	json_array_foreach(json_object_get(f->orig, "channels"), i, ch) {
		if (f->nch >= RF_SLOTS - 1)
			break;
		channel_from(&f->ch[f->nch], ch);
		if (f->ch[f->nch].type != RF_NONE)
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

/* Sets obj's member for one schema row from the form's value; an empty text
 * leaves it out. */
static void value_put(json_t *obj, const struct alert_field *s, const char *text)
{
	switch (s->kind) {
	case ALERT_FIELD_BOOL:
		json_object_set_new(obj, s->name, json_boolean(strcmp(text, "true") == 0));
		return;
	case ALERT_FIELD_INT:
	case ALERT_FIELD_NUMBER:
		if (text[0] != '\0') {
			json_object_set_new(obj, s->name, number_new(text));
			return;
		}
		break;
	default:
		if (text[0] != '\0') {
			json_object_set_new(obj, s->name, json_string(text));
			return;
		}
		break;
	}
	json_object_del(obj, s->name);
}

static void values_put(json_t *obj, const struct alert_field *fields, struct rf_values *vs)
{
	for (const struct alert_field *s = fields; !alert_field_end(s); s++)
		if (editable(s))
			value_put(obj, s, value_get(vs, s->name, field_start(s)));
}

static json_t *channel_json_new(struct rf_slot *c)
{
	json_t *orig_type = json_object_get(c->orig, "type");
	bool same = c->orig != NULL && json_is_string(orig_type) &&
		    strcmp(json_string_value(orig_type), channel_type_name((enum channel_type)c->type)) == 0;
	json_t *j = same ? json_deep_copy(c->orig) : json_object();
	json_object_set_new(j, "type", json_string(channel_type_name((enum channel_type)c->type)));
	values_put(j, alert_channel_types()[c->type].fields, &c->values);
	return j;
}

static json_t *form_json_new(struct rule_form *f)
{
	json_t *r = f->orig ? json_deep_copy(f->orig) : json_object();
	values_put(r, alert_rule_fields(), &f->values);
	json_t *c = json_object();
	values_put(c, alert_types()[form_type(f)].fields, &f->values);
	json_object_set_new(r, "conditions", c);
	json_t *chs = json_array();
	for (int i = 0; i < f->nch; i++)
		if (f->ch[i].type != RF_NONE)
			json_array_append_new(chs, channel_json_new(&f->ch[i]));
	json_object_set_new(r, "channels", chs);
	return r;
}

/* ---- life ------------------------------------------------------------------------------------------ */

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

void ui_rule_form_open(struct ui *ui, const struct alert_rule *rule)
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
	ui_message(ui, UI_ERROR, _("the server refused the rule: %s (field %s)"), message, field);
}

/* ---- keys ------------------------------------------------------------------------------------------- */

static void focus_move(struct ui *ui, int delta)
{
	struct rule_form *f = ui->form;
	if (f == NULL || f->nfields == 0)
		return;
	f->focus = (f->focus + delta + f->nfields) % f->nfields;
}

/* The next choice of a choice field, by its wire name. */
static void choice_step(struct rf_field *x, int delta)
{
	const struct alert_field *s = x->schema;
	int n = (int)s->nchoices;
	int i = alert_choice_find(s->choices, s->nchoices, x->text);
	i = i < 0 ? 0 : (i + delta + n) % n;
	snprintf(x->text, RF_TEXT_MAX, "%s", s->choices[i].name);
}

static void cycle(struct ui *ui, int delta)
{
	struct rule_form *f = ui->form;
	if (f == NULL)
		return;
	struct rf_field *x = &f->fields[f->focus];
	switch (x->kind) {
	case RF_CHOICE:
		choice_step(x, delta);
		break;
	case RF_BOOL:
		snprintf(x->text, RF_TEXT_MAX, "%s", strcmp(x->text, "true") == 0 ? "false" : "true");
		break;
	case RF_CHANNEL:
		/* RF_NONE, then the channel types. */
		x->slot->type = (x->slot->type + 1 + delta + CH__COUNT + 1) % (CH__COUNT + 1) - 1;
		break;
	case RF_TEXT:
		return;
	}
	if (x->relayout) {
		char path[64];
		snprintf(path, sizeof path, "%s", x->path);
		if (x->kind == RF_CHANNEL)
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
	if (x->kind != RF_TEXT) {
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
	if (n + 1 < RF_TEXT_MAX) {
		x->text[n] = (char)key;
		x->text[n + 1] = '\0';
	}
	return true;
}

/* ---- drawing ------------------------------------------------------------------------------------------ */

/* What a choice field shows: the choice's words, translated. */
static const char *choice_text(const struct rf_field *x)
{
	switch (x->kind) {
	case RF_CHANNEL:
		if (x->slot->type == RF_NONE)
			return _(channel_none);
		return _(alert_choice_label(alert_channel_types(), CH__COUNT, (size_t)x->slot->type));
	case RF_BOOL:
		return strcmp(x->text, "true") == 0 ? _("yes") : _("no");
	case RF_CHOICE: {
		const struct alert_field *s = x->schema;
		int i = alert_choice_find(s->choices, s->nchoices, x->text);
		if (i < 0)
			return x->text;
		/* Severities have their own words (a context of their own in the catalogue). */
		if (strcmp(s->name, "severity") == 0)
			return ui_severity_text((enum alert_severity)i);
		return _(alert_choice_label(s->choices, s->nchoices, (size_t)i));
	}
	case RF_TEXT:
		break;
	}
	return x->text;
}

static void form_draw(struct ui *ui, int top, int rows)
{
	struct rule_form *f = ui->form;
	int w = ui_screen_cols();
	if (f == NULL) {
		ui_title_line(top, _("Alert rule"), "");
		return;
	}
	char title[RF_TEXT_MAX + 64];
	if (f->id[0] != '\0')
		snprintf(title, sizeof title, _("Edit rule %s"), f->id);
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
		char label[RF_TEXT_MAX];
		snprintf(label, sizeof label, "%s%s", x->indent ? "  " : "", _(x->label));
		ui_text(ry, 1, labw, foc ? UI_TITLE : UI_MUTED, label);
		char v[RF_TEXT_MAX + 16];
		if (x->kind != RF_TEXT)
			snprintf(v, sizeof v, "< %s >", choice_text(x));
		else
			snprintf(v, sizeof v, "%s", x->text);
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
