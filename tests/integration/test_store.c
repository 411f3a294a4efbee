/* test_store.c: the durable store against a real PostgreSQL: migrations,
 * row-level security as the daemon's role, the store thread end to end
 * (spool, DURABLE, exactly-once rows), the four queries, an outage of the
 * database while appending, and the start-up reload. One private cluster for
 * the whole file, in a temp folder removed at the end. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "migrations.h"
#include "pg.h"
#include "proto.h"
#include "store.h"
#include "store_db.h"

static struct pgtest pg;
static char spool_dir[256];
static int64_t next_pos = 1;
static uint64_t next_ticket = 1;
static const int64_t BASE_MS = 1780000000000LL;   /* 2026-05-28 */

/* ---- helpers ------------------------------------------------------------- */

/* A validated event as compact JSON text (malloc'd). extra: fields as JSON
 * object text, or NULL. */
static char *ev(const char *kind, const char *id, const char *exec, const char *wf, int64_t ts_ms,
		const char *extra)
{
	json_t *o = extra ? json_loads(extra, 0, NULL) : json_object();
	assert_non_null(o);
	char ts[40];
	proto_time_format(ts_ms, ts, sizeof ts);
	json_object_set_new(o, "type", json_string(kind));
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "execution_id", json_string(exec));
	json_object_set_new(o, "workflow_id", json_string(wf));
	json_object_set_new(o, "ts", json_string(ts));
	struct proto_event pe;
	struct proto_cause cause;
	if (proto_event_validate(o, &pe, &cause) != 0)
		fail_msg("test event %s invalid: %s: %s", id, cause.field, cause.message);
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static struct store_done *wait_ticket(struct store *s, uint64_t ticket, int timeout_ms)
{
	int64_t end = clock_mono_us() + (int64_t)timeout_ms * 1000;
	while (clock_mono_us() < end) {
		struct store_done *d;
		while (store_take_done(s, &d, 1) == 1) {
			if (d->ticket == ticket)
				return d;
			store_done_free(d);
		}
		usleep(5000);
	}
	return NULL;
}

/* An event for the store as the daemon hands it over: its text (borrowed)
 * and the sizes of its data, which the validator measures. */
static struct store_event store_event_of(const char *org, const char *text)
{
	struct store_event e = {.pos = next_pos++, .json = text, .len = strlen(text)};
	snprintf(e.org, sizeof e.org, "%s", org);
	json_t *o = json_loads(text, 0, NULL);
	struct proto_event pe;
	struct proto_cause cause;
	assert_int_equal(proto_event_validate(o, &pe, &cause), 0);
	e.in_size = pe.input_size;
	e.out_size = pe.output_size;
	json_decref(o);
	return e;
}

/* Appends events (taking the texts) for org and waits for DURABLE. Returns
 * the first position used. */
static int64_t append(struct store *s, const char *org, char **texts, size_t n)
{
	struct store_event events[64];
	assert_true(n <= 64);
	int64_t first = next_pos;
	for (size_t i = 0; i < n; i++)
		events[i] = store_event_of(org, texts[i]);
	uint64_t t = next_ticket++;
	assert_int_equal(store_append(s, events, n, t), 0);
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	struct store_done *d = wait_ticket(s, t, 10000);
	assert_non_null(d);
	assert_int_equal(d->kind, STORE_DONE_DURABLE);
	assert_int_equal(d->status, 0);
	store_done_free(d);
	return first;
}

static void append1(struct store *s, const char *org, char *text)
{
	append(s, org, &text, 1);
}

/* Runs a query (params taken) and returns the done (status checked by the caller). */
static struct store_done *query(struct store *s, enum store_query_kind kind, const char *org,
				json_t *params)
{
	uint64_t t = next_ticket++;
	assert_int_equal(store_query(s, kind, org, params, t), 0);
	struct store_done *d = wait_ticket(s, t, 15000);
	assert_non_null(d);
	assert_int_equal(d->kind, STORE_DONE_QUERY);
	return d;
}

static json_t *query_ok(struct store *s, enum store_query_kind kind, const char *org, json_t *params)
{
	struct store_done *d = query(s, kind, org, params);
	if (d->status != 0)
		fail_msg("query failed: %s", d->error);
	json_t *r = json_incref(d->result);
	store_done_free(d);
	return r;
}

static struct store *store_open(size_t spool_max)
{
	struct store_config cfg = {
		.conninfo = pg.app,
		.spool_dir = spool_dir,
		.spool_max_bytes = spool_max,
		.data_cap_bytes = 64,
		.reconnect_max_s = 1,
		.retention_events_days = 0,
	};
	char cause[256];
	struct store *s = store_new(&cfg, NULL, NULL, cause, sizeof cause);
	if (s == NULL)
		fail_msg("store_new: %s", cause);
	return s;
}

/* Counts rows of an organization as the owner (who is under RLS too). */
static long long count_as(const char *conninfo, const char *org, const char *what)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "BEGIN; SELECT set_config('wfmon.org', '%s', true); %s", org, what);
	return pgtest_value(conninfo, sql);
}

static void wait_written(struct store *s, int timeout_ms)
{
	struct store_status st;
	int64_t end = clock_mono_us() + (int64_t)timeout_ms * 1000;
	do {
		store_get_status(s, &st);
		if (st.pending_records == 0 && st.spool_bytes == 0 && st.db == STORE_DB_UP)
			return;
		usleep(20000);
	} while (clock_mono_us() < end);
	fail_msg("spool not drained: %llu pending, %llu bytes, db %s (%s)",
		 (unsigned long long)st.pending_records, (unsigned long long)st.spool_bytes,
		 store_db_state_name(st.db), st.db_error);
}

/* ---- setup --------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	if (pgtest_start(&pg) != 0)
		return -1;
	snprintf(spool_dir, sizeof spool_dir, "%s/spool", pg.dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pgtest_destroy(&pg);
	return 0;
}

/* ---- migrations and row-level security ----------------------------------- */

static void test_migrate_twice(void **state)
{
	(void)state;
	char cause[256];
	if (store_migrate(pg.owner, "wfmon_app", cause, sizeof cause) != 0)
		fail_msg("store_migrate: %s", cause);
	long long n = 0;
	while (migrations[n].name)
		n++;
	assert_true(n >= 2);
	assert_int_equal(pgtest_value(pg.owner, "SELECT count(*) FROM schema_migrations"), n);
	char *before = pgtest_text(pg.owner, "SELECT max(applied_at)::text FROM schema_migrations");
	assert_non_null(before);
	assert_int_equal(store_migrate(pg.owner, "wfmon_app", cause, sizeof cause), 0);
	assert_int_equal(pgtest_value(pg.owner, "SELECT count(*) FROM schema_migrations"), n);
	char *after = pgtest_text(pg.owner, "SELECT max(applied_at)::text FROM schema_migrations");
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* A bad owner connection is an error with a cause. */
	char bad[300];
	snprintf(bad, sizeof bad, "host=%s/run dbname=nosuchdb user=wfmon_owner", pg.dir);
	assert_int_equal(store_migrate(bad, "wfmon_app", cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "nosuchdb"));
}

