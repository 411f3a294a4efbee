/* publish.c: the path of a producer's batch (see publish.h).
 *
 * Order matters: the store is asked first, and only events it took are
 * applied and fanned out; a full spool refuses the new events of the batch
 * ("unavailable", retry later) without delivering any of them. Live delivery
 * does not wait for the disk: only the acknowledgement does. */
#include "publish.h"

#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "log.h"
#include "org.h"
#include "pending.h"
#include "server.h"
#include "store.h"

void publish_answer(struct server *s, const struct reply_to *to, int accepted, int rejected,
		    json_t *results)
{
	char *ws = to->http_wsi ? NULL : proto_ack_message_new(to->req_id, accepted, rejected, results);
	json_t *http = to->http_wsi ? json_pack("{s:i,s:i,s:O}", "accepted", accepted, "rejected", rejected,
						"results", results)
				    : NULL;
	reply_send(s, to, ws, 200, http);
}

void publish_prepared(struct server *s, struct org *o, struct ingest_batch *b, const struct reply_to *to)
{
	if (s->cluster != NULL) {
		cluster_publish(s->cluster, o, b, PENDING_ACK, to);
		return;
	}
	if (s->store == NULL) {
		ingest_commit(o, b);
		publish_answer(s, to, b->accepted, b->rejected, b->results);
		return;
	}
	struct pending *p = pending_new(s, PENDING_ACK, to);
	/* Even a batch of retries only is acknowledged after everything before it
	 * is durable: the first copy of a retried event may still be on its way. */
	int rc = store_append(s->store, b->stored, b->n, p->ticket);
	if (rc < 0) {
		pending_free(pending_take(s, p->ticket));
		ingest_refuse(b, "the daemon's spool is full while the database is away: retry later");
		publish_answer(s, to, b->accepted, b->rejected, b->results);
		return;
	}
	ingest_commit(o, b);
	p->results = json_incref(b->results);
	p->accepted = b->accepted;
	p->rejected = b->rejected;
}

void publish_events(struct server *s, struct org *o, json_t *events, const struct reply_to *to)
{
	struct ingest_batch b;
	ingest_prepare(o, events, s->store != NULL, &b);
	publish_prepared(s, o, &b, to);
	ingest_batch_clear(&b);
	json_decref(b.results);
}

void publish_durable(struct server *s, struct pending *p, int status, const char *error)
{
	if (status != 0) {
		/* The spool could not be synced: nothing said durable can be trusted
		 * any more (a failed fsync cannot be retried safely), so the daemon
		 * stops, as PostgreSQL does; the producer keeps the batch and sends it
		 * again to the restarted daemon. */
		server_fail(s, error);
		size_t i;
		json_t *r;
		json_array_foreach(p->results, i, r) {
			const char *st = json_string_value(json_object_get(r, "status"));
			if (st != NULL && strcmp(st, "ok") == 0) {
				json_object_set_new(r, "status", json_string("error"));
				json_object_set_new(r, "code", json_string("unavailable"));
				json_object_set_new(r, "message", json_string(error));
			}
		}
	}
	publish_answer(s, &p->to, p->accepted, p->rejected, p->results);
}
