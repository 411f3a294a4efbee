/* model_monitor.c: the queue's numbers and depth history (room "queue") and
 * the daemon's resource samples and workers (room "resources"), as the
 * daemon computes them (see model.h). Histories are bounded rings. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model-internal.h"
#include "names.h"
#include "xalloc.h"

/* ---- queue numbers, resources, step statistics ------------------------------------- */

static unsigned queue_numbers(struct model *m, json_t *n, int64_t now_ms)
{
	if (!json_is_object(n))
		return MC_NONE;
	struct model_queue *q = &m->queue;
	q->loaded = true;
	q->received_ms = now_ms;
	q->depth = jint_or(n, "depth", 0);
	json_t *bp = json_object_get(n, "by_priority");
	for (int p = 0; p < PRIO__COUNT; p++)
		q->by_priority[p] = jint_or(bp, proto_priority_name((enum proto_priority)p), 0);
	q->untracked = jint_or(n, "untracked", 0);
	json_t *old = json_object_get(n, "oldest");
	q->has_oldest = json_is_object(old) && jstr(old, "execution_id") != NULL;
	q->oldest_id[0] = '\0';
	q->oldest_queued_ms = q->oldest_age_ms = 0;
	if (q->has_oldest) {
		copy_str(q->oldest_id, sizeof q->oldest_id, jstr(old, "execution_id"));
		q->oldest_queued_ms = jint_or(old, "queued_ms", 0);
		q->oldest_age_ms = jint_or(old, "age_ms", 0);
	}
	q->avg_wait_ms = jint_or(n, "avg_wait_ms", -1);
	q->wait_samples = jint_or(n, "wait_samples", 0);
	q->finished_in_window = jint_or(n, "finished_in_window", 0);
	q->rate_per_min = jnum_or(n, "rate_per_min", 0);
	q->eta_ms = jint_or(n, "eta_ms", -1);
	q->backlog = json_is_true(json_object_get(n, "backlog"));
	q->threshold = jint_or(n, "threshold", 0);
	return MC_QUEUE;
}

static void queue_push(struct model_queue *q, uint32_t v)
{
	if (q->hist_count == MODEL_DEPTH_HISTORY) {
		q->history[q->hist_head] = v;
		q->hist_head = (q->hist_head + 1) % MODEL_DEPTH_HISTORY;
	} else {
		q->history[(q->hist_head + q->hist_count) % MODEL_DEPTH_HISTORY] = v;
		q->hist_count++;
	}
}

unsigned model_queue_snapshot(struct model *m, json_t *snap, int64_t now_ms)
{
	unsigned changed = model_exec_snapshot_list(m, json_object_get(snap, "queued"), now_ms);
	changed |= queue_numbers(m, json_object_get(snap, "numbers"), now_ms);
	json_t *hist = json_object_get(snap, "depth_history");
	if (json_is_array(hist)) {
		struct model_queue *q = &m->queue;
		q->hist_head = q->hist_count = 0;
		size_t n = json_array_size(hist);
		size_t first = n > MODEL_DEPTH_HISTORY ? n - MODEL_DEPTH_HISTORY : 0;
		for (size_t i = first; i < n; i++) {
			json_int_t v = json_integer_value(json_array_get(hist, i));
			queue_push(q, v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v);
		}
		q->hist_last_ms = now_ms;
		changed |= MC_QUEUE;
	}
	return changed;
}

bool model_queue_tick(struct model *m, int64_t now_ms)
{
	struct model_queue *q = &m->queue;
	if (!q->loaded)
		return false;
	if (q->hist_last_ms == 0 || now_ms < q->hist_last_ms) {
		/* First point, or our clock went back: start counting from here. */
		queue_push(q, (uint32_t)(q->depth < 0 ? 0 : q->depth));
		q->hist_last_ms = now_ms;
		return true;
	}
	int64_t secs = (now_ms - q->hist_last_ms) / 1000;
	if (secs <= 0)
		return false;
	if (secs > MODEL_DEPTH_HISTORY)
		secs = MODEL_DEPTH_HISTORY;
	for (int64_t i = 0; i < secs; i++)
		queue_push(q, (uint32_t)(q->depth < 0 ? 0 : q->depth));
	q->hist_last_ms += secs * 1000;
	if (now_ms - q->hist_last_ms >= 1000)   /* after a long sleep */
		q->hist_last_ms = now_ms;
	return true;
}

