/* conn.c: queuing to a connection, cutting off slow consumers, request budget
 * (see conn.h). The writing itself happens in flush.c, from its timer or when
 * lws says the socket is writable. */
#include "conn.h"

#include <libwebsockets.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "control.h"
#include "flush.h"
#include "log.h"
#include "xalloc.h"
#include "room.h"
#include "server.h"

void conn_close_after_flush(struct conn *c, int code, const char *reason)
{
	if (c->close_code != 0)
		return;
	c->close_code = code;
	c->close_reason = reason;
	c->close_by_us = clock_mono_us() + CONN_CLOSE_GRACE_US;
	if (c->wsi != NULL)
		lws_callback_on_writable(c->wsi);
}

static void sub_drop_held(struct sub *s)
{
	for (uint32_t i = 0; i < s->nheld; i++)
		frame_unref(s->held[i].frame);
	free(s->held);
	s->held = NULL;
	s->nheld = s->capheld = 0;
}

/* Too far behind: dropping its backlog frees the memory now (it cannot catch
 * up anyway), and the close frame tells it why if its socket takes one
 * within the grace; else it is cut (conn_keepalive). */
static void conn_cut_slow(struct conn *c)
{
	log_warn("connection of %s/%s is %u messages (%zu bytes) behind: closing it (4001)",
		 c->who.org, c->who.sub, c->q.count, c->q.bytes);
	outq_clear(&c->q);
	for (uint32_t i = 0; i < c->nsubs; i++)
		sub_drop_held(&c->subs[i]);
	c->srv->stats.slow_consumers_cut++;
	conn_close_after_flush(c, PROTO_CLOSE_SLOW_CONSUMER, "slow consumer");
}

static void conn_queue(struct conn *c, struct frame *f, bool at_once)
{
	if (c->close_code != 0)
		return;
	bool was_empty = outq_empty(&c->q);
	if (outq_push(&c->q, f) < 0) {
		conn_cut_slow(c);
		return;
	}
	c->srv->stats.messages_out++;
	if (was_empty || at_once)
		flush_wake(c, at_once);
}

void conn_deliver(struct conn *c, struct room *from, int64_t pos, struct frame *f)
{
	/* A client that did not ask for pending events may take "seq" as
	 * required: it gets the numbered copy only. */
	if (pos < 0 && !c->pending_events)
		return;
	if (c->npending > 0 && from != NULL) {
		struct sub *s = conn_sub_find(c, from);
		if (s != NULL && s->ticket != 0) {
			/* A pending event is not held: the outbox sends what is still
			 * pending after the answer (cluster_outbox_replay). */
			if (pos < 0)
				return;
			/* Held frames count against the same limits as queued ones. */
			if (c->close_code != 0)
				return;
			if (s->nheld + c->q.count >= c->q.max_msgs) {
				conn_cut_slow(c);
				return;
			}
			if (s->nheld == s->capheld) {
				s->capheld = s->capheld ? s->capheld * 2 : 8;
				s->held = xrealloc(s->held, sizeof *s->held * s->capheld);
			}
			s->held[s->nheld++] = (struct held_frame){ pos, frame_ref(f) };
			return;
		}
	}
	conn_queue(c, f, false);
}

void conn_send(struct conn *c, char *payload)
{
	struct frame *f = frame_take_text(payload);
	conn_queue(c, f, true);
	frame_unref(f);
}

void conn_send_error(struct conn *c, json_t *id, enum proto_error code, const char *message,
		     const char *field)
{
	conn_send(c, proto_error_message_new(id, code, message, field));
}

void conn_send_answer(struct conn *c, json_t *id, const char *type, const char *key, json_t *value)
{
	json_t *m = json_pack("{s:s}", "type", type);
	if (id != NULL)
		json_object_set(m, "id", id);
	json_object_set_new(m, key, value);
	char *text = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(m);
	conn_send(c, text);
}

void conn_abort(struct conn *c, int code)
{
	c->close_code = code;
	c->close_by_us = 0;
	/* Nothing more goes out: no frame may follow on a socket about to be cut. */
	outq_clear(&c->q);
	flush_forget(c);
	server_wsi_kill(c->srv, c->wsi);
}

