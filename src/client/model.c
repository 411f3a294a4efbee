/* model.c: the console's state, built from the daemon's messages (see model.h).
 *
 * Invariants: every execution in m->execs is also in m->by_id under its id;
 * a room's position moves forward except when a fresh snapshot resets it;
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

#include "base64.h"
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
static const char *const sort_names[SORT__COUNT] = {
	[SORT_ACTIVITY] = "activity", [SORT_WORKFLOW] = "workflow", [SORT_STATUS] = "status",
	[SORT_PROGRESS] = "progress", [SORT_DURATION] = "duration", [SORT_PRIORITY] = "priority",
	[SORT_ID] = "id",
};

const char *model_status_name(enum model_status s)
{
	return (unsigned)s < MS__COUNT ? status_names[s] : "?";
}

const char *model_sort_name(enum model_sort s)
{
	return (unsigned)s < SORT__COUNT ? sort_names[s] : "?";
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

/* ---- JSON helpers ---------------------------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool jint(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

static int64_t jtime(json_t *o, const char *key)
{
	int64_t ms;
	const char *s = jstr(o, key);
	if (s == NULL || proto_time_parse(s, &ms) != 0)
		return 0;
	return ms;
}

static void copy_str(char *dst, size_t len, const char *src)
{
	if (src != NULL)
		snprintf(dst, len, "%s", src);
}

static void set_str(char **dst, const char *src)
{
	if (src == NULL)
		return;
	free(*dst);
	*dst = xstrdup(src);
}

static void set_json(json_t **dst, json_t *src)
{
	if (src == NULL || json_is_null(src))
		return;
	json_decref(*dst);
	*dst = json_incref(src);
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
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

static unsigned snapshot_list(struct model *m, json_t *list, int64_t now_ms)
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

static unsigned snapshot_detail(struct model *m, json_t *x, int64_t now_ms)
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

/* ---- alerts ------------------------------------------------------------------------ */

static const char *const severity_names[MSEV__COUNT] = {
	[MSEV_INFO] = "info", [MSEV_WARNING] = "warning", [MSEV_ERROR] = "error",
	[MSEV_CRITICAL] = "critical",
};
static const char *const alert_state_names[MAS__COUNT] = {
	[MAS_ACTIVE] = "active", [MAS_ACKNOWLEDGED] = "acknowledged", [MAS_RESOLVED] = "resolved",
};

int model_severity_parse(const char *name, enum model_severity *out)
{
	int i = names_find(severity_names, MSEV__COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum model_severity)i;
	return 0;
}

static void alert_clear(struct model_alert *a)
{
	free(a->title);
	free(a->body);
	free(a->ack_note);
	free(a->resolve_note);
	json_decref(a->context);
	json_decref(a->deliveries);
	memset(a, 0, sizeof *a);
}

static void alerts_clear(struct model *m)
{
	for (size_t i = 0; i < m->nalerts; i++)
		alert_clear(&m->alerts[i]);
	m->nalerts = 0;
}

