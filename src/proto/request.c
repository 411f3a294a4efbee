/* request.c: parsing of the requests clients send (subscribe, unsubscribe,
 * publish, ping, query, prioritize, cancel, retry, rule, alert, schedule,
 * hello).
 *
 * One frame is one request. The request id is read before anything else can
 * fail, so that every error after that point can be answered with the id the
 * client used. Each type lists the fields it allows; anything else is refused.
 * On failure the request struct is left empty (root NULL), so clearing it is
 * always safe. Events of a publish are only counted here: the daemon validates
 * them one by one, since one bad event must not sink the batch. */
#include "proto.h"
#include "proto-internal.h"

#include <string.h>

static const char *const subscribe_fields[] = {"room", "since", NULL};
static const char *const unsubscribe_fields[] = {"room", NULL};
static const char *const publish_fields[] = {"events", NULL};
static const char *const ping_fields[] = {NULL};
static const char *const query_fields[] = {"query", "params", NULL};
static const char *const prioritize_fields[] = {"execution_id", "priority", NULL};
static const char *const rule_fields[] = {"action", "rule", "rule_id", NULL};
static const char *const alert_fields[] = {"action", "alert_id", "note", NULL};
static const char *const auth_fields[] = {"token", NULL};
static const char *const hello_fields[] = {"protocol", "revision", "client", "features", NULL};
static const char *const control_fields[] = {"execution_id", "reason", NULL};
static const char *const schedule_fields[] = {"action", "schedule", "workflow_id", NULL};

static int parse_subscribe(json_t *root, struct proto_request *req, struct proto_cause *cause);
static int parse_unsubscribe(json_t *root, struct proto_request *req, struct proto_cause *cause);
static int parse_publish(json_t *root, struct proto_request *req, struct proto_cause *cause);
static int parse_query(json_t *root, struct proto_request *req, struct proto_cause *cause);
static int parse_prioritize(json_t *root, struct proto_request *req, struct proto_cause *cause);
static int parse_rule(json_t *root, struct proto_request *req, struct proto_cause *cause);
static int parse_alert(json_t *root, struct proto_request *req, struct proto_cause *cause);
static int parse_auth(json_t *root, struct proto_request *req, struct proto_cause *cause);
static int parse_hello(json_t *root, struct proto_request *req, struct proto_cause *cause);
static int parse_control(json_t *root, struct proto_request *req, struct proto_cause *cause);
static int parse_schedule(json_t *root, struct proto_request *req, struct proto_cause *cause);

static const struct request_spec {
	const char *const *fields;
	/* Reads the type's own fields into req; NULL when there are none. */
	int (*parse)(json_t *root, struct proto_request *req, struct proto_cause *cause);
} requests[REQ__COUNT] = {
	[REQ_SUBSCRIBE] = {subscribe_fields, parse_subscribe},
	[REQ_UNSUBSCRIBE] = {unsubscribe_fields, parse_unsubscribe},
	[REQ_PUBLISH] = {publish_fields, parse_publish},
	[REQ_PING] = {ping_fields, NULL},
	[REQ_QUERY] = {query_fields, parse_query},
	[REQ_PRIORITIZE] = {prioritize_fields, parse_prioritize},
	[REQ_RULE] = {rule_fields, parse_rule},
	[REQ_ALERT] = {alert_fields, parse_alert},
	[REQ_AUTH] = {auth_fields, parse_auth},
	[REQ_HELLO] = {hello_fields, parse_hello},
	[REQ_CANCEL] = {control_fields, parse_control},
	[REQ_RETRY] = {control_fields, parse_control},
	[REQ_SCHEDULE] = {schedule_fields, parse_schedule},
	[REQ_DASHBOARD] = {dashboard_request_fields, dashboard_request_parse},
};

static bool key_is(const char *name, const char *key, size_t key_len)
{
	return strlen(name) == key_len && memcmp(name, key, key_len) == 0;
}

