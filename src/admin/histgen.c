/* histgen.c: wfmon-histgen, a generator of realistic stored history for the
 * metrics benchmark and for trying the console on years of data.
 *
 * Owns: a deterministic model of an organization's workflows (names, step
 * plans, durations that follow a log-normal law per step, failure and cancel
 * rates, busy business hours, quiet weekends, month-end peaks for the
 * accounting workflows, and an incident in the last hours in which two
 * workflows slow down) and writing it in bulk as the schema owner: day by
 * day, COPY into temporary tables, then one INSERT ... SELECT per table under
 * the organization (row-level security holds, forced as for the daemon). The facts the
 * write path would have recorded (execution_metrics, step_metrics) are
 * written for the last --facts-days days only, as their retention would have
 * left them. Then the rollups are rebuilt from what was written, exactly as
 * migration 0005 builds them for existing history (rollup_rebuild).
 *
 * Invariants: the same options and seed write the same history; an
 * execution's times are ordered (queued <= started <= steps <= finished <=
 * the end time); every day's rows commit together, so an interrupted run
 * leaves whole days. Not the normal write path: no events (execution_events)
 * are written, and it must not run while a wfmond writes the same
 * organization. See wfmon-histgen(1) and the README's measurements. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "clock.h"
#include "metrics.h"
#include "pgconn.h"
#include "proto.h"
#include "rng.h"
#include "rollup.h"
#include "store.h"
#include "version.h"
#include "xalloc.h"

#define MAX_WORKFLOWS 1000
#define MAX_STEPS 8

struct options {
	const char *owner;         /* the schema owner (temporary tables, migrations) */
	const char *app_role;
	const char *org;
	long executions;
	int workflows;
	int days;
	int facts_days;
	uint64_t seed;
	int64_t end_ms;
	bool rollups_only;
};

struct step_model {
	char id[32];
	char name[48];
	double median_ms, sigma;
};

struct workflow_model {
	char id[48];
	char name[80];
	double weight;             /* share of the executions */
	bool accounting;           /* month-end peak */
	double fail_rate, cancel_rate;
	int nsteps;
	struct step_model steps[MAX_STEPS];
	double slowdown;           /* during the incident */
};

static struct rng rng_state;

static uint64_t rng(void)
{
	return rng_next(&rng_state);
}

