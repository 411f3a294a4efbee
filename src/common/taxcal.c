/* taxcal.c: Polish public holidays, working days and monthly tax deadlines
 * (see taxcal.h).
 *
 * Invariants: dates go through day numbers (days since 1970-01-01) for any
 * arithmetic, so month and year boundaries need no special cases; the
 * holiday table is data, one row per fixed date, plus the Easter-based ones. */
#include "taxcal.h"

#include <string.h>

#include "topn.h"

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t taxcal_days(struct taxcal_date d)
{
	int64_t y = d.year - (d.month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (d.month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct taxcal_date taxcal_from_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);
	return (struct taxcal_date){ (int)(yoe + era * 400 + (m <= 2)), m, d };
}

int taxcal_weekday(struct taxcal_date d)
{
	int64_t z = taxcal_days(d);
	/* 1970-01-01 was a Thursday (3). */
	int64_t w = (z + 3) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

bool taxcal_date_valid(struct taxcal_date d)
{
	if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31)
		return false;
	struct taxcal_date back = taxcal_from_days(taxcal_days(d));
	return back.year == d.year && back.month == d.month && back.day == d.day;
}

/* The anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
struct taxcal_date taxcal_easter(int year)
{
	int a = year % 19, b = year / 100, c = year % 100;
	int d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int day = (h + l - 7 * m + 114) % 31 + 1;
	return (struct taxcal_date){ year, month, day };
}

static const struct {
	int month, day;
	int from_year;      /* a holiday since that year (0: always) */
	const char *name;
} fixed_holidays[] = {
	{ 1, 1, 0, "New Year's Day" },
	{ 1, 6, 2011, "Epiphany" },
	{ 5, 1, 0, "Labour Day" },
	{ 5, 3, 0, "Constitution Day" },
	{ 8, 15, 0, "Assumption of Mary" },
	{ 11, 1, 0, "All Saints' Day" },
	{ 11, 11, 0, "Independence Day" },
	{ 12, 24, 2025, "Christmas Eve" },
	{ 12, 25, 0, "Christmas Day" },
	{ 12, 26, 0, "Second Day of Christmas" },
};

static const struct {
	int after_easter;
	const char *name;
} easter_holidays[] = {
	{ 0, "Easter Sunday" },
	{ 1, "Easter Monday" },
	{ 49, "Pentecost Sunday" },
	{ 60, "Corpus Christi" },
};

bool taxcal_is_holiday(struct taxcal_date d, const char **name)
{
	for (size_t i = 0; i < sizeof fixed_holidays / sizeof fixed_holidays[0]; i++) {
		if (fixed_holidays[i].month == d.month && fixed_holidays[i].day == d.day &&
		    d.year >= fixed_holidays[i].from_year) {
			if (name != NULL)
				*name = fixed_holidays[i].name;
			return true;
		}
	}
	int64_t easter = taxcal_days(taxcal_easter(d.year)), day = taxcal_days(d);
	for (size_t i = 0; i < sizeof easter_holidays / sizeof easter_holidays[0]; i++) {
		if (day == easter + easter_holidays[i].after_easter) {
			if (name != NULL)
				*name = easter_holidays[i].name;
			return true;
		}
	}
	return false;
}

bool taxcal_is_working_day(struct taxcal_date d)
{
	return taxcal_weekday(d) < 5 && !taxcal_is_holiday(d, NULL);
}

struct taxcal_date taxcal_next_working_day(struct taxcal_date d)
{
	int64_t z = taxcal_days(d);
	/* At most a few days: the longest run of days off is three or four. */
	while (!taxcal_is_working_day(taxcal_from_days(z)))
		z++;
	return taxcal_from_days(z);
}

/* ---- deadlines ----------------------------------------------------------------- */

const struct taxcal_rule taxcal_default_rules[] = {
	{ "VAT/JPK_V7M", 25, "jpk-generation" },
	{ "PIT/CIT", 20, "" },
	{ "PIT-4", 20, "" },
	{ "ZUS", 15, "" },
};
const size_t taxcal_default_nrules = sizeof taxcal_default_rules / sizeof taxcal_default_rules[0];

static struct taxcal_date month_add(struct taxcal_date d, int months)
{
	int idx = d.year * 12 + (d.month - 1) + months;
	return (struct taxcal_date){ idx / 12, idx % 12 + 1, d.day };
}

static bool due_before(const void *a, const void *b)
{
	return taxcal_days(((const struct taxcal_due *)a)->due) < taxcal_days(((const struct taxcal_due *)b)->due);
}

size_t taxcal_upcoming(const struct taxcal_rule *rules, size_t nrules, struct taxcal_date today,
		       struct taxcal_due *out, size_t max)
{
	int64_t t = taxcal_days(today);
	size_t n = 0;
	for (size_t i = 0; i < nrules; i++) {
		if (rules[i].day < 1 || rules[i].day > 28)
			continue;
		struct taxcal_due x = { .rule = &rules[i] };
		for (int ahead = 0; ahead < 2; ahead++) {
			struct taxcal_date month = month_add((struct taxcal_date){ today.year, today.month, 1 }, ahead);
			x.statutory = (struct taxcal_date){ month.year, month.month, rules[i].day };
			x.due = taxcal_next_working_day(x.statutory);
			if (taxcal_days(x.due) >= t)
				break;
		}
		x.period = month_add((struct taxcal_date){ x.statutory.year, x.statutory.month, 1 }, -1);
		x.days_left = (int)(taxcal_days(x.due) - t);
		x.moved = taxcal_days(x.due) != taxcal_days(x.statutory);
		/* Equal dates keep the rules' order. */
		n = topn_insert(out, n, max, sizeof *out, &x, due_before);
	}
	return n;
}
