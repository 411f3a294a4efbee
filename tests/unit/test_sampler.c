/* test_sampler.c: /proc parsing over fixed texts (good and malformed), the CPU
 * arithmetic, and the readers against a fake proc root and the real /proc. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sampler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char cause[300];

#define LEN(s) (sizeof(s) - 1)

static const char STAT_TEXT[] =
	"cpu  45352 10 52291 414422 3006 0 20749 3148 7 0\n"
	"cpu0 22000 5 26000 207000 1500 0 10000 1500 0 0\n"
	"cpu1 23352 5 26291 207422 1506 0 10749 1648 7 0\n"
	"intr 1234567 0 0 0\n"
	"ctxt 987654\n";

static void test_parse_stat(void **state)
{
	(void)state;
	struct sampler_cpu_times t;
	assert_int_equal(sampler_parse_stat(STAT_TEXT, LEN(STAT_TEXT), &t), 0);
	assert_int_equal(t.total, 45352 + 10 + 52291 + 414422 + 3006 + 0 + 20749 + 3148);
	assert_int_equal(t.idle, 414422 + 3006);

	static const struct {
		const char *text;
		int rc;
		uint64_t total, idle;
	} cases[] = {
		{ "cpu 1 2 3 4\n", 0, 10, 4 },                        /* old kernels: four fields */
		{ "cpu  1 2 3 4 5\n", 0, 15, 9 },
		{ "cpu 1 2 3 4 5 6 7 8 9 10 11 12\n", 0, 36, 9 },     /* extra fields checked, unused */
		{ "cpu\t1\t2\t3\t4 \n", 0, 10, 4 },
		{ "cpu 1 2 3\n", -1, 0, 0 },                          /* too few */
		{ "cpu0 1 2 3 4 5\n", -1, 0, 0 },                     /* not the aggregate line */
		{ "intr 1 2 3 4\ncpu 1 2 3 4\n", -1, 0, 0 },          /* not first */
		{ "cpu 1 2 x 4 5\n", -1, 0, 0 },
		{ "cpu 1 2 3 4 5x\n", -1, 0, 0 },
		{ "cpu 1 2 -3 4 5\n", -1, 0, 0 },
		{ "cpu 1 2 3 4 5", -1, 0, 0 },                        /* cut: the last number may be short */
		{ "cpu 99999999999999999999 1 1 1\n", -1, 0, 0 },     /* overflow */
		{ "cpu 18446744073709551615 1 1 1\n", -1, 0, 0 },     /* sum overflows */
		{ "", -1, 0, 0 },
		{ "cpu", -1, 0, 0 },
		{ "garbage\n", -1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sampler_cpu_times c = { 77, 77 };
		int rc = sampler_parse_stat(cases[i].text, strlen(cases[i].text), &c);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_int_equal(c.total, cases[i].total);
			assert_int_equal(c.idle, cases[i].idle);
		} else {
			assert_int_equal(c.total, 77);   /* untouched on error */
		}
	}
	/* Only len bytes are read: a valid line cut before its newline fails. */
	assert_int_equal(sampler_parse_stat(STAT_TEXT, 20, &t), -1);
}

static void test_cpu_percent(void **state)
{
	(void)state;
	static const struct {
		struct sampler_cpu_times prev, cur;
		int rc;
		double pct;
	} cases[] = {
		{ { 1000, 800 }, { 1200, 850 }, 0, 75.0 },     /* 200 ticks, 50 idle */
		{ { 1000, 800 }, { 1100, 900 }, 0, 0.0 },      /* all idle */
		{ { 1000, 800 }, { 1100, 800 }, 0, 100.0 },
		{ { 1000, 800 }, { 1000, 800 }, 0, 0.0 },      /* no tick passed */
		{ { 1000, 800 }, { 900, 800 }, -1, 0 },        /* went back */
		{ { 1000, 800 }, { 1100, 700 }, -1, 0 },
		{ { 1000, 800 }, { 1100, 950 }, -1, 0 },       /* more idle than time */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double pct = -5;
		assert_int_equal(sampler_cpu_percent(&cases[i].prev, &cases[i].cur, &pct), cases[i].rc);
		if (cases[i].rc == 0)
			assert_float_equal(pct, cases[i].pct, 1e-9);
	}
}