static void test_rls(void **state)
{
	(void)state;
	/* Rows for two organizations, written by the owner (FORCE applies to it). */
	assert_int_equal(pgtest_exec(pg.owner,
		"BEGIN; SELECT set_config('wfmon.org', 'rlsA', true);"
		"INSERT INTO workflows VALUES ('rlsA', 'w1', 'W1', now(), now());"
		"INSERT INTO audit_log (org_id, actor, action) VALUES ('rlsA', 'me', 'test');"
		"COMMIT;"
		"BEGIN; SELECT set_config('wfmon.org', 'rlsB', true);"
		"INSERT INTO workflows VALUES ('rlsB', 'w2', 'W2', now(), now());"
		"INSERT INTO audit_log (org_id, actor, action) VALUES ('rlsB', 'me', 'test');"
		"COMMIT;", false), 0);
	/* The owner cannot write another organization's row either. */
	assert_int_equal(pgtest_exec(pg.owner,
		"BEGIN; SELECT set_config('wfmon.org', 'rlsA', true);"
		"INSERT INTO workflows VALUES ('rlsB', 'w3', 'W3', now(), now()); COMMIT;", true), -1);

	/* The daemon role with no organization sees nothing. */
	assert_int_equal(pgtest_value(pg.app, "SELECT count(*) FROM workflows"), 0);
	assert_int_equal(pgtest_value(pg.app, "SELECT count(*) FROM audit_log"), 0);
	/* With A, only A's rows. */
	assert_int_equal(count_as(pg.app, "rlsA", "SELECT count(*) FROM workflows"), 1);
	assert_int_equal(count_as(pg.app, "rlsA", "SELECT count(*) FROM workflows WHERE org_id <> 'rlsA'"), 0);
	assert_int_equal(count_as(pg.app, "rlsB", "SELECT count(*) FROM audit_log"), 1);
	/* Writing B's row while set to A is refused; so is updating B's rows away. */
	assert_int_equal(pgtest_exec(pg.app,
		"BEGIN; SELECT set_config('wfmon.org', 'rlsA', true);"
		"INSERT INTO workflows VALUES ('rlsB', 'w9', 'W9', now(), now()); COMMIT;", true), -1);
	assert_int_equal(pgtest_exec(pg.app,
		"BEGIN; SELECT set_config('wfmon.org', 'rlsA', true);"
		"UPDATE workflows SET org_id = 'rlsB' WHERE workflow_id = 'w1'; COMMIT;", true), -1);
	assert_int_equal(pgtest_exec(pg.app,
		"INSERT INTO workflows VALUES ('rlsA', 'w8', 'W8', now(), now())", true), -1);
	/* Deleting with A set leaves B alone; the audit log is append-only. */
	assert_int_equal(pgtest_exec(pg.app,
		"BEGIN; SELECT set_config('wfmon.org', 'rlsA', true); DELETE FROM workflows; COMMIT;", false), 0);
	assert_int_equal(count_as(pg.app, "rlsA", "SELECT count(*) FROM workflows"), 0);
	assert_int_equal(count_as(pg.app, "rlsB", "SELECT count(*) FROM workflows"), 1);
	assert_int_equal(pgtest_exec(pg.app,
		"BEGIN; SELECT set_config('wfmon.org', 'rlsA', true); DELETE FROM audit_log; COMMIT;", true), -1);
	/* The write function refuses to run with no organization. */
	assert_int_equal(pgtest_exec(pg.app, "SELECT wfmon_apply_events('[]', 100)", true), -1);
	/* No TRUNCATE, no DDL. */
	assert_int_equal(pgtest_exec(pg.app, "TRUNCATE execution_events", true), -1);
	assert_int_equal(pgtest_exec(pg.app, "CREATE TABLE t (x int)", true), -1);
	assert_int_equal(pgtest_exec(pg.app, "ALTER TABLE workflows DISABLE ROW LEVEL SECURITY", true), -1);

	/* Every table with org_id has ENABLE and FORCE (a partitioned table
	 * counts once; its default partition, which the daemon may read and
	 * delete from, has its own). */
	static const char tables_sql[] =
		"SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
		"WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND EXISTS (SELECT 1 FROM pg_attribute a "
		"WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped)";
	char sql[1024];
	snprintf(sql, sizeof sql, "%s AND NOT c.relispartition", tables_sql);
	/* 0005: rollups and their state, 0009: workflow_schedules, 0012: action_link_uses,
	 * 0013: metric_rollup_retractions, 0016: event_positions */
	assert_int_equal(pgtest_value(pg.owner, sql), 20);
	snprintf(sql, sizeof sql, "%s AND (NOT c.relispartition OR c.relname LIKE '%%\\_default') "
		 "AND NOT (c.relrowsecurity AND c.relforcerowsecurity)", tables_sql);
	assert_int_equal(pgtest_value(pg.owner, sql), 0);
	/* 0014: five tables partitioned by day, each with a default partition
	 * and today's and the next three days' partitions. */
	assert_int_equal(pgtest_value(pg.owner, "SELECT count(*) FROM pg_class WHERE relkind = 'p'"), 5);
	assert_int_equal(pgtest_value(pg.owner, "SELECT count(*) FROM pg_class WHERE relispartition "
						 "AND relkind = 'r' AND relname LIKE '%\\_default'"), 5);
	assert_int_equal(pgtest_value(pg.owner, "SELECT count(*) FROM pg_class WHERE relname = "
						 "'execution_events_p' || to_char((now() AT TIME ZONE 'UTC')::date + 3, "
						 "'YYYYMMDD')"), 1);
	/* The daemon reaches a day partition only through its parent (whose
	 * policy applies): no privilege on any. */
	assert_int_equal(pgtest_value(pg.owner, "SELECT count(*) FROM pg_class c WHERE c.relispartition "
						 "AND c.relname NOT LIKE '%\\_default' AND "
						 "has_table_privilege('wfmon_app', c.oid, 'SELECT,INSERT,UPDATE,DELETE')"), 0);
	char today[16];
	time_t now_s = time(NULL);
	struct tm utc;
	strftime(today, sizeof today, "%Y%m%d", gmtime_r(&now_s, &utc));
	snprintf(sql, sizeof sql, "SELECT count(*) FROM execution_events_p%s", today);
	assert_int_equal(pgtest_exec(pg.owner, sql, false), 0);
	assert_int_equal(pgtest_exec(pg.app, sql, true), -1);
	/* Nor can it make or drop partitions but through the two functions. */
	assert_int_equal(pgtest_exec(pg.app, "DROP TABLE execution_events_default", true), -1);
	/* The daemon's role: no superuser, no BYPASSRLS, owns nothing. */
	assert_int_equal(pgtest_value(pg.owner, "SELECT count(*) FROM pg_roles WHERE rolname = 'wfmon_app' "
						 "AND NOT rolsuper AND NOT rolbypassrls"), 1);
	assert_int_equal(pgtest_value(pg.owner, "SELECT count(*) FROM pg_class WHERE relowner = "
						 "(SELECT oid FROM pg_roles WHERE rolname = 'wfmon_app')"), 0);
	assert_int_equal(pgtest_value(pg.owner, "SELECT count(*) FROM pg_proc WHERE proowner = "
						 "(SELECT oid FROM pg_roles WHERE rolname = 'wfmon_app')"), 0);
}

/* ---- end to end ---------------------------------------------------------- */