static char *str_or_null_dup(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* Fills *a from a record; false when the record has no usable id. */
static bool alert_parse(json_t *j, struct model_alert *a)
{
	json_t *id = json_object_get(j, "id");
	if (!json_is_integer(id) || json_integer_value(id) <= 0)
		return false;
	memset(a, 0, sizeof *a);
	a->id = (int64_t)json_integer_value(id);
	copy_str(a->rule_id, sizeof a->rule_id, jstr(j, "rule_id"));
	copy_str(a->rule_name, sizeof a->rule_name, jstr(j, "rule_name"));
	copy_str(a->workflow_id, sizeof a->workflow_id, jstr(j, "workflow_id"));
	copy_str(a->execution_id, sizeof a->execution_id, jstr(j, "execution_id"));
	enum model_severity sev = MSEV_ERROR;
	model_severity_parse(jstr(j, "severity"), &sev);
	a->severity = sev;
	int st = names_find(alert_state_names, MAS__COUNT, jstr(j, "state"));
	a->state = st < 0 ? MAS_ACTIVE : (enum model_alert_state)st;
	a->title = xstrdup(jstr(j, "title") ? jstr(j, "title") : "");
	a->body = xstrdup(jstr(j, "body") ? jstr(j, "body") : "");
	a->ack_note = str_or_null_dup(jstr(j, "ack_note"));
	a->resolve_note = str_or_null_dup(jstr(j, "resolve_note"));
	copy_str(a->acknowledged_by, sizeof a->acknowledged_by, jstr(j, "acknowledged_by"));
	copy_str(a->resolved_by, sizeof a->resolved_by, jstr(j, "resolved_by"));
	a->triggered_ms = jtime(j, "triggered_at");
	a->acknowledged_ms = jtime(j, "acknowledged_at");
	a->resolved_ms = jtime(j, "resolved_at");
	a->escalated_ms = jtime(j, "escalated_at");
	if (!jint(j, "escalations", &a->escalations))
		a->escalations = 0;
	a->bell = json_is_true(json_object_get(j, "bell"));
	json_t *ctx = json_object_get(j, "context");
	a->context = json_is_object(ctx) ? json_incref(ctx) : json_object();
	json_t *dl = json_object_get(j, "deliveries");
	a->deliveries = json_is_array(dl) ? json_incref(dl) : json_array();
	return true;
}

/* Open (active, acknowledged) before resolved; newest first; then by id. */
static int alert_cmp(const void *pa, const void *pb)
{
	const struct model_alert *a = pa, *b = pb;
	bool ra = a->state == MAS_RESOLVED, rb = b->state == MAS_RESOLVED;
	if (ra != rb)
		return ra ? 1 : -1;
	if (a->triggered_ms != b->triggered_ms)
		return a->triggered_ms > b->triggered_ms ? -1 : 1;
	return a->id > b->id ? -1 : a->id < b->id ? 1 : 0;
}

static void alerts_sort(struct model *m)
{
	qsort(m->alerts, m->nalerts, sizeof m->alerts[0], alert_cmp);
}

struct model_alert *model_alert_find(struct model *m, int64_t id)
{
	for (size_t i = 0; i < m->nalerts; i++)
		if (m->alerts[i].id == id)
			return &m->alerts[i];
	return NULL;
}

int model_alerts_open(const struct model *m)
{
	int n = 0;
	for (size_t i = 0; i < m->nalerts; i++)
		n += m->alerts[i].state != MAS_RESOLVED;
	return n;
}

static void banner_set(struct model *m, const struct model_alert *a)
{
	m->banner.alert_id = a->id;
	copy_str(m->banner.title, sizeof m->banner.title, a->title);
}

/* The banner follows its alert: gone once it is no longer active and critical. */
static unsigned banner_follow(struct model *m)
{
	if (m->banner.alert_id == 0)
		return MC_NONE;
	const struct model_alert *a = model_alert_find(m, m->banner.alert_id);
	if (a != NULL && a->state == MAS_ACTIVE && a->severity == MSEV_CRITICAL) {
		copy_str(m->banner.title, sizeof m->banner.title, a->title);
		return MC_NONE;
	}
	m->banner.alert_id = 0;
	return MC_BANNER;
}

void model_banner_dismiss(struct model *m)
{
	if (m->banner.alert_id != 0)
		m->banner.dismissed_id = m->banner.alert_id;
	m->banner.alert_id = 0;
}

bool model_banner_take_bell(struct model *m)
{
	bool b = m->banner.bell;
	m->banner.bell = false;
	return b;
}

/* A snapshot replaces the list. The banner shows the newest active critical
 * alert not dismissed, without the bell: it is not news. */
static unsigned snapshot_alerts(struct model *m, json_t *list)
{
	alerts_clear(m);
	size_t i;
	json_t *j;
	json_array_foreach(list, i, j) {
		if (m->nalerts >= MODEL_MAX_ALERTS)
			break;
		if (alert_parse(j, &m->alerts[m->nalerts]))
			m->nalerts++;
	}
	alerts_sort(m);
	unsigned changed = MC_ALERTS | banner_follow(m);
	if (m->banner.alert_id == 0) {
		for (size_t k = 0; k < m->nalerts; k++) {
			const struct model_alert *a = &m->alerts[k];
			if (a->state == MAS_ACTIVE && a->severity == MSEV_CRITICAL && a->id != m->banner.dismissed_id) {
				banner_set(m, a);
				changed |= MC_BANNER;
				break;
			}
		}
	}
	return changed;
}

/* Where a new record goes when the list is full: the oldest resolved one,
 * else the oldest of all (the list is sorted, so the last). */
static struct model_alert *alert_slot(struct model *m)
{
	if (m->nalerts < MODEL_MAX_ALERTS)
		return &m->alerts[m->nalerts++];
	struct model_alert *last = &m->alerts[m->nalerts - 1];
	alert_clear(last);
	return last;
}

/* A live record: replaces the one with its id, or joins the list. A new
 * critical alert, or one that became critical, raises the banner; a new
 * active alert whose rule wants the bell asks for it once. */
static unsigned on_alert(struct model *m, json_t *msg)
{
	struct model_alert rec;
	if (!alert_parse(json_object_get(msg, "alert"), &rec))
		return MC_NONE;
	struct model_alert *a = model_alert_find(m, rec.id);
	bool was_critical = a != NULL && a->severity == MSEV_CRITICAL;
	if (a == NULL && rec.bell && rec.state == MAS_ACTIVE)
		m->banner.bell = true;
	if (a != NULL)
		alert_clear(a);
	else
		a = alert_slot(m);
	*a = rec;
	unsigned changed = MC_ALERTS;
	if (rec.state == MAS_ACTIVE && rec.severity == MSEV_CRITICAL && !was_critical) {
		banner_set(m, &rec);
		changed |= MC_BANNER;
	}
	alerts_sort(m);
	return changed | banner_follow(m);
}

/* ---- rules --------------------------------------------------------------------------- */

static unsigned on_rules(struct model *m, json_t *msg)
{
	json_t *list = json_object_get(msg, "rules");
	if (!json_is_array(list))
		return MC_NONE;
	json_decref(m->rules.list);
	m->rules.list = json_incref(list);
	m->rules.loaded = true;
	m->rules.serial++;
	return MC_RULES;
}

/* ---- queue numbers, resources, step statistics ------------------------------------- */

static bool jnum(json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_number(v))
		return false;
	*out = json_number_value(v);
	return true;
}

