/* test_apply_set.c: the set-based wfmon_apply_events (migration 0011) leaves
 * exactly the rows the event-by-event one of migrations 0006/0008 left, against a
 * real PostgreSQL, as the daemon's role under row-level security.
 *
 * The older function is taken from the compiled-in migration 0008 (0006's with revision 2's kinds) and
 * installed beside the new one under another name. One stream of every kind
 * of event (plans, starts, steps started, progressing, completed and failed,
 * counters past their cap, resource samples, log lines, every ending,
 * out-of-order timestamps, a workflow renamed by a later plan, executions
 * whose first event is not their plan, executions still queued) is applied in batches of 1, 7, 50 and
 * the rest to one organization by each function, then again (a retry after a
 * crash: nothing new), then with the same event ids at new positions
 * (duplicates: nothing new); every table of both organizations must then hold
 * the same rows, and each call must count what it inserted. Some batches
 * overlap the one before (part replay, part new: migration 0015 inserts a
 * batch without ON CONFLICT first and goes again with it on a unique
 * violation).
 *
 * Through the daemon's own write call (storew_apply), one batch of every
 * kind with an event stored already, a record twice and a record whose time
 * is not a time: refused as bad data with a message naming the value, nothing
 * of it stored; the same batch without that record stores exactly the new
 * events, once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "batch.h"
#include "migrations.h"
#include "pg.h"
#include "pgconn.h"
#include "proto.h"
#include "store_db.h"

static struct pgtest pg;

#define NEXEC 24

struct stream {
	char **recs;   /* {"pos":N,"event":{...}} texts */
	size_t n, cap;
};

static void add(struct stream *s, long long pos, const char *event, const char *sizes)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->recs = realloc(s->recs, sizeof *s->recs * s->cap);
		assert_non_null(s->recs);
	}
	size_t len = strlen(event) + 128;
	char *r = malloc(len);
	assert_non_null(r);
	snprintf(r, len, "{\"pos\":%lld%s,\"event\":%s}", pos, sizes ? sizes : "", event);
	s->recs[s->n++] = r;
}

/* Every kind of event over NEXEC executions of three workflows, interleaved,
 * some timestamps going backwards. */
