/* taxcal.h: Polish statutory tax deadlines and the working days they move to.
 *
 * A deadline that falls on a Saturday, a Sunday or a Polish public holiday
 * moves to the next working day (Ordynacja podatkowa, art. 12 § 5). The
 * holidays are those of the act on public holidays (ustawa o dniach wolnych
 * od pracy): 1 and 6 January, Easter Sunday and Monday, 1 and 3 May,
 * Pentecost Sunday, Corpus Christi (Easter + 60 days), 15 August, 1 and 11
 * November, 25 and 26 December, and 24 December from 2025 on.
 *
 * The calendar part (days, weekday, Easter, holidays, working days) is
 * workdays.h's, the one Polish working-day calendar, seen through this
 * module's date type; the deadline rules are this module's.
 *
 * Pure: no allocation, no clock, no I/O; dates are proleptic Gregorian
 * civil dates (year 1900..2399 are what the tests cover). */
#ifndef WFMON_TAXCAL_H
#define WFMON_TAXCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct taxcal_date {
	int year, month, day;   /* month 1..12, day 1..31 */
};

/* Days since 1970-01-01 (negative before), and back. */
int64_t taxcal_days(struct taxcal_date d);
struct taxcal_date taxcal_from_days(int64_t days);
/* 0 = Monday .. 6 = Sunday. */
int taxcal_weekday(struct taxcal_date d);
/* Whether the date exists (30 February does not). */
bool taxcal_date_valid(struct taxcal_date d);
/* Easter Sunday of the year (Gregorian computus). */
struct taxcal_date taxcal_easter(int year);
/* A Polish public holiday (see above); its official Polish name via *name
 * when not NULL ("Poniedziałek Wielkanocny"). */
bool taxcal_is_holiday(struct taxcal_date d, const char **name);
bool taxcal_is_working_day(struct taxcal_date d);
/* d itself when it is a working day, else the first working day after it. */
struct taxcal_date taxcal_next_working_day(struct taxcal_date d);

/* ---- deadlines --------------------------------------------------------------- */

#define TAXCAL_NAME_MAX 64      /* bytes of a deadline's name */
#define TAXCAL_WORKFLOW_MAX 64  /* bytes of a workflow id */
#define TAXCAL_MAX_RULES 16

/* A monthly deadline: `day` of every month, for the month before. */
struct taxcal_rule {
	char name[TAXCAL_NAME_MAX + 1];          /* "VAT/JPK_V7M" */
	int day;                                 /* 1..28 */
	char workflow[TAXCAL_WORKFLOW_MAX + 1];  /* "" or the workflow that must have succeeded */
};

/* The statutory list used when a widget configures none: VAT and JPK_V7M
 * on the 25th, PIT/CIT advances and PIT-4 on the 20th, ZUS contributions
 * on the 15th (legal persons; the 20th for the others, configurable).
 * JPK_V7M names the workflow "jpk-generation". */
extern const struct taxcal_rule taxcal_default_rules[];
extern const size_t taxcal_default_nrules;

struct taxcal_due {
	const struct taxcal_rule *rule;  /* borrowed from the rules given */
	struct taxcal_date statutory;    /* the rule's day in the due month */
	struct taxcal_date due;          /* moved to a working day */
	struct taxcal_date period;       /* the month it is for (day 1) */
	int days_left;                   /* due - today, >= 0 */
	bool moved;                      /* due differs from statutory */
};

/* The next occurrence on or after today of each rule (moved to a working
 * day), sorted by due date then by the rules' order; writes at most max and
 * returns how many. */
size_t taxcal_upcoming(const struct taxcal_rule *rules, size_t nrules, struct taxcal_date today,
		       struct taxcal_due *out, size_t max);

#endif
