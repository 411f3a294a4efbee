/* alerts.c: alerts inside wfmond (see alerts.h).
 *
 * Invariants: an alert record is owned by its organization's array until it
 * is evicted (oldest resolved first); every change of a record is announced to
 * the alerts room and written to the store in the same turn; a rule's secrets
 * are only ever written to the store, never to a client or a log. */
#include "alerts.h"

#include <libwebsockets.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "action.h"
#include "alert_channel.h"
#include "clock.h"
#include "cluster.h"
#include "conn.h"
#include "history.h"
#include "live.h"
#include "log.h"
#include "metrics_req.h"
#include "notify.h"
#include "prom_workflows.h"
#include "org.h"
#include "room.h"
#include "schedules.h"
#include "server.h"
#include "store.h"
#include "summary.h"
#include "xalloc.h"

void org_alerts_init(struct org_alerts *a)
{
	memset(a, 0, sizeof *a);
	a->eval = alert_eval_new();
}

static void record_free(struct alert_record *r)
{
	alert_record_clear(r);
	free(r);
}

static void rules_free(struct org_alerts *a)
{
	for (size_t i = 0; i < a->nrules; i++)
		alert_rule_clear(&a->rules[i]);
	free(a->rules);
	a->rules = NULL;
	a->nrules = 0;
}

void org_alerts_free(struct org_alerts *a)
{
	rules_free(a);
	for (size_t i = 0; i < a->nrecords; i++)
		record_free(a->records[i]);
	a->nrecords = 0;
	alert_eval_free(a->eval);
	a->eval = NULL;
}

/* ---- records --------------------------------------------------------------------- */

static struct alert_record *record_find(struct org *o, int64_t id)
{
	for (size_t i = 0; i < o->alerts.nrecords; i++)
		if (o->alerts.records[i]->id == id)
			return o->alerts.records[i];
	return NULL;
}

static void record_keep(struct org *o, struct alert_record *r)
{
	struct org_alerts *a = &o->alerts;
	if (a->nrecords == ALERTS_KEPT) {
		/* Room for the new one: the oldest resolved goes, else the oldest. */
		size_t victim = 0;
		for (size_t i = 0; i < a->nrecords; i++)
			if (a->records[i]->state == ALERT_RESOLVED) {
				victim = i;
				break;
			}
		record_free(a->records[victim]);
		memmove(&a->records[victim], &a->records[victim + 1],
			(a->nrecords - victim - 1) * sizeof a->records[0]);
		a->nrecords--;
	}
	a->records[a->nrecords++] = r;
}

static void announce_in_room(struct org *o, const struct alert_record *r)
{
	struct room *room = room_find(o, "alerts");
	if (room != NULL) {
		json_t *j = alert_record_json_new(r, true);
		room_broadcast(room, proto_alert_message_new(j));
		json_decref(j);
	}
}

/* Tells the room, the store and the cluster's other nodes about a record's
 * current state. */
static void announce(struct server *s, struct org *o, const struct alert_record *r)
{
	announce_in_room(o, r);
	/* The store keeps the delivery attempts in their own table. */
	history_put(s, STORE_Q_PUT_ALERT, o->id, alert_record_json_new(r, false));
	if (s->cluster != NULL)
		cluster_share(s->cluster, o->id, CLUSTER_SHARE_ALERT, alert_record_json_new(r, false));
}

/* In a cluster only the node holding the alert lease evaluates rules, so
 * that an alert fires (and notifies) once. */
static bool evaluates_here(const struct server *s)
{
	return s->cluster == NULL || cluster_leads(s->cluster);
}

static int64_t next_alert_id(void)
{
	/* Unique across restarts without asking the database first. */
	static int64_t last;
	int64_t id = clock_wall_ms() * 1000;
	if (id <= last)
		id = last + 1;
	last = id;
	return id;
}

/* ---- rules ------------------------------------------------------------------------- */

static struct alert_rule *rule_find(struct org *o, const char *id)
{
	for (size_t i = 0; i < o->alerts.nrules; i++)
		if (strcmp(o->alerts.rules[i].id, id) == 0)
			return &o->alerts.rules[i];
	return NULL;
}