static void make_stream(struct stream *s)
{
	char ev[2048], ts[40];
	long long pos = 1;
	int64_t base = 1780000000000LL;
	for (int round = 0; round < 12; round++) {
		for (int x = 0; x < NEXEC; x++) {
			char exec[32], wf[16];
			snprintf(exec, sizeof exec, "x-%d", x);
			snprintf(wf, sizeof wf, "wf-%d", x % 3);
			/* A step of its own per round, a few events back in time. */
			int64_t t = base + round * 1000 + x * 10 - (x % 5 == 0 ? 1500 : 0);
			proto_time_format(t, ts, sizeof ts);
			const char *head = "\"id\":\"%s-r%d\",\"execution_id\":\"%s\",\"workflow_id\":\"%s\",\"ts\":\"%s\"";
			char common[256];
			snprintf(common, sizeof common, head, exec, round, exec, wf, ts);
			const char *sizes = NULL;
			int kind = (round + (x % 4 == 3 ? 1 : 0)) % 12;   /* some start without a plan */
			switch (kind) {
			case 0:
				snprintf(ev, sizeof ev,
					 "{\"type\":\"execution.queued\",%s,\"workflow_name\":\"Month end %d%s\","
					 "\"priority\":\"%s\",\"params\":{\"period\":\"2026-0%d\"},\"steps\":["
					 "{\"id\":\"s0\",\"name\":\"Fetch\"},{\"id\":\"s1\",\"name\":\"VAT\","
					 "\"depends_on\":[\"s0\"]},{\"id\":\"s2\",\"name\":\"JPK\"}]}",
					 common, x % 3, x >= NEXEC / 2 ? " (renamed)" : "",
					 x % 2 ? "HIGH" : "NORMAL", 1 + x % 9);
				break;
			case 1:
				snprintf(ev, sizeof ev, "{\"type\":\"execution.started\",%s,\"worker\":\"w-%d\"}", common,
					 x % 4);
				break;
			case 2:
			case 5:
				snprintf(ev, sizeof ev,
					 "{\"type\":\"step.started\",%s,\"step_id\":\"s%d\",\"input\":{\"rows\":%d},"
					 "\"worker\":\"w-%d\"}", common, kind / 3, x, x % 4);
				sizes = ",\"in_size\":12";
				break;
			case 3:
				snprintf(ev, sizeof ev,
					 "{\"type\":\"step.progress\",%s,\"step_id\":\"s0\",\"current\":%d,\"total\":100,"
					 "\"unit\":\"rows\",\"message\":\"working\"}", common, x * 4);
				break;
			case 4:
				snprintf(ev, sizeof ev,
					 "{\"type\":\"step.completed\",%s,\"step_id\":\"s0\",\"output\":{\"ok\":true},"
					 "\"duration_ms\":%d,\"cpu_percent\":%d.5,\"memory_bytes\":%d}", common, 100 + x,
					 x, 1000 * x);
				sizes = ",\"out_size\":11";
				break;
			case 6:
				snprintf(ev, sizeof ev, "{\"type\":\"counter\",%s,\"name\":\"rows-%d\",\"value\":%d}", common,
					 x % 3, round * x);
				break;
			case 7:
				snprintf(ev, sizeof ev,
					 "{\"type\":\"resource.sample\",%s,\"worker\":\"w-%d\",\"step_id\":\"s1\","
					 "\"cpu_percent\":%d.25,\"memory_bytes\":%d}", common, x % 4, 10 + x, 4096 * x);
				break;
			case 8:
				snprintf(ev, sizeof ev,
					 "{\"type\":\"step.failed\",%s,\"step_id\":\"s1\",\"error\":\"VAT rate missing\","
					 "\"error_code\":\"E%d\"}", common, x);
				break;
			case 9:
				snprintf(ev, sizeof ev, "{\"type\":\"log\",%s,\"level\":\"info\",\"message\":\"line %d\"}",
					 common, round);
				break;
			case 10:
				if (x % 3 == 0)
					snprintf(ev, sizeof ev, "{\"type\":\"execution.completed\",%s}", common);
				else if (x % 3 == 1)
					snprintf(ev, sizeof ev,
						 "{\"type\":\"execution.failed\",%s,\"error\":\"boom\",\"error_code\":\"E1\"}",
						 common);
				else
					snprintf(ev, sizeof ev, "{\"type\":\"execution.cancelled\",%s,\"reason\":\"user\"}",
						 common);
				break;
			default:   /* a late event after the end */
				snprintf(ev, sizeof ev,
					 "{\"type\":\"step.completed\",%s,\"step_id\":\"s2\",\"duration_ms\":5}", common);
				break;
			}
			add(s, pos++, ev, sizes);
		}
	}
	/* Executions still waiting: queued, nothing after. */
	for (int q = 0; q < 3; q++) {
		proto_time_format(base + 20000 + q, ts, sizeof ts);
		snprintf(ev, sizeof ev,
			 "{\"type\":\"execution.queued\",\"id\":\"q-%d\",\"execution_id\":\"q-%d\",\"workflow_id\":"
			 "\"wf-%d\",\"ts\":\"%s\",\"workflow_name\":\"Waiting\",\"priority\":\"LOW\",\"steps\":[{\"id\":\"s0\"}]}", q, q, q, ts);
		add(s, pos++, ev, NULL);
	}
}

/* The records [from, to) as a JSON array text (malloc'd). */
static char *batch_text(const struct stream *s, size_t from, size_t to)
{
	size_t len = 3;
	for (size_t i = from; i < to; i++)
		len += strlen(s->recs[i]) + 1;
	char *out = malloc(len), *p = out;
	assert_non_null(out);
	*p++ = '[';
	for (size_t i = from; i < to; i++) {
		if (i > from)
			*p++ = ',';
		size_t n = strlen(s->recs[i]);
		memcpy(p, s->recs[i], n);
		p += n;
	}
	*p++ = ']';
	*p = '\0';
	return out;
}

/* Applies [from, to) as org with fn; returns what the call said it inserted. */
static long long apply(const char *org, const char *fn, const struct stream *s, size_t from, size_t to)
{
	char *batch = batch_text(s, from, to);
	size_t len = strlen(batch) * 2 + 256;
	char *sql = malloc(len);
	assert_non_null(sql);
	/* Dollar quoting: the records hold no "$b$". */
	snprintf(sql, len, "SELECT set_config('wfmon.org', '%s', false); SELECT %s($b$%s$b$::jsonb, 65536)", org, fn,
		 batch);
	long long n = pgtest_value(pg.app, sql);
	free(sql);
	free(batch);
	return n;
}

