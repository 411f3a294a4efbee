/* room.h: a room of one organization: its subscribers and the recent events it
 * keeps so that a client can resume.
 *
 * Positions belong to the organization (org.h): each accepted event gets the
 * next one, and every room it goes to delivers it with that same position. A
 * room can resume a client from memory when the position lies between the
 * room's creation and now and no event of the room after it has been dropped
 * from the history. Each event is serialized once (twice when the dashboards'
 * rooms get it without its data), framed once per room around that text, and
 * the frame is shared by every subscriber. */
#ifndef WFMON_ROOM_H
#define WFMON_ROOM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "frame.h"
#include "proto.h"

struct org;
struct conn;

struct room_hist {
	int64_t seq;
	struct frame *frame;
};

struct room {
	char name[PROTO_MAX_ROOM + 1];
	struct proto_room spec;
	struct org *org;
	int64_t created_pos;         /* the organization's position when the room was made */
	int64_t evicted_upto;        /* position of the newest event dropped from the history */
	struct conn **subs;
	uint32_t nsubs, capsubs;
	struct room_hist *hist;      /* ring of histslots, growing up to the last `histcap` events */
	uint32_t histcap, histslots, histhead, histcount;
	size_t hist_bytes;           /* of the kept frames */
	struct room *hist_prev, *hist_next;   /* on the organization's list while it keeps some */
	int64_t empty_since_us;      /* monotonic time the last subscriber left, 0 while it has some */
};

/* The room, or NULL when it does not exist. */
struct room *room_find(struct org *o, const char *name);
/* The room, created if needed; NULL when the organization has too many rooms. */
struct room *room_get(struct org *o, const struct proto_room *spec);
/* Lists c among r's subscribers (conn_sub_add does the conn's side). */
void room_add(struct room *r, struct conn *c);
void room_remove(struct room *r, struct conn *c);
/* Frames the event (its text as proto_event_text_new writes it, borrowed) as
 * an "event" message at position pos, keeps it in the history and queues it
 * to every subscriber. */
void room_publish(struct room *r, int64_t pos, const char *event_text, size_t len);
/* Frames the event as a pending event message (frame.h) and queues it to
 * every subscriber; it has no position and is not kept. */
void room_publish_pending(struct room *r, const char *event_text, size_t len);
/* Sends a message that is not an event (stats, control commands) to every
 * subscriber, framed once; it has no position and is not kept. Takes payload. */
void room_broadcast(struct room *r, char *payload);
/* True when every event of the room after `since` is still in the history. */
bool room_can_resume(const struct room *r, int64_t since);
/* Queues the kept events after `since` to c, in order. */
void room_replay(struct room *r, int64_t since, struct conn *c);
/* Frees rooms that have had no subscriber for idle_us. */
void room_gc(struct org *o, int64_t now_us, int64_t idle_us);
void room_free(struct room *r);

#endif
