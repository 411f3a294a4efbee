/* org.h: one organization (tenant): its live executions, its recent event ids
 * and its rooms. Nothing of one organization is reachable from another's. */
#ifndef WFMON_ORG_H
#define WFMON_ORG_H

#include "dedup.h"
#include "live.h"
#include "strmap.h"

struct server;

struct org {
	char id[PROTO_MAX_ID + 1];
	struct server *srv;
	struct live_org live;
	struct dedup dedup;
	struct strmap rooms;    /* room name -> struct room */
};

/* Returns a new organization. */
struct org *org_new(struct server *srv, const char *id);
void org_free(struct org *o);

#endif