/* The records [from, to) as the daemon's write call sends them (typed
 * columns, batch.h), into org. Returns what it inserted, or -1. */
static long apply_columns_err(PGconn *c, const char *org, const struct stream *s, size_t from, size_t to,
			      bool *permanent, char *err, size_t errlen)
{
	struct batch b;
	batch_init(&b);
	for (size_t i = from; i < to; i++) {
		int64_t pos;
		char why[128];
		assert_int_equal(batch_add(&b, s->recs[i], strlen(s->recs[i]), &pos, why, sizeof why), 0);
	}
	long n = storew_apply(c, org, &b, 65536, permanent, err, errlen);
	batch_free(&b);
	return n;
}

static long apply_columns(PGconn *c, const char *org, const struct stream *s, size_t from, size_t to)
{
	bool permanent;
	char err[256];
	return apply_columns_err(c, org, s, from, to, &permanent, err, sizeof err);
}

/* The function text of 0008's wfmon_apply_events (the last event-by-event one), renamed. */
static char *rowwise_function(void)
{
	const char *sql = NULL;
	for (const struct migration *m = migrations; m->name != NULL; m++)
		if (strcmp(m->name, "0008_attempts_labels") == 0)
			sql = m->sql;
	assert_non_null(sql);
	const char *start = strstr(sql, "CREATE OR REPLACE FUNCTION wfmon_apply_events(");
	assert_non_null(start);
	const char *end = strstr(start, "\n$$;");
	assert_non_null(end);
	const char *name_end = start + strlen("CREATE OR REPLACE FUNCTION wfmon_apply_events");
	size_t len = (size_t)(end - name_end) + 8;
	char *out = malloc(len + 128);
	assert_non_null(out);
	snprintf(out, len + 128, "CREATE FUNCTION wfmon_apply_rowwise%.*s\n$$;", (int)(end - name_end), name_end);
	return out;
}

static int setup(void **state)
{
	(void)state;
	if (pgtest_start_migrated(&pg) != 0)
		return -1;
	char *fn = rowwise_function();
	int rc = pgtest_exec(pg.owner, fn, false);
	free(fn);
	if (rc == 0)
		rc = pgtest_exec(pg.owner, "GRANT EXECUTE ON FUNCTION wfmon_apply_rowwise(jsonb, integer) TO wfmon_app",
				 false);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	pgtest_destroy(&pg);
	return 0;
}

/* A digest of an organization's rows in table t, without what differs by
 * nature (the organization, identity ids, the time of arrival). */
static char *digest(const char *org, const char *table)
{
	char sql[512];
	snprintf(sql, sizeof sql,
		 "SELECT set_config('wfmon.org', '%s', false); SELECT count(*) || ':' || "
		 "coalesce(md5(string_agg(j::text, ',' ORDER BY j::text)), '') "
		 "FROM (SELECT to_jsonb(t) - 'org_id' - 'id' - 'received_at' AS j FROM %s t) s", org, table);
	char *d = pgtest_text(pg.app, sql);
	assert_non_null(d);
	return d;
}

