/* test_widgets.c: the shared list helpers (selection kept on an id, moved,
 * the scroll window), the text pane's keys, the step status colours and the
 * executable's folder. Nothing here draws. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "ui_view.h"
#include "ui_widget.h"

static void test_sel_follow(void **state)
{
	(void)state;
	size_t sel = 3;
	ui_sel_follow(&sel, 10, 7);      /* the id moved to row 7 */
	assert_int_equal(sel, 7);
	ui_sel_follow(&sel, 10, -1);     /* the id left: stay in place */
	assert_int_equal(sel, 7);
	ui_sel_follow(&sel, 4, -1);      /* ... on the last row when the list shrank */
	assert_int_equal(sel, 3);
	ui_sel_follow(&sel, 0, -1);      /* empty */
	assert_int_equal(sel, 0);
	sel = 2;
	ui_sel_follow(&sel, 3, 5);       /* a stale index past the end is no find */
	assert_int_equal(sel, 2);
}

static void test_sel_move(void **state)
{
	(void)state;
	size_t sel = 5;
	assert_false(ui_sel_move(&sel, 0, 1));
	assert_int_equal(sel, 0);
	sel = 5;
	assert_true(ui_sel_move(&sel, 10, 0));
	assert_int_equal(sel, 5);
	assert_true(ui_sel_move(&sel, 10, -1));
	assert_int_equal(sel, 4);
	assert_true(ui_sel_move(&sel, 10, 3));
	assert_int_equal(sel, 7);
	assert_true(ui_sel_move(&sel, 10, 10));   /* a page past the end */
	assert_int_equal(sel, 9);
	assert_true(ui_sel_move(&sel, 10, -10));  /* ... and past the top */
	assert_int_equal(sel, 0);
	/* Home and End: deltas far past either end. */
	sel = 4;
	assert_true(ui_sel_move(&sel, 10, LONG_MAX));
	assert_int_equal(sel, 9);
	assert_true(ui_sel_move(&sel, 10, LONG_MIN));
	assert_int_equal(sel, 0);
	/* A selection past the end is clamped first. */
	sel = 20;
	assert_true(ui_sel_move(&sel, 10, 0));
	assert_int_equal(sel, 9);
}

static void test_scroll_clamp(void **state)
{
	(void)state;
	size_t top = 0;
	ui_scroll_clamp(0, &top, 5, 20);
	assert_int_equal(top, 0);
	ui_scroll_clamp(4, &top, 5, 20);          /* still in view */
	assert_int_equal(top, 0);
	ui_scroll_clamp(5, &top, 5, 20);          /* one below: scroll by one */
	assert_int_equal(top, 1);
	ui_scroll_clamp(19, &top, 5, 20);         /* the end */
	assert_int_equal(top, 15);
	ui_scroll_clamp(3, &top, 5, 20);          /* back above the window */
	assert_int_equal(top, 3);
	/* The list shrank under a scrolled window: no blank rows at the bottom. */
	top = 15;
	ui_scroll_clamp(16, &top, 5, 18);
	assert_int_equal(top, 13);
	top = 15;
	ui_scroll_clamp(2, &top, 5, 3);           /* fits whole: from the top */
	assert_int_equal(top, 0);
	/* A window taller than the list. */
	top = 2;
	ui_scroll_clamp(1, &top, 10, 4);
	assert_int_equal(top, 0);
	/* No body: nothing to do. */
	top = 7;
	ui_scroll_clamp(3, &top, 0, 10);
	assert_int_equal(top, 7);
}

static void test_textpane_keys(void **state)
{
	(void)state;
	struct ui_textpane t = { 0 };
	for (int i = 0; i < 30; i++) {
		char line[24];
		snprintf(line, sizeof line, "line %d", i);
		ui_textpane_add(&t, UI_NORMAL, line);
	}
	t.rows = 10;
	assert_true(ui_textpane_key(&t, KEY_DOWN));
	assert_int_equal(t.top, 1);
	assert_true(ui_textpane_key(&t, 'j'));
	assert_int_equal(t.top, 2);
	assert_true(ui_textpane_key(&t, 'k'));
	assert_int_equal(t.top, 1);
	assert_true(ui_textpane_key(&t, KEY_NPAGE));   /* a page is rows - 1 */
	assert_int_equal(t.top, 10);
	assert_true(ui_textpane_key(&t, KEY_PPAGE));
	assert_int_equal(t.top, 1);
	assert_true(ui_textpane_key(&t, 'G'));
	assert_int_equal(t.top, 20);
	assert_true(t.follow);
	assert_true(ui_textpane_key(&t, KEY_UP));
	assert_int_equal(t.top, 19);
	assert_false(t.follow);
	assert_true(ui_textpane_key(&t, KEY_END));
	assert_true(t.follow);
	assert_true(ui_textpane_key(&t, 'g'));
	assert_int_equal(t.top, 0);
	assert_true(ui_textpane_key(&t, KEY_HOME));
	assert_int_equal(t.top, 0);
	assert_false(ui_textpane_key(&t, 'x'));
	assert_false(ui_textpane_key(&t, KEY_LEFT));
	ui_textpane_clear(&t);
}

static void test_step_status_element(void **state)
{
	(void)state;
	assert_int_equal(ui_step_status_element(STEP_PENDING), UI_STATUS_PENDING);
	assert_int_equal(ui_step_status_element(STEP_RUNNING), UI_STATUS_RUNNING);
	assert_int_equal(ui_step_status_element(STEP_COMPLETED), UI_STATUS_OK);
	assert_int_equal(ui_step_status_element(STEP_FAILED), UI_STATUS_FAILED);
	assert_int_equal(ui_step_status_element(STEP__COUNT), UI_NORMAL);
}

static void test_exe_dir(void **state)
{
	(void)state;
	char dir[PATH_MAX];
	i18n_exe_dir(dir, sizeof dir);
	assert_true(dir[0] == '/');
	assert_true(i18n_dir_exists(dir));
	/* This test's binary sits in BUILD/tests. */
	size_t n = strlen(dir);
	assert_true(n >= 6 && strcmp(dir + n - 6, "/tests") == 0);
	assert_false(i18n_dir_exists("/proc/self/exe"));       /* a file */
	assert_false(i18n_dir_exists("/nonexistent-wfmon-dir"));
	char small[4];
	i18n_exe_dir(small, sizeof small);                     /* cut, still a string */
	assert_true(strlen(small) < sizeof small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sel_follow),
		cmocka_unit_test(test_sel_move),
		cmocka_unit_test(test_scroll_clamp),
		cmocka_unit_test(test_textpane_keys),
		cmocka_unit_test(test_step_status_element),
		cmocka_unit_test(test_exe_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
