/* test_proto_request.c: request parsing (proto_request_parse), table-driven:
 * each request type, and every way a frame can be refused, with the id echoed
 * when one was readable. */
#include "proto.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses text given without its NUL, as a WebSocket frame would be. */
static int parse(const char *text, struct proto_request *req, json_t **id, struct proto_cause *c)
{
	size_t len = strlen(text);
	char *frame = malloc(len ? len : 1);
	assert_non_null(frame);
	memcpy(frame, text, len);
	int rc = proto_request_parse(frame, len, req, id, c);
	free(frame);
	return rc;
}

static const struct good_case {
	const char *text;
	enum proto_request_type type;
	enum proto_room_kind room;
	const char *room_id;
	bool has_since;
	int64_t since;
	const char *id_json; /* the id as compact JSON, or NULL */
} good[] = {
	{"{\"type\":\"subscribe\",\"room\":\"org\"}", REQ_SUBSCRIBE, ROOM_ORG, "", false, 0, NULL},
	{"{\"type\":\"subscribe\",\"id\":\"r1\",\"room\":\"execution:ex-1\",\"since\":42}", REQ_SUBSCRIBE,
	 ROOM_EXECUTION, "ex-1", true, 42, "\"r1\""},
	{"{\"room\":\"workflow:wf.9\",\"since\":0,\"type\":\"subscribe\",\"id\":7}", REQ_SUBSCRIBE,
	 ROOM_WORKFLOW, "wf.9", true, 0, "7"},
	{" {\"type\":\"subscribe\",\"room\":\"control\"}\n", REQ_SUBSCRIBE, ROOM_CONTROL, "", false, 0,
	 NULL},
	{"{\"type\":\"unsubscribe\",\"id\":-3,\"room\":\"queue\"}", REQ_UNSUBSCRIBE, ROOM_QUEUE, "", false,
	 0, "-3"},
	{"{\"type\":\"unsubscribe\",\"room\":\"alerts\"}", REQ_UNSUBSCRIBE, ROOM_ALERTS, "", false, 0,
	 NULL},
	{"{\"type\":\"ping\"}", REQ_PING, 0, NULL, false, 0, NULL},
	{"{\"type\":\"ping\",\"id\":\"\\u00e9t\\u00e9 1\"}", REQ_PING, 0, NULL, false, 0,
	 "\"\xc3\xa9t\xc3\xa9 1\""},
	{"{\"type\":\"publish\",\"id\":\"p\",\"events\":[{},{\"type\":\"log\"},3]}", REQ_PUBLISH, 0, NULL,
	 false, 0, "\"p\""},
	{"{\"type\":\"auth\",\"id\":\"auth\",\"token\":\"a.b.c\"}", REQ_AUTH, 0, NULL, false, 0, "\"auth\""},
};

static void test_good_requests(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		const struct good_case *g = &good[i];
		struct proto_request req;
		struct proto_cause cause;
		json_t *id = (json_t *)1;
		if (parse(g->text, &req, &id, &cause) != 0)
			fail_msg("case %zu: refused: %s: %s", i, cause.field, cause.message);
		assert_null(id);
		assert_int_equal(req.type, g->type);
		assert_non_null(req.root);
		if (g->id_json == NULL) {
			assert_null(req.id);
		} else {
			char *s = json_dumps(req.id, JSON_ENCODE_ANY | JSON_COMPACT);
			assert_string_equal(s, g->id_json);
			free(s);
		}
		if (g->room_id != NULL) {
			assert_int_equal(req.room.kind, g->room);
			assert_string_equal(req.room.id, g->room_id);
		}
		assert_int_equal(req.has_since, g->has_since);
		if (g->has_since)
			assert_int_equal(req.since, g->since);
		if (g->type == REQ_AUTH)
			assert_string_equal(req.token, "a.b.c");
		if (g->type == REQ_PUBLISH) {
			assert_true(json_is_array(req.events));
			assert_int_equal(json_array_size(req.events), 3);
		} else {
			assert_null(req.events);
		}
		proto_request_clear(&req);
		assert_null(req.root);
	}
}

