/* message.c: encoders for the messages the daemon sends to clients.
 *
 * Every message is built as a jansson object with its keys in the documented
 * order (jansson keeps insertion order) and written compact (jsonw.h: the
 * text json_dumps gives, without its costs), so one call gives one frame's
 * payload. Borrowed arguments (ids, events, snapshots, results) get
 * an extra reference for the time of the dump and are never changed.
 * An encoder returns NULL only if memory runs out or a string it was given is
 * not valid UTF-8: the caller drops that one message. */
#include "proto.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

/* Numbers measured by machines carry no more than 9 significant digits. */
#define MESSAGE_REAL_DIGITS 9

/* The message under construction: `bad` remembers any failed step so that
 * the builders stay a flat list of calls with one check at the end. */
struct msg {
	json_t *obj;
	bool bad;
};

static struct msg msg_begin(const char *type)
{
	struct msg m = {.obj = json_object(), .bad = false};
	if (m.obj == NULL || json_object_set_new(m.obj, "type", json_string(type)) != 0)
		m.bad = true;
	return m;
}

/* Takes the reference to v; a NULL v (a failed json_string, say) marks the
 * message bad. */
static void msg_set_new(struct msg *m, const char *key, json_t *v)
{
	if (v == NULL || m->obj == NULL || json_object_set_new(m->obj, key, v) != 0) {
		json_decref(v);
		m->bad = true;
	}
}

/* Borrows v. */
static void msg_set(struct msg *m, const char *key, json_t *v)
{
	msg_set_new(m, key, json_incref(v));
}

static void msg_set_id(struct msg *m, json_t *id)
{
	if (id != NULL)
		msg_set(m, "id", id);
}

static char *msg_end(struct msg *m)
{
	char *out = NULL;
	if (!m->bad)
		out = jsonw_dumps(m->obj, MESSAGE_REAL_DIGITS, NULL);
	json_decref(m->obj);
	return out;
}

/* ---- the event message: a prefix, the event's text, "}" ------------------- */

/* A room name that JSON carries as it is (canonical names always are). */
static bool room_plain(const char *room)
{
	if (room == NULL || room[0] == '\0' || strlen(room) > PROTO_MAX_ROOM)
		return false;
	for (const char *p = room; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '.' || *p == ':' || *p == '-'))
			return false;
	return true;
}

