/* model_exec.c: the executions the console knows (list summaries) and the one
 * it shows in full, built from snapshots and events (see model.h).
 *
 * Invariants: every execution in m->execs is also in m->by_id under its id;
 * a step or execution status only moves forward (pending, running, then
 * completed or failed), so a resync from a poorer snapshot (a restarted
 * daemon that forgot the past) never loses what was already seen, and a step
 * is never listed twice because steps are keyed by id. */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model-internal.h"
#include "names.h"
#include "xalloc.h"

/* ---- names ------------------------------------------------------------------- */

static const char *const status_names[MS__COUNT] = {
	[MS_QUEUED] = "queued", [MS_RUNNING] = "running", [MS_COMPLETED] = "completed",
	[MS_FAILED] = "failed", [MS_CANCELLED] = "cancelled", [MS_STALE] = "stale",
};
static const char *const step_status_names[MSS__COUNT] = {
	[MSS_PENDING] = "pending", [MSS_RUNNING] = "running",
	[MSS_COMPLETED] = "completed", [MSS_FAILED] = "failed",
};
static const char *const level_names[MLL__COUNT] = {
	[MLL_DEBUG] = "debug", [MLL_INFO] = "info", [MLL_WARN] = "warn", [MLL_ERROR] = "error",
};

const char *model_status_name(enum model_status s)
{
	return (unsigned)s < MS__COUNT ? status_names[s] : "?";
}

int model_status_parse(const char *name, enum model_status *out)
{
	int i = names_find(status_names, MS__COUNT, name);
	if (i < 0 || i == MS_STALE)
		return -1;
	*out = (enum model_status)i;
	return 0;
}

int model_step_status_parse(const char *name, enum model_step_status *out)
{
	int i = names_find(step_status_names, MSS__COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum model_step_status)i;
	return 0;
}

bool model_status_finished(enum model_status s)
{
	return s == MS_COMPLETED || s == MS_FAILED || s == MS_CANCELLED;
}

/* How far along a status is: a status never moves to a lower rank. */
static int status_rank(enum model_status s)
{
	static const int rank[MS__COUNT] = {
		[MS_QUEUED] = 0, [MS_RUNNING] = 1, [MS_STALE] = 1,
		[MS_COMPLETED] = 2, [MS_FAILED] = 2, [MS_CANCELLED] = 2,
	};
	return rank[s];
}

static int step_rank(enum model_step_status s)
{
	static const int rank[MSS__COUNT] = {
		[MSS_PENDING] = 0, [MSS_RUNNING] = 1, [MSS_COMPLETED] = 2, [MSS_FAILED] = 2,
	};
	return rank[s];
}

/* ---- executions (summaries) ------------------------------------------------------ */

static void exec_clear(struct model_exec *x)
{
	free(x->error);
	free(x->steps);
	x->error = NULL;
	x->steps = NULL;
	x->nsteps = x->capsteps = 0;
}

static struct model_stepref *exec_stepref(struct model_exec *x, const char *id, bool create)
{
	if (id == NULL)
		return NULL;
	for (uint32_t i = 0; i < x->nsteps; i++)
		if (strcmp(x->steps[i].id, id) == 0)
			return &x->steps[i];
	if (!create || x->nsteps >= PROTO_MAX_STEPS)
		return NULL;
	if (x->nsteps == x->capsteps) {
		x->capsteps = x->capsteps ? x->capsteps * 2 : 8;
		x->steps = xrealloc(x->steps, sizeof *x->steps * x->capsteps);
	}
	struct model_stepref *s = &x->steps[x->nsteps++];
	memset(s, 0, sizeof *s);
	copy_str(s->id, sizeof s->id, id);
	if ((int)x->nsteps > x->steps_total)
		x->steps_total = (int)x->nsteps;
	return s;
}

