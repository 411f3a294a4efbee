/* pgconn.c: the store thread's PostgreSQL link: connect with backoff, notice
 * a lost connection, run commands in an organization's transaction.
 *
 * Invariants: conn is non-NULL exactly when state is UP; error holds the last
 * failure (cleared on success); a state or error change is logged once. */
#include "pgconn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "log.h"
#include "rng.h"
#include "xalloc.h"

#define BACKOFF_START_MS 500
/* Bytes: a write batch fits in one send (see pgconn_connect_once). */
#define PGCONN_SEND_BUFFER (1 << 20)

/* Our defaults come before the caller's conninfo, so that it can override them. */
static const char *const conn_keys[] = {
	"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
	"keepalives_count", "application_name", "dbname", NULL,
};

#define STR2(x) #x
#define STR(x) STR2(x)

#define CONN_VALUES(conninfo) \
	{ STR(PGCONN_CONNECT_TIMEOUT_S), "1", "30", "10", "3", "wfmond", (conninfo), NULL }

bool pgconn_reachable(const char *conninfo)
{
	const char *values[] = CONN_VALUES(conninfo);
	PGPing p = PQpingParams(conn_keys, values, 1);
	/* OK: it accepts connections (a refused login is the caller's to fix);
	 * REJECT: starting up or shutting down; NO_RESPONSE: not there. */
	return p == PQPING_OK || p == PQPING_NO_ATTEMPT;
}

PGconn *pgconn_connect_once(const char *conninfo, char *cause, size_t causelen)
{
	const char *values[] = CONN_VALUES(conninfo);
	PGconn *c = PQconnectdbParams(conn_keys, values, 1);
	if (c == NULL) {
		snprintf(cause, causelen, "cannot allocate a PostgreSQL connection");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		pgconn_error_copy(PQerrorMessage(c), cause, causelen);
		PQfinish(c);
		return NULL;
	}
	/* No JIT and no parallel workers: the daemon's statements are short, and
	 * a plan should not spend more compiling itself or starting workers than
	 * it runs (a quarter of a second for a 10 ms metrics query, measured). */
	PGresult *r = PQexec(c, "SET statement_timeout = " STR(PGCONN_STATEMENT_TIMEOUT_MS)
			     "; SET jit = off; SET max_parallel_workers_per_gather = 0");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pgconn_error_copy(PQerrorMessage(c), cause, causelen);
		PQclear(r);
		PQfinish(c);
		return NULL;
	}
	PQclear(r);
	/* A batch of a thousand events is some 300 KB (src/store/write.c). With
	 * the default send buffer (208 KB) the database thread sent it in
	 * pieces, each waiting for the backend to read the last one, and the
	 * thread, at a low priority beside a busy event loop, waited for the CPU
	 * between pieces while the backend sat idle (strace under
	 * tests/bench_ingest.sh). The kernel caps the size (net.core.wmem_max)
	 * and doubles it; a smaller buffer only means more pieces. */
	int sndbuf = PGCONN_SEND_BUFFER;
	if (setsockopt(PQsocket(c), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0)
		log_debug("store: cannot enlarge the PostgreSQL socket's send buffer: %s", strerror(errno));
	return c;
}

void pgconn_error_copy(const char *msg, char *cause, size_t causelen)
{
	if (msg == NULL || *msg == '\0')
		msg = "unknown PostgreSQL error";
	/* libpq prefixes server messages with the severity; keep the first line. */
	size_t n = strcspn(msg, "\n");
	while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\r'))
		n--;
	snprintf(cause, causelen, "%.*s", (int)n, msg);
}

void pgconn_init(struct pgconn *pc, const char *conninfo, int reconnect_max_s)
{
	memset(pc, 0, sizeof *pc);
	pc->conninfo = xstrdup(conninfo ? conninfo : "");
	pc->state = STORE_DB_CONNECTING;
	pc->backoff_ms = BACKOFF_START_MS;
	pc->max_backoff_ms = (int64_t)(reconnect_max_s < 1 ? 1 : reconnect_max_s) * 1000;
	pc->rng.state = (uint64_t)clock_mono_us();
}

void pgconn_close(struct pgconn *pc)
{
	if (pc->conn)
		PQfinish(pc->conn);
	pc->conn = NULL;
	free(pc->conninfo);
	pc->conninfo = NULL;
}

static void log_change(struct pgconn *pc)
{
	char now[300];
	snprintf(now, sizeof now, "%s|%s", store_db_state_name(pc->state), pc->error);
	if (strcmp(now, pc->logged) == 0)
		return;
	snprintf(pc->logged, sizeof pc->logged, "%s", now);
	if (pc->state == STORE_DB_UP)
		log_info("store: PostgreSQL connection up");
	else if (pc->state == STORE_DB_DOWN)
		log_warn("store: PostgreSQL connection down: %s", pc->error);
}

