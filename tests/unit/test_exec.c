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

/* Attempts: a later attempt of a step starts it over and keeps the earlier
 * one; an earlier attempt's event changes nothing; a later attempt of a
 * finished execution opens it again. */
static void test_attempts(void **state)
{
	(void)state;
	struct exec x;
	memset(&x, 0, sizeof x);
	apply(&x, "execution.started", 0, "\"attempt\":1");
	apply(&x, "step.started", 10, "\"step_id\":\"charge\",\"attempt\":1,\"name\":\"Charge the card\"");
	apply(&x, "step.failed", 30, "\"step_id\":\"charge\",\"attempt\":1,\"error\":\"HTTP 502\",\"duration_ms\":20");
	assert_int_equal(x.steps_failed, 1);
	struct exec_change c = apply(&x, "step.started", 50, "\"step_id\":\"charge\",\"attempt\":2");
	assert_non_null(c.step);
	struct exec_step *s = &x.steps[0];
	assert_int_equal(s->attempt, 2);
	assert_int_equal(s->status, STEP_RUNNING);
	assert_null(s->error);
	assert_int_equal(s->duration_ms, -1);
	assert_int_equal(x.steps_failed, 0);
	assert_int_equal(s->ntries, 1);
	assert_int_equal(s->tries[0].attempt, 1);
	assert_int_equal(s->tries[0].status, STEP_FAILED);
	assert_int_equal(s->tries[0].duration_ms, 20);
	assert_string_equal(s->tries[0].error, "HTTP 502");
	assert_string_equal(s->name, "Charge the card");
	/* A late event of attempt 1 changes nothing. */
	c = apply(&x, "step.completed", 55, "\"step_id\":\"charge\",\"attempt\":1,\"duration_ms\":44");
	assert_true(c.stale);
	assert_null(c.step);
	assert_int_equal(s->status, STEP_RUNNING);
	apply(&x, "step.completed", 80, "\"step_id\":\"charge\",\"attempt\":2,\"duration_ms\":30");
	assert_int_equal(x.steps_completed, 1);
	assert_int_equal(x.steps_failed, 0);
	/* The same attempt number again adds nothing to the attempts. */
	apply(&x, "step.completed", 81, "\"step_id\":\"charge\",\"attempt\":2,\"duration_ms\":30");
	assert_int_equal(s->ntries, 1);
	/* An attempt that jumps ahead: the one in between never ran. */
	apply(&x, "step.failed", 90, "\"step_id\":\"charge\",\"attempt\":4,\"error\":\"declined\"");
	assert_int_equal(s->ntries, 2);
	assert_int_equal(s->tries[1].attempt, 2);
	assert_int_equal(s->tries[1].status, STEP_COMPLETED);

	/* The execution fails, then a retry opens it again. */
	c = apply(&x, "execution.failed", 100, "\"error\":\"declined\",\"attempt\":1");
	assert_true(c.ended);
	c = apply(&x, "execution.started", 200, "\"attempt\":2,\"worker\":\"w2\"");
	assert_true(c.reopened);
	assert_int_equal(c.before, EXEC_FAILED);
	assert_int_equal(x.status, EXEC_RUNNING);
	assert_int_equal(x.attempt, 2);
	assert_null(x.error);
	assert_int_equal(x.finished_ms, 0);
	assert_int_equal(x.started_ms, T0 + 200);
	/* The late failure of attempt 1 cannot end attempt 2. */
	c = apply(&x, "execution.failed", 210, "\"error\":\"late\",\"attempt\":1");
	assert_true(c.stale);
	assert_false(c.ended);
	assert_int_equal(x.status, EXEC_RUNNING);
	/* Without an attempt an event belongs to the current one. */
	c = apply(&x, "execution.completed", 300, "");
	assert_true(c.ended);
	assert_int_equal(x.status, EXEC_COMPLETED);
	/* A queued event of a later attempt opens it as queued. */
	c = apply(&x, "execution.queued", 400, "\"workflow_name\":\"W\",\"priority\":\"LOW\",\"attempt\":3");
	assert_true(c.reopened);
	assert_int_equal(x.status, EXEC_QUEUED);

	/* At most EXEC_STEP_TRIES earlier attempts, the latest ones. */
	for (int a = 5; a < 5 + EXEC_STEP_TRIES + 3; a++) {
		char f[128];
		snprintf(f, sizeof f, "\"step_id\":\"charge\",\"attempt\":%d,\"error\":\"again\"", a);
		apply(&x, "step.failed", 500 + a, f);
	}
	assert_int_equal(s->ntries, EXEC_STEP_TRIES);
	assert_int_equal(s->tries[EXEC_STEP_TRIES - 1].attempt, s->attempt - 1);

	/* All of it survives the snapshot, and a snapshot of a later attempt
	 * opens an execution the reader held finished. */
	json_t *j = exec_json_new(&x);
	struct exec y;
	exec_init(&y, "x1", "wf");
	exec_merge_json(&y, j);
	assert_same(&x, &y);
	json_decref(j);
	exec_clear(&y);

	exec_init(&y, "x1", "wf");
	json_t *failed = json_pack("{s:s,s:s,s:i,s:s}", "id", "x1", "status", "failed", "attempt", 1, "error", "e1");
	json_t *again = json_pack("{s:s,s:s,s:i}", "id", "x1", "status", "running", "attempt", 2);
	exec_merge_json(&y, failed);
	assert_int_equal(y.status, EXEC_FAILED);
	exec_merge_json(&y, again);
	assert_int_equal(y.status, EXEC_RUNNING);
	assert_null(y.error);
	exec_merge_json(&y, failed);   /* an older picture: no effect */
	assert_int_equal(y.status, EXEC_RUNNING);
	assert_int_equal(y.attempt, 2);
	json_decref(failed);
	json_decref(again);
	exec_clear(&y);
	exec_clear(&x);
}

