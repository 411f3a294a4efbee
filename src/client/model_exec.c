/* model_exec.c: the executions the console knows (the list's) and the one it
 * shows in full, built from snapshots and events (see model.h). What an
 * event or a snapshot does to an execution is the protocol's (exec.h); this
 * file keeps what only the screen needs: which executions the list holds and
 * their recency, when we heard of each, the notices for the message line,
 * and the detail's log with the notes the view translates.
 *
 * Invariants: every execution in m->execs is also in m->by_id under its id;
 * statuses only move forward (exec.h), so a resync from a poorer snapshot (a
 * restarted daemon that forgot the past) never loses what was already seen;
 * m->execs_serial changes with every change of the list's data. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model-internal.h"
#include "ring.h"
#include "xalloc.h"

/* ---- names ------------------------------------------------------------------- */

const char *model_status_name(enum model_status s)
{
	if (s == MS_STALE)
		return "stale";
	return exec_status_name((enum exec_status)s);
}

bool model_status_finished(enum model_status s)
{
	return s != MS_STALE && exec_status_finished((enum exec_status)s);
}

/* ---- the list's executions ------------------------------------------------------ */

static void model_exec_free(struct model_exec *x)
{
	exec_clear(&x->x);
	free(x);
}

/* Evicts the least recent finished execution (or the least recent of all). */
static void model_evict_one(struct model *m)
{
	size_t victim = SIZE_MAX;
	for (size_t i = 0; i < m->nexecs; i++) {
		struct model_exec *x = m->execs[i];
		bool fin = exec_status_finished(x->x.status);
		if (victim == SIZE_MAX) {
			victim = i;
			continue;
		}
		struct model_exec *v = m->execs[victim];
		bool vfin = exec_status_finished(v->x.status);
		if ((fin && !vfin) || (fin == vfin && x->order < v->order))
			victim = i;
	}
	if (victim == SIZE_MAX)
		return;
	struct model_exec *x = m->execs[victim];
	strmap_remove(&m->by_id, x->x.id);
	m->execs[victim] = m->execs[--m->nexecs];
	model_exec_free(x);
	m->execs_serial++;
}

/* The execution with this id, made (empty, queued) when new. */
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
	exec_init(&x->x, id, workflow_id != NULL && proto_id_valid(workflow_id) ? workflow_id : "");
	x->order = ++m->next_order;
	if (m->nexecs == m->capexecs) {
		m->capexecs = m->capexecs ? m->capexecs * 2 : 64;
		m->execs = xrealloc(m->execs, sizeof *m->execs * m->capexecs);
	}
	m->execs[m->nexecs++] = x;
	strmap_put(&m->by_id, x->x.id, x);
	m->execs_serial++;
	return x;
}

struct model_exec *model_exec_find(const struct model *m, const char *id)
{
	return strmap_get(&m->by_id, id);
}

/* ---- the detail's log -------------------------------------------------------------- */

static void detail_log_append(struct model_detail *d, enum model_log_kind kind, enum proto_level level,
			      int64_t ts, const char *step_id, const char *text)
{
	uint32_t slot;
	if (ring_push(&d->log_head, &d->log_count, MODEL_LOG_LINES, &slot))
		free(d->log[slot].text);
	struct model_log_line *l = &d->log[slot];
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
	return &d->log[ring_at(d->log_head, MODEL_LOG_LINES, i)];
}

static void detail_clear(struct model_detail *d)
{
	for (uint32_t i = 0; i < d->log_count; i++)
		free(d->log[ring_at(d->log_head, MODEL_LOG_LINES, i)].text);
	exec_clear(&d->exec.x);
	memset(d, 0, sizeof *d);
}

/* ---- events ----------------------------------------------------------------------- */

/* The note an event writes in the detail's log, and whether it is a notice
 * for the message line: by kind, when the event took effect. */
static const struct {
	enum model_log_kind note;       /* MLOG_TEXT: none */
	bool notice;
} event_notes[EV__COUNT] = {
	[EV_EXECUTION_STARTED] = {MLOG_EXEC_STARTED, true},
	[EV_STEP_STARTED] = {MLOG_STEP_STARTED, false},
	[EV_STEP_COMPLETED] = {MLOG_STEP_COMPLETED, false},
	[EV_STEP_FAILED] = {MLOG_STEP_FAILED, false},
	[EV_EXECUTION_COMPLETED] = {MLOG_EXEC_COMPLETED, true},
	[EV_EXECUTION_FAILED] = {MLOG_EXEC_FAILED, true},
	[EV_EXECUTION_CANCELLED] = {MLOG_EXEC_CANCELLED, true},
};

/* Whether the event did what its note says: a step event for a step held,
 * a terminal event that ended the execution. */
static bool took_effect(const struct proto_event *ev, const struct exec_change *c)
{
	if (proto_event_is_terminal(ev->kind))
		return c->ended;
	if (ev->kind == EV_STEP_STARTED || ev->kind == EV_STEP_COMPLETED || ev->kind == EV_STEP_FAILED)
		return c->step != NULL;
	return true;
}