static const char MEMINFO_TEXT[] =
	"MemTotal:       24589876 kB\n"
	"MemFree:        20123456 kB\n"
	"MemAvailable:   22345678 kB\n"
	"Buffers:          123456 kB\n"
	"Cached:          1234567 kB\n"
	"SwapCached:            0 kB\n"
	"HugePages_Total:       0\n";

static void test_parse_meminfo(void **state)
{
	(void)state;
	uint64_t total, avail;
	assert_int_equal(sampler_parse_meminfo(MEMINFO_TEXT, LEN(MEMINFO_TEXT), &total, &avail), 0);
	assert_int_equal(total, 24589876ull * 1024);
	assert_int_equal(avail, 22345678ull * 1024);

	static const struct {
		const char *text;
		int rc;
		uint64_t total_kib, avail_kib;
	} cases[] = {
		/* no MemAvailable: free + buffers + cached */
		{ "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 20 kB\nCached: 300 kB\n", 0, 1000, 420 },
		/* ... never above the total */
		{ "MemTotal: 1000 kB\nMemFree: 900 kB\nBuffers: 20 kB\nCached: 300 kB\n", 0, 1000, 1000 },
		{ "MemAvailable: 5 kB\nMemTotal: 10 kB\n", 0, 10, 5 },        /* any order */
		{ "SwapCached: 7 kB\nMemTotal: 10 kB\nMemAvailable: 5 kB\n", 0, 10, 5 },
		{ "MemTotal: 10 kB\n", -1, 0, 0 },                            /* nothing for available */
		{ "MemAvailable: 5 kB\n", -1, 0, 0 },
		{ "MemTotal: 10 MB\nMemAvailable: 5 kB\n", -1, 0, 0 },        /* unit */
		{ "MemTotal: 10\nMemAvailable: 5 kB\n", -1, 0, 0 },
		{ "MemTotal: ten kB\nMemAvailable: 5 kB\n", -1, 0, 0 },
		{ "MemTotal: 10 kB\nMemAvailable: 5 kB", -1, 0, 0 },          /* cut */
		{ "MemTotal: 18446744073709551615 kB\nMemAvailable: 5 kB\n", -1, 0, 0 },
		{ "XMemTotal: 10 kB\nMemAvailable: 5 kB\n", -1, 0, 0 },       /* keys at line start */
		{ "", -1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		total = avail = 77;
		int rc = sampler_parse_meminfo(cases[i].text, strlen(cases[i].text), &total, &avail);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_int_equal(total, cases[i].total_kib * 1024);
			assert_int_equal(avail, cases[i].avail_kib * 1024);
		} else {
			assert_int_equal(total, 77);
			assert_int_equal(avail, 77);
		}
	}
}

