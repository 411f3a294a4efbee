/* test_upgrade.c: migration 0016 (typed columns, the body as json, no btree
 * on positions) on a database that ran up to 0015 and holds rows, against a
 * real PostgreSQL.
 *
 * The database is migrated up to 0015 only (the later migrations marked as
 * applied, then unmarked), events of two organizations are written through
 * 0015's write function, and the database is migrated again. Then: every row
 * is still there and its body reads back; the start-up reload gives each
 * organization its highest position and its latest event ids, in order, now
 * without the index by position; the room replay (which casts the body to
 * jsonb to drop input and output) and the execution query read the old rows;
 * the daemon's write call stores new events and absorbs a replay of the old
 * ones. Positions never go back: an organization whose events are all
 * deleted still starts after its highest position; the latest ids are found
 * across a gap of positions and when fewer exist than asked for. A batch
 * with a record that is not JSON and one whose body is not valid JSON stores
 * every other record (the two are logged and dropped); an id written with
 * an escape is stored as ->> reads it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "batch.h"
#include "clock.h"
#include "migrations.h"
#include "pg.h"
#include "pgconn.h"
#include "spool.h"
#include "store.h"
#include "store_db.h"

static struct pgtest pg;

/* The records of events [first, first + n) of org at positions from pos
 * on, as a JSON array (0015's parameter) or into a batch (0016's). Event k
 * of an organization is a log line of execution x-1, but the first two: its
 * plan and a finished step with input and output. */
static void record(char *out, size_t len, const char *org, long long pos, int k)
{
	char ev[512];
	char ts[32];
	snprintf(ts, sizeof ts, "2026-05-28T20:%02d:%02d.000Z", k / 60 % 60, k % 60);
	if (k == 0)
		snprintf(ev, sizeof ev, "{\"type\":\"execution.queued\",\"id\":\"%s-e0\",\"execution_id\":\"x-1\","
			 "\"workflow_id\":\"wf\",\"ts\":\"%s\",\"workflow_name\":\"Month end\",\"priority\":\"NORMAL\","
			 "\"steps\":[{\"id\":\"s1\",\"name\":\"VAT\"}]}", org, ts);
	else if (k == 1)
		snprintf(ev, sizeof ev, "{\"type\":\"step.completed\",\"id\":\"%s-e1\",\"execution_id\":\"x-1\","
			 "\"workflow_id\":\"wf\",\"step_id\":\"s1\",\"ts\":\"%s\",\"duration_ms\":5,"
			 "\"input\":{\"period\":\"2026-05\"},\"output\":{\"rows\":7}}", org, ts);
	else
		snprintf(ev, sizeof ev, "{\"type\":\"log\",\"id\":\"%s-e%d\",\"execution_id\":\"x-1\","
			 "\"workflow_id\":\"wf\",\"ts\":\"%s\",\"level\":\"info\",\"message\":\"line \\\"%d\\\"\"}",
			 org, k, ts, k);
	snprintf(out, len, "{\"org\":\"%s\",\"pos\":%lld,\"at\":1780000000000,\"event\":%s}", org, pos, ev);
}

/* Writes events [first, first + n) of org at positions pos.. through 0015's
 * wfmon_apply_events, as the owner (the daemon's role has no grants yet). */
static void write_0015(const char *org, long long pos, int first, int n)
{
	size_t cap = (size_t)n * 700 + 256, len = 0;
	char *sql = malloc(cap);
	assert_non_null(sql);
	len += (size_t)snprintf(sql, cap, "BEGIN; SELECT set_config('wfmon.org', '%s', true); "
				"SELECT wfmon_apply_events($b$[", org);
	for (int k = first; k < first + n; k++) {
		char rec[640];
		record(rec, sizeof rec, org, pos + k - first, k);
		len += (size_t)snprintf(sql + len, cap - len, "%s%s", k > first ? "," : "", rec);
	}
	snprintf(sql + len, cap - len, "]$b$::jsonb, 65536); COMMIT;");
	assert_int_equal(pgtest_exec(pg.owner, sql, false), 0);
	free(sql);
}

/* The same through the daemon's write call (typed columns). Returns what
 * it inserted. */
static long write_columns(const char *org, long long pos, int first, int n)
{
	char err[256];
	PGconn *c = pgconn_connect_once(pg.app, err, sizeof err);
	assert_non_null(c);
	struct batch b;
	batch_init(&b);
	for (int k = first; k < first + n; k++) {
		char rec[640];
		int64_t p;
		record(rec, sizeof rec, org, pos + k - first, k);
		assert_int_equal(batch_add(&b, rec, strlen(rec), &p, err, sizeof err), 0);
		assert_int_equal(p, pos + k - first);
	}
	bool permanent;
	long got = storew_apply(c, org, &b, 65536, &permanent, err, sizeof err);
	if (got < 0)
		fail_msg("storew_apply: %s", err);
	batch_free(&b);
	PQfinish(c);
	return got;
}

