/* bench_writecost.c: the cost of one write to a loopback socket (see
 * bench_writecost.h). */
#include "bench_writecost.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
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
