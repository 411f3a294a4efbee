/* bench.c: wfmon-bench, the fan-out benchmark.
 *
 * Owns: N subscriber and P publisher connections to a running wfmond, all
 * driven by one epoll loop in one thread (a 1 ms timerfd paces publishing),
 * and the counters, histogram and /proc samples the one JSON result line is
 * made of.
 *
 * Invariants: nothing is allocated per message (publishes are built in one
 * static buffer, deliveries are recognised with memcmp/memmem, latencies go
 * into a fixed histogram); at most BENCH_MAX_INFLIGHT publishes per publisher
 * are unacknowledged; event ids are unique per run (the daemon deduplicates
 * by id) and event i always belongs to room i % rooms, so a publish (a range
 * of consecutive ids) can be credited to its rooms when it is acknowledged.
 * A connection is removed from epoll in the same step that sees it closed,
 * before any new socket could reuse its descriptor number. */
#include "bench_clients.h"
#include "bench_options.h"
#include "bench_stats.h"
#include "bench_writecost.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "clock.h"
#include "keyfile.h"
#include "log.h"
#include "proto.h"
#include "version.h"
#include "tlsclient.h"
#include "wsclient.h"
#include "wsurl.h"
#include "xalloc.h"

#define BENCH_WRITECOST_FRAME 300     /* bytes: a typical event frame */
#define BENCH_WRITECOST_FRAMES 8
#define BENCH_MAX_INFLIGHT 4          /* unacknowledged publishes per publisher */
#define BENCH_AUTO_BATCH 100          /* default cap of events per publish */
#define BENCH_CONNECT_WINDOW 200      /* connections being set up at once */
#define BENCH_STALL_US (15 * 1000000) /* set-up fails after this long without progress */
#define BENCH_ACK_WAIT_US (10 * 1000000)
#define BENCH_DRAIN_US (2 * 1000000)
#define BENCH_EVENT_MAX 320           /* one encoded event, with room to spare */
#define BENCH_PUBLISH_BUF (PROTO_MAX_BATCH * BENCH_EVENT_MAX + 128)
#define BENCH_EPOLL_BATCH 1024

/* ---- Connections -------------------------------------------------------- */

enum conn_role { CONN_SUBSCRIBER, CONN_PUBLISHER };

enum conn_state {
	CONN_CONNECTING,   /* TCP connect and upgrade in progress */
	CONN_SUBSCRIBING,  /* subscriber: subscribe sent, no reply yet */
	CONN_READY,        /* subscribed, or a publisher that is open */
	CONN_CLOSED,       /* out of epoll; the wsc is kept for its close code */
};

struct inflight {
	int64_t req_id;
	uint64_t first;    /* index of its first event */
	uint32_t count;
};

struct conn {
	struct wsc *ws;
	enum conn_role role;
	enum conn_state state;
	uint32_t armed;    /* epoll events registered; 0 when not registered */
	long index;        /* subscriber number or publisher number */
	long room;         /* subscriber's room */
	uint64_t received;
	bool sio_connecting;   /* --framing socketio: "40" sent, its answer awaited */
	unsigned n_inflight;
	struct inflight inflight[BENCH_MAX_INFLIGHT];
};

/* Counters sampled at the start and the end of the measured window. */
struct sample {
	int64_t mono_us;
	uint64_t daemon_cpu_us;
	uint64_t self_cpu_us;
	uint64_t window_deliveries;
	bool have_daemon;
};

struct bench {
	struct options opt;
	struct ws_url url;
	struct ws_url publish_url;   /* the publishers' (url's when not given) */
	SSL_CTX *tls;        /* one TLS context for every connection; NULL: ws:// */
	char *viewer_token;
	char *producer_token;
	char run_id[40];
	int epfd;
	int tfd;

	struct conn *subs;
	long subs_started;
	long subs_open;
	long subs_ready;
	struct conn *pubs;
	long pubs_ready;
	long next_pub;
	int64_t last_progress_us;

	/* Publishing. */
	bool publishing;
	int64_t publish_start_us;
	int64_t window_start_us;
	int64_t window_end_us;
	uint64_t generated;    /* events due since publish_start */
	uint64_t pending;      /* due but not yet sent */
	uint64_t next_index;
	int64_t next_req_id;
	uint64_t sent;
	uint64_t accepted;
	uint64_t rejected;
	uint64_t publish_errors;
	uint64_t refused;      /* events rejected or in a refused publish */
	uint64_t inflight_total;
	uint64_t *acked_room;
	uint64_t *subs_in_room;
	/* Acknowledgements: the producers' side of the spool. */
	FILE *ack_gaps;
	int64_t last_ack_us;
	uint64_t ack_gap_max_us;   /* in the measured window */
	char ts[40];
	int64_t ts_ms;

	/* Receiving. */
	uint64_t received;
	uint64_t window_deliveries;
	uint64_t unmarked;
	uint64_t pending_copies;   /* pending copies (not deliveries: their numbered copy is) */
	uint64_t closed;
	struct bench_hist hist;

	struct sample start, end;
	bool window_started, window_ended;
	uint64_t rss_start_kib, rss_end_kib;
	bool have_rss_start, have_rss_end;

	bool failed;
	char failure[512];
	char cause[256];
};

static char publish_buf[BENCH_PUBLISH_BUF];

/* ---- Socket.IO framing (--framing socketio) --------------------------------
 * Engine.IO 4 over its websocket transport: the server opens with "0{...}",
 * the client joins the main namespace with "40" and may send once "40{...}"
 * comes back; "2" is a ping answered with "3"; an event is 42["m",JSON]. */

#define SIO_PATH "/socket.io/?EIO=4&transport=websocket"
#define SIO_EVENT_PREFIX "42[\"m\","
static char sio_buf[BENCH_PUBLISH_BUF + sizeof SIO_EVENT_PREFIX + 1];

