/* conn.c: queuing to a connection, cutting off slow consumers, request budget
 * (see conn.h). The writing itself happens in flush.c, from its timer or when
 * lws says the socket is writable. */
#include "conn.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "flush.h"
#include "log.h"
#include "xalloc.h"
#include "room.h"
#include "server.h"

/* A connection cut off for lagging gets this long to take its close frame. */
#define CONN_CLOSE_GRACE_S 5

void conn_close_after_flush(struct conn *c, int code, const char *reason)
{
	if (c->close_code != 0)
		return;
	c->close_code = code;
	c->close_reason = reason;
	if (c->wsi != NULL) {
		lws_callback_on_writable(c->wsi);
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, CONN_CLOSE_GRACE_S);
	}
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
 * up anyway), and the close frame tells it why. */
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
	if (c->npending > 0 && from != NULL) {
		struct sub *s = conn_sub_find(c, from);
		if (s != NULL && s->ticket != 0) {
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
	/* Nothing more goes out: no frame may follow on a socket about to be cut. */
	outq_clear(&c->q);
	flush_forget(c);
	/* lws closes it from its own loop, never from inside this call. */
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

void conn_keepalive(struct conn *c, int64_t now_us, int64_t ping_us, int64_t hangup_us)
{
	if (c->wsi == NULL || c->close_code != 0)
		return;
	int64_t silent = now_us - c->heard_us;
	if (silent >= hangup_us) {
		log_info("connection of %s/%s silent for %lld s: closing it", c->who.org, c->who.sub,
			 (long long)(silent / 1000000));
		conn_abort(c, LWS_CLOSE_STATUS_ABNORMAL_CLOSE);
		return;
	}
	if (silent < ping_us || (c->pinged_us > c->heard_us && now_us - c->pinged_us < ping_us))
		return;
	/* lws frames it; if it still holds the tail of a write, the ping
	 * goes after it. lws passes on only pongs that carry something. */
	uint8_t buf[LWS_PRE + 4];
	memcpy(buf + LWS_PRE, "wfmd", 4);
	if (lws_write(c->wsi, buf + LWS_PRE, 4, LWS_WRITE_PING) < 0)
		return;
	c->pinged_us = now_us;
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
