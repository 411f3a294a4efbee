/* test_alert_eval.c: the evaluator: each rule type fires and clears with
 * explicit times, runs of failures, cooldowns (also loaded after a restart),
 * scope, rule edits, bounded memory and full output arrays. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"

#define MIN_MS (60 * 1000LL)
#define T0 (1767225600000LL)   /* 2026-01-01T00:00:00Z */
#define CH "\"channels\":[{\"type\":\"in_app\"}]"

static struct alert_firing fired[16];
static struct alert_clear cleared[16];
static size_t nf, nc;

static void outputs_reset(void)
{
	for (size_t i = 0; i < nf; i++)
		alert_firing_clear(&fired[i]);
	nf = nc = 0;
}

static int teardown(void **state)
{
	(void)state;
	outputs_reset();
	return 0;
}

static void rule_from(struct alert_rule *r, const char *json)
{
	json_error_t jerr;
	json_t *j = json_loads(json, 0, &jerr);
	if (j == NULL)
		fail_msg("bad test JSON: %s", jerr.text);
	struct proto_cause cause;
	if (alert_rule_parse(j, r, &cause) != 0)
		fail_msg("rule refused: %s: %s", cause.field, cause.message);
	json_decref(j);
}

/* An evaluator with one rule. */
static struct alert_eval *eval_with(const char *json)
{
	struct alert_rule r;
	rule_from(&r, json);
	struct alert_eval *e = alert_eval_new();
	alert_eval_set_rules(e, &r, 1);
	alert_rule_clear(&r);
	return e;
}

static void fact(struct alert_eval *e, enum proto_event_kind kind, const char *exec, const char *wf, int64_t ts,
		 int64_t started)
{
	outputs_reset();
	struct alert_fact f = {
		.kind = kind, .execution_id = exec, .workflow_id = wf, .workflow_name = wf, .ts_ms = ts,
		.started_ms = started,
		.error = kind == EV_EXECUTION_FAILED ? "KSeF timeout after 30 s" : NULL,
		.step_id = kind == EV_EXECUTION_FAILED ? "send-to-ksef" : NULL,
	};
	alert_eval_on_fact(e, &f, ts, fired, 16, &nf, cleared, 16, &nc);
}

static void fail_at(struct alert_eval *e, const char *exec, const char *wf, int64_t ts)
{
	fact(e, EV_EXECUTION_FAILED, exec, wf, ts, ts - 1000);
}

static void ok_at(struct alert_eval *e, const char *exec, const char *wf, int64_t ts)
{
	fact(e, EV_EXECUTION_COMPLETED, exec, wf, ts, ts - 1000);
}

static void tick(struct alert_eval *e, const char *name, double value, const struct alert_fact *running,
		 size_t nrunning, int64_t now)
{
	outputs_reset();
	const char *names[] = { name };
	double values[] = { value };
	struct alert_metrics m = { names, values, name != NULL ? 1 : 0, running, nrunning, NULL, 0 };
	alert_eval_on_tick(e, &m, now, fired, 16, &nf, cleared, 16, &nc);
}

static int64_t ctx_int(size_t i, const char *key)
{
	json_t *v = json_object_get(fired[i].context, key);
	if (!json_is_number(v))
		fail_msg("context has no number %s", key);
	return (int64_t)json_number_value(v);
}

static const char *ctx_str(size_t i, const char *key)
{
	return json_string_value(json_object_get(fired[i].context, key));
}

