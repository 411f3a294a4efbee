/* prioritize.h: an operator raises (or lowers) the priority of a queued
 * execution: the live state and the queue numbers change at once, the
 * producers hear it in the organization's "control" room (wfmon-sim starts it
 * sooner), and the change is recorded in the audit log. On a node of a
 * cluster the change goes to the other nodes too (cluster_share), which
 * apply it to their live state, queue numbers and producers. */
#ifndef WFMON_PRIORITIZE_H
#define WFMON_PRIORITIZE_H

#include <stddef.h>

#include "proto.h"

struct server;
struct org;

/* Returns 0, or -1 with a reason (no such execution, not queued). */
int prioritize_execution(struct server *s, struct org *o, const char *execution_id,
			 enum proto_priority priority, const char *by, char *cause, size_t causelen);
/* A change another node made ({"execution_id","priority","previous","by"}):
 * applied here the same way, without its audit row (the other node wrote
 * it); an execution this node no longer holds as queued is left alone. */
void prioritize_shared(struct org *o, json_t *j);

#endif
