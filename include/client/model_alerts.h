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

#include "proto.h"

struct model;

#define MODEL_MAX_ALERTS 256

/* Alerts (room "alerts"): records the daemon fires and changes, replaced by
 * id. Kept sorted as the daemon sends its snapshot: active and acknowledged
 * first, then resolved; newest first within each. */
enum model_severity { MSEV_INFO, MSEV_WARNING, MSEV_ERROR, MSEV_CRITICAL, MSEV__COUNT };
enum model_alert_state { MAS_ACTIVE, MAS_ACKNOWLEDGED, MAS_RESOLVED, MAS__COUNT };
/* From the wire names "info"... (untranslated): 0 and *out, or -1. */
int model_severity_parse(const char *name, enum model_severity *out);

struct model_alert {
	int64_t id;
	char rule_id[PROTO_MAX_ID + 1];
	char rule_name[PROTO_MAX_NAME + 1];
	char workflow_id[PROTO_MAX_ID + 1];    /* "" when the rule watches every workflow */
	char execution_id[PROTO_MAX_ID + 1];   /* "" when none */
	enum model_severity severity;
	enum model_alert_state state;
	char *title, *body;                    /* never NULL */
	char *ack_note, *resolve_note;         /* NULL when none */
	char acknowledged_by[PROTO_MAX_NAME + 1];
	char resolved_by[PROTO_MAX_NAME + 1];
	int64_t triggered_ms, acknowledged_ms, resolved_ms, escalated_ms;   /* 0: not yet */
	int64_t escalations;
	bool bell;
	json_t *context;                       /* owned object */
	json_t *deliveries;                    /* owned array */
};

/* The critical-alert banner every view shows: set by a live critical alert
 * that is new (or just became critical) while active; gone once that alert
 * is acknowledged or resolved, or the user dismisses it. */
struct model_banner {
	int64_t alert_id;                      /* 0: no banner */
	char title[PROTO_MAX_TEXT + 1];
	bool bell;                             /* a new alert asked for the bell: the caller takes it */
	int64_t dismissed_id;                  /* not shown again from a snapshot */
};

/* The alert rules, as the last "rules" answer listed them. */
struct model_rules {
	bool loaded;
	json_t *list;                          /* owned array, NULL before the first answer */
	uint64_t serial;                       /* changes with every answer */
	json_t *saved;                         /* the last rule_saved's rule, owned or NULL */
};


/* ---- Alerts ------------------------------------------------------------------------ */

struct model_alert *model_alert_find(struct model *m, int64_t id);
/* Alerts not resolved (active or acknowledged), as the header counts them. */
int model_alerts_open(const struct model *m);
/* Hides the banner (its alert stays in the list). */
void model_banner_dismiss(struct model *m);
/* True once after a new active alert whose rule wants the bell (any
 * severity); clears the request. */
bool model_banner_take_bell(struct model *m);

#endif
