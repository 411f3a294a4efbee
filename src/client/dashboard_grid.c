/* dashboard_grid.c: laying a dashboard out on a terminal, the built-in
 * default, and the editor's changes with undo (see dashboard_grid.h).
 *
 * Invariants: the editor changes a dashboard only through checks of
 * dashboard_place_ok, so it stays valid; the undo stack holds at most
 * DG_UNDO copies, the oldest dropped first. */
#include "dashboard_grid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static int edge(int i, int columns, int cols)
{
	return (int)((long)i * cols / columns);
}

static int reading_cmp(const struct dashboard *d, size_t a, size_t b)
{
	const struct dash_widget *wa = &d->widgets[a], *wb = &d->widgets[b];
	if (wa->y != wb->y)
		return wa->y < wb->y ? -1 : 1;
	if (wa->x != wb->x)
		return wa->x < wb->x ? -1 : 1;
	return a < b ? -1 : a > b;
}

void dashboard_grid_layout(const struct dashboard *d, int cols, struct dg_layout *out)
{
	memset(out, 0, sizeof *out);
	out->n = d->nwidgets;
	int columns = d->columns > 0 ? d->columns : DASH_MAX_COLUMNS;
	for (size_t i = 0; i < d->nwidgets; i++) {
		/* Insertion sort: at most DASH_MAX_WIDGETS. */
		size_t at = i;
		while (at > 0 && reading_cmp(d, out->order[at - 1], i) > 0) {
			out->order[at] = out->order[at - 1];
			at--;
		}
		out->order[at] = i;
		const struct dash_widget *w = &d->widgets[i];
		struct dg_rect *r = &out->rect[i];
		r->x = edge(w->x, columns, cols);
		r->w = edge(w->x + w->w, columns, cols) - r->x;
		r->y = w->y;
		r->h = w->h;
		if (r->w < DG_MIN_WIDTH)
			out->stacked = true;
	}
	if (out->stacked) {
		int y = 0;
		for (size_t k = 0; k < out->n; k++) {
			struct dg_rect *r = &out->rect[out->order[k]];
			r->x = 0;
			r->w = cols;
			r->y = y;
			y += r->h;
		}
	}
	for (size_t i = 0; i < out->n; i++)
		if (out->rect[i].y + out->rect[i].h > out->rows)
			out->rows = out->rect[i].y + out->rect[i].h;
}

size_t dashboard_grid_next(const struct dg_layout *l, size_t from, bool back)
{
	if (l->n == 0)
		return 0;
	size_t k = 0;
	while (k < l->n && l->order[k] != from)
		k++;
	if (k == l->n)
		return l->order[0];
	return l->order[back ? (k + l->n - 1) % l->n : (k + 1) % l->n];
}

size_t dashboard_grid_neighbour(const struct dg_layout *l, size_t from, enum dg_dir dir)
{
	if (from >= l->n)
		return from;
	const struct dg_rect *f = &l->rect[from];
	/* Centres doubled, to stay in integers. */
	long fx = 2L * f->x + f->w, fy = 2L * f->y + f->h;
	size_t best = from;
	long best_score = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (i == from)
			continue;
		const struct dg_rect *r = &l->rect[i];
		long cx = 2L * r->x + r->w, cy = 2L * r->y + r->h;
		long along, across;
		bool ahead;
		switch (dir) {
		case DG_LEFT: ahead = r->x + r->w <= f->x; along = fx - cx; across = labs(cy - fy); break;
		case DG_RIGHT: ahead = r->x >= f->x + f->w; along = cx - fx; across = labs(cy - fy); break;
		case DG_UP: ahead = r->y + r->h <= f->y; along = fy - cy; across = labs(cx - fx); break;
		default: ahead = r->y >= f->y + f->h; along = cy - fy; across = labs(cx - fx); break;
		}
		if (!ahead)
			continue;
		/* Straight ahead first: sideways distance counts double. */
		long score = along + 2 * across;
		if (best == from || score < best_score) {
			best = i;
			best_score = score;
		}
	}
	return best;
}

/* ---- sizes and the default ------------------------------------------------------------ */

void dashboard_type_default_size(enum dash_type t, int columns, int *w, int *h)
{
	static const struct { int w, h; } sizes[DW__COUNT] = {
		[DW_SUMMARY] = { 12, 3 },           [DW_ACTIVE_EXECUTIONS] = { 7, 7 },
		[DW_EXECUTION_CHART] = { 6, 6 },    [DW_SUCCESS_RATE] = { 4, 4 },
		[DW_PERFORMANCE_METRICS] = { 6, 6 }, [DW_QUEUE_STATUS] = { 4, 5 },
		[DW_RESOURCE_USAGE] = { 4, 5 },     [DW_ALERT_LIST] = { 5, 7 },
		[DW_WORKFLOW_HEALTH] = { 12, 5 },   [DW_STEP_BREAKDOWN] = { 6, 6 },
		[DW_TIMELINE] = { 12, 6 },          [DW_TAX_DEADLINES] = { 4, 5 },
	};
	int cw = (unsigned)t < DW__COUNT ? sizes[t].w : 4;
	/* Sizes are in twelfths of the width: the same share on any grid. */
	*w = (cw * columns + 11) / DASH_MAX_COLUMNS;
	if (*w < 1)
		*w = 1;
	*h = (unsigned)t < DW__COUNT ? sizes[t].h : 5;
}

