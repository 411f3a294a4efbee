/* prom_workflows.c: per-workflow series for Prometheus (see
 * prom_workflows.h).
 *
 * Invariants: a pair's counters are totals since the daemon started; the
 * series written for a pair with a slot are its totals minus what it had
 * when it got the slot (base), and "other" is everything else (pairs without
 * a slot, and the bases), so the sum over all series is the whole and no
 * series ever goes down; at most `slots` pairs have a slot. */
#include "prom_workflows.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "live.h"
#include "org.h"
#include "proto.h"
#include "server.h"
#include "strmap.h"
#include "xalloc.h"

static const double bounds_s[] = { 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600 };
#define NBOUNDS (sizeof bounds_s / sizeof bounds_s[0])

enum { ST_COMPLETED, ST_FAILED, ST_CANCELLED, ST__COUNT };
static const char *const status_names[ST__COUNT] = { "completed", "failed", "cancelled" };

struct counts {
	uint64_t status[ST__COUNT];
	uint64_t le[NBOUNDS + 1];       /* per bucket (not cumulative); the last is +Inf */
	double sum_s;
	uint64_t notify_failed;
};

struct pair {
	char org[PROTO_MAX_ID + 1];
	char workflow[PROTO_MAX_ID + 2];   /* "*" for the organization itself */
	struct counts total, base;
	bool slot;
	uint64_t running, queued;          /* filled at each scrape */
};

struct prom_workflows {
	struct strmap pairs;               /* "org\x1fworkflow" -> struct pair */
	struct pair **list;
	size_t n, cap;
	struct counts overflow;            /* pairs past PROM_WORKFLOWS_TRACKED */
	size_t slots, slots_used;
};

struct prom_workflows *prom_workflows_new(void)
{
	struct prom_workflows *p = xcalloc(1, sizeof *p);
	strmap_init(&p->pairs);
	return p;
}

void prom_workflows_set_slots(struct prom_workflows *p, int slots)
{
	p->slots = slots > 0 ? (size_t)slots : 0;
}

void prom_workflows_free(struct prom_workflows *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->list[i]);
	free(p->list);
	strmap_clear(&p->pairs);
	free(p);
}

/* The pair's counts, or the overflow's when no more pairs are kept. */
static struct counts *counts_of(struct prom_workflows *p, const char *org, const char *wf)
{
	char key[2 * PROTO_MAX_ID + 4];
	if (wf == NULL || wf[0] == '\0')
		wf = "*";
	snprintf(key, sizeof key, "%s\x1f%s", org, wf);
	struct pair *x = strmap_get(&p->pairs, key);
	if (x != NULL)
		return &x->total;
	if (p->n >= PROM_WORKFLOWS_TRACKED)
		return &p->overflow;
	x = xcalloc(1, sizeof *x);
	snprintf(x->org, sizeof x->org, "%s", org);
	snprintf(x->workflow, sizeof x->workflow, "%s", wf);
	strmap_put(&p->pairs, key, x);
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->list = xrealloc(p->list, sizeof *p->list * p->cap);
	}
	p->list[p->n++] = x;
	if (p->slots_used < p->slots) {
		x->slot = true;   /* from its very first count */
		p->slots_used++;
	}
	return &x->total;
}

void prom_workflows_finished(struct prom_workflows *p, const char *org, const char *workflow_id,
			     const char *status, int64_t duration_ms)
{
	struct counts *c = counts_of(p, org, workflow_id);
	int st = strcmp(status, "completed") == 0 ? ST_COMPLETED : strcmp(status, "failed") == 0 ? ST_FAILED
												  : ST_CANCELLED;
	c->status[st]++;
	if (duration_ms < 0 || st == ST_CANCELLED)
		return;
	double s = (double)duration_ms / 1000.0;
	size_t b = 0;
	while (b < NBOUNDS && s > bounds_s[b])
		b++;
	c->le[b]++;
	c->sum_s += s;
}

void prom_workflows_notify_failed(struct prom_workflows *p, const char *org, const char *workflow_id)
{
	counts_of(p, org, workflow_id)->notify_failed++;
}

