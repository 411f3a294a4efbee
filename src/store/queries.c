/* queries.c: the store's read queries (executions list, one execution, step
 * statistics, replay), from validated parameters to the JSON results store.h
 * promises.
 *
 * Invariants: every query runs in a transaction that sets the organization
 * first, so row-level security scopes it; all values reach SQL as parameters
 * (the only text pasted into SQL comes from fixed tables here); results use
 * the field names and formats of live.c (times as proto_time_format strings,
 * null when unknown), so stored and live executions look the same. */
#include "store_db.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "exec.h"
#include "pgarray.h"
#include "pgconn.h"
#include "proto.h"
#include "step_stats.h"
#include "xalloc.h"

#define REPLAY_LIMIT_MAX 10000

int storeq_bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return STOREQ_BAD_PARAMS;
}

/* ---- reading result columns -------------------------------------------- */

/* NULL for SQL NULL. */
static const char *col(const PGresult *r, int row, const char *name)
{
	int c = PQfnumber(r, name);
	if (c < 0 || PQgetisnull(r, row, c))
		return NULL;
	return PQgetvalue(r, row, c);
}

json_t *storeq_parse_json(const char *v)
{
	if (v == NULL)
		return json_null();
	json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
	return j ? j : json_null();
}

#define STR2(x) #x
#define STR(x) STR2(x)
#define MS(expr, name) "floor(extract(epoch FROM " expr ") * 1000)::bigint AS " name

/* Executions are read as the snapshot JSON that exec_merge_json reads, built
 * by SQL from whole rows (to_jsonb), so that a column added to a table under
 * a snapshot field's name reaches the reader with no code here; only the
 * fields whose column is named or shaped otherwise are built. The reader
 * loads them into a fresh struct exec and the one writer writes them.
 *
 * The summary: the execution's row, its step counts, and the current step
 * as exec.c picks it: only while the execution runs, the running step
 * started last, the later in step order on a tie. */
static const char summary_select[] =
	"SELECT x.execution_id, (extract(epoch FROM x.sort_at) * 1000000)::bigint AS sort_us, "
	"to_jsonb(x) || jsonb_build_object('id', x.execution_id, 'last_event_at', x.last_heartbeat, "
	"  'steps_total', s.steps_total, 'steps_completed', s.steps_completed, "
	"  'steps_failed', s.steps_failed, 'current_step', s.current_step) AS summary "
	"FROM workflow_executions x "
	"LEFT JOIN LATERAL (SELECT count(*) AS steps_total, "
	"  count(*) FILTER (WHERE st.status = 'completed') AS steps_completed, "
	"  count(*) FILTER (WHERE st.status = 'failed') AS steps_failed, "
	"  CASE WHEN x.status IN ('queued', 'running') THEN (SELECT c.step_id FROM step_executions c "
	"     WHERE c.org_id = x.org_id AND c.execution_id = x.execution_id AND c.status = 'running' "
	"     ORDER BY c.started_at DESC NULLS LAST, c.seq DESC NULLS FIRST, c.seen_pos DESC NULLS FIRST, "
	"     c.step_id DESC LIMIT 1) END AS current_step "
	"  FROM step_executions st WHERE st.org_id = x.org_id AND st.execution_id = x.execution_id) s ON true ";

/* Writes an execution read as snapshot JSON (above) with the one writer:
 * the whole of it, or its summary. */
static json_t *exec_rewrite(json_t *j, bool full)
{
	struct exec x;
	exec_init(&x, json_string_value(json_object_get(j, "id")), NULL);
	exec_merge_json(&x, j);
	json_t *o = full ? exec_json_new(&x) : exec_summary_json_new(&x);
	exec_clear(&x);
	return o;
}

static json_t *summary_json(const PGresult *r, int row)
{
	json_t *j = storeq_parse_json(col(r, row, "summary"));
	json_t *o = exec_rewrite(j, false);
	json_decref(j);
	return o;
}

/* Each query below returns the execution id as its first column, rows of one
 * execution together and in the order a single execution's query had. A
 * step is its row, with its snapshot id and its progress as one object. */