static void rules_changed(struct org *o)
{
	alert_eval_set_rules(o->alerts.eval, o->alerts.rules, o->alerts.nrules);
}

/* Takes the parsed rule (its strings move into the array). */
static void rule_store_in_memory(struct org *o, struct alert_rule *rule)
{
	struct alert_rule *old = rule_find(o, rule->id);
	if (old != NULL) {
		alert_rule_clear(old);
		*old = *rule;
	} else {
		o->alerts.rules = xrealloc(o->alerts.rules, sizeof *o->alerts.rules * (o->alerts.nrules + 1));
		o->alerts.rules[o->alerts.nrules++] = *rule;
	}
	memset(rule, 0, sizeof *rule);
	rules_changed(o);
}

static void rule_remove(struct org *o, const char *id)
{
	struct org_alerts *a = &o->alerts;
	for (size_t i = 0; i < a->nrules; i++) {
		if (strcmp(a->rules[i].id, id) == 0) {
			alert_rule_clear(&a->rules[i]);
			memmove(&a->rules[i], &a->rules[i + 1], (a->nrules - i - 1) * sizeof a->rules[0]);
			a->nrules--;
			break;
		}
	}
	rules_changed(o);
}

static void rule_save_to_store(struct server *s, struct org *o, const struct alert_rule *rule, const char *by)
{
	json_t *stored = alert_rule_json_new(rule, true);
	if (s->cluster != NULL)
		cluster_share(s->cluster, o->id, CLUSTER_SHARE_RULE, json_pack("{s:O}", "rule", stored));
	history_put(s, STORE_Q_PUT_RULE, o->id, json_pack("{s:o,s:s}", "rule", stored, "by", by));
}

/* ---- firing, clearing, notifying -------------------------------------------------- */

/* What a notification to ch says: the alert's body, then how to act on it:
 * links (action.h) when the daemon makes them, else commands for a shell. The
 * webhook's JSON gets the links too, as "actions". */
static void notification_text(struct server *s, struct org *o, const struct alert_record *r,
			      const struct alert_channel *ch, char *body, size_t len, json_t **payload)
{
	char urls[ACTION__COUNT][ACTION_MAX_TOKEN + 256];
	bool links = action_links(s, o->id, r->id, ch, urls, clock_wall_ms() / 1000) == 0;
	const struct alert_rule *rule = NULL;
	for (size_t i = 0; i < o->alerts.nrules && rule == NULL; i++)
		if (strcmp(o->alerts.rules[i].id, r->rule_id) == 0)
			rule = &o->alerts.rules[i];
	snprintf(body, len, "%s", r->body ? r->body : "");
	alert_text_actions(body, len, rule ? rule->language : NULL, r->id, links ? urls[ACTION_ACK] : NULL,
			   links ? urls[ACTION_ESCALATE] : NULL);
	*payload = alert_record_json_new(r, false);
	if (links)
		json_object_set_new(*payload, "actions",
				    json_pack("{s:s,s:s}", action_kind_name(ACTION_ACK), urls[ACTION_ACK],
					      action_kind_name(ACTION_ESCALATE), urls[ACTION_ESCALATE]));
}

static void notify_channels(struct server *s, struct org *o, struct alert_record *r,
			    const struct alert_channel *channels, size_t n)
{
	char body[ALERT_BODY_MAX + 4 * ACTION_MAX_TOKEN];
	for (size_t i = 0; i < n; i++) {
		struct alert_delivery d = {
			.channel = channels[i].type, .channel_index = (int)i, .at_ms = clock_wall_ms(),
		};
		if (channels[i].type == CH_IN_APP) {
			/* Delivered by announcing it in the alerts room, in this same turn. */
			r->bell = r->bell || channels[i].bell;
			d.attempt = 1;
			d.ok = d.final = true;
			snprintf(d.detail, sizeof d.detail, "shown in the alerts room");
			alert_record_add_delivery(r, &d);
			continue;
		}
		json_t *payload;
		notification_text(s, o, r, &channels[i], body, sizeof body, &payload);
		int rc = s->notifier == NULL ? -1
			 : notify_submit(s->notifier, o->id, r->id, (int)i, &channels[i], r->title, body, payload);
		json_decref(payload);
		if (rc < 0) {
			log_warn("%s: alert %lld: the %s notification could not be queued", o->id, (long long)r->id,
				 channel_type_name(channels[i].type));
			d.final = true;
			snprintf(d.detail, sizeof d.detail, "notification queue full");
			alert_record_add_delivery(r, &d);
		}
	}
}

