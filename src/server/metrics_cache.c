/* metrics_cache.c: recent metrics answers (see metrics_cache.h).
 *
 * Invariants: at most METRICS_CACHE_ENTRIES entries, each owning its key and
 * a reference to its answer; a put for a key present replaces its answer. */
#include "metrics_cache.h"

#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "xalloc.h"

struct entry {
	char *key;
	json_t *result;
	int64_t at_ms;
};

struct metrics_cache {
	struct entry e[METRICS_CACHE_ENTRIES];
	size_t n;
};

struct metrics_cache *metrics_cache_new(void)
{
	return xcalloc(1, sizeof(struct metrics_cache));
}

void metrics_cache_free(struct metrics_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].key);
		json_decref(c->e[i].result);
	}
	free(c);
}

char *metrics_cache_key_new(const char *org, json_t *params)
{
	if (json_integer_value(json_object_get(params, "max_age_s")) <= 0)
		return NULL;
	json_t *q = json_deep_copy(params);
	json_object_del(q, "max_age_s");
	char *text = json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(q);
	if (text == NULL)
		return NULL;
	size_t lo = strlen(org), lt = strlen(text);
	char *key = xmalloc(lo + lt + 2);
	memcpy(key, org, lo);
	key[lo] = '\n';
	memcpy(key + lo + 1, text, lt + 1);
	free(text);
	return key;
}

static struct entry *find(struct metrics_cache *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].key, key) == 0)
			return &c->e[i];
	return NULL;
}

json_t *metrics_cache_get(struct metrics_cache *c, const char *key, int max_age_s, int64_t now_ms)
{
	if (max_age_s > METRICS_MAX_AGE_S)
		max_age_s = METRICS_MAX_AGE_S;
	struct entry *e = key ? find(c, key) : NULL;
	if (e == NULL || now_ms - e->at_ms > (int64_t)max_age_s * 1000 || now_ms < e->at_ms)
		return NULL;
	return e->result;
}

void metrics_cache_put(struct metrics_cache *c, const char *key, json_t *result, int64_t now_ms)
{
	struct entry *e = find(c, key);
	if (e == NULL && c->n < METRICS_CACHE_ENTRIES) {
		e = &c->e[c->n++];
		e->key = xstrdup(key);
	} else if (e == NULL) {
		e = &c->e[0];
		for (size_t i = 1; i < c->n; i++)
			if (c->e[i].at_ms < e->at_ms)
				e = &c->e[i];
		free(e->key);
		e->key = xstrdup(key);
	}
	json_decref(e->result);
	e->result = json_incref(result);
	e->at_ms = now_ms;
}
