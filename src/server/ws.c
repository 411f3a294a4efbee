/* ws.c: the "wfmon.v1" WebSocket protocol of wfmond: reassembling requests
 * and dispatching them through a table. Frames are framed once per room
 * (room.c) and written by flush.c. */
#include "ws.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "clock.h"
#include "conn.h"
#include "control.h"
#include "dashboards.h"
#include "flush.h"
#include "history.h"
#include "http.h"
#include "sockguard.h"
#include "log.h"
#include "prioritize.h"
#include "publish.h"
#include "schedules.h"
#include "server.h"
#include "subscribe.h"

#define WS_RX_KEEP (64 * 1024)   /* reassembly buffer kept between messages */
#ifndef WFMON_VERSION
#define WFMON_VERSION "0.1.0"
#endif

/* ---- requests ---------------------------------------------------------------- */

static void handle_publish(struct conn *c, const struct proto_request *req)
{
	if (c->who.role != ROLE_PRODUCER) {
		char msg[128];
		snprintf(msg, sizeof msg, "role %s may not publish: producers only",
			 auth_role_name(c->who.role));
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN, msg, NULL);
		return;
	}
	struct reply_to to = { .conn_id = c->id, .req_id = req->id };
	publish_events(c->srv, c->org, req->events, &to);
}

static void handle_query(struct conn *c, const struct proto_request *req)
{
	if (c->who.role == ROLE_PRODUCER) {
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN, "producers may not read history", NULL);
		return;
	}
	struct reply_to to = { .conn_id = c->id, .req_id = req->id };
	history_query(c->srv, c->org, req->query, req->params, &to);
}

static void handle_prioritize(struct conn *c, const struct proto_request *req)
{
	if (c->who.role != ROLE_OPERATOR && c->who.role != ROLE_ADMIN) {
		conn_send_error(c, req->id, PROTO_ERR_FORBIDDEN,
				"only operators and admins may change priorities", NULL);
		return;
	}
	char msg[200];
	if (prioritize_execution(c->srv, c->org, req->execution_id, req->priority, c->who.sub, msg,
				 sizeof msg) < 0) {
		conn_send_error(c, req->id, PROTO_ERR_NOT_FOUND, msg, "execution_id");
		return;
	}
	conn_send(c, proto_done_message_new(req->id));
}

static void handle_ping(struct conn *c, const struct proto_request *req)
{
	conn_send(c, proto_pong_message_new(req->id, clock_wall_ms()));
}

/* A fresh token for this connection: it lives until the new one expires.
 * The same user of the same organization only (its subscriptions are that
 * organization's); a refusal leaves the old token in force until its end. */
static void handle_auth(struct conn *c, const struct proto_request *req)
{
	char cause[256] = "";
	struct auth_identity who;
	if (auth_verify(c->srv->verifier, req->token, clock_wall_ms() / 1000, &who, cause, sizeof cause) == 0 &&
	    (strcmp(who.org, c->who.org) != 0 || strcmp(who.sub, c->who.sub) != 0))
		snprintf(cause, sizeof cause, "the fresh token is for %s/%s, another user", who.org, who.sub);
	if (cause[0] != '\0') {
		c->srv->stats.connections_refused++;
		log_info("connection of %s/%s: in-band token refused: %s", c->who.org, c->who.sub, cause);
		conn_send_error(c, req->id, PROTO_ERR_UNAUTHORIZED, HTTP_TOKEN_REFUSED, "token");
		return;
	}
	log_debug("connection of %s/%s: token renewed, now expires at %lld (role %s)", c->who.org, c->who.sub,
		  (long long)who.exp, auth_role_name(who.role));
	c->who = who;
	conn_send(c, proto_done_message_new(req->id));
}

/* The daemon says what it speaks; the client, what it understands (its
 * latest hello stands). */
static void handle_hello(struct conn *c, const struct proto_request *req)
{
	c->pending_events = req->pending_events;
	conn_send(c, proto_hello_message_new(req->id, "wfmond " WFMON_VERSION));
}

