/* test_queue_stats.c: queue depth, oldest, wait, rate, clearance, bounds and encoding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "queue_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MS 60000LL

static struct queue_stats qs;
static char cause[200];

static int setup_default(void **state)
{
	(void)state;
	return queue_stats_init(&qs, 0, 0, 0, cause, sizeof cause);
}

static int teardown(void **state)
{
	(void)state;
	queue_stats_free(&qs);
	return 0;
}

static struct queue_numbers numbers(int64_t now)
{
	struct queue_numbers n;
	queue_stats_compute(&qs, now, QUEUE_STATS_BACKLOG, &n);
	return n;
}

static void test_init_windows(void **state)
{
	(void)state;
	struct queue_stats q;
	static const struct {
		int64_t wait, rate;
		int ok;
		uint32_t wait_nb, rate_nb;
	} cases[] = {
		{ 0, 0, 0, 60, 60 }, { 60000, 7000, 0, 60, 56 }, { 1000, 10000, 0, 50, 50 },
		{ 7LL * 24 * 3600 * 1000, 59000, 0, 60, 59 },
		{ -60000, 0, -1, 0, 0 }, { 0, 1001, -1, 0, 0 }, { 60, 0, -1, 0, 0 },
		{ 8LL * 24 * 3600 * 1000, 0, -1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause[0] = '\0';
		int rc = queue_stats_init(&q, cases[i].wait, cases[i].rate, 0, cause, sizeof cause);
		assert_int_equal(rc, cases[i].ok);
		if (rc == 0) {
			assert_int_equal(q.wait_nbuckets, cases[i].wait_nb);
			assert_int_equal(q.rate_nbuckets, cases[i].rate_nb);
			queue_stats_free(&q);
		}
		else
			assert_non_null(strstr(cause, "window"));
	}
	assert_int_equal(queue_stats_init(&q, 0, 0, 0, cause, sizeof cause), 0);
	assert_int_equal(q.wait_window_ms, 15 * MIN_MS);
	assert_int_equal(q.rate_window_ms, 5 * MIN_MS);
	assert_int_equal(q.max_tracked, 100000);
	queue_stats_free(&q);
}

/* Default wait window 15 min in 60 buckets of 15 s: a sample counts while its
 * bucket is one of the last 60 up to the bucket of now. */
static void test_avg_wait_window(void **state)
{
	(void)state;
	queue_stats_on_queued(&qs, "a", PRIO_NORMAL, 0, 0);
	queue_stats_on_started(&qs, "a", 1000);          /* wait 1000, bucket 0 */
	queue_stats_on_queued(&qs, "b", PRIO_NORMAL, 597000, 0);
	queue_stats_on_started(&qs, "b", 600000);        /* wait 3000, bucket 40 */
	queue_stats_on_queued(&qs, "c", PRIO_NORMAL, 600000, 0);
	queue_stats_on_started(&qs, "c", 600500);        /* wait 500, bucket 40 */
	static const struct {
		int64_t now, avg;
		uint64_t samples;
	} cases[] = {
		{ 0, 1500, 3 },                 /* b, c are ahead of now: counted as current */
		{ 600000, 1500, 3 },           /* (1000 + 3000 + 500) / 3 = 1500 */
		{ 899999, 1500, 3 },           /* bucket 59: a still in */
		{ 900000, 1750, 2 },           /* bucket 60: a's bucket 0 fell out */
		{ 1499999, 1750, 2 },          /* bucket 99: first kept is 40 */
		{ 1500000, -1, 0 },            /* bucket 100: all gone */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct queue_numbers n = numbers(cases[i].now);
		assert_int_equal(n.avg_wait_ms, cases[i].avg);
		assert_int_equal(n.wait_samples, cases[i].samples);
	}
	/* A late sample older than what its bucket now holds is dropped, not mixed in. */
	queue_stats_on_queued(&qs, "d", PRIO_NORMAL, 1500000, 0);
	queue_stats_on_started(&qs, "d", 1500000 + 100);   /* bucket 100 = slot 40 */
	queue_stats_on_queued(&qs, "e", PRIO_NORMAL, 0, 0);
	queue_stats_on_started(&qs, "e", 600000);            /* bucket 40, slot 40: stale */
	struct queue_numbers n = numbers(1500100);
	assert_int_equal(n.avg_wait_ms, 100);
	assert_int_equal(n.wait_samples, 1);
	assert_int_equal(n.depth, 0);
}

