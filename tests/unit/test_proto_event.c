/* test_proto_event.c: the event schema (proto_event_validate), table-driven:
 * a valid event of every kind, every required field missing, wrong types,
 * out-of-range numbers, unknown fields, bad ids and times, oversize strings and
 * data, and the step plan of execution.queued. */
#include "proto.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMON "\"id\":\"ev-1\",\"execution_id\":\"ex-1\",\"workflow_id\":\"wf-1\"," \
	       "\"ts\":\"2026-11-23T04:00:00.123Z\""
/* 2026-11-23T04:00:00.123Z in ms since the epoch. */
#define COMMON_TS 1795406400123LL

static const char *const plan3 =
	"[{\"id\":\"a\",\"name\":\"fetch\"},"
	"{\"id\":\"b\",\"name\":\"transform\",\"depends_on\":[\"a\"]},"
	"{\"id\":\"c\",\"name\":\"load\",\"depends_on\":[\"a\",\"b\"]}]";

/* Per kind: the smallest valid body, every optional field too, and the fields
 * the schema requires besides the common ones. */
static const struct kind_case {
	enum proto_event_kind kind;
	const char *minimal;
	const char *full;
	const char *required[5];
	bool has_step;
} kind_cases[] = {
	{EV_EXECUTION_QUEUED,
	 "\"workflow_name\":\"nightly\",\"priority\":\"HIGH\"",
	 "\"workflow_name\":\"nightly\",\"priority\":\"LOW\",\"steps\":PLAN,\"params\":{\"day\":3},"
	 "\"attempt\":2,\"labels\":{\"period\":\"2026-11\",\"client\":\"Kraków Śródmieście = 1\"},"
	 "\"delayed_until\":\"2026-11-23T05:00:00Z\"",
	 {"workflow_name", "priority"}, false},
	{EV_EXECUTION_STARTED, "", "\"worker\":\"w1\",\"attempt\":1,\"labels\":{\"app.io/region\":\"eu-1\"}",
	 {0}, false},
	{EV_STEP_STARTED, "\"step_id\":\"a\"",
	 "\"step_id\":\"a\",\"input\":[1,2],\"worker\":\"w1\",\"attempt\":3,\"name\":\"Fetch\"",
	 {"step_id"}, true},
	{EV_STEP_PROGRESS, "\"step_id\":\"a\",\"current\":0,\"total\":1",
	 "\"step_id\":\"a\",\"current\":5,\"total\":5,\"unit\":\"days\",\"message\":\"line\\nnext\\tx\","
	 "\"attempt\":1",
	 {"step_id", "current", "total"}, true},
	{EV_STEP_COMPLETED, "\"step_id\":\"a\",\"duration_ms\":0",
	 "\"step_id\":\"a\",\"duration_ms\":12,\"output\":null,\"cpu_percent\":150.5,"
	 "\"memory_bytes\":1048576,\"attempt\":1000,\"name\":\"x\"",
	 {"step_id", "duration_ms"}, true},
	{EV_STEP_FAILED, "\"step_id\":\"a\",\"error\":\"boom\"",
	 "\"step_id\":\"a\",\"error\":\"boom\",\"error_code\":\"E.42\",\"duration_ms\":3,"
	 "\"cpu_percent\":7,\"memory_bytes\":0,\"attempt\":2,\"name\":\"x\"",
	 {"step_id", "error"}, true},
	{EV_LOG, "\"level\":\"info\",\"message\":\"hello\"",
	 "\"level\":\"error\",\"message\":\"hello\",\"step_id\":\"a\"", {"level", "message"}, true},
	{EV_COUNTER, "\"name\":\"rows\",\"value\":0", "\"name\":\"rows\",\"value\":99,\"step_id\":\"a\"",
	 {"name", "value"}, true},
	{EV_RESOURCE_SAMPLE, "\"worker\":\"w1\",\"cpu_percent\":0,\"memory_bytes\":0",
	 "\"worker\":\"w1\",\"cpu_percent\":100000,\"memory_bytes\":5,\"step_id\":\"a\"",
	 {"worker", "cpu_percent", "memory_bytes"}, true},
	{EV_EXECUTION_COMPLETED, "", "\"duration_ms\":100,\"output\":{\"rows\":3},\"attempt\":2", {0}, false},
	{EV_EXECUTION_FAILED, "\"error\":\"bad\"",
	 "\"error\":\"bad\",\"error_code\":\"timeout\",\"step_id\":\"a\",\"attempt\":1", {"error"}, true},
	{EV_EXECUTION_CANCELLED, "", "\"reason\":\"by operator\",\"attempt\":1", {0}, false},
	{EV_CONTROL_REQUESTED, "\"command\":\"cancel\",\"request_id\":\"ctl-1\",\"by\":\"olga\"",
	 "\"command\":\"retry\",\"request_id\":\"ctl-1\",\"by\":\"olga\",\"reason\":\"the bank is back\"",
	 {"command", "request_id", "by"}, false},
	{EV_CONTROL_REPLIED, "\"command\":\"cancel\",\"accepted\":true",
	 "\"command\":\"retry\",\"request_id\":\"ctl-1\",\"accepted\":false,\"reason\":\"too late\"",
	 {"command", "accepted"}, false},
};
#define N_KINDS (sizeof kind_cases / sizeof kind_cases[0])

static const struct kind_case *kind_case(enum proto_event_kind kind)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (kind_cases[i].kind == kind)
			return &kind_cases[i];
	fail_msg("no test case for kind %d", (int)kind);
	return NULL;
}

