/* monitor.c: queue and resource numbers, computed and pushed (see monitor.h). */
#include "monitor.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "clock.h"
#include "cluster.h"
#include "conn.h"
#include "history.h"
#include "live.h"
#include "log.h"
#include "org.h"
#include "pending.h"
#include "prom_workflows.h"
#include "room.h"
#include "schedules.h"
#include "server.h"
#include "store.h"
#include "summary.h"

/* A worker that has not reported for this long no longer counts as a consumer. */
#define WORKER_STALE_MS (60 * 1000)

int org_monitor_init(struct org_monitor *m, const struct server *s, char *cause, size_t causelen)
{
	memset(m, 0, sizeof *m);
	return queue_stats_init(&m->queue, (int64_t)s->cfg.queue_wait_window_s * 1000,
				(int64_t)s->cfg.queue_rate_window_s * 1000, 0, cause, causelen);
}

void org_monitor_free(struct org_monitor *m)
{
	queue_stats_free(&m->queue);
	m->samples_count = 0;
}

/* ---- from the events ---------------------------------------------------------- */

static bool finished(int status)
{
	return status >= 0 && exec_status_finished((enum exec_status)status);
}

void monitor_on_event(struct org *o, int before, const struct live_execution *x,
		      const struct proto_event *ev)
{
	struct queue_stats *q = &o->mon.queue;
	int after = (int)x->x.status;
	if (after != before)
		o->mon.latest_valid = false;
	/* Queued anew, again (a delay changed), or again after a retry. */
	if (ev->kind == EV_EXECUTION_QUEUED && after == EXEC_QUEUED &&
	    (before == -1 || before == EXEC_QUEUED || finished(before)))
		queue_stats_on_queued(q, x->x.id, x->x.priority, ev->ts_ms, x->x.delayed_until_ms);
	if (before == EXEC_QUEUED && after == EXEC_RUNNING)
		queue_stats_on_started(q, x->x.id, ev->ts_ms);
	if (before != -1 && !finished(before) && finished(after))
		queue_stats_on_finished(q, x->x.id, ev->ts_ms, before == EXEC_QUEUED);
	else if (before == -1 && finished(after))
		queue_stats_on_finished(q, x->x.id, ev->ts_ms, false);
	if (!finished(before) && finished(after)) {
		/* The slots are known from the first event on (not only from the first tick). */
		prom_workflows_set_slots(o->srv->mon.workflows, o->srv->cfg.metrics.prometheus_workflows);
		prom_workflows_finished(o->srv->mon.workflows, o->id, x->x.workflow_id, exec_status_name(x->x.status),
					x->x.started_ms > 0 ? x->x.finished_ms - x->x.started_ms : -1);
	}
}

void monitor_reload(struct org *o)
{
	/* Oldest first, as they joined the queue. */
	for (const struct live_execution *x = o->live.oldest; x != NULL; x = x->prev)
		if (x->x.status == EXEC_QUEUED)
			queue_stats_on_queued(&o->mon.queue, x->x.id, x->x.priority,
					      x->x.queued_ms > 0 ? x->x.queued_ms : x->x.last_event_ms,
					      x->x.delayed_until_ms);
	o->mon.latest_valid = false;
}

void monitor_on_priority(struct org *o, const char *execution_id, enum proto_priority p)
{
	queue_stats_on_priority(&o->mon.queue, execution_id, p);
	o->mon.latest_valid = false;
}

static const struct queue_numbers *queue_compute(struct org *o, int64_t now_ms)
{
	struct org_monitor *m = &o->mon;
	queue_stats_compute(&m->queue, now_ms, o->srv->cfg.queue_backlog_threshold, &m->latest);
	m->latest_valid = true;
	return &m->latest;
}

const struct queue_numbers *monitor_queue_numbers(struct org *o, int64_t now_ms)
{
	if (!o->mon.latest_valid)
		return queue_compute(o, now_ms);
	return &o->mon.latest;
}

/* ---- queue ----------------------------------------------------------------------- */

json_t *monitor_queue_snapshot_new(struct org *o, int64_t now_ms)
{
	const struct queue_numbers *n = monitor_queue_numbers(o, now_ms);
	uint32_t hist[QUEUE_STATS_DEPTH_HISTORY];
	size_t nh = queue_stats_depth_history(&o->mon.queue, hist, QUEUE_STATS_DEPTH_HISTORY);
	json_t *h = json_array();
	for (size_t i = 0; i < nh; i++)
		json_array_append_new(h, json_integer(hist[i]));
	json_t *snap = live_queue_snapshot_new(&o->live);
	json_object_set_new(snap, "numbers", queue_numbers_json_new(n));
	json_object_set_new(snap, "depth_history", h);
	return snap;
}

