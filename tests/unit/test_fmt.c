/* test_fmt.c: the formatting module (fmt.c), table-driven: durations at
 * every unit boundary (999.5 ms, 9.95 s, 59.5 s, 59.95 s, 59 min 59.5 s),
 * elapsed and remaining times, sizes at the unit boundaries, percentages,
 * counts and decimal numbers with binary noise and large values, dates in
 * both languages, and the language's parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"

#define EN FMT_EN
#define PL FMT_PL

static void expect(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0) {
		print_error("%s: got \"%s\", want \"%s\"\n", what, got, want);
		fail();
	}
}

static const struct {
	enum fmt_lang lang;
	double ms;
	const char *want;
} durations[] = {
	{ EN, 0, "0 ms" },
	{ EN, 0.4, "0 ms" },
	{ EN, 0.5, "1 ms" },
	{ EN, 850, "850 ms" },
	{ EN, 999.4, "999 ms" },
	{ EN, 999.5, "1.0 s" },      /* rounds into the next unit */
	{ PL, 999.5, "1,0 s" },
	{ EN, 1000, "1.0 s" },
	{ EN, 5800, "5.8 s" },       /* "took 5 s" beside "total 5.8 s" no more */
	{ PL, 5800, "5,8 s" },
	{ EN, 5849.9, "5.8 s" },
	{ EN, 5850, "5.9 s" },       /* half up */
	{ EN, 9949, "9.9 s" },
	{ EN, 9950, "10 s" },        /* 9.95 s: whole seconds from 10 s */
	{ EN, 45000, "45 s" },
	{ EN, 59499, "59 s" },
	{ EN, 59500, "1 min" },
	{ EN, 59940, "1 min" },
	{ EN, 59950, "1 min" },      /* 59.95 s is never "60.0 s" nor "60 s" */
	{ PL, 59950, "1 min" },
	{ EN, 65000, "1 min 5 s" },
	{ EN, 3599499, "59 min 59 s" },
	{ EN, 3599500, "1 h" },
	{ EN, 7380000, "2 h 3 min" },
	{ EN, 86369999, "23 h 59 min" },
	{ EN, 86370000, "1 d" },
	{ EN, 3 * 86400000.0 + 4 * 3600000.0, "3 d 4 h" },
	{ EN, -1, "-" },
};

static void test_duration(void **state)
{
	(void)state;
	char buf[FMT_MAX], what[64];
	for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
		snprintf(what, sizeof what, "duration %s %.2f ms", fmt_lang_code(durations[i].lang), durations[i].ms);
		expect(what, fmt_duration(durations[i].lang, durations[i].ms, buf, sizeof buf), durations[i].want);
	}
}

static const struct {
	int64_t ms;
	const char *elapsed, *remaining;
} ticking[] = {
	{ 0, "0 s", "0 s" },
	{ 1, "0 s", "1 s" },          /* a tick under a second never reads "0 ms" */
	{ 999, "0 s", "1 s" },
	{ 1000, "1 s", "1 s" },
	{ 1001, "1 s", "2 s" },
	{ 59999, "59 s", "1 min" },
	{ 60000, "1 min", "1 min" },
	{ 65432, "1 min 5 s", "1 min 6 s" },
	{ 3599001, "59 min 59 s", "1 h" },
	{ 3660999, "1 h 1 min", "1 h 2 min" },
	{ 90000000, "1 d 1 h", "1 d 1 h" },
	{ -1, "-", "-" },
};

static void test_ticking(void **state)
{
	(void)state;
	char buf[FMT_MAX], what[64];
	for (size_t i = 0; i < sizeof ticking / sizeof ticking[0]; i++) {
		snprintf(what, sizeof what, "elapsed %lld", (long long)ticking[i].ms);
		expect(what, fmt_elapsed(EN, ticking[i].ms, buf, sizeof buf), ticking[i].elapsed);
		snprintf(what, sizeof what, "remaining %lld", (long long)ticking[i].ms);
		expect(what, fmt_remaining(PL, ticking[i].ms, buf, sizeof buf), ticking[i].remaining);
	}
}

static const struct {
	enum fmt_lang lang;
	int64_t bytes;
	const char *want;
} sizes[] = {
	{ EN, 0, "0 B" },
	{ EN, 1023, "1023 B" },
	{ EN, 1024, "1.0 KiB" },
	{ EN, 1048000, "1023.4 KiB" },
	{ EN, 1048524, "1023.9 KiB" },
	{ EN, 1048525, "1.0 MiB" },          /* 1023.95 KiB rounds into MiB */
	{ EN, 460741427, "439.4 MiB" },
	{ PL, 460741427, "439,4 MiB" },
	{ PL, 25232932864LL, "23,5 GiB" },
	{ EN, -1, "-" },
};

static void test_bytes(void **state)
{
	(void)state;
	char buf[FMT_MAX], what[64];
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		snprintf(what, sizeof what, "bytes %s %lld", fmt_lang_code(sizes[i].lang), (long long)sizes[i].bytes);
		expect(what, fmt_bytes(sizes[i].lang, sizes[i].bytes, buf, sizeof buf), sizes[i].want);
	}
}