/* Frames never hold \u0000 (the request parser refuses it), but events built
 * in code can, so the tests load such strings on purpose. */
static json_t *load(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
	if (j == NULL)
		fail_msg("test JSON does not parse: %s in %s", err.text, text);
	return j;
}

/* Builds {"type":KIND,COMMON,BODY}, with PLAN in body standing for plan3. */
static json_t *make_event(enum proto_event_kind kind, const char *body)
{
	char text[4096];
	const char *plan = strstr(body, "PLAN");
	if (plan != NULL)
		snprintf(text, sizeof text, "{\"type\":\"%s\"," COMMON ",%.*s%s%s}",
			 proto_event_kind_name(kind), (int)(plan - body), body, plan3, plan + 4);
	else
		snprintf(text, sizeof text, "{\"type\":\"%s\"," COMMON "%s%s}",
			 proto_event_kind_name(kind), body[0] ? "," : "", body);
	return load(text);
}

static json_t *full_event(enum proto_event_kind kind)
{
	return make_event(kind, kind_case(kind)->full);
}

/* Validates and, on failure, compares the cause with what the case expects. */
static void expect_invalid(json_t *ev, const char *field, const char *msg_part, const char *label)
{
	struct proto_event out;
	struct proto_cause cause = {{0}, {0}};
	if (proto_event_validate(ev, &out, &cause) == 0)
		fail_msg("%s: accepted, expected an error on '%s'", label, field);
	if (strcmp(cause.field, field) != 0)
		fail_msg("%s: error on field '%s' (%s), expected '%s'", label, cause.field, cause.message,
			 field);
	if (msg_part != NULL && strstr(cause.message, msg_part) == NULL)
		fail_msg("%s: message '%s' lacks '%s'", label, cause.message, msg_part);
}

static void expect_valid(json_t *ev, const char *label)
{
	struct proto_event out;
	struct proto_cause cause = {{0}, {0}};
	if (proto_event_validate(ev, &out, &cause) != 0)
		fail_msg("%s: refused: %s: %s", label, cause.field, cause.message);
}

static void test_every_kind_valid(void **state)
{
	(void)state;
	assert_int_equal(N_KINDS, EV__COUNT);
	for (size_t i = 0; i < N_KINDS; i++) {
		const struct kind_case *c = &kind_cases[i];
		const char *bodies[2] = {c->minimal, c->full};
		for (int b = 0; b < 2; b++) {
			json_t *ev = make_event(c->kind, bodies[b]);
			struct proto_event out;
			struct proto_cause cause = {{0}, {0}};
			if (proto_event_validate(ev, &out, &cause) != 0)
				fail_msg("%s (%s): %s: %s", proto_event_kind_name(c->kind),
					 b ? "full" : "minimal", cause.field, cause.message);
			assert_int_equal(out.kind, c->kind);
			assert_string_equal(out.event_id, "ev-1");
			assert_string_equal(out.execution_id, "ex-1");
			assert_string_equal(out.workflow_id, "wf-1");
			assert_int_equal(out.ts_ms, COMMON_TS);
			bool step = json_object_get(ev, "step_id") != NULL;
			if (step)
				assert_string_equal(out.step_id, "a");
			else
				assert_null(out.step_id);
			/* Kinds that require a step must carry it even in the minimal form. */
			if (c->has_step && b == 1)
				assert_true(step);
			json_decref(ev);
		}
	}
}

/* The cluster's followers keep the text an event came in as its message
 * text when every number is exact (ingest_prepare_at): that holds only if
 * what proto_event_text_new writes reads back into an event it writes the
 * same way, for every kind and for awkward values. */
static void test_text_reads_back_the_same(void **state)
{
	(void)state;
	static const char *const extras[] = {
		"", ",\"input\":{\"r\":0.1,\"big\":1e300,\"tiny\":5e-324,\"neg\":-0.0,\"two\":2.0}",
		",\"input\":{\"s\":\"quote \\\" backslash \\\\ tab \\t nul \\u0000 \\u001f \\u007f\"}",
		",\"input\":{\"u\":\"za\u017c\u00f3\u0142\u0107 \\ud83d\\ude00 \\u00e9\",\"k\\u00e9y\":[1,[2,{}],[]]}",
		",\"input\":{\"i\":9223372036854775807,\"j\":-9223372036854775808,\"r\":123456789.125}",
	};
	for (size_t i = 0; i < N_KINDS; i++) {
		for (size_t x = 0; x < sizeof extras / sizeof extras[0]; x++) {
			json_t *ev = full_event(kind_cases[i].kind);
			if (extras[x][0] != '\0') {
				char obj[512];
				snprintf(obj, sizeof obj, "{%s}", extras[x] + 1);
				json_t *more = load(obj);
				json_object_update(ev, more);
				json_decref(more);
			}
			size_t len1, len2;
			char *text1 = proto_event_text_new(ev, &len1);
			assert_non_null(text1);
			json_t *back = load(text1);
			char *text2 = proto_event_text_new(back, &len2);
			if (proto_event_text_exact(ev)) {
				assert_true(proto_event_text_exact(back));
				if (len1 != len2 || strcmp(text1, text2) != 0)
					fail_msg("%s, extra %zu:\n%s\n%s", proto_event_kind_name(kind_cases[i].kind), x,
						 text1, text2);
			}
			free(text1);
			free(text2);
			json_decref(back);
			json_decref(ev);
		}
	}
}

