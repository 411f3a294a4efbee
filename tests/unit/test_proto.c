/* test_proto.c: the protocol's vocabulary: names of kinds, errors and
 * priorities, ids, the time format, rooms, and the message encoders (each
 * output parsed back and compared field by field). The event schema and the
 * request parser have their own files: test_proto_event.c, test_proto_request.c. */
#include "proto.h"
#include "utf8.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Names ----------------------------------------------------------------- */

static void test_kind_names(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		bool execution_level, terminal;
	} kinds[EV__COUNT] = {
		[EV_EXECUTION_QUEUED] = {"execution.queued", true, false},
		[EV_EXECUTION_STARTED] = {"execution.started", true, false},
		[EV_STEP_STARTED] = {"step.started", true, false},
		[EV_STEP_PROGRESS] = {"step.progress", false, false},
		[EV_STEP_COMPLETED] = {"step.completed", true, false},
		[EV_STEP_FAILED] = {"step.failed", true, false},
		[EV_LOG] = {"log", false, false},
		[EV_COUNTER] = {"counter", false, false},
		[EV_RESOURCE_SAMPLE] = {"resource.sample", false, false},
		[EV_EXECUTION_COMPLETED] = {"execution.completed", true, true},
		[EV_EXECUTION_FAILED] = {"execution.failed", true, true},
		[EV_EXECUTION_CANCELLED] = {"execution.cancelled", true, true},
		[EV_CONTROL_REQUESTED] = {"control.requested", true, false},
		[EV_CONTROL_REPLIED] = {"control.replied", true, false},
	};
	for (int k = 0; k < EV__COUNT; k++) {
		enum proto_event_kind kind = (enum proto_event_kind)k, back;
		assert_string_equal(proto_event_kind_name(kind), kinds[k].name);
		assert_int_equal(proto_event_kind_parse(kinds[k].name, &back), 0);
		assert_int_equal(back, kind);
		assert_int_equal(proto_event_is_execution_level(kind), kinds[k].execution_level);
		assert_int_equal(proto_event_is_terminal(kind), kinds[k].terminal);
	}
	enum proto_event_kind out;
	assert_null(proto_event_kind_name(EV__COUNT));
	assert_false(proto_event_is_execution_level(EV__COUNT));
	assert_false(proto_event_is_terminal(EV__COUNT));
	assert_int_equal(proto_event_kind_parse("step", &out), -1);
	assert_int_equal(proto_event_kind_parse("Log", &out), -1);
	assert_int_equal(proto_event_kind_parse("", &out), -1);
	assert_int_equal(proto_event_kind_parse(NULL, &out), -1);
}

static void test_error_and_priority_names(void **state)
{
	(void)state;
	static const char *const errors[PROTO_ERR__COUNT] = {
		"bad_request", "unauthorized", "forbidden", "not_found",
		"too_large", "rate_limited", "unavailable",
	};
	for (int e = 0; e < PROTO_ERR__COUNT; e++)
		assert_string_equal(proto_error_name((enum proto_error)e), errors[e]);
	assert_null(proto_error_name(PROTO_ERR__COUNT));

	static const char *const prios[PRIO__COUNT] = {"HIGH", "NORMAL", "LOW"};
	for (int p = 0; p < PRIO__COUNT; p++) {
		enum proto_priority back;
		assert_string_equal(proto_priority_name((enum proto_priority)p), prios[p]);
		assert_int_equal(proto_priority_parse(prios[p], &back), 0);
		assert_int_equal(back, p);
	}
	enum proto_priority out;
	assert_null(proto_priority_name(PRIO__COUNT));
	assert_int_equal(proto_priority_parse("high", &out), -1);
	assert_int_equal(proto_priority_parse("URGENT", &out), -1);
	assert_int_equal(proto_priority_parse(NULL, &out), -1);
}

/* ---- Ids ------------------------------------------------------------------- */

