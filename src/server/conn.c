/* conn.c: queuing to a connection, cutting off slow consumers, request budget
 * (see conn.h). The writing itself happens in ws.c when lws says the socket is
 * writable. */
#include "conn.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
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

void conn_deliver(struct conn *c, struct frame *f)
{
	if (c->close_code != 0)
		return;
	bool was_empty = outq_empty(&c->q);
	if (outq_push(&c->q, f) < 0) {
		/* Dropping its backlog frees the memory now; it cannot catch up anyway. */
		log_warn("connection of %s/%s is %u messages (%zu bytes) behind: closing it (4001)",
			 c->who.org, c->who.sub, c->q.count, c->q.bytes);
		outq_clear(&c->q);
		c->srv->stats.slow_consumers_cut++;
		conn_close_after_flush(c, PROTO_CLOSE_SLOW_CONSUMER, "slow consumer");
		return;
	}
	c->srv->stats.messages_out++;
	if (was_empty && c->wsi != NULL)
		lws_callback_on_writable(c->wsi);
}

void conn_send(struct conn *c, char *payload)
{
	struct frame *f = frame_new_text(payload, strlen(payload));
	free(payload);
	conn_deliver(c, f);
	frame_unref(f);
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

bool conn_subscribed(const struct conn *c, const struct room *r)
{
	for (uint32_t i = 0; i < c->nsubs; i++)
		if (c->subs[i] == r)
			return true;
	return false;
}
