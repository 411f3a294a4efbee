/* jsonw.h: the compact JSON text of a jansson value, written into a growing
 * buffer: the bytes json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(p))
 * gives, without what that costs on the ingest path (a hash table and a
 * formatted pointer per object or array to find cycles, a callback per piece,
 * a copy at the end).
 *
 * Values the protocol builds hold no cycles (jansson refuses to put an object
 * into itself only by reference counting, so a cycle is a caller's bug): the
 * writer stops at JSONW_MAX_DEPTH levels instead of looking for them.
 * Pure: no I/O, no locale (a decimal comma that printf may give becomes a
 * point, as jansson does). */
#ifndef WFMON_JSONW_H
#define WFMON_JSONW_H

#include <jansson.h>
#include <stddef.h>

#define JSONW_MAX_DEPTH 64

/* Appends the compact text of v to the malloc'd buffer *buf holding *len
 * bytes in *cap (all may start as NULL/0/0; the buffer grows by doubling and
 * is kept NUL-terminated). `precision` is the significant digits of reals
 * (1..17). Returns 0, or -1 when memory ran out, a string is not valid UTF-8
 * or the value nests deeper than JSONW_MAX_DEPTH: the buffer then holds an
 * unspecified prefix (still the caller's to free). */
int jsonw_append(char **buf, size_t *len, size_t *cap, const json_t *v, int precision);

/* The text of v as a new string (the caller frees it), its length in *len
 * when len is not NULL; NULL on the errors above. */
char *jsonw_dumps(const json_t *v, int precision, size_t *len);

#endif
