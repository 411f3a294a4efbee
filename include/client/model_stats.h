/* model_stats.h: step duration statistics of one workflow over
 * its last runs (the step_stats query; model_stats.c). Part of the console's
 * model (model.h). */
#ifndef WFMON_MODEL_STATS_H
#define WFMON_MODEL_STATS_H

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "step_stats.h"

struct model;

/* Step durations of one workflow over its last runs (query step_stats). */
enum model_stats_state { MSTATS_NONE, MSTATS_PENDING, MSTATS_LOADED, MSTATS_UNAVAILABLE };

/* The statistics of the workflow looked at: the query's answer
 * (step_stats.h) once loaded, and where the asking stands. */
struct model_step_stats {
	char workflow_id[PROTO_MAX_ID + 1];    /* the workflow asked for */
	enum model_stats_state state;
	struct step_stats data;                /* MSTATS_LOADED: the answer */
	int64_t asked_ms;                      /* our clock when it was asked for */
};


/* Starts waiting for a workflow's step statistics: forgets the ones held
 * when they are another workflow's. Returns the query to send (new
 * reference, id MODEL_ID_STATS + workflow id), or NULL when they are loaded,
 * known to be unavailable, or already asked for less than retry_ms ago. */
json_t *model_stats_request_new(struct model *m, const char *workflow_id, int runs, int64_t now_ms,
				int64_t retry_ms);
/* The statistics of one step of the workflow held, or NULL. */
const struct step_stat *model_step_stat_find(const struct model *m, const char *workflow_id,
						   const char *step_id);

#endif
