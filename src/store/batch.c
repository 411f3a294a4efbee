/* batch.c: spool records into the typed columns of wfmon_store_events (see
 * batch.h).
 *
 * The records are the daemon's own compact JSON, validated when accepted, so
 * they are not parsed into trees: a scanner walks the members of the record
 * and of its event, keeping the span of each value it needs and skipping the
 * rest (strings with their escapes, nested objects and arrays). The scanner
 * checks structure only; PostgreSQL validates each body (json_in) and each
 * typed value. A string with an escape in it (never an id: ids are plain)
 * is decoded by jansson, so that a column holds what ->> would give.
 *
 * Arrays in binary form: int32 dimensions (1), int32 has-nulls, element type
 * oid, int32 length, int32 lower bound (1), then each element as int32 length
 * (-1: NULL) and its bytes (bigint: 8 bytes, big-endian). The header's 20
 * bytes are reserved at init and written at finish.
 *
 * Invariant: every column has exactly n elements. */
#include "batch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define OID_INT8 20
#define OID_TEXT 25
#define OID_INT8_ARRAY 1016
#define OID_TEXT_ARRAY 1009
#define ARRAY_HEADER 20

/* A value's text: [p, p + n). */
struct span {
	const char *p;
	size_t n;
};

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at a '"': past the closing quote, or NULL. *escaped says a '\' was seen. */
static const char *skip_string(const char *p, const char *end, bool *escaped)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			*escaped = true;
			p++;
		}
	}
	return NULL;
}

/* p at a value: past it, or NULL. */
static const char *skip_value(const char *p, const char *end)
{
	bool esc = false;
	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end, &esc);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		while (p < end) {
			if (*p == '"') {
				p = skip_string(p, end, &esc);
				if (p == NULL)
					return NULL;
				continue;
			}
			if (*p == '{' || *p == '[')
				depth++;
			else if ((*p == '}' || *p == ']') && --depth == 0)
				return p + 1;
			p++;
		}
		return NULL;
	}
	const char *start = p;
	while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\t' &&
	       *p != '\r')
		p++;
	return p > start ? p : NULL;
}

/* Walks the members of the object at [p, end): for each of the nkeys keys,
 * the span of its value goes to vals[i] (the last one if repeated; left as
 * it was if absent). Returns 0, or -1 when the text is not an object. */
static int scan_object(const char *p, const char *end, const char *const *keys, size_t nkeys,
		       struct span *vals)
{
	p = skip_ws(p, end);
	if (p >= end || *p != '{')
		return -1;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return 0;
	for (;;) {
		bool esc = false;
		if (p >= end || *p != '"')
			return -1;
		const char *key = p + 1, *q = skip_string(p, end, &esc);
		if (q == NULL)
			return -1;
		size_t klen = (size_t)(q - 1 - key);
		p = skip_ws(q, end);
		if (p >= end || *p != ':')
			return -1;
		p = skip_ws(p + 1, end);
		const char *v = p;
		p = skip_value(p, end);
		if (p == NULL)
			return -1;
		for (size_t i = 0; i < nkeys && !esc; i++)
			if (strlen(keys[i]) == klen && memcmp(keys[i], key, klen) == 0)
				vals[i] = (struct span){v, (size_t)(p - v)};
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p = skip_ws(p + 1, end);
			continue;
		}
		return p < end && *p == '}' ? 0 : -1;
	}
}