static void test_parse_loadavg(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		double l1, l5, l15;
	} cases[] = {
		{ "0.57 0.50 0.44 1/102 24843\n", 0, 0.57, 0.50, 0.44 },
		{ "12.25 3.00 100.99 7/2000 1\n", 0, 12.25, 3.0, 100.99 },
		{ "0 1 2 0/1 1\n", 0, 0, 1, 2 },
		{ "0.57 0.50\n", -1, 0, 0, 0 },
		{ "0.57 0.50 0.44\n", -1, 0, 0, 0 },                 /* no running/threads */
		{ "0.57 0.50 0.44 x/102 1\n", -1, 0, 0, 0 },
		{ "0.57 0.50 0.44 5/2 1\n", -1, 0, 0, 0 },           /* more running than threads */
		{ "0.57 -0.50 0.44 1/102 1\n", -1, 0, 0, 0 },
		{ "0.57 0.5a 0.44 1/102 1\n", -1, 0, 0, 0 },
		{ "0. 0.50 0.44 1/102 1\n", -1, 0, 0, 0 },
		{ "nan 0.50 0.44 1/102 1\n", -1, 0, 0, 0 },
		{ "1e3 0.50 0.44 1/102 1\n", -1, 0, 0, 0 },
		{ "", -1, 0, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double l[3] = { -7, -7, -7 };
		int rc = sampler_parse_loadavg(cases[i].text, strlen(cases[i].text), l);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0) {
			assert_float_equal(l[0], cases[i].l1, 1e-9);
			assert_float_equal(l[1], cases[i].l5, 1e-9);
			assert_float_equal(l[2], cases[i].l15, 1e-9);
		} else {
			assert_float_equal(l[0], -7, 0);
		}
	}
}

static void test_parse_pid_stat(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		uint64_t ut, st;
	} cases[] = {
		{ "24844 (head) R 24788 24788 15923 0 -1 4194304 103 0 0 0 17 4 0 0 20 0 1 0 270524\n",
		  0, 17, 4 },
		/* a name with spaces and parentheses: counted from the last ')' */
		{ "77 (a) b (c)) S 1 77 77 0 -1 4194560 5 0 0 0 1234 5678 0 0 20 0 3 0 99\n",
		  0, 1234, 5678 },
		{ "1 (x) S 0 1 1 0 -1 0 0 0 0 0 9\n", -1, 0, 0 },          /* stime missing */
		{ "1 (x) S 0 1 1 0 -1 0 0 0 0 0 -9 1 0\n", -1, 0, 0 },     /* negative utime */
		{ "1 (x) S 0 1 1 0 -1 0 0 0 0 0 9z 1 0\n", -1, 0, 0 },
		{ "1 (x S 0 1 1 0 -1 0 0 0 0 0 9 1 0\n", -1, 0, 0 },       /* no ')' */
		{ "(x) S 0 1 1 0 -1 0 0 0 0 0 9 1 0\n", -1, 0, 0 },        /* no pid */
		{ "1 (x) 7 0 1 1 0 -1 0 0 0 0 0 9 1 0\n", -1, 0, 0 },      /* state not a letter */
		{ "1 (x) SS 0 1 1 0 -1 0 0 0 0 0 9 1 0\n", -1, 0, 0 },
		{ "1 (x) S 0 1\n1 0 -1 0 0 0 0 0 9 1 0\n", -1, 0, 0 },     /* one line only */
		{ "", -1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t ut = 77, st = 77;
		int rc = sampler_parse_pid_stat(cases[i].text, strlen(cases[i].text), &ut, &st);
		assert_int_equal(rc, cases[i].rc);
		assert_int_equal(ut, rc == 0 ? cases[i].ut : 77);
		assert_int_equal(st, rc == 0 ? cases[i].st : 77);
	}
}

static void test_parse_status_rss(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		uint64_t bytes;
	} cases[] = {
		{ "Name:\twfmond\nVmPeak:\t  10000 kB\nVmRSS:\t    5120 kB\nThreads:\t2\n", 0, 5120 * 1024 },
		{ "VmRSS: 0 kB\n", 0, 0 },
		{ "Name:\tkthreadd\nThreads:\t1\n", -1, 0 },      /* kernel threads have none */
		{ "VmRSS:\t5120\n", -1, 0 },
		{ "VmRSS:\t-5 kB\n", -1, 0 },
		{ "VmRSS:\t5120 kB", -1, 0 },                      /* cut */
		{ "VmRSSS:\t5120 kB\n", -1, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t b = 77;
		int rc = sampler_parse_status_rss(cases[i].text, strlen(cases[i].text), &b);
		assert_int_equal(rc, cases[i].rc);
		assert_int_equal(b, rc == 0 ? cases[i].bytes : 77);
	}
}

