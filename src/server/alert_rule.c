/* alert_rule.c: alert rules and notification channels: names, parsing and
 * validation of their JSON form, the JSON form back (with or without
 * secrets), copying and freeing.
 *
 * Invariants: a parsed rule satisfies every limit documented in alert.h and
 * man/wfmon-protocol.7; unknown fields are refused everywhere; every error
 * names the field by its JSON path. Channel strings are heap copies owned by
 * the rule (NULL when absent). parse(json_new(rule, true)) == rule, and
 * parse_edit(json_new(rule, false), rule) == rule. */
#include "alert.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"
#include "xalloc.h"

#define URL_MAX 2048
#define SECRET_MIN 16
#define SECRET_MAX 256
#define ADDRESS_LIST_MAX 1024
#define CRED_MAX 256
#define THRESHOLD_SECONDS_MAX (365.0 * 24 * 3600)
#define MASK "***"

static const char *const type_names[ALERT__TYPE_COUNT] = {
	[ALERT_EXECUTION_FAILED] = "execution_failed",
	[ALERT_RUNNING_LONG] = "running_long",
	[ALERT_SLOW_EXECUTION] = "slow_execution",
	[ALERT_CONSECUTIVE_FAILURES] = "consecutive_failures",
	[ALERT_ERROR_RATE] = "error_rate",
	[ALERT_QUEUE_BACKLOG] = "queue_backlog",
	[ALERT_RESOURCE_THRESHOLD] = "resource_threshold",
	[ALERT_CUSTOM] = "custom",
	[ALERT_PERFORMANCE_DEGRADED] = "performance_degraded",
};

static const char *const severity_names[SEV__COUNT] = {
	[SEV_INFO] = "info", [SEV_WARNING] = "warning", [SEV_ERROR] = "error", [SEV_CRITICAL] = "critical",
};

static const char *const op_names[OP__COUNT] = {
	[OP_GT] = "gt", [OP_GTE] = "gte", [OP_LT] = "lt", [OP_LTE] = "lte", [OP_EQ] = "eq", [OP_NE] = "ne",
};

static const char *const channel_names[CH__COUNT] = {
	[CH_IN_APP] = "in_app", [CH_WEBHOOK] = "webhook", [CH_SLACK] = "slack", [CH_EMAIL] = "email",
	[CH_SMS] = "sms",
};

static const char *const languages[] = { "en", "pl", NULL };
static const char *const resource_metrics[] = { "cpu_percent", "memory_percent", NULL };
/* Indexed by enum alert_metric so the daemon's values cannot pair with the
 * wrong name; the extra slot is the NULL terminator. */
static const char *const custom_metrics[ALERT_M__COUNT + 1] = {
	[ALERT_M_QUEUE_DEPTH] = "queue_depth", [ALERT_M_QUEUE_WAIT] = "queue_avg_wait_ms",
	[ALERT_M_QUEUE_RATE] = "queue_rate_per_min", [ALERT_M_CPU] = "cpu_percent",
	[ALERT_M_MEMORY] = "memory_percent", [ALERT_M_DAEMON_CPU] = "daemon_cpu_percent",
	[ALERT_M_DAEMON_RSS] = "daemon_rss_bytes", [ALERT_M_EVENTS_IN] = "events_in_per_s",
	[ALERT_M_EVENTS_OUT] = "events_out_per_s", [ALERT_M_DB_ACTIVE] = "db_connections_active",
	[ALERT_M__COUNT] = NULL,
};

const char *alert_type_name(enum alert_type t)
{
	return (unsigned)t < ALERT__TYPE_COUNT ? type_names[t] : NULL;
}

const char *alert_severity_name(enum alert_severity s)
{
	return (unsigned)s < SEV__COUNT ? severity_names[s] : NULL;
}

const char *alert_op_name(enum alert_op op)
{
	return (unsigned)op < OP__COUNT ? op_names[op] : NULL;
}

const char *channel_type_name(enum channel_type t)
{
	return (unsigned)t < CH__COUNT ? channel_names[t] : NULL;
}

const char *const *alert_custom_metrics(void)
{
	return custom_metrics;
}

/* ---- errors -------------------------------------------------------------------- */

/* "a.b" (or "a" when b is empty) into dst, cut to len. */
static void path_join(char *dst, size_t len, const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b), used = 0;
	char tmp[256];
	if (al > sizeof tmp - 1)
		al = sizeof tmp - 1;
	memcpy(tmp, a, al);
	used = al;
	if (bl > 0 && al > 0 && used < sizeof tmp - 1)
		tmp[used++] = '.';
	if (bl > sizeof tmp - 1 - used)
		bl = sizeof tmp - 1 - used;
	memcpy(tmp + used, b, bl);
	used += bl;
	if (used > len - 1)
		used = len - 1;
	memcpy(dst, tmp, used);
	dst[used] = '\0';
	utf8_trim_tail(dst);
}

