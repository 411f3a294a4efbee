/* test_monitor_messages.c: the numbers the daemon computes and the console
 * shows, each through its one writer and one reader: the queue's numbers
 * (queue_numbers.h), a resource sample (resource_sample.h) and the step
 * statistics (step_stats.h). Round trips, "unknown" kept as unknown, and
 * every missing, wrong-typed or out-of-bounds member refused by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue_numbers.h"
#include "resource_sample.h"
#include "step_stats.h"

#define T0 1795409578512LL

/* Through text, as it travels. */
static json_t *through_text(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);
	json_t *back = json_loads(text, 0, NULL);
	free(text);
	json_decref(j);
	assert_non_null(back);
	return back;
}

/* A member set to a JSON value (NULL: removed), addressed as "a.b". */
static void member_set(json_t *j, const char *path, const char *value)
{
	char key[64];
	snprintf(key, sizeof key, "%s", path);
	char *dot = strchr(key, '.');
	if (dot != NULL) {
		*dot = '\0';
		j = json_object_get(j, key);
		assert_non_null(j);
		memmove(key, dot + 1, strlen(dot + 1) + 1);
	}
	if (value == NULL) {
		json_object_del(j, key);
		return;
	}
	json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
	if (v == NULL)
		fail_msg("bad test value %s", value);
	json_object_set_new(j, key, v);
}

struct bad_case {
	const char *member;   /* "key" or "object.key" */
	const char *value;    /* JSON, NULL: removed */
	const char *field;    /* what the reader must name */
};

typedef int (*reader_fn)(json_t *j, void *out, struct proto_cause *cause);

static void bad_cases_run(json_t *good, const struct bad_case *cases, size_t n, reader_fn read, void *out,
			  void (*clear)(void *))
{
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_deep_copy(good);
		member_set(j, cases[i].member, cases[i].value);
		struct proto_cause cause;
		memset(&cause, 0, sizeof cause);
		if (read(j, out, &cause) == 0) {
			if (clear)
				clear(out);
			fail_msg("case %zu (%s = %s) accepted", i, cases[i].member, cases[i].value ? cases[i].value : "absent");
		}
		if (strcmp(cause.field, cases[i].field) != 0)
			fail_msg("case %zu: error at \"%s\" (%s), want \"%s\"", i, cause.field, cause.message,
				 cases[i].field);
		assert_true(strlen(cause.message) > 5);
		json_decref(j);
	}
}

/* ---- queue numbers ---------------------------------------------------------------------- */

static int queue_read(json_t *j, void *out, struct proto_cause *cause)
{
	return queue_numbers_parse(j, out, cause);
}

static struct queue_numbers queue_full(void)
{
	struct queue_numbers n = {
		.depth = 1500, .by_priority = { 10, 1000, 490 }, .untracked = 490, .has_oldest = true,
		.oldest_queued_ms = T0, .oldest_age_ms = 4000, .avg_wait_ms = 41000, .wait_samples = 12,
		.finished_in_window = 17, .rate_per_min = 3.4, .eta_ms = 26470588, .backlog = true, .threshold = 100,
	};
	snprintf(n.oldest_id, sizeof n.oldest_id, "ex-1");
	return n;
}

static void queue_equal(const struct queue_numbers *a, const struct queue_numbers *b)
{
	assert_true(a->depth == b->depth && a->untracked == b->untracked);
	for (int p = 0; p < PRIO__COUNT; p++)
		assert_true(a->by_priority[p] == b->by_priority[p]);
	assert_int_equal(a->has_oldest, b->has_oldest);
	assert_string_equal(a->oldest_id, b->oldest_id);
	assert_true(a->oldest_queued_ms == b->oldest_queued_ms && a->oldest_age_ms == b->oldest_age_ms);
	assert_true(a->avg_wait_ms == b->avg_wait_ms && a->wait_samples == b->wait_samples);
	assert_true(a->finished_in_window == b->finished_in_window);
	assert_true(a->rate_per_min == b->rate_per_min && a->eta_ms == b->eta_ms);
	assert_int_equal(a->backlog, b->backlog);
	assert_true(a->threshold == b->threshold);
}

