/* queue_stats.c: an organization's queue depth, oldest queued execution, wait
 * and processing rate, kept from events (see queue_stats.h).
 *
 * Invariants: every live entry is in the hash table exactly once and in the
 * heap exactly once at heap_pos; used <= cap <= max_tracked; table_size is a
 * power of two >= 2 * cap (load <= 1/2, so probes end); tracked_by_prio sums to
 * used. Buckets hold the epoch (time / width) they count, so a stale bucket is
 * recognized instead of cleared by a timer. */
#include "queue_stats.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

#define NO_EPOCH INT64_MIN
#define NO_INDEX UINT32_MAX
#define FIRST_CAP 64u
#define MAX_WINDOW_MS (7LL * 24 * 3600 * 1000)   /* keeps depth * window in 64 bits */

struct queue_stats_entry {
	char id[PROTO_MAX_ID + 1];
	uint8_t prio;
	uint64_t hash;
	int64_t queued_ms;
	int64_t not_before_ms; /* delayed until then; 0: ready */
	uint64_t seq;          /* order of arrival: ties in queued_ms go first-come */
	uint32_t heap_pos;     /* NO_INDEX while the entry is free */
	uint32_t next_free;
};

/* ---- buckets -------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void buckets_reset(struct queue_stats_bucket *b)
{
	for (size_t i = 0; i < QUEUE_STATS_BUCKETS; i++)
		b[i] = (struct queue_stats_bucket){ .epoch = NO_EPOCH };
}

/* The most buckets, up to QUEUE_STATS_BUCKETS, that tile the window exactly. */
static uint32_t buckets_for(int64_t window_ms)
{
	uint32_t n = QUEUE_STATS_BUCKETS;
	while (window_ms % n != 0)
		n--;
	return n;
}

static void buckets_add(struct queue_stats_bucket *b, uint32_t nb, int64_t window_ms, int64_t t,
			int64_t value)
{
	int64_t epoch = floor_div(t, window_ms / nb);
	struct queue_stats_bucket *k = &b[epoch - floor_div(epoch, nb) * nb];
	if (k->epoch > epoch)
		return;   /* older than the window that bucket now covers */
	if (k->epoch < epoch)
		*k = (struct queue_stats_bucket){ .epoch = epoch };
	k->count++;
	k->sum_ms += value;
}

/* Counts over the buckets of the window ending in the bucket of now. Buckets
 * ahead of now (producers' clocks run ahead of ours) count as current. */
static void buckets_sum(const struct queue_stats_bucket *b, uint32_t nb, int64_t window_ms,
			int64_t now_ms, uint64_t *count, int64_t *sum)
{
	int64_t first = floor_div(now_ms, window_ms / nb) - (nb - 1);
	*count = 0;
	*sum = 0;
	for (size_t i = 0; i < nb; i++) {
		if (b[i].epoch == NO_EPOCH || b[i].epoch < first)
			continue;
		*count += b[i].count;
		*sum += b[i].sum_ms;
	}
}

/* ---- the heap of queued entries, oldest on top ------------------------------ */

static bool entry_before(const struct queue_stats_entry *a, const struct queue_stats_entry *b)
{
	return a->queued_ms != b->queued_ms ? a->queued_ms < b->queued_ms : a->seq < b->seq;
}

static void heap_set(struct queue_stats *q, uint32_t pos, uint32_t idx)
{
	q->heap[pos] = idx;
	q->entries[idx].heap_pos = pos;
}

static void heap_up(struct queue_stats *q, uint32_t pos)
{
	uint32_t idx = q->heap[pos];
	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;
		if (!entry_before(&q->entries[idx], &q->entries[q->heap[parent]]))
			break;
		heap_set(q, pos, q->heap[parent]);
		pos = parent;
	}
	heap_set(q, pos, idx);
}