/* Puts prefix in front of the field a nested check named. */
static int alert_fail_prefix(struct proto_cause *cause, const char *prefix)
{
	if (cause == NULL)
		return -1;
	char field[sizeof cause->field];
	path_join(field, sizeof field, prefix, cause->field);
	memcpy(cause->field, field, sizeof field);
	return -1;
}

/* ---- field helpers --------------------------------------------------------------- */

/* The allowed keys of an object; an unknown one is refused by name. */
static int check_keys(json_t *obj, const char *const *allowed, const char *prefix, struct proto_cause *cause)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (const char *const *a = allowed; *a != NULL && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok) {
			char field[96];
			path_join(field, sizeof field, prefix, key);
			return proto_fail(cause, field, "unknown field (allowed: see the rule format)");
		}
	}
	return 0;
}

static int list_index(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] != NULL && strcmp(list[i], s) == 0)
			return (int)i;
	return -1;
}

static void list_join(const char *const *list, size_t n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && list[i] != NULL; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", list[i]);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

static size_t list_len(const char *const *list)
{
	size_t n = 0;
	while (list[n] != NULL)
		n++;
	return n;
}

/* A string member, 1..max bytes, no NUL inside. NULL v: *out = NULL. */
static int get_string(json_t *v, const char *field, size_t min, size_t max, const char **out,
		      struct proto_cause *cause)
{
	if (!json_is_string(v))
		return proto_fail(cause, field, "must be a string of %zu to %zu bytes", min, max);
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (n < min || n > max || strlen(s) != n)
		return proto_fail(cause, field, "must be a string of %zu to %zu bytes", min, max);
	*out = s;
	return 0;
}

static int get_enum(json_t *v, const char *field, const char *const *names, size_t n, int *out,
		    struct proto_cause *cause)
{
	int i = json_is_string(v) ? list_index(names, n, json_string_value(v)) : -1;
	if (i < 0) {
		char allowed[256];
		list_join(names, n, allowed, sizeof allowed);
		return proto_fail(cause, field, "must be one of: %s", allowed);
	}
	*out = i;
	return 0;
}

static int get_int(json_t *v, const char *field, long long min, long long max, int *out,
		   struct proto_cause *cause)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return proto_fail(cause, field, "must be an integer from %lld to %lld", min, max);
	*out = (int)json_integer_value(v);
	return 0;
}

/* ---- channel syntax ---------------------------------------------------------------- */

static bool host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.';
}

/* scheme://host[:port][/path][?query][#fragment] with one of the schemes, no
 * credentials in the authority (they would be logged and shown), no spaces or
 * control characters. */
