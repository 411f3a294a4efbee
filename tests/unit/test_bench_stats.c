/* test_bench_stats.c: the histogram, /proc parsing and frame scanning of wfmon-bench. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "bench_stats.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct bench_hist hist;

/* Every value lies in its bucket, buckets are contiguous and in order, and a
 * bucket is never wider than 1/32 of its lower edge. */
static void test_hist_buckets_cover(void **state)
{
	(void)state;
	uint64_t probes[] = { 0, 1, 31, 32, 33, 63, 64, 65, 100, 127, 128, 1000, 1023, 1024,
			      999999, 1000000, 123456789, (1ull << 40) + 5, UINT64_MAX - 1, UINT64_MAX };
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
		uint64_t v = probes[i];
		unsigned b = bench_hist_bucket(v);
		assert_true(b < BENCH_HIST_BUCKETS);
		uint64_t high = bench_hist_bucket_high(b);
		uint64_t low = b == 0 ? 0 : bench_hist_bucket_high(b - 1) + 1;
		assert_true(v >= low);
		assert_true(v <= high);
		if (low >= BENCH_HIST_SUB)
			assert_true(high - low <= low / BENCH_HIST_SUB);
	}
	for (unsigned b = 1; b < BENCH_HIST_BUCKETS; b++) {
		assert_true(bench_hist_bucket_high(b) > bench_hist_bucket_high(b - 1));
		assert_int_equal(bench_hist_bucket(bench_hist_bucket_high(b - 1) + 1), b);
		assert_int_equal(bench_hist_bucket(bench_hist_bucket_high(b)), b);
	}
	assert_true(bench_hist_bucket_high(BENCH_HIST_BUCKETS - 1) == UINT64_MAX);
}