static bool bench_socketio(const struct bench *b)
{
	return b->opt.framing != NULL && strcmp(b->opt.framing, "socketio") == 0;
}

/* Sends one wfmon.v1 message as the framing wants it. */
static int conn_send(struct bench *b, struct conn *c, const char *json, size_t len)
{
	if (!bench_socketio(b))
		return wsc_send_text(c->ws, json, len);
	size_t plen = sizeof SIO_EVENT_PREFIX - 1;
	memcpy(sio_buf, SIO_EVENT_PREFIX, plen);
	memcpy(sio_buf + plen, json, len);
	sio_buf[plen + len] = ']';
	return wsc_send_text(c->ws, sio_buf, plen + len + 1);
}
static struct bench bench_state;

static void bench_fail(struct bench *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Remembers the first failure; the loops stop when one is set. */
static void bench_fail(struct bench *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b->failure, sizeof b->failure, fmt, ap);
	va_end(ap);
	b->failed = true;
}

static uint32_t epoll_mask(short ev)
{
	return (ev & POLLIN ? EPOLLIN : 0u) | (ev & POLLOUT ? EPOLLOUT : 0u);
}

static short poll_mask(uint32_t ev)
{
	return (short)((ev & EPOLLIN ? POLLIN : 0) | (ev & EPOLLOUT ? POLLOUT : 0) |
		       (ev & EPOLLERR ? POLLERR : 0) | (ev & EPOLLHUP ? POLLHUP : 0));
}

static void conn_rearm(struct bench *b, struct conn *c)
{
	uint32_t want = epoll_mask(wsc_poll_events(c->ws));
	if (want == 0)
		want = EPOLLIN;   /* keep hearing about errors and hang-ups */
	if (want == c->armed)
		return;
	struct epoll_event ev = { .events = want, .data.ptr = c };
	int op = c->armed == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(b->epfd, op, wsc_fd(c->ws), &ev) < 0)
		fatal("epoll_ctl on a live connection: %s", strerror(errno));
	c->armed = want;
}

static void conn_unregister(struct bench *b, struct conn *c)
{
	if (c->armed != 0) {
		/* EBADF when the client already closed the socket: then the kernel
		 * dropped it from the set itself. */
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, wsc_fd(c->ws), NULL);
		c->armed = 0;
	}
}

static int conn_start(struct bench *b, struct conn *c, enum conn_role role, long index)
{
	const struct ws_url *u = role == CONN_SUBSCRIBER ? &b->url : &b->publish_url;
	struct wsc_config cfg = {
		.host = u->host,
		.port = u->port,
		.path = bench_socketio(b) ? SIO_PATH : u->path,
		.subprotocol = bench_socketio(b) ? NULL : PROTO_SUBPROTOCOL,
		.bearer = role == CONN_SUBSCRIBER ? b->viewer_token : b->producer_token,
		.tls = b->tls,
		.tls_ca_file = b->opt.ca_file,
	};
	*c = (struct conn){ .role = role, .index = index };
	if (role == CONN_SUBSCRIBER)
		c->room = index % b->opt.rooms;
	c->ws = wsc_new(&cfg, b->cause, sizeof b->cause);
	if (c->ws == NULL) {
		bench_fail(b, "cannot connect to %s: %s", b->opt.url, b->cause);
		c->state = CONN_CLOSED;
		return -1;
	}
	c->state = CONN_CONNECTING;
	conn_rearm(b, c);
	return 0;
}

#define BENCH_HELLO_ID "hello"

/* Says that the subscriber takes pending events (counted apart), then
 * subscribes. */
static void subscriber_send_subscribe(struct bench *b, struct conn *c)
{
	char *hello = proto_hello_request_new(BENCH_HELLO_ID, "wfmon-bench " WFMON_VERSION, true);
	if (hello == NULL)
		fatal("cannot build a hello request");
	int rc = conn_send(b, c, hello, strlen(hello));
	free(hello);
	if (rc < 0) {
		bench_fail(b, "subscriber %ld: cannot send hello: %s", c->index, wsc_error(c->ws));
		return;
	}
	char msg[160];
	int n = snprintf(msg, sizeof msg,
			 "{\"type\":\"subscribe\",\"id\":%ld,\"room\":\"execution:bench-%ld\"}",
			 c->index + 1, c->room);
	if (conn_send(b, c, msg, (size_t)n) < 0) {
		bench_fail(b, "subscriber %ld: cannot send subscribe: %s", c->index,
			   wsc_error(c->ws));
		return;
	}
	c->state = CONN_SUBSCRIBING;
}

static void conn_opened(struct bench *b, struct conn *c)
{
	b->last_progress_us = clock_mono_us();
	if (c->role == CONN_PUBLISHER) {
		c->state = CONN_READY;
		b->pubs_ready++;
		return;
	}
	b->subs_open++;
	subscriber_send_subscribe(b, c);
}

/* A refused upgrade (401, 403) means the token; anything else the network or
 * the daemon. During the run, a subscriber's close is counted, not fatal. */
static void conn_closed(struct bench *b, struct conn *c)
{
	enum conn_state was = c->state;
	conn_unregister(b, c);
	c->state = CONN_CLOSED;
	int status = wsc_http_status(c->ws);
	int code = wsc_close_code(c->ws);
	const char *who = c->role == CONN_SUBSCRIBER ? "subscriber" : "publisher";
	if (status == 401 || status == 403) {
		bench_fail(b, "the daemon refused the %s token (HTTP %d)",
			   c->role == CONN_SUBSCRIBER ? "viewer" : "producer", status);
		return;
	}
	if (c->role == CONN_SUBSCRIBER && was == CONN_READY) {
		if (b->closed++ == 0)
			log_warn("subscriber %ld closed by the server: code %d (%s)", c->index, code,
				 wsc_error(c->ws));
		return;
	}
	if (was == CONN_CONNECTING)
		bench_fail(b, "%s %ld could not connect to %s: %s", who, c->index, b->opt.url,
			   wsc_error(c->ws));
	else
		bench_fail(b, "%s %ld closed: code %d (%s)", who, c->index, code, wsc_error(c->ws));
}