bool conn_token_expired(const struct conn *c, int64_t now_wall_ms)
{
	/* exp + leeway, in ms, without overflow for a far-future exp. */
	int64_t leeway = c->srv->cfg.jwt_leeway_s;
	return c->who.exp < INT64_MAX / 1000 - leeway && now_wall_ms >= (c->who.exp + leeway) * 1000;
}

void conn_close_token_expired(struct conn *c)
{
	if (c->close_code != 0)
		return;
	log_info("connection of %s/%s: its token expired (exp %lld, leeway %d s) and was not renewed: "
		 "closing it (%d)", c->who.org, c->who.sub, (long long)c->who.exp, c->srv->cfg.jwt_leeway_s,
		 PROTO_CLOSE_TOKEN_EXPIRED);
	c->srv->stats.token_expired_closes++;
	conn_close_after_flush(c, PROTO_CLOSE_TOKEN_EXPIRED, "token expired");
}

void conn_keepalive(struct conn *c, int64_t now_us, const struct conn_keepalive_policy *p)
{
	if (c->wsi == NULL)
		return;
	if (c->close_by_us != 0 && now_us >= c->close_by_us) {
		log_info("connection of %s/%s did not close within %lld ms of its close (%d): cutting it",
			 c->who.org, c->who.sub, (long long)(CONN_CLOSE_GRACE_US / 1000),
			 c->close_code ? c->close_code : c->swallow_code);
		conn_abort(c, c->close_code ? c->close_code : c->swallow_code);
		return;
	}
	if (c->close_code != 0 || c->swallow_code != 0)
		return;
	if (conn_token_expired(c, p->now_wall_ms)) {
		conn_close_token_expired(c);
		return;
	}
	int64_t silent = now_us - c->heard_us;
	bool pinged = c->pinged_us > c->heard_us;
	/* Due within this tick: cut now rather than a tick after the deadline. */
	if (pinged && silent + p->tick_us > p->ping_us + p->timeout_us) {
		log_info("connection of %s/%s silent for %.1f s, no answer to a ping: closing it",
			 c->who.org, c->who.sub, (double)silent / 1e6);
		c->srv->stats.dead_peers_closed++;
		conn_abort(c, LWS_CLOSE_STATUS_ABNORMAL_CLOSE);
		return;
	}
	if (pinged || silent < p->ping_us)
		return;
	/* lws frames it; if it still holds the tail of a write, the ping
	 * goes after it. lws passes on only pongs that carry something. */
	uint8_t buf[LWS_PRE + 4];
	memcpy(buf + LWS_PRE, "wfmd", 4);
	if (lws_write(c->wsi, buf + LWS_PRE, 4, LWS_WRITE_PING) < 0) {
		conn_abort(c, LWS_CLOSE_STATUS_ABNORMAL_CLOSE);
		return;
	}
	c->pinged_us = now_us;
}

/* Records a strike at now; true once `max` of them fell within window_us. */
static bool strikes_hit(struct strikes *st, uint32_t max, int64_t window_us, int64_t now_us)
{
	if (st->cap != max) {   /* first strike, or a reload changed the limit */
		free(st->at);
		st->at = xcalloc(max, sizeof *st->at);
		st->cap = max;
		st->head = st->count = 0;
	}
	while (st->count > 0 && now_us - st->at[st->head] >= window_us) {
		st->head = (st->head + 1) % st->cap;
		st->count--;
	}
	if (st->count == st->cap) {   /* cannot stay full: the caller closes */
		st->head = (st->head + 1) % st->cap;
		st->count--;
	}
	st->at[(st->head + st->count) % st->cap] = now_us;
	st->count++;
	return st->count >= max;
}

/* One more refusal of a kind; closes the connection once they reach max
 * within window_s. False once it is closing. */
static bool conn_strike(struct conn *c, struct strikes *st, uint32_t max, int window_s, int64_t now_us,
			const char *what, int code, const char *reason, uint64_t *closes)
{
	if (!strikes_hit(st, max, (int64_t)window_s * 1000000, now_us))
		return true;
	log_info("connection of %s/%s: %u %s within %d s: closing it (%d)", c->who.org, c->who.sub, max, what,
		 window_s, code);
	(*closes)++;
	conn_close_after_flush(c, code, reason);
	return false;
}

