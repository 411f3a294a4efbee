/* strmap.h: a hash map from NUL-terminated string keys to borrowed pointers.
 *
 * Keys are hashed with hash64 (hash.h), seeded per process: keys a client
 * chooses cannot be crafted to fall into one bucket.
 *
 * The map owns copies of its keys, never its values. Iteration order is
 * unspecified; removing the current entry during strmap_each is not allowed
 * (collect, then remove). */
#ifndef WFMON_STRMAP_H
#define WFMON_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_entry {
	struct strmap_entry *next;
	uint64_t hash;
	void *value;
	char key[];
};

struct strmap {
	struct strmap_entry **buckets;
	size_t nbuckets;   /* a power of two */
	size_t count;
};

void strmap_init(struct strmap *m);
/* Frees the keys and the table, not the values. */
void strmap_clear(struct strmap *m);
void *strmap_get(const struct strmap *m, const char *key);
/* Sets key to value, replacing any old value (which is returned, or NULL). */
void *strmap_put(struct strmap *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *strmap_remove(struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);
/* The key of a numeric id (connection ids, tickets): its decimal digits. */
#define STRMAP_ID_KEY_LEN 24
void strmap_id_key(uint64_t id, char key[STRMAP_ID_KEY_LEN]);
/* Calls fn for every entry. */
void strmap_each(const struct strmap *m, void (*fn)(const char *key, void *value, void *arg),
		 void *arg);

#endif
