/* cron.h: cron expressions, as crontab(5) writes them: five fields (minute
 * 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-7
 * or SUN-SAT, 0 and 7 both Sunday), each "*", a number, a range "a-b", a
 * list "a,b" and a step "x/n"; or one of @yearly (@annually), @monthly,
 * @weekly, @daily (@midnight), @hourly. When both the day of month and the
 * day of week are restricted, a day matching either matches (as Vixie cron).
 *
 * Pure: times are a wall clock's (a date and the minute of the day); the
 * caller maps them to instants in a zone (tz.h). */
#ifndef WFMON_CRON_H
#define WFMON_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workdays.h"

#define CRON_TEXT_MAX 128

struct cron {
	uint64_t minutes;     /* bit m */
	uint32_t hours;       /* bit h */
	uint32_t mdays;       /* bit d, 1..31 */
	uint16_t months;      /* bit m, 1..12 */
	uint8_t wdays;        /* bit d, 0 = Sunday .. 6 */
	bool mday_any, wday_any;
};

/* 0, or -1 with a cause naming the field and what it may hold. */
int cron_parse(const char *text, struct cron *out, char *cause, size_t causelen);
bool cron_day_matches(const struct cron *c, struct civil_date d);
/* The first matching wall-clock minute strictly after (d, minute), into
 * *d_out and *minute_out; false when none comes within eight years (Feb 30). */
bool cron_next(const struct cron *c, struct civil_date d, int minute, struct civil_date *d_out, int *minute_out);
/* The last matching wall-clock minute at or before (d, minute); false when
 * none within eight years. */
bool cron_prev(const struct cron *c, struct civil_date d, int minute, struct civil_date *d_out, int *minute_out);

#endif