static const struct bad_case {
	const char *text;
	const char *field;
	const char *message;
	const char *id_json; /* the id echoed, or NULL */
} bad[] = {
	/* not JSON, not an object */
	{"", "", "invalid JSON", NULL},
	{"{\"type\":\"ping\"", "", "invalid JSON", NULL},
	{"{\"type\":\"ping\"} x", "", "invalid JSON", NULL},
	{"{'type':'ping'}", "", "line 1, column", NULL},
	{"{\"type\":\"ping\",\"id\":\"a\\u0000\"}", "", "invalid JSON", NULL},
	{"{\"type\":\"ping\",\"type\":\"ping\"}", "", "duplicate", NULL},
	{"{\"type\":\"subscribe\",\"id\":1,\"room\":\"org\",\"room\":\"queue\"}", "", "duplicate", NULL},
	{"[{\"type\":\"ping\"}]", "", "must be a JSON object", NULL},
	{"\"ping\"", "", "invalid JSON", NULL},
	/* id */
	{"{\"type\":\"ping\",\"id\":\"\"}", "id", "1 to 64 bytes or an integer", NULL},
	{"{\"type\":\"ping\",\"id\":1.5}", "id", "1 to 64 bytes or an integer", NULL},
	{"{\"type\":\"ping\",\"id\":null}", "id", "1 to 64 bytes or an integer", NULL},
	{"{\"type\":\"ping\",\"id\":[1]}", "id", "1 to 64 bytes or an integer", NULL},
	{"{\"type\":\"ping\",\"id\":true}", "id", "1 to 64 bytes or an integer", NULL},
	{"{\"type\":\"ping\",\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
	 "id", "1 to 64 bytes", NULL},
	/* type */
	{"{\"id\":\"q\"}", "type", "required field missing", "\"q\""},
	{"{\"id\":5,\"type\":3}", "type", "must be a string", "5"},
	{"{\"id\":\"q\",\"type\":\"subscribed\"}", "type", "unknown request type 'subscribed'", "\"q\""},
	/* auth */
	{"{\"type\":\"auth\",\"id\":1}", "token", "required field missing", "1"},
	{"{\"type\":\"auth\",\"id\":1,\"token\":\"\"}", "token", "1 to 8192 bytes", "1"},
	{"{\"type\":\"auth\",\"id\":1,\"token\":7}", "token", "1 to 8192 bytes", "1"},
	{"{\"type\":\"auth\",\"id\":1,\"token\":\"a\",\"org\":\"x\"}", "org", "unknown field", "1"},
	{"{\"type\":\"PING\"}", "type", "unknown request type", NULL},
	/* unknown fields */
	{"{\"type\":\"ping\",\"id\":\"q\",\"room\":\"org\"}", "room", "unknown field", "\"q\""},
	{"{\"type\":\"subscribe\",\"id\":9,\"room\":\"org\",\"from\":3}", "from", "unknown field", "9"},
	{"{\"type\":\"unsubscribe\",\"room\":\"org\",\"since\":3}", "since", "unknown field", NULL},
	{"{\"type\":\"publish\",\"events\":[{}],\"room\":\"org\"}", "room", "unknown field", NULL},
	/* subscribe and unsubscribe */
	{"{\"type\":\"subscribe\",\"id\":\"s\"}", "room", "required field missing", "\"s\""},
	{"{\"type\":\"subscribe\",\"room\":7}", "room", "must be a string", NULL},
	{"{\"type\":\"subscribe\",\"id\":\"s\",\"room\":\"everything\"}", "room", "unknown room", "\"s\""},
	{"{\"type\":\"subscribe\",\"room\":\"execution:\"}", "room", "missing the id", NULL},
	{"{\"type\":\"subscribe\",\"room\":\"execution:a b\"}", "room", "invalid id", NULL},
	{"{\"type\":\"subscribe\",\"room\":\"org\",\"since\":-1}", "since", "at least 0", NULL},
	{"{\"type\":\"subscribe\",\"room\":\"org\",\"since\":1.0}", "since", "must be an integer", NULL},
	{"{\"type\":\"subscribe\",\"room\":\"org\",\"since\":\"3\"}", "since", "must be an integer", NULL},
	{"{\"type\":\"unsubscribe\",\"id\":1}", "room", "required field missing", "1"},
	{"{\"type\":\"unsubscribe\",\"room\":\"workflow\"}", "room", "needs an id", NULL},
	/* publish */
	{"{\"type\":\"publish\",\"id\":\"p\"}", "events", "required field missing", "\"p\""},
	{"{\"type\":\"publish\",\"id\":\"p\",\"events\":[]}", "events", "at least one event", "\"p\""},
	{"{\"type\":\"publish\",\"events\":{}}", "events", "must be an array", NULL},
	{"{\"type\":\"publish\",\"events\":null}", "events", "must be an array", NULL},
	/* hello: what the client understands */
	{"{\"type\":\"hello\",\"id\":\"h\",\"features\":\"pending_events\"}", "features",
	 "must be an array of at most 32 feature names", "\"h\""},
	{"{\"type\":\"hello\",\"features\":{\"pending_events\":true}}", "features", "must be an array", NULL},
	{"{\"type\":\"hello\",\"features\":true}", "features", "must be an array", NULL},
	{"{\"type\":\"hello\",\"features\":[\"pending_events\",1]}", "features",
	 "feature names of 1 to 64 bytes", NULL},
	{"{\"type\":\"hello\",\"features\":[\"\"]}", "features", "feature names of 1 to 64 bytes", NULL},
	{"{\"type\":\"hello\",\"features\":[null]}", "features", "feature names of 1 to 64 bytes", NULL},
	{"{\"type\":\"hello\",\"revision\":\"2\"}", "revision", "must be an integer", NULL},
};