static json_t *org_state(json_t *state, const char *org)
{
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(state, "orgs"), i, o)
		if (strcmp(json_string_value(json_object_get(o, "org")), org) == 0)
			return o;
	fail_msg("no state for %s", org);
	return NULL;
}

/* The ids of org's reloaded dedup window (n asked), joined by spaces. */
static void recent_ids(json_t *state, const char *org, char *out, size_t len)
{
	size_t i, k = 0;
	json_t *id;
	out[0] = '\0';
	json_array_foreach(json_object_get(org_state(state, org), "recent_event_ids"), i, id)
		k += (size_t)snprintf(out + k, len - k, "%s%s", i ? " " : "", json_string_value(id));
}

static json_t *load(size_t n)
{
	char cause[256];
	json_t *st = store_load_state(pg.app, n, cause, sizeof cause);
	if (st == NULL)
		fail_msg("store_load_state: %s", cause);
	return st;
}

static char *body_type(void)
{
	return pgtest_text(pg.owner, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
				     "WHERE attrelid = 'execution_events'::regclass AND attname = 'body'");
}

static void test_upgrade_from_0015(void **state)
{
	(void)state;
	assert_int_equal(pgtest_start(&pg), 0);
	/* Up to 0015: the later migrations are marked as applied. */
	char sql[512];
	assert_int_equal(pgtest_exec(pg.owner, "CREATE TABLE schema_migrations (name text PRIMARY KEY, "
					       "applied_at timestamptz NOT NULL DEFAULT now())", false), 0);
	bool later = false;
	for (const struct migration *m = migrations; m->name != NULL; m++) {
		if (later) {
			snprintf(sql, sizeof sql, "INSERT INTO schema_migrations (name) VALUES ('%s')", m->name);
			assert_int_equal(pgtest_exec(pg.owner, sql, false), 0);
		}
		later |= strcmp(m->name, "0015_ingest") == 0;
	}
	assert_true(later);
	char cause[256];
	if (store_migrate(pg.owner, NULL, cause, sizeof cause) != 0)
		fail_msg("store_migrate to 0015: %s", cause);
	char *t = body_type();
	assert_string_equal(t, "jsonb");
	free(t);
	write_0015("up", 1, 0, 30);
	write_0015("up2", 1, 0, 10);

	assert_int_equal(pgtest_exec(pg.owner, "DELETE FROM schema_migrations WHERE name > '0015_ingest'", false), 0);
	if (store_migrate(pg.owner, "wfmon_app", cause, sizeof cause) != 0)
		fail_msg("store_migrate from 0015: %s", cause);
	t = body_type();
	assert_string_equal(t, "json");
	free(t);
	assert_int_equal(pgtest_value(pg.owner, "SELECT count(*) FROM pg_indexes WHERE indexname = "
						 "'execution_events_pos'"), 0);
	assert_int_equal(pgtest_count_events(&pg, "up", "true"), 30);
	assert_int_equal(pgtest_count_events(&pg, "up2", "true"), 10);
	assert_int_equal(pgtest_count_events(&pg, "up", "(body->>'message') = 'line \"29\"'"), 1);

	/* The reload: positions from the new table, ids through the new index. */
	json_t *st = load(5);
	assert_int_equal(json_integer_value(json_object_get(org_state(st, "up"), "max_pos")), 30);
	assert_int_equal(json_integer_value(json_object_get(org_state(st, "up2"), "max_pos")), 10);
	char ids[512];
	recent_ids(st, "up", ids, sizeof ids);
	assert_string_equal(ids, "up-e25 up-e26 up-e27 up-e28 up-e29");
	json_decref(st);

	/* The org room's replay strips input and output (a cast to jsonb); the
	 * execution query reads every body. */
	PGconn *c = pgconn_connect_once(pg.app, cause, sizeof cause);
	assert_non_null(c);
	json_t *result = NULL;
	char err[256];
	json_t *params = json_pack("{s:s,s:i,s:i}", "room", "org", "since", 0, "limit", 100);
	assert_int_equal(storeq_run(c, STORE_Q_REPLAY, "up", params, &result, err, sizeof err), 0);
	json_decref(params);
	json_t *events = json_object_get(result, "events");
	assert_int_equal(json_array_size(events), 2);
	json_t *done = json_object_get(json_array_get(events, 1), "event");
	assert_string_equal(json_string_value(json_object_get(done, "type")), "step.completed");
	assert_null(json_object_get(done, "input"));
	assert_null(json_object_get(done, "output"));
	assert_int_equal(json_integer_value(json_object_get(done, "duration_ms")), 5);
	json_decref(result);
	result = NULL;
	params = json_pack("{s:s}", "id", "x-1");
	assert_int_equal(storeq_run(c, STORE_Q_EXECUTION, "up", params, &result, err, sizeof err), 0);
	json_decref(params);
	events = json_object_get(result, "events");
	assert_int_equal(json_array_size(events), 30);
	json_t *last = json_array_get(events, 29);
	assert_string_equal(json_string_value(json_object_get(last, "message")), "line \"29\"");
	json_decref(result);
	PQfinish(c);

	/* New events through the daemon's call; a replay of old ones stores nothing. */
	assert_int_equal(write_columns("up", 31, 30, 5), 5);
	assert_int_equal(write_columns("up", 1, 0, 30), 0);
	assert_int_equal(pgtest_count_events(&pg, "up", "true"), 35);
	st = load(3);
	assert_int_equal(json_integer_value(json_object_get(org_state(st, "up"), "max_pos")), 35);
	recent_ids(st, "up", ids, sizeof ids);
	assert_string_equal(ids, "up-e32 up-e33 up-e34");
	json_decref(st);
}

