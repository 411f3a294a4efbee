/* control.h: operators asking producers to cancel or retry an execution.
 *
 * A request (operators and admins only) becomes the daemon's own event,
 * control.requested, stored and delivered like any other (so every console
 * sees it, and sees it after a restart), and a command in the organization's
 * "control" room for the producers. The producer answers with its own
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
 * cancelled), and an organization with no producer in its control room. */
void control_request(struct conn *c, const struct proto_request *req);

#endif
