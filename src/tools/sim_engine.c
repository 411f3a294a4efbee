/* sim_engine.c: the deterministic workflow simulation behind wfmon-sim.
 *
 * State: executions (slots with a generation, so that a timer for a finished
 * execution is recognised and ignored), a priority queue of executions waiting
 * for a worker (HIGH before NORMAL before LOW, then oldest first), a fixed pool
 * of workers, and a binary min-heap of timers ordered by (virtual ms, creation
 * sequence). Every random draw comes from one splitmix64 stream and happens
 * while a timer runs, so a seed fixes the whole event sequence.
 *
 * Invariants: an execution is either queued (worker -1, in s->queue) or
 * running (holds exactly one worker); a step's timers carry the step's
 * generation, bumped on retry and on abandonment, so stale ticks do nothing;
 * every event passed to emit carries the common header fields. */
#include "sim.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"
#include "sim_ctx.h"
#include "xalloc.h"

#define SIM_RESOURCE_MS 5000      /* a sample per busy worker every 5 s at speed 1 */
#define SIM_CANCEL_PERMILLE 25
#define SIM_RETRY_PERCENT 50
#define SIM_TEXT 4096
#define SIM_PAST 256              /* finished executions remembered for a retry */

static const char *const sim_cancel_reasons[] = {
	"Cancelled by user jan.kowalski@biuro.pl",
	"Anulowane przez operatora: duplikat zlecenia",
	"Superseded by a newer execution",
	"Klient wycofał dokumenty do poprawy",
};

/* ---- Engine state ------------------------------------------------------------------ */

enum sim_timer_kind { T_ARRIVAL, T_TICK, T_STEP_END, T_RESOURCE, T_CANCEL };

struct sim_timer {
	int64_t at;
	uint64_t seq;
	enum sim_timer_kind kind;
	uint32_t slot;        /* execution slot, or worker for T_RESOURCE */
	uint32_t gen;         /* execution generation */
	uint32_t step;
	uint32_t step_gen;
};

enum sim_step_state { ST_PENDING, ST_RUNNING, ST_DONE, ST_FAILED };

struct sim_step_run {
	enum sim_step_state state;
	int waiting;          /* dependencies not yet done */
	int attempt;
	uint32_t gen;
	int64_t first_start;
	int64_t attempt_start;
	bool will_fail;
	int64_t total;        /* progress total, 0 for none */
	int ticks;
	int ticks_done;
	int64_t counter;
};

struct sim_exec {
	bool used;
	uint32_t gen;
	char id[PROTO_MAX_ID + 1];
	const struct sim_workflow_def *wf;
	enum proto_priority prio;
	uint64_t order;
	int64_t queued_at;
	int64_t started_at;
	int worker;
	struct sim_step_run *steps;
	size_t done;
	struct sim_ctx ctx;
	int attempt;          /* the execution's attempt: 2 and on after a retry */
	int step_base;        /* step attempts of this run start after this */
};

/* A failed or cancelled execution, remembered so that an operator's retry
 * can run it again (the same id, a later attempt). */
struct sim_past {
	char id[PROTO_MAX_ID + 1];
	const struct sim_workflow_def *wf;
	enum proto_priority prio;
	struct sim_ctx ctx;
	int attempt;
	int step_attempts;    /* the highest step attempt it reached */
};

struct sim {
	struct sim_options opt;
	sim_emit_fn emit;
	void *arg;
	struct rng rng;
	uint32_t prefix;
	uint64_t exec_seq, event_seq, timer_seq;
	int64_t now;

	const struct sim_workflow_def *enabled[16];
	size_t nenabled;
	int total_weight;
	bool arrivals_open;

	struct sim_exec **execs;
	size_t nexecs;
	size_t alive;

	uint32_t *queue;
	size_t nqueue, queue_cap;

	int *workers;         /* execution slot per worker, -1 when idle */

	struct sim_past past[SIM_PAST];   /* ring, oldest overwritten */
	size_t past_next;

	struct sim_timer *heap;
	size_t nheap, heap_cap;

	struct sim_stats stats;
};

/* ---- Timers --------------------------------------------------------------------- */

static bool sim_timer_before(const struct sim_timer *a, const struct sim_timer *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void sim_schedule(struct sim *s, int64_t at, enum sim_timer_kind kind, uint32_t slot,
			 uint32_t gen, uint32_t step, uint32_t step_gen)
{
	if (s->nheap == s->heap_cap) {
		s->heap_cap = s->heap_cap ? s->heap_cap * 2 : 64;
		s->heap = xrealloc(s->heap, s->heap_cap * sizeof *s->heap);
	}
	struct sim_timer t = { at, s->timer_seq++, kind, slot, gen, step, step_gen };
	size_t i = s->nheap++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!sim_timer_before(&t, &s->heap[parent]))
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i] = t;
}

