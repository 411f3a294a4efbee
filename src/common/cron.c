/* cron.c: cron expressions (see cron.h).
 *
 * A parsed expression is five bit sets. Searching moves a day at a time over
 * days that do not match and a minute at a time only within a matching day,
 * so the longest search (eight years of days) stays a few thousand steps. */
#include "cron.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const month_names[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
					   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC" };
static const char *const day_names[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT" };

static const struct field {
	const char *name;
	int min, max;
	const char *const *names;   /* names for min.., or NULL */
} fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day of week", 0, 7, day_names },
};

/* A number or a name of the field; advances *p. */
static bool value(const struct field *f, const char **p, int *out)
{
	if (isdigit((unsigned char)**p)) {
		int v = 0, n = 0;
		while (isdigit((unsigned char)**p) && n++ < 3)
			v = v * 10 + (*(*p)++ - '0');
		*out = v;
		return v >= f->min && v <= f->max;
	}
	if (f->names != NULL) {
		int count = f == &fields[3] ? 12 : 7;
		for (int i = 0; i < count; i++)
			if (strncasecmp(*p, f->names[i], 3) == 0 && !isalpha((unsigned char)(*p)[3])) {
				*p += 3;
				*out = f == &fields[3] ? i + 1 : i;
				return true;
			}
	}
	return false;
}

/* One field's text (a comma-separated list) into bits. */
static int field_parse(const struct field *f, const char *text, uint64_t *bits, bool *any, char *cause,
		       size_t causelen)
{
	*bits = 0;
	*any = strcmp(text, "*") == 0 || strcmp(text, "?") == 0;
	const char *p = text;
	for (;;) {
		int lo, hi, step = 1;
		if (*p == '*') {
			lo = f->min;
			hi = f->max == 7 ? 6 : f->max;
			p++;
		} else {
			if (!value(f, &p, &lo))
				goto bad;
			hi = lo;
			if (*p == '-') {
				p++;
				if (!value(f, &p, &hi) || hi < lo)
					goto bad;
			}
		}
		if (*p == '/') {
			p++;
			int n = 0;
			step = 0;
			while (isdigit((unsigned char)*p) && n++ < 3)
				step = step * 10 + (*p++ - '0');
			if (step < 1 || step > f->max)
				goto bad;
			if (lo == hi && text[0] != '*')
				hi = f->max == 7 ? 6 : f->max;   /* "5/15": from 5 on */
		}
		for (int v = lo; v <= hi; v += step)
			*bits |= 1ULL << (f->max == 7 && v == 7 ? 0 : v);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\0')
			return 0;
		goto bad;
	}
bad:
	snprintf(cause, causelen, "the %s field '%.32s' must be *, a number from %d to %d%s, a range a-b, a list "
		 "a,b or a step x/n", f->name, text, f->min, f->max,
		 f->names == NULL ? "" : f == &fields[3] ? " (or JAN-DEC)" : " (or SUN-SAT)");
	return -1;
}

static const struct {
	const char *name, *expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

int cron_parse(const char *text, struct cron *out, char *cause, size_t causelen)
{
	memset(out, 0, sizeof *out);
	if (text == NULL || strlen(text) > CRON_TEXT_MAX) {
		snprintf(cause, causelen, "a cron expression is at most %d characters", CRON_TEXT_MAX);
		return -1;
	}
	while (*text == ' ' || *text == '\t')
		text++;
	if (text[0] == '@') {
		for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
			if (strcmp(text, macros[i].name) == 0)
				return cron_parse(macros[i].expr, out, cause, causelen);
		snprintf(cause, causelen, "unknown '%.32s': use @yearly, @monthly, @weekly, @daily or @hourly", text);
		return -1;
	}
	char buf[CRON_TEXT_MAX + 1], *save = NULL, *parts[6];
	snprintf(buf, sizeof buf, "%s", text);
	int n = 0;
	for (char *t = strtok_r(buf, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
		if (n == 5) {
			n++;
			break;
		}
		parts[n++] = t;
	}
	if (n != 5) {
		snprintf(cause, causelen, "a cron expression has five fields (minute hour day-of-month month "
			 "day-of-week), like \"30 2 * * 1-5\"");
		return -1;
	}
	uint64_t bits[5];
	bool any[5];
	for (int i = 0; i < 5; i++)
		if (field_parse(&fields[i], parts[i], &bits[i], &any[i], cause, causelen) < 0)
			return -1;
	out->minutes = bits[0];
	out->hours = (uint32_t)bits[1];
	out->mdays = (uint32_t)bits[2];
	out->months = (uint16_t)bits[3];
	out->wdays = (uint8_t)bits[4];
	out->mday_any = any[2];
	out->wday_any = any[4];
	return 0;
}

bool cron_day_matches(const struct cron *c, struct civil_date d)
{
	if (!(c->months & (1u << d.month)))
		return false;
	bool md = (c->mdays >> d.day) & 1;
	bool wd = (c->wdays >> ((workdays_weekday(d) + 1) % 7)) & 1;
	if (c->mday_any && c->wday_any)
		return true;
	if (c->mday_any)
		return wd;
	if (c->wday_any)
		return md;
	return md || wd;
}

#define SEARCH_DAYS (8 * 366)

bool cron_next(const struct cron *c, struct civil_date d, int minute, struct civil_date *d_out, int *minute_out)
{
	int64_t day = workdays_days_from_civil(d);
	int from = minute + 1;
	for (int i = 0; i <= SEARCH_DAYS; i++, day++, from = 0) {
		struct civil_date cd = workdays_civil_from_days(day);
		if (!cron_day_matches(c, cd))
			continue;
		for (int m = from; m < 24 * 60; m++) {
			if (((c->hours >> (m / 60)) & 1) && ((c->minutes >> (m % 60)) & 1)) {
				*d_out = cd;
				*minute_out = m;
				return true;
			}
			if (!((c->hours >> (m / 60)) & 1))
				m = (m / 60) * 60 + 59;   /* the rest of this hour cannot match */
		}
	}
	return false;
}

bool cron_prev(const struct cron *c, struct civil_date d, int minute, struct civil_date *d_out, int *minute_out)
{
	int64_t day = workdays_days_from_civil(d);
	int from = minute;
	for (int i = 0; i <= SEARCH_DAYS; i++, day--, from = 24 * 60 - 1) {
		struct civil_date cd = workdays_civil_from_days(day);
		if (!cron_day_matches(c, cd))
			continue;
		for (int m = from; m >= 0; m--) {
			if (((c->hours >> (m / 60)) & 1) && ((c->minutes >> (m % 60)) & 1)) {
				*d_out = cd;
				*minute_out = m;
				return true;
			}
			if (!((c->hours >> (m / 60)) & 1))
				m = (m / 60) * 60;        /* skip to the hour's first minute */
		}
	}
	return false;
}
