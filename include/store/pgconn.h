/* pgconn.h: the store thread's PostgreSQL connection, as a state machine.
 *
 * CONNECTING -> UP on success; any failure -> DOWN with a retry time; DOWN ->
 * CONNECTING once that time has come. The delay starts at 0.5 s and doubles up
 * to the configured ceiling, with jitter, and goes back to 0.5 s after a
 * success. Connecting and querying use libpq's synchronous API: the store
 * thread is not the event loop and may wait (bounded by connect_timeout and
 * statement_timeout). Each state change is logged once; the last error never
 * contains a password (libpq does not echo one). Not thread-safe: one owner. */
#ifndef WFMON_PGCONN_H
#define WFMON_PGCONN_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "rng.h"
#include "store.h"

#define PGCONN_CONNECT_TIMEOUT_S 5
#define PGCONN_STATEMENT_TIMEOUT_MS 30000

struct pgconn {
	char *conninfo;
	PGconn *conn;
	enum store_db_state state;
	int64_t retry_at_us;        /* monotonic: DOWN until then */
	int64_t backoff_ms;         /* the next delay before jitter */
	int64_t max_backoff_ms;
	struct rng rng;                /* the reconnection delay's jitter */
	char error[256];            /* last connection error, "" if none */
	char logged[300];           /* what was logged last, to log each change once */
};

/* Borrows conninfo (copied). reconnect_max_s < 1 means 1. */
void pgconn_init(struct pgconn *pc, const char *conninfo, int reconnect_max_s);
void pgconn_close(struct pgconn *pc);

/* Connects when DOWN and the retry time has come (or when never tried).
 * Returns true when UP. */
bool pgconn_ensure(struct pgconn *pc, int64_t now_us);
/* Microseconds until the next attempt (0 when not DOWN). */
int64_t pgconn_retry_in(const struct pgconn *pc, int64_t now_us);

/* After a failed command: when the connection itself is broken, closes it
 * and goes DOWN. Returns true if so. */
bool pgconn_check_lost(struct pgconn *pc);

/* Whether a PostgreSQL server answers at conninfo (with our connect
 * timeout): false when it is down, starting up or shutting down. */
bool pgconn_reachable(const char *conninfo);

/* Commands on any connection (the store thread's or a start-up one). */

/* Runs a command with text parameters; returns the result (caller clears) or
 * NULL with cause set. */
PGresult *pgconn_query(PGconn *c, const char *sql, int nparams, const char *const *params,
		       char *cause, size_t causelen);
/* pgconn_query with every result column in binary format (bytea without hex,
 * integers as big-endian bytes). */
PGresult *pgconn_query_binary(PGconn *c, const char *sql, int nparams, const char *const *params,
			      char *cause, size_t causelen);
/* BEGIN; SELECT set_config('wfmon.org', org, true): every later statement of
 * the transaction sees that organization's rows only. */
/* pgconn_query for a statement whose rows do not matter: 0, or -1 with the cause. */
int pgconn_exec(PGconn *c, const char *sql, int nparams, const char *const *params, char *cause,
		size_t causelen);
int pgconn_begin_org(PGconn *c, const char *org, char *cause, size_t causelen);
int pgconn_commit(PGconn *c, char *cause, size_t causelen);
/* Best effort. */
void pgconn_rollback(PGconn *c);

/* Synchronous one-off connection for start-up work (migrations, reload),
 * with the same keepalive/timeout parameters. NULL with cause on failure. */
PGconn *pgconn_connect_once(const char *conninfo, char *cause, size_t causelen);
/* Copies libpq's message into cause: first line, trimmed. */
void pgconn_error_copy(const char *msg, char *cause, size_t causelen);

#endif