static struct sim_timer sim_pop(struct sim *s)
{
	struct sim_timer top = s->heap[0];
	struct sim_timer last = s->heap[--s->nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		const struct sim_timer *best = &last;
		if (l < s->nheap && sim_timer_before(&s->heap[l], best)) {
			m = l;
			best = &s->heap[l];
		}
		if (l + 1 < s->nheap && sim_timer_before(&s->heap[l + 1], best))
			m = l + 1;
		if (m == i)
			break;
		s->heap[i] = s->heap[m];
		i = m;
	}
	if (s->nheap > 0)
		s->heap[i] = last;
	return top;
}

/* A duration around mean (0.5x to 1.5x, triangular), compressed by speed. */
static int64_t sim_duration(struct sim *s, int mean_ms)
{
	double f = 0.5 + (rng_unit(&s->rng) + rng_unit(&s->rng)) / 2.0;
	int64_t d = (int64_t)(mean_ms * f / s->opt.speed);
	return d < 1 ? 1 : d;
}

/* ---- Events -------------------------------------------------------------------- */

static json_t *sim_event_new(struct sim *s, const struct sim_exec *e, enum proto_event_kind kind)
{
	char id[PROTO_MAX_ID + 1], ts[32];
	snprintf(id, sizeof id, "ev-%08x-%llu", s->prefix, (unsigned long long)++s->event_seq);
	proto_time_format(s->opt.start_wall_ms + s->now, ts, sizeof ts);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", proto_event_kind_name(kind), "id", id,
			 "execution_id", e->id, "workflow_id", e->wf->id, "ts", ts);
}

/* Step events say their attempt once it is past the first. */
static void sim_step_attempt(json_t *ev, int attempt)
{
	if (attempt > 1)
		json_object_set_new(ev, "attempt", json_integer(attempt));
}

static void sim_emit(struct sim *s, json_t *ev)
{
	s->stats.events++;
	s->emit(ev, s->arg);
}

static const char *sim_worker_name(int w, char *buf, size_t len)
{
	snprintf(buf, len, "worker-%d", w + 1);
	return buf;
}

static void sim_log(struct sim *s, struct sim_exec *e, const char *step_id, const char *level,
		    const char *message)
{
	json_t *ev = sim_event_new(s, e, EV_LOG);
	json_object_set_new(ev, "level", json_string(level));
	json_object_set_new(ev, "message", json_string(message));
	if (step_id)
		json_object_set_new(ev, "step_id", json_string(step_id));
	sim_emit(s, ev);
}

/* One of the '\n'-separated log lines of lines ("level|template"), expanded. */
static void sim_step_log(struct sim *s, struct sim_exec *e, const struct sim_step_def *d,
			 const char *lines)
{
	if (lines == NULL)
		return;
	char line[SIM_TEXT], text[SIM_TEXT];
	sim_ctx_pick_line(&s->rng, lines, line, sizeof line);
	char *bar = strchr(line, '|');
	if (bar == NULL)
		fatal("sim log line without a level: %s", line);
	*bar = '\0';
	sim_ctx_expand(&s->rng, &e->ctx, bar + 1, text, sizeof text);
	sim_log(s, e, d->id, line, text);
}

/* ---- Executions ------------------------------------------------------------------- */

static struct sim_exec *sim_exec_get(struct sim *s, uint32_t slot, uint32_t gen)
{
	if (slot >= s->nexecs || !s->execs[slot]->used || s->execs[slot]->gen != gen)
		return NULL;
	return s->execs[slot];
}

static uint32_t sim_exec_slot(struct sim *s, const struct sim_exec *e)
{
	for (size_t i = 0; i < s->nexecs; i++)
		if (s->execs[i] == e)
			return (uint32_t)i;
	fatal("sim execution without a slot");
}

static void sim_queue_remove(struct sim *s, uint32_t slot)
{
	for (size_t i = 0; i < s->nqueue; i++) {
		if (s->queue[i] == slot) {
			memmove(s->queue + i, s->queue + i + 1, (s->nqueue - i - 1) * sizeof *s->queue);
			s->nqueue--;
			return;
		}
	}
}

static void sim_dispatch(struct sim *s);

/* Remembers a failed or cancelled execution for a retry. */
static void sim_remember(struct sim *s, const struct sim_exec *e)
{
	struct sim_past *p = &s->past[s->past_next++ % SIM_PAST];
	snprintf(p->id, sizeof p->id, "%s", e->id);
	p->wf = e->wf;
	p->prio = e->prio;
	p->ctx = e->ctx;
	p->attempt = e->attempt;
	p->step_attempts = e->step_base;
	for (size_t i = 0; i < e->wf->nsteps; i++)
		if (e->steps[i].attempt > p->step_attempts)
			p->step_attempts = e->steps[i].attempt;
}

