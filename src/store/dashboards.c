/* dashboards.c: STORE_Q_DASHBOARD, the user_dashboards table (see store.h):
 * list, get, save (create, replace, rename), delete and mark as default,
 * each with its audit row in the same transaction.
 *
 * Invariants: every statement runs after set_config of wfmon.user and
 * wfmon.role in the transaction, so the restrictive row-level policy of
 * migration 0010 scopes it to the acting user's rows (all of the
 * organization's for an admin) whatever the daemon asked; a refusal
 * (not found, name taken, too many) is decided before anything is written
 * and comes back as {"refused": {"code", "field", "message"}}; at most one
 * default per user (cleared before another is set; a unique index holds it). */
#include "store_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "pgconn.h"

#define DASH_COLUMNS "name, user_id, layout, widgets, is_default, " STORE_SQL_TIME("updated_at") " AS updated_at"

static int refused(json_t **result, const char *code, const char *field, const char *message)
{
	*result = json_pack("{s:{s:s,s:s,s:s}}", "refused", "code", code, "field", field, "message", message);
	return 0;
}

/* One row of DASH_COLUMNS as the dashboard's JSON. */
static json_t *row_json_new(const PGresult *r, int row)
{
	json_t *layout = storeq_parse_json(PQgetvalue(r, row, 2));
	json_t *o = json_pack("{s:s,s:s,s:{s:O?},s:o,s:b,s:s}", "name", PQgetvalue(r, row, 0), "user",
			      PQgetvalue(r, row, 1), "layout", "columns", json_object_get(layout, "columns"),
			      "widgets", storeq_parse_json(PQgetvalue(r, row, 3)), "is_default",
			      PQgetvalue(r, row, 4)[0] == 't', "updated_at", PQgetvalue(r, row, 5));
	json_decref(layout);
	return o;
}

/* The user's dashboard by name: a new JSON object, json_null() when there
 * is none, NULL on a database error. */
static json_t *load_one(PGconn *c, const char *user, const char *name, bool for_update, char *err, size_t errlen)
{
	const char *v[2] = { user, name };
	PGresult *r = pgconn_query(c, for_update ? "SELECT " DASH_COLUMNS " FROM user_dashboards "
						   "WHERE user_id = $1 AND name = $2 FOR UPDATE"
						 : "SELECT " DASH_COLUMNS " FROM user_dashboards "
						   "WHERE user_id = $1 AND name = $2",
				   2, v, err, errlen);
	if (r == NULL)
		return NULL;
	json_t *o = PQntuples(r) > 0 ? row_json_new(r, 0) : json_null();
	PQclear(r);
	return o;
}

static int audit(PGconn *c, const char *actor, const char *action, const char *name, json_t *details,
		 char *err, size_t errlen)
{
	char *text = json_dumps(details, JSON_COMPACT);
	const char *v[4] = { actor, action, name, text };
	int rc = pgconn_exec(c, "INSERT INTO audit_log (org_id, actor, action, target, details) "
			     "VALUES (current_setting('wfmon.org'), $1, $2, $3, $4::jsonb)",
			     4, v, err, errlen);
	free(text);
	return rc;
}

static int op_list(PGconn *c, const char *user, json_t **result, char *err, size_t errlen)
{
	const char *v[1] = { user };
	PGresult *r = pgconn_query(c, "SELECT name, is_default, jsonb_array_length(widgets), "
				   STORE_SQL_TIME("updated_at") " FROM user_dashboards WHERE user_id = $1 "
				   "ORDER BY is_default DESC, name",
				   1, v, err, errlen);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	json_t *list = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(list, json_pack("{s:s,s:s,s:b,s:i,s:s}", "name", PQgetvalue(r, i, 0), "user",
						      user, "is_default", PQgetvalue(r, i, 1)[0] == 't', "widgets",
						      atoi(PQgetvalue(r, i, 2)), "updated_at", PQgetvalue(r, i, 3)));
	PQclear(r);
	*result = json_pack("{s:o}", "dashboards", list);
	return 0;
}

static int op_get(PGconn *c, const char *user, const char *name, json_t **result, char *err, size_t errlen)
{
	json_t *d = load_one(c, user, name, false, err, errlen);
	if (d == NULL)
		return STOREQ_DB_ERROR;
	if (json_is_null(d))
		return refused(result, "not_found", "name", "no dashboard of this name");
	*result = json_pack("{s:o}", "dashboard", d);
	return 0;
}