/* ---- Publishing --------------------------------------------------------- */

/* The wall clock as the protocol writes it, recomputed once per millisecond. */
static const char *bench_ts(struct bench *b)
{
	int64_t ms = clock_wall_ms();
	if (ms != b->ts_ms) {
		proto_time_format(ms, b->ts, sizeof b->ts);
		b->ts_ms = ms;
	}
	return b->ts;
}

static void publisher_send(struct bench *b, struct conn *p, uint32_t count)
{
	int64_t now = clock_mono_us();
	const char *ts = bench_ts(b);
	int64_t req = ++b->next_req_id;
	uint64_t first = b->next_index;
	size_t len = (size_t)snprintf(publish_buf, sizeof publish_buf,
				      "{\"type\":\"publish\",\"id\":%" PRId64 ",\"events\":[", req);
	for (uint32_t i = 0; i < count; i++) {
		uint64_t idx = first + i;
		int n = snprintf(publish_buf + len, sizeof publish_buf - len,
				 "%s{\"type\":\"log\",\"id\":\"%s-%" PRIu64 "\","
				 "\"execution_id\":\"bench-%" PRIu64 "\",\"workflow_id\":\"bench\","
				 "\"ts\":\"%s\",\"level\":\"info\",\"message\":\"bench %" PRId64 "\"}",
				 i ? "," : "", b->run_id, idx, idx % (uint64_t)b->opt.rooms, ts, now);
		if (n < 0 || (size_t)n >= sizeof publish_buf - len - 4)
			fatal("publish buffer too small for %u events", count);
		len += (size_t)n;
	}
	publish_buf[len++] = ']';
	publish_buf[len++] = '}';
	if (conn_send(b, p, publish_buf, len) < 0) {
		bench_fail(b, "publisher %ld: cannot send: %s", p->index, wsc_error(p->ws));
		return;
	}
	b->next_index += count;
	b->sent += count;
	p->inflight[p->n_inflight++] = (struct inflight){ .req_id = req, .first = first,
							   .count = count };
	b->inflight_total++;
	/* Write now rather than one loop turn later: the send time is in the frame. */
	if (wsc_io(p->ws, POLLOUT) < 0)
		conn_closed(b, p);
	else
		conn_rearm(b, p);
}

static struct conn *publisher_free_slot(struct bench *b)
{
	for (long i = 0; i < b->opt.publishers; i++) {
		struct conn *p = &b->pubs[(b->next_pub + i) % b->opt.publishers];
		if (p->state == CONN_READY && p->n_inflight < BENCH_MAX_INFLIGHT) {
			b->next_pub = (b->next_pub + i + 1) % b->opt.publishers;
			return p;
		}
	}
	return NULL;
}

/* Sends what is due, round-robin over publishers with a free slot. Events
 * that find no slot stay pending: the achieved rate then falls short of the
 * target, which "published" in the result shows. */
static void bench_dispatch(struct bench *b)
{
	while (b->pending > 0 && !b->failed) {
		uint64_t n;
		if (b->opt.batch > 0)
			n = b->pending >= (uint64_t)b->opt.batch ? (uint64_t)b->opt.batch : 0;
		else
			n = b->pending < BENCH_AUTO_BATCH ? b->pending : BENCH_AUTO_BATCH;
		if (n == 0)
			return;
		struct conn *p = publisher_free_slot(b);
		if (p == NULL)
			return;
		b->pending -= n;
		publisher_send(b, p, (uint32_t)n);
	}
}

static void bench_credit(struct bench *b, uint64_t index)
{
	b->acked_room[index % (uint64_t)b->opt.rooms]++;
	b->accepted++;
}

static struct inflight *publisher_find(struct conn *p, int64_t req_id)
{
	for (unsigned i = 0; i < p->n_inflight; i++)
		if (p->inflight[i].req_id == req_id)
			return &p->inflight[i];
	return NULL;
}

static void publisher_retire(struct bench *b, struct conn *p, struct inflight *f)
{
	*f = p->inflight[--p->n_inflight];
	b->inflight_total--;
}

/* Not every event was accepted: find out which were from the results, whose
 * event ids carry the index. Rare, so a real JSON parse is fine here. */
static void publisher_partial_ack(struct bench *b, const char *data, size_t len,
				  const struct inflight *f)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, 0, &jerr);
	json_t *results = root ? json_object_get(root, "results") : NULL;
	size_t prefix = strlen(b->run_id);
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		const char *id = json_string_value(json_object_get(r, "event_id"));
		const char *status = json_string_value(json_object_get(r, "status"));
		if (id == NULL || status == NULL || strncmp(id, b->run_id, prefix) != 0 ||
		    id[prefix] != '-')
			continue;
		uint64_t idx = strtoull(id + prefix + 1, NULL, 10);
		if (idx < f->first || idx >= f->first + f->count)
			continue;
		if (strcmp(status, "ok") == 0) {
			bench_credit(b, idx);
		} else {
			b->refused++;
			if (b->rejected++ == 0) {
				const char *msg = json_string_value(json_object_get(r, "message"));
				log_warn("event %s not accepted: %s: %s", id, status, msg ? msg : "");
			}
		}
	}
	json_decref(root);
}

/* The time since the previous acknowledgement: a producer with a bounded
 * window of unacknowledged publishes stops for as long. */