static void test_ids(void **state)
{
	(void)state;
	static const struct {
		const char *id;
		bool valid;
	} cases[] = {
		{"a", true},
		{"ex-2026.11:23_A9", true},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"", false},
		{"a b", false},
		{"a/b", false},
		{"a\tb", false},
		{"caf\xc3\xa9", false},
		{"a,b", false},
		{"a\"b", false},
		{NULL, false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (proto_id_valid(cases[i].id) != cases[i].valid)
			fail_msg("id case %zu '%s': expected %s", i, cases[i].id ? cases[i].id : "(null)",
				 cases[i].valid ? "valid" : "invalid");
}

/* ---- Time ------------------------------------------------------------------ */

static void test_time_parse(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		int64_t ms;
	} cases[] = {
		{"1970-01-01T00:00:00Z", 0, 0},
		{"1970-01-01T00:00:00.001Z", 0, 1},
		{"2026-11-23T04:00:00.123Z", 0, 1795406400123LL},
		{"2026-11-23T05:00:00.123+01:00", 0, 1795406400123LL},
		{"2026-11-22T23:30:00.123-04:30", 0, 1795406400123LL},
		{"2026-11-23T04:00:00.1Z", 0, 1795406400100LL},
		{"2026-11-23T04:00:00.12Z", 0, 1795406400120LL},
		{"2026-11-23T04:00:00.123999999Z", 0, 1795406400123LL},
		{"2026-11-23t04:00:00z", 0, 1795406400000LL},
		{"2024-02-29T12:00:00Z", 0, 1709208000000LL},
		{"2000-02-29T00:00:00Z", 0, 951782400000LL},
		{"1969-12-31T23:59:59.999Z", 0, -1},
		{"2016-12-31T23:59:60Z", 0, 1483228800000LL},
		{"2026-11-23T04:00:00", -1, 0},
		{"2026-11-23T04:00:00.123", -1, 0},
		{"2026-13-01T00:00:00Z", -1, 0},
		{"2026-00-01T00:00:00Z", -1, 0},
		{"2026-04-31T00:00:00Z", -1, 0},
		{"2026-02-29T00:00:00Z", -1, 0},
		{"1900-02-29T00:00:00Z", -1, 0},
		{"2026-11-00T00:00:00Z", -1, 0},
		{"2026-11-23T24:00:00Z", -1, 0},
		{"2026-11-23T04:60:00Z", -1, 0},
		{"2026-11-23T04:00:61Z", -1, 0},
		{"2026-11-23T04:00:00.Z", -1, 0},
		{"2026-11-23T04:00:00.1234567890Z", -1, 0},
		{"2026-11-23T04:00:00+0100", -1, 0},
		{"2026-11-23T04:00:00+24:00", -1, 0},
		{"2026-11-23T04:00:00+01:60", -1, 0},
		{"2026-11-23T04:00:00Zjunk", -1, 0},
		{"2026-11-23 04:00:00Z", -1, 0},
		{"26-11-23T04:00:00Z", -1, 0},
		{"2026-1-23T04:00:00Z", -1, 0},
		{"+2026-11-23T04:00:00Z", -1, 0},
		{"not a time", -1, 0},
		{"", -1, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t ms = -12345;
		int rc = proto_time_parse(cases[i].text, &ms);
		if (rc != cases[i].rc)
			fail_msg("'%s': returned %d, expected %d", cases[i].text, rc, cases[i].rc);
		if (rc == 0 && ms != cases[i].ms)
			fail_msg("'%s': %lld ms, expected %lld", cases[i].text, (long long)ms,
				 (long long)cases[i].ms);
	}
	int64_t ms;
	assert_int_equal(proto_time_parse(NULL, &ms), -1);
}

static void test_time_round_trip(void **state)
{
	(void)state;
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
		{0, "1970-01-01T00:00:00.000Z"},
		{1795406400123LL, "2026-11-23T04:00:00.123Z"},
		{1709208000007LL, "2024-02-29T12:00:00.007Z"},
		{-1, "1969-12-31T23:59:59.999Z"},
		{253402300799999LL, "9999-12-31T23:59:59.999Z"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[32];
		int64_t back;
		proto_time_format(cases[i].ms, buf, sizeof buf);
		assert_string_equal(buf, cases[i].text);
		assert_int_equal(proto_time_parse(buf, &back), 0);
		assert_int_equal(back, cases[i].ms);
	}
	/* Every millisecond offset and a spread of days survive the round trip. */
	for (int64_t ms = 1700000000000LL; ms < 1700000000000LL + 400LL * 86400000; ms += 86400000 + 7) {
		char buf[32];
		int64_t back;
		proto_time_format(ms, buf, sizeof buf);
		assert_int_equal(proto_time_parse(buf, &back), 0);
		assert_int_equal(back, ms);
	}
	char small[8];
	proto_time_format(0, small, sizeof small);
	assert_int_equal(strlen(small), sizeof small - 1);
}

/* ---- Rooms ----------------------------------------------------------------- */

static void test_rooms_valid(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		enum proto_room_kind kind;
		const char *id;
	} cases[] = {
		{"org", ROOM_ORG, ""},
		{"queue", ROOM_QUEUE, ""},
		{"resources", ROOM_RESOURCES, ""},
		{"alerts", ROOM_ALERTS, ""},
		{"control", ROOM_CONTROL, ""},
		{"execution:ex-1", ROOM_EXECUTION, "ex-1"},
		{"workflow:nightly.etl", ROOM_WORKFLOW, "nightly.etl"},
		{"execution:a:b", ROOM_EXECUTION, "a:b"},
		{"execution:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", ROOM_EXECUTION,
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct proto_room room;
		struct proto_cause cause;
		if (proto_room_parse(cases[i].name, &room, &cause) != 0)
			fail_msg("'%s' refused: %s", cases[i].name, cause.message);
		assert_int_equal(room.kind, cases[i].kind);
		assert_string_equal(room.id, cases[i].id);
		char buf[PROTO_MAX_ROOM + 1];
		int n = proto_room_format(&room, buf, sizeof buf);
		assert_int_equal(n, (int)strlen(cases[i].name));
		assert_string_equal(buf, cases[i].name);
	}
}

static void test_rooms_invalid(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *message;
	} cases[] = {
		{"", "unknown room"},
		{"everything", "unknown room"},
		{"Org", "unknown room"},
		{"org:x", "unknown room"},
		{"orgs", "unknown room"},
		{"queue ", "unknown room"},
		{"executions:x", "unknown room"},
		{"execution", "needs an id"},
		{"workflow", "needs an id"},
		{"execution:", "missing the id"},
		{"workflow:", "missing the id"},
		{"execution:a b", "invalid id"},
		{"execution:a/b", "invalid id"},
		{"workflow:caf\xc3\xa9", "invalid id"},
		{"execution:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "invalid id"},
		{"execution:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaa",
		 "longer than 96 bytes"},
		{NULL, "must be a string"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct proto_room room;
		struct proto_cause cause = {{0}, {0}};
		if (proto_room_parse(cases[i].name, &room, &cause) != -1)
			fail_msg("'%s' accepted", cases[i].name);
		assert_string_equal(cause.field, "room");
		if (strstr(cause.message, cases[i].message) == NULL)
			fail_msg("'%s': message '%s' lacks '%s'", cases[i].name, cause.message,
				 cases[i].message);
	}
}

static void test_room_format_limits(void **state)
{
	(void)state;
	struct proto_room room = {.kind = ROOM_EXECUTION};
	strcpy(room.id, "ex-1");
	char buf[32];
	assert_int_equal(proto_room_format(&room, buf, 15), 14);
	assert_int_equal(proto_room_format(&room, buf, 14), -1);
	room.id[0] = '\0';
	assert_int_equal(proto_room_format(&room, buf, sizeof buf), -1);
	room.kind = ROOM__COUNT;
	assert_int_equal(proto_room_format(&room, buf, sizeof buf), -1);
	room.kind = ROOM_ALERTS;
	assert_int_equal(proto_room_format(&room, buf, sizeof buf), 6);
	assert_string_equal(buf, "alerts");
}

/* ---- Encoders ---------------------------------------------------------------- */

/* Parses a message back, checking it is one compact object whose keys come in
 * the given order (NULL-terminated). Returns the object. */
static json_t *parse_message(char *text, const char *const *keys)
{
	assert_non_null(text);
	assert_null(strchr(text, '\n'));
	assert_null(strstr(text, ": "));
	assert_null(strstr(text, ", "));
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL)
		fail_msg("message does not parse: %s: %s", err.text, text);
	free(text);
	size_t n = 0;
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		if (keys[n] == NULL || strcmp(key, keys[n]) != 0)
			fail_msg("key %zu is '%s', expected '%s'", n, key, keys[n] ? keys[n] : "(end)");
		n++;
	}
	if (keys[n] != NULL)
		fail_msg("key '%s' missing", keys[n]);
	return j;
}

