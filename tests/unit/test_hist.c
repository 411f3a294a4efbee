/* test_hist.c: the duration histogram: its buckets, merging (associative,
 * the same as adding everything to one), accuracy against exact nearest-rank
 * percentiles on random data of several shapes, empty and single-value
 * cases, and the encoding (round trip, refusal of damaged bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"

/* A small deterministic generator, so that a failure can be replayed. */
static uint64_t rng_state;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}
static double uniform01(void)
{
	return (double)(rng() >> 11) / 9007199254740992.0;
}
static double normal(void)
{
	double u = uniform01(), v = uniform01();
	return sqrt(-2.0 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* percentile_disc: the value at rank ceil(p * n). */
static int64_t exact(const int64_t *sorted, size_t n, unsigned p_10000)
{
	uint64_t rank = ((uint64_t)p_10000 * n + 9999) / 10000;
	if (rank == 0)
		rank = 1;
	return sorted[rank - 1];
}

static void assert_same(const struct hist *a, const struct hist *b)
{
	assert_int_equal(a->n, b->n);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->min_ms, b->min_ms);
	assert_int_equal(a->max_ms, b->max_ms);
	for (uint32_t i = 0; i < a->n; i++) {
		assert_int_equal(a->bins[i].idx, b->bins[i].idx);
		assert_int_equal(a->bins[i].count, b->bins[i].count);
		assert_int_equal(a->bins[i].excess, b->bins[i].excess);
	}
}

static void test_buckets(void **state)
{
	(void)state;
	uint32_t n = hist_bucket_count();
	assert_true(n > 2000 && n < 4096);
	assert_int_equal(hist_bucket_lower(0), 0);
	for (uint32_t i = 0; i < n; i++) {
		int64_t lo = hist_bucket_lower(i), hi = hist_bucket_upper(i);
		assert_true(hi > lo);
		/* Never wider than 1 % of the lower bound (one ms below 100). */
		assert_true(hi - lo <= (lo < 100 ? 1 : (lo + 99) / 100));
		assert_int_equal(hist_bucket_of(lo), i);
		assert_int_equal(hist_bucket_of(hi - 1), i);
		if (i + 1 < n)
			assert_int_equal(hist_bucket_lower(i + 1), hi);
	}
	assert_true(hist_bucket_lower(n - 1) <= HIST_MAX_MS);
	assert_int_equal(hist_bucket_of(-5), 0);
	assert_int_equal(hist_bucket_of(HIST_MAX_MS * 4), hist_bucket_of(HIST_MAX_MS));
}

static void test_empty_and_single(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	assert_int_equal(hist_percentile(&h, 5000), -1);
	assert_int_equal(hist_sum(&h), 0);
	uint8_t buf[64];
	size_t len = hist_encode(&h, buf);
	struct hist d;
	hist_init(&d);
	assert_int_equal(hist_decode_merge(&d, buf, len), 0);
	assert_int_equal(d.count, 0);
	static const int64_t singles[] = { 0, 1, 99, 100, 101, 500, 12345, 987654321, HIST_MAX_MS };
	for (size_t i = 0; i < sizeof singles / sizeof singles[0]; i++) {
		hist_clear(&h);
		hist_add(&h, singles[i]);
		for (unsigned p = 0; p <= 10000; p += 500)
			assert_int_equal(hist_percentile(&h, p), singles[i]);
		assert_int_equal(hist_sum(&h), singles[i]);
	}
	/* Out of range values are clamped. */
	hist_clear(&h);
	hist_add(&h, -40);
	hist_add(&h, HIST_MAX_MS + 1000);
	assert_int_equal(h.min_ms, 0);
	assert_int_equal(h.max_ms, HIST_MAX_MS);
	hist_free(&h);
	hist_free(&d);
}

/* The specification's case: 100, 200, ..., 1000 ms. */
static void test_spec_case(void **state)
{
	(void)state;
	struct hist h;
	hist_init(&h);
	for (int v = 100; v <= 1000; v += 100)
		hist_add(&h, v);
	assert_int_equal(hist_percentile(&h, 5000), 500);
	assert_int_equal(hist_percentile(&h, 9500), 1000);
	assert_int_equal(hist_percentile(&h, 9900), 1000);
	assert_int_equal(hist_percentile(&h, 1000), 100);
	assert_int_equal(hist_sum(&h), 5500);
	hist_free(&h);
}

enum shape { UNIFORM, LOGNORMAL, BIMODAL, HEAVY_TAIL, CONSTANT, SMALL_INTS, SHAPES };

static int64_t sample(enum shape s)
{
	switch (s) {
	case UNIFORM: return (int64_t)(rng() % 600000);
	case LOGNORMAL: return (int64_t)exp(9.0 + 0.8 * normal());
	case BIMODAL: return rng() % 3 ? 150 + (int64_t)(rng() % 50) : 90000 + (int64_t)(rng() % 30000);
	case HEAVY_TAIL: return (int64_t)(1000.0 / pow(uniform01() + 1e-9, 1.2));
	case CONSTANT: return 4242;
	case SMALL_INTS: return (int64_t)(rng() % 130);
	default: return 0;
	}
}

static void test_accuracy(void **state)
{
	(void)state;
	static const size_t sizes[] = { 1, 2, 7, 10, 100, 1000, 20000 };
	static const unsigned ps[] = { 1, 100, 1000, 2500, 5000, 7500, 9000, 9500, 9900, 9990, 10000 };
	rng_state = 0x9e3779b97f4a7c15ull;
	for (int s = 0; s < SHAPES; s++) {
		for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
			size_t n = sizes[k];
			int64_t *v = malloc(sizeof *v * n);
			struct hist h;
			hist_init(&h);
			for (size_t i = 0; i < n; i++) {
				v[i] = sample((enum shape)s);
				hist_add(&h, v[i]);
			}
			qsort(v, n, sizeof *v, cmp_i64);
			uint64_t sum = 0;
			for (size_t i = 0; i < n; i++)
				sum += (uint64_t)v[i];
			assert_int_equal(hist_sum(&h), sum);
			for (size_t j = 0; j < sizeof ps / sizeof ps[0]; j++) {
				int64_t want = exact(v, n, ps[j]), got = hist_percentile(&h, ps[j]);
				double err = want > 0 ? fabs((double)(got - want)) / (double)want : (double)got;
				if (err > 0.01 || (want < 100 && got != want))
					fail_msg("shape %d n %zu p %u: exact %lld, histogram %lld (%.3f %%)", s, n, ps[j],
						 (long long)want, (long long)got, err * 100);
			}
			hist_free(&h);
			free(v);
		}
	}
}