static double uniform01(void)
{
	return ((double)(rng() >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
	return sqrt(-2.0 * log(uniform01())) * cos(2 * M_PI * uniform01());
}

static double lognormal(double median, double sigma)
{
	return median * exp(sigma * normal());
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "wfmon-histgen: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- the organization's workflows ---------------------------------------------------- */

static const char *const topics[] = {
	"invoice-processing", "document-classification", "jpk-generation", "vat-settlement", "payroll-run",
	"bank-reconciliation", "month-end-closing", "expense-approval", "payment-processing", "ksef-upload",
	"contract-review", "supplier-onboarding", "inventory-sync", "fx-revaluation", "fixed-assets",
	"customer-dunning", "tax-report", "audit-trail-export", "ledger-import", "cost-allocation",
	"budget-forecast", "receipt-ocr", "sales-invoicing", "credit-check", "intrastat",
};
static const char *const step_names[] = {
	"fetch", "validate", "classify", "enrich", "match", "calculate", "render", "sign", "upload", "notify",
};

static void model_build(struct workflow_model *w, int n)
{
	double total = 0;
	for (int i = 0; i < n; i++) {
		struct workflow_model *m = &w[i];
		const char *topic = topics[i % (sizeof topics / sizeof topics[0])];
		int round = i / (int)(sizeof topics / sizeof topics[0]);
		if (round == 0)
			snprintf(m->id, sizeof m->id, "%s", topic);
		else
			snprintf(m->id, sizeof m->id, "%s-%d", topic, round + 1);
		snprintf(m->name, sizeof m->name, "%c%s%s", topic[0] - 32, topic + 1, round ? " (EU)" : "");
		for (char *p = m->name; *p; p++)
			if (*p == '-')
				*p = ' ';
		/* A few busy workflows and a long tail (Zipf). */
		m->weight = 1.0 / pow(i + 1, 0.8);
		total += m->weight;
		m->accounting = strstr(topic, "jpk") || strstr(topic, "vat") || strstr(topic, "closing") ||
				strstr(topic, "payroll") || strstr(topic, "tax") || strstr(topic, "ledger");
		m->fail_rate = 0.01 + 0.08 * uniform01();
		m->cancel_rate = 0.005 * uniform01();
		m->nsteps = 2 + (int)(rng() % 5);
		/* From a second to ten minutes end to end. */
		double per_step = exp(log(500.0) + uniform01() * (log(120000.0) - log(500.0)));
		for (int s = 0; s < m->nsteps; s++) {
			struct step_model *st = &m->steps[s];
			const char *sn = step_names[(i + s * 3) % (sizeof step_names / sizeof step_names[0])];
			snprintf(st->id, sizeof st->id, "%s-%d", sn, s + 1);
			snprintf(st->name, sizeof st->name, "%c%s", sn[0] - 32, sn + 1);
			st->median_ms = per_step * (0.3 + 1.4 * uniform01());
			st->sigma = 0.25 + 0.5 * uniform01();
		}
		m->slowdown = (i == 1 || i == 3) ? 2.5 : 1.0;
	}
	for (int i = 0; i < n; i++)
		w[i].weight /= total;
}

/* How busy an hour is (relative): business hours in Warsaw, quiet nights and
 * weekends, and the accounting workflows' month end. */
static double hour_weight(int64_t ms, bool accounting)
{
	time_t t = (time_t)(ms / 1000) + 3600;   /* roughly CET */
	struct tm tm;
	gmtime_r(&t, &tm);
	double w = (tm.tm_hour >= 8 && tm.tm_hour < 18) ? 3.0 : (tm.tm_hour >= 6 && tm.tm_hour < 22) ? 1.0 : 0.25;
	if (tm.tm_wday == 0 || tm.tm_wday == 6)
		w *= 0.3;
	if (accounting) {
		int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int last = mdays[tm.tm_mon] + (tm.tm_mon == 1 && (tm.tm_year + 1900) % 4 == 0);
		if (tm.tm_mday >= last - 2 || tm.tm_mday <= 5)
			w *= 3.0;
	}
	return w;
}

/* ---- COPY -------------------------------------------------------------------------------- */

struct copybuf {
	char *buf;
	size_t len, cap;
	long rows;
};

static void cb_printf(struct copybuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cb_printf(struct copybuf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap ? 2 * b->cap : 1 << 20;
		b->buf = xrealloc(b->buf, b->cap);
	}
}

static void exec_or_die(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
		die("%s\n  in: %.200s", PQresultErrorMessage(r), sql);
	PQclear(r);
}

/* Whether the organization has executions stored (a second run would collide). */
static bool org_has_history(PGconn *c, const char *org)
{
	const char *p[] = { org };
	exec_or_die(c, "BEGIN");
	PGresult *r = PQexecParams(c, "SELECT set_config('wfmon.org', $1, true)", 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die("%s", PQresultErrorMessage(r));
	PQclear(r);
	r = PQexec(c, "SELECT EXISTS (SELECT 1 FROM workflow_executions)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		die("%s", PQresultErrorMessage(r));
	bool has = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	exec_or_die(c, "COMMIT");
	return has;
}

static void copy_in(PGconn *c, const char *table, struct copybuf *b)
{
	char sql[128];
	snprintf(sql, sizeof sql, "COPY %s FROM STDIN", table);
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		die("%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	if (PQputCopyData(c, b->buf, (int)b->len) != 1 || PQputCopyEnd(c, NULL) != 1)
		die("COPY %s: %s", table, PQerrorMessage(c));
	r = PQgetResult(c);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		die("COPY %s: %s", table, PQresultErrorMessage(r));
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	b->len = 0;
	b->rows = 0;
}

#define TS(ms) "timestamptz 'epoch' + " ms " * interval '1 millisecond'"

static const char *const staging =
	"CREATE TEMP TABLE IF NOT EXISTS gen_exec (execution_id text, workflow_id text, workflow_name text, "
	"  status text, queued bigint, started bigint, finished bigint, error text, worker text, "
	"  steps_total integer, events bigint) ON COMMIT DELETE ROWS;"
	"CREATE TEMP TABLE IF NOT EXISTS gen_step (execution_id text, step_id text, seq integer, name text, "
	"  status text, started bigint, finished bigint, duration bigint, worker text) ON COMMIT DELETE ROWS;"
	"CREATE TEMP TABLE IF NOT EXISTS gen_xfact (execution_id text, workflow_id text, kind text, value bigint, "
	"  status text, at bigint) ON COMMIT DELETE ROWS;"
	"CREATE TEMP TABLE IF NOT EXISTS gen_sfact (execution_id text, workflow_id text, step_id text, "
	"  status text, duration bigint, at bigint) ON COMMIT DELETE ROWS;";

static const char *const insert_day =
	"INSERT INTO workflow_executions (org_id, execution_id, workflow_id, workflow_name, status, priority, "
	"  first_seen, queued_at, started_at, finished_at, last_heartbeat, error, worker, steps_total, event_count) "
	"SELECT current_setting('wfmon.org'), execution_id, workflow_id, workflow_name, status, 'NORMAL', "
	"  " TS("queued") ", " TS("queued") ", " TS("started") ", " TS("finished") ", " TS("finished") ", "
	"  error, worker, steps_total, events FROM gen_exec;"
	"INSERT INTO step_executions (org_id, execution_id, step_id, seq, name, status, started_at, finished_at, "
	"  duration_ms, worker) "
	"SELECT current_setting('wfmon.org'), execution_id, step_id, seq, name, status, " TS("started") ", "
	"  " TS("finished") ", duration, worker FROM gen_step;"
	"INSERT INTO execution_metrics (org_id, execution_id, workflow_id, metric_type, metric_value, metadata, "
	"  recorded_at) "
	"SELECT current_setting('wfmon.org'), execution_id, workflow_id, kind, value, "
	"  CASE WHEN status IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('status', status) END, " TS("at")
	" FROM gen_xfact;"
	"INSERT INTO step_metrics (org_id, execution_id, workflow_id, step_id, status, duration_ms, recorded_at) "
	"SELECT current_setting('wfmon.org'), execution_id, workflow_id, step_id, status, duration, " TS("at")
	" FROM gen_sfact;";

/* ---- one day ------------------------------------------------------------------------------ */

struct gen {
	const struct options *opt;
	struct workflow_model wf[MAX_WORKFLOWS];
	struct copybuf exec, step, xfact, sfact;
	long seq;                  /* executions so far: ids */
	long steps, facts;
	int64_t first_ms[MAX_WORKFLOWS], last_ms[MAX_WORKFLOWS];
};

/* One execution of workflow w queued at t. */
static void one_execution(struct gen *g, int w, int64_t t, bool facts)
{
	const struct workflow_model *m = &g->wf[w];
	const struct options *o = g->opt;
	char id[PROTO_MAX_ID + 1];
	snprintf(id, sizeof id, "%.40s-%ld", m->id, ++g->seq);
	int64_t queued = t;
	int64_t started = queued + (int64_t)lognormal(1500, 1.0);
	double slow = (m->slowdown > 1 && o->end_ms - queued < 6 * METRICS_HOUR_MS) ? m->slowdown : 1.0;
	double u = uniform01();
	const char *status = u < m->fail_rate ? "failed" : u < m->fail_rate + m->cancel_rate ? "cancelled" : "completed";
	int stop = m->nsteps;   /* the step that failed or was cut short, if any */
	if (strcmp(status, "completed") != 0)
		stop = (int)(rng() % (uint64_t)m->nsteps);
	char worker[16];
	snprintf(worker, sizeof worker, "worker-%d", (int)(rng() % 12) + 1);
	int64_t at = started;
	/* Steps and facts go out only with their execution (one that has not
	 * finished by the end time is left out): remember where they start. */
	size_t step_len = g->step.len, sfact_len = g->sfact.len;
	long steps = g->steps;
	for (int s = 0; s < m->nsteps && s <= stop; s++) {
		const struct step_model *st = &m->steps[s];
		int64_t d = (int64_t)(lognormal(st->median_ms, st->sigma) * slow);
		if (s == stop)
			d = (int64_t)((double)d * uniform01());   /* it ended early */
		const char *ss = s < stop ? "completed" : strcmp(status, "failed") == 0 ? "failed" : NULL;
		at += 5;
		if (ss == NULL)
			break;   /* cancelled while it ran: no finish of its own */
		cb_printf(&g->step, "%s\t%s\t%d\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%s\n", id, st->id, s + 1,
			  st->name, ss, at, at + d, d, worker);
		if (facts)
			cb_printf(&g->sfact, "%s\t%s\t%s\t%s\t%" PRId64 "\t%" PRId64 "\n", id, m->id, st->id, ss, d,
				  at + d);
		g->steps++;
		at += d;
	}
	int64_t finished = at + 10;
	if (finished > o->end_ms) {
		g->step.len = step_len;
		g->sfact.len = sfact_len;
		g->steps = steps;
		return;
	}
	cb_printf(&g->exec, "%s\t%s\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%s\t%s\t%d\t%d\n", id, m->id, m->name,
		  status, queued, started, finished, strcmp(status, "failed") == 0 ? "step failed: timeout talking to ERP" : "\\N",
		  worker, m->nsteps, 3 + 2 * m->nsteps);
	if (facts) {
		cb_printf(&g->xfact, "%s\t%s\tqueue_wait_ms\t%" PRId64 "\t\\N\t%" PRId64 "\n", id, m->id, started - queued,
			  started);
		cb_printf(&g->xfact, "%s\t%s\tduration_ms\t%" PRId64 "\t%s\t%" PRId64 "\n", id, m->id, finished - started,
			  status, finished);
		g->facts++;
	}
	if (g->first_ms[w] == 0 || queued < g->first_ms[w])
		g->first_ms[w] = queued;
	if (finished > g->last_ms[w])
		g->last_ms[w] = finished;
	g->exec.rows++;
}

static void write_day(PGconn *c, struct gen *g, int64_t day_ms, long n)
{
	const struct options *o = g->opt;
	bool facts = o->end_ms - day_ms <= (int64_t)o->facts_days * METRICS_DAY_MS;
	/* Spread the day's executions over its hours and workflows by weight. */
	double hw[24][MAX_WORKFLOWS], total = 0;
	for (int h = 0; h < 24; h++)
		for (int w = 0; w < o->workflows; w++) {
			hw[h][w] = g->wf[w].weight * hour_weight(day_ms + h * METRICS_HOUR_MS, g->wf[w].accounting);
			total += hw[h][w];
		}
	for (int h = 0; h < 24; h++) {
		int64_t hour = day_ms + h * METRICS_HOUR_MS;
		if (hour >= o->end_ms)
			break;
		for (int w = 0; w < o->workflows; w++) {
			double expect = (double)n * hw[h][w] / total;
			long k = (long)expect + (uniform01() < expect - floor(expect));
			for (long i = 0; i < k; i++) {
				int64_t t = hour + (int64_t)(uniform01() * (double)METRICS_HOUR_MS);
				if (t < o->end_ms)
					one_execution(g, w, t, facts);
			}
		}
	}
	exec_or_die(c, "BEGIN");
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT set_config('wfmon.org', '%s', true)", o->org);
	exec_or_die(c, sql);
	copy_in(c, "gen_exec", &g->exec);
	copy_in(c, "gen_step", &g->step);
	copy_in(c, "gen_xfact", &g->xfact);
	copy_in(c, "gen_sfact", &g->sfact);
	exec_or_die(c, insert_day);
	exec_or_die(c, "COMMIT");
}

static void write_workflows(PGconn *c, struct gen *g)
{
	const struct options *o = g->opt;
	struct copybuf b = { 0 };
	for (int w = 0; w < o->workflows; w++)
		if (g->first_ms[w] > 0)
			cb_printf(&b, "%s\t%s\t%" PRId64 "\t%" PRId64 "\n", g->wf[w].id, g->wf[w].name, g->first_ms[w],
				  g->last_ms[w]);
	exec_or_die(c, "BEGIN");
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT set_config('wfmon.org', '%s', true)", o->org);
	exec_or_die(c, sql);
	exec_or_die(c, "CREATE TEMP TABLE gen_wf (id text, name text, first bigint, last bigint) ON COMMIT DROP");
	copy_in(c, "gen_wf", &b);
	exec_or_die(c, "INSERT INTO workflows AS w (org_id, workflow_id, name, first_seen, last_seen) "
		       "SELECT current_setting('wfmon.org'), id, name, " TS("first") ", " TS("last") " FROM gen_wf "
		       "ON CONFLICT (org_id, workflow_id) DO UPDATE SET name = excluded.name, "
		       "first_seen = least(w.first_seen, excluded.first_seen), "
		       "last_seen = greatest(w.last_seen, excluded.last_seen)");
	exec_or_die(c, "COMMIT");
	free(b.buf);
}

static void rebuild_rollups(PGconn *c, const struct options *o)
{
	char err[256];
	int64_t t0 = clock_mono_us();
	if (pgconn_begin_org(c, o->org, err, sizeof err) != 0)
		die("%s", err);
	exec_or_die(c, "SET LOCAL statement_timeout = 0");
	long n = rollup_rebuild(c, err, sizeof err);
	if (n < 0)
		die("rebuilding the rollups: %s", err);
	if (pgconn_commit(c, err, sizeof err) != 0)
		die("%s", err);
	printf("rollups: %ld finished executions rolled up in %.1f s\n", n, (double)(clock_mono_us() - t0) / 1e6);
}

/* ---- command line ---------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: wfmon-histgen --owner CONNINFO [--app-role ROLE] [--org ORG] [--executions N]\n"
	      "                     [--workflows N] [--days N] [--facts-days N] [--seed N] [--end TIME]\n"
	      "                     [--rollups-only]\n"
	      "  --owner CONNINFO     the schema owner: migrations, temporary tables, the rows\n"
	      "  --app-role ROLE      the daemon's role the migrations grant to (default wfmon_app)\n"
	      "  --org ORG            the organization (default bench)\n"
	      "  --executions N       finished executions to write (default 10000000)\n"
	      "  --workflows N        workflows (default 50, at most 1000)\n"
	      "  --days N             days of history ending at --end (default 400)\n"
	      "  --facts-days N       days with execution_metrics/step_metrics facts (default 30)\n"
	      "  --seed N             the same seed writes the same history (default 1)\n"
	      "  --end TIME           RFC 3339 end of the history (default now)\n"
	      "  --rollups-only       write nothing, rebuild the organization's rollups\n", f);
}

int main(int argc, char **argv)
{
	struct options o = {
		.app_role = "wfmon_app", .org = "bench", .executions = 10000000, .workflows = 50, .days = 400,
		.facts_days = 30, .seed = 1, .end_ms = clock_wall_ms(),
	};
	static const struct option longopts[] = {
		{ "owner", required_argument, NULL, 'O' },
		{ "app-role", required_argument, NULL, 'R' }, { "org", required_argument, NULL, 'o' },
		{ "executions", required_argument, NULL, 'n' }, { "workflows", required_argument, NULL, 'w' },
		{ "days", required_argument, NULL, 'D' }, { "facts-days", required_argument, NULL, 'F' },
		{ "seed", required_argument, NULL, 's' }, { "end", required_argument, NULL, 'e' },
		{ "rollups-only", no_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 },
	};
	int ch;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end = NULL;
		errno = 0;
		switch (ch) {
		case 'O': o.owner = optarg; break;
		case 'R': o.app_role = optarg; break;
		case 'o':
			if (!proto_id_valid(optarg))
				die("--org '%s' is not an id", optarg);
			o.org = optarg;
			break;
		case 'n': o.executions = strtol(optarg, &end, 10); break;
		case 'w': o.workflows = (int)strtol(optarg, &end, 10); break;
		case 'D': o.days = (int)strtol(optarg, &end, 10); break;
		case 'F': o.facts_days = (int)strtol(optarg, &end, 10); break;
		case 's': o.seed = strtoull(optarg, &end, 10); break;
		case 'e':
			if (proto_time_parse(optarg, &o.end_ms) != 0)
				die("--end '%s' is not an RFC 3339 time", optarg);
			break;
		case 'r': o.rollups_only = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': fputs(VERSION_LINE("wfmon-histgen"), stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (end != NULL && (*end != '\0' || errno != 0))
			die("%s is not a number", optarg);
	}
	if (o.owner == NULL || optind < argc) {
		usage(stderr);
		return 2;
	}
	if (o.executions < 1 || o.workflows < 1 || o.workflows > MAX_WORKFLOWS || o.days < 1 || o.days > 3650 ||
	    o.facts_days < 0)
		die("--executions, --workflows (1..%d), --days (1..3650) and --facts-days must be positive", MAX_WORKFLOWS);
	char cause[256];
	if (store_migrate(o.owner, o.app_role, cause, sizeof cause) != 0)
		die("%s", cause);
	PGconn *c = pgconn_connect_once(o.owner, cause, sizeof cause);
	if (c == NULL)
		die("%s", cause);
	exec_or_die(c, "SET statement_timeout = 0");
	if (!o.rollups_only) {
		struct gen *g = xcalloc(1, sizeof *g);
		g->opt = &o;
		rng_state.state = o.seed;
		model_build(g->wf, o.workflows);
		if (org_has_history(c, o.org))
			die("organization %s has history already: give another --org, or --rollups-only", o.org);
		exec_or_die(c, staging);
		int64_t first_day = metrics_floor(o.end_ms, METRICS_DAY_MS) - (int64_t)(o.days - 1) * METRICS_DAY_MS;
		int64_t t0 = clock_mono_us();
		long done = 0;
		for (int d = 0; d < o.days; d++) {
			long n = (o.executions - done) / (o.days - d);
			write_day(c, g, first_day + (int64_t)d * METRICS_DAY_MS, n);
			done += n;
			if ((d + 1) % 20 == 0 || d + 1 == o.days) {
				printf("day %d/%d: %ld executions, %ld steps, %ld facts so far (%.0f s)\n", d + 1, o.days,
				       g->seq, g->steps, g->facts, (double)(clock_mono_us() - t0) / 1e6);
				fflush(stdout);
			}
		}
		write_workflows(c, g);
		printf("wrote %ld executions of %d workflows over %d days in %.1f s\n", g->seq, o.workflows, o.days,
		       (double)(clock_mono_us() - t0) / 1e6);
		free(g->exec.buf), free(g->step.buf), free(g->xfact.buf), free(g->sfact.buf);
		free(g);
	}
	rebuild_rollups(c, &o);
	PQfinish(c);
	return 0;
}
