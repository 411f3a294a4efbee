/* test_calendar.c: the Polish working-day calendar (workdays.h), time zones
 * (tz.h) and cron expressions (cron.h), table-driven against dates checked
 * by hand in a paper calendar. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cron.h"
#include "tz.h"
#include "workdays.h"

#define D(y, m, d) ((struct civil_date){ (y), (m), (d) })

static void assert_date(struct civil_date got, struct civil_date want)
{
	if (got.year != want.year || got.month != want.month || got.day != want.day)
		fail_msg("got %04d-%02d-%02d, want %04d-%02d-%02d", got.year, got.month, got.day, want.year, want.month,
			 want.day);
}

static void test_easter_and_holidays(void **state)
{
	(void)state;
	static const struct { int year; struct civil_date easter; } easters[] = {
		{ 2000, D(2000, 4, 23) }, { 2019, D(2019, 4, 21) }, { 2024, D(2024, 3, 31) },
		{ 2025, D(2025, 4, 20) }, { 2026, D(2026, 4, 5) }, { 2027, D(2027, 3, 28) }, { 2038, D(2038, 4, 25) },
	};
	for (size_t i = 0; i < sizeof easters / sizeof easters[0]; i++)
		assert_date(workdays_easter(easters[i].year), easters[i].easter);

	static const struct { struct civil_date d; const char *holiday; bool working; } days[] = {
		{ D(2026, 1, 1), "Nowy Rok", false },
		{ D(2026, 1, 6), "Święto Trzech Króli", false },
		{ D(2010, 1, 6), NULL, true },                        /* before 2011: a working Wednesday */
		{ D(2026, 4, 6), "Poniedziałek Wielkanocny", false },
		{ D(2026, 4, 7), NULL, true },
		{ D(2026, 6, 4), "Boże Ciało", false },               /* Easter + 60: a Thursday */
		{ D(2025, 6, 19), "Boże Ciało", false },
		{ D(2026, 5, 24), "Zielone Świątki", false },
		{ D(2026, 5, 1), "Święto Państwowe (1 Maja)", false },
		{ D(2026, 5, 3), "Święto Narodowe Trzeciego Maja", false },
		{ D(2026, 8, 15), "Wniebowzięcie Najświętszej Maryi Panny", false },
		{ D(2026, 11, 11), "Narodowe Święto Niepodległości", false },
		{ D(2024, 12, 24), NULL, true },                      /* Christmas Eve before 2025: working */
		{ D(2025, 12, 24), "Wigilia Bożego Narodzenia", false },
		{ D(2026, 12, 24), "Wigilia Bożego Narodzenia", false },
		{ D(2026, 12, 26), "Boże Narodzenie (drugi dzień)", false },
		{ D(2026, 11, 7), NULL, false },                      /* a Saturday */
		{ D(2026, 11, 9), NULL, true },
	};
	for (size_t i = 0; i < sizeof days / sizeof days[0]; i++) {
		const char *h = workdays_holiday(days[i].d);
		if (days[i].holiday == NULL)
			assert_null(h);
		else
			assert_string_equal(h, days[i].holiday);
		assert_int_equal(workdays_is_working(days[i].d), days[i].working);
	}
}