static void test_bad_requests(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const struct bad_case *b = &bad[i];
		struct proto_request req;
		struct proto_cause cause = {{0}, {0}};
		json_t *id = (json_t *)1;
		if (parse(b->text, &req, &id, &cause) == 0)
			fail_msg("case %zu accepted: %s", i, b->text);
		assert_null(req.root);
		assert_null(req.id);
		if (strcmp(cause.field, b->field) != 0)
			fail_msg("case %zu: field '%s' (%s), expected '%s'", i, cause.field, cause.message,
				 b->field);
		if (strstr(cause.message, b->message) == NULL)
			fail_msg("case %zu: message '%s' lacks '%s'", i, cause.message, b->message);
		if (b->id_json == NULL) {
			if (id != NULL)
				fail_msg("case %zu: an id was echoed", i);
		} else {
			if (id == NULL)
				fail_msg("case %zu: no id echoed", i);
			char *s = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
			assert_string_equal(s, b->id_json);
			free(s);
			json_decref(id);
		}
		proto_request_clear(&req); /* safe after a failure too */
	}
}

/* A hello's "features": pending_events turns pending event messages on;
 * unknown words are ignored (a newer client); the list is bounded. */
static void test_hello_features(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		bool pending;
	} cases[] = {
		{"{\"type\":\"hello\",\"id\":\"h\"}", false},
		{"{\"type\":\"hello\",\"features\":[]}", false},
		{"{\"type\":\"hello\",\"features\":[\"pending_events\"]}", true},
		{"{\"type\":\"hello\",\"features\":[\"from_the_future\",\"pending_events\"]}", true},
		{"{\"type\":\"hello\",\"features\":[\"pending-events\"]}", false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct proto_request req;
		struct proto_cause cause;
		if (parse(cases[i].text, &req, NULL, &cause) != 0)
			fail_msg("case %zu: refused: %s: %s", i, cause.field, cause.message);
		assert_int_equal(req.type, REQ_HELLO);
		assert_int_equal(req.pending_events, cases[i].pending);
		proto_request_clear(&req);
	}
	/* At most PROTO_MAX_FEATURES words. */
	char text[1024];
	for (int n = PROTO_MAX_FEATURES; n <= PROTO_MAX_FEATURES + 1; n++) {
		size_t at = (size_t)snprintf(text, sizeof text, "{\"type\":\"hello\",\"features\":[");
		for (int k = 0; k < n; k++)
			at += (size_t)snprintf(text + at, sizeof text - at, "%s\"f%d\"", k ? "," : "", k);
		snprintf(text + at, sizeof text - at, "]}");
		struct proto_request req;
		struct proto_cause cause;
		assert_int_equal(parse(text, &req, NULL, &cause), n <= PROTO_MAX_FEATURES ? 0 : -1);
		proto_request_clear(&req);
	}
	/* What the clients send parses, and lists the feature. */
	char *hello = proto_hello_request_new("hello", "wfmon test", true);
	assert_non_null(hello);
	struct proto_request req;
	struct proto_cause cause;
	assert_int_equal(parse(hello, &req, NULL, &cause), 0);
	assert_true(req.pending_events);
	assert_string_equal(json_string_value(json_object_get(req.root, "client")), "wfmon test");
	proto_request_clear(&req);
	free(hello);
	hello = proto_hello_request_new("hello", NULL, false);
	assert_int_equal(parse(hello, &req, NULL, &cause), 0);
	assert_false(req.pending_events);
	assert_null(json_object_get(req.root, "features"));
	proto_request_clear(&req);
	free(hello);
	/* And the daemon's answer says it honours it. */
	char *answer = proto_hello_message_new(NULL, "wfmond test");
	json_t *a = json_loads(answer, 0, NULL);
	assert_true(proto_hello_has(a, PROTO_FEATURE_PENDING_EVENTS));
	json_decref(a);
	free(answer);
}