static void fire(struct server *s, struct org *o, struct alert_firing *f, int64_t now_ms)
{
	const struct alert_rule *rule = f->rule;
	struct alert_record *r = xmalloc(sizeof *r);
	alert_record_init(r);
	r->id = next_alert_id();
	snprintf(r->rule_id, sizeof r->rule_id, "%s", rule->id);
	snprintf(r->rule_name, sizeof r->rule_name, "%s", rule->name);
	snprintf(r->workflow_id, sizeof r->workflow_id, "%s", f->workflow_id);
	snprintf(r->execution_id, sizeof r->execution_id, "%s", f->execution_id);
	r->severity = rule->severity;
	r->state = ALERT_ACTIVE;
	alert_record_set_text(&r->title, f->title, ALERT_TITLE_MAX);
	alert_record_set_text(&r->body, f->body, ALERT_BODY_MAX);
	if (f->context != NULL) {
		json_decref(r->context);
		r->context = json_incref(f->context);
	}
	r->triggered_ms = now_ms;
	record_keep(o, r);
	log_info("%s: alert %lld (%s, %s): %s", o->id, (long long)r->id, rule->name,
		 alert_severity_name(r->severity), r->title);
	notify_channels(s, o, r, rule->channels, rule->nchannels);
	announce(s, o, r);
	history_audit(s, o->id, "wfmond", "alert.triggered", rule->id,
		      json_pack("{s:I,s:s,s:s?,s:s?}", "alert_id", (json_int_t)r->id, "severity",
				alert_severity_name(r->severity), "workflow_id", r->workflow_id[0] ? r->workflow_id : NULL,
				"execution_id", r->execution_id[0] ? r->execution_id : NULL));
}

static int change(struct server *s, struct org *o, struct alert_record *r, enum alert_action act,
		  const char *by, const char *note, json_t *how, int64_t now_ms, char *cause, size_t causelen);

static void clear(struct server *s, struct org *o, const struct alert_clear *c, int64_t now_ms)
{
	for (size_t i = 0; i < o->alerts.nrecords; i++) {
		struct alert_record *r = o->alerts.records[i];
		if (r->state != ALERT_RESOLVED && strcmp(r->rule_id, c->rule->id) == 0 &&
		    strcmp(r->workflow_id, c->workflow_id) == 0)
			change(s, o, r, ACT_AUTO_RESOLVE, "wfmond", "the condition cleared",
			       json_pack("{s:s}", "via", "condition"), now_ms, NULL, 0);
	}
}

static const char *const action_audit[] = {
	[ACT_ACKNOWLEDGE] = "alert.acknowledged",
	[ACT_RESOLVE] = "alert.resolved",
	[ACT_ESCALATE] = "alert.escalated",
	[ACT_AUTO_RESOLVE] = "alert.resolved",
};

/* Applies act to r when alert_transition allows it, and announces, stores and
 * audits the change: who (by) and how (taken: {"via": "request"|"link"|
 * "condition", ...}, merged into the audit row's details). Returns -1 and
 * leaves r alone, with the refusal in cause (which may be NULL), when it does
 * not. */
