/* live.c: the organization's executions in memory: a map by id and a
 * recency list, eviction, the workers' latest samples, and the snapshots
 * built from them. What an event does to an execution is exec.c's.
 *
 * Invariants: every execution is both in o->executions and on the recency
 * list; the number of executions never passes o->max_executions. */
#include "live.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void recency_unlink(struct live_org *o, struct live_execution *x)
{
	if (x->prev) x->prev->next = x->next; else o->newest = x->next;
	if (x->next) x->next->prev = x->prev; else o->oldest = x->prev;
	x->prev = x->next = NULL;
}

static void recency_push_front(struct live_org *o, struct live_execution *x)
{
	x->prev = NULL;
	x->next = o->newest;
	if (o->newest) o->newest->prev = x; else o->oldest = x;
	o->newest = x;
}

static void execution_free(struct live_execution *x)
{
	exec_clear(&x->x);
	free(x);
}

static void org_evict_one(struct live_org *o)
{
	struct live_execution *victim = NULL;
	for (struct live_execution *x = o->oldest; x != NULL; x = x->prev)
		if (exec_status_finished(x->x.status)) {
			victim = x;
			break;
		}
	if (victim == NULL)
		victim = o->oldest;
	recency_unlink(o, victim);
	strmap_remove(&o->executions, victim->x.id);
	execution_free(victim);
}

/* A new execution, made room for, in front of the recency list. */
static struct live_execution *org_add(struct live_org *o)
{
	while (strmap_count(&o->executions) >= o->max_executions && o->oldest != NULL)
		org_evict_one(o);
	struct live_execution *x = xcalloc(1, sizeof *x);
	recency_push_front(o, x);
	return x;
}

void live_org_init(struct live_org *o, uint32_t max_executions)
{
	memset(o, 0, sizeof *o);
	strmap_init(&o->executions);
	strmap_init(&o->workers);
	o->max_executions = max_executions ? max_executions : 1;
}

static void free_worker(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	json_decref(value);
}

void live_org_free(struct live_org *o)
{
	struct live_execution *x = o->newest;
	while (x != NULL) {
		struct live_execution *next = x->next;
		execution_free(x);
		x = next;
	}
	strmap_clear(&o->executions);
	strmap_each(&o->workers, free_worker, NULL);
	strmap_clear(&o->workers);
}

bool live_org_has_unfinished(const struct live_org *o)
{
	for (const struct live_execution *e = o->newest; e != NULL; e = e->next)
		if (e->x.status == EXEC_QUEUED || e->x.status == EXEC_RUNNING)
			return true;
	return false;
}

struct live_execution *live_find(const struct live_org *o, const char *execution_id)
{
	return strmap_get(&o->executions, execution_id);
}

/* The worker's latest sample, while there is room for its name. */
static void worker_sample(struct live_org *o, const struct proto_event *ev, json_t *event)
{
	json_t *old = strmap_get(&o->workers, ev->worker);
	if (old == NULL && strmap_count(&o->workers) >= LIVE_WORKERS)
		return;
	json_decref(strmap_put(&o->workers, ev->worker, json_incref(event)));
}

struct live_execution *live_apply(struct live_org *o, const struct proto_event *ev, json_t *event,
				  int *before)
{
	struct live_execution *x = strmap_get(&o->executions, ev->execution_id);
	if (x != NULL) {
		*before = (int)x->x.status;
		recency_unlink(o, x);
		recency_push_front(o, x);
	} else {
		*before = -1;
		x = org_add(o);
		exec_init_for(&x->x, ev);
		strmap_put(&o->executions, x->x.id, x);
	}
	exec_apply(&x->x, ev, NULL);
	if (ev->kind == EV_RESOURCE_SAMPLE)
		worker_sample(o, ev, event);
	return x;
}

int live_load_execution(struct live_org *o, json_t *xj)
{
	const char *id = json_string_value(json_object_get(xj, "id"));
	const char *wf = json_string_value(json_object_get(xj, "workflow_id"));
	if (id == NULL || wf == NULL || !proto_id_valid(id) || !proto_id_valid(wf))
		return -1;
	struct live_execution *x = strmap_get(&o->executions, id);
	if (x == NULL) {
		x = org_add(o);
		exec_init(&x->x, id, wf);
		strmap_put(&o->executions, x->x.id, x);
	}
	exec_merge_json(&x->x, xj);
	if (x->x.last_event_ms > x->heard_ms)
		x->heard_ms = x->x.last_event_ms;
	return 0;
}

/* ---- snapshots ----------------------------------------------------------- */

static bool in_workflow(const struct live_execution *x, const char *workflow_id)
{
	return workflow_id == NULL || strcmp(x->x.workflow_id, workflow_id) == 0;
}

json_t *live_org_snapshot_new(const struct live_org *o, const char *workflow_id)
{
	json_t *list = json_array();
	uint32_t recent = 0;
	/* Active ones first, then the most recent finished ones. */
	for (struct live_execution *x = o->newest; x != NULL; x = x->next)
		if (!exec_status_finished(x->x.status) && in_workflow(x, workflow_id))
			json_array_append_new(list, exec_summary_json_new(&x->x));
	for (struct live_execution *x = o->newest; x != NULL && recent < LIVE_SNAPSHOT_RECENT; x = x->next)
		if (exec_status_finished(x->x.status) && in_workflow(x, workflow_id)) {
			json_array_append_new(list, exec_summary_json_new(&x->x));
			recent++;
		}
	return json_pack("{s:o}", "executions", list);
}

json_t *live_queue_snapshot_new(const struct live_org *o)
{
	json_t *list = json_array();
	/* The recency list runs newest first; walk it backwards for oldest first. */
	for (struct live_execution *x = o->oldest; x != NULL; x = x->prev)
		if (x->x.status == EXEC_QUEUED)
			json_array_append_new(list, exec_summary_json_new(&x->x));
	return json_pack("{s:o}", "queued", list);
}

static void collect_worker(const char *key, void *value, void *arg)
{
	(void)key;
	json_array_append(arg, value);
}

json_t *live_resources_snapshot_new(const struct live_org *o)
{
	json_t *list = json_array();
	strmap_each(&o->workers, collect_worker, list);
	return json_pack("{s:o}", "workers", list);
}
