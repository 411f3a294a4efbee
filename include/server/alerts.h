/* alerts.h: alerts inside wfmond: each organization's rules and evaluator,
 * the alerts it raised and their life, the requests that change them, the
 * "alerts" room, and the notifications (through notify.h) with every attempt
 * recorded.
 *
 * Evaluation runs on the loop thread right after an event has been routed to
 * its rooms (so it never delays delivery) and once a second for the
 * time-based rules; an alert is announced, stored and handed to the notifier
 * within that same turn. Bounded: ALERT_MAX_RULES_PER_ORG rules and
 * ALERTS_KEPT alerts in memory per organization. */
#ifndef WFMON_ALERTS_H
#define WFMON_ALERTS_H

#include <jansson.h>
#include <stdint.h>

#include "alert.h"
#include "proto.h"

struct server;
struct org;
struct conn;
struct live_execution;
struct notify;

#define ALERTS_KEPT 200

struct org_alerts {
	struct alert_rule *rules;
	size_t nrules;
	struct alert_eval *eval;
	struct alert_record *records[ALERTS_KEPT];   /* oldest first */
	size_t nrecords;
	int64_t health_asked_ms;                     /* the last performance check (metrics_req.h) */
	bool health_pending;                         /* one is being answered */
};

void org_alerts_init(struct org_alerts *a);
void org_alerts_free(struct org_alerts *a);

/* Start-up: the organization's rules (storage forms), alerts, cooldowns and
 * used action links from store_load_state. */
void alerts_load(struct server *s, struct org *o, json_t *rules, json_t *alerts, json_t *cooldowns,
		 json_t *action_uses);

/* An execution-level event was applied (x is the execution after it). */
void alerts_on_event(struct server *s, struct org *o, const struct live_execution *x,
		     const struct proto_event *ev);
/* Once a second: time-based and metric rules. */
void alerts_tick(struct server *s, int64_t now_ms);
/* The performance check answered: performance_degraded rules judge each
 * workflow's health (n of them; strings borrowed for the call). */
void alerts_on_health(struct server *s, struct org *o, const struct alert_health *h, size_t n,
		      const struct alert_health_context *ctx);

/* Another node of the cluster changed a rule or an alert record (cluster.h):
 * kept in memory and shown in the alerts room, neither stored nor notified.
 * kind is an enum cluster_share; j borrowed. */
void alerts_shared(struct server *s, struct org *o, int kind, json_t *j);

/* Requests. */
void alerts_rule_request(struct conn *c, const struct proto_request *req);
void alerts_alert_request(struct conn *c, const struct proto_request *req);

/* An alert of o by id, borrowed until the loop runs on; NULL if o has none. */
const struct alert_record *alerts_find(struct org *o, int64_t alert_id);
/* Acts on an alert outside a request (an action link): who is `by`, how is
 * `how` (taken, merged into the audit row). 0, or -1 with a cause: no such
 * alert, or the alert's state does not allow it (already acknowledged). */
int alerts_act(struct server *s, struct org *o, int64_t alert_id, enum alert_action act, const char *by,
	       json_t *how, char *cause, size_t causelen);

/* The "alerts" room's snapshot: {"alerts":[records, active first, then newest],
 * "active": n}. New reference. */
json_t *alerts_snapshot_new(struct org *o);
/* Active (not resolved) alerts. */
uint32_t alerts_active_count(const struct org *o);

/* The notifier's outcomes (called when it wakes the loop). */
void alerts_poll(struct server *s);
void alerts_wake(void *server);

#endif