static void queue_tick(struct org *o, int64_t now_ms)
{
	struct org_monitor *m = &o->mon;
	queue_stats_sample_depth(&m->queue, now_ms);
	/* Once a tick for everyone: ages and windows move with the clock. */
	struct queue_numbers n = *queue_compute(o, now_ms);
	if (m->pushed_once && queue_stats_equal(&n, &m->pushed))
		return;
	if (n.backlog && !(m->pushed_once && m->pushed.backlog))
		log_warn("%s: queue backlog of %llu executions (threshold %llu)", o->id,
			 (unsigned long long)n.depth, (unsigned long long)n.threshold);
	m->pushed = n;
	m->pushed_once = true;
	log_debug("%s: queue depth %llu pushed", o->id, (unsigned long long)n.depth);
	struct room *r = room_find(o, "queue");
	if (r != NULL) {
		json_t *data = queue_numbers_json_new(&n);
		room_broadcast(r, proto_stats_message_new("queue", data));
		json_decref(data);
	}
}

static void queue_save(struct org *o, int64_t now_ms)
{
	struct queue_numbers n = *monitor_queue_numbers(o, now_ms);
	if (n.depth == 0 && n.finished_in_window == 0)
		return;   /* an idle organization leaves no rows */
	/* Every node of a cluster has the same numbers: one row, from the node
	 * holding the alert lease. */
	if (o->srv->cluster != NULL && !cluster_leads(o->srv->cluster))
		return;
	uint64_t running = 0;
	for (struct live_execution *x = o->live.newest; x != NULL; x = x->next)
		running += x->x.status == EXEC_RUNNING;
	json_t *row = json_pack("{s:I,s:I,s:{s:I,s:I,s:I},s:I,s:I,s:f}", "depth", (json_int_t)n.depth,
				"processing", (json_int_t)running, "by_priority",
				"HIGH", (json_int_t)n.by_priority[PRIO_HIGH],
				"NORMAL", (json_int_t)n.by_priority[PRIO_NORMAL],
				"LOW", (json_int_t)n.by_priority[PRIO_LOW],
				"oldest_age_ms", (json_int_t)(n.has_oldest ? n.oldest_age_ms : 0),
				"avg_wait_ms", (json_int_t)(n.avg_wait_ms < 0 ? 0 : n.avg_wait_ms),
				"rate_per_min", n.rate_per_min);
	if (!n.has_oldest)
		json_object_set_new(row, "oldest_age_ms", json_null());
	if (n.avg_wait_ms < 0)
		json_object_set_new(row, "avg_wait_ms", json_null());
	history_put(o->srv, STORE_Q_PUT_QUEUE_SNAPSHOT, o->id, row);
}

/* ---- resources --------------------------------------------------------------------- */

struct consumer {
	char workflow_id[PROTO_MAX_ID + 1];
	double cpu;
	int64_t mem;
	int executions;
};

struct consumers {
	struct consumer list[64];
	size_t n;
	int64_t now_ms;
	const struct org *org;
	struct strmap running;           /* execution ids counted once */
};

/* Whether the worker's execution counts as running the way the summary
 * counts it: running, and heard from within stale-after. */
static bool consumer_running(struct consumers *c, const char *execution_id)
{
	if (execution_id == NULL || strmap_get(&c->running, execution_id) != NULL)
		return false;
	const struct live_execution *x = live_find(&c->org->live, execution_id);
	if (x == NULL || x->x.status != EXEC_RUNNING)
		return false;
	int64_t heard = x->heard_ms > 0 ? x->heard_ms : x->x.last_event_ms;
	if (heard > 0 && c->now_ms - heard > (int64_t)c->org->srv->cfg.stale_after_s * 1000)
		return false;
	strmap_put(&c->running, execution_id, (void *)x);
	return true;
}

static void add_consumer(const char *key, void *value, void *arg)
{
	(void)key;
	struct consumers *c = arg;
	json_t *ev = value;
	int64_t ts = 0;
	const char *t = json_string_value(json_object_get(ev, "ts"));
	if (t == NULL || proto_time_parse(t, &ts) != 0 || c->now_ms - ts > WORKER_STALE_MS)
		return;
	const char *wf = json_string_value(json_object_get(ev, "workflow_id"));
	if (wf == NULL)
		return;
	size_t i = 0;
	while (i < c->n && strcmp(c->list[i].workflow_id, wf) != 0)
		i++;
	if (i == c->n) {
		if (c->n == sizeof c->list / sizeof c->list[0])
			return;
		memset(&c->list[i], 0, sizeof c->list[i]);
		snprintf(c->list[i].workflow_id, sizeof c->list[i].workflow_id, "%s", wf);
		c->n++;
	}
	c->list[i].cpu += json_number_value(json_object_get(ev, "cpu_percent"));
	c->list[i].mem += json_integer_value(json_object_get(ev, "memory_bytes"));
	if (consumer_running(c, json_string_value(json_object_get(ev, "execution_id"))))
		c->list[i].executions++;
}