static bool url_valid(const char *url, const char *const *schemes)
{
	size_t n = strlen(url);
	if (n > URL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return false;
	const char *rest = NULL;
	for (const char *const *s = schemes; *s != NULL && rest == NULL; s++) {
		size_t sl = strlen(*s);
		if (strncasecmp(url, *s, sl) == 0 && strncmp(url + sl, "://", 3) == 0)
			rest = url + sl + 3;
	}
	if (rest == NULL)
		return false;
	size_t alen = strcspn(rest, "/?#");
	const char *host = rest, *end = rest + alen;
	if (memchr(rest, '@', alen) != NULL || alen == 0)
		return false;
	const char *port = NULL;
	if (*host == '[') {
		const char *close = memchr(host, ']', alen);
		if (close == NULL || close == host + 1)
			return false;
		for (const char *p = host + 1; p < close; p++)
			if (!(host_char((unsigned char)*p) || *p == ':') || *p == '-')
				return false;
		if (close + 1 < end) {
			if (close[1] != ':')
				return false;
			port = close + 2;
		}
	} else {
		const char *colon = memchr(host, ':', alen);
		const char *hend = colon ? colon : end;
		if (hend == host || *host == '.' || *host == '-')
			return false;
		for (const char *p = host; p < hend; p++)
			if (!host_char((unsigned char)*p))
				return false;
		if (colon != NULL)
			port = colon + 1;
	}
	if (port != NULL) {
		long v = 0;
		if (port == end)
			return false;
		for (const char *p = port; p < end; p++) {
			if (*p < '0' || *p > '9' || p - port >= 5)
				return false;
			v = v * 10 + (*p - '0');
		}
		if (v < 1 || v > 65535)
			return false;
	}
	return true;
}

static bool local_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

/* user@domain.tld: a plain local part, a domain of letter/digit/hyphen labels
 * with at least one dot and a top-level label of 2+ letters. */
static bool address_valid(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	if (at == NULL || at == s || at - s > 64 || s[0] == '.' || at[-1] == '.')
		return false;
	for (const char *p = s; p < at; p++)
		if (!local_char((unsigned char)*p) || (p[0] == '.' && p[1] == '.'))
			return false;
	const char *d = at + 1, *end = s + n;
	if (end - d < 4 || end - d > 253)
		return false;
	const char *label = d, *last = NULL;
	for (const char *p = d; p <= end; p++) {
		if (p == end || *p == '.') {
			size_t ll = (size_t)(p - label);
			if (ll == 0 || ll > 63 || *label == '-' || p[-1] == '-')
				return false;
			last = label;
			label = p + 1;
		} else {
			unsigned char c = (unsigned char)*p;
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '-'))
				return false;
		}
	}
	if (last == d)
		return false;   /* no dot */
	if (end - last < 2)
		return false;
	for (const char *p = last; p < end; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

/* "a@b.pl, c@d.com": 1..ALERT_EMAIL_MAX_RCPT addresses, spaces around commas allowed. */
static bool address_list_valid(const char *s)
{
	size_t count = 0;
	const char *p = s;
	for (;;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, ",");
		size_t t = n;
		while (t > 0 && p[t - 1] == ' ')
			t--;
		if (t == 0 || !address_valid(p, t) || ++count > ALERT_EMAIL_MAX_RCPT)
			return false;
		p += n;
		if (*p == '\0')
			return true;
		p++;
	}
}

/* + then 8 to 15 digits (E.164). */
static bool phone_valid(const char *s)
{
	if (s[0] != '+')
		return false;
	size_t n = strlen(s + 1);
	if (n < 8 || n > 15)
		return false;
	return strspn(s + 1, "0123456789") == n;
}

/* ---- channels ------------------------------------------------------------------------ */

enum ch_field_kind { F_URL_HTTP, F_URL_HTTPS, F_URL_SMTP, F_SECRET, F_TOKEN, F_ADDRESSES, F_ADDRESS,
		     F_PHONE, F_CRED, F_BOOL };

struct ch_field {
	const char *name;
	enum ch_field_kind kind;
	bool required;
	size_t offset;   /* of the char * (or bool) in struct alert_channel */
	bool secret;     /* masked in the client form */
};

#define CHF(n, k, r, m, s) { n, k, r, offsetof(struct alert_channel, m), s }

static const struct ch_field in_app_fields[] = {
	CHF("bell", F_BOOL, false, bell, false),
	{ NULL, 0, false, 0, false },
};
static const struct ch_field webhook_fields[] = {
	CHF("url", F_URL_HTTP, true, url, false),
	CHF("secret", F_SECRET, true, secret, true),
	{ NULL, 0, false, 0, false },
};
static const struct ch_field slack_fields[] = {
	CHF("url", F_URL_HTTPS, true, url, false),
	{ NULL, 0, false, 0, false },
};
static const struct ch_field email_fields[] = {
	CHF("to", F_ADDRESSES, true, to, false),
	CHF("smtp_url", F_URL_SMTP, true, smtp_url, false),
	CHF("from", F_ADDRESS, true, from, false),
	CHF("smtp_user", F_CRED, false, smtp_user, false),
	CHF("smtp_password", F_CRED, false, smtp_password, true),
	{ NULL, 0, false, 0, false },
};
static const struct ch_field sms_fields[] = {
	CHF("url", F_URL_HTTP, true, url, false),
	CHF("to", F_PHONE, true, to, false),
	CHF("secret", F_TOKEN, false, secret, true),
	{ NULL, 0, false, 0, false },
};

static const struct ch_field *const channel_fields[CH__COUNT] = {
	[CH_IN_APP] = in_app_fields, [CH_WEBHOOK] = webhook_fields, [CH_SLACK] = slack_fields,
	[CH_EMAIL] = email_fields, [CH_SMS] = sms_fields,
};

static const char *const http_schemes[] = { "http", "https", NULL };
static const char *const https_schemes[] = { "https", NULL };
static const char *const smtp_schemes[] = { "smtp", "smtps", NULL };

static char **ch_str(struct alert_channel *ch, const struct ch_field *f)
{
	return (char **)((char *)ch + f->offset);
}

