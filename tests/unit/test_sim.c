/* test_sim.c: the simulator's model. The catalogue is a set of DAGs; a seed
 * fixes the event sequence; every generated event passes the protocol's own
 * validator; within an execution, steps start only after their dependencies
 * complete and the terminal event comes last. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "sim.h"

struct collect {
	char **lines;
	size_t n, cap;
};

static void collect_emit(json_t *ev, void *arg)
{
	struct collect *c = arg;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->lines = realloc(c->lines, c->cap * sizeof *c->lines);
	}
	c->lines[c->n++] = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(ev);
}

static void collect_free(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->lines[i]);
	free(c->lines);
	memset(c, 0, sizeof *c);
}

/* Runs the engine in fast-forward until done, or until `until` virtual ms
 * and then a graceful stop. */
static void run(const struct sim_options *opt, int64_t until, struct collect *out)
{
	char cause[256];
	struct sim *s = sim_new(opt, collect_emit, out, cause, sizeof cause);
	if (s == NULL)
		fail_msg("sim_new: %s", cause);
	bool stopped = false;
	while (!sim_done(s)) {
		if (!stopped && sim_next_due(s) > until) {
			sim_stop(s, false, "test over");
			stopped = true;
			continue;
		}
		assert_true(sim_step(s));
	}
	sim_free(s);
}

static void test_catalog_is_dags(void **state)
{
	(void)state;
	char cause[256] = "";
	if (sim_catalog_check(cause, sizeof cause) < 0)
		fail_msg("%s", cause);
	static const struct {
		const char *id;
		size_t steps;
	} expect[] = {
		{ "invoice-processing", 0 }, { "document-approval", 0 }, { "month-end-closing", 12 },
		{ "payment-processing", 8 }, { "vat-calculation", 0 }, { "jpk-generation", 6 },
		{ "daily-sync", 0 },
	};
	for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
		const struct sim_workflow_def *wf = sim_workflow_find(expect[i].id);
		if (wf == NULL)
			fail_msg("workflow %s missing", expect[i].id);
		if (expect[i].steps)
			assert_int_equal(wf->nsteps, expect[i].steps);
	}
	/* payment-processing: three checks run in parallel after validate-batch. */
	const struct sim_workflow_def *pay = sim_workflow_find("payment-processing");
	size_t deps[8];
	assert_int_equal(sim_step_deps(pay, 4, deps, 8), 3);
	assert_string_equal(pay->steps[4].id, "approve");
	assert_null(sim_workflow_find("no-such-workflow"));
}

/* Checks a month-end-closing execution.queued event's steps form a DAG. */
static void check_queued_dag(json_t *ev)
{
	json_t *steps = json_object_get(ev, "steps");
	size_t n = json_array_size(steps);
	assert_int_equal(n, 12);
	int indeg[12] = { 0 };
	bool done[12] = { false };
	for (size_t i = 0; i < n; i++)
		indeg[i] = (int)json_array_size(json_object_get(json_array_get(steps, i), "depends_on"));
	size_t ordered = 0;
	for (bool progress = true; progress;) {
		progress = false;
		for (size_t i = 0; i < n; i++) {
			if (done[i] || indeg[i])
				continue;
			done[i] = progress = true;
			ordered++;
			const char *id = json_string_value(json_object_get(json_array_get(steps, i), "id"));
			for (size_t j = 0; j < n; j++) {
				size_t k;
				json_t *d;
				json_array_foreach(json_object_get(json_array_get(steps, j), "depends_on"), k, d)
					if (strcmp(json_string_value(d), id) == 0)
						indeg[j]--;
			}
		}
	}
	assert_int_equal(ordered, 12);
}

