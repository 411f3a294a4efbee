/* prioritize.c: changing a queued execution's priority (see prioritize.h). */
#include "prioritize.h"

#include <stdio.h>

#include "cluster.h"
#include "history.h"
#include "live.h"
#include "monitor.h"
#include "log.h"
#include "org.h"
#include "room.h"
#include "server.h"

/* The change in this node's live state, queue numbers and control room. */
static void apply(struct org *o, struct live_execution *x, enum proto_priority priority, enum proto_priority old,
		  const char *by)
{
	x->x.priority = priority;
	monitor_on_priority(o, x->x.id, priority);
	struct room *control = room_find(o, "control");
	if (control != NULL) {
		json_t *args = json_pack("{s:s,s:s,s:s,s:s}", "execution_id", x->x.id, "priority",
					 proto_priority_name(priority), "previous", proto_priority_name(old),
					 "by", by);
		room_broadcast(control, proto_control_message_new("prioritize", args));
		json_decref(args);
	}
}

int prioritize_execution(struct server *s, struct org *o, const char *execution_id,
			 enum proto_priority priority, const char *by, char *cause, size_t causelen)
{
	struct live_execution *x = live_find(&o->live, execution_id);
	if (x == NULL) {
		snprintf(cause, causelen, "no execution %s in this organization", execution_id);
		return -1;
	}
	if (x->x.status != EXEC_QUEUED) {
		snprintf(cause, causelen, "execution %s is %s, not queued: only queued ones can be reprioritized",
			 execution_id, exec_status_name(x->x.status));
		return -1;
	}
	enum proto_priority old = x->x.priority;
	apply(o, x, priority, old, by);
	log_info("%s/%s set the priority of %s from %s to %s", o->id, by, execution_id,
		 proto_priority_name(old), proto_priority_name(priority));
	history_audit(s, o->id, by, "execution.prioritized", execution_id,
		      json_pack("{s:s,s:s}", "from", proto_priority_name(old), "to", proto_priority_name(priority)));
	if (s->cluster != NULL)
		cluster_share(s->cluster, o->id, CLUSTER_SHARE_PRIORITY,
			      json_pack("{s:s,s:s,s:s,s:s}", "execution_id", execution_id, "priority",
					proto_priority_name(priority), "previous", proto_priority_name(old), "by", by));
	return 0;
}

void prioritize_shared(struct org *o, json_t *j)
{
	const char *id = json_string_value(json_object_get(j, "execution_id"));
	const char *by = json_string_value(json_object_get(j, "by"));
	enum proto_priority priority, old;
	if (id == NULL || by == NULL ||
	    proto_priority_parse(json_string_value(json_object_get(j, "priority")), &priority) != 0 ||
	    proto_priority_parse(json_string_value(json_object_get(j, "previous")), &old) != 0) {
		log_warn("%s: a priority change from another node is not understood here: skipped", o->id);
		return;
	}
	struct live_execution *x = live_find(&o->live, id);
	if (x == NULL || x->x.status != EXEC_QUEUED)
		return;
	apply(o, x, priority, old, by);
}