int proto_event_message_prefix(char *buf, size_t len, const char *room, int64_t seq)
{
	if (!room_plain(room))
		return -1;
	int n = snprintf(buf, len, "{\"type\":\"event\",\"room\":\"%s\",\"seq\":%" PRId64 ",\"event\":",
			 room, seq);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

int proto_event_pending_prefix(char *buf, size_t len, const char *room)
{
	if (!room_plain(room))
		return -1;
	int n = snprintf(buf, len, "{\"type\":\"event\",\"room\":\"%s\",\"pending\":true,\"event\":", room);
	return n < 0 || (size_t)n >= len ? -1 : n;
}

char *proto_event_text_new(json_t *event, size_t *len)
{
	return json_is_object(event) ? jsonw_dumps(event, MESSAGE_REAL_DIGITS, len) : NULL;
}

static bool exact_walk(json_t *v, int depth)
{
	const char *key;
	size_t i;
	json_t *e;
	if (depth > 64)   /* jansson's own parser stops nesting far before */
		return false;
	switch (json_typeof(v)) {
	case JSON_REAL: {
		char buf[40];
		snprintf(buf, sizeof buf, "%.*g", MESSAGE_REAL_DIGITS, json_real_value(v));
		return strtod(buf, NULL) == json_real_value(v);
	}
	case JSON_OBJECT:
		json_object_foreach(v, key, e)
			if (!exact_walk(e, depth + 1))
				return false;
		return true;
	case JSON_ARRAY:
		json_array_foreach(v, i, e)
			if (!exact_walk(e, depth + 1))
				return false;
		return true;
	default:
		return true;
	}
}

bool proto_event_text_exact(json_t *event)
{
	return exact_walk(event, 0);
}

char *proto_event_message_new(const char *room, int64_t seq, json_t *event)
{
	char prefix[PROTO_EVENT_PREFIX_MAX];
	int plen = proto_event_message_prefix(prefix, sizeof prefix, room, seq);
	if (plen >= 0) {
		size_t tlen;
		char *text = proto_event_text_new(event, &tlen);
		if (text == NULL)
			return NULL;
		char *out = malloc((size_t)plen + tlen + 2);
		if (out != NULL) {
			memcpy(out, prefix, (size_t)plen);
			memcpy(out + plen, text, tlen);
			memcpy(out + (size_t)plen + tlen, "}", 2);
		}
		free(text);
		return out;
	}
	struct msg m = msg_begin("event");
	msg_set_new(&m, "room", json_string(room));
	msg_set_new(&m, "seq", json_integer(seq));
	msg_set(&m, "event", event);
	return msg_end(&m);
}

char *proto_subscribed_message_new(json_t *id, const char *room, int64_t seq, json_t *snapshot,
				   bool resumed)
{
	struct msg m = msg_begin("subscribed");
	msg_set_id(&m, id);
	msg_set_new(&m, "room", json_string(room));
	msg_set_new(&m, "seq", json_integer(seq));
	/* A resumed subscription replays the missed events instead of a snapshot. */
	if (snapshot != NULL)
		msg_set(&m, "snapshot", snapshot);
	msg_set_new(&m, "resumed", json_boolean(resumed));
	return msg_end(&m);
}

char *proto_unsubscribed_message_new(json_t *id, const char *room)
{
	struct msg m = msg_begin("unsubscribed");
	msg_set_id(&m, id);
	msg_set_new(&m, "room", json_string(room));
	return msg_end(&m);
}

char *proto_ack_message_new(json_t *id, int accepted, int rejected, json_t *results)
{
	struct msg m = msg_begin("ack");
	msg_set_id(&m, id);
	msg_set_new(&m, "accepted", json_integer(accepted));
	msg_set_new(&m, "rejected", json_integer(rejected));
	if (results != NULL)
		msg_set(&m, "results", results);
	else
		msg_set_new(&m, "results", json_array());
	return msg_end(&m);
}

char *proto_error_message_new(json_t *id, enum proto_error code, const char *message,
			      const char *field)
{
	const char *name = proto_error_name(code);
	if (name == NULL)
		return NULL;
	struct msg m = msg_begin("error");
	msg_set_id(&m, id);
	msg_set_new(&m, "code", json_string(name));
	msg_set_new(&m, "message", json_string(message ? message : ""));
	/* An empty field means the message as a whole (bad JSON, not an object). */
	if (field != NULL && field[0] != '\0')
		msg_set_new(&m, "field", json_string(field));
	return msg_end(&m);
}

char *proto_result_message_new(json_t *id, enum proto_query q, json_t *data)
{
	struct msg m = msg_begin("result");
	msg_set_id(&m, id);
	msg_set_new(&m, "query", json_string(proto_query_name(q)));
	msg_set(&m, "data", data);
	return msg_end(&m);
}

char *proto_stats_message_new(const char *room, json_t *data)
{
	struct msg m = msg_begin("stats");
	msg_set_new(&m, "room", json_string(room));
	msg_set(&m, "data", data);
	return msg_end(&m);
}

char *proto_control_message_new(const char *command, json_t *args)
{
	struct msg m = msg_begin("control");
	msg_set_new(&m, "room", json_string("control"));
	msg_set_new(&m, "command", json_string(command));
	const char *key;
	json_t *v;
	json_object_foreach(args, key, v)
		msg_set(&m, key, v);
	return msg_end(&m);
}

char *proto_alert_message_new(json_t *alert)
{
	struct msg m = msg_begin("alert");
	msg_set_new(&m, "room", json_string("alerts"));
	msg_set(&m, "alert", alert);
	return msg_end(&m);
}

char *proto_done_message_new(json_t *id)
{
	struct msg m = msg_begin("done");
	msg_set_id(&m, id);
	return msg_end(&m);
}

char *proto_pong_message_new(json_t *id, int64_t now_ms)
{
	char time[40];
	proto_time_format(now_ms, time, sizeof time);
	struct msg m = msg_begin("pong");
	msg_set_id(&m, id);
	msg_set_new(&m, "time", json_string(time));
	return msg_end(&m);
}

/* What revision 2 added, one word each, then what came since without
 * changing a valid message's meaning (see proto.h and wfmon-protocol(7)). */
static const char *const features[] = {
	"attempt", "labels", "step_name", "empty_plan", "delayed_until", "extensions",
	"control.cancel", "control.retry", "control.replied", "schedules", PROTO_FEATURE_PENDING_EVENTS, NULL,
};

const char *const *proto_features(void)
{
	return features;
}

char *proto_hello_message_new(json_t *id, const char *server)
{
	struct msg m = msg_begin("hello");
	msg_set_id(&m, id);
	msg_set_new(&m, "protocol", json_integer(PROTO_VERSION));
	msg_set_new(&m, "revision", json_integer(PROTO_REVISION));
	json_t *list = json_array();
	for (const char *const *f = features; *f != NULL; f++)
		json_array_append_new(list, json_string(*f));
	msg_set_new(&m, "features", list);
	if (server != NULL)
		msg_set_new(&m, "server", json_string(server));
	return msg_end(&m);
}

char *proto_hello_request_new(const char *id, const char *client, bool pending_events)
{
	struct msg m = msg_begin("hello");
	msg_set_new(&m, "id", json_string(id));
	msg_set_new(&m, "protocol", json_integer(PROTO_VERSION));
	msg_set_new(&m, "revision", json_integer(PROTO_REVISION));
	if (client != NULL)
		msg_set_new(&m, "client", json_string(client));
	if (pending_events)
		msg_set_new(&m, "features", json_pack("[s]", PROTO_FEATURE_PENDING_EVENTS));
	return msg_end(&m);
}

bool proto_hello_has(json_t *hello, const char *feature)
{
	if (!json_is_object(hello) || feature == NULL)
		return false;
	const char *type = json_string_value(json_object_get(hello, "type"));
	if (type == NULL || strcmp(type, "hello") != 0)
		return false;
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(hello, "features"), i, f)
		if (json_is_string(f) && strcmp(json_string_value(f), feature) == 0)
			return true;
	return false;
}
