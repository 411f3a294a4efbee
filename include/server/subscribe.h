/* subscribe.h: joining a room: rights and limits, then the first answer —
 * a snapshot, or the events missed since a position — from memory when it
 * can, from the store when it must. Live events of the room that arrive while
 * the store is being asked are held and follow the answer, so that a client
 * misses nothing and sees nothing twice. */
#ifndef WFMON_SUBSCRIBE_H
#define WFMON_SUBSCRIBE_H

#include "proto.h"
#include "store.h"

struct conn;
struct server;
struct pending;

void subscribe_start(struct conn *c, const struct proto_request *req);
void unsubscribe(struct conn *c, const struct proto_request *req);
/* The store answered a PENDING_SUB_* request. */
void subscribe_done(struct server *s, struct pending *p, const struct store_done *d);

#endif
