/* dashboard.c: the dashboard schema (see dashboard.h): parsing and checking
 * a dashboard, its canonical JSON, places on the grid, what changed between
 * two versions, and the "dashboard" request and answer.
 *
 * Invariants: a struct dashboard that dashboard_parse filled obeys every rule
 * in dashboard.h (the editor and the store rely on it); the widget types are
 * one table, in the order of enum dash_type. */
#include "dashboard.h"
#include "proto-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[DW__COUNT] = {
	[DW_SUMMARY] = "summary",
	[DW_ACTIVE_EXECUTIONS] = "active_executions",
	[DW_EXECUTION_CHART] = "execution_chart",
	[DW_SUCCESS_RATE] = "success_rate",
	[DW_PERFORMANCE_METRICS] = "performance_metrics",
	[DW_QUEUE_STATUS] = "queue_status",
	[DW_RESOURCE_USAGE] = "resource_usage",
	[DW_ALERT_LIST] = "alert_list",
	[DW_WORKFLOW_HEALTH] = "workflow_health",
	[DW_STEP_BREAKDOWN] = "step_breakdown",
	[DW_TIMELINE] = "timeline",
	[DW_TAX_DEADLINES] = "tax_deadlines",
};

static const char *const action_names[DASH__ACTIONS] = {
	[DASH_LIST] = "list", [DASH_GET] = "get", [DASH_SAVE] = "save",
	[DASH_DELETE] = "delete", [DASH_DEFAULT] = "default",
};

static const char *const ranges[] = { "1h", "24h", "7d", "30d" };

const char *dashboard_type_name(enum dash_type t)
{
	return (unsigned)t < DW__COUNT ? type_names[t] : "?";
}

int dashboard_type_parse(const char *name, enum dash_type *out)
{
	for (int t = 0; name != NULL && t < DW__COUNT; t++)
		if (strcmp(type_names[t], name) == 0) {
			*out = (enum dash_type)t;
			return 0;
		}
	return -1;
}

const char *dashboard_action_name(enum dash_action a)
{
	return (unsigned)a < DASH__ACTIONS ? action_names[a] : "?";
}

/* ---- reading ---------------------------------------------------------------------- */

static size_t utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* A string of min..max characters without control characters, copied into buf. */
static int read_text(json_t *v, const char *field, size_t min, size_t max, char *buf, size_t len,
		     struct proto_cause *cause)
{
	if (!json_is_string(v))
		return proto_fail(cause, field, "must be a string");
	const char *s = json_string_value(v);
	if (strlen(s) != json_string_length(v))
		return proto_fail(cause, field, "must not contain NUL characters");
	size_t n = utf8_chars(s);
	if (n < min || n > max)
		return proto_fail(cause, field, "must be %zu to %zu characters long (it has %zu)", min, max, n);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return proto_fail(cause, field, "must not contain control characters");
	if (json_string_length(v) >= len)
		return proto_fail(cause, field, "is too long");
	memcpy(buf, s, json_string_length(v) + 1);
	return 0;
}

int dashboard_name_check(const char *name, struct proto_cause *cause)
{
	char buf[DASH_NAME_MAX * 4 + 1];
	json_t *v = json_string(name ? name : "");
	int rc = v ? read_text(v, "name", DASH_NAME_MIN, DASH_NAME_MAX, buf, sizeof buf, cause)
		   : proto_fail(cause, "name", "must be valid UTF-8");
	json_decref(v);
	return rc;
}

static int read_int(json_t *obj, const char *key, const char *path, int min, int max, bool required,
		    int *out, struct proto_cause *cause)
{
	char field[96];
	snprintf(field, sizeof field, "%.70s%s%.20s", path, path[0] ? "." : "", key);
	json_t *v = json_object_get(obj, key);
	if (v == NULL) {
		if (required)
			return proto_fail(cause, field, "required field missing");
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return proto_fail(cause, field, "must be a whole number from %d to %d", min, max);
	*out = (int)json_integer_value(v);
	return 0;
}

static int only_keys(json_t *obj, const char *path, const char *const *keys, struct proto_cause *cause)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool known = false;
		for (const char *const *k = keys; *k && !known; k++)
			known = strcmp(*k, key) == 0;
		if (!known) {
			char field[96];
			snprintf(field, sizeof field, "%.50s%s%.40s", path, path[0] ? "." : "", key);
			return proto_fail(cause, field, "unknown field");
		}
	}
	return 0;
}

