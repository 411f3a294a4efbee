/* summary.h: each organization's summary (org_summary.h) inside wfmond:
 * the counts every console's header shows, computed from the daemon's own
 * state (never from what one client holds), and pushed to the "org" room.
 *
 *   running, stale  the live executions (live.h), stale by the daemon's
 *                   clock since it last heard of each (stale-after)
 *   queued          the queue numbers computed in the same tick (monitor.h)
 *   failed_unhandled  attention.h, fed by events and alert resolutions
 *   alerts_open     alerts.h
 *   warnings        backlog (the same queue numbers), CPU (the newest
 *                   resource sample), degraded (summary_set_degraded)
 *   system          the database link and the spool backlog (the store's
 *                   status), the organization's notifications (the
 *                   notifier's outcomes, summary_on_notify)
 *
 * Computed once a second, after the queue numbers; pushed as a "stats"
 * message of room "org" only when it changed, in the "org" snapshot, and
 * to a connection right after it subscribed to "org" (a resumed subscription
 * carries no snapshot). */
#ifndef WFMON_SUMMARY_H
#define WFMON_SUMMARY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attention.h"
#include "org_summary.h"
#include "proto.h"

struct org;
struct conn;
struct live_execution;

/* Per organization. */
struct org_summary_state {
	struct attention attention;
	struct org_summary pushed;        /* what the org room last got */
	bool pushed_once;
	uint32_t ndegraded;
	char degraded[ORG_SUMMARY_DEGRADED_MAX][PROTO_MAX_ID + 1];
	/* The last notification attempt's outcome: ok, or failed (to be retried
	 * or given up), with its words. */
	bool notify_failed, notify_gave_up;
	char notify_error[ORG_SUMMARY_NOTIFY_ERROR + 1];
};

void summary_init(struct org_summary_state *s);
void summary_free(struct org_summary_state *s);

/* An event was applied (before: the status before it, -1 when new); x
 * is the execution after it, now_ms the daemon's clock: it is heard of now. */
void summary_on_event(struct org *o, int before, struct live_execution *x, const struct proto_event *ev,
		      int64_t now_ms);
/* An alert raised for this execution was resolved: its failure is handled. */
void summary_on_alert_resolved(struct org *o, const char *execution_id);
/* The workflows whose performance is degraded now (the metrics detector
 * sets them; an empty list clears the warning). At most
 * ORG_SUMMARY_DEGRADED_MAX are kept. */
void summary_set_degraded(struct org *o, const char *const *workflow_ids, size_t n);
/* A notification attempt of this organization settled (alerts_poll). */
void summary_on_notify(struct org *o, bool ok, bool final, const char *detail);
/* Start-up: the store's unhandled failures and latest successful run starts
 * ({"failed":[{"execution_id","workflow_id","failed_ms"}],
 *   "succeeded":[{"workflow_id","start_ms"}]}), borrowed. */
void summary_load(struct org *o, json_t *attention);

/* The summary as it is now. */
void summary_compute(struct org *o, int64_t now_ms, struct org_summary *out);
/* Once a second, after the queue numbers: pushes to room "org" if changed. */
void summary_tick(struct org *o, int64_t now_ms);
/* The summary as JSON (new reference), for the org snapshot. */
json_t *summary_json_new(struct org *o, int64_t now_ms);
/* The summary to one connection, as a "stats" message of room "org". */
void summary_send(struct conn *c, int64_t now_ms);

#endif