#define BENCH_ACK_GAP_LOG_US 10000
static void bench_ack_seen(struct bench *b)
{
	int64_t now = clock_mono_us();
	if (b->last_ack_us != 0) {
		uint64_t gap = (uint64_t)(now - b->last_ack_us);
		if (b->window_started && !b->window_ended && gap > b->ack_gap_max_us)
			b->ack_gap_max_us = gap;
		if (b->ack_gaps != NULL && gap > BENCH_ACK_GAP_LOG_US) {
			fprintf(b->ack_gaps, "%" PRId64 " %.1f\n", clock_wall_ms(), (double)gap / 1000.0);
			fflush(b->ack_gaps);
		}
	}
	b->last_ack_us = now;
}

static void publisher_message(struct bench *b, struct conn *p, const char *data, size_t len)
{
	enum bench_msg type = bench_msg_type(data, len);
	int64_t id = -1, accepted = -1, rejected = -1;
	if (type != BENCH_MSG_ACK && type != BENCH_MSG_ERROR)
		return;
	if (!bench_int_field(data, len, "id", &id)) {
		if (type == BENCH_MSG_ERROR)
			bench_fail(b, "publisher %ld: error from the daemon: %.*s", p->index,
				   (int)(len > 300 ? 300 : len), data);
		return;
	}
	struct inflight *f = publisher_find(p, id);
	if (f == NULL)
		return;
	if (type == BENCH_MSG_ACK)
		bench_ack_seen(b);
	if (type == BENCH_MSG_ERROR) {
		/* forbidden / unauthorized: a viewer token was given as producer. */
		if (memmem(data, len, "\"forbidden\"", 11) || memmem(data, len, "\"unauthorized\"", 14))
			bench_fail(b, "the daemon refused to let the producer token publish: %.*s",
				   (int)(len > 300 ? 300 : len), data);
		else if (b->publish_errors == 0)
			log_warn("publish refused: %.*s%s", (int)(len > 300 ? 300 : len), data,
				 memmem(data, len, "\"rate_limited\"", 14)
					 ? " (the daemon limits requests per connection: raise --batch "
					   "or --publishers)"
					 : "");
		b->publish_errors++;
		b->refused += f->count;
		publisher_retire(b, p, f);
		return;
	}
	if (bench_int_field(data, len, "accepted", &accepted) &&
	    bench_int_field(data, len, "rejected", &rejected) && rejected == 0 &&
	    accepted == (int64_t)f->count) {
		for (uint64_t i = f->first; i < f->first + f->count; i++)
			bench_credit(b, i);
	} else {
		publisher_partial_ack(b, data, len, f);
	}
	publisher_retire(b, p, f);
}

/* ---- Receiving ---------------------------------------------------------- */

static void subscriber_message(struct bench *b, struct conn *c, const char *data, size_t len,
			       int64_t now)
{
	enum bench_msg type = bench_msg_type(data, len);
	if (type == BENCH_MSG_EVENT) {
		int64_t sent_us;
		if (!bench_marker_find(data, len, &sent_us)) {
			b->unmarked++;
			return;
		}
		c->received++;
		b->received++;
		if (b->window_started && !b->window_ended)
			b->window_deliveries++;
		/* Latency of what was sent inside the window, even if it arrives
		 * after it: the slow tail must not fall out of the measurement. */
		if (sent_us >= b->window_start_us && sent_us < b->window_end_us)
			bench_hist_add(&b->hist, now > sent_us ? (uint64_t)(now - sent_us) : 0);
		return;
	}
	if (type == BENCH_MSG_PENDING) {
		/* Shown before it is numbered (a cluster node whose Redis is away):
		 * its numbered copy is the delivery, counted then. */
		b->pending_copies++;
		return;
	}
	if (type == BENCH_MSG_SUBSCRIBED && c->state == CONN_SUBSCRIBING) {
		c->state = CONN_READY;
		b->subs_ready++;
		b->subs_in_room[c->room]++;
		b->last_progress_us = now;
		return;
	}
	/* A daemon from before revision 2 refuses the hello: nothing lost. */
	if (type == BENCH_MSG_ERROR && memmem(data, len, "\"id\":\"" BENCH_HELLO_ID "\"", 6 + strlen(BENCH_HELLO_ID)) == NULL)
		bench_fail(b, "subscriber %ld: the daemon refused: %.*s", c->index,
			   (int)(len > 300 ? 300 : len), data);
}

/* --framing socketio: true with the wfmon.v1 message an event carries; the
 * Engine.IO packets around them are handled here. */
static bool sio_unwrap(struct bench *b, struct conn *c, const char **data, size_t *len)
{
	size_t plen = sizeof SIO_EVENT_PREFIX - 1;
	if (*len > plen && memcmp(*data, SIO_EVENT_PREFIX, plen) == 0 && (*data)[*len - 1] == ']') {
		*data += plen;
		*len -= plen + 1;
		return true;
	}
	if (*len == 1 && (*data)[0] == '2') {
		if (wsc_send_text(c->ws, "3", 1) < 0)
			bench_fail(b, "cannot answer a Socket.IO ping: %s", wsc_error(c->ws));
	} else if (*len >= 2 && memcmp(*data, "40", 2) == 0 && c->sio_connecting) {
		c->sio_connecting = false;
		conn_opened(b, c);
	}
	return false;
}

