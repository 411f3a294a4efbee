/* queue_numbers.h: an organization's queue as the daemon computes it
 * (queue_stats.h) and the console shows it, in one place: the typed numbers,
 * one writer to JSON and one reader from JSON (queue_numbers.c).
 *
 * The JSON form (room "queue": "stats" pushes and the snapshot's "numbers"):
 * {"depth","by_priority":{"HIGH","NORMAL","LOW"},"untracked","delayed",
 *  "oldest":{"execution_id","queued_ms","age_ms"}|null,"avg_wait_ms"|null,
 *  "wait_samples","finished_in_window","rate_per_min","eta_ms"|null,
 *  "backlog","threshold","wait_window_s","rate_window_s"}
 * The reader refuses a missing or wrong-typed depth, by_priority, backlog or
 * threshold and any value out of bounds, naming the field; the rest may be
 * absent (zero, or unknown where the field says so); unknown keys are left
 * alone. */
#ifndef WFMON_QUEUE_NUMBERS_H
#define WFMON_QUEUE_NUMBERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

struct queue_numbers {
	uint64_t depth;                         /* queued, not started: tracked + untracked */
	uint64_t by_priority[PRIO__COUNT];      /* indexed by enum proto_priority */
	uint64_t untracked;                     /* part of depth past the daemon's cap (0 normally) */
	uint64_t delayed;                       /* part of depth waiting for its time (delayed_until) */
	bool has_oldest;
	char oldest_id[PROTO_MAX_ID + 1];
	int64_t oldest_queued_ms;
	int64_t oldest_age_ms;                  /* now - queued when computed, never negative */
	int64_t avg_wait_ms;                    /* -1: no sample in the window */
	uint64_t wait_samples;                  /* executions that left the queue (started) in the
						 * wait window: the samples behind avg_wait_ms */
	uint64_t finished_in_window;
	double rate_per_min;                    /* finished per minute over the rate window */
	int64_t wait_window_ms, rate_window_ms; /* the windows (whole seconds); 0 when not said */
	int64_t eta_ms;                         /* depth / rate; 0 when empty; -1 unknown (rate 0) */
	bool backlog;                           /* depth >= threshold */
	uint64_t threshold;
};

/* A new object. */
json_t *queue_numbers_json_new(const struct queue_numbers *n);
/* Fills *n from the JSON form: 0, or -1 with *cause naming the field (*n is
 * then unspecified). */
int queue_numbers_parse(json_t *j, struct queue_numbers *n, struct proto_cause *cause);

#endif