static void test_self_percent(void **state)
{
	(void)state;
	static const struct {
		uint64_t pt;
		int64_t pus;
		uint64_t t;
		int64_t us;
		long hz;
		int rc;
		double pct;
	} cases[] = {
		{ 100, 0, 150, 1000000, 100, 0, 50.0 },        /* 0.5 s CPU in 1 s */
		{ 100, 0, 300, 1000000, 100, 0, 200.0 },       /* two busy cores */
		{ 0, 5000000, 0, 7000000, 100, 0, 0.0 },
		{ 0, 0, 250, 2000000, 250, 0, 50.0 },
		{ 100, 1000, 150, 1000, 100, -1, 0 },          /* no time passed */
		{ 100, 0, 50, 1000000, 100, -1, 0 },           /* ticks went back */
		{ 100, 0, 150, 1000000, 0, -1, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double pct = -5;
		int rc = sampler_self_percent(cases[i].pt, cases[i].pus, cases[i].t, cases[i].us,
					      cases[i].hz, &pct);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0)
			assert_float_equal(pct, cases[i].pct, 1e-9);
	}
}

/* ---- the readers ----------------------------------------------------------- */

static char fakeroot[64];

static void put(const char *name, const char *text)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s", fakeroot, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int fake_setup(void **state)
{
	(void)state;
	snprintf(fakeroot, sizeof fakeroot, "/tmp/wfmon-sampler.XXXXXX");
	if (mkdtemp(fakeroot) == NULL)
		return -1;
	char self[128];
	snprintf(self, sizeof self, "%s/self", fakeroot);
	return mkdir(self, 0700);
}

static int fake_teardown(void **state)
{
	(void)state;
	static const char *const names[] = { "stat", "meminfo", "loadavg", "self/stat", "self/status" };
	char path[160];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", fakeroot, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/self", fakeroot);
	rmdir(path);
	rmdir(fakeroot);
	return 0;
}

static void test_read_host_fake(void **state)
{
	(void)state;
	struct sampler s;
	struct host_sample h;
	assert_int_equal(sampler_init(&s, fakeroot, cause, sizeof cause), 0);

	put("meminfo", MEMINFO_TEXT);
	put("loadavg", "1.50 0.75 0.25 2/300 4242\n");
	assert_int_equal(sampler_read_host(&s, &h, cause, sizeof cause), -1);   /* no stat yet */
	assert_non_null(strstr(cause, "/stat"));

	put("stat", "cpu  100 0 100 700 100 0 0 0 0 0\n");
	assert_int_equal(sampler_read_host(&s, &h, cause, sizeof cause), 0);
	assert_true(h.cpu_percent == -1);   /* first read: no interval yet */
	assert_int_equal(h.mem_total_bytes, 24589876ull * 1024);
	assert_int_equal(h.mem_available_bytes, 22345678ull * 1024);
	assert_float_equal(h.load[0], 1.5, 1e-9);
	assert_float_equal(h.load[2], 0.25, 1e-9);

	/* +400 ticks, +100 idle, +0 iowait: 75 % busy */
	put("stat", "cpu  300 0 200 800 100 0 0 0 0 0\n");
	assert_int_equal(sampler_read_host(&s, &h, cause, sizeof cause), 0);
	assert_float_equal(h.cpu_percent, 75.0, 1e-9);

	/* A malformed file is an error naming it; the previous counters stay. */
	put("stat", "cpu  300 0 2x0 800 100 0 0 0 0 0\n");
	h.cpu_percent = 12345;
	assert_int_equal(sampler_read_host(&s, &h, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "stat: unexpected format"));
	assert_float_equal(h.cpu_percent, 12345, 0);
	put("stat", "cpu  400 0 200 900 100 0 0 0 0 0\n");   /* +200, +100 idle */
	assert_int_equal(sampler_read_host(&s, &h, cause, sizeof cause), 0);
	assert_float_equal(h.cpu_percent, 50.0, 1e-9);

	put("loadavg", "garbage\n");
	assert_int_equal(sampler_read_host(&s, &h, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "loadavg: unexpected format"));
	put("loadavg", "1.50 0.75 0.25 2/300 4242\n");
	put("meminfo", "MemTotal: 1 kB\n");
	assert_int_equal(sampler_read_host(&s, &h, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "meminfo: unexpected format"));
}