static const char plan[] =
	"{\"workflow_name\":\"Nightly ETL\",\"priority\":\"HIGH\",\"params\":{\"day\":\"2026-05-28\"},"
	"\"steps\":[{\"id\":\"extract\",\"name\":\"Extract\",\"depends_on\":[]},"
	"{\"id\":\"transform\",\"name\":\"Transform\",\"depends_on\":[\"extract\"]},"
	"{\"id\":\"load\",\"name\":\"Load\",\"depends_on\":[\"transform\"]}]}";

/* A whole execution of workflow etl: 14 events. */
static int64_t run_execution(struct store *s, const char *org, const char *x, int64_t t0,
			     const char *terminal)
{
	char id[64][24];
	char *e[16];
	int n = 0;
	for (int i = 0; i < 16; i++)
		snprintf(id[i], sizeof id[i], "%s-e%02d", x, i);
	e[n] = ev("execution.queued", id[n], x, "etl", t0, plan); n++;
	e[n] = ev("execution.started", id[n], x, "etl", t0 + 1000, "{\"worker\":\"w-1\"}"); n++;
	e[n] = ev("step.started", id[n], x, "etl", t0 + 1100,
		  "{\"step_id\":\"extract\",\"input\":{\"rows\":1}}"); n++;
	e[n] = ev("step.progress", id[n], x, "etl", t0 + 1200,
		  "{\"step_id\":\"extract\",\"current\":5,\"total\":10,\"unit\":\"rows\"}"); n++;
	e[n] = ev("counter", id[n], x, "etl", t0 + 1300, "{\"name\":\"rows\",\"value\":500}"); n++;
	e[n] = ev("counter", id[n], x, "etl", t0 + 1250, "{\"name\":\"rows\",\"value\":300}"); n++;
	e[n] = ev("log", id[n], x, "etl", t0 + 1400, "{\"level\":\"info\",\"message\":\"extracting\"}"); n++;
	e[n] = ev("step.completed", id[n], x, "etl", t0 + 2100,
		  "{\"step_id\":\"extract\",\"duration_ms\":1000,\"cpu_percent\":50.5,\"memory_bytes\":1024,"
		  "\"output\":{\"blob\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}}");
	n++;
	e[n] = ev("step.started", id[n], x, "etl", t0 + 2200, "{\"step_id\":\"transform\"}"); n++;
	e[n] = ev("resource.sample", id[n], x, "etl", t0 + 2300,
		  "{\"worker\":\"w-1\",\"cpu_percent\":80,\"memory_bytes\":4096}"); n++;
	e[n] = ev("log", id[n], x, "etl", t0 + 2400, "{\"level\":\"warn\",\"message\":\"slow\"}"); n++;
	if (strcmp(terminal, "running") == 0) {
		return append(s, org, e, (size_t)n);
	}
	e[n] = ev("step.completed", id[n], x, "etl", t0 + 3200,
		  "{\"step_id\":\"transform\",\"duration_ms\":1000}"); n++;
	if (strcmp(terminal, "failed") == 0) {
		e[n] = ev("step.failed", id[n], x, "etl", t0 + 3500,
			  "{\"step_id\":\"load\",\"error\":\"disk full\",\"error_code\":\"ENOSPC\"}"); n++;
		e[n] = ev("execution.failed", id[n], x, "etl", t0 + 3600,
			  "{\"error\":\"Disk full on load\",\"error_code\":\"ENOSPC\"}"); n++;
	} else {
		e[n] = ev("step.completed", id[n], x, "etl", t0 + 4200,
			  "{\"step_id\":\"load\",\"duration_ms\":1000}"); n++;
		e[n] = ev("execution.completed", id[n], x, "etl", t0 + 4300, NULL); n++;
	}
	return append(s, org, e, (size_t)n);
}

static void test_end_to_end(void **state)
{
	(void)state;
	struct store *s = store_open(0);
	int64_t first = run_execution(s, "acme", "x-1", BASE_MS, "completed");
	/* The same event three times: one row. */
	for (int i = 0; i < 3; i++)
		append1(s, "acme", ev("log", "dup-1", "x-1", "etl", BASE_MS + 5000,
				      "{\"level\":\"info\",\"message\":\"again\"}"));

	json_t *r = query_ok(s, STORE_Q_EXECUTION, "acme", json_pack("{s:s}", "id", "x-1"));
	json_t *x = json_object_get(r, "execution");
	assert_true(json_is_object(x));
	assert_string_equal(json_string_value(json_object_get(x, "id")), "x-1");
	assert_string_equal(json_string_value(json_object_get(x, "status")), "completed");
	assert_string_equal(json_string_value(json_object_get(x, "workflow_name")), "Nightly ETL");
	assert_string_equal(json_string_value(json_object_get(x, "priority")), "HIGH");
	assert_string_equal(json_string_value(json_object_get(x, "queued_at")), "2026-05-28T20:26:40.000Z");
	assert_string_equal(json_string_value(json_object_get(x, "started_at")), "2026-05-28T20:26:41.000Z");
	assert_string_equal(json_string_value(json_object_get(x, "finished_at")), "2026-05-28T20:26:44.300Z");
	assert_string_equal(json_string_value(json_object_get(x, "worker")), "w-1");
	assert_true(json_is_null(json_object_get(x, "error")));
	assert_int_equal(json_integer_value(json_object_get(x, "steps_total")), 3);
	assert_int_equal(json_integer_value(json_object_get(x, "steps_completed")), 3);
	assert_true(json_is_null(json_object_get(x, "current_step")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(x, "params"), "day")), "2026-05-28");
	json_t *steps = json_object_get(x, "steps");
	assert_int_equal(json_array_size(steps), 3);
	const char *order[] = {"extract", "transform", "load"};
	for (int i = 0; i < 3; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(steps, i), "id")), order[i]);
	json_t *ex = json_array_get(steps, 0);
	assert_string_equal(json_string_value(json_object_get(ex, "name")), "Extract");
	assert_int_equal(json_integer_value(json_object_get(ex, "duration_ms")), 1000);
	assert_int_equal(json_integer_value(json_object_get(ex, "memory_bytes")), 1024);
	assert_true(json_real_value(json_object_get(ex, "cpu_percent")) > 50.4);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ex, "input"), "rows")), 1);
	/* The output was over the 64-byte cap. */
	json_t *out = json_object_get(ex, "output");
	assert_true(json_is_true(json_object_get(out, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(out, "size")), 81);
	json_t *prog = json_object_get(ex, "progress");
	assert_int_equal(json_integer_value(json_object_get(prog, "current")), 10);
	assert_int_equal(json_integer_value(json_object_get(prog, "total")), 10);
	json_t *deps = json_object_get(json_array_get(steps, 1), "depends_on");
	assert_string_equal(json_string_value(json_array_get(deps, 0)), "extract");
	/* The late, lower counter did not lower the total. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "counters"), "rows")), 500);
	json_t *log = json_object_get(x, "log");
	assert_int_equal(json_array_size(log), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "message")), "extracting");
	json_t *events = json_object_get(r, "events");
	assert_int_equal(json_array_size(events), 15);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(events, 0), "pos")), first);
	assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "type")),
			    "execution.queued");
	json_decref(r);

	/* Exactly once in PostgreSQL. */
	assert_int_equal(count_as(pg.owner, "acme", "SELECT count(*) FROM execution_events"), 15);
	assert_int_equal(count_as(pg.owner, "acme", "SELECT count(*) FROM execution_events WHERE event_id = 'dup-1'"), 1);
	assert_int_equal(count_as(pg.owner, "acme", "SELECT count(*) FROM step_metrics"), 3);
	assert_int_equal(count_as(pg.owner, "acme", "SELECT count(*) FROM resource_metrics WHERE worker = 'w-1'"), 1);
	assert_int_equal(count_as(pg.owner, "acme", "SELECT count(*) FROM execution_metrics"), 2);
	/* The late execution.started of a finished execution does not reopen it. */
	append1(s, "acme", ev("execution.started", "late-1", "x-1", "etl", BASE_MS + 9000, NULL));
	r = query_ok(s, STORE_Q_EXECUTION, "acme", json_pack("{s:s}", "id", "x-1"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "execution"), "status")),
			    "completed");
	json_decref(r);

	/* Another organization sees none of it. */
	r = query_ok(s, STORE_Q_EXECUTION, "intruder", json_pack("{s:s}", "id", "x-1"));
	assert_true(json_is_null(json_object_get(r, "execution")));
	assert_int_equal(json_array_size(json_object_get(r, "events")), 0);
	json_decref(r);
	wait_written(s, 10000);
	store_free(s);
}