static void (*const request_table[REQ__COUNT])(struct conn *, const struct proto_request *) = {
	[REQ_SUBSCRIBE] = subscribe_start,
	[REQ_UNSUBSCRIBE] = unsubscribe,
	[REQ_PUBLISH] = handle_publish,
	[REQ_PING] = handle_ping,
	[REQ_QUERY] = handle_query,
	[REQ_PRIORITIZE] = handle_prioritize,
	[REQ_RULE] = alerts_rule_request,
	[REQ_ALERT] = alerts_alert_request,
	[REQ_AUTH] = handle_auth,
	[REQ_HELLO] = handle_hello,
	[REQ_CANCEL] = control_request,
	[REQ_RETRY] = control_request,
	[REQ_SCHEDULE] = schedules_request,
	[REQ_DASHBOARD] = dashboards_request,
};

static void handle_message(struct conn *c, const char *buf, size_t len)
{
	struct server *s = c->srv;
	struct proto_request req;
	struct proto_cause cause;
	json_t *id = NULL;
	s->stats.requests++;
	int64_t now = clock_mono_us();
	if (proto_request_parse(buf, len, &req, &id, &cause) < 0) {
		/* Answered until the run is too long: then closed (4003). */
		if (conn_strike_bad_request(c, now))
			conn_send_error(c, id, PROTO_ERR_BAD_REQUEST, cause.message, cause.field);
		json_decref(id);
		return;
	}
	if (conn_token_expired(c, clock_wall_ms())) {
		/* Between the expiry and the keepalive tick that closes it:
		 * nothing more is served, a publish least of all. */
		conn_send_error(c, req.id, PROTO_ERR_UNAUTHORIZED,
				"the token of this connection expired: reconnect with a fresh one", NULL);
		conn_close_token_expired(c);
	} else if (!conn_take_token(c, now)) {
		s->stats.requests_rate_limited++;
		if (conn_strike_rate_limited(c, now))
			conn_send_error(c, req.id, PROTO_ERR_RATE_LIMITED,
					"too many requests on this connection; slow down and retry", NULL);
	} else if (request_table[req.type] == NULL) {
		conn_send_error(c, req.id, PROTO_ERR_UNAVAILABLE, "this daemon does not serve that request",
				"type");
	} else {
		request_table[req.type](c, &req);
	}
	proto_request_clear(&req);
}

/* ---- connection life --------------------------------------------------------- */

static int ws_established(struct server *s, struct conn *c, struct lws *wsi)
{
	memset(c, 0, sizeof *c);
	char cause[256];
	if (s->draining || s->nconns >= s->cfg.max_connections) {
		lws_close_reason(wsi, (enum lws_close_status)1013, (unsigned char *)"busy", 4);
		return -1;
	}
	if (http_bearer_identity(s, wsi, &c->who, cause, sizeof cause) < 0) {
		log_info("websocket refused: %s", cause);
		lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)"unauthorized", 12);
		return -1;
	}
	if (sockguard_websocket(wsi) < 0) {
		log_info("websocket of %s/%s refused: it sent data before the upgrade was answered (1002)",
			 c->who.org, c->who.sub);
		s->stats.protocol_error_closes++;
		lws_close_reason(wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, (unsigned char *)"data before the 101", 19);
		return -1;
	}
	c->wsi = wsi;
	c->srv = s;
	c->tls_mode = tls_conn_mode(wsi, &c->ssl);
	c->id = ++s->next_conn_id;
	c->org = server_org_admit(s, c->who.org);
	if (c->org == NULL) {
		lws_close_reason(wsi, (enum lws_close_status)1013, (unsigned char *)"busy: too many organizations",
				 28);
		return -1;
	}
	server_conn_register(s, c);
	outq_init(&c->q, s->cfg.outq_max_messages, s->cfg.outq_max_bytes);
	c->tokens = s->cfg.request_burst;
	c->tokens_at_us = clock_mono_us();
	c->heard_us = c->tokens_at_us;
	c->ready = true;
	log_debug("connection from %s/%s (%s)", c->who.org, c->who.sub, auth_role_name(c->who.role));
	return 0;
}

static void ws_closed(struct server *s, struct conn *c)
{
	if (!c->ready)
		return;
	flush_forget(c);
	server_conn_unregister(s, c);
	conn_subs_clear(c);
	outq_clear(&c->q);
	conn_release(c);
	free(c->rx);
	c->ready = false;
}

/* Closes with code and reason (a literal) from inside RECEIVE: lws sends the
 * close frame; a peer that does not answer it is cut after the grace. */
static int ws_close_now(struct conn *c, struct lws *wsi, int code, const char *reason)
{
	lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)reason, strlen(reason));
	c->close_code = code;
	c->close_reason = reason;
	c->close_by_us = clock_mono_us() + CONN_CLOSE_GRACE_US;
	return -1;
}