static void test_event_message(void **state)
{
	(void)state;
	json_t *ev = json_pack("{s:s, s:s, s:i}", "type", "counter", "name", "rows", "value", 7);
	static const char *const keys[] = {"type", "room", "seq", "event", NULL};
	json_t *m = parse_message(proto_event_message_new("execution:ex-1", 42, ev), keys);
	assert_string_equal(json_string_value(json_object_get(m, "type")), "event");
	assert_string_equal(json_string_value(json_object_get(m, "room")), "execution:ex-1");
	assert_int_equal(json_integer_value(json_object_get(m, "seq")), 42);
	assert_true(json_equal(json_object_get(m, "event"), ev));
	assert_int_equal(ev->refcount, 1); /* borrowed, not kept */
	json_decref(m);
	json_decref(ev);
}

static void test_subscribed_message(void **state)
{
	(void)state;
	json_t *id = json_string("r1");
	json_t *snap = json_pack("{s:[]}", "executions");
	static const char *const full[] = {"type", "id", "room", "seq", "snapshot", "resumed", NULL};
	json_t *m = parse_message(proto_subscribed_message_new(id, "org", 9, snap, false), full);
	assert_string_equal(json_string_value(json_object_get(m, "type")), "subscribed");
	assert_string_equal(json_string_value(json_object_get(m, "id")), "r1");
	assert_string_equal(json_string_value(json_object_get(m, "room")), "org");
	assert_int_equal(json_integer_value(json_object_get(m, "seq")), 9);
	assert_true(json_equal(json_object_get(m, "snapshot"), snap));
	assert_true(json_is_false(json_object_get(m, "resumed")));
	json_decref(m);

	static const char *const resumed[] = {"type", "room", "seq", "resumed", NULL};
	m = parse_message(proto_subscribed_message_new(NULL, "queue", 0, NULL, true), resumed);
	assert_true(json_is_true(json_object_get(m, "resumed")));
	json_decref(m);
	assert_int_equal(id->refcount, 1);
	assert_int_equal(snap->refcount, 1);
	json_decref(id);
	json_decref(snap);
}

