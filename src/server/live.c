/* live.c: applying events to the in-memory execution state, and snapshots.
 *
 * Invariants: every execution is both in o->executions and on the recency list;
 * a finished execution never goes back to running because of a late event; the
 * number of executions never passes o->max_executions. */
#include "live.h"

#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "xalloc.h"

static const char *const exec_status_names[] = {
	[EXEC_QUEUED] = "queued", [EXEC_RUNNING] = "running", [EXEC_COMPLETED] = "completed",
	[EXEC_FAILED] = "failed", [EXEC_CANCELLED] = "cancelled",
};
static const char *const step_status_names[] = {
	[STEP_PENDING] = "pending", [STEP_RUNNING] = "running",
	[STEP_COMPLETED] = "completed", [STEP_FAILED] = "failed",
};

const char *live_exec_status_name(enum live_exec_status s) { return exec_status_names[s]; }
const char *live_step_status_name(enum live_step_status s) { return step_status_names[s]; }

bool live_exec_finished(enum live_exec_status s)
{
	return s == EXEC_COMPLETED || s == EXEC_FAILED || s == EXEC_CANCELLED;
}

static bool exec_finished(const struct live_execution *x)
{
	return live_exec_finished(x->status);
}

/* ---- small helpers over validated JSON ----------------------------------- */

static const char *get_str(json_t *event, const char *key)
{
	return json_string_value(json_object_get(event, key));
}

static bool get_int(json_t *event, const char *key, int64_t *out)
{
	json_t *v = json_object_get(event, key);
	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
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
	if (src == NULL)
		return;
	json_decref(*dst);
	*dst = json_incref(src);
}

/* ---- executions and steps ------------------------------------------------ */

static void step_init(struct live_step *s, const char *id)
{
	memset(s, 0, sizeof *s);
	snprintf(s->id, sizeof s->id, "%s", id);
	s->duration_ms = -1;
	s->cpu_percent = -1;
	s->memory_bytes = -1;
}

static void step_free(struct live_step *s)
{
	free(s->name);
	json_decref(s->depends_on);
	free(s->progress_unit);
	free(s->progress_message);
	json_decref(s->input);
	json_decref(s->output);
	free(s->error);
	free(s->error_code);
	free(s->worker);
}

static void exec_free(struct live_execution *x)
{
	for (uint32_t i = 0; i < x->nsteps; i++)
		step_free(&x->steps[i]);
	free(x->steps);
	for (uint32_t i = 0; i < x->ncounters; i++)
		free(x->counters[i].name);
	for (uint32_t i = 0; i < x->log_count; i++)
		json_decref(x->log[(x->log_head + i) % LIVE_LOG_LINES]);
	free(x->workflow_name);
	free(x->error);
	free(x->error_code);
	free(x->worker);
	json_decref(x->params);
	free(x);
}

static struct live_step *exec_step(struct live_execution *x, const char *step_id, bool create)
{
	for (uint32_t i = 0; i < x->nsteps; i++)
		if (strcmp(x->steps[i].id, step_id) == 0)
			return &x->steps[i];
	if (!create || x->nsteps >= PROTO_MAX_STEPS)
		return NULL;
	if (x->nsteps == x->capsteps) {
		x->capsteps = x->capsteps ? x->capsteps * 2 : 8;
		x->steps = xrealloc(x->steps, sizeof *x->steps * x->capsteps);
	}
	struct live_step *s = &x->steps[x->nsteps++];
	step_init(s, step_id);
	return s;
}

/* Keeps the last LIVE_LOG_LINES log events, oldest dropped first. */
static void exec_log_push(struct live_execution *x, json_t *event)
{
	if (x->log_count == LIVE_LOG_LINES) {
		json_decref(x->log[x->log_head]);
		x->log[x->log_head] = json_incref(event);
		x->log_head = (x->log_head + 1) % LIVE_LOG_LINES;
	} else {
		x->log[(x->log_head + x->log_count) % LIVE_LOG_LINES] = json_incref(event);
		x->log_count++;
	}
}