static void test_seed_is_deterministic(void **state)
{
	(void)state;
	struct sim_options opt = { .seed = 2026, .rate_per_min = 20, .speed = 1, .workers = 4,
				   .once = "month-end-closing", .start_wall_ms = 1793491200000 };
	struct collect a = { 0 }, b = { 0 }, c = { 0 };
	run(&opt, INT64_MAX, &a);
	run(&opt, INT64_MAX, &b);
	assert_true(a.n > 20);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		assert_string_equal(a.lines[i], b.lines[i]);
	json_t *first = json_loads(a.lines[0], 0, NULL);
	assert_string_equal(json_string_value(json_object_get(first, "type")), "execution.queued");
	assert_string_equal(json_string_value(json_object_get(first, "workflow_id")),
			    "month-end-closing");
	check_queued_dag(first);
	json_decref(first);
	json_t *last = json_loads(a.lines[a.n - 1], 0, NULL);
	enum proto_event_kind k;
	assert_int_equal(proto_event_kind_parse(json_string_value(json_object_get(last, "type")), &k), 0);
	assert_true(proto_event_is_terminal(k));
	json_decref(last);

	opt.seed = 2027;
	run(&opt, INT64_MAX, &c);
	bool differs = c.n != a.n;
	for (size_t i = 0; !differs && i < a.n; i++)
		differs = strcmp(a.lines[i], c.lines[i]) != 0;
	assert_true(differs);
	collect_free(&a);
	collect_free(&b);
	collect_free(&c);
}

struct exec_track {
	char id[PROTO_MAX_ID + 1];
	json_t *steps;          /* the queued plan */
	json_t *completed;      /* object: step id -> true */
	bool ended;
};

/* An hour of all workflows: every event valid, ids unique, steps ordered by
 * their dependencies, nothing after a terminal event. */
static void test_events_valid_and_ordered(void **state)
{
	(void)state;
	struct sim_options opt = { .seed = 99, .rate_per_min = 30, .speed = 1, .workers = 4,
				   .start_wall_ms = 1793491200000 };
	struct collect out = { 0 };
	run(&opt, 3600 * 1000, &out);
	assert_true(out.n > 10000);
	json_t *ids = json_object();
	json_t *execs = json_object();
	bool seen_kind[EV__COUNT] = { false };
	for (size_t i = 0; i < out.n; i++) {
		json_t *ev = json_loads(out.lines[i], 0, NULL);
		struct proto_event pe;
		struct proto_cause cause;
		if (proto_event_validate(ev, &pe, &cause) < 0)
			fail_msg("invalid event at %s: %s\n%s", cause.field, cause.message, out.lines[i]);
		seen_kind[pe.kind] = true;
		if (json_object_get(ids, pe.event_id))
			fail_msg("event id %s repeated", pe.event_id);
		json_object_set_new(ids, pe.event_id, json_true());
		json_t *x = json_object_get(execs, pe.execution_id);
		if (pe.kind == EV_EXECUTION_QUEUED) {
			assert_null(x);
			x = json_pack("{s:O, s:{}, s:b}", "steps", json_object_get(ev, "steps"),
				      "completed", "ended", 0);
			json_object_set_new(execs, pe.execution_id, x);
		}
		assert_non_null(x);
		if (json_is_true(json_object_get(x, "ended")))
			fail_msg("event after the end of %s: %s", pe.execution_id, out.lines[i]);
		if (pe.kind == EV_STEP_STARTED) {
			size_t k;
			json_t *st;
			json_array_foreach(json_object_get(x, "steps"), k, st) {
				if (strcmp(json_string_value(json_object_get(st, "id")), pe.step_id))
					continue;
				size_t j;
				json_t *d;
				json_array_foreach(json_object_get(st, "depends_on"), j, d)
					if (!json_object_get(json_object_get(x, "completed"), json_string_value(d)))
						fail_msg("%s started before %s completed", pe.step_id,
							 json_string_value(d));
			}
		}
		if (pe.kind == EV_STEP_COMPLETED)
			json_object_set_new(json_object_get(x, "completed"), pe.step_id, json_true());
		if (proto_event_is_terminal(pe.kind))
			json_object_set_new(x, "ended", json_true());
		json_decref(ev);
	}
	/* Every execution ended (stop cancels the queued, the running finish). */
	const char *key;
	json_t *x;
	json_object_foreach(execs, key, x)
		if (!json_is_true(json_object_get(x, "ended")))
			fail_msg("execution %s never ended", key);
	/* Control events come only when an operator asks (test_control). */
	for (int k = 0; k < EV__COUNT; k++)
		if (!seen_kind[k] && k != EV_CONTROL_REQUESTED && k != EV_CONTROL_REPLIED)
			fail_msg("an hour produced no %s event", proto_event_kind_name((enum proto_event_kind)k));
	json_decref(ids);
	json_decref(execs);
	collect_free(&out);
}

