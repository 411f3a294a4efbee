/* session.c: the console's connection state machine (see session.h).
 *
 * Invariants: exactly one pending wait at a time (the socket while
 * CONNECTING or LIVE, the backoff timer while BACKOFF, nothing once FAILED);
 * every wanted room is tracked by the model (so its position survives a
 * drop), and the alerts room, whose records carry no position, is always
 * subscribed afresh; a reconnect's outcome is decided only when every wanted room has
 * answered the resubscription. */
#include "session.h"

#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "endpoint.h"
#include "proto.h"
#include "reconnect.h"
#include "version.h"
#include "wslink.h"
#include "xalloc.h"

#define SESSION_HELLO_ID "hello"

struct session_room {
	char name[PROTO_MAX_ROOM + 1];
	bool pending;          /* subscribe sent on this connection, no answer yet */
};

struct session {
	const struct session_options *opt;
	struct model *m;
	enum session_state state;
	struct wsl *conn;
	struct session_room rooms[MODEL_MAX_ROOMS];
	size_t nrooms;
	int64_t deadline_us;       /* CONNECTING: give up; BACKOFF: try again */
	int64_t opened_us;
	struct backoff backoff;
	int failures;              /* failed attempts in a row */
	bool ever_open;            /* a connection was open before: the next is a reconnect */
	bool reconnecting;         /* waiting for the resubscriptions' answers */
	bool any_resync;
	enum session_recovery recovery;
	bool changed;
	char error[320];
	char notice[320];          /* about the token's renewal, "" when all is well */
};

struct session *session_new(const struct session_options *opt, struct model *m)
{
	struct session *s = xcalloc(1, sizeof *s);
	s->opt = opt;
	s->m = m;
	backoff_init(&s->backoff, SESSION_BACKOFF_MIN_MS, SESSION_BACKOFF_MAX_MS,
		     (unsigned)getpid() ^ (unsigned)clock_mono_us());
	s->state = SESSION_BACKOFF;
	s->deadline_us = 0;   /* connect on the first service call */
	s->changed = true;
	return s;
}

static void session_drop(struct session *s)
{
	wsl_free(s->conn);
	s->conn = NULL;
}

void session_free(struct session *s)
{
	if (s == NULL)
		return;
	session_drop(s);
	free(s);
}

static void session_retry(struct session *s, const char *why, int64_t now_us)
{
	int delay = backoff_next(&s->backoff);
	s->state = SESSION_BACKOFF;
	s->deadline_us = now_us + (int64_t)delay * 1000;
	s->failures++;
	s->reconnecting = false;
	snprintf(s->error, sizeof s->error, "%s", why);
	s->changed = true;
}

/* Sends text (takes it). */
static void session_send_text(struct session *s, char *text)
{
	if (text == NULL)
		fatal("cannot encode a request");
	/* A full buffer means the connection is stuck; the close that follows retries. */
	if (wsl_send_text(s->conn, text, strlen(text)) != 0)
		wsl_send_close(s->conn, 1001);
	free(text);
}

static void session_send(struct session *s, json_t *req)
{
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	session_send_text(s, text);
}

/* Rooms whose messages carry no position (alert records, the dashboards'
 * aggregates): a resume would bring nothing back, so they are always
 * subscribed afresh, and their fresh snapshot is the current state, not a
 * lost history. */
static bool room_is_state(const char *room)
{
	return strcmp(room, "alerts") == 0 || strncmp(room, "metrics:", 8) == 0;
}

static void session_subscribe(struct session *s, struct session_room *r)
{
	char id[PROTO_MAX_ROOM + 8];
	snprintf(id, sizeof id, "sub:%s", r->name);
	json_t *req = json_pack("{s:s, s:s, s:s}", "type", "subscribe", "id", id, "room", r->name);
	if (req == NULL)
		fatal("cannot build a subscribe request");
	struct model_room *mr = model_room_find(s->m, r->name);
	if (mr != NULL && mr->has_pos && !room_is_state(r->name))
		json_object_set_new(req, "since", json_integer(mr->seq));
	r->pending = true;
	session_send(s, req);
}

/* Says, before any subscription, that the console takes pending events
 * (the model applies them at once and their numbered copy once). */
static void session_hello(struct session *s)
{
	session_send_text(s, proto_hello_request_new(SESSION_HELLO_ID, "wfmon " WFMON_VERSION, true));
}

static void session_connect(struct session *s, int64_t now_us)
{
	struct wsl_config cfg;
	endpoint_link(s->opt->ep, &cfg);
	char cause[256];
	s->conn = wsl_new(&cfg, cause, sizeof cause);
	if (s->conn == NULL) {
		session_retry(s, cause, now_us);
		return;
	}
	s->state = SESSION_CONNECTING;
	s->deadline_us = now_us + (int64_t)SESSION_CONNECT_TIMEOUT_MS * 1000;
	s->changed = true;
}