static int read_id(json_t *obj, const char *key, const char *path, char *buf, size_t len,
		   struct proto_cause *cause)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL)
		return 0;
	char field[96];
	snprintf(field, sizeof field, "%.70s.%.20s", path, key);
	if (!proto_json_id_valid(v))
		return proto_fail(cause, field, "must be an id (1 to %d of A-Z a-z 0-9 _ . : -)", PROTO_MAX_ID);
	snprintf(buf, len, "%s", json_string_value(v));
	return 0;
}

static int read_deadlines(json_t *v, const char *path, struct dash_config *c, struct proto_cause *cause)
{
	char field[96];
	snprintf(field, sizeof field, "%.80s.deadlines", path);
	if (!json_is_array(v) || json_array_size(v) > TAXCAL_MAX_RULES)
		return proto_fail(cause, field, "must be a list of at most %d deadlines", TAXCAL_MAX_RULES);
	static const char *const keys[] = { "name", "day", "workflow", NULL };
	size_t i;
	json_t *d;
	json_array_foreach(v, i, d) {
		char at[96];
		snprintf(at, sizeof at, "%.70s[%zu]", field, i);
		struct taxcal_rule *r = &c->deadlines[i];
		memset(r, 0, sizeof *r);
		if (!json_is_object(d))
			return proto_fail(cause, at, "must be an object {\"name\", \"day\", \"workflow\"?}");
		if (only_keys(d, at, keys, cause) != 0)
			return -1;
		char nf[112];
		snprintf(nf, sizeof nf, "%.90s.name", at);
		if (read_text(json_object_get(d, "name"), nf, 1, 32, r->name, sizeof r->name, cause) != 0)
			return -1;
		if (read_int(d, "day", at, 1, 28, true, &r->day, cause) != 0 ||
		    read_id(d, "workflow", at, r->workflow, sizeof r->workflow, cause) != 0)
			return -1;
	}
	c->ndeadlines = json_array_size(v);
	return 0;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0 && n < 4;
}

/* One "NAME DAY [WORKFLOW]" entry (text[0..n), trimmed) as JSON, or NULL. */
static json_t *deadline_entry_new(const char *text, size_t n)
{
	/* The words' starts and ends. */
	size_t ws[64], we[64], nw = 0;
	for (size_t i = 0; i < n && nw < 64;) {
		while (i < n && (text[i] == ' ' || text[i] == '\t'))
			i++;
		if (i == n)
			break;
		ws[nw] = i;
		while (i < n && text[i] != ' ' && text[i] != '\t')
			i++;
		we[nw++] = i;
	}
	size_t day;
	if (nw >= 2 && all_digits(text + ws[nw - 1], we[nw - 1] - ws[nw - 1]))
		day = nw - 1;
	else if (nw >= 3 && all_digits(text + ws[nw - 2], we[nw - 2] - ws[nw - 2]))
		day = nw - 2;
	else
		return NULL;
	json_t *d = json_pack("{s:s%,s:i}", "name", text + ws[0], we[day - 1] - ws[0], "day",
			      atoi(text + ws[day]));
	if (day + 1 < nw)
		json_object_set_new(d, "workflow", json_stringn(text + ws[nw - 1], we[nw - 1] - ws[nw - 1]));
	return d;
}

int dashboard_deadlines_parse(const char *text, struct dash_config *c, struct proto_cause *cause)
{
	json_t *list = json_array();
	size_t i = 0;
	for (const char *p = text; *p != '\0';) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		bool blank = true;
		for (size_t k = 0; k < n; k++)
			blank &= p[k] == ' ' || p[k] == '\t';
		if (!blank) {
			json_t *d = deadline_entry_new(p, n);
			if (d == NULL) {
				json_decref(list);
				char field[64];
				snprintf(field, sizeof field, "config.deadlines[%zu]", i);
				return proto_fail(cause, field, "each deadline is NAME DAY [WORKFLOW], as in VAT 25 jpk-generation");
			}
			json_array_append_new(list, d);
			i++;
		}
		p += n + (end != NULL);
	}
	struct dash_config tmp = *c;
	int rc = json_array_size(list) == 0 ? (tmp.ndeadlines = 0, 0) : read_deadlines(list, "config", &tmp, cause);
	json_decref(list);
	if (rc == 0) {
		c->ndeadlines = tmp.ndeadlines;
		memcpy(c->deadlines, tmp.deadlines, sizeof c->deadlines);
	}
	return rc;
}

