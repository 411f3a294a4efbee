/* hist.h: durations in milliseconds as a mergeable histogram with at most 1 %
 * relative error, the one way wfmon turns many durations into percentiles
 * (rollups in the store, answers of the metrics query, sub-hour trends).
 *
 * Buckets are fixed and the same everywhere: bucket 0 holds 0 ms, and each
 * next bucket starts at lower + max(1, ceil(lower / 100)), so every
 * millisecond below 100 has its own bucket and above that a bucket is never
 * wider than 1 % of its lower bound (log-spaced). A bucket keeps how many
 * durations fell in it and their sum, so merging two histograms is adding
 * bucket by bucket (associative and commutative), and a percentile reports
 * the mean of the durations in the bucket that holds its rank: within the
 * bucket, so within 1 % of the exact value, and exact when that bucket holds
 * one distinct duration. The exact minimum and maximum are kept too, and a
 * percentile never falls outside them.
 *
 * Percentiles use the nearest-rank method (SQL's percentile_disc): the p-th
 * percentile of n durations is the one at rank ceil(p * n) in ascending order.
 *
 * Storage: hist_encode writes a compact byte string (varints) that
 * hist_decode reads back and checks, refusing anything malformed.
 *
 * Pure: no I/O. Ownership: a struct hist owns its bins; hist_free releases them. */
#ifndef WFMON_HIST_H
#define WFMON_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Durations are clamped to [0, HIST_MAX_MS] (about 35 years). */
#define HIST_MAX_MS ((int64_t)1 << 40)
/* Worst-case size of an encoding: the caller may size buffers with it. */
#define HIST_ENCODED_MAX(nbins) (1 + 10 + 10 + 10 + (size_t)(nbins) * (5 + 10 + 10))

struct hist_bin {
	uint32_t idx;        /* bucket number */
	uint64_t count;      /* durations in the bucket, > 0 */
	uint64_t excess;     /* their sum minus count * the bucket's lower bound */
};

struct hist {
	struct hist_bin *bins;   /* sorted by idx, no empty bins */
	uint32_t n, cap;
	uint64_t count;          /* durations in all bins */
	int64_t min_ms, max_ms;  /* exact; meaningless while count is 0 */
};

void hist_init(struct hist *h);
void hist_free(struct hist *h);
/* Empties h, keeping its memory. */
void hist_clear(struct hist *h);

/* The number of buckets, the bucket of a duration, and a bucket's bounds
 * ([lower, upper) in ms). */
uint32_t hist_bucket_count(void);
uint32_t hist_bucket_of(int64_t ms);
int64_t hist_bucket_lower(uint32_t idx);
int64_t hist_bucket_upper(uint32_t idx);

/* Adds one duration (clamped to [0, HIST_MAX_MS]). */
void hist_add(struct hist *h, int64_t ms);
/* Takes back one duration added before (clamped the same way), so a fact
 * found later not to count can leave a stored histogram: its bucket loses
 * one duration and that duration's excess. Returns 0, or -1 when no
 * duration of that bucket is there (h is then unchanged). When the removed
 * duration was the minimum or the maximum, the new one is exact if the
 * extreme bucket now holds one duration, else it is the nearer bound of
 * that bucket (within the histogram's 1 %). */
int hist_remove(struct hist *h, int64_t ms);
/* dst += src. */
void hist_merge(struct hist *dst, const struct hist *src);

/* The sum of every duration (exact). */
uint64_t hist_sum(const struct hist *h);
/* The nearest-rank percentile for p in ten-thousandths (5000 = p50, 9500 =
 * p95, 9900 = p99; 0 is taken as the minimum, 10000 the maximum); -1 when
 * the histogram is empty. */
int64_t hist_percentile(const struct hist *h, unsigned p_10000);

/* Encodes h into buf (at least HIST_ENCODED_MAX(h->n) bytes); returns the length. */
size_t hist_encode(const struct hist *h, uint8_t *buf);
/* Adds what buf holds to h (so decoding several encodings merges them).
 * Returns 0, or -1 when buf is not a valid encoding (h is then unchanged). */
int hist_decode_merge(struct hist *h, const uint8_t *buf, size_t len);

#endif