uint32_t model_queue_history(const struct model_queue *q, uint32_t i)
{
	if (i >= q->hist_count)
		return 0;
	return q->history[(q->hist_head + i) % MODEL_DEPTH_HISTORY];
}

int64_t model_queue_oldest_age(const struct model_queue *q, int64_t now_ms)
{
	if (!q->has_oldest)
		return -1;
	int64_t age = q->oldest_queued_ms > 0 ? now_ms - q->oldest_queued_ms
					      : q->oldest_age_ms + (now_ms - q->received_ms);
	return age > 0 ? age : 0;
}

static int queue_cmp(const void *pa, const void *pb)
{
	const struct model_exec *a = *(struct model_exec *const *)pa;
	const struct model_exec *b = *(struct model_exec *const *)pb;
	if (a->x.queued_ms != b->x.queued_ms)
		return a->x.queued_ms < b->x.queued_ms ? -1 : 1;
	return strcmp(a->x.id, b->x.id);
}

void model_queue_list(const struct model *m, struct model_list *out)
{
	if (out->cap < m->nexecs) {
		out->cap = m->nexecs + 64;
		out->items = xrealloc(out->items, sizeof *out->items * out->cap);
	}
	out->n = 0;
	for (size_t i = 0; i < m->nexecs; i++)
		if (m->execs[i]->x.status == EXEC_QUEUED)
			out->items[out->n++] = m->execs[i];
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, queue_cmp);
}

static void res_sample_parse(json_t *r, struct model_res_sample *out)
{
	memset(out, 0, sizeof *out);
	out->at_ms = jtime(r, "at");
	json_t *host = json_object_get(r, "host");
	out->host_cpu = jnum_or(host, "cpu_percent", -1);
	out->mem_total = jint_or(host, "mem_total_bytes", -1);
	out->mem_available = jint_or(host, "mem_available_bytes", -1);
	json_t *load = json_object_get(host, "load");
	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_array_get(load, i);
		out->load[i] = json_is_number(v) ? json_number_value(v) : -1;
	}
	json_t *d = json_object_get(r, "daemon");
	out->daemon_cpu = jnum_or(d, "cpu_percent", -1);
	out->daemon_rss = jint_or(d, "rss_bytes", -1);
	json_t *db = json_object_get(r, "database");
	copy_str(out->db_state, sizeof out->db_state, jstr(db, "state"));
	out->db_active = jint_or(db, "active", -1);
	out->db_idle = jint_or(db, "idle", -1);
	out->db_total = jint_or(db, "total", -1);
	out->db_max = jint_or(db, "max", -1);
	out->ws_connections = jint_or(json_object_get(r, "websocket"), "connections", -1);
	json_t *eps = json_object_get(r, "events_per_s");
	out->events_in = jnum_or(eps, "in", -1);
	out->events_out = jnum_or(eps, "out", -1);
	out->queue_depth = jint_or(r, "queue_depth", -1);
	out->cpu_threshold = jnum_or(r, "cpu_threshold", -1);
	out->warning = json_is_true(json_object_get(r, "warning"));
}

static void res_push(struct model_resources *r, const struct model_res_sample *smp)
{
	if (r->hist_count == MODEL_RES_HISTORY) {
		r->history[r->hist_head] = *smp;
		r->hist_head = (r->hist_head + 1) % MODEL_RES_HISTORY;
	} else {
		r->history[(r->hist_head + r->hist_count) % MODEL_RES_HISTORY] = *smp;
		r->hist_count++;
	}
}

const struct model_res_sample *model_res_history(const struct model_resources *r, uint32_t i)
{
	if (i >= r->hist_count)
		return NULL;
	return &r->history[(r->hist_head + i) % MODEL_RES_HISTORY];
}