static const char steps_batch_sql[] =
	"SELECT s.execution_id, to_jsonb(s) || jsonb_build_object('id', s.step_id, 'progress', "
	"  CASE WHEN s.progress_total > 0 THEN jsonb_build_object('current', coalesce(s.progress_current, 0), "
	"    'total', s.progress_total, 'unit', s.progress_unit, 'message', s.progress_message) END) "
	"FROM step_executions s WHERE s.execution_id = ANY($1::text[]) "
	"ORDER BY s.execution_id, s.seq NULLS LAST, s.seen_pos NULLS LAST, s.started_at NULLS LAST, s.step_id";
static const char counters_batch_sql[] =
	"SELECT execution_id, jsonb_object_agg(name, value) FROM execution_counters "
	"WHERE execution_id = ANY($1::text[]) GROUP BY execution_id";
/* The last EXEC_LOG_LINES log events of each, oldest first: a log line in
 * the snapshot is the log event itself. */
static const char log_batch_sql[] =
	"SELECT i.id, l.body FROM (SELECT DISTINCT unnest($1::text[]) AS id) i "
	"CROSS JOIN LATERAL (SELECT body, pos FROM execution_events e "
	"  WHERE e.execution_id = i.id AND e.kind = 'log' ORDER BY pos DESC LIMIT $2) l "
	"ORDER BY i.id, l.pos";

int storeq_executions_full(PGconn *c, const char *const *ids, size_t n, json_t *list, char *err,
			   size_t errlen)
{
	if (n == 0)
		return 0;
	char *lit = pgarray_text_literal_new(ids, n);
	const char *p[] = {lit, STR(EXEC_LOG_LINES)};
	/* The executions found, by id, as snapshot JSON the rows fill. */
	json_t *found = json_object();
	char *sql = xasprintf("%sWHERE x.execution_id = ANY($1::text[])", summary_select);
	PGresult *r = pgconn_query(c, sql, 1, p, err, errlen);
	free(sql);
	if (r == NULL)
		goto fail;
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *x = storeq_parse_json(col(r, i, "summary"));
		if (!json_is_object(x)) {
			json_decref(x);
			continue;
		}
		json_object_set_new(x, "steps", json_array());
		json_object_set_new(x, "log", json_array());
		json_object_set_new(found, PQgetvalue(r, i, 0), x);
	}
	PQclear(r);
	if (json_object_size(found) == 0)
		goto done;

	r = pgconn_query(c, steps_batch_sql, 1, p, err, errlen);
	if (r == NULL)
		goto fail;
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *x = json_object_get(found, PQgetvalue(r, i, 0));
		if (x != NULL)
			json_array_append_new(json_object_get(x, "steps"), storeq_parse_json(PQgetvalue(r, i, 1)));
	}
	PQclear(r);

	r = pgconn_query(c, counters_batch_sql, 1, p, err, errlen);
	if (r == NULL)
		goto fail;
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *x = json_object_get(found, PQgetvalue(r, i, 0));
		if (x != NULL)
			json_object_set_new(x, "counters", storeq_parse_json(PQgetvalue(r, i, 1)));
	}
	PQclear(r);

	r = pgconn_query(c, log_batch_sql, 2, p, err, errlen);
	if (r == NULL)
		goto fail;
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *x = json_object_get(found, PQgetvalue(r, i, 0));
		if (x != NULL)
			json_array_append_new(json_object_get(x, "log"), storeq_parse_json(PQgetvalue(r, i, 1)));
	}
	PQclear(r);

done:
	/* In the order asked; taken out of the map so that a repeated id comes once. */
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_object_get(found, ids[i]);
		if (x != NULL) {
			json_array_append_new(list, exec_rewrite(x, true));
			json_object_del(found, ids[i]);
		}
	}
	json_decref(found);
	free(lit);
	return 0;
fail:
	json_decref(found);
	free(lit);
	return STOREQ_DB_ERROR;
}