static void conn_io(struct bench *b, struct conn *c, uint32_t events)
{
	int rc = wsc_io(c->ws, poll_mask(events));
	int64_t now = clock_mono_us();
	const char *data;
	size_t len;
	/* Messages that arrived before a close still count. */
	while (wsc_next(c->ws, &data, &len) == 1) {
		if (bench_socketio(b) && !sio_unwrap(b, c, &data, &len))
			continue;
		if (c->role == CONN_SUBSCRIBER)
			subscriber_message(b, c, data, len, now);
		else
			publisher_message(b, c, data, len);
	}
	if (c->state == CONN_CLOSED)
		return;
	if (rc < 0 || wsc_state(c->ws) == WSC_CLOSED) {
		conn_closed(b, c);
		return;
	}
	if (c->state == CONN_CONNECTING && wsc_state(c->ws) == WSC_OPEN && !c->sio_connecting) {
		if (!bench_socketio(b))
			conn_opened(b, c);
		else if (wsc_send_text(c->ws, "40", 2) < 0)
			bench_fail(b, "cannot join the Socket.IO namespace: %s", wsc_error(c->ws));
		else
			c->sio_connecting = true;
	}
	conn_rearm(b, c);
}

/* ---- Measurement -------------------------------------------------------- */

static uint64_t self_cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void bench_sample(struct bench *b, struct sample *s, int64_t now)
{
	s->mono_us = now;
	s->self_cpu_us = self_cpu_us();
	s->window_deliveries = b->window_deliveries;
	s->have_daemon = false;
	if (b->opt.daemon_pid > 0) {
		if (bench_proc_cpu_us((pid_t)b->opt.daemon_pid, &s->daemon_cpu_us, b->cause,
				      sizeof b->cause) == 0)
			s->have_daemon = true;
		else
			log_warn("daemon CPU: %s", b->cause);
	}
}

static bool bench_rss(struct bench *b, uint64_t *kib)
{
	if (b->opt.daemon_pid <= 0)
		return false;
	if (bench_proc_rss_kib((pid_t)b->opt.daemon_pid, kib, b->cause, sizeof b->cause) == 0)
		return true;
	log_warn("daemon RSS: %s", b->cause);
	return false;
}

/* ---- The loop ----------------------------------------------------------- */

static void bench_tick(struct bench *b, int64_t now)
{
	if (!b->publishing)
		return;
	if (!b->window_started && now >= b->window_start_us) {
		b->window_started = true;
		bench_sample(b, &b->start, now);
	}
	if (now >= b->window_end_us) {
		b->window_ended = true;
		bench_sample(b, &b->end, now);
		b->have_rss_end = bench_rss(b, &b->rss_end_kib);
		b->publishing = false;
		b->pending = 0;
		return;
	}
	uint64_t due = (uint64_t)((double)(now - b->publish_start_us) * b->opt.rate / 1e6);
	if (due > b->generated) {
		b->pending += due - b->generated;
		b->generated = due;
	}
	bench_dispatch(b);
}

/* Starts subscriber connections while fewer than BENCH_CONNECT_WINDOW are
 * being set up, so the daemon's listen backlog never overflows. */
static void bench_connect_more(struct bench *b, long total)
{
	while (b->subs_started < total && !b->failed &&
	       b->subs_started - b->subs_open < BENCH_CONNECT_WINDOW) {
		conn_start(b, &b->subs[b->subs_started], CONN_SUBSCRIBER, b->subs_started);
		b->subs_started++;
	}
}

static void bench_poll(struct bench *b)
{
	struct epoll_event evs[BENCH_EPOLL_BATCH];
	int n = epoll_wait(b->epfd, evs, BENCH_EPOLL_BATCH, 100);
	if (n < 0 && errno != EINTR)
		fatal("epoll_wait: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		if (evs[i].data.ptr == &b->tfd) {
			uint64_t expirations;
			if (read(b->tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
				fatal("timerfd: %s", strerror(errno));
			bench_tick(b, clock_mono_us());
			continue;
		}
		struct conn *c = evs[i].data.ptr;
		if (c->state != CONN_CLOSED)
			conn_io(b, c, evs[i].events);
	}
}

typedef bool (*bench_cond)(const struct bench *b);

/* Runs the loop until cond holds (0), a failure (-1), or for stall_us without
 * progress / past deadline_us (-1 with why). */
static int bench_run_until(struct bench *b, bench_cond cond, int64_t deadline_us,
			   const char *what)
{
	int64_t last_report = clock_mono_us();
	while (!b->failed && !cond(b)) {
		bench_connect_more(b, b->opt.idle > 0 ? b->opt.idle : b->opt.subscribers);
		bench_poll(b);
		int64_t now = clock_mono_us();
		if (deadline_us > 0 && now >= deadline_us)
			return -1;
		if (now - b->last_progress_us > BENCH_STALL_US) {
			bench_fail(b, "%s: no progress for %d s (%ld/%ld subscribers open, %ld subscribed)",
				   what, BENCH_STALL_US / 1000000, b->subs_open, b->subs_started,
				   b->subs_ready);
			break;
		}
		if (now - last_report >= 1000000) {
			last_report = now;
			if (b->publishing || b->window_ended)
				log_info("%s: sent %" PRIu64 ", acked %" PRIu64 ", delivered %" PRIu64
					 ", pending %" PRIu64 ", closed %" PRIu64,
					 what, b->sent, b->accepted, b->received, b->pending, b->closed);
			else
				log_info("%s: %ld open, %ld subscribed", what, b->subs_open,
					 b->subs_ready);
		}
	}
	return b->failed ? -1 : 0;
}

static bool cond_publishers_ready(const struct bench *b)
{
	return b->pubs_ready == b->opt.publishers;
}

static bool cond_all_subscribed(const struct bench *b)
{
	long want = b->opt.idle > 0 ? b->opt.idle : b->opt.subscribers;
	return b->subs_ready == want;
}

static bool cond_never(const struct bench *b)
{
	(void)b;
	return false;
}

static bool cond_published(const struct bench *b)
{
	return !b->publishing;
}

static bool cond_acked(const struct bench *b)
{
	return b->inflight_total == 0;
}

static uint64_t bench_expected(const struct bench *b)
{
	uint64_t sum = 0;
	for (long k = 0; k < b->opt.rooms; k++)
		sum += b->acked_room[k] * b->subs_in_room[k];
	return sum;
}

static bool cond_drained(const struct bench *b)
{
	return b->received >= bench_expected(b);
}

/* ---- Set-up ------------------------------------------------------------- */

/* Returns the token in the file as a new string, or NULL after saying why. */
static char *token_read(const char *path)
{
	char *tok = NULL;
	char cause[2 * PATH_MAX + 128];
	if (token_file_read(path, &tok, cause, sizeof cause) != 0)
		log_error("%s", cause);
	return tok;
}

static int raise_nofile(long need)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if ((long)rl.rlim_cur >= need)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if ((long)rl.rlim_cur >= need)
		return 0;
	/* Root may raise the hard limit too. */
	struct rlimit more = { .rlim_cur = (rlim_t)need, .rlim_max = (rlim_t)need };
	if (setrlimit(RLIMIT_NOFILE, &more) == 0)
		return 0;
	log_error("need %ld file descriptors, the hard limit is %lu (raise it with ulimit -Hn)",
		  need, (unsigned long)rl.rlim_max);
	return -1;
}