static void test_required_missing(void **state)
{
	(void)state;
	static const char *const common[] = {"type", "id", "execution_id", "workflow_id", "ts"};
	for (size_t i = 0; i < N_KINDS; i++) {
		const struct kind_case *c = &kind_cases[i];
		const char *names[10];
		size_t n = 0;
		for (size_t k = 0; k < 5; k++)
			names[n++] = common[k];
		for (size_t k = 0; k < 5 && c->required[k] != NULL; k++)
			names[n++] = c->required[k];
		for (size_t k = 0; k < n; k++) {
			json_t *ev = make_event(c->kind, c->full);
			json_object_del(ev, names[k]);
			char label[128];
			snprintf(label, sizeof label, "%s without %s", proto_event_kind_name(c->kind),
				 names[k]);
			expect_invalid(ev, names[k], "required field missing", label);
			json_decref(ev);
		}
		/* Optional fields really are optional: the minimal form passes. */
		json_t *ev = make_event(c->kind, c->minimal);
		expect_valid(ev, proto_event_kind_name(c->kind));
		json_decref(ev);
	}
}

static void test_unknown_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_KINDS; i++) {
		json_t *ev = full_event(kind_cases[i].kind);
		json_object_set_new(ev, "stepid", json_string("a"));
		expect_invalid(ev, "stepid", "unknown field", proto_event_kind_name(kind_cases[i].kind));
		json_decref(ev);
	}
	/* A field of another kind is unknown here too. */
	static const struct {
		enum proto_event_kind kind;
		const char *field;
	} foreign[] = {
		{EV_EXECUTION_STARTED, "step_id"},  {EV_EXECUTION_CANCELLED, "error"},
		{EV_STEP_PROGRESS, "output"},       {EV_LOG, "worker"},
		{EV_EXECUTION_QUEUED, "duration_ms"}, {EV_COUNTER, "unit"},
	};
	for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
		json_t *ev = full_event(foreign[i].kind);
		json_object_set_new(ev, foreign[i].field, json_string("a"));
		expect_invalid(ev, foreign[i].field, "unknown field", foreign[i].field);
		json_decref(ev);
	}
}

/* One field replaced (value JSON text) or removed (value NULL) in the full
 * event of a kind, and where the error must point. */
