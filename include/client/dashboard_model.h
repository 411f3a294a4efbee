/* dashboard_model.h: the console's dashboards: the list of the user's
 * dashboards, the one shown (and the saved version it came from), the
 * answers to the console's dashboard requests, and the aggregates the
 * widgets show: metrics answers the daemon pushes every 5 s to the rooms
 * "metrics:<range>[:<workflow>]" (aggregates.h on the daemon's side), so
 * that consoles on the same dashboard share one query.
 *
 * Requests are built here and left in an outbox the console sends
 * (dash_model_take_request), so the model stays pure data; answers come
 * back through model_handle_message (ids start with DASH_ID_PREFIX); the
 * console subscribes to the rooms dash_model_want_aggregates marks wanted
 * and feeds their pushes to dash_model_on_push.
 *
 * Start-up: list, then get the default if there is one; with none (or no
 * database) the built-in default for the terminal is shown.
 *
 * Ownership: the model owns its dashboards and outbox. Pure: no curses, no
 * sockets. */
#ifndef WFMON_DASHBOARD_MODEL_H
#define WFMON_DASHBOARD_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dashboard.h"
#include "metrics_data.h"

#define DASH_ID_PREFIX "dash:"
#define DM_OUTBOX 8
#define DM_AGGREGATES 4         /* distinct metrics rooms read at a time */

enum dm_state {
	DM_IDLE,        /* not started: nothing asked yet */
	DM_LISTING,     /* the list was asked for at start-up */
	DM_LOADING,     /* a dashboard was asked for */
	DM_READY,       /* shown is what to show */
};

struct dm_entry {
	char name[DASH_NAME_MAX * 4 + 1];
	bool is_default;
	int widgets;
};

/* One metrics room a group of widgets reads. */
struct dm_aggregate {
	char room[PROTO_MAX_ROOM + 1];       /* "" unused slot */
	struct metrics_model m;              /* its last push (state, data, error) */
	bool used;                           /* a widget of the shown dashboard reads it */
	bool wanted;                         /* the console subscribed to it (the view's bookkeeping) */
};

struct dash_model {
	enum dm_state state;
	struct dashboard *shown;     /* owned: always set once started (built-in at worst) */
	struct dashboard *saved;     /* owned: the server's version of shown; NULL when built-in */
	bool builtin;                /* shown is the built-in default */
	bool unavailable;            /* the daemon keeps no dashboards (no database): cannot save */
	int body_rows;               /* lines the built-in default is laid out for */
	struct dm_entry list[DASH_MAX_PER_USER];
	size_t nlist;
	bool listed;
	uint64_t serial;             /* changes with every answer */
	uint64_t next_id;
	/* The last answer to a change the user asked for, for the message line. */
	bool reply_ok;
	enum dash_action reply_action;
	char reply_name[DASH_NAME_MAX * 4 + 1];
	char reply_error[PROTO_MAX_TEXT + 1];
	char reply_field[96];
	uint64_t reply_serial;
	json_t *outbox[DM_OUTBOX];
	size_t noutbox;
	struct dm_aggregate agg[DM_AGGREGATES];
};

void dash_model_init(struct dash_model *dm);
void dash_model_free(struct dash_model *dm);

/* Starts (again, after a reconnect): asks for the list; shows the built-in
 * default for body_rows lines until an answer says otherwise. */
void dash_model_start(struct dash_model *dm, int body_rows);
/* The next request to send (new; NULL when none). */
json_t *dash_model_take_request(struct dash_model *dm);

/* Requests the user's actions make (queued in the outbox). name borrowed. */
void dash_model_open(struct dash_model *dm, const char *name);
/* Saves shown (as renamed from `rename_from` when not NULL). */
void dash_model_save(struct dash_model *dm, const char *rename_from);
void dash_model_delete(struct dash_model *dm, const char *name);
void dash_model_set_default(struct dash_model *dm, const char *name);
void dash_model_refresh_list(struct dash_model *dm);
/* Puts the saved version back into shown (leaving the editor with Esc). */
void dash_model_revert(struct dash_model *dm);
/* For a body of rows lines: shows the built-in default when nothing is
 * shown yet, and lays the built-in one out again when the size changed. */
void dash_model_prepare(struct dash_model *dm, int body_rows);

/* Answers (from model_handle_message): true when the message was ours. */
bool dash_model_on_answer(struct dash_model *dm, json_t *msg);
bool dash_model_on_error(struct dash_model *dm, json_t *msg);

/* Marks used the metrics rooms the shown dashboard's widgets read (none
 * when not watching): a new room takes a slot that is neither used nor
 * still subscribed. The console then subscribes to the used slots' rooms
 * (setting wanted) and leaves the others (clearing wanted). */
void dash_model_want_aggregates(struct dash_model *dm, bool watching);
/* A metrics room's push (a "stats" message's data, or the snapshot's
 * "data"; borrowed): true when the room is one of the slots'. */
bool dash_model_on_push(struct dash_model *dm, const char *room, json_t *data);
/* The aggregate a widget reads, or NULL when it reads none; its answer may
 * still be pending (m.has_data false). */
const struct dm_aggregate *dash_model_aggregate(const struct dash_model *dm, const struct dash_widget *w);
/* Whether a widget type reads an aggregate (and its trend). */
bool dash_type_reads_aggregate(enum dash_type t);

#endif