static void test_nth_working_day(void **state)
{
	(void)state;
	static const struct { int year, month, n; struct civil_date want; } cases[] = {
		{ 2026, 11, 5, D(2026, 11, 6) },   /* the 1st is a Sunday and a holiday */
		{ 2026, 1, 3, D(2026, 1, 7) },     /* 1 and 6 January are holidays */
		{ 2026, 5, 1, D(2026, 5, 4) },     /* 1 May (Friday), the weekend with 3 May */
		{ 2026, 4, 4, D(2026, 4, 7) },     /* Easter Monday on the 6th */
		{ 2025, 12, 17, D(2025, 12, 23) },
		{ 2025, 12, 18, D(2025, 12, 29) }, /* 24, 25, 26 December, then the weekend */
		{ 2024, 2, 21, D(2024, 2, 29) },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct civil_date d;
		assert_true(workdays_nth(cases[i].year, cases[i].month, cases[i].n, &d));
		assert_date(d, cases[i].want);
	}
	struct civil_date d;
	assert_false(workdays_nth(2026, 11, 21, &d));   /* November 2026 has 20 */
	assert_true(workdays_nth(2026, 11, 20, &d));
	assert_false(workdays_nth(2026, 11, 0, &d));
	assert_false(workdays_nth(2026, 13, 1, &d));
	assert_int_equal(workdays_count(D(2026, 11, 1), D(2026, 11, 30)), 20);
	assert_int_equal(workdays_count(D(2026, 11, 30), D(2026, 11, 1)), 0);
	assert_date(workdays_next_working(D(2025, 12, 24)), D(2025, 12, 29));
	assert_date(workdays_next_working(D(2026, 11, 9)), D(2026, 11, 9));
	/* Days and back, across the epoch and leap years. */
	for (int64_t z = -800000; z < 800000; z += 997)
		assert_int_equal(workdays_days_from_civil(workdays_civil_from_days(z)), z);
	assert_int_equal(workdays_weekday(D(1970, 1, 1)), 3);
	assert_int_equal(workdays_weekday(D(2026, 11, 23)), 0);
	assert_true(workdays_date_valid(D(2024, 2, 29)));
	assert_false(workdays_date_valid(D(2026, 2, 29)));
}

static int64_t at(int y, int mo, int d, int h, int mi)
{
	return workdays_days_from_civil(D(y, mo, d)) * 86400 + h * 3600 + mi * 60;
}

