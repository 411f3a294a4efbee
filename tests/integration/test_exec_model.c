/* test_exec_model.c: the one execution model (src/proto/exec.c, through the
 * daemon's live state) and the SQL apply (wfmon_apply_events, through the
 * store thread and the store's queries) fed the same event scripts must
 * agree field by field: the whole execution, its summary and its event
 * count. The scripts cover events in order, out of order, retried (the same
 * id twice) and repeated (the same content under a new id), steps no plan
 * named, late and smaller counters, events after a terminal event, the
 * limits on steps, counters and log lines, and numbers that need every digit.
 * One private PostgreSQL cluster for the file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "exec.h"
#include "live.h"
#include "pg.h"
#include "proto.h"
#include "store.h"
#include "strmap.h"

static struct pgtest pg;
static struct store *store;
static int64_t next_pos = 1;
static uint64_t next_ticket = 1;
static const int64_t T0 = 1780000000000LL;   /* 2026-05-28 */
#define ORG "model"

/* ---- a script: the events of one execution ------------------------------- */

#define SCRIPT_MAX 1200

struct script {
	const char *exec_id;
	json_t *events[SCRIPT_MAX];
	size_t n;
	unsigned auto_id;
};

/* Adds an event of kind at T0 + dt ms; fields are the kind's own, as JSON
 * object text; id NULL for a fresh one. */
static void add(struct script *s, const char *id, const char *kind, int64_t dt, const char *fields)
{
	assert_true(s->n < SCRIPT_MAX);
	json_error_t err;
	json_t *o = json_loads(fields && fields[0] ? fields : "{}", 0, &err);
	if (o == NULL)
		fail_msg("bad test JSON %s: %s", fields, err.text);
	char auto_id[PROTO_MAX_ID + 1], ts[40];
	if (id == NULL) {
		snprintf(auto_id, sizeof auto_id, "%s.%u", s->exec_id, s->auto_id++);
		id = auto_id;
	}
	proto_time_format(T0 + dt, ts, sizeof ts);
	json_object_set_new(o, "type", json_string(kind));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "execution_id", json_string(s->exec_id));
	json_object_set_new(o, "workflow_id", json_string("wf"));
	json_object_set_new(o, "ts", json_string(ts));
	s->events[s->n++] = o;
}

static void script_free(struct script *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->events[i]);
	s->n = 0;
}

/* ---- the two sides -------------------------------------------------------- */

/* The daemon's side: validate, drop retries (as ingest does), apply. */
static struct live_execution *run_live(struct live_org *lo, const struct script *s)
{
	struct strmap seen;
	strmap_init(&seen);
	struct live_execution *x = NULL;
	for (size_t i = 0; i < s->n; i++) {
		struct proto_event ev;
		struct proto_cause cause;
		if (proto_event_validate(s->events[i], &ev, &cause) != 0)
			fail_msg("%s: event %zu invalid: %s: %s", s->exec_id, i, cause.field, cause.message);
		if (strmap_get(&seen, ev.event_id) != NULL)
			continue;
		strmap_put(&seen, ev.event_id, (void *)1);
		int before;
		x = live_apply(lo, &ev, s->events[i], &before);
	}
	strmap_clear(&seen);
	return x;
}

static struct store_done *wait_ticket(uint64_t ticket, int timeout_ms)
{
	int64_t end = clock_mono_us() + (int64_t)timeout_ms * 1000;
	while (clock_mono_us() < end) {
		struct store_done *d;
		while (store_take_done(store, &d, 1) == 1) {
			if (d->ticket == ticket)
				return d;
			store_done_free(d);
		}
		usleep(5000);
	}
	fail_msg("no completion for ticket %llu", (unsigned long long)ticket);
	return NULL;
}

/* The store's side: every event, retries too (the SQL recognises them), as
 * ingest hands them over: the message text when exact, else in full. */
