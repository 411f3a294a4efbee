/* org.h: one organization (tenant): its live executions, its recent event ids
 * and its rooms. Nothing of one organization is reachable from another's. */
#ifndef WFMON_ORG_H
#define WFMON_ORG_H

#include "aggregates.h"
#include "dedup.h"
#include "live.h"
#include "alerts.h"
#include "monitor.h"
#include "schedules.h"
#include "strmap.h"
#include "summary.h"

struct server;

struct org {
	char id[PROTO_MAX_ID + 1];
	/* The position of the last accepted event. Seeded from the wall clock (ms *
	 * 1000) or what the store remembers, whichever is higher, so that positions
	 * keep rising across restarts and a position from a lost history is never
	 * mistaken for a current one. */
	int64_t pos;
	struct server *srv;
	struct live_org live;
	struct dedup dedup;
	struct strmap rooms;    /* room name -> struct room */
	/* How many of its rooms are of each kind (room.c keeps it), so that an
	 * event is not offered to kinds it has none of. */
	uint32_t rooms_of_kind[ROOM__COUNT];
	/* The rooms that keep events, the one that published last first, and
	 * the bytes they keep together (at most room-history-bytes: room.c). */
	struct room *hist_newest, *hist_oldest;
	size_t hist_bytes;
	struct org_monitor mon;
	struct org_alerts alerts;
	struct org_summary_state summary;
	struct org_schedules sched;
	struct org_aggregates aggregates;
	struct control_peers *control_peers;   /* cluster: other nodes' control listeners (control.h) */
	uint32_t nconns;        /* its WebSocket connections */
	int64_t active_us;      /* monotonic: its last event, or a connection of it closing */
};

/* Returns a new organization whose positions start above min_pos. */
struct org *org_new(struct server *srv, const char *id, int64_t min_pos);
void org_free(struct org *o);

/* Whether freeing the organization loses nothing but what a restart loses
 * too: nobody connected, no room, no queued or running execution, no alert
 * rule, alert or schedule, no failure needing attention, no check in
 * flight. Its positions go on from the clock or the server's floor, its
 * rows stay in PostgreSQL; what a later connection finds is what it would
 * find after a restart. */
bool org_evictable(const struct org *o);

#endif