static int parse_room(json_t *root, struct proto_room *room, struct proto_cause *cause)
{
	json_t *v = json_object_get(root, "room");
	if (v == NULL)
		return proto_fail(cause, "room", "required field missing");
	if (!json_is_string(v))
		return proto_fail(cause, "room", "must be a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return proto_fail(cause, "room", "must not contain NUL characters");
	return proto_room_parse(json_string_value(v), room, cause);
}

static int parse_subscribe(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	if (parse_room(root, &req->room, cause) != 0)
		return -1;
	json_t *since = json_object_get(root, "since");
	if (since == NULL)
		return 0;
	if (!json_is_integer(since) || json_integer_value(since) < 0)
		return proto_fail(cause, "since", "must be an integer of at least 0");
	req->has_since = true;
	req->since = json_integer_value(since);
	return 0;
}

static int parse_unsubscribe(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	return parse_room(root, &req->room, cause);
}

static int parse_publish(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	json_t *events = json_object_get(root, "events");
	if (events == NULL)
		return proto_fail(cause, "events", "required field missing");
	if (!json_is_array(events))
		return proto_fail(cause, "events", "must be an array of events");
	size_t n = json_array_size(events);
	if (n == 0)
		return proto_fail(cause, "events", "must hold at least one event");
	if (n > PROTO_MAX_BATCH)
		return proto_fail(cause, "events", "holds %zu events, more than the limit of %d", n,
				  PROTO_MAX_BATCH);
	req->events = events;
	return 0;
}

static int parse_query(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	json_t *q = json_object_get(root, "query");
	if (q == NULL)
		return proto_fail(cause, "query", "required field missing");
	const char *name = json_string_value(q);
	int found = -1;
	for (int i = 0; name != NULL && i < QUERY__COUNT; i++)
		if (key_is(proto_query_name((enum proto_query)i), name, json_string_length(q)))
			found = i;
	if (found < 0)
		return proto_fail(cause, "query", "must be one of executions, execution, step_stats");
	req->query = (enum proto_query)found;
	req->params = proto_query_params_new(req->query, json_object_get(root, "params"), cause);
	return req->params ? 0 : -1;
}

static int parse_prioritize(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	json_t *x = json_object_get(root, "execution_id");
	if (x == NULL)
		return proto_fail(cause, "execution_id", "required field missing");
	if (!proto_json_id_valid(x))
		return proto_fail(cause, "execution_id", "must be an execution id");
	req->execution_id = json_string_value(x);
	json_t *p = json_object_get(root, "priority");
	if (p == NULL)
		return proto_fail(cause, "priority", "required field missing");
	if (!json_is_string(p) || proto_priority_parse(json_string_value(p), &req->priority) != 0)
		return proto_fail(cause, "priority", "must be one of HIGH, NORMAL, LOW");
	return 0;
}

/* The "action" field against a table of names. */
static int parse_action(json_t *root, const char *(*name)(int), int count, int *out,
			const char *allowed, struct proto_cause *cause)
{
	json_t *a = json_object_get(root, "action");
	if (a == NULL)
		return proto_fail(cause, "action", "required field missing");
	for (int i = 0; json_is_string(a) && i < count; i++)
		if (key_is(name(i), json_string_value(a), json_string_length(a))) {
			*out = i;
			return 0;
		}
	return proto_fail(cause, "action", "must be one of %s", allowed);
}

/* The object a save carries under key (borrowed into *out); any other
 * action must not carry one. */
static int save_object(json_t *root, const char *key, bool saving, json_t **out, struct proto_cause *cause)
{
	json_t *o = json_object_get(root, key);
	if (saving && !json_is_object(o))
		return proto_fail(cause, key, "save needs the %s as an object", key);
	if (!saving && o != NULL)
		return proto_fail(cause, key, "only save takes a %s", key);
	if (saving)
		*out = o;
	return 0;
}

static const char *rule_action_at(int i) { return proto_rule_action_name((enum proto_rule_action)i); }
static const char *alert_action_at(int i) { return proto_alert_action_name((enum proto_alert_action)i); }

static int parse_rule(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	int a;
	if (parse_action(root, rule_action_at, RULE__COUNT, &a, "list, save, delete, enable, disable", cause) != 0)
		return -1;
	req->rule_action = (enum proto_rule_action)a;
	json_t *rule_id = json_object_get(root, "rule_id");
	if (save_object(root, "rule", req->rule_action == RULE_SAVE, &req->rule, cause) != 0)
		return -1;
	if (req->rule_action == RULE_DELETE || req->rule_action == RULE_ENABLE ||
	    req->rule_action == RULE_DISABLE) {
		if (rule_id == NULL || !proto_json_id_valid(rule_id))
			return proto_fail(cause, "rule_id", "must be a rule id");
		req->rule_id = json_string_value(rule_id);
	} else if (rule_id != NULL) {
		return proto_fail(cause, "rule_id", "not used by this action");
	}
	return 0;
}

static int parse_alert(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	int a;
	if (parse_action(root, alert_action_at, ALERT_ACTION__COUNT, &a, "acknowledge, resolve, escalate",
			 cause) != 0)
		return -1;
	req->alert_action = (enum proto_alert_action)a;
	json_t *id = json_object_get(root, "alert_id");
	if (!json_is_integer(id) || json_integer_value(id) <= 0)
		return proto_fail(cause, "alert_id", "must be a positive integer");
	req->alert_id = json_integer_value(id);
	json_t *note = json_object_get(root, "note");
	if (note != NULL) {
		if (!json_is_string(note) || json_string_length(note) > PROTO_MAX_TEXT ||
		    strlen(json_string_value(note)) != json_string_length(note))
			return proto_fail(cause, "note", "must be a text of at most %d bytes", PROTO_MAX_TEXT);
		req->note = json_string_value(note);
	}
	return 0;
}

static int parse_auth(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	json_t *t = json_object_get(root, "token");
	if (t == NULL)
		return proto_fail(cause, "token", "required field missing");
	if (!json_is_string(t) || json_string_length(t) == 0 || json_string_length(t) > PROTO_MAX_TOKEN ||
	    strlen(json_string_value(t)) != json_string_length(t))
		return proto_fail(cause, "token", "must be a token of 1 to %d bytes", PROTO_MAX_TOKEN);
	req->token = json_string_value(t);
	return 0;
}

char *proto_auth_request_new(const char *id, const char *token)
{
	if (token == NULL || strlen(token) > PROTO_MAX_TOKEN)
		return NULL;
	json_t *m = json_pack("{s:s,s:s,s:s}", "type", "auth", "id", id, "token", token);
	char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
	json_t *tok = json_object_get(m, "token");
	if (tok != NULL)   /* jansson's copy of the credential */
		explicit_bzero((char *)json_string_value(tok), json_string_length(tok));
	json_decref(m);
	return text;
}

/* What a client says it understands: an array of feature words. A word this
 * daemon does not know is ignored (the client may be newer); only its shape
 * is checked, so that a client with a typo hears about it. */
static int parse_hello_features(json_t *v, struct proto_request *req, struct proto_cause *cause)
{
	if (v == NULL)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > PROTO_MAX_FEATURES)
		return proto_fail(cause, "features", "must be an array of at most %d feature names, e.g. [\"%s\"]",
				  PROTO_MAX_FEATURES, PROTO_FEATURE_PENDING_EVENTS);
	size_t i;
	json_t *f;
	json_array_foreach(v, i, f) {
		if (!json_is_string(f) || json_string_length(f) == 0 || json_string_length(f) > PROTO_MAX_ID ||
		    strlen(json_string_value(f)) != json_string_length(f))
			return proto_fail(cause, "features", "must be an array of feature names of 1 to %d bytes",
					  PROTO_MAX_ID);
		if (strcmp(json_string_value(f), PROTO_FEATURE_PENDING_EVENTS) == 0)
			req->pending_events = true;
	}
	return 0;
}

