/* bmq.c: BullMQ stream entries into wfmon events (see bmq.h).
 *
 * Invariants: every event made is valid (ids and names are made fit before
 * use, texts cut at a character boundary); an entry's k-th event has the id
 * "b<queue hash>-<stream id>-<k>", the same however often it is translated;
 * the memory holds at most BMQ_MEMORY_JOBS jobs (the least recently touched
 * go first) and a job it forgot is picked up again from its hash. */
#include "bmq.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto.h"
#include "utf8.h"
#include "xalloc.h"

/* ---- ids ---------------------------------------------------------------------------- */

static uint32_t fnv1a(const char *a, const char *b)
{
	uint32_t h = 2166136261u;
	for (const char *s = a; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h = (h ^ 0x1f) * 16777619u;
	for (const char *s = b; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static bool id_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '-';
}

void bmq_id(const char *a, const char *sep, const char *b, char *out, size_t len)
{
	char full[512];
	snprintf(full, sizeof full, "%s%s%s", a ? a : "", sep ? sep : "", b ? b : "");
	size_t n = strlen(full), max = len - 1 < PROTO_MAX_ID ? len - 1 : PROTO_MAX_ID;
	bool changed = false;
	for (size_t i = 0; i < n; i++)
		if (!id_char((unsigned char)full[i])) {
			full[i] = '_';
			changed = true;
		}
	if (n == 0)
		snprintf(full, sizeof full, "_");
	if (!changed && n <= max) {
		snprintf(out, len, "%s", full);
		return;
	}
	/* Changed or too long: the start and a hash of the original, so that
	 * texts differing only in replaced or cut characters ("faktury zł" and
	 * "faktury_z_") never share an id. */
	snprintf(out, len, "%.*s.%08x", (int)(n < max - 9 ? n : max - 9), full, fnv1a(a, b));
}

bool bmq_split_key(const char *prefix, const char *key, char *queue, size_t qlen, char *id, size_t idlen)
{
	size_t pl = strlen(prefix);
	if (key == NULL || strncmp(key, prefix, pl) != 0 || key[pl] != ':')
		return false;
	const char *q = key + pl + 1, *colon = strchr(q, ':');
	if (colon == NULL || colon == q || colon[1] == '\0')
		return false;
	snprintf(queue, qlen, "%.*s", (int)(colon - q), q);
	snprintf(id, idlen, "%s", colon + 1);
	return true;
}

/* A text field from any bytes: valid, without control characters, cut. */
static void text_of(const char *in, char *out, size_t len, bool name)
{
	bool bad, cut;
	if (utf8_sanitize_line(in ? in : "", in ? strlen(in) : 0, out, len, &bad, &cut) == 0)
		snprintf(out, len, "?");
	if (name)
		for (char *p = out; *p; p++)
			if (*p == '\t')
				*p = ' ';
}

/* ---- data --------------------------------------------------------------------------------- */

static bool masked_key(const struct bmq_options *o, const char *key)
{
	for (size_t i = 0; i < o->nmasks; i++)
		if (strcasecmp(o->masks[i], key) == 0)
			return true;
	return false;
}

/* Masks and bounds the depth in place; counts what it did. */
static json_t *shape(const struct bmq_options *o, json_t *v, int depth, int *masked, bool *deep)
{
	if (!json_is_object(v) && !json_is_array(v))
		return v;
	if (depth >= BMQ_MAX_DEPTH) {
		*deep = true;
		json_decref(v);
		return json_string("(deeper levels left out)");
	}
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			json_array_set_new(v, i, shape(o, json_incref(json_array_get(v, i)), depth + 1, masked, deep));
		return v;
	}
	const char *key;
	json_t *child;
	void *tmp;
	json_object_foreach_safe(v, tmp, key, child) {
		if (masked_key(o, key)) {
			json_object_set_new(v, key, json_string("***"));
			(*masked)++;
		} else {
			json_object_set_new(v, key, shape(o, json_incref(child), depth + 1, masked, deep));
		}
	}
	return v;
}

json_t *bmq_data(const struct bmq_options *o, const char *raw, char *note, size_t notelen)
{
	note[0] = '\0';
	if (raw == NULL)
		return NULL;
	size_t rawlen = strlen(raw);
	json_error_t err;
	/* jansson nests with recursion: bound it before parsing (its own limit
	 * refuses deeper text, which is then kept as text). */
	json_t *v = json_loadb(raw, rawlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (v == NULL) {
		char *text = xmalloc(o->max_data + 1);
		bool bad, cut;
		utf8_sanitize_line(raw, rawlen < o->max_data * 2 ? rawlen : o->max_data * 2, text, o->max_data / 2 + 1, &bad, &cut);
		v = json_string(text);
		free(text);
		snprintf(note, notelen, "is not JSON (%s at byte %d): kept as text%s", err.text, err.position,
			 cut || rawlen > o->max_data / 2 ? ", cut" : "");
		return v;
	}
	int masked = 0;
	bool deep = false;
	v = shape(o, v, 0, &masked, &deep);
	size_t size = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	if (size > o->max_data) {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(v);
		char preview[1024];
		bool bad, cut;
		utf8_sanitize_line(text ? text : "", text ? strlen(text) : 0, preview, sizeof preview, &bad, &cut);
		free(text);
		v = json_pack("{s:b,s:I,s:s}", "truncated", 1, "bytes", (json_int_t)size, "preview", preview);
		snprintf(note, notelen, "is %zu bytes, more than the %zu kept: a preview is shown", size, o->max_data);
	} else if (deep) {
		snprintf(note, notelen, "nests deeper than %d levels: the deeper ones are left out", BMQ_MAX_DEPTH);
	}
	if (masked > 0 && note[0] == '\0')
		snprintf(note, notelen, "had %d value%s masked", masked, masked == 1 ? "" : "s");
	return v;
}

/* ---- memory ---------------------------------------------------------------------------------- */

struct jobmem {
	char key[300];                 /* queue \x1f id */
	struct jobmem *prev, *next;    /* most recent first */
	int attempt;                   /* the attempt running or last run */
	int64_t active_ms;             /* when it became active, 0: not now */
	bool exec_started;             /* execution.started sent (an execution's own) */
	bool finished;
	bool child;
	bool seen;                     /* an earlier entry of it was translated */
	char exec_id[PROTO_MAX_ID + 1];     /* the execution its events go to */
	char workflow_id[PROTO_MAX_ID + 1];
	char step_id[PROTO_MAX_ID + 1];
};

struct bmq_memory {
	struct strmap by_key;
	struct jobmem *newest, *oldest;
};

struct bmq_memory *bmq_memory_new(void)
{
	struct bmq_memory *m = xcalloc(1, sizeof *m);
	strmap_init(&m->by_key);
	return m;
}

void bmq_memory_free(struct bmq_memory *m)
{
	if (m == NULL)
		return;
	for (struct jobmem *j = m->newest, *next; j != NULL; j = next) {
		next = j->next;
		free(j);
	}
	strmap_clear(&m->by_key);
	free(m);
}

size_t bmq_memory_count(const struct bmq_memory *m)
{
	return strmap_count(&m->by_key);
}

static void mem_unlink(struct bmq_memory *m, struct jobmem *j)
{
	if (j->prev) j->prev->next = j->next; else m->newest = j->next;
	if (j->next) j->next->prev = j->prev; else m->oldest = j->prev;
	j->prev = j->next = NULL;
}

static void mem_front(struct bmq_memory *m, struct jobmem *j)
{
	j->next = m->newest;
	if (m->newest) m->newest->prev = j; else m->oldest = j;
	m->newest = j;
}

static struct jobmem *mem_find(struct bmq_memory *m, const char *queue, const char *id)
{
	char key[300];
	snprintf(key, sizeof key, "%s\x1f%s", queue, id);
	struct jobmem *j = strmap_get(&m->by_key, key);
	if (j != NULL) {
		mem_unlink(m, j);
		mem_front(m, j);
	}
	return j;
}

static struct jobmem *mem_get(struct bmq_memory *m, const char *queue, const char *id)
{
	struct jobmem *j = mem_find(m, queue, id);
	if (j != NULL)
		return j;
	while (strmap_count(&m->by_key) >= BMQ_MEMORY_JOBS && m->oldest != NULL) {
		struct jobmem *old = m->oldest;
		mem_unlink(m, old);
		strmap_remove(&m->by_key, old->key);
		free(old);
	}
	j = xcalloc(1, sizeof *j);
	snprintf(j->key, sizeof j->key, "%s\x1f%s", queue, id);
	strmap_put(&m->by_key, j->key, j);
	mem_front(m, j);
	return j;
}

/* ---- making events ------------------------------------------------------------------------------ */

struct tx {
	const struct bmq_options *o;
	const struct bmq_entry *e;
	const struct bmq_job *job;
	const struct bmq_sink *sink;
	struct jobmem *mem;
	size_t k;                        /* events made for this entry */
	size_t emitted;                  /* ... and handed out */
	char queue_hash[12];
	char job_name[PROTO_MAX_NAME + 1];
	char note[512];                  /* what data_of did, logged after the event it went into */
};

static void say(struct tx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct tx *t, const char *fmt, ...)
{
	if (t->sink->say == NULL)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	t->sink->say(line, t->sink->arg);
}

static json_t *ev_new(struct tx *t, enum proto_event_kind kind)
{
	char id[PROTO_MAX_ID + 1], ts[40];
	snprintf(id, sizeof id, "b%s-%.40s-%zu", t->queue_hash, t->e->stream_id, t->k++);
	proto_time_format(t->e->ts_ms, ts, sizeof ts);
	return json_pack("{s:s,s:s,s:s,s:s,s:s}", "type", proto_event_kind_name(kind), "id", id, "execution_id",
			 t->mem->exec_id, "workflow_id", t->mem->workflow_id, "ts", ts);
}

static void emit(struct tx *t, json_t *ev)
{
	struct proto_cause cause;
	if (proto_event_validate(ev, NULL, &cause) != 0) {
		say(t, "job %s of %s: an event could not be made (%s: %s): left out", t->e->job_id, t->e->queue,
		    cause.field, cause.message);
		json_decref(ev);
		return;
	}
	t->emitted++;
	t->sink->emit(ev, t->sink->arg);
}

/* A log event of text already made fit. */
static void log_emit(struct tx *t, const char *level, const char *step, const char *msg)
{
	json_t *ev = ev_new(t, EV_LOG);
	json_object_set_new(ev, "level", json_string(level));
	json_object_set_new(ev, "message", json_string(msg));
	if (step != NULL)
		json_object_set_new(ev, "step_id", json_string(step));
	emit(t, ev);
}

static void log_line(struct tx *t, const char *level, const char *step, const char *text)
{
	char msg[PROTO_MAX_TEXT];
	bool bad, cut;
	if (utf8_sanitize_line(text, strlen(text), msg, sizeof msg, &bad, &cut) > 0)
		log_emit(t, level, step, msg);
}

/* Data made fit, saying once what was done to it: in the bridge's log now,
 * in the execution's log by note_flush once the event that carries the data
 * is out (a log line first would make wfmond see the execution start before
 * it was queued). */
static json_t *data_of(struct tx *t, const char *raw, const char *what)
{
	char note[256];
	json_t *v = bmq_data(t->o, raw, note, sizeof note);
	if (note[0] != '\0') {
		snprintf(t->note, sizeof t->note, "job %s of %s: its %s %s", t->e->job_id, t->e->queue, what, note);
		say(t, "%s", t->note);
	}
	return v;
}

static void note_flush(struct tx *t)
{
	if (t->note[0] != '\0')
		log_line(t, "warn", NULL, t->note);
	t->note[0] = '\0';
}

static const char *priority_of(const struct bmq_options *o, int64_t p)
{
	if (p <= 0)
		return "NORMAL";
	return p <= o->high_priority ? "HIGH" : "LOW";
}

/* Labels: the queue, the job's name, and the chosen top-level data keys. */
static json_t *labels_of(struct tx *t, json_t *data)
{
	json_t *labels = json_object();
	char v[PROTO_MAX_LABEL_VALUE + 1];
	text_of(t->e->queue, v, sizeof v, true);
	json_object_set_new(labels, "queue", json_string(v));
	text_of(t->job_name, v, sizeof v, true);
	json_object_set_new(labels, "job", json_string(v));
	for (size_t i = 0; i < t->o->nlabel_keys && json_object_size(labels) < PROTO_MAX_LABELS; i++) {
		const char *key = t->o->label_keys[i];
		json_t *x = json_object_get(data, key);
		char num[64];
		const char *s = json_string_value(x);
		if (json_is_integer(x))
			s = (snprintf(num, sizeof num, "%lld", (long long)json_integer_value(x)), num);
		else if (json_is_real(x))
			s = (snprintf(num, sizeof num, "%g", json_real_value(x)), num);
		else if (json_is_boolean(x))
			s = json_is_true(x) ? "true" : "false";
		if (s == NULL || s[0] == '\0' || !proto_label_key_valid(key))
			continue;
		text_of(s, v, sizeof v, true);
		json_object_set_new(labels, key, json_string(v));
	}
	return labels;
}

/* execution.queued of a job that is its own execution. */
static void queued(struct tx *t, int64_t delayed_until)
{
	const struct bmq_job *job = t->job;
	json_t *ev = ev_new(t, EV_EXECUTION_QUEUED);
	char name[PROTO_MAX_NAME + 1];
	snprintf(name, sizeof name, "%.80s (%.40s)", t->job_name, t->e->queue);
	utf8_trim_tail(name);
	text_of(name, name, sizeof name, true);
	json_object_set_new(ev, "workflow_name", json_string(name));
	json_object_set_new(ev, "priority", json_string(priority_of(t->o, job ? job->priority : 0)));
	json_t *data = job && job->exists ? data_of(t, job->data, "data") : NULL;
	json_object_set_new(ev, "labels", labels_of(t, data));
	if (data != NULL)
		json_object_set_new(ev, "params", data);
	if (delayed_until > t->e->ts_ms) {
		char at[40];
		proto_time_format(delayed_until, at, sizeof at);
		json_object_set_new(ev, "delayed_until", json_string(at));
	}
	/* The plan: a flow's children, then its own processing. */
	json_t *steps = json_array(), *deps = json_array();
	for (size_t i = 0; job && i < job->nchildren && i < BMQ_MAX_CHILDREN; i++) {
		char sid[PROTO_MAX_ID + 1], cname[PROTO_MAX_NAME + 1];
		bmq_id(job->children[i].queue, ":", job->children[i].id, sid, sizeof sid);
		text_of(job->children[i].name[0] ? job->children[i].name : job->children[i].id, cname, sizeof cname, true);
		json_array_append_new(steps, json_pack("{s:s,s:s}", "id", sid, "name", cname));
		json_array_append_new(deps, json_string(sid));
	}
	json_array_append_new(steps, json_pack("{s:s,s:s,s:o}", "id", BMQ_PROCESS_STEP, "name", t->job_name,
					       "depends_on", deps));
	json_object_set_new(ev, "steps", steps);
	emit(t, ev);
	note_flush(t);
}

static void step_failed(struct tx *t, const char *reason, bool final)
{
	json_t *ev = ev_new(t, EV_STEP_FAILED);
	char err[PROTO_MAX_TEXT];
	text_of(reason && *reason ? reason : "failed", err, sizeof err, false);
	json_object_set_new(ev, "step_id", json_string(t->mem->step_id));
	json_object_set_new(ev, "error", json_string(err));
	json_object_set_new(ev, "error_code", json_string(final ? "BULLMQ_FAILED" : "BULLMQ_RETRY"));
	json_object_set_new(ev, "attempt", json_integer(t->mem->attempt > 0 ? t->mem->attempt : 1));
	if (t->mem->active_ms > 0 && t->e->ts_ms >= t->mem->active_ms)
		json_object_set_new(ev, "duration_ms", json_integer(t->e->ts_ms - t->mem->active_ms));
	if (t->mem->child)
		json_object_set_new(ev, "name", json_string(t->job_name));
	emit(t, ev);
	t->mem->active_ms = 0;
}

/* The last stack trace of a failed job, as one error log entry that keeps
 * its lines (each made fit as a line of text, as log_line does). */
static void stack_line(struct tx *t)
{
	json_t *st = t->job && t->job->stacktrace ? json_loads(t->job->stacktrace, 0, NULL) : NULL;
	const char *last = json_string_value(json_array_get(st, json_array_size(st) - 1));
	char text[PROTO_MAX_TEXT];
	size_t used = 0;
	for (const char *p = last; p != NULL && *p != '\0' && used + 2 < sizeof text;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		bool bad, cut;
		if (used > 0)
			text[used++] = '\n';
		used += utf8_sanitize_line(p, len, text + used, sizeof text - used, &bad, &cut);
		p = nl ? nl + 1 : NULL;
	}
	text[used] = '\0';
	if (used > 0)
		log_emit(t, "error", t->mem->step_id, text);
	json_decref(st);
}

/* ---- the entry ----------------------------------------------------------------------------------- */

static void on_added(struct tx *t)
{
	if (!t->mem->child)
		queued(t, t->job && t->job->delay_ms > 0 ? t->job->timestamp_ms + t->job->delay_ms : 0);
}

static void on_waiting(struct tx *t)
{
	const char *prev = t->e->prev ? t->e->prev : "";
	if (strcmp(prev, "active") == 0 && t->mem->active_ms > 0) {
		step_failed(t, t->job ? t->job->failed_reason : NULL, false);
		return;
	}
	/* Promoted from delayed: ready now. */
	if (strcmp(prev, "delayed") == 0 && !t->mem->child && !t->mem->exec_started)
		queued(t, 0);
}

static void on_delayed(struct tx *t)
{
	int64_t until = t->e->delay ? strtoll(t->e->delay, NULL, 10) : 0;
	if (t->mem->active_ms > 0) {
		/* A failed attempt that BullMQ retries after a backoff. */
		step_failed(t, t->job ? t->job->failed_reason : NULL, false);
		if (until > 0) {
			char at[40], line[256];
			proto_time_format(until, at, sizeof at);
			snprintf(line, sizeof line, "attempt %d failed; BullMQ tries again at %s", t->mem->attempt, at);
			log_line(t, "warn", t->mem->step_id, line);
		}
		return;
	}
	if (!t->mem->child && !t->mem->exec_started)
		queued(t, until);
}

static void on_active(struct tx *t, struct jobmem *exec_mem)
{
	/* Counted from the stream; a job first met in the middle of an attempt
	 * (the bridge started late) takes the count BullMQ keeps, unless it has
	 * finished since (its history is being read back: counted from here). */
	int ats = t->job && t->job->exists ? (int)t->job->attempts_started : 0;
	bool live = t->job && t->job->exists && t->job->finished_ms == 0;
	if (!t->mem->seen && live && ats > 0)
		t->mem->attempt = ats;
	else
		t->mem->attempt++;
	if (t->mem->attempt > PROTO_MAX_ATTEMPT)
		t->mem->attempt = PROTO_MAX_ATTEMPT;
	t->mem->active_ms = t->e->ts_ms;
	if (!exec_mem->exec_started) {
		exec_mem->exec_started = true;
		emit(t, ev_new(t, EV_EXECUTION_STARTED));
	}
	json_t *ev = ev_new(t, EV_STEP_STARTED);
	json_object_set_new(ev, "step_id", json_string(t->mem->step_id));
	json_object_set_new(ev, "attempt", json_integer(t->mem->attempt));
	json_object_set_new(ev, "name", json_string(t->job_name));
	if (t->mem->child && t->job && t->job->exists) {
		json_t *in = data_of(t, t->job->data, "data");
		if (in != NULL)
			json_object_set_new(ev, "input", in);
	}
	emit(t, ev);
	note_flush(t);
}

static void on_progress(struct tx *t)
{
	json_t *v = t->e->data ? json_loads(t->e->data, JSON_DECODE_ANY, NULL) : NULL;
	int64_t current = -1, total = -1;
	if (json_is_number(v)) {
		double d = json_number_value(v);
		current = (int64_t)llround(d < 0 ? 0 : d > 100 ? 100 : d);
		total = 100;
	} else if (json_is_integer(json_object_get(v, "current")) && json_is_integer(json_object_get(v, "total"))) {
		current = json_integer_value(json_object_get(v, "current"));
		total = json_integer_value(json_object_get(v, "total"));
	}
	if (current >= 0 && total >= 1 && current <= total) {
		json_t *ev = ev_new(t, EV_STEP_PROGRESS);
		json_object_set_new(ev, "step_id", json_string(t->mem->step_id));
		json_object_set_new(ev, "current", json_integer(current));
		json_object_set_new(ev, "total", json_integer(total));
		if (total == 100 && json_is_number(v))
			json_object_set_new(ev, "unit", json_string("%"));
		if (t->mem->attempt > 0)
			json_object_set_new(ev, "attempt", json_integer(t->mem->attempt));
		emit(t, ev);
	} else if (t->e->data != NULL) {
		char line[PROTO_MAX_TEXT];
		snprintf(line, sizeof line, "progress: %.3900s", t->e->data);
		utf8_trim_tail(line);
		log_line(t, "info", t->mem->step_id, line);
	}
	json_decref(v);
}

static void on_completed(struct tx *t)
{
	json_t *out = data_of(t, t->e->returnvalue ? t->e->returnvalue : t->job ? t->job->returnvalue : NULL,
			      "return value");
	json_t *ev = ev_new(t, EV_STEP_COMPLETED);
	json_object_set_new(ev, "step_id", json_string(t->mem->step_id));
	int64_t dur = t->mem->active_ms > 0 && t->e->ts_ms >= t->mem->active_ms ? t->e->ts_ms - t->mem->active_ms : 0;
	json_object_set_new(ev, "duration_ms", json_integer(dur));
	json_object_set_new(ev, "attempt", json_integer(t->mem->attempt > 0 ? t->mem->attempt : 1));
	if (t->mem->child)
		json_object_set_new(ev, "name", json_string(t->job_name));
	if (out != NULL)
		json_object_set(ev, "output", out);
	emit(t, ev);
	note_flush(t);
	t->mem->active_ms = 0;
	t->mem->finished = true;
	if (!t->mem->child) {
		ev = ev_new(t, EV_EXECUTION_COMPLETED);
		if (out != NULL)
			json_object_set(ev, "output", out);
		emit(t, ev);
	}
	json_decref(out);
}

static void on_failed(struct tx *t)
{
	const char *reason = t->e->failed_reason ? t->e->failed_reason : t->job ? t->job->failed_reason : NULL;
	step_failed(t, reason, true);
	stack_line(t);
	t->mem->finished = true;
	if (!t->mem->child) {
		json_t *ev = ev_new(t, EV_EXECUTION_FAILED);
		char err[PROTO_MAX_TEXT];
		text_of(reason && *reason ? reason : "failed", err, sizeof err, false);
		json_object_set_new(ev, "error", json_string(err));
		json_object_set_new(ev, "error_code", json_string("BULLMQ_FAILED"));
		json_object_set_new(ev, "step_id", json_string(t->mem->step_id));
		emit(t, ev);
	}
}

static void on_stalled(struct tx *t)
{
	char line[256];
	snprintf(line, sizeof line, "BullMQ found job %.100s stalled (its worker stopped renewing its lock); "
		 "it goes back to waiting", t->e->job_id);
	log_line(t, "warn", t->mem->step_id, line);
}

static void on_removed(struct tx *t)
{
	if (t->mem->finished || t->mem->child)
		return;
	json_t *ev = ev_new(t, EV_EXECUTION_CANCELLED);
	char why[128];
	snprintf(why, sizeof why, "removed from the queue%s%.40s", t->e->prev ? " while " : "", t->e->prev ? t->e->prev : "");
	json_object_set_new(ev, "reason", json_string(why));
	emit(t, ev);
	t->mem->finished = true;
}

size_t bmq_translate(const struct bmq_options *o, struct bmq_memory *m, const struct bmq_entry *e,
		     const struct bmq_job *job, const struct bmq_sink *sink)
{
	if (e->event == NULL || e->queue == NULL || e->stream_id == NULL)
		return 0;
	if (e->job_id == NULL || e->job_id[0] == '\0')
		return 0;   /* queue-wide events: drained, paused, cleaned ... */
	struct tx t = { .o = o, .e = e, .job = job && job->exists ? job : NULL, .sink = sink };
	snprintf(t.queue_hash, sizeof t.queue_hash, "%08x", fnv1a(o->prefix, e->queue));
	struct jobmem *jm = mem_get(m, e->queue, e->job_id);
	t.mem = jm;
	const char *name = t.job && t.job->name ? t.job->name : e->name;
	text_of(name ? name : e->job_id, t.job_name, sizeof t.job_name, true);
	/* Where this job's events go: its own execution, or its parent's step. */
	struct jobmem *exec_mem = jm;
	if (jm->exec_id[0] == '\0') {
		char pq[128], pid[128];
		if (t.job && t.job->parent_key != NULL &&
		    bmq_split_key(o->prefix, t.job->parent_key, pq, sizeof pq, pid, sizeof pid)) {
			jm->child = true;
			struct jobmem *pm = mem_get(m, pq, pid);
			if (pm->exec_id[0] == '\0') {
				char pname[PROTO_MAX_NAME + 1];
				text_of(t.job->parent_name ? t.job->parent_name : pid, pname, sizeof pname, true);
				bmq_id(pq, ":", pid, pm->exec_id, sizeof pm->exec_id);
				bmq_id(pq, ".", pname, pm->workflow_id, sizeof pm->workflow_id);
				snprintf(pm->step_id, sizeof pm->step_id, "%s", BMQ_PROCESS_STEP);
			}
			/* mem_get may have evicted nothing we hold: jm was touched first. */
			snprintf(jm->exec_id, sizeof jm->exec_id, "%s", pm->exec_id);
			snprintf(jm->workflow_id, sizeof jm->workflow_id, "%s", pm->workflow_id);
			bmq_id(e->queue, ":", e->job_id, jm->step_id, sizeof jm->step_id);
		} else {
			bmq_id(e->queue, ":", e->job_id, jm->exec_id, sizeof jm->exec_id);
			bmq_id(e->queue, ".", t.job_name, jm->workflow_id, sizeof jm->workflow_id);
			snprintf(jm->step_id, sizeof jm->step_id, "%s", BMQ_PROCESS_STEP);
		}
	}
	if (jm->child) {
		char pq[128], pid[128];
		struct jobmem *pm = NULL;
		if (t.job && t.job->parent_key && bmq_split_key(o->prefix, t.job->parent_key, pq, sizeof pq, pid, sizeof pid))
			pm = mem_find(m, pq, pid);
		exec_mem = pm ? pm : jm;
		mem_find(m, e->queue, e->job_id);   /* keep the child itself the most recent */
	}
	const char *ev = e->event;
	if (strcmp(ev, "added") == 0)
		on_added(&t);
	else if (strcmp(ev, "waiting") == 0)
		on_waiting(&t);
	else if (strcmp(ev, "delayed") == 0)
		on_delayed(&t);
	else if (strcmp(ev, "active") == 0)
		on_active(&t, exec_mem);
	else if (strcmp(ev, "progress") == 0)
		on_progress(&t);
	else if (strcmp(ev, "completed") == 0)
		on_completed(&t);
	else if (strcmp(ev, "failed") == 0)
		on_failed(&t);
	else if (strcmp(ev, "stalled") == 0)
		on_stalled(&t);
	else if (strcmp(ev, "removed") == 0)
		on_removed(&t);
	jm->seen = true;
	return t.emitted;
}
