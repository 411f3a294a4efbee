/* pgarray.h: PostgreSQL array literals ("{...}") built in memory, so that a
 * statement can take many values as one parameter (unnest($1::text[], ...)).
 * Internal to src/store.
 *
 * Every element is quoted (text) or plain (numbers, NULL); text has " and \
 * escaped, bytea goes as "\\x<hex>". Ownership: the builder owns its buffer
 * until pgarray_free. */
#ifndef WFMON_PGARRAY_H
#define WFMON_PGARRAY_H

#include <stddef.h>
#include <stdint.h>

struct pgarray {
	char *buf;
	size_t len, cap;
	size_t n;            /* elements so far */
	int done;            /* pgarray_finish was called */
};

void pgarray_init(struct pgarray *a);
void pgarray_free(struct pgarray *a);
void pgarray_text(struct pgarray *a, const char *s);
void pgarray_int(struct pgarray *a, int64_t v);
void pgarray_null(struct pgarray *a);
void pgarray_bytea(struct pgarray *a, const uint8_t *p, size_t n);
/* A time (ms since the epoch) as an RFC 3339 element of a timestamptz[]:
 * compared with a column as it is, the planner can use an index on it
 * (an expression such as epoch + ms * interval hides it). */
void pgarray_time(struct pgarray *a, int64_t ms);
/* Closes the literal; returns it (owned by the builder). */
const char *pgarray_finish(struct pgarray *a);
/* A text[] literal of n strings, as a new string. */
char *pgarray_text_literal_new(const char *const *s, size_t n);

#endif
