/* test_store_slow.c: live delivery does not wait for PostgreSQL. While a
 * session of the schema owner holds an exclusive lock on execution_events
 * (every write of the daemon's database thread blocks on it), a producer's
 * events are acknowledged (the spool is the durability point) and reach a
 * subscriber at once; nothing reaches the table meanwhile; once the lock is
 * gone every event is stored, once. The latencies are printed, not judged
 * (timing goals belong in `make bench`): the bounds here are generous. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pg.h"

static struct pgtest PG;
static struct daemon D;

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (pgtest_start(&PG) < 0)
		return -1;
	static char spool[300];
	snprintf(spool, sizeof spool, "%s/spool", PG.dir);
	const char *args[] = { "--database", PG.app, "--database-owner", PG.owner, "--spool-dir", spool, NULL };
	return daemon_start(&D, args);
}

static int teardown(void **state)
{
	(void)state;
	daemon_stop(&D);
	pgtest_destroy(&PG);
	return 0;
}

static long long stored_rows(void)
{
	return pgtest_value(PG.app, "SELECT set_config('wfmon.org', 'acme', false); "
				    "SELECT count(*) FROM execution_events WHERE execution_id = 'slow-1'");
}

static void test_live_while_the_store_is_locked_out(void **state)
{
	(void)state;
	char *vt = daemon_token(&D, "acme", "viewer", "viewer");
	char *pt = daemon_token(&D, "acme", "producer", "producer");
	struct wsc *sub = client_open(&D, vt);
	struct wsc *prod = client_open(&D, pt);
	assert_non_null(sub);
	assert_non_null(prod);
	json_t *ok = client_subscribe(sub, "execution:slow-1", -1);
	assert_non_null(ok);
	json_decref(ok);
	/* The database is up and writing before the lock. */
	json_t *ack = publish_log_batch(prod, "warm", 0, 1, "slow-1", NULL);
	assert_non_null(ack);
	json_decref(ack);
	json_decref(client_recv_type(sub, "event", 5000));
	long long end = mono_ms() + 20000;
	while (stored_rows() != 1 && mono_ms() < end)
		usleep(50000);
	assert_int_equal(stored_rows(), 1);

	PGconn *lock = PQconnectdb(PG.owner);
	assert_int_equal(PQstatus(lock), CONNECTION_OK);
	PGresult *r = PQexec(lock, "BEGIN; LOCK TABLE execution_events IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);

	long long worst_ack = 0, worst_delivery = 0;
	for (int b = 0; b < 10; b++) {
		long long t0 = mono_ms();
		ack = publish_log_batch(prod, "locked", b * 20, 20, "slow-1", NULL);
		assert_non_null(ack);
		assert_string_equal(jstr(ack, "type"), "ack");
		assert_int_equal(json_integer_value(json_object_get(ack, "accepted")), 20);
		json_decref(ack);
		long long t1 = mono_ms();
		for (int i = 0; i < 20; i++) {
			json_t *ev = client_recv_type(sub, "event", 5000);
			assert_non_null(ev);
			char want[32];
			snprintf(want, sizeof want, "locked-%d", b * 20 + i);
			assert_string_equal(jstr(json_object_get(ev, "event"), "id"), want);
			json_decref(ev);
		}
		long long t2 = mono_ms();
		if (t1 - t0 > worst_ack)
			worst_ack = t1 - t0;
		if (t2 - t0 > worst_delivery)
			worst_delivery = t2 - t0;
	}
	print_message("table locked: 200 events acknowledged within %lld ms a publish, delivered within %lld ms\n",
		      worst_ack, worst_delivery);
	/* Generous: the store is blocked for good, nothing may wait on it. */
	assert_true(worst_delivery < 3000);
	/* Nothing went through the lock (the count waits for it too: asked with a timeout). */
	assert_true(daemon_metric(&D, "wfmond_spool_pending_events") >= 200);

	r = PQexec(lock, "COMMIT");
	PQclear(r);
	PQfinish(lock);
	end = mono_ms() + 60000;
	while (stored_rows() != 201 && mono_ms() < end)
		usleep(100000);
	assert_int_equal(stored_rows(), 201);
	free(vt);
	free(pt);
	wsc_free(sub);
	wsc_free(prod);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_while_the_store_is_locked_out),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