static void test_execution_failed(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r1\",\"name\":\"failures\",\"type\":\"execution_failed\","
					 "\"severity\":\"error\"," CH "}");
	fail_at(e, "ex-1", "jpk-generation", T0);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].rule->id, "r1");
	assert_string_equal(fired[0].workflow_id, "jpk-generation");
	assert_string_equal(fired[0].execution_id, "ex-1");
	assert_string_equal(fired[0].title, "Workflow execution failed: jpk-generation");
	assert_non_null(strstr(fired[0].body, "ex-1"));
	assert_non_null(strstr(fired[0].body, "KSeF timeout after 30 s"));
	assert_non_null(strstr(fired[0].body, "wfmon open ex-1"));
	assert_string_equal(ctx_str(0, "execution_id"), "ex-1");
	assert_string_equal(ctx_str(0, "error"), "KSeF timeout after 30 s");
	assert_string_equal(ctx_str(0, "step_id"), "send-to-ksef");

	/* The cooldown is per (rule, workflow). */
	fail_at(e, "ex-2", "jpk-generation", T0 + 5 * MIN_MS);
	assert_int_equal(nf, 0);
	fail_at(e, "ex-3", "vat-report", T0 + 5 * MIN_MS);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].workflow_id, "vat-report");
	/* A success and a cancellation fire nothing. */
	ok_at(e, "ex-4", "jpk-generation", T0 + 6 * MIN_MS);
	assert_int_equal(nf + nc, 0);
	fact(e, EV_EXECUTION_CANCELLED, "ex-5", "jpk-generation", T0 + 6 * MIN_MS, 0);
	assert_int_equal(nf + nc, 0);
	/* Just inside, then past the 15-minute default cooldown. */
	fail_at(e, "ex-6", "jpk-generation", T0 + 15 * MIN_MS - 1);
	assert_int_equal(nf, 0);
	fail_at(e, "ex-7", "jpk-generation", T0 + 15 * MIN_MS);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].execution_id, "ex-7");
	outputs_reset();
	alert_eval_free(e);
}

static void test_polish_texts(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r1\",\"name\":\"awarie\",\"type\":\"execution_failed\","
					 "\"severity\":\"error\",\"language\":\"pl\"," CH "}");
	fail_at(e, "ex-1", "jpk-generation", T0);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].title, "Wykonanie workflow nie powiodło się: jpk-generation");
	assert_non_null(strstr(fired[0].body, "Błąd: KSeF timeout after 30 s"));
	assert_non_null(strstr(fired[0].body, "wfmon open ex-1"));
	outputs_reset();
	alert_eval_free(e);
}

static void test_consecutive_fires_once(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r2\",\"name\":\"3 in a row\",\"type\":\"consecutive_failures\","
					 "\"severity\":\"error\",\"conditions\":{\"count\":3}," CH "}");
	/* fail, fail, success, fail, fail, fail: exactly one firing, on the last. */
	static const int seq[] = { 0, 0, 1, 0, 0, 0 };
	size_t total = 0;
	for (size_t i = 0; i < 6; i++) {
		char id[16];
		snprintf(id, sizeof id, "ex-%zu", i);
		if (seq[i])
			ok_at(e, id, "wf", T0 + (int64_t)i * 1000);
		else
			fail_at(e, id, "wf", T0 + (int64_t)i * 1000);
		total += nf;
		if (i == 5) {
			assert_int_equal(nf, 1);
			assert_int_equal(ctx_int(0, "consecutive"), 3);
			assert_string_equal(ctx_str(0, "execution_id"), "ex-5");
			assert_non_null(strstr(fired[0].body, "3 failures in a row"));
		}
	}
	assert_int_equal(total, 1);
	/* Further failures inside the cooldown fire nothing; cancelled changes nothing. */
	fail_at(e, "ex-6", "wf", T0 + 10000);
	assert_int_equal(nf, 0);
	fact(e, EV_EXECUTION_CANCELLED, "ex-7", "wf", T0 + 11000, 0);
	assert_int_equal(nf + nc, 0);
	/* A success ends the run and clears (rule, workflow). */
	ok_at(e, "ex-8", "wf", T0 + 12000);
	assert_int_equal(nf, 0);
	assert_int_equal(nc, 1);
	assert_string_equal(cleared[0].rule->id, "r2");
	assert_string_equal(cleared[0].workflow_id, "wf");
	/* Another success: nothing more to clear. */
	ok_at(e, "ex-9", "wf", T0 + 13000);
	assert_int_equal(nc, 0);
	/* A new run of 3 inside the cooldown is suppressed; the next failure after it fires. */
	for (int i = 0; i < 3; i++)
		fail_at(e, "ex-a", "wf", T0 + MIN_MS + i);
	assert_int_equal(nf, 0);
	fail_at(e, "ex-b", "wf", T0 + 5000 + 15 * MIN_MS);
	assert_int_equal(nf, 1);
	assert_int_equal(ctx_int(0, "consecutive"), 4);
	outputs_reset();
	alert_eval_free(e);
}