static int change(struct server *s, struct org *o, struct alert_record *r, enum alert_action act,
		  const char *by, const char *note, json_t *how, int64_t now_ms, char *cause, size_t causelen)
{
	enum alert_state to;
	enum alert_severity sev;
	if (alert_transition(r->state, r->severity, act, &to, &sev, cause, causelen) < 0) {
		json_decref(how);
		return -1;
	}
	r->state = to;
	if (act == ACT_ACKNOWLEDGE) {
		r->acknowledged_ms = now_ms;
		snprintf(r->acknowledged_by, sizeof r->acknowledged_by, "%s", by);
		alert_record_set_text(&r->ack_note, note, PROTO_MAX_TEXT);
	} else if (act == ACT_RESOLVE || act == ACT_AUTO_RESOLVE) {
		r->resolved_ms = now_ms;
		snprintf(r->resolved_by, sizeof r->resolved_by, "%s", by);
		alert_record_set_text(&r->resolve_note, note, PROTO_MAX_TEXT);
		/* A failure whose alert is resolved no longer needs attention. */
		summary_on_alert_resolved(o, r->execution_id);
	} else if (act == ACT_ESCALATE) {
		r->severity = sev;
		r->escalations++;
		r->escalated_ms = now_ms;
		struct alert_rule *rule = rule_find(o, r->rule_id);
		if (rule != NULL)
			notify_channels(s, o, r, rule->nescalation ? rule->escalation : rule->channels,
					rule->nescalation ? rule->nescalation : rule->nchannels);
	}
	announce(s, o, r);
	json_t *details = json_pack("{s:I,s:s,s:s,s:s?}", "alert_id", (json_int_t)r->id, "state",
				    alert_state_name(r->state), "severity", alert_severity_name(r->severity), "note", note);
	if (how != NULL)
		json_object_update(details, how);
	json_decref(how);
	history_audit(s, o->id, by, action_audit[act], r->rule_id, details);
	return 0;
}

/* ---- evaluation --------------------------------------------------------------------- */

#define MAX_OUT 32

static void apply_results(struct server *s, struct org *o, struct alert_firing *f, size_t nf,
			  struct alert_clear *c, size_t nc, int64_t now_ms)
{
	for (size_t i = 0; i < nc; i++)
		clear(s, o, &c[i], now_ms);
	for (size_t i = 0; i < nf; i++) {
		fire(s, o, &f[i], now_ms);
		alert_firing_clear(&f[i]);
	}
}

void alerts_on_event(struct server *s, struct org *o, const struct live_execution *x,
		     const struct proto_event *ev)
{
	if (o->alerts.nrules == 0 || !evaluates_here(s))
		return;
	if (ev->kind != EV_EXECUTION_STARTED && !proto_event_is_terminal(ev->kind))
		return;
	const char *step = NULL;
	for (uint32_t i = 0; i < x->x.nsteps && ev->kind == EV_EXECUTION_FAILED; i++)
		if (x->x.steps[i].status == STEP_FAILED)
			step = x->x.steps[i].id;
	struct alert_fact fact = {
		.kind = ev->kind, .execution_id = x->x.id, .workflow_id = x->x.workflow_id,
		.workflow_name = exec_workflow_name(&x->x), .ts_ms = ev->ts_ms, .started_ms = x->x.started_ms,
		.error = x->x.error, .step_id = step, .labels = x->x.labels, .nlabels = x->x.nlabels,
		/* A later attempt that completed: its earlier failure counts no more. */
		.retried_failure = ev->kind == EV_EXECUTION_COMPLETED && x->x.attempt > 1,
	};
	struct alert_firing f[MAX_OUT];
	struct alert_clear c[MAX_OUT];
	size_t nf = 0, nc = 0;
	int64_t now = clock_wall_ms();
	alert_eval_on_fact(o->alerts.eval, &fact, now, f, MAX_OUT, &nf, c, MAX_OUT, &nc);
	apply_results(s, o, f, nf, c, nc, now);
}

/* Feeds the evaluator the numbers a rule can watch, from the queue and the
 * latest resource sample, named by the rule schema (alert_metric_name) so
 * that what a rule may name and what the daemon feeds cannot drift apart. */