static void run_store(const struct script *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct proto_event ev;
		assert_int_equal(proto_event_validate(s->events[i], &ev, NULL), 0);
		char *text = proto_event_text_exact(s->events[i]) ? proto_event_text_new(s->events[i], NULL)
								   : json_dumps(s->events[i], JSON_COMPACT);
		struct store_event se = {.pos = next_pos++, .json = text, .in_size = ev.input_size,
					 .out_size = ev.output_size};
		snprintf(se.org, sizeof se.org, "%s", ORG);
		uint64_t t = next_ticket++;
		assert_int_equal(store_append(store, &se, 1, t), 0);
		free(text);
		struct store_done *d = wait_ticket(t, 10000);
		assert_int_equal(d->status, 0);
		store_done_free(d);
	}
	struct store_status st;
	int64_t end = clock_mono_us() + 20000000;
	do {
		store_get_status(store, &st);
		if (st.pending_records == 0 && st.db == STORE_DB_UP)
			return;
		usleep(20000);
	} while (clock_mono_us() < end);
	fail_msg("the spool did not drain");
}

static json_t *query(enum store_query_kind kind, json_t *params)
{
	uint64_t t = next_ticket++;
	assert_int_equal(store_query(store, kind, ORG, params, t), 0);
	struct store_done *d = wait_ticket(t, 15000);
	if (d->status != 0)
		fail_msg("query failed: %s", d->error);
	json_t *r = json_incref(d->result);
	store_done_free(d);
	return r;
}

/* ---- comparing ------------------------------------------------------------ */

struct diffs {
	char text[4096];
	size_t len;
	int n;
};

static void diff_add(struct diffs *d, const char *path, json_t *a, json_t *b)
{
	char *ta = a ? json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char *tb = b ? json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	if (d->len < sizeof d->text - 1)
		d->len += (size_t)snprintf(d->text + d->len, sizeof d->text - d->len,
					   "\n    %s: model %.120s, SQL %.120s", path, ta ? ta : "(absent)",
					   tb ? tb : "(absent)");
	if (d->len >= sizeof d->text)
		d->len = sizeof d->text - 1;
	d->n++;
	free(ta);
	free(tb);
}

/* Every field, recursively; objects key by key, arrays element by element. */
static void diff(struct diffs *d, const char *path, json_t *a, json_t *b)
{
	char sub[256];
	if (a == NULL || b == NULL || json_typeof(a) != json_typeof(b)) {
		if (!(a != NULL && b != NULL && json_is_number(a) && json_is_number(b) &&
		      json_number_value(a) == json_number_value(b)))
			diff_add(d, path, a, b);
		return;
	}
	if (json_is_object(a)) {
		const char *k;
		json_t *v;
		json_object_foreach(a, k, v) {
			snprintf(sub, sizeof sub, "%s.%s", path, k);
			diff(d, sub, v, json_object_get(b, k));
		}
		json_object_foreach(b, k, v)
			if (json_object_get(a, k) == NULL) {
				snprintf(sub, sizeof sub, "%s.%s", path, k);
				diff_add(d, sub, NULL, v);
			}
	} else if (json_is_array(a)) {
		size_t n = json_array_size(a) > json_array_size(b) ? json_array_size(a) : json_array_size(b);
		for (size_t i = 0; i < n; i++) {
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
			diff(d, sub, json_array_get(a, i), json_array_get(b, i));
		}
	} else if (!json_equal(a, b)) {
		diff_add(d, path, a, b);
	}
}

/* Runs a script through both sides and compares the execution in full, its
 * summary in the list and the number of events applied. */
