/* rollup.h: the performance rollups in PostgreSQL (table metric_rollups, see
 * src/store/migrations/0005_metrics.sql): how they are kept up to date, built
 * from stored history, and read back. Internal to src/store.
 *
 * Upkeep. The write path records one fact per finished execution
 * (execution_metrics, metric_type 'duration_ms') and per finished step
 * (step_metrics). rollup_catch_up reads the facts after the organization's
 * watermark (metric_rollup_state), adds each to its hour, day, week and
 * four-week rows (for its workflow, and executions also for the whole
 * organization, workflow ''), merges them into the stored rows, and moves the
 * watermark, all in the caller's transaction: a fact counts once. The store
 * thread calls it for every organization every metrics-rollup-interval
 * seconds (rollup_tick) and before answering a metrics query. Nothing runs per
 * event: the write path's cost is unchanged.
 *
 * Retries. A fact of an attempt that a later one replaced is marked retried
 * and read by no one (migration 0008). One the rollups took in before the
 * retry came is written to metric_rollup_retractions with the values it was
 * rolled up with (migration 0013); the next catch-up takes it out of its rows
 * (metrics_agg_remove) and deletes it, so a retried success counts once in
 * the rollups as in the raw reads. A catch-up locks the organization's state
 * row first, as the retry does, so neither can miss the other.
 *
 * Watermarks assume one writer: the facts are written and rolled up on the
 * store thread's one connection, so when a catch-up finds nothing more, every
 * id its sequences have drawn is committed and the watermark moves to the last
 * one (an idle organization does not rescan everyone's newer facts).
 *
 * Every function here runs inside a transaction that has set the organization
 * (pgconn_begin_org), unless it says otherwise. */
#ifndef WFMON_ROLLUP_H
#define WFMON_ROLLUP_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "metrics.h"
#include "proto.h"
#include "store.h"
#include "strmap.h"

/* One rollup row in memory. */
struct rollup_row {
	char workflow_id[PROTO_MAX_ID + 1];   /* "" : the organization */
	char step_id[PROTO_MAX_ID + 1];       /* "" : the execution */
	int64_t span_ms, start_ms;
	struct metrics_agg agg;
};

/* Rows being built, by key. */
struct rollup_acc {
	struct strmap map;
	struct rollup_row **rows;
	size_t n, cap;
};
void rollup_acc_init(struct rollup_acc *a);
void rollup_acc_free(struct rollup_acc *a);
/* A finished execution: status "completed", "failed" or "cancelled"; dur_ms
 * and wait_ms < 0 when unknown. Goes to every level, for its workflow and ''. */
void rollup_acc_execution(struct rollup_acc *a, const char *workflow_id, const char *status, int64_t finished_ms,
			  int64_t dur_ms, int64_t wait_ms);
/* A finished step ("completed" or "failed"). */
void rollup_acc_step(struct rollup_acc *a, const char *workflow_id, const char *step_id, const char *status,
		     int64_t finished_ms, int64_t dur_ms);

/* A finished execution or step, as the facts and the history tables give it. */
struct rollup_fact {
	const char *workflow_id;
	const char *step_id;          /* "" for an execution */
	const char *status;           /* completed, failed, cancelled */
	int64_t finished_ms;
	int64_t dur_ms, wait_ms;      /* < 0 unknown */
};
/* rollup_acc_execution or rollup_acc_step, as the fact says. */
void rollup_acc_fact(struct rollup_acc *a, const struct rollup_fact *f);

/* Calls fn for every execution (or, with steps, every step) that finished in
 * [from, to), of one workflow or (workflow_id NULL) all, from the facts
 * (execution_metrics, step_metrics): the sub-hour edges of a metrics answer. */
int rollup_raw_facts(PGconn *c, int64_t from_ms, int64_t to_ms, const char *workflow_id, bool steps,
		     void (*fn)(void *arg, const struct rollup_fact *f), void *arg, char *err, size_t errlen);

/* Writes the rows (merged into what is stored when merge is true, else
 * replacing it). 0, or -1 with err. */
int rollup_write(PGconn *c, struct rollup_acc *a, bool merge, char *err, size_t errlen);

/* Rolls up at most max_facts facts after the watermark. Returns how many
 * were rolled up (0: up to date), or -1 with err. *more says the limit was hit. */
long rollup_catch_up(PGconn *c, long max_facts, bool *more, char *err, size_t errlen);

/* Rebuilds the organization's rollups from its stored executions and steps
 * (the facts' source rows), replacing what was there, and sets the watermarks
 * to the newest facts. Reads in time order through cursors, so memory stays
 * bounded whatever the history. Returns the executions rolled up, or -1. */
long rollup_rebuild(PGconn *c, char *err, size_t errlen);

/* Migration 0005's second half, on the owner's connection inside its
 * transaction: rollup_rebuild for every organization with history. */
int rollup_migrate(PGconn *c, char *err, size_t errlen);

/* A row read back with the columns of ROLLUP_SELECT_COLUMNS (binary format):
 * adds it to *out (its agg initialized by the caller). 0, or -1 when the
 * stored histogram is damaged. rollup_row_add adds the same row's figures
 * to another aggregate (the row's keys are not needed there). */
#define ROLLUP_SELECT_COLUMNS                                                                      \
	"r.workflow_id, r.step_id, r.span_hours, "                                                 \
	"(extract(epoch FROM r.bucket_start) * 1000)::bigint AS start_ms, r.completed, r.failed, " \
	"r.cancelled, r.wait_count, r.wait_sum_ms, r.histogram"
int rollup_row_read(const PGresult *r, int row, struct rollup_row *out);
int rollup_row_add(const PGresult *r, int row, struct metrics_agg *to);
/* The row's keys only (workflow, step, span, start), agg untouched. */
void rollup_row_keys(const PGresult *r, int row, struct rollup_row *out);

/* The periodic upkeep on the store thread, organization by organization. */
struct rollup_tick {
	int64_t next_us;
	size_t next_org;   /* where the next turn starts in the organization list */
};
/* Runs when due: catches every organization up, each in its own
 * transaction, for at most budget_us; returns the facts rolled up or -1. */
long rollup_tick(PGconn *c, const struct metrics_settings *ms, struct rollup_tick *t, int64_t now_us,
		 int64_t budget_us, char *err, size_t errlen);

#endif
