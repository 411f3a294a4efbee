/* alert_eval.c: evaluating alert rules against execution facts and the
 * once-a-second metrics, for one organization.
 *
 * State lives per (rule, workflow) pair: the cooldown (last firing), whether
 * an alert may still be active (so a clear is due when the condition goes),
 * the current run of failures, and the error-rate buckets. Pairs sit in a hash
 * map and an LRU list capped at ALERT_EVAL_MAX_PAIRS; the least recently used
 * pair is evicted first. running_long remembers which executions it fired for,
 * capped at ALERT_EVAL_MAX_LONG_RUNS (oldest dropped). The error rate uses
 * RATE_BUCKETS fixed time buckets per pair, so nothing grows per event.
 *
 * Invariants: state changes only when the firing or clear it stands for was
 * handed out (a full output array leaves the state as it was, so the next
 * fact or tick retries); firings borrow the rule from e->rules, which lives
 * until the next alert_eval_set_rules or alert_eval_free. No I/O, no clock:
 * time comes in as now_ms. What each rule type does is one row of types[]
 * (at the end); what a firing says is alert_text.c's. */
#include "alert.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "strmap.h"
#include "xalloc.h"

#define RATE_BUCKETS 30
#define PAIR_KEY_LEN (2 * PROTO_MAX_ID + 2)
#define LONG_KEY_LEN (2 * PROTO_MAX_ID + 2)
#define RUN_CAP 1000000       /* a run of failures stops counting here */

struct rate_bucket {
	int64_t n;                /* bucket number: now_ms / bucket_ms */
	uint32_t failed, finished;
};

struct pair {
	struct pair *prev, *next;           /* LRU list, most recent at the head */
	char key[PAIR_KEY_LEN];
	char rule_id[PROTO_MAX_ID + 1];
	char workflow_id[PROTO_MAX_ID + 1];
	int rule_idx;                       /* into e->rules, -1 while the rule is unknown */
	bool has_fired;
	int64_t last_fired_ms;
	bool active;                        /* an alert may be active: clear when the condition goes */
	int consecutive;                    /* consecutive_failures: the current run */
	bool run_fired;                     /* ... and whether it fired */
	struct rate_bucket *buckets;        /* error_rate, allocated on first use */
	int64_t bucket_ms, since_ms;        /* bucket width; when counting started */
	int long_runs;                      /* running_long: fired executions still running */
};

struct long_run {
	struct long_run *prev, *next;       /* insertion order, oldest at the head */
	char key[LONG_KEY_LEN];
	char rule_id[PROTO_MAX_ID + 1];
	char workflow_id[PROTO_MAX_ID + 1];
	char execution_id[PROTO_MAX_ID + 1];
};

struct alert_eval {
	struct alert_rule *rules;
	json_t **scopes;                    /* each rule's labels (an object), or NULL for none */
	size_t nrules;
	struct strmap rule_ids;             /* id -> index + 1 */
	struct strmap pairs;
	struct pair *lru_head, *lru_tail;
	struct strmap long_runs;
	struct long_run *lr_head, *lr_tail;
	size_t nlong;
};

/* Where firings and clears go, with their limits. */
struct out {
	struct alert_firing *f;
	size_t max, *nf;
	struct alert_clear *c;
	size_t maxc, *nc;
};

/* How one rule type is evaluated (the table is at the end: types[]). */
struct type_eval {
	void (*on_fact)(struct alert_eval *e, struct out *o, const struct alert_rule *r, const struct alert_fact *f,
			int64_t now_ms);
	void (*on_tick)(struct alert_eval *e, struct out *o, const struct alert_rule *r,
			const struct alert_metrics *m, int64_t now_ms);
	struct alert_wording wording;
};
static const struct type_eval types[ALERT__TYPE_COUNT];

/* ---- keys and small helpers -------------------------------------------------- */

static void key_make(char *buf, size_t len, const char *a, const char *b)
{
	size_t al = strnlen(a, PROTO_MAX_ID), bl = strnlen(b, PROTO_MAX_ID);
	if (al + bl + 2 > len)
		fatal("alert_eval: key too long");
	memcpy(buf, a, al);
	buf[al] = '\x1f';
	memcpy(buf + al + 1, b, bl);
	buf[al + 1 + bl] = '\0';
}

static void id_copy(char *dst, const char *src)
{
	size_t n = src != NULL ? strnlen(src, PROTO_MAX_ID) : 0;
	memcpy(dst, src != NULL ? src : "", n);
	dst[n] = '\0';
}