static void check(struct script *s)
{
	struct live_org lo;
	live_org_init(&lo, 100);
	struct live_execution *x = run_live(&lo, s);
	assert_non_null(x);
	run_store(s);

	struct diffs d = {.len = 0, .n = 0};
	json_t *mine = exec_json_new(&x->x);
	json_t *r = query(STORE_Q_EXECUTION, json_pack("{s:s}", "id", s->exec_id));
	diff(&d, "execution", mine, json_object_get(r, "execution"));
	json_decref(mine);
	json_decref(r);

	mine = exec_summary_json_new(&x->x);
	r = query(STORE_Q_EXECUTIONS, json_pack("{s:i}", "limit", 500));
	json_t *row = NULL, *v;
	size_t i;
	json_array_foreach(json_object_get(r, "executions"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "id")), s->exec_id) == 0)
			row = v;
	diff(&d, "summary", mine, row);
	json_decref(mine);
	json_decref(r);

	char sql[512];
	snprintf(sql, sizeof sql, "BEGIN; SELECT set_config('wfmon.org', '%s', true); SELECT event_count "
		 "FROM workflow_executions WHERE execution_id = '%s'", ORG, s->exec_id);
	long long stored = pgtest_value(pg.owner, sql);
	if (stored != (long long)x->x.events) {
		json_t *a = json_integer((json_int_t)x->x.events), *b = json_integer(stored);
		diff_add(&d, "events applied", a, b);
		json_decref(a);
		json_decref(b);
	}
	live_org_free(&lo);
	if (d.n > 0)
		fail_msg("%s: %d difference(s) between the model and the SQL apply:%s", s->exec_id, d.n, d.text);
	script_free(s);
}

#define PLAN "\"workflow_name\":\"Month-end closing\",\"priority\":\"HIGH\",\"params\":{\"month\":\"2026-05\"}," \
	     "\"steps\":[{\"id\":\"a\",\"name\":\"Fetch\"},{\"id\":\"b\",\"name\":\"VAT\",\"depends_on\":[\"a\"]}," \
	     "{\"id\":\"c\",\"name\":\"JPK\",\"depends_on\":[\"a\",\"b\"]}]"

/* ---- the scripts ------------------------------------------------------------ */

static void test_in_order(void **state)
{
	(void)state;
	struct script s = {.exec_id = "in-order"};
	add(&s, NULL, "execution.queued", 0, "{" PLAN "}");
	add(&s, NULL, "execution.started", 100, "{\"worker\":\"w1\"}");
	add(&s, NULL, "step.started", 200, "{\"step_id\":\"a\",\"input\":{\"rows\":3,\"rate\":0.23},\"worker\":\"w1\"}");
	add(&s, NULL, "step.progress", 250, "{\"step_id\":\"a\",\"current\":1,\"total\":3,\"unit\":\"files\",\"message\":\"one\"}");
	add(&s, NULL, "log", 260, "{\"level\":\"warn\",\"message\":\"slow disk\\nsecond line\",\"step_id\":\"a\"}");
	add(&s, NULL, "counter", 270, "{\"name\":\"invoices\",\"value\":12,\"step_id\":\"a\"}");
	add(&s, NULL, "step.completed", 300,
	    "{\"step_id\":\"a\",\"duration_ms\":100,\"output\":{\"ok\":true,\"list\":[1,2.5,null]},"
	    "\"cpu_percent\":12.5,\"memory_bytes\":1048576}");
	add(&s, NULL, "step.started", 400, "{\"step_id\":\"b\"}");
	add(&s, NULL, "step.failed", 500, "{\"step_id\":\"b\",\"error\":\"VAT rate missing\",\"error_code\":\"E.VAT\",\"duration_ms\":100}");
	add(&s, NULL, "step.started", 600, "{\"step_id\":\"b\",\"worker\":\"w2\"}");
	add(&s, NULL, "step.completed", 700, "{\"step_id\":\"b\",\"duration_ms\":90}");
	add(&s, NULL, "step.started", 800, "{\"step_id\":\"c\"}");
	add(&s, NULL, "log", 810, "{\"level\":\"debug\",\"message\":\"plain\"}");
	add(&s, NULL, "step.completed", 900, "{\"step_id\":\"c\",\"duration_ms\":100,\"cpu_percent\":150}");
	add(&s, NULL, "execution.completed", 1000, "{\"duration_ms\":1000,\"output\":{\"sent\":true}}");
	check(&s);
}

