/* proto.c: the small vocabulary of the protocol: error code names, priority and
 * request type names, ids, wall-clock times on the wire, and the cause helper
 * the validators share.
 *
 * Invariants: every name table is indexed by its enum and has exactly one entry
 * per value; a cause always holds valid UTF-8 (it is sent back inside JSON). */
#include "proto.h"
#include "proto-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "utf8.h"

static const char *const error_names[PROTO_ERR__COUNT] = {
	[PROTO_ERR_BAD_REQUEST] = "bad_request",
	[PROTO_ERR_UNAUTHORIZED] = "unauthorized",
	[PROTO_ERR_FORBIDDEN] = "forbidden",
	[PROTO_ERR_NOT_FOUND] = "not_found",
	[PROTO_ERR_TOO_LARGE] = "too_large",
	[PROTO_ERR_RATE_LIMITED] = "rate_limited",
	[PROTO_ERR_UNAVAILABLE] = "unavailable",
};

static const char *const priority_names[PRIO__COUNT] = {
	[PRIO_HIGH] = "HIGH",
	[PRIO_NORMAL] = "NORMAL",
	[PRIO_LOW] = "LOW",
};

static const char *const request_names[REQ__COUNT] = {
	[REQ_SUBSCRIBE] = "subscribe",
	[REQ_UNSUBSCRIBE] = "unsubscribe",
	[REQ_PUBLISH] = "publish",
	[REQ_PING] = "ping",
	[REQ_QUERY] = "query",
	[REQ_PRIORITIZE] = "prioritize",
	[REQ_RULE] = "rule",
	[REQ_ALERT] = "alert",
	[REQ_AUTH] = "auth",
	[REQ_HELLO] = "hello",
	[REQ_CANCEL] = "cancel",
	[REQ_RETRY] = "retry",
	[REQ_SCHEDULE] = "schedule",
	[REQ_DASHBOARD] = "dashboard",
};

static const char *const schedule_action_names[SCHEDULE_ACTION__COUNT] = {
	[SCHEDULE_LIST] = "list", [SCHEDULE_SAVE] = "save", [SCHEDULE_DELETE] = "delete",
};

const char *proto_schedule_action_name(enum proto_schedule_action a)
{
	return (unsigned)a < SCHEDULE_ACTION__COUNT ? schedule_action_names[a] : NULL;
}

static const char *const rule_action_names[RULE__COUNT] = {
	[RULE_LIST] = "list", [RULE_SAVE] = "save", [RULE_DELETE] = "delete",
	[RULE_ENABLE] = "enable", [RULE_DISABLE] = "disable",
};

static const char *const alert_action_names[ALERT_ACTION__COUNT] = {
	[ALERT_ACK] = "acknowledge", [ALERT_RESOLVE] = "resolve", [ALERT_ESCALATE] = "escalate",
};

const char *proto_rule_action_name(enum proto_rule_action a)
{
	return (unsigned)a < RULE__COUNT ? rule_action_names[a] : NULL;
}

const char *proto_alert_action_name(enum proto_alert_action a)
{
	return (unsigned)a < ALERT_ACTION__COUNT ? alert_action_names[a] : NULL;
}

const char *proto_error_name(enum proto_error code)
{
	if ((unsigned)code >= PROTO_ERR__COUNT)
		return NULL;
	return error_names[code];
}

const char *proto_priority_name(enum proto_priority p)
{
	if ((unsigned)p >= PRIO__COUNT)
		return NULL;
	return priority_names[p];
}

int proto_priority_parse(const char *name, enum proto_priority *out)
{
	if (name == NULL)
		return -1;
	for (int p = 0; p < PRIO__COUNT; p++) {
		if (strcmp(name, priority_names[p]) == 0) {
			*out = (enum proto_priority)p;
			return 0;
		}
	}
	return -1;
}

const char *proto_request_type_name(enum proto_request_type type)
{
	if ((unsigned)type >= REQ__COUNT)
		return NULL;
	return request_names[type];
}

/* ---- Causes ---------------------------------------------------------------- */

/* snprintf may cut a multibyte character in half; utf8_trim_tail drops the
 * partial tail so the text stays valid UTF-8 (the input strings come from
 * jansson, so they were valid before the cut). */
int proto_fail(struct proto_cause *cause, const char *field, const char *fmt, ...)
{
	if (cause == NULL)
		return -1;
	snprintf(cause->field, sizeof cause->field, "%s", field ? field : "");
	utf8_trim_tail(cause->field);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cause->message, sizeof cause->message, fmt, ap);
	va_end(ap);
	utf8_trim_tail(cause->message);
	return -1;
}

/* ---- Ids ------------------------------------------------------------------- */

static bool id_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == ':' || c == '-';
}

bool proto_idn_valid(const char *s, size_t len)
{
	if (s == NULL || len == 0 || len > PROTO_MAX_ID)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!id_char((unsigned char)s[i]))
			return false;
	return true;
}

bool proto_id_valid(const char *s)
{
	if (s == NULL)
		return false;
	return proto_idn_valid(s, strnlen(s, PROTO_MAX_ID + 1));
}

bool proto_json_id_valid(const json_t *v)
{
	return json_is_string(v) && proto_idn_valid(json_string_value(v), json_string_length(v));
}

/* ---- Time ------------------------------------------------------------------ */

/* Reads exactly n decimal digits. */
static bool read_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool read_char(const char **p, const char *allowed)
{
	if (**p == '\0' || strchr(allowed, **p) == NULL)
		return false;
	(*p)++;
	return true;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return month == 2 && leap ? 29 : days[month - 1];
}

/* RFC 3339 section 5.6 date-time. A leap second (:60) is accepted and lands on
 * the next second, which is what timegm does with it; fractions beyond
 * milliseconds are truncated. */
int proto_time_parse(const char *s, int64_t *ms_out)
{
	int year, month, day, hour, min, sec, ms = 0;
	const char *p = s;

	if (s == NULL)
		return -1;
	if (!read_digits(&p, 4, &year) || !read_char(&p, "-") || !read_digits(&p, 2, &month) ||
	    !read_char(&p, "-") || !read_digits(&p, 2, &day) || !read_char(&p, "Tt") ||
	    !read_digits(&p, 2, &hour) || !read_char(&p, ":") || !read_digits(&p, 2, &min) ||
	    !read_char(&p, ":") || !read_digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		p++;
		int digits = 0;
		while (*p >= '0' && *p <= '9') {
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
			digits++;
			p++;
		}
		if (digits == 0 || digits > 9)
			return -1;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	int offset_min = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (!read_digits(&p, 2, &oh) || !read_char(&p, ":") || !read_digits(&p, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		offset_min = sign * (oh * 60 + om);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 ||
	    min > 59 || sec > 60)
		return -1;

	struct tm tm = {
		.tm_year = year - 1900,
		.tm_mon = month - 1,
		.tm_mday = day,
		.tm_hour = hour,
		.tm_min = min,
		.tm_sec = sec,
	};
	time_t t = timegm(&tm);
	*ms_out = ((int64_t)t - (int64_t)offset_min * 60) * 1000 + ms;
	return 0;
}

void proto_time_format(int64_t ms, char *buf, size_t len)
{
	if (len == 0)
		return;
	/* Floor division, so times before 1970 keep a positive millisecond part. */
	int64_t sec = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}
