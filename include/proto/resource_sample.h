/* resource_sample.h: one sample of the resources the daemon watches (the
 * host, itself, its database connections, its WebSocket clients, the traffic,
 * the queue and the workflows that use the most), in one place for the daemon
 * (which takes, keeps, pushes and stores it) and the console (which shows it):
 * the typed sample, one writer to JSON and one reader from JSON
 * (resource_sample.c).
 *
 * The JSON form (room "resources": "stats" pushes, the snapshot's "daemon"
 * and "history"; the store's resource_metrics tags):
 * {"at","host":{"cpu_percent","mem_total_bytes","mem_available_bytes",
 *  "load":[1,5,15 min]},"daemon":{"cpu_percent","rss_bytes"},
 *  "database":{"state","active","idle","total","max"},
 *  "websocket":{"connections"},"events_per_s":{"in","out"},"queue_depth",
 *  "top_consumers":[{"workflow_id","cpu_percent","memory_bytes","executions"}],
 *  "cpu_threshold","warning"}
 * A number that is not known is null. The reader refuses a missing "at" and
 * any member of the wrong type or out of bounds, naming it ("host.load[1]");
 * an absent or null member reads as unknown; unknown keys are left alone. */
#ifndef WFMON_RESOURCE_SAMPLE_H
#define WFMON_RESOURCE_SAMPLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

#define RESOURCE_TOP_CONSUMERS 5
#define RESOURCE_DB_STATE_MAX 23

/* A workflow's share of the workers' resources. */
struct resource_consumer {
	char workflow_id[PROTO_MAX_ID + 1];
	double cpu_percent;
	int64_t memory_bytes;
	int64_t executions;                    /* its executions running (as org_summary.h counts them) */
};

/* -1 (or "") is "unknown" throughout. */
struct resource_sample {
	int64_t at_ms;
	double host_cpu;                       /* busy share of all CPUs, percent */
	int64_t mem_total, mem_available;      /* bytes */
	double load[3];                        /* 1, 5 and 15 minute load averages */
	double daemon_cpu;                     /* percent of one CPU (200: two busy cores) */
	int64_t daemon_rss;                    /* bytes */
	char db_state[RESOURCE_DB_STATE_MAX + 1];   /* "up", "down", "not configured", ... */
	int64_t db_active, db_idle, db_total, db_max;
	int64_t ws_connections;
	double events_in, events_out;          /* per second */
	int64_t queue_depth;
	struct resource_consumer top[RESOURCE_TOP_CONSUMERS];   /* most CPU first */
	uint32_t ntop;
	double cpu_threshold;                  /* the host CPU percent the warning starts above */
	bool warning;                          /* host CPU above the threshold */
};

/* A sample with everything unknown. */
void resource_sample_init(struct resource_sample *s);
/* A new object. */
json_t *resource_sample_json_new(const struct resource_sample *s);
/* Fills *s from the JSON form: 0, or -1 with *cause naming the member (*s is
 * then unspecified). Consumers past RESOURCE_TOP_CONSUMERS are left out. */
int resource_sample_parse(json_t *j, struct resource_sample *s, struct proto_cause *cause);

#endif