/* ---- queries ------------------------------------------------------------- */

static void test_queries(void **state)
{
	(void)state;
	struct store *s = store_open(0);
	/* 25 executions of two workflows, one a minute; every third failed with
	 * an error, every third completed, the rest running. */
	for (int i = 0; i < 25; i++) {
		char x[32], eid[40];
		snprintf(x, sizeof x, "q-%02d", i);
		const char *wf = i % 2 ? "wf-odd" : "wf-even";
		int64_t t = BASE_MS + (int64_t)i * 60000;
		char *e[3];
		int n = 0;
		snprintf(eid, sizeof eid, "%s-q", x);
		e[n++] = ev("execution.queued", eid, x, wf, t,
			    "{\"workflow_name\":\"Report\",\"priority\":\"NORMAL\",\"steps\":[{\"id\":\"s1\",\"name\":\"S1\"}]}");
		snprintf(eid, sizeof eid, "%s-s", x);
		e[n++] = ev("execution.started", eid, x, wf, t + 10, NULL);
		snprintf(eid, sizeof eid, "%s-t", x);
		if (i % 3 == 1)
			e[n++] = ev("execution.failed", eid, x, wf, t + 20, "{\"error\":\"Disk FULL\"}");
		else if (i % 3 == 0)
			e[n++] = ev("execution.completed", eid, x, wf, t + 20, NULL);
		append(s, "qorg", e, (size_t)n);
	}
	/* Pages of 10, newest first, no overlap, no gap. */
	json_t *after = json_null();
	int seen = 0;
	for (int page = 0; page < 3; page++) {
		json_t *params = json_pack("{s:i,s:O}", "limit", 10, "after", after);
		json_t *r = query_ok(s, STORE_Q_EXECUTIONS, "qorg", params);
		json_t *list = json_object_get(r, "executions");
		assert_int_equal(json_array_size(list), page < 2 ? 10 : 5);
		for (size_t i = 0; i < json_array_size(list); i++) {
			char want[32];
			snprintf(want, sizeof want, "q-%02d", 24 - seen);
			assert_string_equal(json_string_value(json_object_get(json_array_get(list, i), "id")), want);
			seen++;
		}
		json_decref(after);
		after = json_incref(json_object_get(r, "next"));
		assert_true(page < 2 ? json_is_string(after) : json_is_null(after));
		json_decref(r);
	}
	json_decref(after);
	assert_int_equal(seen, 25);

	struct {
		const char *params;
		size_t count;
	} filters[] = {
		{"{\"status\":\"failed\"}", 8},
		{"{\"status\":[\"completed\",\"failed\"]}", 17},
		{"{\"status\":\"running\"}", 8},
		{"{\"workflow\":\"wf-odd\"}", 12},
		{"{\"workflow\":\"wf-odd\",\"status\":\"failed\"}", 4},
		{"{\"text\":\"disk full\"}", 8},
		{"{\"text\":\"Q-2\"}", 5},
		{"{\"text\":\"report\",\"limit\":500}", 25},
		{"{\"from\":\"2026-05-28T20:36:40Z\",\"to\":\"2026-05-28T20:41:40Z\"}", 5},
		{"{\"workflow\":\"nope\"}", 0},
	};
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		json_t *r = query_ok(s, STORE_Q_EXECUTIONS, "qorg", json_loads(filters[i].params, 0, NULL));
		if (json_array_size(json_object_get(r, "executions")) != filters[i].count)
			fail_msg("%s: %zu executions, expected %zu", filters[i].params,
				 json_array_size(json_object_get(r, "executions")), filters[i].count);
		json_decref(r);
	}
	/* A summary has live.c's shape. */
	json_t *r = query_ok(s, STORE_Q_EXECUTIONS, "qorg", json_pack("{s:i}", "limit", 1));
	json_t *one = json_array_get(json_object_get(r, "executions"), 0);
	const char *fields[] = {"id", "workflow_id", "workflow_name", "priority", "status", "queued_at",
				"started_at", "finished_at", "last_event_at", "error", "steps_total",
				"steps_completed", "steps_failed", "current_step", NULL};
	for (int i = 0; fields[i]; i++)
		assert_non_null(json_object_get(one, fields[i]));
	assert_string_equal(json_string_value(json_object_get(one, "queued_at")), "2026-05-28T20:50:40.000Z");
	json_decref(r);

	/* Bad parameters name the parameter. */
	struct {
		const char *params;
		const char *word;
	} bads[] = {
		{"{\"limit\":0}", "limit"},
		{"{\"limit\":501}", "limit"},
		{"{\"status\":\"bogus\"}", "status"},
		{"{\"workflow\":\"a b\"}", "workflow"},
		{"{\"from\":\"yesterday\"}", "from"},
		{"{\"after\":\"!!!\"}", "after"},
		{"{\"colour\":1}", "colour"},
	};
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct store_done *d = query(s, STORE_Q_EXECUTIONS, "qorg", json_loads(bads[i].params, 0, NULL));
		assert_int_equal(d->status, -1);
		if (strstr(d->error, bads[i].word) == NULL)
			fail_msg("%s: error \"%s\" does not name %s", bads[i].params, d->error, bads[i].word);
		store_done_free(d);
	}
	struct store_done *d = query(s, STORE_Q_EXECUTION, "qorg", json_object());
	assert_int_equal(d->status, -1);
	assert_non_null(strstr(d->error, "id"));
	store_done_free(d);

	/* Another organization's lists are empty. */
	r = query_ok(s, STORE_Q_EXECUTIONS, "acme", json_pack("{s:s}", "workflow", "wf-odd"));
	assert_int_equal(json_array_size(json_object_get(r, "executions")), 0);
	json_decref(r);
	r = query_ok(s, STORE_Q_EXECUTIONS, "qorg", json_pack("{s:s}", "workflow", "etl"));
	assert_int_equal(json_array_size(json_object_get(r, "executions")), 0);
	json_decref(r);
	store_free(s);
}