static bool in_scope(const struct alert_rule *r, const char *workflow_id)
{
	return r->workflow_id[0] == '\0' || (workflow_id != NULL && strcmp(r->workflow_id, workflow_id) == 0);
}

/* The workflow, and every label of the rule's scope with its value. */
static bool fact_in_scope(const struct alert_eval *e, const struct alert_rule *r, const struct alert_fact *f)
{
	if (!in_scope(r, f->workflow_id))
		return false;
	json_t *want = e->scopes[r - e->rules];
	const char *key;
	json_t *v;
	json_object_foreach(want, key, v) {
		bool found = false;
		for (uint32_t i = 0; i < f->nlabels && !found; i++)
			found = strcmp(f->labels[i].key, key) == 0 && strcmp(f->labels[i].value, json_string_value(v)) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* ---- pairs ------------------------------------------------------------------- */

static void lru_unlink(struct alert_eval *e, struct pair *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		e->lru_head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	else
		e->lru_tail = p->prev;
	p->prev = p->next = NULL;
}

static void lru_push_head(struct alert_eval *e, struct pair *p)
{
	p->prev = NULL;
	p->next = e->lru_head;
	if (e->lru_head != NULL)
		e->lru_head->prev = p;
	e->lru_head = p;
	if (e->lru_tail == NULL)
		e->lru_tail = p;
}

static void pair_free(struct alert_eval *e, struct pair *p)
{
	strmap_remove(&e->pairs, p->key);
	lru_unlink(e, p);
	free(p->buckets);
	free(p);
}

static struct pair *pair_find(struct alert_eval *e, const char *rule_id, const char *workflow_id)
{
	char key[PAIR_KEY_LEN];
	key_make(key, sizeof key, rule_id, workflow_id);
	struct pair *p = strmap_get(&e->pairs, key);
	if (p != NULL) {
		lru_unlink(e, p);
		lru_push_head(e, p);
	}
	return p;
}

static int rule_index(const struct alert_eval *e, const char *rule_id)
{
	uintptr_t v = (uintptr_t)strmap_get(&e->rule_ids, rule_id);
	return v == 0 ? -1 : (int)(v - 1);
}

/* Finds or makes the pair, evicting the least recently used one at the cap. */
static struct pair *pair_get(struct alert_eval *e, const char *rule_id, const char *workflow_id)
{
	struct pair *p = pair_find(e, rule_id, workflow_id);
	if (p != NULL)
		return p;
	while (strmap_count(&e->pairs) >= ALERT_EVAL_MAX_PAIRS && e->lru_tail != NULL)
		pair_free(e, e->lru_tail);
	p = xcalloc(1, sizeof *p);
	id_copy(p->rule_id, rule_id);
	id_copy(p->workflow_id, workflow_id);
	key_make(p->key, sizeof p->key, p->rule_id, p->workflow_id);
	p->rule_idx = rule_index(e, p->rule_id);
	strmap_put(&e->pairs, p->key, p);
	lru_push_head(e, p);
	return p;
}

static void pair_reset_run(struct pair *p)
{
	p->consecutive = 0;
	p->run_fired = false;
	free(p->buckets);
	p->buckets = NULL;
	p->bucket_ms = 0;
	p->since_ms = 0;
}

/* ---- output ------------------------------------------------------------------ */

static bool clear_emit(struct out *o, const struct alert_rule *r, const char *workflow_id)
{
	if (*o->nc >= o->maxc)
		return false;
	struct alert_clear *c = &o->c[(*o->nc)++];
	c->rule = r;
	id_copy(c->workflow_id, workflow_id);
	return true;
}

/* Clears the pair's alert if one may be active. */
static void pair_clear(struct out *o, const struct alert_rule *r, struct pair *p)
{
	if (p->active && clear_emit(o, r, p->workflow_id))
		p->active = false;
}

/* Fires unless the pair is in its cooldown or the output is full. */
static bool fire(struct out *o, const struct alert_rule *r, struct pair *p, const struct alert_trigger *t,
		 int64_t now_ms)
{
	if (p->has_fired && now_ms - p->last_fired_ms < (int64_t)r->cooldown_s * 1000)
		return false;
	if (*o->nf >= o->max)
		return false;
	struct alert_firing *af = &o->f[(*o->nf)++];
	memset(af, 0, sizeof *af);
	af->rule = r;
	id_copy(af->workflow_id, p->workflow_id);
	id_copy(af->execution_id, t->execution_id);
	alert_text_firing(af, r, &types[r->type].wording, t);
	p->has_fired = true;
	p->last_fired_ms = now_ms;
	p->active = true;
	return true;
}

/* ---- error rate ----------------------------------------------------------------- */

static void rate_start(struct pair *p, const struct alert_rule *r, int64_t now_ms)
{
	if (p->buckets != NULL)
		return;
	p->buckets = xcalloc(RATE_BUCKETS, sizeof *p->buckets);
	int64_t window_ms = (int64_t)r->window_s * 1000;
	p->bucket_ms = (window_ms + RATE_BUCKETS - 1) / RATE_BUCKETS;
	if (p->bucket_ms < 1)
		p->bucket_ms = 1;
	p->since_ms = now_ms;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* A retried success takes back its earlier failure: the execution counts
 * once, as a success (the newest bucket that holds a failure gives it). */
static void rate_retract_failure(struct pair *p, int64_t now_ms)
{
	int64_t n = floor_div(now_ms, p->bucket_ms);
	for (int64_t k = n; k > n - RATE_BUCKETS; k--) {
		struct rate_bucket *b = &p->buckets[(uint64_t)k % RATE_BUCKETS];
		if (b->n == k && b->failed > 0) {
			b->failed--;
			return;
		}
	}
}

static void rate_add(struct pair *p, int64_t now_ms, bool failed)
{
	int64_t n = floor_div(now_ms, p->bucket_ms);
	struct rate_bucket *b = &p->buckets[(uint64_t)n % RATE_BUCKETS];
	if (b->n != n) {
		b->n = n;
		b->failed = b->finished = 0;
	}
	b->finished++;
	if (failed)
		b->failed++;
}

static void rate_sum(const struct pair *p, int64_t now_ms, int *failed, int *finished)
{
	int64_t n = floor_div(now_ms, p->bucket_ms);
	int64_t fsum = 0, nsum = 0;
	for (int i = 0; i < RATE_BUCKETS; i++) {
		const struct rate_bucket *b = &p->buckets[i];
		if (b->n > n - RATE_BUCKETS && b->n <= n) {
			fsum += b->failed;
			nsum += b->finished;
		}
	}
	*failed = fsum > INT32_MAX ? INT32_MAX : (int)fsum;
	*finished = nsum > INT32_MAX ? INT32_MAX : (int)nsum;
}

/* Where the rate stands: holds while it is over the threshold with at least
 * min_sample finished; decidable when the window saw enough to say either way
 * (min_sample finished, or a full window since counting started), so that a
 * rate that does not hold may clear. */
struct rate_verdict {
	bool holds, decidable;
};

/* Sums the window into t (failed, finished, rate) and judges it. */
static struct rate_verdict rate_judge(const struct pair *p, const struct alert_rule *r, struct alert_trigger *t,
				      int64_t now_ms)
{
	rate_sum(p, now_ms, &t->failed, &t->finished);
	t->rate = t->finished > 0 ? 100.0 * t->failed / t->finished : 0;
	bool enough = t->finished >= r->min_sample;
	return (struct rate_verdict){
		.holds = enough && t->rate > r->threshold,
		.decidable = enough || now_ms - p->since_ms >= (int64_t)r->window_s * 1000,
	};
}

/* Fires while the rate holds; clears once it decidably does not. */
static void rate_check(struct out *o, const struct alert_rule *r, struct pair *p, struct alert_trigger *t,
		       int64_t now_ms)
{
	struct rate_verdict v = rate_judge(p, r, t, now_ms);
	if (v.holds)
		fire(o, r, p, t, now_ms);
	else if (v.decidable)
		pair_clear(o, r, p);
}

/* ---- running_long's memory ------------------------------------------------------- */

static void long_unlink(struct alert_eval *e, struct long_run *l)
{
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		e->lr_head = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	else
		e->lr_tail = l->prev;
	strmap_remove(&e->long_runs, l->key);
	e->nlong--;
	free(l);
}

static void long_add(struct alert_eval *e, const char *rule_id, const char *workflow_id, const char *exec_id)
{
	while (e->nlong >= ALERT_EVAL_MAX_LONG_RUNS && e->lr_head != NULL) {
		struct long_run *old = e->lr_head;
		char key[PAIR_KEY_LEN];
		key_make(key, sizeof key, old->rule_id, old->workflow_id);
		struct pair *p = strmap_get(&e->pairs, key);
		if (p != NULL && p->long_runs > 0)
			p->long_runs--;
		long_unlink(e, old);
	}
	struct long_run *l = xcalloc(1, sizeof *l);
	id_copy(l->rule_id, rule_id);
	id_copy(l->workflow_id, workflow_id);
	id_copy(l->execution_id, exec_id);
	key_make(l->key, sizeof l->key, l->rule_id, l->execution_id);
	strmap_put(&e->long_runs, l->key, l);
	l->prev = e->lr_tail;
	if (e->lr_tail != NULL)
		e->lr_tail->next = l;
	else
		e->lr_head = l;
	e->lr_tail = l;
	e->nlong++;
}

/* The execution of a remembered long run has finished: forget it, and clear
 * the pair when it was the last of its workflow. Returns false (and keeps it)
 * when the clear has no room. */
static bool long_finish(struct alert_eval *e, struct out *o, struct long_run *l)
{
	int idx = rule_index(e, l->rule_id);
	struct pair *p = pair_find(e, l->rule_id, l->workflow_id);
	bool last = p == NULL || p->long_runs <= 1;
	if (last && idx >= 0 && (p == NULL || p->active)) {
		if (!clear_emit(o, &e->rules[idx], l->workflow_id))
			return false;
		if (p != NULL)
			p->active = false;
	}
	if (p != NULL && p->long_runs > 0)
		p->long_runs--;
	long_unlink(e, l);
	return true;
}

/* ---- facts ------------------------------------------------------------------------ */

static void out_init(struct out *o, struct alert_firing *firings, size_t max, size_t *nf,
		     struct alert_clear *clears, size_t maxc, size_t *nc)
{
	o->f = firings;
	o->max = firings != NULL ? max : 0;
	o->nf = nf;
	o->c = clears;
	o->maxc = clears != NULL ? maxc : 0;
	o->nc = nc;
	*nf = 0;
	*nc = 0;
}

static void fact_trigger(struct alert_trigger *t, const struct alert_fact *f)
{
	memset(t, 0, sizeof *t);
	t->workflow_id = f->workflow_id;
	t->workflow_name = f->workflow_name;
	t->execution_id = f->execution_id;
	if (f->kind == EV_EXECUTION_FAILED) {
		t->error = f->error;
		t->step_id = f->step_id;
	}
}

static const char *fact_workflow(const struct alert_fact *f)
{
	return f->workflow_id != NULL ? f->workflow_id : "";
}

static void fact_execution_failed(struct alert_eval *e, struct out *o, const struct alert_rule *r,
				  const struct alert_fact *f, int64_t now_ms)
{
	if (f->kind != EV_EXECUTION_FAILED)
		return;
	struct alert_trigger t;
	fact_trigger(&t, f);
	fire(o, r, pair_get(e, r->id, fact_workflow(f)), &t, now_ms);
}

static void fact_consecutive(struct alert_eval *e, struct out *o, const struct alert_rule *r,
			     const struct alert_fact *f, int64_t now_ms)
{
	struct pair *p;
	if (f->kind == EV_EXECUTION_FAILED) {
		struct alert_trigger t;
		fact_trigger(&t, f);
		p = pair_get(e, r->id, fact_workflow(f));
		if (p->consecutive < RUN_CAP)
			p->consecutive++;
		t.consecutive = p->consecutive;
		if (p->consecutive >= r->count && !p->run_fired && fire(o, r, p, &t, now_ms))
			p->run_fired = true;
	} else if (f->kind == EV_EXECUTION_COMPLETED && (p = pair_find(e, r->id, fact_workflow(f))) != NULL) {
		p->consecutive = 0;
		p->run_fired = false;
		pair_clear(o, r, p);
	}
}

static void fact_error_rate(struct alert_eval *e, struct out *o, const struct alert_rule *r,
			    const struct alert_fact *f, int64_t now_ms)
{
	bool failed = f->kind == EV_EXECUTION_FAILED;
	if (!failed && f->kind != EV_EXECUTION_COMPLETED)
		return;
	struct alert_trigger t;
	fact_trigger(&t, f);
	struct pair *p = pair_get(e, r->id, r->workflow_id[0] ? fact_workflow(f) : "");
	/* An organization-wide rate is not about the workflow of the fact that
	 * tipped it. */
	t.workflow_id = p->workflow_id;
	t.workflow_name = NULL;
	rate_start(p, r, now_ms);
	if (f->retried_failure && !failed)
		rate_retract_failure(p, now_ms);
	else
		rate_add(p, now_ms, failed);
	rate_check(o, r, p, &t, now_ms);
}

static void fact_slow(struct alert_eval *e, struct out *o, const struct alert_rule *r,
		      const struct alert_fact *f, int64_t now_ms)
{
	if (f->kind != EV_EXECUTION_COMPLETED || f->started_ms <= 0)
		return;
	struct alert_trigger t;
	fact_trigger(&t, f);
	t.duration_ms = f->ts_ms - f->started_ms;
	t.threshold_ms = (int64_t)llround(r->threshold * 1000.0);
	if (t.duration_ms > t.threshold_ms)
		fire(o, r, pair_get(e, r->id, fact_workflow(f)), &t, now_ms);
}

void alert_eval_on_fact(struct alert_eval *e, const struct alert_fact *f, int64_t now_ms,
			struct alert_firing *firings, size_t max, size_t *nf,
			struct alert_clear *clears, size_t maxc, size_t *nc)
{
	struct out o;
	out_init(&o, firings, max, nf, clears, maxc, nc);
	if (f->kind != EV_EXECUTION_STARTED && !proto_event_is_terminal(f->kind))
		return;
	if (proto_event_is_terminal(f->kind) && f->execution_id != NULL && e->nlong > 0) {
		for (size_t i = 0; i < e->nrules; i++) {
			if (e->rules[i].type != ALERT_RUNNING_LONG)
				continue;
			char key[LONG_KEY_LEN];
			key_make(key, sizeof key, e->rules[i].id, f->execution_id);
			struct long_run *l = strmap_get(&e->long_runs, key);
			if (l != NULL)
				long_finish(e, &o, l);
		}
	}
	for (size_t i = 0; i < e->nrules; i++) {
		const struct alert_rule *r = &e->rules[i];
		if (r->enabled && fact_in_scope(e, r, f) && types[r->type].on_fact != NULL)
			types[r->type].on_fact(e, &o, r, f, now_ms);
	}
}

/* ---- the tick --------------------------------------------------------------------- */

static bool metric_find(const struct alert_metrics *m, const char *name, double *out)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->names[i] != NULL && strcmp(m->names[i], name) == 0) {
			*out = m->values[i];
			return !isnan(*out);
		}
	}
	return false;
}

