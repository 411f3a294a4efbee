/* partitions.c: the day partitions of the time-series tables (migration
 * 0014): made ahead of time, dropped past retention.
 *
 * Invariants: the store thread alone calls these, on its own connection, so a
 * partition's DDL never waits for the daemon's writes nor they for it (other
 * sessions' locks are bounded by the functions' lock_timeout); each call does
 * a bounded amount of work (PARTITIONS_AHEAD_DAYS + 1 days per table, at most
 * `max` drops); the DDL itself runs in functions owned by the schema owner, so
 * the daemon's role keeps no DDL privilege. */
#include "store_db.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "pgconn.h"

#define RETRY_US (60 * 1000000LL)

/* The one number a statement answers, or -1 with err. */
static long one_number(PGconn *c, const char *sql, int n, const char *const *params, char *err,
		       size_t errlen)
{
	PGresult *r = pgconn_query(c, sql, n, params, err, errlen);
	if (r == NULL)
		return -1;
	long v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return v;
}

long partitions_ensure(PGconn *c, struct partitions *p, int64_t now_us, char *err, size_t errlen)
{
	if (now_us < p->next_us)
		return 0;
	char ahead[16];
	snprintf(ahead, sizeof ahead, "%d", PARTITIONS_AHEAD_DAYS);
	const char *params[] = {ahead};
	long made = one_number(c, "SELECT wfmon_partitions_ensure((now() AT TIME ZONE 'UTC')::date, "
				  "(now() AT TIME ZONE 'UTC')::date + $1::integer)", 1, params, err, errlen);
	if (made < 0) {
		p->next_us = now_us + RETRY_US;
		return -1;
	}
	p->next_us = now_us + PARTITIONS_INTERVAL_US;
	if (made > 0)
		log_info("store: created %ld day partitions ahead of time", made);
	return made;
}

long partitions_drop(PGconn *c, const char *table, int days, int max, char *err, size_t errlen)
{
	char d[16], m[16];
	snprintf(d, sizeof d, "%d", days);
	snprintf(m, sizeof m, "%d", max);
	const char *params[] = {table, d, m};
	return one_number(c, "SELECT wfmon_partitions_drop($1, ((now() - $2::integer * interval '1 day') "
			     "AT TIME ZONE 'UTC')::date, $3::integer)", 3, params, err, errlen);
}
