/* prom_workflows.h: per-workflow series on wfmond's /metrics (Prometheus
 * text format): executions finished by status (counter), their durations
 * (histogram, started to finished, completed and failed ones), running and
 * queued executions (gauges) and failed alert notifications (counter), each
 * labelled with the organization and the workflow.
 *
 * Cardinality is bounded: at most `slots` (org, workflow) pairs get series
 * of their own, everything else is summed under org="*", workflow="other"
 * ('*' is never in an id). A pair gets a slot when it first appears while
 * one is free; when all are taken, a pair that has finished more than twice
 * as many executions as the least busy pair with a slot takes that slot (at
 * a scrape), so the busiest workflows end up with their own series. A pair's
 * own series count from when it got its slot (what came before stays in
 * "other"), and a pair that loses its slot goes back into "other" whole, so
 * no counter ever goes down. Memory is bounded too:
 * PROM_WORKFLOWS_TRACKED pairs at most; pairs past that count as "other"
 * straight away. Loop thread only. */
#ifndef WFMON_PROM_WORKFLOWS_H
#define WFMON_PROM_WORKFLOWS_H

#include <stdint.h>
#include <stdio.h>

#define PROM_WORKFLOWS_TRACKED 10000

struct prom_workflows;
struct server;

struct prom_workflows *prom_workflows_new(void);
void prom_workflows_free(struct prom_workflows *p);
/* prometheus-workflows: the slots (may change at any time; slots given stay). */
void prom_workflows_set_slots(struct prom_workflows *p, int slots);

/* An execution finished: status "completed", "failed" or "cancelled";
 * duration_ms < 0 when it never started. */
void prom_workflows_finished(struct prom_workflows *p, const char *org, const char *workflow_id,
			     const char *status, int64_t duration_ms);
/* A notification of an alert about workflow_id ("" or NULL: the whole
 * organization, shown as workflow="*") failed for good. */
void prom_workflows_notify_failed(struct prom_workflows *p, const char *org, const char *workflow_id);

/* Writes the series; running and queued come from the organizations' live
 * executions now. */
void prom_workflows_write(struct prom_workflows *p, struct server *s, FILE *f);

#endif
