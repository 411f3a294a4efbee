/* bench_clients.c: the cost of receiving with each client (see
 * bench_clients.h).
 *
 * One epoll loop per run; every subscriber's socket is in it, and a 1 ms
 * timerfd paces the publisher. Events carry a run-unique id prefix, so a run
 * counts only its own. Nothing here is timed but the CPU: the deliveries per
 * second are what the daemon and this machine gave, not a goal. */
#include "bench_clients.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "clock.h"
#include "proto.h"
#include "wsclient.h"
#include "wslink.h"
#include "xalloc.h"

#define SETUP_MS 20000
#define DRAIN_MS 2000

enum kind { LEAN, LWS };

struct sub {
	enum kind kind;
	struct wsc *wsc;
	struct wsl *wsl;
	bool subscribed;
	uint64_t events;
};

static int64_t cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec + (int64_t)ru.ru_stime.tv_sec * 1000000 +
	       ru.ru_stime.tv_usec;
}

static int sub_fd(const struct sub *s)
{
	return s->kind == LEAN ? wsc_fd(s->wsc) : wsl_fd(s->wsl);
}

static void sub_free(struct sub *s)
{
	wsc_free(s->wsc);
	wsl_free(s->wsl);
	s->wsc = NULL;
	s->wsl = NULL;
}

/* Services one subscriber and counts its events; false once it closed. */
static bool sub_service(struct sub *s, short revents)
{
	const char *data;
	size_t len;
	bool open;
	if (s->kind == LEAN) {
		wsc_io(s->wsc, revents);
		while (wsc_next(s->wsc, &data, &len) == 1) {
			if (memmem(data, len, "\"type\":\"event\"", 14) != NULL)
				s->events++;
			else if (memmem(data, len, "\"subscribed\"", 12) != NULL)
				s->subscribed = true;
		}
		open = wsc_state(s->wsc) != WSC_CLOSED;
	} else {
		wsl_io(s->wsl, revents);
		while (wsl_next(s->wsl, &data, &len) == 1) {
			if (memmem(data, len, "\"type\":\"event\"", 14) != NULL)
				s->events++;
			else if (memmem(data, len, "\"subscribed\"", 12) != NULL)
				s->subscribed = true;
		}
		open = wsl_state(s->wsl) != WSL_CLOSED;
	}
	return open;
}

