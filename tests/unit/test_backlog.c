/* test_backlog.c: a cluster node's outbox FIFO (backlog.h): its bound counts
 * every byte an entry holds (record, events' index, the entry, and what the
 * caller keeps with it), refusing exactly past it; the caller's bytes can be
 * charged later (entries found at open); pop gives them all back; entries
 * are found again, in order, after a reopen, with the stream entry each
 * was kept after. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backlog.h"
#include "tmpdir.h"

static int durable_seen;

static void on_durable(void *arg, struct backlog_entry *e, int status, const char *error)
{
	(void)arg;
	(void)e;
	(void)error;
	assert_int_equal(status, 0);
	durable_seen++;
}

static const struct store_event two[2] = {
	{ .org = "acme", .pos = 0, .json = "{\"id\":\"e1\",\"type\":\"log\"}" },
	{ .org = "acme", .pos = 0, .json = "{\"id\":\"e2\",\"type\":\"log\"}" },
};

/* What the outbox counts for an entry, its caller's bytes included. */
static uint64_t cost(const struct backlog_entry *e)
{
	return sizeof *e + e->len + (e->n + 1) * sizeof(struct store_event) + e->extra;
}

/* Waits (running the loop) until `want` entries were reported durable. */
static void wait_durable(struct ev_loop *loop, int want)
{
	for (int i = 0; i < 500 && durable_seen < want; i++)
		ev_run(loop, EVRUN_ONCE);
	assert_int_equal(durable_seen, want);
}

/* A new outbox of 1 MiB in a new folder (*dir) on a new loop (*loop); no
 * entry reported durable yet. */
static struct backlog *backlog_fresh(struct ev_loop **loop, char **dir)
{
	char cause[256];
	*loop = ev_loop_new(EVFLAG_AUTO);
	*dir = tmpdir_new("backlog");
	struct backlog *ob = backlog_open(*dir, 1 << 20, *loop, on_durable, NULL, cause, sizeof cause);
	assert_non_null(ob);
	durable_seen = 0;
	return ob;
}

static void test_bound_counts_every_byte(void **state)
{
	(void)state;
	struct ev_loop *loop;
	char *dir;
	char cause[256];
	/* The cost of one entry with 100 bytes of the caller's. */
	struct backlog *ob = backlog_fresh(&loop, &dir);
	assert_int_equal(backlog_add(ob, "acme", "", two, 2, 100, 1, cause, sizeof cause), 0);
	struct backlog_entry *e = backlog_tail(ob);
	assert_int_equal(e->extra, 100);
	uint64_t one = cost(e);
	assert_true(one > e->len + 100);
	assert_int_equal(backlog_bytes(ob), one);
	wait_durable(loop, 1);
	backlog_close(ob);
	tmpdir_free(dir);

	/* At the limit: exactly one entry's worth is taken, a byte less is not,
	 * and the caller's bytes are what tips it. */
	dir = tmpdir_new("backlog");
	ob = backlog_open(dir, one, loop, on_durable, NULL, cause, sizeof cause);
	assert_non_null(ob);
	assert_int_equal(backlog_add(ob, "acme", "", two, 2, 101, 2, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "the outbox is full"));
	assert_int_equal(backlog_bytes(ob), 0);
	assert_int_equal(backlog_entries(ob), 0);
	durable_seen = 0;
	assert_int_equal(backlog_add(ob, "acme", "", two, 2, 100, 3, cause, sizeof cause), 0);
	assert_int_equal(backlog_bytes(ob), one);
	assert_int_equal(backlog_bytes(ob), backlog_max_bytes(ob));
	assert_int_equal(backlog_add(ob, "acme", "", two, 1, 0, 4, cause, sizeof cause), -1);
	wait_durable(loop, 1);
	/* Charged again (what the caller keeps changed): counted, never refused. */
	e = backlog_head(ob);
	backlog_charge(ob, e, 300);
	assert_int_equal(backlog_bytes(ob), one + 200);
	backlog_close(ob);

	/* Reopened: found again, counted without the caller's bytes until it
	 * charges them. */
	ob = backlog_open(dir, one, loop, on_durable, NULL, cause, sizeof cause);
	assert_non_null(ob);
	assert_int_equal(backlog_entries(ob), 1);
	e = backlog_head(ob);
	assert_int_equal(e->state, BACKLOG_READY);
	assert_int_equal(e->n, 2);
	assert_int_equal(backlog_bytes(ob), one - 100);
	backlog_charge(ob, e, 100);
	assert_int_equal(backlog_bytes(ob), one);
	/* Popped: every byte given back. */
	e->state = BACKLOG_STORED;
	backlog_pop(ob);
	assert_int_equal(backlog_bytes(ob), 0);
	assert_int_equal(backlog_entries(ob), 0);
	assert_int_equal(backlog_events(ob), 0);
	backlog_close(ob);
	tmpdir_free(dir);
	ev_loop_destroy(loop);
}

/* The stream entry an entry was kept after is found again after a reopen;
 * none stays none. */
static void test_after_survives_reopen(void **state)
{
	(void)state;
	struct ev_loop *loop;
	char *dir;
	char cause[256];
	struct backlog *ob = backlog_fresh(&loop, &dir);
	assert_int_equal(backlog_add(ob, "acme", "1765000000000-7", two, 2, 0, 1, cause, sizeof cause), 0);
	assert_string_equal(backlog_tail(ob)->after, "1765000000000-7");
	assert_int_equal(backlog_add(ob, "acme", "", two, 1, 0, 2, cause, sizeof cause), 0);
	assert_string_equal(backlog_tail(ob)->after, "");
	wait_durable(loop, 2);
	backlog_close(ob);
	ob = backlog_open(dir, 1 << 20, loop, on_durable, NULL, cause, sizeof cause);
	assert_non_null(ob);
	assert_int_equal(backlog_entries(ob), 2);
	struct backlog_entry *e = backlog_head(ob);
	assert_string_equal(e->after, "1765000000000-7");
	assert_int_equal(e->n, 2);
	assert_string_equal(e->next->after, "");
	assert_int_equal(e->next->n, 1);
	backlog_close(ob);
	tmpdir_free(dir);
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound_counts_every_byte),
		cmocka_unit_test(test_after_survives_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
