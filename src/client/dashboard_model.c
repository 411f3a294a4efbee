/* dashboard_model.c: the console's dashboards (see dashboard_model.h).
 *
 * Invariants: once started, shown is never NULL; saved is either NULL (the
 * built-in default is shown) or the server's last word on shown's name;
 * the outbox holds at most DM_OUTBOX requests (a full outbox drops the
 * oldest: a newer request of the same kind supersedes it); at most
 * DM_AGGREGATES metrics rooms are read at a time, one slot per room. */
#include "dashboard_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard_grid.h"
#include "metrics.h"
#include "xalloc.h"

#define AGG_DEFAULT_RANGE "24h"

void dash_model_init(struct dash_model *dm)
{
	memset(dm, 0, sizeof *dm);
	for (size_t i = 0; i < DM_AGGREGATES; i++)
		metrics_model_init(&dm->agg[i].m);
}

void dash_model_free(struct dash_model *dm)
{
	free(dm->shown);
	free(dm->saved);
	for (size_t i = 0; i < dm->noutbox; i++)
		json_decref(dm->outbox[i]);
	for (size_t i = 0; i < DM_AGGREGATES; i++)
		metrics_model_free(&dm->agg[i].m);
	memset(dm, 0, sizeof *dm);
}

static void push(struct dash_model *dm, json_t *req)
{
	if (dm->noutbox == DM_OUTBOX) {
		json_decref(dm->outbox[0]);
		memmove(&dm->outbox[0], &dm->outbox[1], (DM_OUTBOX - 1) * sizeof dm->outbox[0]);
		dm->noutbox--;
	}
	dm->outbox[dm->noutbox++] = req;
}

json_t *dash_model_take_request(struct dash_model *dm)
{
	if (dm->noutbox == 0)
		return NULL;
	json_t *r = dm->outbox[0];
	memmove(&dm->outbox[0], &dm->outbox[1], (dm->noutbox - 1) * sizeof dm->outbox[0]);
	dm->noutbox--;
	return r;
}

static void ask(struct dash_model *dm, enum dash_action a, const char *name, json_t *dashboard,
		const char *rename_from)
{
	char id[PROTO_MAX_ID + 1];
	snprintf(id, sizeof id, "%s%s:%llu", DASH_ID_PREFIX, dashboard_action_name(a),
		 (unsigned long long)++dm->next_id);
	push(dm, dashboard_request_new(id, a, name, NULL, dashboard, rename_from));
}

static void show_builtin(struct dash_model *dm)
{
	if (dm->shown == NULL)
		dm->shown = xmalloc(sizeof *dm->shown);
	dashboard_grid_default(dm->shown, dm->body_rows);
	free(dm->saved);
	dm->saved = NULL;
	dm->builtin = true;
}

void dash_model_start(struct dash_model *dm, int body_rows)
{
	dm->body_rows = body_rows;
	if (dm->shown == NULL)
		show_builtin(dm);
	dm->state = DM_LISTING;
	ask(dm, DASH_LIST, NULL, NULL, NULL);
	dm->serial++;
}

void dash_model_prepare(struct dash_model *dm, int body_rows)
{
	if (dm->shown != NULL && dm->body_rows == body_rows)
		return;
	dm->body_rows = body_rows;
	if (dm->shown == NULL || dm->builtin)
		show_builtin(dm);
}

void dash_model_open(struct dash_model *dm, const char *name)
{
	dm->state = DM_LOADING;
	ask(dm, DASH_GET, name, NULL, NULL);
}

void dash_model_save(struct dash_model *dm, const char *rename_from)
{
	if (dm->shown == NULL)
		return;
	json_t *j = dashboard_json_new(dm->shown, false);
	ask(dm, DASH_SAVE, NULL, j, rename_from);
	json_decref(j);
}

void dash_model_delete(struct dash_model *dm, const char *name)
{
	ask(dm, DASH_DELETE, name, NULL, NULL);
}

void dash_model_set_default(struct dash_model *dm, const char *name)
{
	ask(dm, DASH_DEFAULT, name, NULL, NULL);
}

