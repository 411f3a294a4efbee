/* sim.h: the workflow simulator's model (wfmon-sim): a catalogue of accounting
 * workflows as data, and a deterministic engine that turns a seed into a
 * sequence of valid wfmon events on a virtual clock. No I/O: the caller owns
 * the clock, the connection and the output.
 *
 * Determinism: for the same options (seed included) the engine calls emit with
 * the same events in the same order, whatever the real timing of the calls,
 * because every random draw happens while processing a timer and timers are
 * ordered by (virtual time, creation order). */
#ifndef WFMON_SIM_H
#define WFMON_SIM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

/* ---- Catalogue (sim_catalog.c) ------------------------------------------- */

/* Templates are text with {placeholders}: context values of the execution
 * ({period}, {last_day}, {company}, {nip}, {contractor}, {contractor_nip},
 * {invoice_no}, {amount}, {vat}, {gross}, {bank}, {iban}, {batch_id},
 * {doc_no}, {approver}, {date_from}, {date_to}, {days}, {currency}, {rate}),
 * or random values: {n:LO-HI} an integer, {amt:LO-HI} an amount with grosze. */
struct sim_step_def {
	const char *id;
	const char *name;
	const char *deps;          /* space-separated step ids, "" for none */
	int mean_ms;               /* typical duration at speed 1 */
	int fail_permille;         /* chance that an attempt fails */
	const char *input;         /* JSON template for step.started, or NULL */
	const char *output;        /* JSON template for step.completed, or NULL */
	const char *logs;          /* "level|template" lines, '\n'-separated */
	const char *success_log;   /* "level|template" logged only when the step succeeds, or NULL */
	const char *errors;        /* "message template|ERROR_CODE" lines */
	const char *unit;          /* progress unit ("days", "invoices"), NULL for none */
	const char *total;         /* template of the progress total, e.g. "{days}" */
	const char *counter;       /* counter name counting up with progress, or NULL */
	const char *counter_step;  /* template of the counter's increase per tick */
	int cpu_percent;           /* typical load while running */
	int memory_mb;
};

struct sim_workflow_def {
	const char *id;            /* workflow_id on the wire */
	const char *name;          /* workflow_name */
	int weight;                /* relative frequency among arrivals */
	int high_percent;          /* priority HIGH in this many percent, */
	int low_percent;           /* LOW in this many, NORMAL otherwise */
	const char *params;        /* JSON template of execution.queued params */
	const char *output;        /* JSON template of execution.completed output */
	const struct sim_step_def *steps;
	size_t nsteps;
};

size_t sim_workflow_count(void);
const struct sim_workflow_def *sim_workflow_get(size_t i);
/* NULL if no workflow has this id. */
const struct sim_workflow_def *sim_workflow_find(const char *id);
/* Resolves step's dependencies to indexes into wf->steps. Returns their count,
 * or -1 if one names no step of wf or there are more than max. */
int sim_step_deps(const struct sim_workflow_def *wf, size_t step, size_t *idx, size_t max);
/* Checks every workflow: unique step ids, known dependencies, no cycle.
 * Returns 0, or -1 with a sentence in cause. */
int sim_catalog_check(char *cause, size_t causelen);

/* ---- Engine (sim_engine.c) ------------------------------------------------ */

struct sim_options {
	uint64_t seed;
	double rate_per_min;       /* new executions per minute of virtual time; > 0 */
	double speed;              /* durations divided by this; > 0 */
	int workers;               /* >= 1 */
	const char *workflows;     /* comma-separated ids, NULL or "" for all */
	const char *once;          /* run one execution of this workflow, then stop */
	int64_t start_wall_ms;     /* ts of virtual time 0 */
	size_t max_queued;         /* arrivals beyond this many queued are dropped; 0 = 500 */
};

/* Receives each event; takes the reference. */
typedef void (*sim_emit_fn)(json_t *event, void *arg);

struct sim;

/* Returns a new engine, or NULL with a message in cause (unknown workflow,
 * bad option). */
struct sim *sim_new(const struct sim_options *opt, sim_emit_fn emit, void *arg,
		    char *cause, size_t causelen);
void sim_free(struct sim *s);

/* Virtual ms of the next scheduled action, INT64_MAX if none. */
int64_t sim_next_due(const struct sim *s);
/* Runs every action due at or before now_ms (virtual). */
void sim_run_until(struct sim *s, int64_t now_ms);
/* Runs the next action whatever its time (fast-forward); false if none. */
bool sim_step(struct sim *s);

/* Stops new arrivals and cancels the queued executions (execution.cancelled
 * with reason); with cancel_running, the running ones too. */
void sim_stop(struct sim *s, bool cancel_running, const char *reason);
/* An operator changed a queued execution's priority (the daemon's "control"
 * room): it now competes for a worker at that priority. Returns false when no
 * queued execution has that id (already started, or not ours). */
bool sim_prioritize(struct sim *s, const char *execution_id, enum proto_priority priority);
/* Whether an execution id is one this engine made. */
bool sim_owns(const struct sim *s, const char *execution_id);
/* An operator asked (the daemon's "control" room) to cancel or retry one of
 * this engine's executions: the engine answers with control.replied and then
 * cancels it (execution.cancelled), or runs a failed or cancelled one again
 * as its next attempt (the same id; steps continue their attempt numbers).
 * It refuses, saying why, a cancel of one that already finished and a retry
 * of one still running or no longer remembered (the last SIM_PAST failed or
 * cancelled are). Returns false (and emits nothing) for another producer's
 * execution. */
bool sim_control(struct sim *s, enum proto_control cmd, const char *execution_id, const char *workflow_id,
		 const char *request_id, const char *by);
/* True once no execution is queued or running and no arrival will come. */
bool sim_done(const struct sim *s);

struct sim_stats {
	uint64_t queued, started, completed, failed, cancelled, dropped;
	uint64_t events;
};
void sim_get_stats(const struct sim *s, struct sim_stats *out);

#endif