void dashboard_deadlines_format(const struct dash_config *c, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < c->ndeadlines && at < len; i++) {
		const struct taxcal_rule *r = &c->deadlines[i];
		int n = snprintf(buf + at, len - at, "%s%s %d%s%s", i ? "; " : "", r->name, r->day,
				 r->workflow[0] ? " " : "", r->workflow);
		if (n < 0)
			break;
		at += (size_t)n;
	}
}

static int read_config(json_t *v, const char *path, enum dash_type type, struct dash_config *c,
		       struct proto_cause *cause)
{
	memset(c, 0, sizeof *c);
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return proto_fail(cause, path, "must be an object");
	static const char *const keys[] = { "workflow", "execution", "range", "limit", "deadlines", NULL };
	if (only_keys(v, path, keys, cause) != 0 ||
	    read_id(v, "workflow", path, c->workflow, sizeof c->workflow, cause) != 0 ||
	    read_id(v, "execution", path, c->execution, sizeof c->execution, cause) != 0 ||
	    read_int(v, "limit", path, 1, DASH_LIMIT_MAX, false, &c->limit, cause) != 0)
		return -1;
	json_t *r = json_object_get(v, "range");
	if (r != NULL) {
		bool ok = false;
		for (size_t i = 0; json_is_string(r) && i < sizeof ranges / sizeof ranges[0]; i++)
			ok |= strcmp(json_string_value(r), ranges[i]) == 0;
		char field[96];
		snprintf(field, sizeof field, "%.80s.range", path);
		if (!ok)
			return proto_fail(cause, field, "must be one of 1h, 24h, 7d, 30d");
		snprintf(c->range, sizeof c->range, "%s", json_string_value(r));
	}
	json_t *d = json_object_get(v, "deadlines");
	if (d != NULL) {
		if (type != DW_TAX_DEADLINES) {
			char field[96];
			snprintf(field, sizeof field, "%.80s.deadlines", path);
			return proto_fail(cause, field, "only a tax_deadlines widget has deadlines");
		}
		return read_deadlines(d, path, c, cause);
	}
	return 0;
}

static int read_widget(json_t *v, size_t i, int columns, struct dash_widget *w, struct proto_cause *cause)
{
	char path[32], field[96];
	snprintf(path, sizeof path, "widgets[%zu]", i);
	memset(w, 0, sizeof *w);
	if (!json_is_object(v))
		return proto_fail(cause, path, "must be an object");
	static const char *const keys[] = { "id", "type", "title", "position", "config", NULL };
	if (only_keys(v, path, keys, cause) != 0)
		return -1;
	snprintf(field, sizeof field, "%s.id", path);
	json_t *id = json_object_get(v, "id");
	if (id == NULL)
		return proto_fail(cause, field, "required field missing");
	if (!proto_json_id_valid(id))
		return proto_fail(cause, field, "must be an id (1 to %d of A-Z a-z 0-9 _ . : -)", PROTO_MAX_ID);
	snprintf(w->id, sizeof w->id, "%s", json_string_value(id));
	snprintf(field, sizeof field, "%s.type", path);
	json_t *type = json_object_get(v, "type");
	if (type == NULL)
		return proto_fail(cause, field, "required field missing");
	if (dashboard_type_parse(json_string_value(type), &w->type) != 0)
		return proto_fail(cause, field, "must be one of summary, active_executions, execution_chart, "
				  "success_rate, performance_metrics, queue_status, resource_usage, alert_list, "
				  "workflow_health, step_breakdown, timeline, tax_deadlines");
	json_t *title = json_object_get(v, "title");
	snprintf(field, sizeof field, "%s.title", path);
	if (title != NULL && read_text(title, field, 0, DASH_TITLE_MAX, w->title, sizeof w->title, cause) != 0)
		return -1;
	snprintf(field, sizeof field, "%s.position", path);
	json_t *pos = json_object_get(v, "position");
	if (!json_is_object(pos))
		return proto_fail(cause, field, pos ? "must be an object {\"x\",\"y\",\"w\",\"h\"}"
					       : "required field missing");
	static const char *const pkeys[] = { "x", "y", "w", "h", NULL };
	if (only_keys(pos, field, pkeys, cause) != 0 ||
	    read_int(pos, "x", field, 0, columns - 1, true, &w->x, cause) != 0 ||
	    read_int(pos, "w", field, 1, columns - w->x, true, &w->w, cause) != 0 ||
	    read_int(pos, "y", field, 0, DASH_MAX_ROWS - 1, true, &w->y, cause) != 0 ||
	    read_int(pos, "h", field, 1, DASH_MAX_ROWS - w->y, true, &w->h, cause) != 0)
		return -1;
	snprintf(field, sizeof field, "%s.config", path);
	return read_config(json_object_get(v, "config"), field, w->type, &w->cfg, cause);
}