/* Parses a stored or given dashboard for the diff; false if it does not parse. */
static bool parse_quiet(json_t *j, struct dashboard *d)
{
	struct proto_cause cause;
	return dashboard_parse(j, d, &cause) == 0;
}

static int op_save(PGconn *c, const char *actor, const char *user, json_t *given, const char *rename_from,
		   json_t **result, char *err, size_t errlen)
{
	struct dashboard *after = calloc(1, sizeof *after), *before = calloc(1, sizeof *before);
	json_t *old = NULL, *clash = NULL;
	int rc = STOREQ_DB_ERROR;
	struct proto_cause cause;
	if (after == NULL || before == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (dashboard_parse(given, after, &cause) != 0) {
		rc = refused(result, "bad_request", cause.field, cause.message);
		goto out;
	}
	const char *old_name = rename_from ? rename_from : after->name;
	old = load_one(c, user, old_name, true, err, errlen);
	if (old == NULL)
		goto out;
	if (rename_from != NULL && json_is_null(old)) {
		rc = refused(result, "not_found", "rename_from", "no dashboard of this name to rename");
		goto out;
	}
	if (rename_from != NULL && strcmp(rename_from, after->name) != 0) {
		clash = load_one(c, user, after->name, false, err, errlen);
		if (clash == NULL)
			goto out;
		if (!json_is_null(clash)) {
			rc = refused(result, "bad_request", "name", "another dashboard already has this name");
			goto out;
		}
	}
	const char *v[6] = { user, old_name };
	if (json_is_null(old)) {
		PGresult *r = pgconn_query(c, "SELECT count(*) FROM user_dashboards WHERE user_id = $1", 1, v, err,
					   errlen);
		if (r == NULL)
			goto out;
		long n = atol(PQgetvalue(r, 0, 0));
		PQclear(r);
		if (n >= DASH_MAX_PER_USER) {
			char msg[128];
			snprintf(msg, sizeof msg, "at most %d dashboards per user: delete one first", DASH_MAX_PER_USER);
			rc = refused(result, "bad_request", "name", msg);
			goto out;
		}
	}
	if (after->is_default &&
	    pgconn_exec(c, "UPDATE user_dashboards SET is_default = false "
			"WHERE user_id = $1 AND is_default AND name <> $2",
			2, v, err, errlen) != 0)
		goto out;
	json_t *canon = dashboard_json_new(after, false);
	char *layout = json_dumps(json_object_get(canon, "layout"), JSON_COMPACT);
	char *widgets = json_dumps(json_object_get(canon, "widgets"), JSON_COMPACT);
	json_decref(canon);
	v[2] = after->name;
	v[3] = layout;
	v[4] = widgets;
	v[5] = after->is_default ? "t" : "f";
	int w = json_is_null(old)
		? pgconn_exec(c, "INSERT INTO user_dashboards (org_id, user_id, name, layout, widgets, is_default) "
			      "VALUES (current_setting('wfmon.org'), $1, $3, $4::jsonb, $5::jsonb, $6::boolean) "
			      "RETURNING $2::text",
			      6, v, err, errlen)
		: pgconn_exec(c, "UPDATE user_dashboards SET name = $3, layout = $4::jsonb, widgets = $5::jsonb, "
			      "is_default = $6::boolean, updated_at = now() WHERE user_id = $1 AND name = $2",
			      6, v, err, errlen);
	free(layout);
	free(widgets);
	if (w != 0)
		goto out;
	json_t *details;
	if (json_is_null(old)) {
		details = json_pack("{s:s,s:i,s:i,s:b}", "user", user, "widgets", (int)after->nwidgets, "columns",
				    after->columns, "is_default", after->is_default);
	} else {
		json_t *changes = parse_quiet(old, before) ? dashboard_diff_new(before, after) : json_object();
		details = json_pack("{s:s,s:o}", "user", user, "changes", changes);
	}
	if (audit(c, actor, json_is_null(old) ? "monitoring.dashboard.created" : "monitoring.dashboard.updated",
		  after->name, details, err, errlen) != 0) {
		json_decref(details);
		goto out;
	}
	json_decref(details);
	json_t *stored = load_one(c, user, after->name, false, err, errlen);
	if (stored == NULL)
		goto out;
	*result = json_pack("{s:o,s:b}", "dashboard", stored, "created", json_is_null(old));
	rc = 0;
out:
	json_decref(old);
	json_decref(clash);
	free(after);
	free(before);
	return rc;
}

static int op_delete(PGconn *c, const char *actor, const char *user, const char *name, json_t **result,
		     char *err, size_t errlen)
{
	const char *v[2] = { user, name };
	PGresult *r = pgconn_query(c, "DELETE FROM user_dashboards WHERE user_id = $1 AND name = $2 "
				   "RETURNING is_default, jsonb_array_length(widgets)",
				   2, v, err, errlen);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	int n = PQntuples(r);
	json_t *details = n ? json_pack("{s:s,s:b,s:i}", "user", user, "is_default", PQgetvalue(r, 0, 0)[0] == 't',
					"widgets", atoi(PQgetvalue(r, 0, 1)))
			    : NULL;
	PQclear(r);
	if (n == 0)
		return refused(result, "not_found", "name", "no dashboard of this name");
	int rc = audit(c, actor, "monitoring.dashboard.deleted", name, details, err, errlen);
	json_decref(details);
	if (rc != 0)
		return STOREQ_DB_ERROR;
	*result = json_pack("{s:s}", "name", name);
	return 0;
}

static int op_default(PGconn *c, const char *actor, const char *user, const char *name, json_t **result,
		      char *err, size_t errlen)
{
	json_t *d = load_one(c, user, name, true, err, errlen);
	if (d == NULL)
		return STOREQ_DB_ERROR;
	if (json_is_null(d))
		return refused(result, "not_found", "name", "no dashboard of this name");
	bool was = json_is_true(json_object_get(d, "is_default"));
	json_decref(d);
	const char *v[2] = { user, name };
	if (!was &&
	    (pgconn_exec(c, "UPDATE user_dashboards SET is_default = false WHERE user_id = $1 AND is_default", 1, v,
			 err, errlen) != 0 ||
	     pgconn_exec(c, "UPDATE user_dashboards SET is_default = true, updated_at = now() "
			 "WHERE user_id = $1 AND name = $2", 2, v, err, errlen) != 0))
		return STOREQ_DB_ERROR;
	if (!was) {
		json_t *details = json_pack("{s:s,s:{s:[b,b]}}", "user", user, "changes", "is_default", 0, 1);
		int rc = audit(c, actor, "monitoring.dashboard.updated", name, details, err, errlen);
		json_decref(details);
		if (rc != 0)
			return STOREQ_DB_ERROR;
	}
	d = load_one(c, user, name, false, err, errlen);
	if (d == NULL)
		return STOREQ_DB_ERROR;
	*result = json_pack("{s:o}", "dashboard", d);
	return 0;
}

int storeq_dashboard(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	const char *op = json_string_value(json_object_get(p, "op"));
	const char *actor = json_string_value(json_object_get(p, "actor"));
	const char *role = json_string_value(json_object_get(p, "role"));
	const char *user = json_string_value(json_object_get(p, "user"));
	const char *name = json_string_value(json_object_get(p, "name"));
	if (op == NULL || actor == NULL || role == NULL || user == NULL) {
		snprintf(err, errlen, "a dashboard request needs op, actor, role and user");
		return STOREQ_BAD_PARAMS;
	}
	const char *v[2] = { actor, role };
	if (pgconn_exec(c, "SELECT set_config('wfmon.user', $1, true), set_config('wfmon.role', $2, true)", 2, v,
			err, errlen) != 0)
		return STOREQ_DB_ERROR;
	if (strcmp(op, "list") == 0)
		return op_list(c, user, result, err, errlen);
	if (strcmp(op, "save") == 0)
		return op_save(c, actor, user, json_object_get(p, "dashboard"),
			       json_string_value(json_object_get(p, "rename_from")), result, err, errlen);
	if (name == NULL) {
		snprintf(err, errlen, "dashboard %s needs a name", op);
		return STOREQ_BAD_PARAMS;
	}
	if (strcmp(op, "get") == 0)
		return op_get(c, user, name, result, err, errlen);
	if (strcmp(op, "delete") == 0)
		return op_delete(c, actor, user, name, result, err, errlen);
	if (strcmp(op, "default") == 0)
		return op_default(c, actor, user, name, result, err, errlen);
	snprintf(err, errlen, "unknown dashboard operation %s", op);
	return STOREQ_BAD_PARAMS;
}
