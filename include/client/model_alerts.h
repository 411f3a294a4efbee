/* model_alerts.h: the alerts of room "alerts", the critical banner
 * and the alert rules list (model_alerts.c). Part of the console's model
 * (model.h). */
#ifndef WFMON_MODEL_ALERTS_H
#define WFMON_MODEL_ALERTS_H

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_record.h"
#include "proto.h"

struct model;

#define MODEL_MAX_ALERTS 256

/* Alerts (room "alerts"): the records the daemon fires and changes
 * (alert_record.h), replaced by id. Kept sorted as the daemon sends its
 * snapshot: active and acknowledged first, then resolved; newest first within
 * each. */

/* The critical-alert banner every view shows: set by a live critical alert
 * that is new (or just became critical) while active; gone once that alert
 * is acknowledged or resolved, or the user dismisses it. */
struct model_banner {
	int64_t alert_id;                      /* 0: no banner */
	char title[PROTO_MAX_TEXT + 1];
	bool bell;                             /* a new alert asked for the bell: the caller takes it */
	int64_t dismissed_id;                  /* not shown again from a snapshot */
};

/* The alert rules, as the last "rules" answer listed them, read through the
 * protocol's rule schema (alert_rule.h; secrets stay masked). */
struct model_rules {
	bool loaded;
	struct alert_rule *list;               /* owned, n of them; NULL before the first answer */
	size_t n;
	size_t unreadable;                     /* rules of that answer this console could not read */
	uint64_t serial;                       /* changes with every answer */
	char saved_id[PROTO_MAX_ID + 1];       /* the id of the last rule_saved's rule, "" none */
};


/* ---- Alerts ------------------------------------------------------------------------ */

struct alert_record *model_alert_find(struct model *m, int64_t id);
/* Alerts not resolved (active or acknowledged), as the header counts them. */
int model_alerts_open(const struct model *m);
/* Hides the banner (its alert stays in the list). */
void model_banner_dismiss(struct model *m);
/* True once after a new active alert whose rule wants the bell (any
 * severity); clears the request. */
bool model_banner_take_bell(struct model *m);

/* ---- Rules --------------------------------------------------------------------------- */

/* The rule with that id in the list, or NULL. */
const struct alert_rule *model_rule_find(const struct model *m, const char *id);

#endif