static char *const *ch_cstr(const struct alert_channel *ch, const struct ch_field *f)
{
	return (char *const *)((const char *)ch + f->offset);
}

static int ch_field_check(const struct ch_field *f, json_t *v, struct alert_channel *ch,
			  struct proto_cause *cause)
{
	const char *s = NULL;
	if (f->kind == F_BOOL) {
		if (!json_is_boolean(v))
			return proto_fail(cause, f->name, "must be true or false");
		*(bool *)((char *)ch + f->offset) = json_is_true(v);
		return 0;
	}
	switch (f->kind) {
	case F_URL_HTTP:
	case F_URL_HTTPS:
	case F_URL_SMTP:
		if (get_string(v, f->name, 1, URL_MAX, &s, cause) < 0)
			return -1;
		if (f->kind == F_URL_HTTP && !url_valid(s, http_schemes))
			return proto_fail(cause, f->name,
					  "must be an http:// or https:// URL with a host and no credentials");
		if (f->kind == F_URL_HTTPS && !url_valid(s, https_schemes))
			return proto_fail(cause, f->name, "must be an https:// URL with a host and no credentials");
		if (f->kind == F_URL_SMTP && !url_valid(s, smtp_schemes))
			return proto_fail(cause, f->name,
					  "must be an smtp:// or smtps:// URL with a host (credentials go in "
					  "smtp_user and smtp_password)");
		break;
	case F_SECRET:
		if (get_string(v, f->name, SECRET_MIN, SECRET_MAX, &s, cause) < 0)
			return -1;
		break;
	case F_TOKEN:
	case F_CRED:
		if (get_string(v, f->name, 1, CRED_MAX, &s, cause) < 0)
			return -1;
		break;
	case F_ADDRESSES:
		if (get_string(v, f->name, 1, ADDRESS_LIST_MAX, &s, cause) < 0)
			return -1;
		if (!address_list_valid(s))
			return proto_fail(cause, f->name,
					  "must be 1 to %d addresses like user@example.com, separated by commas",
					  ALERT_EMAIL_MAX_RCPT);
		break;
	case F_ADDRESS:
		if (get_string(v, f->name, 1, 320, &s, cause) < 0)
			return -1;
		if (!address_valid(s, strlen(s)))
			return proto_fail(cause, f->name, "must be one address like alerts@example.com");
		break;
	case F_PHONE:
		if (!json_is_string(v) || !phone_valid(json_string_value(v)) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return proto_fail(cause, f->name, "must be + then 8 to 15 digits, e.g. +48123456789");
		s = json_string_value(v);
		break;
	case F_BOOL:
		return -1;
	}
	*ch_str(ch, f) = xstrdup(s);
	return 0;
}

static void alert_channel_clear(struct alert_channel *ch)
{
	free(ch->url);
	free(ch->secret);
	free(ch->to);
	free(ch->smtp_url);
	free(ch->smtp_user);
	free(ch->smtp_password);
	free(ch->from);
	memset(ch, 0, sizeof *ch);
}

/* The value a field is checked with. Clients see secrets masked, so an edit
 * that sends MASK back for a secret field of a channel of the same type as
 * before keeps the previous channel's value: *kept then holds it as a new
 * reference, for the caller to drop after the check. */
static json_t *field_value(json_t *j, const struct ch_field *f, enum channel_type t,
			   const struct alert_channel *prev, json_t **kept)
{
	json_t *v = json_object_get(j, f->name);
	*kept = NULL;
	if (!f->secret || prev == NULL || prev->type != t || !json_is_string(v) ||
	    strcmp(json_string_value(v), MASK) != 0 || *ch_cstr(prev, f) == NULL)
		return v;
	*kept = json_string(*ch_cstr(prev, f));
	return *kept != NULL ? *kept : v;
}

/* alert_channel_parse, keeping masked secrets of prev (which may be NULL). */
static int channel_parse(json_t *j, const struct alert_channel *prev, struct alert_channel *ch,
			 struct proto_cause *cause)
{
	memset(ch, 0, sizeof *ch);
	if (!json_is_object(j))
		return proto_fail(cause, "", "a channel must be an object with a \"type\"");
	int t;
	if (get_enum(json_object_get(j, "type"), "type", channel_names, CH__COUNT, &t, cause) < 0)
		return -1;
	ch->type = (enum channel_type)t;
	const struct ch_field *fields = channel_fields[t];

