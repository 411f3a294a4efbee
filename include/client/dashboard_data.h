/* dashboard_data.h: what the dashboard's widgets show, computed from the
 * console's model (executions, queue, resources, alerts) and the widgets'
 * configuration; the aggregates come from dashboard_model.h.
 *
 * Definitions:
 *   - failed needing attention: a failed execution of a workflow that has
 *     not completed a run since (a later success handles it);
 *   - workflow health, per workflow the model knows (its executions, and
 *     the daemon's health room for scheduled workflows that have not run):
 *     runs, completed, failed, the success rate over those finished runs,
 *     the last run and its result, running and stale counts, and overdue:
 *     its schedule's expected run did not start, complete or succeed by its
 *     due time (the daemon's schedule state, model_health.h); overdue
 *     first, then the others needing attention (last run failed, or
 *     stale), then the most recently active;
 *   - a tax deadline is met when a completed run of its workflow finished
 *     on or after the first day of the due month (its period has closed),
 *     failed when the latest such run failed, pending otherwise.
 * Times are the model's (wall clock ms). Pure: no curses, no sockets; the
 * pointers returned are borrowed from the model until it next changes. */
#ifndef WFMON_DASHBOARD_DATA_H
#define WFMON_DASHBOARD_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashboard.h"
#include "model.h"
#include "schedule.h"
#include "taxcal.h"

struct dd_summary {
	int running, queued, stale, failed_attention, completed;
	int alerts_open, alerts_critical;
	const struct model_exec *last_failed;   /* the newest needing attention, or NULL */
};
void dashboard_data_summary(const struct model *m, int64_t now_ms, int64_t stale_ms, struct dd_summary *out);

/* Running (and stale) executions, newest start first, of one workflow (id or
 * name) or all (NULL or ""); at most max. */
size_t dashboard_data_running(const struct model *m, const char *workflow, const struct model_exec **out,
			      size_t max);

/* Whether an execution belongs to a workflow given by id or name ("" all). */
bool dashboard_data_workflow_is(const struct model_exec *x, const char *workflow);

struct dd_health {
	char workflow_id[PROTO_MAX_ID + 1];
	const char *name;                      /* borrowed */
	int runs, completed, failed, running, stale;
	double success;                        /* percent of completed + failed, -1 unknown */
	int64_t last_ms;                       /* the last run's finish (or start), 0 none */
	enum model_status last;                /* its status */
	bool overdue;                          /* the schedule's expected run is missed */
	enum schedule_miss miss;               /* how, while overdue */
	bool attention;
};
size_t dashboard_data_health(const struct model *m, int64_t now_ms, int64_t stale_ms, struct dd_health *out,
			     size_t max);

/* The execution a timeline or step breakdown shows: the one configured by
 * id, else the latest of the workflow (or of all), or NULL. */
const struct model_exec *dashboard_data_latest(const struct model *m, const char *workflow,
					       const char *execution);

enum dd_deadline_state { DD_NO_WORKFLOW, DD_DONE, DD_PENDING, DD_FAILED };
struct dd_deadline {
	struct taxcal_due due;
	enum dd_deadline_state state;
};
/* The upcoming deadlines of a tax_deadlines widget (its list, or the
 * statutory one) from today, with whether their workflows ran. */
size_t dashboard_data_deadlines(const struct model *m, const struct dash_config *cfg, struct taxcal_date today,
				struct dd_deadline *out, size_t max);

#endif