static void test_unsubscribed_message(void **state)
{
	(void)state;
	json_t *id = json_integer(17);
	static const char *const keys[] = {"type", "id", "room", NULL};
	json_t *m = parse_message(proto_unsubscribed_message_new(id, "workflow:wf-1"), keys);
	assert_string_equal(json_string_value(json_object_get(m, "type")), "unsubscribed");
	assert_int_equal(json_integer_value(json_object_get(m, "id")), 17);
	assert_string_equal(json_string_value(json_object_get(m, "room")), "workflow:wf-1");
	json_decref(m);
	static const char *const no_id[] = {"type", "room", NULL};
	json_decref(parse_message(proto_unsubscribed_message_new(NULL, "org"), no_id));
	json_decref(id);
}

static void test_ack_message(void **state)
{
	(void)state;
	json_t *results = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s, s:s, s:s, s:s}]",
				    "event_id", "e1", "status", "ok",
				    "event_id", "e2", "status", "duplicate",
				    "event_id", "e3", "status", "error", "code", "bad_request",
				    "field", "ts", "message", "must be an RFC 3339 time");
	json_t *id = json_string("p1");
	static const char *const keys[] = {"type", "id", "accepted", "rejected", "results", NULL};
	json_t *m = parse_message(proto_ack_message_new(id, 2, 1, results), keys);
	assert_string_equal(json_string_value(json_object_get(m, "type")), "ack");
	assert_string_equal(json_string_value(json_object_get(m, "id")), "p1");
	assert_int_equal(json_integer_value(json_object_get(m, "accepted")), 2);
	assert_int_equal(json_integer_value(json_object_get(m, "rejected")), 1);
	assert_true(json_equal(json_object_get(m, "results"), results));
	json_decref(m);
	assert_int_equal(results->refcount, 1);

	static const char *const no_id[] = {"type", "accepted", "rejected", "results", NULL};
	m = parse_message(proto_ack_message_new(NULL, 0, 0, NULL), no_id);
	assert_true(json_is_array(json_object_get(m, "results")));
	assert_int_equal(json_array_size(json_object_get(m, "results")), 0);
	json_decref(m);
	json_decref(results);
	json_decref(id);
}

