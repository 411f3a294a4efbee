/* flush.c: writing the frames queued for connections (see flush.h).
 *
 * A flush is a list of jobs, one per connection. Sending a job reads the
 * connection's queue and the frames' bytes and calls send() (or, over TLS
 * without kernel TLS, SSL_write: tls.h); it changes nothing outside the
 * connection's socket and SSL, so jobs can be sent from any thread while the
 * loop waits.
 * Finishing a job (the loop's thread, after every send of the flush) pops what
 * went out, hands a cut frame's rest to lws and counts. Frames are shared
 * between connections with plain reference counts: while a flush is being
 * sent, only the loop's thread pops (drops references), and the frames a
 * helper reads are held by the queues it reads them from. */
#include "flush.h"

#include <errno.h>
#include <ev.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "clock.h"
#include "conn.h"
#include "log.h"
#include "server.h"
#include "tls.h"
#include "xalloc.h"

#define FLUSH_BATCH (64 * 1024)
/* Connections due this close to the one that armed the timer go in the same
 * flush: one timer wakeup instead of several. */
#define FLUSH_SLACK_US 1000
/* Fewer jobs than this are not worth waking a helper for. */
#define FLUSH_PARALLEL_MIN 64
/* Jobs taken at a time from a shared flush. */
#define FLUSH_CHUNK 8

struct flush_job {
	struct conn *c;
	int fd;
	size_t len;         /* bytes offered */
	ssize_t sent;       /* bytes the socket took; -1: the socket failed */
	int err;            /* errno when it failed */
	bool tls_held;      /* OpenSSL holds a record begun at `sent`: the rest goes to lws */
};

/* The connections with something queued, each due at its flush_due_us; one
 * timer, armed for the earliest. */
static struct conn *flush_head;
static struct ev_loop *flush_loop;
static ev_timer flush_timer;
static int64_t flush_timer_due_us;   /* 0: not armed */
/* Something is due now: flushed just before the loop next waits (libev's
 * prepare watcher, redis's beforeSleep) rather than from a timer due at once,
 * which cost one more epoll_wait per wakeup. */
static ev_prepare flush_prepare;
static bool flush_due_now;

static struct flush_job *jobs;
static size_t njobs, capjobs;
static uint8_t loop_batch[FLUSH_BATCH];

static struct {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	pthread_t *threads;
	unsigned nthreads;
	bool stop;
	bool open;          /* the current flush still takes helpers */
	uint64_t round;     /* bumped for every shared flush */
	unsigned working;   /* helpers inside the current flush */
	atomic_size_t next; /* the next job to take */
} pool = { .mu = PTHREAD_MUTEX_INITIALIZER, .go = PTHREAD_COND_INITIALIZER,
	   .done = PTHREAD_COND_INITIALIZER };

/* ---- sending (any thread) ---------------------------------------------------- */

static void job_send(struct flush_job *j, uint8_t *batch)
{
	struct frame *head = outq_peek(&j->c->q);
	const uint8_t *buf = batch;
	if (head->len > FLUSH_BATCH) {
		buf = head->data;
		j->len = head->len;
	} else {
		j->len = outq_gather(&j->c->q, batch, FLUSH_BATCH);
	}
	if (j->c->tls_mode == TLS_OPENSSL) {
		j->sent = tls_write(j->c->ssl, buf, j->len, &j->tls_held, &j->err);
		return;
	}
	ssize_t n;
	do
		n = send(j->fd, buf, j->len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	j->err = n < 0 ? errno : 0;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		n = 0;
	j->sent = n;
}

static void jobs_take_and_send(uint8_t *batch)
{
	size_t i;
	while ((i = atomic_fetch_add(&pool.next, FLUSH_CHUNK)) < njobs) {
		size_t end = i + FLUSH_CHUNK < njobs ? i + FLUSH_CHUNK : njobs;
		for (; i < end; i++)
			job_send(&jobs[i], batch);
	}
}

static void *helper_main(void *arg)
{
	(void)arg;
	uint8_t *batch = xmalloc(FLUSH_BATCH);
	uint64_t seen = 0;
	pthread_mutex_lock(&pool.mu);
	for (;;) {
		while (!pool.stop && !(pool.open && pool.round != seen))
			pthread_cond_wait(&pool.go, &pool.mu);
		if (pool.stop)
			break;
		seen = pool.round;
		pool.working++;
		pthread_mutex_unlock(&pool.mu);
		jobs_take_and_send(batch);
		pthread_mutex_lock(&pool.mu);
		if (--pool.working == 0)
			pthread_cond_signal(&pool.done);
	}
	pthread_mutex_unlock(&pool.mu);
	free(batch);
	return NULL;
}

/* Returns true if the helpers were asked to share it. */
static bool jobs_send_all(void)
{
	atomic_store(&pool.next, 0);
	if (pool.nthreads == 0 || njobs < FLUSH_PARALLEL_MIN) {
		jobs_take_and_send(loop_batch);
		return false;
	}
	pthread_mutex_lock(&pool.mu);
	pool.round++;
	pool.open = true;
	pthread_cond_broadcast(&pool.go);
	pthread_mutex_unlock(&pool.mu);
	jobs_take_and_send(loop_batch);
	/* A helper that has not woken up by now finds the flush closed. */
	pthread_mutex_lock(&pool.mu);
	pool.open = false;
	while (pool.working > 0)
		pthread_cond_wait(&pool.done, &pool.mu);
	pthread_mutex_unlock(&pool.mu);
	return true;
}

static void flush_tick_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void flush_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents);

