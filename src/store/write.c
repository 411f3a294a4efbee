/* write.c: the write path into PostgreSQL: one organization's records in one
 * transaction through wfmon_store_events (their columns: batch.h), and the
 * organization list.
 *
 * Invariants: the transaction sets wfmon.org before anything else, so the
 * rows written can only be that organization's (row-level security checks
 * every insert); applying the same records again inserts nothing. */
#include "store_db.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "log.h"
#include "pgconn.h"
#include "spool.h"

long storew_apply(PGconn *c, const char *org, struct batch *b, size_t data_cap_bytes, bool *permanent,
		  char *err, size_t errlen)
{
	*permanent = false;
	if (c == NULL) {
		snprintf(err, errlen, "the history database is not connected");
		return -1;
	}
	char cap[32];
	snprintf(cap, sizeof cap, "%zu", data_cap_bytes > 0x7fffffff ? (size_t)0x7fffffff : data_cap_bytes);
	struct batch_params bp;
	batch_finish(b, &bp);
	const char *values[BATCH__COUNT + 2];
	int lengths[BATCH__COUNT + 2], formats[BATCH__COUNT + 2];
	Oid types[BATCH__COUNT + 2];
	for (int i = 0; i < BATCH__COUNT; i++) {
		values[i] = bp.values[i];
		lengths[i] = bp.lengths[i];
		formats[i] = 1;
		types[i] = bp.types[i];
	}
	values[BATCH__COUNT] = cap;
	values[BATCH__COUNT + 1] = org;
	for (int i = BATCH__COUNT; i < BATCH__COUNT + 2; i++) {
		lengths[i] = 0;
		formats[i] = 0;
		types[i] = 0;
	}
	/* One statement, one round trip: it runs in a transaction of its own
	 * (committed, or rolled back on an error, before the answer comes), and
	 * the materialized CTE sets the organization for that transaction
	 * before the function reads it. BEGIN, the call and COMMIT were three
	 * round trips, each a wakeup of this thread, which runs at a low
	 * priority beside a busy event loop (measured under
	 * tests/bench_ingest.sh: PostgreSQL's backend idle half the time while
	 * the spool waited). */
	PGresult *r = PQexecParams(c,
				   "WITH o AS MATERIALIZED (SELECT set_config('wfmon.org', $13, true)) "
				   "SELECT wfmon_store_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
				   "$12::integer) FROM o",
				   BATCH__COUNT + 2, types, values, lengths, formats, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		pgconn_error_copy(r ? PQresultErrorMessage(r) : PQerrorMessage(c), err, errlen);
		/* Data exceptions and integrity violations come from the records
		 * themselves: trying again would fail again. */
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		*permanent = state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0);
		PQclear(r);
		return -1;
	}
	long inserted = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return inserted;
}

/* The batch of recs[from, to), dropping (and logging) records that are not
 * readable at all. */
static void batch_of(struct batch *b, const char *org, struct spool_record *const *recs, size_t from,
		     size_t to)
{
	batch_init(b);
	for (size_t i = from; i < to; i++) {
		char why[128];
		int64_t pos;
		if (batch_add(b, recs[i]->payload, recs[i]->len, &pos, why, sizeof why) != 0)
			log_error("store: dropping event at position %" PRId64 " of %s: %s", pos, org, why);
	}
}

int storew_records(struct pgconn *pc, const char *org, struct spool_record *const *recs, size_t n,
		   size_t data_cap_bytes)
{
	char err[256];
	bool permanent;
	struct batch b;
	batch_of(&b, org, recs, 0, n);
	long done = b.n > 0 ? storew_apply(pc->conn, org, &b, data_cap_bytes, &permanent, err, sizeof err) : 0;
	batch_free(&b);
	if (done >= 0)
		return 0;
	if (pgconn_check_lost(pc))
		return -1;
	if (!permanent) {
		log_warn("store: writing events for %s failed, retrying: %s", org, err);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t pos;
		char why[128];
		batch_init(&b);
		if (batch_add(&b, recs[i]->payload, recs[i]->len, &pos, why, sizeof why) != 0) {
			batch_free(&b);
			continue;   /* logged above */
		}
		done = storew_apply(pc->conn, org, &b, data_cap_bytes, &permanent, err, sizeof err);
		batch_free(&b);
		if (done >= 0)
			continue;
		if (pgconn_check_lost(pc) || !permanent)
			return -1;
		log_error("store: dropping event at position %" PRId64 " of %s: %s", pos, org, err);
	}
	return 0;
}

json_t *storew_known_orgs(PGconn *c, char *err, size_t errlen)
{
	PGresult *r = pgconn_query(c, "SELECT org FROM wfmon_known_orgs() AS org", 0, NULL, err, errlen);
	if (r == NULL)
		return NULL;
	json_t *orgs = json_array();
	for (int i = 0; i < PQntuples(r); i++)
		json_array_append_new(orgs, json_string(PQgetvalue(r, i, 0)));
	PQclear(r);
	return orgs;
}
