/* schedules.c: workflows' expected runs inside wfmond (see schedules.h).
 *
 * Invariants: every entry's time zone loaded (a schedule whose zone cannot
 * be loaded is not kept); at most one entry per workflow; statuses are those
 * of the last tick; a workflow whose schedule is deleted or disabled is
 * handed to the alert rules once as "none", so that an alert about it
 * clears. */
#include "schedules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cluster.h"
#include "conn.h"
#include "history.h"
#include "live.h"
#include "log.h"
#include "org.h"
#include "room.h"
#include "server.h"
#include "store.h"
#include "xalloc.h"

#define HEALTH_MAX_WORKFLOWS 1000

void org_schedules_init(struct org_schedules *os)
{
	memset(os, 0, sizeof *os);
	strmap_init(&os->runs);
}

static void free_run(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

void org_schedules_free(struct org_schedules *os)
{
	free(os->list);
	strmap_each(&os->runs, free_run, NULL);
	strmap_clear(&os->runs);
	free(os->health_sent);
	memset(os, 0, sizeof *os);
}

static struct sched_entry *entry_find(struct org_schedules *os, const char *workflow_id)
{
	for (size_t i = 0; i < os->n; i++)
		if (strcmp(os->list[i].s.workflow_id, workflow_id) == 0)
			return &os->list[i];
	return NULL;
}

/* The workflow's last runs, made when there is room (always for a scheduled one). */
static struct schedule_runs *runs_get(struct org_schedules *os, const char *workflow_id, bool create)
{
	struct schedule_runs *r = strmap_get(&os->runs, workflow_id);
	if (r != NULL || !create)
		return r;
	if (strmap_count(&os->runs) >= SCHEDULES_MAX_WORKFLOWS && entry_find(os, workflow_id) == NULL)
		return NULL;
	r = xcalloc(1, sizeof *r);
	strmap_put(&os->runs, workflow_id, r);
	return r;
}

static void take_later(int64_t *dst, int64_t v)
{
	if (v > *dst)
		*dst = v;
}

void schedules_on_event(struct org *o, const struct exec *x, const struct proto_event *ev)
{
	bool first_seen_running = x->events == 1 && x->status != EXEC_QUEUED;
	if (ev->kind != EV_EXECUTION_STARTED && !proto_event_is_terminal(ev->kind) && !first_seen_running)
		return;
	struct schedule_runs *r = runs_get(&o->sched, x->workflow_id, true);
	if (r == NULL)
		return;
	if (ev->kind == EV_EXECUTION_STARTED || first_seen_running)
		take_later(&r->last_started_ms, ev->ts_ms);
	if (x->status == EXEC_COMPLETED && ev->kind == EV_EXECUTION_COMPLETED) {
		take_later(&r->last_started_ms, x->started_ms ? x->started_ms : ev->ts_ms);
		take_later(&r->last_completed_ms, ev->ts_ms);
	} else if ((x->status == EXEC_FAILED || x->status == EXEC_CANCELLED) && proto_event_is_terminal(ev->kind)) {
		take_later(&r->last_failed_ms, ev->ts_ms);
	}
}

/* What the live state knows of a workflow's runs (a schedule new to it). */
static void runs_from_live(struct org *o, const char *workflow_id, struct schedule_runs *r)
{
	for (struct live_execution *lx = o->live.newest; lx != NULL; lx = lx->next) {
		const struct exec *x = &lx->x;
		if (strcmp(x->workflow_id, workflow_id) != 0)
			continue;
		take_later(&r->last_started_ms, x->started_ms);
		if (x->status == EXEC_COMPLETED)
			take_later(&r->last_completed_ms, x->finished_ms);
		else if (x->status == EXEC_FAILED || x->status == EXEC_CANCELLED)
			take_later(&r->last_failed_ms, x->finished_ms);
	}
}

static void gone(struct org_schedules *os, const char *workflow_id)
{
	if (os->ngone < sizeof os->gone / sizeof os->gone[0])
		snprintf(os->gone[os->ngone++], sizeof os->gone[0], "%s", workflow_id);
}

/* Puts a schedule in (or replaces the workflow's). Returns the entry. */
static struct sched_entry *entry_put(struct org_schedules *os, const struct schedule *s, const struct tz *tz)
{
	struct sched_entry *e = entry_find(os, s->workflow_id);
	if (e == NULL) {
		os->list = xrealloc(os->list, (os->n + 1) * sizeof *os->list);
		e = &os->list[os->n++];
	}
	memset(e, 0, sizeof *e);
	e->s = *s;
	e->tz = *tz;
	if (!s->enabled)
		gone(os, s->workflow_id);
	return e;
}

static void entry_remove(struct org_schedules *os, const char *workflow_id)
{
	struct sched_entry *e = entry_find(os, workflow_id);
	if (e == NULL)
		return;
	gone(os, workflow_id);
	size_t i = (size_t)(e - os->list);
	memmove(&os->list[i], &os->list[i + 1], (os->n - i - 1) * sizeof *os->list);
	os->n--;
}

void schedules_load(struct org *o, json_t *schedules, json_t *runs)
{
	size_t i;
	json_t *j;
	json_array_foreach(runs, i, j) {
		const char *wf = json_string_value(json_object_get(j, "workflow_id"));
		if (wf == NULL || !proto_id_valid(wf))
			continue;
		struct schedule_runs *r = runs_get(&o->sched, wf, true);
		if (r == NULL)
			continue;
		take_later(&r->last_started_ms, json_integer_value(json_object_get(j, "last_started_ms")));
		take_later(&r->last_completed_ms, json_integer_value(json_object_get(j, "last_completed_ms")));
		take_later(&r->last_failed_ms, json_integer_value(json_object_get(j, "last_failed_ms")));
	}
	json_array_foreach(schedules, i, j) {
		struct schedule s;
		struct proto_cause cause;
		struct tz tz;
		char why[256];
		if (schedule_parse(j, &s, &cause) < 0) {
			log_warn("%s: a stored schedule is no longer valid (%s: %s): skipped", o->id, cause.field,
				 cause.message);
			continue;
		}
		if (tz_load(s.timezone, &tz, why, sizeof why) < 0) {
			log_warn("%s: the schedule of %s: %s: skipped until the zone is installed", o->id, s.workflow_id,
				 why);
			continue;
		}
		if (o->sched.n < SCHEDULE_MAX_PER_ORG)
			entry_put(&o->sched, &s, &tz);
	}
	o->sched.ngone = 0;
}

/* "2026-11-06 02:00 Europe/Warsaw" */
static void local_text(const struct tz *tz, int64_t ms, char *buf, size_t len)
{
	if (ms <= 0) {
		buf[0] = '\0';
		return;
	}
	struct civil_date d;
	int sec;
	tz_local(tz, ms / 1000, &d, &sec);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d %s", d.year, d.month, d.day, sec / 3600, sec / 60 % 60,
		 tz->name);
}

