/* ui_widget.h: widgets as a small const operations struct (like htop's Meter).
 *
 * update pulls what the widget shows out of the console state (no drawing);
 * draw paints it into a rectangle; key handles a key while it has the focus
 * (returns true when it used it); free releases its state. Any op may be NULL. */
#ifndef WFMON_UI_WIDGET_H
#define WFMON_UI_WIDGET_H

#include <stdbool.h>
#include <stddef.h>

#include "ui_theme.h"

struct ui;

struct ui_rect {
	int y, x, h, w;
};

struct ui_widget;

struct ui_widget_ops {
	const char *name;
	void (*update)(struct ui_widget *w, struct ui *ui);
	void (*draw)(struct ui_widget *w, struct ui *ui, struct ui_rect r);
	bool (*key)(struct ui_widget *w, struct ui *ui, int key);
	void (*free)(struct ui_widget *w);
};

struct ui_widget {
	const struct ui_widget_ops *ops;
	void *state;
};

/* A scrollable list of text lines, each with an element (log, JSON, help). */
struct ui_textpane {
	char **lines;
	enum ui_element *els;
	size_t n, cap;
	size_t max_lines;     /* oldest lines drop past this; 0 = no limit */
	size_t top;           /* first line shown */
	int rows;             /* rows shown at the last draw */
	bool follow;          /* keep the last line in view */
};

extern const struct ui_widget_ops ui_header_ops;
extern const struct ui_widget_ops ui_footer_ops;
extern const struct ui_widget_ops ui_textpane_ops;
extern const struct ui_widget_ops ui_help_ops;

/* State for a header widget (freed by its ops->free). */
void *ui_header_state_new(void);

void ui_textpane_clear(struct ui_textpane *t);
void ui_textpane_add(struct ui_textpane *t, enum ui_element el, const char *line);
/* Adds text that may hold newlines, one line each. */
void ui_textpane_add_text(struct ui_textpane *t, enum ui_element el, const char *text);
/* Scrolls by delta lines (negative: up); leaving the bottom stops following. */
void ui_textpane_scroll(struct ui_textpane *t, long delta);
void ui_textpane_home(struct ui_textpane *t);
/* To the end, and follow again. */
void ui_textpane_end(struct ui_textpane *t);
/* The pane's keys (Up/Down/j/k, PgUp/PgDn, Home/End/g/G) while it has the
 * focus; true when key was one of them. */
bool ui_textpane_key(struct ui_textpane *t, int key);

/* ---- list selection and scrolling ----------------------------------------------
 * A list view keeps its selection on an id (rows come and go as events
 * arrive) and scrolls its window to show the selection. */

/* The selection after the list was rebuilt: found is the row now holding the
 * selected id (-1 when it left or nothing was selected). It goes to that row,
 * else stays where it was (the last row when the list got shorter), 0 when
 * the list is empty. */
void ui_sel_follow(size_t *sel, size_t n, long found);
/* Moves the selection by delta rows, clamped to the n rows. Returns false when
 * the list is empty (no row is selected: the caller clears its id), true when
 * the caller should keep the id of row *sel. */
bool ui_sel_move(size_t *sel, size_t n, long delta);
/* Scrolls a window of body rows over n rows so that it shows sel, without a
 * blank tail when the rows would fill it (after the list got shorter). */
void ui_scroll_clamp(size_t sel, size_t *top, size_t body, size_t n);

/* "label value" then a gap, from column x up to lim; returns the next column.
 * UI_PAIR_BODY: muted label, three spaces; UI_PAIR_HEADER: header label
 * colours, two spaces. */
enum ui_pair_style { UI_PAIR_BODY, UI_PAIR_HEADER };
int ui_pair(int y, int x, int lim, enum ui_pair_style style, const char *label, const char *value,
	    enum ui_element value_el);

/* OSC 52 "copy to clipboard" for data: a new string; wrapped in tmux's
 * passthrough when in_tmux. NULL when data is too large (over 256 KiB). */
char *ui_osc52_new(const char *data, size_t len, bool in_tmux);

#endif