/* A whole number (a real is rounded: the store sends averages as reals), or
 * dflt when absent, null or not a number. */
static int64_t jint_or(json_t *o, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		return (int64_t)json_integer_value(v);
	if (json_is_real(v) && json_real_value(v) > -9e18 && json_real_value(v) < 9e18)
		return (int64_t)llround(json_real_value(v));
	return dflt;
}

static double jnum_or(json_t *o, const char *key, double dflt)
{
	double v;
	return jnum(o, key, &v) ? v : dflt;
}

static unsigned queue_numbers(struct model *m, json_t *n, int64_t now_ms)
{
	if (!json_is_object(n))
		return MC_NONE;
	struct model_queue *q = &m->queue;
	q->loaded = true;
	q->received_ms = now_ms;
	q->depth = jint_or(n, "depth", 0);
	json_t *bp = json_object_get(n, "by_priority");
	for (int p = 0; p < PRIO__COUNT; p++)
		q->by_priority[p] = jint_or(bp, proto_priority_name((enum proto_priority)p), 0);
	q->untracked = jint_or(n, "untracked", 0);
	json_t *old = json_object_get(n, "oldest");
	q->has_oldest = json_is_object(old) && jstr(old, "execution_id") != NULL;
	q->oldest_id[0] = '\0';
	q->oldest_queued_ms = q->oldest_age_ms = 0;
	if (q->has_oldest) {
		copy_str(q->oldest_id, sizeof q->oldest_id, jstr(old, "execution_id"));
		q->oldest_queued_ms = jint_or(old, "queued_ms", 0);
		q->oldest_age_ms = jint_or(old, "age_ms", 0);
	}
	q->avg_wait_ms = jint_or(n, "avg_wait_ms", -1);
	q->wait_samples = jint_or(n, "wait_samples", 0);
	q->finished_in_window = jint_or(n, "finished_in_window", 0);
	q->rate_per_min = jnum_or(n, "rate_per_min", 0);
	q->eta_ms = jint_or(n, "eta_ms", -1);
	q->backlog = json_is_true(json_object_get(n, "backlog"));
	q->threshold = jint_or(n, "threshold", 0);
	return MC_QUEUE;
}

static void queue_push(struct model_queue *q, uint32_t v)
{
	if (q->hist_count == MODEL_DEPTH_HISTORY) {
		q->history[q->hist_head] = v;
		q->hist_head = (q->hist_head + 1) % MODEL_DEPTH_HISTORY;
	} else {
		q->history[(q->hist_head + q->hist_count) % MODEL_DEPTH_HISTORY] = v;
		q->hist_count++;
	}
}

static unsigned snapshot_queue(struct model *m, json_t *snap, int64_t now_ms)
{
	unsigned changed = snapshot_list(m, json_object_get(snap, "queued"), now_ms);
	changed |= queue_numbers(m, json_object_get(snap, "numbers"), now_ms);
	json_t *hist = json_object_get(snap, "depth_history");
	if (json_is_array(hist)) {
		struct model_queue *q = &m->queue;
		q->hist_head = q->hist_count = 0;
		size_t n = json_array_size(hist);
		size_t first = n > MODEL_DEPTH_HISTORY ? n - MODEL_DEPTH_HISTORY : 0;
		for (size_t i = first; i < n; i++) {
			json_int_t v = json_integer_value(json_array_get(hist, i));
			queue_push(q, v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v);
		}
		q->hist_last_ms = now_ms;
		changed |= MC_QUEUE;
	}
	return changed;
}

bool model_queue_tick(struct model *m, int64_t now_ms)
{
	struct model_queue *q = &m->queue;
	if (!q->loaded)
		return false;
	if (q->hist_last_ms == 0 || now_ms < q->hist_last_ms) {
		/* First point, or our clock went back: start counting from here. */
		queue_push(q, (uint32_t)(q->depth < 0 ? 0 : q->depth));
		q->hist_last_ms = now_ms;
		return true;
	}
	int64_t secs = (now_ms - q->hist_last_ms) / 1000;
	if (secs <= 0)
		return false;
	if (secs > MODEL_DEPTH_HISTORY)
		secs = MODEL_DEPTH_HISTORY;
	for (int64_t i = 0; i < secs; i++)
		queue_push(q, (uint32_t)(q->depth < 0 ? 0 : q->depth));
	q->hist_last_ms += secs * 1000;
	if (now_ms - q->hist_last_ms >= 1000)   /* after a long sleep */
		q->hist_last_ms = now_ms;
	return true;
}

uint32_t model_queue_history(const struct model_queue *q, uint32_t i)
{
	if (i >= q->hist_count)
		return 0;
	return q->history[(q->hist_head + i) % MODEL_DEPTH_HISTORY];
}

int64_t model_queue_oldest_age(const struct model_queue *q, int64_t now_ms)
{
	if (!q->has_oldest)
		return -1;
	int64_t age = q->oldest_queued_ms > 0 ? now_ms - q->oldest_queued_ms
					      : q->oldest_age_ms + (now_ms - q->received_ms);
	return age > 0 ? age : 0;
}

static int queue_cmp(const void *pa, const void *pb)
{
	const struct model_exec *a = *(struct model_exec *const *)pa;
	const struct model_exec *b = *(struct model_exec *const *)pb;
	if (a->queued_ms != b->queued_ms)
		return a->queued_ms < b->queued_ms ? -1 : 1;
	return strcmp(a->id, b->id);
}

