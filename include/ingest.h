/* ingest.h: accepting a batch of events from a producer, over WebSocket or
 * HTTP alike: validate each, drop retries, apply to the live state and route
 * to the rooms. One bad event never drops the others of its batch. */
#ifndef WFMON_INGEST_H
#define WFMON_INGEST_H

#include <jansson.h>

struct org;

struct ingest_result {
	int accepted;     /* new events and duplicates (both acknowledged) */
	int rejected;
	json_t *results;  /* new reference: one result object per event, in order */
};

/* Processes an array of events for org. Fills *out; the caller decrefs out->results. */
void ingest_batch(struct org *o, json_t *events, struct ingest_result *out);

/* A result object for an event that could not even be parsed (HTTP NDJSON). */
json_t *ingest_error_result_new(const char *event_id, const char *code, const char *field,
				const char *message);

#endif
