/* exec.c: applying events to an execution (see exec.h for the rules).
 *
 * One function per event kind, in one table; each reads only the typed
 * fields of struct proto_event. Invariants: steps[] is ordered (planned steps
 * by plan position, then the others by first appearance); no step id appears
 * twice; steps_total >= nsteps and steps_completed / steps_failed are at
 * least the steps[] in those states; current_step is "" while the execution
 * is finished. */
#include "exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "proto-internal.h"
#include "ring.h"
#include "xalloc.h"

static const char *const status_names[EXEC__COUNT] = {
	[EXEC_QUEUED] = "queued", [EXEC_RUNNING] = "running", [EXEC_COMPLETED] = "completed",
	[EXEC_FAILED] = "failed", [EXEC_CANCELLED] = "cancelled",
};
static const char *const step_status_names[STEP__COUNT] = {
	[STEP_PENDING] = "pending", [STEP_RUNNING] = "running",
	[STEP_COMPLETED] = "completed", [STEP_FAILED] = "failed",
};

const char *exec_status_name(enum exec_status s)
{
	return (unsigned)s < EXEC__COUNT ? status_names[s] : "?";
}

int exec_status_parse(const char *name, enum exec_status *out)
{
	int i = names_find(status_names, EXEC__COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum exec_status)i;
	return 0;
}

bool exec_status_finished(enum exec_status s)
{
	return s == EXEC_COMPLETED || s == EXEC_FAILED || s == EXEC_CANCELLED;
}

const char *exec_step_status_name(enum exec_step_status s)
{
	return (unsigned)s < STEP__COUNT ? step_status_names[s] : "?";
}

int exec_step_status_parse(const char *name, enum exec_step_status *out)
{
	int i = names_find(step_status_names, STEP__COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum exec_step_status)i;
	return 0;
}

/* ---- life cycle ---------------------------------------------------------- */

void exec_init(struct exec *x, const char *id, const char *workflow_id)
{
	memset(x, 0, sizeof *x);
	snprintf(x->id, sizeof x->id, "%s", id ? id : "");
	snprintf(x->workflow_id, sizeof x->workflow_id, "%s", workflow_id ? workflow_id : "");
	x->priority = PRIO_NORMAL;
	x->status = EXEC_QUEUED;
}

void exec_init_for(struct exec *x, const struct proto_event *ev)
{
	exec_init(x, ev->execution_id, ev->workflow_id);
	if (ev->kind != EV_EXECUTION_QUEUED)
		x->status = EXEC_RUNNING;
}

static void deps_free(struct exec_step *s)
{
	for (uint32_t i = 0; i < s->ndepends; i++)
		free(s->depends_on[i]);
	free(s->depends_on);
	s->depends_on = NULL;
	s->ndepends = 0;
}

static void step_free(struct exec_step *s)
{
	deps_free(s);
	free(s->name);
	free(s->progress_unit);
	free(s->progress_message);
	json_decref(s->input);
	json_decref(s->output);
	free(s->error);
	free(s->error_code);
	free(s->worker);
}

void exec_clear(struct exec *x)
{
	for (uint32_t i = 0; i < x->nsteps; i++)
		step_free(&x->steps[i]);
	free(x->steps);
	for (uint32_t i = 0; i < x->ncounters; i++)
		free(x->counters[i].name);
	for (uint32_t i = 0; i < x->log_count; i++)
		free(x->log[ring_at(x->log_head, x->log_cap, i)].message);
	free(x->log);
	free(x->workflow_name);
	free(x->error);
	free(x->error_code);
	free(x->worker);
	json_decref(x->params);
	memset(x, 0, sizeof *x);
}

/* ---- small setters ---------------------------------------------------------- */

/* Replaces *dst with a copy of src; an absent src (NULL) keeps what is there. */
static void set_str(char **dst, const char *src)
{
	if (src == NULL)
		return;
	free(*dst);
	*dst = xstrdup(src);
}