static void notice(struct model *m, const struct exec *x, enum model_log_kind kind, int64_t ts)
{
	struct model_notice *n = &m->notice;
	n->kind = kind;
	copy_str(n->execution_id, sizeof n->execution_id, x->id);
	copy_str(n->workflow_name, sizeof n->workflow_name, exec_workflow_name(x));
	n->ts_ms = ts;
	n->serial++;
}

static unsigned detail_on_event(struct model *m, const struct proto_event *ev, int64_t now_ms)
{
	struct model_detail *d = &m->detail;
	if (strcmp(ev->execution_id, d->id) != 0)
		return MC_NONE;
	/* Nothing known yet (no snapshot, no event, not in the list): the
	 * execution is what this event makes it. */
	if (!d->loaded && d->exec.x.events == 0 && d->exec.received_ms == 0 &&
	    model_exec_find(m, d->id) == NULL)
		exec_init_for(&d->exec.x, ev);
	d->loaded = true;
	d->missing = false;
	struct exec_change c;
	exec_apply(&d->exec.x, ev, &c);
	d->exec.received_ms = now_ms;
	d->exec.daemon = MDV_UNKNOWN;   /* heard of now: fresh until the daemon says otherwise */
	enum model_log_kind note = event_notes[ev->kind].note;
	if (ev->kind == EV_LOG)
		detail_log_append(d, MLOG_TEXT, ev->level, ev->ts_ms, ev->step_id, ev->message);
	else if (note != MLOG_TEXT && took_effect(ev, &c)) {
		const char *text = ev->kind == EV_EXECUTION_CANCELLED ? ev->reason : ev->error;
		bool bad = ev->kind == EV_STEP_FAILED || ev->kind == EV_EXECUTION_FAILED ||
			   ev->kind == EV_EXECUTION_CANCELLED;
		detail_log_append(d, note, bad ? LEVEL_ERROR : LEVEL_INFO, ev->ts_ms,
				  proto_event_is_terminal(ev->kind) ? NULL : ev->step_id, text);
	}
	return MC_DETAIL;
}

static unsigned list_on_event(struct model *m, const char *room, const struct proto_event *ev,
			      int64_t now_ms)
{
	bool known = model_exec_find(m, ev->execution_id) != NULL;
	struct model_exec *x = model_exec_get(m, ev->execution_id, ev->workflow_id);
	if (x == NULL)
		return MC_NONE;
	if (!known)
		exec_init_for(&x->x, ev);
	x->order = ++m->next_order;
	x->received_ms = now_ms;
	x->daemon = MDV_UNKNOWN;   /* heard of now: fresh until the daemon says otherwise */
	struct exec_change c;
	exec_apply(&x->x, ev, &c);
	m->execs_serial++;
	unsigned changed = MC_LIST;
	/* The queue room repeats the org room's execution-level events: applying
	 * them again is harmless (they set states), but notices come from one room. */
	bool repeat = strcmp(room, "queue") == 0 && model_room_find(m, "org") != NULL;
	if (event_notes[ev->kind].notice && !repeat && took_effect(ev, &c)) {
		notice(m, &x->x, event_notes[ev->kind].note, ev->ts_ms);
		changed |= MC_NOTICE;
	}
	return changed;
}

unsigned model_exec_on_event(struct model *m, const char *room, json_t *evj, int64_t now_ms)
{
	struct proto_event ev;
	/* What the daemon sends is valid; anything else (a newer daemon's field
	 * aside) cannot be applied. */
	if (proto_event_read(evj, &ev, NULL) != 0)
		return MC_NONE;
	unsigned changed = model_room_execution_id(room) != NULL ? detail_on_event(m, &ev, now_ms)
							       : list_on_event(m, room, &ev, now_ms);
	if (changed != MC_NONE)
		m->events++;
	return changed;
}

/* ---- snapshots ------------------------------------------------------------------- */

/* Merges a summary or a whole execution (exec_merge_json: nothing moves
 * backwards); activity we learn of but did not see arrive is dated no later
 * than now. Returns the log lines added. */
static uint32_t merge(struct model_exec *x, json_t *j, int64_t now_ms)
{
	int64_t last = x->x.last_event_ms;
	uint32_t lines = exec_merge_json(&x->x, j);
	if (x->x.last_event_ms > last) {
		int64_t seen = x->x.last_event_ms < now_ms ? x->x.last_event_ms : now_ms;
		if (seen > x->received_ms)
			x->received_ms = seen;
	}
	return lines;
}

unsigned model_exec_snapshot_list(struct model *m, json_t *list, int64_t now_ms)
{
	size_t i;
	json_t *s;
	json_array_foreach(list, i, s) {
		struct model_exec *x = model_exec_get(m, jstr(s, "id"), jstr(s, "workflow_id"));
		if (x != NULL)
			merge(x, s, now_ms);
	}
	m->execs_serial++;
	return MC_LIST;
}