static void heap_down(struct queue_stats *q, uint32_t pos)
{
	uint32_t idx = q->heap[pos];
	for (;;) {
		uint32_t child = 2 * pos + 1;
		if (child >= q->used)
			break;
		if (child + 1 < q->used &&
		    entry_before(&q->entries[q->heap[child + 1]], &q->entries[q->heap[child]]))
			child++;
		if (!entry_before(&q->entries[q->heap[child]], &q->entries[idx]))
			break;
		heap_set(q, pos, q->heap[child]);
		pos = child;
	}
	heap_set(q, pos, idx);
}

/* Called with used already decremented: the last heap slot is q->heap[used]. */
static void heap_remove(struct queue_stats *q, uint32_t pos)
{
	if (pos == q->used)
		return;
	uint32_t idx = q->heap[q->used];
	heap_set(q, pos, idx);
	heap_up(q, pos);
	if (q->entries[idx].heap_pos == pos)
		heap_down(q, pos);
}

/* ---- the hash table: id -> entry ------------------------------------------ */

static uint32_t table_home(const struct queue_stats *q, uint64_t hash)
{
	return (uint32_t)(hash & (q->table_size - 1));
}

/* The slot holding id, or the empty slot where it would go. */
static uint32_t table_slot(const struct queue_stats *q, const char *id, uint64_t hash)
{
	uint32_t mask = q->table_size - 1;
	for (uint32_t s = table_home(q, hash);; s = (s + 1) & mask) {
		uint32_t v = q->table[s];
		if (v == 0)
			return s;
		const struct queue_stats_entry *e = &q->entries[v - 1];
		if (e->hash == hash && strcmp(e->id, id) == 0)
			return s;
	}
}

/* Backward-shift deletion: no tombstones, so lookups stay short forever. */
static void table_delete(struct queue_stats *q, uint32_t s)
{
	uint32_t mask = q->table_size - 1;
	uint32_t hole = s;
	for (uint32_t j = (s + 1) & mask; q->table[j] != 0; j = (j + 1) & mask) {
		uint32_t home = table_home(q, q->entries[q->table[j] - 1].hash);
		/* j may move to the hole unless its home lies cyclically in (hole, j]. */
		bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
		if (stays)
			continue;
		q->table[hole] = q->table[j];
		hole = j;
	}
	q->table[hole] = 0;
}

/* Grows the slab, heap and table; false when at the cap or out of memory, in
 * which case nothing changed. */
static bool queue_grow(struct queue_stats *q)
{
	if (q->cap >= q->max_tracked)
		return false;
	uint32_t cap = q->cap == 0 ? FIRST_CAP : q->cap * 2;
	if (cap > q->max_tracked || cap < q->cap)
		cap = q->max_tracked;
	uint32_t tsize = 1;
	while (tsize < 2 * (uint64_t)cap)
		tsize *= 2;

	struct queue_stats_entry *entries = realloc(q->entries, (size_t)cap * sizeof *entries);
	if (entries == NULL)
		return false;
	q->entries = entries;
	uint32_t *heap = realloc(q->heap, (size_t)cap * sizeof *heap);
	if (heap == NULL)
		return false;
	q->heap = heap;
	uint32_t *table = calloc(tsize, sizeof *table);
	if (table == NULL)
		return false;
	/* The new slots join the free list (entries stay where they were). */
	for (uint32_t i = cap; i > q->cap; i--) {
		entries[i - 1].heap_pos = NO_INDEX;
		entries[i - 1].next_free = q->free_head;
		q->free_head = i - 1;
	}
	free(q->table);
	q->table = table;
	q->table_size = tsize;
	q->cap = cap;
	for (uint32_t i = 0; i < q->used; i++) {
		uint32_t idx = q->heap[i];
		q->table[table_slot(q, entries[idx].id, entries[idx].hash)] = idx + 1;
	}
	return true;
}

/* Ids are kept cut to PROTO_MAX_ID, so lookups cut them the same way. */
static void id_copy(char id[PROTO_MAX_ID + 1], const char *exec_id)
{
	size_t n = strnlen(exec_id, PROTO_MAX_ID);
	memcpy(id, exec_id, n);
	id[n] = '\0';
}

