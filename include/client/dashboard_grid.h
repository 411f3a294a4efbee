/* dashboard_grid.h: a dashboard's grid on a terminal, and editing it.
 *
 * Layout: the dashboard's `columns` columns share the terminal's width (the
 * edges at x * cols / columns, so widths differ by at most one cell); rows
 * are terminal lines. When the terminal is too narrow for that (a widget
 * would get fewer than DG_MIN_WIDTH cells), the widgets stack instead, full
 * width, in reading order (y, then x), each with its own height: nothing is
 * cut and nothing overlaps; the view scrolls over `rows`.
 *
 * Editing: every change goes through these functions and is refused (false)
 * when the result would leave the grid or overlap another widget, so the
 * dashboard always passes dashboard_parse's rules. Each accepted change
 * first pushes the previous state on a bounded undo stack.
 *
 * Pure: no curses, no sockets. The editor owns its undo copies. */
#ifndef WFMON_DASHBOARD_GRID_H
#define WFMON_DASHBOARD_GRID_H

#include <stdbool.h>
#include <stddef.h>

#include "dashboard.h"

#define DG_MIN_WIDTH 14     /* cells: below this, stack */
#define DG_UNDO 8           /* changes that can be undone */

struct dg_rect {
	int y, x, h, w;     /* cells; y from the dashboard's first line */
};

struct dg_layout {
	bool stacked;
	int rows;                                 /* lines the whole layout needs */
	size_t n;
	struct dg_rect rect[DASH_MAX_WIDGETS];    /* per widget, in the dashboard's order */
	size_t order[DASH_MAX_WIDGETS];           /* widget indexes in reading order */
};

/* Lays d out on a terminal `cols` wide. */
void dashboard_grid_layout(const struct dashboard *d, int cols, struct dg_layout *out);

enum dg_dir { DG_LEFT, DG_RIGHT, DG_UP, DG_DOWN };
/* The widget nearest to `from` in a direction (by the rectangles' centres),
 * or `from` itself when there is none. */
size_t dashboard_grid_neighbour(const struct dg_layout *l, size_t from, enum dg_dir dir);
/* The next (or previous) widget in reading order. */
size_t dashboard_grid_next(const struct dg_layout *l, size_t from, bool back);

/* The built-in dashboard for a body of `rows` lines: summary; running
 * executions and recent alerts; queue, resources and tax deadlines;
 * workflow health. Taller terminals give the lists more lines. */
void dashboard_grid_default(struct dashboard *d, int rows);

/* The editor: the dashboard being changed and its undo stack. */
struct dg_editor {
	struct dashboard *d;                 /* borrowed */
	struct dashboard *undo[DG_UNDO];     /* owned copies, oldest first */
	size_t nundo;
};
void dashboard_edit_init(struct dg_editor *e, struct dashboard *d);
void dashboard_edit_free(struct dg_editor *e);
/* Each returns true when the change was made (and can be undone). */
bool dashboard_edit_move(struct dg_editor *e, size_t i, int dx, int dy);
bool dashboard_edit_resize(struct dg_editor *e, size_t i, int dw, int dh);
/* Adds a widget of the type at the first free place (w columns, h lines,
 * shrunk to the grid); *index gets it. False when full or no place. */
bool dashboard_edit_add(struct dg_editor *e, enum dash_type type, int w, int h, size_t *index);
bool dashboard_edit_remove(struct dg_editor *e, size_t i);
/* Title, configuration or name: the caller changes d after this call. */
void dashboard_edit_push(struct dg_editor *e);
/* Restores the state before the last change; false when none. */
bool dashboard_edit_undo(struct dg_editor *e);

/* A type's default size in grid columns (of 12) and lines. */
void dashboard_type_default_size(enum dash_type t, int columns, int *w, int *h);

#endif
