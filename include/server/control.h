/* control.h: operators asking producers to cancel or retry an execution.
 *
 * A request (operators and admins only) becomes the daemon's own event,
 * control.requested, stored and delivered like any other (so every console
 * sees it, and sees it after a restart); applying that event puts the
 * command in the organization's "control" room for the producers, so on
 * every node of a cluster, whichever node the request came to. The producer answers with its own
 * control.replied event and then does it (execution.cancelled, or a later
 * attempt); the execution model (exec.h) says where the request stands.
 * Every request is written to the audit log. */
#ifndef WFMON_CONTROL_H
#define WFMON_CONTROL_H

#include "proto.h"

struct conn;

/* REQ_CANCEL and REQ_RETRY. Refuses (with a sentence the operator can act
 * on) viewers and producers, an unknown execution, one in a state the
 * command does not fit (cancel: queued or running; retry: failed or
 * cancelled), and an organization with no producer in its control room, on
 * this node nor, in a cluster, on any other that said so lately (below). */
void control_request(struct conn *c, const struct proto_request *req);

struct org;
struct room;
struct server;
struct live_execution;

/* In a cluster, each node tells the others whether producers of an
 * organization listen in its control room: at once when the room gets its
 * first subscriber or loses its last (control_room_changed), and again every
 * CONTROL_PEER_REFRESH_S while they listen (control_peers_refresh); a node
 * not heard from for CONTROL_PEER_EXPIRE_S (it died, or lost Redis) no
 * longer counts. What an organization knows of the other nodes, owned by
 * the organization (org_free frees it), allocated on the first news. */
#define CONTROL_PEER_REFRESH_S 15
#define CONTROL_PEER_EXPIRE_S 45
#define CONTROL_PEERS_MAX 32
struct control_peers {
	uint32_t n;
	struct {
		char node[64];
		int64_t until_us;   /* monotonic */
	} peer[CONTROL_PEERS_MAX];
};
/* Room r's subscribers went from none to one or back (conn.c). */
void control_room_changed(struct server *s, struct room *r);
/* Every CONTROL_PEER_REFRESH_S (the server's housekeeping). */
void control_peers_refresh(struct server *s);
/* Another node's news about organization org's control room (cluster.c):
 * j is {"listening": bool}. */
void control_peers_shared(struct server *s, const char *org, const char *node, const json_t *j);

/* An event being applied (ingest_commit): a control.requested (event, its
 * JSON) becomes the command for the producers in the control room, naming
 * the execution's attempt now. Anything else is left alone. */
void control_on_event(struct org *o, const struct live_execution *x, const struct proto_event *ev,
		      json_t *event);

#endif
