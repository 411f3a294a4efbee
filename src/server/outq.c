/* outq.c: bounded ring of frame references (see outq.h).
 *
 * The ring starts small and doubles up to max_msgs, so that the many idle
 * connections of a dashboard cost a few bytes each. */
#include "outq.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

#define OUTQ_INITIAL 8

void outq_init(struct outq *q, uint32_t max_msgs, size_t max_bytes)
{
	memset(q, 0, sizeof *q);
	q->max_msgs = max_msgs;
	q->max_bytes = max_bytes;
}

void outq_clear(struct outq *q)
{
	while (q->count > 0)
		outq_pop(q);
	free(q->ring);
	q->ring = NULL;
	q->capacity = 0;
	q->head = 0;
}

static void outq_grow(struct outq *q)
{
	uint32_t cap = q->capacity ? q->capacity * 2 : OUTQ_INITIAL;
	if (cap > q->max_msgs)
		cap = q->max_msgs;
	struct frame **ring = xmalloc(sizeof *ring * cap);
	for (uint32_t i = 0; i < q->count; i++)
		ring[i] = q->ring[(q->head + i) % q->capacity];
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
	q->ring[(q->head + q->count) % q->capacity] = frame_ref(f);
	q->count++;
	q->bytes += f->len;
	return 0;
}

struct frame *outq_peek(const struct outq *q)
{
	return q->count ? q->ring[q->head] : NULL;
}

struct frame *outq_at(const struct outq *q, uint32_t i)
{
	return i < q->count ? q->ring[(q->head + i) % q->capacity] : NULL;
}

void outq_pop(struct outq *q)
{
	if (q->count == 0)
		return;
	struct frame *f = q->ring[q->head];
	q->head = (q->head + 1) % q->capacity;
	q->count--;
	q->bytes -= f->len;
	frame_unref(f);
	/* An idle connection gives its memory back: thousands of dashboards
	 * that wait for events should cost their sockets and little else. */
	if (q->count == 0) {
		free(q->ring);
		q->ring = NULL;
		q->capacity = 0;
		q->head = 0;
	}
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
