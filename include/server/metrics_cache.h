/* metrics_cache.h: recent metrics answers, shared by every client of an
 * organization that asks the same question and accepts an answer of some
 * age (the query's max_age_s: dashboards refreshing every 5 s), so that a
 * hundred consoles on the same dashboard cost PostgreSQL one query per
 * refresh, not a hundred.
 *
 * Keyed by organization and the normalized params without max_age_s; at
 * most METRICS_CACHE_ENTRIES answers, the oldest replaced first; answers
 * older than METRICS_MAX_AGE_S are never served. Loop thread only. */
#ifndef WFMON_METRICS_CACHE_H
#define WFMON_METRICS_CACHE_H

#include <jansson.h>
#include <stdint.h>

#define METRICS_CACHE_ENTRIES 64

struct metrics_cache;

struct metrics_cache *metrics_cache_new(void);
void metrics_cache_free(struct metrics_cache *c);
/* The cache key of a question: a new string (org, then the params without
 * max_age_s, canonical), or NULL when the params accept no aged answer. */
char *metrics_cache_key_new(const char *org, json_t *params);
/* An answer to key no older than max_age_s at now_ms (borrowed), or NULL. */
json_t *metrics_cache_get(struct metrics_cache *c, const char *key, int max_age_s, int64_t now_ms);
/* Keeps the answer (referenced) under key (copied). */
void metrics_cache_put(struct metrics_cache *c, const char *key, json_t *result, int64_t now_ms);

#endif