int storeq_execution_full(PGconn *c, const char *execution_id, json_t **out, char *err,
			  size_t errlen)
{
	*out = NULL;
	json_t *list = json_array();
	int rc = storeq_executions_full(c, &execution_id, 1, list, err, errlen);
	if (rc == 0 && json_array_size(list) == 1)
		*out = json_incref(json_array_get(list, 0));
	json_decref(list);
	return rc;
}

/* ---- parameters ---------------------------------------------------------- */

/* Positional SQL parameters: strings borrowed from the params object or
 * formatted into buf. */
#define QP_MAX 12
struct qparams {
	const char *v[QP_MAX];
	char buf[QP_MAX][48];
	int n;
};

static int qp_str(struct qparams *q, const char *v)
{
	q->v[q->n] = v;
	return ++q->n;
}

static int qp_int(struct qparams *q, int64_t v)
{
	snprintf(q->buf[q->n], sizeof q->buf[q->n], "%" PRId64, v);
	q->v[q->n] = q->buf[q->n];
	return ++q->n;
}

/* Replay's parameters (the daemon's own, not a client's) are checked here;
 * the history queries' are checked by proto_query_params_new in storeq_run. */
static int check_keys(json_t *params, const char *const *allowed, char *err, size_t errlen)
{
	if (params == NULL)
		return 0;
	if (!json_is_object(params))
		return storeq_bad(err, errlen, "the query parameters must be an object");
	const char *key;
	json_t *v;
	json_object_foreach(params, key, v) {
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], key) != 0)
			i++;
		if (allowed[i] == NULL)
			return storeq_bad(err, errlen, "unknown parameter \"%.64s\"", key);
	}
	return 0;
}

/* An optional integer in [min, max], def when absent. */
static int get_int(json_t *params, const char *key, int64_t min, int64_t max, int64_t def,
		   int64_t *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(params, key);
	if (v == NULL) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return storeq_bad(err, errlen, "%s must be an integer from %" PRId64 " to %" PRId64, key, min, max);
	*out = json_integer_value(v);
	return 0;
}

/* ---- executions list ----------------------------------------------------- */

/* The cursor is base64 of "<sort_at in µs>:<execution id>". */
static void cursor_encode(const char *sort_us, const char *id, char *out, size_t outlen)
{
	char raw[PROTO_MAX_ID + 32];
	int n = snprintf(raw, sizeof raw, "%s:%s", sort_us, id);
	if (base64_encode((const uint8_t *)raw, (size_t)n, out, outlen) < 0)
		out[0] = '\0';
}