static const struct mutation {
	enum proto_event_kind kind;
	const char *key;
	const char *value;
	const char *field;
	const char *message;
} mutations[] = {
	/* type */
	{EV_LOG, "type", "\"log.line\"", "type", "unknown event type 'log.line'"},
	{EV_LOG, "type", "7", "type", "must be a string"},
	{EV_LOG, "type", "\"LOG\"", "type", "unknown event type"},
	/* ids */
	{EV_LOG, "id", "\"\"", "id", "must be an id"},
	{EV_LOG, "id", "\"a b\"", "id", "must be an id"},
	{EV_LOG, "id", "\"caf\\u00e9\"", "id", "must be an id"},
	{EV_LOG, "id", "\"a\\u0000b\"", "id", "must be an id"},
	{EV_LOG, "id", "42", "id", "must be a string"},
	{EV_LOG, "id", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "id",
	 "must be an id"},
	{EV_LOG, "execution_id", "\"ex/1\"", "execution_id", "must be an id"},
	{EV_LOG, "execution_id", "null", "execution_id", "must be a string"},
	{EV_LOG, "workflow_id", "\"wf 1\"", "workflow_id", "must be an id"},
	{EV_STEP_STARTED, "step_id", "\"\"", "step_id", "must be an id"},
	{EV_STEP_STARTED, "step_id", "[\"a\"]", "step_id", "must be a string"},
	{EV_STEP_FAILED, "error_code", "\"no such\"", "error_code", "must be an id"},
	/* timestamps */
	{EV_LOG, "ts", "\"2026-11-23T04:00:00\"", "ts", "RFC 3339"},
	{EV_LOG, "ts", "\"2026-13-23T04:00:00Z\"", "ts", "RFC 3339"},
	{EV_LOG, "ts", "\"2026-02-29T04:00:00Z\"", "ts", "RFC 3339"},
	{EV_LOG, "ts", "\"2026-11-23T24:00:00Z\"", "ts", "RFC 3339"},
	{EV_LOG, "ts", "\"yesterday\"", "ts", "RFC 3339"},
	{EV_LOG, "ts", "\"2026-11-23 04:00:00Z\"", "ts", "RFC 3339"},
	{EV_LOG, "ts", "\"2026-11-23T04:00:00Z \"", "ts", "RFC 3339"},
	{EV_LOG, "ts", "\"\"", "ts", "RFC 3339"},
	{EV_LOG, "ts", "1795406400123", "ts", "must be a string"},
	/* names and texts */
	{EV_EXECUTION_QUEUED, "workflow_name", "\"\"", "workflow_name", "1 to 128 bytes"},
	{EV_EXECUTION_QUEUED, "workflow_name", "\"a\\nb\"", "workflow_name", "control characters"},
	{EV_EXECUTION_QUEUED, "workflow_name", "\"a\\u009bb\"", "workflow_name", "control characters"},
	{EV_EXECUTION_QUEUED, "workflow_name", "3", "workflow_name", "must be a string"},
	{EV_EXECUTION_STARTED, "worker", "\"w\\u0000\"", "worker", "control characters"},
	{EV_STEP_PROGRESS, "unit", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "unit", "1 to 32 bytes"},
	{EV_STEP_PROGRESS, "message", "\"bell\\u0007\"", "message", "control characters"},
	{EV_STEP_PROGRESS, "message", "\"cr\\r\"", "message", "control characters"},
	{EV_STEP_PROGRESS, "message", "\"\"", "message", "1 to 4096 bytes"},
	{EV_STEP_FAILED, "error", "{\"m\":1}", "error", "must be a string"},
	{EV_LOG, "message", "\"del\\u007f\"", "message", "control characters"},
	{EV_COUNTER, "name", "\"\"", "name", "1 to 128 bytes"},
	{EV_EXECUTION_CANCELLED, "reason", "false", "reason", "must be a string"},
	/* choices */
	{EV_EXECUTION_QUEUED, "priority", "\"high\"", "priority", "must be one of HIGH, NORMAL, LOW"},
	{EV_EXECUTION_QUEUED, "priority", "1", "priority", "must be one of HIGH, NORMAL, LOW"},
	{EV_LOG, "level", "\"fatal\"", "level", "must be one of debug, info, warn, error"},
	{EV_LOG, "level", "\"info\\u0000\"", "level", "must be one of"},
	/* integers and numbers */
	{EV_STEP_PROGRESS, "current", "-1", "current", "at least 0"},
	{EV_STEP_PROGRESS, "current", "1.0", "current", "must be an integer"},
	{EV_STEP_PROGRESS, "current", "\"1\"", "current", "must be an integer"},
	{EV_STEP_PROGRESS, "current", "6", "current", "must not exceed total (5)"},
	{EV_STEP_PROGRESS, "total", "0", "total", "at least 1"},
	{EV_STEP_COMPLETED, "duration_ms", "-5", "duration_ms", "at least 0"},
	{EV_STEP_COMPLETED, "duration_ms", "2.5", "duration_ms", "must be an integer"},
	{EV_STEP_COMPLETED, "memory_bytes", "-1", "memory_bytes", "at least 0"},
	{EV_STEP_COMPLETED, "cpu_percent", "-0.5", "cpu_percent", "between 0 and 100000"},
	{EV_STEP_COMPLETED, "cpu_percent", "100000.5", "cpu_percent", "between 0 and 100000"},
	{EV_STEP_COMPLETED, "cpu_percent", "\"50\"", "cpu_percent", "must be a number"},
	{EV_STEP_FAILED, "duration_ms", "true", "duration_ms", "must be an integer"},
	{EV_COUNTER, "value", "-3", "value", "at least 0"},
	{EV_COUNTER, "value", "1e3", "value", "must be an integer"},
	{EV_RESOURCE_SAMPLE, "cpu_percent", "100001", "cpu_percent", "between 0 and 100000"},
	{EV_RESOURCE_SAMPLE, "memory_bytes", "0.5", "memory_bytes", "must be an integer"},
	{EV_EXECUTION_COMPLETED, "duration_ms", "-1", "duration_ms", "at least 0"},
	/* the step plan */
	/* revision 2: attempts, labels, names, control */
	{EV_STEP_STARTED, "attempt", "0", "attempt", "from 1 to 1000"},
	{EV_STEP_STARTED, "attempt", "1001", "attempt", "from 1 to 1000"},
	{EV_STEP_STARTED, "attempt", "1.5", "attempt", "from 1 to 1000"},
	{EV_EXECUTION_STARTED, "attempt", "\"2\"", "attempt", "from 1 to 1000"},
	{EV_STEP_STARTED, "name", "\"\"", "name", "1 to 128 bytes"},
	{EV_EXECUTION_QUEUED, "labels", "[]", "labels", "must be an object"},
	{EV_EXECUTION_QUEUED, "labels", "{\"period\":3}", "labels.period", "must be a string"},
	{EV_EXECUTION_QUEUED, "labels", "{\"period\":\"\"}", "labels.period", "1 to 128 bytes"},
	{EV_EXECUTION_QUEUED, "labels", "{\"a b\":\"x\"}", "labels.a b", "label key"},
	{EV_EXECUTION_QUEUED, "labels", "{\"k=v\":\"x\"}", "labels.k=v", "label key"},
	{EV_EXECUTION_QUEUED, "labels", "{\"\":\"x\"}", "labels.", "label key"},
	{EV_EXECUTION_QUEUED, "labels", "{\"k\":\"a\\nb\"}", "labels.k", "control characters"},
	{EV_EXECUTION_QUEUED, "labels", "{\"k\":\"a\\u0000b\"}", "labels.k", "1 to 128 bytes"},
	{EV_EXECUTION_QUEUED, "labels",
	 "{\"a\":\"1\",\"b\":\"1\",\"c\":\"1\",\"d\":\"1\",\"e\":\"1\",\"f\":\"1\",\"g\":\"1\",\"h\":\"1\","
	 "\"i\":\"1\",\"j\":\"1\",\"k\":\"1\",\"l\":\"1\",\"m\":\"1\",\"n\":\"1\",\"o\":\"1\",\"p\":\"1\",\"q\":\"1\"}",
	 "labels", "17 labels, more than the limit of 16"},
	{EV_EXECUTION_QUEUED, "delayed_until", "\"soon\"", "delayed_until", "RFC 3339"},
	{EV_CONTROL_REQUESTED, "command", "\"pause\"", "command", "must be one of cancel, retry"},
	{EV_CONTROL_REQUESTED, "request_id", "\"a b\"", "request_id", "must be an id"},
	{EV_CONTROL_REPLIED, "accepted", "1", "accepted", "must be true or false"},
	{EV_EXECUTION_QUEUED, "steps", "{\"x\":1}", "steps", "must be an array"},
	{EV_EXECUTION_QUEUED, "steps", "{}", "steps", "must be an array"},
	/* extension fields are kept, but only under their prefix and in bounds */
	{EV_LOG, "x_", "1", "x_", "unknown field"},
	{EV_LOG, "X_trace", "1", "X_trace", "unknown field"},
	{EV_LOG, "x_a b", "1", "x_a b", "unknown field"},
	{EV_EXECUTION_QUEUED, "steps", "[1]", "steps[0]", "must be an object"},
	{EV_EXECUTION_QUEUED, "steps", "[{\"id\":\"a\"}]", "steps[0].name", "required field missing"},
	{EV_EXECUTION_QUEUED, "steps", "[{\"name\":\"a\"}]", "steps[0].id", "required field missing"},
	{EV_EXECUTION_QUEUED, "steps", "[{\"id\":\"a\",\"name\":\"x\",\"deps\":[]}]", "steps[0].deps",
	 "unknown field"},
	{EV_EXECUTION_QUEUED, "steps", "[{\"id\":\"a b\",\"name\":\"x\"}]", "steps[0].id",
	 "must be an id"},
	{EV_EXECUTION_QUEUED, "steps", "[{\"id\":\"a\",\"name\":\"\\t\"}]", "steps[0].name",
	 "control characters"},
	{EV_EXECUTION_QUEUED, "steps",
	 "[{\"id\":\"a\",\"name\":\"x\"},{\"id\":\"b\",\"name\":\"y\",\"depends_on\":\"a\"}]",
	 "steps[1].depends_on", "must be an array"},
	{EV_EXECUTION_QUEUED, "steps",
	 "[{\"id\":\"a\",\"name\":\"x\"},{\"id\":\"b\",\"name\":\"y\",\"depends_on\":[\"a\",5]}]",
	 "steps[1].depends_on[1]", "must be a string"},
	{EV_EXECUTION_QUEUED, "steps",
	 "[{\"id\":\"a\",\"name\":\"x\"},{\"id\":\"b\",\"name\":\"y\"},{\"id\":\"a\",\"name\":\"z\"}]",
	 "steps[2].id", "duplicate step id 'a'"},
	{EV_EXECUTION_QUEUED, "steps",
	 "[{\"id\":\"a\",\"name\":\"x\"},{\"id\":\"b\",\"name\":\"y\",\"depends_on\":[\"a\",\"x\"]}]",
	 "steps[1].depends_on[1]", "depends on unknown step 'x'"},
	{EV_EXECUTION_QUEUED, "steps", "[{\"id\":\"a\",\"name\":\"x\",\"depends_on\":[\"a\"]}]",
	 "steps[0].depends_on[0]", "must not depend on itself"},
	{EV_EXECUTION_QUEUED, "steps",
	 "[{\"id\":\"a\",\"name\":\"x\",\"depends_on\":[\"c\"]},"
	 "{\"id\":\"b\",\"name\":\"y\",\"depends_on\":[\"a\"]},"
	 "{\"id\":\"c\",\"name\":\"z\",\"depends_on\":[\"b\"]}]",
	 "steps[1].depends_on[0]", "dependency cycle through step 'a'"},
	{EV_EXECUTION_QUEUED, "steps",
	 "[{\"id\":\"s\",\"name\":\"start\"},"
	 "{\"id\":\"a\",\"name\":\"x\",\"depends_on\":[\"s\",\"b\"]},"
	 "{\"id\":\"b\",\"name\":\"y\",\"depends_on\":[\"a\"]}]",
	 "steps[2].depends_on[0]", "dependency cycle through step 'a'"},
	/* removing a required field names it */
	{EV_STEP_PROGRESS, "total", NULL, "total", "required field missing"},
};