/* A client says which version and revision it speaks (both optional): a
 * client of another major version is told so, a newer revision is fine (the
 * daemon's answer says what it has). */
static int parse_hello(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	(void)req;
	json_t *v = json_object_get(root, "protocol");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) != PROTO_VERSION))
		return proto_fail(cause, "protocol", "this daemon speaks protocol version %d", PROTO_VERSION);
	v = json_object_get(root, "revision");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 1))
		return proto_fail(cause, "revision", "must be an integer of at least 1");
	v = json_object_get(root, "client");
	if (v != NULL && (!json_is_string(v) || json_string_length(v) == 0 ||
			  json_string_length(v) > PROTO_MAX_NAME))
		return proto_fail(cause, "client", "must be a name of 1 to %d bytes", PROTO_MAX_NAME);
	return parse_hello_features(json_object_get(root, "features"), req, cause);
}

static int parse_control(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	json_t *x = json_object_get(root, "execution_id");
	if (x == NULL)
		return proto_fail(cause, "execution_id", "required field missing");
	if (!proto_json_id_valid(x))
		return proto_fail(cause, "execution_id", "must be an execution id");
	req->execution_id = json_string_value(x);
	json_t *reason = json_object_get(root, "reason");
	if (reason != NULL) {
		if (!json_is_string(reason) || json_string_length(reason) == 0 ||
		    json_string_length(reason) > PROTO_MAX_TEXT ||
		    strlen(json_string_value(reason)) != json_string_length(reason))
			return proto_fail(cause, "reason", "must be a text of 1 to %d bytes", PROTO_MAX_TEXT);
		req->reason = json_string_value(reason);
	}
	return 0;
}