static void test_wait_never_negative(void **state)
{
	(void)state;
	queue_stats_on_queued(&qs, "skew", PRIO_LOW, 5000, 0);
	queue_stats_on_started(&qs, "skew", 4000);
	struct queue_numbers n = numbers(5000);
	assert_int_equal(n.avg_wait_ms, 0);
	assert_int_equal(n.wait_samples, 1);
}

/* Rate window 5 min in 60 buckets of 5 s; exact counts on both sides of each edge. */
static void test_rate_window_edges(void **state)
{
	(void)state;
	static const int64_t finishes[] = { 0, 0, 4999, 5000, 299999 };
	for (size_t i = 0; i < sizeof finishes / sizeof finishes[0]; i++) {
		char id[32];
		snprintf(id, sizeof id, "f%zu", i);
		queue_stats_on_finished(&qs, id, finishes[i], false);
	}
	static const struct {
		int64_t now;
		uint64_t count;
		double rate;
	} cases[] = {
		{ 0, 5, 1.0 },          /* 5 per 5 min */
		{ 4999, 5, 1.0 },
		{ 299999, 5, 1.0 },     /* bucket 59: bucket 0 still in */
		{ 300000, 2, 0.4 },     /* bucket 60: bucket 0 (three finishes) out */
		{ 304999, 2, 0.4 },
		{ 305000, 1, 0.2 },     /* bucket 61: bucket 1 out */
		{ 599999, 0, 0.0 },     /* bucket 119: bucket 59 out */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct queue_numbers n = numbers(cases[i].now);
		assert_int_equal(n.finished_in_window, cases[i].count);
		assert_float_equal(n.rate_per_min, cases[i].rate, 1e-9);
	}
}

static void test_rate_custom_window(void **state)
{
	(void)state;
	struct queue_stats q;
	assert_int_equal(queue_stats_init(&q, 60000, 60000, 0, cause, sizeof cause), 0);
	for (int i = 0; i < 30; i++)
		queue_stats_on_finished(&q, "x", 1000 * i, false);
	struct queue_numbers n;
	queue_stats_compute(&q, 59999, 100, &n);
	assert_int_equal(n.finished_in_window, 30);
	assert_float_equal(n.rate_per_min, 30.0, 1e-9);
	queue_stats_compute(&q, 60000 + 9999, 100, &n);   /* 1 s buckets: 0..9 out */
	assert_int_equal(n.finished_in_window, 20);
	queue_stats_free(&q);
}

