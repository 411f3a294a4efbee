/* batch.h: one organization's spool records as the typed columns
 * wfmon_store_events takes (migration 0016): one PostgreSQL array a column,
 * in the records' order, in the binary format of a bound parameter (so that
 * PostgreSQL reads each element as it is, with no array literal to parse
 * and no quotes to undo). Internal to src/store.
 *
 * A record is the spool payload {"org","pos","at"?,"in_size"?,"out_size"?,
 * "event":{..}} (src/store/store.c). Each column holds what the SQL operator
 * ->> gives for its member (a string unescaped, any other value as its JSON
 * text, NULL for null or absent): the event's id, execution_id,
 * workflow_id, type, step_id and ts as text, the record's pos, at, in_size
 * and out_size as bigint; the body column holds the event's JSON text as it
 * is. PostgreSQL checks the rest: a time that is not a time, a body that is
 * not JSON, a missing id are refused there, as data. A record whose pos, at,
 * in_size or out_size is not an integer is refused here (0015 refused it
 * as data too).
 *
 * Ownership: the batch owns its buffers until batch_free. */
#ifndef WFMON_BATCH_H
#define WFMON_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum batch_column {
	BATCH_POS, BATCH_AT, BATCH_ID, BATCH_EXEC, BATCH_WF, BATCH_KIND, BATCH_STEP, BATCH_TS,
	BATCH_IN, BATCH_OUT, BATCH_BODY, BATCH__COUNT
};

/* One array parameter being built. */
struct batch_array {
	char *buf;          /* the array's binary form; its header is filled by batch_finish */
	size_t len, cap;
	bool has_null;
};

struct batch {
	struct batch_array col[BATCH__COUNT];
	size_t n;   /* records added */
};

/* The parameters of one call: value, length and type of each column. */
struct batch_params {
	const char *values[BATCH__COUNT];
	int lengths[BATCH__COUNT];
	unsigned types[BATCH__COUNT];   /* array type oids: bigint[] or text[] */
};

void batch_init(struct batch *b);
void batch_free(struct batch *b);

/* Adds one record (payload of len bytes, borrowed). Returns 0, or -1 with
 * err when the record cannot be read (nothing is added then). *pos gets the
 * record's position when it has one, else 0. */
int batch_add(struct batch *b, const char *payload, size_t len, int64_t *pos, char *err, size_t errlen);

/* Completes the arrays and points out at them (owned by the batch); after
 * this, nothing more may be added. */
void batch_finish(struct batch *b, struct batch_params *out);

#endif
