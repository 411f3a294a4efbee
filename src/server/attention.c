/* attention.c: failed executions not yet handled, per organization (see
 * attention.h).
 *
 * Invariants: every kept failure is in a->failures under its execution id
 * and on its workflow's list exactly once; a workflow's `kept` is the length
 * of its list; a->count is the sum over workflows of kept + untracked; no
 * kept failure is older than its workflow's last success start (those are
 * handled and gone). */
#include "attention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "xalloc.h"

struct attention_wf;

struct attention_failure {
	char id[PROTO_MAX_ID + 1];
	int64_t failed_ms;
	struct attention_wf *wf;
	struct attention_failure *prev, *next;   /* the workflow's failures */
};

struct attention_wf {
	char id[PROTO_MAX_ID + 1];
	int64_t success_start_ms;                /* the latest run start of a completed run; 0 none */
	struct attention_failure *failures;      /* kept by id */
	uint64_t kept;
	uint64_t untracked;                      /* counted only (past the cap) */
	int64_t untracked_newest_ms;
};

void attention_init(struct attention *a, uint32_t cap)
{
	memset(a, 0, sizeof *a);
	strmap_init(&a->failures);
	strmap_init(&a->workflows);
	a->cap = cap ? cap : ATTENTION_CAP;
}

static void free_failure(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

void attention_free(struct attention *a)
{
	strmap_each(&a->failures, free_failure, NULL);
	strmap_each(&a->workflows, free_failure, NULL);
	strmap_clear(&a->failures);
	strmap_clear(&a->workflows);
	a->count = 0;
}

struct idle_wf {
	struct attention_wf *victim;
};

static void find_idle(const char *key, void *value, void *arg)
{
	(void)key;
	struct idle_wf *f = arg;
	struct attention_wf *w = value;
	if (w->kept == 0 && w->untracked == 0 &&
	    (f->victim == NULL || w->success_start_ms < f->victim->success_start_ms))
		f->victim = w;
}

/* The workflow's record, made when new; NULL when none can be made. */
static struct attention_wf *wf_get(struct attention *a, const char *workflow_id)
{
	struct attention_wf *w = strmap_get(&a->workflows, workflow_id);
	if (w != NULL || !proto_id_valid(workflow_id))
		return w;
	if (strmap_count(&a->workflows) >= ATTENTION_MAX_WORKFLOWS) {
		struct idle_wf f = { NULL };
		strmap_each(&a->workflows, find_idle, &f);
		if (f.victim == NULL)
			return NULL;
		strmap_remove(&a->workflows, f.victim->id);
		free(f.victim);
	}
	w = xcalloc(1, sizeof *w);
	snprintf(w->id, sizeof w->id, "%s", workflow_id);
	strmap_put(&a->workflows, w->id, w);
	return w;
}

static void failure_remove(struct attention *a, struct attention_failure *f)
{
	struct attention_wf *w = f->wf;
	if (f->prev) f->prev->next = f->next; else w->failures = f->next;
	if (f->next) f->next->prev = f->prev;
	w->kept--;
	a->count--;
	strmap_remove(&a->failures, f->id);
	free(f);
}

void attention_on_failed(struct attention *a, const char *execution_id, const char *workflow_id,
			 int64_t failed_ms)
{
	if (!proto_id_valid(execution_id) || strmap_get(&a->failures, execution_id) != NULL)
		return;
	struct attention_wf *w = wf_get(a, workflow_id);
	if (w == NULL)
		return;
	if (w->success_start_ms > failed_ms)
		return;   /* a later run has completed already */
	a->count++;
	if (strmap_count(&a->failures) >= a->cap) {
		w->untracked++;
		if (failed_ms > w->untracked_newest_ms)
			w->untracked_newest_ms = failed_ms;
		return;
	}
	struct attention_failure *f = xcalloc(1, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", execution_id);
	f->failed_ms = failed_ms;
	f->wf = w;
	f->next = w->failures;
	if (w->failures)
		w->failures->prev = f;
	w->failures = f;
	w->kept++;
	strmap_put(&a->failures, f->id, f);
}

void attention_on_completed(struct attention *a, const char *workflow_id, int64_t start_ms)
{
	struct attention_wf *w = wf_get(a, workflow_id);
	if (w == NULL || start_ms <= w->success_start_ms)
		return;
	w->success_start_ms = start_ms;
	for (struct attention_failure *f = w->failures, *next; f != NULL; f = next) {
		next = f->next;
		if (f->failed_ms < start_ms)
			failure_remove(a, f);
	}
	if (w->untracked > 0 && w->untracked_newest_ms < start_ms) {
		a->count -= w->untracked;
		w->untracked = 0;
		w->untracked_newest_ms = 0;
	}
}

void attention_on_handled(struct attention *a, const char *execution_id)
{
	struct attention_failure *f = strmap_get(&a->failures, execution_id);
	if (f != NULL)
		failure_remove(a, f);
}

uint64_t attention_count(const struct attention *a)
{
	return a->count;
}

bool attention_holds(const struct attention *a, const char *execution_id)
{
	return strmap_get(&a->failures, execution_id) != NULL;
}