static int bench_setup(struct bench *b)
{
	char cause[512];
	if (ws_url_parse(b->opt.url, &b->url, cause, sizeof cause) != 0) {
		log_error("--url '%s': %s", b->opt.url, cause);
		return -1;
	}
	b->publish_url = b->url;
	if (b->opt.publish_url != NULL) {
		if (ws_url_parse(b->opt.publish_url, &b->publish_url, cause, sizeof cause) != 0) {
			log_error("--publish-url '%s': %s", b->opt.publish_url, cause);
			return -1;
		}
		if (b->publish_url.tls != b->url.tls) {
			log_error("--publish-url and --url must both be ws:// or both wss://");
			return -1;
		}
	}
	if (b->url.tls) {
		struct tlsc_files files = { .ca_file = b->opt.ca_file };
		b->tls = tlsc_ctx_new(&files, cause, sizeof cause);
		if (b->tls == NULL) {
			log_error("%s", cause);
			return -1;
		}
	} else if (b->opt.ca_file != NULL) {
		log_error("--ca-file is for TLS: use a wss:// URL");
		return -1;
	}
	long nsubs = b->opt.idle > 0 ? b->opt.idle : b->opt.subscribers;
	/* libwebsockets' client takes a socket and an event pipe per connection. */
	long need = b->opt.client_cost > 0 ? 3 * b->opt.client_cost : nsubs;
	if (raise_nofile(need + b->opt.publishers + 32) < 0)
		return -1;
	b->viewer_token = token_read(b->opt.token_file);
	if (b->viewer_token == NULL)
		return -1;
	if (b->opt.idle == 0) {
		b->producer_token = token_read(b->opt.producer_token_file);
		if (b->producer_token == NULL)
			return -1;
	}
	snprintf(b->run_id, sizeof b->run_id, "b%" PRId64 "p%ld", clock_wall_ms(), (long)getpid());
	b->epfd = epoll_create1(EPOLL_CLOEXEC);
	b->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (b->epfd < 0 || b->tfd < 0) {
		log_error("epoll/timerfd: %s", strerror(errno));
		return -1;
	}
	struct itimerspec its = { .it_interval = { 0, 1000000 }, .it_value = { 0, 1000000 } };
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &b->tfd };
	if (timerfd_settime(b->tfd, 0, &its, NULL) < 0 ||
	    epoll_ctl(b->epfd, EPOLL_CTL_ADD, b->tfd, &ev) < 0) {
		log_error("timerfd: %s", strerror(errno));
		return -1;
	}
	b->subs = xcalloc((size_t)nsubs, sizeof *b->subs);
	b->pubs = xcalloc((size_t)b->opt.publishers, sizeof *b->pubs);
	b->acked_room = xcalloc((size_t)b->opt.rooms, sizeof *b->acked_room);
	b->subs_in_room = xcalloc((size_t)b->opt.rooms, sizeof *b->subs_in_room);
	if (b->opt.ack_gaps != NULL && (b->ack_gaps = fopen(b->opt.ack_gaps, "w")) == NULL) {
		log_error("--ack-gaps %s: %s", b->opt.ack_gaps, strerror(errno));
		return -1;
	}
	bench_hist_reset(&b->hist);
	b->last_progress_us = clock_mono_us();
	return 0;
}

static void bench_teardown(struct bench *b)
{
	long nsubs = b->opt.idle > 0 ? b->opt.idle : b->opt.subscribers;
	for (long i = 0; i < nsubs && b->subs; i++)
		if (b->subs[i].ws)
			wsc_free(b->subs[i].ws);
	for (long i = 0; i < b->opt.publishers && b->pubs; i++)
		if (b->pubs[i].ws)
			wsc_free(b->pubs[i].ws);
	free(b->subs);
	free(b->pubs);
	free(b->acked_room);
	free(b->subs_in_room);
	free(b->viewer_token);
	free(b->producer_token);
	SSL_CTX_free(b->tls);
	if (b->ack_gaps != NULL)
		fclose(b->ack_gaps);
	if (b->tfd >= 0)
		close(b->tfd);
	if (b->epfd >= 0)
		close(b->epfd);
}

/* ---- The two modes ------------------------------------------------------ */

