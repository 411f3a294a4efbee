/* alert_schema.c: the field engine of the alert rule schema (see
 * alert_schema.h): what each field kind accepts (ids, texts, choices, numbers,
 * URLs, e-mail addresses, phone numbers), where the value goes in the typed
 * struct, and the JSON written back.
 *
 * Invariants: a field is stored only after its value checked out, so a
 * refused field leaves its slot as it was; every refusal names the field by
 * its JSON path and says what it must be; a CHARS slot always ends up
 * NUL-terminated; a secret that passes masked (mask_ok) is stored as the mask
 * and never checked. Pure: no I/O. */
#include "alert_schema.h"
#include "alert_schema-internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alert_channel.h"
#include "utf8.h"
#include "xalloc.h"

/* ---- choices ------------------------------------------------------------------------- */

int alert_choice_find(const struct alert_choice *choices, size_t n, const char *name)
{
	for (size_t i = 0; name != NULL && i < n; i++)
		if (choices[i].name != NULL && strcmp(choices[i].name, name) == 0)
			return (int)i;
	return -1;
}

const char *alert_choice_label(const struct alert_choice *choices, size_t n, size_t i)
{
	if (i >= n)
		return NULL;
	return choices[i].label != NULL ? choices[i].label : choices[i].name;
}

