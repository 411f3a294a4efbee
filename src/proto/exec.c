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

static const char *const control_state_names[CTL__COUNT] = {
	[CTL_NONE] = "none", [CTL_REQUESTED] = "requested", [CTL_ACCEPTED] = "accepted",
	[CTL_REFUSED] = "refused", [CTL_DONE] = "done",
};

const char *exec_control_state_name(enum exec_control_state s)
{
	return (unsigned)s < CTL__COUNT ? control_state_names[s] : "?";
}

int exec_control_state_parse(const char *name, enum exec_control_state *out)
{
	int i = names_find(control_state_names, CTL__COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum exec_control_state)i;
	return 0;
}

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
	x->attempt = 1;
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

static void tries_free(struct exec_step *s)
{
	for (uint32_t i = 0; i < s->ntries; i++)
		free(s->tries[i].error);
	free(s->tries);
	s->tries = NULL;
	s->ntries = 0;
}

static void step_free(struct exec_step *s)
{
	deps_free(s);
	tries_free(s);
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
	for (uint32_t i = 0; i < x->nlabels; i++) {
		free(x->labels[i].key);
		free(x->labels[i].value);
	}
	free(x->control.by);
	free(x->control.reason);
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
	s->attempt = 1;
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

/* ---- attempts ------------------------------------------------------------------ */

void exec_step_try_add(struct exec_step *s, const struct exec_try *t)
{
	if (s->tries == NULL)
		s->tries = xcalloc(EXEC_STEP_TRIES, sizeof *s->tries);
	/* In attempt order; an attempt held already is not added twice. */
	uint32_t at = s->ntries;
	for (uint32_t i = 0; i < s->ntries; i++) {
		if (s->tries[i].attempt == t->attempt)
			return;
		if (s->tries[i].attempt > t->attempt && at == s->ntries)
			at = i;
	}
	if (s->ntries == EXEC_STEP_TRIES) {
		if (at == 0)
			return;   /* older than everything kept */
		free(s->tries[0].error);
		memmove(&s->tries[0], &s->tries[1], (EXEC_STEP_TRIES - 1) * sizeof *s->tries);
		s->ntries--;
		at--;
	}
	memmove(&s->tries[at + 1], &s->tries[at], (s->ntries - at) * sizeof *s->tries);
	s->tries[at] = *t;
	s->tries[at].error = t->error ? xstrdup(t->error) : NULL;
	s->ntries++;
}

void exec_step_new_attempt(struct exec *x, struct exec_step *s, uint32_t attempt)
{
	if (s->status != STEP_PENDING) {
		struct exec_try t = {
			.attempt = s->attempt, .status = s->status, .started_ms = s->started_ms,
			.finished_ms = s->finished_ms, .duration_ms = s->duration_ms, .error = s->error,
		};
		exec_step_try_add(s, &t);
	}
	exec_step_status_set(x, s, STEP_PENDING);
	s->started_ms = s->finished_ms = 0;
	s->duration_ms = -1;
	s->progress_current = s->progress_total = 0;
	free(s->progress_unit);
	free(s->progress_message);
	json_decref(s->input);
	json_decref(s->output);
	free(s->error);
	free(s->error_code);
	free(s->worker);
	s->progress_unit = s->progress_message = s->error = s->error_code = s->worker = NULL;
	s->input = s->output = NULL;
	s->cpu_percent = -1;
	s->memory_bytes = -1;
	s->attempt = attempt;
}

/* Reopens a finished execution for a later attempt (see exec.h). */
void exec_reopen(struct exec *x, uint32_t attempt, enum exec_status to)
{
	x->attempt = attempt;
	if (exec_status_finished(x->status)) {
		x->status = to;
		x->finished_ms = 0;
		free(x->error);
		free(x->error_code);
		x->error = x->error_code = NULL;
	}
	if (x->control.command == CONTROL_RETRY &&
	    (x->control.state == CTL_REQUESTED || x->control.state == CTL_ACCEPTED))
		x->control.state = CTL_DONE;
}

/* ---- labels ------------------------------------------------------------------- */

static int label_index(const struct exec *x, const char *key, bool *found)
{
	uint32_t lo = 0, hi = x->nlabels;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int c = strcmp(x->labels[mid].key, key);
		if (c == 0) {
			*found = true;
			return (int)mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return (int)lo;
}

const char *exec_label(const struct exec *x, const char *key)
{
	bool found;
	int i = label_index(x, key, &found);
	return found ? x->labels[i].value : NULL;
}

void exec_label_set(struct exec *x, const char *key, const char *value)
{
	if (!proto_label_key_valid(key) || !proto_label_value_valid(value))
		return;
	bool found;
	int i = label_index(x, key, &found);
	if (found) {
		set_str(&x->labels[i].value, value);
		return;
	}
	if (x->nlabels >= PROTO_MAX_LABELS)
		return;
	memmove(&x->labels[i + 1], &x->labels[i], (x->nlabels - (uint32_t)i) * sizeof *x->labels);
	x->labels[i].key = xstrdup(key);
	x->labels[i].value = xstrdup(value);
	x->nlabels++;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void exec_labels_merge(struct exec *x, json_t *labels)
{
	if (!json_is_object(labels))
		return;
	/* Keys in byte order, so that which new ones fit does not depend on the
	 * order the JSON object happens to keep. */
	const char *keys[PROTO_MAX_LABELS];
	size_t n = 0;
	const char *key;
	json_t *v;
	json_object_foreach(labels, key, v)
		if (n < PROTO_MAX_LABELS && json_is_string(v))
			keys[n++] = key;
	qsort(keys, n, sizeof *keys, str_cmp);
	for (size_t i = 0; i < n; i++)
		exec_label_set(x, keys[i], json_string_value(json_object_get(labels, keys[i])));
}

bool exec_labels_match(const struct exec *x, json_t *want)
{
	const char *key;
	json_t *v;
	json_object_foreach(want, key, v) {
		const char *have = exec_label(x, key);
		if (have == NULL || !json_is_string(v) || strcmp(have, json_string_value(v)) != 0)
			return false;
	}
	return true;
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
	x->delayed_until_ms = ev->delayed_until_ms;
	exec_labels_merge(x, ev->labels);
	for (size_t i = 0; i < ev->nplan; i++) {
		struct proto_plan_step p;
		proto_event_plan_step(ev, i, &p);
		struct exec_step *s = exec_step_get(x, p.id, true);
		set_str(&s->name, p.name);
		/* The latest plan says what a step depends on. */
		step_set_deps(s, &p);
		s->plan_index = (int32_t)i;
	}
	if (x->nsteps > 1)   /* an empty plan leaves steps NULL, which qsort may not take */
		qsort(x->steps, x->nsteps, sizeof *x->steps, step_order);
}

static void apply_started(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	(void)c;
	if (x->status == EXEC_QUEUED)
		x->status = EXEC_RUNNING;
	x->started_ms = ev->ts_ms;
	set_str(&x->worker, ev->worker);
	exec_labels_merge(x, ev->labels);
}

/* An unplanned step takes the name its events give. */
static void step_name(struct exec_step *s, const struct proto_event *ev)
{
	if (ev->step_name != NULL && s->plan_index < 0)
		set_str(&s->name, ev->step_name);
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
	step_name(s, ev);
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
	step_name(s, ev);
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
	step_name(s, ev);
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
	if (x->control.command == CONTROL_CANCEL &&
	    (x->control.state == CTL_REQUESTED || x->control.state == CTL_ACCEPTED))
		x->control.state = CTL_DONE;
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

static void apply_control_requested(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	(void)c;
	struct exec_control *k = &x->control;
	k->state = CTL_REQUESTED;
	k->command = ev->command;
	snprintf(k->request_id, sizeof k->request_id, "%s", ev->request_id ? ev->request_id : "");
	free(k->by);
	k->by = xstrdup(ev->by ? ev->by : "");
	free(k->reason);
	k->reason = ev->reason ? xstrdup(ev->reason) : NULL;
	k->requested_ms = ev->ts_ms;
	k->answered_ms = 0;
}

static void apply_control_replied(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	(void)c;
	struct exec_control *k = &x->control;
	if (k->state != CTL_REQUESTED || k->command != ev->command ||
	    (ev->request_id != NULL && strcmp(ev->request_id, k->request_id) != 0))
		return;
	k->state = ev->accepted == 1 ? CTL_ACCEPTED : CTL_REFUSED;
	k->answered_ms = ev->ts_ms;
	if (ev->reason != NULL)
		set_str(&k->reason, ev->reason);
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
	[EV_CONTROL_REQUESTED] = {apply_control_requested, false},
	[EV_CONTROL_REPLIED] = {apply_control_replied, false},
};

static bool is_execution_kind(enum proto_event_kind k)
{
	return k == EV_EXECUTION_QUEUED || k == EV_EXECUTION_STARTED || proto_event_is_terminal(k);
}

/* Which attempt the event belongs to: false when an earlier one (it then
 * changes nothing). A later one starts that attempt first. */
static bool attempt_current(struct exec *x, const struct proto_event *ev, struct exec_change *c)
{
	if (ev->attempt < 1)
		return true;
	uint32_t a = (uint32_t)ev->attempt;
	if (is_execution_kind(ev->kind)) {
		if (a < x->attempt)
			return false;
		if (a > x->attempt) {
			c->reopened = exec_status_finished(x->status);
			exec_reopen(x, a, ev->kind == EV_EXECUTION_QUEUED ? EXEC_QUEUED : EXEC_RUNNING);
		}
		return true;
	}
	if (c->step == NULL)
		return true;
	if (a < c->step->attempt)
		return false;
	if (a > c->step->attempt)
		exec_step_new_attempt(x, c->step, a);
	return true;
}

void exec_apply(struct exec *x, const struct proto_event *ev, struct exec_change *out)
{
	struct exec_change scratch;
	struct exec_change *c = out ? out : &scratch;
	memset(c, 0, sizeof *c);
	c->before = x->status;
	if ((unsigned)ev->kind >= EV__COUNT)
		return;
	if (apply_table[ev->kind].step) {
		bool known = exec_step_find(x, ev->step_id) != NULL;
		c->step = exec_step_get(x, ev->step_id, false);
		if (!known && c->step != NULL && ev->attempt > 0)
			c->step->attempt = (uint32_t)ev->attempt;
	}
	if (!attempt_current(x, ev, c)) {
		c->stale = true;
		c->step = NULL;
	} else {
		apply_table[ev->kind].fn(x, ev, c);
	}
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