static void test_consecutive_cancelled_does_not_reset(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r2\",\"name\":\"n\",\"type\":\"consecutive_failures\","
					 "\"severity\":\"error\",\"conditions\":{\"count\":3}," CH "}");
	fail_at(e, "a", "wf", T0);
	fail_at(e, "b", "wf", T0 + 1);
	fact(e, EV_EXECUTION_CANCELLED, "c", "wf", T0 + 2, 0);
	assert_int_equal(nf, 0);
	fail_at(e, "d", "wf", T0 + 3);
	assert_int_equal(nf, 1);
	/* The same run going on past the cooldown fires no more: once per run. */
	fail_at(e, "d2", "wf", T0 + 60 * MIN_MS);
	assert_int_equal(nf, 0);
	/* Runs are per workflow. */
	fail_at(e, "e", "other", T0 + 4);
	fail_at(e, "f", "other", T0 + 5);
	assert_int_equal(nf, 0);
	outputs_reset();
	alert_eval_free(e);
}

static void test_error_rate(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r3\",\"name\":\"rate\",\"type\":\"error_rate\",\"severity\":\"error\","
					 "\"conditions\":{\"threshold_percent\":50,\"window_minutes\":10,\"min_sample\":4},"
					 CH "}");
	/* The scope is every workflow: counted together, workflow "". */
	ok_at(e, "a", "wf-1", T0);
	fail_at(e, "b", "wf-2", T0 + 1000);
	fail_at(e, "c", "wf-1", T0 + 2000);
	assert_int_equal(nf, 0);   /* 3 finished, under min_sample */
	fail_at(e, "d", "wf-2", T0 + 3000);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].workflow_id, "");
	assert_int_equal(ctx_int(0, "failed"), 3);
	assert_int_equal(ctx_int(0, "finished"), 4);
	assert_int_equal(ctx_int(0, "rate_percent"), 75);
	assert_string_equal(ctx_str(0, "execution_id"), "d");
	/* 3 of 5: still over, but inside the cooldown. */
	ok_at(e, "e", "wf-1", T0 + 4000);
	assert_int_equal(nf + nc, 0);
	/* 3 of 6 = 50%: not above 50, clears. */
	ok_at(e, "f", "wf-1", T0 + 5000);
	assert_int_equal(nf, 0);
	assert_int_equal(nc, 1);
	assert_string_equal(cleared[0].workflow_id, "");
	outputs_reset();
	alert_eval_free(e);
}

/* A failed attempt that a retry turned into a success counts once, as a
 * success: 1 failed of 4 (25%), not 2 of 5 (40%). */
static void test_error_rate_retried_success_once(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r3\",\"name\":\"rate\",\"type\":\"error_rate\",\"severity\":\"error\","
					 "\"conditions\":{\"threshold_percent\":30,\"window_minutes\":10,\"min_sample\":4},"
					 CH "}");
	ok_at(e, "a", "wf", T0);
	ok_at(e, "b", "wf", T0 + 1000);
	fail_at(e, "c", "wf", T0 + 2000);          /* attempt 1 of c */
	outputs_reset();
	struct alert_fact retried = {
		.kind = EV_EXECUTION_COMPLETED, .execution_id = "c", .workflow_id = "wf", .workflow_name = "wf",
		.ts_ms = T0 + 3000, .started_ms = T0 + 2500, .retried_failure = true,
	};
	alert_eval_on_fact(e, &retried, T0 + 3000, fired, 16, &nf, cleared, 16, &nc);
	assert_int_equal(nf, 0);
	fail_at(e, "d", "wf", T0 + 4000);
	/* a, b, c (once, a success), d: 1 of 4 = 25%, under 30. Counting c's
	 * failure and its success apart would give 2 of 5 = 40%, over. */
	assert_int_equal(nf, 0);
	fail_at(e, "f", "wf", T0 + 5000);
	assert_int_equal(nf, 1);
	assert_int_equal(ctx_int(0, "failed"), 2);
	assert_int_equal(ctx_int(0, "finished"), 5);
	outputs_reset();
	alert_eval_free(e);
}