static void test_queue_round_trip(void **state)
{
	(void)state;
	struct queue_numbers cases[2] = { queue_full(), { .avg_wait_ms = -1, .eta_ms = 0, .threshold = 100 } };
	for (size_t i = 0; i < 2; i++) {
		struct queue_numbers got;
		struct proto_cause cause;
		json_t *j = through_text(queue_numbers_json_new(&cases[i]));
		if (queue_numbers_parse(j, &got, &cause) != 0)
			fail_msg("%zu: %s: %s", i, cause.field, cause.message);
		queue_equal(&got, &cases[i]);
		json_decref(j);
	}
	/* Unknown numbers travel as null and come back unknown. */
	struct queue_numbers n = queue_full(), got;
	n.avg_wait_ms = -1;
	n.eta_ms = -1;
	n.has_oldest = false;
	n.oldest_id[0] = '\0';
	n.oldest_queued_ms = n.oldest_age_ms = 0;
	json_t *j = queue_numbers_json_new(&n);
	assert_true(json_is_null(json_object_get(j, "avg_wait_ms")));
	assert_true(json_is_null(json_object_get(j, "eta_ms")));
	assert_true(json_is_null(json_object_get(j, "oldest")));
	struct proto_cause cause;
	assert_int_equal(queue_numbers_parse(j, &got, &cause), 0);
	queue_equal(&got, &n);
	/* Optional members left out read as none. */
	json_object_del(j, "untracked");
	json_object_del(j, "wait_samples");
	json_object_del(j, "avg_wait_ms");
	assert_int_equal(queue_numbers_parse(j, &got, &cause), 0);
	assert_int_equal(got.untracked, 0);
	assert_int_equal(got.wait_samples, 0);
	assert_int_equal(got.avg_wait_ms, -1);
	json_decref(j);
}

static const struct bad_case queue_bad[] = {
	{ "depth", NULL, "depth" },
	{ "depth", "-1", "depth" },
	{ "depth", "2.5", "depth" },
	{ "by_priority", NULL, "by_priority" },
	{ "by_priority", "[1,2,3]", "by_priority" },
	{ "by_priority.HIGH", NULL, "by_priority.HIGH" },
	{ "by_priority.LOW", "\"3\"", "by_priority.LOW" },
	{ "untracked", "true", "untracked" },
	{ "oldest", "7", "oldest" },
	{ "oldest.execution_id", "\"a b\"", "oldest.execution_id" },
	{ "oldest.queued_ms", NULL, "oldest.queued_ms" },
	{ "oldest.age_ms", "-5", "oldest.age_ms" },
	{ "avg_wait_ms", "-2", "avg_wait_ms" },
	{ "wait_samples", "\"12\"", "wait_samples" },
	{ "finished_in_window", "-1", "finished_in_window" },
	{ "rate_per_min", "-0.5", "rate_per_min" },
	{ "rate_per_min", "\"fast\"", "rate_per_min" },
	{ "eta_ms", "-7", "eta_ms" },
	{ "backlog", NULL, "backlog" },
	{ "backlog", "1", "backlog" },
	{ "threshold", NULL, "threshold" },
};

static void test_queue_bad(void **state)
{
	(void)state;
	struct queue_numbers n = queue_full(), out;
	json_t *good = queue_numbers_json_new(&n);
	bad_cases_run(good, queue_bad, sizeof queue_bad / sizeof queue_bad[0], queue_read, &out, NULL);
	struct proto_cause cause;
	json_t *x = json_string("x");
	assert_int_equal(queue_numbers_parse(x, &out, &cause), -1);
	json_decref(x);
	json_decref(good);
}

/* ---- resource samples ------------------------------------------------------------------- */

static int sample_read(json_t *j, void *out, struct proto_cause *cause)
{
	return resource_sample_parse(j, out, cause);
}

