/* hist.c: the duration histogram (see hist.h).
 *
 * Invariants: bins are sorted by idx with no duplicates and no empty bin;
 * count is the sum of the bins' counts; each bin's excess is at most
 * count * (width - 1), so the mean of a bin lies inside it; the bucket table
 * is built once (pthread_once) and never changes. Merging goes through one
 * scratch array per thread, as long as the bucket table (a merge never has
 * more bins than there are buckets), so that merging thousands of rows for
 * one answer allocates nothing once the target has grown. */
#include "hist.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define HIST_FORMAT 1
#define HIST_TABLE_MAX 4096

static int64_t lower_bounds[HIST_TABLE_MAX + 1];   /* lower_bounds[nbuckets] = the end */
static uint32_t nbuckets;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static pthread_key_t scratch_key;                  /* each thread's merge output, freed at its exit */

static void table_build(void)
{
	int64_t b = 0;
	uint32_t i = 0;
	lower_bounds[i++] = 0;
	b = 1;
	while (b <= HIST_MAX_MS) {
		if (i >= HIST_TABLE_MAX)
			fatal("hist: bucket table too small");
		lower_bounds[i++] = b;
		int64_t step = (b + 99) / 100;
		b += step > 1 ? step : 1;
	}
	nbuckets = i;
	lower_bounds[i] = b;
	if (pthread_key_create(&scratch_key, free) != 0)
		fatal("hist: no thread key");
}

static void table(void)
{
	pthread_once(&table_once, table_build);
}

/* This thread's scratch array of nbuckets bins. */
static struct hist_bin *scratch(void)
{
	table();
	struct hist_bin *s = pthread_getspecific(scratch_key);
	if (s == NULL) {
		s = xmalloc(sizeof *s * nbuckets);
		if (pthread_setspecific(scratch_key, s) != 0)
			fatal("hist: cannot keep a scratch array");
	}
	return s;
}

uint32_t hist_bucket_count(void)
{
	table();
	return nbuckets;
}

uint32_t hist_bucket_of(int64_t ms)
{
	table();
	if (ms <= 0)
		return 0;
	if (ms > HIST_MAX_MS)
		ms = HIST_MAX_MS;
	/* The last bucket whose lower bound is <= ms. */
	uint32_t lo = 0, hi = nbuckets - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;
		if (lower_bounds[mid] <= ms)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

int64_t hist_bucket_lower(uint32_t idx)
{
	table();
	return idx < nbuckets ? lower_bounds[idx] : lower_bounds[nbuckets];
}

int64_t hist_bucket_upper(uint32_t idx)
{
	table();
	return idx < nbuckets ? lower_bounds[idx + 1] : lower_bounds[nbuckets];
}

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof *h);
}

void hist_free(struct hist *h)
{
	free(h->bins);
	memset(h, 0, sizeof *h);
}

void hist_clear(struct hist *h)
{
	h->n = 0;
	h->count = 0;
	h->min_ms = h->max_ms = 0;
}

static void reserve(struct hist *h, uint32_t n)
{
	if (n <= h->cap)
		return;
	uint32_t cap = h->cap ? h->cap : 8;
	while (cap < n)
		cap *= 2;
	h->bins = xrealloc(h->bins, sizeof *h->bins * cap);
	h->cap = cap;
}

static void minmax(struct hist *h, int64_t lo, int64_t hi)
{
	if (h->count == 0) {
		h->min_ms = lo;
		h->max_ms = hi;
		return;
	}
	if (lo < h->min_ms)
		h->min_ms = lo;
	if (hi > h->max_ms)
		h->max_ms = hi;
}

