/* exec_json.c: the execution snapshot schema, written and read in one place
 * (see exec.h): the daemon's snapshots, the store's query results, the
 * daemon's reload at start-up and the console's model all go through these.
 *
 * Times are proto_time_format strings, null when unknown; a log line is
 * written as the log event it came from. The reader merges: nothing it reads
 * moves the execution backwards (so a console resyncing from a daemon that
 * forgot the past loses nothing), and into a fresh execution it is a faithful
 * load. Every value is checked for its type before use: the JSON comes from
 * another process. */
#include "exec.h"

#include <string.h>

#include "proto-internal.h"
#include "xalloc.h"

/* A snapshot lists at most the steps a plan and the unplanned limit allow. */
#define MERGE_MAX_STEPS (PROTO_MAX_STEPS + EXEC_MAX_STEPS)

/* ---- writing ------------------------------------------------------------------ */

static void put_time(json_t *o, const char *key, int64_t ms)
{
	if (ms <= 0) {
		json_object_set_new(o, key, json_null());
		return;
	}
	char buf[40];
	proto_time_format(ms, buf, sizeof buf);
	json_object_set_new(o, key, json_string(buf));
}

static void put_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v != NULL ? json_string(v) : json_null());
}

static void put_json(json_t *o, const char *key, json_t *v)
{
	json_object_set(o, key, v != NULL ? v : json_null());
}

json_t *exec_summary_json_new(const struct exec *x)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(x->id));
	json_object_set_new(o, "workflow_id", json_string(x->workflow_id));
	json_object_set_new(o, "workflow_name", json_string(exec_workflow_name(x)));
	json_object_set_new(o, "priority", json_string(proto_priority_name(x->priority)));
	json_object_set_new(o, "status", json_string(exec_status_name(x->status)));
	put_time(o, "queued_at", x->queued_ms);
	put_time(o, "started_at", x->started_ms);
	put_time(o, "finished_at", x->finished_ms);
	put_time(o, "last_event_at", x->last_event_ms);
	put_str(o, "error", x->error);
	json_object_set_new(o, "steps_total", json_integer(x->steps_total));
	json_object_set_new(o, "steps_completed", json_integer(x->steps_completed));
	json_object_set_new(o, "steps_failed", json_integer(x->steps_failed));
	put_str(o, "current_step", x->current_step[0] ? x->current_step : NULL);
	json_object_set_new(o, "attempt", json_integer(x->attempt ? x->attempt : 1));
	json_t *labels = json_object();
	for (uint32_t i = 0; i < x->nlabels; i++)
		json_object_set_new(labels, x->labels[i].key, json_string(x->labels[i].value));
	json_object_set_new(o, "labels", labels);
	put_time(o, "delayed_until", x->delayed_until_ms);
	const struct exec_control *k = &x->control;
	if (k->state == CTL_NONE) {
		json_object_set_new(o, "control", json_null());
	} else {
		json_t *c = json_object();
		json_object_set_new(c, "state", json_string(exec_control_state_name(k->state)));
		json_object_set_new(c, "command", json_string(proto_control_name(k->command)));
		json_object_set_new(c, "request_id", json_string(k->request_id));
		put_str(c, "by", k->by);
		put_str(c, "reason", k->reason);
		put_time(c, "requested_at", k->requested_ms);
		put_time(c, "answered_at", k->answered_ms);
		json_object_set_new(o, "control", c);
	}
	return o;
}

