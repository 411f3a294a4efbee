/* strmap.c: chained hash map with string keys (see strmap.h).
 *
 * Invariant: nbuckets is 0 or a power of two, and count <= nbuckets after
 * every insertion (the table doubles when it would pass a load of 1). */
#include "strmap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "xalloc.h"

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof *m);
}

void strmap_clear(struct strmap *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct strmap_entry *e = m->buckets[i];
		while (e != NULL) {
			struct strmap_entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(m->buckets);
	strmap_init(m);
}

static struct strmap_entry **strmap_slot(const struct strmap *m, const char *key, uint64_t h)
{
	struct strmap_entry **pp = &m->buckets[h & (m->nbuckets - 1)];
	while (*pp != NULL && ((*pp)->hash != h || strcmp((*pp)->key, key) != 0))
		pp = &(*pp)->next;
	return pp;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	if (m->count == 0)
		return NULL;
	struct strmap_entry **pp = strmap_slot(m, key, hash64(key, strlen(key)));
	return *pp ? (*pp)->value : NULL;
}

static void strmap_grow(struct strmap *m)
{
	size_t n = m->nbuckets ? m->nbuckets * 2 : 16;
	struct strmap_entry **b = xcalloc(n, sizeof *b);
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct strmap_entry *e = m->buckets[i];
		while (e != NULL) {
			struct strmap_entry *next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

void *strmap_put(struct strmap *m, const char *key, void *value)
{
	size_t klen = strlen(key);
	uint64_t h = hash64(key, klen);
	if (m->nbuckets == 0 || m->count + 1 > m->nbuckets)
		strmap_grow(m);
	struct strmap_entry **pp = strmap_slot(m, key, h);
	if (*pp != NULL) {
		void *old = (*pp)->value;
		(*pp)->value = value;
		return old;
	}
	struct strmap_entry *e = xmalloc(sizeof *e + klen + 1);
	e->next = NULL;
	e->hash = h;
	e->value = value;
	memcpy(e->key, key, klen + 1);
	*pp = e;
	m->count++;
	return NULL;
}

void *strmap_remove(struct strmap *m, const char *key)
{
	if (m->count == 0)
		return NULL;
	struct strmap_entry **pp = strmap_slot(m, key, hash64(key, strlen(key)));
	struct strmap_entry *e = *pp;
	if (e == NULL)
		return NULL;
	void *value = e->value;
	*pp = e->next;
	free(e);
	m->count--;
	return value;
}

size_t strmap_count(const struct strmap *m)
{
	return m->count;
}

void strmap_each(const struct strmap *m, void (*fn)(const char *key, void *value, void *arg),
		 void *arg)
{
	for (size_t i = 0; i < m->nbuckets; i++)
		for (struct strmap_entry *e = m->buckets[i]; e != NULL; e = e->next)
			fn(e->key, e->value, arg);
}

void strmap_id_key(uint64_t id, char key[STRMAP_ID_KEY_LEN])
{
	snprintf(key, STRMAP_ID_KEY_LEN, "%" PRIu64, id);
}