static void test_error_rate_window_expires(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r3\",\"name\":\"rate\",\"type\":\"error_rate\",\"severity\":\"error\","
					 "\"workflow_id\":\"wf-1\",\"conditions\":{\"threshold_percent\":20,"
					 "\"window_minutes\":10,\"min_sample\":2}," CH "}");
	fail_at(e, "x", "wf-2", T0);   /* out of scope */
	fail_at(e, "y", "wf-2", T0);
	assert_int_equal(nf, 0);
	fail_at(e, "a", "wf-1", T0);
	fail_at(e, "b", "wf-1", T0 + 1000);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].workflow_id, "wf-1");
	tick(e, NULL, 0, NULL, 0, T0 + 5 * MIN_MS);
	assert_int_equal(nc, 0);   /* still in the window */
	tick(e, NULL, 0, NULL, 0, T0 + 11 * MIN_MS);
	assert_int_equal(nc, 1);   /* the window moved past them */
	assert_string_equal(cleared[0].workflow_id, "wf-1");
	tick(e, NULL, 0, NULL, 0, T0 + 12 * MIN_MS);
	assert_int_equal(nc, 0);
	/* Old failures no longer count: 1 failed of 2 = 50% fires again (cooldown over). */
	ok_at(e, "c", "wf-1", T0 + 20 * MIN_MS);
	fail_at(e, "d", "wf-1", T0 + 20 * MIN_MS + 1);
	assert_int_equal(nf, 1);
	assert_int_equal(ctx_int(0, "finished"), 2);
	outputs_reset();
	alert_eval_free(e);
}

static void test_slow_execution(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r4\",\"name\":\"slow\",\"type\":\"slow_execution\",\"severity\":\"warning\","
					 "\"conditions\":{\"threshold_seconds\":60}," CH "}");
	fact(e, EV_EXECUTION_COMPLETED, "a", "wf", T0 + 60000, T0);
	assert_int_equal(nf, 0);   /* exactly the threshold */
	fact(e, EV_EXECUTION_FAILED, "b", "wf", T0 + 120000, T0);
	assert_int_equal(nf, 0);   /* only completed runs */
	fact(e, EV_EXECUTION_COMPLETED, "c", "wf", T0 + 61000, T0);
	assert_int_equal(nf, 1);
	assert_int_equal(ctx_int(0, "duration_ms"), 61000);
	assert_int_equal(ctx_int(0, "threshold_ms"), 60000);
	assert_string_equal(fired[0].title, "Performance degradation detected: wf");
	assert_non_null(strstr(fired[0].body, "Took 1 min 1 s, longer than 1 min"));
	fact(e, EV_EXECUTION_COMPLETED, "d", "wf", T0 + 90000, 0);
	assert_int_equal(nf, 0);   /* start unknown */
	outputs_reset();
	alert_eval_free(e);
}

static void test_running_long(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r5\",\"name\":\"long\",\"type\":\"running_long\",\"severity\":\"warning\","
					 "\"cooldown_minutes\":5,\"conditions\":{\"threshold_seconds\":300}," CH "}");
	struct alert_fact running[2] = {
		{ .execution_id = "a", .workflow_id = "wf-1", .workflow_name = "Payroll", .started_ms = T0 },
		{ .execution_id = "b", .workflow_id = "wf-2", .workflow_name = "VAT", .started_ms = T0 + 100000 },
	};
	tick(e, NULL, 0, running, 2, T0 + 300000);
	assert_int_equal(nf, 0);
	tick(e, NULL, 0, running, 2, T0 + 300001);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].execution_id, "a");
	assert_string_equal(fired[0].title, "Performance degradation detected: Payroll");
	assert_int_equal(ctx_int(0, "duration_ms"), 300001);
	/* Once per execution, even after the cooldown. */
	tick(e, NULL, 0, running, 2, T0 + 20 * MIN_MS);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].execution_id, "b");
	tick(e, NULL, 0, running, 2, T0 + 40 * MIN_MS);
	assert_int_equal(nf, 0);
	/* a finishes: its pair clears. */
	fact(e, EV_EXECUTION_COMPLETED, "a", "wf-1", T0 + 41 * MIN_MS, T0);
	assert_int_equal(nc, 1);
	assert_string_equal(cleared[0].workflow_id, "wf-1");
	/* b leaves the running list without our seeing its end: cleared on the tick. */
	tick(e, NULL, 0, NULL, 0, T0 + 42 * MIN_MS);
	assert_int_equal(nc, 1);
	assert_string_equal(cleared[0].workflow_id, "wf-2");
	tick(e, NULL, 0, NULL, 0, T0 + 43 * MIN_MS);
	assert_int_equal(nf + nc, 0);
	outputs_reset();
	alert_eval_free(e);
}

