/* outq.h: a connection's bounded outbound queue of shared frames.
 *
 * A consumer that lets more than max_msgs messages or max_bytes bytes pile up
 * is too slow: outq_push refuses, and the caller cuts the connection off rather
 * than slow everyone else down. The queue holds one reference to each frame. */
#ifndef WFMON_OUTQ_H
#define WFMON_OUTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"

/* Frames a queue holds without allocating: a subscriber of a quiet room has
 * one or two queued at a time, and a malloc and free per delivery cost more
 * than the delivery's own work. */
#define OUTQ_INLINE 4

struct outq {
	struct frame **ring;   /* NULL: the slots are `small`; else capacity heap slots, up to max_msgs */
	struct frame *small[OUTQ_INLINE];
	uint32_t capacity;
	uint32_t head;         /* index of the oldest frame */
	uint32_t count;
	uint32_t max_msgs;
	size_t bytes;
	size_t max_bytes;
};

void outq_init(struct outq *q, uint32_t max_msgs, size_t max_bytes);
/* Drops every queued frame and frees the ring. */
void outq_clear(struct outq *q);
/* Takes a new reference to f. Returns -1 (queue unchanged) when f would pass a limit. */
int outq_push(struct outq *q, struct frame *f) __attribute__((warn_unused_result));
static inline bool outq_empty(const struct outq *q) { return q->count == 0; }
/* The oldest frame, borrowed; NULL when empty. */
struct frame *outq_peek(const struct outq *q);
/* The i-th oldest frame (0: the oldest), borrowed; NULL past the newest. */
struct frame *outq_at(const struct outq *q, uint32_t i);
/* Removes the oldest frame and drops its reference. */
void outq_pop(struct outq *q);
/* Copies whole frames, oldest first, into buf while they fit in cap, leaving
 * them queued; returns the bytes copied (0 if the oldest alone is larger than
 * cap). Reads only: another thread may gather while the owner waits. */
size_t outq_gather(const struct outq *q, uint8_t *buf, size_t cap);
/* The socket took `sent` bytes from the oldest frames: pops the frames that
 * went out whole. Returns how much of the new oldest frame went out too (0 if
 * none): the caller must send its rest before anything else. */
size_t outq_consume(struct outq *q, size_t sent);

#endif