static json_t *step_json_new(const struct exec_step *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "name", json_string(s->name ? s->name : s->id));
	json_t *deps = json_array();
	for (uint32_t i = 0; i < s->ndepends; i++)
		json_array_append_new(deps, json_string(s->depends_on[i]));
	json_object_set_new(o, "depends_on", deps);
	json_object_set_new(o, "status", json_string(exec_step_status_name(s->status)));
	put_time(o, "started_at", s->started_ms);
	put_time(o, "finished_at", s->finished_ms);
	json_object_set_new(o, "duration_ms", s->duration_ms >= 0 ? json_integer(s->duration_ms) : json_null());
	if (s->progress_total > 0) {
		json_t *p = json_object();
		json_object_set_new(p, "current", json_integer(s->progress_current));
		json_object_set_new(p, "total", json_integer(s->progress_total));
		put_str(p, "unit", s->progress_unit);
		put_str(p, "message", s->progress_message);
		json_object_set_new(o, "progress", p);
	} else {
		json_object_set_new(o, "progress", json_null());
	}
	put_json(o, "input", s->input);
	put_json(o, "output", s->output);
	put_str(o, "error", s->error);
	put_str(o, "error_code", s->error_code);
	put_str(o, "worker", s->worker);
	json_object_set_new(o, "cpu_percent", s->cpu_percent >= 0 ? json_real(s->cpu_percent) : json_null());
	json_object_set_new(o, "memory_bytes", s->memory_bytes >= 0 ? json_integer(s->memory_bytes) : json_null());
	json_object_set_new(o, "attempt", json_integer(s->attempt ? s->attempt : 1));
	json_t *tries = json_array();
	for (uint32_t i = 0; i < s->ntries; i++) {
		const struct exec_try *t = &s->tries[i];
		json_t *tj = json_object();
		json_object_set_new(tj, "attempt", json_integer(t->attempt));
		json_object_set_new(tj, "status", json_string(exec_step_status_name(t->status)));
		put_time(tj, "started_at", t->started_ms);
		put_time(tj, "finished_at", t->finished_ms);
		json_object_set_new(tj, "duration_ms", t->duration_ms >= 0 ? json_integer(t->duration_ms) : json_null());
		put_str(tj, "error", t->error);
		json_array_append_new(tries, tj);
	}
	json_object_set_new(o, "attempts", tries);
	return o;
}

/* The log event the line came from. */
static json_t *log_json_new(const struct exec *x, const struct exec_log_line *l)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(proto_event_kind_name(EV_LOG)));
	json_object_set_new(o, "id", json_string(l->event_id));
	json_object_set_new(o, "execution_id", json_string(x->id));
	json_object_set_new(o, "workflow_id", json_string(x->workflow_id));
	put_time(o, "ts", l->ts_ms);
	json_object_set_new(o, "level", json_string(proto_level_name(l->level)));
	json_object_set_new(o, "message", json_string(l->message));
	if (l->step_id[0] != '\0')
		json_object_set_new(o, "step_id", json_string(l->step_id));
	return o;
}

json_t *exec_json_new(const struct exec *x)
{
	json_t *o = exec_summary_json_new(x);
	put_str(o, "error_code", x->error_code);
	put_str(o, "worker", x->worker);
	put_json(o, "params", x->params);
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
		json_array_append_new(log, log_json_new(x, exec_log_at(x, i)));
	json_object_set_new(o, "log", log);
	return o;
}

/* ---- reading ------------------------------------------------------------------ */

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* A time, or 0 when absent, null or not a time. */
static int64_t jtime(json_t *o, const char *key)
{
	int64_t ms;
	const char *s = jstr(o, key);
	return s != NULL && proto_time_parse(s, &ms) == 0 ? ms : 0;
}

static void take_later(int64_t *dst, int64_t v)
{
	if (v > *dst)
		*dst = v;
}

/* A whole number >= 0 into *dst when the key has one. */
static void take_count(int64_t *dst, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v) && json_integer_value(v) >= 0)
		*dst = json_integer_value(v);
}

static void take_more(uint32_t *dst, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v) && json_integer_value(v) > (json_int_t)*dst &&
	    json_integer_value(v) <= UINT32_MAX)
		*dst = (uint32_t)json_integer_value(v);
}

static void take_str(char **dst, json_t *o, const char *key)
{
	const char *v = jstr(o, key);
	if (v == NULL)
		return;
	free(*dst);
	*dst = xstrdup(v);
}

static void take_json(json_t **dst, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL || json_is_null(v))
		return;
	json_decref(*dst);
	*dst = json_incref(v);
}

/* An attempt number (1..PROTO_MAX_ATTEMPT), or 0 when absent or invalid. */
static uint32_t jattempt(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > PROTO_MAX_ATTEMPT)
		return 0;
	return (uint32_t)json_integer_value(v);
}

static int status_rank(enum exec_status s)
{
	return s == EXEC_QUEUED ? 0 : s == EXEC_RUNNING ? 1 : 2;
}

static int step_rank(enum exec_step_status s)
{
	return s == STEP_PENDING ? 0 : s == STEP_RUNNING ? 1 : 2;
}

/* Dependencies: a list given replaces the one held, except an empty one (a
 * daemon that never saw the plan writes []). */
