/* workdays.c: the Polish working-day calendar (see workdays.h).
 *
 * Fixed holidays are a table with the year each began; the movable ones are
 * offsets from Easter (the anonymous Gregorian algorithm, Meeus/Jones/Butcher).
 * Day arithmetic uses days since the epoch (Howard Hinnant's civil-day
 * algorithms), so no time zone or DST can shift a date. */
#include "workdays.h"

#include <stddef.h>

int64_t workdays_days_from_civil(struct civil_date d)
{
	int64_t y = d.year - (d.month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (d.month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

struct civil_date workdays_civil_from_days(int64_t z)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	struct civil_date d;
	d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	d.year = (int)(yoe + era * 400 + (d.month <= 2));
	return d;
}

int workdays_weekday(struct civil_date d)
{
	int64_t z = workdays_days_from_civil(d);
	/* 1970-01-01 was a Thursday (3). */
	int64_t w = (z + 3) % 7;
	return (int)(w < 0 ? w + 7 : w);
}

int workdays_days_in_month(int year, int month)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
		return 29;
	return days[month - 1];
}

bool workdays_date_valid(struct civil_date d)
{
	return d.year >= 1583 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
	       d.day <= workdays_days_in_month(d.year, d.month);
}

struct civil_date workdays_easter(int year)
{
	int a = year % 19, b = year / 100, c = year % 100, d = b / 4, e = b % 4;
	int f = (b + 8) / 25, g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4, k = c % 4, l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int day = (h + l - 7 * m + 114) % 31 + 1;
	return (struct civil_date){ year, month, day };
}

static const struct {
	int month, day, since;
	const char *name;
} fixed[] = {
	{ 1, 1, 0, "Nowy Rok" },
	{ 1, 6, 2011, "Święto Trzech Króli" },
	{ 5, 1, 0, "Święto Państwowe (1 Maja)" },
	{ 5, 3, 0, "Święto Narodowe Trzeciego Maja" },
	{ 8, 15, 0, "Wniebowzięcie Najświętszej Maryi Panny" },
	{ 11, 1, 0, "Wszystkich Świętych" },
	{ 11, 11, 0, "Narodowe Święto Niepodległości" },
	{ 12, 24, 2025, "Wigilia Bożego Narodzenia" },
	{ 12, 25, 0, "Boże Narodzenie (pierwszy dzień)" },
	{ 12, 26, 0, "Boże Narodzenie (drugi dzień)" },
};

static const struct {
	int offset;   /* days after Easter Sunday */
	const char *name;
} movable[] = {
	{ 0, "Wielkanoc" },
	{ 1, "Poniedziałek Wielkanocny" },
	{ 49, "Zielone Świątki" },
	{ 60, "Boże Ciało" },
};

const char *workdays_holiday(struct civil_date d)
{
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (fixed[i].month == d.month && fixed[i].day == d.day && d.year >= fixed[i].since)
			return fixed[i].name;
	int64_t easter = workdays_days_from_civil(workdays_easter(d.year));
	int64_t z = workdays_days_from_civil(d);
	for (size_t i = 0; i < sizeof movable / sizeof movable[0]; i++)
		if (z == easter + movable[i].offset)
			return movable[i].name;
	return NULL;
}

bool workdays_is_working(struct civil_date d)
{
	return workdays_weekday(d) < 5 && workdays_holiday(d) == NULL;
}

bool workdays_nth(int year, int month, int n, struct civil_date *out)
{
	int last = workdays_days_in_month(year, month);
	if (n < 1 || last == 0)
		return false;
	for (int day = 1; day <= last; day++) {
		struct civil_date d = { year, month, day };
		if (workdays_is_working(d) && --n == 0) {
			*out = d;
			return true;
		}
	}
	return false;
}

struct civil_date workdays_next_working(struct civil_date d)
{
	int64_t z = workdays_days_from_civil(d);
	/* The longest run of days off is short (Christmas and a weekend): a
	 * bound keeps a bad date from looping. */
	for (int i = 0; i < 31; i++, z++) {
		struct civil_date c = workdays_civil_from_days(z);
		if (workdays_is_working(c))
			return c;
	}
	return workdays_civil_from_days(z);
}

int workdays_count(struct civil_date from, struct civil_date to)
{
	int64_t a = workdays_days_from_civil(from), b = workdays_days_from_civil(to);
	int n = 0;
	for (int64_t z = a; z <= b; z++)
		n += workdays_is_working(workdays_civil_from_days(z));
	return n;
}