static void recency_unlink(struct live_org *o, struct live_execution *x)
{
	if (x->prev) x->prev->next = x->next; else o->newest = x->next;
	if (x->next) x->next->prev = x->prev; else o->oldest = x->prev;
	x->prev = x->next = NULL;
}

static void recency_push_front(struct live_org *o, struct live_execution *x)
{
	x->prev = NULL;
	x->next = o->newest;
	if (o->newest) o->newest->prev = x; else o->oldest = x;
	o->newest = x;
}

static void org_evict_one(struct live_org *o)
{
	struct live_execution *victim = NULL;
	for (struct live_execution *x = o->oldest; x != NULL; x = x->prev)
		if (exec_finished(x)) {
			victim = x;
			break;
		}
	if (victim == NULL)
		victim = o->oldest;
	recency_unlink(o, victim);
	strmap_remove(&o->executions, victim->id);
	exec_free(victim);
}

static struct live_execution *org_execution(struct live_org *o, const struct proto_event *ev,
					    int *before)
{
	struct live_execution *x = strmap_get(&o->executions, ev->execution_id);
	if (x != NULL) {
		*before = (int)x->status;
		recency_unlink(o, x);
		recency_push_front(o, x);
		return x;
	}
	*before = -1;
	while (strmap_count(&o->executions) >= o->max_executions && o->oldest != NULL)
		org_evict_one(o);
	x = xcalloc(1, sizeof *x);
	snprintf(x->id, sizeof x->id, "%s", ev->execution_id);
	snprintf(x->workflow_id, sizeof x->workflow_id, "%s", ev->workflow_id);
	x->workflow_name = xstrdup(ev->workflow_id);
	x->priority = PRIO_NORMAL;
	/* Anything but a queued event means the execution is already under way. */
	x->status = ev->kind == EV_EXECUTION_QUEUED ? EXEC_QUEUED : EXEC_RUNNING;
	strmap_put(&o->executions, x->id, x);
	recency_push_front(o, x);
	return x;
}

void live_org_init(struct live_org *o, uint32_t max_executions)
{
	memset(o, 0, sizeof *o);
	strmap_init(&o->executions);
	strmap_init(&o->workers);
	o->max_executions = max_executions ? max_executions : 1;
}

static void free_worker(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	json_decref(value);
}

void live_org_free(struct live_org *o)
{
	struct live_execution *x = o->newest;
	while (x != NULL) {
		struct live_execution *next = x->next;
		exec_free(x);
		x = next;
	}
	strmap_clear(&o->executions);
	strmap_each(&o->workers, free_worker, NULL);
	strmap_clear(&o->workers);
}

struct live_execution *live_find(const struct live_org *o, const char *execution_id)
{
	return strmap_get(&o->executions, execution_id);
}

/* ---- applying events, one function per kind ------------------------------- */

typedef void (*apply_fn)(struct live_org *o, struct live_execution *x, const struct proto_event *ev,
			 json_t *event);

static void apply_queued(struct live_org *o, struct live_execution *x, const struct proto_event *ev,
			 json_t *event)
{
	(void)o;
	set_str(&x->workflow_name, get_str(event, "workflow_name"));
	proto_priority_parse(get_str(event, "priority"), &x->priority);
	set_json(&x->params, json_object_get(event, "params"));
	x->queued_ms = ev->ts_ms;
	json_t *steps = json_object_get(event, "steps");
	size_t i;
	json_t *s;
	json_array_foreach(steps, i, s) {
		struct live_step *st = exec_step(x, get_str(s, "id"), true);
		if (st == NULL)
			break;
		set_str(&st->name, get_str(s, "name"));
		set_json(&st->depends_on, json_object_get(s, "depends_on"));
	}
}

static void apply_started(struct live_org *o, struct live_execution *x, const struct proto_event *ev,
			  json_t *event)
{
	(void)o;
	if (!exec_finished(x))
		x->status = EXEC_RUNNING;
	x->started_ms = ev->ts_ms;
	set_str(&x->worker, get_str(event, "worker"));
}