	const char *allowed[8];
	size_t na = 0;
	allowed[na++] = "type";
	for (const struct ch_field *f = fields; f->name != NULL; f++)
		allowed[na++] = f->name;
	allowed[na] = NULL;
	if (check_keys(j, allowed, "", cause) < 0)
		return -1;

	for (const struct ch_field *f = fields; f->name != NULL; f++) {
		json_t *kept;
		json_t *v = field_value(j, f, ch->type, prev, &kept);
		if (v == NULL || json_is_null(v)) {
			if (f->required) {
				alert_channel_clear(ch);
				return proto_fail(cause, f->name, "is required for a %s channel", channel_names[t]);
			}
			continue;
		}
		int rc = ch_field_check(f, v, ch, cause);
		json_decref(kept);
		if (rc < 0) {
			alert_channel_clear(ch);
			return -1;
		}
	}
	return 0;
}

int alert_channel_parse(json_t *j, struct alert_channel *ch, struct proto_cause *cause)
{
	return channel_parse(j, NULL, ch, cause);
}

static json_t *channel_json_new(const struct alert_channel *ch, bool with_secrets)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(channel_type_name(ch->type)));
	if ((unsigned)ch->type >= CH__COUNT)
		return o;
	for (const struct ch_field *f = channel_fields[ch->type]; f->name != NULL; f++) {
		if (f->kind == F_BOOL) {
			json_object_set_new(o, f->name, json_boolean(*(const bool *)((const char *)ch + f->offset)));
			continue;
		}
		const char *s = *ch_cstr(ch, f);
		if (s == NULL)
			continue;
		json_object_set_new(o, f->name, json_string(f->secret && !with_secrets ? MASK : s));
	}
	return o;
}

static char *dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void alert_channel_copy(struct alert_channel *dst, const struct alert_channel *src)
{
	dst->type = src->type;
	dst->url = dup_or_null(src->url);
	dst->secret = dup_or_null(src->secret);
	dst->to = dup_or_null(src->to);
	dst->smtp_url = dup_or_null(src->smtp_url);
	dst->smtp_user = dup_or_null(src->smtp_user);
	dst->smtp_password = dup_or_null(src->smtp_password);
	dst->from = dup_or_null(src->from);
	dst->bell = src->bell;
}

/* ---- rules ---------------------------------------------------------------------------- */

/* What a condition field is, and where it goes. */
enum cond_kind { C_SECONDS, C_COUNT, C_PERCENT_RATE, C_WINDOW, C_MIN_SAMPLE, C_BACKLOG, C_RESOURCE_METRIC,
		 C_PERCENT, C_CUSTOM_METRIC, C_OP, C_VALUE, C_P95_MARGIN, C_SUCCESS_MARGIN, C_MIN_RUNS };

struct cond_field {
	const char *name;
	enum cond_kind kind;
};

/* The margins of performance_degraded may be left out: the daemon's apply. */
static bool cond_optional(enum cond_kind k)
{
	return k == C_P95_MARGIN || k == C_SUCCESS_MARGIN || k == C_MIN_RUNS;
}

static const struct cond_field conds_none[] = { { NULL, 0 } };
static const struct cond_field conds_seconds[] = { { "threshold_seconds", C_SECONDS }, { NULL, 0 } };
static const struct cond_field conds_consecutive[] = { { "count", C_COUNT }, { NULL, 0 } };
static const struct cond_field conds_rate[] = {
	{ "threshold_percent", C_PERCENT_RATE }, { "window_minutes", C_WINDOW }, { "min_sample", C_MIN_SAMPLE },
	{ NULL, 0 },
};
static const struct cond_field conds_backlog[] = { { "threshold", C_BACKLOG }, { NULL, 0 } };
static const struct cond_field conds_resource[] = {
	{ "metric", C_RESOURCE_METRIC }, { "threshold", C_PERCENT }, { NULL, 0 },
};
static const struct cond_field conds_custom[] = {
	{ "metric", C_CUSTOM_METRIC }, { "op", C_OP }, { "value", C_VALUE }, { NULL, 0 },
};
static const struct cond_field conds_degraded[] = {
	{ "p95_margin_percent", C_P95_MARGIN }, { "success_margin_points", C_SUCCESS_MARGIN },
	{ "min_runs", C_MIN_RUNS }, { NULL, 0 },
};

