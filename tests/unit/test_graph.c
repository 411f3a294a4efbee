/* test_graph.c: the text history graphs: Braille, block and ASCII rendering,
 * scaling, right alignment, blanks for unknown values, row widths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "ui_graph.h"

#define W 8
#define H 4

static char buf[H][W * 3 + 1];
static char *rows[H] = { buf[0], buf[1], buf[2], buf[3] };

static void render(const double *v, size_t n, double max, int width, int height, enum ui_graph_style st)
{
	memset(buf, 'Z', sizeof buf);
	ui_graph_render(v, n, max, width, height, st, rows, sizeof buf[0]);
}

static void test_ascii(void **state)
{
	(void)state;
	/* Two rows of two levels: 0, 1/4, 1/2, 3/4, full. */
	const double v[] = { 0, 1, 2, 3, 4 };
	render(v, 5, 4, 5, 2, GRAPH_ASCII);
	assert_string_equal(buf[0], "   .#");
	assert_string_equal(buf[1], " .###");
	/* Fewer points than columns: right-aligned, blanks on the left. */
	render(v + 4, 1, 4, 3, 2, GRAPH_ASCII);
	assert_string_equal(buf[0], "  #");
	assert_string_equal(buf[1], "  #");
	/* More points than columns: the newest win. */
	const double w[] = { 4, 4, 4, 0, 0 };
	render(w, 5, 4, 2, 1, GRAPH_ASCII);
	assert_string_equal(buf[0], "  ");
}

static void test_small_values_stay_visible(void **state)
{
	(void)state;
	/* One item against a scale of 1000 still shows one level. */
	const double v[] = { 1, 0, -1 };
	render(v, 3, 1000, 3, 2, GRAPH_ASCII);
	assert_string_equal(buf[1], ".  ");
	assert_string_equal(buf[0], "   ");
	/* Above the scale: clipped to full. */
	const double big[] = { 5000 };
	render(big, 1, 1000, 1, 2, GRAPH_ASCII);
	assert_string_equal(buf[0], "#");
}

static void test_auto_scale(void **state)
{
	(void)state;
	const double v[] = { 5, 10 };
	render(v, 2, 0, 2, 1, GRAPH_ASCII);
	assert_string_equal(buf[0], ".#");
}

static void test_block(void **state)
{
	(void)state;
	/* Eight levels a row: 1/8 of one row is U+2581, full is U+2588. */
	const double v[] = { 1, 8, 12 };
	render(v, 3, 16, 3, 2, GRAPH_BLOCK);
	assert_string_equal(buf[1], "\u2581\u2588\u2588");
	assert_string_equal(buf[0], "  \u2584");
}

static void test_braille(void **state)
{
	(void)state;
	/* Two points a column: left full (4 dots), right one dot at the bottom. */
	const double v[] = { 4, 1 };
	render(v, 2, 4, 1, 1, GRAPH_BRAILLE);
	/* dots 7,3,2,1 (0x47) on the left, dot 8 (0x80) on the right. */
	assert_string_equal(buf[0], "\u28c7");
	/* Odd count: right-aligned, so the first column holds a blank and 2 (dots 8, 6). */
	const double o[] = { 2, 4, 4 };
	render(o, 3, 4, 2, 1, GRAPH_BRAILLE);
	assert_string_equal(buf[0], "\u28a0\u28ff");
	/* Two rows: half of the height fills the bottom row only. */
	const double h[] = { 4, 4 };
	render(h, 2, 8, 1, 2, GRAPH_BRAILLE);
	assert_string_equal(buf[0], " ");
	assert_string_equal(buf[1], "\u28ff");
	assert_int_equal(ui_graph_points_per_col(GRAPH_BRAILLE), 2);
	assert_int_equal(ui_graph_points_per_col(GRAPH_BLOCK), 1);
}

static void test_row_bounds(void **state)
{
	(void)state;
	/* A row buffer too small for the width: cut, still terminated. */
	char small[7];
	char *r[1] = { small };
	const double v[] = { 1, 1, 1, 1 };
	ui_graph_render(v, 4, 1, 4, 1, GRAPH_BLOCK, r, sizeof small);
	assert_int_equal(strlen(small), 6);
	/* No points at all: blank rows of the full width. */
	render(NULL, 0, 1, W, H, GRAPH_BRAILLE);
	for (int i = 0; i < H; i++)
		assert_string_equal(buf[i], "        ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_small_values_stay_visible),
		cmocka_unit_test(test_auto_scale),
		cmocka_unit_test(test_block),
		cmocka_unit_test(test_braille),
		cmocka_unit_test(test_row_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
