/* publisher.c: a producer's link to wfmond (see publisher.h).
 *
 * State machine: DISCONNECTED (waiting for reconnect_at) -> CONNECTING (TCP
 * and the WebSocket handshake) -> HELLO (the hello asked, nothing published
 * until its answer says the revision) -> READY (publishing; the control room
 * joined when asked for). A closed link goes back to DISCONNECTED with the
 * publishes in flight put back at the front of the queue, in order.
 *
 * Invariants: queue holds events in sequence order, the in-flight publishes
 * hold the events before the queue's first, also in order, so the oldest
 * unsettled event is the first in flight or else the first queued; the queue
 * and the window together never hold more than max_queued events. */
#include "publisher.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "proto.h"
#include "wsclient.h"
#include "xalloc.h"

#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 10000
#define HOLD_MS 1000                /* after "unavailable" or "rate_limited" */
#define HELLO_TIMEOUT_MS 10000

struct pub_event {
	uint64_t seq;
	json_t *event;
};

struct pub_flight {
	char id[32];                /* the publish request's id */
	struct pub_event *evs;
	size_t n;
};

struct publisher {
	struct publisher_config cfg;
	char *host, *path, *token, *client;
	enum publisher_state state;
	struct wsc *ws;
	int64_t reconnect_at_ms, hold_until_ms, hello_deadline_ms;
	int backoff_ms;
	int revision;
	bool ever_ready;
	char error[256];
	/* the queue: a ring */
	struct pub_event *q;
	size_t qhead, qcount, qcap;
	struct pub_flight flight[PUBLISHER_WINDOW];
	size_t nflight;
	uint64_t next_seq, next_pub;
	uint64_t settled;           /* everything up to this seq is settled */
	struct publisher_stats stats;
};

/* ---- the queue -------------------------------------------------------------------- */

static struct pub_event *q_at(struct publisher *p, size_t i)
{
	return &p->q[(p->qhead + i) % p->qcap];
}

static void q_grow(struct publisher *p)
{
	if (p->qcount < p->qcap)
		return;
	size_t cap = p->qcap ? p->qcap * 2 : 64;
	struct pub_event *n = xmalloc(cap * sizeof *n);
	for (size_t i = 0; i < p->qcount; i++)
		n[i] = *q_at(p, i);
	free(p->q);
	p->q = n;
	p->qcap = cap;
	p->qhead = 0;
}

/* Puts events back at the front, keeping their order. */
static void q_unshift(struct publisher *p, struct pub_event *evs, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		q_grow(p);
		p->qhead = (p->qhead + p->qcap - 1) % p->qcap;
		*q_at(p, 0) = evs[i];
		p->qcount++;
	}
}

static size_t in_flight(const struct publisher *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nflight; i++)
		n += p->flight[i].n;
	return n;
}

/* Recomputes how far everything is settled. */
static void settle(struct publisher *p)
{
	uint64_t first = p->next_seq;   /* the oldest unsettled, or the next to come */
	if (p->nflight > 0)
		first = p->flight[0].evs[0].seq;
	else if (p->qcount > 0)
		first = q_at(p, 0)->seq;
	p->settled = first - 1;
}

/* ---- life ---------------------------------------------------------------------------- */

struct publisher *publisher_new(const struct publisher_config *cfg)
{
	struct publisher *p = xcalloc(1, sizeof *p);
	p->cfg = *cfg;
	p->host = xstrdup(cfg->host);
	p->path = xstrdup(cfg->path ? cfg->path : "/");
	p->token = xstrdup(cfg->token ? cfg->token : "");
	p->client = xstrdup(cfg->client ? cfg->client : "wfmon");
	p->cfg.host = p->host;
	p->cfg.path = p->path;
	p->cfg.token = p->token;
	p->cfg.client = p->client;
	if (p->cfg.max_queued == 0)
		p->cfg.max_queued = 10000;
	p->next_seq = 1;
	p->state = PUB_DISCONNECTED;
	p->reconnect_at_ms = 0;
	return p;
}