static bool op_holds(enum alert_op op, double a, double b)
{
	switch (op) {
	case OP_GT: return a > b;
	case OP_GTE: return a >= b;
	case OP_LT: return a < b;
	case OP_LTE: return a <= b;
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP__COUNT: break;
	}
	return false;
}

static void tick_metric(struct alert_eval *e, struct out *o, const struct alert_rule *r,
			const struct alert_metrics *m, int64_t now_ms)
{
	struct alert_trigger t;
	memset(&t, 0, sizeof t);
	if (!metric_find(m, r->metric, &t.value))
		return;
	if (op_holds(r->op, t.value, r->threshold)) {
		fire(o, r, pair_get(e, r->id, ""), &t, now_ms);
	} else {
		struct pair *p = pair_find(e, r->id, "");
		if (p != NULL)
			pair_clear(o, r, p);
	}
}

static void tick_running(struct alert_eval *e, struct out *o, const struct alert_rule *r,
			 const struct alert_metrics *m, int64_t now_ms)
{
	int64_t threshold_ms = (int64_t)llround(r->threshold * 1000.0);
	for (size_t i = 0; i < m->nrunning; i++) {
		const struct alert_fact *x = &m->running[i];
		if (x->execution_id == NULL || x->started_ms <= 0 || !fact_in_scope(e, r, x))
			continue;
		int64_t dur = now_ms - x->started_ms;
		if (dur <= threshold_ms)
			continue;
		char key[LONG_KEY_LEN];
		key_make(key, sizeof key, r->id, x->execution_id);
		if (strmap_get(&e->long_runs, key) != NULL)
			continue;
		const char *wf = x->workflow_id != NULL ? x->workflow_id : "";
		struct alert_trigger t;
		fact_trigger(&t, x);
		t.duration_ms = dur;
		t.threshold_ms = threshold_ms;
		struct pair *p = pair_get(e, r->id, wf);
		if (fire(o, r, p, &t, now_ms)) {
			long_add(e, r->id, wf, x->execution_id);
			p->long_runs++;
		}
	}
}

