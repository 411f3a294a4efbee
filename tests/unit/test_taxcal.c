/* test_taxcal.c: the Polish tax calendar (taxcal.c): Easter over several
 * centuries, every holiday of several years (the 24 December rule from 2025,
 * Epiphany from 2011), weekends, and tax deadlines moved to the next working
 * day across months and years. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "taxcal.h"

#define D(y, m, d) ((struct taxcal_date){ (y), (m), (d) })

static void assert_date(struct taxcal_date got, struct taxcal_date want)
{
	if (got.year != want.year || got.month != want.month || got.day != want.day) {
		print_error("got %04d-%02d-%02d, want %04d-%02d-%02d\n", got.year, got.month, got.day,
			    want.year, want.month, want.day);
		fail();
	}
}

static void test_days_round_trip(void **state)
{
	(void)state;
	assert_int_equal(taxcal_days(D(1970, 1, 1)), 0);
	assert_int_equal(taxcal_days(D(2000, 3, 1)), 11017);
	for (int64_t z = -80000; z < 160000; z += 37)
		assert_int_equal(taxcal_days(taxcal_from_days(z)), z);
	assert_int_equal(taxcal_weekday(D(2026, 12, 6)), 6);   /* Sunday */
	assert_int_equal(taxcal_weekday(D(2024, 2, 29)), 3);   /* Thursday */
	assert_true(taxcal_date_valid(D(2024, 2, 29)));
	assert_false(taxcal_date_valid(D(2025, 2, 29)));
	assert_false(taxcal_date_valid(D(2026, 4, 31)));
	assert_false(taxcal_date_valid(D(2026, 13, 1)));
}