bool conn_strike_rate_limited(struct conn *c, int64_t now_us)
{
	const struct config *cfg = &c->srv->cfg;
	return conn_strike(c, &c->rate_limited, cfg->max_rate_limited, cfg->rate_limited_window_s, now_us,
			   "requests refused for its rate", PROTO_CLOSE_RATE_LIMITED,
			   "request rate far over the limit", &c->srv->stats.rate_limit_closes);
}

bool conn_strike_bad_request(struct conn *c, int64_t now_us)
{
	const struct config *cfg = &c->srv->cfg;
	return conn_strike(c, &c->bad_requests, cfg->max_bad_requests, cfg->bad_requests_window_s, now_us,
			   "malformed requests", PROTO_CLOSE_BAD_REQUESTS, "too many malformed requests",
			   &c->srv->stats.bad_request_closes);
}

void conn_release(struct conn *c)
{
	free(c->rate_limited.at);
	free(c->bad_requests.at);
	c->rate_limited = (struct strikes){ 0 };
	c->bad_requests = (struct strikes){ 0 };
}

void conn_set_limits(struct conn *c, uint32_t max_msgs, size_t max_bytes)
{
	c->q.max_msgs = max_msgs;
	c->q.max_bytes = max_bytes;
}

bool conn_take_token(struct conn *c, int64_t now_us)
{
	const struct config *cfg = &c->srv->cfg;
	double elapsed = (double)(now_us - c->tokens_at_us) / 1e6;
	c->tokens_at_us = now_us;
	c->tokens += elapsed * cfg->requests_per_s;
	if (c->tokens > cfg->request_burst)
		c->tokens = cfg->request_burst;
	if (c->tokens < 1.0)
		return false;
	c->tokens -= 1.0;
	return true;
}

struct sub *conn_sub_find(struct conn *c, const struct room *r)
{
	for (uint32_t i = 0; i < c->nsubs; i++)
		if (c->subs[i].room == r)
			return &c->subs[i];
	return NULL;
}

struct sub *conn_sub_by_ticket(struct conn *c, uint64_t ticket)
{
	for (uint32_t i = 0; i < c->nsubs; i++)
		if (c->subs[i].ticket == ticket)
			return &c->subs[i];
	return NULL;
}

struct sub *conn_sub_add(struct conn *c, struct room *r, uint64_t ticket)
{
	if (c->nsubs == c->capsubs) {
		c->capsubs = c->capsubs ? c->capsubs * 2 : 1;
		c->subs = xrealloc(c->subs, sizeof *c->subs * c->capsubs);
	}
	struct sub *s = &c->subs[c->nsubs++];
	memset(s, 0, sizeof *s);
	s->room = r;
	s->ticket = ticket;
	if (ticket != 0)
		c->npending++;
	room_add(r, c);
	if (r->nsubs == 1)
		control_room_changed(c->srv, r);
	return s;
}

void conn_sub_release(struct conn *c, struct sub *s, int64_t after)
{
	if (s->ticket == 0)
		return;
	s->ticket = 0;
	c->npending--;
	for (uint32_t i = 0; i < s->nheld; i++)
		if (s->held[i].pos > after)
			conn_queue(c, s->held[i].frame, false);
	sub_drop_held(s);
}

void conn_sub_rewait(struct conn *c, struct sub *s, uint64_t ticket)
{
	(void)c;
	sub_drop_held(s);
	s->ticket = ticket;
}

void conn_sub_remove(struct conn *c, struct room *r)
{
	struct sub *s = conn_sub_find(c, r);
	if (s == NULL)
		return;
	if (s->ticket != 0)
		c->npending--;
	sub_drop_held(s);
	room_remove(r, c);
	if (r->nsubs == 0)
		control_room_changed(c->srv, r);
	/* Order among a connection's subscriptions does not matter. */
	*s = c->subs[--c->nsubs];
}

void conn_subs_clear(struct conn *c)
{
	while (c->nsubs > 0)
		conn_sub_remove(c, c->subs[c->nsubs - 1].room);
	free(c->subs);
	c->subs = NULL;
	c->capsubs = 0;
}