static void test_mutations(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof mutations / sizeof mutations[0]; i++) {
		const struct mutation *m = &mutations[i];
		json_t *ev = full_event(m->kind);
		if (m->value != NULL)
			json_object_set_new(ev, m->key, load(m->value));
		else
			json_object_del(ev, m->key);
		char label[96];
		snprintf(label, sizeof label, "mutation %zu (%s %s)", i, proto_event_kind_name(m->kind),
			 m->key);
		expect_invalid(ev, m->field, m->message, label);
		json_decref(ev);
	}
}

static void test_not_an_object(void **state)
{
	(void)state;
	const char *texts[] = {"[]", "\"log\"", "null", "3"};
	for (size_t i = 0; i < 4; i++) {
		json_t *v = load(texts[i]);
		expect_invalid(v, "", "must be a JSON object", texts[i]);
		json_decref(v);
	}
	struct proto_cause cause;
	assert_int_equal(proto_event_validate(NULL, NULL, &cause), -1);
}

static void test_valid_variants(void **state)
{
	(void)state;
	static const struct {
		enum proto_event_kind kind;
		const char *key;
		const char *value;
	} ok[] = {
		{EV_LOG, "ts", "\"2026-11-23T05:00:00.123+01:00\""},
		{EV_LOG, "ts", "\"2026-11-23t04:00:00.123z\""},
		{EV_LOG, "ts", "\"2026-11-23T04:00:00.123456789Z\""},
		{EV_LOG, "ts", "\"2024-02-29T00:00:00Z\""},
		{EV_LOG, "id", "\"Az09_.:-\""},
		{EV_LOG, "id", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""},
		{EV_LOG, "message", "\"z\\u00fc\\u00df \\u65e5\\u672c \\ud83d\\ude00\""},
		{EV_STEP_PROGRESS, "unit", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""},
		{EV_STEP_COMPLETED, "cpu_percent", "0.25"},
		{EV_STEP_COMPLETED, "output", "\"just a string\""},
		{EV_STEP_COMPLETED, "memory_bytes", "9223372036854775807"},
		{EV_EXECUTION_QUEUED, "priority", "\"NORMAL\""},
		{EV_EXECUTION_QUEUED, "steps",
		 "[{\"id\":\"a\",\"name\":\"x\",\"depends_on\":[]},"
		 "{\"id\":\"b\",\"name\":\"y\",\"depends_on\":[\"a\"]},"
		 "{\"id\":\"c\",\"name\":\"z\",\"depends_on\":[\"a\"]},"
		 "{\"id\":\"d\",\"name\":\"w\",\"depends_on\":[\"b\",\"c\"]}]"},
		{EV_EXECUTION_QUEUED, "steps",
		 "[{\"id\":\"d\",\"name\":\"w\",\"depends_on\":[\"c\"]},"
		 "{\"id\":\"c\",\"name\":\"z\",\"depends_on\":[\"b\"]},"
		 "{\"id\":\"b\",\"name\":\"y\",\"depends_on\":[\"a\"]},{\"id\":\"a\",\"name\":\"x\"}]"},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		json_t *ev = full_event(ok[i].kind);
		json_object_set_new(ev, ok[i].key, load(ok[i].value));
		char label[64];
		snprintf(label, sizeof label, "variant %zu (%s)", i, ok[i].key);
		expect_valid(ev, label);
		json_decref(ev);
	}
}

