/* prioritize.h: an operator raises (or lowers) the priority of a queued
 * execution: the live state and the queue numbers change at once, the
 * producers hear it in the organization's "control" room (wfmon-sim starts it
 * sooner), and the change is recorded in the audit log. */
#ifndef WFMON_PRIORITIZE_H
#define WFMON_PRIORITIZE_H

#include <stddef.h>

#include "proto.h"

struct server;
struct org;

/* Returns 0, or -1 with a reason (no such execution, not queued). */
int prioritize_execution(struct server *s, struct org *o, const char *execution_id,
			 enum proto_priority priority, const char *by, char *cause, size_t causelen);

#endif
