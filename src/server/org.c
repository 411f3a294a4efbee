/* org.c: an organization's state (see org.h). */
#include "org.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "room.h"
#include "server.h"
#include "xalloc.h"
#include "monitor.h"

struct org *org_new(struct server *srv, const char *id, int64_t min_pos)
{
	struct org *o = xcalloc(1, sizeof *o);
	snprintf(o->id, sizeof o->id, "%s", id);
	o->pos = clock_wall_ms() * 1000;
	if (o->pos < min_pos)
		o->pos = min_pos;
	o->srv = srv;
	o->active_us = clock_mono_us();
	live_org_init(&o->live, srv->cfg.max_executions_per_org);
	dedup_init(&o->dedup, srv->cfg.dedup_window);
	strmap_init(&o->rooms);
	org_alerts_init(&o->alerts);
	summary_init(&o->summary);
	org_schedules_init(&o->sched);
	aggregates_init(&o->aggregates);
	char cause[200];
	if (org_monitor_init(&o->mon, srv, cause, sizeof cause) < 0)
		fatal("queue numbers for %s: %s", id, cause);   /* the windows were checked at start-up */
	return o;
}

static void free_room(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	room_free(value);
}

void org_free(struct org *o)
{
	strmap_each(&o->rooms, free_room, NULL);
	strmap_clear(&o->rooms);
	org_monitor_free(&o->mon);
	org_alerts_free(&o->alerts);
	summary_free(&o->summary);
	org_schedules_free(&o->sched);
	aggregates_free(&o->aggregates);
	live_org_free(&o->live);
	dedup_free(&o->dedup);
	free(o->control_peers);
	free(o);
}

bool org_evictable(const struct org *o)
{
	if (o->nconns > 0 || strmap_count(&o->rooms) > 0 || o->alerts.health_pending)
		return false;
	if (o->alerts.nrules > 0 || o->alerts.nrecords > 0 || o->sched.n > 0 ||
	    o->summary.attention.count > 0)
		return false;
	return !live_org_has_unfinished(&o->live);
}
