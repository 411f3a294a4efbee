/* notify.c: the notifier thread, its bounded queue of jobs, retries with
 * backoff, and the outcomes handed back to the loop (see notify.h).
 *
 * Invariants: every field below the mutex is touched only with it held; the
 * job being attempted is out of the array (busy) and owned by the thread
 * alone, and counts toward queue_max like the waiting ones; wake is never
 * called with the mutex held; once stopping is set no attempt starts and the
 * thread reports every job it still holds as a final failure before it ends.
 * The thread blocks all signals, so the daemon's handlers run in the loop. */
#include "notify.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "notify-internal.h"
#include "rng.h"
#include "xalloc.h"

#define OUTCOMES_MIN 256

struct job {
	char org[PROTO_MAX_ID + 1];
	int64_t alert_id;
	int channel_index;
	struct notify_msg msg;
	int attempts;        /* made so far */
	int64_t due_us;      /* monotonic: when the next attempt may start */
	uint64_t seq;        /* submit order, to break ties between equal due times */
};

struct notify {
	struct notify_config cfg;
	void (*wake)(void *arg);
	void *wake_arg;
	pthread_t thread;
	CURLM *multi;                  /* the thread's; other threads only wake it */
	struct rng rng;                /* the thread's jitter */

	pthread_mutex_t mu;
	pthread_cond_t cond;           /* on CLOCK_MONOTONIC */
	struct job **jobs;             /* waiting, unordered; cfg.queue_max slots */
	size_t njobs;
	bool busy;                     /* one job is being attempted */
	bool stopping;
	bool joined;
	uint64_t seq;
	struct notify_outcome *out;    /* ring */
	size_t out_cap, out_head, out_count;
	uint64_t out_dropped;
};

static const struct notify_config defaults = {
	.max_attempts = 5,
	.backoff_ms = 1000,
	.backoff_max_ms = 60000,
	.timeout_ms = 10000,
	.queue_max = 1000,
};

/* ---- backoff ------------------------------------------------------------------ */