static int by_cpu(const void *a, const void *b)
{
	const struct consumer *x = a, *y = b;
	return (x->cpu < y->cpu) - (x->cpu > y->cpu);
}

/* The workflows whose workers use the most CPU, into the sample. */
static void top_consumers(struct org *o, int64_t now_ms, struct resource_sample *smp)
{
	struct consumers c = { .n = 0, .now_ms = now_ms, .org = o };
	strmap_init(&c.running);
	strmap_each(&o->live.workers, add_consumer, &c);
	strmap_clear(&c.running);
	qsort(c.list, c.n, sizeof c.list[0], by_cpu);
	smp->ntop = 0;
	for (size_t i = 0; i < c.n && i < RESOURCE_TOP_CONSUMERS; i++) {
		struct resource_consumer *t = &smp->top[smp->ntop++];
		snprintf(t->workflow_id, sizeof t->workflow_id, "%s", c.list[i].workflow_id);
		t->cpu_percent = c.list[i].cpu;
		t->memory_bytes = c.list[i].mem;
		t->executions = c.list[i].executions;
	}
}

static uint32_t org_connections(const struct server *s, const struct org *o)
{
	uint32_t n = 0;
	for (const struct conn *c = s->conns; c != NULL; c = c->next)
		n += c->org == o;
	return n;
}

struct sample_ctx {
	struct server *s;
	int64_t now_ms;
	bool host_ok;                    /* host and self were read */
	const struct host_sample *host;
	const struct self_sample *self;
	double in_per_s, out_per_s;
};

static void sample_org(const char *key, void *value, void *arg)
{
	(void)key;
	struct org *o = value;
	struct sample_ctx *x = arg;
	struct server *s = x->s;
	const struct queue_numbers *qn = monitor_queue_numbers(o, x->now_ms);
	struct resource_sample smp;
	resource_sample_init(&smp);
	smp.at_ms = x->now_ms;
	if (x->host_ok) {
		smp.host_cpu = x->host->cpu_percent;
		smp.mem_total = (int64_t)x->host->mem_total_bytes;
		smp.mem_available = (int64_t)x->host->mem_available_bytes;
		memcpy(smp.load, x->host->load, sizeof smp.load);
		smp.daemon_cpu = x->self->cpu_percent;
		smp.daemon_rss = (int64_t)x->self->rss_bytes;
	}
	if (s->store == NULL) {
		snprintf(smp.db_state, sizeof smp.db_state, "not configured");
	} else {
		struct store_status st;
		store_get_status(s->store, &st);
		snprintf(smp.db_state, sizeof smp.db_state, "%s", store_db_state_name(st.db));
		if (s->mon.db_known && st.db == STORE_DB_UP) {
			smp.db_active = s->mon.db_active;
			smp.db_idle = s->mon.db_idle;
			smp.db_total = s->mon.db_total;
			smp.db_max = s->mon.db_max;
		}
	}
	smp.ws_connections = org_connections(s, o);
	smp.events_in = x->in_per_s;
	smp.events_out = x->out_per_s;
	smp.queue_depth = qn->depth > INT64_MAX ? INT64_MAX : (int64_t)qn->depth;
	top_consumers(o, x->now_ms, &smp);
	smp.cpu_threshold = s->cfg.cpu_threshold;
	smp.warning = smp.host_cpu >= 0 && smp.host_cpu > s->cfg.cpu_threshold;
	struct org_monitor *m = &o->mon;
	if (m->samples_count == MONITOR_HISTORY) {
		m->samples[m->samples_head] = smp;
		m->samples_head = (m->samples_head + 1) % MONITOR_HISTORY;
	} else {
		m->samples[(m->samples_head + m->samples_count) % MONITOR_HISTORY] = smp;
		m->samples_count++;
	}
	json_t *r = resource_sample_json_new(&smp);
	struct room *room = room_find(o, "resources");
	if (room != NULL)
		room_broadcast(room, proto_stats_message_new("resources", r));
	int64_t used = smp.mem_total >= 0 && smp.mem_available >= 0 ? smp.mem_total - smp.mem_available : 0;
	history_put(s, STORE_Q_PUT_DAEMON_SAMPLE, o->id,
		    json_pack("{s:f,s:I,s:O}", "cpu_percent", smp.host_cpu < 0 ? 0.0 : smp.host_cpu, "memory_bytes",
			      (json_int_t)used, "tags", r));
	json_decref(r);
}

