/* outq.c: bounded ring of frame references (see outq.h).
 *
 * The ring starts in the queue itself (OUTQ_INLINE slots) and doubles on the
 * heap up to max_msgs, going back to the inline slots once empty, so that the
 * many idle connections of a dashboard cost a few bytes each and a quiet
 * subscriber's deliveries allocate nothing. */
#include "outq.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static struct frame **outq_slots(const struct outq *q)
{
	return q->ring != NULL ? q->ring : (struct frame **)q->small;
}

/* Back to the inline slots (the queue is empty). */
static void outq_shrink(struct outq *q)
{
	free(q->ring);
	q->ring = NULL;
	q->capacity = OUTQ_INLINE;
	q->head = 0;
}

void outq_init(struct outq *q, uint32_t max_msgs, size_t max_bytes)
{
	memset(q, 0, sizeof *q);
	q->max_msgs = max_msgs;
	q->max_bytes = max_bytes;
	q->capacity = OUTQ_INLINE;
}

void outq_clear(struct outq *q)
{
	while (q->count > 0)
		outq_pop(q);
	outq_shrink(q);
}

static void outq_grow(struct outq *q)
{
	uint32_t cap = q->capacity * 2;
	if (cap > q->max_msgs)
		cap = q->max_msgs;
	struct frame **ring = xmalloc(sizeof *ring * cap);
	struct frame **old = outq_slots(q);
	for (uint32_t i = 0; i < q->count; i++)
		ring[i] = old[(q->head + i) % q->capacity];
	free(q->ring);
	q->ring = ring;
	q->capacity = cap;
	q->head = 0;
}

int outq_push(struct outq *q, struct frame *f)
{
	if (q->count >= q->max_msgs || q->bytes + f->len > q->max_bytes)
		return -1;
	if (q->count == q->capacity)
		outq_grow(q);
	outq_slots(q)[(q->head + q->count) % q->capacity] = frame_ref(f);
	q->count++;
	q->bytes += f->len;
	return 0;
}

struct frame *outq_peek(const struct outq *q)
{
	return q->count ? outq_slots(q)[q->head] : NULL;
}

struct frame *outq_at(const struct outq *q, uint32_t i)
{
	return i < q->count ? outq_slots(q)[(q->head + i) % q->capacity] : NULL;
}

void outq_pop(struct outq *q)
{
	if (q->count == 0)
		return;
	struct frame *f = outq_slots(q)[q->head];
	q->head = (q->head + 1) % q->capacity;
	q->count--;
	q->bytes -= f->len;
	frame_unref(f);
	/* An idle connection gives its memory back: thousands of dashboards
	 * that wait for events should cost their sockets and little else. */
	if (q->count == 0 && q->ring != NULL)
		outq_shrink(q);
}

size_t outq_gather(const struct outq *q, uint8_t *buf, size_t cap)
{
	size_t used = 0;
	struct frame *f;
	for (uint32_t i = 0; (f = outq_at(q, i)) != NULL && used + f->len <= cap; i++) {
		memcpy(buf + used, f->data, f->len);
		used += f->len;
	}
	return used;
}

size_t outq_consume(struct outq *q, size_t sent)
{
	struct frame *f;
	while ((f = outq_peek(q)) != NULL && sent >= f->len) {
		sent -= f->len;
		outq_pop(q);
	}
	return f != NULL ? sent : 0;
}
