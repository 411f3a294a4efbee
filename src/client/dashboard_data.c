/* dashboard_data.c: the widgets' figures from the model (see
 * dashboard_data.h). Every function is one pass (or one pass per
 * workflow, bounded by the model's MODEL_MAX_EXECUTIONS) over the
 * executions; the console calls them when the model changed, not per frame. */
#include "dashboard_data.h"

#include <string.h>

#include "exec.h"
#include "topn.h"

bool dashboard_data_workflow_is(const struct model_exec *x, const char *workflow)
{
	if (workflow == NULL || workflow[0] == '\0')
		return true;
	return strcmp(x->x.workflow_id, workflow) == 0 || strcmp(exec_workflow_name(&x->x), workflow) == 0;
}

static int64_t finished_or_started(const struct model_exec *x)
{
	return x->x.finished_ms ? x->x.finished_ms : x->x.started_ms ? x->x.started_ms : x->x.queued_ms;
}

/* Whether a workflow completed a run that finished after t. */
static bool completed_since(const struct model *m, const char *workflow_id, int64_t t)
{
	for (size_t i = 0; i < m->nexecs; i++) {
		const struct model_exec *x = m->execs[i];
		if (x->x.status == EXEC_COMPLETED && x->x.finished_ms > t && strcmp(x->x.workflow_id, workflow_id) == 0)
			return true;
	}
	return false;
}

void dashboard_data_summary(const struct model *m, int64_t now_ms, int64_t stale_ms, struct dd_summary *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < m->nexecs; i++) {
		const struct model_exec *x = m->execs[i];
		switch (model_exec_status(x, now_ms, stale_ms)) {
		case MS_RUNNING: out->running++; break;
		case MS_STALE: out->stale++; break;
		case MS_QUEUED: out->queued++; break;
		case MS_COMPLETED: out->completed++; break;
		case MS_FAILED:
			if (!completed_since(m, x->x.workflow_id, x->x.finished_ms)) {
				out->failed_attention++;
				if (out->last_failed == NULL || x->x.finished_ms > out->last_failed->x.finished_ms)
					out->last_failed = x;
			}
			break;
		default: break;
		}
	}
	for (size_t i = 0; i < m->nalerts; i++) {
		if (m->alerts[i].state == ALERT_RESOLVED)
			continue;
		out->alerts_open++;
		if (m->alerts[i].severity == SEV_CRITICAL)
			out->alerts_critical++;
	}
}

static bool started_later(const void *a, const void *b)
{
	return (*(const struct model_exec *const *)a)->x.started_ms > (*(const struct model_exec *const *)b)->x.started_ms;
}

size_t dashboard_data_running(const struct model *m, const char *workflow, const struct model_exec **out,
			      size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nexecs; i++) {
		const struct model_exec *x = m->execs[i];
		if (x->x.status != EXEC_RUNNING || !dashboard_data_workflow_is(x, workflow))
			continue;
		n = topn_insert(out, n, max, sizeof *out, &x, started_later);
	}
	return n;
}

/* Whether the model holds an execution of this workflow. */
static bool model_holds_workflow(const struct model *m, const char *workflow_id)
{
	for (size_t i = 0; i < m->nexecs; i++)
		if (strcmp(m->execs[i]->x.workflow_id, workflow_id) == 0)
			return true;
	return false;
}

/* The daemon's word on the workflow's schedule (room "health"). */
static void overdue_of(const struct model_health *mh, struct dd_health *h)
{
	for (size_t i = 0; i < mh->n; i++) {
		const struct model_health_row *r = &mh->rows[i];
		if (strcmp(r->workflow_id, h->workflow_id) != 0)
			continue;
		h->overdue = r->has_schedule && r->state == SCHED_MISSED;
		h->miss = h->overdue ? r->miss : MISS_NONE;
		return;
	}
}

static bool health_before(const void *pa, const void *pb)
{
	const struct dd_health *a = pa, *b = pb;
	if (a->overdue != b->overdue)
		return a->overdue;
	if (a->attention != b->attention)
		return a->attention;
	return a->last_ms > b->last_ms;
}

