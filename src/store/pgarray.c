/* pgarray.c: PostgreSQL array literals (see pgarray.h).
 *
 * Invariant: buf always holds "{" and the elements so far, NUL-terminated;
 * after pgarray_finish it also holds the closing "}". */
#include "pgarray.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xalloc.h"

static void reserve(struct pgarray *a, size_t more)
{
	if (a->len + more + 1 <= a->cap)
		return;
	size_t cap = a->cap ? a->cap : 256;
	while (cap < a->len + more + 1)
		cap *= 2;
	a->buf = xrealloc(a->buf, cap);
	a->cap = cap;
}

static void put(struct pgarray *a, const char *s, size_t n)
{
	reserve(a, n);
	memcpy(a->buf + a->len, s, n);
	a->len += n;
	a->buf[a->len] = '\0';
}

void pgarray_init(struct pgarray *a)
{
	memset(a, 0, sizeof *a);
	put(a, "{", 1);
}

void pgarray_free(struct pgarray *a)
{
	free(a->buf);
	memset(a, 0, sizeof *a);
}

static void sep(struct pgarray *a)
{
	if (a->n++ > 0)
		put(a, ",", 1);
}

void pgarray_text(struct pgarray *a, const char *s)
{
	sep(a);
	size_t n = strlen(s);
	reserve(a, 2 * n + 2);
	a->buf[a->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			a->buf[a->len++] = '\\';
		a->buf[a->len++] = s[i];
	}
	a->buf[a->len++] = '"';
	a->buf[a->len] = '\0';
}

void pgarray_int(struct pgarray *a, int64_t v)
{
	sep(a);
	char b[24];
	int n = snprintf(b, sizeof b, "%" PRId64, v);
	put(a, b, (size_t)n);
}

void pgarray_null(struct pgarray *a)
{
	sep(a);
	put(a, "NULL", 4);
}

void pgarray_bytea(struct pgarray *a, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sep(a);
	reserve(a, 2 * n + 6);
	/* "\\x..." : the array parser turns \\ into \, bytea reads \x as hex. */
	memcpy(a->buf + a->len, "\"\\\\x", 4);
	a->len += 4;
	for (size_t i = 0; i < n; i++) {
		a->buf[a->len++] = hex[p[i] >> 4];
		a->buf[a->len++] = hex[p[i] & 15];
	}
	a->buf[a->len++] = '"';
	a->buf[a->len] = '\0';
}

void pgarray_time(struct pgarray *a, int64_t ms)
{
	char buf[40];
	proto_time_format(ms, buf, sizeof buf);
	pgarray_text(a, buf);
}

const char *pgarray_finish(struct pgarray *a)
{
	if (!a->done)
		put(a, "}", 1);
	a->done = 1;
	return a->buf;
}

char *pgarray_text_literal_new(const char *const *s, size_t n)
{
	struct pgarray a;
	pgarray_init(&a);
	for (size_t i = 0; i < n; i++)
		pgarray_text(&a, s[i]);
	pgarray_finish(&a);
	return a.buf;   /* the builder's buffer, handed over */
}