/* Frees the worker and the slot; the caller has emitted the terminal event. */
static void sim_exec_end(struct sim *s, struct sim_exec *e)
{
	uint32_t slot = sim_exec_slot(s, e);
	if (e->worker >= 0)
		s->workers[e->worker] = -1;
	else
		sim_queue_remove(s, slot);
	free(e->steps);
	e->steps = NULL;
	e->used = false;
	e->gen++;
	s->alive--;
	sim_dispatch(s);
}

static void sim_step_start(struct sim *s, struct sim_exec *e, size_t i);

/* Plans one attempt of a running step: its duration, whether it fails, and
 * the progress ticks before its end. */
static void sim_step_plan(struct sim *s, struct sim_exec *e, size_t i)
{
	const struct sim_step_def *d = &e->wf->steps[i];
	struct sim_step_run *st = &e->steps[i];
	uint32_t slot = sim_exec_slot(s, e);
	st->attempt_start = s->now;
	st->ticks_done = 0;
	st->will_fail = rng_permille(&s->rng, d->fail_permille);
	int64_t dur = sim_duration(s, d->mean_ms);
	int64_t end = dur;
	if (st->will_fail)
		end = (int64_t)(dur * (0.3 + 0.6 * rng_unit(&s->rng))) + 1;
	if (st->total > 0) {
		bool per_day = d->unit && strcmp(d->unit, "days") == 0;
		st->ticks = per_day || st->total < 5 ? (int)st->total : 5;
		for (int k = 1; k <= st->ticks; k++) {
			int64_t at = s->now + dur * k / st->ticks;
			if (at <= s->now + end)
				sim_schedule(s, at, T_TICK, slot, e->gen, (uint32_t)i, st->gen);
		}
	}
	sim_schedule(s, s->now + end, T_STEP_END, slot, e->gen, (uint32_t)i, st->gen);
}

static void sim_step_start(struct sim *s, struct sim_exec *e, size_t i)
{
	const struct sim_step_def *d = &e->wf->steps[i];
	struct sim_step_run *st = &e->steps[i];
	char wname[32];
	st->state = ST_RUNNING;
	st->attempt = e->step_base + 1;
	st->first_start = s->now;
	st->counter = 0;
	st->total = 0;
	if (d->unit && d->total) {
		char buf[32];
		sim_ctx_expand(&s->rng, &e->ctx, d->total, buf, sizeof buf);
		st->total = strtoll(buf, NULL, 10);
	}
	json_t *ev = sim_event_new(s, e, EV_STEP_STARTED);
	json_object_set_new(ev, "step_id", json_string(d->id));
	sim_step_attempt(ev, st->attempt);
	if (d->input)
		json_object_set_new(ev, "input", sim_ctx_expand_json(&s->rng, &e->ctx, d->input));
	json_object_set_new(ev, "worker", json_string(sim_worker_name(e->worker, wname, sizeof wname)));
	sim_emit(s, ev);
	sim_step_log(s, e, d, d->logs);
	sim_step_plan(s, e, i);
}

static void sim_exec_start(struct sim *s, struct sim_exec *e, int worker)
{
	char wname[32];
	e->worker = worker;
	e->started_at = s->now;
	s->workers[worker] = (int)sim_exec_slot(s, e);
	s->stats.started++;
	json_t *ev = sim_event_new(s, e, EV_EXECUTION_STARTED);
	if (e->attempt > 1)
		json_object_set_new(ev, "attempt", json_integer(e->attempt));
	json_object_set_new(ev, "worker", json_string(sim_worker_name(worker, wname, sizeof wname)));
	sim_emit(s, ev);
	for (size_t i = 0; i < e->wf->nsteps; i++)
		if (e->steps[i].waiting == 0)
			sim_step_start(s, e, i);
}

bool sim_prioritize(struct sim *s, const char *execution_id, enum proto_priority priority)
{
	for (size_t i = 0; i < s->nqueue; i++) {
		struct sim_exec *e = s->execs[s->queue[i]];
		if (strcmp(e->id, execution_id) == 0) {
			e->prio = priority;
			return true;
		}
	}
	return false;
}

/* Starts queued executions on free workers: HIGH first, then the oldest. */
static void sim_dispatch(struct sim *s)
{
	for (int w = 0; w < s->opt.workers && s->nqueue > 0; w++) {
		if (s->workers[w] >= 0)
			continue;
		size_t best = 0;
		for (size_t i = 1; i < s->nqueue; i++) {
			const struct sim_exec *a = s->execs[s->queue[i]], *b = s->execs[s->queue[best]];
			if (a->prio < b->prio || (a->prio == b->prio && a->order < b->order))
				best = i;
		}
		struct sim_exec *e = s->execs[s->queue[best]];
		memmove(s->queue + best, s->queue + best + 1, (s->nqueue - best - 1) * sizeof *s->queue);
		s->nqueue--;
		sim_exec_start(s, e, w);
	}
}