static void test_numbers(void **state)
{
	(void)state;
	char b[FMT_MAX];
	expect("2.675 to 2 decimals", fmt_number(EN, 2.675, 2, b, sizeof b), "2.68");
	expect("2.665 to 2 decimals", fmt_number(EN, 2.665, 2, b, sizeof b), "2.67");
	expect("0.15 to 1 decimal", fmt_number(PL, 0.15, 1, b, sizeof b), "0,2");
	expect("-2.5 to 0", fmt_number(EN, -2.5, 0, b, sizeof b), "-3");
	expect("no -0", fmt_number(EN, -0.004, 2, b, sizeof b), "0.00");
	expect("grouping en", fmt_number(EN, 1234567.891, 2, b, sizeof b), "1,234,567.89");
	expect("grouping pl", fmt_number(PL, 1234567.891, 2, b, sizeof b), "1 234 567,89");
	expect("a VAT sum", fmt_number(PL, 282837.22, 2, b, sizeof b), "282 837,22");
	expect("count en 1234", fmt_count(EN, 1234, b, sizeof b), "1,234");
	expect("count pl 1234", fmt_count(PL, 1234, b, sizeof b), "1234");
	expect("count pl 12345", fmt_count(PL, 12345, b, sizeof b), "12 345");
	expect("count en million", fmt_count(EN, 1000000, b, sizeof b), "1,000,000");
	expect("count negative", fmt_count(PL, -1000000, b, sizeof b), "-1 000 000");
	expect("count int64 max", fmt_count(EN, INT64_MAX, b, sizeof b), "9,223,372,036,854,775,807");
	expect("count int64 min", fmt_count(EN, INT64_MIN, b, sizeof b), "-9,223,372,036,854,775,808");
	expect("value 99.7", fmt_value(EN, 99.700000000000003, b, sizeof b), "99.7");
	expect("value 99.7 pl", fmt_value(PL, 99.700000000000003, b, sizeof b), "99,7");
	expect("value whole", fmt_value(EN, 3.0, b, sizeof b), "3");
	expect("value third", fmt_value(EN, 1.0 / 3, b, sizeof b), "0.33");
	expect("value small", fmt_value(EN, 0.00125, b, sizeof b), "0.0013");
	expect("percent en", fmt_percent(EN, 42.45, 1, b, sizeof b), "42.5%");
	expect("percent pl", fmt_percent(PL, 42.45, 1, b, sizeof b), "42,5 %");
	expect("percent whole", fmt_percent(EN, 100, 0, b, sizeof b), "100%");
	expect("percent unknown", fmt_percent(EN, -1, 1, b, sizeof b), "-");
	/* A buffer too small is cut, never overrun. */
	char tiny[4];
	fmt_count(EN, 1234567, tiny, sizeof tiny);
	assert_int_equal(strlen(tiny), 3);
}

static void test_dates(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	char b[FMT_MAX];
	int64_t t = 1795411477055LL;   /* 2026-11-23 05:24:37 UTC */
	for (int l = 0; l < FMT__LANG_COUNT; l++) {
		expect("datetime", fmt_datetime((enum fmt_lang)l, t, b, sizeof b), "2026-11-23 05:24:37");
		expect("date", fmt_date((enum fmt_lang)l, t, b, sizeof b), "2026-11-23");
		expect("time", fmt_time((enum fmt_lang)l, t, b, sizeof b), "05:24:37");
		expect("clock", fmt_clock((enum fmt_lang)l, t, b, sizeof b), "05:24");
	}
	expect("no time", fmt_datetime(EN, 0, b, sizeof b), "-");
	/* Local time: a fixed offset needs no time zone database. */
	setenv("TZ", "CET-1", 1);
	tzset();
	expect("local time", fmt_datetime(PL, t, b, sizeof b), "2026-11-23 06:24:37");
	unsetenv("TZ");
	tzset();
}

static void test_offset(void **state)
{
	(void)state;
	static const struct {
		int64_t ms;
		const char *en, *pl;
	} cases[] = {
		{ 0, "0 s", "0 s" }, { 1, "1 ms", "1 ms" }, { 250, "250 ms", "250 ms" },
		{ 1000, "1 s", "1 s" }, { 1500, "1.5 s", "1,5 s" }, { 1250, "1.25 s", "1,25 s" },
		{ 1001, "1.001 s", "1,001 s" }, { 90000, "1 min 30 s", "1 min 30 s" },
		{ 60500, "1 min 0.5 s", "1 min 0,5 s" }, { 7200000, "2 h", "2 h" },
		{ 5400000, "1 h 30 min", "1 h 30 min" }, { 3661000, "1 h 1 min 1 s", "1 h 1 min 1 s" },
		{ -30000, "-30 s", "-30 s" }, { -250, "-250 ms", "-250 ms" },
	};
	char buf[FMT_MAX];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(fmt_offset(EN, cases[i].ms, buf, sizeof buf), strlen(cases[i].en));
		expect("offset en", buf, cases[i].en);
		fmt_offset(PL, cases[i].ms, buf, sizeof buf);
		expect("offset pl", buf, cases[i].pl);
	}
	char small[3];
	assert_int_equal(fmt_offset(EN, 90000, small, sizeof small), 10);
	assert_string_equal(small, "1 ");
	assert_true(fmt_offset(EN, INT64_MIN, buf, sizeof buf) > 0);
}

static void test_lang(void **state)
{
	(void)state;
	assert_int_equal(fmt_lang_parse("pl"), FMT_PL);
	assert_int_equal(fmt_lang_parse("pl_PL.UTF-8"), FMT_PL);
	assert_int_equal(fmt_lang_parse("PL"), FMT_PL);
	assert_int_equal(fmt_lang_parse("en_US"), FMT_EN);
	assert_int_equal(fmt_lang_parse("plx"), FMT_EN);
	assert_int_equal(fmt_lang_parse(""), FMT_EN);
	assert_int_equal(fmt_lang_parse(NULL), FMT_EN);
	assert_string_equal(fmt_lang_code(FMT_PL), "pl");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration), cmocka_unit_test(test_ticking), cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_numbers), cmocka_unit_test(test_dates), cmocka_unit_test(test_offset),
		cmocka_unit_test(test_lang),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
