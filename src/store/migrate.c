/* migrate.c: store_migrate: applies the compiled-in migrations as the schema
 * owner and grants the daemon role what it needs.
 *
 * Invariants: the whole run holds one session advisory lock, so two daemons
 * starting together apply each migration once; each migration and its
 * schema_migrations row commit in one transaction, so a failure leaves it
 * unapplied; the grants are re-run every time (GRANT is idempotent) and never
 * include TRUNCATE, ownership or DDL. */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "migrations.h"
#include "pgconn.h"
#include "rollup.h"

/* An arbitrary key: the bytes of "wfmon" (0x77666d6f6e) in decimal. */
#define MIGRATE_LOCK_KEY "512819556206"

/* What the daemon role may do, table by table; everything else is denied. */
static const struct grant {
	const char *table;
	const char *privileges;
} grants[] = {
	{"workflows", "SELECT, INSERT, UPDATE, DELETE"},
	{"workflow_executions", "SELECT, INSERT, UPDATE, DELETE"},
	{"step_executions", "SELECT, INSERT, UPDATE, DELETE"},
	{"execution_counters", "SELECT, INSERT, UPDATE, DELETE"},
	{"event_positions", "SELECT, INSERT, UPDATE"},
	{"execution_events", "SELECT, INSERT, DELETE"},
	/* UPDATE: a retried attempt's facts are marked (0008). */
	{"execution_metrics", "SELECT, INSERT, UPDATE, DELETE"},
	{"step_metrics", "SELECT, INSERT, UPDATE, DELETE"},
	{"resource_metrics", "SELECT, INSERT, DELETE"},
	{"queue_snapshots", "SELECT, INSERT, DELETE"},
	{"monitoring_alerts", "SELECT, INSERT, UPDATE, DELETE"},
	{"alert_history", "SELECT, INSERT, UPDATE, DELETE"},
	{"user_dashboards", "SELECT, INSERT, UPDATE, DELETE"},
	{"audit_log", "SELECT, INSERT"},
	{"notification_attempts", "SELECT, INSERT, DELETE"},
	{"action_link_uses", "SELECT, INSERT, DELETE"},
	{"metric_rollups", "SELECT, INSERT, UPDATE, DELETE"},
	{"metric_rollup_state", "SELECT, INSERT, UPDATE"},
	{"metric_rollup_retractions", "SELECT, INSERT, DELETE"},
	{"workflow_schedules", "SELECT, INSERT, UPDATE, DELETE"},
	/* Retention deletes the rows of the time-series tables' default
	 * partitions row by row (0014); day partitions are the owner's alone. */
	{"execution_events_default", "SELECT, DELETE"},
	{"execution_metrics_default", "SELECT, DELETE"},
	{"step_metrics_default", "SELECT, DELETE"},
	{"resource_metrics_default", "SELECT, DELETE"},
	{"queue_snapshots_default", "SELECT, DELETE"},
};

/* Work a migration needs done in C, in its transaction after its SQL: filling
 * the rollups from the history already stored (their bytes are ours). */
static const struct migration_step {
	const char *name;
	int (*run)(PGconn *c, char *err, size_t errlen);
} after_sql[] = {
	{"0005_metrics", rollup_migrate},
};

static const char *const function_grants[] = {
	"wfmon_apply_events(jsonb, integer)",
	"wfmon_store_events(bigint[], bigint[], text[], text[], text[], text[], text[], text[], bigint[], bigint[], "
	"text[], integer)",
	"wfmon_known_orgs()",
	"wfmon_partitions_ensure(date, date)",
	"wfmon_partitions_drop(text, date, integer)",
};

/* 1 if applied already, 0 if not, -1 on error. Runs inside the transaction. */
static int is_applied(PGconn *c, const char *name, char *cause, size_t causelen)
{
	const char *p[] = {name};
	PGresult *r = pgconn_query(c, "SELECT 1 FROM schema_migrations WHERE name = $1", 1, p, cause,
				   causelen);
	if (r == NULL)
		return -1;
	int applied = PQntuples(r) > 0;
	PQclear(r);
	return applied;
}