static const struct sim_workflow_def *sim_pick_workflow(struct sim *s)
{
	int64_t k = rng_range(&s->rng, 0, s->total_weight - 1);
	for (size_t i = 0; i < s->nenabled; i++) {
		if (k < s->enabled[i]->weight)
			return s->enabled[i];
		k -= s->enabled[i]->weight;
	}
	return s->enabled[s->nenabled - 1];
}

static struct sim_exec *sim_slot_new(struct sim *s, size_t *slot_out)
{
	size_t slot = 0;
	while (slot < s->nexecs && s->execs[slot]->used)
		slot++;
	if (slot == s->nexecs) {
		s->execs = xrealloc(s->execs, (s->nexecs + 1) * sizeof *s->execs);
		s->execs[s->nexecs++] = xcalloc(1, sizeof **s->execs);
	}
	*slot_out = slot;
	return s->execs[slot];
}

/* Announces a new (or retried) execution and queues it for a worker. */
static void sim_exec_queue(struct sim *s, struct sim_exec *e, size_t slot)
{
	const struct sim_workflow_def *wf = e->wf;
	e->used = true;
	e->queued_at = s->now;
	e->worker = -1;
	e->done = 0;
	e->steps = xcalloc(wf->nsteps, sizeof *e->steps);
	s->alive++;
	s->stats.queued++;

	json_t *steps = json_array();
	for (size_t i = 0; i < wf->nsteps; i++) {
		size_t deps[PROTO_MAX_DEPS];
		int n = sim_step_deps(wf, i, deps, PROTO_MAX_DEPS);
		json_t *dj = json_array();
		for (int k = 0; k < n; k++)
			json_array_append_new(dj, json_string(wf->steps[deps[k]].id));
		e->steps[i].waiting = n;
		json_array_append_new(steps, json_pack("{s:s, s:s, s:o}", "id", wf->steps[i].id,
						       "name", wf->steps[i].name, "depends_on", dj));
	}
	json_t *ev = sim_event_new(s, e, EV_EXECUTION_QUEUED);
	json_object_set_new(ev, "workflow_name", json_string(wf->name));
	json_object_set_new(ev, "priority", json_string(proto_priority_name(e->prio)));
	json_object_set_new(ev, "steps", steps);
	if (wf->params)
		json_object_set_new(ev, "params", sim_ctx_expand_json(&s->rng, &e->ctx, wf->params));
	/* Accountants find executions by the period and the client. */
	json_object_set_new(ev, "labels", json_pack("{s:s,s:s}", "period", e->ctx.period, "client", e->ctx.company));
	if (e->attempt > 1)
		json_object_set_new(ev, "attempt", json_integer(e->attempt));
	sim_emit(s, ev);

	if (e->attempt == 1 && rng_permille(&s->rng, SIM_CANCEL_PERMILLE))
		sim_schedule(s, s->now + sim_duration(s, 8000), T_CANCEL, (uint32_t)slot, e->gen, 0, 0);
	s->nqueue++;
	if (s->nqueue > s->queue_cap) {
		s->queue_cap = s->queue_cap ? s->queue_cap * 2 : 16;
		s->queue = xrealloc(s->queue, s->queue_cap * sizeof *s->queue);
	}
	s->queue[s->nqueue - 1] = (uint32_t)slot;
	sim_dispatch(s);
}

static void sim_exec_new(struct sim *s, const struct sim_workflow_def *wf)
{
	size_t slot;
	struct sim_exec *e = sim_slot_new(s, &slot);
	e->wf = wf;
	e->order = ++s->exec_seq;
	snprintf(e->id, sizeof e->id, "ex-%08x-%06llu", s->prefix, (unsigned long long)e->order);
	int64_t p = rng_range(&s->rng, 0, 99);
	e->prio = p < wf->high_percent ? PRIO_HIGH
		  : p < wf->high_percent + wf->low_percent ? PRIO_LOW : PRIO_NORMAL;
	e->attempt = 1;
	e->step_base = 0;
	sim_ctx_init(&s->rng, &e->ctx);
	sim_exec_queue(s, e, slot);
}

static void sim_cancel(struct sim *s, struct sim_exec *e, const char *reason)
{
	for (size_t i = 0; i < e->wf->nsteps; i++)
		e->steps[i].gen++;
	json_t *ev = sim_event_new(s, e, EV_EXECUTION_CANCELLED);
	json_object_set_new(ev, "reason", json_string(reason));
	sim_emit(s, ev);
	s->stats.cancelled++;
	sim_remember(s, e);
	sim_exec_end(s, e);
}

