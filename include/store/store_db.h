/* store_db.h: the store's PostgreSQL work below the thread: queries, writes,
 * retention and the start-up reload. Everything here takes a plain PGconn and
 * runs synchronously; the caller owns the connection and its state machine.
 * Internal to src/store. */
#ifndef WFMON_STORE_DB_H
#define WFMON_STORE_DB_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "store.h"

/* storeq_run's outcomes besides 0. */
#define STOREQ_BAD_PARAMS (-1)   /* err: a sentence naming the parameter */
#define STOREQ_DB_ERROR (-2)     /* err: PostgreSQL's message, for the log */

#define STOREQ_EVENTS_MAX 2000   /* events in an execution query */

/* Writes the sentence into err and returns STOREQ_BAD_PARAMS. */
int storeq_bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The SQL expression of a timestamptz as a proto_time_format string in UTC
 * ("2026-05-28T20:50:40.000Z"), NULL for NULL. */
#define STORE_SQL_TIME(expr) "to_char((" expr ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* queries.c: runs the query in one transaction that sets org first. The
 * history queries' params (borrowed) go through proto_query_params_new, the
 * one set of rules for them, whoever the caller; a refusal is
 * STOREQ_BAD_PARAMS with "parameter <name>: <why>". On 0, *result is new. */
int storeq_run(PGconn *c, enum store_query_kind kind, const char *org, json_t *params,
	       json_t **result, char *err, size_t errlen);
/* The full execution as exec_json_new writes it, or *out = NULL when
 * there is none. Runs inside the caller's transaction (organization set). */
int storeq_execution_full(PGconn *c, const char *execution_id, json_t **out, char *err,
			  size_t errlen);
/* The same for n executions at once (four queries in all, whatever n): appends
 * to list the full execution of each id that exists, in the order of ids (a
 * repeated id comes once). */
int storeq_executions_full(PGconn *c, const char *const *ids, size_t n, json_t *list, char *err,
			   size_t errlen);
/* jsonb (or json) text to a new JSON value; NULL and unparsable text give null. */
json_t *storeq_parse_json(const char *text);

/* puts.c: the non-event writes and the connections sample (query_fn shape). */
int storeq_put_queue_snapshot(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);
int storeq_put_daemon_sample(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);
int storeq_put_audit(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);
int storeq_db_connections(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);
int storeq_put_rule(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);
int storeq_put_rule_delete(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);
int storeq_put_alert(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);
int storeq_put_notify_attempt(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);
int storeq_put_action_use(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);

/* metrics_query.c: STORE_Q_METRICS (see store.h). */
int storeq_metrics(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);
int storeq_put_schedule(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);
int storeq_put_schedule_delete(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);

/* dashboards.c: STORE_Q_DASHBOARD (see store.h). */
int storeq_dashboard(PGconn *c, json_t *params, json_t **result, char *err, size_t errlen);

/* write.c: applies one organization's records (batch.h; finished here) in
 * one transaction. Returns the number of events inserted (duplicates are
 * skipped), or -1 with err; *permanent says that the records themselves were
 * refused (bad data), so retrying cannot help. */
struct batch;
long storew_apply(PGconn *c, const char *org, struct batch *b, size_t data_cap_bytes, bool *permanent,
		  char *err, size_t errlen);
/* Writes one organization's spool records (borrowed) in one transaction.
 * A record that is not readable is logged and dropped; when PostgreSQL
 * refuses the batch for its data, the records go again one by one and each
 * one refused on its own is logged and dropped, the others stored. Returns
 * 0, or -1 to stop and retry later (the connection is lost, or the failure
 * was not the data's). */
struct pgconn;
struct spool_record;
int storew_records(struct pgconn *pc, const char *org, struct spool_record *const *recs, size_t n,
		   size_t data_cap_bytes);
/* The organizations with history (wfmon_known_orgs()), a new array of strings. */
json_t *storew_known_orgs(PGconn *c, char *err, size_t errlen);

/* partitions.c: the day partitions of the time-series tables (0014). */
struct partitions {
	int64_t next_us;       /* monotonic time of the next wfmon_partitions_ensure */
};
#define PARTITIONS_AHEAD_DAYS 3
#define PARTITIONS_INTERVAL_US (3600 * 1000000LL)
#define PARTITIONS_DROP_MAX 8           /* partitions one call drops */
/* When due (at once after a zeroed struct, then hourly, a minute after a
 * failure): the partitions of today and PARTITIONS_AHEAD_DAYS days ahead.
 * Returns the partitions created, or -1 with err (the caller checks the
 * connection). */
long partitions_ensure(PGconn *c, struct partitions *p, int64_t now_us, char *err, size_t errlen);
/* Drops at most max of table's day partitions whose whole day is older than
 * `days` days. Returns the partitions dropped, or -1 with err. */
long partitions_drop(PGconn *c, const char *table, int days, int max, char *err, size_t errlen);

/* retention.c */
struct retention {
	int64_t next_us;       /* monotonic time of the next pass */
	json_t *orgs;          /* organizations of the current round, or NULL */
	size_t org_index, rule_index;
	long partitions_dropped; /* day partitions dropped since retention_init */
};
#define RETENTION_INTERVAL_US (60 * 1000000LL)
#define RETENTION_BATCH 1000            /* rows per DELETE */
#define RETENTION_STATEMENTS 8          /* DELETEs per pass */

void retention_init(struct retention *rt);
void retention_free(struct retention *rt);
/* One pass of at most RETENTION_STATEMENTS deletes, when due. Returns the
 * rows deleted, or -1 with err (the caller checks the connection). */
long retention_pass(PGconn *c, const struct store_config *cfg, struct retention *rt,
		    int64_t now_us, char *err, size_t errlen);

#endif