static struct queue_stats_entry *queue_find(const struct queue_stats *q, const char *exec_id,
					    uint32_t *slot)
{
	if (q->used == 0)
		return NULL;
	char id[PROTO_MAX_ID + 1];
	id_copy(id, exec_id);
	uint32_t s = table_slot(q, id, hash64(id, strlen(id)));
	if (q->table[s] == 0)
		return NULL;
	*slot = s;
	return &q->entries[q->table[s] - 1];
}

static void queue_remove(struct queue_stats *q, uint32_t slot)
{
	uint32_t idx = q->table[slot] - 1;
	struct queue_stats_entry *e = &q->entries[idx];
	table_delete(q, slot);
	q->tracked_by_prio[e->prio]--;
	q->delayed_entries -= e->not_before_ms > 0;
	e->not_before_ms = 0;
	q->used--;
	uint32_t pos = e->heap_pos;
	e->heap_pos = NO_INDEX;
	e->next_free = q->free_head;
	q->free_head = idx;
	heap_remove(q, pos);
}

/* Takes an untracked one away, in the order a scheduler would start them. */
static bool untracked_take(struct queue_stats *q)
{
	for (int p = 0; p < PRIO__COUNT; p++) {
		if (q->untracked_by_prio[p] > 0) {
			q->untracked_by_prio[p]--;
			return true;
		}
	}
	return false;
}

static enum proto_priority prio_clamp(enum proto_priority p)
{
	return (unsigned)p < PRIO__COUNT ? p : PRIO_NORMAL;
}

/* ---- API ------------------------------------------------------------------ */

int queue_stats_init(struct queue_stats *q, int64_t wait_window_ms, int64_t rate_window_ms,
		     uint32_t max_tracked, char *cause, size_t causelen)
{
	static const struct {
		const char *name;
		int64_t fallback;
	} windows[] = {
		{ "queue wait window", QUEUE_STATS_WAIT_WINDOW_MS },
		{ "queue rate window", QUEUE_STATS_RATE_WINDOW_MS },
	};
	int64_t *ws[] = { &wait_window_ms, &rate_window_ms };
	for (size_t i = 0; i < 2; i++) {
		if (*ws[i] == 0)
			*ws[i] = windows[i].fallback;
		if (*ws[i] < 0 || *ws[i] % 1000 != 0 || *ws[i] > MAX_WINDOW_MS) {
			snprintf(cause, causelen,
				 "%s: %lld ms is not a whole number of seconds up to 7 days",
				 windows[i].name, (long long)*ws[i]);
			return -1;
		}
	}
	memset(q, 0, sizeof *q);
	q->wait_window_ms = wait_window_ms;
	q->rate_window_ms = rate_window_ms;
	q->wait_nbuckets = buckets_for(wait_window_ms);
	q->rate_nbuckets = buckets_for(rate_window_ms);
	q->max_tracked = max_tracked ? max_tracked : QUEUE_STATS_MAX_TRACKED;
	q->free_head = NO_INDEX;
	buckets_reset(q->wait);
	buckets_reset(q->done);
	q->depth_last_s = NO_EPOCH;
	return 0;
}

void queue_stats_free(struct queue_stats *q)
{
	free(q->entries);
	free(q->heap);
	free(q->table);
	q->entries = NULL;
	q->heap = NULL;
	q->table = NULL;
	q->cap = q->used = q->table_size = 0;
}