static void set_json(json_t **dst, json_t *src)
{
	if (src == NULL)
		return;
	json_decref(*dst);
	*dst = json_incref(src);
}

/* ---- steps ------------------------------------------------------------------ */

struct exec_step *exec_step_find(const struct exec *x, const char *step_id)
{
	if (step_id == NULL)
		return NULL;
	for (uint32_t i = 0; i < x->nsteps; i++)
		if (strcmp(x->steps[i].id, step_id) == 0)
			return &x->steps[i];
	return NULL;
}

/* The step, created at the end when new (planned is the plan's say: a plan's
 * steps always get in, others only below EXEC_MAX_STEPS). NULL over the limit. */
struct exec_step *exec_step_get(struct exec *x, const char *step_id, bool planned)
{
	struct exec_step *s = exec_step_find(x, step_id);
	if (s != NULL || step_id == NULL)
		return s;
	if (!planned && x->nsteps >= EXEC_MAX_STEPS)
		return NULL;
	if (x->nsteps == x->capsteps) {
		x->capsteps = x->capsteps ? x->capsteps * 2 : 8;
		x->steps = xrealloc(x->steps, sizeof *x->steps * x->capsteps);
	}
	s = &x->steps[x->nsteps++];
	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "%s", step_id);
	s->plan_index = -1;
	s->seen = x->next_seen++;
	s->duration_ms = -1;
	s->cpu_percent = -1;
	s->memory_bytes = -1;
	if (x->nsteps > x->steps_total)
		x->steps_total = x->nsteps;
	return s;
}

/* Planned steps by plan position, then the others as first seen. */
static int step_order(const void *pa, const void *pb)
{
	const struct exec_step *a = pa, *b = pb;
	bool ap = a->plan_index >= 0, bp = b->plan_index >= 0;
	if (ap != bp)
		return ap ? -1 : 1;
	if (ap && a->plan_index != b->plan_index)
		return a->plan_index < b->plan_index ? -1 : 1;
	return a->seen < b->seen ? -1 : a->seen > b->seen;
}

/* The running step started last (the later in steps[] on a tie); when none
 * of the steps held runs, a current step that is not held (a summary named
 * it) stays. */
void exec_pick_current(struct exec *x)
{
	if (exec_status_finished(x->status)) {
		x->current_step[0] = '\0';
		return;
	}
	const struct exec_step *cur = NULL;
	for (uint32_t i = 0; i < x->nsteps; i++)
		if (x->steps[i].status == STEP_RUNNING &&
		    (cur == NULL || x->steps[i].started_ms >= cur->started_ms))
			cur = &x->steps[i];
	if (cur != NULL)
		snprintf(x->current_step, sizeof x->current_step, "%s", cur->id);
	else if (exec_step_find(x, x->current_step) != NULL)
		x->current_step[0] = '\0';
}

/* Moves a step to a status, keeping the counts. */
void exec_step_status_set(struct exec *x, struct exec_step *s, enum exec_step_status to)
{
	if (s->status == to)
		return;
	if (s->status == STEP_COMPLETED && x->steps_completed > 0)
		x->steps_completed--;
	if (s->status == STEP_FAILED && x->steps_failed > 0)
		x->steps_failed--;
	s->status = to;
	if (to == STEP_COMPLETED)
		x->steps_completed++;
	if (to == STEP_FAILED)
		x->steps_failed++;
}

/* pending becomes running; a step already further along stays. */
static void step_run(struct exec *x, struct exec_step *s)
{
	if (s->status == STEP_PENDING)
		exec_step_status_set(x, s, STEP_RUNNING);
}

static void step_usage(struct exec_step *s, const struct proto_event *ev)
{
	if (ev->duration_ms >= 0)
		s->duration_ms = ev->duration_ms;
	if (ev->cpu_percent >= 0)
		s->cpu_percent = ev->cpu_percent;
	if (ev->memory_bytes >= 0)
		s->memory_bytes = ev->memory_bytes;
}

