/* ui_graph.h: history graphs drawn with text: Braille dots, block elements or
 * plain ASCII (like htop's graph meters).
 *
 * ui_graph_render is pure (strings out, no curses) so that it can be tested;
 * ui_graph_draw puts its rows on the screen in one element. The newest point
 * is at the right edge; older points that do not fit fall off the left. */
#ifndef WFMON_UI_GRAPH_H
#define WFMON_UI_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "ui_theme.h"
#include "ui_widget.h"

enum ui_graph_style {
	GRAPH_BRAILLE,   /* 2 points a column, 4 levels a row (U+2800..U+28FF) */
	GRAPH_BLOCK,     /* 1 point a column, 8 levels a row (U+2581..U+2588) */
	GRAPH_ASCII,     /* 1 point a column, 2 levels a row: '.' half, '#' full */
};

/* Points one column holds in a style. */
int ui_graph_points_per_col(enum ui_graph_style style);

/* Renders the last points of vals[0..n) (oldest first) into height rows of
 * width columns; rows[0] is the top row, each a NUL-terminated string of at
 * most rowlen bytes (rowlen >= 3 * width + 1 holds any row). Values are scaled
 * to max (max <= 0: the largest value, at least 1); a value above 0 shows at
 * least one level, so a single queued item is never invisible; negative
 * values (unknown) and missing points are blank. */
void ui_graph_render(const double *vals, size_t n, double max, int width, int height,
		     enum ui_graph_style style, char **rows, size_t rowlen);

/* Draws a graph in r with element el: Braille (or blocks when blocks is
 * true), ASCII when the screen is in ASCII mode. */
void ui_graph_draw(struct ui_rect r, const double *vals, size_t n, double max, bool blocks,
		   enum ui_element el);

#endif