void schedules_tick(struct org *o, int64_t now_ms)
{
	struct org_schedules *os = &o->sched;
	static const struct schedule_runs none;
	for (size_t i = 0; i < os->n; i++) {
		struct sched_entry *e = &os->list[i];
		if (!e->s.enabled) {
			memset(&e->status, 0, sizeof e->status);
			e->status.state = SCHED_NONE;
			continue;
		}
		const struct schedule_runs *r = runs_get(os, e->s.workflow_id, false);
		schedule_evaluate(&e->s, &e->tz, now_ms, r ? r : &none, &e->status);
		local_text(&e->tz, e->status.expected_ms, e->expected_text, sizeof e->expected_text);
		local_text(&e->tz, e->status.due_ms, e->due_text, sizeof e->due_text);
	}
	struct room *room = room_find(o, "health");
	if (room == NULL || room->nsubs == 0)
		return;
	json_t *h = schedules_health_new(o, now_ms);
	char *text = json_dumps(h, JSON_COMPACT);
	if (text != NULL && (os->health_sent == NULL || strcmp(text, os->health_sent) != 0)) {
		room_broadcast(room, proto_stats_message_new("health", h));
		free(os->health_sent);
		os->health_sent = text;
	} else {
		free(text);
	}
	json_decref(h);
}

