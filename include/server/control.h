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
 * cancelled), and, on a daemon alone, an organization with no producer in
 * its control room (a node of a cluster cannot see the others' producers). */
void control_request(struct conn *c, const struct proto_request *req);

struct org;
struct live_execution;
/* An event being applied (ingest_commit): a control.requested (event, its
 * JSON) becomes the command for the producers in the control room, naming
 * the execution's attempt now. Anything else is left alone. */
void control_on_event(struct org *o, const struct live_execution *x, const struct proto_event *ev,
		      json_t *event);

#endif