static int bench_idle(struct bench *b)
{
	uint64_t before, after;
	if (!bench_rss(b, &before))
		return -1;
	log_info("opening %ld idle subscribers; daemon RSS %" PRIu64 " KiB", b->opt.idle, before);
	if (bench_run_until(b, cond_all_subscribed, 0, "connecting") < 0)
		return -1;
	log_info("all %ld subscribed; staying idle for %g s", b->opt.idle, b->opt.idle_seconds);
	int64_t settle_us = (int64_t)(b->opt.idle_seconds * 1e6);
	struct sample s0, s1;
	bench_sample(b, &s0, clock_mono_us());
	b->last_progress_us = clock_mono_us() + settle_us;
	bench_run_until(b, cond_never, clock_mono_us() + settle_us, "idle");
	bench_sample(b, &s1, clock_mono_us());
	if (b->failed)
		return -1;
	if (b->closed > 0) {
		bench_fail(b, "%" PRIu64 " idle subscribers were closed by the daemon", b->closed);
		return -1;
	}
	if (!bench_rss(b, &after))
		return -1;
	double per = ((double)after - (double)before) * 1024.0 / (double)b->opt.idle;
	printf("{\"idle_connections\":%ld,\"daemon_rss_before_kib\":%" PRIu64
	       ",\"daemon_rss_after_kib\":%" PRIu64 ",\"rss_per_connection_bytes\":%.0f,"
	       "\"idle_seconds\":%g,\"daemon_cpu_percent\":",
	       b->opt.idle, before, after, per, b->opt.idle_seconds);
	if (s0.have_daemon && s1.have_daemon && s1.mono_us > s0.mono_us)
		printf("%.1f}\n", 100.0 * (double)(s1.daemon_cpu_us - s0.daemon_cpu_us) /
					   (double)(s1.mono_us - s0.mono_us));
	else
		printf("null}\n");
	fflush(stdout);
	return 0;
}

static void print_ms(const char *key, uint64_t us, bool have, bool comma)
{
	if (have)
		printf("\"%s\":%.3f", key, (double)us / 1000.0);
	else
		printf("\"%s\":null", key);
	if (comma)
		putchar(',');
}

static void bench_report(struct bench *b)
{
	const struct options *o = &b->opt;
	double window_s = (double)(b->end.mono_us - b->start.mono_us) / 1e6;
	if (window_s <= 0)
		window_s = o->duration;
	uint64_t expected = bench_expected(b);
	uint64_t lost = expected > b->received ? expected - b->received : 0;
	if (b->received > expected)
		log_warn("%" PRIu64 " more deliveries than expected (duplicates?)",
			 b->received - expected);
	uint64_t deliveries = b->end.window_deliveries - b->start.window_deliveries;
	bool have_hist = b->hist.total > 0;
	bool have_cpu = b->start.have_daemon && b->end.have_daemon;
	uint64_t dcpu = have_cpu ? b->end.daemon_cpu_us - b->start.daemon_cpu_us : 0;
	uint64_t scpu = b->end.self_cpu_us - b->start.self_cpu_us;

	printf("{\"subscribers\":%ld,\"rooms\":%ld,\"publishers\":%ld,\"batch\":%ld,\"target_rate\":%g,"
	       "\"duration_s\":%g,\"published\":%" PRIu64 ",\"deliveries\":%" PRIu64
	       ",\"deliveries_per_s\":%.0f,",
	       o->subscribers, o->rooms, o->publishers, o->batch, o->rate, o->duration, b->accepted,
	       deliveries, (double)deliveries / window_s);
	print_ms("p50_ms", bench_hist_percentile(&b->hist, 50), have_hist, true);
	print_ms("p99_ms", bench_hist_percentile(&b->hist, 99), have_hist, true);
	print_ms("max_ms", b->hist.max, have_hist, true);
	print_ms("ack_gap_max_ms", b->ack_gap_max_us, b->last_ack_us != 0, true);
	printf("\"refused\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"closed\":%" PRIu64 ",", b->refused,
	       lost, b->closed);
	if (have_cpu && deliveries > 0)
		printf("\"daemon_cpu_us_per_delivery\":%.3f,", (double)dcpu / (double)deliveries);
	else
		printf("\"daemon_cpu_us_per_delivery\":null,");
	if (have_cpu)
		printf("\"daemon_cpu_percent\":%.1f,", (double)dcpu / (window_s * 1e6) * 100.0);
	else
		printf("\"daemon_cpu_percent\":null,");
	if (b->have_rss_end)
		printf("\"daemon_rss_kib\":%" PRIu64 ",", b->rss_end_kib);
	else
		printf("\"daemon_rss_kib\":null,");
	if (b->have_rss_start)
		printf("\"daemon_rss_start_kib\":%" PRIu64 ",", b->rss_start_kib);
	else
		printf("\"daemon_rss_start_kib\":null,");
	printf("\"bench_cpu_percent\":%.1f}\n", (double)scpu / (window_s * 1e6) * 100.0);
	fflush(stdout);
	log_info("sent %" PRIu64 " events, %" PRIu64 " accepted, %" PRIu64 " rejected, %" PRIu64
		 " publish errors; expected %" PRIu64 " deliveries, received %" PRIu64
		 " (%" PRIu64 " without marker), and %" PRIu64 " pending copies",
		 b->sent, b->accepted, b->rejected, b->publish_errors, expected, b->received,
		 b->unmarked, b->pending_copies);
}