static void test_positions_never_go_back(void **state)
{
	(void)state;
	/* Every event of up2 deleted (as retention would): it still starts
	 * after position 10, with no ids to reload. */
	assert_int_equal(pgtest_exec(pg.owner, "BEGIN; SELECT set_config('wfmon.org', 'up2', true); "
					       "DELETE FROM execution_events; COMMIT;", false), 0);
	json_t *st = load(5);
	assert_int_equal(json_integer_value(json_object_get(org_state(st, "up2"), "max_pos")), 10);
	assert_int_equal(json_array_size(json_object_get(org_state(st, "up2"), "recent_event_ids")), 0);
	/* More asked for than there are: all of them, oldest first. */
	json_decref(st);
	st = load(1000);
	assert_int_equal(json_array_size(json_object_get(org_state(st, "up"), "recent_event_ids")), 35);
	json_decref(st);
	/* A gap of positions wider than the first span read: found across it. */
	assert_int_equal(write_columns("gap", 1, 0, 4), 4);
	assert_int_equal(write_columns("gap", 50001, 4, 2), 2);
	st = load(5);
	assert_int_equal(json_integer_value(json_object_get(org_state(st, "gap"), "max_pos")), 50002);
	char ids[512];
	recent_ids(st, "gap", ids, sizeof ids);
	assert_string_equal(ids, "gap-e1 gap-e2 gap-e3 gap-e4 gap-e5");
	json_decref(st);
}

static void test_bad_records_dropped_rest_stored(void **state)
{
	(void)state;
	static const char *const payloads[] = {
		"{\"org\":\"bad\",\"pos\":1,\"at\":1780000000000,\"event\":{\"type\":\"log\",\"id\":\"b1\","
		"\"execution_id\":\"x\",\"workflow_id\":\"wf\",\"ts\":\"2026-05-28T20:00:00Z\",\"message\":\"one\"}}",
		"not json at all",
		"{\"org\":\"bad\",\"pos\":3,\"at\":1780000000000,\"event\":{\"type\":\"log\",\"id\":\"b3\","
		"\"execution_id\":\"x\",\"workflow_id\":\"wf\",\"ts\":\"2026-05-28T20:00:02Z\",\"message\":tru}}",
		"{\"org\":\"bad\",\"pos\":4,\"at\":1780000000000,\"event\":{\"type\":\"log\",\"id\":\"b\\u0034\","
		"\"execution_id\":\"x\",\"workflow_id\":\"wf\",\"ts\":\"2026-05-28T20:00:03Z\",\"message\":\"four\"}}",
	};
	struct spool_record recs[4], *ptrs[4];
	for (int i = 0; i < 4; i++) {
		recs[i] = (struct spool_record){payloads[i], (uint32_t)strlen(payloads[i])};
		ptrs[i] = &recs[i];
	}
	struct pgconn pc;
	pgconn_init(&pc, pg.app, 1);
	assert_true(pgconn_ensure(&pc, clock_mono_us()));
	assert_int_equal(storew_records(&pc, "bad", ptrs, 4, 65536), 0);
	char *ids = pgtest_text(pg.app, "SELECT set_config('wfmon.org', 'bad', false); "
					"SELECT string_agg(event_id || '@' || pos, ' ' ORDER BY pos) FROM execution_events");
	assert_non_null(ids);
	assert_string_equal(ids, "b1@1 b4@4");
	free(ids);
	/* Again (a spool replay): nothing more. */
	assert_int_equal(storew_records(&pc, "bad", ptrs, 4, 65536), 0);
	assert_int_equal(pgtest_count_events(&pg, "bad", "true"), 2);
	pgconn_close(&pc);
}

static int teardown(void **state)
{
	(void)state;
	pgtest_destroy(&pg);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upgrade_from_0015),
		cmocka_unit_test(test_positions_never_go_back),
		cmocka_unit_test(test_bad_records_dropped_rest_stored),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
