/* test_proto_query.c: the "query" request and its parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "proto.h"

struct case_ {
	const char *json;
	int ok;
	const char *field;   /* on failure */
};

static const struct case_ cases[] = {
	{ "{\"type\":\"query\",\"id\":1,\"query\":\"executions\"}", 1, NULL },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"status\":\"failed\",\"limit\":10}}", 1, NULL },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"status\":[\"running\",\"queued\"],"
	  "\"workflow\":\"jpk-generation\",\"from\":\"2026-11-01T00:00:00Z\",\"to\":\"2026-11-30T00:00:00+01:00\","
	  "\"text\":\"VAT\",\"after\":\"c1\"}}", 1, NULL },
	{ "{\"type\":\"query\",\"query\":\"execution\",\"params\":{\"id\":\"ex-1\"}}", 1, NULL },
	{ "{\"type\":\"query\",\"query\":\"step_stats\",\"params\":{\"workflow_id\":\"wf\",\"runs\":100}}", 1, NULL },
	{ "{\"type\":\"query\"}", 0, "query" },
	{ "{\"type\":\"query\",\"query\":\"everything\"}", 0, "query" },
	{ "{\"type\":\"query\",\"query\":7}", 0, "query" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":[]}", 0, "params" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"status\":\"sleeping\"}}", 0, "status" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"status\":[]}}", 0, "status" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"limit\":0}}", 0, "limit" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"limit\":501}}", 0, "limit" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"limit\":\"5\"}}", 0, "limit" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"from\":\"yesterday\"}}", 0, "from" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"workflow\":\"a b\"}}", 0, "workflow" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"text\":\"\"}}", 0, "text" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"params\":{\"sort\":\"asc\"}}", 0, "sort" },
	{ "{\"type\":\"query\",\"query\":\"execution\",\"params\":{}}", 0, "id" },
	{ "{\"type\":\"query\",\"query\":\"execution\"}", 0, "id" },
	{ "{\"type\":\"query\",\"query\":\"step_stats\",\"params\":{\"workflow_id\":\"wf\",\"runs\":1001}}", 0, "runs" },
	{ "{\"type\":\"query\",\"query\":\"executions\",\"extra\":1}", 0, "extra" },
};

static void test_query_requests(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct proto_request req;
		struct proto_cause cause = { { 0 }, { 0 } };
		json_t *id = NULL;
		int rc = proto_request_parse(cases[i].json, strlen(cases[i].json), &req, &id, &cause);
		if (cases[i].ok) {
			if (rc != 0)
				fail_msg("case %zu refused: %s: %s", i, cause.field, cause.message);
			assert_int_equal(req.type, REQ_QUERY);
			assert_non_null(req.params);
		} else {
			if (rc == 0)
				fail_msg("case %zu accepted", i);
			assert_string_equal(cause.field, cases[i].field);
			assert_true(strlen(cause.message) > 0);
		}
		json_decref(id);
		proto_request_clear(&req);
	}
}

static void test_query_defaults_and_normalization(void **state)
{
	(void)state;
	struct proto_cause cause;
	json_t *in = json_pack("{s:s}", "status", "failed");
	json_t *p = proto_query_params_new(QUERY_EXECUTIONS, in, &cause);
	assert_non_null(p);
	assert_int_equal(json_integer_value(json_object_get(p, "limit")), 50);
	assert_true(json_is_array(json_object_get(p, "status")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(p, "status"), 0)), "failed");
	json_decref(p);
	json_decref(in);
	in = json_pack("{s:s}", "workflow_id", "w");
	p = proto_query_params_new(QUERY_STEP_STATS, in, &cause);
	assert_int_equal(json_integer_value(json_object_get(p, "runs")), 20);
	json_decref(p);
	json_decref(in);

	/* Normalized params pass again unchanged: the store checks what the
	 * WebSocket and HTTP paths already normalized. */
	in = json_pack("{s:s,s:s,s:s,s:s}", "status", "failed", "workflow", "w", "text", "disk",
		       "from", "2026-11-01T00:00:00Z");
	p = proto_query_params_new(QUERY_EXECUTIONS, in, &cause);
	assert_non_null(p);
	json_t *again = proto_query_params_new(QUERY_EXECUTIONS, p, &cause);
	assert_non_null(again);
	assert_true(json_equal(p, again));
	json_decref(again);
	json_decref(p);
	json_decref(in);

	json_t *data = json_pack("{s:[]}", "executions");
	json_t *rid = json_integer(4);
	char *msg = proto_result_message_new(rid, QUERY_EXECUTIONS, data);
	assert_string_equal(msg, "{\"type\":\"result\",\"id\":4,\"query\":\"executions\",\"data\":{\"executions\":[]}}");
	free(msg);
	json_decref(rid);
	json_decref(data);
}

static void test_prioritize_and_push_messages(void **state)
{
	(void)state;
	static const struct { const char *json; int ok; const char *field; } pc[] = {
		{ "{\"type\":\"prioritize\",\"id\":1,\"execution_id\":\"ex-1\",\"priority\":\"HIGH\"}", 1, NULL },
		{ "{\"type\":\"prioritize\",\"execution_id\":\"ex-1\"}", 0, "priority" },
		{ "{\"type\":\"prioritize\",\"priority\":\"HIGH\"}", 0, "execution_id" },
		{ "{\"type\":\"prioritize\",\"execution_id\":\"ex 1\",\"priority\":\"HIGH\"}", 0, "execution_id" },
		{ "{\"type\":\"prioritize\",\"execution_id\":\"ex-1\",\"priority\":\"URGENT\"}", 0, "priority" },
		{ "{\"type\":\"prioritize\",\"execution_id\":\"ex-1\",\"priority\":\"LOW\",\"x\":1}", 0, "x" },
	};
	for (size_t i = 0; i < sizeof pc / sizeof pc[0]; i++) {
		struct proto_request req;
		struct proto_cause cause = { { 0 }, { 0 } };
		json_t *id = NULL;
		int rc = proto_request_parse(pc[i].json, strlen(pc[i].json), &req, &id, &cause);
		if (pc[i].ok) {
			assert_int_equal(rc, 0);
			assert_int_equal(req.type, REQ_PRIORITIZE);
			assert_string_equal(req.execution_id, "ex-1");
			assert_int_equal(req.priority, PRIO_HIGH);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(cause.field, pc[i].field);
		}
		json_decref(id);
		proto_request_clear(&req);
	}
	json_t *data = json_pack("{s:i}", "depth", 3);
	char *m = proto_stats_message_new("queue", data);
	assert_string_equal(m, "{\"type\":\"stats\",\"room\":\"queue\",\"data\":{\"depth\":3}}");
	free(m);
	json_decref(data);
	json_t *args = json_pack("{s:s,s:s}", "execution_id", "ex-1", "priority", "HIGH");
	m = proto_control_message_new("prioritize", args);
	assert_string_equal(m, "{\"type\":\"control\",\"room\":\"control\",\"command\":\"prioritize\","
			       "\"execution_id\":\"ex-1\",\"priority\":\"HIGH\"}");
	free(m);
	json_decref(args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_requests),
		cmocka_unit_test(test_query_defaults_and_normalization),
		cmocka_unit_test(test_prioritize_and_push_messages),
	};
	return cmocka_run_group_tests_name("proto_query", tests, NULL, NULL);
}