/* Evicts the least recent finished execution (or the least recent of all). */
static void model_evict_one(struct model *m)
{
	size_t victim = SIZE_MAX;
	for (size_t i = 0; i < m->nexecs; i++) {
		struct model_exec *x = m->execs[i];
		bool fin = model_status_finished(x->status);
		if (victim == SIZE_MAX) {
			victim = i;
			continue;
		}
		struct model_exec *v = m->execs[victim];
		bool vfin = model_status_finished(v->status);
		if ((fin && !vfin) || (fin == vfin && x->order < v->order))
			victim = i;
	}
	if (victim == SIZE_MAX)
		return;
	struct model_exec *x = m->execs[victim];
	strmap_remove(&m->by_id, x->id);
	m->execs[victim] = m->execs[--m->nexecs];
	exec_clear(x);
	free(x);
}

static struct model_exec *model_exec_get(struct model *m, const char *id, const char *workflow_id)
{
	if (id == NULL || !proto_id_valid(id))
		return NULL;
	struct model_exec *x = strmap_get(&m->by_id, id);
	if (x != NULL)
		return x;
	while (m->nexecs >= MODEL_MAX_EXECUTIONS)
		model_evict_one(m);
	x = xcalloc(1, sizeof *x);
	copy_str(x->id, sizeof x->id, id);
	copy_str(x->workflow_id, sizeof x->workflow_id, workflow_id ? workflow_id : "");
	copy_str(x->workflow_name, sizeof x->workflow_name, workflow_id ? workflow_id : id);
	x->priority = PRIO_NORMAL;
	x->status = MS_QUEUED;
	x->order = ++m->next_order;
	if (m->nexecs == m->capexecs) {
		m->capexecs = m->capexecs ? m->capexecs * 2 : 64;
		m->execs = xrealloc(m->execs, sizeof *m->execs * m->capexecs);
	}
	m->execs[m->nexecs++] = x;
	strmap_put(&m->by_id, x->id, x);
	return x;
}

struct model_exec *model_exec_find(const struct model *m, const char *id)
{
	return strmap_get(&m->by_id, id);
}

static void exec_set_status(struct model_exec *x, enum model_status s)
{
	if (status_rank(s) >= status_rank(x->status) && !model_status_finished(x->status))
		x->status = s;
}

static void exec_pick_current(struct model_exec *x)
{
	x->current_step[0] = '\0';
	for (uint32_t i = 0; i < x->nsteps; i++)
		if (x->steps[i].status == MSS_RUNNING)
			copy_str(x->current_step, sizeof x->current_step, x->steps[i].id);
}

/* Moves a counted step to a new status, keeping the counts in step. */
static void exec_step_to(struct model_exec *x, const char *step_id, enum model_step_status to)
{
	struct model_stepref *s = exec_stepref(x, step_id, true);
	if (s == NULL || step_rank(to) < step_rank(s->status) || s->status == to)
		return;
	if (s->status == MSS_COMPLETED)
		x->steps_completed--;
	if (s->status == MSS_FAILED)
		x->steps_failed--;
	s->status = to;
	if (to == MSS_COMPLETED)
		x->steps_completed++;
	if (to == MSS_FAILED)
		x->steps_failed++;
	if (x->steps_completed > x->steps_total)
		x->steps_total = x->steps_completed;
	if (to == MSS_RUNNING)
		copy_str(x->current_step, sizeof x->current_step, step_id);
	else if (strcmp(x->current_step, step_id) == 0)
		exec_pick_current(x);
}

/* ---- the execution in full --------------------------------------------------------- */

static void step_init(struct model_step *s, const char *id)
{
	memset(s, 0, sizeof *s);
	copy_str(s->id, sizeof s->id, id);
	s->started_ms = s->finished_ms = 0;
	s->duration_ms = -1;
	s->cpu_percent = -1;
	s->memory_bytes = -1;
}

static void step_free_deps(struct model_step *s)
{
	for (uint32_t i = 0; i < s->ndepends; i++)
		free(s->depends_on[i]);
	free(s->depends_on);
	s->depends_on = NULL;
	s->ndepends = 0;
}

