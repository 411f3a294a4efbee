/* model_stats.c: step duration statistics of one workflow (the step_stats
 * query), asked for when a view needs them and kept for one workflow at a
 * time (see model.h). */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model-internal.h"
#include "names.h"
#include "xalloc.h"

void model_stats_clear(struct model_step_stats *st)
{
	step_stats_clear(&st->data);
	memset(st, 0, sizeof *st);
}

json_t *model_stats_request_new(struct model *m, const char *workflow_id, int runs, int64_t now_ms,
				int64_t retry_ms)
{
	struct model_step_stats *st = &m->stats;
	if (workflow_id == NULL || !proto_id_valid(workflow_id))
		return NULL;
	if (strcmp(st->workflow_id, workflow_id) != 0) {
		model_stats_clear(st);
		copy_str(st->workflow_id, sizeof st->workflow_id, workflow_id);
	}
	if (st->state == MSTATS_LOADED || st->state == MSTATS_UNAVAILABLE)
		return NULL;
	if (st->state == MSTATS_PENDING && now_ms - st->asked_ms < retry_ms)
		return NULL;
	st->state = MSTATS_PENDING;
	st->asked_ms = now_ms;
	char id[PROTO_MAX_ID + 16];
	snprintf(id, sizeof id, "%s%s", MODEL_ID_STATS, workflow_id);
	json_t *req = json_pack("{s:s, s:s, s:s, s:{s:s, s:i}}", "type", "query", "id", id, "query",
				"step_stats", "params", "workflow_id", workflow_id, "runs", runs);
	if (req == NULL)
		fatal("cannot build a step_stats query");
	return req;
}

const struct step_stat *model_step_stat_find(const struct model *m, const char *workflow_id,
					     const char *step_id)
{
	const struct model_step_stats *st = &m->stats;
	if (st->state != MSTATS_LOADED || workflow_id == NULL || step_id == NULL ||
	    strcmp(st->workflow_id, workflow_id) != 0)
		return NULL;
	for (uint32_t i = 0; i < st->data.nsteps; i++)
		if (strcmp(st->data.steps[i].step_id, step_id) == 0)
			return &st->data.steps[i];
	return NULL;
}

/* The answer (step_stats.h): for the workflow looked at, it replaces what is
 * held; an answer that does not read leaves the statistics unavailable. */
unsigned model_stats_on_result(struct model *m, json_t *msg)
{
	const char *query = jstr(msg, "query");
	struct model_step_stats *st = &m->stats;
	if (query == NULL || strcmp(query, proto_query_name(QUERY_STEP_STATS)) != 0)
		return MC_NONE;
	struct step_stats data;
	struct proto_cause cause;
	if (step_stats_parse(json_object_get(msg, "data"), &data, &cause) < 0) {
		/* Ours, but unreadable: say so rather than wait for ever. */
		const char *id = jstr(msg, "id");
		if (id == NULL || strncmp(id, MODEL_ID_STATS, strlen(MODEL_ID_STATS)) != 0 ||
		    strcmp(id + strlen(MODEL_ID_STATS), st->workflow_id) != 0)
			return MC_NONE;
		st->state = MSTATS_UNAVAILABLE;
		return MC_STATS;
	}
	/* An answer for a workflow no longer looked at changes nothing. */
	if (strcmp(data.workflow_id, st->workflow_id) != 0) {
		step_stats_clear(&data);
		return MC_NONE;
	}
	step_stats_clear(&st->data);
	st->data = data;
	st->state = MSTATS_LOADED;
	return MC_STATS;
}
