/* model.h: the console's client-side state, built from the daemon's messages.
 *
 * Pure data: no ncurses, no sockets. The session feeds it every message it
 * receives (model_handle_message); the views read it. It holds
 *   - the organization's executions as summaries (rooms "org" and "queue"),
 *   - the one execution the user looks at in full (room "execution:<id>"),
 *   - the active alerts (room "alerts"),
 *   - the queue's numbers and depth history (room "queue": snapshot and
 *     "stats" pushes), and the daemon's resource samples (room "resources"),
 *   - the organization's summary: the counts and warnings every console's
 *     header shows, as the daemon counts them (room "org"),
 *   - step duration statistics of one workflow (the "step_stats" query),
 *   - the outcome of the last request the console made (done or error),
 *   - the position (seq) reached in every room, for resuming after a drop.
 * Invariants: a room's position only moves forward while the room's data
 * comes from the same snapshot lineage (a fresh snapshot may move it
 * anywhere); an event at or below the position is a duplicate and changes
 * nothing; executions follow the protocol's rules (exec.h: a finished
 * execution never goes back to running, statuses only move forward, even
 * after a resync from a poorer snapshot); every list is bounded
 * (MODEL_MAX_EXECUTIONS, exec.h's limits, MODEL_LOG_LINES, MODEL_MAX_ROOMS,
 * MODEL_DEPTH_HISTORY, MODEL_RES_HISTORY, MODEL_MAX_WORKERS); "stats" pushes
 * carry no position and never move one.
 *
 * Ownership: the model owns everything it stores; pointers it returns are
 * borrowed and valid until the next model_handle_message or model_* change. */
#ifndef WFMON_MODEL_H
#define WFMON_MODEL_H

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashboard_model.h"
#include "model_alerts.h"
#include "model_exec.h"
#include "model_health.h"
#include "model_monitor.h"
#include "metrics_data.h"
#include "model_search.h"
#include "model_stats.h"
#include "pendids.h"
#include "proto.h"
#include "strmap.h"

#define MODEL_MAX_ROOMS 16   /* 8 for the views, DM_AGGREGATES for a dashboard's aggregates */
/* Request ids the console uses, so that answers find their way back. */
#define MODEL_ID_STATS "stats:"      /* + workflow id: a step_stats query */
#define MODEL_ID_PRIO "prio:"        /* + execution id: a prioritize request */
#define MODEL_ID_ALERT "alert:"      /* + action ":" + alert id: an alert request */
#define MODEL_ID_RULE "rule:"        /* + action [":" rule id]: a rule request */
#define MODEL_ID_CONTROL "ctl:"      /* + "cancel" | "retry" ":" execution id */

struct model_room {
	char name[PROTO_MAX_ROOM + 1];
	bool has_pos;                          /* a subscribed answer came */
	int64_t seq;                           /* last position processed */
	bool last_resumed;                     /* the last subscribed answer was a resume */
	uint64_t gaps;                         /* events that skipped positions */
	uint64_t duplicates;                   /* events at or below the position, ignored */
	struct pendids pending;                /* pending events applied, their numbered copy awaited */
};

/* The answer to the console's last request (not subscriptions): "done", or an
 * error carrying the request's id. */
struct model_reply {
	char id[PROTO_MAX_ID + 1];
	bool ok;
	char code[32];                         /* error code, "" when ok */
	char message[PROTO_MAX_TEXT + 1];
	char field[PROTO_MAX_ROOM + 1];        /* the field an error names, "" for none */
	uint64_t serial;                       /* changes with every reply */
};

/* What a message changed, so that the caller redraws only when needed. */
enum model_change {
	MC_NONE = 0,
	MC_LIST = 1 << 0,
	MC_DETAIL = 1 << 1,
	MC_ALERTS = 1 << 2,
	MC_NOTICE = 1 << 3,
	MC_SUBSCRIBED = 1 << 4,   /* a subscribed answer: see model_room's last_resumed */
	MC_ERROR = 1 << 5,        /* an error message: see model.last_error */
	MC_QUEUE = 1 << 6,        /* queue numbers or depth history */
	MC_RESOURCES = 1 << 7,    /* resource samples */
	MC_STATS = 1 << 8,        /* step statistics */
	MC_REPLY = 1 << 9,        /* a request was answered: see model.reply */
	MC_RULES = 1 << 10,       /* the rules list came: see model.rules */
	MC_BANNER = 1 << 11,      /* the critical banner appeared, changed or went */
	MC_METRICS = 1 << 12,     /* a metrics answer or error: see model.metrics */
	MC_SUMMARY = 1 << 13,     /* the organization's summary: see model.summary */
	MC_SEARCH = 1 << 14,      /* the list's search of history: see model.search */
	MC_HEALTH = 1 << 15,      /* the workflows' health (room "health") */
	MC_PENDING = 1 << 16,     /* a room's pending events changed: see model_room_pending */
	MC_DASHBOARD = 1 << 20,   /* a dashboard answer or aggregate: see model.dash */
};

struct model {
	struct strmap by_id;                   /* id -> struct model_exec * */
	struct model_exec **execs;             /* every execution, unordered */
	size_t nexecs, capexecs;
	uint64_t next_order;
	uint64_t execs_serial;                 /* changes whenever execs or their data change */
	struct model_detail detail;
	struct alert_record alerts[MODEL_MAX_ALERTS];
	size_t nalerts;
	struct model_banner banner;
	struct model_rules rules;
	struct model_room rooms[MODEL_MAX_ROOMS];
	size_t nrooms;
	struct model_notice notice;
	char last_error[PROTO_MAX_TEXT + 64];  /* last error message from the daemon */
	char last_error_room[PROTO_MAX_ROOM + 1];
	uint64_t events;                       /* events applied */
	int64_t last_event_rx_ms;              /* our clock at the last event, 0 if none */
	struct model_queue queue;
	struct model_summary summary;
	struct model_resources res;
	struct model_step_stats stats;
	struct model_search search;
	struct model_reply reply;
	struct metrics_model metrics;          /* the metrics view's answers (metrics_data.h) */
	struct model_health health;
	struct dash_model dash;                /* dashboards and their aggregates (dashboard_model.h) */
};

void model_init(struct model *m);
void model_free(struct model *m);

/* ---- Rooms and positions ---------------------------------------------------- */

/* Starts tracking a room (no position yet); returns it, or NULL past
 * MODEL_MAX_ROOMS. Tracking an execution room also resets the detail to that
 * execution when it is a different one. */
struct model_room *model_room_track(struct model *m, const char *name);
/* Stops tracking: later messages for it are ignored. Forgetting the detail's
 * room clears the detail. */
void model_room_forget(struct model *m, const char *name);
struct model_room *model_room_find(struct model *m, const char *name);
/* Pending events of room `name` (wfmon-protocol(7)) applied to the model
 * whose numbered copy has not come yet: 0 for a room not tracked. */
size_t model_room_pending(struct model *m, const char *name);

/* ---- Input --------------------------------------------------------------------- */

/* Applies one message from the daemon (parsed JSON, borrowed). now_ms is our
 * wall clock. Returns a mask of enum model_change. Messages for rooms not
 * tracked, duplicates and unknown types change nothing. */
unsigned model_handle_message(struct model *m, json_t *msg, int64_t now_ms);
/* Same, from text; a message that is not JSON changes nothing. */
unsigned model_handle_text(struct model *m, const char *data, size_t len, int64_t now_ms);

#endif
