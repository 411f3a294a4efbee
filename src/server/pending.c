/* pending.c: the registry of answers waiting for the store (see pending.h). */
#include "pending.h"

#include <stdlib.h>

#include "server.h"
#include "xalloc.h"

struct pending *pending_new(struct server *s, enum pending_kind kind, const struct reply_to *to)
{
	struct pending *p = xcalloc(1, sizeof *p);
	p->ticket = ++s->next_ticket;
	p->kind = kind;
	if (to != NULL) {
		p->to = *to;
		json_incref(p->to.req_id);
	}
	char key[STRMAP_ID_KEY_LEN];
	strmap_id_key(p->ticket, key);
	strmap_put(&s->pending, key, p);
	return p;
}

struct pending *pending_take(struct server *s, uint64_t ticket)
{
	char key[STRMAP_ID_KEY_LEN];
	strmap_id_key(ticket, key);
	return strmap_remove(&s->pending, key);
}

struct pending *pending_find(struct server *s, uint64_t ticket)
{
	char key[STRMAP_ID_KEY_LEN];
	strmap_id_key(ticket, key);
	return strmap_get(&s->pending, key);
}

void pending_free(struct pending *p)
{
	if (p == NULL)
		return;
	json_decref(p->to.req_id);
	json_decref(p->results);
	free(p->metrics_key);
	free(p);
}

static void forget_one(const char *key, void *value, void *wsi)
{
	(void)key;
	struct pending *p = value;
	if (p->to.http_wsi == wsi)
		p->to.http_wsi = NULL;
}

void pending_forget_http(struct server *s, struct lws *wsi)
{
	/* Few answers wait at any time: a scan is cheaper than another index. */
	strmap_each(&s->pending, forget_one, wsi);
}

static void free_one(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	pending_free(value);
}

void pending_clear_all(struct server *s)
{
	strmap_each(&s->pending, free_one, NULL);
	strmap_clear(&s->pending);
}