static void go_down(struct pgconn *pc, int64_t now_us)
{
	if (pc->conn)
		PQfinish(pc->conn);
	pc->conn = NULL;
	pc->state = STORE_DB_DOWN;
	/* Jitter in [0.75, 1.25) of the delay spreads reconnects of many daemons. */
	int64_t delay = pc->backoff_ms * 3 / 4 + (int64_t)(rng_next(&pc->rng) % (uint64_t)(pc->backoff_ms / 2 + 1));
	pc->retry_at_us = now_us + delay * 1000;
	pc->backoff_ms = pc->backoff_ms * 2 > pc->max_backoff_ms ? pc->max_backoff_ms : pc->backoff_ms * 2;
	log_change(pc);
}

bool pgconn_ensure(struct pgconn *pc, int64_t now_us)
{
	if (pc->state == STORE_DB_UP)
		return true;
	if (pc->state == STORE_DB_DOWN && now_us < pc->retry_at_us)
		return false;
	pc->state = STORE_DB_CONNECTING;
	pc->conn = pgconn_connect_once(pc->conninfo, pc->error, sizeof pc->error);
	if (pc->conn == NULL) {
		go_down(pc, clock_mono_us());
		return false;
	}
	pc->state = STORE_DB_UP;
	pc->error[0] = '\0';
	pc->backoff_ms = BACKOFF_START_MS;
	log_change(pc);
	return true;
}

int64_t pgconn_retry_in(const struct pgconn *pc, int64_t now_us)
{
	if (pc->state != STORE_DB_DOWN || now_us >= pc->retry_at_us)
		return 0;
	return pc->retry_at_us - now_us;
}

bool pgconn_check_lost(struct pgconn *pc)
{
	if (pc->conn == NULL)
		return true;
	if (PQstatus(pc->conn) != CONNECTION_BAD)
		return false;
	pgconn_error_copy(PQerrorMessage(pc->conn), pc->error, sizeof pc->error);
	go_down(pc, clock_mono_us());
	return true;
}

static PGresult *query_format(PGconn *c, const char *sql, int nparams, const char *const *params,
			      int result_format, char *cause, size_t causelen)
{
	if (c == NULL) {
		snprintf(cause, causelen, "the history database is not connected");
		return NULL;
	}
	PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, result_format);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	pgconn_error_copy(r ? PQresultErrorMessage(r) : PQerrorMessage(c), cause, causelen);
	PQclear(r);
	return NULL;
}

PGresult *pgconn_query(PGconn *c, const char *sql, int nparams, const char *const *params,
		       char *cause, size_t causelen)
{
	return query_format(c, sql, nparams, params, 0, cause, causelen);
}

PGresult *pgconn_query_binary(PGconn *c, const char *sql, int nparams, const char *const *params,
			      char *cause, size_t causelen)
{
	return query_format(c, sql, nparams, params, 1, cause, causelen);
}

int pgconn_exec(PGconn *c, const char *sql, int nparams, const char *const *params, char *cause,
		size_t causelen)
{
	PGresult *r = pgconn_query(c, sql, nparams, params, cause, causelen);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}

int pgconn_begin_org(PGconn *c, const char *org, char *cause, size_t causelen)
{
	if (c == NULL) {
		snprintf(cause, causelen, "the history database is not connected");
		return -1;
	}
	/* Both statements in one simple query: one round trip, not two, for
	 * every transaction the store opens. */
	char *lit = PQescapeLiteral(c, org, strlen(org));
	if (lit == NULL) {
		pgconn_error_copy(PQerrorMessage(c), cause, causelen);
		return -1;
	}
	static const char head[] = "BEGIN; SELECT set_config('wfmon.org', ";
	size_t len = sizeof head + strlen(lit) + sizeof ", true)";
	char *sql = xmalloc(len);
	snprintf(sql, len, "%s%s, true)", head, lit);
	PQfreemem(lit);
	PGresult *r = PQexec(c, sql);
	free(sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		PQclear(r);
		return 0;
	}
	pgconn_error_copy(r ? PQresultErrorMessage(r) : PQerrorMessage(c), cause, causelen);
	PQclear(r);
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		pgconn_rollback(c);
	return -1;
}

int pgconn_commit(PGconn *c, char *cause, size_t causelen)
{
	return pgconn_exec(c, "COMMIT", 0, NULL, cause, causelen);
}

void pgconn_rollback(PGconn *c)
{
	if (c == NULL || PQstatus(c) == CONNECTION_BAD)
		return;
	PQclear(PQexec(c, "ROLLBACK"));
}
