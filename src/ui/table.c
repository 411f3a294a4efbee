/* table.c: columns laid out by display width (see ui_view.h): every view's
 * table (executions, steps, queue, alerts, rules, top consumers) gets its
 * column widths and positions here, so that a cell never runs into the
 * next one, whatever the language.
 *
 * Invariants: a column's width is at least its title's and its `min`, and
 * the columns shown are one blank apart (x[c + 1] >= x[c] + w[c] + 1); a
 * cell is drawn inside its width only (ui_text cuts with an ellipsis), so
 * nothing ever touches the next column. */
#include "ui_view.h"

#include <string.h>

#include "ui_screen.h"

int ui_words_width(const char *const *words, size_t n)
{
	int w = 0;
	for (size_t i = 0; i < n; i++) {
		int x = words[i] != NULL ? ui_width(words[i]) : 0;
		if (x > w)
			w = x;
	}
	return w;
}

static int col_base(const struct ui_col *c)
{
	int t = c->title != NULL ? ui_width(c->title) : 0;
	return c->min > t ? c->min : t;
}

void ui_table_layout(struct ui_table *t, const struct ui_col *cols, size_t n, int x0, int width)
{
	memset(t, 0, sizeof *t);
	t->cols = cols;
	t->n = n < UI_TABLE_MAX_COLS ? n : UI_TABLE_MAX_COLS;
	for (size_t c = 0; c < t->n; c++)
		t->on[c] = true;
	/* Drop columns in their order until the rest fits at their base width. */
	int need = 0;
	for (int round = 1;; round++) {
		need = 0;
		bool more = false;
		for (size_t c = 0; c < t->n; c++) {
			if (!t->on[c])
				continue;
			need += col_base(&cols[c]) + 1;
			more = more || cols[c].drop >= round;
		}
		need -= 1;   /* no blank after the last */
		if (need <= width || !more)
			break;
		for (size_t c = 0; c < t->n; c++)
			if (cols[c].drop == round)
				t->on[c] = false;
	}
	int spare = width - need;
	for (size_t c = 0; c < t->n; c++)
		t->w[c] = t->on[c] ? col_base(&cols[c]) : 0;
	/* First what the columns would like to show whole, in order... */
	for (size_t c = 0; c < t->n && spare > 0; c++) {
		if (!t->on[c] || cols[c].want <= t->w[c])
			continue;
		int add = cols[c].want - t->w[c];
		if (add > spare)
			add = spare;
		t->w[c] += add;
		spare -= add;
	}
	/* ...then the rest to the flexible ones, by their shares. */
	int flex = 0;
	for (size_t c = 0; c < t->n; c++)
		if (t->on[c])
			flex += cols[c].flex;
	if (flex > 0 && spare > 0) {
		int given = 0, last = -1;
		for (size_t c = 0; c < t->n; c++) {
			if (!t->on[c] || cols[c].flex == 0)
				continue;
			int add = spare * cols[c].flex / flex;
			t->w[c] += add;
			given += add;
			last = (int)c;
		}
		if (last >= 0)
			t->w[last] += spare - given;
	}
	int x = x0;
	for (size_t c = 0; c < t->n; c++) {
		if (!t->on[c])
			continue;
		t->x[c] = x;
		x += t->w[c] + 1;
	}
}

void ui_table_cell(const struct ui_table *t, int y, size_t col, enum ui_element el, const char *text)
{
	if (col >= t->n || !t->on[col] || t->w[col] <= 0 || text == NULL)
		return;
	if (t->cols[col].right)
		ui_text_right(y, t->x[col], t->w[col], el, text);
	else
		ui_text(y, t->x[col], t->w[col], el, text);
}

void ui_table_header(const struct ui_table *t, int y, enum ui_element el)
{
	for (size_t c = 0; c < t->n; c++)
		ui_table_cell(t, y, c, el, t->cols[c].title);
}
