/* hash.c: SipHash-2-4 (Aumasson and Bernstein, 2012) and the process's
 * random key (see hash.h).
 *
 * Invariant: the key is drawn once, before the first hash64 returns, and
 * never changes: a table's stored hashes stay valid for the process's life.
 * Hashes are never stored outside the process. */
#include "hash.h"

#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint8_t process_key[16];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void key_draw(void)
{
	size_t got = 0;
	while (got < sizeof process_key) {
		ssize_t n = getrandom(process_key + got, sizeof process_key - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof process_key) {
		/* No getrandom (a very old kernel): still different every run. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t mix[2] = { (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32), (uint64_t)ts.tv_sec };
		memcpy(process_key, mix, sizeof process_key);
	}
}

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#define SIPROUND                                                            \
	do {                                                                \
		v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);   \
		v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                      \
		v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                      \
		v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);   \
	} while (0)

uint64_t hash_siphash24(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	size_t whole = len - len % 8;
	for (size_t i = 0; i < whole; i += 8) {
		uint64_t m = load64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < len % 8; i++)
		b |= (uint64_t)in[whole + i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t hash64(const void *data, size_t len)
{
	pthread_once(&key_once, key_draw);
	return hash_siphash24(process_key, data, len);
}