/* Refuses the message being received: at once when this chunk ends its last
 * frame. lws cannot stop in the middle of a frame (it loses its unmasking
 * state and resets the socket, so the peer never reads why), so otherwise
 * the rest of the frame is swallowed unbuffered and the close goes out at
 * the frame's end; a peer that takes longer than the grace is cut off. */
static int ws_refuse_message(struct conn *c, struct lws *wsi, bool complete, int code, const char *reason)
{
	c->rxlen = 0;
	if (complete)
		return ws_close_now(c, wsi, code, reason);
	c->swallow_code = code;
	c->swallow_reason = reason;
	c->close_by_us = clock_mono_us() + CONN_CLOSE_GRACE_US;
	return 0;
}

/* An unmasked frame came (sockguard.h): closed at once with 1002. */
static int ws_refuse_unmasked(struct server *s, struct conn *c, struct lws *wsi)
{
	log_info("connection of %s/%s sent an unmasked frame: closing it (1002)", c->who.org, c->who.sub);
	s->stats.protocol_error_closes++;
	outq_clear(&c->q);
	flush_forget(c);
	return ws_close_now(c, wsi, LWS_CLOSE_STATUS_PROTOCOL_ERR, "client frames must be masked");
}

static int ws_receive(struct server *s, struct conn *c, struct lws *wsi, const void *in, size_t len)
{
	if (!c->ready)
		return 0;
	if (sockguard_violated(wsi))
		return ws_refuse_unmasked(s, c, wsi);
	size_t remaining = lws_remaining_packet_payload(wsi);
	bool complete = remaining == 0 && lws_is_final_fragment(wsi);
	if (c->swallow_code != 0)
		return complete ? ws_close_now(c, wsi, c->swallow_code, c->swallow_reason) : 0;
	if (c->close_code != 0)
		return 0;   /* closing: requests are no longer served */
	if (lws_frame_is_binary(wsi))
		return ws_refuse_message(c, wsi, complete, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
					 "text frames only");
	/* Refuse before buffering: a peer may announce a huge frame. */
	if (c->rxlen + len + remaining > s->cfg.max_message) {
		log_info("message from %s/%s over %zu bytes: closing (1009)", c->who.org, c->who.sub,
			 s->cfg.max_message);
		return ws_refuse_message(c, wsi, complete, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
					 "message too large");
	}
	if (complete && c->rxlen == 0) {
		/* The common case, a whole message in one chunk: no copy. */
		handle_message(c, in, len);
		return 0;
	}
	if (c->rxlen + len > c->rxcap) {
		size_t cap = c->rxcap ? c->rxcap : 4096;
		while (cap < c->rxlen + len)
			cap *= 2;
		char *p = realloc(c->rx, cap);
		if (p == NULL)
			return ws_refuse_message(c, wsi, complete, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
						 "out of memory");
		c->rx = p;
		c->rxcap = cap;
	}
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (!complete)
		return 0;
	handle_message(c, c->rx, c->rxlen);
	c->rxlen = 0;
	if (c->rxcap > WS_RX_KEEP) {
		free(c->rx);
		c->rx = NULL;
		c->rxcap = 0;
	}
	return 0;
}

static int ws_writable(struct server *s, struct conn *c, struct lws *wsi)
{
	if (!c->ready)
		return 0;
	if (sockguard_violated(wsi) && c->close_code != LWS_CLOSE_STATUS_PROTOCOL_ERR)
		return ws_refuse_unmasked(s, c, wsi);
	return flush_on_writable(c);
}

int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	struct conn *c = user;
	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		return ws_established(s, c, wsi);
	case LWS_CALLBACK_RECEIVE:
		if (c->ready)
			c->heard_us = clock_mono_us();
		return ws_receive(s, c, wsi, in, len);
	case LWS_CALLBACK_RECEIVE_PONG:
		if (c->ready)
			c->heard_us = clock_mono_us();
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_writable(s, c, wsi);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* lws answers the close; nothing may follow it on the socket. */
		if (c->ready && c->close_code == 0) {
			flush_forget(c);
			outq_clear(&c->q);
			c->close_code = LWS_CLOSE_STATUS_NORMAL;
		}
		return 0;
	case LWS_CALLBACK_CLOSED:
		ws_closed(s, c);
		return 0;
	default:
		return 0;
	}
}
