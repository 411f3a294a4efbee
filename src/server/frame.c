/* frame.c: shared, pre-framed server messages (see frame.h). */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "wsframe.h"
#include "xalloc.h"

/* A new text frame with its header written; *body is where the len bytes
 * of payload go. */
static struct frame *frame_alloc(size_t len, uint8_t **body)
{
	uint8_t hdr[WSFRAME_MAX_HEADER];
	size_t hlen = wsframe_header(hdr, WS_OP_TEXT, true, len, NULL);
	if (hlen + len > UINT32_MAX)
		fatal("frame of %zu bytes", len);
	struct frame *f = xmalloc(sizeof *f + hlen + len);
	f->refs = 1;
	f->len = (uint32_t)(hlen + len);
	memcpy(f->data, hdr, hlen);
	*body = f->data + hlen;
	return f;
}

struct frame *frame_new_text(const char *payload, size_t len)
{
	uint8_t *body;
	struct frame *f = frame_alloc(len, &body);
	memcpy(body, payload, len);
	return f;
}

/* prefix, the event's text, "}". */
static struct frame *frame_wrap_event(const char *room, int plen, const char *prefix, const char *event_text,
				      size_t len)
{
	if (plen < 0)
		fatal("room name '%s' cannot carry an event", room);
	uint8_t *p;
	struct frame *f = frame_alloc((size_t)plen + len + 1, &p);
	memcpy(p, prefix, (size_t)plen);
	memcpy(p += plen, event_text, len);
	p[len] = '}';
	return f;
}

struct frame *frame_new_event(const char *room, int64_t seq, const char *event_text, size_t len)
{
	char prefix[PROTO_EVENT_PREFIX_MAX];
	int plen = proto_event_message_prefix(prefix, sizeof prefix, room, seq);
	return frame_wrap_event(room, plen, prefix, event_text, len);
}

struct frame *frame_new_pending_event(const char *room, const char *event_text, size_t len)
{
	char prefix[PROTO_EVENT_PREFIX_MAX];
	int plen = proto_event_pending_prefix(prefix, sizeof prefix, room);
	return frame_wrap_event(room, plen, prefix, event_text, len);
}

struct frame *frame_take_text(char *payload)
{
	/* Encoders return NULL when memory ran out; nothing sensible follows. */
	if (payload == NULL)
		fatal("out of memory encoding a message");
	struct frame *f = frame_new_text(payload, strlen(payload));
	free(payload);
	return f;
}

struct frame *frame_ref(struct frame *f)
{
	f->refs++;
	return f;
}

void frame_unref(struct frame *f)
{
	if (f != NULL && --f->refs == 0)
		free(f);
}
