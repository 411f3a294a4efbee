/* puts.c: the store's small writes that are not events (queue snapshots, the
 * daemon's resource samples, audit rows) and the database-connections sample.
 * Each runs inside storeq_run's transaction, with the organization set, so
 * row-level security checks every row. */
#include "store.h"
#include "store_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgconn.h"

bool store_query_is_put(enum store_query_kind kind)
{
	return kind == STORE_Q_PUT_QUEUE_SNAPSHOT || kind == STORE_Q_PUT_DAEMON_SAMPLE ||
	       kind == STORE_Q_PUT_AUDIT;
}

static int run_insert(PGconn *c, const char *sql, int n, const char *const *values, json_t **result,
		      char *err, size_t errlen)
{
	PGresult *r = pgconn_query(c, sql, n, values, err, errlen);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	PQclear(r);
	*result = json_object();
	return 0;
}

static char *num_text(json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.6g", json_real_value(v));
	else
		return NULL;
	return buf;
}

int storeq_put_queue_snapshot(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	char depth[32], processing[32], oldest[32], wait[32], rate[32];
	char *by = json_dumps(json_object_get(p, "by_priority") ? json_object_get(p, "by_priority")
								 : json_object(), JSON_COMPACT);
	const char *v[6] = {
		num_text(json_object_get(p, "depth"), depth, sizeof depth) ?: "0",
		num_text(json_object_get(p, "processing"), processing, sizeof processing) ?: "0",
		by,
		num_text(json_object_get(p, "oldest_age_ms"), oldest, sizeof oldest),
		num_text(json_object_get(p, "avg_wait_ms"), wait, sizeof wait),
		num_text(json_object_get(p, "rate_per_min"), rate, sizeof rate),
	};
	int rc = run_insert(c,
			    "INSERT INTO queue_snapshots (org_id, pending_count, processing_count, "
			    "pending_by_priority, oldest_wait_ms, average_wait_ms, processing_rate_per_minute) "
			    "VALUES (current_setting('wfmon.org'), $1::int, $2::int, $3::jsonb, $4::bigint, "
			    "$5::bigint, $6::double precision)",
			    6, v, result, err, errlen);
	free(by);
	return rc;
}

int storeq_put_daemon_sample(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	char cpu[32], mem[32];
	char *tags = json_dumps(json_object_get(p, "tags") ? json_object_get(p, "tags") : json_object(),
				JSON_COMPACT);
	const char *v[3] = {
		num_text(json_object_get(p, "cpu_percent"), cpu, sizeof cpu) ?: "0",
		num_text(json_object_get(p, "memory_bytes"), mem, sizeof mem) ?: "0",
		tags,
	};
	int rc = run_insert(c,
			    "INSERT INTO resource_metrics (org_id, worker, source, cpu_percent, memory_bytes, tags) "
			    "VALUES (current_setting('wfmon.org'), 'wfmond', 'daemon', $1::double precision, "
			    "$2::bigint, $3::jsonb)",
			    3, v, result, err, errlen);
	free(tags);
	return rc;
}

int storeq_put_audit(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	const char *actor = json_string_value(json_object_get(p, "actor"));
	const char *action = json_string_value(json_object_get(p, "action"));
	if (actor == NULL || action == NULL) {
		snprintf(err, errlen, "an audit row needs an actor and an action");
		return STOREQ_BAD_PARAMS;
	}
	char *details = json_dumps(json_object_get(p, "details") ? json_object_get(p, "details")
								: json_object(), JSON_COMPACT);
	const char *v[4] = { actor, action, json_string_value(json_object_get(p, "target")), details };
	int rc = run_insert(c,
			    "INSERT INTO audit_log (org_id, actor, action, target, details) "
			    "VALUES (current_setting('wfmon.org'), $1, $2, $3, $4::jsonb)",
			    4, v, result, err, errlen);
	free(details);
	return rc;
}

int storeq_db_connections(PGconn *c, json_t *p, json_t **result, char *err, size_t errlen)
{
	(void)p;
	/* Other roles' sessions show their state only to pg_monitor members;
	 * without it they count in total but not as active or idle. */
	PGresult *r = pgconn_query(c,
				   "SELECT count(*) FILTER (WHERE state = 'active'), "
				   "count(*) FILTER (WHERE state LIKE 'idle%'), count(*), "
				   "current_setting('max_connections')::int "
				   "FROM pg_stat_activity WHERE backend_type = 'client backend'",
				   0, NULL, err, errlen);
	if (r == NULL)
		return STOREQ_DB_ERROR;
	*result = json_pack("{s:I,s:I,s:I,s:I}", "active", (json_int_t)atoll(PQgetvalue(r, 0, 0)),
			    "idle", (json_int_t)atoll(PQgetvalue(r, 0, 1)),
			    "total", (json_int_t)atoll(PQgetvalue(r, 0, 2)),
			    "max", (json_int_t)atoll(PQgetvalue(r, 0, 3)));
	PQclear(r);
	return 0;
}