static bool rects_overlap(const struct dash_widget *a, int x, int y, int w, int h)
{
	return a->x < x + w && x < a->x + a->w && a->y < y + h && y < a->y + a->h;
}

int dashboard_parse(json_t *j, struct dashboard *d, struct proto_cause *cause)
{
	memset(d, 0, sizeof *d);
	d->columns = DASH_MAX_COLUMNS;
	if (!json_is_object(j))
		return proto_fail(cause, "dashboard", "must be an object");
	static const char *const keys[] = { "name", "layout", "widgets", "is_default", "user", "updated_at", NULL };
	if (only_keys(j, "", keys, cause) != 0)
		return -1;
	json_t *name = json_object_get(j, "name");
	if (name == NULL)
		return proto_fail(cause, "name", "required field missing");
	if (read_text(name, "name", DASH_NAME_MIN, DASH_NAME_MAX, d->name, sizeof d->name, cause) != 0)
		return -1;
	json_t *layout = json_object_get(j, "layout");
	if (layout != NULL) {
		if (!json_is_object(layout))
			return proto_fail(cause, "layout", "must be an object {\"columns\": 1..12}");
		static const char *const lkeys[] = { "columns", "rowHeight", NULL };
		if (only_keys(layout, "layout", lkeys, cause) != 0 ||
		    read_int(layout, "columns", "layout", 1, DASH_MAX_COLUMNS, false, &d->columns, cause) != 0)
			return -1;
	}
	json_t *def = json_object_get(j, "is_default");
	if (def != NULL && !json_is_boolean(def))
		return proto_fail(cause, "is_default", "must be true or false");
	d->is_default = json_is_true(def);
	json_t *user = json_object_get(j, "user");
	if (user != NULL && proto_json_id_valid(user))
		snprintf(d->user, sizeof d->user, "%s", json_string_value(user));
	json_t *at = json_object_get(j, "updated_at");
	if (json_is_string(at))
		snprintf(d->updated_at, sizeof d->updated_at, "%s", json_string_value(at));
	json_t *widgets = json_object_get(j, "widgets");
	if (widgets == NULL)
		return 0;
	if (!json_is_array(widgets))
		return proto_fail(cause, "widgets", "must be a list");
	if (json_array_size(widgets) > DASH_MAX_WIDGETS)
		return proto_fail(cause, "widgets", "holds %zu widgets, more than the limit of %d",
				  json_array_size(widgets), DASH_MAX_WIDGETS);
	size_t i;
	json_t *v;
	json_array_foreach(widgets, i, v) {
		struct dash_widget *w = &d->widgets[i];
		if (read_widget(v, i, d->columns, w, cause) != 0)
			return -1;
		for (size_t k = 0; k < i; k++) {
			char field[96];
			if (strcmp(d->widgets[k].id, w->id) == 0) {
				snprintf(field, sizeof field, "widgets[%zu].id", i);
				return proto_fail(cause, field, "'%s' is also the id of widgets[%zu]", w->id, k);
			}
			if (rects_overlap(&d->widgets[k], w->x, w->y, w->w, w->h)) {
				snprintf(field, sizeof field, "widgets[%zu].position", i);
				return proto_fail(cause, field, "overlaps widgets[%zu] ('%s')", k, d->widgets[k].id);
			}
		}
		d->nwidgets = i + 1;
	}
	return 0;
}

/* ---- writing ------------------------------------------------------------------------ */

