/* aggregates.h: the dashboards' aggregates pushed by wfmond (rooms
 * "metrics:<range>[:<workflow>]", metrics.h's metrics_room_*).
 *
 * Each such room of an organization with at least one subscriber is asked
 * of the store once every METRICS_ROOM_REFRESH_MS (the "metrics" query,
 * off the loop like any other), one question in flight per room, and the
 * answer is pushed to every subscriber as a "stats" message of the room:
 * a hundred consoles on the same dashboard cost the database one query per
 * refresh, and a room nobody watches costs nothing. A subscriber's snapshot
 * is the last answer ({"data": ...}, or {} before the first one).
 *
 * A failed or refused question is pushed as {"error": text} so that every
 * console says why; the next refresh asks again. Loop thread only. */
#ifndef WFMON_AGGREGATES_H
#define WFMON_AGGREGATES_H

#include <jansson.h>
#include <stdint.h>

#include "proto.h"
#include "store.h"

struct org;
struct room;
struct server;
struct pending;

struct aggregate;

/* Per organization: its aggregates with their last answers. */
struct org_aggregates {
	struct aggregate *list;
};

void aggregates_init(struct org_aggregates *a);
void aggregates_free(struct org_aggregates *a);

/* Whether a metrics room can be served: 0, or -1 with a cause naming
 * "room" (a bad range or workflow id, no database). */
int aggregates_check(const struct server *s, const struct proto_room *room, struct proto_cause *cause);
/* The snapshot of a metrics room (new): {"data": the last answer} or {}.
 * Registers the aggregate: the next tick asks the store. */
json_t *aggregates_snapshot_new(struct org *o, const struct room *r);
/* Once a second: asks the store for the aggregates due, and forgets those
 * no one watches. */
void aggregates_tick(struct org *o, int64_t now_ms);
/* The store answered a PENDING_AGGREGATE. */
void aggregates_done(struct server *s, struct pending *p, const struct store_done *d);

#endif