/* ---- Operators' requests ------------------------------------------------------ */

bool sim_owns(const struct sim *s, const char *execution_id)
{
	char prefix[16];
	snprintf(prefix, sizeof prefix, "ex-%08x-", s->prefix);
	return execution_id != NULL && strncmp(execution_id, prefix, strlen(prefix)) == 0;
}

static struct sim_exec *sim_find_live(struct sim *s, const char *execution_id)
{
	for (size_t i = 0; i < s->nexecs; i++)
		if (s->execs[i]->used && strcmp(s->execs[i]->id, execution_id) == 0)
			return s->execs[i];
	return NULL;
}

/* The producer's answer to an operator's request. */
static void sim_reply(struct sim *s, struct sim_exec *e, const char *xid, const char *wf_id, enum proto_control cmd,
		      const char *request_id, bool accepted, const char *reason)
{
	json_t *ev;
	if (e != NULL) {
		ev = sim_event_new(s, e, EV_CONTROL_REPLIED);
	} else {
		struct sim_exec tmp = { .wf = NULL };
		snprintf(tmp.id, sizeof tmp.id, "%s", xid);
		struct sim_workflow_def wf = { .id = wf_id };
		tmp.wf = &wf;
		ev = sim_event_new(s, &tmp, EV_CONTROL_REPLIED);
	}
	json_object_set_new(ev, "command", json_string(proto_control_name(cmd)));
	if (request_id != NULL && proto_id_valid(request_id))
		json_object_set_new(ev, "request_id", json_string(request_id));
	json_object_set_new(ev, "accepted", json_boolean(accepted));
	if (reason != NULL)
		json_object_set_new(ev, "reason", json_string(reason));
	sim_emit(s, ev);
}

bool sim_control(struct sim *s, enum proto_control cmd, const char *execution_id, const char *workflow_id,
		 const char *request_id, const char *by)
{
	if (!sim_owns(s, execution_id) || workflow_id == NULL || !proto_id_valid(workflow_id))
		return false;
	char why[SIM_TEXT];
	struct sim_exec *e = sim_find_live(s, execution_id);
	if (cmd == CONTROL_CANCEL) {
		if (e == NULL) {
			sim_reply(s, NULL, execution_id, workflow_id, cmd, request_id, false,
				  "wfmon-sim: it has already finished");
			return true;
		}
		sim_reply(s, e, NULL, NULL, cmd, request_id, true, NULL);
		snprintf(why, sizeof why, "cancelled by %s", by && *by ? by : "an operator");
		sim_cancel(s, e, why);
		return true;
	}
	if (e != NULL) {
		sim_reply(s, e, NULL, NULL, cmd, request_id, false, "wfmon-sim: it is still running");
		return true;
	}
	struct sim_past *p = NULL;
	for (size_t i = 0; i < SIM_PAST; i++)
		if (s->past[i].wf != NULL && strcmp(s->past[i].id, execution_id) == 0)
			p = &s->past[i];
	if (p == NULL || !s->arrivals_open) {
		sim_reply(s, NULL, execution_id, workflow_id, cmd, request_id, false,
			  p == NULL ? "wfmon-sim no longer remembers this execution" : "wfmon-sim is stopping");
		return true;
	}
	size_t slot;
	e = sim_slot_new(s, &slot);
	snprintf(e->id, sizeof e->id, "%s", p->id);
	e->wf = p->wf;
	e->order = ++s->exec_seq;
	e->prio = p->prio;
	e->ctx = p->ctx;
	e->attempt = p->attempt + 1;
	e->step_base = p->step_attempts;
	p->wf = NULL;   /* one retry per failure: the next failure is remembered anew */
	sim_reply(s, e, NULL, NULL, cmd, request_id, true, NULL);
	sim_exec_queue(s, e, slot);
	return true;
}

/* ---- Timer handlers --------------------------------------------------------------- */

static void sim_on_arrival(struct sim *s)
{
	if (!s->arrivals_open)
		return;
	if (s->opt.once) {
		sim_exec_new(s, sim_workflow_find(s->opt.once));
		s->arrivals_open = false;
		return;
	}
	if (s->nqueue >= s->opt.max_queued)
		s->stats.dropped++;
	else
		sim_exec_new(s, sim_pick_workflow(s));
	double mean_ms = 60000.0 / s->opt.rate_per_min;
	double u = rng_unit(&s->rng);
	int64_t gap = (int64_t)(-log(1.0 - u) * mean_ms);
	sim_schedule(s, s->now + (gap < 1 ? 1 : gap), T_ARRIVAL, 0, 0, 0, 0);
}

