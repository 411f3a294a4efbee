/* jfield.h: reading and writing one member of a JSON object, for the
 * protocol's typed messages (alert records, queue numbers, resource samples,
 * step statistics). Private to src/proto (jfield.c).
 *
 * Readers: each reads obj's member key and checks its type and bounds. A
 * member that is absent or null is "none": a required one is refused, any
 * other leaves *out as the caller set it (its default). A refusal names the
 * member as "prefix.key" (or "key" when prefix is empty) and says what it
 * must be; *out is then untouched. */
#ifndef WFMON_JFIELD_H
#define WFMON_JFIELD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* The member itself (NULL when absent or null). */
json_t *jfield_get(json_t *obj, const char *key);
/* The error path of a member: "prefix.key". */
void jfield_path(char *dst, size_t len, const char *prefix, const char *key);

int jfield_int(json_t *obj, const char *prefix, const char *key, bool required, int64_t min, int64_t max,
	       int64_t *out, struct proto_cause *cause);
/* Integers count as numbers. */
int jfield_number(json_t *obj, const char *prefix, const char *key, bool required, double min, double max,
		  double *out, struct proto_cause *cause);
int jfield_bool(json_t *obj, const char *prefix, const char *key, bool required, bool *out,
		struct proto_cause *cause);
/* A string of at most size - 1 bytes, no NUL inside, copied into out. */
int jfield_chars(json_t *obj, const char *prefix, const char *key, bool required, char *out, size_t size,
		 struct proto_cause *cause);
/* An id (proto_id_valid) or "" (none), into out[PROTO_MAX_ID + 1]. */
int jfield_id(json_t *obj, const char *prefix, const char *key, bool required, char *out,
	      struct proto_cause *cause);
/* A string of at most max bytes as a new heap copy in *out (which the caller
 * frees; NULL when none). */
int jfield_text(json_t *obj, const char *prefix, const char *key, bool required, size_t max, char **out,
		struct proto_cause *cause);
/* An RFC 3339 time, in ms. */
int jfield_time(json_t *obj, const char *prefix, const char *key, bool required, int64_t *ms,
		struct proto_cause *cause);
/* The index of the member's name among names[0..n). */
int jfield_choice(json_t *obj, const char *prefix, const char *key, bool required, const char *const *names,
		  size_t n, int *out, struct proto_cause *cause);

/* Writers. */
void jfield_put_time(json_t *obj, const char *key, int64_t ms);          /* null when ms <= 0 */
void jfield_put_str(json_t *obj, const char *key, const char *s);        /* null when NULL or "" */
void jfield_put_ms(json_t *obj, const char *key, int64_t ms);            /* null when ms < 0 */

#endif