static uint32_t bin_find(const struct hist *h, uint32_t idx)
{
	uint32_t lo = 0, hi = h->n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (h->bins[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A duration clamped to [0, HIST_MAX_MS] in *ms, its bucket, and how far it
 * lies above the bucket's lower bound in *excess. */
static uint32_t place(int64_t *ms, uint64_t *excess)
{
	if (*ms < 0)
		*ms = 0;
	if (*ms > HIST_MAX_MS)
		*ms = HIST_MAX_MS;
	uint32_t idx = hist_bucket_of(*ms);
	*excess = (uint64_t)(*ms - lower_bounds[idx]);
	return idx;
}

void hist_add(struct hist *h, int64_t ms)
{
	uint64_t excess;
	uint32_t idx = place(&ms, &excess);
	uint32_t lo = bin_find(h, idx);   /* the bin, or where it goes */
	minmax(h, ms, ms);
	h->count++;
	if (lo < h->n && h->bins[lo].idx == idx) {
		h->bins[lo].count++;
		h->bins[lo].excess += excess;
		return;
	}
	reserve(h, h->n + 1);
	memmove(&h->bins[lo + 1], &h->bins[lo], sizeof *h->bins * (h->n - lo));
	h->bins[lo] = (struct hist_bin){ .idx = idx, .count = 1, .excess = excess };
	h->n++;
}

int hist_remove(struct hist *h, int64_t ms)
{
	uint64_t excess;
	uint32_t idx = place(&ms, &excess);
	uint32_t at = bin_find(h, idx);
	if (at >= h->n || h->bins[at].idx != idx)
		return -1;
	struct hist_bin *b = &h->bins[at];
	/* A bin holding one duration holds exactly its excess; keep the
	 * excess from going below what the durations left can have. */
	b->excess = b->excess > excess ? b->excess - excess : 0;
	if (--b->count == 0) {
		memmove(b, b + 1, sizeof *b * (h->n - at - 1));
		h->n--;
	}
	if (--h->count == 0) {
		h->min_ms = h->max_ms = 0;
		return 0;
	}
	const struct hist_bin *first = &h->bins[0], *last = &h->bins[h->n - 1];
	if (ms <= h->min_ms) {
		int64_t lo = lower_bounds[first->idx];
		h->min_ms = first->count == 1 ? lo + (int64_t)first->excess : (lo > h->min_ms ? lo : h->min_ms);
	}
	if (ms >= h->max_ms) {
		int64_t lo = lower_bounds[last->idx], top = lower_bounds[last->idx + 1] - 1;
		h->max_ms = last->count == 1 ? lo + (int64_t)last->excess : (top < h->max_ms ? top : h->max_ms);
	}
	return 0;
}

/* Replaces h's bins with out[0..k) (a merge's result in the scratch array). */
static void take_merged(struct hist *h, const struct hist_bin *out, uint32_t k, uint64_t added)
{
	reserve(h, k);
	memcpy(h->bins, out, sizeof *out * k);
	h->n = k;
	h->count += added;
}

/* Merges the sorted bins b[0..nb) into h (counts, not min/max). */
static void merge_bins(struct hist *h, const struct hist_bin *b, uint32_t nb)
{
	if (nb == 0)
		return;
	struct hist_bin *out = scratch();
	uint32_t i = 0, j = 0, k = 0;
	uint64_t added = 0;
	while (i < h->n || j < nb) {
		if (j == nb || (i < h->n && h->bins[i].idx < b[j].idx)) {
			out[k++] = h->bins[i++];
		} else if (i == h->n || b[j].idx < h->bins[i].idx) {
			added += b[j].count;
			out[k++] = b[j++];
		} else {
			out[k] = h->bins[i++];
			out[k].count += b[j].count;
			out[k].excess += b[j].excess;
			added += b[j++].count;
			k++;
		}
	}
	take_merged(h, out, k, added);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	int64_t lo = src->min_ms, hi = src->max_ms;
	bool empty = dst->count == 0;
	merge_bins(dst, src->bins, src->n);
	if (empty) {
		dst->min_ms = lo;
		dst->max_ms = hi;
	} else {
		if (lo < dst->min_ms)
			dst->min_ms = lo;
		if (hi > dst->max_ms)
			dst->max_ms = hi;
	}
}

uint64_t hist_sum(const struct hist *h)
{
	uint64_t s = 0;
	for (uint32_t i = 0; i < h->n; i++)
		s += h->bins[i].count * (uint64_t)lower_bounds[h->bins[i].idx] + h->bins[i].excess;
	return s;
}

int64_t hist_percentile(const struct hist *h, unsigned p_10000)
{
	if (h->count == 0)
		return -1;
	if (p_10000 == 0)
		return h->min_ms;
	if (p_10000 >= 10000)
		return h->max_ms;
	/* rank = ceil(p * n), in integers so that 0.95 * 20 is 19, not 19.000001. */
	uint64_t rank = ((uint64_t)p_10000 * h->count + 9999) / 10000;
	if (rank == 0)
		rank = 1;
	uint64_t seen = 0;
	for (uint32_t i = 0; i < h->n; i++) {
		const struct hist_bin *b = &h->bins[i];
		seen += b->count;
		if (seen < rank)
			continue;
		int64_t v = lower_bounds[b->idx] + (int64_t)((b->excess + b->count / 2) / b->count);
		if (v < h->min_ms)
			v = h->min_ms;
		if (v > h->max_ms)
			v = h->max_ms;
		return v;
	}
	return h->max_ms;
}

/* ---- encoding -------------------------------------------------------------- */

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline int get_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *out)
{
	/* Most values fit one byte (bin deltas, small counts). */
	if (*pos < len && buf[*pos] < 0x80) {
		*out = buf[(*pos)++];
		return 0;
	}
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return -1;
		uint8_t b = buf[(*pos)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

size_t hist_encode(const struct hist *h, uint8_t *buf)
{
	size_t n = 0;
	buf[n++] = HIST_FORMAT;
	n += put_varint(buf + n, h->n);
	if (h->n == 0)
		return n;
	n += put_varint(buf + n, (uint64_t)h->min_ms);
	n += put_varint(buf + n, (uint64_t)(h->max_ms - h->min_ms));
	uint32_t prev = 0;
	for (uint32_t i = 0; i < h->n; i++) {
		const struct hist_bin *b = &h->bins[i];
		n += put_varint(buf + n, i == 0 ? b->idx : b->idx - prev - 1);
		n += put_varint(buf + n, b->count - 1);
		n += put_varint(buf + n, b->excess);
		prev = b->idx;
	}
	return n;
}

/* The next encoded bin after prev (first: none yet); 0 or -1 when invalid. */
static inline int next_bin(const uint8_t *buf, size_t len, size_t *pos, bool first, uint32_t prev,
			   struct hist_bin *out)
{
	uint64_t delta, count, excess;
	if (get_varint(buf, len, pos, &delta) < 0 || get_varint(buf, len, pos, &count) < 0 ||
	    get_varint(buf, len, pos, &excess) < 0)
		return -1;
	uint64_t idx = first ? delta : (uint64_t)prev + delta + 1;
	count++;
	if (idx >= nbuckets || count == 0)
		return -1;
	uint64_t width = (uint64_t)(lower_bounds[idx + 1] - lower_bounds[idx]), most;
	if (__builtin_mul_overflow(count, width - 1, &most) || excess > most)
		return -1;
	*out = (struct hist_bin){ .idx = (uint32_t)idx, .count = count, .excess = excess };
	return 0;
}

int hist_decode_merge(struct hist *h, const uint8_t *buf, size_t len)
{
	table();
	size_t pos = 0;
	uint64_t nb, lo, span;
	if (len < 2 || buf[pos++] != HIST_FORMAT || get_varint(buf, len, &pos, &nb) < 0 || nb > nbuckets)
		return -1;
	if (nb == 0)
		return pos == len ? 0 : -1;
	if (get_varint(buf, len, &pos, &lo) < 0 || get_varint(buf, len, &pos, &span) < 0 ||
	    lo > (uint64_t)HIST_MAX_MS || span > (uint64_t)HIST_MAX_MS - lo)
		return -1;
	/* Decoded bins merge with h's straight into the scratch array (or, when
	 * h is empty, into h's own array, which then holds nothing valid until
	 * the end): h changes only once the whole encoding has proved valid. */
	bool into_h = h->n == 0;
	if (into_h)
		reserve(h, (uint32_t)nb);
	struct hist_bin *out = into_h ? h->bins : scratch();
	struct hist_bin cur, first = { 0 }, last = { 0 };
	uint32_t i = 0, k = 0;
	uint64_t added = 0, decoded = 0;
	bool have = false;
	for (;;) {
		if (!have && decoded < nb) {
			if (next_bin(buf, len, &pos, decoded == 0, last.idx, &cur) != 0)
				return -1;
			if (decoded == 0)
				first = cur;
			last = cur;
			decoded++;
			if (added + cur.count < added)
				return -1;
			have = true;
		}
		if (!have && i == h->n)
			break;
		if (k == nbuckets)
			return -1;   /* cannot happen with valid bins; bounds the scratch array */
		if (!have || (i < h->n && h->bins[i].idx < cur.idx)) {
			out[k++] = h->bins[i++];
		} else if (i == h->n || cur.idx < h->bins[i].idx) {
			added += cur.count;
			out[k++] = cur;
			have = false;
		} else {
			out[k] = h->bins[i++];
			out[k].count += cur.count;
			out[k].excess += cur.excess;
			added += cur.count;
			k++;
			have = false;
		}
	}
	/* The extremes must lie in the first and last bins. */
	int64_t min_ms = (int64_t)lo, max_ms = (int64_t)(lo + span);
	if (pos != len || min_ms < lower_bounds[first.idx] || min_ms >= lower_bounds[first.idx + 1] ||
	    max_ms < lower_bounds[last.idx] || max_ms >= lower_bounds[last.idx + 1])
		return -1;
	bool empty = h->count == 0;
	if (into_h) {
		h->n = k;
		h->count += added;
	} else {
		take_merged(h, out, k, added);
	}
	if (empty) {
		h->min_ms = min_ms;
		h->max_ms = max_ms;
	} else {
		if (min_ms < h->min_ms)
			h->min_ms = min_ms;
		if (max_ms > h->max_ms)
			h->max_ms = max_ms;
	}
	return 0;
}