static int bench_fanout(struct bench *b)
{
	const struct options *o = &b->opt;
	b->have_rss_start = bench_rss(b, &b->rss_start_kib);
	for (long i = 0; i < o->publishers; i++)
		if (conn_start(b, &b->pubs[i], CONN_PUBLISHER, i) < 0)
			return -1;
	log_info("connecting %ld publishers and %ld subscribers to %ld rooms", o->publishers,
		 o->subscribers, o->rooms);
	if (bench_run_until(b, cond_publishers_ready, 0, "connecting") < 0 ||
	    bench_run_until(b, cond_all_subscribed, 0, "connecting") < 0)
		return -1;

	int64_t now = clock_mono_us();
	b->publish_start_us = now;
	b->window_start_us = now + (int64_t)(o->warmup * 1e6);
	b->window_end_us = b->window_start_us + (int64_t)(o->duration * 1e6);
	b->publishing = true;
	log_info("all subscribed; publishing %g events/s for %g s (+%g s warm-up)", o->rate,
		 o->duration, o->warmup);
	/* Publishing is paced, not stalled: progress is the clock itself. */
	b->last_progress_us = b->window_end_us;
	if (bench_run_until(b, cond_published, 0, "publishing") < 0)
		return -1;
	int64_t t = clock_mono_us();
	b->last_progress_us = t;
	if (bench_run_until(b, cond_acked, t + BENCH_ACK_WAIT_US, "acks") < 0 && !b->failed)
		log_warn("%" PRIu64 " publishes still unacknowledged after %d s", b->inflight_total,
			 BENCH_ACK_WAIT_US / 1000000);
	if (b->failed)
		return -1;
	t = clock_mono_us();
	b->last_progress_us = t;
	bench_run_until(b, cond_drained, t + BENCH_DRAIN_US, "drain");
	if (b->failed)
		return -1;
	bench_report(b);
	if (b->received == 0) {
		bench_fail(b, "nothing was delivered");
		return -1;
	}
	return 0;
}

static int bench_client_cost(struct bench *b)
{
	struct bench_clients_options o = {
		.host = b->url.host, .port = b->url.port, .path = b->url.path, .tls = b->tls,
		.ca_file = b->opt.ca_file, .viewer_token = b->viewer_token, .producer_token = b->producer_token,
		.subscribers = b->opt.client_cost, .rate = b->opt.rate, .seconds = b->opt.duration,
	};
	struct bench_clients_result r[2];
	char err[512];
	if (bench_clients_measure(&o, r, err, sizeof err) < 0) {
		log_error("%s", err);
		return -1;
	}
	printf("{\"mode\":\"client_cost\",\"subscribers\":%ld,\"rate\":%.0f,\"tls\":%s", o.subscribers, o.rate,
	       b->tls ? "true" : "false");
	for (int i = 0; i < 2; i++)
		printf(",\"%s\":{\"deliveries\":%" PRIu64 ",\"expected\":%" PRIu64 ",\"deliveries_per_s\":%.0f,"
		       "\"cpu_us_per_delivery\":%.3f}",
		       r[i].client, r[i].deliveries, r[i].expected, r[i].deliveries_per_s, r[i].cpu_us_per_delivery);
	printf("}\n");
	return 0;
}

static int bench_write_cost(long connections)
{
	if (raise_nofile(2 * connections + 64) < 0)
		return 1;
	struct writecost w = { .connections = connections, .frame_bytes = BENCH_WRITECOST_FRAME,
			       .frames = BENCH_WRITECOST_FRAMES };
	char err[256];
	if (writecost_measure(&w, err, sizeof err) < 0) {
		log_error("%s", err);
		return 1;
	}
	printf("{\"mode\":\"write_cost\",\"connections\":%ld,\"frame_bytes\":%zu,"
	       "\"us_per_write_1_frame\":%.2f,\"frames\":%u,\"us_per_write_frames\":%.2f,"
	       "\"us_per_frame_batched\":%.2f}\n",
	       w.connections, w.frame_bytes, w.us_per_write_one, w.frames, w.us_per_write_many,
	       w.us_per_write_many / w.frames);
	return 0;
}

/* Sizes of the floor's messages, as the daemon's are on this shape: a
 * publish of bench events, its acknowledgement, one event frame. */
#define BENCH_FLOOR_EVENT_BYTES 180
#define BENCH_FLOOR_ACK_RESULT_BYTES 60
#define BENCH_FLOOR_FRAME 254

static int bench_floor(const struct options *o)
{
	if (raise_nofile(2 * (o->subscribers + o->publishers) + 64) < 0)
		return 1;
	struct writecost_floor f = {
		.subscribers = o->subscribers, .publishers = o->publishers, .batch = o->floor, .rate = o->rate,
		.warmup_s = o->warmup, .seconds = o->duration,
		.publish_bytes = 60 + BENCH_FLOOR_EVENT_BYTES * (size_t)o->floor,
		.ack_bytes = 50 + BENCH_FLOOR_ACK_RESULT_BYTES * (size_t)o->floor, .frame_bytes = BENCH_FLOOR_FRAME,
	};
	char err[256];
	if (writecost_floor(&f, err, sizeof err) < 0) {
		log_error("%s", err);
		return 1;
	}
	printf("{\"mode\":\"floor\",\"subscribers\":%ld,\"publishers\":%ld,\"batch\":%ld,\"rate\":%.0f,"
	       "\"pinned\":%s,\"events\":%ld,\"server_cpu_us_per_event\":%.2f,\"syscalls_per_event\":%.2f}\n",
	       f.subscribers, f.publishers, f.batch, f.rate, f.pinned ? "true" : "false", f.events,
	       f.server_us_per_event, f.syscalls_per_event);
	return 0;
}

int main(int argc, char **argv)
{
	log_set_ident("wfmon-bench");
	struct bench *b = &bench_state;
	b->epfd = b->tfd = -1;
	int rc = bench_options_parse(&b->opt, argc, argv);
	if (rc == 2) {
		fputs(VERSION_LINE("wfmon-bench"), stdout);
		return 0;
	}
	if (rc != 0) {
		bench_options_usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (b->opt.write_cost > 0)
		return bench_write_cost(b->opt.write_cost);
	if (b->opt.floor > 0)
		return bench_floor(&b->opt);
	if (bench_setup(b) < 0) {
		bench_teardown(b);
		return 1;
	}
	rc = b->opt.client_cost > 0 ? bench_client_cost(b) : b->opt.idle > 0 ? bench_idle(b) : bench_fanout(b);
	if (rc < 0)
		log_error("%s", b->failed ? b->failure : "failed");
	bench_teardown(b);
	return rc < 0 ? 1 : 0;
}