static void merge_deps(struct exec_step *s, json_t *deps)
{
	size_t n = json_array_size(deps);
	if (!json_is_array(deps) || (n == 0 && s->ndepends > 0))
		return;
	for (uint32_t i = 0; i < s->ndepends; i++)
		free(s->depends_on[i]);
	free(s->depends_on);
	s->depends_on = NULL;
	s->ndepends = 0;
	if (n > PROTO_MAX_DEPS)
		n = PROTO_MAX_DEPS;
	if (n == 0)
		return;
	s->depends_on = xcalloc(n, sizeof *s->depends_on);
	for (size_t i = 0; i < n; i++) {
		const char *id = json_string_value(json_array_get(deps, i));
		if (id != NULL && proto_id_valid(id))
			s->depends_on[s->ndepends++] = xstrdup(id);
	}
}

static void merge_tries(struct exec_step *s, json_t *tries)
{
	size_t i;
	json_t *tj;
	json_array_foreach(tries, i, tj) {
		uint32_t a = jattempt(tj, "attempt");
		enum exec_step_status st;
		if (a == 0 || a >= s->attempt || exec_step_status_parse(jstr(tj, "status"), &st) != 0)
			continue;
		struct exec_try t = {
			.attempt = a, .status = st, .started_ms = jtime(tj, "started_at"),
			.finished_ms = jtime(tj, "finished_at"), .duration_ms = -1, .error = (char *)jstr(tj, "error"),
		};
		take_count(&t.duration_ms, tj, "duration_ms");
		exec_step_try_add(s, &t);
	}
}

static void merge_step(struct exec *x, json_t *js)
{
	const char *id = jstr(js, "id");
	if (id == NULL || !proto_id_valid(id))
		return;
	struct exec_step *s = exec_step_find(x, id);
	if (s == NULL && x->nsteps >= MERGE_MAX_STEPS)
		return;
	if (s == NULL)
		s = exec_step_get(x, id, true);
	/* A later attempt than the one held starts over; an earlier one only
	 * adds to the attempts. */
	uint32_t a = jattempt(js, "attempt");
	if (a > s->attempt)
		exec_step_new_attempt(x, s, a);
	merge_tries(s, json_object_get(js, "attempts"));
	if (a != 0 && a < s->attempt)
		return;
	const char *name = jstr(js, "name");
	/* The writer names a step by its id when no plan named it. */
	if (name != NULL && (s->name == NULL || strcmp(name, s->id) != 0)) {
		free(s->name);
		s->name = xstrdup(name);
	}
	merge_deps(s, json_object_get(js, "depends_on"));
	enum exec_step_status st;
	if (exec_step_status_parse(jstr(js, "status"), &st) == 0 && step_rank(st) >= step_rank(s->status))
		exec_step_status_set(x, s, st);
	take_later(&s->started_ms, jtime(js, "started_at"));
	take_later(&s->finished_ms, jtime(js, "finished_at"));
	take_count(&s->duration_ms, js, "duration_ms");
	json_t *cpu = json_object_get(js, "cpu_percent");
	if (json_is_number(cpu) && json_number_value(cpu) >= 0)
		s->cpu_percent = json_number_value(cpu);
	take_count(&s->memory_bytes, js, "memory_bytes");
	json_t *p = json_object_get(js, "progress");
	if (json_is_object(p)) {
		take_count(&s->progress_current, p, "current");
		take_count(&s->progress_total, p, "total");
		take_str(&s->progress_unit, p, "unit");
		take_str(&s->progress_message, p, "message");
	}
	take_json(&s->input, js, "input");
	take_json(&s->output, js, "output");
	take_str(&s->error, js, "error");
	take_str(&s->error_code, js, "error_code");
	take_str(&s->worker, js, "worker");
}

static uint32_t merge_log(struct exec *x, json_t *log)
{
	int64_t newest = 0;
	for (uint32_t i = 0; i < x->log_count; i++)
		take_later(&newest, exec_log_at(x, i)->ts_ms);
	uint32_t added = 0;
	size_t i;
	json_t *l;
	json_array_foreach(log, i, l) {
		int64_t ts = jtime(l, "ts");
		const char *message = jstr(l, "message");
		if (ts <= newest || message == NULL)
			continue;
		enum proto_level level = LEVEL_INFO;
		proto_level_parse(jstr(l, "level"), &level);
		const char *event_id = jstr(l, "id"), *step_id = jstr(l, "step_id");
		exec_log_push(x, event_id && proto_id_valid(event_id) ? event_id : NULL, ts, level,
			      step_id && proto_id_valid(step_id) ? step_id : NULL, message);
		added++;
	}
	return added;
}