/* The echoed id outlives the parse: it is a reference of its own. */
static void test_echoed_id_is_owned(void **state)
{
	(void)state;
	struct proto_request req;
	struct proto_cause cause;
	json_t *id = NULL;
	assert_int_equal(parse("{\"type\":\"nope\",\"id\":\"keep-me\"}", &req, &id, &cause), -1);
	assert_non_null(id);
	assert_string_equal(json_string_value(id), "keep-me");
	char *msg = proto_error_message_new(id, PROTO_ERR_BAD_REQUEST, cause.message, cause.field);
	json_decref(id);
	assert_non_null(msg);
	assert_non_null(strstr(msg, "\"id\":\"keep-me\""));
	free(msg);
	/* A NULL id_out is allowed. */
	assert_int_equal(parse("{\"type\":\"nope\",\"id\":\"x\"}", &req, NULL, &cause), -1);
}

/* The parser must stop at len and not need a terminating NUL. */
static void test_frame_not_terminated(void **state)
{
	(void)state;
	const char text[] = "{\"type\":\"ping\",\"id\":1}garbage";
	struct proto_request req;
	struct proto_cause cause;
	json_t *id;
	assert_int_equal(proto_request_parse(text, 22, &req, &id, &cause), 0);
	assert_int_equal(req.type, REQ_PING);
	proto_request_clear(&req);
	assert_int_equal(proto_request_parse(text, 21, &req, &id, &cause), -1);
	assert_string_equal(cause.field, "");
}

static char *publish_of(size_t n)
{
	size_t cap = 64 + n * 3;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t used = (size_t)snprintf(text, cap, "{\"type\":\"publish\",\"id\":1,\"events\":[");
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(text + used, cap - used, "%s{}", i ? "," : "");
	snprintf(text + used, cap - used, "]}");
	return text;
}

static void test_batch_limit(void **state)
{
	(void)state;
	struct proto_request req;
	struct proto_cause cause;
	json_t *id = NULL;
	char *text = publish_of(PROTO_MAX_BATCH);
	assert_int_equal(parse(text, &req, &id, &cause), 0);
	assert_int_equal(json_array_size(req.events), PROTO_MAX_BATCH);
	proto_request_clear(&req);
	free(text);

	text = publish_of(PROTO_MAX_BATCH + 1);
	assert_int_equal(parse(text, &req, &id, &cause), -1);
	assert_string_equal(cause.field, "events");
	assert_non_null(strstr(cause.message, "1001 events, more than the limit of 1000"));
	assert_non_null(id);
	assert_int_equal(json_integer_value(id), 1);
	json_decref(id);
	free(text);
}

static void test_type_names(void **state)
{
	(void)state;
	static const char *const names[REQ__COUNT] = {"subscribe", "unsubscribe", "publish", "ping", "query", "prioritize", "rule", "alert",
						     "auth", "hello", "cancel", "retry", "schedule", "dashboard"};
	for (int t = 0; t < REQ__COUNT; t++)
		assert_string_equal(proto_request_type_name((enum proto_request_type)t), names[t]);
	assert_null(proto_request_type_name(REQ__COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_requests),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_hello_features),
		cmocka_unit_test(test_echoed_id_is_owned),
		cmocka_unit_test(test_frame_not_terminated),
		cmocka_unit_test(test_batch_limit),
		cmocka_unit_test(test_type_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