static int apply_one(PGconn *c, const struct migration *m, char *cause, size_t causelen)
{
	char why[200];
	if (pgconn_exec(c, "BEGIN", 0, NULL, why, sizeof why) != 0)
		goto fail;
	int applied = is_applied(c, m->name, why, sizeof why);
	if (applied < 0)
		goto fail_rollback;
	if (applied) {
		pgconn_rollback(c);
		return 0;
	}
	/* A multi-statement script: the simple query protocol runs it all inside
	 * our transaction. */
	PGresult *r = PQexec(c, m->sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		pgconn_error_copy(PQresultErrorMessage(r), why, sizeof why);
		PQclear(r);
		goto fail_rollback;
	}
	PQclear(r);
	for (size_t i = 0; i < sizeof after_sql / sizeof after_sql[0]; i++)
		if (strcmp(after_sql[i].name, m->name) == 0 && after_sql[i].run(c, why, sizeof why) != 0)
			goto fail_rollback;
	const char *p[] = {m->name};
	if (pgconn_exec(c, "INSERT INTO schema_migrations (name) VALUES ($1)", 1, p, why, sizeof why) != 0)
		goto fail_rollback;
	if (pgconn_exec(c, "COMMIT", 0, NULL, why, sizeof why) != 0)
		goto fail;
	log_info("store: applied migration %s", m->name);
	return 0;
fail_rollback:
	pgconn_rollback(c);
fail:
	snprintf(cause, causelen, "migration %s failed: %s", m->name, why);
	return -1;
}

static int grant_all(PGconn *c, const char *app_role, char *cause, size_t causelen)
{
	char *role = PQescapeIdentifier(c, app_role, strlen(app_role));
	if (role == NULL) {
		pgconn_error_copy(PQerrorMessage(c), cause, causelen);
		return -1;
	}
	char sql[512], why[200];
	int rc = pgconn_exec(c, "BEGIN", 0, NULL, why, sizeof why);
	if (rc == 0) {
		snprintf(sql, sizeof sql, "GRANT USAGE ON SCHEMA public TO %s", role);
		rc = pgconn_exec(c, sql, 0, NULL, why, sizeof why);
	}
	for (size_t i = 0; rc == 0 && i < sizeof grants / sizeof grants[0]; i++) {
		snprintf(sql, sizeof sql, "GRANT %s ON TABLE %s TO %s", grants[i].privileges,
			 grants[i].table, role);
		rc = pgconn_exec(c, sql, 0, NULL, why, sizeof why);
	}
	for (size_t i = 0; rc == 0 && i < sizeof function_grants / sizeof function_grants[0]; i++) {
		snprintf(sql, sizeof sql, "GRANT EXECUTE ON FUNCTION %s TO %s", function_grants[i], role);
		rc = pgconn_exec(c, sql, 0, NULL, why, sizeof why);
	}
	if (rc == 0) {
		/* Identity columns draw from sequences. */
		snprintf(sql, sizeof sql, "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO %s", role);
		rc = pgconn_exec(c, sql, 0, NULL, why, sizeof why);
	}
	if (rc == 0)
		rc = pgconn_exec(c, "COMMIT", 0, NULL, why, sizeof why);
	else
		pgconn_rollback(c);
	PQfreemem(role);
	if (rc != 0)
		snprintf(cause, causelen, "granting %s its privileges failed: %s", app_role, why);
	return rc;
}

int store_migrate(const char *owner_conninfo, const char *app_role, char *cause, size_t causelen)
{
	char why[200];
	PGconn *c = pgconn_connect_once(owner_conninfo, why, sizeof why);
	if (c == NULL) {
		snprintf(cause, causelen, "cannot connect to PostgreSQL as the schema owner: %s", why);
		return pgconn_reachable(owner_conninfo) ? -1 : STORE_MIGRATE_UNREACHABLE;
	}
	int rc = 0;
	/* Migrations may take longer than a query. */
	if (pgconn_exec(c, "SET statement_timeout = 0", 0, NULL, why, sizeof why) != 0 ||
	    pgconn_exec(c, "SET client_min_messages = warning", 0, NULL, why, sizeof why) != 0 ||
	    pgconn_exec(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", 0, NULL, why, sizeof why) != 0) {
		snprintf(cause, causelen, "cannot lock the schema for migrations: %s", why);
		PQfinish(c);
		return -1;
	}
	if (pgconn_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		   " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
		0, NULL, why, sizeof why) != 0) {
		snprintf(cause, causelen, "cannot create schema_migrations: %s", why);
		rc = -1;
	}
	for (const struct migration *m = migrations; rc == 0 && m->name != NULL; m++)
		rc = apply_one(c, m, cause, causelen);
	if (rc == 0 && app_role != NULL && *app_role != '\0')
		rc = grant_all(c, app_role, cause, causelen);
	pgconn_exec(c, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", 0, NULL, why, sizeof why);
	PQfinish(c);
	return rc;
}