/* The plan's dependencies: a list given replaces the one held. */
static void step_set_deps(struct model_step *s, json_t *deps)
{
	size_t n = json_array_size(deps);
	/* A poorer snapshot (a restarted daemon that never saw the plan) sends []. */
	if (!json_is_array(deps) || (n == 0 && s->ndepends > 0))
		return;
	step_free_deps(s);
	if (n > PROTO_MAX_DEPS)
		n = PROTO_MAX_DEPS;
	s->depends_on = xcalloc(n ? n : 1, sizeof *s->depends_on);
	for (size_t i = 0; i < n; i++) {
		const char *id = json_string_value(json_array_get(deps, i));
		if (id != NULL && proto_id_valid(id))
			s->depends_on[s->ndepends++] = xstrdup(id);
	}
}

static void step_free(struct model_step *s)
{
	step_free_deps(s);
	free(s->name);
	free(s->progress_unit);
	free(s->progress_message);
	json_decref(s->input);
	json_decref(s->output);
	free(s->error);
	free(s->error_code);
	free(s->worker);
}

static void detail_clear(struct model_detail *d)
{
	for (uint32_t i = 0; i < d->nsteps; i++)
		step_free(&d->steps[i]);
	free(d->steps);
	for (uint32_t i = 0; i < d->log_count; i++)
		free(d->log[(d->log_head + i) % MODEL_LOG_LINES].text);
	exec_clear(&d->sum);
	free(d->error_code);
	free(d->worker);
	json_decref(d->params);
	memset(d, 0, sizeof *d);
}

struct model_step *model_detail_step(struct model_detail *d, const char *step_id)
{
	if (step_id == NULL)
		return NULL;
	for (uint32_t i = 0; i < d->nsteps; i++)
		if (strcmp(d->steps[i].id, step_id) == 0)
			return &d->steps[i];
	return NULL;
}

static struct model_step *detail_step(struct model_detail *d, const char *step_id)
{
	struct model_step *s = model_detail_step(d, step_id);
	if (s != NULL || step_id == NULL || !proto_id_valid(step_id) || d->nsteps >= PROTO_MAX_STEPS)
		return s;
	if (d->nsteps == d->capsteps) {
		d->capsteps = d->capsteps ? d->capsteps * 2 : 16;
		d->steps = xrealloc(d->steps, sizeof *d->steps * d->capsteps);
	}
	s = &d->steps[d->nsteps++];
	step_init(s, step_id);
	return s;
}

static void step_advance(struct model_step *s, enum model_step_status to)
{
	if (step_rank(to) >= step_rank(s->status))
		s->status = to;
}

static void detail_log_append(struct model_detail *d, enum model_log_kind kind,
			      enum model_log_level level, int64_t ts, const char *step_id,
			      const char *text)
{
	struct model_log_line *l;
	if (d->log_count == MODEL_LOG_LINES) {
		l = &d->log[d->log_head];
		free(l->text);
		d->log_head = (d->log_head + 1) % MODEL_LOG_LINES;
	} else {
		l = &d->log[(d->log_head + d->log_count) % MODEL_LOG_LINES];
		d->log_count++;
	}
	memset(l, 0, sizeof *l);
	l->kind = kind;
	l->level = level;
	l->ts_ms = ts;
	copy_str(l->step_id, sizeof l->step_id, step_id);
	l->text = text ? xstrdup(text) : NULL;
	d->log_total++;
}

const struct model_log_line *model_log_line(const struct model_detail *d, uint32_t i)
{
	if (i >= d->log_count)
		return NULL;
	return &d->log[(d->log_head + i) % MODEL_LOG_LINES];
}

static void step_usage(struct model_step *s, json_t *ev)
{
	int64_t v;
	if (jint(ev, "duration_ms", &v))
		s->duration_ms = v;
	json_t *cpu = json_object_get(ev, "cpu_percent");
	if (json_is_number(cpu))
		s->cpu_percent = json_number_value(cpu);
	if (jint(ev, "memory_bytes", &v))
		s->memory_bytes = v;
}

