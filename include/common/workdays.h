/* workdays.h: the Polish working-day calendar, for deadlines that accounting
 * counts in working days ("by the 5th working day of the month") and for
 * moving a deadline that falls on a day off to the next working day (the
 * Tax Ordinance's art. 12 § 5).
 *
 * A working day is Monday to Friday that is not a public holiday under the
 * Act of 18 January 1951 on days off work as it stands: 1 January, 6 January
 * (from 2011), Easter Sunday and Monday, 1 and 3 May, Pentecost Sunday,
 * Corpus Christi (Easter + 60 days), 15 August, 1 and 11 November, 24
 * December (from 2025), 25 and 26 December. Easter is the Gregorian one.
 *
 * Pure: civil dates in, civil dates out; no clock, no locale, no time zone.
 * Dates are (year, month 1..12, day 1..31); years 1583..9999. */
#ifndef WFMON_WORKDAYS_H
#define WFMON_WORKDAYS_H

#include <stdbool.h>
#include <stdint.h>

struct civil_date {
	int year, month, day;
};

/* Days since 1970-01-01 (negative before), and back. */
int64_t workdays_days_from_civil(struct civil_date d);
struct civil_date workdays_civil_from_days(int64_t days);
/* 0 = Monday ... 6 = Sunday. */
int workdays_weekday(struct civil_date d);
int workdays_days_in_month(int year, int month);
/* Whether the date exists (and the year is in range). */
bool workdays_date_valid(struct civil_date d);

/* Easter Sunday of the year. */
struct civil_date workdays_easter(int year);
/* A Polish public holiday: its Polish name, else NULL. */
const char *workdays_holiday(struct civil_date d);
/* Monday to Friday and no holiday. */
bool workdays_is_working(struct civil_date d);
/* The nth working day (n >= 1) of the month into *out; false when the month
 * has fewer. */
bool workdays_nth(int year, int month, int n, struct civil_date *out);
/* d itself when it is a working day, else the next one. */
struct civil_date workdays_next_working(struct civil_date d);
/* Working days in [from, to] (0 when to < from). */
int workdays_count(struct civil_date from, struct civil_date to);

#endif