static void test_hist_percentiles_uniform(void **state)
{
	(void)state;
	bench_hist_reset(&hist);
	assert_int_equal(bench_hist_percentile(&hist, 50), 0);
	for (uint64_t v = 1; v <= 10000; v++)
		bench_hist_add(&hist, v);
	assert_int_equal(hist.total, 10000);
	assert_int_equal(hist.min, 1);
	assert_int_equal(hist.max, 10000);
	/* Within one bucket width (about 3 %) above the exact value, never below. */
	struct { double p; uint64_t exact; } cases[] = {
		{ 50, 5000 }, { 90, 9000 }, { 99, 9900 }, { 99.9, 9990 }, { 1, 100 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t got = bench_hist_percentile(&hist, cases[i].p);
		assert_true(got >= cases[i].exact);
		assert_true(got <= cases[i].exact + cases[i].exact / 32 + 1);
	}
	assert_int_equal(bench_hist_percentile(&hist, 100), 10000);
}

static void test_hist_percentile_skewed(void **state)
{
	(void)state;
	bench_hist_reset(&hist);
	for (int i = 0; i < 990; i++)
		bench_hist_add(&hist, 500);
	for (int i = 0; i < 10; i++)
		bench_hist_add(&hist, 250000);
	uint64_t p50 = bench_hist_percentile(&hist, 50);
	assert_true(p50 >= 500 && p50 <= 515);
	/* The 990th sample is still 500; the 991st is the slow one. */
	uint64_t p99 = bench_hist_percentile(&hist, 99);
	assert_true(p99 >= 500 && p99 <= 515);
	uint64_t p999 = bench_hist_percentile(&hist, 99.9);
	assert_int_equal(p999, 250000);
	assert_int_equal(bench_hist_percentile(&hist, 100), 250000);
	bench_hist_add(&hist, 7);
	assert_int_equal(hist.min, 7);
	/* Exact small values. */
	bench_hist_reset(&hist);
	bench_hist_add(&hist, 3);
	assert_int_equal(bench_hist_percentile(&hist, 50), 3);
}

static void test_proc_stat_parse(void **state)
{
	(void)state;
	struct { const char *text; int rc; uint64_t ut, st; } cases[] = {
		{ "1234 (wfmond) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 1 0 100 1000 200\n",
		  0, 250, 75 },
		/* A command name with spaces and a ')' inside. */
		{ "77 (a) b (c)) R 1 77 77 0 -1 0 0 0 0 0 9 8 0 0 20 0 1 0 1 2 3\n", 0, 9, 8 },
		{ "77 (x) R 1 77 77 0 -1 0 0 0 0 0 9\n", -1, 0, 0 },
		{ "77 x R 1 77 77 0 -1 0 0 0 0 0 9 8\n", -1, 0, 0 },
		{ "77 (x) R 1 77 77 0 -1 0 0 0 0 0 z 8 0\n", -1, 0, 0 },
		{ "", -1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t ut = 999, st = 999;
		int rc = bench_proc_stat_parse(cases[i].text, strlen(cases[i].text), &ut, &st);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_int_equal(ut, cases[i].ut);
			assert_int_equal(st, cases[i].st);
		}
	}
}

static void test_proc_status_rss(void **state)
{
	(void)state;
	const char *ok = "Name:\twfmond\nVmPeak:\t  9999 kB\nVmRSS:\t    5120 kB\nRssAnon:\t 100 kB\n";
	uint64_t kib = 0;
	assert_int_equal(bench_proc_status_rss(ok, strlen(ok), &kib), 0);
	assert_int_equal(kib, 5120);
	const char *none = "Name:\tkthreadd\nState:\tS (sleeping)\n";
	assert_int_equal(bench_proc_status_rss(none, strlen(none), &kib), -1);
	const char *bad = "VmRSS:\t kB\n";
	assert_int_equal(bench_proc_status_rss(bad, strlen(bad), &kib), -1);
	/* Cut in the middle of the number: only the bytes given are read. */
	const char *cut = "VmRSS:\t 12345 kB\n";
	assert_int_equal(bench_proc_status_rss(cut, 10, &kib), 0);
	assert_int_equal(kib, 12);
}

/* The live readers against this very process: CPU grows when we spin, RSS is
 * non-zero, a missing process is an error with a message. */
static void test_proc_live(void **state)
{
	(void)state;
	char cause[256] = "";
	uint64_t before, after, rss;
	assert_int_equal(bench_proc_cpu_us(getpid(), &before, cause, sizeof cause), 0);
	volatile uint64_t x = 0;
	for (uint64_t i = 0; i < 300000000ull; i++)
		x += i;
	assert_int_equal(bench_proc_cpu_us(getpid(), &after, cause, sizeof cause), 0);
	assert_true(after > before);
	assert_int_equal(bench_proc_rss_kib(getpid(), &rss, cause, sizeof cause), 0);
	assert_true(rss > 100);
	assert_int_equal(bench_proc_rss_kib(0x7ffffff0, &rss, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "/proc/"));
}

static void test_msg_type(void **state)
{
	(void)state;
	struct { const char *text; enum bench_msg type; } cases[] = {
		{ "{\"type\":\"event\",\"room\":\"execution:bench-0\",\"seq\":5}", BENCH_MSG_EVENT },
		{ "{\"type\":\"event\",\"room\":\"execution:bench-0\",\"pending\":true,\"event\":{\"id\":\"b\"}}",
		  BENCH_MSG_PENDING },
		{ "{\"type\":\"event\",\"room\":\"execution:bench-0\",\"seq\":6,\"event\":{\"x_note\":\"\\\"pending\\\":true\"}}",
		  BENCH_MSG_EVENT },
		{ "{\"type\": \"subscribed\", \"id\": 1}", BENCH_MSG_SUBSCRIBED },
		{ "{\"type\":\"ack\",\"id\":7,\"accepted\":3}", BENCH_MSG_ACK },
		{ "{\"type\":\"error\",\"code\":\"forbidden\"}", BENCH_MSG_ERROR },
		{ "{\"type\":\"pong\"}", BENCH_MSG_OTHER },
		{ "{\"type\":\"events\"}", BENCH_MSG_OTHER },
		{ "{\"room\":\"x\",\"event\":{\"type\":\"event\"}}", BENCH_MSG_OTHER },
		{ "{\"type\":", BENCH_MSG_OTHER },
		{ " { \"type\" : \"ack\"}", BENCH_MSG_ACK },
		{ "", BENCH_MSG_OTHER },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(bench_msg_type(cases[i].text, strlen(cases[i].text)), cases[i].type);
	/* Cut before the closing quote: not a type we know. */
	assert_int_equal(bench_msg_type("{\"type\":\"event\"", 14), BENCH_MSG_OTHER);
}

static void test_marker_find(void **state)
{
	(void)state;
	const char *ev = "{\"type\":\"event\",\"room\":\"execution:bench-3\",\"seq\":9,\"event\":"
			 "{\"type\":\"log\",\"id\":\"b-1-42\",\"execution_id\":\"bench-3\","
			 "\"workflow_id\":\"bench\",\"level\":\"info\",\"message\":\"bench 1700000000123456\"}}";
	int64_t us = 0;
	assert_true(bench_marker_find(ev, strlen(ev), &us));
	assert_int_equal(us, 1700000000123456LL);
	const char *none = "{\"workflow_id\":\"bench\",\"execution_id\":\"bench-1\"}";
	assert_false(bench_marker_find(none, strlen(none), &us));
	const char *nodigits = "{\"message\":\"bench x\"}";
	assert_false(bench_marker_find(nodigits, strlen(nodigits), &us));
	const char *trailing = "{\"message\":\"bench 12 more\"}";
	assert_false(bench_marker_find(trailing, strlen(trailing), &us));
	/* Truncated before the closing quote: not a marker. */
	const char *cut = "{\"message\":\"bench 12345\"}";
	assert_false(bench_marker_find(cut, 17, &us));
}

static void test_int_field(void **state)
{
	(void)state;
	const char *ack = "{\"type\":\"ack\",\"id\":17,\"accepted\": 99,\"rejected\":0,"
			  "\"results\":[{\"event_id\":\"b-1-1\",\"status\":\"ok\"}]}";
	int64_t v = -1;
	assert_true(bench_int_field(ack, strlen(ack), "id", &v));
	assert_int_equal(v, 17);
	assert_true(bench_int_field(ack, strlen(ack), "accepted", &v));
	assert_int_equal(v, 99);
	assert_true(bench_int_field(ack, strlen(ack), "rejected", &v));
	assert_int_equal(v, 0);
	assert_false(bench_int_field(ack, strlen(ack), "status", &v));
	assert_false(bench_int_field(ack, strlen(ack), "missing", &v));
	assert_true(bench_int_field("{\"n\":-5}", 8, "n", &v));
	assert_int_equal(v, -5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_buckets_cover),
		cmocka_unit_test(test_hist_percentiles_uniform),
		cmocka_unit_test(test_hist_percentile_skewed),
		cmocka_unit_test(test_proc_stat_parse),
		cmocka_unit_test(test_proc_status_rss),
		cmocka_unit_test(test_proc_live),
		cmocka_unit_test(test_msg_type),
		cmocka_unit_test(test_marker_find),
		cmocka_unit_test(test_int_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