static void test_labels_names_delay(void **state)
{
	(void)state;
	struct exec x;
	memset(&x, 0, sizeof x);
	apply(&x, "execution.queued", 0, "\"workflow_name\":\"VAT\",\"priority\":\"NORMAL\","
	      "\"labels\":{\"period\":\"2026-11\",\"client\":\"ACME\"},\"delayed_until\":\"2030-01-01T00:00:00Z\"");
	assert_int_equal(x.nsteps, 0);
	assert_int_equal(x.nlabels, 2);
	assert_string_equal(x.labels[0].key, "client");   /* sorted */
	assert_string_equal(exec_label(&x, "period"), "2026-11");
	assert_true(x.delayed_until_ms > 0);
	apply(&x, "execution.started", 5, "\"labels\":{\"period\":\"2026-12\",\"host\":\"w-1\"}");
	assert_int_equal(x.nlabels, 3);
	assert_string_equal(exec_label(&x, "period"), "2026-12");
	json_t *want = json_pack("{s:s,s:s}", "period", "2026-12", "client", "ACME");
	assert_true(exec_labels_match(&x, want));
	json_object_set_new(want, "client", json_string("acme"));
	assert_false(exec_labels_match(&x, want));
	json_decref(want);
	assert_true(exec_labels_match(&x, NULL));
	/* At most PROTO_MAX_LABELS: new keys beyond are dropped, in byte order. */
	json_t *more = json_object();
	for (int i = 0; i < PROTO_MAX_LABELS; i++) {
		char k[8];
		snprintf(k, sizeof k, "z%02d", PROTO_MAX_LABELS - i);
		json_object_set_new(more, k, json_string("v"));
	}
	char *text = json_dumps(more, JSON_COMPACT);
	char fields[2048];
	snprintf(fields, sizeof fields, "\"labels\":%s", text);
	free(text);
	json_decref(more);
	apply(&x, "execution.started", 6, fields);
	assert_int_equal(x.nlabels, PROTO_MAX_LABELS);
	assert_non_null(exec_label(&x, "z01"));
	assert_non_null(exec_label(&x, "z13"));
	assert_null(exec_label(&x, "z14"));
	/* A second plan-less queued event: not delayed any more. */
	apply(&x, "execution.queued", 7, "\"workflow_name\":\"VAT\",\"priority\":\"NORMAL\"");
	assert_int_equal(x.delayed_until_ms, 0);
	/* Unplanned steps take their events' names; a plan's name wins. */
	apply(&x, "step.started", 8, "\"step_id\":\"u\",\"name\":\"Upload\"");
	apply(&x, "step.completed", 9, "\"step_id\":\"u\",\"duration_ms\":1,\"name\":\"Upload JPK\"");
	assert_string_equal(x.steps[0].name, "Upload JPK");
	apply(&x, "execution.queued", 10, "\"workflow_name\":\"VAT\",\"priority\":\"NORMAL\","
	      "\"steps\":[{\"id\":\"u\",\"name\":\"Send\"}]");
	apply(&x, "step.failed", 11, "\"step_id\":\"u\",\"error\":\"x\",\"name\":\"Other\"");
	assert_string_equal(x.steps[0].name, "Send");
	json_t *j = exec_json_new(&x);
	struct exec y;
	exec_init(&y, "x1", "wf");
	exec_merge_json(&y, j);
	assert_same(&x, &y);
	json_decref(j);
	exec_clear(&y);
	exec_clear(&x);
}

