/* labels.c: execution labels: what a key and a value may hold, an object of
 * them checked, and the text form people type (the console's filter, the
 * rule form, wfmon's --label) read and written.
 *
 * Invariants: a parsed or checked object holds only valid keys and values,
 * at most the given number; format then parse gives the same object. */
#include "proto.h"
#include "proto-internal.h"

#include <stdio.h>
#include <string.h>

#include "wsframe.h"

static bool label_key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-' || c == '/';
}

static bool label_keyn_valid(const char *s, size_t len)
{
	if (len == 0 || len > PROTO_MAX_LABEL_KEY)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!label_key_char((unsigned char)s[i]))
			return false;
	return true;
}

bool proto_label_key_valid(const char *s)
{
	return s != NULL && label_keyn_valid(s, strnlen(s, PROTO_MAX_LABEL_KEY + 1));
}

bool proto_label_value_valid(const char *s)
{
	if (s == NULL)
		return false;
	size_t len = strnlen(s, PROTO_MAX_LABEL_VALUE + 1);
	return len >= 1 && len <= PROTO_MAX_LABEL_VALUE && utf8_valid((const uint8_t *)s, len) &&
	       !proto_has_control(s, len, false);
}

int proto_labels_check(json_t *v, size_t max, const char *path, struct proto_cause *cause)
{
	if (!json_is_object(v))
		return proto_fail(cause, path, "must be an object of label: value strings");
	if (json_object_size(v) > max)
		return proto_fail(cause, path, "has %zu labels, more than the limit of %zu", json_object_size(v), max);
	const char *key;
	size_t key_len;
	json_t *val;
	json_object_keylen_foreach(v, key, key_len, val) {
		char kpath[96];
		snprintf(kpath, sizeof kpath, "%s.%.*s", path, (int)(key_len < 64 ? key_len : 64), key);
		if (!label_keyn_valid(key, key_len))
			return proto_fail(cause, kpath, "a label key must be 1 to %d characters of A-Z a-z 0-9 _ . - /",
					  PROTO_MAX_LABEL_KEY);
		if (!json_is_string(val))
			return proto_fail(cause, kpath, "a label value must be a string");
		size_t len = json_string_length(val);
		if (len == 0 || len > PROTO_MAX_LABEL_VALUE || strlen(json_string_value(val)) != len)
			return proto_fail(cause, kpath, "a label value must be 1 to %d bytes long", PROTO_MAX_LABEL_VALUE);
		if (proto_has_control(json_string_value(val), len, false))
			return proto_fail(cause, kpath, "a label value must not contain control characters");
	}
	return 0;
}

static const char *skip_spaces(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

json_t *proto_labels_parse_text(const char *text, size_t max, struct proto_cause *cause)
{
	const char *p = skip_spaces(text ? text : "");
	if (*p == '{') {
		json_error_t err;
		json_t *o = json_loads(p, JSON_REJECT_DUPLICATES, &err);
		if (o == NULL) {
			proto_fail(cause, "labels", "is not JSON: %s", err.text);
			return NULL;
		}
		if (proto_labels_check(o, max, "labels", cause) < 0) {
			json_decref(o);
			return NULL;
		}
		return o;
	}
	json_t *o = json_object();
	while (*p != '\0') {
		char key[PROTO_MAX_LABEL_KEY + 1], value[PROTO_MAX_LABEL_VALUE + 1];
		size_t k = 0, v = 0;
		while (*p != '\0' && *p != '=' && *p != ',' && *p != ' ' && *p != '\t') {
			if (k == PROTO_MAX_LABEL_KEY)
				goto bad_key;
			key[k++] = *p++;
		}
		key[k] = '\0';
		p = skip_spaces(p);
		if (*p != '=') {
			proto_fail(cause, "labels", "write labels as key=value, separated by commas: '%.32s' has no '='",
				   key[0] ? key : p);
			goto fail;
		}
		if (!proto_label_key_valid(key))
			goto bad_key;
		p = skip_spaces(p + 1);
		if (*p == '"') {
			p++;
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				if (v == PROTO_MAX_LABEL_VALUE)
					goto bad_value;
				value[v++] = *p++;
			}
			if (*p != '"') {
				proto_fail(cause, "labels", "the value of %s has no closing quote", key);
				goto fail;
			}
			p++;
		} else {
			while (*p != '\0' && *p != ',') {
				if (v == PROTO_MAX_LABEL_VALUE)
					goto bad_value;
				value[v++] = *p++;
			}
			while (v > 0 && (value[v - 1] == ' ' || value[v - 1] == '\t'))
				v--;
		}
		value[v] = '\0';
		if (!proto_label_value_valid(value))
			goto bad_value;
		if (json_object_get(o, key) == NULL && json_object_size(o) >= max) {
			proto_fail(cause, "labels", "at most %zu labels", max);
			goto fail;
		}
		json_object_set_new(o, key, json_string(value));
		p = skip_spaces(p);
		if (*p == ',')
			p = skip_spaces(p + 1);
		else if (*p != '\0') {
			proto_fail(cause, "labels", "expected a comma after the value of %s", key);
			goto fail;
		}
	}
	return o;
bad_key:
	proto_fail(cause, "labels", "a label key must be 1 to %d characters of A-Z a-z 0-9 _ . - /", PROTO_MAX_LABEL_KEY);
	goto fail;
bad_value:
	proto_fail(cause, "labels", "a label value must be 1 to %d bytes of text without control characters",
		   PROTO_MAX_LABEL_VALUE);
fail:
	json_decref(o);
	return NULL;
}

void proto_labels_format(json_t *labels, char *buf, size_t len)
{
	size_t o = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	const char *key;
	json_t *v;
	json_object_foreach(labels, key, v) {
		const char *s = json_string_value(v);
		if (s == NULL)
			continue;
		size_t sl = strlen(s);
		bool quote = sl == 0 || strpbrk(s, ",\"\\") != NULL || s[0] == ' ' || s[0] == '\t' || s[sl - 1] == ' ' ||
			     s[sl - 1] == '\t';
		char val[2 * PROTO_MAX_LABEL_VALUE + 3];
		size_t w = 0;
		if (quote)
			val[w++] = '"';
		for (size_t i = 0; i < sl && w + 3 < sizeof val; i++) {
			if (quote && (s[i] == '"' || s[i] == '\\'))
				val[w++] = '\\';
			val[w++] = s[i];
		}
		if (quote)
			val[w++] = '"';
		val[w] = '\0';
		int n = snprintf(buf + o, len - o, "%s%s=%s", o ? ", " : "", key, val);
		if (n < 0 || (size_t)n >= len - o) {
			buf[o] = '\0';   /* what does not fit is left out whole */
			return;
		}
		o += (size_t)n;
	}
}