static void detail_counter(struct model_detail *d, const char *name, int64_t value)
{
	if (name == NULL)
		return;
	for (uint32_t i = 0; i < d->ncounters; i++) {
		if (strcmp(d->counters[i].name, name) == 0) {
			/* Running totals: a late, older total never lowers it. */
			if (value > d->counters[i].value)
				d->counters[i].value = value;
			return;
		}
	}
	if (d->ncounters < MODEL_COUNTERS) {
		copy_str(d->counters[d->ncounters].name, sizeof d->counters[0].name, name);
		d->counters[d->ncounters].value = value;
		d->ncounters++;
	}
}

/* ---- events, one function per kind ------------------------------------------------- */

/* Each event is applied twice over: to the summary (when it came through a
 * list room) and to the detail (when it came through the execution's room). */
struct apply_ctx {
	struct model *m;
	struct model_exec *x;          /* summary, or NULL */
	struct model_detail *d;        /* detail, or NULL */
	json_t *ev;
	int64_t ts;
	const char *step_id;
	unsigned changed;
};

typedef void (*apply_fn)(struct apply_ctx *c);

static void notice(struct apply_ctx *c, enum model_log_kind kind)
{
	if (c->x == NULL)
		return;
	struct model_notice *n = &c->m->notice;
	n->kind = kind;
	copy_str(n->execution_id, sizeof n->execution_id, c->x->id);
	copy_str(n->workflow_name, sizeof n->workflow_name, c->x->workflow_name);
	n->ts_ms = c->ts;
	n->serial++;
	c->changed |= MC_NOTICE;
}

static void summary_plan(struct model_exec *x, json_t *ev)
{
	const char *name = jstr(ev, "workflow_name");
	if (name != NULL)
		copy_str(x->workflow_name, sizeof x->workflow_name, name);
	proto_priority_parse(jstr(ev, "priority"), &x->priority);
	json_t *steps = json_object_get(ev, "steps");
	size_t i;
	json_t *s;
	json_array_foreach(steps, i, s) exec_stepref(x, jstr(s, "id"), true);
}

static void apply_queued(struct apply_ctx *c)
{
	if (c->x != NULL) {
		summary_plan(c->x, c->ev);
		c->x->queued_ms = c->ts;
	}
	if (c->d != NULL) {
		summary_plan(&c->d->sum, c->ev);
		c->d->sum.queued_ms = c->ts;
		set_json(&c->d->params, json_object_get(c->ev, "params"));
		json_t *steps = json_object_get(c->ev, "steps");
		size_t i;
		json_t *s;
		json_array_foreach(steps, i, s) {
			struct model_step *st = detail_step(c->d, jstr(s, "id"));
			if (st != NULL) {
				set_str(&st->name, jstr(s, "name"));
				step_set_deps(st, json_object_get(s, "depends_on"));
			}
		}
	}
}

static void apply_started(struct apply_ctx *c)
{
	if (c->x != NULL) {
		exec_set_status(c->x, MS_RUNNING);
		c->x->started_ms = c->ts;
		notice(c, MLOG_EXEC_STARTED);
	}
	if (c->d != NULL) {
		exec_set_status(&c->d->sum, MS_RUNNING);
		c->d->sum.started_ms = c->ts;
		set_str(&c->d->worker, jstr(c->ev, "worker"));
		detail_log_append(c->d, MLOG_EXEC_STARTED, MLL_INFO, c->ts, NULL, NULL);
	}
}

static void apply_step_started(struct apply_ctx *c)
{
	if (c->x != NULL) {
		exec_set_status(c->x, MS_RUNNING);
		if (c->x->started_ms == 0)
			c->x->started_ms = c->ts;
		exec_step_to(c->x, c->step_id, MSS_RUNNING);
	}
	if (c->d != NULL) {
		exec_set_status(&c->d->sum, MS_RUNNING);
		struct model_step *s = detail_step(c->d, c->step_id);
		if (s == NULL)
			return;
		step_advance(s, MSS_RUNNING);
		s->started_ms = c->ts;
		set_json(&s->input, json_object_get(c->ev, "input"));
		set_str(&s->worker, jstr(c->ev, "worker"));
		detail_log_append(c->d, MLOG_STEP_STARTED, MLL_INFO, c->ts, c->step_id, NULL);
	}
}