static const char *schedule_action_at(int i)
{
	return proto_schedule_action_name((enum proto_schedule_action)i);
}

static int parse_schedule(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	int a;
	if (parse_action(root, schedule_action_at, SCHEDULE_ACTION__COUNT, &a, "list, save, delete", cause) != 0)
		return -1;
	req->schedule_action = (enum proto_schedule_action)a;
	json_t *wf = json_object_get(root, "workflow_id");
	if (save_object(root, "schedule", req->schedule_action == SCHEDULE_SAVE, &req->schedule, cause) != 0)
		return -1;
	if (req->schedule_action == SCHEDULE_DELETE) {
		if (wf == NULL || !proto_json_id_valid(wf))
			return proto_fail(cause, "workflow_id", "must be a workflow id");
		req->workflow_id = json_string_value(wf);
	} else if (wf != NULL) {
		return proto_fail(cause, "workflow_id", "not used by this action");
	}
	return 0;
}

static int parse_type(json_t *root, enum proto_request_type *out, struct proto_cause *cause)
{
	json_t *type = json_object_get(root, "type");
	if (type == NULL)
		return proto_fail(cause, "type", "required field missing");
	if (!json_is_string(type))
		return proto_fail(cause, "type", "must be a string");
	for (int t = 0; t < REQ__COUNT; t++) {
		if (key_is(proto_request_type_name((enum proto_request_type)t), json_string_value(type),
			   json_string_length(type))) {
			*out = (enum proto_request_type)t;
			return 0;
		}
	}
	return proto_fail(cause, "type",
			  "unknown request type '%.64s': use subscribe, unsubscribe, publish, query, "
			  "prioritize, cancel, retry, rule, alert, schedule, hello, auth, dashboard or ping",
			  json_string_value(type));
}

static int parse_body(json_t *root, struct proto_request *req, struct proto_cause *cause)
{
	if (parse_type(root, &req->type, cause) != 0)
		return -1;
	const struct request_spec *spec = &requests[req->type];

	const char *key;
	size_t key_len;
	json_t *v;
	json_object_keylen_foreach(root, key, key_len, v) {
		bool known = key_is("type", key, key_len) || key_is("id", key, key_len);
		for (const char *const *f = spec->fields; *f != NULL && !known; f++)
			known = key_is(*f, key, key_len);
		if (!known)
			return proto_fail(cause, key, "unknown field");
	}
	return spec->parse ? spec->parse(root, req, cause) : 0;
}

int proto_request_parse(const char *buf, size_t len, struct proto_request *req, json_t **id_out,
			struct proto_cause *cause)
{
	json_error_t err;

	memset(req, 0, sizeof *req);
	if (id_out != NULL)
		*id_out = NULL;

	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL)
		return proto_fail(cause, "", "invalid JSON: %s (line %d, column %d, byte %d)", err.text,
				  err.line, err.column, err.position);
	if (!json_is_object(root)) {
		json_decref(root);
		return proto_fail(cause, "", "a request must be a JSON object");
	}

	json_t *id = json_object_get(root, "id");
	if (id != NULL) {
		bool ok = json_is_integer(id) ||
			  (json_is_string(id) && json_string_length(id) >= 1 &&
			   json_string_length(id) <= PROTO_MAX_ID);
		if (!ok) {
			json_decref(root);
			return proto_fail(cause, "id", "must be a string of 1 to %d bytes or an integer",
					  PROTO_MAX_ID);
		}
	}

	req->root = root;
	req->id = id;
	if (parse_body(root, req, cause) != 0) {
		if (id != NULL && id_out != NULL)
			*id_out = json_incref(id);
		proto_request_clear(req);
		return -1;
	}
	return 0;
}

void proto_request_clear(struct proto_request *req)
{
	if (req == NULL)
		return;
	json_decref(req->root);
	json_decref(req->params);
	memset(req, 0, sizeof *req);
}
