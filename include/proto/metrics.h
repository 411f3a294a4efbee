/* metrics.h: what wfmon's performance figures mean, in one place, for the
 * daemon, the store, the console and the command line (man/wfmon.1 says the
 * same in words).
 *
 *   - An execution counts in a period when it finished (completed, failed or
 *     cancelled) inside it, by its finish time.
 *   - runs = completed + failed + cancelled.
 *   - success rate = completed / (completed + failed), in percent; a
 *     cancelled execution was stopped by someone and counts against nothing.
 *     8 completed and 2 failed give 80.0 %.
 *   - duration = finished - started, for completed and failed executions
 *     that have a start (queue wait = started - queued, reported apart).
 *   - percentiles: nearest rank (percentile_disc), from hist.h, within 1 %
 *     of exact: 100, 200, ..., 1000 ms give p50 = 500 ms and p95 = p99 =
 *     1000 ms (rank ceil(0.95 * 10) = 10).
 *   - a step counts when it completed or failed (step.completed, step.failed),
 *     by that event's time; its duration is the event's duration_ms, else
 *     finished - started.
 *
 * Time: rollups are kept per UTC hour, day, week (Monday to Monday, ISO) and
 * four-week block (aligned to the Monday 1970-01-05); a period is cut into the
 * fewest such blocks. Trend buckets are 1 min, 5 min, 15 min, 1 h, 1 d or 1 w,
 * aligned the same way (days in UTC; the console shows them in local time).
 *
 * Pure: no I/O; time is passed in. Ownership: *_new return new references. */
#ifndef WFMON_METRICS_H
#define WFMON_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hist.h"
#include "proto.h"

#define METRICS_MINUTE_MS 60000LL
#define METRICS_HOUR_MS 3600000LL
#define METRICS_DAY_MS 86400000LL
#define METRICS_WEEK_MS (7 * METRICS_DAY_MS)
#define METRICS_4WEEK_MS (28 * METRICS_DAY_MS)
/* Weeks and four-week blocks start on Mondays: 1970-01-05T00:00:00Z. */
#define METRICS_WEEK_ORIGIN_MS (4 * METRICS_DAY_MS)

#define METRICS_MAX_POINTS 1500                     /* trend buckets in one answer */
#define METRICS_MAX_RANGE_MS (731 * METRICS_DAY_MS) /* two years */
#define METRICS_AUTO_MIN_POINTS 24                  /* the automatic bucket gives at least this many */
#define METRICS_DEFAULT_RANGE "24h"

/* The daemon's settings for metrics (wfmond.conf(5) lists them). */
struct metrics_settings {
	int rollup_retention_days;     /* retention-rollups-days: rollup rows older than this go */
	int rollup_interval_s;         /* metrics-rollup-interval: bring rollups up to date; 0: only on demand */
	int degrade_window_hours;      /* degradation-window-hours: the recent window */
	int degrade_baseline_days;     /* degradation-baseline-days: the baseline before it */
	int degrade_p95_margin_pct;    /* degradation-p95-margin-percent */
	int degrade_success_margin_pts;/* degradation-success-margin-points */
	int degrade_min_runs;          /* degradation-min-runs: on each side, to judge at all */
	int degrade_check_interval_s;  /* degradation-check-interval: for performance_degraded rules */
	int prometheus_workflows;      /* prometheus-workflows: busiest workflows with their own series */
};
void metrics_settings_defaults(struct metrics_settings *s);

/* ---- time ----------------------------------------------------------------------- */

/* ms rounded down / up to a multiple of span (weeks and four weeks from the
 * Monday origin, everything else from the epoch). */
int64_t metrics_floor(int64_t ms, int64_t span_ms);
int64_t metrics_ceil(int64_t ms, int64_t span_ms);
/* "1m", "5m", "15m", "1h", "1d", "1w" <-> milliseconds; 0 / NULL when unknown. */
int64_t metrics_bucket_parse(const char *name);
const char *metrics_bucket_name(int64_t bucket_ms);
/* A range: N followed by m, h, d, w or y (365 d), e.g. "30d"; 0 / -1 when malformed. */
int metrics_range_parse(const char *text, int64_t *ms_out);
/* The largest bucket that still gives METRICS_AUTO_MIN_POINTS points over
 * len_ms (1 min at the least, 1 d at the most). */
int64_t metrics_bucket_auto(int64_t len_ms);

/* The rollup levels, largest first, and a period cut into them. */
#define METRICS_LEVELS 4
extern const int64_t metrics_levels_ms[METRICS_LEVELS];   /* 4 weeks, week, day, hour */
struct metrics_block {
	int64_t start_ms, span_ms;
};
/* Cuts [from, to) (hour-aligned) into the fewest aligned rollup blocks,
 * largest possible first. With open_end, nothing exists after `to` (it is
 * now), so the last block may reach past it. Returns the number of blocks,
 * or -1 when more than max were needed. */
int metrics_decompose(int64_t from_ms, int64_t to_ms, bool open_end, struct metrics_block *out, size_t max);

/* ---- the metrics query ---------------------------------------------------------------- */

enum metrics_part { PART_SUMMARY, PART_TREND, PART_WORKFLOWS, PART_STEPS, PART_DEGRADATION, PART__COUNT };
const char *metrics_part_name(enum metrics_part p);

