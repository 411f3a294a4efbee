/* attention.h: an organization's failed executions that still need
 * attention, kept from execution events (org_summary.h defines "handled").
 *
 * Fed by the daemon: on_failed when an execution fails, on_completed when
 * one completes (with its run start), on_handled when an alert raised for an
 * execution is resolved; at start-up the store's unhandled failures and each
 * workflow's latest successful run start are fed the same way, so the count
 * after a restart is the stored history's. Pure: no I/O, no clock.
 *
 * Bounded: at most `cap` failures are kept by id (a workflow's failures on
 * its own list, so a success touches only its workflow's); past the cap a
 * failure is only counted, with the newest such time per workflow, and
 * cleared by a success that started after it. At most ATTENTION_MAX_WORKFLOWS
 * workflows are remembered: past that, a workflow holding no failure makes
 * room (its last success is forgotten: a duplicate of one of its old
 * failures arriving later would count again). */
#ifndef WFMON_ATTENTION_H
#define WFMON_ATTENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "strmap.h"

#define ATTENTION_CAP 10000            /* default failures kept by id per organization */
#define ATTENTION_MAX_WORKFLOWS 10000

struct attention {
	struct strmap failures;    /* execution id -> struct attention_failure (owned) */
	struct strmap workflows;   /* workflow id -> struct attention_wf (owned) */
	uint64_t count;            /* failures needing attention, kept by id or only counted */
	uint32_t cap;
};

void attention_init(struct attention *a, uint32_t cap);   /* cap 0: ATTENTION_CAP */
void attention_free(struct attention *a);

/* An execution of the workflow failed at failed_ms. Counted unless it is
 * already, or a run of the workflow that started after failed_ms has
 * completed. */
void attention_on_failed(struct attention *a, const char *execution_id, const char *workflow_id,
			 int64_t failed_ms);
/* A run of the workflow that started at start_ms completed: its failures
 * from before start_ms are handled. */
void attention_on_completed(struct attention *a, const char *workflow_id, int64_t start_ms);
/* The failure of this execution was handled by hand (an alert raised for it
 * was resolved). Unknown ids change nothing. */
void attention_on_handled(struct attention *a, const char *execution_id);
/* Failed executions needing attention. */
uint64_t attention_count(const struct attention *a);
/* Whether this execution's failure is counted by id. */
bool attention_holds(const struct attention *a, const char *execution_id);

#endif
