/* pg.c: test clusters through pgcluster.sh and one-shot SQL helpers.
 *
 * The script is found through $WFMON_PGCLUSTER, or as src/tools/pgcluster.sh
 * from the current folder (tests/run.sh runs from the top of the tree) or
 * from $WFMON_BUILD's parents. */
#include "pg.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static const char *script_path(void)
{
	static char path[512];
	const char *env = getenv("WFMON_PGCLUSTER");
	if (env && *env)
		return env;
	const char *build = getenv("WFMON_BUILD");
	const char *candidates[] = {".", "..", "../..", NULL};
	for (int i = 0; candidates[i]; i++) {
		snprintf(path, sizeof path, "%s/src/tools/pgcluster.sh", candidates[i]);
		if (access(path, X_OK) == 0)
			return path;
		if (build) {
			snprintf(path, sizeof path, "%s/%s/src/tools/pgcluster.sh", build, candidates[i]);
			if (access(path, X_OK) == 0)
				return path;
		}
	}
	return "src/tools/pgcluster.sh";
}

static int run_script(const char *cmd, const char *dir)
{
	char line[1024];
	snprintf(line, sizeof line, "'%s' %s '%s' >/dev/null", script_path(), cmd, dir);
	int rc = system(line);
	if (rc != 0)
		fprintf(stderr, "pgtest: `%s` failed (%d)\n", line, rc);
	return rc == 0 ? 0 : -1;
}

int pgtest_start(struct pgtest *pg)
{
	snprintf(pg->dir, sizeof pg->dir, "/tmp/wfmon-pg-XXXXXX");
	if (mkdtemp(pg->dir) == NULL) {
		perror("pgtest: mkdtemp");
		return -1;
	}
	/* The server runs as postgres when we are root: it must reach the folder. */
	chmod(pg->dir, 0755);
	snprintf(pg->owner, sizeof pg->owner, "host=%s/run dbname=wfmon user=wfmon_owner", pg->dir);
	snprintf(pg->app, sizeof pg->app, "host=%s/run dbname=wfmon user=wfmon_app", pg->dir);
	return run_script("start", pg->dir);
}

int pgtest_start_migrated(struct pgtest *pg)
{
	if (pgtest_start(pg) != 0)
		return -1;
	char cause[256];
	if (store_migrate(pg->owner, "wfmon_app", cause, sizeof cause) != 0) {
		fprintf(stderr, "store_migrate: %s\n", cause);
		return -1;
	}
	return 0;
}

int pgtest_restart(struct pgtest *pg)
{
	return run_script("start", pg->dir);
}

int pgtest_stop(struct pgtest *pg)
{
	return run_script("stop", pg->dir);
}

void pgtest_destroy(struct pgtest *pg)
{
	if (pg->dir[0] == '\0')
		return;
	run_script("stop", pg->dir);
	char line[300];
	snprintf(line, sizeof line, "rm -rf '%s'", pg->dir);
	if (system(line) != 0)
		fprintf(stderr, "pgtest: cannot remove %s\n", pg->dir);
	pg->dir[0] = '\0';
}

static PGresult *exec_last(const char *conninfo, const char *sql, bool quiet, PGconn **out)
{
	PGconn *c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		if (!quiet)
			fprintf(stderr, "pgtest: connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		if (!quiet)
			fprintf(stderr, "pgtest: %s: %s", sql, PQerrorMessage(c));
		PQclear(r);
		PQfinish(c);
		return NULL;
	}
	*out = c;
	return r;
}

int pgtest_exec(const char *conninfo, const char *sql, bool quiet)
{
	PGconn *c;
	PGresult *r = exec_last(conninfo, sql, quiet, &c);
	if (r == NULL)
		return -1;
	PQclear(r);
	PQfinish(c);
	return 0;
}

char *pgtest_text(const char *conninfo, const char *sql)
{
	PGconn *c;
	PGresult *r = exec_last(conninfo, sql, false, &c);
	if (r == NULL)
		return NULL;
	char *v = NULL;
	if (PQntuples(r) > 0 && PQnfields(r) > 0 && !PQgetisnull(r, 0, 0))
		v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

long long pgtest_value(const char *conninfo, const char *sql)
{
	char *v = pgtest_text(conninfo, sql);
	if (v == NULL)
		return -1;
	long long n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

int pgtest_daemon_args(const struct pgtest *pg, const char *spool, const char **args)
{
	int n = 0;
	args[n++] = "--database";
	args[n++] = pg->app;
	args[n++] = "--database-owner";
	args[n++] = pg->owner;
	args[n++] = "--spool-dir";
	args[n++] = spool;
	return n;
}

long long pgtest_count_events(const struct pgtest *pg, const char *org, const char *where)
{
	char sql[1024];
	snprintf(sql, sizeof sql, "SELECT set_config('wfmon.org', '%s', false); "
		 "SELECT count(*) FROM execution_events WHERE %s", org, where);
	return pgtest_value(pg->app, sql);
}

bool pgtest_wait_events(const struct pgtest *pg, const char *org, const char *where, long long want,
			int timeout_ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	long long end = t.tv_sec * 1000LL + t.tv_nsec / 1000000 + timeout_ms, now, got = -1;
	do {
		got = pgtest_count_events(pg, org, where);
		if (got == want)
			return true;
		usleep(100000);
		clock_gettime(CLOCK_MONOTONIC, &t);
		now = t.tv_sec * 1000LL + t.tv_nsec / 1000000;
	} while (now < end);
	fprintf(stderr, "count of %s where %s: %lld, wanted %lld\n", org, where, got, want);
	return false;
}
