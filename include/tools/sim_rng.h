/* sim_rng.h: the simulator's one random stream (splitmix64). Every draw of
 * a simulation comes from it, so a seed fixes the whole event sequence.
 * Pure, header-only: the state is the caller's. */
#ifndef WFMON_SIM_RNG_H
#define WFMON_SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct sim_rng {
	uint64_t state;
};

static inline uint64_t sim_rng_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static inline uint64_t sim_rng_next(struct sim_rng *r)
{
	r->state += 0x9E3779B97F4A7C15ULL;
	return sim_rng_mix(r->state);
}

/* Uniform in [lo, hi]. */
static inline int64_t sim_rng_range(struct sim_rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	uint64_t span = (uint64_t)(hi - lo) + 1;
	return lo + (int64_t)(sim_rng_next(r) % span);
}

/* Uniform in [0, 1). */
static inline double sim_rng_unit(struct sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) / 9007199254740992.0;
}

static inline bool sim_rng_permille(struct sim_rng *r, int permille)
{
	return sim_rng_range(r, 0, 999) < permille;
}

#endif