static uint64_t finished(const struct counts *c)
{
	return c->status[ST_COMPLETED] + c->status[ST_FAILED] + c->status[ST_CANCELLED];
}

static void counts_add(struct counts *dst, const struct counts *a, const struct counts *minus)
{
	for (int i = 0; i < ST__COUNT; i++)
		dst->status[i] += a->status[i] - (minus ? minus->status[i] : 0);
	for (size_t i = 0; i <= NBOUNDS; i++)
		dst->le[i] += a->le[i] - (minus ? minus->le[i] : 0);
	dst->sum_s += a->sum_s - (minus ? minus->sum_s : 0);
	dst->notify_failed += a->notify_failed - (minus ? minus->notify_failed : 0);
}

static int by_busy(const void *x, const void *y)
{
	const struct pair *a = *(const struct pair *const *)x, *b = *(const struct pair *const *)y;
	uint64_t fa = finished(&a->total) + a->running + a->queued, fb = finished(&b->total) + b->running + b->queued;
	if (fa != fb)
		return fa < fb ? 1 : -1;
	int c = strcmp(a->org, b->org);
	return c ? c : strcmp(a->workflow, b->workflow);
}

/* Free slots go to the busiest pairs without one; then a pair much busier
 * than the least busy one with a slot takes it. */
static void assign_slots(struct prom_workflows *p)
{
	if (p->n == 0)
		return;   /* nothing to order (and no list to copy from) */
	struct pair **order = xcalloc(p->n, sizeof *order);
	memcpy(order, p->list, sizeof *order * p->n);
	qsort(order, p->n, sizeof *order, by_busy);
	size_t lo = p->n;   /* scanning slotted pairs from the least busy up */
	for (size_t i = 0; i < p->n; i++) {
		struct pair *x = order[i];
		if (x->slot)
			continue;
		if (p->slots_used < p->slots) {
			x->slot = true;
			x->base = x->total;
			p->slots_used++;
			continue;
		}
		while (lo > 0 && !order[lo - 1]->slot)
			lo--;
		if (lo == 0 || lo - 1 <= i)
			break;
		struct pair *q = order[lo - 1];
		if (finished(&x->total) <= 2 * finished(&q->total))
			break;
		q->slot = false;   /* back into "other", whole */
		x->slot = true;
		x->base = x->total;
		lo--;
	}
	free(order);
}

struct live_count {
	struct prom_workflows *p;
	uint64_t other_running, other_queued;
};

static void count_live(const char *key, void *value, void *arg)
{
	(void)key;
	struct org *o = value;
	struct live_count *lc = arg;
	for (const struct live_execution *x = o->live.newest; x != NULL; x = x->next) {
		if (x->x.status != EXEC_RUNNING && x->x.status != EXEC_QUEUED)
			continue;
		char k[2 * PROTO_MAX_ID + 4];
		snprintf(k, sizeof k, "%s\x1f%s", o->id, x->x.workflow_id);
		struct pair *pr = strmap_get(&lc->p->pairs, k);
		if (pr == NULL) {
			/* Never finished one yet: tracked from now on, for its gauges. */
			counts_of(lc->p, o->id, x->x.workflow_id);
			pr = strmap_get(&lc->p->pairs, k);
		}
		uint64_t *slot = pr != NULL ? (x->x.status == EXEC_RUNNING ? &pr->running : &pr->queued)
					    : (x->x.status == EXEC_RUNNING ? &lc->other_running : &lc->other_queued);
		(*slot)++;
	}
}

static void labels(FILE *f, const char *org, const char *wf)
{
	fprintf(f, "{org=\"%s\",workflow=\"%s\"", org, wf);
}