static void put(struct dashboard *d, const char *id, enum dash_type t, int x, int y, int w, int h)
{
	struct dash_widget *wd = &d->widgets[d->nwidgets++];
	memset(wd, 0, sizeof *wd);
	snprintf(wd->id, sizeof wd->id, "%s", id);
	wd->type = t;
	wd->x = x;
	wd->y = y;
	wd->w = w;
	wd->h = h;
}

void dashboard_grid_default(struct dashboard *d, int rows)
{
	memset(d, 0, sizeof *d);
	snprintf(d->name, sizeof d->name, "default");
	d->columns = DASH_MAX_COLUMNS;
	/* 20 lines at 80x24; more lines go half to the lists, half to health. */
	int extra = rows > 20 ? rows - 20 : 0;
	int lists = 7 + extra / 2, health = 5 + extra - extra / 2;
	if (lists + 3 + 5 + health > DASH_MAX_ROWS)
		lists = health = 7;
	put(d, "summary", DW_SUMMARY, 0, 0, 12, 3);
	put(d, "running", DW_ACTIVE_EXECUTIONS, 0, 3, 7, lists);
	put(d, "alerts", DW_ALERT_LIST, 7, 3, 5, lists);
	put(d, "queue", DW_QUEUE_STATUS, 0, 3 + lists, 4, 5);
	put(d, "resources", DW_RESOURCE_USAGE, 4, 3 + lists, 4, 5);
	put(d, "tax", DW_TAX_DEADLINES, 8, 3 + lists, 4, 5);
	put(d, "health", DW_WORKFLOW_HEALTH, 0, 8 + lists, 12, health);
}

/* ---- editing ---------------------------------------------------------------------------- */

void dashboard_edit_init(struct dg_editor *e, struct dashboard *d)
{
	memset(e, 0, sizeof *e);
	e->d = d;
}

void dashboard_edit_free(struct dg_editor *e)
{
	for (size_t i = 0; i < e->nundo; i++)
		free(e->undo[i]);
	e->nundo = 0;
}

void dashboard_edit_push(struct dg_editor *e)
{
	struct dashboard *copy;
	if (e->nundo == DG_UNDO) {
		copy = e->undo[0];
		memmove(&e->undo[0], &e->undo[1], (DG_UNDO - 1) * sizeof e->undo[0]);
		e->nundo--;
	} else {
		copy = xmalloc(sizeof *copy);
	}
	*copy = *e->d;
	e->undo[e->nundo++] = copy;
}

bool dashboard_edit_undo(struct dg_editor *e)
{
	if (e->nundo == 0)
		return false;
	struct dashboard *prev = e->undo[--e->nundo];
	*e->d = *prev;
	free(prev);
	return true;
}

static bool place(struct dg_editor *e, size_t i, int x, int y, int w, int h)
{
	struct dashboard *d = e->d;
	if (i >= d->nwidgets || !dashboard_place_ok(d, i, x, y, w, h))
		return false;
	dashboard_edit_push(e);
	struct dash_widget *wd = &d->widgets[i];
	wd->x = x;
	wd->y = y;
	wd->w = w;
	wd->h = h;
	return true;
}

bool dashboard_edit_move(struct dg_editor *e, size_t i, int dx, int dy)
{
	if (i >= e->d->nwidgets)
		return false;
	const struct dash_widget *w = &e->d->widgets[i];
	return place(e, i, w->x + dx, w->y + dy, w->w, w->h);
}

bool dashboard_edit_resize(struct dg_editor *e, size_t i, int dw, int dh)
{
	if (i >= e->d->nwidgets)
		return false;
	const struct dash_widget *w = &e->d->widgets[i];
	return place(e, i, w->x, w->y, w->w + dw, w->h + dh);
}

bool dashboard_edit_add(struct dg_editor *e, enum dash_type type, int w, int h, size_t *index)
{
	struct dashboard *d = e->d;
	if (d->nwidgets >= DASH_MAX_WIDGETS)
		return false;
	if (w > d->columns)
		w = d->columns;
	int x, y;
	if (!dashboard_find_place(d, w, h, &x, &y))
		return false;
	dashboard_edit_push(e);
	struct dash_widget *wd = &d->widgets[d->nwidgets];
	memset(wd, 0, sizeof *wd);
	dashboard_new_widget_id(d, wd->id, sizeof wd->id);
	wd->type = type;
	wd->x = x;
	wd->y = y;
	wd->w = w;
	wd->h = h;
	*index = d->nwidgets++;
	return true;
}

bool dashboard_edit_remove(struct dg_editor *e, size_t i)
{
	struct dashboard *d = e->d;
	if (i >= d->nwidgets)
		return false;
	dashboard_edit_push(e);
	memmove(&d->widgets[i], &d->widgets[i + 1], (d->nwidgets - i - 1) * sizeof d->widgets[0]);
	d->nwidgets--;
	return true;
}
