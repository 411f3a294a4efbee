/* batch.h: one organization's spool records as the typed columns
 * wfmon_store_events takes (migration 0016): one PostgreSQL array literal a
 * column, in the records' order. Internal to src/store.
 *
 * A record is the spool payload {"org","pos","at"?,"in_size"?,"out_size"?,
 * "event":{..}} (src/store/store.c). Each column holds what the SQL operator
 * ->> gives for its member (a string unescaped, any other value as its JSON
 * text, NULL for null or absent): the event's id, execution_id,
 * workflow_id, type, step_id and ts, the record's pos, at, in_size and
 * out_size; the body column holds the event's JSON text as it is.
 * PostgreSQL checks the rest (a position that is not a number, a time that
 * is not a time, a body that is not JSON are refused there, as data).
 *
 * Ownership: the batch owns its literals until batch_free. */
#ifndef WFMON_BATCH_H
#define WFMON_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "pgarray.h"

enum batch_column {
	BATCH_POS, BATCH_AT, BATCH_ID, BATCH_EXEC, BATCH_WF, BATCH_KIND, BATCH_STEP, BATCH_TS,
	BATCH_IN, BATCH_OUT, BATCH_BODY, BATCH__COUNT
};

struct batch {
	struct pgarray col[BATCH__COUNT];
	size_t n;   /* records added */
};

void batch_init(struct batch *b);
void batch_free(struct batch *b);

/* Adds one record (payload of len bytes, borrowed). Returns 0, or -1 with
 * err when the record is not a JSON object with an object "event" (nothing
 * is added then). *pos gets the record's position when it has one, else 0. */
int batch_add(struct batch *b, const char *payload, size_t len, int64_t *pos, char *err, size_t errlen);

/* The column literals, in enum batch_column order (owned by the batch);
 * after this, nothing more may be added. */
void batch_finish(struct batch *b, const char *out[BATCH__COUNT]);

#endif
