/* bmq_redis.h: wfmon-bullmq's side of Redis, on hiredis: one connection
 * (reconnected with backoff when it drops), the BullMQ queues under a prefix
 * (found by their meta hashes, their layout checked), their event streams
 * read in batches, and the jobs the entries name (their hashes, a flow's
 * children), read in one round trip per batch.
 *
 * Nothing here writes to Redis: the bridge only reads what the application
 * already keeps. Keys of other applications are never read (only
 * PREFIX:*:meta is scanned, and each candidate's types are checked). */
#ifndef WFMON_BMQ_REDIS_H
#define WFMON_BMQ_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bmq.h"

#define BMQ_MAX_QUEUES 256
#define BMQ_QUEUE_NAME_MAX 127
#define BMQ_STREAM_ID_MAX 48
#define BMQ_BATCH 200

struct bmq_redis_config {
	const char *host;           /* NULL with socket */
	int port;
	const char *socket;         /* a Unix socket path, or NULL */
	int db;
	const char *password;       /* AUTH, or NULL */
	const char *prefix;         /* "bull" */
	int block_ms;               /* how long one read waits for new entries */
};

struct bmq_queue {
	char name[BMQ_QUEUE_NAME_MAX + 1];
	char pos[BMQ_STREAM_ID_MAX + 1];     /* the last entry read ("0": from the start) */
};

/* A read batch: entries with their jobs, valid until the next read. */
struct bmq_item {
	struct bmq_entry entry;
	struct bmq_job job;
	int queue;                  /* index into the queue list */
};

struct bmq_redis;

struct bmq_redis *bmq_redis_new(const struct bmq_redis_config *cfg);
void bmq_redis_free(struct bmq_redis *r);
/* Connects when not connected (at most once per backoff delay). true when connected. */
bool bmq_redis_ready(struct bmq_redis *r);
/* Why the last attempt or read failed, "" when none did. */
const char *bmq_redis_error(const struct bmq_redis *r);

/* The BullMQ queues under the prefix whose layout this bridge knows;
 * unknown layouts and foreign keys are said once each through say. Adds new
 * ones to queues (keeping the ones there). Returns the count, or -1 when the
 * connection failed. */
int bmq_redis_discover(struct bmq_redis *r, struct bmq_queue *queues, size_t *n, size_t max,
		       void (*say)(const char *line, void *arg), void *arg);
/* The id of a queue's newest and oldest entry ("0-0" when empty); -1 on a
 * failed connection. */
int bmq_redis_stream_ends(struct bmq_redis *r, const char *queue, char *first, char *last, size_t len);
/* Reads up to BMQ_BATCH entries after each queue's position (waiting up to
 * block_ms), with the jobs they name. Returns the number of items (0 when
 * nothing came), or -1 when the connection failed (it is then dropped). */
int bmq_redis_read(struct bmq_redis *r, const struct bmq_queue *queues, size_t n, struct bmq_item **items);

#endif
