/* jsonw.c: compact JSON text of jansson values (see jsonw.h).
 *
 * Invariant: after every successful append the buffer is NUL-terminated and
 * *len counts the bytes before the NUL. */
#include "jsonw.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, cap;
};

/* Room for n more bytes and the NUL. */
static int reserve(struct out *o, size_t n)
{
	if (o->len + n + 1 <= o->cap)
		return 0;
	size_t cap = o->cap ? o->cap : 1024;   /* an event and its message fit */
	while (cap < o->len + n + 1) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	char *p = realloc(o->buf, cap);
	if (p == NULL)
		return -1;
	o->buf = p;
	o->cap = cap;
	return 0;
}

static int put(struct out *o, const char *s, size_t n)
{
	if (reserve(o, n) < 0)
		return -1;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 if it is
 * not one: overlong forms, surrogates and code points past U+10FFFF are not. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need;
	uint32_t cp;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

/* Plain bytes go out in runs; only what needs it is escaped or checked. */
static int put_string(struct out *o, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	if (reserve(o, n + 2) < 0)
		return -1;
	o->buf[o->len++] = '"';
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i && put(o, str + i, run - i) < 0)
			return -1;
		i = run;
		if (i == n)
			break;
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t k = utf8_seq(s + i, n - i);
			if (k == 0 || put(o, str + i, k) < 0)
				return -1;
			i += k;
			continue;
		}
		i++;
		char esc[6] = { '\\', 0, '0', '0', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15] };
		size_t elen = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u';
			elen = 6;
			break;
		}
		if (put(o, esc, elen) < 0)
			return -1;
	}
	return put(o, "\"", 1);
}

/* jansson's spelling of a real: %.*g with a point, ".0" when it would read
 * as an integer, the exponent without '+' or leading zeros. */
static int put_real(struct out *o, double v, int precision)
{
	char b[64];
	int n = snprintf(b, sizeof b, "%.*g", precision, v);
	if (n < 0 || (size_t)n >= sizeof b - 3)
		return -1;
	char *comma = strchr(b, ',');
	if (comma != NULL)
		*comma = '.';
	if (strchr(b, '.') == NULL && strchr(b, 'e') == NULL) {
		memcpy(b + n, ".0", 3);
		n += 2;
	}
	char *e = strchr(b, 'e');
	if (e != NULL) {
		char *digits = e + 1;
		if (*digits == '-')
			digits++;
		char *from = e + 1;
		if (*from == '+' || *from == '-')
			from++;
		while (*from == '0' && from[1] != '\0')
			from++;
		/* "e+05" -> "e5", "e-05" -> "e-5" */
		size_t rest = strlen(from);
		memmove(digits, from, rest + 1);
		n = (int)(digits - b + (ptrdiff_t)rest);
	}
	return put(o, b, (size_t)n);
}

static int put_value(struct out *o, const json_t *v, int precision, int depth)
{
	char num[24];
	switch (json_typeof(v)) {
	case JSON_NULL:
		return put(o, "null", 4);
	case JSON_TRUE:
		return put(o, "true", 4);
	case JSON_FALSE:
		return put(o, "false", 5);
	case JSON_INTEGER: {
		int n = snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return put(o, num, (size_t)n);
	}
	case JSON_REAL:
		return put_real(o, json_real_value(v), precision);
	case JSON_STRING:
		return put_string(o, json_string_value(v), json_string_length(v));
	case JSON_ARRAY: {
		if (depth >= JSONW_MAX_DEPTH || put(o, "[", 1) < 0)
			return -1;
		size_t count = json_array_size(v);
		for (size_t i = 0; i < count; i++)
			if ((i > 0 && put(o, ",", 1) < 0) ||
			    put_value(o, json_array_get(v, i), precision, depth + 1) < 0)
				return -1;
		return put(o, "]", 1);
	}
	case JSON_OBJECT: {
		if (depth >= JSONW_MAX_DEPTH || put(o, "{", 1) < 0)
			return -1;
		bool first = true;
		for (void *it = json_object_iter((json_t *)v); it != NULL;
		     it = json_object_iter_next((json_t *)v, it)) {
			if ((!first && put(o, ",", 1) < 0) ||
			    put_string(o, json_object_iter_key(it), json_object_iter_key_len(it)) < 0 ||
			    put(o, ":", 1) < 0 ||
			    put_value(o, json_object_iter_value(it), precision, depth + 1) < 0)
				return -1;
			first = false;
		}
		return put(o, "}", 1);
	}
	}
	return -1;
}

int jsonw_append(char **buf, size_t *len, size_t *cap, const json_t *v, int precision)
{
	struct out o = { *buf, *len, *cap };
	int rc = v != NULL && precision >= 1 && precision <= 17 ? put_value(&o, v, precision, 0) : -1;
	*buf = o.buf;
	*len = o.len;
	*cap = o.cap;
	return rc;
}

char *jsonw_dumps(const json_t *v, int precision, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (jsonw_append(&buf, &n, &cap, v, precision) < 0) {
		free(buf);
		return NULL;
	}
	if (len != NULL)
		*len = n;
	return buf;
}