static void tick_org(const char *key, void *value, void *arg)
{
	(void)key;
	struct org *o = value;
	struct server *s = arg;
	if (o->alerts.nrules == 0)
		return;
	int64_t now = clock_wall_ms();
	const char *names[ALERT_M__COUNT];
	double values[ALERT_M__COUNT];
	size_t n = 0;
	/* The same queue numbers the queue room, the resources and the summary show. */
	struct queue_numbers q = *monitor_queue_numbers(o, now);
	names[n] = alert_metric_name(ALERT_M_QUEUE_DEPTH), values[n++] = (double)q.depth;
	if (q.avg_wait_ms >= 0)
		names[n] = alert_metric_name(ALERT_M_QUEUE_WAIT), values[n++] = (double)q.avg_wait_ms;
	names[n] = alert_metric_name(ALERT_M_QUEUE_RATE), values[n++] = q.rate_per_min;
	const struct resource_sample *r = monitor_latest_sample(o);
	if (r != NULL) {
		if (r->host_cpu >= 0)
			names[n] = alert_metric_name(ALERT_M_CPU), values[n++] = r->host_cpu;
		if (r->mem_total > 0 && r->mem_available >= 0)
			names[n] = alert_metric_name(ALERT_M_MEMORY),
			values[n++] = 100.0 * (double)(r->mem_total - r->mem_available) / (double)r->mem_total;
		if (r->daemon_cpu >= 0)
			names[n] = alert_metric_name(ALERT_M_DAEMON_CPU), values[n++] = r->daemon_cpu;
		if (r->daemon_rss >= 0)
			names[n] = alert_metric_name(ALERT_M_DAEMON_RSS), values[n++] = (double)r->daemon_rss;
		if (r->events_in >= 0)
			names[n] = alert_metric_name(ALERT_M_EVENTS_IN), values[n++] = r->events_in;
		if (r->events_out >= 0)
			names[n] = alert_metric_name(ALERT_M_EVENTS_OUT), values[n++] = r->events_out;
		if (r->db_active >= 0)
			names[n] = alert_metric_name(ALERT_M_DB_ACTIVE), values[n++] = (double)r->db_active;
	}
	/* Running executions, for "running longer than". All of them: the
	 * evaluator takes a remembered long run missing from this list for a
	 * finished one and resolves its alert, so the list must not be capped. */
	size_t nrunning = 0;
	for (struct live_execution *x = o->live.newest; x != NULL; x = x->next)
		if (x->x.status == EXEC_RUNNING && x->x.started_ms > 0)
			nrunning++;
	struct alert_fact *running = nrunning > 0 ? xcalloc(nrunning, sizeof *running) : NULL;
	nrunning = 0;
	for (struct live_execution *x = o->live.newest; x != NULL; x = x->next)
		if (x->x.status == EXEC_RUNNING && x->x.started_ms > 0)
			running[nrunning++] = (struct alert_fact){
				.kind = EV_EXECUTION_STARTED, .execution_id = x->x.id, .workflow_id = x->x.workflow_id,
				.workflow_name = exec_workflow_name(&x->x), .ts_ms = x->x.last_event_ms,
				.started_ms = x->x.started_ms, .labels = x->x.labels, .nlabels = x->x.nlabels,
			};
	struct alert_schedule_fact *schedules;
	size_t nschedules = schedules_facts(o, &schedules);
	struct alert_metrics metrics = { .names = names, .values = values, .n = n, .running = running,
					 .nrunning = nrunning, .schedules = schedules, .nschedules = nschedules };
	struct alert_firing f[MAX_OUT];
	struct alert_clear c[MAX_OUT];
	size_t nf = 0, nc = 0;
	alert_eval_on_tick(o->alerts.eval, &metrics, now, f, MAX_OUT, &nf, c, MAX_OUT, &nc);
	apply_results(s, o, f, nf, c, nc, now);
	free(running);
	free(schedules);
}

void alerts_tick(struct server *s, int64_t now_ms)
{
	if (!evaluates_here(s))
		return;
	strmap_each(&s->orgs, tick_org, s);
	metrics_watch_tick(s, now_ms);
}

void alerts_on_health(struct server *s, struct org *o, const struct alert_health *h, size_t n,
		      const struct alert_health_context *ctx)
{
	struct alert_firing f[MAX_OUT];
	struct alert_clear c[MAX_OUT];
	size_t nf = 0, nc = 0;
	int64_t now = clock_wall_ms();
	alert_eval_on_health(o->alerts.eval, h, n, ctx, now, f, MAX_OUT, &nf, c, MAX_OUT, &nc);
	apply_results(s, o, f, nf, c, nc, now);
}

