/* bench_writecost.c: the cost of one write to a loopback socket (see
 * bench_writecost.h). */
#include "bench_writecost.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

#define WRITECOST_ROUNDS 100
/* Between rounds, as between a daemon's flushes: the readers catch up. */
#define WRITECOST_GAP_NS 2000000L

struct pairs {
	int *near, *far;
	long n;
	int epfd;
	atomic_bool stop;
};

static void pairs_close(struct pairs *p)
{
	for (long i = 0; i < p->n; i++) {
		close(p->near[i]);
		close(p->far[i]);
	}
	if (p->epfd >= 0)
		close(p->epfd);
	free(p->near);
	free(p->far);
}

static int pairs_open(struct pairs *p, long n, char *err, size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->near = xcalloc((size_t)n, sizeof *p->near);
	p->far = xcalloc((size_t)n, sizeof *p->far);
	p->epfd = epoll_create1(EPOLL_CLOEXEC);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof a;
	if (p->epfd < 0 || lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(lfd, 128) < 0 || getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
		snprintf(err, errlen, "loopback listener: %s", strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	for (; p->n < n; p->n++) {
		int far = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (far < 0 || (connect(far, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)) {
			snprintf(err, errlen, "connection %ld: %s", p->n + 1, strerror(errno));
			if (far >= 0)
				close(far);
			break;
		}
		int near = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (near < 0) {
			snprintf(err, errlen, "accepting connection %ld: %s", p->n + 1, strerror(errno));
			close(far);
			break;
		}
		int one = 1;
		setsockopt(near, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);   /* as lws does */
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = far };
		epoll_ctl(p->epfd, EPOLL_CTL_ADD, far, &ev);
		p->near[p->n] = near;
		p->far[p->n] = far;
	}
	close(lfd);
	return p->n == n ? 0 : -1;
}

static void *reader_main(void *arg)
{
	struct pairs *p = arg;
	static char buf[64 * 1024];
	struct epoll_event evs[256];
	while (!atomic_load(&p->stop)) {
		int n = epoll_wait(p->epfd, evs, 256, 50);
		for (int i = 0; i < n; i++)
			while (read(evs[i].data.fd, buf, sizeof buf) > 0)
				;
	}
	return NULL;
}

static double thread_cpu_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/* CPU per write of len bytes, over WRITECOST_ROUNDS rounds of every pair. */
static double measure(struct pairs *p, const char *data, size_t len)
{
	long writes = 0;
	double start = thread_cpu_us();
	for (int r = 0; r < WRITECOST_ROUNDS; r++) {
		for (long i = 0; i < p->n; i++)
			if (send(p->near[i], data, len, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
				writes++;
		struct timespec gap = { 0, WRITECOST_GAP_NS };
		nanosleep(&gap, NULL);
	}
	double spent = thread_cpu_us() - start;
	return writes > 0 ? spent / (double)writes : 0;
}

int writecost_measure(struct writecost *w, char *err, size_t errlen)
{
	struct pairs p;
	if (pairs_open(&p, w->connections, err, errlen) < 0) {
		pairs_close(&p);
		return -1;
	}
	atomic_init(&p.stop, false);
	pthread_t reader;
	int rc = pthread_create(&reader, NULL, reader_main, &p);
	if (rc != 0) {
		snprintf(err, errlen, "reader thread: %s", strerror(rc));
		pairs_close(&p);
		return -1;
	}
	size_t many = w->frame_bytes * w->frames;
	char *data = xmalloc(many);
	memset(data, 'x', many);
	/* A round first, so that every connection has left TCP slow start. */
	measure(&p, data, many);
	w->us_per_write_one = measure(&p, data, w->frame_bytes);
	w->us_per_write_many = measure(&p, data, many);
	atomic_store(&p.stop, true);
	pthread_join(reader, NULL);
	free(data);
	pairs_close(&p);
	return 0;
}

/* ---- the floor of the ingest shape ------------------------------------------ */

enum floor_phase { FLOOR_WARMUP, FLOOR_MEASURE, FLOOR_STOP };

struct floor_run {
	struct writecost_floor *f;
	struct pairs subs, pubs;
	int epfd;                    /* the server's: the near ends of pubs */
	atomic_int phase;
	int load_cpu;                /* -1: not pinned */
};

static void pin_to(int cpu)
{
	if (cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *floor_reader_main(void *arg)
{
	struct floor_run *r = arg;
	pin_to(r->load_cpu);
	return reader_main(&r->subs);
}

static void *floor_ack_reader_main(void *arg)
{
	struct floor_run *r = arg;
	pin_to(r->load_cpu);
	return reader_main(&r->pubs);
}

/* The producers: one publish every batch/rate seconds, on absolute times. */
static void *floor_producer_main(void *arg)
{
	struct floor_run *r = arg;
	struct writecost_floor *f = r->f;
	pin_to(r->load_cpu);
	char *publish = xmalloc(f->publish_bytes);
	memset(publish, 'p', f->publish_bytes);
	double interval_ns = (double)f->batch / f->rate * 1e9;
	struct timespec start, t;
	clock_gettime(CLOCK_MONOTONIC, &start);
	double measure_at = f->warmup_s * 1e9, stop_at = (f->warmup_s + f->seconds) * 1e9;
	for (long k = 0;; k++) {
		double due = (double)k * interval_ns;
		if (due >= measure_at && atomic_load(&r->phase) == FLOOR_WARMUP)
			atomic_store(&r->phase, FLOOR_MEASURE);
		if (due >= stop_at)
			break;
		long ns = start.tv_nsec + (long)due % 1000000000L;
		t.tv_sec = start.tv_sec + (time_t)(due / 1e9) + ns / 1000000000L;
		t.tv_nsec = ns % 1000000000L;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
		send(r->pubs.far[k % r->pubs.n], publish, f->publish_bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	atomic_store(&r->phase, FLOOR_STOP);
	free(publish);
	return NULL;
}

/* The server: what every server does per event, and nothing more. */
static void floor_serve(struct floor_run *r)
{
	struct writecost_floor *f = r->f;
	static char buf[64 * 1024];
	char *ack = xmalloc(f->ack_bytes), *frame = xmalloc(f->frame_bytes);
	memset(ack, 'a', f->ack_bytes);
	memset(frame, 'e', f->frame_bytes);
	size_t *pending = xcalloc((size_t)r->pubs.n, sizeof *pending);
	struct epoll_event evs[64];
	long next_sub = 0, events = 0, syscalls = 0, events0 = 0, syscalls0 = 0;
	double cpu0 = 0;
	int phase = FLOOR_WARMUP;
	while (phase != FLOOR_STOP) {
		int now = atomic_load(&r->phase);
		if (now == FLOOR_MEASURE && phase == FLOOR_WARMUP) {
			cpu0 = thread_cpu_us();
			events0 = events;
			syscalls0 = syscalls;
		}
		phase = now;
		int n = epoll_wait(r->epfd, evs, 64, 20);
		syscalls++;
		for (int i = 0; i < n; i++) {
			long p = (long)evs[i].data.u64;
			ssize_t got = recv(r->pubs.near[p], buf, sizeof buf, MSG_DONTWAIT);
			syscalls++;
			if (got <= 0)
				continue;
			pending[p] += (size_t)got;
			for (; pending[p] >= f->publish_bytes; pending[p] -= f->publish_bytes) {
				send(r->pubs.near[p], ack, f->ack_bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
				syscalls++;
				for (long b = 0; b < f->batch; b++) {
					send(r->subs.near[next_sub], frame, f->frame_bytes, MSG_NOSIGNAL | MSG_DONTWAIT);
					next_sub = (next_sub + 1) % r->subs.n;
					syscalls++;
					events++;
				}
			}
		}
	}
	double spent = thread_cpu_us() - cpu0;
	f->events = events - events0;
	f->server_us_per_event = f->events > 0 ? spent / (double)f->events : 0;
	f->syscalls_per_event = f->events > 0 ? (double)(syscalls - syscalls0) / (double)f->events : 0;
	free(pending);
	free(ack);
	free(frame);
}

int writecost_floor(struct writecost_floor *f, char *err, size_t errlen)
{
	struct floor_run r = { .f = f, .epfd = -1, .load_cpu = -1 };
	f->pinned = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
	if (f->pinned)
		r.load_cpu = 1;
	int rc = -1;
	if (pairs_open(&r.subs, f->subscribers, err, errlen) < 0 ||
	    pairs_open(&r.pubs, f->publishers, err, errlen) < 0)
		goto out;
	r.epfd = epoll_create1(EPOLL_CLOEXEC);
	for (long i = 0; i < r.pubs.n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = (uint64_t)i };
		epoll_ctl(r.epfd, EPOLL_CTL_ADD, r.pubs.near[i], &ev);
	}
	atomic_init(&r.phase, FLOOR_WARMUP);
	atomic_init(&r.subs.stop, false);
	atomic_init(&r.pubs.stop, false);
	pthread_t readers[2], producer;
	if (pthread_create(&readers[0], NULL, floor_reader_main, &r) != 0) {
		snprintf(err, errlen, "reader thread: %s", strerror(errno));
		goto out;
	}
	if (pthread_create(&readers[1], NULL, floor_ack_reader_main, &r) != 0) {
		snprintf(err, errlen, "reader thread: %s", strerror(errno));
		atomic_store(&r.subs.stop, true);
		pthread_join(readers[0], NULL);
		goto out;
	}
	pin_to(f->pinned ? 0 : -1);
	if (pthread_create(&producer, NULL, floor_producer_main, &r) != 0) {
		snprintf(err, errlen, "producer thread: %s", strerror(errno));
	} else {
		floor_serve(&r);
		pthread_join(producer, NULL);
		rc = 0;
	}
	atomic_store(&r.subs.stop, true);
	atomic_store(&r.pubs.stop, true);
	pthread_join(readers[0], NULL);
	pthread_join(readers[1], NULL);
out:
	if (r.epfd >= 0)
		close(r.epfd);
	pairs_close(&r.subs);
	pairs_close(&r.pubs);
	return rc;
}