static void test_step_stats(void **state)
{
	(void)state;
	struct store *s = store_open(0);
	/* Five finished runs of wf-stats: step a took 100..500 ms, b 10..50 ms;
	 * b failed in the third run (not counted); then one still running. */
	for (int i = 0; i < 6; i++) {
		char x[32], eid[6][48], extra[128];
		snprintf(x, sizeof x, "st-%d", i);
		for (int k = 0; k < 6; k++)
			snprintf(eid[k], sizeof eid[k], "%s-%d", x, k);
		int64_t t = BASE_MS + 3600000 + (int64_t)i * 60000;
		char *e[6];
		int n = 0;
		e[n++] = ev("execution.queued", eid[0], x, "wf-stats", t,
			    "{\"workflow_name\":\"Stats\",\"priority\":\"LOW\",\"steps\":[{\"id\":\"a\",\"name\":\"A\"},"
			    "{\"id\":\"b\",\"name\":\"B\",\"depends_on\":[\"a\"]}]}");
		if (i == 5) {
			append(s, "sorg", e, (size_t)n);
			continue;
		}
		snprintf(extra, sizeof extra, "{\"step_id\":\"a\",\"duration_ms\":%d}", (i + 1) * 100);
		e[n++] = ev("step.completed", eid[1], x, "wf-stats", t + 1000, extra);
		if (i == 2) {
			e[n++] = ev("step.failed", eid[2], x, "wf-stats", t + 2000,
				    "{\"step_id\":\"b\",\"error\":\"no\",\"duration_ms\":9999}");
			e[n++] = ev("execution.failed", eid[3], x, "wf-stats", t + 3000, "{\"error\":\"no\"}");
		} else {
			snprintf(extra, sizeof extra, "{\"step_id\":\"b\",\"duration_ms\":%d}", (i + 1) * 10);
			e[n++] = ev("step.completed", eid[2], x, "wf-stats", t + 2000, extra);
			e[n++] = ev("execution.completed", eid[3], x, "wf-stats", t + 3000, NULL);
		}
		append(s, "sorg", e, (size_t)n);
	}
	json_t *r = query_ok(s, STORE_Q_STEP_STATS, "sorg", json_pack("{s:s}", "workflow_id", "wf-stats"));
	assert_int_equal(json_integer_value(json_object_get(r, "runs")), 5);
	json_t *steps = json_object_get(r, "steps");
	assert_int_equal(json_array_size(steps), 2);
	json_t *a = json_array_get(steps, 0), *b = json_array_get(steps, 1);
	assert_string_equal(json_string_value(json_object_get(a, "step_id")), "a");
	assert_string_equal(json_string_value(json_object_get(a, "name")), "A");
	assert_int_equal(json_integer_value(json_object_get(a, "count")), 5);
	assert_float_equal(json_real_value(json_object_get(a, "avg_ms")), 300.0, 1e-9);
	/* percentile_cont(0.95) of 100..500: 400 + 0.8 * 100. */
	assert_float_equal(json_real_value(json_object_get(a, "p95_ms")), 480.0, 1e-9);
	assert_int_equal(json_integer_value(json_object_get(a, "min_ms")), 100);
	assert_int_equal(json_integer_value(json_object_get(a, "max_ms")), 500);
	/* b: 10, 20, 40, 50 (the failed run's 9999 is not a completion). */
	assert_int_equal(json_integer_value(json_object_get(b, "count")), 4);
	assert_float_equal(json_real_value(json_object_get(b, "avg_ms")), 30.0, 1e-9);
	assert_float_equal(json_real_value(json_object_get(b, "p95_ms")), 48.5, 1e-9);
	assert_int_equal(json_integer_value(json_object_get(b, "max_ms")), 50);
	json_decref(r);
	/* The last two runs only: a = 400, 500. */
	r = query_ok(s, STORE_Q_STEP_STATS, "sorg", json_pack("{s:s,s:i}", "workflow_id", "wf-stats", "runs", 2));
	assert_int_equal(json_integer_value(json_object_get(r, "runs")), 2);
	a = json_array_get(json_object_get(r, "steps"), 0);
	assert_float_equal(json_real_value(json_object_get(a, "avg_ms")), 450.0, 1e-9);
	assert_float_equal(json_real_value(json_object_get(a, "p95_ms")), 495.0, 1e-9);
	json_decref(r);
	/* Isolation and bad parameters. */
	r = query_ok(s, STORE_Q_STEP_STATS, "acme", json_pack("{s:s}", "workflow_id", "wf-stats"));
	assert_int_equal(json_integer_value(json_object_get(r, "runs")), 0);
	assert_int_equal(json_array_size(json_object_get(r, "steps")), 0);
	json_decref(r);
	struct store_done *d = query(s, STORE_Q_STEP_STATS, "sorg",
				     json_pack("{s:s,s:i}", "workflow_id", "wf-stats", "runs", 0));
	assert_int_equal(d->status, -1);
	assert_non_null(strstr(d->error, "runs"));
	store_done_free(d);
	store_free(s);
}

static void test_replay(void **state)
{
	(void)state;
	struct store *s = store_open(0);
	int64_t p0 = run_execution(s, "rorg", "r-1", BASE_MS + 7200000, "completed");
	/* p0 = queued, p0+1 started, p0+2 step.started (input), p0+3 progress,
	 * p0+4/5 counters, p0+6 log, p0+7 step.completed, p0+8 step.started,
	 * p0+9 resource.sample, p0+10 log, p0+11/12 step.completed, p0+13 completed. */
	json_t *r = query_ok(s, STORE_Q_REPLAY, "rorg",
			     json_pack("{s:s,s:I,s:i}", "room", "execution:r-1", "since", (json_int_t)p0, "limit", 100));
	assert_true(json_is_true(json_object_get(r, "found")));
	assert_false(json_is_true(json_object_get(r, "truncated")));
	json_t *evs = json_object_get(r, "events");
	assert_int_equal(json_array_size(evs), 13);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(evs, 0), "pos")), p0 + 1);
	/* The execution room keeps input. */
	json_t *ss = json_object_get(json_array_get(evs, 1), "event");
	assert_string_equal(json_string_value(json_object_get(ss, "type")), "step.started");
	assert_non_null(json_object_get(ss, "input"));
	json_decref(r);

	/* The workflow room: execution-level kinds only, without input/output. */
	r = query_ok(s, STORE_Q_REPLAY, "rorg",
		     json_pack("{s:s,s:I,s:i}", "room", "workflow:etl", "since", (json_int_t)p0, "limit", 3));
	assert_true(json_is_true(json_object_get(r, "found")));
	assert_true(json_is_true(json_object_get(r, "truncated")));
	evs = json_object_get(r, "events");
	assert_int_equal(json_array_size(evs), 3);
	const char *kinds[] = {"execution.started", "step.started", "step.completed"};
	for (int i = 0; i < 3; i++) {
		json_t *e = json_object_get(json_array_get(evs, i), "event");
		assert_string_equal(json_string_value(json_object_get(e, "type")), kinds[i]);
		assert_null(json_object_get(e, "input"));
		assert_null(json_object_get(e, "output"));
	}
	json_decref(r);
	/* A position that is not the room's: not found. */
	r = query_ok(s, STORE_Q_REPLAY, "rorg",
		     json_pack("{s:s,s:I,s:i}", "room", "workflow:etl", "since", (json_int_t)(p0 + 4), "limit", 100));
	assert_false(json_is_true(json_object_get(r, "found")));
	assert_int_equal(json_array_size(json_object_get(r, "events")), 5);
	json_decref(r);
	struct {
		const char *room;
		int64_t since;
		bool found;
		size_t n;
	} cases[] = {
		{"org", p0, true, 7},
		{"queue", p0, true, 2},
		{"resources", p0 + 9, true, 0},
		{"resources", p0, false, 1},
		{"execution:other", p0, false, 0},
		{"alerts", p0, false, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		r = query_ok(s, STORE_Q_REPLAY, "rorg",
			     json_pack("{s:s,s:I,s:i}", "room", cases[i].room, "since", (json_int_t)cases[i].since,
				       "limit", 100));
		if (json_is_true(json_object_get(r, "found")) != cases[i].found ||
		    json_array_size(json_object_get(r, "events")) != cases[i].n)
			fail_msg("replay %s since %lld: found %d, %zu events", cases[i].room,
				 (long long)cases[i].since, json_is_true(json_object_get(r, "found")),
				 json_array_size(json_object_get(r, "events")));
		json_decref(r);
	}
	/* Another organization: nothing. */
	r = query_ok(s, STORE_Q_REPLAY, "acme",
		     json_pack("{s:s,s:I,s:i}", "room", "execution:r-1", "since", (json_int_t)p0, "limit", 100));
	assert_false(json_is_true(json_object_get(r, "found")));
	assert_int_equal(json_array_size(json_object_get(r, "events")), 0);
	json_decref(r);
	struct store_done *d = query(s, STORE_Q_REPLAY, "rorg", json_pack("{s:s,s:i}", "room", "no such", "since", 1));
	assert_int_equal(d->status, -1);
	assert_non_null(strstr(d->error, "room"));
	store_done_free(d);
	store_free(s);
}