void model_queue_list(const struct model *m, struct model_list *out)
{
	if (out->cap < m->nexecs) {
		out->cap = m->nexecs + 64;
		out->items = xrealloc(out->items, sizeof *out->items * out->cap);
	}
	out->n = 0;
	for (size_t i = 0; i < m->nexecs; i++)
		if (m->execs[i]->status == MS_QUEUED)
			out->items[out->n++] = m->execs[i];
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, queue_cmp);
}

static void res_sample_parse(json_t *r, struct model_res_sample *out)
{
	memset(out, 0, sizeof *out);
	out->at_ms = jtime(r, "at");
	json_t *host = json_object_get(r, "host");
	out->host_cpu = jnum_or(host, "cpu_percent", -1);
	out->mem_total = jint_or(host, "mem_total_bytes", -1);
	out->mem_available = jint_or(host, "mem_available_bytes", -1);
	json_t *load = json_object_get(host, "load");
	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_array_get(load, i);
		out->load[i] = json_is_number(v) ? json_number_value(v) : -1;
	}
	json_t *d = json_object_get(r, "daemon");
	out->daemon_cpu = jnum_or(d, "cpu_percent", -1);
	out->daemon_rss = jint_or(d, "rss_bytes", -1);
	json_t *db = json_object_get(r, "database");
	copy_str(out->db_state, sizeof out->db_state, jstr(db, "state"));
	out->db_active = jint_or(db, "active", -1);
	out->db_idle = jint_or(db, "idle", -1);
	out->db_total = jint_or(db, "total", -1);
	out->db_max = jint_or(db, "max", -1);
	out->ws_connections = jint_or(json_object_get(r, "websocket"), "connections", -1);
	json_t *eps = json_object_get(r, "events_per_s");
	out->events_in = jnum_or(eps, "in", -1);
	out->events_out = jnum_or(eps, "out", -1);
	out->queue_depth = jint_or(r, "queue_depth", -1);
	out->cpu_threshold = jnum_or(r, "cpu_threshold", -1);
	out->warning = json_is_true(json_object_get(r, "warning"));
}

static void res_push(struct model_resources *r, const struct model_res_sample *smp)
{
	if (r->hist_count == MODEL_RES_HISTORY) {
		r->history[r->hist_head] = *smp;
		r->hist_head = (r->hist_head + 1) % MODEL_RES_HISTORY;
	} else {
		r->history[(r->hist_head + r->hist_count) % MODEL_RES_HISTORY] = *smp;
		r->hist_count++;
	}
}

const struct model_res_sample *model_res_history(const struct model_resources *r, uint32_t i)
{
	if (i >= r->hist_count)
		return NULL;
	return &r->history[(r->hist_head + i) % MODEL_RES_HISTORY];
}

/* The current sample and its top consumers; also the history's newest point
 * unless it is the same sample again. */
static void res_current(struct model_resources *r, json_t *data, bool append)
{
	if (!json_is_object(data))
		return;
	res_sample_parse(data, &r->current);
	r->has_current = true;
	r->ntop = 0;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(data, "top_consumers"), i, c) {
		if (r->ntop >= MODEL_TOP_CONSUMERS)
			break;
		struct model_consumer *t = &r->top[r->ntop++];
		memset(t, 0, sizeof *t);
		copy_str(t->workflow_id, sizeof t->workflow_id, jstr(c, "workflow_id"));
		t->cpu_percent = jnum_or(c, "cpu_percent", 0);
		t->memory_bytes = jint_or(c, "memory_bytes", 0);
		t->executions = jint_or(c, "executions", 0);
	}
	if (!append)
		return;
	const struct model_res_sample *last =
		r->hist_count ? model_res_history(r, r->hist_count - 1) : NULL;
	if (last == NULL || last->at_ms != r->current.at_ms || r->current.at_ms == 0)
		res_push(r, &r->current);
}

static unsigned res_worker(struct model *m, json_t *ev)
{
	struct model_resources *r = &m->res;
	const char *name = jstr(ev, "worker");
	if (name == NULL)
		return MC_NONE;
	struct model_worker *w = NULL;
	for (uint32_t i = 0; i < r->nworkers && w == NULL; i++)
		if (strcmp(r->workers[i].name, name) == 0)
			w = &r->workers[i];
	if (w == NULL) {
		if (r->nworkers < MODEL_MAX_WORKERS) {
			w = &r->workers[r->nworkers++];
		} else {
			/* Full: the worker heard from least recently makes room. */
			w = &r->workers[0];
			for (uint32_t i = 1; i < r->nworkers; i++)
				if (r->workers[i].ts_ms < w->ts_ms)
					w = &r->workers[i];
		}
		memset(w, 0, sizeof *w);
		copy_str(w->name, sizeof w->name, name);
	}
	int64_t ts = jtime(ev, "ts");
	if (ts < w->ts_ms)
		return MC_NONE;   /* an older sample than the one held */
	w->ts_ms = ts;
	copy_str(w->execution_id, sizeof w->execution_id, jstr(ev, "execution_id") ? jstr(ev, "execution_id") : "");
	copy_str(w->step_id, sizeof w->step_id, jstr(ev, "step_id") ? jstr(ev, "step_id") : "");
	w->cpu_percent = jnum_or(ev, "cpu_percent", -1);
	w->memory_bytes = jint_or(ev, "memory_bytes", -1);
	return MC_RESOURCES;
}

