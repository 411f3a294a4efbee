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
	free(st->steps);
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

const struct model_step_stat *model_step_stat_find(const struct model *m, const char *workflow_id,
						   const char *step_id)
{
	const struct model_step_stats *st = &m->stats;
	if (st->state != MSTATS_LOADED || workflow_id == NULL || step_id == NULL ||
	    strcmp(st->workflow_id, workflow_id) != 0)
		return NULL;
	for (uint32_t i = 0; i < st->nsteps; i++)
		if (strcmp(st->steps[i].step_id, step_id) == 0)
			return &st->steps[i];
	return NULL;
}

unsigned model_stats_on_result(struct model *m, json_t *msg)
{
	const char *query = jstr(msg, "query");
	json_t *data = json_object_get(msg, "data");
	struct model_step_stats *st = &m->stats;
	if (query == NULL || strcmp(query, "step_stats") != 0 || !json_is_object(data))
		return MC_NONE;
	const char *wf = jstr(data, "workflow_id");
	/* An answer for a workflow no longer looked at changes nothing. */
	if (wf == NULL || strcmp(wf, st->workflow_id) != 0)
		return MC_NONE;
	free(st->steps);
	st->steps = NULL;
	st->nsteps = 0;
	st->runs = jint_or(data, "runs", 0);
	json_t *steps = json_object_get(data, "steps");
	size_t n = json_array_size(steps);
	if (n > PROTO_MAX_STEPS)
		n = PROTO_MAX_STEPS;
	st->steps = xcalloc(n ? n : 1, sizeof *st->steps);
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(steps, i);
		const char *id = jstr(s, "step_id");
		if (id == NULL)
			continue;
		struct model_step_stat *e = &st->steps[st->nsteps++];
		copy_str(e->step_id, sizeof e->step_id, id);
		e->count = jint_or(s, "count", 0);
		e->avg_ms = jint_or(s, "avg_ms", 0);
		e->p95_ms = jint_or(s, "p95_ms", 0);
		e->min_ms = jint_or(s, "min_ms", 0);
		e->max_ms = jint_or(s, "max_ms", 0);
	}
	st->state = MSTATS_LOADED;
	return MC_STATS;
}