static void flight_free(struct pub_flight *f)
{
	for (size_t i = 0; i < f->n; i++)
		json_decref(f->evs[i].event);
	free(f->evs);
	f->evs = NULL;
	f->n = 0;
}

void publisher_free(struct publisher *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nflight; i++)
		flight_free(&p->flight[i]);
	for (size_t i = 0; i < p->qcount; i++)
		json_decref(q_at(p, i)->event);
	free(p->q);
	wsc_free(p->ws);
	explicit_bzero(p->token, strlen(p->token));
	free(p->token);
	free(p->host);
	free(p->path);
	free(p->client);
	free(p);
}

uint64_t publisher_add(struct publisher *p, json_t *event)
{
	if (p->qcount + in_flight(p) >= p->cfg.max_queued) {
		p->stats.dropped_full++;
		json_decref(event);
		return 0;
	}
	q_grow(p);
	struct pub_event *e = q_at(p, p->qcount++);
	e->seq = p->next_seq++;
	e->event = event;
	p->stats.added++;
	settle(p);
	return e->seq;
}

size_t publisher_pending(const struct publisher *p)
{
	return p->qcount + in_flight(p);
}

uint64_t publisher_settled_through(const struct publisher *p)
{
	return p->settled;
}

enum publisher_state publisher_state(const struct publisher *p)
{
	return p->state;
}

const char *publisher_error(const struct publisher *p)
{
	return p->error;
}

bool publisher_ever_ready(const struct publisher *p)
{
	return p->ever_ready;
}

int publisher_revision(const struct publisher *p)
{
	return p->revision;
}

void publisher_get_stats(const struct publisher *p, struct publisher_stats *out)
{
	*out = p->stats;
}

/* ---- the link -------------------------------------------------------------------------- */

static void send_json(struct publisher *p, json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	if (text != NULL && wsc_send_text(p->ws, text, strlen(text)) != 0)
		snprintf(p->error, sizeof p->error, "the connection's send buffer is full");
	free(text);
	json_decref(msg);
}

static void connect_now(struct publisher *p, int64_t now_ms)
{
	struct wsc_config c = {
		.host = p->host, .port = p->cfg.port, .path = p->path, .subprotocol = PROTO_SUBPROTOCOL,
		.bearer = p->token, .max_message = PROTO_MAX_MESSAGE * 4,
		.tls = p->cfg.tls, .tls_ca_file = p->cfg.tls_ca_file,
	};
	p->ws = wsc_new(&c, p->error, sizeof p->error);
	if (p->ws == NULL) {
		p->state = PUB_DISCONNECTED;
		p->reconnect_at_ms = now_ms + (p->backoff_ms ? p->backoff_ms : BACKOFF_FIRST_MS);
		return;
	}
	p->state = PUB_CONNECTING;
}

/* The link is gone: what was in flight goes back to the queue, in order. */
static void disconnected(struct publisher *p, int64_t now_ms)
{
	if (p->ws != NULL) {
		const char *why = wsc_error(p->ws);
		int status = wsc_http_status(p->ws);
		if (status == 401 || status == 403)
			snprintf(p->error, sizeof p->error, "the daemon refused the token (HTTP %d): %s", status, why);
		else if (why[0] != '\0')
			snprintf(p->error, sizeof p->error, "%s", why);
		wsc_free(p->ws);
		p->ws = NULL;
	}
	for (size_t i = p->nflight; i-- > 0;) {
		q_unshift(p, p->flight[i].evs, p->flight[i].n);
		free(p->flight[i].evs);
		p->flight[i].evs = NULL;
		p->flight[i].n = 0;
	}
	p->nflight = 0;
	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_FIRST_MS;
	if (p->backoff_ms > BACKOFF_MAX_MS)
		p->backoff_ms = BACKOFF_MAX_MS;
	p->reconnect_at_ms = now_ms + p->backoff_ms;
	p->state = PUB_DISCONNECTED;
	settle(p);
}

