/* test_aggregates.c: the dashboards' aggregates pushed by a real wfmond
 * from a real PostgreSQL (rooms "metrics:<range>[:<workflow>]"): several
 * WebSocket clients of one organization on the same aggregate cost the
 * database one query per 5 s per distinct aggregate (the daemon's
 * wfmond_aggregate_queries_total), each gets the same pushes; a subscriber
 * of another organization gets its own figures and nothing of the first;
 * a late subscriber gets the last answer in its snapshot; nobody
 * subscribed, nothing is asked; bad rooms and producers are refused.
 * And the summary's system health (database, spool backlog, notifier),
 * which the dashboard's summary widget shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "pg.h"
#include "wsclient.h"

static struct pgtest PG;
static struct daemon D;
static char spool[300];
static const char *args[16];

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (pgtest_start(&PG) < 0)
		return -1;
	snprintf(spool, sizeof spool, "%s/spool", PG.dir);
	int n = pgtest_daemon_args(&PG, spool, args);
	args[n] = NULL;
	return daemon_start(&D, args);
}

static int teardown(void **state)
{
	(void)state;
	daemon_stop(&D);
	pgtest_destroy(&PG);
	return 0;
}

static struct wsc *as(const char *org, const char *sub, const char *role)
{
	char *t = daemon_token(&D, org, sub, role);
	struct wsc *c = client_open(&D, t);
	free(t);
	assert_non_null(c);
	return c;
}

#define NCLIENTS 6
#define WATCH_MS 11000

struct seen {
	int pushes;                 /* stats of the room watched */
	int foreign;                /* messages of any other metrics room */
	long long runs;             /* the last push's summary.runs */
	bool has_wf_test;           /* the last push named wf-test */
	char *last;                 /* the last push's data, as text */
	char *prev;                 /* the one before it */
};

/* Whether a and b were given the same push: the clients are read in turn,
 * so when the watch ends between a push reaching one and the next, one of
 * them may be a push behind the other (pushes are 5 s apart). */
static bool same_answer(const struct seen *a, const struct seen *b)
{
	if (strcmp(a->last, b->last) == 0)
		return true;
	return (a->prev != NULL && strcmp(a->prev, b->last) == 0) ||
	       (b->prev != NULL && strcmp(b->prev, a->last) == 0);
}

/* Reads what c receives for up to ms, counting the pushes of room. */
static void drain(struct wsc *c, const char *room, struct seen *s, int ms)
{
	long long end = mono_ms() + ms;
	for (;;) {
		long long left = end - mono_ms();
		if (left <= 0)
			break;
		json_t *m = client_recv(c, (int)left);
		if (m == NULL)
			continue;
		const char *r = jstr(m, "room");
		if (strncmp(r, "metrics:", 8) == 0 && strcmp(r, room) != 0)
			s->foreign++;
		if (strcmp(jstr(m, "type"), "stats") == 0 && strcmp(r, room) == 0) {
			json_t *data = json_object_get(m, "data");
			s->pushes++;
			s->runs = json_integer_value(json_object_get(json_object_get(data, "summary"), "runs"));
			s->has_wf_test = false;
			size_t i;
			json_t *w;
			json_array_foreach(json_object_get(data, "workflows"), i, w)
				s->has_wf_test |= strcmp(jstr(w, "id"), "wf-test") == 0;
			free(s->prev);
			s->prev = s->last;
			s->last = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
		}
		json_decref(m);
	}
}

static void subscribe_ok(struct wsc *c, const char *room)
{
	json_t *m = client_subscribe(c, room, -1);
	assert_non_null(m);
	assert_string_equal(jstr(m, "type"), "subscribed");
	json_decref(m);
}