/* A query submitted right after an append (without waiting for its DURABLE)
 * sees the appended events: the database thread waits for the spool thread
 * to take them, then writes them first. Many rounds, since the two threads
 * race. */
static void test_query_sees_preceding_append(void **state)
{
	(void)state;
	struct store *s = store_open(0);
	for (int round = 0; round < 50; round++) {
		char exec[32], id[32];
		snprintf(exec, sizeof exec, "order-%d", round);
		snprintf(id, sizeof id, "order-ev-%d", round);
		char *text = ev("execution.queued", id, exec, "etl", BASE_MS,
				"{\"workflow_name\":\"ETL\",\"priority\":\"NORMAL\",\"steps\":[{\"id\":\"s1\",\"name\":\"S1\"}]}");
		struct store_event e = store_event_of("qorg", text);
		uint64_t t = next_ticket++, tq = next_ticket++;
		assert_int_equal(store_append(s, &e, 1, t), 0);
		free(text);   /* store_append copies it */
		assert_int_equal(store_query(s, STORE_Q_EXECUTION, "qorg", json_pack("{s:s}", "id", exec), tq), 0);
		bool durable = false, answered = false;
		int64_t end = clock_mono_us() + 10000000;
		while (!(durable && answered) && clock_mono_us() < end) {
			struct store_done *d;
			if (store_take_done(s, &d, 1) != 1) {
				usleep(2000);
				continue;
			}
			assert_int_equal(d->status, 0);
			if (d->ticket == t) {
				durable = true;
			} else if (d->ticket == tq) {
				answered = true;
				if (!json_is_object(json_object_get(d->result, "execution")))
					fail_msg("round %d: the query did not see the event appended before it", round);
			}
			store_done_free(d);
		}
		assert_true(durable && answered);
	}
	store_free(s);
}

/* ---- outage and reload --------------------------------------------------- */

static void test_database_outage(void **state)
{
	(void)state;
	struct store *s = store_open(0);
	run_execution(s, "oorg", "o-1", BASE_MS + 9000000, "completed");
	wait_written(s, 10000);
	assert_int_equal(pgtest_stop(&pg), 0);
	/* Appends are still DURABLE: they go to the spool. */
	int64_t first = run_execution(s, "oorg", "o-2", BASE_MS + 9100000, "failed");
	run_execution(s, "oorg2", "o-3", BASE_MS + 9200000, "running");
	struct store_status st;
	int64_t end = clock_mono_us() + 10000000;
	do {
		store_get_status(s, &st);
		usleep(20000);
	} while (st.db == STORE_DB_UP && clock_mono_us() < end);
	assert_int_not_equal(st.db, STORE_DB_UP);
	assert_true(st.db_error[0] != '\0');
	assert_true(st.pending_records >= 25);
	assert_true(st.spool_bytes > 0);
	/* A query is refused as unavailable, not hung. */
	struct store_done *d = query(s, STORE_Q_EXECUTION, "oorg", json_pack("{s:s}", "id", "o-2"));
	assert_int_equal(d->status, -1);
	store_done_free(d);

	assert_int_equal(pgtest_restart(&pg), 0);
	wait_written(s, 20000);
	store_get_status(s, &st);
	assert_int_equal(st.db, STORE_DB_UP);
	assert_true(st.written_total >= 25);
	assert_true(st.last_write_ms > 0);
	assert_int_equal(count_as(pg.owner, "oorg", "SELECT count(*) FROM execution_events"), 28);
	assert_int_equal(count_as(pg.owner, "oorg",
				  "SELECT count(*) FROM (SELECT event_id FROM execution_events GROUP BY event_id "
				  "HAVING count(*) > 1) t"), 0);
	assert_int_equal(count_as(pg.owner, "oorg2", "SELECT count(*) FROM execution_events"), 11);
	json_t *r = query_ok(s, STORE_Q_EXECUTION, "oorg", json_pack("{s:s}", "id", "o-2"));
	json_t *x = json_object_get(r, "execution");
	assert_string_equal(json_string_value(json_object_get(x, "status")), "failed");
	assert_string_equal(json_string_value(json_object_get(x, "error")), "Disk full on load");
	assert_string_equal(json_string_value(json_object_get(x, "error_code")), "ENOSPC");
	assert_int_equal(json_integer_value(json_object_get(x, "steps_failed")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(r, "events"), 0), "pos")),
			 first);
	json_decref(r);
	store_free(s);
}

static void test_spool_replay_at_start(void **state)
{
	(void)state;
	/* Records left in the spool (the database was down at shutdown) are
	 * written by the next store, once. */
	assert_int_equal(pgtest_stop(&pg), 0);
	struct store *s = store_open(0);
	int64_t first = run_execution(s, "porg", "p-1", BASE_MS + 9500000, "running");
	store_free(s);
	assert_int_equal(pgtest_restart(&pg), 0);
	s = store_open(0);
	assert_int_equal(store_spool_max_pos(s), first + 10);
	wait_written(s, 20000);
	assert_int_equal(count_as(pg.owner, "porg", "SELECT count(*) FROM execution_events"), 11);
	store_free(s);
}