static void test_merge(void **state)
{
	(void)state;
	rng_state = 12345;
	struct hist a, b, c, all, ab_c, a_bc, bc, tmp;
	hist_init(&a), hist_init(&b), hist_init(&c), hist_init(&all);
	hist_init(&ab_c), hist_init(&a_bc), hist_init(&bc), hist_init(&tmp);
	for (int i = 0; i < 5000; i++) {
		int64_t x = sample(LOGNORMAL), y = sample(BIMODAL), z = sample(HEAVY_TAIL);
		hist_add(&a, x), hist_add(&b, y), hist_add(&c, z);
		hist_add(&all, x), hist_add(&all, y), hist_add(&all, z);
	}
	/* (a + b) + c */
	hist_merge(&ab_c, &a);
	hist_merge(&ab_c, &b);
	hist_merge(&ab_c, &c);
	/* a + (b + c) */
	hist_merge(&bc, &b);
	hist_merge(&bc, &c);
	hist_merge(&a_bc, &a);
	hist_merge(&a_bc, &bc);
	assert_same(&ab_c, &a_bc);
	assert_same(&ab_c, &all);
	/* c + b + a too (commutative), and merging an empty one changes nothing. */
	hist_merge(&tmp, &c);
	hist_merge(&tmp, &b);
	hist_merge(&tmp, &a);
	hist_merge(&tmp, &(struct hist){ 0 });
	assert_same(&tmp, &all);
	hist_free(&a), hist_free(&b), hist_free(&c), hist_free(&all);
	hist_free(&ab_c), hist_free(&a_bc), hist_free(&bc), hist_free(&tmp);
}

/* Removing what was added: the bins equal those of the histogram that never
 * had it; the extremes stay exact when an extreme bucket is left with one
 * duration, and stay within their bucket otherwise; taking what is not
 * there is refused and changes nothing. */