static json_t *config_json_new(const struct dash_config *c)
{
	json_t *o = json_object();
	if (c->workflow[0])
		json_object_set_new(o, "workflow", json_string(c->workflow));
	if (c->execution[0])
		json_object_set_new(o, "execution", json_string(c->execution));
	if (c->range[0])
		json_object_set_new(o, "range", json_string(c->range));
	if (c->limit > 0)
		json_object_set_new(o, "limit", json_integer(c->limit));
	if (c->ndeadlines > 0) {
		json_t *a = json_array();
		for (size_t i = 0; i < c->ndeadlines; i++) {
			const struct taxcal_rule *r = &c->deadlines[i];
			json_t *d = json_pack("{s:s,s:i}", "name", r->name, "day", r->day);
			if (r->workflow[0])
				json_object_set_new(d, "workflow", json_string(r->workflow));
			json_array_append_new(a, d);
		}
		json_object_set_new(o, "deadlines", a);
	}
	return o;
}

json_t *dashboard_widget_json_new(const struct dash_widget *w)
{
	return json_pack("{s:s,s:s,s:s,s:{s:i,s:i,s:i,s:i},s:o}", "id", w->id, "type",
			 dashboard_type_name(w->type), "title", w->title, "position", "x", w->x, "y", w->y,
			 "w", w->w, "h", w->h, "config", config_json_new(&w->cfg));
}

json_t *dashboard_json_new(const struct dashboard *d, bool with_owner)
{
	json_t *widgets = json_array();
	for (size_t i = 0; i < d->nwidgets; i++)
		json_array_append_new(widgets, dashboard_widget_json_new(&d->widgets[i]));
	json_t *o = json_pack("{s:s,s:{s:i},s:o,s:b}", "name", d->name, "layout", "columns", d->columns,
			      "widgets", widgets, "is_default", d->is_default);
	if (with_owner && d->user[0])
		json_object_set_new(o, "user", json_string(d->user));
	if (with_owner && d->updated_at[0])
		json_object_set_new(o, "updated_at", json_string(d->updated_at));
	return o;
}

/* ---- places ---------------------------------------------------------------------------- */

bool dashboard_place_ok(const struct dashboard *d, size_t skip, int x, int y, int w, int h)
{
	if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > d->columns || y + h > DASH_MAX_ROWS)
		return false;
	for (size_t i = 0; i < d->nwidgets; i++)
		if (i != skip && rects_overlap(&d->widgets[i], x, y, w, h))
			return false;
	return true;
}

bool dashboard_find_place(const struct dashboard *d, int w, int h, int *x, int *y)
{
	if (w > d->columns)
		w = d->columns;
	for (int yy = 0; yy + h <= DASH_MAX_ROWS; yy++)
		for (int xx = 0; xx + w <= d->columns; xx++)
			if (dashboard_place_ok(d, (size_t)-1, xx, yy, w, h)) {
				*x = xx;
				*y = yy;
				return true;
			}
	return false;
}

void dashboard_new_widget_id(const struct dashboard *d, char *buf, size_t len)
{
	for (unsigned n = 1;; n++) {
		snprintf(buf, len, "w%u", n);
		bool used = false;
		for (size_t i = 0; i < d->nwidgets && !used; i++)
			used = strcmp(d->widgets[i].id, buf) == 0;
		if (!used)
			return;
	}
}

/* ---- what changed ------------------------------------------------------------------------ */

static const struct dash_widget *widget_by_id(const struct dashboard *d, const char *id)
{
	for (size_t i = 0; i < d->nwidgets; i++)
		if (strcmp(d->widgets[i].id, id) == 0)
			return &d->widgets[i];
	return NULL;
}

static void add_id(json_t *o, const char *list, const char *id)
{
	json_t *a = json_object_get(o, list);
	if (a == NULL) {
		a = json_array();
		json_object_set_new(o, list, a);
	}
	json_array_append_new(a, json_string(id));
}

static bool config_equal(const struct dash_widget *a, const struct dash_widget *b)
{
	if (a->type != b->type || strcmp(a->title, b->title) != 0)
		return false;
	json_t *ja = config_json_new(&a->cfg), *jb = config_json_new(&b->cfg);
	bool eq = json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	return eq;
}