/* Clearance: depth / rate, with the rate over the 5 min window. */
static void test_clearance_estimate(void **state)
{
	(void)state;
	static const struct {
		int depth, finished;
		int64_t eta;
	} cases[] = {
		{ 30, 10, 15 * MIN_MS },    /* 2 per minute */
		{ 1, 300, 1000 },           /* 60 per minute: one per second */
		{ 7, 3, 700000 },           /* 7 * 300000 / 3 */
		{ 1, 7, 42857 },            /* 300000 / 7 = 42857.1 */
		{ 2, 3, 200000 },
		{ 0, 5, 0 },                /* nothing to clear */
		{ 5, 0, -1 },               /* rate zero: unknown */
		{ 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct queue_stats q;
		assert_int_equal(queue_stats_init(&q, 0, 0, 0, cause, sizeof cause), 0);
		for (int k = 0; k < cases[i].depth; k++) {
			char id[32];
			snprintf(id, sizeof id, "q%d", k);
			queue_stats_on_queued(&q, id, PRIO_NORMAL, 1000, 0);
		}
		for (int k = 0; k < cases[i].finished; k++) {
			char id[32];
			snprintf(id, sizeof id, "d%d", k);
			queue_stats_on_finished(&q, id, 2000, false);
		}
		struct queue_numbers n;
		queue_stats_compute(&q, 10000, 100, &n);
		assert_int_equal(n.depth, cases[i].depth);
		assert_int_equal(n.eta_ms, cases[i].eta);
		if (cases[i].finished == 0)
			assert_true(n.rate_per_min == 0.0);
		queue_stats_free(&q);
	}
}

static void test_priorities_and_reprioritize(void **state)
{
	(void)state;
	static const struct {
		const char *id;
		enum proto_priority p;
	} queued[] = {
		{ "h1", PRIO_HIGH }, { "h2", PRIO_HIGH }, { "h3", PRIO_HIGH },
		{ "n1", PRIO_NORMAL }, { "n2", PRIO_NORMAL }, { "l1", PRIO_LOW },
	};
	for (size_t i = 0; i < sizeof queued / sizeof queued[0]; i++)
		queue_stats_on_queued(&qs, queued[i].id, queued[i].p, 100 + (int64_t)i, 0);
	struct queue_numbers n = numbers(1000);
	assert_int_equal(n.depth, 6);
	assert_int_equal(n.by_priority[PRIO_HIGH], 3);
	assert_int_equal(n.by_priority[PRIO_NORMAL], 2);
	assert_int_equal(n.by_priority[PRIO_LOW], 1);

	static const struct {
		const char *id;
		enum proto_priority p;
		uint64_t high, normal, low;
	} steps[] = {
		{ "n1", PRIO_HIGH, 4, 1, 1 },
		{ "l1", PRIO_LOW, 4, 1, 1 },          /* same priority: no change */
		{ "h1", PRIO_LOW, 3, 1, 2 },
		{ "nope", PRIO_HIGH, 3, 1, 2 },       /* unknown id: ignored */
		{ "h1", (enum proto_priority)7, 3, 2, 1 },   /* out of range: NORMAL */
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		queue_stats_on_priority(&qs, steps[i].id, steps[i].p);
		n = numbers(1000);
		assert_int_equal(n.by_priority[PRIO_HIGH], steps[i].high);
		assert_int_equal(n.by_priority[PRIO_NORMAL], steps[i].normal);
		assert_int_equal(n.by_priority[PRIO_LOW], steps[i].low);
		assert_int_equal(n.depth, 6);
	}
	/* Starting a re-prioritized one takes it from its new priority. */
	queue_stats_on_started(&qs, "n1", 2000);
	n = numbers(2000);
	assert_int_equal(n.by_priority[PRIO_HIGH], 2);
	assert_int_equal(n.depth, 5);
}

static void test_oldest(void **state)
{
	(void)state;
	struct queue_numbers n = numbers(0);
	assert_false(n.has_oldest);
	queue_stats_on_queued(&qs, "late", PRIO_LOW, 5000, 0);
	queue_stats_on_queued(&qs, "early", PRIO_LOW, 1000, 0);   /* events out of order */
	queue_stats_on_queued(&qs, "tie", PRIO_HIGH, 1000, 0);    /* same time, later arrival */
	n = numbers(61000);
	assert_true(n.has_oldest);
	assert_string_equal(n.oldest_id, "early");
	assert_int_equal(n.oldest_age_ms, 60000);
	assert_int_equal(n.oldest_queued_ms, 1000);
	queue_stats_on_started(&qs, "early", 62000);
	n = numbers(62000);
	assert_string_equal(n.oldest_id, "tie");
	queue_stats_on_finished(&qs, "tie", 63000, true);
	n = numbers(63000);
	assert_string_equal(n.oldest_id, "late");
	n = numbers(4000);   /* a clock behind the queued time: age 0, not negative */
	assert_int_equal(n.oldest_age_ms, 0);
}

static void test_cancel_while_queued(void **state)
{
	(void)state;
	queue_stats_on_queued(&qs, "c1", PRIO_HIGH, 1000, 0);
	queue_stats_on_queued(&qs, "c2", PRIO_NORMAL, 2000, 0);
	queue_stats_on_finished(&qs, "c1", 3000, true);
	struct queue_numbers n = numbers(3000);
	assert_int_equal(n.depth, 1);
	assert_int_equal(n.by_priority[PRIO_HIGH], 0);
	assert_string_equal(n.oldest_id, "c2");
	assert_int_equal(n.finished_in_window, 1);   /* a cancel is a finish */
	assert_int_equal(n.avg_wait_ms, -1);         /* but never waited to start */
	/* The same without the flag: the tracked id is enough. */
	queue_stats_on_finished(&qs, "c2", 3000, false);
	n = numbers(3000);
	assert_int_equal(n.depth, 0);
	assert_false(n.has_oldest);
	assert_int_equal(n.finished_in_window, 2);
}

static void test_started_without_queued(void **state)
{
	(void)state;
	queue_stats_on_started(&qs, "ghost", 5000);
	queue_stats_on_finished(&qs, "ghost", 6000, false);
	struct queue_numbers n = numbers(6000);
	assert_int_equal(n.depth, 0);
	assert_int_equal(n.wait_samples, 0);
	assert_int_equal(n.avg_wait_ms, -1);
	assert_false(n.has_oldest);
	assert_int_equal(n.finished_in_window, 1);
	/* A queued one is untouched by another id's start. */
	queue_stats_on_queued(&qs, "real", PRIO_NORMAL, 7000, 0);
	queue_stats_on_started(&qs, "ghost2", 8000);
	n = numbers(8000);
	assert_int_equal(n.depth, 1);
	assert_int_equal(n.wait_samples, 0);
}

static void test_duplicate_queued(void **state)
{
	(void)state;
	queue_stats_on_queued(&qs, "dup", PRIO_LOW, 5000, 0);
	queue_stats_on_queued(&qs, "other", PRIO_NORMAL, 3000, 0);
	queue_stats_on_queued(&qs, "dup", PRIO_HIGH, 6000, 0);   /* later repeat: keeps 5000 */
	struct queue_numbers n = numbers(10000);
	assert_int_equal(n.depth, 2);
	assert_int_equal(n.by_priority[PRIO_HIGH], 1);
	assert_int_equal(n.by_priority[PRIO_LOW], 0);
	assert_string_equal(n.oldest_id, "other");
	queue_stats_on_queued(&qs, "dup", PRIO_HIGH, 1000, 0);   /* earlier repeat: moves up */
	n = numbers(10000);
	assert_int_equal(n.depth, 2);
	assert_string_equal(n.oldest_id, "dup");
	assert_int_equal(n.oldest_age_ms, 9000);
	queue_stats_on_started(&qs, "dup", 11000);
	n = numbers(11000);
	assert_int_equal(n.depth, 1);
	assert_int_equal(n.avg_wait_ms, 10000);
	queue_stats_on_started(&qs, "dup", 12000);   /* a repeated start: no second sample */
	n = numbers(12000);
	assert_int_equal(n.wait_samples, 1);
	assert_int_equal(n.depth, 1);
}

/* Ids longer than the protocol allows are cut the same way everywhere. */
static void test_long_ids(void **state)
{
	(void)state;
	char a[200], b[200];
	memset(a, 'a', sizeof a - 1);
	a[sizeof a - 1] = '\0';
	memcpy(b, a, sizeof b);
	b[150] = 'b';   /* differs only past PROTO_MAX_ID */
	queue_stats_on_queued(&qs, a, PRIO_NORMAL, 1, 0);
	struct queue_numbers n = numbers(2);
	assert_int_equal(strlen(n.oldest_id), PROTO_MAX_ID);
	queue_stats_on_started(&qs, b, 3);
	n = numbers(3);
	assert_int_equal(n.depth, 0);
}

/* Random operations against a brute-force model: the hash (with its
 * backward-shift deletions, growth and rehashing) and the heap agree with it. */
static void test_random_against_model(void **state)
{
	(void)state;
	enum { IDS = 3000, OPS = 60000 };
	static struct {
		bool queued;
		int64_t t;
		uint64_t seq;
		int prio;
	} model[IDS];
	memset(model, 0, sizeof model);
	uint64_t seq = 0;
	srandom(12345);
	for (int op = 0; op < OPS; op++) {
		int i = (int)(random() % IDS);
		char id[32];
		snprintf(id, sizeof id, "x%d", i);
		int64_t t = random() % 100000;
		int kind = (int)(random() % 4);
		int prio = (int)(random() % PRIO__COUNT);
		if (kind == 0 || kind == 1) {
			queue_stats_on_queued(&qs, id, prio, t, 0);
			if (!model[i].queued) {
				model[i].queued = true;
				model[i].t = t;
				model[i].seq = seq++;
			} else if (t < model[i].t) {
				model[i].t = t;
			}
			model[i].prio = prio;
		} else if (kind == 2) {
			queue_stats_on_started(&qs, id, t);
			model[i].queued = false;
		} else {
			queue_stats_on_priority(&qs, id, prio);
			if (model[i].queued)
				model[i].prio = prio;
		}
		if (op % 97 != 0)
			continue;
		uint64_t depth = 0, by[PRIO__COUNT] = { 0 };
		int oldest = -1;
		for (int k = 0; k < IDS; k++) {
			if (!model[k].queued)
				continue;
			depth++;
			by[model[k].prio]++;
			if (oldest < 0 || model[k].t < model[oldest].t ||
			    (model[k].t == model[oldest].t && model[k].seq < model[oldest].seq))
				oldest = k;
		}
		struct queue_numbers n = numbers(200000);
		assert_int_equal(n.depth, depth);
		for (int p = 0; p < PRIO__COUNT; p++)
			assert_int_equal(n.by_priority[p], by[p]);
		if (oldest < 0) {
			assert_false(n.has_oldest);
		} else {
			char want[16];
			snprintf(want, sizeof want, "x%d", oldest);
			assert_string_equal(n.oldest_id, want);
		}
	}
}

/* A million events: memory follows the queue depth up to the cap, never the traffic. */
static void test_bounded_memory(void **state)
{
	(void)state;
	/* Steady traffic, the queue never deeper than 10: the smallest arrays. */
	for (int i = 0; i < 1000000; i++) {
		char id[32];
		snprintf(id, sizeof id, "s%d", i);
		queue_stats_on_queued(&qs, id, (enum proto_priority)(i % 3), i, 0);
		if (i >= 10) {
			snprintf(id, sizeof id, "s%d", i - 10);
			queue_stats_on_started(&qs, id, i);
			queue_stats_on_finished(&qs, id, i + 5, false);
		}
	}
	size_t small = queue_stats_memory(&qs);
	assert_true(small > 0);
	assert_true(small <= 64 * 200);
	struct queue_numbers n = numbers(1000000);
	assert_int_equal(n.depth, 10);
	assert_string_equal(n.oldest_id, "s999990");
	assert_int_equal(n.avg_wait_ms, 10);

	/* A million queued and none started, cap 1000: the rest only counted. */
	struct queue_stats q;
	assert_int_equal(queue_stats_init(&q, 0, 0, 1000, cause, sizeof cause), 0);
	size_t at_cap = 0;
	for (int i = 0; i < 1000000; i++) {
		char id[32];
		snprintf(id, sizeof id, "b%d", i);
		queue_stats_on_queued(&q, id, (enum proto_priority)(i % 3), 1000 + i, 0);
		if (i == 999)
			at_cap = queue_stats_memory(&q);
	}
	assert_int_equal(q.cap, 1000);
	assert_int_equal(queue_stats_memory(&q), at_cap);
	assert_true(at_cap <= 1000 * 200 + 2048 * 4);
	queue_stats_compute(&q, 2000000, 100, &n);
	assert_int_equal(n.depth, 1000000);
	assert_int_equal(n.untracked, 999000);
	assert_string_equal(n.oldest_id, "b0");
	assert_int_equal(n.oldest_age_ms, 2000000 - 1000);
	assert_true(n.backlog);

	/* Past the cap: unknown starts take HIGH first; an unknown finish only
	 * counts as leaving the queue when the caller says it never started. */
	uint64_t high = n.by_priority[PRIO_HIGH];
	queue_stats_on_started(&q, "unknown1", 3000000);
	queue_stats_on_finished(&q, "unknown1", 3000001, false);
	queue_stats_on_finished(&q, "unknown2", 3000002, true);
	queue_stats_compute(&q, 3000002, 100, &n);
	assert_int_equal(n.depth, 1000000 - 2);
	assert_int_equal(n.by_priority[PRIO_HIGH], high - 2);
	assert_int_equal(n.wait_samples, 0);
	/* A tracked one still leaves with its wait sample. */
	queue_stats_on_started(&q, "b0", 3000000);
	queue_stats_compute(&q, 3000002, 100, &n);
	assert_int_equal(n.wait_samples, 1);
	assert_string_equal(n.oldest_id, "b1");
	queue_stats_free(&q);

	/* The fixed parts do not depend on anything. */
	assert_true(sizeof(struct queue_stats) < 16384);
}

static void test_backlog_threshold(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++) {
		char id[32];
		snprintf(id, sizeof id, "b%d", i);
		queue_stats_on_queued(&qs, id, PRIO_NORMAL, 1, 0);
	}
	static const struct {
		uint64_t threshold;
		bool backlog;
	} cases[] = { { 4, true }, { 5, true }, { 6, false }, { 100, false } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct queue_numbers n;
		queue_stats_compute(&qs, 10, cases[i].threshold, &n);
		assert_int_equal(n.backlog, cases[i].backlog);
		assert_int_equal(n.threshold, cases[i].threshold);
	}
}