/* A scheduled workflow whose expected run is missed fires once, until a run
 * comes (the pair stays active meanwhile, across restarts too); a run that
 * satisfies the schedule clears it. */
static void tick_missed(struct alert_eval *e, struct out *o, const struct alert_rule *r,
			const struct alert_metrics *m, int64_t now_ms)
{
	for (size_t i = 0; i < m->nschedules; i++) {
		const struct alert_schedule_fact *sf = &m->schedules[i];
		if (sf->workflow_id == NULL || !in_scope(r, sf->workflow_id))
			continue;
		if (sf->status.state != SCHED_MISSED) {
			struct pair *p = pair_find(e, r->id, sf->workflow_id);
			if (p != NULL)
				pair_clear(o, r, p);
			continue;
		}
		struct pair *p = pair_get(e, r->id, sf->workflow_id);
		if (p->active)
			continue;
		struct alert_trigger t;
		memset(&t, 0, sizeof t);
		t.workflow_id = sf->workflow_id;
		t.workflow_name = sf->workflow_name;
		t.miss = sf->status.miss;
		t.expected_ms = sf->status.expected_ms;
		t.due_ms = sf->status.due_ms;
		t.expected_text = sf->expected_text;
		t.due_text = sf->due_text;
		fire(o, r, p, &t, now_ms);
	}
}