int flush_start(struct ev_loop *loop, unsigned helpers)
{
	flush_loop = loop;
	ev_timer_init(&flush_timer, flush_tick_cb, 0, 0);
	ev_prepare_init(&flush_prepare, flush_prepare_cb);
	ev_prepare_start(loop, &flush_prepare);
	/* The loop may end while nothing else is watched. */
	ev_unref(loop);
	if (helpers == 0)
		return 0;
	pool.threads = xcalloc(helpers, sizeof *pool.threads);
	for (unsigned i = 0; i < helpers; i++) {
		int rc = pthread_create(&pool.threads[pool.nthreads], NULL, helper_main, NULL);
		if (rc != 0) {
			log_warn("cannot start write helper %u: %s", i + 1, strerror(rc));
			break;
		}
		pool.nthreads++;
	}
	return pool.nthreads > 0 ? 0 : -1;
}

void flush_stop(void)
{
	if (flush_loop != NULL) {
		ev_timer_stop(flush_loop, &flush_timer);
		if (ev_is_active(&flush_prepare)) {
			ev_ref(flush_loop);
			ev_prepare_stop(flush_loop, &flush_prepare);
		}
	}
	flush_timer_due_us = 0;
	flush_due_now = false;
	pthread_mutex_lock(&pool.mu);
	pool.stop = true;
	pthread_cond_broadcast(&pool.go);
	pthread_mutex_unlock(&pool.mu);
	for (unsigned i = 0; i < pool.nthreads; i++)
		pthread_join(pool.threads[i], NULL);
	free(pool.threads);
	pool.threads = NULL;
	pool.nthreads = 0;
	pool.stop = false;
	free(jobs);
	jobs = NULL;
	njobs = capjobs = 0;
}

/* ---- finishing (the loop's thread) ------------------------------------------ */

/* TLS: OpenSSL began a record at the job's first unsent byte and must be
 * offered the same bytes first; lws takes the rest of what the job offered
 * (the rest of the cut frame, `cut` bytes of which went out, and the frames
 * after it) and retries it before anything else. */
static int job_hand_rest(struct conn *c, size_t cut, size_t rest)
{
	uint8_t *buf = xmalloc(LWS_PRE + rest);
	size_t used = 0;
	struct frame *f;
	for (uint32_t i = 0; used < rest && (f = outq_at(&c->q, i)) != NULL; i++) {
		size_t from = i == 0 ? cut : 0;
		size_t n = f->len - from < rest - used ? f->len - from : rest - used;
		memcpy(buf + LWS_PRE + used, f->data + from, n);
		used += n;
	}
	int rc = used == rest ? lws_write(c->wsi, buf + LWS_PRE, rest, LWS_WRITE_HTTP) : -1;
	free(buf);
	outq_consume(&c->q, cut + rest);
	return rc < 0 ? -1 : 0;
}

/* Returns -1 when the socket failed. */
static int job_finish(struct flush_job *j, int64_t now_us)
{
	struct conn *c = j->c;
	if (j->sent < 0) {
		log_info("writing to %s/%s failed: %s", c->who.org, c->who.sub, strerror(j->err));
		return -1;
	}
	size_t cut = outq_consume(&c->q, (size_t)j->sent);
	if (j->tls_held) {
		c->srv->stats.tls_writes_held++;
		if (job_hand_rest(c, cut, j->len - (size_t)j->sent) < 0)
			return -1;
	} else if (cut > 0) {
		/* The rest of a frame must be next on the wire: lws keeps it and
		 * calls back once it has gone out. */
		struct frame *f = outq_peek(&c->q);
		if (lws_write(c->wsi, f->data + cut, f->len - cut, LWS_WRITE_HTTP) < 0)
			return -1;
		outq_pop(&c->q);
	}
	if (j->sent > 0) {
		c->last_write_us = now_us;
		c->srv->stats.bytes_out += (uint64_t)j->sent;
		c->srv->stats.socket_writes++;
	}
	if (!outq_empty(&c->q))
		lws_callback_on_writable(c->wsi);
	return 0;
}