static void test_queue_backlog(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r6\",\"name\":\"backlog\",\"type\":\"queue_backlog\",\"severity\":\"warning\","
					 "\"conditions\":{\"threshold\":100}," CH "}");
	tick(e, "queue_depth", 99, NULL, 0, T0);
	assert_int_equal(nf + nc, 0);
	tick(e, "queue_depth", 100, NULL, 0, T0 + 1000);
	assert_int_equal(nf, 1);
	assert_int_equal(ctx_int(0, "value"), 100);
	assert_string_equal(ctx_str(0, "metric"), "queue_depth");
	assert_string_equal(fired[0].title, "Queue backlog detected: backlog");
	tick(e, "queue_depth", 150, NULL, 0, T0 + 2000);
	assert_int_equal(nf, 0);   /* cooldown */
	tick(e, "cpu_percent", 10, NULL, 0, T0 + 3000);
	assert_int_equal(nf + nc, 0);   /* metric missing: nothing */
	tick(e, "queue_depth", 20, NULL, 0, T0 + 4000);
	assert_int_equal(nc, 1);
	assert_string_equal(cleared[0].workflow_id, "");
	tick(e, "queue_depth", 20, NULL, 0, T0 + 5000);
	assert_int_equal(nc, 0);
	tick(e, "queue_depth", 300, NULL, 0, T0 + 1000 + 15 * MIN_MS);
	assert_int_equal(nf, 1);   /* cooldown over */
	outputs_reset();
	alert_eval_free(e);
}

static void test_resource_and_custom(void **state)
{
	(void)state;
	struct alert_rule r[2];
	rule_from(&r[0], "{\"id\":\"r7\",\"name\":\"cpu\",\"type\":\"resource_threshold\",\"severity\":\"warning\","
			 "\"language\":\"pl\",\"conditions\":{\"metric\":\"cpu_percent\",\"threshold\":90}," CH "}");
	rule_from(&r[1], "{\"id\":\"r8\",\"name\":\"slow intake\",\"type\":\"custom\",\"severity\":\"info\","
			 "\"conditions\":{\"metric\":\"queue_rate_per_min\",\"op\":\"lt\",\"value\":5}," CH "}");
	struct alert_eval *e = alert_eval_new();
	alert_eval_set_rules(e, r, 2);
	alert_rule_clear(&r[0]);
	alert_rule_clear(&r[1]);
	assert_int_equal(alert_eval_rule_count(e), 2);

	tick(e, "cpu_percent", 90, NULL, 0, T0);
	assert_int_equal(nf, 0);   /* above, not at */
	tick(e, "cpu_percent", 95.5, NULL, 0, T0 + 1000);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].rule->id, "r7");
	assert_string_equal(fired[0].title, "Ostrzeżenie o zasobach systemu: cpu_percent");
	assert_non_null(strstr(fired[0].body, "cpu_percent wynosi 95,5"));
	tick(e, "cpu_percent", 40, NULL, 0, T0 + 2000);
	assert_int_equal(nc, 1);
	assert_string_equal(cleared[0].rule->id, "r7");

	tick(e, "queue_rate_per_min", 6, NULL, 0, T0 + 3000);
	assert_int_equal(nf + nc, 0);
	tick(e, "queue_rate_per_min", 2, NULL, 0, T0 + 4000);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].rule->id, "r8");
	assert_string_equal(fired[0].title, "Alert triggered: slow intake");
	assert_string_equal(ctx_str(0, "op"), "lt");
	tick(e, "queue_rate_per_min", 5, NULL, 0, T0 + 5000);
	assert_int_equal(nc, 1);
	outputs_reset();
	alert_eval_free(e);
}

