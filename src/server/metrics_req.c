/* metrics_req.c: metrics queries and the performance check in wfmond (see
 * metrics_req.h).
 *
 * Invariants: a query reaches the store only once its periods resolved
 * against this daemon's clock (so a refusal names the field, as any bad
 * request does); at most one check per organization is in flight; an answer
 * for an organization that has gone is dropped. */
#include "metrics_req.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "log.h"
#include "metrics.h"
#include "org.h"
#include "pending.h"
#include "server.h"
#include "xalloc.h"

json_t *metrics_store_params_new(const struct server *s, json_t *params, int64_t now_ms,
				 struct proto_cause *cause)
{
	struct metrics_frame f;
	if (metrics_frame_resolve(params, now_ms, &f, cause) != 0)
		return NULL;
	const struct metrics_settings *m = &s->cfg.metrics;
	return json_pack("{s:O,s:I,s:{s:i,s:i,s:i,s:i,s:i,s:i}}", "query", params, "now_ms", (json_int_t)now_ms,
			 "settings", "window_hours", m->degrade_window_hours, "baseline_days",
			 m->degrade_baseline_days, "p95_margin_percent", m->degrade_p95_margin_pct,
			 "success_margin_points", m->degrade_success_margin_pts, "min_runs", m->degrade_min_runs,
			 "rollup_retention_days", m->rollup_retention_days);
}

/* ---- the performance check ------------------------------------------------------------ */

static bool wants_check(const struct org *o)
{
	for (size_t i = 0; i < o->alerts.nrules; i++)
		if (o->alerts.rules[i].enabled && o->alerts.rules[i].type == ALERT_PERFORMANCE_DEGRADED)
			return true;
	return false;
}

struct watch_ctx {
	struct server *s;
	int64_t now_ms;
};

static void watch_org(const char *key, void *value, void *arg)
{
	(void)key;
	struct org *o = value;
	struct watch_ctx *w = arg;
	struct server *s = w->s;
	struct org_alerts *a = &o->alerts;
	if (a->health_pending || !wants_check(o) ||
	    w->now_ms - a->health_asked_ms < (int64_t)s->cfg.metrics.degrade_check_interval_s * 1000)
		return;
	/* Whole hours only (a 24 h range has hourly buckets): rollups, no raw facts. */
	json_t *query = json_pack("{s:s,s:[s,s]}", "range", "24h", "include", "workflows", "degradation");
	struct proto_cause cause;
	json_t *norm = metrics_params_new(query, &cause);
	json_decref(query);
	json_t *params = norm ? metrics_store_params_new(s, norm, w->now_ms, &cause) : NULL;
	json_decref(norm);
	if (params == NULL) {
		log_error("%s: the performance check's query is refused: %s: %s", o->id, cause.field, cause.message);
		return;
	}
	struct pending *p = pending_new(s, PENDING_HEALTH, NULL);
	snprintf(p->org, sizeof p->org, "%s", o->id);
	a->health_asked_ms = w->now_ms;
	if (store_query(s->store, STORE_Q_METRICS, o->id, params, p->ticket) < 0) {
		pending_free(pending_take(s, p->ticket));
		return;   /* the queue is full: the next interval asks again */
	}
	a->health_pending = true;
}

void metrics_watch_tick(struct server *s, int64_t now_ms)
{
	if (s->store == NULL)
		return;
	struct watch_ctx w = { s, now_ms };
	strmap_each(&s->orgs, watch_org, &w);
}

static void health_of(json_t *side, struct metrics_health *h)
{
	json_t *sr = json_object_get(side, "success_rate"), *p95 = json_object_get(side, "p95_ms");
	h->runs = json_integer_value(json_object_get(side, "runs"));
	h->success_rate = json_is_number(sr) ? json_number_value(sr) : -1;
	h->p95_ms = json_is_integer(p95) ? json_integer_value(p95) : -1;
}

void metrics_watch_done(struct server *s, struct pending *p, const struct store_done *d)
{
	struct org *o = strmap_get(&s->orgs, p->org);
	if (o == NULL)
		return;
	o->alerts.health_pending = false;
	if (d->status != 0) {
		log_warn("%s: the performance check failed: %s", o->id, d->error);
		return;
	}
	json_t *list = json_object_get(d->result, "workflows");
	size_t n = json_array_size(list);
	struct alert_health *h = xcalloc(n ? n : 1, sizeof *h);
	size_t i;
	json_t *w;
	json_array_foreach(list, i, w) {
		json_t *deg = json_object_get(w, "degradation");
		h[i].workflow_id = json_string_value(json_object_get(w, "id"));
		h[i].workflow_name = json_string_value(json_object_get(w, "name"));
		health_of(json_object_get(deg, "recent"), &h[i].recent);
		health_of(json_object_get(deg, "baseline"), &h[i].baseline);
	}
	const struct metrics_settings *m = &s->cfg.metrics;
	struct alert_health_context ctx = {
		.margins = { .p95_percent = m->degrade_p95_margin_pct, .success_points = m->degrade_success_margin_pts,
			     .min_runs = m->degrade_min_runs },
		.window_hours = m->degrade_window_hours,
		.baseline_days = m->degrade_baseline_days,
	};
	alerts_on_health(s, o, h, n, &ctx);
	free(h);
}