void dash_model_refresh_list(struct dash_model *dm)
{
	ask(dm, DASH_LIST, NULL, NULL, NULL);
}

void dash_model_revert(struct dash_model *dm)
{
	if (dm->saved != NULL)
		*dm->shown = *dm->saved;
	else
		show_builtin(dm);
}

/* ---- answers ----------------------------------------------------------------------- */

static bool ours(json_t *msg, enum dash_action *a)
{
	const char *id = json_string_value(json_object_get(msg, "id"));
	size_t pl = strlen(DASH_ID_PREFIX);
	if (id == NULL || strncmp(id, DASH_ID_PREFIX, pl) != 0)
		return false;
	for (int i = 0; i < DASH__ACTIONS; i++) {
		const char *n = dashboard_action_name((enum dash_action)i);
		size_t nl = strlen(n);
		if (strncmp(id + pl, n, nl) == 0 && id[pl + nl] == ':') {
			*a = (enum dash_action)i;
			return true;
		}
	}
	return false;
}

static void set_list(struct dash_model *dm, json_t *list)
{
	dm->nlist = 0;
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e) {
		if (dm->nlist == DASH_MAX_PER_USER)
			break;
		const char *name = json_string_value(json_object_get(e, "name"));
		if (name == NULL)
			continue;
		struct dm_entry *x = &dm->list[dm->nlist++];
		snprintf(x->name, sizeof x->name, "%s", name);
		x->is_default = json_is_true(json_object_get(e, "is_default"));
		x->widgets = (int)json_integer_value(json_object_get(e, "widgets"));
	}
	dm->listed = true;
}

/* Takes a dashboard from the server as the shown and saved one. */
static bool take(struct dash_model *dm, json_t *j)
{
	struct dashboard *d = xmalloc(sizeof *d);
	struct proto_cause cause;
	if (dashboard_parse(j, d, &cause) != 0) {
		snprintf(dm->reply_error, sizeof dm->reply_error, "the server's dashboard is unreadable: %s: %s",
			 cause.field, cause.message);
		free(d);
		return false;
	}
	free(dm->saved);
	dm->saved = d;
	if (dm->shown == NULL)
		dm->shown = xmalloc(sizeof *dm->shown);
	*dm->shown = *d;
	dm->builtin = false;
	dm->state = DM_READY;
	return true;
}

static void reply(struct dash_model *dm, enum dash_action a, bool ok, const char *name)
{
	dm->reply_ok = ok;
	dm->reply_action = a;
	snprintf(dm->reply_name, sizeof dm->reply_name, "%s", name ? name : "");
	if (ok) {
		dm->reply_error[0] = '\0';
		dm->reply_field[0] = '\0';
	}
	dm->reply_serial++;
}

bool dash_model_on_answer(struct dash_model *dm, json_t *msg)
{
	enum dash_action a;
	if (!ours(msg, &a))
		return false;
	json_t *d = json_object_get(msg, "dashboard");
	switch (a) {
	case DASH_LIST:
		set_list(dm, json_object_get(msg, "dashboards"));
		if (dm->state == DM_LISTING) {
			const char *def = NULL;
			for (size_t i = 0; i < dm->nlist && def == NULL; i++)
				if (dm->list[i].is_default)
					def = dm->list[i].name;
			/* After a reconnect, the one shown stays shown. */
			if (dm->saved != NULL)
				dash_model_open(dm, dm->saved->name);
			else if (def != NULL)
				dash_model_open(dm, def);
			else
				dm->state = DM_READY;
		}
		break;
	case DASH_GET:
		take(dm, d);
		break;
	case DASH_SAVE:
	case DASH_DEFAULT:
		if (take(dm, d))
			reply(dm, a, true, dm->shown->name);
		dash_model_refresh_list(dm);
		break;
	case DASH_DELETE: {
		const char *name = json_string_value(json_object_get(msg, "name"));
		reply(dm, a, true, name);
		if (dm->saved != NULL && name != NULL && strcmp(dm->saved->name, name) == 0) {
			show_builtin(dm);
			dm->state = DM_LISTING;   /* then the default, if another is */
		}
		dash_model_refresh_list(dm);
		break;
	}
	default:
		break;
	}
	dm->serial++;
	return true;
}