static void apply_step_progress(struct apply_ctx *c)
{
	if (c->d == NULL)
		return;
	struct model_step *s = detail_step(c->d, c->step_id);
	if (s == NULL)
		return;
	step_advance(s, MSS_RUNNING);
	if (s->started_ms == 0)
		s->started_ms = c->ts;
	jint(c->ev, "current", &s->progress_current);
	jint(c->ev, "total", &s->progress_total);
	set_str(&s->progress_unit, jstr(c->ev, "unit"));
	set_str(&s->progress_message, jstr(c->ev, "message"));
}

static void apply_step_completed(struct apply_ctx *c)
{
	if (c->x != NULL)
		exec_step_to(c->x, c->step_id, MSS_COMPLETED);
	if (c->d != NULL) {
		struct model_step *s = detail_step(c->d, c->step_id);
		if (s == NULL)
			return;
		step_advance(s, MSS_COMPLETED);
		s->finished_ms = c->ts;
		set_json(&s->output, json_object_get(c->ev, "output"));
		step_usage(s, c->ev);
		if (s->progress_total > 0)
			s->progress_current = s->progress_total;
		detail_log_append(c->d, MLOG_STEP_COMPLETED, MLL_INFO, c->ts, c->step_id, NULL);
	}
}

static void apply_step_failed(struct apply_ctx *c)
{
	if (c->x != NULL)
		exec_step_to(c->x, c->step_id, MSS_FAILED);
	if (c->d != NULL) {
		struct model_step *s = detail_step(c->d, c->step_id);
		if (s == NULL)
			return;
		step_advance(s, MSS_FAILED);
		s->finished_ms = c->ts;
		set_str(&s->error, jstr(c->ev, "error"));
		set_str(&s->error_code, jstr(c->ev, "error_code"));
		step_usage(s, c->ev);
		detail_log_append(c->d, MLOG_STEP_FAILED, MLL_ERROR, c->ts, c->step_id,
				  jstr(c->ev, "error"));
	}
}

static void apply_log(struct apply_ctx *c)
{
	if (c->d == NULL)
		return;
	int lvl = names_find(level_names, MLL__COUNT, jstr(c->ev, "level"));
	detail_log_append(c->d, MLOG_TEXT, lvl < 0 ? MLL_INFO : (enum model_log_level)lvl, c->ts,
			  c->step_id, jstr(c->ev, "message"));
}

static void apply_counter(struct apply_ctx *c)
{
	int64_t v = 0;
	if (c->d != NULL && jint(c->ev, "value", &v))
		detail_counter(c->d, jstr(c->ev, "name"), v);
}

static void apply_resource(struct apply_ctx *c)
{
	(void)c;
}

static void finish(struct apply_ctx *c, enum model_status st, enum model_log_kind kind,
		   const char *text)
{
	struct model_exec *targets[2] = { c->x, c->d ? &c->d->sum : NULL };
	for (int i = 0; i < 2; i++) {
		struct model_exec *x = targets[i];
		if (x == NULL)
			continue;
		exec_set_status(x, st);
		x->finished_ms = c->ts;
		if (text != NULL && x->error == NULL)
			x->error = xstrdup(text);
		x->current_step[0] = '\0';
	}
	if (c->x != NULL)
		notice(c, kind);
	if (c->d != NULL) {
		/* A step still running when the execution ended will not finish. */
		for (uint32_t i = 0; i < c->d->nsteps && st != MS_COMPLETED; i++)
			if (c->d->steps[i].status == MSS_RUNNING)
				c->d->steps[i].status = MSS_FAILED;
		detail_log_append(c->d, kind, st == MS_COMPLETED ? MLL_INFO : MLL_ERROR, c->ts, NULL,
				  text);
	}
}