unsigned model_exec_snapshot_detail(struct model *m, json_t *xj, int64_t now_ms)
{
	struct model_detail *d = &m->detail;
	d->loaded = true;
	if (!json_is_object(xj)) {
		d->missing = d->exec.x.nsteps == 0;
		return MC_DETAIL;
	}
	d->missing = false;
	uint32_t lines = merge(&d->exec, xj, now_ms);
	/* The producer's lines the merge added, at the end of the execution's log. */
	const struct exec *x = &d->exec.x;
	for (uint32_t i = x->log_count - (lines < x->log_count ? lines : x->log_count); i < x->log_count; i++) {
		const struct exec_log_line *l = exec_log_at(x, i);
		detail_log_append(d, MLOG_TEXT, l->level, l->ts_ms, l->step_id, l->message);
	}
	return MC_DETAIL;
}

/* ---- queries ---------------------------------------------------------------------------- */

int64_t model_exec_activity_ms(const struct model_exec *x)
{
	return x->received_ms ? x->received_ms : x->x.last_event_ms;
}

enum model_status model_exec_status(const struct model_exec *x, int64_t now_ms, int64_t stale_after_ms)
{
	enum model_status st = (enum model_status)x->x.status;
	if (st != MS_RUNNING)
		return st;
	if (x->daemon != MDV_UNKNOWN)
		return x->daemon == MDV_STALE ? MS_STALE : st;
	if (stale_after_ms <= 0)
		return st;
	int64_t last = model_exec_activity_ms(x);
	if (last > 0 && now_ms - last > stale_after_ms)
		return MS_STALE;
	return st;
}

int64_t model_exec_duration_ms(const struct model_exec *x, int64_t now_ms)
{
	int64_t start = x->x.started_ms ? x->x.started_ms : x->x.queued_ms;
	if (start <= 0)
		return -1;
	int64_t end = exec_status_finished(x->x.status) ? x->x.finished_ms : now_ms;
	if (end <= 0)
		end = x->x.last_event_ms;
	return end > start ? end - start : 0;
}

void model_exec_progress(const struct exec *x, struct model_progress *out)
{
	memset(out, 0, sizeof *out);
	/* The running step that reports its own progress; the one started last
	 * when several do. */
	const struct exec_step *unit_step = NULL;
	uint32_t done = 0;
	for (uint32_t i = 0; i < x->nsteps; i++) {
		const struct exec_step *s = &x->steps[i];
		done += s->status == STEP_COMPLETED;
		if (s->status == STEP_RUNNING && s->progress_total > 0 && s->progress_unit != NULL &&
		    s->progress_unit[0] != '\0' && (unit_step == NULL || s->started_ms >= unit_step->started_ms))
			unit_step = s;
	}
	if (unit_step != NULL && !exec_status_finished(x->status)) {
		out->done = unit_step->progress_current < unit_step->progress_total ? unit_step->progress_current
										    : unit_step->progress_total;
		out->total = unit_step->progress_total;
		out->unit = unit_step->progress_unit;
		out->step = unit_step;
		return;
	}
	uint32_t total = x->nsteps > x->steps_total ? x->nsteps : x->steps_total;
	if (x->steps_completed > done)
		done = x->steps_completed;   /* a summary's count, when the steps are not held */
	out->done = done < total ? done : total;
	out->total = total;
}

int model_exec_percent(const struct model_exec *x)
{
	if (x->x.steps_total == 0)
		return x->x.status == EXEC_COMPLETED ? 100 : 0;
	int p = (int)((int64_t)x->x.steps_completed * 100 / x->x.steps_total);
	return p > 100 ? 100 : p < 0 ? 0 : p;
}

/* ---- life cycle ---------------------------------------------------------------------- */

void model_exec_detail_follow(struct model *m, const char *xid)
{
	if (strcmp(m->detail.id, xid) == 0)
		return;
	detail_clear(&m->detail);
	copy_str(m->detail.id, sizeof m->detail.id, xid);
	/* Show what the list knows until the snapshot comes. */
	struct model_exec *x = model_exec_find(m, xid);
	struct exec *dx = &m->detail.exec.x;
	exec_init(dx, xid, x ? x->x.workflow_id : "");
	if (x != NULL) {
		if (x->x.workflow_name != NULL)
			dx->workflow_name = xstrdup(x->x.workflow_name);
		dx->status = x->x.status;
		dx->priority = x->x.priority;
		dx->started_ms = x->x.started_ms;
	}
}

void model_exec_detail_forget(struct model *m, const char *xid)
{
	if (strcmp(m->detail.id, xid) == 0)
		detail_clear(&m->detail);
}

void model_exec_clear_all(struct model *m)
{
	for (size_t i = 0; i < m->nexecs; i++)
		model_exec_free(m->execs[i]);
	free(m->execs);
	m->execs = NULL;
	m->nexecs = m->capexecs = 0;
	strmap_clear(&m->by_id);
	detail_clear(&m->detail);
	m->execs_serial++;
}
