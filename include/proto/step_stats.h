/* step_stats.h: the answer to the "step_stats" query (how long each step of
 * a workflow took over its last runs), in one place for the store (which
 * computes it) and the console (which compares a run against it): the typed
 * result, one writer to JSON and one reader from JSON (step_stats.c).
 *
 * The JSON form (the result's "data"):
 * {"workflow_id","runs","steps":[{"step_id","name","count","avg_ms",
 *  "p95_ms","min_ms","max_ms"}]}, steps in the order the workflow runs them.
 * The reader refuses a missing or wrong-typed member, a value out of bounds
 * and more than PROTO_MAX_STEPS steps, naming the member ("steps[3].p95_ms");
 * unknown keys are left alone.
 *
 * Ownership: a result owns its steps (step_stats_clear frees them). */
#ifndef WFMON_STEP_STATS_H
#define WFMON_STEP_STATS_H

#include <jansson.h>
#include <stdint.h>

#include "proto.h"

/* One step's completed durations. */
struct step_stat {
	char step_id[PROTO_MAX_ID + 1];
	char name[PROTO_MAX_NAME + 1];         /* the step's name, else its id */
	int64_t count;                         /* completed runs of the step */
	double avg_ms, p95_ms;
	int64_t min_ms, max_ms;
};

struct step_stats {
	char workflow_id[PROTO_MAX_ID + 1];
	int64_t runs;                          /* finished executions looked at */
	struct step_stat *steps;               /* owned; NULL when none */
	uint32_t nsteps;                       /* <= PROTO_MAX_STEPS */
	uint32_t cap;                          /* steps allocated */
};

/* Appends a step (at most PROTO_MAX_STEPS: returns NULL past it), zeroed. */
struct step_stat *step_stats_add(struct step_stats *st);
void step_stats_clear(struct step_stats *st);
/* A new object. */
json_t *step_stats_json_new(const struct step_stats *st);
/* Fills *st (which needs no init; nothing to free on error): 0, or -1 with
 * *cause naming the member. */
int step_stats_parse(json_t *j, struct step_stats *st, struct proto_cause *cause);

#endif