static void sample_full(struct resource_sample *s)
{
	resource_sample_init(s);
	s->at_ms = T0;
	s->host_cpu = 95.5;
	s->mem_total = 24LL << 30;
	s->mem_available = 3LL << 30;
	s->load[0] = 1.25;
	s->load[1] = 0.5;
	s->load[2] = 0.125;
	s->daemon_cpu = 150.5;
	s->daemon_rss = 48LL << 20;
	snprintf(s->db_state, sizeof s->db_state, "up");
	s->db_active = 3;
	s->db_idle = 2;
	s->db_total = 5;
	s->db_max = 100;
	s->ws_connections = 42;
	s->events_in = 1250.5;
	s->events_out = 9000;
	s->queue_depth = 7;
	for (uint32_t i = 0; i < RESOURCE_TOP_CONSUMERS; i++) {
		struct resource_consumer *c = &s->top[s->ntop++];
		snprintf(c->workflow_id, sizeof c->workflow_id, "wf-%u", i);
		c->cpu_percent = 80.0 - i;
		c->memory_bytes = 1000 + i;
		c->executions = i + 1;
	}
	s->cpu_threshold = 80;
	s->warning = true;
}

static void sample_equal(const struct resource_sample *a, const struct resource_sample *b)
{
	assert_true(a->at_ms == b->at_ms);
	assert_true(a->host_cpu == b->host_cpu);
	assert_true(a->mem_total == b->mem_total && a->mem_available == b->mem_available);
	for (int i = 0; i < 3; i++)
		assert_true(a->load[i] == b->load[i]);
	assert_true(a->daemon_cpu == b->daemon_cpu && a->daemon_rss == b->daemon_rss);
	assert_string_equal(a->db_state, b->db_state);
	assert_true(a->db_active == b->db_active && a->db_idle == b->db_idle && a->db_total == b->db_total &&
		    a->db_max == b->db_max);
	assert_true(a->ws_connections == b->ws_connections);
	assert_true(a->events_in == b->events_in && a->events_out == b->events_out);
	assert_true(a->queue_depth == b->queue_depth);
	assert_int_equal(a->ntop, b->ntop);
	for (uint32_t i = 0; i < a->ntop; i++) {
		assert_string_equal(a->top[i].workflow_id, b->top[i].workflow_id);
		assert_true(a->top[i].cpu_percent == b->top[i].cpu_percent);
		assert_true(a->top[i].memory_bytes == b->top[i].memory_bytes);
		assert_true(a->top[i].executions == b->top[i].executions);
	}
	assert_true(a->cpu_threshold == b->cpu_threshold);
	assert_int_equal(a->warning, b->warning);
}

static void test_sample_round_trip(void **state)
{
	(void)state;
	struct resource_sample a, b;
	struct proto_cause cause;
	sample_full(&a);
	json_t *j = through_text(resource_sample_json_new(&a));
	if (resource_sample_parse(j, &b, &cause) != 0)
		fail_msg("%s: %s", cause.field, cause.message);
	sample_equal(&a, &b);
	json_decref(j);

	/* Everything unknown: null on the wire, unknown again after. */
	resource_sample_init(&a);
	a.at_ms = T0;
	j = resource_sample_json_new(&a);
	assert_true(json_is_null(json_object_get(json_object_get(j, "host"), "cpu_percent")));
	assert_true(json_is_null(json_object_get(json_object_get(j, "database"), "active")));
	assert_true(json_is_null(json_array_get(json_object_get(json_object_get(j, "host"), "load"), 2)));
	assert_int_equal(resource_sample_parse(j, &b, &cause), 0);
	sample_equal(&a, &b);
	json_decref(j);

	/* Parts left out read as unknown (a database that is down has no counts). */
	j = json_pack("{s:s,s:{s:s},s:b}", "at", "2026-11-23T04:00:00.000Z", "database", "state", "down",
		      "warning", 0);
	assert_int_equal(resource_sample_parse(j, &b, &cause), 0);
	assert_string_equal(b.db_state, "down");
	assert_true(b.db_active == -1 && b.host_cpu < 0 && b.mem_total == -1 && b.load[0] < 0);
	assert_int_equal(b.ntop, 0);
	json_decref(j);
}

