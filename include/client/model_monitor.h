/* model_monitor.h: the queue's numbers and depth history (room
 * "queue") and the daemon's resource samples (room "resources"), as the
 * daemon computes them (model_monitor.c). Part of the console's model (model.h). */
#ifndef WFMON_MODEL_MONITOR_H
#define WFMON_MODEL_MONITOR_H

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "org_summary.h"
#include "proto.h"
#include "queue_numbers.h"
#include "resource_sample.h"

#include "model_exec.h"

struct model;

#define MODEL_DEPTH_HISTORY 300      /* queue depth points, one a second */
#define MODEL_RES_HISTORY 120        /* resource samples of the daemon */
#define MODEL_MAX_WORKERS 64

/* The queue's numbers as the daemon computes them ("stats" of room queue),
 * with the depth history the console keeps. */
struct model_queue {
	bool loaded;                           /* a snapshot or a stats push came */
	struct queue_numbers n;                /* the latest (queue_numbers.h) */
	int64_t received_ms;                   /* our clock when they came */
	/* depth history, oldest first: the snapshot's, then one point a second */
	uint32_t history[MODEL_DEPTH_HISTORY]; /* ring */
	uint32_t hist_head, hist_count;
	int64_t hist_last_ms;                  /* our clock at the newest point, 0 none */
};

/* The organization's summary as the daemon counts it (org_summary.h): the
 * header's counts and threshold warnings (room "org": its snapshot and
 * "stats" pushes). */
struct model_summary {
	bool loaded;
	struct org_summary s;
	int64_t received_ms;                   /* our clock when it came */
	uint64_t serial;                       /* changes with every new summary */
};

/* The newest resource.sample of one worker. */
struct model_worker {
	char name[PROTO_MAX_NAME + 1];
	char execution_id[PROTO_MAX_ID + 1];
	char step_id[PROTO_MAX_ID + 1];
	double cpu_percent;
	int64_t memory_bytes;
	int64_t ts_ms;
};

/* The daemon's resource samples (resource_sample.h): the current one with
 * its top consumers, and a history for the graphs. */
struct model_resources {
	bool loaded;                           /* a snapshot came */
	bool has_current;                      /* current holds a sample */
	struct resource_sample current;
	struct resource_sample history[MODEL_RES_HISTORY];   /* ring, oldest first */
	uint32_t hist_head, hist_count;
	struct model_worker workers[MODEL_MAX_WORKERS];
	uint32_t nworkers;
};


/* ---- Queue and resources ---------------------------------------------------------- */

/* The queue's depth, the one number every view shows: the daemon's queue
 * numbers (room "queue"), else the summary's (the same computation); -1
 * before either came. */
int64_t model_queue_depth(const struct model *m);

/* Appends the current depth to the history once for every whole second since
 * the newest point (at most MODEL_DEPTH_HISTORY). Returns true when it added. */
bool model_queue_tick(struct model *m, int64_t now_ms);
/* The depth history's i-th point, oldest first (0 <= i < hist_count). */
uint32_t model_queue_history(const struct model_queue *q, uint32_t i);
/* How long the oldest queued execution has waited, ticking with now_ms; -1
 * when there is none. */
int64_t model_queue_oldest_age(const struct model_queue *q, int64_t now_ms);
/* The queued executions, oldest first (ties by id): borrowed pointers. */
void model_queue_list(const struct model *m, struct model_list *out);

/* The resource history's i-th sample, oldest first (0 <= i < hist_count). */
const struct resource_sample *model_res_history(const struct model_resources *r, uint32_t i);

#endif