static const struct cond_field *const type_conditions[ALERT__TYPE_COUNT] = {
	[ALERT_EXECUTION_FAILED] = conds_none,
	[ALERT_RUNNING_LONG] = conds_seconds,
	[ALERT_SLOW_EXECUTION] = conds_seconds,
	[ALERT_CONSECUTIVE_FAILURES] = conds_consecutive,
	[ALERT_ERROR_RATE] = conds_rate,
	[ALERT_QUEUE_BACKLOG] = conds_backlog,
	[ALERT_RESOURCE_THRESHOLD] = conds_resource,
	[ALERT_CUSTOM] = conds_custom,
	[ALERT_PERFORMANCE_DEGRADED] = conds_degraded,
};

static int cond_check(const struct cond_field *c, json_t *v, struct alert_rule *r, struct proto_cause *cause)
{
	char field[64];
	path_join(field, sizeof field, "conditions", c->name);
	double x = json_is_number(v) ? json_number_value(v) : NAN;
	int i;
	switch (c->kind) {
	case C_SECONDS:
		if (!(x > 0 && x <= THRESHOLD_SECONDS_MAX))
			return proto_fail(cause, field, "must be a number of seconds above 0 (at most %.0f)",
					  THRESHOLD_SECONDS_MAX);
		r->threshold = x;
		return 0;
	case C_COUNT:
		return get_int(v, field, 2, 100, &r->count, cause);
	case C_PERCENT_RATE:
		if (!(x > 0 && x <= 100))
			return proto_fail(cause, field, "must be a number above 0 and at most 100");
		r->threshold = x;
		return 0;
	case C_WINDOW:
		if (get_int(v, field, 1, 1440, &i, cause) < 0)
			return -1;
		r->window_s = i * 60;
		return 0;
	case C_MIN_SAMPLE:
		return get_int(v, field, 1, 10000, &r->min_sample, cause);
	case C_BACKLOG:
		if (!(x >= 1))
			return proto_fail(cause, field, "must be a number of at least 1");
		r->threshold = x;
		return 0;
	case C_PERCENT:
		if (!(x >= 0 && x <= 100))
			return proto_fail(cause, field, "must be a number from 0 to 100");
		r->threshold = x;
		return 0;
	case C_VALUE:
		if (isnan(x))
			return proto_fail(cause, field, "must be a number");
		r->threshold = x;
		return 0;
	case C_RESOURCE_METRIC:
	case C_CUSTOM_METRIC: {
		const char *const *set = c->kind == C_RESOURCE_METRIC ? resource_metrics : custom_metrics;
		if (get_enum(v, field, set, list_len(set), &i, cause) < 0)
			return -1;
		snprintf(r->metric, sizeof r->metric, "%s", set[i]);
		return 0;
	}
	case C_OP:
		if (get_enum(v, field, op_names, OP__COUNT, &i, cause) < 0)
			return -1;
		r->op = (enum alert_op)i;
		return 0;
	case C_P95_MARGIN:
		if (!(x > 0 && x <= 10000))
			return proto_fail(cause, field, "must be a percentage above 0 (at most 10000)");
		r->p95_margin_pct = x;
		return 0;
	case C_SUCCESS_MARGIN:
		if (!(x > 0 && x <= 100))
			return proto_fail(cause, field, "must be a number of percentage points above 0 and at most 100");
		r->success_margin_pts = x;
		return 0;
	case C_MIN_RUNS:
		return get_int(v, field, 1, 100000, &r->min_runs, cause);
	}
	return -1;
}

static int parse_conditions(json_t *j, struct alert_rule *r, struct proto_cause *cause)
{
	const struct cond_field *conds = type_conditions[r->type];
	if (j == NULL && (conds[0].name == NULL || cond_optional(conds[0].kind)))
		return 0;
	if (!json_is_object(j))
		return proto_fail(cause, "conditions", "must be an object with the conditions of a %s rule",
				  type_names[r->type]);
	const char *allowed[8];
	size_t na = 0;
	for (const struct cond_field *c = conds; c->name != NULL; c++)
		allowed[na++] = c->name;
	allowed[na] = NULL;
	if (check_keys(j, allowed, "conditions", cause) < 0)
		return -1;
	for (const struct cond_field *c = conds; c->name != NULL; c++) {
		json_t *v = json_object_get(j, c->name);
		if (v == NULL && cond_optional(c->kind))
			continue;
		if (v == NULL) {
			char field[64];
			path_join(field, sizeof field, "conditions", c->name);
			return proto_fail(cause, field, "is required for a %s rule", type_names[r->type]);
		}
		if (cond_check(c, v, r, cause) < 0)
			return -1;
	}
	return 0;
}

/* prev/nprev: the same list of the rule before the edit (channel i keeps
 * masked secrets of prev[i]), or NULL/0. */