static void opened(struct publisher *p, int64_t now_ms)
{
	p->state = PUB_HELLO;
	p->hello_deadline_ms = now_ms + HELLO_TIMEOUT_MS;
	send_json(p, json_pack("{s:s,s:s,s:i,s:i,s:s}", "type", "hello", "id", "hello", "protocol", PROTO_VERSION,
			       "revision", PROTO_REVISION, "client", p->client));
}

static void ready(struct publisher *p, int revision)
{
	p->revision = revision;
	p->state = PUB_READY;
	p->ever_ready = true;
	p->backoff_ms = 0;
	p->error[0] = '\0';
	if (revision < PROTO_REVISION)
		log_warn("wfmond speaks protocol revision %d: attempts, labels and what else revision %d "
			 "added are left out of the events", revision, PROTO_REVISION);
	if (p->cfg.join_control)
		send_json(p, json_pack("{s:s,s:s,s:s}", "type", "subscribe", "id", "control", "room", "control"));
}

/* Sends publishes while the window has room. */
static void pump(struct publisher *p, int64_t now_ms)
{
	while (p->state == PUB_READY && p->nflight < PUBLISHER_WINDOW && p->qcount > 0 &&
	       now_ms >= p->hold_until_ms) {
		struct pub_flight *f = &p->flight[p->nflight];
		f->evs = xmalloc(PUBLISHER_BATCH * sizeof *f->evs);
		f->n = 0;
		json_t *list = json_array();
		size_t bytes = 0;
		while (f->n < PUBLISHER_BATCH && p->qcount > 0) {
			struct pub_event *e = q_at(p, 0);
			if (p->revision < PROTO_REVISION && proto_event_downgrade(e->event, p->revision) < 0) {
				/* Not expressible at this revision: settled by leaving it out. */
				p->stats.downgraded_out++;
				json_decref(e->event);
				p->qhead = (p->qhead + 1) % p->qcap;
				p->qcount--;
				continue;
			}
			size_t size = json_dumpb(e->event, NULL, 0, JSON_COMPACT);
			if (f->n > 0 && bytes + size > PROTO_MAX_MESSAGE / 2)
				break;
			bytes += size;
			json_array_append(list, e->event);
			f->evs[f->n++] = *e;
			p->qhead = (p->qhead + 1) % p->qcap;
			p->qcount--;
		}
		if (f->n == 0) {
			free(f->evs);
			f->evs = NULL;
			json_decref(list);
			settle(p);
			continue;
		}
		snprintf(f->id, sizeof f->id, "pub-%llu", (unsigned long long)++p->next_pub);
		p->nflight++;
		send_json(p, json_pack("{s:s,s:s,s:o}", "type", "publish", "id", f->id, "events", list));
	}
	settle(p);
}

static bool code_retryable(const char *code)
{
	return code != NULL && (strcmp(code, "unavailable") == 0 || strcmp(code, "rate_limited") == 0);
}

