/* cluster_status.c: what a node says of the cluster in /healthz and
 * /metrics (see cluster.h). Reads the cluster's state only. */
#include "cluster.h"
#include "cluster-internal.h"

#include <stdio.h>

#include "backlog.h"
#include "clock.h"
#include "promtext.h"
#include "store.h"

static const char *link_state_name(enum link_state st)
{
	static const char *const names[] = { [LINK_DOWN] = "down", [LINK_CONNECTING] = "connecting",
					     [LINK_UP] = "up" };
	return names[st];
}

bool cluster_peers_current(const struct cluster *k)
{
	return k->cmd.state == LINK_UP && k->rd.state == LINK_UP && k->last_id[0] != '\0';
}

json_t *cluster_status_new(const struct cluster *k)
{
	enum link_state st = k->cmd.state < k->rd.state ? k->cmd.state : k->rd.state;
	const struct backlog *ob = k->outbox;
	json_t *outbox = json_pack("{s:I,s:I,s:I,s:I,s:I}", "batches", (json_int_t)(ob ? backlog_entries(ob) : 0),
				   "events", (json_int_t)(ob ? backlog_events(ob) : 0), "bytes",
				   (json_int_t)(ob ? backlog_bytes(ob) : 0), "max_bytes",
				   (json_int_t)(ob ? backlog_max_bytes(ob) : 0), "acknowledged_total",
				   (json_int_t)k->outboxed_total);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:I,s:I,s:I,s:I}", "state", link_state_name(st), "peers",
			 cluster_peers_current(k) ? "current" : "delayed", "node", k->node, "redis", k->host,
			 "leader", (int)cluster_leads(k), "error", k->error, "published_total", (json_int_t)k->published_total,
			 "applied_total", (json_int_t)k->applied_total, "refused_total",
			 (json_int_t)k->refused_total, "last_entry_age_ms",
			 (json_int_t)(k->last_entry_ms ? clock_wall_ms() - k->last_entry_ms : -1));
	json_object_set_new(j, "outbox", outbox);
	return j;
}

void cluster_metrics_write(const struct cluster *k, void *file)
{
	FILE *f = file;
	const struct backlog *ob = k->outbox;
	const struct { const char *name, *type, *help; unsigned long long value; } values[] = {
		{ "wfmond_cluster_peers_delayed", "gauge", "1 while the cluster's Redis is away: peers' events are delayed",
		  cluster_peers_current(k) ? 0 : 1 },
		{ "wfmond_cluster_leader", "gauge", "1 while this node holds the alert lease (evaluates alert rules)",
		  cluster_leads(k) ? 1 : 0 },
		{ "wfmond_cluster_published_total", "counter", "Events this node numbered through Redis",
		  k->published_total },
		{ "wfmond_cluster_applied_total", "counter", "Events applied from the cluster's stream (every node's)",
		  k->applied_total },
		{ "wfmond_cluster_entries_total", "counter", "Stream entries (batches) applied from the cluster's stream",
		  k->entries_total },
		{ "wfmond_cluster_reads_total", "counter", "Reads of the cluster's stream answered", k->reads_total },
		{ "wfmond_cluster_refused_total", "counter", "Events refused because Redis was away", k->refused_total },
		{ "wfmond_cluster_outbox_batches", "gauge", "Batches this node keeps on disk until Redis numbers them",
		  ob ? backlog_entries(ob) : 0 },
		{ "wfmond_cluster_outbox_events", "gauge", "Events in those batches", ob ? backlog_events(ob) : 0 },
		{ "wfmond_cluster_outbox_bytes", "gauge",
		  "Bytes the outbox holds: records, index, route keys and ids (bound: cluster-outbox-max)",
		  ob ? backlog_bytes(ob) : 0 },
		{ "wfmond_cluster_lost_replies_total", "counter",
		  "Batches whose answer the Redis link lost (kept in the outbox)", k->lost_replies_total },
		{ "wfmond_cluster_already_numbered_total", "counter",
		  "Events of this node's batches that Redis found numbered already in the stream (the same batch "
		  "sent to another node too): kept at that position, not numbered again", k->already_numbered_total },
		{ "wfmond_cluster_copy_scans_cut_total", "counter",
		  "Batches whose look for copies in the stream stopped at its bound (entries past it not looked at)",
		  k->scans_cut_total },
		{ "wfmond_cluster_outboxed_total", "counter", "Events acknowledged from the outbox while Redis was away",
		  k->outboxed_total },
		{ "wfmond_cluster_reconnects_total", "counter", "Attempts to reconnect to Redis", k->reconnects_total },
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		promtext_value(f, values[i].name, values[i].type, values[i].help, values[i].value);
	promtext_histogram_ms(f, "wfmond_cluster_publish_seconds",
			      "Round trips of this node's batches to Redis (numbered and appended): what an "
			      "acknowledgement waits for before the spool", store_sync_bounds_ms, k->publish_le,
			      sizeof k->publish_le / sizeof k->publish_le[0], k->publishes, k->publish_us_total / 1e6);
}