static void test_out_of_order(void **state)
{
	(void)state;
	struct script s = {.exec_id = "out-of-order"};
	/* Step events before the plan and before the execution started, and the
	 * execution's own events late. */
	add(&s, NULL, "log", 50, "{\"level\":\"info\",\"message\":\"early\"}");
	add(&s, NULL, "step.completed", 300, "{\"step_id\":\"b\",\"duration_ms\":20}");
	add(&s, NULL, "step.started", 200, "{\"step_id\":\"a\"}");
	add(&s, NULL, "step.started", 250, "{\"step_id\":\"c\"}");
	add(&s, NULL, "execution.queued", 0, "{" PLAN "}");
	add(&s, NULL, "execution.started", 100, "");
	add(&s, NULL, "step.progress", 150, "{\"step_id\":\"a\",\"current\":2,\"total\":4}");
	add(&s, NULL, "step.started", 120, "{\"step_id\":\"b\"}");   /* late: b stays completed */
	add(&s, NULL, "execution.failed", 400, "{\"error\":\"gave up\",\"error_code\":\"TIMEOUT\",\"step_id\":\"c\"}");
	check(&s);
}

static void test_retries_and_repeats(void **state)
{
	(void)state;
	struct script s = {.exec_id = "retries"};
	add(&s, "r-q", "execution.queued", 0, "{" PLAN "}");
	add(&s, "r-q", "execution.queued", 0, "{" PLAN "}");                 /* a retry: applied once */
	add(&s, "r-s", "step.started", 100, "{\"step_id\":\"a\"}");
	add(&s, "r-s", "step.started", 100, "{\"step_id\":\"a\"}");
	add(&s, NULL, "counter", 110, "{\"name\":\"rows\",\"value\":5}");
	add(&s, NULL, "counter", 110, "{\"name\":\"rows\",\"value\":5}");       /* the same under a new id */
	/* A second plan under a new id: its dependencies replace the first's. */
	add(&s, NULL, "execution.queued", 150,
	    "{\"workflow_name\":\"Closing v2\",\"priority\":\"LOW\",\"steps\":[{\"id\":\"c\",\"name\":\"JPK v2\"},"
	    "{\"id\":\"b\",\"name\":\"VAT\"},{\"id\":\"d\",\"name\":\"Archive\",\"depends_on\":[\"c\"]}]}");
	add(&s, NULL, "step.completed", 200, "{\"step_id\":\"a\",\"duration_ms\":100}");
	add(&s, NULL, "step.completed", 210, "{\"step_id\":\"a\",\"duration_ms\":110}");
	check(&s);
}

static void test_unknown_steps(void **state)
{
	(void)state;
	struct script s = {.exec_id = "unknown-steps"};
	add(&s, NULL, "execution.started", 0, "");
	add(&s, NULL, "step.progress", 10, "{\"step_id\":\"y\",\"current\":1,\"total\":2}");
	add(&s, NULL, "step.started", 20, "{\"step_id\":\"x\"}");
	add(&s, NULL, "step.failed", 30, "{\"step_id\":\"z\",\"error\":\"never started\"}");
	add(&s, NULL, "resource.sample", 35, "{\"worker\":\"w1\",\"cpu_percent\":40,\"memory_bytes\":100,\"step_id\":\"x\"}");
	/* The plan comes last and names y: it moves in front, in plan order. */
	add(&s, NULL, "execution.queued", 40,
	    "{\"workflow_name\":\"Late plan\",\"priority\":\"NORMAL\",\"steps\":[{\"id\":\"p\",\"name\":\"P\"},"
	    "{\"id\":\"y\",\"name\":\"Y\",\"depends_on\":[\"p\"]}]}");
	add(&s, NULL, "step.started", 50, "{\"step_id\":\"w\"}");
	check(&s);
}

static void test_counters(void **state)
{
	(void)state;
	struct script s = {.exec_id = "counters"};
	add(&s, NULL, "execution.started", 0, "");
	add(&s, NULL, "counter", 10, "{\"name\":\"rows\",\"value\":10}");
	add(&s, NULL, "counter", 20, "{\"name\":\"rows\",\"value\":5}");      /* late and smaller */
	add(&s, NULL, "counter", 5, "{\"name\":\"rows\",\"value\":7}");
	add(&s, NULL, "counter", 30, "{\"name\":\"rows\",\"value\":20}");
	/* More names than an execution keeps: the later new ones are dropped. */
	for (int i = 0; i < EXEC_COUNTERS + 8; i++) {
		char f[96];
		snprintf(f, sizeof f, "{\"name\":\"c%02d\",\"value\":%d}", i, i * 3);
		add(&s, NULL, "counter", 40 + i, f);
	}
	add(&s, NULL, "counter", 100, "{\"name\":\"c01\",\"value\":1000}");
	check(&s);
}