static int parse_channels(json_t *j, const char *name, size_t min, const struct alert_channel *prev,
			  size_t nprev, struct alert_channel *chs, size_t *n, struct proto_cause *cause)
{
	*n = 0;
	if (j == NULL && min == 0)
		return 0;
	if (!json_is_array(j) || json_array_size(j) < min || json_array_size(j) > ALERT_MAX_CHANNELS)
		return proto_fail(cause, name, "must be an array of %zu to %d channels", min, ALERT_MAX_CHANNELS);
	for (size_t i = 0; i < json_array_size(j); i++) {
		if (channel_parse(json_array_get(j, i), i < nprev ? &prev[i] : NULL, &chs[i], cause) < 0) {
			char prefix[48];
			snprintf(prefix, sizeof prefix, "%s[%zu]", name, i);
			return alert_fail_prefix(cause, prefix);
		}
		*n = i + 1;
	}
	return 0;
}

static const char *const rule_keys[] = {
	"id", "name", "type", "workflow_id", "severity", "cooldown_minutes", "enabled", "language",
	"conditions", "channels", "escalation_channels", NULL,
};

/* An optional id: absent or null leaves out empty. */
static int get_opt_id(json_t *v, const char *field, char *out, struct proto_cause *cause)
{
	out[0] = '\0';
	if (v == NULL || json_is_null(v))
		return 0;
	if (!proto_json_id_valid(v))
		return proto_fail(cause, field, "must be an id of 1 to %d characters [A-Za-z0-9_.:-]", PROTO_MAX_ID);
	snprintf(out, PROTO_MAX_ID + 1, "%s", json_string_value(v));
	return 0;
}

/* Metric rules whose metric or operator the type implies get them here, so
 * that the evaluator reads r->metric and r->op alike for every metric rule.
 * The JSON form lists only the conditions of the type (type_conditions), so
 * what is set here never shows in it. */
static void imply_metric(struct alert_rule *r)
{
	switch (r->type) {
	case ALERT_QUEUE_BACKLOG:
		snprintf(r->metric, sizeof r->metric, "%s", custom_metrics[ALERT_M_QUEUE_DEPTH]);
		r->op = OP_GTE;
		break;
	case ALERT_RESOURCE_THRESHOLD:
		r->op = OP_GT;
		break;
	default:
		break;
	}
}

static int rule_parse_fields(json_t *j, const struct alert_rule *prev, struct alert_rule *r,
			     struct proto_cause *cause)
{
	if (!json_is_object(j))
		return proto_fail(cause, "", "a rule must be a JSON object");
	if (check_keys(j, rule_keys, "", cause) < 0)
		return -1;
	if (get_opt_id(json_object_get(j, "id"), "id", r->id, cause) < 0)
		return -1;
	const char *s;
	if (get_string(json_object_get(j, "name"), "name", 1, PROTO_MAX_NAME, &s, cause) < 0)
		return -1;
	snprintf(r->name, sizeof r->name, "%s", s);
	int i;
	if (get_enum(json_object_get(j, "type"), "type", type_names, ALERT__TYPE_COUNT, &i, cause) < 0)
		return -1;
	r->type = (enum alert_type)i;
	if (get_opt_id(json_object_get(j, "workflow_id"), "workflow_id", r->workflow_id, cause) < 0)
		return -1;
	if (get_enum(json_object_get(j, "severity"), "severity", severity_names, SEV__COUNT, &i, cause) < 0)
		return -1;
	r->severity = (enum alert_severity)i;

	json_t *v = json_object_get(j, "cooldown_minutes");
	r->cooldown_s = ALERT_COOLDOWN_DEFAULT_S;
	if (v != NULL) {
		if (get_int(v, "cooldown_minutes", ALERT_COOLDOWN_MIN_S / 60, ALERT_COOLDOWN_MAX_S / 60, &i, cause) < 0)
			return -1;
		r->cooldown_s = i * 60;
	}
	v = json_object_get(j, "enabled");
	r->enabled = true;
	if (v != NULL) {
		if (!json_is_boolean(v))
			return proto_fail(cause, "enabled", "must be true or false");
		r->enabled = json_is_true(v);
	}
	v = json_object_get(j, "language");
	snprintf(r->language, sizeof r->language, "en");
	if (v != NULL) {
		if (get_enum(v, "language", languages, list_len(languages), &i, cause) < 0)
			return -1;
		snprintf(r->language, sizeof r->language, "%s", languages[i]);
	}
	if (parse_conditions(json_object_get(j, "conditions"), r, cause) < 0)
		return -1;
	imply_metric(r);
	if (parse_channels(json_object_get(j, "channels"), "channels", 1, prev ? prev->channels : NULL,
			   prev ? prev->nchannels : 0, r->channels, &r->nchannels, cause) < 0)
		return -1;
	if (parse_channels(json_object_get(j, "escalation_channels"), "escalation_channels", 0,
			   prev ? prev->escalation : NULL, prev ? prev->nescalation : 0, r->escalation,
			   &r->nescalation, cause) < 0)
		return -1;
	return 0;
}