/* ---- the cluster's other nodes ------------------------------------------------------------ */

static void shared_record(struct org *o, json_t *j)
{
	struct alert_record *r = xmalloc(sizeof *r);
	struct proto_cause cause;
	if (alert_record_parse(j, r, &cause) < 0) {
		log_warn("%s: an alert from another node is unreadable (%s: %s): skipped", o->id, cause.field,
			 cause.message);
		free(r);
		return;
	}
	struct org_alerts *a = &o->alerts;
	size_t i = 0;
	while (i < a->nrecords && a->records[i]->id != r->id)
		i++;
	if (i < a->nrecords) {
		record_free(a->records[i]);
		a->records[i] = r;
	} else {
		record_keep(o, r);
	}
	announce_in_room(o, r);
}

void alerts_shared(struct server *s, struct org *o, int kind, json_t *j)
{
	(void)s;
	if (kind == CLUSTER_SHARE_ALERT) {
		shared_record(o, j);
	} else if (kind == CLUSTER_SHARE_RULE_DELETE) {
		const char *id = json_string_value(json_object_get(j, "rule_id"));
		if (id != NULL)
			rule_remove(o, id);
	} else if (kind == CLUSTER_SHARE_RULE) {
		struct alert_rule rule;
		struct proto_cause cause;
		if (alert_rule_parse(json_object_get(j, "rule"), &rule, &cause) < 0) {
			log_warn("%s: a rule from another node is not valid here (%s: %s): skipped", o->id,
				 cause.field, cause.message);
			return;
		}
		rule_store_in_memory(o, &rule);
	}
}

/* ---- start-up -------------------------------------------------------------------------- */

void alerts_load(struct server *s, struct org *o, json_t *rules, json_t *alerts, json_t *cooldowns,
		 json_t *action_uses)
{
	action_nonces_load(s, action_uses);
	size_t i;
	json_t *j;
	json_array_foreach(rules, i, j) {
		struct alert_rule rule;
		struct proto_cause cause;
		if (alert_rule_parse(j, &rule, &cause) < 0) {
			log_warn("%s: stored rule %s no longer valid (%s: %s): skipped", o->id,
				 json_string_value(json_object_get(j, "id")), cause.field, cause.message);
			continue;
		}
		rule_store_in_memory(o, &rule);
	}
	json_array_foreach(alerts, i, j) {
		struct alert_record *r = xmalloc(sizeof *r);
		struct proto_cause cause;
		if (alert_record_parse(j, r, &cause) < 0) {
			log_warn("%s: stored alert %lld unreadable (%s: %s): skipped", o->id,
				 (long long)json_integer_value(json_object_get(j, "id")), cause.field, cause.message);
			free(r);
			continue;
		}
		record_keep(o, r);
	}
	json_array_foreach(cooldowns, i, j)
		alert_eval_set_last_fired(o->alerts.eval, json_string_value(json_object_get(j, "rule_id")),
					  json_string_value(json_object_get(j, "workflow_id")),
					  json_integer_value(json_object_get(j, "fired_ms")));
}

/* ---- requests ---------------------------------------------------------------------------- */

static bool may_change(const struct conn *c)
{
	return c->who.role == ROLE_OPERATOR || c->who.role == ROLE_ADMIN;
}

static void new_rule_id(char *out, size_t len)
{
	uint8_t raw[6];
	if (getrandom(raw, sizeof raw, 0) != sizeof raw)
		memset(raw, 0, sizeof raw);
	snprintf(out, len, "rule-%02x%02x%02x%02x%02x%02x", raw[0], raw[1], raw[2], raw[3], raw[4], raw[5]);
}