/* daily-sync reports progress in days and counters that only grow. */
static void test_daily_sync_progress(void **state)
{
	(void)state;
	struct sim_options opt = { .seed = 5, .rate_per_min = 20, .speed = 10, .workers = 1,
				   .once = "daily-sync", .start_wall_ms = 1793491200000 };
	for (uint64_t seed = 1; seed <= 5; seed++) {
		opt.seed = seed;
		struct collect out = { 0 };
		run(&opt, INT64_MAX, &out);
		json_t *last_counter = json_object();
		size_t progress = 0;
		for (size_t i = 0; i < out.n; i++) {
			json_t *ev = json_loads(out.lines[i], 0, NULL);
			const char *type = json_string_value(json_object_get(ev, "type"));
			if (strcmp(type, "step.progress") == 0) {
				assert_string_equal(json_string_value(json_object_get(ev, "unit")), "days");
				assert_non_null(strstr(json_string_value(json_object_get(ev, "message")),
						       " days"));
				assert_true(json_integer_value(json_object_get(ev, "current")) <=
					    json_integer_value(json_object_get(ev, "total")));
				progress++;
			}
			if (strcmp(type, "counter") == 0) {
				const char *name = json_string_value(json_object_get(ev, "name"));
				assert_true(strcmp(name, "Meta insights fetched") == 0 ||
					    strcmp(name, "POS orders fetched") == 0);
				json_int_t v = json_integer_value(json_object_get(ev, "value"));
				assert_true(v > json_integer_value(json_object_get(last_counter, name)));
				json_object_set_new(last_counter, name, json_integer(v));
			}
			json_decref(ev);
		}
		assert_true(progress > 0);
		json_decref(last_counter);
		collect_free(&out);
	}
}

static void test_bad_options(void **state)
{
	(void)state;
	char cause[256];
	struct sim_options opt = { .seed = 1, .rate_per_min = 20, .speed = 1, .workers = 4,
				   .workflows = "invoice-processing,nope" };
	assert_null(sim_new(&opt, collect_emit, NULL, cause, sizeof cause));
	assert_non_null(strstr(cause, "nope"));
	opt.workflows = NULL;
	opt.once = "nope";
	assert_null(sim_new(&opt, collect_emit, NULL, cause, sizeof cause));
	opt.once = NULL;
	opt.speed = 0;
	assert_null(sim_new(&opt, collect_emit, NULL, cause, sizeof cause));
}

/* --workflows limits arrivals to the subset. */
static void test_workflow_subset(void **state)
{
	(void)state;
	struct sim_options opt = { .seed = 3, .rate_per_min = 60, .speed = 1, .workers = 4,
				   .workflows = "jpk-generation,vat-calculation" };
	struct collect out = { 0 };
	run(&opt, 600 * 1000, &out);
	assert_true(out.n > 0);
	for (size_t i = 0; i < out.n; i++)
		assert_true(strstr(out.lines[i], "\"workflow_id\":\"jpk-generation\"") ||
			    strstr(out.lines[i], "\"workflow_id\":\"vat-calculation\""));
	collect_free(&out);
}

/* "123.45" (or "-1.05") as grosze. */
static long long money(const char *s)
{
	assert_non_null(s);
	bool neg = *s == '-';
	long long whole = 0, frac = 0;
	assert_int_equal(sscanf(s + neg, "%lld.%2lld", &whole, &frac), 2);
	return (neg ? -1 : 1) * (whole * 100 + frac);
}

static json_t *line_json(const struct collect *c, size_t i)
{
	json_t *ev = json_loads(c->lines[i], 0, NULL);
	assert_non_null(ev);
	return ev;
}

/* The simulator's accounting adds up: in every VAT return, what is due is
 * output VAT less input VAT, and the execution's output shows that figure;
 * a JPK submission logs the UPO only when it did not fail. */
