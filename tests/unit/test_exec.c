/* test_exec.c: the protocol's execution model (exec.h): the rules of
 * applying events, what exec_apply reports, the snapshot writer and reader
 * (a faithful round trip; a merge never moves anything backwards; values of
 * the wrong type are passed over). Agreement with the SQL apply is
 * tests/integration/test_exec_model.c's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "proto.h"

#define T0 1780000000000LL

/* Applies one event written as its kind's fields; returns what it did. */
static struct exec_change apply(struct exec *x, const char *kind, int64_t dt, const char *fields)
{
	static unsigned n;
	char text[4096], ts[40], id[32];
	proto_time_format(T0 + dt, ts, sizeof ts);
	snprintf(id, sizeof id, "e%u", n++);
	snprintf(text, sizeof text, "{\"type\":\"%s\",\"id\":\"%s\",\"execution_id\":\"x1\",\"workflow_id\":\"wf\","
		 "\"ts\":\"%s\"%s%s}", kind, id, ts, fields[0] ? "," : "", fields);
	json_error_t err;
	json_t *o = json_loads(text, 0, &err);
	if (o == NULL)
		fail_msg("bad test JSON: %s: %s", err.text, text);
	struct proto_event ev;
	struct proto_cause cause;
	if (proto_event_validate(o, &ev, &cause) != 0)
		fail_msg("invalid test event: %s: %s", cause.field, cause.message);
	if (x->id[0] == '\0')
		exec_init_for(x, &ev);
	struct exec_change c;
	exec_apply(x, &ev, &c);
	json_decref(o);
	return c;
}

#define PLAN "\"workflow_name\":\"Closing\",\"priority\":\"HIGH\",\"steps\":[{\"id\":\"a\",\"name\":\"A\"}," \
	     "{\"id\":\"b\",\"name\":\"B\",\"depends_on\":[\"a\"]},{\"id\":\"c\",\"name\":\"C\"}]"

static void test_rules(void **state)
{
	(void)state;
	struct exec x;
	memset(&x, 0, sizeof x);
	/* First seen through a step event: running, the step created. */
	struct exec_change c = apply(&x, "step.started", 10, "\"step_id\":\"b\"");
	assert_int_equal(x.status, EXEC_RUNNING);
	assert_non_null(c.step);
	assert_string_equal(x.current_step, "b");
	/* The plan arrives late: its steps come first, in its order. */
	apply(&x, "execution.queued", 0, PLAN);
	assert_int_equal(x.nsteps, 3);
	assert_string_equal(x.steps[0].id, "a");
	assert_string_equal(x.steps[1].id, "b");
	assert_int_equal(x.steps[1].status, STEP_RUNNING);
	assert_int_equal(x.steps[1].ndepends, 1);
	assert_int_equal(x.status, EXEC_RUNNING);   /* never back to queued */
	assert_int_equal(x.priority, PRIO_HIGH);
	assert_string_equal(exec_workflow_name(&x), "Closing");
	/* A late step.started never takes a finished step back. */
	apply(&x, "step.completed", 20, "\"step_id\":\"a\",\"duration_ms\":5");
	apply(&x, "step.started", 5, "\"step_id\":\"a\"");
	assert_int_equal(x.steps[0].status, STEP_COMPLETED);
	assert_int_equal(x.steps_completed, 1);
	/* A step that failed and then completed: a retry that worked. */
	apply(&x, "step.failed", 30, "\"step_id\":\"b\",\"error\":\"boom\"");
	assert_int_equal(x.steps_failed, 1);
	assert_string_equal(x.current_step, "");
	apply(&x, "step.completed", 40, "\"step_id\":\"b\",\"duration_ms\":7");
	assert_int_equal(x.steps_failed, 0);
	assert_int_equal(x.steps_completed, 2);
	/* Counters: absolute totals. */
	apply(&x, "counter", 50, "\"name\":\"rows\",\"value\":9");
	apply(&x, "counter", 45, "\"name\":\"rows\",\"value\":4");
	assert_int_equal(x.counters[0].value, 9);
	/* Failing: the running step fails; the first terminal event wins. */
	apply(&x, "step.started", 60, "\"step_id\":\"c\"");
	c = apply(&x, "execution.failed", 70, "\"error\":\"gave up\",\"error_code\":\"E1\"");
	assert_true(c.ended);
	assert_int_equal(c.before, EXEC_RUNNING);
	assert_int_equal(x.status, EXEC_FAILED);
	assert_int_equal(x.steps[2].status, STEP_FAILED);
	assert_int_equal(x.steps_failed, 1);
	c = apply(&x, "execution.completed", 80, "");
	assert_false(c.ended);
	assert_int_equal(x.status, EXEC_FAILED);
	assert_true(x.finished_ms == T0 + 70);
	assert_string_equal(x.error, "gave up");
	assert_true(x.last_event_ms == T0 + 80);
	assert_int_equal(x.events, 11);
	exec_clear(&x);
}