static void test_full_spool_refuses(void **state)
{
	(void)state;
	assert_int_equal(pgtest_stop(&pg), 0);
	struct store *s = store_open(2000);
	int refused = 0;
	for (int i = 0; i < 40 && !refused; i++) {
		char id[32];
		snprintf(id, sizeof id, "full-%d", i);
		char *text = ev("log", id, "f-1", "etl", BASE_MS, "{\"level\":\"info\",\"message\":\"fill\"}");
		struct store_event e = store_event_of("forg", text);
		uint64_t t = next_ticket++;
		int rc = store_append(s, &e, 1, t);
		free(text);
		if (rc != 0) {
			refused = 1;
			break;
		}
		struct store_done *d = wait_ticket(s, t, 5000);
		assert_non_null(d);
		assert_int_equal(d->status, 0);
		store_done_free(d);
	}
	assert_true(refused);
	struct store_status st;
	store_get_status(s, &st);
	assert_int_equal(st.refused_total, 1);
	assert_true(st.spool_bytes <= 2000);
	assert_int_equal(pgtest_restart(&pg), 0);
	wait_written(s, 20000);
	/* Once drained there is room again. */
	append1(s, "forg", ev("log", "full-after", "f-1", "etl", BASE_MS, "{\"level\":\"info\",\"message\":\"ok\"}"));
	store_free(s);
}

static void test_load_state(void **state)
{
	(void)state;
	char cause[256];
	json_t *st = store_load_state(pg.app, 5, cause, sizeof cause);
	if (st == NULL)
		fail_msg("store_load_state: %s", cause);
	json_t *orgs = json_object_get(st, "orgs");
	json_t *oorg2 = NULL, *porg = NULL, *acme = NULL;
	size_t i;
	json_t *o;
	json_array_foreach(orgs, i, o) {
		const char *name = json_string_value(json_object_get(o, "org"));
		if (strcmp(name, "oorg2") == 0) oorg2 = o;
		if (strcmp(name, "porg") == 0) porg = o;
		if (strcmp(name, "acme") == 0) acme = o;
	}
	assert_non_null(oorg2);
	assert_non_null(porg);
	assert_non_null(acme);
	/* o-3 and p-1 are still running, with their steps; acme's x-1 finished
	 * (recent finished runs come too, for the dashboard). */
	json_t *xs = json_object_get(oorg2, "executions");
	assert_int_equal(json_array_size(xs), 1);
	json_t *x = json_array_get(xs, 0);
	assert_string_equal(json_string_value(json_object_get(x, "id")), "o-3");
	assert_string_equal(json_string_value(json_object_get(x, "status")), "running");
	assert_string_equal(json_string_value(json_object_get(x, "current_step")), "transform");
	assert_int_equal(json_array_size(json_object_get(x, "steps")), 3);
	assert_int_equal(json_array_size(json_object_get(x, "log")), 2);
	assert_int_equal(json_array_size(json_object_get(porg, "executions")), 1);
	json_t *finished = json_object_get(acme, "executions");
	assert_int_equal(json_array_size(finished), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(finished, 0), "status")), "completed");
	/* Positions and the most recent event ids, oldest first. */
	json_t *ids = json_object_get(oorg2, "recent_event_ids");
	assert_int_equal(json_array_size(ids), 5);
	assert_string_equal(json_string_value(json_array_get(ids, 4)), "o-3-e10");
	assert_int_equal(json_integer_value(json_object_get(oorg2, "max_pos")),
			 count_as(pg.owner, "oorg2", "SELECT max(pos) FROM execution_events"));
	json_decref(st);
	/* Unreachable database: NULL with a cause. */
	char bad[300];
	snprintf(bad, sizeof bad, "host=%s/nowhere dbname=wfmon user=wfmon_app", pg.dir);
	assert_null(store_load_state(bad, 5, cause, sizeof cause));
	assert_true(cause[0] != '\0');
}

/* ---- retention ------------------------------------------------------------ */

/* Rows of one organization, written as the owner: a workflow (which makes the
 * organization known), two executions (one last heard of 40 days ago, one
 * now, each with a step), `old_events` events of 40 days ago and 5 of now,
 * and two execution metrics 40 days old. */
static void retention_fixture(const char *org, int old_events)
{
	char sql[4096];
	snprintf(sql, sizeof sql,
		 "BEGIN; SELECT set_config('wfmon.org', '%1$s', true);"
		 "INSERT INTO workflows VALUES ('%1$s', 'ret-wf', 'Retention', now() - interval '41 days', now());"
		 "INSERT INTO workflow_executions (org_id, execution_id, workflow_id, workflow_name, status,"
		 "  first_seen, last_heartbeat) VALUES"
		 "  ('%1$s', 'old-x', 'ret-wf', 'Retention', 'completed', now() - interval '41 days',"
		 "   now() - interval '40 days'),"
		 "  ('%1$s', 'new-x', 'ret-wf', 'Retention', 'running', now(), now());"
		 "INSERT INTO step_executions (org_id, execution_id, step_id, name, status) VALUES"
		 "  ('%1$s', 'old-x', 's1', 'S1', 'completed'), ('%1$s', 'new-x', 's1', 'S1', 'running');"
		 "INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind, ts,"
		 "  received_at, body)"
		 "  SELECT '%1$s', g, 'old-' || g, 'old-x', 'ret-wf', 'log', now() - interval '40 days',"
		 "         now() - interval '40 days', '{}' FROM generate_series(1, %2$d) g;"
		 "INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind, ts, body)"
		 "  SELECT '%1$s', %2$d + g, 'new-' || g, 'new-x', 'ret-wf', 'log', now(), '{}'"
		 "  FROM generate_series(1, 5) g;"
		 "INSERT INTO execution_metrics (org_id, execution_id, workflow_id, metric_type, metric_value,"
		 "  recorded_at) VALUES ('%1$s', 'old-x', 'ret-wf', 'duration_ms', 1, now() - interval '40 days'),"
		 "  ('%1$s', 'new-x', 'ret-wf', 'duration_ms', 2, now() - interval '40 days');"
		 "COMMIT;",
		 org, old_events);
	assert_int_equal(pgtest_exec(pg.owner, sql, false), 0);
}