/* Remembered long runs whose execution is no longer running finished
 * without our seeing the fact: forget and clear them too. */
static void tick_sweep_long(struct alert_eval *e, struct out *o, const struct alert_metrics *m)
{
	if (e->nlong == 0)
		return;
	struct strmap running;
	strmap_init(&running);
	for (size_t i = 0; i < m->nrunning; i++)
		if (m->running[i].execution_id != NULL)
			strmap_put(&running, m->running[i].execution_id, (void *)1);
	struct long_run *l = e->lr_head;
	while (l != NULL) {
		struct long_run *next = l->next;
		if (strmap_get(&running, l->execution_id) == NULL)
			long_finish(e, o, l);
		l = next;
	}
	strmap_clear(&running);
}

/* Error rates fall as the window moves on without new facts. */
static void tick_rates(struct alert_eval *e, struct out *o, int64_t now_ms)
{
	for (struct pair *p = e->lru_head; p != NULL; p = p->next) {
		if (p->rule_idx < 0 || !p->active)
			continue;
		const struct alert_rule *r = &e->rules[p->rule_idx];
		if (r->type != ALERT_ERROR_RATE || !r->enabled)
			continue;
		rate_start(p, r, now_ms);
		struct alert_trigger t;
		memset(&t, 0, sizeof t);
		struct rate_verdict v = rate_judge(p, r, &t, now_ms);
		if (!v.holds && v.decidable)
			pair_clear(o, r, p);
	}
}