static unsigned snapshot_resources(struct model *m, json_t *snap)
{
	struct model_resources *r = &m->res;
	r->loaded = true;
	r->nworkers = 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(snap, "workers"), i, v) res_worker(m, v);
	r->hist_head = r->hist_count = 0;
	json_array_foreach(json_object_get(snap, "history"), i, v) {
		if (!json_is_object(v))
			continue;
		struct model_res_sample smp;
		res_sample_parse(v, &smp);
		res_push(r, &smp);
	}
	json_t *d = json_object_get(snap, "daemon");
	if (json_is_object(d)) {
		res_current(r, d, true);
	} else if (r->hist_count > 0) {
		r->current = *model_res_history(r, r->hist_count - 1);
		r->has_current = true;
		r->ntop = 0;
	} else {
		r->has_current = false;
		r->ntop = 0;
	}
	return MC_RESOURCES;
}

static unsigned on_stats(struct model *m, struct model_room *r, json_t *msg, int64_t now_ms)
{
	json_t *data = json_object_get(msg, "data");
	if (!json_is_object(data))
		return MC_NONE;
	if (strcmp(r->name, "queue") == 0)
		return queue_numbers(m, data, now_ms);
	if (strcmp(r->name, "resources") == 0) {
		m->res.loaded = true;
		res_current(&m->res, data, true);
		return MC_RESOURCES;
	}
	return MC_NONE;
}

static void stats_clear(struct model_step_stats *st)
{
	free(st->steps);
	memset(st, 0, sizeof *st);
}

json_t *model_stats_request_new(struct model *m, const char *workflow_id, int runs, int64_t now_ms,
				int64_t retry_ms)
{
	struct model_step_stats *st = &m->stats;
	if (workflow_id == NULL || !proto_id_valid(workflow_id))
		return NULL;
	if (strcmp(st->workflow_id, workflow_id) != 0) {
		stats_clear(st);
		copy_str(st->workflow_id, sizeof st->workflow_id, workflow_id);
	}
	if (st->state == MSTATS_LOADED || st->state == MSTATS_UNAVAILABLE)
		return NULL;
	if (st->state == MSTATS_PENDING && now_ms - st->asked_ms < retry_ms)
		return NULL;
	st->state = MSTATS_PENDING;
	st->asked_ms = now_ms;
	char id[PROTO_MAX_ID + 16];
	snprintf(id, sizeof id, "%s%s", MODEL_ID_STATS, workflow_id);
	json_t *req = json_pack("{s:s, s:s, s:s, s:{s:s, s:i}}", "type", "query", "id", id, "query",
				"step_stats", "params", "workflow_id", workflow_id, "runs", runs);
	if (req == NULL)
		fatal("cannot build a step_stats query");
	return req;
}

const struct model_step_stat *model_step_stat_find(const struct model *m, const char *workflow_id,
						   const char *step_id)
{
	const struct model_step_stats *st = &m->stats;
	if (st->state != MSTATS_LOADED || workflow_id == NULL || step_id == NULL ||
	    strcmp(st->workflow_id, workflow_id) != 0)
		return NULL;
	for (uint32_t i = 0; i < st->nsteps; i++)
		if (strcmp(st->steps[i].step_id, step_id) == 0)
			return &st->steps[i];
	return NULL;
}

static unsigned on_result(struct model *m, json_t *msg)
{
	const char *query = jstr(msg, "query");
	json_t *data = json_object_get(msg, "data");
	struct model_step_stats *st = &m->stats;
	if (query != NULL && strcmp(query, "metrics") == 0)
		return metrics_model_on_result(&m->metrics, msg) ? MC_METRICS : MC_NONE;
	if (query == NULL || strcmp(query, "step_stats") != 0 || !json_is_object(data))
		return MC_NONE;
	const char *wf = jstr(data, "workflow_id");
	/* An answer for a workflow no longer looked at changes nothing. */
	if (wf == NULL || strcmp(wf, st->workflow_id) != 0)
		return MC_NONE;
	free(st->steps);
	st->steps = NULL;
	st->nsteps = 0;
	st->runs = jint_or(data, "runs", 0);
	json_t *steps = json_object_get(data, "steps");
	size_t n = json_array_size(steps);
	if (n > PROTO_MAX_STEPS)
		n = PROTO_MAX_STEPS;
	st->steps = xcalloc(n ? n : 1, sizeof *st->steps);
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(steps, i);
		const char *id = jstr(s, "step_id");
		if (id == NULL)
			continue;
		struct model_step_stat *e = &st->steps[st->nsteps++];
		copy_str(e->step_id, sizeof e->step_id, id);
		e->count = jint_or(s, "count", 0);
		e->avg_ms = jint_or(s, "avg_ms", 0);
		e->p95_ms = jint_or(s, "p95_ms", 0);
		e->min_ms = jint_or(s, "min_ms", 0);
		e->max_ms = jint_or(s, "max_ms", 0);
	}
	st->state = MSTATS_LOADED;
	return MC_STATS;
}

