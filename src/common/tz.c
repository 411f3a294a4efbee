/* tz.c: time zones (see tz.h).
 *
 * Offsets follow POSIX: a TZ string gives hours west (CET-1 is one hour
 * east); struct tz keeps seconds east. A year's two changes are computed in
 * UTC from their local dates and times (the change into daylight time is
 * read on standard time, the change out on daylight time). */
#include "tz.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY_S 86400

/* ---- parsing -------------------------------------------------------------------- */

static const char *parse_name(const char *p)
{
	if (*p == '<') {
		const char *e = strchr(p, '>');
		return e && e - p >= 4 ? e + 1 : NULL;
	}
	const char *s = p;
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds; max_h bounds the hours. */
static const char *parse_time(const char *p, int32_t *out, int max_h)
{
	int sign = 1;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (!isdigit((unsigned char)*p))
		return NULL;
	int h = 0, m = 0, s = 0, n = 0;
	while (isdigit((unsigned char)*p) && n++ < 3)
		h = h * 10 + (*p++ - '0');
	if (h > max_h)
		return NULL;
	if (*p == ':') {
		p++;
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
			return NULL;
		m = (p[0] - '0') * 10 + (p[1] - '0');
		p += 2;
		if (*p == ':') {
			p++;
			if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
				return NULL;
			s = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
	}
	if (m > 59 || s > 59)
		return NULL;
	*out = sign * (h * 3600 + m * 60 + s);
	return p;
}

static const char *parse_int(const char *p, int *out, int min, int max)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	int v = 0, n = 0;
	while (isdigit((unsigned char)*p) && n++ < 4)
		v = v * 10 + (*p++ - '0');
	if (v < min || v > max)
		return NULL;
	*out = v;
	return p;
}

static const char *parse_rule(const char *p, struct tz_rule *r)
{
	if (*p == 'M') {
		r->kind = 'M';
		if (!(p = parse_int(p + 1, &r->month, 1, 12)) || *p++ != '.' || !(p = parse_int(p, &r->week, 1, 5)) ||
		    *p++ != '.' || !(p = parse_int(p, &r->wday, 0, 6)))
			return NULL;
	} else if (*p == 'J') {
		r->kind = 'J';
		if (!(p = parse_int(p + 1, &r->day, 1, 365)))
			return NULL;
	} else {
		r->kind = 'N';
		if (!(p = parse_int(p, &r->day, 0, 365)))
			return NULL;
	}
	r->time_s = 2 * 3600;
	if (*p == '/' && !(p = parse_time(p + 1, &r->time_s, 167)))
		return NULL;
	return p;
}

int tz_parse_posix(const char *spec, struct tz *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", spec);
	const char *p = parse_name(spec);
	int32_t west;
	if (p == NULL || !(p = parse_time(p, &west, 24)))
		return -1;
	out->std_off = -west;
	if (*p == '\0')
		return 0;
	if (!(p = parse_name(p)))
		return -1;
	out->has_dst = true;
	out->dst_off = out->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if (!(p = parse_time(p, &west, 24)))
			return -1;
		out->dst_off = -west;
	}
	if (*p == '\0') {
		/* No rule: the US rule POSIX implies. */
		out->start = (struct tz_rule){ 'M', 3, 2, 0, 0, 7200 };
		out->end = (struct tz_rule){ 'M', 11, 1, 0, 0, 7200 };
		return 0;
	}
	if (*p++ != ',' || !(p = parse_rule(p, &out->start)) || *p++ != ',' || !(p = parse_rule(p, &out->end)) ||
	    *p != '\0')
		return -1;
	return 0;
}

static bool iana_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || strstr(name, "..") != NULL)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '/' && *p != '_' && *p != '-' && *p != '+')
			return false;
	return true;
}