static void test_retention(void **state)
{
	(void)state;
	/* More old events in 0ret-a than one pass deletes; 0ret-b a few. The
	 * names sort first, so the first pass starts with them. This runs last:
	 * the earlier tests' executions (heard of in May) go too. */
	const int many = RETENTION_STATEMENTS * RETENTION_BATCH + 500;
	retention_fixture("0ret-a", many);
	retention_fixture("0ret-b", 10);
	PGconn *c = PQconnectdb(pg.app);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	struct store_config cfg = { .retention_events_days = 30, .retention_metrics_days = 0 };
	struct retention rt;
	retention_init(&rt);
	char err[256];
	int64_t now = clock_mono_us();

	/* The first pass stops after its bounded number of deletes. */
	long n = retention_pass(c, &cfg, &rt, now, err, sizeof err);
	if (n < 0)
		fail_msg("retention_pass: %s", err);
	assert_int_equal(n, (long)RETENTION_STATEMENTS * RETENTION_BATCH);
	assert_true(rt.next_us > now && rt.next_us <= now + 2000000);
	/* Not due yet: nothing. */
	assert_int_equal(retention_pass(c, &cfg, &rt, now, err, sizeof err), 0);
	/* The next passes finish: the rest of ret-a's events and its old
	 * execution (with its step), then ret-b's. */
	long total = n;
	for (int i = 0; i < 10 && rt.orgs != NULL; i++) {
		now = rt.next_us;
		n = retention_pass(c, &cfg, &rt, now, err, sizeof err);
		if (n < 0)
			fail_msg("retention_pass: %s", err);
		total += n;
	}
	assert_null(rt.orgs);
	assert_true(total >= (long)many + 1 + 10 + 1);
	assert_true(rt.next_us >= now + RETENTION_INTERVAL_US);
	const char *orgs[] = { "0ret-a", "0ret-b" };
	for (int i = 0; i < 2; i++) {
		assert_int_equal(count_as(pg.owner, orgs[i], "SELECT count(*) FROM execution_events"), 5);
		assert_int_equal(count_as(pg.owner, orgs[i],
					  "SELECT count(*) FROM execution_events WHERE event_id LIKE 'old-%'"), 0);
		assert_int_equal(count_as(pg.owner, orgs[i],
					  "SELECT count(*) FROM workflow_executions WHERE execution_id = 'old-x'"), 0);
		/* Its step went with it; the running execution keeps its own. */
		assert_int_equal(count_as(pg.owner, orgs[i], "SELECT count(*) FROM step_executions"), 1);
		/* 0 days keeps the metrics however old. */
		assert_int_equal(count_as(pg.owner, orgs[i], "SELECT count(*) FROM execution_metrics"), 2);
	}
	/* An event's age is its own time (0014): acme's, of May, went too,
	 * from the default partition, as May has no day partition. */
	assert_int_equal(count_as(pg.owner, "acme", "SELECT count(*) FROM execution_events"), 0);

	/* Metrics kept 30 days: the old ones go too. */
	cfg.retention_metrics_days = 30;
	retention_init(&rt);
	n = retention_pass(c, &cfg, &rt, clock_mono_us(), err, sizeof err);
	if (n < 0)
		fail_msg("retention_pass: %s", err);
	assert_true(n >= 4);
	for (int i = 0; i < 2; i++)
		assert_int_equal(count_as(pg.owner, orgs[i], "SELECT count(*) FROM execution_metrics"), 0);
	retention_free(&rt);
	PQfinish(c);
}

/* 0014: a day partition past retention is dropped whole, a newer one and
 * today's rows stay, and a row that reached the default partition before its
 * day had a partition moves into it when the partition is made. */
static void test_retention_drops_partitions(void **state)
{
	(void)state;
	PGconn *c = PQconnectdb(pg.app);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	/* The daemon's role makes partitions through the owner's function. */
	assert_int_equal(pgtest_exec(pg.app, "SELECT wfmon_partitions_ensure("
				     "(now() AT TIME ZONE 'UTC')::date - 29, (now() AT TIME ZONE 'UTC')::date - 29)",
				     false), 0);
	/* An event 45 days old has no day partition yet: the default one holds it. */
	static const char ins[] =
		"BEGIN; SELECT set_config('wfmon.org', '0part', true);"
		"INSERT INTO execution_events (org_id, pos, event_id, execution_id, workflow_id, kind, ts,"
		"  body) VALUES"
		"  ('0part', %d, 'p-%d', 'px', 'pw', 'log', date_trunc('day', now() AT TIME ZONE 'UTC')"
		"   AT TIME ZONE 'UTC' - interval '%d days' + interval '12 hours', '{}');"
		"INSERT INTO execution_metrics (org_id, execution_id, workflow_id, metric_type, metric_value,"
		"  recorded_at) VALUES ('0part', 'px', 'pw', 'duration_ms', %d, date_trunc('day', now() AT TIME ZONE"
		"  'UTC') AT TIME ZONE 'UTC' - interval '%d days' + interval '12 hours');"
		"COMMIT;";
	char sql[1024];
	snprintf(sql, sizeof sql, ins, 1, 45, 45, 45, 45);
	assert_int_equal(pgtest_exec(pg.owner, sql, false), 0);
	assert_int_equal(count_as(pg.owner, "0part", "SELECT count(*) FROM execution_events_default"), 1);
	assert_int_equal(pgtest_exec(pg.app, "SELECT wfmon_partitions_ensure("
				     "(now() AT TIME ZONE 'UTC')::date - 45, (now() AT TIME ZONE 'UTC')::date - 40)",
				     false), 0);
	assert_int_equal(count_as(pg.owner, "0part", "SELECT count(*) FROM execution_events_default"), 0);
	assert_int_equal(count_as(pg.owner, "0part", "SELECT count(*) FROM execution_events WHERE "
				  "tableoid::regclass::text = 'execution_events_p' || to_char((now() AT TIME ZONE "
				  "'UTC')::date - 45, 'YYYYMMDD')"), 1);
	/* One event and one metric 40 days old, 29 days old and today. */
	int days[] = { 40, 29, 0 };
	for (int i = 0; i < 3; i++) {
		snprintf(sql, sizeof sql, ins, 2 + i, days[i], days[i], days[i], days[i]);
		assert_int_equal(pgtest_exec(pg.owner, sql, false), 0);
	}
	assert_int_equal(count_as(pg.owner, "0part", "SELECT count(*) FROM execution_events"), 4);
	static const char day_sql[] = "SELECT count(*) FROM pg_class WHERE relname = "
				      "'execution_events_p' || to_char((now() AT TIME ZONE 'UTC')::date - %d, 'YYYYMMDD')";

	struct store_config cfg = { .retention_events_days = 30, .retention_metrics_days = 30 };
	struct retention rt;
	retention_init(&rt);
	char err[256];
	long n = retention_pass(c, &cfg, &rt, clock_mono_us(), err, sizeof err);
	if (n < 0)
		fail_msg("retention_pass: %s", err);
	/* The 45- and 40-day-old partitions of both tables (every other
	 * partitioned table's too), not one row deleted for them. */
	assert_true(rt.partitions_dropped >= 4);
	for (int d = 40; d <= 45; d += 5) {
		snprintf(sql, sizeof sql, day_sql, d);
		assert_int_equal(pgtest_value(pg.owner, sql), 0);
	}
	snprintf(sql, sizeof sql, day_sql, 29);
	assert_int_equal(pgtest_value(pg.owner, sql), 1);
	snprintf(sql, sizeof sql, day_sql, 0);
	assert_int_equal(pgtest_value(pg.owner, sql), 1);
	assert_int_equal(count_as(pg.owner, "0part", "SELECT count(*) FROM execution_events"), 2);
	assert_int_equal(count_as(pg.owner, "0part", "SELECT count(*) FROM execution_events WHERE pos IN (3, 4)"), 2);
	assert_int_equal(count_as(pg.owner, "0part", "SELECT count(*) FROM execution_metrics"), 2);
	/* Nothing more to drop. */
	long before = rt.partitions_dropped;
	retention_free(&rt);
	n = retention_pass(c, &cfg, &rt, rt.next_us, err, sizeof err);
	if (n < 0)
		fail_msg("retention_pass: %s", err);
	assert_int_equal(rt.partitions_dropped, before);
	retention_free(&rt);
	PQfinish(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_twice),
		cmocka_unit_test(test_rls),
		cmocka_unit_test(test_end_to_end),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_step_stats),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_query_sees_preceding_append),
		cmocka_unit_test(test_database_outage),
		cmocka_unit_test(test_spool_replay_at_start),
		cmocka_unit_test(test_full_spool_refuses),
		cmocka_unit_test(test_load_state),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_retention_drops_partitions),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