static void test_accounting_adds_up(void **state)
{
	(void)state;
	struct sim_options opt = { .seed = 11, .rate_per_min = 240, .speed = 1, .workers = 8,
				   .workflows = "jpk-generation,vat-calculation" };
	struct collect out = { 0 };
	run(&opt, 3600 * 1000, &out);
	int returns = 0, checked_outputs = 0, upo_logs = 0, failed_submits = 0;
	json_t *due_by_exec = json_object();
	json_t *upo_by_exec = json_object();
	for (size_t i = 0; i < out.n; i++) {
		json_t *ev = line_json(&out, i);
		const char *type = json_string_value(json_object_get(ev, "type"));
		const char *xid = json_string_value(json_object_get(ev, "execution_id"));
		const char *step = json_string_value(json_object_get(ev, "step_id"));
		json_t *o = json_object_get(ev, "output");
		if (strcmp(type, "step.completed") == 0 && strcmp(step, "compute-vat") == 0) {
			long long outv = money(json_string_value(json_object_get(o, "output_vat_pln")));
			long long inv = money(json_string_value(json_object_get(o, "input_vat_pln")));
			long long due = money(json_string_value(json_object_get(o, "due_pln")));
			assert_int_equal(due, outv - inv);
			assert_true(due >= 0);
			json_object_set_new(due_by_exec, xid, json_integer(due));
			returns++;
		}
		if (strcmp(type, "execution.completed") == 0 && json_object_get(o, "vat_due_pln")) {
			json_t *due = json_object_get(due_by_exec, xid);
			assert_non_null(due);
			assert_int_equal(money(json_string_value(json_object_get(o, "vat_due_pln"))),
					 json_integer_value(due));
			checked_outputs++;
		}
		if (strcmp(type, "log") == 0 && strstr(json_string_value(json_object_get(ev, "message")), "UPO received")) {
			json_object_set_new(upo_by_exec, xid, json_true());
			upo_logs++;
		}
		if (strcmp(type, "step.failed") == 0 && strcmp(step, "submit") == 0) {
			assert_null(json_object_get(upo_by_exec, xid));
			failed_submits++;
		}
		if (strcmp(type, "step.completed") == 0 && strcmp(step, "submit") == 0)
			assert_non_null(json_object_get(upo_by_exec, xid));
		json_decref(ev);
	}
	json_decref(due_by_exec);
	json_decref(upo_by_exec);
	/* The run must have exercised every rule, or it proves nothing. */
	assert_true(returns > 10);
	assert_true(checked_outputs > 10);
	assert_true(upo_logs > 10);
	assert_true(failed_submits > 0);
	print_message("VAT returns %d, outputs checked %d, UPOs %d, failed submissions %d\n", returns,
		      checked_outputs, upo_logs, failed_submits);
	collect_free(&out);
}

/* The last event of a kind, and of an execution when xid is not NULL. */
static json_t *last_of(const struct collect *c, size_t from, const char *type, const char *xid)
{
	for (size_t i = c->n; i-- > from;) {
		json_t *ev = json_loads(c->lines[i], 0, NULL);
		if (strcmp(json_string_value(json_object_get(ev, "type")), type) == 0 &&
		    (xid == NULL || strcmp(json_string_value(json_object_get(ev, "execution_id")), xid) == 0))
			return ev;
		json_decref(ev);
	}
	return NULL;
}

/* An operator's cancel and retry (the control room): answered with
 * control.replied, then done: a running execution is cancelled, a failed one
 * runs again as attempt 2 under its id; what cannot be done is refused with
 * a reason; another producer's executions are not ours to answer. */