static void test_equality(void **state)
{
	(void)state;
	queue_stats_on_queued(&qs, "e1", PRIO_HIGH, 1000, 0);
	struct queue_numbers a = numbers(2000), b = numbers(2000);
	assert_true(queue_stats_equal(&a, &b));
	b = numbers(9000);   /* only the age moved */
	assert_int_not_equal(a.oldest_age_ms, b.oldest_age_ms);
	assert_true(queue_stats_equal(&a, &b));

	/* Each change below must be seen. */
	struct queue_numbers c;
	c = a; c.depth++;                        assert_false(queue_stats_equal(&a, &c));
	c = a; c.by_priority[PRIO_LOW]++;        assert_false(queue_stats_equal(&a, &c));
	c = a; c.oldest_queued_ms++;             assert_false(queue_stats_equal(&a, &c));
	c = a; strcpy(c.oldest_id, "e2");        assert_false(queue_stats_equal(&a, &c));
	c = a; c.has_oldest = false;             assert_false(queue_stats_equal(&a, &c));
	c = a; c.avg_wait_ms = 5;                assert_false(queue_stats_equal(&a, &c));
	c = a; c.rate_per_min = 0.2;             assert_false(queue_stats_equal(&a, &c));
	c = a; c.eta_ms = 5;                     assert_false(queue_stats_equal(&a, &c));
	c = a; c.backlog = !c.backlog;           assert_false(queue_stats_equal(&a, &c));
	c = a; c.threshold = 7;                  assert_false(queue_stats_equal(&a, &c));

	/* Events change the numbers: a finish moves the rate and the eta. */
	queue_stats_on_finished(&qs, "zz", 2000, false);
	b = numbers(2000);
	assert_false(queue_stats_equal(&a, &b));
	/* And the window moving past it changes them back. */
	c = numbers(2000 + 5 * MIN_MS);
	assert_true(queue_stats_equal(&a, &c));
}