static void test_after_terminal(void **state)
{
	(void)state;
	struct script s = {.exec_id = "after-end"};
	add(&s, NULL, "execution.queued", 0, "{" PLAN "}");
	add(&s, NULL, "execution.started", 10, "");
	add(&s, NULL, "step.started", 20, "{\"step_id\":\"a\"}");
	add(&s, NULL, "execution.completed", 30, "");          /* a completed one leaves a running */
	add(&s, NULL, "step.started", 40, "{\"step_id\":\"b\"}");
	add(&s, NULL, "step.failed", 50, "{\"step_id\":\"c\",\"error\":\"late\"}");
	add(&s, NULL, "execution.failed", 60, "{\"error\":\"too late\"}");   /* the first terminal event won */
	add(&s, NULL, "execution.started", 70, "");
	add(&s, NULL, "log", 80, "{\"level\":\"error\",\"message\":\"after the end\"}");
	check(&s);

	struct script c = {.exec_id = "cancelled"};
	add(&c, NULL, "execution.queued", 0, "{" PLAN "}");
	add(&c, NULL, "step.started", 10, "{\"step_id\":\"a\"}");
	add(&c, NULL, "step.started", 10, "{\"step_id\":\"b\"}");
	add(&c, NULL, "execution.cancelled", 20, "{\"reason\":\"by the accountant\"}");
	add(&c, NULL, "execution.failed", 30, "{\"error\":\"x\",\"error_code\":\"X\"}");
	add(&c, NULL, "step.completed", 40, "{\"step_id\":\"a\",\"duration_ms\":30}");
	check(&c);

	struct script q = {.exec_id = "queued-cancelled"};
	add(&q, NULL, "execution.queued", 0, "{" PLAN "}");
	add(&q, NULL, "execution.cancelled", 20, "");
	check(&q);
}

static void test_current_step(void **state)
{
	(void)state;
	struct script s = {.exec_id = "current"};
	add(&s, NULL, "execution.started", 0, "");
	add(&s, NULL, "step.progress", 5, "{\"step_id\":\"p\",\"current\":0,\"total\":1}");   /* running, never started */
	add(&s, NULL, "step.started", 20, "{\"step_id\":\"a\"}");
	add(&s, NULL, "step.started", 20, "{\"step_id\":\"b\"}");   /* a tie: the later step */
	add(&s, NULL, "step.started", 10, "{\"step_id\":\"c\"}");   /* late: not current */
	check(&s);

	struct script t = {.exec_id = "current-2"};
	add(&t, NULL, "execution.started", 0, "");
	add(&t, NULL, "step.started", 20, "{\"step_id\":\"a\"}");
	add(&t, NULL, "step.started", 30, "{\"step_id\":\"b\"}");
	add(&t, NULL, "step.completed", 40, "{\"step_id\":\"b\",\"duration_ms\":10}");
	check(&t);
}

/* A count over the organization's rows (as the owner, in its scope). */
static long long metric_count(const char *select)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "BEGIN; SELECT set_config('wfmon.org', '%s', true); %s", ORG, select);
	return pgtest_value(pg.owner, sql);
}

/* Attempts of steps and of the execution, late events of earlier attempts,
 * unplanned steps' names, labels, a delay and control requests. */