static void test_timestamp_with_offset(void **state)
{
	(void)state;
	json_t *ev = full_event(EV_LOG);
	json_object_set_new(ev, "ts", json_string("2026-11-23T05:30:00.123+01:30"));
	struct proto_event out;
	struct proto_cause cause;
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.ts_ms, COMMON_TS);
	json_decref(ev);
}

static json_t *string_of(size_t len, char c)
{
	char *s = malloc(len + 1);
	assert_non_null(s);
	memset(s, c, len);
	s[len] = '\0';
	json_t *j = json_string(s);
	free(s);
	return j;
}

static void test_size_limits(void **state)
{
	(void)state;
	static const struct {
		enum proto_event_kind kind;
		const char *key;
		size_t max;
		size_t serial_overhead; /* bytes the JSON encoding adds (quotes) */
	} limits[] = {
		{EV_LOG, "message", PROTO_MAX_TEXT, 0},
		{EV_STEP_FAILED, "error", PROTO_MAX_TEXT, 0},
		{EV_EXECUTION_CANCELLED, "reason", PROTO_MAX_TEXT, 0},
		{EV_EXECUTION_QUEUED, "workflow_name", PROTO_MAX_NAME, 0},
		{EV_COUNTER, "name", PROTO_MAX_NAME, 0},
		{EV_RESOURCE_SAMPLE, "worker", PROTO_MAX_NAME, 0},
		{EV_STEP_COMPLETED, "output", PROTO_MAX_DATA, 2},
		{EV_STEP_STARTED, "input", PROTO_MAX_DATA, 2},
		{EV_EXECUTION_QUEUED, "params", PROTO_MAX_DATA, 2},
		{EV_EXECUTION_COMPLETED, "output", PROTO_MAX_DATA, 2},
	};
	for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		size_t at = limits[i].max - limits[i].serial_overhead;
		json_t *ev = full_event(limits[i].kind);
		json_object_set_new(ev, limits[i].key, string_of(at, 'x'));
		expect_valid(ev, limits[i].key);
		json_object_set_new(ev, limits[i].key, string_of(at + 1, 'x'));
		expect_invalid(ev, limits[i].key, NULL, limits[i].key);
		json_decref(ev);
	}
	/* Data is measured serialized: escapes count, structure counts. */
	json_t *ev = full_event(EV_STEP_COMPLETED);
	json_object_set_new(ev, "output", string_of(PROTO_MAX_DATA / 2, '"'));
	expect_invalid(ev, "output", "65536", "escaped output");
	json_t *arr = json_array();
	for (int i = 0; i < PROTO_MAX_DATA / 2; i++)
		json_array_append_new(arr, json_integer(1));
	json_object_set_new(ev, "output", arr); /* [1,1,...]: 2 * 32768 + 1 bytes */
	expect_invalid(ev, "output", "65537 bytes", "array output");
	json_decref(ev);
}

/* A plan of n steps; chain makes each step depend on the previous one. */
static json_t *plan_of(size_t n, bool chain, size_t deps_of_last)
{
	json_t *steps = json_array();
	for (size_t i = 0; i < n; i++) {
		char id[24], prev[24];
		snprintf(id, sizeof id, "s%zu", i);
		json_t *step = json_pack("{s:s, s:s}", "id", id, "name", "step");
		if (chain && i > 0) {
			snprintf(prev, sizeof prev, "s%zu", i - 1);
			json_object_set_new(step, "depends_on", json_pack("[s]", prev));
		}
		if (i == n - 1 && deps_of_last > 0) {
			json_t *deps = json_array();
			for (size_t d = 0; d < deps_of_last; d++) {
				snprintf(prev, sizeof prev, "s%zu", d % (n - 1));
				json_array_append_new(deps, json_string(prev));
			}
			json_object_set_new(step, "depends_on", deps);
		}
		json_array_append_new(steps, step);
	}
	return steps;
}

