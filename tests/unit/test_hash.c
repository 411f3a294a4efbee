/* test_hash.c: SipHash-2-4 against the reference vectors, the process key
 * (random, the same for the whole run), and keys crafted against an
 * unseeded hash not crowding one bucket of a strmap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "strmap.h"

/* From the SipHash paper's reference code: key 00..0f, message 00..(n-1). */
static void test_reference_vectors(void **state)
{
	(void)state;
	static const uint64_t want[] = {
		0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL,
		0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL,
		0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL, 0x93f5f5799a932462ULL,
		0x9e0082df0ba9e4b0ULL,
	};
	uint8_t key[16], msg[16];
	for (int i = 0; i < 16; i++)
		key[i] = msg[i] = (uint8_t)i;
	for (size_t n = 0; n < sizeof want / sizeof want[0]; n++)
		assert_true(hash_siphash24(key, msg, n) == want[n]);
}

static void test_process_key_is_random_and_stable(void **state)
{
	(void)state;
	uint8_t zero[16] = { 0 };
	const char *id = "ev-000001";
	uint64_t h = hash64(id, strlen(id));
	assert_true(h == hash64(id, strlen(id)));
	/* Not the hash under an all-zero key: a key was drawn (a chance of
	 * 2^-64 of a false failure). */
	assert_true(h != hash_siphash24(zero, id, strlen(id)));
}

/* The unseeded hash strmap used before: 64-bit FNV-1a, high bits folded. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	return h ^ (h >> 29);
}

/* Ids an attacker picks so that an unseeded hash puts them all in bucket 0
 * of a table of 2^13 buckets: they spread under the seeded hash. */
static void test_crafted_keys_spread(void **state)
{
	(void)state;
	enum { N = 2000, BITS = 13 };
	char (*ids)[32] = calloc(N, sizeof *ids);
	int found = 0;
	for (uint64_t i = 0; found < N; i++) {
		char id[32];
		snprintf(id, sizeof id, "ev-%llu", (unsigned long long)i);
		if ((fnv1a(id) & ((1u << BITS) - 1)) == 0)
			snprintf(ids[found++], sizeof ids[0], "%s", id);
	}
	struct strmap m;
	strmap_init(&m);
	for (int i = 0; i < N; i++)
		strmap_put(&m, ids[i], ids[i]);
	size_t longest = 0;
	for (size_t b = 0; b < m.nbuckets; b++) {
		size_t n = 0;
		for (struct strmap_entry *e = m.buckets[b]; e; e = e->next)
			n++;
		if (n > longest)
			longest = n;
	}
	/* 2000 keys in 2048 buckets: chains of a handful, not 2000. */
	assert_true(longest < 12);
	strmap_clear(&m);
	free(ids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_process_key_is_random_and_stable),
		cmocka_unit_test(test_crafted_keys_spread),
	};
	return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