static void resources_tick(struct server *s, int64_t now_us)
{
	struct monitor *m = &s->mon;
	struct host_sample host = { .cpu_percent = -1 };
	struct self_sample self = { .cpu_percent = -1 };
	char cause[256];
	if (m->sampler_ok && (sampler_read_host(&m->sampler, &host, cause, sizeof cause) < 0 ||
			      sampler_read_self(&m->sampler, &self, cause, sizeof cause) < 0)) {
		log_warn("resource sampling failed: %s", cause);
		m->sampler_ok = false;
	}
	double secs = m->sampled_at_us ? (double)(now_us - m->sampled_at_us) / 1e6 : 0;
	struct sample_ctx x = {
		.s = s, .now_ms = clock_wall_ms(), .host_ok = m->sampler_ok, .host = &host, .self = &self,
		.in_per_s = secs > 0 ? (double)(s->stats.events_in - m->events_in_prev) / secs : 0,
		.out_per_s = secs > 0 ? (double)(s->stats.messages_out - m->messages_out_prev) / secs : 0,
	};
	m->events_in_prev = s->stats.events_in;
	m->messages_out_prev = s->stats.messages_out;
	m->sampled_at_us = now_us;
	strmap_each(&s->orgs, sample_org, &x);
	/* The next sample shows the database as PostgreSQL sees it now. */
	if (s->store != NULL) {
		struct pending *p = pending_new(s, PENDING_MONITOR, NULL);
		/* Any organization will do: the answer is the database's, not a tenant's. */
		if (store_query(s->store, STORE_Q_DB_CONNECTIONS, "wfmond", json_object(), p->ticket) < 0)
			pending_free(pending_take(s, p->ticket));
	}
}

/* The store's answer: {"active","idle","total","max"} (storeq_db_connections). */
void monitor_db_connections(struct server *s, json_t *result)
{
	struct monitor *m = &s->mon;
	json_t *v[4] = { json_object_get(result, "active"), json_object_get(result, "idle"),
			 json_object_get(result, "total"), json_object_get(result, "max") };
	m->db_known = json_is_integer(v[0]) && json_is_integer(v[1]) && json_is_integer(v[2]) && json_is_integer(v[3]);
	if (!m->db_known)
		return;
	m->db_active = json_integer_value(v[0]);
	m->db_idle = json_integer_value(v[1]);
	m->db_total = json_integer_value(v[2]);
	m->db_max = json_integer_value(v[3]);
}

const struct resource_sample *monitor_latest_sample(const struct org *o)
{
	const struct org_monitor *m = &o->mon;
	if (m->samples_count == 0)
		return NULL;
	return &m->samples[(m->samples_head + m->samples_count - 1) % MONITOR_HISTORY];
}

json_t *monitor_resources_snapshot_new(struct org *o)
{
	json_t *snap = live_resources_snapshot_new(&o->live);
	struct org_monitor *m = &o->mon;
	json_t *hist = json_array();
	for (uint32_t i = 0; i < m->samples_count; i++)
		json_array_append_new(hist, resource_sample_json_new(&m->samples[(m->samples_head + i) % MONITOR_HISTORY]));
	const struct resource_sample *latest = monitor_latest_sample(o);
	json_object_set_new(snap, "daemon", latest ? resource_sample_json_new(latest) : json_null());
	json_object_set_new(snap, "history", hist);
	return snap;
}

/* ---- the timers --------------------------------------------------------------------- */

void monitor_init(struct monitor *m)
{
	char cause[256];
	memset(m, 0, sizeof *m);
	m->sampler_ok = sampler_init(&m->sampler, NULL, cause, sizeof cause) == 0;
	if (!m->sampler_ok)
		log_warn("no resource sampling: %s", cause);
	m->queue_saved_at_us = clock_mono_us();
	m->workflows = prom_workflows_new();
}

void monitor_free(struct monitor *m)
{
	prom_workflows_free(m->workflows);
	m->workflows = NULL;
	m->db_known = false;
}

struct tick_ctx {
	int64_t now_ms;
	bool save;
};

static void tick_org(const char *key, void *value, void *arg)
{
	(void)key;
	struct tick_ctx *t = arg;
	queue_tick(value, t->now_ms);
	schedules_tick(value, t->now_ms);
	if (t->save)
		queue_save(value, t->now_ms);
	summary_tick(value, t->now_ms);
	aggregates_tick(value, t->now_ms);
}

void monitor_tick(struct server *s, int64_t now_us)
{
	struct monitor *m = &s->mon;
	struct tick_ctx t = { .now_ms = clock_wall_ms(), .save = false };
	prom_workflows_set_slots(m->workflows, s->cfg.metrics.prometheus_workflows);
	if (now_us - m->queue_saved_at_us >= (int64_t)s->cfg.queue_snapshot_interval_s * 1000000) {
		t.save = true;
		m->queue_saved_at_us = now_us;
	}
	strmap_each(&s->orgs, tick_org, &t);
	alerts_tick(s, t.now_ms);
	if (now_us - m->sampled_at_us >= (int64_t)s->cfg.sample_interval_s * 1000000)
		resources_tick(s, now_us);
}
