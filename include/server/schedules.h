/* schedules.h: workflows' expected runs inside wfmond: each organization's
 * schedules (schedule.h) with their time zones, what each workflow did last,
 * the status of every schedule once a second (for missed_schedule alert
 * rules), the "schedule" requests, and the "health" room: every workflow's
 * recent runs and schedule, pushed when it changes.
 *
 * Bounded: SCHEDULE_MAX_PER_ORG schedules and SCHEDULES_MAX_WORKFLOWS
 * workflows' last runs per organization (a scheduled workflow always keeps
 * its own). */
#ifndef WFMON_SCHEDULES_H
#define WFMON_SCHEDULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "alert.h"
#include "exec.h"
#include "proto.h"
#include "schedule.h"
#include "strmap.h"
#include "tz.h"

#define SCHEDULES_MAX_WORKFLOWS 10000
#define SCHEDULES_TEXT 96

struct server;
struct org;
struct conn;

struct sched_entry {
	struct schedule s;
	struct tz tz;
	struct schedule_status status;          /* at the last tick */
	char expected_text[SCHEDULES_TEXT];     /* status.expected_ms on the schedule's clock */
	char due_text[SCHEDULES_TEXT];
};

struct org_schedules {
	struct sched_entry *list;
	size_t n;
	struct strmap runs;                     /* workflow id -> struct schedule_runs (owned) */
	char gone[16][PROTO_MAX_ID + 1];        /* deleted or disabled since the last tick: their alerts clear */
	size_t ngone;
	char *health_sent;                      /* the health room's last push, to push only changes */
};

void org_schedules_init(struct org_schedules *os);
void org_schedules_free(struct org_schedules *os);

/* Start-up: stored schedules (JSON forms) and the scheduled workflows' last
 * runs (store_load_state's "schedules" and "workflow_runs"). */
void schedules_load(struct org *o, json_t *schedules, json_t *runs);
/* An event was applied (x is the execution after it). */
void schedules_on_event(struct org *o, const struct exec *x, const struct proto_event *ev);
/* Once a second: evaluates every schedule at now_ms, and pushes the health
 * room's numbers when they changed. */
void schedules_tick(struct org *o, int64_t now_ms);
/* The statuses of the last tick for the alert rules, and the workflows
 * whose schedule went away since (state SCHED_NONE, so that their alerts
 * clear): *facts gets a new array (free it), borrowing from o. */
size_t schedules_facts(struct org *o, struct alert_schedule_fact **facts);
/* The health room's snapshot (new reference). */
json_t *schedules_health_new(struct org *o, int64_t now_ms);

/* REQ_SCHEDULE: list (everyone but producers), save and delete (operators
 * and admins; audited). */
void schedules_request(struct conn *c, const struct proto_request *req);
/* A schedule another node of a cluster saved ({"schedule": storage form}) or
 * deleted ({"workflow_id"}), applied here the same way (no audit row, no
 * store write: the other node made them). */
void schedules_shared(struct org *o, bool deleted, json_t *j);

#endif