static int flight_find(const struct publisher *p, const char *id)
{
	for (size_t i = 0; id != NULL && i < p->nflight; i++)
		if (strcmp(p->flight[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void flight_remove(struct publisher *p, size_t k)
{
	free(p->flight[k].evs);
	memmove(&p->flight[k], &p->flight[k + 1], (p->nflight - k - 1) * sizeof p->flight[0]);
	p->nflight--;
	memset(&p->flight[p->nflight], 0, sizeof p->flight[0]);
}

/* An ack: each event settled, or back to the queue when the daemon could not
 * take it now. Acks come in the order of the publishes. */
static void on_ack(struct publisher *p, json_t *msg, int64_t now_ms)
{
	int k = flight_find(p, json_string_value(json_object_get(msg, "id")));
	if (k < 0)
		return;
	struct pub_flight *f = &p->flight[k];
	json_t *results = json_object_get(msg, "results");
	struct pub_event *again = xmalloc((f->n ? f->n : 1) * sizeof *again);
	size_t nagain = 0;
	for (size_t i = 0; i < f->n; i++) {
		json_t *r = json_array_get(results, i);
		const char *status = json_string_value(json_object_get(r, "status"));
		const char *code = json_string_value(json_object_get(r, "code"));
		if (status != NULL && strcmp(status, "ok") == 0) {
			p->stats.accepted++;
		} else if (status != NULL && strcmp(status, "duplicate") == 0) {
			p->stats.duplicates++;
		} else if (status == NULL || code_retryable(code)) {
			again[nagain++] = f->evs[i];
			continue;
		} else {
			p->stats.refused++;
			log_warn("wfmond refused event %s: %s%s%s", json_string_value(json_object_get(r, "event_id")),
				 json_string_value(json_object_get(r, "field")) ?: "",
				 json_object_get(r, "field") ? ": " : "", json_string_value(json_object_get(r, "message")) ?: "");
		}
		json_decref(f->evs[i].event);
	}
	flight_remove(p, (size_t)k);
	if (nagain > 0) {
		/* Later publishes in flight hold later events: they go back first. */
		for (size_t i = p->nflight; i-- > (size_t)k;) {
			q_unshift(p, p->flight[i].evs, p->flight[i].n);
			flight_remove(p, i);
		}
		q_unshift(p, again, nagain);
		p->hold_until_ms = now_ms + HOLD_MS;
	}
	free(again);
	settle(p);
}

/* An error answer: to the hello (a daemon before revision 2), to a publish
 * (the whole batch refused: put back when it may pass later), or else said. */
static void on_error(struct publisher *p, json_t *msg, int64_t now_ms)
{
	const char *id = json_string_value(json_object_get(msg, "id"));
	const char *code = json_string_value(json_object_get(msg, "code"));
	const char *text = json_string_value(json_object_get(msg, "message"));
	if (id != NULL && strcmp(id, "hello") == 0 && p->state == PUB_HELLO) {
		ready(p, proto_hello_revision(msg));
		return;
	}
	int k = flight_find(p, id);
	if (k < 0) {
		log_warn("wfmond: %s: %s", code ? code : "error", text ? text : "");
		return;
	}
	if (code_retryable(code)) {
		for (size_t i = p->nflight; i-- > (size_t)k;) {
			q_unshift(p, p->flight[i].evs, p->flight[i].n);
			flight_remove(p, i);
		}
		p->hold_until_ms = now_ms + HOLD_MS;
	} else {
		log_warn("wfmond refused a publish of %zu events: %s", p->flight[k].n, text ? text : "");
		p->stats.refused += p->flight[k].n;
		flight_free(&p->flight[k]);
		flight_remove(p, (size_t)k);
	}
	settle(p);
}

static void on_message(struct publisher *p, const char *data, size_t len, int64_t now_ms)
{
	json_t *msg = json_loadb(data, len, 0, NULL);
	const char *type = json_string_value(json_object_get(msg, "type"));
	if (type == NULL) {
		json_decref(msg);
		return;
	}
	if (strcmp(type, "hello") == 0 && p->state == PUB_HELLO)
		ready(p, proto_hello_revision(msg));
	else if (strcmp(type, "ack") == 0)
		on_ack(p, msg, now_ms);
	else if (strcmp(type, "error") == 0)
		on_error(p, msg, now_ms);
	else if (strcmp(type, "control") == 0 && p->cfg.on_control != NULL)
		p->cfg.on_control(msg, p->cfg.arg);
	json_decref(msg);
}

/* ---- polling ----------------------------------------------------------------------------- */

int publisher_fd(const struct publisher *p)
{
	return p->ws ? wsc_fd(p->ws) : -1;
}

short publisher_poll_events(const struct publisher *p)
{
	return p->ws ? wsc_poll_events(p->ws) : 0;
}

int publisher_timeout_ms(const struct publisher *p, int64_t now_ms)
{
	int64_t at = -1;
	if (p->state == PUB_DISCONNECTED && (p->qcount > 0 || p->cfg.join_control))
		at = p->reconnect_at_ms;
	else if (p->state == PUB_HELLO)
		at = p->hello_deadline_ms;
	else if (p->state == PUB_READY && p->qcount > 0 && p->nflight < PUBLISHER_WINDOW)
		at = p->hold_until_ms;
	if (at < 0)
		return -1;
	return at <= now_ms ? 0 : (int)(at - now_ms > 60000 ? 60000 : at - now_ms);
}

void publisher_io(struct publisher *p, short revents, int64_t now_ms)
{
	if (p->state == PUB_DISCONNECTED) {
		/* Connect only when there is something to say (or to hear). */
		if ((p->qcount > 0 || p->cfg.join_control) && now_ms >= p->reconnect_at_ms)
			connect_now(p, now_ms);
		if (p->ws == NULL)
			return;
	}
	if (revents != 0)
		wsc_io(p->ws, revents);
	if (p->state == PUB_CONNECTING && wsc_state(p->ws) == WSC_OPEN)
		opened(p, now_ms);
	const char *data;
	size_t len;
	while (p->ws != NULL && wsc_next(p->ws, &data, &len))
		on_message(p, data, len, now_ms);
	if (p->state == PUB_HELLO && now_ms >= p->hello_deadline_ms) {
		snprintf(p->error, sizeof p->error, "wfmond did not answer the hello within %d s", HELLO_TIMEOUT_MS / 1000);
		wsc_send_close(p->ws, 1000);
		disconnected(p, now_ms);
		return;
	}
	if (p->ws != NULL && wsc_state(p->ws) == WSC_CLOSED) {
		disconnected(p, now_ms);
		return;
	}
	pump(p, now_ms);
}

int publisher_drain(struct publisher *p, int timeout_ms)
{
	int64_t deadline = clock_mono_us() / 1000 + timeout_ms;
	for (;;) {
		int64_t now = clock_mono_us() / 1000;
		publisher_io(p, 0, now);
		if (publisher_pending(p) == 0)
			return 0;
		if (now >= deadline)
			return -1;
		/* A link that failed after having worked gets its reconnects; one
		 * that never worked is reported after the first failure. */
		if (p->state == PUB_DISCONNECTED && !p->ever_ready && p->error[0] != '\0')
			return -1;
		int wait = publisher_timeout_ms(p, now);
		if (wait < 0 || wait > deadline - now)
			wait = (int)(deadline - now);
		struct pollfd pfd = { .fd = publisher_fd(p), .events = publisher_poll_events(p) };
		int n = poll(&pfd, pfd.fd >= 0 ? 1 : 0, wait > 100 ? 100 : wait);
		if (n < 0 && errno != EINTR)
			return -1;
		publisher_io(p, n > 0 ? pfd.revents : 0, clock_mono_us() / 1000);
	}
}

size_t publisher_take_unsent(struct publisher *p, uint64_t after_seq, char **out, size_t max)
{
	size_t n = 0;
	/* In flight first (older), then the queue. */
	for (size_t i = 0; i < p->nflight; i++) {
		struct pub_flight *f = &p->flight[i];
		for (size_t k = 0; k < f->n; k++) {
			if (n < max && f->evs[k].seq > after_seq)
				out[n++] = json_dumps(f->evs[k].event, JSON_COMPACT);
			json_decref(f->evs[k].event);
		}
		free(f->evs);
		f->evs = NULL;
		f->n = 0;
	}
	p->nflight = 0;
	while (p->qcount > 0) {
		struct pub_event *e = q_at(p, 0);
		if (n < max && e->seq > after_seq)
			out[n++] = json_dumps(e->event, JSON_COMPACT);
		json_decref(e->event);
		p->qhead = (p->qhead + 1) % p->qcap;
		p->qcount--;
	}
	settle(p);
	return n;
}