static void step_set_deps(struct exec_step *s, const struct proto_plan_step *p)
{
	deps_free(s);
	if (p->ndepends == 0)
		return;
	s->depends_on = xcalloc(p->ndepends, sizeof *s->depends_on);
	for (size_t j = 0; j < p->ndepends; j++)
		s->depends_on[s->ndepends++] = xstrdup(proto_plan_step_dep(p, j));
}

/* ---- the log ------------------------------------------------------------------ */

const struct exec_log_line *exec_log_at(const struct exec *x, uint32_t i)
{
	if (i >= x->log_count)
		return NULL;
	return &x->log[ring_at(x->log_head, x->log_cap, i)];
}

void exec_log_push(struct exec *x, const char *event_id, int64_t ts_ms, enum proto_level level,
		   const char *step_id, const char *message)
{
	ring_reserve((void **)&x->log, sizeof *x->log, &x->log_head, x->log_count, &x->log_cap, EXEC_LOG_LINES);
	uint32_t slot;
	if (ring_push(&x->log_head, &x->log_count, x->log_cap, &slot))
		free(x->log[slot].message);
	struct exec_log_line *l = &x->log[slot];
	snprintf(l->event_id, sizeof l->event_id, "%s", event_id ? event_id : "");
	snprintf(l->step_id, sizeof l->step_id, "%s", step_id ? step_id : "");
	l->ts_ms = ts_ms;
	l->level = level;
	l->message = xstrdup(message ? message : "");
}

/* ---- counters ------------------------------------------------------------------ */

void exec_counter_raise(struct exec *x, const char *name, int64_t value)
{
	if (name == NULL)
		return;
	for (uint32_t i = 0; i < x->ncounters; i++) {
		if (strcmp(x->counters[i].name, name) == 0) {
			if (value > x->counters[i].value)
				x->counters[i].value = value;
			return;
		}
	}
	if (x->ncounters < EXEC_COUNTERS) {
		x->counters[x->ncounters].name = xstrdup(name);
		x->counters[x->ncounters].value = value;
		x->ncounters++;
	}
}

const char *exec_workflow_name(const struct exec *x)
{
	return x->workflow_name ? x->workflow_name : x->workflow_id;
}

/* ---- applying events, one function per kind ------------------------------------- */

typedef void (*apply_fn)(struct exec *x, const struct proto_event *ev, struct exec_change *c);

static void apply_queued(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	(void)c;
	set_str(&x->workflow_name, ev->workflow_name);
	x->priority = ev->priority;
	set_json(&x->params, ev->params);
	x->queued_ms = ev->ts_ms;
	for (size_t i = 0; i < ev->nplan; i++) {
		struct proto_plan_step p;
		proto_event_plan_step(ev, i, &p);
		struct exec_step *s = exec_step_get(x, p.id, true);
		set_str(&s->name, p.name);
		/* The latest plan says what a step depends on. */
		step_set_deps(s, &p);
		s->plan_index = (int32_t)i;
	}
	qsort(x->steps, x->nsteps, sizeof *x->steps, step_order);
}

static void apply_started(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	(void)c;
	if (x->status == EXEC_QUEUED)
		x->status = EXEC_RUNNING;
	x->started_ms = ev->ts_ms;
	set_str(&x->worker, ev->worker);
}

static void apply_step_started(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	if (x->status == EXEC_QUEUED)
		x->status = EXEC_RUNNING;
	struct exec_step *s = c->step;
	if (s == NULL)
		return;
	step_run(x, s);
	s->started_ms = ev->ts_ms;
	set_json(&s->input, ev->input);
	set_str(&s->worker, ev->worker);
}

static void apply_step_progress(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	struct exec_step *s = c->step;
	if (s == NULL)
		return;
	step_run(x, s);
	s->progress_current = ev->current;
	s->progress_total = ev->total;
	set_str(&s->progress_unit, ev->unit);
	set_str(&s->progress_message, ev->message);
}