static void apply_completed(struct apply_ctx *c)
{
	finish(c, MS_COMPLETED, MLOG_EXEC_COMPLETED, NULL);
}

static void apply_failed(struct apply_ctx *c)
{
	if (c->d != NULL)
		set_str(&c->d->error_code, jstr(c->ev, "error_code"));
	finish(c, MS_FAILED, MLOG_EXEC_FAILED, jstr(c->ev, "error"));
}

static void apply_cancelled(struct apply_ctx *c)
{
	finish(c, MS_CANCELLED, MLOG_EXEC_CANCELLED, jstr(c->ev, "reason"));
}

static const apply_fn apply_table[EV__COUNT] = {
	[EV_EXECUTION_QUEUED] = apply_queued,
	[EV_EXECUTION_STARTED] = apply_started,
	[EV_STEP_STARTED] = apply_step_started,
	[EV_STEP_PROGRESS] = apply_step_progress,
	[EV_STEP_COMPLETED] = apply_step_completed,
	[EV_STEP_FAILED] = apply_step_failed,
	[EV_LOG] = apply_log,
	[EV_COUNTER] = apply_counter,
	[EV_RESOURCE_SAMPLE] = apply_resource,
	[EV_EXECUTION_COMPLETED] = apply_completed,
	[EV_EXECUTION_FAILED] = apply_failed,
	[EV_EXECUTION_CANCELLED] = apply_cancelled,
};

/* ---- snapshots ------------------------------------------------------------------- */

/* Merges one summary object into the model (rooms org and queue, and the
 * detail's own summary). Counts and statuses only move forward. */
static void summary_merge(struct model_exec *x, json_t *s, int64_t now_ms)
{
	copy_str(x->workflow_id, sizeof x->workflow_id, jstr(s, "workflow_id"));
	copy_str(x->workflow_name, sizeof x->workflow_name, jstr(s, "workflow_name"));
	proto_priority_parse(jstr(s, "priority"), &x->priority);
	enum model_status st;
	if (model_status_parse(jstr(s, "status"), &st) == 0)
		exec_set_status(x, st);
	x->queued_ms = max64(x->queued_ms, jtime(s, "queued_at"));
	x->started_ms = max64(x->started_ms, jtime(s, "started_at"));
	x->finished_ms = max64(x->finished_ms, jtime(s, "finished_at"));
	int64_t last = jtime(s, "last_event_at");
	if (last > x->last_event_ms) {
		x->last_event_ms = last;
		/* We learn of activity we did not see arrive: date it no later than now. */
		int64_t seen = last < now_ms ? last : now_ms;
		if (seen > x->received_ms)
			x->received_ms = seen;
	}
	if (x->error == NULL && jstr(s, "error") != NULL)
		x->error = xstrdup(jstr(s, "error"));
	int64_t v;
	if (jint(s, "steps_total", &v) && v > x->steps_total)
		x->steps_total = (int)v;
	if (jint(s, "steps_completed", &v) && v > x->steps_completed)
		x->steps_completed = (int)v;
	if (jint(s, "steps_failed", &v) && v > x->steps_failed)
		x->steps_failed = (int)v;
	const char *cur = jstr(s, "current_step");
	if (x->status == MS_RUNNING && cur != NULL)
		copy_str(x->current_step, sizeof x->current_step, cur);
	if (model_status_finished(x->status))
		x->current_step[0] = '\0';
}

unsigned model_exec_snapshot_list(struct model *m, json_t *list, int64_t now_ms)
{
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) {
		struct model_exec *x = model_exec_get(m, jstr(s, "id"), jstr(s, "workflow_id"));
		if (x != NULL)
			summary_merge(x, s, now_ms);
	}
	return MC_LIST;
}

