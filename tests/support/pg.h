/* pg.h: test support: a private PostgreSQL cluster per test, started and
 * stopped through tests/support/pgcluster.sh, and helpers to run SQL as the
 * owner or the daemon's role. */
#ifndef WFMON_TEST_PG_H
#define WFMON_TEST_PG_H

#include <stdbool.h>

struct pgtest {
	char dir[128];          /* /tmp/wfmon-pg-XXXXXX */
	char owner[256];        /* conninfo of wfmon_owner */
	char app[256];          /* conninfo of wfmon_app */
};

/* Makes a temp folder and starts a cluster in it. 0 or -1. */
int pgtest_start(struct pgtest *pg);
/* pgtest_start, then the daemon's migrations as the owner (wfmon_app the
 * daemon's role). 0 or -1 (the cause printed). */
int pgtest_start_migrated(struct pgtest *pg);
/* Starts it again (same folder, same data). */
int pgtest_restart(struct pgtest *pg);
/* Fast shutdown, leaving the data. */
int pgtest_stop(struct pgtest *pg);
/* Stops it and removes the folder. */
void pgtest_destroy(struct pgtest *pg);

/* Puts the daemon's storage options for this cluster into args: its app and
 * owner roles and the spool folder given; returns how many (6). */
int pgtest_daemon_args(const struct pgtest *pg, const char *spool, const char **args);

/* Runs SQL (several statements allowed) on a new connection; 0 when every
 * statement succeeded, else -1 (the error is printed unless quiet). */
int pgtest_exec(const char *conninfo, const char *sql, bool quiet);
/* The first column of the first row of the last statement as an integer,
 * or -1 (printed) on error or no row. */
long long pgtest_value(const char *conninfo, const char *sql);
/* Rows of execution_events of org WHERE where, as the daemon's role; -1 on error. */
long long pgtest_count_events(const struct pgtest *pg, const char *org, const char *where);
/* Waits up to timeout_ms until that count is want; false (the count printed) if it never is. */
bool pgtest_wait_events(const struct pgtest *pg, const char *org, const char *where, long long want,
			int timeout_ms);
/* The same as text (malloc'd), NULL on error or SQL NULL. */
char *pgtest_text(const char *conninfo, const char *sql);

#endif