static void choices_join(const struct alert_choice *c, size_t n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", c[i].name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

/* ---- paths and errors ------------------------------------------------------------------ */

void alert_schema_path(char *dst, size_t len, const char *a, const char *b)
{
	char tmp[256];
	size_t al = strlen(a), bl = strlen(b), used = 0;
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

int alert_schema_fail_prefix(struct proto_cause *cause, const char *prefix)
{
	if (cause == NULL)
		return -1;
	char field[sizeof cause->field];
	alert_schema_path(field, sizeof field, prefix, cause->field);
	memcpy(cause->field, field, sizeof field);
	return -1;
}

/* ---- syntax of the channel kinds ---------------------------------------------------------- */

#define URL_MAX 2048

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

/* ---- one field ------------------------------------------------------------------------------ */

static void *slot(void *base, const struct alert_field *f)
{
	return (char *)base + f->offset;
}

static const void *cslot(const void *base, const struct alert_field *f)
{
	return (const char *)base + f->offset;
}

static int fail_must(const struct alert_field *f, const char *path, struct proto_cause *cause)
{
	return proto_fail(cause, path, "must be %s", f->must != NULL ? f->must : "a valid value");
}

/* A string of f's min..max bytes with no NUL inside. */
static int text_get(const struct alert_field *f, json_t *v, const char *path, const char **out,
		    struct proto_cause *cause)
{
	size_t min = (size_t)f->min, max = (size_t)f->max;
	if (!json_is_string(v) || json_string_length(v) < min || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return proto_fail(cause, path, "must be a string of %zu to %zu bytes", min, max);
	*out = json_string_value(v);
	return 0;
}

/* The text of a text-like field, checked by its kind. */
static int text_check(const struct alert_field *f, json_t *v, const char *path, const char **out,
		      struct proto_cause *cause)
{
	switch (f->kind) {
	case ALERT_FIELD_ID:
		if (!proto_json_id_valid(v))
			return proto_fail(cause, path, "must be an id of 1 to %d characters [A-Za-z0-9_.:-]",
					  PROTO_MAX_ID);
		*out = json_string_value(v);
		return 0;
	case ALERT_FIELD_PHONE:
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
		    !phone_valid(json_string_value(v)))
			return fail_must(f, path, cause);
		*out = json_string_value(v);
		return 0;
	case ALERT_FIELD_TEXT:
		return text_get(f, v, path, out, cause);
	case ALERT_FIELD_URL:
		if (text_get(f, v, path, out, cause) < 0)
			return -1;
		return url_valid(*out, f->schemes) ? 0 : fail_must(f, path, cause);
	case ALERT_FIELD_ADDRESSES:
		if (text_get(f, v, path, out, cause) < 0)
			return -1;
		return address_list_valid(*out) ? 0 : fail_must(f, path, cause);
	case ALERT_FIELD_ADDRESS:
		if (text_get(f, v, path, out, cause) < 0)
			return -1;
		return address_valid(*out, strlen(*out)) ? 0 : fail_must(f, path, cause);
	default:
		return proto_fail(cause, path, "is not a text field");
	}
}

static void text_store(const struct alert_field *f, void *base, const char *s)
{
	if (f->store == ALERT_STORE_CHARS) {
		snprintf(slot(base, f), f->size, "%s", s);
		utf8_trim_tail(slot(base, f));
	} else {
		char **dst = slot(base, f);
		free(*dst);
		*dst = xstrdup(s);
	}
}

static int choice_check(const struct alert_field *f, json_t *v, const char *path, void *base,
			struct proto_cause *cause)
{
	int i = json_is_string(v) ? alert_choice_find(f->choices, f->nchoices, json_string_value(v)) : -1;
	if (i < 0) {
		char allowed[256];
		choices_join(f->choices, f->nchoices, allowed, sizeof allowed);
		return proto_fail(cause, path, "must be one of: %s", allowed);
	}
	if (f->store == ALERT_STORE_ENUM)
		*(int *)slot(base, f) = i;
	else
		text_store(f, base, f->choices[i].name);
	return 0;
}

static int number_check(const struct alert_field *f, json_t *v, const char *path, void *base,
			struct proto_cause *cause)
{
	if (f->kind == ALERT_FIELD_INT) {
		json_int_t x = json_is_integer(v) ? json_integer_value(v) : 0;
		if (!json_is_integer(v) || x < (json_int_t)f->min || x > (json_int_t)f->max)
			return proto_fail(cause, path, "must be an integer from %lld to %lld", (long long)f->min,
					  (long long)f->max);
		*(int *)slot(base, f) = (int)x * (f->scale > 0 ? f->scale : 1);
		return 0;
	}
	double x = json_is_number(v) ? json_number_value(v) : NAN;
	bool low_ok = (f->flags & ALERT_F_ABOVE_MIN) ? x > f->min : x >= f->min;
	if (isnan(x) || !low_ok || !(x <= f->max))
		return f->must != NULL ? fail_must(f, path, cause) : proto_fail(cause, path, "must be a number");
	*(double *)slot(base, f) = x;
	return 0;
}

/* Labels as an object or as their text form; kept as the text. */
static int labels_check(const struct alert_field *f, json_t *v, const char *path, void *base,
			struct proto_cause *cause)
{
	json_t *o;
	if (json_is_string(v)) {
		o = proto_labels_parse_text(json_string_value(v), (size_t)f->max, cause);
		if (o == NULL) {
			/* The text parser names "labels": name the field here instead. */
			if (cause != NULL)
				snprintf(cause->field, sizeof cause->field, "%s", path);
			return -1;
		}
	} else if (json_is_object(v)) {
		if (proto_labels_check(v, (size_t)f->max, path, cause) < 0)
			return -1;
		o = json_incref(v);
	} else {
		return proto_fail(cause, path, "must be labels: an object such as {\"period\":\"2026-11\"}, or "
				  "period=2026-11, client=ACME");
	}
	char text[4096];
	proto_labels_format(o, text, sizeof text);
	json_decref(o);
	if (strlen(text) + 1 > f->size)
		return proto_fail(cause, path, "the labels are too long (at most %zu bytes as key=value text)", f->size - 1);
	text_store(f, base, text);
	return 0;
}

/* A secret sent back masked: with mask_ok it passes as it is (*done); with
 * the previous struct's value set it stands for that value (a new reference
 * in *kept, which the caller drops). */
static json_t *secret_value(const struct alert_field *f, json_t *v, const struct alert_parse *p, bool *done,
			    json_t **kept)
{
	*done = false;
	*kept = NULL;
	if (!(f->flags & ALERT_F_SECRET) || !json_is_string(v) || strcmp(json_string_value(v), ALERT_SECRET_MASK) != 0)
		return v;
	if (p->mask_ok) {
		*done = true;
		return v;
	}
	if (p->prev == NULL || f->store != ALERT_STORE_STR)
		return v;
	const char *old = *(char *const *)cslot(p->prev, f);
	if (old == NULL || (*kept = json_string(old)) == NULL)
		return v;
	return *kept;
}

static int field_check(const struct alert_field *f, json_t *v, const char *path, void *base,
		       const struct alert_parse *p, struct proto_cause *cause)
{
	bool done;
	json_t *kept;
	v = secret_value(f, v, p, &done, &kept);
	if (done) {
		text_store(f, base, ALERT_SECRET_MASK);
		return 0;
	}
	int rc = 0;
	const char *s;
	switch (f->kind) {
	case ALERT_FIELD_CHOICE:
		rc = choice_check(f, v, path, base, cause);
		break;
	case ALERT_FIELD_INT:
	case ALERT_FIELD_NUMBER:
		rc = number_check(f, v, path, base, cause);
		break;
	case ALERT_FIELD_BOOL:
		if (!json_is_boolean(v))
			rc = proto_fail(cause, path, "must be true or false");
		else
			*(bool *)slot(base, f) = json_is_true(v);
		break;
	case ALERT_FIELD_LABELS:
		rc = labels_check(f, v, path, base, cause);
		break;
	default:
		rc = text_check(f, v, path, &s, cause);
		if (rc == 0)
			text_store(f, base, s);
		break;
	}
	json_decref(kept);
	return rc;
}

/* A default or fixed value as the JSON would give it. */
static json_t *value_from_text(const struct alert_field *f, const char *text)
{
	switch (f->kind) {
	case ALERT_FIELD_INT:
		return json_integer(strtoll(text, NULL, 10));
	case ALERT_FIELD_NUMBER:
		return json_real(strtod(text, NULL));
	case ALERT_FIELD_BOOL:
		return json_boolean(strcmp(text, "true") == 0);
	default:
		return json_string(text);
	}
}

static int field_parse(json_t *obj, const struct alert_field *f, void *base, const struct alert_parse *p,
		       struct proto_cause *cause)
{
	char path[96];
	alert_schema_path(path, sizeof path, p->prefix, f->name);
	const char *given = f->fixed;
	json_t *v = NULL;
	if (given == NULL) {
		v = json_object_get(obj, f->name);
		if (v != NULL && json_is_null(v) && (p->null_is_absent || f->kind == ALERT_FIELD_ID))
			v = NULL;
		if (v != NULL)
			return field_check(f, v, path, base, p, cause);
		if (f->flags & ALERT_F_REQUIRED) {
			if (p->missing != NULL)
				return proto_fail(cause, path, "%s", p->missing);
			return field_check(f, NULL, path, base, p, cause);
		}
		given = f->dflt;
	}
	if (given == NULL)
		return 0;
	json_t *d = value_from_text(f, given);
	int rc = field_check(f, d, path, base, p, cause);
	json_decref(d);
	return rc;
}

/* ---- lists ------------------------------------------------------------------------------------ */

int alert_schema_check_keys(json_t *obj, const struct alert_field *fields, const char *const *extra,
			    const char *prefix, struct proto_cause *cause)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		bool ok = false;
		for (const struct alert_field *f = fields; !ok && !alert_field_end(f); f++)
			ok = f->fixed == NULL && strcmp(f->name, key) == 0;
		for (const char *const *e = extra; !ok && e != NULL && *e != NULL; e++)
			ok = strcmp(*e, key) == 0;
		if (!ok) {
			char field[96];
			alert_schema_path(field, sizeof field, prefix, key);
			return proto_fail(cause, field, "unknown field (allowed: see the rule format)");
		}
	}
	return 0;
}