static void detail_step_merge(struct model_detail *d, json_t *js)
{
	struct model_step *s = detail_step(d, jstr(js, "id"));
	if (s == NULL)
		return;
	const char *name = jstr(js, "name");
	/* The daemon names a step by its id when it never saw the plan. */
	if (name != NULL && (s->name == NULL || strcmp(name, s->id) != 0))
		set_str(&s->name, name);
	enum model_step_status st;
	if (model_step_status_parse(jstr(js, "status"), &st) == 0)
		step_advance(s, st);
	s->started_ms = max64(s->started_ms, jtime(js, "started_at"));
	s->finished_ms = max64(s->finished_ms, jtime(js, "finished_at"));
	step_usage(s, js);
	json_t *p = json_object_get(js, "progress");
	if (json_is_object(p)) {
		jint(p, "current", &s->progress_current);
		jint(p, "total", &s->progress_total);
		set_str(&s->progress_unit, jstr(p, "unit"));
		set_str(&s->progress_message, jstr(p, "message"));
	}
	set_json(&s->input, json_object_get(js, "input"));
	set_json(&s->output, json_object_get(js, "output"));
	set_str(&s->error, jstr(js, "error"));
	set_str(&s->error_code, jstr(js, "error_code"));
	set_str(&s->worker, jstr(js, "worker"));
	step_set_deps(s, json_object_get(js, "depends_on"));
}

unsigned model_exec_snapshot_detail(struct model *m, json_t *x, int64_t now_ms)
{
	struct model_detail *d = &m->detail;
	bool first = !d->loaded;
	d->loaded = true;
	if (!json_is_object(x)) {
		d->missing = d->nsteps == 0;
		return MC_DETAIL;
	}
	d->missing = false;
	summary_merge(&d->sum, x, now_ms);
	set_str(&d->error_code, jstr(x, "error_code"));
	set_str(&d->worker, jstr(x, "worker"));
	set_json(&d->params, json_object_get(x, "params"));
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(x, "steps"), i, v) detail_step_merge(d, v);
	const char *key;
	json_object_foreach(json_object_get(x, "counters"), key, v)
		if (json_is_integer(v))
			detail_counter(d, key, (int64_t)json_integer_value(v));
	/* Log lines: all of them the first time; after a resync only those newer
	 * than what we hold, so no line shows twice. */
	int64_t newest = 0;
	for (uint32_t k = 0; k < d->log_count; k++)
		newest = max64(newest, model_log_line(d, k)->ts_ms);
	json_array_foreach(json_object_get(x, "log"), i, v) {
		int64_t ts = jtime(v, "ts");
		if (!first && ts <= newest)
			continue;
		int lvl = names_find(level_names, MLL__COUNT, jstr(v, "level"));
		detail_log_append(d, MLOG_TEXT, lvl < 0 ? MLL_INFO : (enum model_log_level)lvl, ts,
				  jstr(v, "step_id"), jstr(v, "message"));
	}
	return MC_DETAIL;
}

unsigned model_exec_on_event(struct model *m, const char *room, json_t *ev, int64_t now_ms)
{
	enum proto_event_kind kind;
	if (proto_event_kind_parse(jstr(ev, "type"), &kind) != 0)
		return MC_NONE;
	const char *xid = jstr(ev, "execution_id");
	struct apply_ctx c = { .m = m, .ev = ev, .ts = jtime(ev, "ts"), .step_id = jstr(ev, "step_id") };
	bool detail_room = model_room_execution_id(room) != NULL;
	if (detail_room) {
		if (xid == NULL || strcmp(xid, m->detail.id) != 0)
			return MC_NONE;
		c.d = &m->detail;
		c.d->loaded = true;
		c.d->missing = false;
		if (c.ts > c.d->sum.last_event_ms)
			c.d->sum.last_event_ms = c.ts;
		c.d->sum.received_ms = now_ms;
		c.changed |= MC_DETAIL;
	} else {
		c.x = model_exec_get(m, xid, jstr(ev, "workflow_id"));
		if (c.x == NULL)
			return MC_NONE;
		c.x->order = ++m->next_order;
		if (c.ts > c.x->last_event_ms)
			c.x->last_event_ms = c.ts;
		c.x->received_ms = now_ms;
		c.changed |= MC_LIST;
	}
	/* The queue room repeats the org room's execution-level events: applying
	 * them again is harmless (they set states), but notices come from one room. */
	if (strcmp(room, "queue") == 0 && model_room_find(m, "org") != NULL) {
		struct model_notice saved = m->notice;
		apply_table[kind](&c);
		m->notice = saved;
		c.changed &= ~(unsigned)MC_NOTICE;
	} else {
		apply_table[kind](&c);
	}
	m->events++;
	return c.changed;
}