size_t schedules_facts(struct org *o, struct alert_schedule_fact **facts)
{
	struct org_schedules *os = &o->sched;
	size_t n = os->n + os->ngone;
	*facts = xcalloc(n ? n : 1, sizeof **facts);
	size_t k = 0;
	for (size_t i = 0; i < os->n; i++) {
		struct sched_entry *e = &os->list[i];
		(*facts)[k++] = (struct alert_schedule_fact){
			.workflow_id = e->s.workflow_id, .workflow_name = e->s.name[0] ? e->s.name : NULL,
			.status = e->status, .expected_text = e->expected_text, .due_text = e->due_text,
		};
	}
	for (size_t i = 0; i < os->ngone; i++)
		(*facts)[k++] = (struct alert_schedule_fact){ .workflow_id = os->gone[i],
							      .status = { .state = SCHED_NONE } };
	os->ngone = 0;
	return k;
}

/* ---- the health room ------------------------------------------------------------------ */

struct health_row {
	const char *workflow_id, *name;
	int running, queued, completed, failed;
	const struct exec *last;        /* the newest finished execution held */
	const struct sched_entry *sched;
};

static int row_cmp(const void *a, const void *b)
{
	const struct health_row *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->workflow_id, y->workflow_id);
}

static json_t *row_json_new(const struct health_row *r)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:i,s:i,s:i}", "workflow_id", r->workflow_id, "workflow_name", r->name,
			      "running", r->running, "queued", r->queued, "completed", r->completed, "failed", r->failed);
	if (r->last != NULL) {
		json_t *l = json_pack("{s:s,s:s}", "execution_id", r->last->id, "status", exec_status_name(r->last->status));
		char at[40];
		proto_time_format(r->last->finished_ms, at, sizeof at);
		json_object_set_new(l, "finished_at", r->last->finished_ms > 0 ? json_string(at) : json_null());
		json_object_set_new(l, "error", r->last->error ? json_string(r->last->error) : json_null());
		json_object_set_new(o, "last", l);
	} else {
		json_object_set_new(o, "last", json_null());
	}
	if (r->sched != NULL) {
		json_object_set_new(o, "schedule", schedule_json_new(&r->sched->s));
		json_t *st = schedule_status_json_new(&r->sched->status);
		json_object_set_new(st, "expected_local", json_string(r->sched->expected_text));
		json_object_set_new(st, "due_local", json_string(r->sched->due_text));
		json_object_set_new(o, "schedule_status", st);
	} else {
		json_object_set_new(o, "schedule", json_null());
		json_object_set_new(o, "schedule_status", json_null());
	}
	return o;
}

