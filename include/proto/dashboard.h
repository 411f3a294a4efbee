/* dashboard.h: a dashboard as the protocol, the store and the console all
 * see it: its name, its grid of `columns` columns (1..12) and rows in
 * terminal lines, and its widgets, each with a type, a title, a position
 * (x, y, w, h) and a configuration. One parser checks every rule (the
 * specification's createDashboardSchema, tightened), one writer gives the
 * canonical JSON, so the daemon, PostgreSQL and the console never disagree.
 *
 * JSON: {"name": 3..255 characters, "layout": {"columns": 1..12},
 *        "widgets": [{"id", "type", "title", "position": {"x","y","w","h"},
 *                     "config": {...}}], "is_default": bool}
 * plus, when read back from the daemon, "user" (its owner) and
 * "updated_at". Positions: 0 <= x, x + w <= columns, 0 <= y,
 * y + h <= DASH_MAX_ROWS, w >= 1, 1 <= h; no two widgets overlap; widget ids
 * are unique. config keys: "workflow" (an id), "execution" (an id), "range"
 * (1h, 24h, 7d, 30d), "limit" (1..100), "deadlines" (tax_deadlines only: up
 * to TAXCAL_MAX_RULES of {"name", "day": 1..28, "workflow"?}); others are
 * refused. A refusal names the field ("widgets[2].position.x").
 *
 * Also here: the "dashboard" request's actions and answer, and the
 * description of what changed between two versions (for audit rows).
 * Pure: no I/O. */
#ifndef WFMON_DASHBOARD_H
#define WFMON_DASHBOARD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "taxcal.h"

#define DASH_NAME_MIN 3           /* characters */
#define DASH_NAME_MAX 255         /* characters */
#define DASH_MAX_COLUMNS 12
#define DASH_MAX_ROWS 200         /* lines a layout may reach (y + h) */
#define DASH_MAX_WIDGETS 24       /* widgets in one dashboard */
#define DASH_MAX_PER_USER 20      /* dashboards one user may keep */
#define DASH_TITLE_MAX 80         /* characters of a widget's title */
#define DASH_LIMIT_MAX 100

enum dash_type {
	DW_SUMMARY,
	DW_ACTIVE_EXECUTIONS,
	DW_EXECUTION_CHART,
	DW_SUCCESS_RATE,
	DW_PERFORMANCE_METRICS,
	DW_QUEUE_STATUS,
	DW_RESOURCE_USAGE,
	DW_ALERT_LIST,
	DW_WORKFLOW_HEALTH,
	DW_STEP_BREAKDOWN,
	DW_TIMELINE,
	DW_TAX_DEADLINES,
	DW__COUNT
};
/* "active_executions"...; parse returns -1 for an unknown name. */
const char *dashboard_type_name(enum dash_type t);
int dashboard_type_parse(const char *name, enum dash_type *out);

struct dash_config {
	char workflow[PROTO_MAX_ID + 1];     /* "" : all workflows (or the latest one) */
	char execution[PROTO_MAX_ID + 1];    /* "" : the latest */
	char range[8];                       /* "" : the widget's default */
	int limit;                           /* 0 : the widget's default */
	size_t ndeadlines;                   /* tax_deadlines: 0 = the statutory list */
	struct taxcal_rule deadlines[TAXCAL_MAX_RULES];
};

struct dash_widget {
	char id[PROTO_MAX_ID + 1];
	enum dash_type type;
	char title[DASH_TITLE_MAX * 4 + 1];  /* UTF-8 */
	int x, y, w, h;
	struct dash_config cfg;
};

struct dashboard {
	char name[DASH_NAME_MAX * 4 + 1];    /* UTF-8 */
	int columns;
	bool is_default;
	char user[PROTO_MAX_ID + 1];         /* owner, as read back ("" when unknown) */
	char updated_at[32];                 /* as read back ("" when unknown) */
	size_t nwidgets;
	struct dash_widget widgets[DASH_MAX_WIDGETS];
};

/* Reads and checks j (borrowed) into *out. 0, or -1 with a cause whose
 * field is the JSON path from the dashboard's root. "user" and
 * "updated_at" are read when present, never required. */
int dashboard_parse(json_t *j, struct dashboard *out, struct proto_cause *cause);
/* The canonical JSON (with "user"/"updated_at" when with_owner and known). New. */
json_t *dashboard_json_new(const struct dashboard *d, bool with_owner);
json_t *dashboard_widget_json_new(const struct dash_widget *w);
/* Checks a name alone (3..255 characters, no control characters). */
int dashboard_name_check(const char *name, struct proto_cause *cause);

/* A tax_deadlines widget's deadlines as one line people type and read:
 * "NAME DAY [WORKFLOW]; ..." ("VAT/JPK_V7M 25 jpk-generation; ZUS 15"), a
 * name of words, a day 1..28, optionally the workflow that must have
 * succeeded for the period. parse: checked as the JSON form is (the cause's
 * field is config.deadlines[i]...), an empty line is the statutory list
 * (ndeadlines 0); c is changed only on success. format: the line for c
 * ("" for the statutory list), cut to len. */
int dashboard_deadlines_parse(const char *text, struct dash_config *c, struct proto_cause *cause);
void dashboard_deadlines_format(const struct dash_config *c, char *buf, size_t len);

/* Whether the rectangle fits the grid and overlaps no widget but `skip`
 * (an index, or (size_t)-1 for none). */
bool dashboard_place_ok(const struct dashboard *d, size_t skip, int x, int y, int w, int h);
/* The first place (top to bottom, left to right) where a w x h widget
 * fits; false when none does within DASH_MAX_ROWS. */
bool dashboard_find_place(const struct dashboard *d, int w, int h, int *x, int *y);
/* A widget id not used in d ("w1", "w2"...). */
void dashboard_new_widget_id(const struct dashboard *d, char *buf, size_t len);

/* What changed from before to after, for the audit row: {"name"?: [old, new],
 * "columns"?: [old, new], "is_default"?: [old, new], "added": [ids],
 * "removed": [ids], "moved": [ids], "resized": [ids], "configured": [ids]}
 * (empty lists left out). New. */
json_t *dashboard_diff_new(const struct dashboard *before, const struct dashboard *after);

/* ---- the "dashboard" request and its answer ------------------------------------- */

enum dash_action { DASH_LIST, DASH_GET, DASH_SAVE, DASH_DELETE, DASH_DEFAULT, DASH__ACTIONS };
const char *dashboard_action_name(enum dash_action a);

/* {"type":"dashboard","id":id,"action":..,"name"?,"user"?,"dashboard"?,"rename_from"?}:
 * NULL arguments are left out; dashboard is borrowed. New. */
json_t *dashboard_request_new(const char *id, enum dash_action a, const char *name, const char *user,
			      json_t *dashboard, const char *rename_from);
/* The answer: {"type":"dashboard","id":..,"action":..} plus the result's
 * fields (borrowed): "dashboards" for list, "dashboard" for get, save and
 * default, "name" for delete. A new string. */
char *dashboard_answer_message_new(json_t *id, enum dash_action a, json_t *result);

#endif