/* Checks the params of the "metrics" query (a JSON object; proto_query_params_new
 * calls it) and returns a normalized copy: {"workflow"?, "range" | "from"
 * ["to"], "bucket"?, "include": [parts], "max_age_s"?}; range defaults to
 * METRICS_DEFAULT_RANGE, include to what applies (summary, trend,
 * degradation, and workflows or steps). max_age_s (1..METRICS_MAX_AGE_S;
 * 0 or absent: a fresh answer) lets the daemon answer with the same
 * question's answer of up to that age, so that many dashboards refreshing
 * the same figures cost the database one query. NULL with a cause naming
 * the field. */
#define METRICS_MAX_AGE_S 60
json_t *metrics_params_new(json_t *params, struct proto_cause *cause);

/* The room that pushes one dashboard aggregate (the "metrics" answer of a
 * range, of all workflows or one) every METRICS_ROOM_REFRESH_MS to all its
 * subscribers: "metrics:<range>" or "metrics:<range>:<workflow>". The name
 * into buf; -1 when it does not fit or is not a valid room id. */
#define METRICS_ROOM_REFRESH_MS 5000
int metrics_room_format(const char *range, const char *workflow, char *buf, size_t len);
/* The normalized metrics params (metrics_params_new) a "metrics:" room's id
 * (what follows "metrics:") asks for: new, or NULL with a cause naming "room". */
json_t *metrics_room_params_new(const char *room_id, struct proto_cause *cause);

/* The periods of one answer, resolved against now. */
struct metrics_frame {
	int64_t now_ms;
	int64_t from_ms, to_ms;        /* the current period; to may be past now (open_end) */
	bool open_end;                 /* the period runs to now */
	int64_t bucket_ms;
	uint32_t points;               /* trend buckets: (to - from) / bucket */
	int64_t prev_from_ms, prev_to_ms;   /* the previous period, as long as the current one */
	bool parts[PART__COUNT];
	const char *workflow;          /* borrowed from the params, or NULL for all */
};
/* Resolves normalized params (metrics_params_new) at now_ms: the range ends
 * at now and is widened to whole buckets (it covers the last N buckets,
 * the current one included); from/to are widened to whole buckets. Refuses
 * (with the field) more than METRICS_MAX_POINTS buckets, a range longer than
 * METRICS_MAX_RANGE_MS and from after to. */
int metrics_frame_resolve(json_t *params, int64_t now_ms, struct metrics_frame *f, struct proto_cause *cause);
/* How long a period has had data: up to now for the current one. */
int64_t metrics_frame_covered_ms(const struct metrics_frame *f);

/* ---- figures -------------------------------------------------------------------------- */

/* What one rollup row, or any sum of them, holds. */
struct metrics_agg {
	uint64_t completed, failed, cancelled;
	struct hist dur;               /* durations of completed and failed executions (or steps) */
	uint64_t wait_count, wait_sum_ms;
};
void metrics_agg_init(struct metrics_agg *a);
void metrics_agg_free(struct metrics_agg *a);
void metrics_agg_merge(struct metrics_agg *dst, const struct metrics_agg *src);
/* One finished execution or step: status "completed", "failed" or
 * "cancelled"; dur_ms and wait_ms < 0 when unknown. */
void metrics_agg_add(struct metrics_agg *a, const char *status, int64_t dur_ms, int64_t wait_ms);
/* Takes back one metrics_agg_add of the same arguments (a fact that no
 * longer counts); what is not there to take is left alone. */
void metrics_agg_remove(struct metrics_agg *a, const char *status, int64_t dur_ms, int64_t wait_ms);
uint64_t metrics_agg_runs(const struct metrics_agg *a);
/* Percent, or -1 when nothing completed or failed. */
double metrics_success_rate(uint64_t completed, uint64_t failed);

/* {"runs","completed","failed","cancelled","success_rate","avg_ms","p50_ms",
 *  "p95_ms","p99_ms","min_ms","max_ms","avg_wait_ms","per_hour","per_day",
 *  "per_week"}; unknown values are null; period_ms is the time the rates
 *  divide by. */
json_t *metrics_figures_new(const struct metrics_agg *a, int64_t period_ms);
/* How figures cur changed from prev: {"runs_per_hour_percent",
 * "success_rate_points", "avg_ms_percent", "p50_ms_percent",
 * "p95_ms_percent", "p99_ms_percent"}, null where prev has nothing to compare. */
json_t *metrics_change_new(json_t *cur, json_t *prev);

/* ---- degradation ------------------------------------------------------------------------ */

struct metrics_health {
	int64_t runs;                  /* completed + failed */
	double success_rate;           /* percent, < 0 unknown */
	int64_t p95_ms;                /* < 0 unknown */
};
void metrics_health_of(const struct metrics_agg *a, struct metrics_health *h);

struct metrics_margins {
	double p95_percent;            /* recent p95 above baseline p95 by more than this */
	double success_points;         /* recent success rate below baseline by more than this */
	int64_t min_runs;              /* on each side, else no verdict */
};
enum { DEGRADED_P95 = 1, DEGRADED_SUCCESS = 2 };
/* Whether both sides have min_runs runs (a verdict either way is possible). */
bool metrics_health_decidable(const struct metrics_health *recent, const struct metrics_health *base,
			      const struct metrics_margins *m);
/* DEGRADED_* bits (0: not degraded, or not decidable). */
unsigned metrics_degraded(const struct metrics_health *recent, const struct metrics_health *base,
			  const struct metrics_margins *m);
/* {"degraded","reasons":[..],"window_hours","baseline_days","recent":{..},"baseline":{..},
 *  "margins":{..}} */
json_t *metrics_degradation_new(const struct metrics_health *recent, const struct metrics_health *base,
				const struct metrics_margins *m, int window_hours, int baseline_days);

#endif
