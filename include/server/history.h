/* history.h: history queries (list executions, one execution, step
 * statistics), answered by the store under the caller's organization, and the
 * dispatch of everything the store hands back to the loop. */
#ifndef WFMON_HISTORY_H
#define WFMON_HISTORY_H

#include <jansson.h>

#include "proto.h"
#include "reply.h"
#include "store.h"

struct server;
struct org;

/* params: checked and normalized (proto_query_params_new), borrowed. */
void history_query(struct server *s, struct org *o, enum proto_query q, json_t *params,
		   const struct reply_to *to);

/* A best-effort write (a STORE_Q_PUT_* kind; row taken); nothing when there is
 * no database. Its outcome is only logged. */
void history_put(struct server *s, enum store_query_kind kind, const char *org, json_t *row);
/* An audit row: who did what to which target, with details (taken, may be NULL). */
void history_audit(struct server *s, const char *org, const char *actor, const char *action,
		   const char *target, json_t *details);

/* Wakes the loop from the store thread (given to store_new). */
void history_wake(void *server);
/* Takes and dispatches every completion the store has ready. */
void history_poll(struct server *s);

#endif