static void sim_on_tick(struct sim *s, struct sim_exec *e, size_t i)
{
	const struct sim_step_def *d = &e->wf->steps[i];
	struct sim_step_run *st = &e->steps[i];
	st->ticks_done++;
	int64_t current = st->total * st->ticks_done / st->ticks;
	char msg[128];
	if (strcmp(d->unit, "days") == 0) {
		char day[11];
		sim_ctx_date(e->ctx.from_epoch_day + current - 1, day);
		snprintf(msg, sizeof msg, "%s: %lld of %lld days", day, (long long)current,
			 (long long)st->total);
	} else {
		snprintf(msg, sizeof msg, "%lld of %lld %s", (long long)current, (long long)st->total,
			 d->unit);
	}
	json_t *ev = sim_event_new(s, e, EV_STEP_PROGRESS);
	json_object_set_new(ev, "step_id", json_string(d->id));
	sim_step_attempt(ev, st->attempt);
	json_object_set_new(ev, "current", json_integer(current));
	json_object_set_new(ev, "total", json_integer(st->total));
	json_object_set_new(ev, "unit", json_string(d->unit));
	json_object_set_new(ev, "message", json_string(msg));
	sim_emit(s, ev);
	if (d->counter) {
		char buf[32];
		sim_ctx_expand(&s->rng, &e->ctx, d->counter_step, buf, sizeof buf);
		st->counter += strtoll(buf, NULL, 10);
		ev = sim_event_new(s, e, EV_COUNTER);
		json_object_set_new(ev, "name", json_string(d->counter));
		json_object_set_new(ev, "value", json_integer(st->counter));
		sim_emit(s, ev);
	}
}

/* step.failed of the step's current attempt. */
static void sim_step_failed_event(struct sim *s, struct sim_exec *e, const char *step_id,
				  const struct sim_step_run *st, const char *text, const char *code)
{
	json_t *ev = sim_event_new(s, e, EV_STEP_FAILED);
	json_object_set_new(ev, "step_id", json_string(step_id));
	json_object_set_new(ev, "error", json_string(text));
	json_object_set_new(ev, "error_code", json_string(code));
	json_object_set_new(ev, "duration_ms", json_integer(s->now - st->attempt_start));
	sim_step_attempt(ev, st->attempt);
	sim_emit(s, ev);
}

static void sim_step_fail(struct sim *s, struct sim_exec *e, size_t i)
{
	const struct sim_step_def *d = &e->wf->steps[i];
	struct sim_step_run *st = &e->steps[i];
	char line[SIM_TEXT], text[SIM_TEXT], msg[SIM_TEXT + 128];
	sim_ctx_pick_line(&s->rng, d->errors ? d->errors : "Step failed|STEP_FAILED", line, sizeof line);
	char *bar = strchr(line, '|');
	const char *code = "STEP_FAILED";
	if (bar) {
		*bar = '\0';
		code = bar + 1;
	}
	sim_ctx_expand(&s->rng, &e->ctx, line, text, sizeof text);

	if (st->attempt == e->step_base + 1 && rng_range(&s->rng, 0, 99) < SIM_RETRY_PERCENT) {
		/* The failed attempt is reported as such, then the next one starts. */
		snprintf(msg, sizeof msg, "%s (attempt %d); retrying step %s once", text, st->attempt, d->id);
		sim_log(s, e, d->id, "warn", msg);
		sim_step_failed_event(s, e, d->id, st, text, code);
		st->attempt++;
		json_t *ev;
		st->gen++;
		char wname[32];
		ev = sim_event_new(s, e, EV_STEP_STARTED);
		json_object_set_new(ev, "step_id", json_string(d->id));
		sim_step_attempt(ev, st->attempt);
		json_object_set_new(ev, "worker", json_string(sim_worker_name(e->worker, wname, sizeof wname)));
		sim_emit(s, ev);
		sim_step_plan(s, e, i);
		return;
	}
	st->state = ST_FAILED;
	for (size_t k = 0; k < e->wf->nsteps; k++)
		e->steps[k].gen++;
	snprintf(msg, sizeof msg, "Step %s failed: %s", d->id, text);
	sim_log(s, e, d->id, "error", msg);
	sim_step_failed_event(s, e, d->id, st, text, code);
	json_t *ev = sim_event_new(s, e, EV_EXECUTION_FAILED);
	json_object_set_new(ev, "error", json_string(text));
	json_object_set_new(ev, "error_code", json_string(code));
	json_object_set_new(ev, "step_id", json_string(d->id));
	if (e->attempt > 1)
		json_object_set_new(ev, "attempt", json_integer(e->attempt));
	sim_emit(s, ev);
	s->stats.failed++;
	sim_remember(s, e);
	sim_exec_end(s, e);
}