void alerts_rule_request(struct conn *c, const struct proto_request *req)
{
	struct server *s = c->srv;
	struct org *o = c->org;
	if (c->who.role == ROLE_PRODUCER) {
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN, "producers have no business with alert rules", NULL);
		return;
	}
	if (req->rule_action == RULE_LIST) {
		json_t *list = json_array();
		for (size_t i = 0; i < o->alerts.nrules; i++)
			json_array_append_new(list, alert_rule_json_new(&o->alerts.rules[i], false));
		conn_send_answer(c, req->id, "rules", "rules", list);
		return;
	}
	if (!may_change(c)) {
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN, "only operators and admins may change alert rules", NULL);
		return;
	}
	if (req->rule_action == RULE_SAVE) {
		json_t *j = json_deep_copy(req->rule);
		/* An edit: secrets sent back masked keep the stored ones. */
		const struct alert_rule *stored = NULL;
		if (json_object_get(j, "id") == NULL) {
			char id[PROTO_MAX_ID + 1];
			new_rule_id(id, sizeof id);
			json_object_set_new(j, "id", json_string(id));
		} else if (json_is_string(json_object_get(j, "id"))) {
			stored = rule_find(o, json_string_value(json_object_get(j, "id")));
		}
		struct alert_rule rule;
		struct proto_cause cause;
		if (alert_rule_parse_edit(j, stored, &rule, &cause) < 0) {
			char field[128];
			snprintf(field, sizeof field, "rule%s%s", cause.field[0] ? "." : "", cause.field);
			conn_send_error(c, req->id, PROTO_ERR_BAD_REQUEST, cause.message, field);
			json_decref(j);
			return;
		}
		json_decref(j);
		bool existed = rule_find(o, rule.id) != NULL;
		if (!existed && o->alerts.nrules >= ALERT_MAX_RULES_PER_ORG) {
			alert_rule_clear(&rule);
			conn_send_error(c, req->id, PROTO_ERR_TOO_LARGE, "this organization has too many alert rules", "rule");
			return;
		}
		char id[PROTO_MAX_ID + 1];
		snprintf(id, sizeof id, "%s", rule.id);
		rule_store_in_memory(o, &rule);
		struct alert_rule *saved = rule_find(o, id);
		rule_save_to_store(s, o, saved, c->who.sub);
		history_audit(s, o->id, c->who.sub, existed ? "alert.rule_changed" : "alert.rule_created", id,
			      alert_rule_json_new(saved, false));
		conn_send_answer(c, req->id, "rule_saved", "rule", alert_rule_json_new(saved, false));
		return;
	}
	struct alert_rule *rule = rule_find(o, req->rule_id);
	if (rule == NULL) {
		conn_send_error(c, req->id, PROTO_ERR_NOT_FOUND, "no such alert rule in this organization", "rule_id");
		return;
	}
	if (req->rule_action == RULE_DELETE) {
		history_put(s, STORE_Q_PUT_RULE_DELETE, o->id, json_pack("{s:s}", "rule_id", req->rule_id));
		if (s->cluster != NULL)
			cluster_share(s->cluster, o->id, CLUSTER_SHARE_RULE_DELETE,
				      json_pack("{s:s}", "rule_id", req->rule_id));
		history_audit(s, o->id, c->who.sub, "alert.rule_deleted", req->rule_id, NULL);
		rule_remove(o, req->rule_id);
	} else {
		rule->enabled = req->rule_action == RULE_ENABLE;
		rules_changed(o);
		rule_save_to_store(s, o, rule, c->who.sub);
		history_audit(s, o->id, c->who.sub, "alert.rule_changed", rule->id,
			      json_pack("{s:b}", "enabled", rule->enabled));
	}
	conn_send(c, proto_done_message_new(req->id));
}

void alerts_alert_request(struct conn *c, const struct proto_request *req)
{
	static const enum alert_action actions[ALERT_ACTION__COUNT] = {
		[ALERT_ACK] = ACT_ACKNOWLEDGE, [ALERT_RESOLVE] = ACT_RESOLVE, [ALERT_ESCALATE] = ACT_ESCALATE,
	};
	if (!may_change(c)) {
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN, "only operators and admins may act on alerts", NULL);
		return;
	}
	struct alert_record *r = record_find(c->org, req->alert_id);
	if (r == NULL) {
		conn_send_error(c, req->id, PROTO_ERR_NOT_FOUND, "no such alert in this organization", "alert_id");
		return;
	}
	char cause[160];
	if (change(c->srv, c->org, r, actions[req->alert_action], c->who.sub, req->note,
		   json_pack("{s:s,s:s}", "via", "request", "role", auth_role_name(c->who.role)), clock_wall_ms(),
		   cause, sizeof cause) < 0) {
		conn_send_error(c, req->id, PROTO_ERR_BAD_REQUEST, cause, "action");
		return;
	}
	conn_send(c, proto_done_message_new(req->id));
}