static void test_attempts(void **state)
{
	(void)state;
	struct script s = {.exec_id = "attempts"};
	add(&s, NULL, "execution.queued", 0, "{\"workflow_name\":\"Payments\",\"priority\":\"NORMAL\","
	    "\"labels\":{\"period\":\"2026-05\",\"client\":\"Biuro \\\"Bilans\\\", Kraków\"},"
	    "\"delayed_until\":\"2026-05-28T20:00:00.5Z\"}");
	add(&s, NULL, "execution.started", 10, "{\"attempt\":1,\"labels\":{\"period\":\"2026-06\",\"host\":\"w1\"}}");
	add(&s, NULL, "step.started", 20, "{\"step_id\":\"charge\",\"attempt\":1,\"name\":\"Charge\",\"input\":{\"n\":1}}");
	add(&s, NULL, "step.progress", 25, "{\"step_id\":\"charge\",\"current\":1,\"total\":3,\"attempt\":1}");
	add(&s, NULL, "step.failed", 30, "{\"step_id\":\"charge\",\"attempt\":1,\"error\":\"HTTP 502\",\"duration_ms\":10}");
	add(&s, NULL, "step.started", 40, "{\"step_id\":\"charge\",\"attempt\":2,\"worker\":\"w2\"}");
	add(&s, NULL, "step.completed", 45, "{\"step_id\":\"charge\",\"attempt\":1,\"duration_ms\":99}");   /* stale */
	add(&s, NULL, "step.completed", 50, "{\"step_id\":\"charge\",\"attempt\":2,\"duration_ms\":10,\"output\":[2]}");
	add(&s, NULL, "step.started", 55, "{\"step_id\":\"notify\",\"attempt\":3,\"name\":\"Notify\"}");
	add(&s, NULL, "step.failed", 60, "{\"step_id\":\"notify\",\"attempt\":5,\"error\":\"smtp down\",\"name\":\"Notify v2\"}");
	add(&s, NULL, "step.failed", 61, "{\"step_id\":\"fresh\",\"error\":\"never started\",\"name\":\"Fresh\"}");
	add(&s, NULL, "execution.failed", 70, "{\"error\":\"notify failed\",\"attempt\":1}");
	add(&s, NULL, "control.requested", 80, "{\"command\":\"retry\",\"request_id\":\"ctl-1\",\"by\":\"olga\"}");
	add(&s, NULL, "control.replied", 85, "{\"command\":\"retry\",\"request_id\":\"ctl-1\",\"accepted\":true}");
	add(&s, NULL, "execution.started", 90, "{\"attempt\":2,\"worker\":\"w3\"}");
	add(&s, NULL, "execution.failed", 95, "{\"error\":\"late one\",\"attempt\":1}");   /* stale */
	add(&s, NULL, "step.started", 100, "{\"step_id\":\"notify\",\"attempt\":6}");
	add(&s, NULL, "step.completed", 110, "{\"step_id\":\"notify\",\"attempt\":6,\"duration_ms\":10}");
	add(&s, NULL, "control.requested", 115, "{\"command\":\"cancel\",\"request_id\":\"ctl-2\",\"by\":\"piotr\",\"reason\":\"wrong month\"}");
	add(&s, NULL, "control.replied", 116, "{\"command\":\"retry\",\"accepted\":false}");      /* not this one's */
	add(&s, NULL, "control.replied", 117, "{\"command\":\"cancel\",\"accepted\":false,\"reason\":\"already paying\"}");
	add(&s, NULL, "execution.completed", 120, "{\"attempt\":2}");
	check(&s);
	/* Metrics count a retried success once: the facts of the attempts that
	 * later ones replaced are marked, the current ones are not. */
	assert_int_equal(metric_count("SELECT count(*) FROM step_metrics WHERE execution_id = 'attempts' "
				      "AND step_id = 'charge' AND retried"), 1);
	assert_int_equal(metric_count("SELECT count(*) FROM step_metrics WHERE execution_id = 'attempts' "
				      "AND step_id = 'charge' AND NOT retried AND status = 'completed' AND attempt = 2"), 1);
	assert_int_equal(metric_count("SELECT count(*) FROM execution_metrics WHERE execution_id = 'attempts' "
				      "AND metric_type = 'duration_ms' AND metadata ? 'retried'"), 1);
	assert_int_equal(metric_count("SELECT count(*) FROM execution_metrics WHERE execution_id = 'attempts' "
				      "AND metric_type = 'duration_ms' AND NOT (metadata ? 'retried')"), 1);

	/* Many attempts of one step: the 16 latest earlier ones are kept. */
	struct script m = {.exec_id = "many-attempts"};
	add(&m, NULL, "execution.started", 0, "");
	for (int a = 1; a <= EXEC_STEP_TRIES + 4; a++) {
		char f[128];
		snprintf(f, sizeof f, "{\"step_id\":\"x\",\"attempt\":%d}", a);
		add(&m, NULL, "step.started", a * 10, f);
		snprintf(f, sizeof f, "{\"step_id\":\"x\",\"attempt\":%d,\"error\":\"e%d\",\"duration_ms\":%d}", a, a, a);
		add(&m, NULL, "step.failed", a * 10 + 5, f);
	}
	add(&m, NULL, "control.requested", 500, "{\"command\":\"cancel\",\"request_id\":\"c1\",\"by\":\"olga\"}");
	add(&m, NULL, "execution.cancelled", 510, "{\"reason\":\"by olga\"}");
	add(&m, NULL, "execution.queued", 520, "{\"workflow_name\":\"Again\",\"priority\":\"LOW\",\"attempt\":2}");
	check(&m);
}