static void test_limits(void **state)
{
	(void)state;
	struct exec x;
	memset(&x, 0, sizeof x);
	char f[64];
	for (int i = 0; i < EXEC_MAX_STEPS + 3; i++) {
		snprintf(f, sizeof f, "\"step_id\":\"s%d\"", i);
		struct exec_change c = apply(&x, "step.started", i, f);
		if (i >= EXEC_MAX_STEPS)
			assert_null(c.step);
	}
	assert_int_equal(x.nsteps, EXEC_MAX_STEPS);
	/* A plan's steps always get in. */
	apply(&x, "execution.queued", 0, PLAN);
	assert_int_equal(x.nsteps, EXEC_MAX_STEPS + 3);
	assert_string_equal(x.steps[0].id, "a");
	for (int i = 0; i < EXEC_COUNTERS + 2; i++) {
		snprintf(f, sizeof f, "\"name\":\"c%d\",\"value\":1", i);
		apply(&x, "counter", 1, f);
	}
	assert_int_equal(x.ncounters, EXEC_COUNTERS);
	for (int i = 0; i < EXEC_LOG_LINES + 5; i++) {
		snprintf(f, sizeof f, "\"level\":\"info\",\"message\":\"m%d\"", i);
		apply(&x, "log", 100 + i, f);
	}
	assert_int_equal(x.log_count, EXEC_LOG_LINES);
	assert_string_equal(exec_log_at(&x, 0)->message, "m5");
	exec_clear(&x);
}

/* Two executions are the same when their snapshots are. */
static void assert_same(const struct exec *a, const struct exec *b)
{
	json_t *ja = exec_json_new(a), *jb = exec_json_new(b);
	if (!json_equal(ja, jb)) {
		char *ta = json_dumps(ja, JSON_COMPACT), *tb = json_dumps(jb, JSON_COMPACT);
		fail_msg("differ:\n%s\n%s", ta, tb);
	}
	json_decref(ja);
	json_decref(jb);
}

static void test_round_trip_and_forward_merge(void **state)
{
	(void)state;
	struct exec x;
	memset(&x, 0, sizeof x);
	apply(&x, "execution.queued", 0, PLAN ",\"params\":{\"m\":5}");
	apply(&x, "execution.started", 1, "\"worker\":\"w1\"");
	apply(&x, "step.started", 2, "\"step_id\":\"a\",\"input\":{\"n\":0.5}");
	apply(&x, "step.progress", 3, "\"step_id\":\"a\",\"current\":1,\"total\":2,\"unit\":\"u\"");
	apply(&x, "log", 4, "\"level\":\"warn\",\"message\":\"careful\",\"step_id\":\"a\"");
	apply(&x, "step.completed", 5, "\"step_id\":\"a\",\"duration_ms\":3,\"cpu_percent\":2.5,"
	      "\"memory_bytes\":7,\"output\":[1]");
	apply(&x, "step.started", 6, "\"step_id\":\"b\"");
	apply(&x, "counter", 7, "\"name\":\"rows\",\"value\":3");

	/* Written, read into a fresh execution, written again: the same. */
	json_t *j = exec_json_new(&x);
	struct exec y;
	exec_init(&y, "x1", "wf");
	assert_int_equal(exec_merge_json(&y, j), 1);
	assert_same(&x, &y);
	/* Read again: nothing doubles (the log line is not newer). */
	assert_int_equal(exec_merge_json(&y, j), 0);
	assert_same(&x, &y);
	json_decref(j);

	/* A poorer picture (a restarted daemon that saw little) moves nothing back. */
	json_t *poor = json_pack("{s:s,s:s,s:s,s:s,s:i,s:[{s:s,s:s,s:s,s:[]}],s:{s:i},s:[]}",
				 "id", "x1", "workflow_id", "wf", "workflow_name", "wf", "status", "queued",
				 "steps_total", 1, "steps", "id", "b", "name", "b", "status", "pending",
				 "depends_on", "counters", "rows", 1, "log");
	exec_merge_json(&y, poor);
	assert_same(&x, &y);
	json_decref(poor);

	/* Values of the wrong type, bad ids and odd shapes are passed over. */
	json_t *odd = json_loads("{\"status\":5,\"queued_at\":\"yesterday\",\"steps\":[{\"id\":\"bad id\"},"
				 "{\"id\":\"a\",\"status\":\"zzz\",\"depends_on\":{\"x\":1},\"progress\":[1],"
				 "\"cpu_percent\":\"1\",\"memory_bytes\":-4}],\"counters\":{\"rows\":\"9\"},"
				 "\"log\":[{\"ts\":\"2030-01-01T00:00:00Z\"},5],\"current_step\":\"no such\"}",
				 0, NULL);
	assert_non_null(odd);
	exec_merge_json(&y, odd);
	assert_same(&x, &y);
	json_decref(odd);
	assert_int_equal(exec_merge_json(&y, NULL), 0);
	exec_clear(&y);

	/* The summary of a finished execution has no current step. */
	apply(&x, "execution.completed", 9, "");
	assert_int_equal(x.steps[1].status, STEP_RUNNING);
	json_t *sum = exec_summary_json_new(&x);
	assert_true(json_is_null(json_object_get(sum, "current_step")));
	assert_int_equal(json_integer_value(json_object_get(sum, "steps_total")), 3);
	json_decref(sum);
	exec_clear(&x);
}

/* A summary (counts, no steps) raises counts that later events keep moving. */
static void test_summary_then_events(void **state)
{
	(void)state;
	struct exec x;
	exec_init(&x, "x1", "wf");
	json_t *s = json_pack("{s:s,s:s,s:i,s:i,s:s}", "id", "x1", "status", "running", "steps_total", 4,
			      "steps_completed", 1, "current_step", "b");
	exec_merge_json(&x, s);
	json_decref(s);
	assert_string_equal(x.current_step, "b");
	apply(&x, "step.completed", 1, "\"step_id\":\"c\",\"duration_ms\":1");
	assert_int_equal(x.steps_completed, 2);
	assert_string_equal(x.current_step, "b");   /* still running, as far as we know */
	apply(&x, "step.completed", 2, "\"step_id\":\"b\",\"duration_ms\":1");
	assert_string_equal(x.current_step, "");
	assert_int_equal(x.steps_total, 4);
	exec_clear(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_round_trip_and_forward_merge),
		cmocka_unit_test(test_summary_then_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