static void test_read_self_fake(void **state)
{
	(void)state;
	struct sampler s;
	struct self_sample me;
	assert_int_equal(sampler_init(&s, fakeroot, cause, sizeof cause), 0);
	put("self/stat", "42 (wfmond) S 1 42 42 0 -1 0 0 0 0 0 10 5 0 0 20 0 2 0 1\n");
	put("self/status", "Name:\twfmond\nVmRSS:\t  2048 kB\n");
	assert_int_equal(sampler_read_self(&s, &me, cause, sizeof cause), 0);
	assert_true(me.cpu_percent == -1);
	assert_int_equal(me.rss_bytes, 2048 * 1024);
	put("self/stat", "42 (wfmond) S 1 42 42 0 -1 0 0 0 0 0 10 5 0 0 20 0 2 0 1\n");
	usleep(20000);
	assert_int_equal(sampler_read_self(&s, &me, cause, sizeof cause), 0);
	assert_float_equal(me.cpu_percent, 0.0, 1e-9);   /* no tick in between */
	put("self/status", "Name:\twfmond\n");
	assert_int_equal(sampler_read_self(&s, &me, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "self/status: unexpected format"));

	char longroot[100];
	memset(longroot, 'x', sizeof longroot - 1);
	longroot[sizeof longroot - 1] = '\0';
	assert_int_equal(sampler_init(&s, longroot, cause, sizeof cause), -1);
	assert_int_equal(sampler_init(&s, "/nonexistent-proc", cause, sizeof cause), 0);
	assert_int_equal(sampler_read_self(&s, &me, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "/nonexistent-proc/self/stat"));
}

/* The real /proc of this machine parses, and numbers are plausible. */
static void test_read_real_proc(void **state)
{
	(void)state;
	struct sampler s;
	struct host_sample h;
	struct self_sample me;
	assert_int_equal(sampler_init(&s, NULL, cause, sizeof cause), 0);
	assert_int_equal(sampler_read_host(&s, &h, cause, sizeof cause), 0);
	assert_true(h.mem_total_bytes > 0);
	assert_true(h.mem_available_bytes <= h.mem_total_bytes);
	assert_true(h.load[0] >= 0);
	assert_int_equal(sampler_read_self(&s, &me, cause, sizeof cause), 0);
	assert_true(me.rss_bytes > 0);

	/* Burn about 300 ms of CPU: this process shows clearly busy. */
	volatile uint64_t x = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			x += (uint64_t)i * i;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 300);
	assert_int_equal(sampler_read_host(&s, &h, cause, sizeof cause), 0);
	assert_int_equal(sampler_read_self(&s, &me, cause, sizeof cause), 0);
	assert_true(h.cpu_percent >= 0 && h.cpu_percent <= 100);
	assert_true(me.cpu_percent > 5);   /* a loaded machine shares the cores */
	assert_true(me.cpu_percent < 120);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_stat),
		cmocka_unit_test(test_cpu_percent),
		cmocka_unit_test(test_parse_meminfo),
		cmocka_unit_test(test_parse_loadavg),
		cmocka_unit_test(test_parse_pid_stat),
		cmocka_unit_test(test_parse_status_rss),
		cmocka_unit_test(test_self_percent),
		cmocka_unit_test_setup_teardown(test_read_host_fake, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_read_self_fake, fake_setup, fake_teardown),
		cmocka_unit_test(test_read_real_proc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