static void session_on_open(struct session *s, int64_t now_us)
{
	s->state = SESSION_LIVE;
	s->opened_us = now_us;
	s->failures = 0;
	s->error[0] = '\0';
	s->changed = true;
	s->reconnecting = s->ever_open;
	s->any_resync = false;
	s->ever_open = true;
	session_hello(s);
	for (size_t i = 0; i < s->nrooms; i++)
		session_subscribe(s, &s->rooms[i]);
}

static void session_on_closed(struct session *s, int64_t now_us)
{
	char why[sizeof s->error];
	/* Unlike `wfmon tail`, the console never stops by itself: a normal close
	 * (RECONNECT_STOP) is retried like a drop. */
	if (reconnect_explain(wsl_http_status(s->conn), wsl_close_code(s->conn), wsl_error(s->conn),
			      "console", why, sizeof why) == RECONNECT_FAIL) {
		snprintf(s->error, sizeof s->error, "%s", why);
		session_drop(s);
		s->state = SESSION_FAILED;
		s->changed = true;
		return;
	}
	if (s->state == SESSION_LIVE && now_us - s->opened_us >= (int64_t)RECONNECT_HEALTHY_MS * 1000)
		backoff_reset(&s->backoff);
	session_drop(s);
	session_retry(s, why, now_us);
}

static struct session_room *session_room(struct session *s, const char *name)
{
	for (size_t i = 0; i < s->nrooms; i++)
		if (strcmp(s->rooms[i].name, name) == 0)
			return &s->rooms[i];
	return NULL;
}

/* Notes each subscribed answer; decides the reconnect's outcome once all came. */
static void session_track_answer(struct session *s, json_t *msg)
{
	const char *type = json_string_value(json_object_get(msg, "type"));
	const char *room = json_string_value(json_object_get(msg, "room"));
	const char *id = json_string_value(json_object_get(msg, "id"));
	if (type == NULL)
		return;
	if (strcmp(type, "error") == 0 && id != NULL && strncmp(id, "sub:", 4) == 0)
		room = id + 4;
	else if (strcmp(type, "subscribed") != 0)
		return;
	struct session_room *r = room ? session_room(s, room) : NULL;
	if (r == NULL || !r->pending)
		return;
	r->pending = false;
	if (strcmp(type, "subscribed") == 0 && !json_is_true(json_object_get(msg, "resumed")) &&
	    !room_is_state(r->name))
		s->any_resync = true;
	if (!s->reconnecting)
		return;
	for (size_t i = 0; i < s->nrooms; i++)
		if (s->rooms[i].pending)
			return;
	s->reconnecting = false;
	s->recovery = s->any_resync ? SR_RESYNC : SR_COMPLETE;
	s->changed = true;
}

/* A fresh token before the current one ends: sent in-band on a live link,
 * used by the next connection otherwise. */
static void session_renew(struct session *s, int64_t now_wall_ms)
{
	char err[sizeof s->notice];
	enum tokensrc_event e = endpoint_renew(s->opt->ep, s->state == SESSION_LIVE ? s->conn : NULL,
					       now_wall_ms, err, sizeof err);
	if (e == TOKENSRC_FAILED && strcmp(err, s->notice) != 0) {
		snprintf(s->notice, sizeof s->notice, "%s", err);
		s->changed = true;
	} else if (e == TOKENSRC_NEW && s->notice[0] != '\0') {
		s->notice[0] = '\0';
		s->changed = true;
	}
}

/* The answer to an in-band token refresh: refused, the daemon closes the
 * connection when the old token ends, so the user hears about it now. */
static void session_track_auth(struct session *s, json_t *msg)
{
	const char *type = json_string_value(json_object_get(msg, "type"));
	const char *id = json_string_value(json_object_get(msg, "id"));
	if (type == NULL || id == NULL || strcmp(id, "auth") != 0)
		return;
	if (strcmp(type, "error") == 0)
		snprintf(s->notice, sizeof s->notice, "the daemon refused the fresh token: %s",
			 json_string_value(json_object_get(msg, "message")) ?: "no reason given");
	else
		s->notice[0] = '\0';
	s->changed = true;
}

static unsigned session_read(struct session *s, int64_t now_wall_ms)
{
	unsigned changed = 0;
	const char *data;
	size_t len;
	while (s->conn != NULL && wsl_next(s->conn, &data, &len) == 1) {
		json_t *msg = json_loadb(data, len, 0, NULL);
		if (msg == NULL)
			continue;
		/* The hello's answer, or a daemon's refusal of it (before revision
		 * 2: it sends pending events to every client anyway), needs nothing. */
		const char *id = json_string_value(json_object_get(msg, "id"));
		if (id != NULL && strcmp(id, SESSION_HELLO_ID) == 0) {
			json_decref(msg);
			continue;
		}
		/* A room that was resumed before this answer keeps its old position
		 * in the model, which is why the answer is tracked first. */
		session_track_answer(s, msg);
		session_track_auth(s, msg);
		changed |= model_handle_message(s->m, msg, now_wall_ms);
		json_decref(msg);
	}
	return changed;
}