static void test_json(void **state)
{
	(void)state;
	struct queue_numbers n = numbers(0);
	json_t *j = queue_numbers_json_new(&n);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"avg_wait_ms\":null,\"backlog\":false,"
			       "\"by_priority\":{\"HIGH\":0,\"LOW\":0,\"NORMAL\":0},\"delayed\":0,\"depth\":0,"
			       "\"eta_ms\":0,\"finished_in_window\":0,\"oldest\":null,\"rate_per_min\":0.0,"
			       "\"rate_window_s\":300,\"threshold\":100,\"untracked\":0,\"wait_samples\":0,"
			       "\"wait_window_s\":900}");
	free(s);
	json_decref(j);

	queue_stats_on_queued(&qs, "j1", PRIO_HIGH, 1000, 0);
	queue_stats_on_queued(&qs, "j2", PRIO_LOW, 1500, 0);
	n = numbers(4000);
	j = queue_numbers_json_new(&n);
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"avg_wait_ms\":null,\"backlog\":false,"
			       "\"by_priority\":{\"HIGH\":1,\"LOW\":1,\"NORMAL\":0},\"delayed\":0,\"depth\":2,"
			       "\"eta_ms\":null,\"finished_in_window\":0,\"oldest\":{\"age_ms\":3000,"
			       "\"execution_id\":\"j1\",\"queued_ms\":1000},\"rate_per_min\":0.0,"
			       "\"rate_window_s\":300,\"threshold\":100,\"untracked\":0,\"wait_samples\":0,"
			       "\"wait_window_s\":900}");
	free(s);
	json_decref(j);

	queue_stats_on_started(&qs, "j1", 5000);
	queue_stats_on_finished(&qs, "j1", 6000, false);
	n = numbers(6000);
	j = queue_numbers_json_new(&n);
	assert_int_equal(json_integer_value(json_object_get(j, "avg_wait_ms")), 4000);
	/* The console shows how many starts the average is over. */
	assert_int_equal(json_integer_value(json_object_get(j, "wait_samples")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "finished_in_window")), 1);
	assert_float_equal(json_real_value(json_object_get(j, "rate_per_min")), 0.2, 1e-9);
	assert_int_equal(json_integer_value(json_object_get(j, "eta_ms")), 5 * MIN_MS);
	json_decref(j);
}