/* ---- the rule types ---------------------------------------------------------------- */

/* One row per rule type: what an execution fact and the timer do to it, and
 * how its firings read. Adding a type: its schema row (alert_rule.c), its
 * functions and this row. */
static const struct type_eval types[ALERT__TYPE_COUNT] = {
	[ALERT_EXECUTION_FAILED] = { fact_execution_failed, NULL,
				     { TXT_EXECUTION_FAILED, SUBJECT_WORKFLOW, MEASURE_NONE } },
	[ALERT_RUNNING_LONG] = { NULL, tick_running, { TXT_PERFORMANCE_DEGRADED, SUBJECT_WORKFLOW, MEASURE_RUNNING } },
	[ALERT_SLOW_EXECUTION] = { fact_slow, NULL, { TXT_PERFORMANCE_DEGRADED, SUBJECT_WORKFLOW, MEASURE_TOOK } },
	[ALERT_CONSECUTIVE_FAILURES] = { fact_consecutive, NULL,
					 { TXT_EXECUTION_FAILED, SUBJECT_WORKFLOW, MEASURE_CONSECUTIVE } },
	[ALERT_ERROR_RATE] = { fact_error_rate, NULL, { TXT_ALERT_TRIGGERED, SUBJECT_RULE, MEASURE_RATE } },
	[ALERT_QUEUE_BACKLOG] = { NULL, tick_metric, { TXT_QUEUE_BACKLOG, SUBJECT_RULE, MEASURE_METRIC } },
	[ALERT_RESOURCE_THRESHOLD] = { NULL, tick_metric, { TXT_RESOURCE_WARNING, SUBJECT_METRIC, MEASURE_METRIC } },
	[ALERT_CUSTOM] = { NULL, tick_metric, { TXT_ALERT_TRIGGERED, SUBJECT_RULE, MEASURE_CUSTOM } },
	/* Neither facts nor the tick: the periodic performance check (alert_eval_on_health). */
	[ALERT_PERFORMANCE_DEGRADED] = { NULL, NULL, { TXT_PERFORMANCE_DEGRADED, SUBJECT_WORKFLOW, MEASURE_DEGRADED } },
	[ALERT_MISSED_SCHEDULE] = { NULL, tick_missed, { TXT_SCHEDULE_MISSED, SUBJECT_WORKFLOW, MEASURE_SCHEDULE } },
};

