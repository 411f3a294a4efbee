/* publish.h: one producer's batch, end to end: validate, keep (the store),
 * deliver, acknowledge. With a store the acknowledgement waits until the
 * events are durable (synced to the spool); without one it goes at once. */
#ifndef WFMON_PUBLISH_H
#define WFMON_PUBLISH_H

#include <jansson.h>

#include "ingest.h"
#include "reply.h"

struct server;
struct org;
struct pending;

/* Publishes events (a JSON array) for org and answers `to`. */
void publish_events(struct server *s, struct org *o, json_t *events, const struct reply_to *to);
/* The same for a batch already prepared (HTTP NDJSON builds its own). */
void publish_prepared(struct server *s, struct org *o, struct ingest_batch *b, const struct reply_to *to);
/* The ack (or its HTTP answer) of a batch to `to`; results borrowed. */
void publish_answer(struct server *s, const struct reply_to *to, int accepted, int rejected,
		    json_t *results);
/* The store says the batch behind this pending ack is durable (or failed). */
void publish_durable(struct server *s, struct pending *p, int status, const char *error);

#endif
