/* model_monitor.c: the queue's numbers and depth history (room "queue"),
 * the daemon's resource samples and workers (room "resources") and the
 * organization's summary (room "org"), as the daemon computes them (see
 * model.h). Histories are bounded rings. */
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

/* New numbers (queue_numbers.h); numbers that do not read change nothing. */
static unsigned queue_numbers(struct model *m, json_t *j, int64_t now_ms)
{
	struct queue_numbers n;
	struct proto_cause cause;
	if (queue_numbers_parse(j, &n, &cause) < 0)
		return MC_NONE;
	struct model_queue *q = &m->queue;
	q->n = n;
	q->loaded = true;
	q->received_ms = now_ms;
	return MC_QUEUE;
}

/* The depth as a history point. */
static uint32_t queue_point(const struct model_queue *q)
{
	return q->n.depth > UINT32_MAX ? UINT32_MAX : (uint32_t)q->n.depth;
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
		queue_push(q, queue_point(q));
		q->hist_last_ms = now_ms;
		return true;
	}
	int64_t secs = (now_ms - q->hist_last_ms) / 1000;
	if (secs <= 0)
		return false;
	if (secs > MODEL_DEPTH_HISTORY)
		secs = MODEL_DEPTH_HISTORY;
	for (int64_t i = 0; i < secs; i++)
		queue_push(q, queue_point(q));
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
	if (!q->n.has_oldest)
		return -1;
	int64_t age = q->n.oldest_queued_ms > 0 ? now_ms - q->n.oldest_queued_ms
						: q->n.oldest_age_ms + (now_ms - q->received_ms);
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

static void res_push(struct model_resources *r, const struct resource_sample *smp)
{
	if (r->hist_count == MODEL_RES_HISTORY) {
		r->history[r->hist_head] = *smp;
		r->hist_head = (r->hist_head + 1) % MODEL_RES_HISTORY;
	} else {
		r->history[(r->hist_head + r->hist_count) % MODEL_RES_HISTORY] = *smp;
		r->hist_count++;
	}
}

const struct resource_sample *model_res_history(const struct model_resources *r, uint32_t i)
{
	if (i >= r->hist_count)
		return NULL;
	return &r->history[(r->hist_head + i) % MODEL_RES_HISTORY];
}

/* A new current sample (resource_sample.h); also the history's newest point
 * unless it is the same sample again. A sample that does not read changes
 * nothing. */
static bool res_current(struct model_resources *r, json_t *data, bool append)
{
	struct resource_sample smp;
	struct proto_cause cause;
	if (resource_sample_parse(data, &smp, &cause) < 0)
		return false;
	r->current = smp;
	r->has_current = true;
	if (!append)
		return true;
	const struct resource_sample *last = r->hist_count ? model_res_history(r, r->hist_count - 1) : NULL;
	if (last == NULL || last->at_ms != r->current.at_ms || r->current.at_ms == 0)
		res_push(r, &r->current);
	return true;
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
		struct resource_sample smp;
		struct proto_cause cause;
		if (resource_sample_parse(v, &smp, &cause) == 0)
			res_push(r, &smp);
	}
	r->has_current = false;
	if (!res_current(r, json_object_get(snap, "daemon"), true) && r->hist_count > 0) {
		r->current = *model_res_history(r, r->hist_count - 1);
		r->current.ntop = 0;
		r->has_current = true;
	}
	return MC_RESOURCES;
}

/* A summary that does not read changes nothing. */
unsigned model_summary_set(struct model *m, json_t *j, int64_t now_ms)
{
	struct org_summary s;
	struct proto_cause cause;
	if (j == NULL || org_summary_parse(j, &s, &cause) < 0)
		return MC_NONE;
	struct model_summary *ms = &m->summary;
	ms->s = s;
	ms->loaded = true;
	ms->received_ms = now_ms;
	ms->serial++;
	/* Rows go stale as the daemon counts them: the ones it names; the rest
	 * are fresh when it named every stale one, else left to our clock. */
	enum model_daemon_view rest = s.nstale_ids == s.stale ? MDV_FRESH : MDV_UNKNOWN;
	struct strmap named;
	strmap_init(&named);
	for (uint32_t k = 0; k < s.nstale_ids; k++)
		strmap_put(&named, s.stale_ids[k], &named);
	bool changed = false;
	for (size_t i = 0; i <= m->nexecs; i++) {
		struct model_exec *x = i < m->nexecs ? m->execs[i] : &m->detail.exec;
		enum model_daemon_view v = strmap_get(&named, x->x.id) != NULL ? MDV_STALE : rest;
		changed = changed || x->daemon != v;
		x->daemon = v;
	}
	strmap_clear(&named);
	if (changed)
		m->execs_serial++;
	return MC_SUMMARY | (changed ? MC_LIST | MC_DETAIL : 0);
}

int64_t model_queue_depth(const struct model *m)
{
	if (m->queue.loaded)
		return m->queue.n.depth > INT64_MAX ? INT64_MAX : (int64_t)m->queue.n.depth;
	if (m->summary.loaded)
		return m->summary.s.queued > INT64_MAX ? INT64_MAX : (int64_t)m->summary.s.queued;
	return -1;
}

unsigned model_monitor_on_stats(struct model *m, struct model_room *r, json_t *msg, int64_t now_ms)
{
	json_t *data = json_object_get(msg, "data");
	if (!json_is_object(data))
		return MC_NONE;
	if (strcmp(r->name, "org") == 0)
		return model_summary_set(m, data, now_ms);
	if (strcmp(r->name, "queue") == 0)
		return queue_numbers(m, data, now_ms);
	if (strcmp(r->name, "resources") == 0) {
		if (!res_current(&m->res, data, true))
			return MC_NONE;
		m->res.loaded = true;
		return MC_RESOURCES;
	}
	return MC_NONE;
}