static void test_easter(void **state)
{
	(void)state;
	static const struct taxcal_date known[] = {
		{ 1900, 4, 15 }, { 1954, 4, 18 }, { 1981, 4, 19 }, { 2000, 4, 23 }, { 2008, 3, 23 },
		{ 2011, 4, 24 }, { 2019, 4, 21 }, { 2024, 3, 31 }, { 2025, 4, 20 }, { 2026, 4, 5 },
		{ 2027, 3, 28 }, { 2028, 4, 16 }, { 2038, 4, 25 }, { 2285, 3, 22 },
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		assert_date(taxcal_easter(known[i].year), known[i]);
}

/* Every holiday of 2024, 2025 and 2026, and nothing else. */
static void test_holidays_whole_years(void **state)
{
	(void)state;
	static const struct {
		int year;
		struct taxcal_date days[14];
	} years[] = {
		{ 2024, { { 2024, 1, 1 }, { 2024, 1, 6 }, { 2024, 3, 31 }, { 2024, 4, 1 }, { 2024, 5, 1 },
			  { 2024, 5, 3 }, { 2024, 5, 19 }, { 2024, 5, 30 }, { 2024, 8, 15 }, { 2024, 11, 1 },
			  { 2024, 11, 11 }, { 2024, 12, 25 }, { 2024, 12, 26 } } },
		{ 2025, { { 2025, 1, 1 }, { 2025, 1, 6 }, { 2025, 4, 20 }, { 2025, 4, 21 }, { 2025, 5, 1 },
			  { 2025, 5, 3 }, { 2025, 6, 8 }, { 2025, 6, 19 }, { 2025, 8, 15 }, { 2025, 11, 1 },
			  { 2025, 11, 11 }, { 2025, 12, 24 }, { 2025, 12, 25 }, { 2025, 12, 26 } } },
		{ 2026, { { 2026, 1, 1 }, { 2026, 1, 6 }, { 2026, 4, 5 }, { 2026, 4, 6 }, { 2026, 5, 1 },
			  { 2026, 5, 3 }, { 2026, 5, 24 }, { 2026, 6, 4 }, { 2026, 8, 15 }, { 2026, 11, 1 },
			  { 2026, 11, 11 }, { 2026, 12, 24 }, { 2026, 12, 25 }, { 2026, 12, 26 } } },
	};
	for (size_t y = 0; y < sizeof years / sizeof years[0]; y++) {
		int64_t from = taxcal_days(D(years[y].year, 1, 1)), to = taxcal_days(D(years[y].year + 1, 1, 1));
		size_t want = 0, found = 0;
		while (want < 14 && years[y].days[want].year != 0)
			want++;
		for (int64_t z = from; z < to; z++) {
			struct taxcal_date d = taxcal_from_days(z);
			const char *name = NULL;
			bool listed = false;
			for (size_t i = 0; i < want; i++)
				listed |= taxcal_days(years[y].days[i]) == z;
			bool h = taxcal_is_holiday(d, &name);
			if (h != listed) {
				print_error("%04d-%02d-%02d: holiday %d, want %d\n", d.year, d.month, d.day, h, listed);
				fail();
			}
			if (h) {
				assert_non_null(name);
				found++;
			}
		}
		assert_int_equal(found, want);
	}
}

static void test_christmas_eve_rule(void **state)
{
	(void)state;
	const char *name = NULL;
	assert_false(taxcal_is_holiday(D(2024, 12, 24), NULL));
	assert_true(taxcal_is_working_day(D(2024, 12, 24)));            /* a Tuesday */
	assert_true(taxcal_is_holiday(D(2025, 12, 24), &name));
	assert_string_equal(name, "Wigilia Bożego Narodzenia");
	assert_false(taxcal_is_working_day(D(2025, 12, 24)));
	assert_true(taxcal_is_holiday(D(2030, 12, 24), NULL));
	assert_false(taxcal_is_holiday(D(2010, 1, 6), NULL));            /* Epiphany from 2011 */
	assert_true(taxcal_is_holiday(D(2011, 1, 6), NULL));
	assert_true(taxcal_is_holiday(D(2025, 6, 19), &name));
	assert_string_equal(name, "Boże Ciało");
}

static void test_next_working_day(void **state)
{
	(void)state;
	static const struct { struct taxcal_date from, want; } cases[] = {
		{ { 2026, 1, 25 }, { 2026, 1, 26 } },    /* Sunday */
		{ { 2024, 12, 25 }, { 2024, 12, 27 } },  /* Christmas: Wednesday and Thursday */
		{ { 2025, 12, 24 }, { 2025, 12, 29 } },  /* 24-26 holidays, then a weekend */
		{ { 2025, 8, 15 }, { 2025, 8, 18 } },    /* Friday holiday and a weekend */
		{ { 2025, 4, 20 }, { 2025, 4, 22 } },    /* Easter Sunday and Monday */
		{ { 2026, 6, 4 }, { 2026, 6, 5 } },      /* Corpus Christi */
		{ { 2025, 5, 3 }, { 2025, 5, 5 } },      /* a holiday on a Saturday */
		{ { 2026, 12, 31 }, { 2026, 12, 31 } },  /* a Thursday: stays */
		{ { 2027, 1, 1 }, { 2027, 1, 4 } },      /* New Year on a Friday, into the next year's Monday */
		{ { 2020, 2, 29 }, { 2020, 3, 2 } },     /* a leap-day Saturday */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_date(taxcal_next_working_day(cases[i].from), cases[i].want);
}

static void test_upcoming_defaults(void **state)
{
	(void)state;
	struct taxcal_due due[8];
	/* Sunday 6 December 2026: ZUS on Tuesday 15th, PIT on Sunday 20th ->
	 * Monday 21st, VAT on Christmas (Friday 25th) -> Monday 28th. */
	size_t n = taxcal_upcoming(taxcal_default_rules, taxcal_default_nrules, D(2026, 12, 6), due, 8);
	assert_int_equal(n, 4);
	assert_string_equal(due[0].rule->name, "ZUS");
	assert_date(due[0].due, D(2026, 12, 15));
	assert_int_equal(due[0].days_left, 9);
	assert_false(due[0].moved);
	assert_string_equal(due[1].rule->name, "PIT/CIT");
	assert_date(due[1].due, D(2026, 12, 21));
	assert_true(due[1].moved);
	assert_string_equal(due[2].rule->name, "PIT-4");
	assert_string_equal(due[3].rule->name, "VAT/JPK_V7M");
	assert_date(due[3].statutory, D(2026, 12, 25));
	assert_date(due[3].due, D(2026, 12, 28));
	assert_int_equal(due[3].days_left, 22);
	assert_date(due[3].period, D(2026, 11, 1));
	assert_string_equal(due[3].rule->workflow, "jpk-generation");

	/* After the month's last deadline: next month's, for this month, across a year. */
	n = taxcal_upcoming(taxcal_default_rules, taxcal_default_nrules, D(2026, 12, 29), due, 8);
	assert_int_equal(n, 4);
	assert_date(due[0].due, D(2027, 1, 15));
	assert_date(due[0].period, D(2026, 12, 1));
	assert_date(due[3].due, D(2027, 1, 25));
	assert_int_equal(due[3].days_left, 27);

	/* The statutory day passed, the moved one did not: still this month's. */
	n = taxcal_upcoming(taxcal_default_rules, taxcal_default_nrules, D(2025, 12, 27), due, 8);
	assert_date(due[0].due, D(2025, 12, 29));
	assert_string_equal(due[0].rule->name, "VAT/JPK_V7M");
	assert_int_equal(due[0].days_left, 2);
	assert_date(due[0].period, D(2025, 11, 1));

	/* On the day itself: 0 days left. */
	n = taxcal_upcoming(taxcal_default_rules, taxcal_default_nrules, D(2026, 12, 15), due, 8);
	assert_int_equal(due[0].days_left, 0);
}

static void test_upcoming_limits(void **state)
{
	(void)state;
	struct taxcal_rule rules[] = {
		{ "late", 28, "" }, { "bad day", 31, "" }, { "early", 2, "" }, { "mid", 10, "" },
	};
	struct taxcal_due due[2];
	/* The invalid day is skipped; only the two earliest fit. */
	size_t n = taxcal_upcoming(rules, 4, D(2026, 3, 5), due, 2);
	assert_int_equal(n, 2);
	assert_string_equal(due[0].rule->name, "mid");
	assert_string_equal(due[1].rule->name, "late");
	assert_date(due[1].due, D(2026, 3, 30));    /* 28 March 2026 is a Saturday */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_round_trip),
		cmocka_unit_test(test_easter),
		cmocka_unit_test(test_holidays_whole_years),
		cmocka_unit_test(test_christmas_eve_rule),
		cmocka_unit_test(test_next_working_day),
		cmocka_unit_test(test_upcoming_defaults),
		cmocka_unit_test(test_upcoming_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