static unsigned reply_set(struct model *m, const char *id, bool ok, const char *code,
			  const char *message)
{
	struct model_reply *r = &m->reply;
	copy_str(r->id, sizeof r->id, id);
	r->ok = ok;
	copy_str(r->code, sizeof r->code, code ? code : "");
	copy_str(r->message, sizeof r->message, message ? message : "");
	r->field[0] = '\0';
	r->serial++;
	return MC_REPLY;
}

static unsigned on_done(struct model *m, json_t *msg)
{
	const char *id = jstr(msg, "id");
	if (id == NULL)
		return MC_NONE;
	return reply_set(m, id, true, NULL, NULL);
}

/* ---- rooms ------------------------------------------------------------------------ */

struct model_room *model_room_find(struct model *m, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < m->nrooms; i++)
		if (strcmp(m->rooms[i].name, name) == 0)
			return &m->rooms[i];
	return NULL;
}

static const char *room_execution_id(const char *name)
{
	return strncmp(name, "execution:", 10) == 0 ? name + 10 : NULL;
}

struct model_room *model_room_track(struct model *m, const char *name)
{
	struct model_room *r = model_room_find(m, name);
	if (r != NULL)
		return r;
	if (m->nrooms >= MODEL_MAX_ROOMS || strlen(name) > PROTO_MAX_ROOM)
		return NULL;
	const char *xid = room_execution_id(name);
	if (xid != NULL && strcmp(m->detail.id, xid) != 0) {
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
	r = &m->rooms[m->nrooms++];
	memset(r, 0, sizeof *r);
	copy_str(r->name, sizeof r->name, name);
	return r;
}

void model_room_forget(struct model *m, const char *name)
{
	struct model_room *r = model_room_find(m, name);
	if (r == NULL)
		return;
	const char *xid = room_execution_id(name);
	if (xid != NULL && strcmp(m->detail.id, xid) == 0)
		detail_clear(&m->detail);
	*r = m->rooms[--m->nrooms];
}

/* ---- messages ------------------------------------------------------------------------ */

static unsigned on_subscribed(struct model *m, struct model_room *r, json_t *msg, int64_t now_ms)
{
	int64_t seq;
	if (!jint(msg, "seq", &seq))
		return MC_NONE;
	bool resumed = json_is_true(json_object_get(msg, "resumed"));
	r->last_resumed = resumed;
	unsigned changed = MC_SUBSCRIBED;
	if (resumed) {
		/* The missed events follow; they carry their own positions. */
		if (!r->has_pos)
			r->seq = seq;
		r->has_pos = true;
		return changed;
	}
	r->has_pos = true;
	r->seq = seq;
	json_t *snap = json_object_get(msg, "snapshot");
	if (room_execution_id(r->name) != NULL)
		changed |= snapshot_detail(m, json_object_get(snap, "execution"), now_ms);
	else if (strcmp(r->name, "org") == 0 || strncmp(r->name, "workflow:", 9) == 0)
		changed |= snapshot_list(m, json_object_get(snap, "executions"), now_ms);
	else if (strcmp(r->name, "queue") == 0)
		changed |= snapshot_queue(m, snap, now_ms);
	else if (strcmp(r->name, "resources") == 0)
		changed |= snapshot_resources(m, snap);
	else if (strcmp(r->name, "alerts") == 0)
		changed |= snapshot_alerts(m, json_object_get(snap, "alerts"));
	return changed;
}

static unsigned on_event(struct model *m, struct model_room *r, json_t *msg, int64_t now_ms)
{
	int64_t seq;
	json_t *ev = json_object_get(msg, "event");
	if (!jint(msg, "seq", &seq) || !json_is_object(ev))
		return MC_NONE;
	if (r->has_pos && seq <= r->seq) {
		r->duplicates++;
		return MC_NONE;
	}
	if (r->has_pos && seq > r->seq + 1)
		r->gaps++;
	r->seq = seq;
	r->has_pos = true;
	m->last_event_rx_ms = now_ms;
	/* Alert records are not events (see on_alert). */
	if (strcmp(r->name, "alerts") == 0)
		return MC_NONE;
	/* Worker samples: they describe workers, not the executions list. */
	if (strcmp(r->name, "resources") == 0)
		return res_worker(m, ev);

	enum proto_event_kind kind;
	if (proto_event_kind_parse(jstr(ev, "type"), &kind) != 0)
		return MC_NONE;
	const char *xid = jstr(ev, "execution_id");
	struct apply_ctx c = { .m = m, .ev = ev, .ts = jtime(ev, "ts"), .step_id = jstr(ev, "step_id") };
	bool detail_room = room_execution_id(r->name) != NULL;
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
	if (strcmp(r->name, "queue") == 0 && model_room_find(m, "org") != NULL) {
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

static unsigned on_error(struct model *m, json_t *msg)
{
	const char *text = jstr(msg, "message");
	const char *code = jstr(msg, "code");
	const char *id = jstr(msg, "id");
	/* Answers to the console's own requests go where the request came from. */
	if (id != NULL && strncmp(id, METRICS_ID_PREFIX, strlen(METRICS_ID_PREFIX)) == 0)
		return metrics_model_on_error(&m->metrics, msg) ? MC_METRICS : MC_NONE;
	if (id != NULL && strncmp(id, MODEL_ID_STATS, strlen(MODEL_ID_STATS)) == 0) {
		if (strcmp(id + strlen(MODEL_ID_STATS), m->stats.workflow_id) != 0)
			return MC_NONE;
		m->stats.state = MSTATS_UNAVAILABLE;
		return MC_STATS;
	}
	if (id != NULL && (strncmp(id, MODEL_ID_PRIO, strlen(MODEL_ID_PRIO)) == 0 ||
			   strncmp(id, MODEL_ID_ALERT, strlen(MODEL_ID_ALERT)) == 0 ||
			   strncmp(id, MODEL_ID_RULE, strlen(MODEL_ID_RULE)) == 0)) {
		unsigned c = reply_set(m, id, false, code ? code : "error", text);
		copy_str(m->reply.field, sizeof m->reply.field, jstr(msg, "field"));
		return c;
	}
	snprintf(m->last_error, sizeof m->last_error, "%s%s%s", code ? code : "error",
		 text ? ": " : "", text ? text : "");
	m->last_error_room[0] = '\0';
	/* The session names its subscribe requests "sub:<room>". */
	if (id != NULL && strncmp(id, "sub:", 4) == 0)
		copy_str(m->last_error_room, sizeof m->last_error_room, id + 4);
	return MC_ERROR;
}

unsigned model_handle_message(struct model *m, json_t *msg, int64_t now_ms)
{
	const char *type = jstr(msg, "type");
	if (type == NULL)
		return MC_NONE;
	if (strcmp(type, "error") == 0)
		return on_error(m, msg);
	if (strcmp(type, "done") == 0)
		return on_done(m, msg);
	if (strcmp(type, "result") == 0)
		return on_result(m, msg);
	if (strcmp(type, "rules") == 0)
		return on_rules(m, msg);
	if (strcmp(type, "rule_saved") == 0) {
		const char *id = jstr(msg, "id");
		json_t *rule = json_object_get(msg, "rule");
		if (id == NULL || !json_is_object(rule))
			return MC_NONE;
		json_decref(m->rules.saved);
		m->rules.saved = json_incref(rule);
		return reply_set(m, id, true, NULL, NULL);
	}
	struct model_room *r = model_room_find(m, jstr(msg, "room"));
	if (r == NULL)
		return MC_NONE;
	if (strcmp(type, "alert") == 0 && strcmp(r->name, "alerts") == 0)
		return on_alert(m, msg);
	if (strcmp(type, "subscribed") == 0)
		return on_subscribed(m, r, msg, now_ms);
	if (strcmp(type, "event") == 0)
		return on_event(m, r, msg, now_ms);
	if (strcmp(type, "stats") == 0)
		return on_stats(m, r, msg, now_ms);
	return MC_NONE;
}

unsigned model_handle_text(struct model *m, const char *data, size_t len, int64_t now_ms)
{
	json_t *msg = json_loadb(data, len, 0, NULL);
	if (msg == NULL)
		return MC_NONE;
	unsigned changed = model_handle_message(m, msg, now_ms);
	json_decref(msg);
	return changed;
}

/* ---- life cycle ------------------------------------------------------------------------ */

void model_init(struct model *m)
{
	memset(m, 0, sizeof *m);
	strmap_init(&m->by_id);
	metrics_model_init(&m->metrics);
}

void model_free(struct model *m)
{
	for (size_t i = 0; i < m->nexecs; i++) {
		exec_clear(m->execs[i]);
		free(m->execs[i]);
	}
	free(m->execs);
	strmap_clear(&m->by_id);
	detail_clear(&m->detail);
	alerts_clear(m);
	json_decref(m->rules.list);
	json_decref(m->rules.saved);
	stats_clear(&m->stats);
	metrics_model_free(&m->metrics);
	memset(m, 0, sizeof *m);
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

/* ---- filtering and sorting ------------------------------------------------------------- */

void model_filter_init(struct model_filter *f)
{
	memset(f, 0, sizeof *f);
	f->status = SF_ALL;
	f->sort = SORT_ACTIVITY;
}

void model_filter_free(struct model_filter *f)
{
	if (f->text_is_regex)
		regfree(&f->re);
	f->text_is_regex = false;
	f->text[0] = '\0';
}

int model_filter_set_text(struct model_filter *f, const char *text, char *cause, size_t causelen)
{
	model_filter_free(f);
	copy_str(f->text, sizeof f->text, text ? text : "");
	if (f->text[0] == '\0')
		return 0;
	int rc = regcomp(&f->re, f->text, REG_EXTENDED | REG_ICASE | REG_NOSUB);
	if (rc == 0) {
		f->text_is_regex = true;
		return 0;
	}
	if (cause != NULL && causelen > 0)
		regerror(rc, &f->re, cause, causelen);
	regfree(&f->re);
	return -1;
}

static bool text_match(const struct model_filter *f, const char *s)
{
	if (f->text_is_regex)
		return regexec(&f->re, s, 0, NULL, 0) == 0;
	return strcasestr(s, f->text) != NULL;
}

bool model_filter_match(const struct model_filter *f, const struct model_exec *x, int64_t now_ms,
			int64_t stale_after_ms)
{
	enum model_status st = model_exec_status(x, now_ms, stale_after_ms);
	static const unsigned accept[SF__COUNT] = {
		[SF_ALL] = ~0u,
		[SF_RUNNING] = 1u << MS_RUNNING | 1u << MS_STALE,
		[SF_FAILED] = 1u << MS_FAILED,
		[SF_COMPLETED] = 1u << MS_COMPLETED,
		[SF_QUEUED] = 1u << MS_QUEUED,
	};
	if (!(accept[f->status] & (1u << st)))
		return false;
	if (f->workflow[0] != '\0' && strcasecmp(f->workflow, x->workflow_id) != 0 &&
	    strcasecmp(f->workflow, x->workflow_name) != 0)
		return false;
	if (f->text[0] != '\0' && !text_match(f, x->workflow_name) && !text_match(f, x->workflow_id) &&
	    !text_match(f, x->id) && !text_match(f, x->current_step) &&
	    !text_match(f, model_status_name(st)))
		return false;
	return true;
}

/* qsort has no context argument: the sort keys travel through this. */
static struct {
	enum model_sort sort;
	bool reverse;
	int64_t now_ms;
} sort_ctx;

static int cmp_i64(int64_t a, int64_t b)
{
	return a < b ? -1 : a > b;
}

static int activity_group(const struct model_exec *x)
{
	static const int group[MS__COUNT] = {
		[MS_RUNNING] = 0, [MS_STALE] = 0, [MS_QUEUED] = 1,
		[MS_FAILED] = 2, [MS_COMPLETED] = 2, [MS_CANCELLED] = 2,
	};
	return group[x->status];
}

static int sort_cmp(const void *pa, const void *pb)
{
	const struct model_exec *a = *(struct model_exec *const *)pa;
	const struct model_exec *b = *(struct model_exec *const *)pb;
	int c = 0;
	switch (sort_ctx.sort) {
	case SORT_ACTIVITY:
		c = activity_group(a) - activity_group(b);
		if (c == 0) /* newest first */
			c = -cmp_i64(a->started_ms ? a->started_ms : a->queued_ms,
				     b->started_ms ? b->started_ms : b->queued_ms);
		break;
	case SORT_WORKFLOW: c = strcasecmp(a->workflow_name, b->workflow_name); break;
	case SORT_STATUS: c = (int)a->status - (int)b->status; break;
	case SORT_PROGRESS: c = model_exec_percent(b) - model_exec_percent(a); break;
	case SORT_DURATION:
		c = -cmp_i64(model_exec_duration_ms(a, sort_ctx.now_ms),
			     model_exec_duration_ms(b, sort_ctx.now_ms));
		break;
	case SORT_PRIORITY: c = (int)a->priority - (int)b->priority; break;
	case SORT_ID: c = strcmp(a->id, b->id); break;
	default: break;
	}
	if (c == 0) /* a total order, so rows never swap places between frames */
		c = strcmp(a->id, b->id);
	return sort_ctx.reverse ? -c : c;
}

void model_list_build(const struct model *m, const struct model_filter *f, int64_t now_ms,
		      int64_t stale_after_ms, struct model_list *out)
{
	if (out->cap < m->nexecs) {
		out->cap = m->nexecs + 64;
		out->items = xrealloc(out->items, sizeof *out->items * out->cap);
	}
	out->n = 0;
	for (size_t i = 0; i < m->nexecs; i++)
		if (model_filter_match(f, m->execs[i], now_ms, stale_after_ms))
			out->items[out->n++] = m->execs[i];
	sort_ctx.sort = f->sort;
	sort_ctx.reverse = f->reverse;
	sort_ctx.now_ms = now_ms;
	if (out->n > 1)
		qsort(out->items, out->n, sizeof *out->items, sort_cmp);
}

void model_list_free(struct model_list *l)
{
	free(l->items);
	memset(l, 0, sizeof *l);
}

long model_list_find(const struct model_list *l, const char *id)
{
	if (id == NULL || id[0] == '\0')
		return -1;
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i]->id, id) == 0)
			return (long)i;
	return -1;
}

/* ---- the token's claims ------------------------------------------------------------------- */

int model_identity_from_token(const char *token, struct model_identity *out)
{
	memset(out, 0, sizeof *out);
	if (token == NULL)
		return -1;
	const char *p = strchr(token, '.');
	const char *q = p ? strchr(p + 1, '.') : NULL;
	if (q == NULL || q - p - 1 > 8192)
		return -1;
	/* base64url without padding -> standard base64 with padding. */
	size_t n = (size_t)(q - p - 1);
	char b64[8200];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[1 + i];
		b64[k++] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	while (k % 4 != 0)
		b64[k++] = '=';
	uint8_t raw[6200];
	int len = base64_decode(b64, k, raw, sizeof raw);
	if (len < 0)
		return -1;
	json_t *claims = json_loadb((const char *)raw, (size_t)len, 0, NULL);
	if (!json_is_object(claims)) {
		json_decref(claims);
		return -1;
	}
	copy_str(out->org, sizeof out->org, jstr(claims, "org"));
	copy_str(out->sub, sizeof out->sub, jstr(claims, "sub"));
	copy_str(out->role, sizeof out->role, jstr(claims, "role"));
	json_decref(claims);
	return 0;
}
