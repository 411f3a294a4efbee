/* org_summary.h: an organization at a glance, as the daemon counts it: how
 * many executions are running, gone quiet, queued and failed without being
 * handled, how many alerts are open, and which thresholds are crossed. One
 * typed struct, one writer to JSON and one reader from JSON
 * (org_summary.c), for the daemon (which counts), the console's header, and
 * any other client (a dashboard's summary widget, a script).
 *
 * The counts cover the whole organization, not the executions a client
 * happens to hold, so every client shows the same numbers at the same
 * moment; after a restart they are the stored history's:
 *   running           executions running and heard from within stale_after
 *   stale             executions running but silent for longer than
 *                     stale_after (the daemon's clock, from its last event)
 *   queued            the queue's depth: queue_numbers.h's depth, the same
 *                     number computed once for the queue room, the resource
 *                     samples and this summary
 *   failed_unhandled  failed executions not yet handled. A failure is handled
 *                     once a later run of the same workflow completes (one
 *                     that started after the failure: run start is its start
 *                     time, else its queued time, else its first event), or
 *                     once an alert raised for that execution is resolved.
 *   alerts_open       alerts active or acknowledged (not resolved)
 *
 * The JSON form (room "org": the snapshot's "summary", and "stats" pushes
 * whenever a number changes, and one after every subscription):
 * {"at","running","stale","queued","failed_unhandled","alerts_open",
 *  "stale_after_s","stale_ids":["execution id",...],
 *  "warnings":{"backlog":{"depth","threshold"}|null,
 *  "cpu":{"percent","threshold"}|null,"degraded":["workflow id",...]},
 *  "system":{"database","spool_pending","spool_bytes","notifier","notifier_error"[,"peers","outbox"]}}
 * system is the daemon's own health: its database link ("up", "down",
 * "connecting", or "none" without a database), its spool backlog (events
 * accepted, not yet in the database, and the spool's bytes), and how this
 * organization's alert notifications go ("ok", "retrying": the last attempt
 * failed and will be retried, "failing": the last one gave up, "off": the
 * daemon sends none) with the last failure's words, and, from a node of a
 * cluster only, whether the other nodes' events reach it ("current", or
 * "delayed" while the cluster's Redis is away) and how many of this
 * organization's events that node holds in its outbox (acknowledged, shown
 * to its own subscribers as pending, not numbered yet). A missing "system"
 * reads as unknown (has_system false).
 * stale_ids names the stale executions (at most ORG_SUMMARY_STALE_IDS, the
 * most recently heard first), so that a client marks as stale exactly the
 * rows the daemon counts: it hears every event, a client only some.
 * A warning is null (or the list empty) while it is not raised. The reader
 * refuses a missing or wrong-typed count, naming it; a missing "warnings"
 * reads as none; unknown keys are left alone. */
#ifndef WFMON_ORG_SUMMARY_H
#define WFMON_ORG_SUMMARY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

#define ORG_SUMMARY_DEGRADED_MAX 16   /* workflows named in the degraded warning */
#define ORG_SUMMARY_STALE_IDS 64      /* stale executions named, so lists mark the same ones */
#define ORG_SUMMARY_NOTIFY_ERROR 120  /* bytes of the last notification failure kept */

struct org_summary {
	int64_t at_ms;                          /* when it was counted, the daemon's clock */
	uint64_t running, stale, queued, failed_unhandled, alerts_open;
	int64_t stale_after_ms;                 /* whole seconds on the wire */
	uint32_t nstale_ids;                    /* <= stale; == stale when every one is named */
	char stale_ids[ORG_SUMMARY_STALE_IDS][PROTO_MAX_ID + 1];
	/* warnings: thresholds crossed right now */
	bool backlog;                           /* queued >= backlog_threshold */
	uint64_t backlog_threshold;
	bool cpu;                               /* host CPU above its threshold */
	double cpu_percent, cpu_threshold;      /* meaningful while cpu is set */
	uint32_t ndegraded;                     /* workflows whose performance degraded */
	char degraded[ORG_SUMMARY_DEGRADED_MAX][PROTO_MAX_ID + 1];
	/* system: the daemon's own health */
	bool has_system;
	char database[16];                      /* "up", "down", "connecting", "none" */
	uint64_t spool_pending, spool_bytes;
	char notifier[16];                      /* "ok", "retrying", "failing", "off" */
	char notifier_error[ORG_SUMMARY_NOTIFY_ERROR + 1];
	char peers[12];                         /* a cluster's node: "current", "delayed"; "" alone */
	uint64_t outbox;                        /* a cluster's node: events in its outbox (0 alone) */
};

/* True when a and b would read the same (at_ms aside). */
bool org_summary_equal(const struct org_summary *a, const struct org_summary *b);
/* A new object. */
json_t *org_summary_json_new(const struct org_summary *s);
/* Fills *s from the JSON form: 0, or -1 with *cause naming the field (*s is
 * then unspecified). Degraded workflows past ORG_SUMMARY_DEGRADED_MAX are
 * left out. */
int org_summary_parse(json_t *j, struct org_summary *s, struct proto_cause *cause);

#endif