json_t *schedules_health_new(struct org *o, int64_t now_ms)
{
	(void)now_ms;
	struct org_schedules *os = &o->sched;
	struct health_row *rows = xcalloc(HEALTH_MAX_WORKFLOWS, sizeof *rows);
	size_t n = 0;
	struct strmap index;
	strmap_init(&index);
	for (struct live_execution *lx = o->live.newest; lx != NULL; lx = lx->next) {
		const struct exec *x = &lx->x;
		struct health_row *r = strmap_get(&index, x->workflow_id);
		if (r == NULL) {
			if (n == HEALTH_MAX_WORKFLOWS)
				continue;
			r = &rows[n++];
			r->workflow_id = x->workflow_id;
			r->name = exec_workflow_name(x);
			strmap_put(&index, x->workflow_id, r);
		}
		if (x->workflow_name != NULL && strcmp(r->name, r->workflow_id) == 0)
			r->name = x->workflow_name;
		if (x->status == EXEC_RUNNING)
			r->running++;
		else if (x->status == EXEC_QUEUED)
			r->queued++;
		else if (x->status == EXEC_COMPLETED)
			r->completed++;
		else
			r->failed++;
		if (exec_status_finished(x->status) && (r->last == NULL || x->finished_ms > r->last->finished_ms))
			r->last = x;
	}
	for (size_t i = 0; i < os->n; i++) {
		struct health_row *r = strmap_get(&index, os->list[i].s.workflow_id);
		if (r == NULL && n < HEALTH_MAX_WORKFLOWS) {
			r = &rows[n++];
			r->workflow_id = os->list[i].s.workflow_id;
			r->name = r->workflow_id;
			strmap_put(&index, r->workflow_id, r);
		}
		if (r != NULL) {
			r->sched = &os->list[i];
			if (os->list[i].s.name[0] != '\0' && strcmp(r->name, r->workflow_id) == 0)
				r->name = os->list[i].s.name;
		}
	}
	strmap_clear(&index);
	qsort(rows, n, sizeof *rows, row_cmp);
	json_t *list = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, row_json_new(&rows[i]));
	free(rows);
	return json_pack("{s:o}", "workflows", list);
}

/* ---- requests ------------------------------------------------------------------------------ */

static json_t *entry_json_new(const struct sched_entry *e)
{
	json_t *j = schedule_json_new(&e->s);
	json_t *st = schedule_status_json_new(&e->status);
	json_object_set_new(st, "expected_local", json_string(e->expected_text));
	json_object_set_new(st, "due_local", json_string(e->due_text));
	json_object_set_new(j, "status", st);
	return j;
}

/* Puts s in (new or replacing the workflow's) and brings its state up to
 * date; on a new one, the runs the node holds count from the start. */
static struct sched_entry *schedule_apply(struct org *o, const struct schedule *s, const struct tz *tz, int64_t now)
{
	bool known = entry_find(&o->sched, s->workflow_id) != NULL;
	struct schedule_runs *r = runs_get(&o->sched, s->workflow_id, true);
	if (!known && r != NULL)
		runs_from_live(o, s->workflow_id, r);
	struct sched_entry *e = entry_put(&o->sched, s, tz);
	schedules_tick(o, now);
	return e;
}

static void schedule_save(struct conn *c, const struct proto_request *req)
{
	struct org *o = c->org;
	struct schedule s;
	struct proto_cause cause;
	char field[128], why[256];
	if (schedule_parse(req->schedule, &s, &cause) < 0) {
		snprintf(field, sizeof field, "schedule%s%s", cause.field[0] ? "." : "", cause.field);
		conn_send_error(c, req->id, PROTO_ERR_BAD_REQUEST, cause.message, field);
		return;
	}
	struct tz tz;
	if (tz_load(s.timezone, &tz, why, sizeof why) < 0) {
		conn_send_error(c, req->id, PROTO_ERR_BAD_REQUEST, why, "schedule.timezone");
		return;
	}
	int64_t now = clock_wall_ms();
	int64_t interval = schedule_min_interval_ms(&s, &tz, now);
	if (s.kind == SCHEDULE_CRON && interval > 0 && (int64_t)s.grace_minutes * 60000 >= interval) {
		snprintf(why, sizeof why, "must be shorter than the time between two expected runs (%lld min)",
			 (long long)(interval / 60000));
		conn_send_error(c, req->id, PROTO_ERR_BAD_REQUEST, why, "schedule.grace_minutes");
		return;
	}
	struct sched_entry *old = entry_find(&o->sched, s.workflow_id);
	if (old == NULL && o->sched.n >= SCHEDULE_MAX_PER_ORG) {
		conn_send_error(c, req->id, PROTO_ERR_TOO_LARGE, "this organization has too many schedules", "schedule");
		return;
	}
	/* Runs are looked for from "since" when it is given; else an edit keeps
	 * when the schedule began and a new one begins now. */
	if (s.since_ms <= 0)
		s.since_ms = old != NULL && old->s.since_ms > 0 ? old->s.since_ms : now;
	struct sched_entry *e = schedule_apply(o, &s, &tz, now);
	json_t *stored = schedule_json_new(&e->s);
	if (c->srv->cluster != NULL)
		cluster_share(c->srv->cluster, o->id, CLUSTER_SHARE_SCHEDULE, json_pack("{s:O}", "schedule", stored));
	history_put(c->srv, STORE_Q_PUT_SCHEDULE, o->id, json_pack("{s:O,s:s}", "schedule", stored, "by", c->who.sub));
	history_audit(c->srv, o->id, c->who.sub, old ? "schedule.changed" : "schedule.created", s.workflow_id, stored);
	log_info("%s/%s %s the schedule of %s", o->id, c->who.sub, old ? "changed" : "set", s.workflow_id);
	conn_send_answer(c, req->id, "schedule_saved", "schedule", entry_json_new(e));
}

