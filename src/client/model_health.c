/* model_health.c: the health room in the console's model (see
 * model_health.h). Every value is read with its type checked: the JSON comes
 * from another process; rows beyond MODEL_HEALTH_ROWS are left out. */
#include "model.h"

#include "model-internal.h"

static void row_read(struct model_health_row *r, json_t *j)
{
	memset(r, 0, sizeof *r);
	copy_str(r->workflow_id, sizeof r->workflow_id, jstr(j, "workflow_id"));
	copy_str(r->name, sizeof r->name, jstr(j, "workflow_name"));
	if (r->name[0] == '\0')
		copy_str(r->name, sizeof r->name, r->workflow_id);
	r->running = jint_or(j, "running", 0);
	r->queued = jint_or(j, "queued", 0);
	r->completed = jint_or(j, "completed", 0);
	r->failed = jint_or(j, "failed", 0);
	json_t *last = json_object_get(j, "last");
	if (json_is_object(last) && exec_status_parse(jstr(last, "status"), &r->last_status) == 0) {
		r->has_last = true;
		copy_str(r->last_id, sizeof r->last_id, jstr(last, "execution_id"));
		r->last_finished_ms = jtime(last, "finished_at");
	}
	json_t *sched = json_object_get(j, "schedule"), *st = json_object_get(j, "schedule_status");
	if (json_is_object(sched) && json_is_object(st)) {
		r->has_schedule = true;
		if (jstr(sched, "cron") != NULL)
			snprintf(r->schedule_text, sizeof r->schedule_text, "%s", jstr(sched, "cron"));
		else
			snprintf(r->schedule_text, sizeof r->schedule_text, "#%lld %s",
				 (long long)jint_or(sched, "working_day", 0), jstr(sched, "at") ? jstr(sched, "at") : "");
		const char *state = jstr(st, "state"), *miss = jstr(st, "miss");
		r->state = SCHED_NONE;
		for (int s = 0; state != NULL && s < SCHED__COUNT; s++)
			if (strcmp(state, schedule_state_name((enum schedule_state)s)) == 0)
				r->state = (enum schedule_state)s;
		for (int k = 1; miss != NULL && k < MISS__COUNT; k++)
			if (strcmp(miss, schedule_miss_name((enum schedule_miss)k)) == 0)
				r->miss = (enum schedule_miss)k;
		copy_str(r->expected_local, sizeof r->expected_local, jstr(st, "expected_local"));
		copy_str(r->due_local, sizeof r->due_local, jstr(st, "due_local"));
		r->next_ms = jtime(st, "next_at");
	}
}

unsigned model_health_read(struct model *m, json_t *data)
{
	json_t *list = json_object_get(data, "workflows");
	if (!json_is_array(list))
		return MC_NONE;
	struct model_health *h = &m->health;
	if (h->rows == NULL)
		h->rows = xcalloc(MODEL_HEALTH_ROWS, sizeof *h->rows);
	h->n = 0;
	size_t i;
	json_t *j;
	json_array_foreach(list, i, j)
		if (json_is_object(j) && h->n < MODEL_HEALTH_ROWS && jstr(j, "workflow_id") != NULL)
			row_read(&h->rows[h->n++], j);
	h->loaded = true;
	h->serial++;
	return MC_HEALTH;
}

void model_health_clear(struct model *m)
{
	free(m->health.rows);
	memset(&m->health, 0, sizeof m->health);
}
