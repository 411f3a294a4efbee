/* step_stats.c: the step statistics result written to JSON and read back
 * (see step_stats.h).
 *
 * Invariants: a result never holds more than PROTO_MAX_STEPS steps; the
 * reader either fills the whole result or leaves nothing allocated. */
#include "step_stats.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jfield.h"
#include "xalloc.h"

struct step_stat *step_stats_add(struct step_stats *st)
{
	if (st->nsteps >= PROTO_MAX_STEPS)
		return NULL;
	if (st->nsteps == st->cap) {
		st->cap = st->cap == 0 ? 16 : st->cap * 2 > PROTO_MAX_STEPS ? PROTO_MAX_STEPS : st->cap * 2;
		st->steps = xrealloc(st->steps, st->cap * sizeof *st->steps);
	}
	struct step_stat *s = &st->steps[st->nsteps++];
	memset(s, 0, sizeof *s);
	return s;
}

void step_stats_clear(struct step_stats *st)
{
	free(st->steps);
	memset(st, 0, sizeof *st);
}

json_t *step_stats_json_new(const struct step_stats *st)
{
	json_t *steps = json_array();
	for (uint32_t i = 0; i < st->nsteps; i++) {
		const struct step_stat *s = &st->steps[i];
		json_array_append_new(steps, json_pack("{s:s,s:s,s:I,s:f,s:f,s:I,s:I}", "step_id", s->step_id, "name",
						       s->name, "count", (json_int_t)s->count, "avg_ms", s->avg_ms,
						       "p95_ms", s->p95_ms, "min_ms", (json_int_t)s->min_ms, "max_ms",
						       (json_int_t)s->max_ms));
	}
	return json_pack("{s:s,s:I,s:o}", "workflow_id", st->workflow_id, "runs", (json_int_t)st->runs, "steps",
			 steps);
}

static int step_read(json_t *j, const char *prefix, struct step_stat *s, struct proto_cause *cause)
{
	if (!json_is_object(j))
		return proto_fail(cause, prefix, "must be an object");
	if (jfield_id(j, prefix, "step_id", true, s->step_id, cause) < 0 ||
	    jfield_chars(j, prefix, "name", true, s->name, sizeof s->name, cause) < 0 ||
	    jfield_int(j, prefix, "count", true, 1, INT64_MAX, &s->count, cause) < 0 ||
	    jfield_number(j, prefix, "avg_ms", true, 0, DBL_MAX, &s->avg_ms, cause) < 0 ||
	    jfield_number(j, prefix, "p95_ms", true, 0, DBL_MAX, &s->p95_ms, cause) < 0 ||
	    jfield_int(j, prefix, "min_ms", true, 0, INT64_MAX, &s->min_ms, cause) < 0 ||
	    jfield_int(j, prefix, "max_ms", true, 0, INT64_MAX, &s->max_ms, cause) < 0)
		return -1;
	return 0;
}

static int stats_read(json_t *j, struct step_stats *st, struct proto_cause *cause)
{
	if (!json_is_object(j))
		return proto_fail(cause, "", "step statistics must be an object");
	if (jfield_id(j, "", "workflow_id", true, st->workflow_id, cause) < 0 ||
	    jfield_int(j, "", "runs", true, 0, INT64_MAX, &st->runs, cause) < 0)
		return -1;
	json_t *steps = jfield_get(j, "steps");
	if (!json_is_array(steps) || json_array_size(steps) > PROTO_MAX_STEPS)
		return proto_fail(cause, "steps", "must be an array of at most %d steps", PROTO_MAX_STEPS);
	for (size_t i = 0; i < json_array_size(steps); i++) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "steps[%zu]", i);
		if (step_read(json_array_get(steps, i), prefix, step_stats_add(st), cause) < 0)
			return -1;
	}
	return 0;
}

int step_stats_parse(json_t *j, struct step_stats *st, struct proto_cause *cause)
{
	memset(st, 0, sizeof *st);
	if (stats_read(j, st, cause) < 0) {
		step_stats_clear(st);
		return -1;
	}
	return 0;
}