void schedules_request(struct conn *c, const struct proto_request *req)
{
	struct org *o = c->org;
	if (c->who.role == ROLE_PRODUCER) {
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN, "producers have no business with schedules", NULL);
		return;
	}
	if (req->schedule_action == SCHEDULE_LIST) {
		json_t *list = json_array();
		for (size_t i = 0; i < o->sched.n; i++)
			json_array_append_new(list, entry_json_new(&o->sched.list[i]));
		conn_send_answer(c, req->id, "schedules", "schedules", list);
		return;
	}
	if (c->who.role != ROLE_OPERATOR && c->who.role != ROLE_ADMIN) {
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN, "only operators and admins may change schedules", NULL);
		return;
	}
	if (req->schedule_action == SCHEDULE_SAVE) {
		schedule_save(c, req);
		return;
	}
	if (entry_find(&o->sched, req->workflow_id) == NULL) {
		conn_send_error(c, req->id, PROTO_ERR_NOT_FOUND, "this workflow has no schedule", "workflow_id");
		return;
	}
	entry_remove(&o->sched, req->workflow_id);
	if (c->srv->cluster != NULL)
		cluster_share(c->srv->cluster, o->id, CLUSTER_SHARE_SCHEDULE_DELETE,
			      json_pack("{s:s}", "workflow_id", req->workflow_id));
	history_put(c->srv, STORE_Q_PUT_SCHEDULE_DELETE, o->id, json_pack("{s:s}", "workflow_id", req->workflow_id));
	history_audit(c->srv, o->id, c->who.sub, "schedule.deleted", req->workflow_id, NULL);
	log_info("%s/%s deleted the schedule of %s", o->id, c->who.sub, req->workflow_id);
	conn_send(c, proto_done_message_new(req->id));
}

void schedules_shared(struct org *o, bool deleted, json_t *j)
{
	if (deleted) {
		const char *id = json_string_value(json_object_get(j, "workflow_id"));
		if (id != NULL)
			entry_remove(&o->sched, id);
		return;
	}
	struct schedule s;
	struct proto_cause cause;
	struct tz tz;
	char why[256];
	if (schedule_parse(json_object_get(j, "schedule"), &s, &cause) < 0) {
		log_warn("%s: a schedule from another node is not valid here (%s: %s): skipped", o->id, cause.field,
			 cause.message);
		return;
	}
	if (tz_load(s.timezone, &tz, why, sizeof why) < 0) {
		log_warn("%s: the schedule of %s from another node: %s: skipped", o->id, s.workflow_id, why);
		return;
	}
	if (entry_find(&o->sched, s.workflow_id) == NULL && o->sched.n >= SCHEDULE_MAX_PER_ORG) {
		log_warn("%s: the schedule of %s from another node is past this organization's %d: skipped", o->id,
			 s.workflow_id, SCHEDULE_MAX_PER_ORG);
		return;
	}
	schedule_apply(o, &s, &tz, clock_wall_ms());
}