static void test_time_zones(void **state)
{
	(void)state;
	struct tz tz;
	char cause[256];
	assert_int_equal(tz_load("Europe/Warsaw", &tz, cause, sizeof cause), 0);
	assert_int_equal(tz_offset_at(&tz, at(2026, 3, 29, 0, 59)), 3600);
	assert_int_equal(tz_offset_at(&tz, at(2026, 3, 29, 1, 0)), 7200);
	assert_int_equal(tz_offset_at(&tz, at(2026, 10, 25, 0, 59)), 7200);
	assert_int_equal(tz_offset_at(&tz, at(2026, 10, 25, 1, 0)), 3600);
	assert_int_equal(tz_utc(&tz, D(2026, 11, 6), 18 * 3600), at(2026, 11, 6, 17, 0));
	assert_int_equal(tz_utc(&tz, D(2026, 7, 1), 18 * 3600), at(2026, 7, 1, 16, 0));
	/* 02:30 on 29 March does not exist: the same reading after the change. */
	assert_int_equal(tz_utc(&tz, D(2026, 3, 29), 2 * 3600 + 1800), at(2026, 3, 29, 1, 30));
	/* 02:30 on 25 October happens twice: the first. */
	assert_int_equal(tz_utc(&tz, D(2026, 10, 25), 2 * 3600 + 1800), at(2026, 10, 25, 0, 30));
	struct civil_date d;
	int sec;
	tz_local(&tz, at(2026, 12, 31, 23, 30), &d, &sec);
	assert_date(d, D(2027, 1, 1));
	assert_int_equal(sec, 1800);

	assert_int_equal(tz_parse_posix("EST5EDT,M3.2.0,M11.1.0", &tz), 0);
	assert_int_equal(tz_offset_at(&tz, at(2026, 1, 15, 12, 0)), -18000);
	assert_int_equal(tz_offset_at(&tz, at(2026, 7, 15, 12, 0)), -14400);
	assert_int_equal(tz_parse_posix("AEST-10AEDT,M10.1.0,M4.1.0/3", &tz), 0);   /* southern */
	assert_int_equal(tz_offset_at(&tz, at(2026, 1, 15, 0, 0)), 11 * 3600);
	assert_int_equal(tz_offset_at(&tz, at(2026, 7, 15, 0, 0)), 10 * 3600);
	assert_int_equal(tz_parse_posix("<+03>-3", &tz), 0);
	assert_int_equal(tz_offset_at(&tz, at(2026, 7, 15, 0, 0)), 3 * 3600);
	assert_int_equal(tz_load("UTC", &tz, cause, sizeof cause), 0);
	assert_int_equal(tz_offset_at(&tz, at(2026, 7, 15, 0, 0)), 0);

	static const char *const bad[] = { "XX", "CET-1CEST,M13.5.0,M10.5.0", "CET-1CEST,M3.5.0", "CET-25" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(tz_parse_posix(bad[i], &tz), -1);
	assert_int_equal(tz_load("Europe/../../etc/passwd", &tz, cause, sizeof cause), -1);
	assert_int_equal(tz_load("Mars/Olympus_Mons", &tz, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "unknown time zone"));
}

static void test_cron(void **state)
{
	(void)state;
	struct cron c;
	char cause[256];
	struct civil_date d;
	int m;
	static const struct {
		const char *expr;
		struct civil_date from;
		int from_min;
		struct civil_date want;
		int want_min;
	} next[] = {
		{ "30 2 * * 1-5", D(2026, 11, 6), 3 * 60, D(2026, 11, 9), 150 },
		{ "*/15 9-17 * * *", D(2026, 11, 6), 9 * 60 + 59, D(2026, 11, 6), 600 },
		{ "0 0 29 2 *", D(2026, 3, 1), 0, D(2028, 2, 29), 0 },
		{ "0 0 13 * 5", D(2026, 11, 1), 0, D(2026, 11, 6), 0 },        /* the 13th or a Friday */
		{ "0 6 1 JAN,jul *", D(2026, 2, 1), 0, D(2026, 7, 1), 360 },
		{ "0 12 * * SUN", D(2026, 11, 6), 0, D(2026, 11, 8), 720 },
		{ "0 12 * * 7", D(2026, 11, 6), 0, D(2026, 11, 8), 720 },
		{ "@daily", D(2026, 11, 6), 1, D(2026, 11, 7), 0 },
		{ "@hourly", D(2026, 11, 6), 59, D(2026, 11, 6), 60 },
		{ "5/20 * * * *", D(2026, 11, 6), 5, D(2026, 11, 6), 25 },
	};
	for (size_t i = 0; i < sizeof next / sizeof next[0]; i++) {
		if (cron_parse(next[i].expr, &c, cause, sizeof cause) != 0)
			fail_msg("%s: %s", next[i].expr, cause);
		assert_true(cron_next(&c, next[i].from, next[i].from_min, &d, &m));
		assert_date(d, next[i].want);
		assert_int_equal(m, next[i].want_min);
		struct civil_date p;
		int pm;
		assert_true(cron_prev(&c, d, m, &p, &pm));
		assert_date(p, d);
		assert_int_equal(pm, m);
	}
	assert_int_equal(cron_parse("30 2 * * 1-5", &c, cause, sizeof cause), 0);
	assert_true(cron_prev(&c, D(2026, 11, 9), 149, &d, &m));
	assert_date(d, D(2026, 11, 6));
	assert_int_equal(m, 150);
	assert_int_equal(cron_parse("0 0 30 2 *", &c, cause, sizeof cause), 0);
	assert_false(cron_next(&c, D(2026, 1, 1), 0, &d, &m));
	static const struct { const char *expr, *says; } bad[] = {
		{ "61 * * * *", "minute" }, { "* * * *", "five fields" }, { "* * * * * *", "five fields" },
		{ "@often", "@daily" }, { "1-2-3 * * * *", "minute" }, { "*/0 * * * *", "minute" },
		{ "* 24 * * *", "hour" }, { "* * 0 * *", "day of month" }, { "* * * 13 *", "month" },
		{ "* * * FOO *", "month" }, { "* * * * 8", "day of week" }, { "5-1 * * * *", "minute" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (cron_parse(bad[i].expr, &c, cause, sizeof cause) == 0)
			fail_msg("'%s' was accepted", bad[i].expr);
		if (strstr(cause, bad[i].says) == NULL)
			fail_msg("'%s': '%s' does not say %s", bad[i].expr, cause, bad[i].says);
	}
}

int main(void)
{
	setenv("TZDIR", "/usr/share/zoneinfo", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_easter_and_holidays),
		cmocka_unit_test(test_nth_working_day),
		cmocka_unit_test(test_time_zones),
		cmocka_unit_test(test_cron),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
