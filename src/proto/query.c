/* query.c: the history queries' names and parameters.
 *
 * Parameters are checked here, for the WebSocket "query" request and for the
 * HTTP GET endpoints alike, and handed to the store normalized: defaults
 * filled in, "status" always an array. Unknown parameters are refused. These
 * are the only rules: the store (storeq_run) runs this same check on what it
 * is given rather than having its own, so normalized params must pass again
 * unchanged. */
#include "proto.h"
#include "proto-internal.h"

#include <string.h>

#include "metrics.h"

#define QUERY_MAX_TEXT 128
#define QUERY_MAX_CURSOR 256

static const char *const query_names[QUERY__COUNT] = {
	[QUERY_EXECUTIONS] = "executions",
	[QUERY_EXECUTION] = "execution",
	[QUERY_STEP_STATS] = "step_stats",
	[QUERY_METRICS] = "metrics",
};

static const char *const statuses[] = { "queued", "running", "completed", "failed", "cancelled", NULL };

const char *proto_query_name(enum proto_query q)
{
	if ((unsigned)q >= QUERY__COUNT)
		return NULL;
	return query_names[q];
}

enum param_type { P_ID, P_TIME, P_TEXT, P_CURSOR, P_STATUSES, P_INT, P_LABELS };

struct param_spec {
	const char *name;
	enum param_type type;
	bool required;
	long long min, max, dflt;   /* P_INT */
};

static const struct param_spec executions_params[] = {
	{ "status", P_STATUSES, false, 0, 0, 0 },
	{ "workflow", P_ID, false, 0, 0, 0 },
	{ "from", P_TIME, false, 0, 0, 0 },
	{ "to", P_TIME, false, 0, 0, 0 },
	{ "text", P_TEXT, false, 0, 0, 0 },
	{ "labels", P_LABELS, false, 0, 0, 0 },
	{ "limit", P_INT, false, 1, 500, 50 },
	{ "after", P_CURSOR, false, 0, 0, 0 },
	{ NULL, 0, false, 0, 0, 0 },
};
static const struct param_spec execution_params[] = {
	{ "id", P_ID, true, 0, 0, 0 },
	{ NULL, 0, false, 0, 0, 0 },
};
static const struct param_spec step_stats_params[] = {
	{ "workflow_id", P_ID, true, 0, 0, 0 },
	{ "runs", P_INT, false, 1, 1000, 20 },
	{ NULL, 0, false, 0, 0, 0 },
};

static const struct param_spec *const query_params[QUERY__COUNT] = {
	[QUERY_EXECUTIONS] = executions_params,
	[QUERY_EXECUTION] = execution_params,
	[QUERY_STEP_STATS] = step_stats_params,
};

static bool is_status(const char *s)
{
	for (const char *const *p = statuses; *p != NULL; p++)
		if (strcmp(*p, s) == 0)
			return true;
	return false;
}

/* Checks v against spec; returns a new normalized value or NULL. */
static json_t *param_check(const struct param_spec *spec, json_t *v, struct proto_cause *cause)
{
	int64_t ms;
	switch (spec->type) {
	case P_ID:
		if (!proto_json_id_valid(v)) {
			proto_fail(cause, spec->name, "must be an id of 1 to %d characters [A-Za-z0-9_.:-]",
				   PROTO_MAX_ID);
			return NULL;
		}
		return json_incref(v);
	case P_TIME:
		if (!json_is_string(v) || proto_time_parse(json_string_value(v), &ms) != 0) {
			proto_fail(cause, spec->name, "must be an RFC 3339 time such as 2026-11-01T00:00:00Z");
			return NULL;
		}
		return json_incref(v);
	case P_TEXT:
	case P_CURSOR: {
		size_t max = spec->type == P_TEXT ? QUERY_MAX_TEXT : QUERY_MAX_CURSOR;
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > max ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			proto_fail(cause, spec->name, "must be a string of 1 to %zu bytes", max);
			return NULL;
		}
		return json_incref(v);
	}
	case P_STATUSES: {
		json_t *list = json_array();
		if (json_is_string(v)) {
			json_array_append(list, v);
		} else if (json_is_array(v) && json_array_size(v) > 0 && json_array_size(v) <= 5) {
			json_array_extend(list, v);
		} else {
			json_decref(list);
			proto_fail(cause, spec->name, "must be a status or a list of statuses");
			return NULL;
		}
		size_t i;
		json_t *s;
		json_array_foreach(list, i, s) {
			if (!json_is_string(s) || !is_status(json_string_value(s))) {
				json_decref(list);
				proto_fail(cause, spec->name,
					   "must be among queued, running, completed, failed, cancelled");
				return NULL;
			}
		}
		return list;
	}
	case P_LABELS: {
		/* An object, or the text form ("period=2026-11, client=ACME"). */
		struct proto_cause inner = { "", "" };
		json_t *o = json_is_string(v) ? proto_labels_parse_text(json_string_value(v), PROTO_MAX_LABELS, &inner)
			    : json_is_object(v) ? json_incref(v) : NULL;
		if (o != NULL && proto_labels_check(o, PROTO_MAX_LABELS, spec->name, &inner) < 0) {
			json_decref(o);
			o = NULL;
		}
		if (o == NULL)
			proto_fail(cause, spec->name, "must be labels such as period=2026-11, client=ACME%s%s",
				   inner.message[0] ? ": " : "", inner.message);
		return o;
	}
	case P_INT:
		if (!json_is_integer(v) || json_integer_value(v) < spec->min ||
		    json_integer_value(v) > spec->max) {
			proto_fail(cause, spec->name, "must be an integer from %lld to %lld", spec->min,
				   spec->max);
			return NULL;
		}
		return json_incref(v);
	}
	return NULL;
}

json_t *proto_query_params_new(enum proto_query q, json_t *params, struct proto_cause *cause)
{
	if ((unsigned)q >= QUERY__COUNT) {
		proto_fail(cause, "query", "unknown query");
		return NULL;
	}
	if (q == QUERY_METRICS)
		return metrics_params_new(params, cause);   /* its rules relate parameters to each other */
	if (params != NULL && !json_is_object(params)) {
		proto_fail(cause, "params", "must be an object");
		return NULL;
	}
	const struct param_spec *specs = query_params[q];
	const char *key;
	json_t *v;
	json_object_foreach(params, key, v) {
		bool known = false;
		for (const struct param_spec *p = specs; p->name != NULL && !known; p++)
			known = strcmp(p->name, key) == 0;
		if (!known) {
			proto_fail(cause, key, "unknown parameter");
			return NULL;
		}
	}
	json_t *out = json_object();
	for (const struct param_spec *p = specs; p->name != NULL; p++) {
		v = params ? json_object_get(params, p->name) : NULL;
		if (v == NULL || json_is_null(v)) {
			if (p->required) {
				json_decref(out);
				proto_fail(cause, p->name, "required parameter missing");
				return NULL;
			}
			if (p->type == P_INT)
				json_object_set_new(out, p->name, json_integer(p->dflt));
			continue;
		}
		json_t *norm = param_check(p, v, cause);
		if (norm == NULL) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, p->name, norm);
	}
	return out;
}