bool dash_model_on_error(struct dash_model *dm, json_t *msg)
{
	enum dash_action a;
	if (!ours(msg, &a))
		return false;
	const char *code = json_string_value(json_object_get(msg, "code"));
	const char *text = json_string_value(json_object_get(msg, "message"));
	const char *field = json_string_value(json_object_get(msg, "field"));
	if (a == DASH_LIST || (a == DASH_GET && dm->state == DM_LOADING)) {
		/* Nothing to load: the built-in default stays. */
		if (code != NULL && strcmp(code, "unavailable") == 0)
			dm->unavailable = true;
		if (dm->shown == NULL || (a == DASH_GET && dm->saved == NULL))
			show_builtin(dm);
		dm->state = DM_READY;
	}
	reply(dm, a, false, NULL);
	snprintf(dm->reply_error, sizeof dm->reply_error, "%s", text ? text : code ? code : "error");
	snprintf(dm->reply_field, sizeof dm->reply_field, "%s", field ? field : "");
	dm->serial++;
	return true;
}

/* ---- aggregates ---------------------------------------------------------------------- */

bool dash_type_reads_aggregate(enum dash_type t)
{
	return t == DW_EXECUTION_CHART || t == DW_SUCCESS_RATE || t == DW_PERFORMANCE_METRICS ||
	       t == DW_WORKFLOW_HEALTH;
}

/* The room a widget reads: only a chart of one workflow needs an answer of
 * its own (its trend); the rest read the rows of all. -1 when the widget's
 * configuration names no valid room (then it shows that it has no figures). */
static int agg_room(const struct dash_widget *w, char room[PROTO_MAX_ROOM + 1])
{
	const char *wf = w->type == DW_EXECUTION_CHART ? w->cfg.workflow : "";
	const char *range = w->cfg.range[0] ? w->cfg.range : AGG_DEFAULT_RANGE;
	return metrics_room_format(range, wf, room, PROTO_MAX_ROOM + 1);
}

static struct dm_aggregate *agg_find(struct dash_model *dm, const char *room)
{
	for (size_t i = 0; i < DM_AGGREGATES; i++)
		if (dm->agg[i].room[0] && strcmp(dm->agg[i].room, room) == 0)
			return &dm->agg[i];
	return NULL;
}

const struct dm_aggregate *dash_model_aggregate(const struct dash_model *dm, const struct dash_widget *w)
{
	char room[PROTO_MAX_ROOM + 1];
	if (!dash_type_reads_aggregate(w->type) || agg_room(w, room) != 0)
		return NULL;
	return agg_find((struct dash_model *)dm, room);
}

void dash_model_want_aggregates(struct dash_model *dm, bool watching)
{
	for (size_t i = 0; i < DM_AGGREGATES; i++)
		dm->agg[i].used = false;
	for (size_t k = 0; watching && dm->shown != NULL && k < dm->shown->nwidgets; k++) {
		const struct dash_widget *w = &dm->shown->widgets[k];
		char room[PROTO_MAX_ROOM + 1];
		if (!dash_type_reads_aggregate(w->type) || agg_room(w, room) != 0)
			continue;
		struct dm_aggregate *slot = agg_find(dm, room);
		if (slot != NULL) {
			slot->used = true;
			continue;
		}
		/* A new room takes a slot no widget reads (bounded: the rest wait). */
		for (size_t i = 0; i < DM_AGGREGATES && slot == NULL; i++)
			if (!dm->agg[i].used && !dm->agg[i].wanted)
				slot = &dm->agg[i];
		if (slot == NULL)
			continue;
		snprintf(slot->room, sizeof slot->room, "%s", room);
		slot->used = true;
		slot->m.has_data = false;
		slot->m.state = MSTATE_PENDING;
	}
}

bool dash_model_on_push(struct dash_model *dm, const char *room, json_t *data)
{
	struct dm_aggregate *a = agg_find(dm, room);
	if (a == NULL || !json_is_object(data))
		return false;
	metrics_model_take(&a->m, data, json_string_value(json_object_get(data, "error")));
	dm->serial++;
	return true;
}