/* ---- queries ---------------------------------------------------------------------------- */

int64_t model_exec_activity_ms(const struct model_exec *x)
{
	return x->received_ms ? x->received_ms : x->last_event_ms;
}

enum model_status model_exec_status(const struct model_exec *x, int64_t now_ms, int64_t stale_after_ms)
{
	if (x->status != MS_RUNNING || stale_after_ms <= 0)
		return x->status;
	int64_t last = model_exec_activity_ms(x);
	if (last > 0 && now_ms - last > stale_after_ms)
		return MS_STALE;
	return x->status;
}

int64_t model_exec_duration_ms(const struct model_exec *x, int64_t now_ms)
{
	int64_t start = x->started_ms ? x->started_ms : x->queued_ms;
	if (start <= 0)
		return -1;
	int64_t end = model_status_finished(x->status) ? x->finished_ms : now_ms;
	if (end <= 0)
		end = x->last_event_ms;
	return end > start ? end - start : 0;
}

int model_exec_percent(const struct model_exec *x)
{
	if (x->steps_total <= 0)
		return x->status == MS_COMPLETED ? 100 : 0;
	int p = (int)((int64_t)x->steps_completed * 100 / x->steps_total);
	return p > 100 ? 100 : p < 0 ? 0 : p;
}

void model_counts(const struct model *m, int64_t now_ms, int64_t stale_after_ms,
		  struct model_counts *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < m->nexecs; i++) {
		switch (model_exec_status(m->execs[i], now_ms, stale_after_ms)) {
		case MS_RUNNING: out->running++; break;
		case MS_STALE: out->stale++; break;
		case MS_FAILED: out->failed++; break;
		case MS_QUEUED: out->queued++; break;
		case MS_COMPLETED: out->completed++; break;
		default: break;
		}
	}
	out->alerts = model_alerts_open(m);
}

/* ---- life cycle ---------------------------------------------------------------------- */

void model_exec_detail_follow(struct model *m, const char *xid)
{
	if (strcmp(m->detail.id, xid) != 0) {
		detail_clear(&m->detail);
		copy_str(m->detail.id, sizeof m->detail.id, xid);
		copy_str(m->detail.sum.id, sizeof m->detail.sum.id, xid);
		m->detail.sum.priority = PRIO_NORMAL;
		/* Show what the list knows until the snapshot comes. */
		struct model_exec *x = model_exec_find(m, xid);
		if (x != NULL) {
			copy_str(m->detail.sum.workflow_id, sizeof m->detail.sum.workflow_id, x->workflow_id);
			copy_str(m->detail.sum.workflow_name, sizeof m->detail.sum.workflow_name,
				 x->workflow_name);
			m->detail.sum.status = x->status;
			m->detail.sum.priority = x->priority;
			m->detail.sum.started_ms = x->started_ms;
		}
	}
}

void model_exec_detail_forget(struct model *m, const char *xid)
{
	if (strcmp(m->detail.id, xid) == 0)
		detail_clear(&m->detail);
}

void model_exec_clear_all(struct model *m)
{
	for (size_t i = 0; i < m->nexecs; i++) {
		exec_clear(m->execs[i]);
		free(m->execs[i]);
	}
	free(m->execs);
	m->execs = NULL;
	m->nexecs = m->capexecs = 0;
	strmap_clear(&m->by_id);
	detail_clear(&m->detail);
}