int tz_load(const char *name, struct tz *out, char *cause, size_t causelen)
{
	if (name == NULL || name[0] == '\0' || strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0) {
		tz_parse_posix("UTC0", out);
		snprintf(out->name, sizeof out->name, "%s", name && name[0] ? name : "UTC");
		return 0;
	}
	if (strchr(name, '/') == NULL && tz_parse_posix(name, out) == 0)
		return 0;
	if (!iana_name_ok(name)) {
		snprintf(cause, causelen, "'%.64s' is not a time zone name such as Europe/Warsaw", name);
		return -1;
	}
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir && dir[0] ? dir : "/usr/share/zoneinfo", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(cause, causelen, "unknown time zone '%s' (%s: %s)", name, path, strerror(errno));
		return -1;
	}
	/* The footer: the last line, after a newline, of a version 2+ file. */
	char buf[512];
	off_t size = lseek(fd, 0, SEEK_END);
	off_t at = size > (off_t)sizeof buf - 1 ? size - (off_t)(sizeof buf - 1) : 0;
	ssize_t n = size > 0 ? pread(fd, buf, (size_t)(size - at), at) : -1;
	char magic[5] = "";
	ssize_t m = pread(fd, magic, 4, 0);
	close(fd);
	if (n <= 1 || m != 4 || memcmp(magic, "TZif", 4) != 0 || buf[n - 1] != '\n') {
		snprintf(cause, causelen, "%s is not a TZif file with a rule for coming times", path);
		return -1;
	}
	buf[n - 1] = '\0';
	/* The data before the footer is binary: search by length, not to a NUL. */
	char *nl = memrchr(buf, '\n', (size_t)(n - 1));
	if (nl == NULL || tz_parse_posix(nl + 1, out) != 0) {
		snprintf(cause, causelen, "%s has no rule for coming times that this reader knows", path);
		return -1;
	}
	snprintf(out->name, sizeof out->name, "%s", name);
	return 0;
}

/* ---- arithmetic ------------------------------------------------------------------ */

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The day (days since the epoch) a rule's change falls on in a year. */
static int64_t rule_day(const struct tz_rule *r, int year)
{
	int64_t jan1 = workdays_days_from_civil((struct civil_date){ year, 1, 1 });
	if (r->kind == 'J')
		return jan1 + r->day - 1 + (leap(year) && r->day >= 60 ? 1 : 0);
	if (r->kind == 'N')
		return jan1 + r->day;
	int64_t first = workdays_days_from_civil((struct civil_date){ year, r->month, 1 });
	/* workdays_weekday is Monday 0; POSIX's d is Sunday 0. */
	int wd = (workdays_weekday((struct civil_date){ year, r->month, 1 }) + 1) % 7;
	int64_t day = first + (r->wday - wd + 7) % 7 + (int64_t)(r->week - 1) * 7;
	int64_t last = first + workdays_days_in_month(year, r->month) - 1;
	while (day > last)
		day -= 7;
	return day;
}

static int year_of(int64_t utc_s)
{
	int64_t days = utc_s >= 0 ? utc_s / DAY_S : -((-utc_s + DAY_S - 1) / DAY_S);
	return workdays_civil_from_days(days).year;
}

int32_t tz_offset_at(const struct tz *tz, int64_t utc_s)
{
	if (!tz->has_dst)
		return tz->std_off;
	int year = year_of(utc_s + tz->std_off);
	int64_t start = rule_day(&tz->start, year) * DAY_S + tz->start.time_s - tz->std_off;
	int64_t end = rule_day(&tz->end, year) * DAY_S + tz->end.time_s - tz->dst_off;
	bool dst = start < end ? utc_s >= start && utc_s < end : utc_s < end || utc_s >= start;
	return dst ? tz->dst_off : tz->std_off;
}

void tz_local(const struct tz *tz, int64_t utc_s, struct civil_date *d, int *sec_of_day)
{
	int64_t local = utc_s + tz_offset_at(tz, utc_s);
	int64_t days = local >= 0 ? local / DAY_S : -((-local + DAY_S - 1) / DAY_S);
	*d = workdays_civil_from_days(days);
	*sec_of_day = (int)(local - days * DAY_S);
}

int64_t tz_utc(const struct tz *tz, struct civil_date d, int sec_of_day)
{
	int64_t local = workdays_days_from_civil(d) * DAY_S + sec_of_day;
	/* The earlier reading first: it is the first occurrence of a time the
	 * clocks pass twice. */
	int32_t a = tz->has_dst && tz->dst_off > tz->std_off ? tz->dst_off : tz->std_off;
	int32_t b = a == tz->std_off ? tz->dst_off : tz->std_off;
	if (tz_offset_at(tz, local - a) == a)
		return local - a;
	if (tz->has_dst && tz_offset_at(tz, local - b) == b)
		return local - b;
	/* Skipped (spring forward): the same wall time after the change. */
	return local - (a < b ? a : b);
}
