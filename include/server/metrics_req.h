/* metrics_req.h: the metrics query inside wfmond: checking a request's
 * periods against the daemon's clock before the store answers it, and the
 * periodic performance check that feeds performance_degraded alert rules.
 *
 * Both go through the store's STORE_Q_METRICS (the rollups); the check asks
 * once every degradation-check-interval seconds per organization that has an
 * enabled performance_degraded rule, one question at a time. */
#ifndef WFMON_METRICS_REQ_H
#define WFMON_METRICS_REQ_H

#include <jansson.h>
#include <stdint.h>

#include "proto.h"
#include "store.h"

struct server;
struct pending;

/* The store's parameters for a metrics query (params normalized by
 * metrics_params_new, borrowed) at now_ms: {"query","now_ms","settings"}.
 * NULL with a cause naming the field when the periods do not resolve
 * (too many points, from after now...). */
json_t *metrics_store_params_new(const struct server *s, json_t *params, int64_t now_ms,
				 struct proto_cause *cause);

/* Once a second (from the alerts' tick): asks for the organizations due. */
void metrics_watch_tick(struct server *s, int64_t now_ms);
/* The store answered a check (a PENDING_HEALTH). */
void metrics_watch_done(struct server *s, struct pending *p, const struct store_done *d);

#endif