static void test_limits(void **state)
{
	(void)state;
	struct script s = {.exec_id = "many-steps"};
	add(&s, NULL, "execution.started", 0, "");
	for (int i = 0; i < EXEC_MAX_STEPS + 5; i++) {
		char f[64];
		snprintf(f, sizeof f, "{\"step_id\":\"s%04d\"}", i);
		add(&s, NULL, "step.started", 1 + i, f);
	}
	add(&s, NULL, "step.completed", 2000, "{\"step_id\":\"s0600\",\"duration_ms\":1}");   /* over the limit */
	add(&s, NULL, "step.completed", 2001, "{\"step_id\":\"s0001\",\"duration_ms\":1}");
	check(&s);

	struct script l = {.exec_id = "long-log"};
	add(&l, NULL, "execution.started", 0, "");
	for (int i = 0; i < EXEC_LOG_LINES + 20; i++) {
		char f[96];
		snprintf(f, sizeof f, "{\"level\":\"%s\",\"message\":\"line %d\"}", i % 2 ? "info" : "error", i);
		add(&l, NULL, "log", 1 + i, f);
	}
	check(&l);
}

static void test_exact_numbers(void **state)
{
	(void)state;
	struct script s = {.exec_id = "numbers"};
	add(&s, NULL, "execution.queued", 0,
	    "{\"workflow_name\":\"VAT\",\"priority\":\"NORMAL\",\"params\":{\"rate\":0.23,\"amount\":1234567.891234},"
	    "\"steps\":[{\"id\":\"a\",\"name\":\"A\"}]}");
	add(&s, NULL, "step.started", 10, "{\"step_id\":\"a\",\"input\":{\"net\":0.1,\"gross\":12.345678912345}}");
	add(&s, NULL, "step.completed", 20,
	    "{\"step_id\":\"a\",\"duration_ms\":10,\"cpu_percent\":33.333333333333336,\"memory_bytes\":9223372036854775807}");
	check(&s);
}

/* ---- setup ------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	if (pgtest_start_migrated(&pg) != 0)
		return -1;
	char cause[256];
	static char spool_dir[256];
	snprintf(spool_dir, sizeof spool_dir, "%s/spool", pg.dir);
	struct store_config cfg = {
		.conninfo = pg.app,
		.spool_dir = spool_dir,
		.spool_max_bytes = 64u << 20,
		.data_cap_bytes = PROTO_MAX_DATA,
		.reconnect_max_s = 1,
	};
	store = store_new(&cfg, NULL, NULL, cause, sizeof cause);
	if (store == NULL) {
		fprintf(stderr, "store_new: %s\n", cause);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (store != NULL)
		store_free(store);
	pgtest_destroy(&pg);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_retries_and_repeats),
		cmocka_unit_test(test_unknown_steps),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_after_terminal),
		cmocka_unit_test(test_current_step),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_attempts),
		cmocka_unit_test(test_exact_numbers),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