json_t *dashboard_diff_new(const struct dashboard *before, const struct dashboard *after)
{
	json_t *o = json_object();
	if (strcmp(before->name, after->name) != 0)
		json_object_set_new(o, "name", json_pack("[s,s]", before->name, after->name));
	if (before->columns != after->columns)
		json_object_set_new(o, "columns", json_pack("[i,i]", before->columns, after->columns));
	if (before->is_default != after->is_default)
		json_object_set_new(o, "is_default", json_pack("[b,b]", before->is_default, after->is_default));
	for (size_t i = 0; i < after->nwidgets; i++) {
		const struct dash_widget *n = &after->widgets[i], *b = widget_by_id(before, n->id);
		if (b == NULL) {
			add_id(o, "added", n->id);
			continue;
		}
		if (b->x != n->x || b->y != n->y)
			add_id(o, "moved", n->id);
		if (b->w != n->w || b->h != n->h)
			add_id(o, "resized", n->id);
		if (!config_equal(b, n))
			add_id(o, "configured", n->id);
	}
	for (size_t i = 0; i < before->nwidgets; i++)
		if (widget_by_id(after, before->widgets[i].id) == NULL)
			add_id(o, "removed", before->widgets[i].id);
	return o;
}

/* ---- the request ---------------------------------------------------------------------------- */

const char *const dashboard_request_fields[] = { "action", "name", "user", "dashboard", "rename_from", NULL };

int dashboard_request_parse(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	json_t *a = json_object_get(root, "action");
	int found = -1;
	for (int i = 0; json_is_string(a) && i < DASH__ACTIONS; i++)
		if (strcmp(action_names[i], json_string_value(a)) == 0)
			found = i;
	if (found < 0)
		return proto_fail(cause, "action", a ? "must be one of list, get, save, delete, default"
						    : "required field missing");
	req->dashboard_action = found;
	json_t *name = json_object_get(root, "name"), *user = json_object_get(root, "user");
	json_t *dash = json_object_get(root, "dashboard"), *from = json_object_get(root, "rename_from");
	bool named = found == DASH_GET || found == DASH_DELETE || found == DASH_DEFAULT;
	if (named) {
		if (name == NULL)
			return proto_fail(cause, "name", "required field missing");
		if (dashboard_name_check(json_string_value(name), cause) != 0 || !json_is_string(name))
			return proto_fail(cause, "name", "must be a dashboard name of %d to %d characters",
					  DASH_NAME_MIN, DASH_NAME_MAX);
		req->dashboard_name = json_string_value(name);
	} else if (name != NULL) {
		return proto_fail(cause, "name", "not used by this action");
	}
	if (user != NULL) {
		if (!proto_json_id_valid(user))
			return proto_fail(cause, "user", "must be a user id (a token's subject)");
		req->dashboard_user = json_string_value(user);
	}
	if (found == DASH_SAVE) {
		if (!json_is_object(dash))
			return proto_fail(cause, "dashboard", dash ? "must be an object" : "required field missing");
		req->dashboard = dash;
		if (from != NULL) {
			if (!json_is_string(from) || dashboard_name_check(json_string_value(from), cause) != 0)
				return proto_fail(cause, "rename_from", "must be a dashboard name");
			req->dashboard_rename_from = json_string_value(from);
		}
	} else if (dash != NULL) {
		return proto_fail(cause, "dashboard", "only save takes a dashboard");
	} else if (from != NULL) {
		return proto_fail(cause, "rename_from", "only save renames");
	}
	return 0;
}

json_t *dashboard_request_new(const char *id, enum dash_action a, const char *name, const char *user,
			      json_t *dashboard, const char *rename_from)
{
	json_t *r = json_pack("{s:s,s:s,s:s}", "type", "dashboard", "id", id, "action", dashboard_action_name(a));
	if (name != NULL)
		json_object_set_new(r, "name", json_string(name));
	if (user != NULL)
		json_object_set_new(r, "user", json_string(user));
	if (dashboard != NULL)
		json_object_set(r, "dashboard", dashboard);
	if (rename_from != NULL)
		json_object_set_new(r, "rename_from", json_string(rename_from));
	return r;
}

char *dashboard_answer_message_new(json_t *id, enum dash_action a, json_t *result)
{
	json_t *m = json_pack("{s:s,s:O?,s:s}", "type", "dashboard", "id", id, "action", dashboard_action_name(a));
	const char *key;
	json_t *v;
	json_object_foreach(result, key, v) {
		if (strcmp(key, "type") != 0 && strcmp(key, "id") != 0 && strcmp(key, "action") != 0)
			json_object_set(m, key, v);
	}
	char *text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	return text;
}