static int control_rank(enum exec_control_state s)
{
	return s == CTL_NONE ? 0 : s == CTL_REQUESTED ? 1 : s == CTL_DONE ? 3 : 2;
}

/* A later request replaces the one held; the same request only moves on. */
static void merge_control(struct exec *x, json_t *c)
{
	enum exec_control_state st;
	enum proto_control cmd;
	const char *rid = jstr(c, "request_id");
	if (!json_is_object(c) || exec_control_state_parse(jstr(c, "state"), &st) != 0 || st == CTL_NONE ||
	    proto_control_parse(jstr(c, "command"), &cmd) != 0 || rid == NULL || !proto_id_valid(rid))
		return;
	struct exec_control *k = &x->control;
	int64_t at = jtime(c, "requested_at");
	bool same = k->state != CTL_NONE && strcmp(k->request_id, rid) == 0;
	if (!same && k->state != CTL_NONE && at < k->requested_ms)
		return;
	if (same && control_rank(st) < control_rank(k->state))
		return;
	k->state = st;
	k->command = cmd;
	snprintf(k->request_id, sizeof k->request_id, "%s", rid);
	take_str(&k->by, c, "by");
	if (!same) {
		free(k->reason);
		k->reason = NULL;
		k->answered_ms = 0;
	}
	take_str(&k->reason, c, "reason");
	take_later(&k->requested_ms, at);
	take_later(&k->answered_ms, jtime(c, "answered_at"));
}

uint32_t exec_merge_json(struct exec *x, json_t *j)
{
	if (!json_is_object(j))
		return 0;
	const char *wf = jstr(j, "workflow_id");
	if (wf != NULL && proto_id_valid(wf))
		snprintf(x->workflow_id, sizeof x->workflow_id, "%s", wf);
	/* The writer names a workflow by its id when no plan named it. */
	const char *name = jstr(j, "workflow_name");
	if (name != NULL && (x->workflow_name == NULL || strcmp(name, x->workflow_id) != 0)) {
		free(x->workflow_name);
		x->workflow_name = xstrdup(name);
	}
	proto_priority_parse(jstr(j, "priority"), &x->priority);
	enum exec_status st;
	bool have_status = exec_status_parse(jstr(j, "status"), &st) == 0;
	/* A later attempt may open a finished execution again; an earlier
	 * attempt's snapshot says nothing about the status. */
	uint32_t a = jattempt(j, "attempt");
	if (a > x->attempt)
		exec_reopen(x, a, have_status && st == EXEC_QUEUED ? EXEC_QUEUED : EXEC_RUNNING);
	bool current = a == 0 || a == x->attempt;
	if (current && have_status && !exec_status_finished(x->status) && status_rank(st) >= status_rank(x->status))
		x->status = st;
	take_later(&x->queued_ms, jtime(j, "queued_at"));
	take_later(&x->started_ms, jtime(j, "started_at"));
	if (current)
		take_later(&x->finished_ms, jtime(j, "finished_at"));
	take_later(&x->last_event_ms, jtime(j, "last_event_at"));
	if (current && x->error == NULL)
		take_str(&x->error, j, "error");
	if (current)
		take_str(&x->error_code, j, "error_code");
	if (json_object_get(j, "delayed_until") != NULL)
		x->delayed_until_ms = jtime(j, "delayed_until");
	exec_labels_merge(x, json_object_get(j, "labels"));
	merge_control(x, json_object_get(j, "control"));
	take_str(&x->worker, j, "worker");
	take_json(&x->params, j, "params");

	json_t *steps = json_object_get(j, "steps");
	size_t i;
	json_t *v;
	json_array_foreach(steps, i, v)
		merge_step(x, v);
	take_more(&x->steps_total, j, "steps_total");
	take_more(&x->steps_completed, j, "steps_completed");
	take_more(&x->steps_failed, j, "steps_failed");
	if (x->nsteps > x->steps_total)
		x->steps_total = x->nsteps;
	const char *cur = jstr(j, "current_step");
	if (json_is_array(steps))
		exec_pick_current(x);
	else if (exec_status_finished(x->status))
		x->current_step[0] = '\0';
	else if (cur != NULL && proto_id_valid(cur))
		snprintf(x->current_step, sizeof x->current_step, "%s", cur);

	const char *key;
	json_object_foreach(json_object_get(j, "counters"), key, v)
		if (json_is_integer(v))
			exec_counter_raise(x, key, json_integer_value(v));
	return merge_log(x, json_object_get(j, "log"));
}