static void test_pushed_once_per_refresh(void **state)
{
	(void)state;
	/* acme has run wf-test once; other has run nothing. */
	struct wsc *p = as("acme", "sim", "producer");
	PUBLISH_OK(p, "execution.queued", "agg-1", "agg-x", "\"workflow_name\":\"Test\",\"priority\":\"NORMAL\",\"steps\":[{\"id\":\"s1\",\"name\":\"one\"}]");
	PUBLISH_OK(p, "execution.started", "agg-2", "agg-x", "");
	PUBLISH_OK(p, "execution.completed", "agg-3", "agg-x", "");

	struct wsc *c[NCLIENTS];
	struct seen seen[NCLIENTS + 2];
	memset(seen, 0, sizeof seen);
	for (int i = 0; i < NCLIENTS; i++) {
		c[i] = as("acme", i % 2 ? "anna" : "olek", "viewer");
		subscribe_ok(c[i], "metrics:24h");
	}
	struct wsc *wf = as("acme", "anna", "operator");
	subscribe_ok(wf, "metrics:7d:wf-test");
	struct wsc *intruder = as("other", "eve", "viewer");
	subscribe_ok(intruder, "metrics:24h");

	long q0 = daemon_metric(&D, "wfmond_aggregate_queries_total");
	assert_true(q0 >= 0);
	/* Read every socket for the same stretch, round-robin. */
	long long end = mono_ms() + WATCH_MS;
	while (mono_ms() < end) {
		for (int i = 0; i < NCLIENTS; i++)
			drain(c[i], "metrics:24h", &seen[i], 50);
		drain(wf, "metrics:7d:wf-test", &seen[NCLIENTS], 50);
		drain(intruder, "metrics:24h", &seen[NCLIENTS + 1], 50);
	}
	long q1 = daemon_metric(&D, "wfmond_aggregate_queries_total");
	/* Three distinct aggregates (acme 24h, acme 7d wf-test, other 24h),
	 * each asked at most once per 5 s however many watch it: at most 3 per
	 * aggregate in 11 s (the first at subscription), never one per client. */
	long asked = q1 - q0;
	print_message("aggregate queries in %d ms: %ld for %d clients on 3 aggregates\n", WATCH_MS, asked, NCLIENTS + 2);
	assert_true(asked >= 3);
	assert_true(asked <= 3 * 3);
	for (int i = 0; i < NCLIENTS; i++) {
		assert_true(seen[i].pushes >= 2);
		assert_int_equal(seen[i].foreign, 0);
		assert_int_equal(seen[i].runs, 1);
		assert_true(seen[i].has_wf_test);
		/* The same answer to everyone. */
		if (!same_answer(&seen[i], &seen[0]))
			fail_msg("client %d was pushed %s\nclient 0 was pushed %s", i, seen[i].last, seen[0].last);
	}
	assert_true(seen[NCLIENTS].pushes >= 2);
	assert_int_equal(seen[NCLIENTS].runs, 1);
	/* The other organization: its own (empty) figures, nothing of acme's. */
	assert_true(seen[NCLIENTS + 1].pushes >= 2);
	assert_int_equal(seen[NCLIENTS + 1].foreign, 0);
	assert_int_equal(seen[NCLIENTS + 1].runs, 0);
	assert_false(seen[NCLIENTS + 1].has_wf_test);
	assert_string_not_equal(seen[NCLIENTS + 1].last, seen[0].last);

	/* A late subscriber has the last answer at once, in its snapshot. */
	struct wsc *late = as("acme", "olek", "viewer");
	json_t *m = client_subscribe(late, "metrics:24h", -1);
	assert_non_null(m);
	json_t *data = json_object_get(json_object_get(m, "snapshot"), "data");
	assert_non_null(data);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(data, "summary"), "runs")), 1);
	json_decref(m);

	/* Nobody watching: nothing more is asked. */
	for (int i = 0; i < NCLIENTS; i++)
		wsc_free(c[i]);
	wsc_free(wf);
	wsc_free(intruder);
	wsc_free(late);
	sleep(2);
	long q2 = daemon_metric(&D, "wfmond_aggregate_queries_total");
	sleep(6);
	assert_int_equal(daemon_metric(&D, "wfmond_aggregate_queries_total"), q2);
	for (int i = 0; i < NCLIENTS + 2; i++) {
		free(seen[i].last);
		free(seen[i].prev);
	}
	wsc_free(p);
}

static void test_bad_rooms(void **state)
{
	(void)state;
	struct wsc *v = as("acme", "anna", "viewer");
	static const char *const bad[] = { "metrics:5x", "metrics:24h:bad id", "metrics:10y" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *m = client_subscribe(v, bad[i], -1);
		assert_non_null(m);
		assert_string_equal(jstr(m, "type"), "error");
		assert_string_equal(jstr(m, "field"), "room");
		json_decref(m);
	}
	/* An unknown workflow is said in the push. */
	subscribe_ok(v, "metrics:24h:no-such-workflow");
	json_t *m = client_recv_type(v, "stats", 8000);
	assert_non_null(m);
	assert_string_equal(jstr(json_object_get(m, "data"), "error"),
			    "no workflow with this id or name in this organization");
	json_decref(m);
	wsc_free(v);
	struct wsc *p = as("acme", "sim", "producer");
	m = client_subscribe(p, "metrics:24h", -1);
	assert_non_null(m);
	assert_string_equal(jstr(m, "code"), "forbidden");
	json_decref(m);
	wsc_free(p);
}

static void test_summary_system(void **state)
{
	(void)state;
	struct wsc *v = as("acme", "anna", "viewer");
	json_t *m = client_subscribe(v, "org", -1);
	assert_non_null(m);
	json_t *sys = json_object_get(json_object_get(json_object_get(m, "snapshot"), "summary"), "system");
	assert_non_null(sys);
	/* Just started: the link comes up, and the summary pushed says so. */
	long long end = mono_ms() + 10000;
	while (strcmp(jstr(sys, "database"), "up") != 0 && mono_ms() < end) {
		json_decref(m);
		m = client_recv_type(v, "stats", 10000);
		assert_non_null(m);
		sys = json_object_get(json_object_get(m, "data"), "system");
	}
	assert_string_equal(jstr(sys, "database"), "up");
	assert_true(json_is_integer(json_object_get(sys, "spool_pending")));
	assert_true(json_is_integer(json_object_get(sys, "spool_bytes")));
	assert_string_equal(jstr(sys, "notifier"), "ok");
	json_decref(m);
	wsc_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_system),
		cmocka_unit_test(test_pushed_once_per_refresh),
		cmocka_unit_test(test_bad_rooms),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
