/* bmq.h: wfmon-bullmq's translation of a BullMQ application's Redis into
 * wfmon events (bmq.c). Pure: what the bridge read from Redis comes in as
 * plain data, events go out through a callback; no Redis, no sockets.
 *
 * The mapping:
 *   a job                 an execution, id "<queue>:<job id>", of the workflow
 *                         "<queue>.<job name>"; its data the execution's params
 *                         and its processing the step "process" (so that each
 *                         attempt shows with its duration and error);
 *   a flow's parent job   an execution whose plan is its children, then its own
 *                         "process" step depending on them;
 *   a child job           a step of its parent's execution, id "<queue>:<job id>";
 *   waiting / delayed     execution.queued (delayed_until for a delay; a promoted
 *                         job is queued again without one); the job's priority:
 *                         none NORMAL, 1..high_priority HIGH, above LOW;
 *   active                step.started with the attempt (and execution.started
 *                         for the first one of the execution);
 *   progress              step.progress (a number is a percentage; an object
 *                         with whole "current" and "total" is itself), else a
 *                         log line;
 *   a failed attempt that BullMQ retries (waiting or delayed after active)
 *                         step.failed with that attempt and the job's reason;
 *   completed / failed    step.completed / step.failed, then (not for a child)
 *                         execution.completed / execution.failed; a final
 *                         failure's stack trace as an error log line;
 *   stalled               a warning log line; removed before its end:
 *                         execution.cancelled.
 * Event ids are made from the queue and the stream entry's id, so that an
 * entry translated twice (after a restart) gives the same ids, which wfmond
 * recognises as retries. Data and return values are bounded (max_data bytes,
 * MAX_DEPTH levels) with the configured keys masked at any depth; data that is
 * not JSON is kept as text; each of these is said once in a log line and in
 * the execution's log. */
#ifndef WFMON_BMQ_H
#define WFMON_BMQ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strmap.h"

#define BMQ_MAX_DEPTH 32
#define BMQ_MAX_MASKS 32
#define BMQ_MAX_LABEL_KEYS 8
#define BMQ_MAX_CHILDREN 256
#define BMQ_MEMORY_JOBS 100000       /* jobs remembered (attempts, starts) */
#define BMQ_PROCESS_STEP "process"

struct bmq_options {
	const char *prefix;                       /* "bull" */
	const char *masks[BMQ_MAX_MASKS];         /* keys whose values read "***" (case-blind) */
	size_t nmasks;
	const char *label_keys[BMQ_MAX_LABEL_KEYS];   /* top-level data keys made labels */
	size_t nlabel_keys;
	size_t max_data;                          /* bytes of params, input and output, compact */
	int high_priority;                        /* BullMQ priorities 1..this are HIGH */
};

/* One child of a flow's parent job. */
struct bmq_child {
	char queue[128];
	char id[128];
	char name[128];
};

/* What the bridge read of a job (its hash); strings are borrowed, NULL when
 * absent. */
struct bmq_job {
	bool exists;                              /* the hash was there */
	const char *name, *data, *opts, *returnvalue, *failed_reason, *stacktrace, *parent_key;
	const char *parent_name;                  /* the parent job's name, when it has one */
	int64_t timestamp_ms, delay_ms, processed_ms, finished_ms;
	int64_t priority, attempts_made, attempts_started;
	const struct bmq_child *children;         /* a flow's parent: its children */
	size_t nchildren;
};

/* One entry of a queue's events stream; strings borrowed, NULL when absent. */
struct bmq_entry {
	const char *queue;                        /* the queue's name */
	const char *stream_id;                    /* "1796551939663-0" */
	int64_t ts_ms;                            /* its time (the id's first part) */
	const char *event, *job_id, *prev, *name, *data, *returnvalue, *failed_reason, *delay;
};

/* What the translation remembers of jobs between entries (bounded LRU). */
struct bmq_memory;
struct bmq_memory *bmq_memory_new(void);
void bmq_memory_free(struct bmq_memory *m);
size_t bmq_memory_count(const struct bmq_memory *m);

/* Receives each event (takes the reference). */
typedef void (*bmq_emit_fn)(json_t *event, void *arg);
/* Receives each thing worth a line in the bridge's log. */
typedef void (*bmq_say_fn)(const char *line, void *arg);

struct bmq_sink {
	bmq_emit_fn emit;
	bmq_say_fn say;
	void *arg;
};

/* Translates one stream entry, with the job as read now (job may be NULL or
 * !exists: a removed job; the entry's own fields are used then). Returns the
 * number of events emitted. */
size_t bmq_translate(const struct bmq_options *o, struct bmq_memory *m, const struct bmq_entry *e,
		     const struct bmq_job *job, const struct bmq_sink *sink);

/* An id (proto rules) for a text that may hold any byte: the text itself
 * when it is one already; else the characters ids cannot hold become '_' and
 * a text too long is cut, followed by '.' and eight hex digits of a hash of
 * the original, so two texts never share an id by their replaced characters. */
void bmq_id(const char *a, const char *sep, const char *b, char *out, size_t len);
/* A job's data or return value (raw JSON text, NULL for none) made fit:
 * masked, bounded in depth and size; *note gets what was done to it ("" for
 * nothing). New reference, or NULL for no data. */
json_t *bmq_data(const struct bmq_options *o, const char *raw, char *note, size_t notelen);
/* "<prefix>:<queue>:<id>" into queue and id; false when it is not that. */
bool bmq_split_key(const char *prefix, const char *key, char *queue, size_t qlen, char *id, size_t idlen);

#endif