static void test_cooldown_after_restart(void **state)
{
	(void)state;
	const char *json = "{\"id\":\"r1\",\"name\":\"f\",\"type\":\"execution_failed\",\"severity\":\"error\","
			   "\"cooldown_minutes\":30," CH "}";
	struct alert_eval *e = eval_with(json);
	fail_at(e, "a", "wf", T0);
	assert_int_equal(nf, 1);
	outputs_reset();
	alert_eval_free(e);

	/* The "restart": a new evaluator told when the pair last fired. */
	e = eval_with(json);
	alert_eval_set_last_fired(e, "r1", "wf", T0);
	fail_at(e, "b", "wf", T0 + 10 * MIN_MS);
	assert_int_equal(nf, 0);
	fail_at(e, "c", "wf", T0 + 30 * MIN_MS);
	assert_int_equal(nf, 1);
	outputs_reset();
	alert_eval_free(e);

	/* Loaded before the rules are set, too; and a consecutive-failures alert
	 * from before the restart clears at the first success. */
	e = alert_eval_new();
	alert_eval_set_last_fired(e, "r2", "wf", T0);
	struct alert_rule r;
	rule_from(&r, "{\"id\":\"r2\",\"name\":\"n\",\"type\":\"consecutive_failures\",\"severity\":\"error\","
		      "\"conditions\":{\"count\":2}," CH "}");
	alert_eval_set_rules(e, &r, 1);
	alert_rule_clear(&r);
	fail_at(e, "d", "wf", T0 + MIN_MS);
	fail_at(e, "e", "wf", T0 + 2 * MIN_MS);
	assert_int_equal(nf, 0);
	ok_at(e, "f", "wf", T0 + 3 * MIN_MS);
	assert_int_equal(nc, 1);
	outputs_reset();
	alert_eval_free(e);
}

static void test_scope_and_disabled(void **state)
{
	(void)state;
	struct alert_rule r[2];
	rule_from(&r[0], "{\"id\":\"one\",\"name\":\"n\",\"type\":\"execution_failed\",\"severity\":\"error\","
			 "\"workflow_id\":\"jpk-generation\"," CH "}");
	rule_from(&r[1], "{\"id\":\"off\",\"name\":\"n\",\"type\":\"execution_failed\",\"severity\":\"error\","
			 "\"enabled\":false," CH "}");
	struct alert_eval *e = alert_eval_new();
	alert_eval_set_rules(e, r, 2);
	alert_rule_clear(&r[0]);
	alert_rule_clear(&r[1]);
	fail_at(e, "a", "vat-report", T0);
	assert_int_equal(nf, 0);
	fail_at(e, "b", "jpk-generation", T0);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].rule->id, "one");
	outputs_reset();
	alert_eval_free(e);
}

static void test_set_rules_keeps_state(void **state)
{
	(void)state;
	struct alert_rule r;
	struct alert_eval *e = eval_with("{\"id\":\"r2\",\"name\":\"n\",\"type\":\"consecutive_failures\","
					 "\"severity\":\"error\",\"conditions\":{\"count\":3}," CH "}");
	fail_at(e, "a", "wf", T0);
	fail_at(e, "b", "wf", T0 + 1);
	/* Renamed, same type and scope: the run goes on. */
	rule_from(&r, "{\"id\":\"r2\",\"name\":\"renamed\",\"type\":\"consecutive_failures\",\"severity\":\"critical\","
		      "\"conditions\":{\"count\":3}," CH "}");
	alert_eval_set_rules(e, &r, 1);
	alert_rule_clear(&r);
	fail_at(e, "c", "wf", T0 + 2);
	assert_int_equal(nf, 1);
	assert_string_equal(fired[0].rule->name, "renamed");
	outputs_reset();

	/* Scope changed: the run starts over. */
	fail_at(e, "d", "wf", T0 + 20 * MIN_MS);
	fail_at(e, "e", "wf", T0 + 20 * MIN_MS + 1);
	rule_from(&r, "{\"id\":\"r2\",\"name\":\"n\",\"type\":\"consecutive_failures\",\"severity\":\"error\","
		      "\"workflow_id\":\"wf\",\"conditions\":{\"count\":3}," CH "}");
	alert_eval_set_rules(e, &r, 1);
	alert_rule_clear(&r);
	fail_at(e, "f", "wf", T0 + 20 * MIN_MS + 2);
	assert_int_equal(nf, 0);
	fail_at(e, "g", "wf", T0 + 20 * MIN_MS + 3);
	fail_at(e, "h", "wf", T0 + 20 * MIN_MS + 4);
	assert_int_equal(nf, 1);
	outputs_reset();

	/* A rule removed takes its state along: put back at once, inside the
	 * cooldown of its last firing and with that run already reported, it
	 * counts a new run from zero and fires on its third failure. */
	alert_eval_set_rules(e, NULL, 0);
	assert_int_equal(alert_eval_pair_count(e), 0);
	rule_from(&r, "{\"id\":\"r2\",\"name\":\"n\",\"type\":\"consecutive_failures\",\"severity\":\"error\","
		      "\"workflow_id\":\"wf\",\"conditions\":{\"count\":3}," CH "}");
	alert_eval_set_rules(e, &r, 1);
	alert_rule_clear(&r);
	fail_at(e, "i", "wf", T0 + 20 * MIN_MS + 5);
	fail_at(e, "j", "wf", T0 + 20 * MIN_MS + 6);
	assert_int_equal(nf, 0);
	fail_at(e, "k", "wf", T0 + 20 * MIN_MS + 7);
	assert_int_equal(nf, 1);
	outputs_reset();
	alert_eval_free(e);
}

