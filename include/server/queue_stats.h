/* queue_stats.h: one organization's queue numbers, kept from execution events.
 *
 * Fed by the daemon as live.c applies events (queued, started, finished,
 * priority changes); never estimated from samples. Pure: no I/O, no clock (every
 * call takes the time), no libwebsockets.
 *
 * Memory is bounded and independent of traffic:
 * - the queued set (id, priority, queued time) holds at most max_tracked
 *   entries; its arrays grow by doubling with the queue depth up to that cap
 *   and never past it. A hash (id -> entry) and a min-heap on the queued time
 *   make every event O(1)/O(log n) and "oldest" O(1).
 * - past the cap, newly queued executions are only counted (per priority), not
 *   tracked: the oldest stays exact because the untracked ones are the newest.
 *   An unknown id that starts while untracked executions exist is taken to be
 *   one of them (HIGH first, then NORMAL, then LOW: the order a scheduler
 *   starts them), as is an unknown id that finishes with never_started set; so
 *   above the cap the depth by priority is an estimate, an untracked one gives
 *   no wait sample and its re-prioritization is not seen.
 * - wait samples and finish counts live in buckets of equal width that tile
 *   their window: as many as the largest divisor of the window in ms up to
 *   QUEUE_STATS_BUCKETS (60 for the defaults, at least 50 for any whole number
 *   of seconds). The windows move a bucket at a time: an event counts while its
 *   bucket is one of the last nbuckets up to and including the bucket of now.
 * - the depth history is a ring of QUEUE_STATS_DEPTH_HISTORY values, one per
 *   second.
 *
 * Callers feed state transitions: on_queued when an execution enters the queued
 * state (a duplicate queued event for an id already queued keeps the earlier
 * queued time and takes the new priority and delay; a delayed one counts in
 * the depth and, while its time has not come, as delayed), on_started when it starts, on_finished
 * when it completes, fails or is cancelled. */
#ifndef WFMON_QUEUE_STATS_H
#define WFMON_QUEUE_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "queue_numbers.h"

#define QUEUE_STATS_WAIT_WINDOW_MS (15 * 60 * 1000)   /* default average-wait window */
#define QUEUE_STATS_RATE_WINDOW_MS (5 * 60 * 1000)    /* default processing-rate window */
#define QUEUE_STATS_MAX_TRACKED 100000                 /* default cap of the queued set */
#define QUEUE_STATS_BACKLOG 100                        /* default backlog threshold */
#define QUEUE_STATS_BUCKETS 60
#define QUEUE_STATS_DEPTH_HISTORY 300                  /* seconds of depth for the graph */

struct queue_stats_bucket {
	int64_t epoch;      /* time / bucket width; INT64_MIN while empty */
	uint64_t count;
	int64_t sum_ms;     /* wait buckets: sum of the waits */
};

struct queue_stats_entry;   /* private to queue_stats.c */

/* Plain struct so it can be embedded; fields are private to queue_stats.c. */
struct queue_stats {
	int64_t wait_window_ms, rate_window_ms;
	uint32_t wait_nbuckets, rate_nbuckets;
	uint32_t max_tracked;

	/* the queued set */
	struct queue_stats_entry *entries;   /* slab, cap entries; free ones chained */
	uint32_t cap, used, free_head;
	uint32_t *table;                     /* open addressing: entry index + 1, 0 empty */
	uint32_t table_size;                 /* power of two, >= 2 * cap */
	uint32_t *heap;                      /* entry indexes, min-heap on (queued_ms, seq) */
	uint64_t seq;
	uint32_t delayed_entries;   /* entries with a not-before time */
	uint64_t tracked_by_prio[PRIO__COUNT];
	uint64_t untracked_by_prio[PRIO__COUNT];

	struct queue_stats_bucket wait[QUEUE_STATS_BUCKETS];
	struct queue_stats_bucket done[QUEUE_STATS_BUCKETS];

	uint32_t depth_hist[QUEUE_STATS_DEPTH_HISTORY];
	uint32_t depth_head, depth_count;    /* head: next slot to write */
	int64_t depth_last_s;                /* second of the newest value; INT64_MIN none */
};

/* Windows in ms (0: the defaults above) must be whole numbers of seconds up to
 * 7 days; max_tracked 0: the default. Returns 0, or -1 with a message in cause
 * (q then needs no free). */
int queue_stats_init(struct queue_stats *q, int64_t wait_window_ms, int64_t rate_window_ms,
		     uint32_t max_tracked, char *cause, size_t causelen);
void queue_stats_free(struct queue_stats *q);

/* exec_id is copied (ids longer than PROTO_MAX_ID are cut). */
void queue_stats_on_queued(struct queue_stats *q, const char *exec_id, enum proto_priority prio,
			   int64_t queued_ms, int64_t not_before_ms);
/* Removes the execution from the queue; if it was there, records a wait sample
 * (started - queued, at least 0) in the bucket of started_ms. */
void queue_stats_on_started(struct queue_stats *q, const char *exec_id, int64_t started_ms);
/* Counts a finish (completed, failed or cancelled) in the bucket of
 * finished_ms, and removes the execution from the queue if it never started
 * (cancelled while queued). never_started: the caller's live state had it
 * queued; it only matters for executions past the cap, whose ids are not kept. */
void queue_stats_on_finished(struct queue_stats *q, const char *exec_id, int64_t finished_ms,
			     bool never_started);
/* Moves a queued execution to another priority; unknown ids are ignored. */
void queue_stats_on_priority(struct queue_stats *q, const char *exec_id, enum proto_priority prio);

void queue_stats_compute(const struct queue_stats *q, int64_t now_ms, uint64_t backlog_threshold,
			 struct queue_numbers *out);

/* True when a and b would show the same: every field but oldest_age_ms, which
 * grows with the clock by itself (oldest_queued_ms stands for it). */
bool queue_stats_equal(const struct queue_numbers *a, const struct queue_numbers *b);

/* Records the current depth for the second of now_ms (call about once a
 * second): a later call in the same second replaces the value, seconds skipped
 * since the previous call repeat the previous value, a clock that went back
 * overwrites the newest value. */
void queue_stats_sample_depth(struct queue_stats *q, int64_t now_ms);
/* Copies up to max depth values, oldest first; returns how many. */
size_t queue_stats_depth_history(const struct queue_stats *q, uint32_t *out, size_t max);

/* Bytes allocated by q besides the struct itself (bounded by max_tracked). */
size_t queue_stats_memory(const struct queue_stats *q);

#endif
