/* test_theme.c: theme parsing, every shipped theme, errors naming the line,
 * colour degradation, OSC 52 encoding and duration formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "ui_theme.h"
#include "ui_widget.h"

static void test_parse_good(void **state)
{
	(void)state;
	struct ui_theme t;
	ui_theme_builtin(&t);
	char cause[512] = "";
	const char *text = "# comment\n\n  header = white on blue bold  # trailing\n"
			   "status_ok = 33 underline\nselection = reverse\nmuted = bright-black on 236 dim\n";
	assert_int_equal(ui_theme_parse(&t, text, "x.theme", cause, sizeof cause), 0);
	assert_int_equal(t.styles[UI_HEADER].fg, 7);
	assert_int_equal(t.styles[UI_HEADER].bg, 4);
	assert_int_equal(t.styles[UI_HEADER].attrs, UI_ATTR_BOLD);
	assert_int_equal(t.styles[UI_STATUS_OK].fg, 33);
	assert_int_equal(t.styles[UI_STATUS_OK].bg, UI_COLOR_DEFAULT);
	assert_int_equal(t.styles[UI_STATUS_OK].attrs, UI_ATTR_UNDERLINE);
	assert_int_equal(t.styles[UI_SELECTION].attrs, UI_ATTR_REVERSE);
	assert_int_equal(t.styles[UI_MUTED].fg, 8);
	assert_int_equal(t.styles[UI_MUTED].bg, 236);
}

static void test_parse_errors_name_the_line(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *expect;
	} cases[] = {
		{ "header = white\nstatus_ok = greenish\n", "bad.theme:2: " },
		{ "\n\nno equals sign here\n", "bad.theme:3: " },
		{ "header = white\nnot_an_element = red\n", "bad.theme:2: " },
		{ "header = 256\n", "bad.theme:1: " },
		{ "header = on red\n", "bad.theme:1: " },
		{ "header = red on\n", "bad.theme:1: " },
		{ "header = red blue green\n", "bad.theme:1: " },
		{ "header =\n", "bad.theme:1: " },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ui_theme t, before;
		ui_theme_builtin(&t);
		before = t;
		char cause[512] = "";
		assert_int_equal(ui_theme_parse(&t, cases[i].text, "bad.theme", cause, sizeof cause), -1);
		if (strncmp(cause, cases[i].expect, strlen(cases[i].expect)) != 0)
			fail_msg("case %zu: cause '%s' does not start with '%s'", i, cause, cases[i].expect);
		/* The theme is untouched on error. */
		assert_memory_equal(&t, &before, sizeof t);
	}
}

static void test_shipped_themes_load(void **state)
{
	(void)state;
	char dir[PATH_MAX];
	/* Tests run from the source tree. */
	snprintf(dir, sizeof dir, "themes");
	static const char *const required[] = { "default", "light", "high-contrast", "colorblind", "ansi16" };
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
		char path[PATH_MAX + 64], cause[1024];
		snprintf(path, sizeof path, "%s/%s.theme", dir, required[i]);
		struct ui_theme t;
		if (ui_theme_load_file(path, &t, cause, sizeof cause) != 0)
			fail_msg("%s", cause);
		assert_string_equal(t.name, required[i]);
	}
	/* And every other file there. */
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 7 || strcmp(e->d_name + len - 6, ".theme") != 0)
			continue;
		char path[PATH_MAX + 300], cause[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct ui_theme t;
		if (ui_theme_load_file(path, &t, cause, sizeof cause) != 0)
			fail_msg("%s", cause);
		n++;
	}
	closedir(d);
	assert_true(n >= 5);
	/* ansi16 uses only the 16 system colours. */
	struct ui_theme t;
	char cause[512];
	assert_int_equal(ui_theme_load_file("themes/ansi16.theme", &t, cause, sizeof cause), 0);
	for (int el = 0; el < UI_EL__COUNT; el++) {
		assert_true(t.styles[el].fg < 16);
		assert_true(t.styles[el].bg < 16);
	}
}

static void test_find_user_first_and_bad_names(void **state)
{
	(void)state;
	char tmp[] = "/tmp/wfmon-theme-XXXXXX";
	assert_non_null(mkdtemp(tmp));
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/wfmon", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/wfmon/themes", tmp);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/wfmon/themes/default.theme", tmp);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("header = red\n", f);
	fclose(f);
	setenv("XDG_CONFIG_HOME", tmp, 1);
	char found[PATH_MAX + 64], cause[1024];
	assert_int_equal(ui_theme_find("default", found, sizeof found, cause, sizeof cause), 0);
	assert_string_equal(found, path);
	struct ui_theme t;
	assert_int_equal(ui_theme_load("default", &t, cause, sizeof cause), 0);
	assert_int_equal(t.styles[UI_HEADER].fg, 1);
	assert_int_equal(ui_theme_find("../etc/passwd", found, sizeof found, cause, sizeof cause), -1);
	assert_int_equal(ui_theme_find("no-such-theme", found, sizeof found, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "no-such-theme"));
	unlink(path);
	snprintf(path, sizeof path, "%s/wfmon/themes", tmp);
	rmdir(path);
	snprintf(path, sizeof path, "%s/wfmon", tmp);
	rmdir(path);
	rmdir(tmp);
	unsetenv("XDG_CONFIG_HOME");
}

static void test_degrade(void **state)
{
	(void)state;
	assert_int_equal(ui_color_degrade(-1, 8), -1);
	assert_int_equal(ui_color_degrade(3, 8), 3);
	assert_int_equal(ui_color_degrade(9, 8), 1);        /* bright red -> red */
	assert_int_equal(ui_color_degrade(196, 16), 9);     /* xterm red -> bright red */
	assert_int_equal(ui_color_degrade(196, 256), 196);
	assert_int_equal(ui_color_degrade(16, 16), 0);      /* cube black */
	assert_int_equal(ui_color_degrade(231, 8), 7);      /* white */
	assert_true(ui_color_degrade(33, 8) < 8);
}

static void test_osc52(void **state)
{
	(void)state;
	char *s = ui_osc52_new("hi", 2, false);
	assert_string_equal(s, "\033]52;c;aGk=\a");
	free(s);
	s = ui_osc52_new("hi", 2, true);
	assert_string_equal(s, "\033Ptmux;\033\033]52;c;aGk=\a\033\\");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_errors_name_the_line),
		cmocka_unit_test(test_shipped_themes_load),
		cmocka_unit_test(test_find_user_first_and_bad_names),
		cmocka_unit_test(test_degrade),
		cmocka_unit_test(test_osc52),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