static void test_remove(void **state)
{
	(void)state;
	rng_state = 777;
	struct hist kept, with;
	hist_init(&kept), hist_init(&with);
	int64_t gone[300];
	for (int i = 0; i < 3000; i++) {
		int64_t x = sample(LOGNORMAL);
		hist_add(&with, x);
		if (i % 10 == 0)
			gone[i / 10] = x;
		else
			hist_add(&kept, x);
	}
	for (int i = 0; i < 300; i++)
		assert_int_equal(hist_remove(&with, gone[i]), 0);
	assert_int_equal(with.count, kept.count);
	assert_int_equal(with.n, kept.n);
	for (uint32_t i = 0; i < kept.n; i++) {
		assert_int_equal(with.bins[i].idx, kept.bins[i].idx);
		assert_int_equal(with.bins[i].count, kept.bins[i].count);
		assert_int_equal(with.bins[i].excess, kept.bins[i].excess);
	}
	assert_true(with.min_ms <= kept.min_ms);
	assert_true(with.min_ms >= hist_bucket_lower(hist_bucket_of(kept.min_ms)));
	assert_true(with.max_ms >= kept.max_ms);
	assert_true(with.max_ms < hist_bucket_upper(hist_bucket_of(kept.max_ms)));
	assert_int_equal(hist_sum(&with), hist_sum(&kept));
	hist_free(&kept), hist_free(&with);

	/* Exact extremes: 5, 700, 90000 then the maximum and the minimum go. */
	struct hist h;
	hist_init(&h);
	hist_add(&h, 5), hist_add(&h, 700), hist_add(&h, 90000);
	assert_int_equal(hist_remove(&h, 90000), 0);
	assert_int_equal(h.max_ms, 700);
	assert_int_equal(hist_remove(&h, 5), 0);
	assert_int_equal(h.min_ms, 700);
	assert_int_equal(h.max_ms, 700);
	/* Not there: refused, unchanged. */
	assert_int_equal(hist_remove(&h, 40), -1);
	assert_int_equal(h.count, 1);
	assert_int_equal(hist_remove(&h, 700), 0);
	assert_int_equal(h.count, 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(hist_percentile(&h, 5000), -1);
	assert_int_equal(hist_remove(&h, 700), -1);
	hist_free(&h);
}

static void test_encoding(void **state)
{
	(void)state;
	rng_state = 777;
	struct hist h, d, e;
	hist_init(&h), hist_init(&d), hist_init(&e);
	for (int i = 0; i < 3000; i++)
		hist_add(&h, sample(i % 2 ? LOGNORMAL : SMALL_INTS));
	uint8_t *buf = malloc(HIST_ENCODED_MAX(h.n));
	size_t len = hist_encode(&h, buf);
	assert_true(len < HIST_ENCODED_MAX(h.n));
	assert_int_equal(hist_decode_merge(&d, buf, len), 0);
	assert_same(&d, &h);
	/* Decoding twice merges: twice the counts. */
	assert_int_equal(hist_decode_merge(&d, buf, len), 0);
	assert_int_equal(d.count, 2 * h.count);
	assert_int_equal(hist_sum(&d), 2 * hist_sum(&h));

	/* Damaged bytes are refused and leave the target alone. */
	hist_add(&e, 5);
	assert_int_equal(hist_decode_merge(&e, buf, len - 1), -1);
	uint8_t *bad = malloc(len + 1);
	memcpy(bad, buf, len);
	bad[len] = 0;
	assert_int_equal(hist_decode_merge(&e, bad, len + 1), -1);   /* trailing byte */
	memcpy(bad, buf, len);
	bad[0] = 9;
	assert_int_equal(hist_decode_merge(&e, bad, len), -1);       /* unknown format */
	assert_int_equal(hist_decode_merge(&e, (const uint8_t *)"", 0), -1);
	/* One bin whose excess does not fit its bucket (bucket 5 is 1 ms wide). */
	static const uint8_t wide[] = { 1, 1, 5, 0, 0, 0, 3 };
	assert_int_equal(hist_decode_merge(&e, wide, sizeof wide), -1);
	/* A bucket past the table. */
	static const uint8_t far[] = { 1, 1, 5, 0, 0xff, 0x7f, 0, 0 };
	assert_int_equal(hist_decode_merge(&e, far, sizeof far), -1);
	/* min outside the first bin. */
	static const uint8_t off[] = { 1, 1, 7, 0, 5, 0, 0 };
	assert_int_equal(hist_decode_merge(&e, off, sizeof off), -1);
	assert_int_equal(e.count, 1);
	assert_int_equal(hist_percentile(&e, 5000), 5);
	/* And a valid hand-made one: one bin, bucket 5, count 2, value 5. */
	static const uint8_t ok[] = { 1, 1, 5, 0, 5, 1, 0 };
	assert_int_equal(hist_decode_merge(&e, ok, sizeof ok), 0);
	assert_int_equal(e.count, 3);
	free(bad);
	free(buf);
	hist_free(&h), hist_free(&d), hist_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_empty_and_single),
		cmocka_unit_test(test_spec_case),
		cmocka_unit_test(test_accuracy),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_encoding),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
