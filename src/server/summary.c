/* summary.c: each organization's summary, counted from the daemon's state
 * and pushed to the "org" room (see summary.h).
 *
 * Invariants: the queue depth and the backlog warning are the queue numbers
 * the monitor computed in this tick (the same the queue room got); a push
 * happens only when something a reader sees changed; nothing here walks
 * more than the organization's live executions (bounded by live.h). */
#include "summary.h"

#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "cluster.h"
#include "conn.h"
#include "live.h"
#include "monitor.h"
#include "org.h"
#include "room.h"
#include "server.h"
#include "store.h"

void summary_init(struct org_summary_state *s)
{
	memset(s, 0, sizeof *s);
	attention_init(&s->attention, 0);
}

void summary_free(struct org_summary_state *s)
{
	attention_free(&s->attention);
	s->pushed_once = false;
}

/* When a run started, for "a later run completed": its start, else when it
 * was queued, else when it ended (a run seen only by its end). */
static int64_t run_start_ms(const struct exec *x)
{
	if (x->started_ms > 0)
		return x->started_ms;
	if (x->queued_ms > 0)
		return x->queued_ms;
	return x->finished_ms > 0 ? x->finished_ms : x->last_event_ms;
}

void summary_on_event(struct org *o, int before, struct live_execution *x, const struct proto_event *ev,
		      int64_t now_ms)
{
	x->heard_ms = now_ms;
	struct attention *a = &o->summary.attention;
	int after = (int)x->x.status;
	if (after == before)
		return;
	if (after == EXEC_FAILED)
		attention_on_failed(a, x->x.id, x->x.workflow_id, x->x.finished_ms > 0 ? x->x.finished_ms : ev->ts_ms);
	else if (after == EXEC_COMPLETED)
		attention_on_completed(a, x->x.workflow_id, run_start_ms(&x->x));
}

void summary_on_alert_resolved(struct org *o, const char *execution_id)
{
	if (execution_id != NULL && execution_id[0] != '\0')
		attention_on_handled(&o->summary.attention, execution_id);
}

void summary_set_degraded(struct org *o, const char *const *workflow_ids, size_t n)
{
	struct org_summary_state *s = &o->summary;
	s->ndegraded = 0;
	for (size_t i = 0; i < n && s->ndegraded < ORG_SUMMARY_DEGRADED_MAX; i++)
		if (proto_id_valid(workflow_ids[i]))
			snprintf(s->degraded[s->ndegraded++], PROTO_MAX_ID + 1, "%s", workflow_ids[i]);
}

void summary_on_notify(struct org *o, bool ok, bool final, const char *detail)
{
	struct org_summary_state *s = &o->summary;
	s->notify_failed = !ok;
	s->notify_gave_up = !ok && final;
	snprintf(s->notify_error, sizeof s->notify_error, "%.*s", ORG_SUMMARY_NOTIFY_ERROR, ok ? "" : detail);
}

/* The daemon's own health: its database link, its spool, this
 * organization's notifications. */
static void system_compute(struct org *o, struct org_summary *out)
{
	struct server *srv = o->srv;
	const struct org_summary_state *s = &o->summary;
	out->has_system = true;
	snprintf(out->database, sizeof out->database, "none");
	if (srv->store != NULL) {
		struct store_status st;
		store_get_status(srv->store, &st);
		snprintf(out->database, sizeof out->database, "%s", store_db_state_name(st.db));
		out->spool_pending = st.pending_records;
		out->spool_bytes = st.spool_bytes;
	}
	snprintf(out->notifier, sizeof out->notifier, "%s", srv->notifier == NULL ? "off"
							  : s->notify_gave_up ? "failing"
							  : s->notify_failed ? "retrying" : "ok");
	memcpy(out->notifier_error, s->notify_error, sizeof out->notifier_error);
	out->peers[0] = '\0';
	out->outbox = cluster_outbox_org_events(srv->cluster, o->id);
	if (srv->cluster != NULL)
		snprintf(out->peers, sizeof out->peers, "%s", cluster_peers_current(srv->cluster) ? "current" : "delayed");
}

void summary_load(struct org *o, json_t *attention)
{
	struct attention *a = &o->summary.attention;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(attention, "succeeded"), i, v) {
		const char *wf = json_string_value(json_object_get(v, "workflow_id"));
		if (wf != NULL)
			attention_on_completed(a, wf, json_integer_value(json_object_get(v, "start_ms")));
	}
	json_array_foreach(json_object_get(attention, "failed"), i, v) {
		const char *id = json_string_value(json_object_get(v, "execution_id"));
		const char *wf = json_string_value(json_object_get(v, "workflow_id"));
		if (id != NULL && wf != NULL)
			attention_on_failed(a, id, wf, json_integer_value(json_object_get(v, "failed_ms")));
	}
}

void summary_compute(struct org *o, int64_t now_ms, struct org_summary *out)
{
	const struct config *cfg = &o->srv->cfg;
	memset(out, 0, sizeof *out);
	out->at_ms = now_ms;
	out->stale_after_ms = (int64_t)cfg->stale_after_s * 1000;
	for (const struct live_execution *x = o->live.newest; x != NULL; x = x->next) {
		if (x->x.status != EXEC_RUNNING)
			continue;
		int64_t heard = x->heard_ms > 0 ? x->heard_ms : x->x.last_event_ms;
		if (heard > 0 && now_ms - heard > out->stale_after_ms) {
			if (out->nstale_ids < ORG_SUMMARY_STALE_IDS)
				snprintf(out->stale_ids[out->nstale_ids++], PROTO_MAX_ID + 1, "%s", x->x.id);
			out->stale++;
		} else {
			out->running++;
		}
	}
	const struct queue_numbers *q = monitor_queue_numbers(o, now_ms);
	out->queued = q->depth;
	out->backlog = q->backlog;
	out->backlog_threshold = q->threshold;
	out->failed_unhandled = attention_count(&o->summary.attention);
	out->alerts_open = alerts_active_count(o);
	const struct resource_sample *smp = monitor_latest_sample(o);
	if (smp != NULL && smp->warning) {
		out->cpu = true;
		out->cpu_percent = smp->host_cpu;
		out->cpu_threshold = smp->cpu_threshold;
	}
	out->ndegraded = o->summary.ndegraded;
	memcpy(out->degraded, o->summary.degraded, sizeof out->degraded);
	system_compute(o, out);
}

void summary_tick(struct org *o, int64_t now_ms)
{
	struct org_summary_state *s = &o->summary;
	struct org_summary now;
	summary_compute(o, now_ms, &now);
	if (s->pushed_once && org_summary_equal(&now, &s->pushed))
		return;
	s->pushed = now;
	s->pushed_once = true;
	struct room *r = room_find(o, "org");
	if (r != NULL) {
		json_t *data = org_summary_json_new(&now);
		room_broadcast(r, proto_stats_message_new("org", data));
		json_decref(data);
	}
}

json_t *summary_json_new(struct org *o, int64_t now_ms)
{
	struct org_summary s;
	summary_compute(o, now_ms, &s);
	return org_summary_json_new(&s);
}

void summary_send(struct conn *c, int64_t now_ms)
{
	json_t *data = summary_json_new(c->org, now_ms);
	conn_send(c, proto_stats_message_new("org", data));
	json_decref(data);
}