unsigned session_service(struct session *s, short revents, int64_t now_us, int64_t now_wall_ms)
{
	unsigned changed = 0;
	if (s->conn != NULL) {
		/* lws keeps timers of its own: it is serviced on every call. */
		wsl_io(s->conn, revents);
		if (s->state == SESSION_CONNECTING && wsl_state(s->conn) == WSL_OPEN)
			session_on_open(s, now_us);
		changed |= session_read(s, now_wall_ms);
		if (s->conn != NULL && wsl_state(s->conn) == WSL_CLOSED)
			session_on_closed(s, now_us);
	}
	session_renew(s, now_wall_ms);
	if (now_us >= s->deadline_us) {
		if (s->state == SESSION_BACKOFF) {
			session_connect(s, now_us);
		} else if (s->state == SESSION_CONNECTING) {
			session_drop(s);
			char why[64];
			snprintf(why, sizeof why, "no answer within %d s", SESSION_CONNECT_TIMEOUT_MS / 1000);
			session_retry(s, why, now_us);
		}
	}
	return changed;
}

int session_want(struct session *s, const char *room)
{
	if (session_room(s, room) != NULL)
		return 0;
	if (s->nrooms >= MODEL_MAX_ROOMS || model_room_track(s->m, room) == NULL)
		return -1;
	struct session_room *r = &s->rooms[s->nrooms++];
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", room);
	if (s->state == SESSION_LIVE)
		session_subscribe(s, r);
	return 0;
}

void session_unwant(struct session *s, const char *room)
{
	struct session_room *r = session_room(s, room);
	if (r == NULL)
		return;
	if (s->state == SESSION_LIVE) {
		json_t *req = json_pack("{s:s, s:s}", "type", "unsubscribe", "room", room);
		if (req == NULL)
			fatal("cannot build an unsubscribe request");
		session_send(s, req);
	}
	model_room_forget(s->m, room);
	*r = s->rooms[--s->nrooms];
}

int session_request(struct session *s, json_t *req)
{
	if (req == NULL)
		return -1;
	if (s->state != SESSION_LIVE || s->conn == NULL) {
		json_decref(req);
		return -1;
	}
	session_send(s, req);
	return 0;
}

int session_fd(const struct session *s)
{
	return s->conn ? wsl_fd(s->conn) : -1;
}

short session_poll_events(const struct session *s)
{
	return s->conn ? wsl_poll_events(s->conn) : 0;
}

static int min_timeout(int a, int b)
{
	return a < 0 ? b : b < 0 ? a : a < b ? a : b;
}

int session_timeout_ms(const struct session *s, int64_t now_us)
{
	int t = -1;
	if (s->state != SESSION_LIVE && s->state != SESSION_FAILED) {
		int64_t left = s->deadline_us - now_us;
		t = left <= 0 ? 0 : (int)((left + 999) / 1000);
	}
	if (s->conn != NULL)
		t = min_timeout(t, wsl_timeout_ms(s->conn));
	if (s->opt->ep->token != NULL && s->state != SESSION_FAILED)
		t = min_timeout(t, tokensrc_timeout_ms(s->opt->ep->token, clock_wall_ms()));
	return t;
}

enum session_state session_state(const struct session *s)
{
	return s->state;
}

enum session_display session_display(const struct session *s)
{
	switch (s->state) {
	case SESSION_LIVE: return SD_LIVE;
	case SESSION_FAILED: return SD_OFFLINE;
	default: break;
	}
	if (!s->ever_open)
		return s->failures >= SESSION_OFFLINE_AFTER ? SD_OFFLINE : SD_CONNECTING;
	return s->failures >= SESSION_OFFLINE_AFTER ? SD_OFFLINE : SD_RECONNECTING;
}

int64_t session_retry_in_ms(const struct session *s, int64_t now_us)
{
	if (s->state != SESSION_BACKOFF || s->deadline_us <= now_us)
		return 0;
	return (s->deadline_us - now_us + 999) / 1000;
}

const char *session_last_error(const struct session *s)
{
	return s->error;
}

const char *session_token_notice(const struct session *s)
{
	return s->notice;
}

enum session_recovery session_take_recovery(struct session *s)
{
	enum session_recovery r = s->recovery;
	s->recovery = SR_NONE;
	return r;
}

bool session_take_changed(struct session *s)
{
	bool c = s->changed;
	s->changed = false;
	return c;
}

void session_close(struct session *s, int timeout_ms)
{
	if (s->conn != NULL && wsl_state(s->conn) == WSL_OPEN && wsl_send_close(s->conn, 1000) == 0)
		wsl_wait_flushed(s->conn, timeout_ms);
	session_drop(s);
}
