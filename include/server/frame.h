/* frame.h: a server message framed once (RFC 6455 header + payload) and shared,
 * by reference count, among every connection it is queued on.
 *
 * Invariant: data[0..len) is a complete, unmasked WebSocket frame; it never
 * changes after frame_new_text returns. */
#ifndef WFMON_FRAME_H
#define WFMON_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct frame {
	uint32_t refs;
	uint32_t len;
	uint8_t data[];
};

/* Returns a new frame (one reference) holding a text frame of payload. */
struct frame *frame_new_text(const char *payload, size_t len);
/* The frame of an "event" message for a room at position seq, around the
 * event's text (proto_event_text_new): each room's frame costs a copy, not a
 * serialization. room must be a canonical room name. */
struct frame *frame_new_event(const char *room, int64_t seq, const char *event_text, size_t len);
/* The same as a pending event message (no position: proto_event_pending_prefix). */
struct frame *frame_new_pending_event(const char *room, const char *event_text, size_t len);
/* The same for a malloc'd, NUL-terminated payload, which it frees. A NULL
 * payload (an encoder out of memory) is fatal: check first if it may not be. */
struct frame *frame_take_text(char *payload);
struct frame *frame_ref(struct frame *f);
void frame_unref(struct frame *f);

#endif