static int run_one(const struct bench_clients_options *o, enum kind kind, struct bench_clients_result *res,
		   char *err, size_t errlen)
{
	char prefix[48], sub_msg[160];
	snprintf(prefix, sizeof prefix, "cc%" PRId64 "%c", clock_wall_ms(), kind == LEAN ? 'l' : 'w');
	snprintf(sub_msg, sizeof sub_msg, "{\"type\":\"subscribe\",\"id\":\"s\",\"room\":\"execution:%s\"}", prefix);
	struct sub *subs = xcalloc((size_t)o->subscribers, sizeof *subs);
	int ep = epoll_create1(EPOLL_CLOEXEC), tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	int rc = -1;
	struct wsc *pub = NULL;
	char cause[256];
	/* All connections start at once; each subscribes once open. */
	for (long i = 0; i < o->subscribers; i++) {
		struct sub *s = &subs[i];
		s->kind = kind;
		if (kind == LEAN) {
			struct wsc_config c = { .host = o->host, .port = o->port, .path = o->path,
						.subprotocol = PROTO_SUBPROTOCOL, .bearer = o->viewer_token, .tls = o->tls,
						.tls_ca_file = o->ca_file };
			s->wsc = wsc_new(&c, cause, sizeof cause);
		} else {
			struct wsl_config c = { .host = o->host, .port = o->port, .path = o->path, .tls = o->tls != NULL,
						.ca_file = o->ca_file, .subprotocol = PROTO_SUBPROTOCOL,
						.bearer = o->viewer_token };
			s->wsl = wsl_new(&c, cause, sizeof cause);
		}
		if (s->wsc == NULL && s->wsl == NULL) {
			snprintf(err, errlen, "cannot connect: %s", cause);
			goto out;
		}
	}
	struct wsc_config pc = { .host = o->host, .port = o->port, .path = o->path, .subprotocol = PROTO_SUBPROTOCOL,
				 .bearer = o->producer_token, .tls = o->tls, .tls_ca_file = o->ca_file };
	pub = wsc_new(&pc, cause, sizeof cause);
	if (pub == NULL || wsc_wait_open(pub, 10000) < 0) {
		snprintf(err, errlen, "the publisher did not open: %s", pub ? wsc_error(pub) : cause);
		goto out;
	}
	bool *asked = xcalloc((size_t)o->subscribers, sizeof *asked);
	int64_t until = clock_mono_us() + (int64_t)SETUP_MS * 1000;
	long ready = 0;
	while (ready < o->subscribers && clock_mono_us() < until) {
		ready = 0;
		for (long i = 0; i < o->subscribers; i++) {
			struct sub *s = &subs[i];
			bool open = kind == LEAN ? wsc_state(s->wsc) == WSC_OPEN : wsl_state(s->wsl) == WSL_OPEN;
			if (open && !asked[i]) {
				asked[i] = true;
				if (kind == LEAN)
					wsc_send_text(s->wsc, sub_msg, strlen(sub_msg));
				else
					wsl_send_text(s->wsl, sub_msg, strlen(sub_msg));
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };
				epoll_ctl(ep, EPOLL_CTL_ADD, sub_fd(s), &ev);
			}
			if (!s->subscribed && !sub_service(s, POLLIN | POLLOUT)) {
				snprintf(err, errlen, "subscriber %ld closed: %s", i,
					 kind == LEAN ? wsc_error(s->wsc) : wsl_error(s->wsl));
				free(asked);
				goto out;
			}
			ready += s->subscribed;
		}
		usleep(2000);
	}
	free(asked);
	if (ready < o->subscribers) {
		snprintf(err, errlen, "%ld of %ld subscriptions answered", ready, o->subscribers);
		goto out;
	}
	struct itimerspec its = { .it_interval = { 0, 1000000 }, .it_value = { 0, 1000000 } };
	timerfd_settime(tfd, 0, &its, NULL);
	struct epoll_event tev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);

	uint64_t sent = 0, expected;
	int64_t t0 = clock_mono_us(), c0 = cpu_us(), end = t0 + (int64_t)(o->seconds * 1e6), last_pub = 0;
	char *batch = xmalloc(PROTO_MAX_BATCH * 320 + 128);
	for (;;) {
		int64_t now = clock_mono_us();
		if (now >= end + (int64_t)DRAIN_MS * 1000)
			break;
		uint64_t due = now < end ? (uint64_t)((double)(now - t0) / 1e6 * o->rate) : sent;
		/* At most a publish every 10 ms: well inside the daemon's request budget. */
		if (due > sent && now - last_pub >= 10000) {
			last_pub = now;
			uint64_t n = due - sent > 100 ? 100 : due - sent;
			int len = snprintf(batch, 64, "{\"type\":\"publish\",\"events\":[");
			for (uint64_t k = 0; k < n; k++)
				len += sprintf(batch + len,
					       "%s{\"type\":\"log\",\"id\":\"%s-%" PRIu64 "\",\"execution_id\":\"%s\","
					       "\"workflow_id\":\"cc\",\"ts\":\"2026-11-23T04:00:00Z\",\"level\":\"info\","
					       "\"message\":\"line %" PRIu64 " of the client cost run\"}",
					       k ? "," : "", prefix, sent + k, prefix, sent + k);
			len += sprintf(batch + len, "]}");
			wsc_send_text(pub, batch, (size_t)len);
			sent += n;
		}
		wsc_io(pub, POLLIN | POLLOUT);
		const char *d;
		size_t l;
		while (wsc_next(pub, &d, &l) == 1)
			;
		struct epoll_event evs[256];
		int n = epoll_wait(ep, evs, 256, 1);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				uint64_t ticks;
				(void)!read(tfd, &ticks, sizeof ticks);
				continue;
			}
			sub_service(evs[i].data.ptr, POLLIN);
		}
	}
	free(batch);
	int64_t cpu = cpu_us() - c0, wall = clock_mono_us() - t0;
	expected = sent * (uint64_t)o->subscribers;
	res->deliveries = 0;
	for (long i = 0; i < o->subscribers; i++)
		res->deliveries += subs[i].events;
	res->expected = expected;
	res->client = kind == LEAN ? "lean" : "libwebsockets";
	res->cpu_us_per_delivery = res->deliveries ? (double)cpu / (double)res->deliveries : 0;
	res->deliveries_per_s = (double)res->deliveries / ((double)wall / 1e6);
	rc = 0;
out:
	for (long i = 0; i < o->subscribers; i++)
		sub_free(&subs[i]);
	free(subs);
	wsc_free(pub);
	close(ep);
	close(tfd);
	return rc;
}

int bench_clients_measure(const struct bench_clients_options *o, struct bench_clients_result out[2], char *err,
			  size_t errlen)
{
	if (run_one(o, LEAN, &out[0], err, errlen) < 0)
		return -1;
	return run_one(o, LWS, &out[1], err, errlen);
}