/* Consumers past RESOURCE_TOP_CONSUMERS are left out, not refused. */
static void test_sample_bounds(void **state)
{
	(void)state;
	struct resource_sample a, b;
	struct proto_cause cause;
	sample_full(&a);
	json_t *j = resource_sample_json_new(&a);
	json_t *top = json_object_get(j, "top_consumers");
	for (int i = 0; i < 10; i++)
		json_array_append_new(top, json_pack("{s:s,s:f}", "workflow_id", "late", "cpu_percent", 1.0));
	assert_int_equal(resource_sample_parse(j, &b, &cause), 0);
	assert_int_equal(b.ntop, RESOURCE_TOP_CONSUMERS);
	assert_string_equal(b.top[RESOURCE_TOP_CONSUMERS - 1].workflow_id, "wf-4");
	json_decref(j);
}

static const struct bad_case sample_bad[] = {
	{ "at", NULL, "at" },
	{ "at", "\"now\"", "at" },
	{ "host", "[]", "host" },
	{ "host.cpu_percent", "101", "host.cpu_percent" },
	{ "host.cpu_percent", "\"hot\"", "host.cpu_percent" },
	{ "host.mem_total_bytes", "-1", "host.mem_total_bytes" },
	{ "host.load", "[1,2,3,4]", "host.load" },
	{ "host.load", "[1,\"x\",3]", "host.load[1]" },
	{ "daemon", "\"up\"", "daemon" },
	{ "daemon.rss_bytes", "1.5", "daemon.rss_bytes" },
	{ "database.state", "7", "database.state" },
	{ "database.state", "\"a state longer than twenty-three bytes\"", "database.state" },
	{ "database.active", "-3", "database.active" },
	{ "websocket.connections", "\"4\"", "websocket.connections" },
	{ "events_per_s.in", "-1", "events_per_s.in" },
	{ "queue_depth", "true", "queue_depth" },
	{ "top_consumers", "{}", "top_consumers" },
	{ "top_consumers", "[3]", "top_consumers[0]" },
	{ "top_consumers", "[{\"cpu_percent\":3}]", "top_consumers[0].workflow_id" },
	{ "top_consumers", "[{\"workflow_id\":\"w\",\"executions\":-1}]", "top_consumers[0].executions" },
	{ "cpu_threshold", "150", "cpu_threshold" },
	{ "warning", "\"no\"", "warning" },
};

static void test_sample_bad(void **state)
{
	(void)state;
	struct resource_sample a, out;
	sample_full(&a);
	json_t *good = resource_sample_json_new(&a);
	bad_cases_run(good, sample_bad, sizeof sample_bad / sizeof sample_bad[0], sample_read, &out, NULL);
	json_decref(good);
}

/* ---- step statistics -------------------------------------------------------------------- */

static int stats_read(json_t *j, void *out, struct proto_cause *cause)
{
	return step_stats_parse(j, out, cause);
}

static void stats_clear(void *st)
{
	step_stats_clear(st);
}

static void stats_full(struct step_stats *st, uint32_t n)
{
	memset(st, 0, sizeof *st);
	snprintf(st->workflow_id, sizeof st->workflow_id, "payments");
	st->runs = 20;
	for (uint32_t i = 0; i < n; i++) {
		struct step_stat *s = step_stats_add(st);
		assert_non_null(s);
		snprintf(s->step_id, sizeof s->step_id, "step-%u", i);
		snprintf(s->name, sizeof s->name, "Krok %u", i);
		s->count = 20 - i % 3;
		s->avg_ms = 2250.25 + i;
		s->p95_ms = 2850.4 + i;
		s->min_ms = 2000;
		s->max_ms = 3000 + i;
	}
}