static void test_plan_limits(void **state)
{
	(void)state;
	json_t *ev = full_event(EV_EXECUTION_QUEUED);

	json_object_set_new(ev, "steps", plan_of(PROTO_MAX_STEPS, true, 0));
	expect_valid(ev, "512-step chain");
	json_object_set_new(ev, "steps", plan_of(PROTO_MAX_STEPS + 1, false, 0));
	expect_invalid(ev, "steps", "at most 512 steps", "513 steps");
	/* A plan may be empty or absent: steps then appear as they run. */
	json_object_set_new(ev, "steps", json_array());
	expect_valid(ev, "an empty plan");
	json_object_del(ev, "steps");
	expect_valid(ev, "no plan");
	json_object_set_new(ev, "steps", plan_of(100, false, PROTO_MAX_DEPS));
	expect_valid(ev, "64 dependencies");
	json_object_set_new(ev, "steps", plan_of(100, false, PROTO_MAX_DEPS + 1));
	expect_invalid(ev, "steps[99].depends_on", "at most 64", "65 dependencies");

	/* One cycle through every step: s0 -> s511 -> s510 -> ... -> s1 -> s0. */
	json_t *steps = plan_of(PROTO_MAX_STEPS, true, 0);
	json_object_set_new(json_array_get(steps, 0), "depends_on", json_pack("[s]", "s511"));
	json_object_set_new(ev, "steps", steps);
	expect_invalid(ev, "steps[1].depends_on[0]", "dependency cycle through step 's0'",
		       "512-cycle");
	json_decref(ev);
}

/* Validation decodes once: every field lands typed in struct proto_event,
 * absent optional ones read -1 / NULL; proto_event_read passes over fields
 * it does not know where proto_event_validate refuses them. */
static void test_typed_fields(void **state)
{
	(void)state;
	struct proto_event out;
	struct proto_cause cause;
	json_t *ev = full_event(EV_STEP_COMPLETED);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.duration_ms, 12);
	assert_true(out.cpu_percent > 150.4 && out.cpu_percent < 150.6);
	assert_int_equal(out.memory_bytes, 1048576);
	assert_true(json_is_null(out.output));
	assert_int_equal(out.output_size, 4);
	assert_null(out.input);
	assert_int_equal(out.input_size, -1);
	json_decref(ev);

	ev = make_event(EV_STEP_COMPLETED, kind_case(EV_STEP_COMPLETED)->minimal);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.duration_ms, 0);
	assert_true(out.cpu_percent < 0);
	assert_int_equal(out.memory_bytes, -1);
	json_decref(ev);

	ev = full_event(EV_EXECUTION_QUEUED);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_string_equal(out.workflow_name, "nightly");
	assert_int_equal(out.priority, PRIO_LOW);
	assert_int_equal(json_integer_value(json_object_get(out.params, "day")), 3);
	assert_int_equal(out.nplan, 3);
	struct proto_plan_step p;
	proto_event_plan_step(&out, 2, &p);
	assert_string_equal(p.id, "c");
	assert_string_equal(p.name, "load");
	assert_int_equal(p.ndepends, 2);
	assert_string_equal(proto_plan_step_dep(&p, 1), "b");
	json_decref(ev);

	ev = full_event(EV_STEP_PROGRESS);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.current, 5);
	assert_int_equal(out.total, 5);
	assert_string_equal(out.unit, "days");
	assert_string_equal(out.message, "line\nnext\tx");
	json_decref(ev);

	ev = full_event(EV_LOG);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.level, LEVEL_ERROR);
	assert_string_equal(proto_level_name(out.level), "error");
	assert_string_equal(out.message, "hello");
	/* A field a newer daemon may send: refused by the validator, passed
	 * over by a client reading it. */
	json_object_set_new(ev, "colour", json_string("red"));
	expect_invalid(ev, "colour", "unknown field", "unknown field");
	assert_int_equal(proto_event_read(ev, &out, &cause), 0);
	assert_string_equal(out.message, "hello");
	/* What is wrong stays wrong for the reader too. */
	json_object_set_new(ev, "level", json_string("loud"));
	assert_int_equal(proto_event_read(ev, &out, &cause), -1);
	assert_string_equal(cause.field, "level");
	json_decref(ev);

	ev = full_event(EV_COUNTER);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_string_equal(out.name, "rows");
	assert_int_equal(out.value, 99);
	json_decref(ev);

	ev = full_event(EV_EXECUTION_FAILED);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_string_equal(out.error, "bad");
	assert_string_equal(out.error_code, "timeout");
	json_decref(ev);
	ev = full_event(EV_EXECUTION_CANCELLED);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_string_equal(out.reason, "by operator");
	json_decref(ev);
}

/* Revision 2's fields, decoded; extension fields kept within their bound. */
/* Talking to a daemon of revision 1: what it would refuse is taken out, what
 * it cannot express is left out, and its hello error says revision 1. */