int64_t notify_backoff_ms(const struct notify_config *cfg, int attempt, uint64_t random)
{
	int64_t d = cfg->backoff_ms > 0 ? cfg->backoff_ms : defaults.backoff_ms;
	int64_t max = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : defaults.backoff_max_ms;
	for (int i = 1; i < attempt && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	/* Jitter shortens the wait, so the cap holds and endpoints that failed
	 * together are not retried together. */
	return d - (int64_t)(random % (uint64_t)(d / 10 + 1));
}

/* ---- outcomes (mutex held) ---------------------------------------------------- */

static void outcome_push(struct notify *n, const struct job *j, int attempt, bool ok, bool final,
			 const char *detail, int64_t next_attempt_ms)
{
	if (n->out_count == n->out_cap) {
		/* The loop has not taken them for a long while: keep the newest. */
		n->out_head = (n->out_head + 1) % n->out_cap;
		n->out_count--;
		n->out_dropped++;
	}
	struct notify_outcome *o = &n->out[(n->out_head + n->out_count) % n->out_cap];
	n->out_count++;
	memset(o, 0, sizeof *o);
	snprintf(o->org, sizeof o->org, "%s", j->org);
	o->alert_id = j->alert_id;
	o->channel = j->msg.type;
	o->channel_index = j->channel_index;
	o->attempt = attempt;
	o->ok = ok;
	o->final = final;
	snprintf(o->detail, sizeof o->detail, "%s", detail);
	o->at_ms = clock_wall_ms();
	o->next_attempt_ms = final ? 0 : next_attempt_ms;
}

size_t notify_take_outcomes(struct notify *n, struct notify_outcome *out, size_t max)
{
	pthread_mutex_lock(&n->mu);
	size_t k = 0;
	while (k < max && n->out_count > 0) {
		out[k++] = n->out[n->out_head];
		n->out_head = (n->out_head + 1) % n->out_cap;
		n->out_count--;
	}
	uint64_t dropped = n->out_dropped;
	n->out_dropped = 0;
	pthread_mutex_unlock(&n->mu);
	if (dropped)
		log_warn("notify: %llu delivery outcomes dropped (not taken in time)", (unsigned long long)dropped);
	return k;
}

/* ---- the queue (mutex held) --------------------------------------------------- */

static void job_free(struct job *j)
{
	notify_msg_clear(&j->msg);
	free(j);
}

/* Index of the job due first, or njobs when there is none. */
static size_t job_next(const struct notify *n)
{
	size_t best = n->njobs;
	for (size_t i = 0; i < n->njobs; i++) {
		const struct job *j = n->jobs[i], *b = best < n->njobs ? n->jobs[best] : NULL;
		if (!b || j->due_us < b->due_us || (j->due_us == b->due_us && j->seq < b->seq))
			best = i;
	}
	return best;
}

static struct job *job_take(struct notify *n, size_t i)
{
	struct job *j = n->jobs[i];
	n->jobs[i] = n->jobs[--n->njobs];
	return j;
}

static void cond_wait_until_us(struct notify *n, int64_t due_us)
{
	struct timespec ts = { .tv_sec = due_us / 1000000, .tv_nsec = (due_us % 1000000) * 1000 };
	pthread_cond_timedwait(&n->cond, &n->mu, &ts);
}

/* Waits for a job that is due, or for stopping (then NULL). */
static struct job *queue_wait(struct notify *n)
{
	while (!n->stopping) {
		size_t i = job_next(n);
		if (i == n->njobs) {
			pthread_cond_wait(&n->cond, &n->mu);
			continue;
		}
		if (n->jobs[i]->due_us <= clock_mono_us()) {
			n->busy = true;
			return job_take(n, i);
		}
		cond_wait_until_us(n, n->jobs[i]->due_us);
	}
	return NULL;
}

/* ---- the thread ---------------------------------------------------------------- */

static bool notify_stopping(void *arg)
{
	struct notify *n = arg;
	pthread_mutex_lock(&n->mu);
	bool s = n->stopping;
	pthread_mutex_unlock(&n->mu);
	return s;
}

static void notify_attempt(struct notify *n, struct job *j)
{
	struct notify_result r;
	int attempt = ++j->attempts;
	if (j->msg.invalid[0]) {
		memset(&r, 0, sizeof r);
		r.permanent = true;
		snprintf(r.detail, sizeof r.detail, "%s", j->msg.invalid);
	} else {
		notify_send(n->multi, &j->msg, n->cfg.timeout_ms, notify_stopping, n, &r);
	}

	int64_t delay_ms = notify_backoff_ms(&n->cfg, attempt, rng_next(&n->rng));
	pthread_mutex_lock(&n->mu);
	bool final = r.ok || r.permanent || attempt >= n->cfg.max_attempts || n->stopping;
	outcome_push(n, j, attempt, r.ok, final, r.detail, clock_wall_ms() + delay_ms);
	n->busy = false;
	if (!final) {
		j->due_us = clock_mono_us() + delay_ms * 1000;
		n->jobs[n->njobs++] = j;
	}
	pthread_mutex_unlock(&n->mu);
	if (final)
		job_free(j);
	if (n->wake)
		n->wake(n->wake_arg);
}

/* Reports every job still held as a final failure, and frees them. */
static void notify_drain(struct notify *n)
{
	pthread_mutex_lock(&n->mu);
	size_t count = n->njobs;
	for (size_t i = 0; i < n->njobs; i++) {
		struct job *j = n->jobs[i];
		outcome_push(n, j, j->attempts + 1, false, true, "daemon shutting down", 0);
		job_free(j);
	}
	n->njobs = 0;
	pthread_mutex_unlock(&n->mu);
	if (count && n->wake)
		n->wake(n->wake_arg);
}

static void *notify_main(void *arg)
{
	struct notify *n = arg;
	for (;;) {
		pthread_mutex_lock(&n->mu);
		struct job *j = queue_wait(n);
		pthread_mutex_unlock(&n->mu);
		if (!j)
			break;
		notify_attempt(n, j);
	}
	notify_drain(n);
	return NULL;
}

/* ---- life ----------------------------------------------------------------------- */

static int cfg_or(int v, int d)
{
	return v > 0 ? v : d;
}

struct notify *notify_new(const struct notify_config *cfg, void (*wake)(void *arg), void *wake_arg)
{
	struct notify_config c = cfg ? *cfg : defaults;
	c.max_attempts = cfg_or(c.max_attempts, defaults.max_attempts);
	c.backoff_ms = cfg_or(c.backoff_ms, defaults.backoff_ms);
	c.backoff_max_ms = cfg_or(c.backoff_max_ms, defaults.backoff_max_ms);
	c.timeout_ms = cfg_or(c.timeout_ms, defaults.timeout_ms);
	c.queue_max = c.queue_max > 0 ? c.queue_max : defaults.queue_max;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("notify: libcurl could not be initialized");
		return NULL;
	}
	struct notify *n = xcalloc(1, sizeof *n);
	n->cfg = c;
	n->wake = wake;
	n->wake_arg = wake_arg;
	n->jobs = xcalloc(c.queue_max, sizeof *n->jobs);
	n->out_cap = c.queue_max * 2 > OUTCOMES_MIN ? c.queue_max * 2 : OUTCOMES_MIN;
	n->out = xcalloc(n->out_cap, sizeof *n->out);
	if (getrandom(&n->rng.state, sizeof n->rng.state, GRND_NONBLOCK) != (ssize_t)sizeof n->rng.state)
		n->rng.state = (uint64_t)clock_mono_us();
	n->multi = curl_multi_init();

	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&n->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&n->mu, NULL);

	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = n->multi ? pthread_create(&n->thread, NULL, notify_main, n) : -1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_error("notify: cannot start the notifier thread");
		if (n->multi)
			curl_multi_cleanup(n->multi);
		pthread_cond_destroy(&n->cond);
		pthread_mutex_destroy(&n->mu);
		free(n->jobs);
		free(n->out);
		free(n);
		curl_global_cleanup();
		return NULL;
	}
	return n;
}

