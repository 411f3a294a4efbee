/* fmt.c: numbers, durations, sizes and dates as people read them, in
 * English or Polish (see fmt.h).
 *
 * Invariants: every value is rounded once, half up, to the precision it is
 * shown with, and the unit is chosen after that rounding (so a value never
 * shows as "1000 ms" or "60 s"); nothing reads the process locale; every
 * output fits len or is cut by snprintf, never overrun. */
#include "fmt.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* What differs between the languages. */
static const struct {
	const char *code;
	char decimal;             /* decimal separator */
	const char *group;        /* between groups of three digits */
	int group_from;           /* fewest digits that are grouped */
	const char *percent;      /* after the number */
} langs[FMT__LANG_COUNT] = {
	[FMT_EN] = { "en", '.', ",", 4, "%" },
	[FMT_PL] = { "pl", ',', " ", 5, " %" },
};

enum fmt_lang fmt_lang_parse(const char *code)
{
	if (code != NULL && tolower((unsigned char)code[0]) == 'p' && tolower((unsigned char)code[1]) == 'l' &&
	    (code[2] == '\0' || code[2] == '_' || code[2] == '-' || code[2] == '.' || code[2] == '@'))
		return FMT_PL;
	return FMT_EN;
}

const char *fmt_lang_code(enum fmt_lang lang)
{
	return langs[(unsigned)lang < FMT__LANG_COUNT ? lang : FMT_EN].code;
}

static enum fmt_lang lang_ok(enum fmt_lang lang)
{
	return (unsigned)lang < FMT__LANG_COUNT ? lang : FMT_EN;
}

static char *unknown(char *buf, size_t len)
{
	if (len > 0)
		snprintf(buf, len, "-");
	return buf;
}

/* x >= 0 rounded half up to a whole number. A value a few ulps below a half
 * is the binary form of a decimal half (2.675 * 100 = 267.49999999999997):
 * it rounds up too. */
static double round_half_up(double x)
{
	return floor(x + 0.5 + 8 * DBL_EPSILON * (x > 1 ? x : 1));
}

/* The digits of a whole number, with the language's grouping when asked. */
static void group_digits(enum fmt_lang lang, unsigned long long v, bool group, char *out, size_t len)
{
	char digits[32];
	int nd = snprintf(digits, sizeof digits, "%llu", v);
	size_t k = 0;
	const char *sep = langs[lang].group;
	bool grouped = group && nd >= langs[lang].group_from;
	for (int i = 0; i < nd && k + 8 < len; i++) {
		if (grouped && i > 0 && (nd - i) % 3 == 0)
			for (const char *p = sep; *p && k + 8 < len; p++)
				out[k++] = *p;
		out[k++] = digits[i];
	}
	out[k] = '\0';
}

/* fmt_number, grouped or not. */
static char *number(enum fmt_lang lang, double value, int decimals, bool group, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (isnan(value))
		return unknown(buf, len);
	if (decimals < 0)
		decimals = 0;
	if (decimals > 6)
		decimals = 6;
	double scale = 1;
	for (int i = 0; i < decimals; i++)
		scale *= 10;
	bool neg = value < 0;
	double mag = round_half_up(fabs(value) * scale);
	if (!isfinite(mag) || mag >= 9e18) {
		/* Past what 64 bits hold in fixed point: plain, ungrouped. */
		snprintf(buf, len, "%.*e", decimals, value);
		return buf;
	}
	unsigned long long fixed = (unsigned long long)mag;
	unsigned long long whole = fixed / (unsigned long long)scale;
	unsigned long long frac = fixed % (unsigned long long)scale;
	char w[48];
	group_digits(lang, whole, group, w, sizeof w);
	neg = neg && fixed != 0;   /* no "-0" */
	if (decimals == 0)
		snprintf(buf, len, "%s%s", neg ? "-" : "", w);
	else
		snprintf(buf, len, "%s%s%c%0*llu", neg ? "-" : "", w, langs[lang].decimal, decimals, frac);
	return buf;
}