static void sim_on_step_end(struct sim *s, struct sim_exec *e, size_t i)
{
	const struct sim_step_def *d = &e->wf->steps[i];
	struct sim_step_run *st = &e->steps[i];
	if (st->will_fail) {
		sim_step_fail(s, e, i);
		return;
	}
	/* A second line only when the step has more than one to choose from. */
	if (d->logs && strchr(d->logs, '\n') && rng_range(&s->rng, 0, 1) == 0)
		sim_step_log(s, e, d, d->logs);
	/* What only success can say (an UPO received) is never said by a step that fails. */
	sim_step_log(s, e, d, d->success_log);
	st->state = ST_DONE;
	st->gen++;
	json_t *ev = sim_event_new(s, e, EV_STEP_COMPLETED);
	json_object_set_new(ev, "step_id", json_string(d->id));
	json_object_set_new(ev, "duration_ms", json_integer(s->now - st->attempt_start));
	sim_step_attempt(ev, st->attempt);
	if (d->output)
		json_object_set_new(ev, "output", sim_ctx_expand_json(&s->rng, &e->ctx, d->output));
	int cpu = d->cpu_percent + (int)rng_range(&s->rng, -d->cpu_percent / 4, d->cpu_percent / 4);
	json_object_set_new(ev, "cpu_percent", json_real(cpu < 0 ? 0 : cpu > 100 ? 100 : cpu));
	json_object_set_new(ev, "memory_bytes",
			    json_integer((int64_t)d->memory_mb * 1048576 + rng_range(&s->rng, 0, 1048575)));
	sim_emit(s, ev);

	e->done++;
	if (e->done == e->wf->nsteps) {
		ev = sim_event_new(s, e, EV_EXECUTION_COMPLETED);
		json_object_set_new(ev, "duration_ms", json_integer(s->now - e->started_at));
		if (e->attempt > 1)
			json_object_set_new(ev, "attempt", json_integer(e->attempt));
		if (e->wf->output)
			json_object_set_new(ev, "output", sim_ctx_expand_json(&s->rng, &e->ctx, e->wf->output));
		sim_emit(s, ev);
		s->stats.completed++;
		sim_exec_end(s, e);
		return;
	}
	size_t deps[PROTO_MAX_DEPS];
	for (size_t j = 0; j < e->wf->nsteps; j++) {
		int n = sim_step_deps(e->wf, j, deps, PROTO_MAX_DEPS);
		for (int k = 0; k < n; k++)
			if (deps[k] == i && --e->steps[j].waiting == 0)
				sim_step_start(s, e, j);
	}
}

static void sim_on_resource(struct sim *s, int w)
{
	sim_schedule(s, s->now + sim_duration(s, SIM_RESOURCE_MS), T_RESOURCE, (uint32_t)w, 0, 0, 0);
	if (s->workers[w] < 0)
		return;
	struct sim_exec *e = s->execs[s->workers[w]];
	const char *step_id = NULL;
	int cpu = 2;
	int64_t mem = 64LL * 1048576;
	for (size_t i = 0; i < e->wf->nsteps; i++) {
		const struct sim_step_def *d = &e->wf->steps[i];
		if (e->steps[i].state != ST_RUNNING)
			continue;
		if (step_id == NULL)
			step_id = d->id;
		cpu += d->cpu_percent + (int)rng_range(&s->rng, -d->cpu_percent / 3, d->cpu_percent / 3);
		mem += (int64_t)d->memory_mb * 1048576 + rng_range(&s->rng, 0, 8 * 1048576);
	}
	char wname[32];
	json_t *ev = sim_event_new(s, e, EV_RESOURCE_SAMPLE);
	json_object_set_new(ev, "worker", json_string(sim_worker_name(w, wname, sizeof wname)));
	json_object_set_new(ev, "cpu_percent", json_real(cpu > 100 ? 100 : cpu));
	json_object_set_new(ev, "memory_bytes", json_integer(mem));
	if (step_id)
		json_object_set_new(ev, "step_id", json_string(step_id));
	sim_emit(s, ev);
}

static void sim_run_timer(struct sim *s, const struct sim_timer *t)
{
	if (t->at > s->now)
		s->now = t->at;
	if (t->kind == T_ARRIVAL) {
		sim_on_arrival(s);
		return;
	}
	if (t->kind == T_RESOURCE) {
		sim_on_resource(s, (int)t->slot);
		return;
	}
	struct sim_exec *e = sim_exec_get(s, t->slot, t->gen);
	if (e == NULL)
		return;
	if (t->kind == T_CANCEL) {
		sim_cancel(s, e, sim_cancel_reasons[rng_range(&s->rng, 0,
				  sizeof sim_cancel_reasons / sizeof *sim_cancel_reasons - 1)]);
		return;
	}
	if (e->steps[t->step].gen != t->step_gen)
		return;
	if (t->kind == T_TICK)
		sim_on_tick(s, e, t->step);
	else
		sim_on_step_end(s, e, t->step);
}