static void test_same_rows_as_event_by_event(void **state)
{
	(void)state;
	struct stream s = { 0 };
	make_stream(&s);
	char err[256];
	PGconn *c = pgconn_connect_once(pg.app, err, sizeof err);
	assert_non_null(c);
	/* [from, to) pairs; the last two overlap the batch before them. */
	const size_t cuts[][2] = { {0, 1}, {1, 8}, {8, 58}, {40, 120}, {100, s.n} };
	size_t done = 0;
	for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
		long long a = apply("rowwise", "wfmon_apply_rowwise", &s, cuts[k][0], cuts[k][1]);
		long long b = apply("setwise", "wfmon_apply_events", &s, cuts[k][0], cuts[k][1]);
		long long col = apply_columns(c, "columns", &s, cuts[k][0], cuts[k][1]);
		assert_int_equal(a, (long long)(cuts[k][1] - done));
		assert_int_equal(b, a);
		assert_int_equal(col, a);
		done = cuts[k][1];
	}
	/* A retry of everything, as after a crash before the spool learnt it was stored. */
	assert_int_equal(apply("rowwise", "wfmon_apply_rowwise", &s, 0, s.n), 0);
	assert_int_equal(apply("setwise", "wfmon_apply_events", &s, 0, s.n), 0);
	assert_int_equal(apply_columns(c, "columns", &s, 0, s.n), 0);
	/* The same event ids at new positions: duplicates, nothing new either. */
	struct stream again = { 0 };
	for (size_t i = 0; i < 40; i++) {
		const char *event = strstr(s.recs[i], "\"event\":") + strlen("\"event\":");
		char *copy = strdup(event);
		copy[strlen(copy) - 1] = '\0';   /* the record's closing brace */
		add(&again, (long long)(s.n + 1 + i), copy, NULL);
		free(copy);
	}
	assert_int_equal(apply("rowwise", "wfmon_apply_rowwise", &again, 0, again.n), 0);
	assert_int_equal(apply("setwise", "wfmon_apply_events", &again, 0, again.n), 0);
	assert_int_equal(apply_columns(c, "columns", &again, 0, again.n), 0);
	/* One id twice in one batch: stored once. */
	static const char twice[] = "{\"id\":\"twice-1\",\"type\":\"log\",\"execution_id\":\"x-twice\","
				    "\"workflow_id\":\"wf-twice\",\"ts\":\"2026-05-28T20:00:00.000Z\","
				    "\"level\":\"info\",\"message\":\"once\"}";
	struct stream dup = { 0 };
	add(&dup, 900001, twice, NULL);
	add(&dup, 900002, twice, ",\"at\":1780000000000");
	assert_int_equal(apply("setwise-dup", "wfmon_apply_events", &dup, 0, dup.n), 1);
	assert_int_equal(apply("setwise-dup", "wfmon_apply_events", &dup, 0, dup.n), 0);
	assert_int_equal(pgtest_value(pg.app, "SELECT set_config('wfmon.org', 'setwise-dup', false); "
				      "SELECT count(*) FROM execution_events"), 1);
	for (size_t i = 0; i < dup.n; i++)
		free(dup.recs[i]);
	free(dup.recs);

	static const char *const tables[] = {
		"workflows", "workflow_executions", "step_executions", "execution_counters", "execution_events",
		"execution_metrics", "step_metrics", "resource_metrics",
	};
	for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
		char *a = digest("rowwise", tables[i]);
		char *b = digest("setwise", tables[i]);
		char *col = digest("columns", tables[i]);
		if (strcmp(a, b) != 0)
			fail_msg("%s: event by event %s, set-based %s", tables[i], a, b);
		if (strcmp(a, col) != 0)
			fail_msg("%s: event by event %s, typed columns %s", tables[i], a, col);
		free(col);
		assert_true(strtol(a, NULL, 10) > 0 || strcmp(tables[i], "execution_metrics") == 0);
		free(a);
		free(b);
	}
	/* Each organization sees only its own rows. */
	assert_int_equal(pgtest_value(pg.app, "SELECT set_config('wfmon.org', 'setwise', false); "
				      "SELECT count(*) FROM execution_events WHERE org_id <> 'setwise'"), 0);
	PQfinish(c);
	for (size_t i = 0; i < s.n; i++)
		free(s.recs[i]);
	for (size_t i = 0; i < again.n; i++)
		free(again.recs[i]);
	free(s.recs);
	free(again.recs);
}

static void log_event(char *out, size_t len, const char *id, const char *exec, const char *ts)
{
	snprintf(out, len,
		 "{\"type\":\"log\",\"id\":\"%s\",\"execution_id\":\"%s\",\"workflow_id\":\"wf-w\","
		 "\"ts\":\"%s\",\"level\":\"info\",\"message\":\"line %s\"}", id, exec, ts, id);
}

