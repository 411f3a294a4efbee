/* write.c: the write path into PostgreSQL: one organization's records in one
 * transaction through wfmon_apply_events, and the organization list.
 *
 * Invariants: the transaction sets wfmon.org before anything else, so the
 * rows written can only be that organization's (row-level security checks
 * every insert); applying the same records again inserts nothing. */
#include "store_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgconn.h"

long storew_apply(PGconn *c, const char *org, const char *records_json, size_t data_cap_bytes,
		  bool *permanent, char *err, size_t errlen)
{
	*permanent = false;
	if (pgconn_begin_org(c, org, err, errlen) != 0)
		return -1;
	char cap[32];
	snprintf(cap, sizeof cap, "%zu", data_cap_bytes > 0x7fffffff ? (size_t)0x7fffffff : data_cap_bytes);
	const char *p[] = {records_json, cap};
	PGresult *r = PQexecParams(c, "SELECT wfmon_apply_events($1::jsonb, $2::integer)", 2, NULL, p,
				   NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		pgconn_error_copy(r ? PQresultErrorMessage(r) : PQerrorMessage(c), err, errlen);
		/* Data exceptions and integrity violations come from the records
		 * themselves: trying again would fail again. */
		const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		*permanent = state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0);
		PQclear(r);
		pgconn_rollback(c);
		return -1;
	}
	long inserted = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	if (pgconn_commit(c, err, errlen) != 0)
		return -1;
	return inserted;
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