static void test_downgrade_to_revision1(void **state)
{
	(void)state;
	struct proto_cause cause;
	json_t *ev = full_event(EV_STEP_COMPLETED);
	json_object_set_new(ev, "x_bull_queue", json_string("invoices"));
	json_object_set_new(ev, "name", json_string("Send JPK"));
	json_object_set_new(ev, "attempt", json_integer(2));
	json_t *same = json_deep_copy(ev);
	assert_int_equal(proto_event_downgrade(same, PROTO_REVISION), 0);
	assert_true(json_equal(same, ev));           /* the same revision: untouched */
	json_decref(same);
	assert_int_equal(proto_event_downgrade(ev, 1), 0);
	assert_null(json_object_get(ev, "x_bull_queue"));
	assert_null(json_object_get(ev, "name"));
	assert_null(json_object_get(ev, "attempt"));
	assert_non_null(json_object_get(ev, "step_id"));
	assert_int_equal(proto_event_validate(ev, NULL, &cause), 0);
	json_decref(ev);

	ev = full_event(EV_EXECUTION_QUEUED);         /* labels, delayed_until, attempt, a plan */
	assert_int_equal(proto_event_downgrade(ev, 1), 0);
	assert_null(json_object_get(ev, "labels"));
	assert_null(json_object_get(ev, "delayed_until"));
	assert_non_null(json_object_get(ev, "steps"));
	json_decref(ev);
	ev = make_event(EV_EXECUTION_QUEUED, kind_case(EV_EXECUTION_QUEUED)->minimal);   /* no plan */
	assert_int_equal(proto_event_downgrade(ev, 1), -1);
	json_decref(ev);
	ev = full_event(EV_CONTROL_REPLIED);
	assert_int_equal(proto_event_downgrade(ev, 1), -1);
	json_decref(ev);

	json_t *err = json_pack("{s:s,s:s,s:s}", "type", "error", "code", "bad_request", "message", "unknown type");
	assert_int_equal(proto_hello_revision(err), 1);
	json_decref(err);
	json_t *hello = json_pack("{s:s,s:i,s:i}", "type", "hello", "protocol", 1, "revision", 2);
	assert_int_equal(proto_hello_revision(hello), 2);
	json_decref(hello);
}

static void test_revision2_fields(void **state)
{
	(void)state;
	struct proto_event out;
	struct proto_cause cause;
	json_t *ev = full_event(EV_EXECUTION_QUEUED);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.attempt, 2);
	assert_string_equal(json_string_value(json_object_get(out.labels, "period")), "2026-11");
	assert_int_equal(out.delayed_until_ms, COMMON_TS + 3600000 - 123);
	json_decref(ev);
	ev = make_event(EV_EXECUTION_QUEUED, kind_case(EV_EXECUTION_QUEUED)->minimal);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.nplan, 0);
	assert_int_equal(out.attempt, -1);
	assert_null(out.labels);
	assert_int_equal(out.delayed_until_ms, 0);
	json_decref(ev);

	ev = full_event(EV_STEP_STARTED);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.attempt, 3);
	assert_string_equal(out.step_name, "Fetch");
	json_decref(ev);

	ev = full_event(EV_CONTROL_REQUESTED);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.command, CONTROL_RETRY);
	assert_string_equal(out.request_id, "ctl-1");
	assert_string_equal(out.by, "olga");
	assert_string_equal(out.reason, "the bank is back");
	assert_true(proto_event_is_daemon_only(out.kind));
	json_decref(ev);
	ev = full_event(EV_CONTROL_REPLIED);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.accepted, 0);
	assert_false(proto_event_is_daemon_only(out.kind));
	json_decref(ev);
	ev = make_event(EV_CONTROL_REPLIED, kind_case(EV_CONTROL_REPLIED)->minimal);
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_int_equal(out.accepted, 1);
	assert_null(out.request_id);
	json_decref(ev);

	/* Sixteen labels are fine, with keys and values at their limits. */
	ev = full_event(EV_EXECUTION_STARTED);
	json_t *labels = json_object();
	for (int i = 0; i < PROTO_MAX_LABELS; i++) {
		char key[PROTO_MAX_LABEL_KEY + 1];
		memset(key, 'k', PROTO_MAX_LABEL_KEY);
		key[PROTO_MAX_LABEL_KEY - 2] = (char)('0' + i / 10);
		key[PROTO_MAX_LABEL_KEY - 1] = (char)('0' + i % 10);
		key[PROTO_MAX_LABEL_KEY] = '\0';
		json_object_set_new(labels, key, string_of(PROTO_MAX_LABEL_VALUE, 'v'));
	}
	json_object_set_new(ev, "labels", labels);
	expect_valid(ev, "16 labels at their limits");
	json_object_set_new(json_object_get(ev, "labels"), "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk00",
			    string_of(PROTO_MAX_LABEL_VALUE + 1, 'v'));
	expect_invalid(ev, "labels.kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk00", "1 to 128 bytes",
		       "a value of 129 bytes");
	json_decref(ev);
	assert_true(proto_label_key_valid("period"));
	assert_true(proto_label_key_valid("app.kubernetes.io/name"));
	assert_false(proto_label_key_valid("a=b"));
	assert_false(proto_label_key_valid(""));
	assert_true(proto_label_value_valid("Biuro Rachunkowe \"Bilans\", Kraków"));
	assert_false(proto_label_value_valid("a\tb"));
	assert_false(proto_label_value_valid("\xff\xfe"));

	/* Extension fields: any JSON under the prefix, kept as they are. */
	ev = full_event(EV_LOG);
	json_object_set_new(ev, "x_trace_id", json_string("4bf92f3577b34da6"));
	json_object_set_new(ev, "x_bull", json_pack("{s:i,s:[i,i]}", "attempts", 3, "ids", 1, 2));
	expect_valid(ev, "extension fields");
	assert_int_equal(proto_event_validate(ev, &out, &cause), 0);
	assert_string_equal(out.message, "hello");
	json_object_set_new(ev, "x_big", string_of(PROTO_MAX_EXT, 'x'));
	expect_invalid(ev, "x_big", "extension fields are more than 65536 bytes", "huge extension");
	json_decref(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_valid),
		cmocka_unit_test(test_required_missing),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_valid_variants),
		cmocka_unit_test(test_timestamp_with_offset),
		cmocka_unit_test(test_size_limits),
		cmocka_unit_test(test_plan_limits),
		cmocka_unit_test(test_typed_fields),
		cmocka_unit_test(test_revision2_fields),
		cmocka_unit_test(test_downgrade_to_revision1),
		cmocka_unit_test(test_text_reads_back_the_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