int alert_rule_parse_edit(json_t *j, const struct alert_rule *prev, struct alert_rule *rule,
			  struct proto_cause *cause)
{
	memset(rule, 0, sizeof *rule);
	if (rule_parse_fields(j, prev, rule, cause) < 0) {
		alert_rule_clear(rule);
		return -1;
	}
	return 0;
}

int alert_rule_parse(json_t *j, struct alert_rule *rule, struct proto_cause *cause)
{
	return alert_rule_parse_edit(j, NULL, rule, cause);
}

void alert_rule_clear(struct alert_rule *rule)
{
	for (size_t i = 0; i < rule->nchannels && i < ALERT_MAX_CHANNELS; i++)
		alert_channel_clear(&rule->channels[i]);
	for (size_t i = 0; i < rule->nescalation && i < ALERT_MAX_CHANNELS; i++)
		alert_channel_clear(&rule->escalation[i]);
	rule->nchannels = 0;
	rule->nescalation = 0;
}

void alert_rule_copy(struct alert_rule *dst, const struct alert_rule *src)
{
	*dst = *src;
	for (size_t i = 0; i < src->nchannels; i++)
		alert_channel_copy(&dst->channels[i], &src->channels[i]);
	for (size_t i = 0; i < src->nescalation; i++)
		alert_channel_copy(&dst->escalation[i], &src->escalation[i]);
}

static json_t *conditions_json_new(const struct alert_rule *r)
{
	json_t *o = json_object();
	if ((unsigned)r->type >= ALERT__TYPE_COUNT)
		return o;
	for (const struct cond_field *c = type_conditions[r->type]; c->name != NULL; c++) {
		json_t *v = NULL;
		switch (c->kind) {
		case C_SECONDS:
		case C_PERCENT_RATE:
		case C_BACKLOG:
		case C_PERCENT:
		case C_VALUE:
			v = json_real(r->threshold);
			break;
		case C_COUNT:
			v = json_integer(r->count);
			break;
		case C_WINDOW:
			v = json_integer(r->window_s / 60);
			break;
		case C_MIN_SAMPLE:
			v = json_integer(r->min_sample);
			break;
		case C_RESOURCE_METRIC:
		case C_CUSTOM_METRIC:
			v = json_string(r->metric);
			break;
		case C_OP:
			v = json_string(alert_op_name(r->op));
			break;
		case C_P95_MARGIN:
			v = r->p95_margin_pct > 0 ? json_real(r->p95_margin_pct) : NULL;
			break;
		case C_SUCCESS_MARGIN:
			v = r->success_margin_pts > 0 ? json_real(r->success_margin_pts) : NULL;
			break;
		case C_MIN_RUNS:
			v = r->min_runs > 0 ? json_integer(r->min_runs) : NULL;
			break;
		}
		if (v != NULL)
			json_object_set_new(o, c->name, v);
	}
	return o;
}

static json_t *channels_json_new(const struct alert_channel *chs, size_t n, bool with_secrets)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, channel_json_new(&chs[i], with_secrets));
	return a;
}

json_t *alert_rule_json_new(const struct alert_rule *r, bool with_secrets)
{
	json_t *o = json_object();
	if (r->id[0] != '\0')
		json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "name", json_string(r->name));
	json_object_set_new(o, "type", json_string(alert_type_name(r->type)));
	json_object_set_new(o, "workflow_id", r->workflow_id[0] ? json_string(r->workflow_id) : json_null());
	json_object_set_new(o, "severity", json_string(alert_severity_name(r->severity)));
	json_object_set_new(o, "cooldown_minutes", json_integer(r->cooldown_s / 60));
	json_object_set_new(o, "enabled", json_boolean(r->enabled));
	json_object_set_new(o, "language", json_string(r->language));
	json_object_set_new(o, "conditions", conditions_json_new(r));
	json_object_set_new(o, "channels", channels_json_new(r->channels, r->nchannels, with_secrets));
	json_object_set_new(o, "escalation_channels", channels_json_new(r->escalation, r->nescalation, with_secrets));
	return o;
}