static void array_put(struct batch_array *a, const void *p, size_t n)
{
	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap : 1024;
		while (cap < a->len + n)
			cap *= 2;
		a->buf = xrealloc(a->buf, cap);
		a->cap = cap;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void array_u32(struct batch_array *a, uint32_t v)
{
	v = htonl(v);
	array_put(a, &v, 4);
}

static void array_null(struct batch_array *a)
{
	array_u32(a, 0xffffffffu);
	a->has_null = true;
}

static void array_text(struct batch_array *a, const char *s, size_t n)
{
	array_u32(a, (uint32_t)n);
	array_put(a, s, n);
}

static void array_int8(struct batch_array *a, int64_t v)
{
	uint64_t u = (uint64_t)v;
	array_u32(a, 8);
	array_u32(a, (uint32_t)(u >> 32));
	array_u32(a, (uint32_t)u);
}

static bool column_is_int8(int c)
{
	return c == BATCH_POS || c == BATCH_AT || c == BATCH_IN || c == BATCH_OUT;
}

void batch_init(struct batch *b)
{
	memset(b, 0, sizeof *b);
	for (int i = 0; i < BATCH__COUNT; i++) {
		static const char zero[ARRAY_HEADER];
		array_put(&b->col[i], zero, ARRAY_HEADER);
	}
}

void batch_free(struct batch *b)
{
	for (int i = 0; i < BATCH__COUNT; i++)
		free(b->col[i].buf);
	memset(b, 0, sizeof *b);
}

void batch_finish(struct batch *b, struct batch_params *out)
{
	for (int i = 0; i < BATCH__COUNT; i++) {
		struct batch_array *a = &b->col[i];
		uint32_t h[5] = {htonl(1), htonl(a->has_null), htonl(column_is_int8(i) ? OID_INT8 : OID_TEXT),
				 htonl((uint32_t)b->n), htonl(1)};
		memcpy(a->buf, h, sizeof h);
		out->values[i] = a->buf;
		out->lengths[i] = (int)a->len;
		out->types[i] = column_is_int8(i) ? OID_INT8_ARRAY : OID_TEXT_ARRAY;
	}
}

/* What ->> gives for a value: NULL (null or absent), a span of the text
 * (a string without escapes, or any other value as it is), or a decoded
 * string (owned). */
struct member {
	struct span text;   /* p NULL: SQL NULL */
	json_t *decoded;
};

/* 0, or -1 when an escaped string does not decode. */
static int member_read(struct member *m, struct span v)
{
	m->decoded = NULL;
	m->text = (struct span){NULL, 0};
	if (v.p == NULL || (v.n == 4 && memcmp(v.p, "null", 4) == 0))
		return 0;
	if (v.p[0] != '"') {
		m->text = v;
		return 0;
	}
	if (memchr(v.p, '\\', v.n) == NULL) {
		m->text = (struct span){v.p + 1, v.n - 2};
		return 0;
	}
	m->decoded = json_loadb(v.p, v.n, JSON_DECODE_ANY, NULL);
	if (!json_is_string(m->decoded)) {
		json_decref(m->decoded);
		m->decoded = NULL;
		return -1;
	}
	m->text = (struct span){json_string_value(m->decoded), json_string_length(m->decoded)};
	return 0;
}

static void member_put(struct batch_array *a, const struct member *m)
{
	if (m->text.p == NULL)
		array_null(a);
	else
		array_text(a, m->text.p, m->text.n);
}

/* A member of an integer column: NULL, or an integer written in full. */
static int member_int8(const struct member *m, bool *null, int64_t *v)
{
	*null = m->text.p == NULL;
	if (*null)
		return 0;
	char num[24];
	if (m->decoded != NULL || m->text.n == 0 || m->text.n >= sizeof num)
		return -1;
	memcpy(num, m->text.p, m->text.n);
	num[m->text.n] = '\0';
	char *end;
	errno = 0;
	*v = strtoll(num, &end, 10);
	return errno == 0 && *end == '\0' && (num[0] == '-' || (num[0] >= '0' && num[0] <= '9')) ? 0 : -1;
}

enum { REC_POS, REC_AT, REC_IN, REC_OUT, REC_EVENT, REC__COUNT };
static const char *const rec_keys[REC__COUNT] = {"pos", "at", "in_size", "out_size", "event"};
static const enum batch_column rec_cols[REC_EVENT] = {BATCH_POS, BATCH_AT, BATCH_IN, BATCH_OUT};

#define EV__COUNT_COLS 6
static const char *const ev_keys[EV__COUNT_COLS] = {"id", "execution_id", "workflow_id", "type", "step_id", "ts"};
static const enum batch_column ev_cols[EV__COUNT_COLS] = {BATCH_ID, BATCH_EXEC, BATCH_WF, BATCH_KIND,
							   BATCH_STEP, BATCH_TS};

int batch_add(struct batch *b, const char *payload, size_t len, int64_t *pos, char *err, size_t errlen)
{
	struct span r[REC__COUNT] = {{0}}, e[EV__COUNT_COLS] = {{0}};
	*pos = 0;
	if (scan_object(payload, payload + len, rec_keys, REC__COUNT, r) != 0) {
		snprintf(err, errlen, "the record is not a JSON object");
		return -1;
	}
	if (r[REC_POS].p != NULL)
		*pos = strtoll(r[REC_POS].p, NULL, 10);   /* for the log only */
	const struct span ev = r[REC_EVENT];
	if (ev.p == NULL || scan_object(ev.p, ev.p + ev.n, ev_keys, EV__COUNT_COLS, e) != 0) {
		snprintf(err, errlen, "the record has no event object");
		return -1;
	}
	struct member m[REC_EVENT + EV__COUNT_COLS];
	size_t nm = 0;
	int rc = 0;
	for (int i = 0; i < REC_EVENT && rc == 0; i++, nm++)
		rc = member_read(&m[nm], r[i]);
	for (int i = 0; i < EV__COUNT_COLS && rc == 0; i++, nm++)
		rc = member_read(&m[nm], e[i]);
	if (rc != 0)
		snprintf(err, errlen, "a string of the record does not decode");
	bool null[REC_EVENT];
	int64_t num[REC_EVENT];
	for (int i = 0; i < REC_EVENT && rc == 0; i++)
		if (member_int8(&m[i], &null[i], &num[i]) != 0) {
			snprintf(err, errlen, "the record's %s is not an integer", rec_keys[i]);
			rc = -1;
		}
	if (rc == 0) {
		for (int i = 0; i < REC_EVENT; i++) {
			if (null[i])
				array_null(&b->col[rec_cols[i]]);
			else
				array_int8(&b->col[rec_cols[i]], num[i]);
		}
		for (int i = 0; i < EV__COUNT_COLS; i++)
			member_put(&b->col[ev_cols[i]], &m[REC_EVENT + i]);
		array_text(&b->col[BATCH_BODY], ev.p, ev.n);
		b->n++;
	}
	for (size_t i = 0; i < nm; i++)
		json_decref(m[i].decoded);
	return rc;
}