char *fmt_number(enum fmt_lang lang, double value, int decimals, char *buf, size_t len)
{
	return number(lang_ok(lang), value, decimals, true, buf, len);
}

char *fmt_count(enum fmt_lang lang, int64_t n, char *buf, size_t len)
{
	lang = lang_ok(lang);
	if (len == 0)
		return buf;
	char w[48];
	unsigned long long mag = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
	group_digits(lang, mag, true, w, sizeof w);
	snprintf(buf, len, "%s%s", n < 0 ? "-" : "", w);
	return buf;
}

char *fmt_value(enum fmt_lang lang, double value, char *buf, size_t len)
{
	if (isnan(value) || isinf(value))
		return unknown(buf, len);
	double mag = fabs(value);
	if (mag < 1e15 && fabs(value - round(value)) <= 8 * DBL_EPSILON * (mag > 1 ? mag : 1))
		return fmt_count(lang, (int64_t)llround(value), buf, len);
	int decimals = mag >= 0.01 ? 2 : 4;
	fmt_number(lang, value, decimals, buf, len);
	/* Trailing zeros of the fraction say nothing here. */
	char *sep = strchr(buf, langs[lang_ok(lang)].decimal);
	if (sep != NULL && strchr(sep, 'e') == NULL) {
		size_t n = strlen(buf);
		while (n > 0 && buf[n - 1] == '0')
			buf[--n] = '\0';
		if (n > 0 && buf + n - 1 == sep)
			buf[--n] = '\0';
	}
	return buf;
}

char *fmt_percent(enum fmt_lang lang, double pct, int decimals, char *buf, size_t len)
{
	lang = lang_ok(lang);
	if (pct < 0 || isnan(pct))
		return unknown(buf, len);
	char n[FMT_MAX];
	fmt_number(lang, pct, decimals, n, sizeof n);
	snprintf(buf, len, "%s%s", n, langs[lang].percent);
	return buf;
}

/* Two units, the second left out when it is zero: "1 min 5 s", "2 h". */
static char *two_units(char *buf, size_t len, long long big, const char *bu, long long small, const char *su)
{
	if (small == 0)
		snprintf(buf, len, "%lld %s", big, bu);
	else
		snprintf(buf, len, "%lld %s %lld %s", big, bu, small, su);
	return buf;
}

/* Whole seconds (already rounded the way the caller wants) as text; above
 * an hour the minutes, above a day the hours, are taken as the caller's
 * rounding took the seconds (down, or up). */
static char *whole_seconds(long long s, bool up, char *buf, size_t len)
{
	if (s < 60) {
		snprintf(buf, len, "%lld s", s);
		return buf;
	}
	if (s < 3600)
		return two_units(buf, len, s / 60, "min", s % 60, "s");
	long long m = up ? (s + 59) / 60 : s / 60;
	if (m < 24 * 60)
		return two_units(buf, len, m / 60, "h", m % 60, "min");
	long long h = up ? (m + 59) / 60 : m / 60;
	return two_units(buf, len, h / 24, "d", h % 24, "h");
}

char *fmt_duration(enum fmt_lang lang, double ms, char *buf, size_t len)
{
	lang = lang_ok(lang);
	if (len == 0)
		return buf;
	if (!(ms >= 0) || ms > 9e15)
		return unknown(buf, len);
	double whole_ms = round_half_up(ms);
	if (whole_ms < 1000) {
		snprintf(buf, len, "%.0f ms", whole_ms);
		return buf;
	}
	double tenths = round_half_up(ms / 100);
	if (tenths < 100) {
		snprintf(buf, len, "%d%c%d s", (int)tenths / 10, langs[lang].decimal, (int)tenths % 10);
		return buf;
	}
	double s = round_half_up(ms / 1000);
	if (s < 3600)
		return whole_seconds((long long)s, false, buf, len);
	double m = round_half_up(ms / 60000);
	if (m < 24 * 60)
		return two_units(buf, len, (long long)m / 60, "h", (long long)m % 60, "min");
	double h = round_half_up(ms / 3600000);
	return two_units(buf, len, (long long)h / 24, "d", (long long)h % 24, "h");
}