static void job_add(struct conn *c)
{
	if (njobs == capjobs) {
		capjobs = capjobs ? capjobs * 2 : 64;
		jobs = xrealloc(jobs, sizeof *jobs * capjobs);
	}
	jobs[njobs++] = (struct flush_job){ .c = c, .fd = lws_get_socket_fd(c->wsi) };
}

int flush_on_writable(struct conn *c)
{
	if (outq_empty(&c->q)) {
		if (c->close_code != 0) {
			/* Once asked, lws sends the close frame and reads until the
			 * peer answers it; asking again (a writable callback that was
			 * already due) would make lws drop the connection at once,
			 * resetting it with the peer's bytes unread, so that the peer
			 * loses what was sent before the close frame, and the frame. */
			if (c->close_frame_asked)
				return 0;
			c->close_frame_asked = true;
			const char *reason = c->close_reason ? c->close_reason : "";
			lws_close_reason(c->wsi, (enum lws_close_status)c->close_code, (unsigned char *)reason,
					 strlen(reason));
			return -1;
		}
		return 0;
	}
	struct flush_job j = { .c = c, .fd = lws_get_socket_fd(c->wsi) };
	job_send(&j, loop_batch);
	if (job_finish(&j, clock_mono_us()) < 0)
		return -1;
	if (c->close_code != 0)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* ---- the flush list and its timer --------------------------------------------- */

static void flush_arm(int64_t due_us, int64_t now_us)
{
	if (due_us <= now_us) {
		flush_due_now = true;
		return;
	}
	if (flush_timer_due_us != 0 && flush_timer_due_us <= due_us)
		return;
	flush_timer_due_us = due_us;
	ev_timer_stop(flush_loop, &flush_timer);
	/* libev counts from the time its loop last looked at the clock. */
	ev_tstamp after = (double)(due_us - now_us) / 1e6 + (ev_time() - ev_now(flush_loop));
	ev_timer_set(&flush_timer, after > 0 ? after : 0, 0);
	ev_timer_start(flush_loop, &flush_timer);
}

/* Writes every connection that is due; arms the timer for the next one. */
static void flush_run(void)
{
	flush_due_now = false;
	int64_t now = clock_mono_us();
	int64_t next_due = 0;
	njobs = 0;
	struct conn **pp = &flush_head;
	while (*pp != NULL) {
		struct conn *c = *pp;
		if (c->flush_due_us > now + FLUSH_SLACK_US) {
			if (next_due == 0 || c->flush_due_us < next_due)
				next_due = c->flush_due_us;
			pp = &c->flush_next;
			continue;
		}
		*pp = c->flush_next;
		c->flush_queued = false;
		c->flush_next = NULL;
		if (outq_empty(&c->q))
			continue;
		if (c->close_code != 0 || lws_partial_buffered(c->wsi))
			/* Closing, or lws still holds a tail: the writable callback
			 * goes on once the socket has taken it. */
			lws_callback_on_writable(c->wsi);
		else
			job_add(c);
	}
	if (jobs_send_all())
		jobs[0].c->srv->stats.shared_flushes++;
	now = clock_mono_us();
	for (size_t i = 0; i < njobs; i++)
		if (job_finish(&jobs[i], now) < 0)
			conn_abort(jobs[i].c, LWS_CLOSE_STATUS_ABNORMAL_CLOSE);   /* the peer is gone */
	njobs = 0;
	if (next_due != 0)
		flush_arm(next_due, now);
}

static void flush_tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	flush_timer_due_us = 0;
	flush_run();
}

static void flush_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (flush_due_now)
		flush_run();
}

void flush_wake(struct conn *c, bool at_once)
{
	if (c->wsi == NULL)
		return;
	int64_t now = clock_mono_us();
	int64_t due = now;
	int64_t delay = (int64_t)c->srv->cfg.write_coalesce_ms * 1000;
	if (!at_once && c->last_write_us + delay > now)
		due = c->last_write_us + delay;
	if (c->flush_queued) {
		if (due >= c->flush_due_us)
			return;
	} else {
		c->flush_queued = true;
		c->flush_next = flush_head;
		flush_head = c;
	}
	c->flush_due_us = due;
	flush_arm(due, now);
}

void flush_forget(struct conn *c)
{
	if (!c->flush_queued)
		return;
	for (struct conn **pp = &flush_head; *pp != NULL; pp = &(*pp)->flush_next) {
		if (*pp == c) {
			*pp = c->flush_next;
			break;
		}
	}
	c->flush_queued = false;
	if (flush_head == NULL && flush_timer_due_us != 0) {
		ev_timer_stop(flush_loop, &flush_timer);
		flush_timer_due_us = 0;
	}
}
