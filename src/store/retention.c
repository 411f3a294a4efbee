/* retention.c: deleting history older than the configured number of days,
 * a little at a time on the store thread.
 *
 * The time-series tables are partitioned by day (0014): a round starts by
 * dropping, per table, at most PARTITIONS_DROP_MAX day partitions whose whole
 * day is past retention (a day's rows are kept up to a day longer than the
 * setting says, never less), and deletes row by row only in their default
 * partitions, which hold the few rows whose time had no day partition.
 *
 * Invariants: each DELETE removes at most RETENTION_BATCH rows and runs in a
 * transaction that sets one organization (row-level security applies to the
 * daemon's deletes too, so organizations are visited in turn); a pass runs at
 * most RETENTION_STATEMENTS deletes and then yields; a rule with 0 days keeps
 * its table forever. Deleting an execution deletes its steps and counters
 * (ON DELETE CASCADE). Rollups (metric_rollups) have their own, longer,
 * retention: a row goes once its whole block is older than it. */
#include "store_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pgconn.h"

enum retention_class { RET_EVENTS, RET_METRICS, RET_SNAPSHOTS, RET_ROLLUPS };

static const struct rule {
	const char *table;
	const char *column;           /* the row's age (the partition key if partitioned) */
	enum retention_class class;
	bool partitioned;             /* by day: rows are deleted from <table>_default only */
	/* An indexed column never later than column, which finds the candidates
	 * when column itself is not indexed; NULL when column is. */
	const char *bound;
} rules[] = {
	{"execution_events", "ts", RET_EVENTS, true, NULL},
	/* last_heartbeat changes with every batch of an execution's events; an
	 * index on it would make each of those updates touch every index of the
	 * table (no HOT update), so it has none (0015). sort_at (queued_at,
	 * started_at or first_seen: the time of one of its events) never comes
	 * after it. */
	{"workflow_executions", "last_heartbeat", RET_EVENTS, false, "sort_at"},
	{"execution_metrics", "recorded_at", RET_METRICS, true, NULL},
	{"step_metrics", "recorded_at", RET_METRICS, true, NULL},
	{"resource_metrics", "recorded_at", RET_METRICS, true, NULL},
	{"queue_snapshots", "recorded_at", RET_SNAPSHOTS, true, NULL},
	/* A used action link's row matters only until the link expires. */
	{"action_link_uses", "expires_at", RET_SNAPSHOTS, false, NULL},
	{"metric_rollups", "bucket_end", RET_ROLLUPS, false, NULL},
};
#define NRULES (sizeof rules / sizeof rules[0])

#define RETRY_SOON_US 1000000LL

static int rule_days(const struct store_config *cfg, const struct rule *r)
{
	switch (r->class) {
	case RET_EVENTS: return cfg->retention_events_days;
	case RET_METRICS: return cfg->retention_metrics_days;
	case RET_SNAPSHOTS: return cfg->retention_snapshots_days;
	case RET_ROLLUPS: return cfg->metrics.rollup_retention_days;
	}
	return 0;
}

void retention_init(struct retention *rt)
{
	memset(rt, 0, sizeof *rt);
}

void retention_free(struct retention *rt)
{
	json_decref(rt->orgs);
	rt->orgs = NULL;
}

static bool any_rule(const struct store_config *cfg)
{
	for (size_t i = 0; i < NRULES; i++)
		if (rule_days(cfg, &rules[i]) > 0)
			return true;
	return false;
}

static long delete_batch(PGconn *c, const char *org, const struct rule *r, int days, char *err,
			 size_t errlen)
{
	char sql[640], bound[96] = "", d[16], lim[16];
	const char *suffix = r->partitioned ? "_default" : "";
	if (r->bound)
		snprintf(bound, sizeof bound, "%s < now() - $1::integer * interval '1 day' AND ", r->bound);
	snprintf(sql, sizeof sql,
		 "DELETE FROM %s%s WHERE ctid = ANY(ARRAY(SELECT ctid FROM %s%s WHERE %s%s < now() - "
		 "$1::integer * interval '1 day' LIMIT $2::integer))", r->table, suffix, r->table, suffix,
		 bound, r->column);
	snprintf(d, sizeof d, "%d", days);
	snprintf(lim, sizeof lim, "%d", RETENTION_BATCH);
	const char *p[] = {d, lim};
	if (pgconn_begin_org(c, org, err, errlen) != 0)
		return -1;
	PGresult *res = pgconn_query(c, sql, 2, p, err, errlen);
	if (res == NULL) {
		pgconn_rollback(c);
		return -1;
	}
	long n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	if (pgconn_commit(c, err, errlen) != 0)
		return -1;
	return n;
}

/* The day partitions past retention, at most PARTITIONS_DROP_MAX per table:
 * 0, or -1 with err. */
static int drop_partitions(PGconn *c, const struct store_config *cfg, struct retention *rt, char *err,
			   size_t errlen)
{
	long dropped = 0;
	for (size_t i = 0; i < NRULES; i++) {
		int days = rule_days(cfg, &rules[i]);
		if (!rules[i].partitioned || days <= 0)
			continue;
		long n = partitions_drop(c, rules[i].table, days, PARTITIONS_DROP_MAX, err, errlen);
		if (n < 0)
			return -1;
		dropped += n;
	}
	rt->partitions_dropped += dropped;
	if (dropped > 0)
		log_info("store: retention dropped %ld day partitions", dropped);
	return 0;
}

long retention_pass(PGconn *c, const struct store_config *cfg, struct retention *rt,
		    int64_t now_us, char *err, size_t errlen)
{
	if (now_us < rt->next_us)
		return 0;
	if (!any_rule(cfg)) {
		rt->next_us = now_us + RETENTION_INTERVAL_US;
		return 0;
	}
	if (rt->orgs == NULL) {
		if (drop_partitions(c, cfg, rt, err, errlen) != 0) {
			rt->next_us = now_us + RETENTION_INTERVAL_US;
			return -1;
		}
		rt->orgs = storew_known_orgs(c, err, errlen);
		if (rt->orgs == NULL) {
			rt->next_us = now_us + RETENTION_INTERVAL_US;
			return -1;
		}
		rt->org_index = rt->rule_index = 0;
	}
	long total = 0;
	int statements = 0;
	while (rt->org_index < json_array_size(rt->orgs)) {
		if (statements == RETENTION_STATEMENTS) {
			/* More to do: come back soon, when the thread is idle again. */
			rt->next_us = now_us + RETRY_SOON_US;
			return total;
		}
		const struct rule *r = &rules[rt->rule_index];
		int days = rule_days(cfg, r);
		long n = 0;
		if (days > 0) {
			const char *org = json_string_value(json_array_get(rt->orgs, rt->org_index));
			n = delete_batch(c, org, r, days, err, errlen);
			statements++;
			if (n < 0) {
				rt->next_us = now_us + RETENTION_INTERVAL_US;
				return -1;
			}
			total += n;
		}
		if (n < RETENTION_BATCH && ++rt->rule_index == NRULES) {
			rt->rule_index = 0;
			rt->org_index++;
		}
	}
	retention_free(rt);
	rt->next_us = now_us + RETENTION_INTERVAL_US;
	if (total > 0)
		log_info("store: retention deleted %ld old rows", total);
	return total;
}
