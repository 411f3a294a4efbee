/* tz.h: time zones for schedules: what a wall clock in a zone reads at an
 * instant, and the instant a wall-clock time in a zone stands for.
 *
 * A zone is a POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3", "UTC0"), or an
 * IANA name ("Europe/Warsaw") whose rule is the footer of its TZif file under
 * $TZDIR or /usr/share/zoneinfo (tzdata): the rule the zone follows now and
 * on, which is what schedules of coming runs need; past transitions the
 * footer does not describe are not modelled. Everything but tz_load is pure. */
#ifndef WFMON_TZ_H
#define WFMON_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workdays.h"

#define TZ_NAME_MAX 64

struct tz_rule {
	char kind;             /* 'M' (month.week.day), 'J' (Julian day 1..365, no Feb 29), 'N' (day 0..365) */
	int month, week, wday, day;
	int32_t time_s;        /* local time of the change, seconds (may be negative or past 24 h) */
};

struct tz {
	char name[TZ_NAME_MAX + 1];
	int32_t std_off, dst_off;   /* seconds east of UTC */
	bool has_dst;
	struct tz_rule start, end;  /* into and out of daylight time */
};

/* A POSIX TZ rule. 0, or -1. */
int tz_parse_posix(const char *spec, struct tz *out);
/* "UTC", an IANA name or a POSIX rule. 0, or -1 with a cause. */
int tz_load(const char *name, struct tz *out, char *cause, size_t causelen);

/* Seconds east of UTC at an instant (seconds since the epoch). */
int32_t tz_offset_at(const struct tz *tz, int64_t utc_s);
/* The wall clock at an instant: its date and seconds into the day. */
void tz_local(const struct tz *tz, int64_t utc_s, struct civil_date *d, int *sec_of_day);
/* The instant of a wall-clock time. A time the clocks skip (spring) is taken
 * as the same time after the change; a time they pass twice (autumn), its
 * first occurrence. */
int64_t tz_utc(const struct tz *tz, struct civil_date d, int sec_of_day);

#endif