/* The margins a performance_degraded rule applies: its own where it gives them. */
static struct metrics_margins degraded_margins(const struct alert_rule *r, const struct metrics_margins *daemon)
{
	struct metrics_margins m = *daemon;
	if (r->p95_margin_pct > 0)
		m.p95_percent = r->p95_margin_pct;
	if (r->success_margin_pts > 0)
		m.success_points = r->success_margin_pts;
	if (r->min_runs > 0)
		m.min_runs = r->min_runs;
	return m;
}

void alert_eval_on_health(struct alert_eval *e, const struct alert_health *h, size_t n,
			  const struct alert_health_context *ctx, int64_t now_ms, struct alert_firing *firings,
			  size_t max, size_t *nf, struct alert_clear *clears, size_t maxc, size_t *nc)
{
	struct out o;
	out_init(&o, firings, max, nf, clears, maxc, nc);
	for (size_t i = 0; i < e->nrules; i++) {
		const struct alert_rule *r = &e->rules[i];
		if (!r->enabled || r->type != ALERT_PERFORMANCE_DEGRADED)
			continue;
		struct metrics_margins m = degraded_margins(r, &ctx->margins);
		for (size_t k = 0; k < n; k++) {
			const char *wf = h[k].workflow_id != NULL ? h[k].workflow_id : "";
			if (wf[0] == '\0' || !in_scope(r, wf))
				continue;
			unsigned why = metrics_degraded(&h[k].recent, &h[k].baseline, &m);
			if (why != 0) {
				struct alert_trigger t;
				memset(&t, 0, sizeof t);
				t.workflow_id = wf;
				t.workflow_name = h[k].workflow_name;
				t.health = &h[k];
				t.margins = m;
				t.degraded = why;
				t.window_hours = ctx->window_hours;
				t.baseline_days = ctx->baseline_days;
				fire(&o, r, pair_get(e, r->id, wf), &t, now_ms);
			} else if (metrics_health_decidable(&h[k].recent, &h[k].baseline, &m)) {
				struct pair *p = pair_find(e, r->id, wf);
				if (p != NULL)
					pair_clear(&o, r, p);
			}
		}
	}
}

void alert_eval_on_tick(struct alert_eval *e, const struct alert_metrics *m, int64_t now_ms,
			struct alert_firing *firings, size_t max, size_t *nf,
			struct alert_clear *clears, size_t maxc, size_t *nc)
{
	struct out o;
	out_init(&o, firings, max, nf, clears, maxc, nc);
	tick_sweep_long(e, &o, m);
	for (size_t i = 0; i < e->nrules; i++) {
		const struct alert_rule *r = &e->rules[i];
		if (r->enabled && types[r->type].on_tick != NULL)
			types[r->type].on_tick(e, &o, r, m, now_ms);
	}
	tick_rates(e, &o, now_ms);
}

void alert_firing_clear(struct alert_firing *f)
{
	json_decref(f->context);
	f->context = NULL;
}

/* ---- life of the evaluator --------------------------------------------------------- */

struct alert_eval *alert_eval_new(void)
{
	struct alert_eval *e = xcalloc(1, sizeof *e);
	strmap_init(&e->rule_ids);
	strmap_init(&e->pairs);
	strmap_init(&e->long_runs);
	return e;
}

static void scopes_free(json_t **scopes, size_t n)
{
	for (size_t i = 0; scopes != NULL && i < n; i++)
		json_decref(scopes[i]);
	free(scopes);
}

static void rules_free(struct alert_eval *e)
{
	for (size_t i = 0; i < e->nrules; i++)
		alert_rule_clear(&e->rules[i]);
	free(e->rules);
	scopes_free(e->scopes, e->nrules);
	e->scopes = NULL;
	e->rules = NULL;
	e->nrules = 0;
	strmap_clear(&e->rule_ids);
	strmap_init(&e->rule_ids);
}

