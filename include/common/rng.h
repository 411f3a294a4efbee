/* rng.h: the project's one small random stream (splitmix64): the
 * simulator's draws (a seed fixes its whole event sequence), the jitter of
 * reconnection and notification backoffs, generated history. Fast and
 * seedable, never for secrets (getrandom for those). Pure, header-only: the
 * state is the caller's; any seed, zero included, gives a full-period
 * stream. */
#ifndef WFMON_RNG_H
#define WFMON_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t state;
};

static inline uint64_t rng_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static inline uint64_t rng_next(struct rng *r)
{
	r->state += 0x9E3779B97F4A7C15ULL;
	return rng_mix(r->state);
}

/* Uniform in [lo, hi]. */
static inline int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	uint64_t span = (uint64_t)(hi - lo) + 1;
	return lo + (int64_t)(rng_next(r) % span);
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
	return (double)(rng_next(r) >> 11) / 9007199254740992.0;
}

static inline bool rng_permille(struct rng *r, int permille)
{
	return rng_range(r, 0, 999) < permille;
}

#endif