/* ---- Public interface ----------------------------------------------------------- */

static int sim_enable(struct sim *s, const char *list, char *cause, size_t causelen)
{
	const char *p = list;
	while (*p) {
		size_t len = strcspn(p, ",");
		char name[PROTO_MAX_ID + 1];
		if (len == 0 || len > PROTO_MAX_ID) {
			snprintf(cause, causelen, "bad workflow list \"%s\"", list);
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		const struct sim_workflow_def *wf = sim_workflow_find(name);
		if (wf == NULL) {
			snprintf(cause, causelen, "unknown workflow \"%s\"", name);
			return -1;
		}
		bool dup = false;
		for (size_t i = 0; i < s->nenabled; i++)
			dup |= s->enabled[i] == wf;
		if (!dup && s->nenabled < sizeof s->enabled / sizeof *s->enabled) {
			s->enabled[s->nenabled++] = wf;
			s->total_weight += wf->weight;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

struct sim *sim_new(const struct sim_options *opt, sim_emit_fn emit, void *arg, char *cause,
		    size_t causelen)
{
	if (sim_catalog_check(cause, causelen) < 0)
		return NULL;
	if (!(opt->rate_per_min > 0) || !(opt->speed > 0) || opt->workers < 1 ||
	    opt->workers > 10000) {
		snprintf(cause, causelen, "rate and speed must be positive and workers 1..10000");
		return NULL;
	}
	if (opt->once && sim_workflow_find(opt->once) == NULL) {
		snprintf(cause, causelen, "unknown workflow \"%s\"", opt->once);
		return NULL;
	}
	struct sim *s = xcalloc(1, sizeof *s);
	s->opt = *opt;
	if (s->opt.max_queued == 0)
		s->opt.max_queued = 500;
	s->emit = emit;
	s->arg = arg;
	s->rng.state = opt->seed;
	s->prefix = (uint32_t)(rng_mix(opt->seed ^ 0x5157u) >> 32);
	if (sim_enable(s, opt->workflows && *opt->workflows ? opt->workflows : "", cause,
		       causelen) < 0) {
		sim_free(s);
		return NULL;
	}
	if (s->nenabled == 0)
		for (size_t i = 0; i < sim_workflow_count(); i++) {
			s->enabled[s->nenabled++] = sim_workflow_get(i);
			s->total_weight += sim_workflow_get(i)->weight;
		}
	s->workers = xmalloc((size_t)opt->workers * sizeof *s->workers);
	for (int w = 0; w < opt->workers; w++) {
		s->workers[w] = -1;
		sim_schedule(s, rng_range(&s->rng, 1, SIM_RESOURCE_MS) , T_RESOURCE, (uint32_t)w, 0, 0, 0);
	}
	s->arrivals_open = true;
	sim_schedule(s, 0, T_ARRIVAL, 0, 0, 0, 0);
	return s;
}

void sim_free(struct sim *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nexecs; i++) {
		free(s->execs[i]->steps);
		free(s->execs[i]);
	}
	free(s->execs);
	free(s->queue);
	free(s->workers);
	free(s->heap);
	free(s);
}

int64_t sim_next_due(const struct sim *s)
{
	return s->nheap ? s->heap[0].at : INT64_MAX;
}

void sim_run_until(struct sim *s, int64_t now_ms)
{
	while (s->nheap > 0 && s->heap[0].at <= now_ms) {
		struct sim_timer t = sim_pop(s);
		sim_run_timer(s, &t);
	}
	if (now_ms > s->now)
		s->now = now_ms;
}

bool sim_step(struct sim *s)
{
	if (s->nheap == 0)
		return false;
	struct sim_timer t = sim_pop(s);
	sim_run_timer(s, &t);
	return true;
}

void sim_stop(struct sim *s, bool cancel_running, const char *reason)
{
	s->arrivals_open = false;
	/* Queued ones first, so that no cancellation frees a worker for them. */
	while (s->nqueue > 0)
		sim_cancel(s, s->execs[s->queue[0]], reason);
	for (size_t i = 0; cancel_running && i < s->nexecs; i++)
		if (s->execs[i]->used)
			sim_cancel(s, s->execs[i], reason);
}

bool sim_done(const struct sim *s)
{
	return !s->arrivals_open && s->alive == 0;
}

void sim_get_stats(const struct sim *s, struct sim_stats *out)
{
	*out = s->stats;
}