static void step_set_usage(struct live_step *st, json_t *event)
{
	int64_t v;
	if (get_int(event, "duration_ms", &v))
		st->duration_ms = v;
	json_t *cpu = json_object_get(event, "cpu_percent");
	if (json_is_number(cpu))
		st->cpu_percent = json_number_value(cpu);
	if (get_int(event, "memory_bytes", &v))
		st->memory_bytes = v;
}

static void apply_step_started(struct live_org *o, struct live_execution *x,
			       const struct proto_event *ev, json_t *event)
{
	(void)o;
	struct live_step *st = exec_step(x, ev->step_id, true);
	if (st == NULL)
		return;
	if (st->status == STEP_PENDING)
		st->status = STEP_RUNNING;
	st->started_ms = ev->ts_ms;
	set_json(&st->input, json_object_get(event, "input"));
	set_str(&st->worker, get_str(event, "worker"));
	if (x->status == EXEC_QUEUED)
		x->status = EXEC_RUNNING;
}

static void apply_step_progress(struct live_org *o, struct live_execution *x,
				const struct proto_event *ev, json_t *event)
{
	(void)o;
	struct live_step *st = exec_step(x, ev->step_id, true);
	if (st == NULL)
		return;
	if (st->status == STEP_PENDING)
		st->status = STEP_RUNNING;
	get_int(event, "current", &st->progress_current);
	get_int(event, "total", &st->progress_total);
	set_str(&st->progress_unit, get_str(event, "unit"));
	set_str(&st->progress_message, get_str(event, "message"));
}

static void apply_step_completed(struct live_org *o, struct live_execution *x,
				 const struct proto_event *ev, json_t *event)
{
	(void)o;
	struct live_step *st = exec_step(x, ev->step_id, true);
	if (st == NULL)
		return;
	st->status = STEP_COMPLETED;
	st->finished_ms = ev->ts_ms;
	set_json(&st->output, json_object_get(event, "output"));
	step_set_usage(st, event);
	if (st->progress_total > 0)
		st->progress_current = st->progress_total;
}

static void apply_step_failed(struct live_org *o, struct live_execution *x,
			      const struct proto_event *ev, json_t *event)
{
	(void)o;
	struct live_step *st = exec_step(x, ev->step_id, true);
	if (st == NULL)
		return;
	st->status = STEP_FAILED;
	st->finished_ms = ev->ts_ms;
	set_str(&st->error, get_str(event, "error"));
	set_str(&st->error_code, get_str(event, "error_code"));
	step_set_usage(st, event);
}

static void apply_log(struct live_org *o, struct live_execution *x, const struct proto_event *ev,
		      json_t *event)
{
	(void)o;
	(void)ev;
	exec_log_push(x, event);
}

static void apply_counter(struct live_org *o, struct live_execution *x, const struct proto_event *ev,
			  json_t *event)
{
	(void)o;
	(void)ev;
	const char *name = get_str(event, "name");
	int64_t value = 0;
	get_int(event, "value", &value);
	for (uint32_t i = 0; i < x->ncounters; i++) {
		if (strcmp(x->counters[i].name, name) == 0) {
			/* Counters are absolute totals: an older total arriving late never lowers it. */
			if (value > x->counters[i].value)
				x->counters[i].value = value;
			return;
		}
	}
	if (x->ncounters < LIVE_COUNTERS) {
		x->counters[x->ncounters].name = xstrdup(name);
		x->counters[x->ncounters].value = value;
		x->ncounters++;
	}
}

static void apply_resource(struct live_org *o, struct live_execution *x, const struct proto_event *ev,
			   json_t *event)
{
	(void)x;
	(void)ev;
	const char *worker = get_str(event, "worker");
	json_t *old = strmap_get(&o->workers, worker);
	if (old == NULL && strmap_count(&o->workers) >= LIVE_WORKERS)
		return;
	json_decref(strmap_put(&o->workers, worker, json_incref(event)));
}

