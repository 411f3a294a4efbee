/* dashboards.h: the "dashboard" request inside wfmond (wfmon-protocol(7)):
 * who may do what, the layout checked with dashboard_parse before the store
 * sees it, and the store's answer turned into the protocol's.
 *
 * Rules: producers have no dashboards; any other role lists, reads, saves,
 * deletes and marks as default its own (the token's subject); an admin may
 * name another user of the organization ("user") and do the same to theirs;
 * anyone else naming another user is refused (forbidden). The store's
 * row-level policy enforces the same again. Without a database every
 * action answers unavailable. */
#ifndef WFMON_SERVER_DASHBOARDS_H
#define WFMON_SERVER_DASHBOARDS_H

#include "proto.h"
#include "store.h"

struct conn;
struct pending;
struct server;

void dashboards_request(struct conn *c, const struct proto_request *req);
/* The store answered a PENDING_DASHBOARD. */
void dashboards_done(struct server *s, struct pending *p, const struct store_done *d);

#endif