static void test_control(void **state)
{
	(void)state;
	struct sim_options opt = { .seed = 11, .rate_per_min = 120, .speed = 20, .workers = 3,
				   .start_wall_ms = 1793491200000 };
	struct collect out = { 0 };
	char cause[256];
	struct sim *s = sim_new(&opt, collect_emit, &out, cause, sizeof cause);
	assert_non_null(s);
	/* Run until something failed and something runs. */
	json_t *failed = NULL, *running = NULL;
	for (int i = 0; i < 200000 && failed == NULL; i++) {
		assert_true(sim_step(s));
		failed = last_of(&out, out.n ? out.n - 1 : 0, "execution.failed", NULL);
	}
	/* ... then until an execution has just started: it runs now. */
	for (int i = 0; i < 200000 && running == NULL; i++) {
		size_t before = out.n;
		assert_true(sim_step(s));
		for (size_t k = before; k < out.n && running == NULL; k++)
			if (strstr(out.lines[k], "\"type\":\"execution.started\"") != NULL && k + 1 == out.n)
				running = json_loads(out.lines[k], 0, NULL);
		if (running == NULL && out.n > 0)
			running = last_of(&out, out.n - 1, "step.started", NULL);
	}
	assert_non_null(failed);
	assert_non_null(running);
	char fid[PROTO_MAX_ID + 1], rid[PROTO_MAX_ID + 1], wf[PROTO_MAX_ID + 1];
	snprintf(fid, sizeof fid, "%s", json_string_value(json_object_get(failed, "execution_id")));
	snprintf(rid, sizeof rid, "%s", json_string_value(json_object_get(running, "execution_id")));
	snprintf(wf, sizeof wf, "%s", json_string_value(json_object_get(failed, "workflow_id")));
	const char *rwf = json_string_value(json_object_get(running, "workflow_id"));

	/* Cancel the running one. */
	size_t mark = out.n;
	assert_true(sim_control(s, CONTROL_CANCEL, rid, rwf, "ctl-1", "olga"));
	json_t *reply = last_of(&out, mark, "control.replied", rid);
	assert_non_null(reply);
	assert_true(json_is_true(json_object_get(reply, "accepted")));
	assert_string_equal(json_string_value(json_object_get(reply, "request_id")), "ctl-1");
	json_t *cancelled = last_of(&out, mark, "execution.cancelled", rid);
	assert_non_null(cancelled);
	assert_string_equal(json_string_value(json_object_get(cancelled, "reason")), "cancelled by olga");
	json_decref(reply);
	json_decref(cancelled);
	/* Again: it already finished. */
	mark = out.n;
	assert_true(sim_control(s, CONTROL_CANCEL, rid, rwf, "ctl-2", "olga"));
	reply = last_of(&out, mark, "control.replied", rid);
	assert_true(json_is_false(json_object_get(reply, "accepted")));
	assert_non_null(strstr(json_string_value(json_object_get(reply, "reason")), "already finished"));
	json_decref(reply);

	/* Retry the failed one: the same id, attempt 2. */
	mark = out.n;
	assert_true(sim_control(s, CONTROL_RETRY, fid, wf, "ctl-3", "piotr"));
	reply = last_of(&out, mark, "control.replied", fid);
	assert_true(json_is_true(json_object_get(reply, "accepted")));
	json_decref(reply);
	json_t *queued = last_of(&out, mark, "execution.queued", fid);
	assert_non_null(queued);
	assert_int_equal(json_integer_value(json_object_get(queued, "attempt")), 2);
	json_decref(queued);
	/* It runs to its end as attempt 2, its steps past their earlier attempts. */
	json_t *end = NULL;
	for (int i = 0; i < 200000 && end == NULL; i++) {
		assert_true(sim_step(s));
		end = last_of(&out, out.n - 1, "execution.completed", fid);
		if (end == NULL)
			end = last_of(&out, out.n - 1, "execution.failed", fid);
		if (end == NULL)
			end = last_of(&out, out.n - 1, "execution.cancelled", fid);
	}
	assert_non_null(end);
	assert_int_equal(json_integer_value(json_object_get(end, "attempt")), 2);
	json_decref(end);
	json_t *step = last_of(&out, mark, "step.started", fid);
	assert_non_null(step);
	assert_true(json_integer_value(json_object_get(step, "attempt")) >= 2);
	json_decref(step);

	/* Unknown to it, though its own: refused; another producer's: not answered. */
	char unknown[PROTO_MAX_ID + 1];
	snprintf(unknown, sizeof unknown, "%.12s999999", fid);
	mark = out.n;
	assert_true(sim_control(s, CONTROL_RETRY, unknown, wf, "ctl-4", "piotr"));
	reply = last_of(&out, mark, "control.replied", unknown);
	assert_true(json_is_false(json_object_get(reply, "accepted")));
	json_decref(reply);
	mark = out.n;
	assert_false(sim_control(s, CONTROL_CANCEL, "ex-other-000001", wf, "ctl-5", "piotr"));
	assert_int_equal(out.n, mark);
	/* Every event it made is valid. */
	for (size_t i = 0; i < out.n; i++) {
		json_t *ev = json_loads(out.lines[i], 0, NULL);
		struct proto_cause c;
		if (proto_event_validate(ev, NULL, &c) != 0)
			fail_msg("invalid: %s: %s in %s", c.field, c.message, out.lines[i]);
		json_decref(ev);
	}
	json_decref(failed);
	json_decref(running);
	sim_free(s);
	collect_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_is_dags),
		cmocka_unit_test(test_seed_is_deterministic),
		cmocka_unit_test(test_events_valid_and_ordered),
		cmocka_unit_test(test_daily_sync_progress),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_workflow_subset),
		cmocka_unit_test(test_accounting_adds_up),
		cmocka_unit_test(test_control),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