static void test_error_message(void **state)
{
	(void)state;
	static const struct {
		enum proto_error code;
		const char *name;
	} codes[] = {
		{PROTO_ERR_BAD_REQUEST, "bad_request"}, {PROTO_ERR_UNAUTHORIZED, "unauthorized"},
		{PROTO_ERR_FORBIDDEN, "forbidden"},     {PROTO_ERR_NOT_FOUND, "not_found"},
		{PROTO_ERR_TOO_LARGE, "too_large"},     {PROTO_ERR_RATE_LIMITED, "rate_limited"},
		{PROTO_ERR_UNAVAILABLE, "unavailable"},
	};
	json_t *id = json_integer(3);
	static const char *const full[] = {"type", "id", "code", "message", "field", NULL};
	static const char *const bare[] = {"type", "code", "message", NULL};
	for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
		json_t *m = parse_message(
			proto_error_message_new(id, codes[i].code, "line 1\n\"quoted\"", "steps[0].id"),
			full);
		assert_string_equal(json_string_value(json_object_get(m, "type")), "error");
		assert_int_equal(json_integer_value(json_object_get(m, "id")), 3);
		assert_string_equal(json_string_value(json_object_get(m, "code")), codes[i].name);
		assert_string_equal(json_string_value(json_object_get(m, "message")),
				    "line 1\n\"quoted\"");
		assert_string_equal(json_string_value(json_object_get(m, "field")), "steps[0].id");
		json_decref(m);
		m = parse_message(proto_error_message_new(NULL, codes[i].code, "x", NULL), bare);
		json_decref(m);
		m = parse_message(proto_error_message_new(NULL, codes[i].code, "x", ""), bare);
		json_decref(m);
	}
	assert_null(proto_error_message_new(NULL, PROTO_ERR__COUNT, "x", NULL));
	/* Not UTF-8: refused rather than sent broken. */
	assert_null(proto_error_message_new(NULL, PROTO_ERR_BAD_REQUEST, "\xff", NULL));
	json_decref(id);
}

static void test_pong_message(void **state)
{
	(void)state;
	json_t *id = json_string("p");
	static const char *const keys[] = {"type", "id", "time", NULL};
	json_t *m = parse_message(proto_pong_message_new(id, 1795406400123LL), keys);
	assert_string_equal(json_string_value(json_object_get(m, "type")), "pong");
	assert_string_equal(json_string_value(json_object_get(m, "time")), "2026-11-23T04:00:00.123Z");
	int64_t ms;
	assert_int_equal(proto_time_parse(json_string_value(json_object_get(m, "time")), &ms), 0);
	assert_int_equal(ms, 1795406400123LL);
	json_decref(m);
	static const char *const no_id[] = {"type", "time", NULL};
	json_decref(parse_message(proto_pong_message_new(NULL, 0), no_id));
	json_decref(id);
}