static void finish(struct live_execution *x, const struct proto_event *ev,
		   enum live_exec_status status)
{
	x->status = status;
	x->finished_ms = ev->ts_ms;
	/* A running step of an ended execution will never finish on its own. */
	for (uint32_t i = 0; i < x->nsteps; i++)
		if (x->steps[i].status == STEP_RUNNING && status != EXEC_COMPLETED)
			x->steps[i].status = STEP_FAILED;
}

static void apply_completed(struct live_org *o, struct live_execution *x,
			    const struct proto_event *ev, json_t *event)
{
	(void)o;
	(void)event;
	finish(x, ev, EXEC_COMPLETED);
}

static void apply_failed(struct live_org *o, struct live_execution *x, const struct proto_event *ev,
			 json_t *event)
{
	(void)o;
	set_str(&x->error, get_str(event, "error"));
	set_str(&x->error_code, get_str(event, "error_code"));
	finish(x, ev, EXEC_FAILED);
}

static void apply_cancelled(struct live_org *o, struct live_execution *x,
			    const struct proto_event *ev, json_t *event)
{
	(void)o;
	set_str(&x->error, get_str(event, "reason"));
	finish(x, ev, EXEC_CANCELLED);
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

struct live_execution *live_apply(struct live_org *o, const struct proto_event *ev, json_t *event,
				  int *before)
{
	struct live_execution *x = org_execution(o, ev, before);
	apply_table[ev->kind](o, x, ev, event);
	if (ev->ts_ms > x->last_event_ms)
		x->last_event_ms = ev->ts_ms;
	x->events++;
	return x;
}

/* ---- reloading ------------------------------------------------------------ */

static int64_t get_time(json_t *obj, const char *key)
{
	int64_t ms = 0;
	const char *t = json_string_value(json_object_get(obj, key));
	if (t != NULL)
		proto_time_parse(t, &ms);
	return ms;
}

static int64_t get_int_or(json_t *obj, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(obj, key);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

int live_load_execution(struct live_org *o, json_t *xj)
{
	const char *id = json_string_value(json_object_get(xj, "id"));
	const char *wf = json_string_value(json_object_get(xj, "workflow_id"));
	if (id == NULL || wf == NULL || !proto_id_valid(id) || !proto_id_valid(wf))
		return -1;
	struct proto_event ev = { .kind = EV_EXECUTION_STARTED, .execution_id = id, .workflow_id = wf };
	int before;
	struct live_execution *x = org_execution(o, &ev, &before);
	set_str(&x->workflow_name, get_str(xj, "workflow_name"));
	proto_priority_parse(get_str(xj, "priority"), &x->priority);
	int st = names_find(exec_status_names, sizeof exec_status_names / sizeof exec_status_names[0],
			      get_str(xj, "status"));
	if (st >= 0)
		x->status = (enum live_exec_status)st;
	x->queued_ms = get_time(xj, "queued_at");
	x->started_ms = get_time(xj, "started_at");
	x->finished_ms = get_time(xj, "finished_at");
	x->last_event_ms = get_time(xj, "last_event_at");
	set_str(&x->error, get_str(xj, "error"));
	set_str(&x->error_code, get_str(xj, "error_code"));
	set_str(&x->worker, get_str(xj, "worker"));
	json_t *params = json_object_get(xj, "params");
	if (params != NULL && !json_is_null(params))
		set_json(&x->params, params);
	size_t i;
	json_t *sj;
	json_array_foreach(json_object_get(xj, "steps"), i, sj) {
		const char *sid = get_str(sj, "id");
		if (sid == NULL || !proto_id_valid(sid))
			continue;
		struct live_step *st2 = exec_step(x, sid, true);
		if (st2 == NULL)
			break;
		set_str(&st2->name, get_str(sj, "name"));
		json_t *deps = json_object_get(sj, "depends_on");
		if (json_is_array(deps))
			set_json(&st2->depends_on, deps);
		int ss = names_find(step_status_names, sizeof step_status_names / sizeof step_status_names[0],
				      get_str(sj, "status"));
		if (ss >= 0)
			st2->status = (enum live_step_status)ss;
		st2->started_ms = get_time(sj, "started_at");
		st2->finished_ms = get_time(sj, "finished_at");
		st2->duration_ms = get_int_or(sj, "duration_ms", -1);
		json_t *p = json_object_get(sj, "progress");
		if (json_is_object(p)) {
			st2->progress_current = get_int_or(p, "current", 0);
			st2->progress_total = get_int_or(p, "total", 0);
			set_str(&st2->progress_unit, get_str(p, "unit"));
			set_str(&st2->progress_message, get_str(p, "message"));
		}
		json_t *in = json_object_get(sj, "input"), *out = json_object_get(sj, "output");
		if (in != NULL && !json_is_null(in))
			set_json(&st2->input, in);
		if (out != NULL && !json_is_null(out))
			set_json(&st2->output, out);
		set_str(&st2->error, get_str(sj, "error"));
		set_str(&st2->error_code, get_str(sj, "error_code"));
		set_str(&st2->worker, get_str(sj, "worker"));
		json_t *cpu = json_object_get(sj, "cpu_percent");
		if (json_is_number(cpu))
			st2->cpu_percent = json_number_value(cpu);
		st2->memory_bytes = get_int_or(sj, "memory_bytes", -1);
	}
	const char *cname;
	json_t *cv;
	json_object_foreach(json_object_get(xj, "counters"), cname, cv) {
		if (x->ncounters < LIVE_COUNTERS && json_is_integer(cv)) {
			x->counters[x->ncounters].name = xstrdup(cname);
			x->counters[x->ncounters].value = json_integer_value(cv);
			x->ncounters++;
		}
	}
	json_array_foreach(json_object_get(xj, "log"), i, sj)
		exec_log_push(x, sj);
	return 0;
}

/* ---- snapshots ----------------------------------------------------------- */

static void put_time(json_t *obj, const char *key, int64_t ms)
{
	if (ms <= 0) {
		json_object_set_new(obj, key, json_null());
		return;
	}
	char buf[40];
	proto_time_format(ms, buf, sizeof buf);
	json_object_set_new(obj, key, json_string(buf));
}

static void put_str(json_t *obj, const char *key, const char *value)
{
	json_object_set_new(obj, key, value ? json_string(value) : json_null());
}

static const struct live_step *exec_current_step(const struct live_execution *x)
{
	const struct live_step *cur = NULL;
	for (uint32_t i = 0; i < x->nsteps; i++)
		if (x->steps[i].status == STEP_RUNNING &&
		    (cur == NULL || x->steps[i].started_ms > cur->started_ms))
			cur = &x->steps[i];
	return cur;
}

json_t *live_execution_summary_new(const struct live_execution *x)
{
	json_t *o = json_object();
	uint32_t done = 0, failed = 0;
	for (uint32_t i = 0; i < x->nsteps; i++) {
		done += x->steps[i].status == STEP_COMPLETED;
		failed += x->steps[i].status == STEP_FAILED;
	}
	const struct live_step *cur = exec_current_step(x);
	json_object_set_new(o, "id", json_string(x->id));
	json_object_set_new(o, "workflow_id", json_string(x->workflow_id));
	json_object_set_new(o, "workflow_name", json_string(x->workflow_name));
	json_object_set_new(o, "priority", json_string(proto_priority_name(x->priority)));
	json_object_set_new(o, "status", json_string(live_exec_status_name(x->status)));
	put_time(o, "queued_at", x->queued_ms);
	put_time(o, "started_at", x->started_ms);
	put_time(o, "finished_at", x->finished_ms);
	put_time(o, "last_event_at", x->last_event_ms);
	put_str(o, "error", x->error);
	json_object_set_new(o, "steps_total", json_integer(x->nsteps));
	json_object_set_new(o, "steps_completed", json_integer(done));
	json_object_set_new(o, "steps_failed", json_integer(failed));
	put_str(o, "current_step", cur ? cur->id : NULL);
	return o;
}

static json_t *step_json_new(const struct live_step *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(s->id));
	put_str(o, "name", s->name ? s->name : s->id);
	json_object_set_new(o, "depends_on", s->depends_on ? json_incref(s->depends_on) : json_array());
	json_object_set_new(o, "status", json_string(live_step_status_name(s->status)));
	put_time(o, "started_at", s->started_ms);
	put_time(o, "finished_at", s->finished_ms);
	json_object_set_new(o, "duration_ms", s->duration_ms >= 0 ? json_integer(s->duration_ms) : json_null());
	if (s->progress_total > 0) {
		json_t *p = json_pack("{s:I,s:I}", "current", (json_int_t)s->progress_current,
				      "total", (json_int_t)s->progress_total);
		put_str(p, "unit", s->progress_unit);
		put_str(p, "message", s->progress_message);
		json_object_set_new(o, "progress", p);
	} else {
		json_object_set_new(o, "progress", json_null());
	}
	json_object_set(o, "input", s->input ? s->input : json_null());
	json_object_set(o, "output", s->output ? s->output : json_null());
	put_str(o, "error", s->error);
	put_str(o, "error_code", s->error_code);
	put_str(o, "worker", s->worker);
	json_object_set_new(o, "cpu_percent", s->cpu_percent >= 0 ? json_real(s->cpu_percent) : json_null());
	json_object_set_new(o, "memory_bytes", s->memory_bytes >= 0 ? json_integer(s->memory_bytes) : json_null());
	return o;
}

json_t *live_execution_json_new(const struct live_execution *x)
{
	json_t *o = live_execution_summary_new(x);
	put_str(o, "error_code", x->error_code);
	put_str(o, "worker", x->worker);
	json_object_set(o, "params", x->params ? x->params : json_null());
	json_t *steps = json_array();
	for (uint32_t i = 0; i < x->nsteps; i++)
		json_array_append_new(steps, step_json_new(&x->steps[i]));
	json_object_set_new(o, "steps", steps);
	json_t *counters = json_object();
	for (uint32_t i = 0; i < x->ncounters; i++)
		json_object_set_new(counters, x->counters[i].name, json_integer(x->counters[i].value));
	json_object_set_new(o, "counters", counters);
	json_t *log = json_array();
	for (uint32_t i = 0; i < x->log_count; i++)
		json_array_append(log, x->log[(x->log_head + i) % LIVE_LOG_LINES]);
	json_object_set_new(o, "log", log);
	return o;
}

json_t *live_org_snapshot_new(const struct live_org *o, const char *workflow_id)
{
	json_t *list = json_array();
	uint32_t recent = 0;
	/* Active ones first, then the most recent finished ones. */
	for (struct live_execution *x = o->newest; x != NULL; x = x->next)
		if (!exec_finished(x) && (workflow_id == NULL || strcmp(x->workflow_id, workflow_id) == 0))
			json_array_append_new(list, live_execution_summary_new(x));
	for (struct live_execution *x = o->newest; x != NULL && recent < LIVE_SNAPSHOT_RECENT; x = x->next)
		if (exec_finished(x) && (workflow_id == NULL || strcmp(x->workflow_id, workflow_id) == 0)) {
			json_array_append_new(list, live_execution_summary_new(x));
			recent++;
		}
	return json_pack("{s:o}", "executions", list);
}

json_t *live_queue_snapshot_new(const struct live_org *o)
{
	json_t *list = json_array();
	/* The recency list runs newest first; walk it backwards for oldest first. */
	for (struct live_execution *x = o->oldest; x != NULL; x = x->prev)
		if (x->status == EXEC_QUEUED)
			json_array_append_new(list, live_execution_summary_new(x));
	return json_pack("{s:o}", "queued", list);
}

static void collect_worker(const char *key, void *value, void *arg)
{
	(void)key;
	json_array_append(arg, value);
}

json_t *live_resources_snapshot_new(const struct live_org *o)
{
	json_t *list = json_array();
	strmap_each(&o->workers, collect_worker, list);
	return json_pack("{s:o}", "workers", list);
}
