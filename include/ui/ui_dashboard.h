/* ui_dashboard.h: the dashboard view's parts shared by its two files:
 * dashboard_view.c (the view: layout, selection, keys, the editor, the
 * type picker) and dashboard_widgets.c (one row per widget type: its
 * default title, a one-line description for the picker, draw and open).
 *
 * The cache holds what the widgets show, computed from the model by
 * dashboard_data.h when the model changed (or a second passed, for stale
 * executions), never inside a draw. Its pointers are borrowed from the
 * model and valid until the model next changes, when it is rebuilt. */
#ifndef WFMON_UI_DASHBOARD_H
#define WFMON_UI_DASHBOARD_H

#include "dashboard.h"
#include "dashboard_data.h"
#include "ui_view.h"

#define UI_DASH_RUNNING_MAX 40
#define UI_DASH_HEALTH_MAX 40
#define UI_DASH_DEADLINES_MAX 8

struct ui_dash_cache {
	uint64_t execs_serial, dash_serial;
	uint64_t health_serial;     /* the health room's, for overdue workflows */
	int64_t built_s;                         /* now_ms / 1000 when built */
	uint64_t alerts_seen;
	struct dd_summary summary;
	struct dd_health health[UI_DASH_HEALTH_MAX];
	size_t nhealth;
	/* per widget of the shown dashboard, by index; the last slot is the picker's preview */
	const struct model_exec *running[DASH_MAX_WIDGETS + 1][UI_DASH_RUNNING_MAX];
	size_t nrunning[DASH_MAX_WIDGETS + 1];
	struct dd_deadline deadlines[DASH_MAX_WIDGETS + 1][UI_DASH_DEADLINES_MAX];
	size_t ndeadlines[DASH_MAX_WIDGETS + 1];
};

struct ui_dash_type {
	const char *title;        /* N_(): the default title */
	const char *about;        /* N_(): the picker's description */
	void (*draw)(struct ui *ui, const struct dash_widget *w, struct ui_rect r);
	/* Enter: the full view behind the widget. */
	void (*open)(struct ui *ui, const struct dash_widget *w);
};

const struct ui_dash_type *ui_dash_type_of(enum dash_type t);
/* The cache, brought up to date with the model first (dashboard_view.c). */
const struct ui_dash_cache *ui_dashboard_cache(struct ui *ui);
/* A widget's slot in the cache: its index in the shown dashboard, or
 * DASH_MAX_WIDGETS for the picker's preview. */
size_t ui_dashboard_slot(struct ui *ui, const struct dash_widget *w);

#endif