/* The current sample and its top consumers; also the history's newest point
 * unless it is the same sample again. */
static void res_current(struct model_resources *r, json_t *data, bool append)
{
	if (!json_is_object(data))
		return;
	res_sample_parse(data, &r->current);
	r->has_current = true;
	r->ntop = 0;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(data, "top_consumers"), i, c) {
		if (r->ntop >= MODEL_TOP_CONSUMERS)
			break;
		struct model_consumer *t = &r->top[r->ntop++];
		memset(t, 0, sizeof *t);
		copy_str(t->workflow_id, sizeof t->workflow_id, jstr(c, "workflow_id"));
		t->cpu_percent = jnum_or(c, "cpu_percent", 0);
		t->memory_bytes = jint_or(c, "memory_bytes", 0);
		t->executions = jint_or(c, "executions", 0);
	}
	if (!append)
		return;
	const struct model_res_sample *last =
		r->hist_count ? model_res_history(r, r->hist_count - 1) : NULL;
	if (last == NULL || last->at_ms != r->current.at_ms || r->current.at_ms == 0)
		res_push(r, &r->current);
}

unsigned model_res_on_event(struct model *m, json_t *ev)
{
	struct model_resources *r = &m->res;
	const char *name = jstr(ev, "worker");
	if (name == NULL)
		return MC_NONE;
	struct model_worker *w = NULL;
	for (uint32_t i = 0; i < r->nworkers && w == NULL; i++)
		if (strcmp(r->workers[i].name, name) == 0)
			w = &r->workers[i];
	if (w == NULL) {
		if (r->nworkers < MODEL_MAX_WORKERS) {
			w = &r->workers[r->nworkers++];
		} else {
			/* Full: the worker heard from least recently makes room. */
			w = &r->workers[0];
			for (uint32_t i = 1; i < r->nworkers; i++)
				if (r->workers[i].ts_ms < w->ts_ms)
					w = &r->workers[i];
		}
		memset(w, 0, sizeof *w);
		copy_str(w->name, sizeof w->name, name);
	}
	int64_t ts = jtime(ev, "ts");
	if (ts < w->ts_ms)
		return MC_NONE;   /* an older sample than the one held */
	w->ts_ms = ts;
	copy_str(w->execution_id, sizeof w->execution_id, jstr(ev, "execution_id") ? jstr(ev, "execution_id") : "");
	copy_str(w->step_id, sizeof w->step_id, jstr(ev, "step_id") ? jstr(ev, "step_id") : "");
	w->cpu_percent = jnum_or(ev, "cpu_percent", -1);
	w->memory_bytes = jint_or(ev, "memory_bytes", -1);
	return MC_RESOURCES;
}

unsigned model_res_snapshot(struct model *m, json_t *snap)
{
	struct model_resources *r = &m->res;
	r->loaded = true;
	r->nworkers = 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(snap, "workers"), i, v) model_res_on_event(m, v);
	r->hist_head = r->hist_count = 0;
	json_array_foreach(json_object_get(snap, "history"), i, v) {
		if (!json_is_object(v))
			continue;
		struct model_res_sample smp;
		res_sample_parse(v, &smp);
		res_push(r, &smp);
	}
	json_t *d = json_object_get(snap, "daemon");
	if (json_is_object(d)) {
		res_current(r, d, true);
	} else if (r->hist_count > 0) {
		r->current = *model_res_history(r, r->hist_count - 1);
		r->has_current = true;
		r->ntop = 0;
	} else {
		r->has_current = false;
		r->ntop = 0;
	}
	return MC_RESOURCES;
}

unsigned model_monitor_on_stats(struct model *m, struct model_room *r, json_t *msg, int64_t now_ms)
{
	json_t *data = json_object_get(msg, "data");
	if (!json_is_object(data))
		return MC_NONE;
	if (strcmp(r->name, "queue") == 0)
		return queue_numbers(m, data, now_ms);
	if (strcmp(r->name, "resources") == 0) {
		m->res.loaded = true;
		res_current(&m->res, data, true);
		return MC_RESOURCES;
	}
	return MC_NONE;
}