static void test_bounded_pairs(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r1\",\"name\":\"f\",\"type\":\"execution_failed\","
					 "\"severity\":\"error\"," CH "}");
	size_t total = 0;
	for (int i = 0; i < ALERT_EVAL_MAX_PAIRS + 50; i++) {
		char wf[32];
		snprintf(wf, sizeof wf, "wf-%d", i);
		fail_at(e, "x", wf, T0 + i);
		total += nf;
	}
	assert_int_equal(total, ALERT_EVAL_MAX_PAIRS + 50);
	assert_int_equal(alert_eval_pair_count(e), ALERT_EVAL_MAX_PAIRS);
	/* The most recent pairs keep their cooldown: wf-50 on survive, wf-0 to
	 * wf-49 went, oldest first. */
	char wf[32];
	snprintf(wf, sizeof wf, "wf-%d", ALERT_EVAL_MAX_PAIRS + 49);
	fail_at(e, "y", wf, T0 + MIN_MS);
	assert_int_equal(nf, 0);
	fail_at(e, "y", "wf-50", T0 + MIN_MS);
	assert_int_equal(nf, 0);
	/* The youngest evicted one lost its cooldown and fires again; making
	 * room for it evicts the least recently used, wf-51, not wf-50 that
	 * was just used though created earlier. */
	fail_at(e, "y", "wf-49", T0 + MIN_MS);
	assert_int_equal(nf, 1);
	assert_int_equal(alert_eval_pair_count(e), ALERT_EVAL_MAX_PAIRS);
	fail_at(e, "y", "wf-50", T0 + MIN_MS);
	assert_int_equal(nf, 0);
	fail_at(e, "y", "wf-51", T0 + MIN_MS);
	assert_int_equal(nf, 1);
	outputs_reset();
	alert_eval_free(e);
}

static void test_full_output_retries(void **state)
{
	(void)state;
	struct alert_eval *e = eval_with("{\"id\":\"r6\",\"name\":\"backlog\",\"type\":\"queue_backlog\",\"severity\":\"warning\","
					 "\"conditions\":{\"threshold\":10}," CH "}");
	const char *names[] = { "queue_depth" };
	double values[] = { 50 };
	struct alert_metrics m = { names, values, 1, NULL, 0, NULL, 0 };
	outputs_reset();
	alert_eval_on_tick(e, &m, T0, fired, 0, &nf, cleared, 0, &nc);
	assert_int_equal(nf, 0);
	/* No room meant no firing, so no cooldown either: the next tick fires. */
	tick(e, "queue_depth", 50, NULL, 0, T0 + 1000);
	assert_int_equal(nf, 1);
	outputs_reset();
	alert_eval_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_execution_failed, teardown),
		cmocka_unit_test_teardown(test_polish_texts, teardown),
		cmocka_unit_test_teardown(test_consecutive_fires_once, teardown),
		cmocka_unit_test_teardown(test_consecutive_cancelled_does_not_reset, teardown),
		cmocka_unit_test_teardown(test_error_rate, teardown),
		cmocka_unit_test_teardown(test_error_rate_retried_success_once, teardown),
		cmocka_unit_test_teardown(test_error_rate_window_expires, teardown),
		cmocka_unit_test_teardown(test_slow_execution, teardown),
		cmocka_unit_test_teardown(test_running_long, teardown),
		cmocka_unit_test_teardown(test_queue_backlog, teardown),
		cmocka_unit_test_teardown(test_resource_and_custom, teardown),
		cmocka_unit_test_teardown(test_cooldown_after_restart, teardown),
		cmocka_unit_test_teardown(test_scope_and_disabled, teardown),
		cmocka_unit_test_teardown(test_set_rules_keeps_state, teardown),
		cmocka_unit_test_teardown(test_bounded_pairs, teardown),
		cmocka_unit_test_teardown(test_full_output_retries, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
