/* jfield.c: one member of a JSON object read with its type and bounds
 * checked, or written with "none" as null (see jfield.h).
 *
 * Invariants: a reader writes *out only when the member checked out; a
 * refusal always names the member and says what it must be. */
#include "jfield.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "proto-internal.h"
#include "xalloc.h"

json_t *jfield_get(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

void jfield_path(char *dst, size_t len, const char *prefix, const char *key)
{
	if (prefix == NULL || prefix[0] == '\0')
		snprintf(dst, len, "%s", key);
	else
		snprintf(dst, len, "%s.%s", prefix, key);
}

static int refuse(const char *prefix, const char *key, struct proto_cause *cause, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(const char *prefix, const char *key, struct proto_cause *cause, const char *fmt, ...)
{
	char path[96], what[256];
	jfield_path(path, sizeof path, prefix, key);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return proto_fail(cause, path, "%s", what);
}

/* The member, or NULL: then rc is 0 (none allowed) or -1 (required, refused). */
static json_t *member(json_t *obj, const char *prefix, const char *key, bool required, int *rc,
		      struct proto_cause *cause)
{
	json_t *v = jfield_get(obj, key);
	*rc = 0;
	if (v == NULL && required)
		*rc = refuse(prefix, key, cause, "is required");
	return v;
}

int jfield_int(json_t *obj, const char *prefix, const char *key, bool required, int64_t min, int64_t max,
	       int64_t *out, struct proto_cause *cause)
{
	int rc;
	json_t *v = member(obj, prefix, key, required, &rc, cause);
	if (v == NULL)
		return rc;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return refuse(prefix, key, cause, "must be an integer from %lld to %lld", (long long)min,
			      (long long)max);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

int jfield_number(json_t *obj, const char *prefix, const char *key, bool required, double min, double max,
		  double *out, struct proto_cause *cause)
{
	int rc;
	json_t *v = member(obj, prefix, key, required, &rc, cause);
	if (v == NULL)
		return rc;
	double x = json_is_number(v) ? json_number_value(v) : NAN;
	if (!(x >= min && x <= max))
		return refuse(prefix, key, cause, "must be a number from %g to %g", min, max);
	*out = x;
	return 0;
}

int jfield_bool(json_t *obj, const char *prefix, const char *key, bool required, bool *out,
		struct proto_cause *cause)
{
	int rc;
	json_t *v = member(obj, prefix, key, required, &rc, cause);
	if (v == NULL)
		return rc;
	if (!json_is_boolean(v))
		return refuse(prefix, key, cause, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

/* A string of at most max bytes with no NUL inside, or NULL. */
static const char *string_of(json_t *v, size_t max)
{
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

int jfield_chars(json_t *obj, const char *prefix, const char *key, bool required, char *out, size_t size,
		 struct proto_cause *cause)
{
	int rc;
	json_t *v = member(obj, prefix, key, required, &rc, cause);
	if (v == NULL)
		return rc;
	const char *s = string_of(v, size - 1);
	if (s == NULL)
		return refuse(prefix, key, cause, "must be a string of at most %zu bytes", size - 1);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int jfield_id(json_t *obj, const char *prefix, const char *key, bool required, char *out,
	      struct proto_cause *cause)
{
	int rc;
	json_t *v = member(obj, prefix, key, required, &rc, cause);
	if (v == NULL)
		return rc;
	const char *s = string_of(v, PROTO_MAX_ID);
	if (s == NULL || (s[0] != '\0' && !proto_idn_valid(s, strlen(s))) || (required && s[0] == '\0'))
		return refuse(prefix, key, cause, "must be an id of 1 to %d characters [A-Za-z0-9_.:-]", PROTO_MAX_ID);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int jfield_text(json_t *obj, const char *prefix, const char *key, bool required, size_t max, char **out,
		struct proto_cause *cause)
{
	int rc;
	json_t *v = member(obj, prefix, key, required, &rc, cause);
	if (v == NULL)
		return rc;
	const char *s = string_of(v, max);
	if (s == NULL)
		return refuse(prefix, key, cause, "must be a string of at most %zu bytes", max);
	*out = xstrdup(s);
	return 0;
}

int jfield_time(json_t *obj, const char *prefix, const char *key, bool required, int64_t *ms,
		struct proto_cause *cause)
{
	int rc;
	json_t *v = member(obj, prefix, key, required, &rc, cause);
	if (v == NULL)
		return rc;
	int64_t t;
	if (!json_is_string(v) || proto_time_parse(json_string_value(v), &t) != 0)
		return refuse(prefix, key, cause, "must be a time like 2026-11-23T04:00:00.000Z");
	*ms = t;
	return 0;
}

int jfield_choice(json_t *obj, const char *prefix, const char *key, bool required, const char *const *names,
		  size_t n, int *out, struct proto_cause *cause)
{
	int rc;
	json_t *v = member(obj, prefix, key, required, &rc, cause);
	if (v == NULL)
		return rc;
	int i = names_find(names, n, json_string_value(v));
	if (i >= 0) {
		*out = i;
		return 0;
	}
	char allowed[200] = "";
	size_t used = 0;
	for (size_t k = 0; k < n && used < sizeof allowed; k++)
		used += (size_t)snprintf(allowed + used, sizeof allowed - used, "%s%s", k ? ", " : "", names[k]);
	return refuse(prefix, key, cause, "must be one of: %s", allowed);
}

void jfield_put_time(json_t *obj, const char *key, int64_t ms)
{
	if (ms <= 0) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	char buf[40];
	proto_time_format(ms, buf, sizeof buf);
	json_object_set_new(obj, key, json_string(buf));
}

void jfield_put_str(json_t *obj, const char *key, const char *s)
{
	json_t *v = s != NULL && s[0] != '\0' ? json_string(s) : NULL;
	json_object_set_new(obj, key, v != NULL ? v : json_null());
}

void jfield_put_ms(json_t *obj, const char *key, int64_t ms)
{
	json_object_set_new(obj, key, ms < 0 ? json_null() : json_integer(ms));
}