static void test_depth_history(void **state)
{
	(void)state;
	uint32_t out[QUEUE_STATS_DEPTH_HISTORY + 10];
	assert_int_equal(queue_stats_depth_history(&qs, out, 10), 0);

	queue_stats_sample_depth(&qs, 1000);                 /* s1: 0 */
	queue_stats_on_queued(&qs, "a", PRIO_NORMAL, 1500, 0);
	queue_stats_sample_depth(&qs, 1500);                 /* s1 again: replaced by 1 */
	queue_stats_on_queued(&qs, "b", PRIO_NORMAL, 2000, 0);
	queue_stats_sample_depth(&qs, 2000);                 /* s2: 2 */
	queue_stats_on_queued(&qs, "c", PRIO_NORMAL, 5000, 0);
	queue_stats_sample_depth(&qs, 5100);                 /* s3, s4 repeat 2; s5: 3 */
	size_t n = queue_stats_depth_history(&qs, out, 10);
	static const uint32_t want[] = { 1, 2, 2, 2, 3 };
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i], want[i]);
	/* A smaller buffer gets the newest. */
	assert_int_equal(queue_stats_depth_history(&qs, out, 2), 2);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 3);

	/* The ring keeps the last QUEUE_STATS_DEPTH_HISTORY seconds only. */
	for (int64_t s = 6; s < 6 + 1000; s++) {
		char id[32];
		snprintf(id, sizeof id, "r%lld", (long long)s);
		queue_stats_on_queued(&qs, id, PRIO_LOW, s * 1000, 0);
		queue_stats_sample_depth(&qs, s * 1000);
	}
	n = queue_stats_depth_history(&qs, out, sizeof out / sizeof out[0]);
	assert_int_equal(n, QUEUE_STATS_DEPTH_HISTORY);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i], 3 + 1000 - QUEUE_STATS_DEPTH_HISTORY + 1 + i);
	/* A long silence fills the whole ring with the last value, boundedly. */
	queue_stats_sample_depth(&qs, 1000LL * 1000 * 1000);
	n = queue_stats_depth_history(&qs, out, sizeof out / sizeof out[0]);
	assert_int_equal(n, QUEUE_STATS_DEPTH_HISTORY);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i], 1003);
}