void queue_stats_on_queued(struct queue_stats *q, const char *exec_id, enum proto_priority prio,
			   int64_t queued_ms, int64_t not_before_ms)
{
	char id[PROTO_MAX_ID + 1];
	id_copy(id, exec_id);
	prio = prio_clamp(prio);
	uint32_t slot;
	struct queue_stats_entry *e = queue_find(q, id, &slot);
	if (e != NULL) {
		/* A repeat: the earlier time is when it really joined the queue. */
		q->tracked_by_prio[e->prio]--;
		q->tracked_by_prio[prio]++;
		e->prio = (uint8_t)prio;
		q->delayed_entries += (not_before_ms > 0) - (e->not_before_ms > 0);
		e->not_before_ms = not_before_ms;
		if (queued_ms < e->queued_ms) {
			e->queued_ms = queued_ms;
			heap_up(q, e->heap_pos);
		}
		return;
	}
	if (q->used == q->cap && !queue_grow(q)) {
		q->untracked_by_prio[prio]++;
		return;
	}
	uint64_t hash = hash64(id, strlen(id));
	uint32_t idx = q->free_head;
	e = &q->entries[idx];
	q->free_head = e->next_free;
	memcpy(e->id, id, sizeof id);
	e->prio = (uint8_t)prio;
	e->hash = hash;
	e->queued_ms = queued_ms;
	e->not_before_ms = not_before_ms;
	q->delayed_entries += not_before_ms > 0;
	e->seq = q->seq++;
	q->table[table_slot(q, id, hash)] = idx + 1;
	q->tracked_by_prio[prio]++;
	q->heap[q->used] = idx;
	e->heap_pos = q->used;
	q->used++;
	heap_up(q, e->heap_pos);
}

void queue_stats_on_started(struct queue_stats *q, const char *exec_id, int64_t started_ms)
{
	uint32_t slot;
	struct queue_stats_entry *e = queue_find(q, exec_id, &slot);
	if (e == NULL) {
		untracked_take(q);
		return;
	}
	int64_t wait = started_ms - e->queued_ms;
	buckets_add(q->wait, q->wait_nbuckets, q->wait_window_ms, started_ms, wait > 0 ? wait : 0);
	queue_remove(q, slot);
}

void queue_stats_on_finished(struct queue_stats *q, const char *exec_id, int64_t finished_ms,
			     bool never_started)
{
	buckets_add(q->done, q->rate_nbuckets, q->rate_window_ms, finished_ms, 0);
	uint32_t slot;
	if (queue_find(q, exec_id, &slot) != NULL)
		queue_remove(q, slot);
	else if (never_started)
		untracked_take(q);
}

void queue_stats_on_priority(struct queue_stats *q, const char *exec_id, enum proto_priority prio)
{
	uint32_t slot;
	struct queue_stats_entry *e = queue_find(q, exec_id, &slot);
	if (e == NULL)
		return;
	prio = prio_clamp(prio);
	q->tracked_by_prio[e->prio]--;
	q->tracked_by_prio[prio]++;
	e->prio = (uint8_t)prio;
}

void queue_stats_compute(const struct queue_stats *q, int64_t now_ms, uint64_t backlog_threshold,
			 struct queue_numbers *out)
{
	memset(out, 0, sizeof *out);
	for (int p = 0; p < PRIO__COUNT; p++) {
		out->by_priority[p] = q->tracked_by_prio[p] + q->untracked_by_prio[p];
		out->depth += out->by_priority[p];
		out->untracked += q->untracked_by_prio[p];
	}
	/* Delayed ones are counted only while some are held, by a scan. */
	for (uint32_t i = 0; q->delayed_entries > 0 && i < q->used; i++)
		out->delayed += q->entries[q->heap[i]].not_before_ms > now_ms;
	if (q->used > 0) {
		const struct queue_stats_entry *e = &q->entries[q->heap[0]];
		out->has_oldest = true;
		memcpy(out->oldest_id, e->id, sizeof out->oldest_id);
		out->oldest_queued_ms = e->queued_ms;
		out->oldest_age_ms = now_ms > e->queued_ms ? now_ms - e->queued_ms : 0;
	}

	int64_t sum;
	buckets_sum(q->wait, q->wait_nbuckets, q->wait_window_ms, now_ms, &out->wait_samples, &sum);
	out->avg_wait_ms = out->wait_samples == 0
		? -1 : (int64_t)(((uint64_t)sum + out->wait_samples / 2) / out->wait_samples);