int alert_schema_parse(json_t *obj, const struct alert_field *fields, void *base, const struct alert_parse *p,
		       struct proto_cause *cause)
{
	for (const struct alert_field *f = fields; !alert_field_end(f); f++)
		if (field_parse(obj, f, base, p, cause) < 0)
			return -1;
	return 0;
}

static json_t *field_json_new(const struct alert_field *f, const void *base, bool with_secrets)
{
	switch (f->store) {
	case ALERT_STORE_CHARS: {
		const char *s = cslot(base, f);
		if (f->kind == ALERT_FIELD_LABELS)
			return s[0] != '\0' ? proto_labels_parse_text(s, (size_t)f->max, NULL) : NULL;
		if (s[0] != '\0')
			return json_string(s);
		return (f->flags & ALERT_F_NULL_WHEN_EMPTY) ? json_null() : NULL;
	}
	case ALERT_STORE_STR: {
		const char *s = *(char *const *)cslot(base, f);
		if (s == NULL)
			return NULL;
		return json_string((f->flags & ALERT_F_SECRET) && !with_secrets ? ALERT_SECRET_MASK : s);
	}
	case ALERT_STORE_ENUM: {
		int i = *(const int *)cslot(base, f);
		return i >= 0 && (size_t)i < f->nchoices ? json_string(f->choices[i].name) : NULL;
	}
	case ALERT_STORE_INT: {
		int i = *(const int *)cslot(base, f);
		if (i == 0 && (f->flags & ALERT_F_ZERO_ABSENT))
			return NULL;
		return json_integer(i / (f->scale > 0 ? f->scale : 1));
	}
	case ALERT_STORE_DOUBLE: {
		double d = *(const double *)cslot(base, f);
		if (d == 0 && (f->flags & ALERT_F_ZERO_ABSENT))
			return NULL;
		return json_real(d);
	}
	case ALERT_STORE_BOOL:
		return json_boolean(*(const bool *)cslot(base, f));
	}
	return NULL;
}

void alert_schema_write(json_t *obj, const struct alert_field *fields, const void *base, bool with_secrets)
{
	for (const struct alert_field *f = fields; !alert_field_end(f); f++) {
		if (f->fixed != NULL)
			continue;
		json_t *v = field_json_new(f, base, with_secrets);
		if (v != NULL)
			json_object_set_new(obj, f->name, v);
	}
}