void notify_stop(struct notify *n)
{
	pthread_mutex_lock(&n->mu);
	bool joined = n->joined;
	n->stopping = true;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->mu);
	if (joined)
		return;
	curl_multi_wakeup(n->multi);
	pthread_join(n->thread, NULL);
	n->joined = true;
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	notify_stop(n);
	curl_multi_cleanup(n->multi);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->mu);
	free(n->jobs);
	free(n->out);
	free(n);
	curl_global_cleanup();
}

int notify_submit(struct notify *n, const char *org, int64_t alert_id, int channel_index,
		  const struct alert_channel *ch, const char *title, const char *body, json_t *payload)
{
	if (!ch)
		return -1;
	pthread_mutex_lock(&n->mu);
	bool refuse = n->stopping || n->njobs + n->busy >= n->cfg.queue_max;
	pthread_mutex_unlock(&n->mu);
	if (refuse)
		return -1;

	struct job *j = xcalloc(1, sizeof *j);
	if (notify_msg_build(&j->msg, ch, title, body, payload, clock_wall_ms()) < 0) {
		free(j);
		return -1;
	}
	snprintf(j->org, sizeof j->org, "%s", org ? org : "");
	j->alert_id = alert_id;
	j->channel_index = channel_index;
	j->due_us = clock_mono_us();

	pthread_mutex_lock(&n->mu);
	/* Checked again: the thread may have requeued a retry meanwhile. */
	refuse = n->stopping || n->njobs + n->busy >= n->cfg.queue_max;
	if (!refuse) {
		j->seq = n->seq++;
		n->jobs[n->njobs++] = j;
		pthread_cond_signal(&n->cond);
	}
	pthread_mutex_unlock(&n->mu);
	if (refuse)
		job_free(j);
	return refuse ? -1 : 0;
}