static void apply_step_completed(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	struct exec_step *s = c->step;
	if (s == NULL)
		return;
	exec_step_status_set(x, s, STEP_COMPLETED);
	s->finished_ms = ev->ts_ms;
	set_json(&s->output, ev->output);
	step_usage(s, ev);
	if (s->progress_total > 0)
		s->progress_current = s->progress_total;
}

static void apply_step_failed(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	struct exec_step *s = c->step;
	if (s == NULL)
		return;
	exec_step_status_set(x, s, STEP_FAILED);
	s->finished_ms = ev->ts_ms;
	set_str(&s->error, ev->error);
	set_str(&s->error_code, ev->error_code);
	step_usage(s, ev);
}

static void apply_log(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	(void)c;
	exec_log_push(x, ev->event_id, ev->ts_ms, ev->level, ev->step_id, ev->message);
}

static void apply_counter(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	(void)c;
	exec_counter_raise(x, ev->name, ev->value);
}

/* A worker's sample describes the worker (the daemon keeps those apart). */
static void apply_resource(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	(void)x;
	(void)ev;
	(void)c;
}

/* The first terminal event wins. */
static bool finish(struct exec *x, const struct proto_event *ev, enum exec_status status,
		   struct exec_change *c)
{
	if (exec_status_finished(x->status))
		return false;
	x->status = status;
	x->finished_ms = ev->ts_ms;
	if (status != EXEC_COMPLETED)
		for (uint32_t i = 0; i < x->nsteps; i++)
			if (x->steps[i].status == STEP_RUNNING)
				exec_step_status_set(x, &x->steps[i], STEP_FAILED);
	c->ended = true;
	return true;
}

static void apply_completed(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	finish(x, ev, EXEC_COMPLETED, c);
}

static void apply_failed(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	if (!finish(x, ev, EXEC_FAILED, c))
		return;
	set_str(&x->error, ev->error);
	set_str(&x->error_code, ev->error_code);
}

static void apply_cancelled(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	if (finish(x, ev, EXEC_CANCELLED, c))
		set_str(&x->error, ev->reason);
}

static const struct {
	apply_fn fn;
	bool step;          /* concerns the step named by step_id (created if new) */
} apply_table[EV__COUNT] = {
	[EV_EXECUTION_QUEUED] = {apply_queued, false},
	[EV_EXECUTION_STARTED] = {apply_started, false},
	[EV_STEP_STARTED] = {apply_step_started, true},
	[EV_STEP_PROGRESS] = {apply_step_progress, true},
	[EV_STEP_COMPLETED] = {apply_step_completed, true},
	[EV_STEP_FAILED] = {apply_step_failed, true},
	[EV_LOG] = {apply_log, false},
	[EV_COUNTER] = {apply_counter, false},
	[EV_RESOURCE_SAMPLE] = {apply_resource, false},
	[EV_EXECUTION_COMPLETED] = {apply_completed, false},
	[EV_EXECUTION_FAILED] = {apply_failed, false},
	[EV_EXECUTION_CANCELLED] = {apply_cancelled, false},
};

void exec_apply(struct exec *x, const struct proto_event *ev, struct exec_change *out)
{
	struct exec_change scratch;
	struct exec_change *c = out ? out : &scratch;
	memset(c, 0, sizeof *c);
	c->before = x->status;
	if ((unsigned)ev->kind >= EV__COUNT)
		return;
	if (apply_table[ev->kind].step)
		c->step = exec_step_get(x, ev->step_id, false);
	apply_table[ev->kind].fn(x, ev, c);
	if (apply_table[ev->kind].step || ev->kind == EV_EXECUTION_QUEUED || c->ended) {
		/* qsort may have moved the steps: find this one again. */
		if (c->step != NULL)
			c->step = exec_step_find(x, ev->step_id);
		exec_pick_current(x);
	}
	if (ev->ts_ms > x->last_event_ms)
		x->last_event_ms = ev->ts_ms;
	x->events++;
}