void prom_workflows_write(struct prom_workflows *p, struct server *s, FILE *f)
{
	struct live_count lc = { p, 0, 0 };
	for (size_t i = 0; i < p->n; i++)
		p->list[i]->running = p->list[i]->queued = 0;
	strmap_each(&s->orgs, count_live, &lc);
	assign_slots(p);
	struct counts other = p->overflow;
	uint64_t other_running = lc.other_running, other_queued = lc.other_queued;
	for (size_t i = 0; i < p->n; i++) {
		struct pair *x = p->list[i];
		counts_add(&other, x->slot ? &x->base : &x->total, NULL);
		if (!x->slot) {
			other_running += x->running;
			other_queued += x->queued;
		}
	}
	/* The rows: every pair with a slot, then "other". */
	struct pair other_pair = { .org = "*", .workflow = "other", .slot = true };
	other_pair.total = other;
	other_pair.running = other_running;
	other_pair.queued = other_queued;
	struct pair **rows = xcalloc(p->n + 1, sizeof *rows);
	size_t nrows = 0;
	for (size_t i = 0; i < p->n; i++)
		if (p->list[i]->slot)
			rows[nrows++] = p->list[i];
	rows[nrows++] = &other_pair;

	fprintf(f, "# HELP wfmond_workflow_executions_total Executions finished, by workflow and status\n"
		   "# TYPE wfmond_workflow_executions_total counter\n");
	for (size_t r = 0; r < nrows; r++) {
		struct counts c = { { 0 }, { 0 }, 0, 0 };
		counts_add(&c, &rows[r]->total, rows[r] == &other_pair ? NULL : &rows[r]->base);
		for (int st = 0; st < ST__COUNT; st++) {
			fprintf(f, "wfmond_workflow_executions_total");
			labels(f, rows[r]->org, rows[r]->workflow);
			fprintf(f, ",status=\"%s\"} %llu\n", status_names[st], (unsigned long long)c.status[st]);
		}
	}
	fprintf(f, "# HELP wfmond_workflow_duration_seconds Started to finished, completed and failed executions\n"
		   "# TYPE wfmond_workflow_duration_seconds histogram\n");
	for (size_t r = 0; r < nrows; r++) {
		struct counts c = { { 0 }, { 0 }, 0, 0 };
		counts_add(&c, &rows[r]->total, rows[r] == &other_pair ? NULL : &rows[r]->base);
		uint64_t cum = 0;
		for (size_t b = 0; b <= NBOUNDS; b++) {
			cum += c.le[b];
			fprintf(f, "wfmond_workflow_duration_seconds_bucket");
			labels(f, rows[r]->org, rows[r]->workflow);
			if (b < NBOUNDS)
				fprintf(f, ",le=\"%g\"} %llu\n", bounds_s[b], (unsigned long long)cum);
			else
				fprintf(f, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
		}
		fprintf(f, "wfmond_workflow_duration_seconds_sum");
		labels(f, rows[r]->org, rows[r]->workflow);
		fprintf(f, "} %.3f\nwfmond_workflow_duration_seconds_count", c.sum_s);
		labels(f, rows[r]->org, rows[r]->workflow);
		fprintf(f, "} %llu\n", (unsigned long long)cum);
	}
	static const struct {
		const char *name, *help;
		bool running;
	} gauges[] = {
		{ "wfmond_workflow_running", "Executions running now", true },
		{ "wfmond_workflow_queued", "Executions queued now", false },
	};
	for (size_t g = 0; g < 2; g++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name, gauges[g].help, gauges[g].name);
		for (size_t r = 0; r < nrows; r++) {
			fputs(gauges[g].name, f);
			labels(f, rows[r]->org, rows[r]->workflow);
			fprintf(f, "} %llu\n", (unsigned long long)(gauges[g].running ? rows[r]->running : rows[r]->queued));
		}
	}
	fprintf(f, "# HELP wfmond_workflow_notifications_failed_total Alert notifications that failed for good\n"
		   "# TYPE wfmond_workflow_notifications_failed_total counter\n");
	for (size_t r = 0; r < nrows; r++) {
		struct counts c = { { 0 }, { 0 }, 0, 0 };
		counts_add(&c, &rows[r]->total, rows[r] == &other_pair ? NULL : &rows[r]->base);
		fputs("wfmond_workflow_notifications_failed_total", f);
		labels(f, rows[r]->org, rows[r]->workflow);
		fprintf(f, "} %llu\n", (unsigned long long)c.notify_failed);
	}
	free(rows);
}