char *fmt_elapsed(enum fmt_lang lang, int64_t ms, char *buf, size_t len)
{
	(void)lang;
	if (len == 0)
		return buf;
	if (ms < 0)
		return unknown(buf, len);
	return whole_seconds(ms / 1000, false, buf, len);
}

char *fmt_remaining(enum fmt_lang lang, int64_t ms, char *buf, size_t len)
{
	(void)lang;
	if (len == 0)
		return buf;
	if (ms < 0)
		return unknown(buf, len);
	return whole_seconds(ms / 1000 + (ms % 1000 != 0), true, buf, len);
}

size_t fmt_offset(enum fmt_lang lang, int64_t ms, char *buf, size_t len)
{
	lang = lang_ok(lang);
	char tmp[FMT_MAX];
	size_t n = 0;
	uint64_t v = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	if (ms < 0)
		tmp[n++] = '-';
	uint64_t h = v / 3600000, m = v % 3600000 / 60000, s = v % 60000 / 1000, frac = v % 1000;
	if (v == 0) {
		n += (size_t)snprintf(tmp + n, sizeof tmp - n, "0 s");
	} else if (v < 1000) {
		n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%llu ms", (unsigned long long)frac);
	} else {
		const char *sp = "";
		if (h > 0) {
			n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%llu h", (unsigned long long)h);
			sp = " ";
		}
		if (m > 0) {
			n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%s%llu min", sp, (unsigned long long)m);
			sp = " ";
		}
		if (frac > 0) {
			char f[8];
			snprintf(f, sizeof f, "%03llu", (unsigned long long)frac);
			for (int i = 2; i > 0 && f[i] == '0'; i--)
				f[i] = '\0';
			n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%s%llu%c%s s", sp, (unsigned long long)s,
					      langs[lang].decimal, f);
		} else if (s > 0) {
			n += (size_t)snprintf(tmp + n, sizeof tmp - n, "%s%llu s", sp, (unsigned long long)s);
		}
	}
	if (len > 0)
		snprintf(buf, len, "%s", tmp);
	return n;
}

char *fmt_bytes(enum fmt_lang lang, int64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	lang = lang_ok(lang);
	if (len == 0)
		return buf;
	if (bytes < 0)
		return unknown(buf, len);
	if (bytes < 1024) {
		snprintf(buf, len, "%lld B", (long long)bytes);
		return buf;
	}
	double v = (double)bytes;
	size_t u = 0;
	/* The unit after rounding to a tenth: 1023.96 KiB shows as 1.0 MiB. */
	while (u + 1 < sizeof units / sizeof units[0] && round_half_up(v * 10) >= 1024 * 10) {
		v /= 1024;
		u++;
	}
	char n[FMT_MAX];
	number(lang, v, 1, false, n, sizeof n);   /* at most four digits: never grouped */
	snprintf(buf, len, "%s %s", n, units[u]);
	return buf;
}

static char *wall(int64_t wall_ms, const char *pattern, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (wall_ms <= 0)
		return unknown(buf, len);
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	if (localtime_r(&t, &tm) == NULL || strftime(buf, len, pattern, &tm) == 0)
		return unknown(buf, len);
	return buf;
}

char *fmt_datetime(enum fmt_lang lang, int64_t wall_ms, char *buf, size_t len)
{
	(void)lang;
	return wall(wall_ms, "%Y-%m-%d %H:%M:%S", buf, len);
}

char *fmt_date(enum fmt_lang lang, int64_t wall_ms, char *buf, size_t len)
{
	(void)lang;
	return wall(wall_ms, "%Y-%m-%d", buf, len);
}

char *fmt_time(enum fmt_lang lang, int64_t wall_ms, char *buf, size_t len)
{
	(void)lang;
	return wall(wall_ms, "%H:%M:%S", buf, len);
}

char *fmt_clock(enum fmt_lang lang, int64_t wall_ms, char *buf, size_t len)
{
	(void)lang;
	return wall(wall_ms, "%H:%M", buf, len);
}