	buckets_sum(q->done, q->rate_nbuckets, q->rate_window_ms, now_ms, &out->finished_in_window, &sum);
	out->rate_per_min = (double)out->finished_in_window * 60000.0 / (double)q->rate_window_ms;
	if (out->depth == 0)
		out->eta_ms = 0;
	else if (out->finished_in_window == 0)
		out->eta_ms = -1;
	else
		out->eta_ms = (int64_t)((out->depth * (uint64_t)q->rate_window_ms +
					 out->finished_in_window / 2) / out->finished_in_window);
	out->threshold = backlog_threshold;
	out->backlog = out->depth >= backlog_threshold;
	out->wait_window_ms = q->wait_window_ms;
	out->rate_window_ms = q->rate_window_ms;
}

bool queue_stats_equal(const struct queue_numbers *a, const struct queue_numbers *b)
{
	if (a->depth != b->depth || a->untracked != b->untracked || a->delayed != b->delayed ||
	    a->has_oldest != b->has_oldest ||
	    a->avg_wait_ms != b->avg_wait_ms || a->wait_samples != b->wait_samples ||
	    a->finished_in_window != b->finished_in_window || a->rate_per_min != b->rate_per_min ||
	    a->eta_ms != b->eta_ms || a->backlog != b->backlog || a->threshold != b->threshold)
		return false;
	for (int p = 0; p < PRIO__COUNT; p++)
		if (a->by_priority[p] != b->by_priority[p])
			return false;
	if (a->has_oldest && (a->oldest_queued_ms != b->oldest_queued_ms ||
			      strcmp(a->oldest_id, b->oldest_id) != 0))
		return false;
	return true;
}

static uint64_t queue_depth(const struct queue_stats *q)
{
	uint64_t d = 0;
	for (int p = 0; p < PRIO__COUNT; p++)
		d += q->tracked_by_prio[p] + q->untracked_by_prio[p];
	return d;
}

static void depth_push(struct queue_stats *q, uint32_t v)
{
	q->depth_hist[q->depth_head] = v;
	q->depth_head = (q->depth_head + 1) % QUEUE_STATS_DEPTH_HISTORY;
	if (q->depth_count < QUEUE_STATS_DEPTH_HISTORY)
		q->depth_count++;
}

void queue_stats_sample_depth(struct queue_stats *q, int64_t now_ms)
{
	uint64_t d = queue_depth(q);
	uint32_t v = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
	int64_t s = floor_div(now_ms, 1000);
	if (q->depth_count > 0 && s <= q->depth_last_s) {
		uint32_t newest = (q->depth_head + QUEUE_STATS_DEPTH_HISTORY - 1) % QUEUE_STATS_DEPTH_HISTORY;
		q->depth_hist[newest] = v;
		if (s < q->depth_last_s)
			q->depth_last_s = s;
		return;
	}
	if (q->depth_count > 0) {
		/* The queue did not move while nobody looked: repeat the last value. */
		uint32_t prev = q->depth_hist[(q->depth_head + QUEUE_STATS_DEPTH_HISTORY - 1) %
					      QUEUE_STATS_DEPTH_HISTORY];
		int64_t gap = s - q->depth_last_s - 1;
		if (gap > QUEUE_STATS_DEPTH_HISTORY)
			gap = QUEUE_STATS_DEPTH_HISTORY;
		for (int64_t i = 0; i < gap; i++)
			depth_push(q, prev);
	}
	depth_push(q, v);
	q->depth_last_s = s;
}

size_t queue_stats_depth_history(const struct queue_stats *q, uint32_t *out, size_t max)
{
	size_t n = q->depth_count < max ? q->depth_count : max;
	/* The newest n of them, oldest first. */
	uint32_t start = (q->depth_head + QUEUE_STATS_DEPTH_HISTORY - (uint32_t)n) % QUEUE_STATS_DEPTH_HISTORY;
	for (size_t i = 0; i < n; i++)
		out[i] = q->depth_hist[(start + i) % QUEUE_STATS_DEPTH_HISTORY];
	return n;
}

size_t queue_stats_memory(const struct queue_stats *q)
{
	return (size_t)q->cap * (sizeof(struct queue_stats_entry) + sizeof(uint32_t)) +
	       (size_t)q->table_size * sizeof(uint32_t);
}