static int cursor_decode(const char *cursor, int64_t *sort_us, char *id, size_t idlen)
{
	uint8_t raw[PROTO_MAX_ID + 32];
	size_t len = strlen(cursor);
	if (len == 0 || len > 4 * ((sizeof raw - 1) / 3))
		return -1;
	int n = base64_decode(cursor, len, raw, sizeof raw - 1);
	if (n <= 0)
		return -1;
	raw[n] = '\0';
	char *colon = strchr((char *)raw, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	char *end;
	*sort_us = strtoll((char *)raw, &end, 10);
	if (end == (char *)raw || *end != '\0' || !proto_id_valid(colon + 1))
		return -1;
	snprintf(id, idlen, "%s", colon + 1);
	return 0;
}

/* params as proto_query_params_new leaves them: checked, "status" an array,
 * "limit" filled in. */
static int q_executions(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen)
{
	struct qparams q = {.n = 0};
	char where[1024] = "WHERE true";
	size_t wl = strlen(where);
	json_t *status = json_object_get(params, "status");
	char statuses[128];
	if (json_array_size(status) > 0) {
		size_t sl = 0;
		size_t i;
		json_t *v;
		statuses[sl++] = '{';
		json_array_foreach(status, i, v)
			sl += (size_t)snprintf(statuses + sl, sizeof statuses - sl, "%s%s", i ? "," : "",
					       json_string_value(v));
		snprintf(statuses + sl, sizeof statuses - sl, "}");
		wl += (size_t)snprintf(where + wl, sizeof where - wl, " AND x.status = ANY($%d::text[])",
				       qp_str(&q, statuses));
	}
	const char *workflow = json_string_value(json_object_get(params, "workflow"));
	if (workflow)
		wl += (size_t)snprintf(where + wl, sizeof where - wl, " AND x.workflow_id = $%d",
				       qp_str(&q, workflow));
	const char *from = json_string_value(json_object_get(params, "from"));
	int64_t ms;
	if (from && proto_time_parse(from, &ms) == 0)
		wl += (size_t)snprintf(where + wl, sizeof where - wl,
				       " AND x.sort_at >= to_timestamp(0) + $%d::bigint * interval '1 millisecond'",
				       qp_int(&q, ms));
	const char *to = json_string_value(json_object_get(params, "to"));
	if (to && proto_time_parse(to, &ms) == 0)
		wl += (size_t)snprintf(where + wl, sizeof where - wl,
				       " AND x.sort_at < to_timestamp(0) + $%d::bigint * interval '1 millisecond'",
				       qp_int(&q, ms));
	const char *text = json_string_value(json_object_get(params, "text"));
	if (text) {
		int t = qp_str(&q, text);
		wl += (size_t)snprintf(where + wl, sizeof where - wl,
				       " AND (strpos(lower(x.workflow_name), lower($%d)) > 0"
				       " OR strpos(lower(x.execution_id), lower($%d)) > 0"
				       " OR strpos(lower(coalesce(x.error, '')), lower($%d)) > 0)", t, t, t);
	}
	json_t *labels = json_object_get(params, "labels");
	char *labels_text = NULL;
	if (json_object_size(labels) > 0) {
		labels_text = json_dumps(labels, JSON_COMPACT);
		wl += (size_t)snprintf(where + wl, sizeof where - wl, " AND x.labels @> $%d::jsonb",
				       qp_str(&q, labels_text));
	}
	const char *after = json_string_value(json_object_get(params, "after"));
	char after_id[PROTO_MAX_ID + 1];
	int64_t after_us;
	if (after) {
		if (cursor_decode(after, &after_us, after_id, sizeof after_id) != 0) {
			free(labels_text);
			return storeq_bad(err, errlen, "after must be a cursor returned as \"next\" by an earlier query");
		}
		int a = qp_int(&q, after_us);
		int b = qp_str(&q, after_id);
		wl += (size_t)snprintf(where + wl, sizeof where - wl,
				       " AND (x.sort_at, x.execution_id) <"
				       " (to_timestamp(0) + $%d::bigint * interval '1 microsecond', $%d)", a, b);
	}
	int64_t limit = json_integer_value(json_object_get(params, "limit"));
	int l = qp_int(&q, limit + 1);
	char *sql = xasprintf("%s%s ORDER BY x.sort_at DESC, x.execution_id DESC LIMIT $%d",
			      summary_select, where, l);
	PGresult *r = pgconn_query(c, sql, q.n, q.v, err, errlen);
	free(sql);
	free(labels_text);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	int rows = PQntuples(r);
	json_t *list = json_array();
	for (int i = 0; i < rows && i < limit; i++)
		json_array_append_new(list, summary_json(r, i));
	json_t *next = json_null();
	if (rows > limit) {
		char cur[2 * PROTO_MAX_ID + 64];
		cursor_encode(col(r, (int)limit - 1, "sort_us"), col(r, (int)limit - 1, "execution_id"),
			      cur, sizeof cur);
		next = json_string(cur);
	}
	PQclear(r);
	*result = json_pack("{s:o,s:o}", "executions", list, "next", next);
	return 0;
}

/* ---- one execution and its event log ------------------------------------- */

static int q_execution(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen)
{
	const char *id = json_string_value(json_object_get(params, "id"));
	json_t *x;
	if (storeq_execution_full(c, id, &x, err, errlen) != 0)
		return STOREQ_DB_ERROR;
	/* The newest events when there are more than the limit, oldest first. */
	struct qparams q = {.n = 0};
	qp_str(&q, id);
	qp_int(&q, STOREQ_EVENTS_MAX + 1);
	PGresult *r = pgconn_query(c, "SELECT pos, body FROM (SELECT pos, body FROM execution_events "
				      "WHERE execution_id = $1 ORDER BY pos DESC LIMIT $2) t ORDER BY pos",
				   q.n, q.v, err, errlen);
	if (r == NULL) {
		json_decref(x);
		return STOREQ_DB_ERROR;
	}
	int rows = PQntuples(r);
	int first = rows > STOREQ_EVENTS_MAX ? rows - STOREQ_EVENTS_MAX : 0;
	json_t *events = json_array();
	for (int i = first; i < rows; i++) {
		json_t *ev = storeq_parse_json(PQgetvalue(r, i, 1));
		if (json_is_object(ev))
			json_object_set_new(ev, "pos", json_integer(strtoll(PQgetvalue(r, i, 0), NULL, 10)));
		json_array_append_new(events, ev);
	}
	PQclear(r);
	*result = json_pack("{s:o,s:o,s:b}", "execution", x ? x : json_null(), "events", events,
			    "events_truncated", first > 0);
	return 0;
}

/* ---- step statistics ----------------------------------------------------- */

static int64_t col_int(const PGresult *r, int row, const char *name)
{
	const char *v = col(r, row, name);
	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

static double col_real(const PGresult *r, int row, const char *name)
{
	const char *v = col(r, row, name);
	return v != NULL ? strtod(v, NULL) : 0;
}

static int q_step_stats(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen)
{
	const char *wf = json_string_value(json_object_get(params, "workflow_id"));
	int64_t runs = json_integer_value(json_object_get(params, "runs"));
	struct qparams q = {.n = 0};
	qp_str(&q, wf);
	qp_int(&q, runs);
	/* Completed steps of the workflow's last n finished executions. */
	static const char sql[] =
		"WITH runs AS (SELECT execution_id FROM workflow_executions "
		"  WHERE workflow_id = $1 AND status IN ('completed', 'failed', 'cancelled') "
		"  ORDER BY finished_at DESC NULLS LAST, execution_id DESC LIMIT $2) "
		"SELECT (SELECT count(*) FROM runs) AS runs, s.step_id, max(s.name) AS name, "
		"  count(*) AS count, avg(s.duration_ms)::double precision AS avg_ms, "
		"  percentile_cont(0.95) WITHIN GROUP (ORDER BY s.duration_ms) AS p95_ms, "
		"  min(s.duration_ms) AS min_ms, max(s.duration_ms) AS max_ms "
		"FROM step_executions s JOIN runs USING (execution_id) "
		"WHERE s.status = 'completed' AND s.duration_ms IS NOT NULL "
		"GROUP BY s.step_id ORDER BY min(s.seq) NULLS LAST, s.step_id";
	PGresult *r = pgconn_query(c, sql, q.n, q.v, err, errlen);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	struct step_stats st = { .runs = 0 };
	snprintf(st.workflow_id, sizeof st.workflow_id, "%s", wf);
	int nsteps = PQntuples(r);
	struct step_stat *s;
	for (int i = 0; i < nsteps && (s = step_stats_add(&st)) != NULL; i++) {
		st.runs = col_int(r, i, "runs");
		const char *id = col(r, i, "step_id") ?: "";
		const char *name = col(r, i, "name");
		snprintf(s->step_id, sizeof s->step_id, "%s", id);
		snprintf(s->name, sizeof s->name, "%s", name ? name : id);
		s->count = col_int(r, i, "count");
		s->avg_ms = col_real(r, i, "avg_ms");
		s->p95_ms = col_real(r, i, "p95_ms");
		s->min_ms = col_int(r, i, "min_ms");
		s->max_ms = col_int(r, i, "max_ms");
	}
	PQclear(r);
	if (nsteps == 0) {
		/* No completed step: still say how many runs there were. */
		r = pgconn_query(c, "SELECT count(*) FROM (SELECT 1 FROM workflow_executions WHERE "
				    "workflow_id = $1 AND status IN ('completed', 'failed', 'cancelled') "
				    "LIMIT $2) t", q.n, q.v, err, errlen);
		if (r == NULL)
			return STOREQ_DB_ERROR;
		st.runs = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
	}
	*result = step_stats_json_new(&st);
	step_stats_clear(&st);
	return 0;
}

/* ---- replay -------------------------------------------------------------- */

static bool kind_any(enum proto_event_kind k) { (void)k; return true; }
static bool kind_queue(enum proto_event_kind k)
{
	return k == EV_EXECUTION_QUEUED || k == EV_EXECUTION_STARTED || proto_event_is_terminal(k);
}
static bool kind_resources(enum proto_event_kind k) { return k == EV_RESOURCE_SAMPLE; }

/* Which stored events a room receives. kinds NULL: the room has no history. */
static const struct room_filter {
	const char *id_column;                 /* compared with the room's id, or NULL */
	bool (*kinds)(enum proto_event_kind k);
	bool strip_data;                       /* drop input/output */
} room_filters[ROOM__COUNT] = {
	[ROOM_EXECUTION] = {"execution_id", kind_any, false},
	[ROOM_WORKFLOW] = {"workflow_id", proto_event_is_execution_level, true},
	[ROOM_ORG] = {NULL, proto_event_is_execution_level, true},
	[ROOM_QUEUE] = {NULL, kind_queue, true},
	[ROOM_RESOURCES] = {NULL, kind_resources, true},
	[ROOM_ALERTS] = {NULL, NULL, false},
	[ROOM_CONTROL] = {NULL, NULL, false},
};

static int q_replay(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen)
{
	static const char *const keys[] = {"room", "since", "limit", NULL};
	if (check_keys(params, keys, err, errlen) != 0)
		return STOREQ_BAD_PARAMS;
	json_t *room = json_object_get(params, "room");
	struct proto_room spec;
	struct proto_cause cause;
	if (!json_is_string(room) || proto_room_parse(json_string_value(room), &spec, &cause) != 0)
		return storeq_bad(err, errlen, "room must be a room name");
	if (json_object_get(params, "since") == NULL)
		return storeq_bad(err, errlen, "since is required");
	int64_t since, limit;
	if (get_int(params, "since", 0, INT64_MAX, 0, &since, err, errlen) != 0 ||
	    get_int(params, "limit", 1, REPLAY_LIMIT_MAX, 1000, &limit, err, errlen) != 0)
		return STOREQ_BAD_PARAMS;
	const struct room_filter *f = &room_filters[spec.kind];
	if (f->kinds == NULL) {
		*result = json_pack("{s:b,s:[],s:b}", "found", 0, "events", "truncated", 0);
		return 0;
	}
	char kinds[512];
	size_t kl = 0;
	kinds[kl++] = '{';
	for (int k = 0; k < EV__COUNT; k++)
		if (f->kinds((enum proto_event_kind)k))
			kl += (size_t)snprintf(kinds + kl, sizeof kinds - kl, "%s%s", kl > 1 ? "," : "",
					       proto_event_kind_name((enum proto_event_kind)k));
	snprintf(kinds + kl, sizeof kinds - kl, "}");

	struct qparams q = {.n = 0};
	int ps = qp_int(&q, since);
	char pred[640];
	/* A constant, not a parameter: the indexes by kind and by workflow leave
	 * the frequent kinds out (0014), which the planner must see the list
	 * excludes. The names are the protocol's own ([a-z.]). */
	int n = snprintf(pred, sizeof pred, "kind = ANY('%s'::text[])", kinds);
	if (f->id_column)
		snprintf(pred + n, sizeof pred - (size_t)n, " AND %s = $%d", f->id_column, qp_str(&q, spec.id));
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT EXISTS (SELECT 1 FROM execution_events WHERE pos = $%d AND %s)",
		 ps, pred);
	PGresult *r = pgconn_query(c, sql, q.n, q.v, err, errlen);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	bool found = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	int pl = qp_int(&q, limit + 1);
	snprintf(sql, sizeof sql, "SELECT pos, %s FROM execution_events WHERE pos > $%d AND %s "
		 "ORDER BY pos LIMIT $%d", f->strip_data ? "body::jsonb - 'input' - 'output'" : "body", ps, pred, pl);
	r = pgconn_query(c, sql, q.n, q.v, err, errlen);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	int rows = PQntuples(r);
	json_t *events = json_array();
	for (int i = 0; i < rows && i < limit; i++)
		json_array_append_new(events, json_pack("{s:I,s:o}", "pos",
							(json_int_t)strtoll(PQgetvalue(r, i, 0), NULL, 10),
							"event", storeq_parse_json(PQgetvalue(r, i, 1))));
	PQclear(r);
	*result = json_pack("{s:b,s:o,s:b}", "found", found, "events", events, "truncated", rows > limit);
	return 0;
}

/* ---- dispatch ------------------------------------------------------------ */

typedef int (*query_fn)(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);

static const query_fn query_table[STORE_Q__COUNT] = {
	[STORE_Q_EXECUTIONS] = q_executions,
	[STORE_Q_EXECUTION] = q_execution,
	[STORE_Q_STEP_STATS] = q_step_stats,
	[STORE_Q_REPLAY] = q_replay,
	[STORE_Q_PUT_QUEUE_SNAPSHOT] = storeq_put_queue_snapshot,
	[STORE_Q_PUT_DAEMON_SAMPLE] = storeq_put_daemon_sample,
	[STORE_Q_PUT_AUDIT] = storeq_put_audit,
	[STORE_Q_DB_CONNECTIONS] = storeq_db_connections,
	[STORE_Q_PUT_RULE] = storeq_put_rule,
	[STORE_Q_PUT_RULE_DELETE] = storeq_put_rule_delete,
	[STORE_Q_PUT_ALERT] = storeq_put_alert,
	[STORE_Q_PUT_NOTIFY_ATTEMPT] = storeq_put_notify_attempt,
	[STORE_Q_PUT_ACTION_USE] = storeq_put_action_use,
	[STORE_Q_METRICS] = storeq_metrics,
	[STORE_Q_PUT_SCHEDULE] = storeq_put_schedule,
	[STORE_Q_PUT_SCHEDULE_DELETE] = storeq_put_schedule_delete,
	[STORE_Q_DASHBOARD] = storeq_dashboard,
};

/* The protocol query whose parameters each history query takes, plus one
 * (0: none, the daemon builds the parameters itself). */
static const int proto_query_of[STORE_Q__COUNT] = {
	[STORE_Q_EXECUTIONS] = QUERY_EXECUTIONS + 1,
	[STORE_Q_EXECUTION] = QUERY_EXECUTION + 1,
	[STORE_Q_STEP_STATS] = QUERY_STEP_STATS + 1,
};

int storeq_run(PGconn *c, enum store_query_kind kind, const char *org, json_t *params,
	       json_t **result, char *err, size_t errlen)
{
	*result = NULL;
	if ((unsigned)kind >= STORE_Q__COUNT)
		return storeq_bad(err, errlen, "unknown query");
	/* The history queries' parameters have one set of rules, the protocol's:
	 * checked (again, for callers that did not) and normalized here. */
	json_t *checked = NULL;
	if (proto_query_of[kind] != 0) {
		struct proto_cause cause;
		checked = proto_query_params_new((enum proto_query)(proto_query_of[kind] - 1), params, &cause);
		if (checked == NULL)
			return storeq_bad(err, errlen, "parameter %s: %s", cause.field, cause.message);
		params = checked;
	}
	int rc = STOREQ_DB_ERROR;
	if (pgconn_begin_org(c, org, err, errlen) != 0)
		goto out;
	rc = query_table[kind](c, params, result, err, errlen);
	if (rc != 0) {
		pgconn_rollback(c);
		goto out;
	}
	if (pgconn_commit(c, err, errlen) != 0) {
		json_decref(*result);
		*result = NULL;
		rc = STOREQ_DB_ERROR;
	}
out:
	json_decref(checked);
	return rc;
}