void alert_eval_free(struct alert_eval *e)
{
	if (e == NULL)
		return;
	while (e->lru_head != NULL)
		pair_free(e, e->lru_head);
	while (e->lr_head != NULL)
		long_unlink(e, e->lr_head);
	strmap_clear(&e->pairs);
	strmap_clear(&e->long_runs);
	rules_free(e);
	free(e);
}

/* Whether a rule's edit keeps its run: same type and scope (and, for the
 * error rate, the same window, since the buckets are cut to it). */
static bool rule_keeps_state(const struct alert_rule *a, const struct alert_rule *b)
{
	return a->type == b->type && strcmp(a->workflow_id, b->workflow_id) == 0 && strcmp(a->labels, b->labels) == 0 &&
	       (a->type != ALERT_ERROR_RATE || a->window_s == b->window_s);
}

void alert_eval_set_rules(struct alert_eval *e, const struct alert_rule *rules, size_t n)
{
	if (n > ALERT_MAX_RULES_PER_ORG)
		n = ALERT_MAX_RULES_PER_ORG;
	struct alert_rule *old = e->rules;
	json_t **old_scopes = e->scopes;
	size_t nold = e->nrules;
	struct strmap old_ids = e->rule_ids;

	e->rules = n > 0 ? xcalloc(n, sizeof *e->rules) : NULL;
	e->scopes = xcalloc(n ? n : 1, sizeof *e->scopes);
	e->nrules = n;
	strmap_init(&e->rule_ids);
	for (size_t i = 0; i < n; i++) {
		alert_rule_copy(&e->rules[i], &rules[i]);
		strmap_put(&e->rule_ids, e->rules[i].id, (void *)(uintptr_t)(i + 1));
		/* Parsed once here, matched on every fact. */
		if (e->rules[i].labels[0] != '\0')
			e->scopes[i] = proto_labels_parse_text(e->rules[i].labels, ALERT_MAX_LABELS, NULL);
	}

	/* Pairs of rules that went away go with them; pairs of rules not known
	 * yet (cooldowns loaded before the rules) stay until their rule comes. */
	struct pair *p = e->lru_head;
	while (p != NULL) {
		struct pair *next = p->next;
		int idx = rule_index(e, p->rule_id);
		if (idx < 0 && p->rule_idx >= 0) {
			pair_free(e, p);
		} else {
			if (idx >= 0 && p->rule_idx >= 0 && !rule_keeps_state(&old[p->rule_idx], &e->rules[idx]))
				pair_reset_run(p);
			p->rule_idx = idx;
		}
		p = next;
	}
	struct long_run *l = e->lr_head;
	while (l != NULL) {
		struct long_run *next = l->next;
		int idx = rule_index(e, l->rule_id);
		uintptr_t oldv = (uintptr_t)strmap_get(&old_ids, l->rule_id);
		bool keep = idx >= 0 && e->rules[idx].type == ALERT_RUNNING_LONG && oldv != 0 &&
			    rule_keeps_state(&old[oldv - 1], &e->rules[idx]);
		if (!keep) {
			struct pair *lp = NULL;
			char key[PAIR_KEY_LEN];
			key_make(key, sizeof key, l->rule_id, l->workflow_id);
			lp = strmap_get(&e->pairs, key);
			if (lp != NULL && lp->long_runs > 0)
				lp->long_runs--;
			long_unlink(e, l);
		}
		l = next;
	}

	for (size_t i = 0; i < nold; i++)
		alert_rule_clear(&old[i]);
	free(old);
	scopes_free(old_scopes, nold);
	strmap_clear(&old_ids);
}

void alert_eval_set_last_fired(struct alert_eval *e, const char *rule_id, const char *workflow_id,
			       int64_t fired_ms)
{
	if (rule_id == NULL || !proto_id_valid(rule_id))
		return;
	if (workflow_id == NULL || (workflow_id[0] != '\0' && !proto_id_valid(workflow_id)))
		workflow_id = "";
	struct pair *p = pair_get(e, rule_id, workflow_id);
	if (!p->has_fired || fired_ms > p->last_fired_ms)
		p->last_fired_ms = fired_ms;
	p->has_fired = true;
	/* An alert from before the restart may still be active: let the first
	 * sign that the condition is gone clear it. */
	p->active = true;
}

size_t alert_eval_rule_count(const struct alert_eval *e)
{
	return e->nrules;
}

size_t alert_eval_pair_count(const struct alert_eval *e)
{
	return strmap_count(&e->pairs);
}