static void test_control(void **state)
{
	(void)state;
	struct exec x;
	memset(&x, 0, sizeof x);
	apply(&x, "execution.started", 0, "");
	apply(&x, "control.requested", 10, "\"command\":\"cancel\",\"request_id\":\"r1\",\"by\":\"olga\"");
	assert_int_equal(x.control.state, CTL_REQUESTED);
	assert_int_equal(x.control.command, CONTROL_CANCEL);
	assert_string_equal(x.control.by, "olga");
	/* A reply to another request or command is not this one's. */
	apply(&x, "control.replied", 11, "\"command\":\"cancel\",\"request_id\":\"r0\",\"accepted\":false");
	apply(&x, "control.replied", 12, "\"command\":\"retry\",\"accepted\":false");
	assert_int_equal(x.control.state, CTL_REQUESTED);
	apply(&x, "control.replied", 13, "\"command\":\"cancel\",\"request_id\":\"r1\",\"accepted\":true");
	assert_int_equal(x.control.state, CTL_ACCEPTED);
	assert_int_equal(x.control.answered_ms, T0 + 13);
	apply(&x, "execution.cancelled", 20, "\"reason\":\"by olga\"");
	assert_int_equal(x.control.state, CTL_DONE);
	/* Retry: refused, asked again, then done by a new attempt. */
	apply(&x, "control.requested", 30, "\"command\":\"retry\",\"request_id\":\"r2\",\"by\":\"piotr\"");
	apply(&x, "control.replied", 31, "\"command\":\"retry\",\"accepted\":false,\"reason\":\"the input is gone\"");
	assert_int_equal(x.control.state, CTL_REFUSED);
	assert_string_equal(x.control.reason, "the input is gone");
	json_t *refused = exec_json_new(&x);
	apply(&x, "control.requested", 40, "\"command\":\"retry\",\"request_id\":\"r3\",\"by\":\"piotr\"");
	assert_int_equal(x.control.state, CTL_REQUESTED);
	assert_null(x.control.reason);
	apply(&x, "execution.started", 50, "\"attempt\":2");
	assert_int_equal(x.control.state, CTL_DONE);
	assert_int_equal(x.status, EXEC_RUNNING);
	/* An older request's snapshot does not replace a newer one. */
	json_t *now = exec_json_new(&x);
	struct exec y;
	exec_init(&y, "x1", "wf");
	exec_merge_json(&y, now);
	exec_merge_json(&y, refused);
	assert_same(&x, &y);
	json_decref(now);
	json_decref(refused);
	exec_clear(&y);
	exec_clear(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attempts),
		cmocka_unit_test(test_labels_names_delay),
		cmocka_unit_test(test_control),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_round_trip_and_forward_merge),
		cmocka_unit_test(test_summary_then_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