/* The cause of a refused event goes back inside JSON: when a long multibyte
 * field name is cut to fit, it must still encode. */
static void test_cause_stays_utf8(void **state)
{
	(void)state;
	char key[300] = "";
	for (int i = 0; i < 99; i++)
		strcat(key, "\xc3\xa9"); /* é, 2 bytes: 198 bytes in all */
	json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "type", "log", "id", "e",
			       "execution_id", "x", "workflow_id", "w", "ts", "2026-11-23T04:00:00Z",
			       "level", "info", key, 1);
	json_object_set_new(ev, "message", json_string("m"));
	struct proto_cause cause;
	assert_int_equal(proto_event_validate(ev, NULL, &cause), -1);
	assert_string_equal(cause.message, "unknown field");
	assert_true(strlen(cause.field) < sizeof cause.field);
	assert_int_equal(strncmp(cause.field, key, strlen(cause.field)), 0);
	char *msg = proto_error_message_new(NULL, PROTO_ERR_BAD_REQUEST, cause.message, cause.field);
	assert_non_null(msg);
	free(msg);
	json_decref(ev);
}

/* proto_fail and the UTF-8 trim it shares with the alert rule parser. */
static void test_fail_and_utf8_trim(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} trims[] = {
		{ "", "" },
		{ "abc", "abc" },
		{ "a\xc3\xa9", "a\xc3\xa9" },              /* complete 2-byte */
		{ "a\xc3", "a" },                           /* cut 2-byte */
		{ "a\xe2\x82\xac", "a\xe2\x82\xac" },      /* complete 3-byte */
		{ "a\xe2\x82", "a" },
		{ "a\xe2", "a" },
		{ "a\xf0\x9f\x98\x80", "a\xf0\x9f\x98\x80" }, /* complete 4-byte */
		{ "a\xf0\x9f\x98", "a" },
		{ "a\xf0\x9f", "a" },
		{ "a\xf0", "a" },
	};
	for (size_t i = 0; i < sizeof trims / sizeof trims[0]; i++) {
		char buf[16];
		snprintf(buf, sizeof buf, "%s", trims[i].in);
		utf8_trim_tail(buf);
		if (strcmp(buf, trims[i].out) != 0)
			fail_msg("case %zu: trimmed to \"%s\", want \"%s\"", i, buf, trims[i].out);
	}

	assert_int_equal(proto_fail(NULL, "f", "m"), -1);
	struct proto_cause cause;
	assert_int_equal(proto_fail(&cause, NULL, "n=%d", 3), -1);
	assert_string_equal(cause.field, "");
	assert_string_equal(cause.message, "n=3");
	/* 255 bytes fit the message: 127 two-byte characters and half of one more. */
	char text[300] = "";
	for (int i = 0; i < 130; i++)
		strcat(text, "\xc3\xa9");
	proto_fail(&cause, "f", "%s", text);
	assert_int_equal(strlen(cause.message), 2 * 127);
	assert_int_equal(strncmp(cause.message, text, strlen(cause.message)), 0);

	json_t *v = json_stringn("ab\0c", 4);
	assert_false(proto_json_id_valid(v));
	json_decref(v);
	v = json_string("exec-1");
	assert_true(proto_json_id_valid(v));
	json_decref(v);
	v = json_integer(1);
	assert_false(proto_json_id_valid(v));
	json_decref(v);
	assert_false(proto_json_id_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_error_and_priority_names),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_time_parse),
		cmocka_unit_test(test_time_round_trip),
		cmocka_unit_test(test_rooms_valid),
		cmocka_unit_test(test_rooms_invalid),
		cmocka_unit_test(test_room_format_limits),
		cmocka_unit_test(test_event_message),
		cmocka_unit_test(test_subscribed_message),
		cmocka_unit_test(test_unsubscribed_message),
		cmocka_unit_test(test_ack_message),
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_pong_message),
		cmocka_unit_test(test_cause_stays_utf8),
		cmocka_unit_test(test_fail_and_utf8_trim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