/* Delayed executions count in the depth and, until their time, as delayed. */
static void test_delayed(void **state)
{
	(void)state;
	struct queue_stats q;
	assert_int_equal(queue_stats_init(&q, 0, 0, 0, cause, sizeof cause), 0);
	int64_t t = 1000000;
	queue_stats_on_queued(&q, "a", PRIO_NORMAL, t, 0);
	queue_stats_on_queued(&q, "b", PRIO_LOW, t, t + 60000);
	queue_stats_on_queued(&q, "c", PRIO_HIGH, t, t + 5000);
	struct queue_numbers n;
	queue_stats_compute(&q, t + 1000, 100, &n);
	assert_int_equal(n.depth, 3);
	assert_int_equal(n.delayed, 2);
	queue_stats_compute(&q, t + 6000, 100, &n);
	assert_int_equal(n.delayed, 1);
	/* Queued again without a delay (promoted), then started. */
	queue_stats_on_queued(&q, "b", PRIO_LOW, t + 7000, 0);
	queue_stats_compute(&q, t + 7000, 100, &n);
	assert_int_equal(n.delayed, 0);
	queue_stats_on_queued(&q, "d", PRIO_LOW, t, t + 99000);
	queue_stats_on_started(&q, "d", t + 8000);
	queue_stats_compute(&q, t + 8000, 100, &n);
	assert_int_equal(n.delayed, 0);
	assert_int_equal(n.depth, 3);
	json_t *j = queue_numbers_json_new(&n);
	assert_int_equal(json_integer_value(json_object_get(j, "delayed")), 0);
	json_decref(j);
	queue_stats_free(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delayed),
		cmocka_unit_test(test_init_windows),
		cmocka_unit_test_setup_teardown(test_avg_wait_window, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_wait_never_negative, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_rate_window_edges, setup_default, teardown),
		cmocka_unit_test(test_rate_custom_window),
		cmocka_unit_test(test_clearance_estimate),
		cmocka_unit_test_setup_teardown(test_priorities_and_reprioritize, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_oldest, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_while_queued, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_started_without_queued, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_queued, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_long_ids, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_random_against_model, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_memory, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_backlog_threshold, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_equality, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup_default, teardown),
		cmocka_unit_test_setup_teardown(test_depth_history, setup_default, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