size_t dashboard_data_health(const struct model *m, int64_t now_ms, int64_t stale_ms, struct dd_health *out,
			     size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < m->nexecs; i++) {
		const struct model_exec *x = m->execs[i];
		/* One row per workflow, built the first time it is seen. */
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(m->execs[k]->x.workflow_id, x->x.workflow_id) == 0;
		if (seen)
			continue;
		struct dd_health h = { .success = -1, .name = exec_workflow_name(&x->x) };
		memcpy(h.workflow_id, x->x.workflow_id, sizeof h.workflow_id);
		for (size_t k = i; k < m->nexecs; k++) {
			const struct model_exec *y = m->execs[k];
			if (strcmp(y->x.workflow_id, x->x.workflow_id) != 0)
				continue;
			enum model_status st = model_exec_status(y, now_ms, stale_ms);
			h.runs++;
			h.completed += st == MS_COMPLETED;
			h.failed += st == MS_FAILED;
			h.running += st == MS_RUNNING;
			h.stale += st == MS_STALE;
			int64_t t = finished_or_started(y);
			if (st != MS_QUEUED && t >= h.last_ms) {
				h.last_ms = t;
				h.last = st;
			}
		}
		if (h.completed + h.failed > 0)
			h.success = 100.0 * h.completed / (h.completed + h.failed);
		overdue_of(&m->health, &h);
		h.attention = h.stale > 0 || h.overdue || (h.last_ms != 0 && h.last == MS_FAILED);
		n = topn_insert(out, n, max, sizeof *out, &h, health_before);
	}
	/* Scheduled workflows the console holds no execution of: overdue ones
	 * matter most (a run that never came). */
	for (size_t i = 0; i < m->health.n; i++) {
		const struct model_health_row *r = &m->health.rows[i];
		if (!r->has_schedule || r->state != SCHED_MISSED || model_holds_workflow(m, r->workflow_id))
			continue;
		struct dd_health h = { .success = -1, .name = r->name[0] ? r->name : r->workflow_id };
		memcpy(h.workflow_id, r->workflow_id, sizeof h.workflow_id);
		if (r->has_last) {
			h.last_ms = r->last_finished_ms;
			h.last = (enum model_status)r->last_status;   /* the same values (model_exec.h) */
		}
		h.overdue = true;
		h.miss = r->miss;
		h.attention = true;
		n = topn_insert(out, n, max, sizeof *out, &h, health_before);
	}
	return n;
}

const struct model_exec *dashboard_data_latest(const struct model *m, const char *workflow, const char *execution)
{
	if (execution != NULL && execution[0] != '\0')
		return model_exec_find(m, execution);
	const struct model_exec *best = NULL;
	for (size_t i = 0; i < m->nexecs; i++) {
		const struct model_exec *x = m->execs[i];
		if (x->x.status == EXEC_QUEUED || !dashboard_data_workflow_is(x, workflow))
			continue;
		if (best == NULL || x->x.started_ms > best->x.started_ms)
			best = x;
	}
	return best;
}

size_t dashboard_data_deadlines(const struct model *m, const struct dash_config *cfg, struct taxcal_date today,
				struct dd_deadline *out, size_t max)
{
	const struct taxcal_rule *rules = cfg && cfg->ndeadlines ? cfg->deadlines : taxcal_default_rules;
	size_t nrules = cfg && cfg->ndeadlines ? cfg->ndeadlines : taxcal_default_nrules;
	struct taxcal_due due[TAXCAL_MAX_RULES];
	size_t n = taxcal_upcoming(rules, nrules, today, due, max < TAXCAL_MAX_RULES ? max : TAXCAL_MAX_RULES);
	for (size_t i = 0; i < n; i++) {
		out[i].due = due[i];
		const char *wf = due[i].rule->workflow;
		if (wf[0] == '\0') {
			out[i].state = DD_NO_WORKFLOW;
			continue;
		}
		/* The period closes at the start of the due month (UTC midnight). */
		struct taxcal_date month = { due[i].statutory.year, due[i].statutory.month, 1 };
		int64_t closed_ms = taxcal_days(month) * 86400000LL;
		const struct model_exec *latest = NULL;
		bool done = false;
		for (size_t k = 0; k < m->nexecs; k++) {
			const struct model_exec *x = m->execs[k];
			if (!dashboard_data_workflow_is(x, wf) || x->x.finished_ms < closed_ms)
				continue;
			done |= x->x.status == EXEC_COMPLETED;
			if (latest == NULL || x->x.finished_ms > latest->x.finished_ms)
				latest = x;
		}
		out[i].state = done ? DD_DONE : latest && latest->x.status == EXEC_FAILED ? DD_FAILED : DD_PENDING;
	}
	return n;
}