const struct alert_record *alerts_find(struct org *o, int64_t alert_id)
{
	return record_find(o, alert_id);
}

int alerts_act(struct server *s, struct org *o, int64_t alert_id, enum alert_action act, const char *by,
	       json_t *how, char *cause, size_t causelen)
{
	struct alert_record *r = record_find(o, alert_id);
	if (r == NULL) {
		json_decref(how);
		snprintf(cause, causelen, "no such alert in this organization");
		return -1;
	}
	return change(s, o, r, act, by, NULL, how, clock_wall_ms(), cause, causelen);
}

/* ---- snapshot ------------------------------------------------------------------------------- */

uint32_t alerts_active_count(const struct org *o)
{
	uint32_t n = 0;
	for (size_t i = 0; i < o->alerts.nrecords; i++)
		n += o->alerts.records[i]->state != ALERT_RESOLVED;
	return n;
}

json_t *alerts_snapshot_new(struct org *o)
{
	json_t *list = json_array();
	/* Active and acknowledged first, newest first; then the resolved ones. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = o->alerts.nrecords; i-- > 0;) {
			struct alert_record *r = o->alerts.records[i];
			if ((r->state == ALERT_RESOLVED) == (pass == 1))
				json_array_append_new(list, alert_record_json_new(r, true));
		}
	return json_pack("{s:o,s:i}", "alerts", list, "active", (int)alerts_active_count(o));
}

/* ---- the notifier's outcomes ------------------------------------------------------------------ */

void alerts_wake(void *server)
{
	struct server *s = server;
	if (s->lws != NULL)
		lws_cancel_service(s->lws);
}

void alerts_poll(struct server *s)
{
	if (s->notifier == NULL)
		return;
	struct notify_outcome out[32];
	size_t n;
	while ((n = notify_take_outcomes(s->notifier, out, 32)) > 0) {
		for (size_t i = 0; i < n; i++) {
			struct notify_outcome *oc = &out[i];
			if (!oc->ok)
				log_warn("%s: alert %lld: %s notification attempt %d failed: %s%s", oc->org,
					 (long long)oc->alert_id, channel_type_name(oc->channel), oc->attempt, oc->detail,
					 oc->final ? " (giving up)" : "");
			struct alert_delivery d = {
				.channel = oc->channel, .channel_index = oc->channel_index, .attempt = oc->attempt,
				.ok = oc->ok, .final = oc->final, .at_ms = oc->at_ms,
			};
			snprintf(d.detail, sizeof d.detail, "%s", oc->detail);
			json_t *attempt = alert_delivery_json_new(&d);
			json_object_set_new(attempt, "alert_id", json_integer(oc->alert_id));
			history_put(s, STORE_Q_PUT_NOTIFY_ATTEMPT, oc->org, attempt);
			struct org *o = strmap_get(&s->orgs, oc->org);
			struct alert_record *r = o ? record_find(o, oc->alert_id) : NULL;
			if (o != NULL)
				summary_on_notify(o, oc->ok, oc->final, oc->detail);
			if (oc->final && !oc->ok)
				prom_workflows_notify_failed(s->mon.workflows, oc->org, r ? r->workflow_id : NULL);
			if (r == NULL)
				continue;
			alert_record_add_delivery(r, &d);
			/* The console shows how delivery went: tell it when an attempt settles. */
			if (oc->final || !oc->ok) {
				struct room *room = room_find(o, "alerts");
				if (room != NULL) {
					json_t *j = alert_record_json_new(r, true);
					room_broadcast(room, proto_alert_message_new(j));
					json_decref(j);
				}
			}
		}
	}
}
