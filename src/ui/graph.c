/* graph.c: text history graphs (see ui_graph.h).
 *
 * Invariants: every row rendered holds exactly width columns (blank cells are
 * spaces) and never more than rowlen bytes; a cell's level is a whole number
 * of sub-levels between 0 and the style's levels per row. */
#include "ui_graph.h"

#include <math.h>
#include <string.h>

#include "ui_screen.h"

#define GRAPH_MAX_COLS 1024
#define GRAPH_MAX_ROWS 64

static const struct {
	int per_col;     /* points per column */
	int levels;      /* levels per row */
} styles[] = {
	[GRAPH_BRAILLE] = { 2, 4 },
	[GRAPH_BLOCK] = { 1, 8 },
	[GRAPH_ASCII] = { 1, 2 },
};

int ui_graph_points_per_col(enum ui_graph_style style)
{
	return styles[style].per_col;
}

/* Appends a code point as UTF-8 (only U+0020..U+FFFF are used here). */
static size_t put_cp(char *out, size_t k, size_t len, unsigned cp)
{
	if (cp < 0x80) {
		if (k + 1 >= len)
			return k;
		out[k++] = (char)cp;
	} else {
		if (k + 3 >= len)
			return k;
		out[k++] = (char)(0xe0 | (cp >> 12));
		out[k++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[k++] = (char)(0x80 | (cp & 0x3f));
	}
	out[k] = '\0';
	return k;
}

/* The level of one point over the whole height: 0..height*levels; -1 blank. */
static int point_level(double v, double max, int height, int levels)
{
	if (!(v > 0) || isnan(v))
		return v == 0 ? 0 : -1;
	int total = height * levels;
	int l = (int)lround(v / max * total);
	if (l < 1)
		l = 1;
	return l > total ? total : l;
}

/* Braille dots of one column filled to fill (0..4) from the bottom. */
static unsigned braille_bits(int fill, bool right)
{
	static const unsigned left_bits[4] = { 0x40, 0x04, 0x02, 0x01 };
	static const unsigned right_bits[4] = { 0x80, 0x20, 0x10, 0x08 };
	unsigned b = 0;
	for (int i = 0; i < fill && i < 4; i++)
		b |= right ? right_bits[i] : left_bits[i];
	return b;
}

/* What part of row (counted from the bottom) a level fills: 0..levels. */
static int row_fill(int level, int row_from_bottom, int levels)
{
	int f = level - row_from_bottom * levels;
	return f < 0 ? 0 : f > levels ? levels : f;
}

void ui_graph_render(const double *vals, size_t n, double max, int width, int height,
		     enum ui_graph_style style, char **rows, size_t rowlen)
{
	if (width > GRAPH_MAX_COLS)
		width = GRAPH_MAX_COLS;
	if (height > GRAPH_MAX_ROWS)
		height = GRAPH_MAX_ROWS;
	if (width < 0)
		width = 0;
	int per = styles[style].per_col, levels = styles[style].levels;
	if (max <= 0) {
		max = 1;
		for (size_t i = 0; i < n; i++)
			if (vals[i] > max)
				max = vals[i];
	}
	/* The window of points shown: the newest width * per, right-aligned. */
	size_t want = (size_t)width * (size_t)per;
	size_t first = n > want ? n - want : 0;
	long pad = (long)want - (long)(n - first);   /* blank points on the left */
	static int lv[GRAPH_MAX_COLS * 2];
	for (size_t i = 0; i < want; i++) {
		long src = (long)i - pad;
		lv[i] = src < 0 ? -1 : point_level(vals[first + (size_t)src], max, height, levels);
	}
	for (int r = 0; r < height; r++) {
		int from_bottom = height - 1 - r;
		size_t k = 0;
		rows[r][0] = '\0';
		for (int c = 0; c < width; c++) {
			unsigned cp = ' ';
			if (style == GRAPH_BRAILLE) {
				int a = lv[c * 2], b = lv[c * 2 + 1];
				unsigned bits = (a > 0 ? braille_bits(row_fill(a, from_bottom, 4), false) : 0) |
						(b > 0 ? braille_bits(row_fill(b, from_bottom, 4), true) : 0);
				cp = bits ? 0x2800 + bits : ' ';
			} else {
				int f = lv[c] > 0 ? row_fill(lv[c], from_bottom, levels) : 0;
				if (style == GRAPH_BLOCK)
					cp = f ? 0x2580 + (unsigned)f : ' ';
				else
					cp = f == 2 ? '#' : f == 1 ? '.' : ' ';
			}
			k = put_cp(rows[r], k, rowlen, cp);
		}
	}
}

void ui_graph_draw(struct ui_rect r, const double *vals, size_t n, double max, bool blocks,
		   enum ui_element el)
{
	if (r.w <= 0 || r.h <= 0)
		return;
	int w = r.w > GRAPH_MAX_COLS ? GRAPH_MAX_COLS : r.w;
	int h = r.h > GRAPH_MAX_ROWS ? GRAPH_MAX_ROWS : r.h;
	enum ui_graph_style style = ui_screen_ascii() ? GRAPH_ASCII : blocks ? GRAPH_BLOCK : GRAPH_BRAILLE;
	static char buf[GRAPH_MAX_ROWS][GRAPH_MAX_COLS * 3 + 1];
	char *rows[GRAPH_MAX_ROWS];
	for (int i = 0; i < h; i++)
		rows[i] = buf[i];
	ui_graph_render(vals, n, max, w, h, style, rows, sizeof buf[0]);
	for (int i = 0; i < h; i++)
		ui_text(r.y + i, r.x, w, el, rows[i]);
}