static void test_write_call_refuses_bad_record_and_stores_each_event_once(void **state)
{
	(void)state;
	char err[256], ev[1024];
	bool permanent;
	PGconn *c = pgconn_connect_once(pg.app, err, sizeof err);
	assert_non_null(c);
	struct stream s = { 0 };
	long long pos = 1;
	log_event(ev, sizeof ev, "w-1", "x-w", "2026-05-28T20:00:00.000Z");
	add(&s, pos++, ev, NULL);
	assert_int_equal(apply_columns_err(c, "writer", &s, 0, 1, &permanent, err, sizeof err), 1);
	/* Every kind after it: a plan, a start, a step, a counter, an ending. */
	static const char *const kinds[] = {
		"{\"type\":\"execution.queued\",\"id\":\"w-q\",\"execution_id\":\"x-w\",\"workflow_id\":\"wf-w\","
		"\"ts\":\"2026-05-28T20:00:01.000Z\",\"workflow_name\":\"Writer\",\"priority\":\"HIGH\","
		"\"steps\":[{\"id\":\"s1\",\"name\":\"One\"}]}",
		"{\"type\":\"execution.started\",\"id\":\"w-s\",\"execution_id\":\"x-w\",\"workflow_id\":\"wf-w\","
		"\"ts\":\"2026-05-28T20:00:02.000Z\",\"worker\":\"w1\"}",
		"{\"type\":\"step.started\",\"id\":\"w-ss\",\"execution_id\":\"x-w\",\"workflow_id\":\"wf-w\","
		"\"step_id\":\"s1\",\"ts\":\"2026-05-28T20:00:03.000Z\"}",
		"{\"type\":\"step.progress\",\"id\":\"w-sp\",\"execution_id\":\"x-w\",\"workflow_id\":\"wf-w\","
		"\"step_id\":\"s1\",\"ts\":\"2026-05-28T20:00:04.000Z\",\"current\":5,\"total\":10}",
		"{\"type\":\"step.completed\",\"id\":\"w-sc\",\"execution_id\":\"x-w\",\"workflow_id\":\"wf-w\","
		"\"step_id\":\"s1\",\"ts\":\"2026-05-28T20:00:05.000Z\",\"duration_ms\":2000}",
		"{\"type\":\"counter\",\"id\":\"w-c\",\"execution_id\":\"x-w\",\"workflow_id\":\"wf-w\","
		"\"ts\":\"2026-05-28T20:00:06.000Z\",\"name\":\"rows\",\"value\":7}",
		"{\"type\":\"execution.completed\",\"id\":\"w-e\",\"execution_id\":\"x-w\",\"workflow_id\":\"wf-w\","
		"\"ts\":\"2026-05-28T20:00:07.000Z\"}",
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		add(&s, pos++, kinds[i], NULL);
	add(&s, pos++, kinds[2], NULL);   /* the step's start again: a producer's retry */
	log_event(ev, sizeof ev, "w-2", "x-w", "2026-05-28T20:00:08.000Z");
	add(&s, pos++, ev, NULL);
	log_event(ev, sizeof ev, "w-bad", "x-w", "yesterday-ish");
	add(&s, pos++, ev, NULL);
	/* The stored one again (a replay) and the whole batch but the bad record. */
	long n = apply_columns_err(c, "writer", &s, 0, s.n, &permanent, err, sizeof err);
	assert_int_equal(n, -1);
	assert_true(permanent);
	assert_non_null(strstr(err, "yesterday-ish"));
	assert_int_equal(pgtest_value(pg.app, "SELECT set_config('wfmon.org', 'writer', false); "
				      "SELECT count(*) FROM execution_events"), 1);
	assert_int_equal(apply_columns_err(c, "writer", &s, 0, s.n - 1, &permanent, err, sizeof err),
			 (long)(sizeof kinds / sizeof kinds[0]) + 1);
	/* Again: a replay of it all stores nothing. */
	assert_int_equal(apply_columns_err(c, "writer", &s, 0, s.n - 1, &permanent, err, sizeof err), 0);
	char *x = pgtest_text(pg.app, "SELECT set_config('wfmon.org', 'writer', false); "
				      "SELECT status || ' ' || event_count || ' ' || workflow_name || ' ' || priority "
				      "FROM workflow_executions WHERE execution_id = 'x-w'");
	assert_non_null(x);
	assert_string_equal(x, "completed 9 Writer HIGH");
	free(x);
	x = pgtest_text(pg.app, "SELECT set_config('wfmon.org', 'writer', false); "
				"SELECT (SELECT count(*) FROM execution_events) || ' ' || "
				"(SELECT count(DISTINCT event_id) FROM execution_events) || ' ' || "
				"(SELECT status || ' ' || progress_current FROM step_executions WHERE step_id = 's1') || ' ' || "
				"(SELECT value FROM execution_counters WHERE name = 'rows')");
	assert_non_null(x);
	assert_string_equal(x, "9 9 completed 10 7");
	free(x);
	for (size_t i = 0; i < s.n; i++)
		free(s.recs[i]);
	free(s.recs);
	PQfinish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_rows_as_event_by_event),
		cmocka_unit_test(test_write_call_refuses_bad_record_and_stores_each_event_once),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