static void test_stats_round_trip(void **state)
{
	(void)state;
	struct step_stats a, b;
	struct proto_cause cause;
	for (uint32_t n = 0; n <= 40; n += 20) {
		stats_full(&a, n);
		json_t *j = through_text(step_stats_json_new(&a));
		if (step_stats_parse(j, &b, &cause) != 0)
			fail_msg("%s: %s", cause.field, cause.message);
		assert_string_equal(b.workflow_id, a.workflow_id);
		assert_true(b.runs == a.runs);
		assert_int_equal(b.nsteps, n);
		for (uint32_t i = 0; i < n; i++) {
			assert_string_equal(b.steps[i].step_id, a.steps[i].step_id);
			assert_string_equal(b.steps[i].name, a.steps[i].name);
			assert_true(b.steps[i].count == a.steps[i].count);
			assert_true(b.steps[i].avg_ms == a.steps[i].avg_ms);
			assert_true(b.steps[i].p95_ms == a.steps[i].p95_ms);
			assert_true(b.steps[i].min_ms == a.steps[i].min_ms);
			assert_true(b.steps[i].max_ms == a.steps[i].max_ms);
		}
		step_stats_clear(&b);
		step_stats_clear(&a);
		json_decref(j);
	}
}

/* At most PROTO_MAX_STEPS: the writer's side stops adding, the reader refuses more. */
static void test_stats_bounds(void **state)
{
	(void)state;
	struct step_stats a, b;
	struct proto_cause cause;
	stats_full(&a, PROTO_MAX_STEPS);
	assert_null(step_stats_add(&a));
	json_t *j = step_stats_json_new(&a);
	assert_int_equal(step_stats_parse(j, &b, &cause), 0);
	assert_int_equal(b.nsteps, PROTO_MAX_STEPS);
	step_stats_clear(&b);
	json_array_append(json_object_get(j, "steps"), json_array_get(json_object_get(j, "steps"), 0));
	assert_int_equal(step_stats_parse(j, &b, &cause), -1);
	assert_string_equal(cause.field, "steps");
	json_decref(j);
	step_stats_clear(&a);
}

static const struct bad_case stats_bad[] = {
	{ "workflow_id", NULL, "workflow_id" },
	{ "workflow_id", "\"\"", "workflow_id" },
	{ "runs", "-1", "runs" },
	{ "runs", "\"20\"", "runs" },
	{ "steps", NULL, "steps" },
	{ "steps", "{}", "steps" },
	{ "steps", "[1]", "steps[0]" },
	{ "steps", "[{\"name\":\"A\",\"count\":1,\"avg_ms\":1,\"p95_ms\":1,\"min_ms\":1,\"max_ms\":1}]",
	  "steps[0].step_id" },
	{ "steps", "[{\"step_id\":\"a\",\"name\":\"A\",\"count\":0,\"avg_ms\":1,\"p95_ms\":1,\"min_ms\":1,\"max_ms\":1}]",
	  "steps[0].count" },
	{ "steps", "[{\"step_id\":\"a\",\"name\":\"A\",\"count\":1,\"avg_ms\":\"1\",\"p95_ms\":1,\"min_ms\":1,"
		   "\"max_ms\":1}]", "steps[0].avg_ms" },
	{ "steps", "[{\"step_id\":\"a\",\"name\":\"A\",\"count\":1,\"avg_ms\":1,\"p95_ms\":-1,\"min_ms\":1,"
		   "\"max_ms\":1}]", "steps[0].p95_ms" },
	{ "steps", "[{\"step_id\":\"a\",\"name\":\"A\",\"count\":1,\"avg_ms\":1,\"p95_ms\":1,\"min_ms\":1.5,"
		   "\"max_ms\":1}]", "steps[0].min_ms" },
	{ "steps", "[{\"step_id\":\"a\",\"name\":\"A\",\"count\":1,\"avg_ms\":1,\"p95_ms\":1,\"min_ms\":1}]",
	  "steps[0].max_ms" },
};

static void test_stats_bad(void **state)
{
	(void)state;
	struct step_stats a, out;
	stats_full(&a, 3);
	json_t *good = step_stats_json_new(&a);
	step_stats_clear(&a);
	bad_cases_run(good, stats_bad, sizeof stats_bad / sizeof stats_bad[0], stats_read, &out, stats_clear);
	json_decref(good);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_round_trip),
		cmocka_unit_test(test_queue_bad),
		cmocka_unit_test(test_sample_round_trip),
		cmocka_unit_test(test_sample_bounds),
		cmocka_unit_test(test_sample_bad),
		cmocka_unit_test(test_stats_round_trip),
		cmocka_unit_test(test_stats_bounds),
		cmocka_unit_test(test_stats_bad),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
