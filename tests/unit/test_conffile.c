/* test_conffile.c: the shared "key = value" format: comments, trimming, a '#'
 * inside a value, errors naming the line, callback refusals, and reading
 * (missing, empty, too large, not text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffile.h"

struct seen {
	char text[1024];   /* "key=value;" for every pair */
	const char *refuse;
};

static int collect(const char *key, const char *value, void *arg, char *why, size_t whylen)
{
	struct seen *s = arg;
	if (s->refuse != NULL && strcmp(key, s->refuse) == 0) {
		snprintf(why, whylen, "no %s here", key);
		return -1;
	}
	size_t n = strlen(s->text);
	snprintf(s->text + n, sizeof s->text - n, "%s=%s;", key, value);
	return 0;
}

static void test_parse_table(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *pairs;
		const char *error;   /* NULL: parses */
	} cases[] = {
		{ "", "", NULL },
		{ "a = 1\nb=2\n", "a=1;b=2;", NULL },
		{ "  a\t=\t1  \r\n", "a=1;", NULL },
		{ "# comment\n\n   # indented comment\na = 1 # why\n", "a=1;", NULL },
		{ "password = ab#cd\n", "password=ab#cd;", NULL },
		{ "url = ws://h:1/p#frag\n", "url=ws://h:1/p#frag;", NULL },
		{ "a = x = y\n", "a=x = y;", NULL },
		{ "empty =\n", "empty=;", NULL },
		{ "no final newline = 1", "no final newline=1;", NULL },
		{ "a = 1\njunk\nb = 2\n", "a=1;", "f.conf:2: expected \"key = value\"" },
		{ "a = 1\nbad = 2\n", "a=1;", "f.conf:2: no bad here" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct seen s = { .refuse = "bad" };
		char cause[256] = "";
		int rc = conffile_parse(cases[i].text, strlen(cases[i].text), "f.conf", NULL, collect, &s,
					cause, sizeof cause);
		if (cases[i].error == NULL) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, cause);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(cause, cases[i].error);
		}
		assert_string_equal(s.text, cases[i].pairs);
	}
}

static void test_expected_hint_and_long_line(void **state)
{
	(void)state;
	struct seen s = { 0 };
	char cause[256];
	assert_int_equal(conffile_parse("x\n", 2, "t", "\"element = colour\"", collect, &s, cause,
					sizeof cause), -1);
	assert_string_equal(cause, "t:1: expected \"element = colour\"");
	/* A line longer than the parser's stack buffer. */
	size_t n = 5000;
	char *text = malloc(n + 8);
	memcpy(text, "k = ", 4);
	memset(text + 4, 'v', n);
	text[4 + n] = '\0';
	struct seen s2 = { 0 };
	assert_int_equal(conffile_parse(text, strlen(text), "t", NULL, collect, &s2, cause, sizeof cause), 0);
	assert_int_equal(strlen(s2.text), sizeof s2.text - 1);   /* truncated by the test's buffer only */
	free(text);
}

static char *write_file(const char *content, size_t len)
{
	char *path = strdup("/tmp/wfmon-conffile-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_read_errors(void **state)
{
	(void)state;
	char cause[256];
	size_t len;
	assert_null(conffile_read("/nonexistent/wfmon.conf", 1024, &len, cause, sizeof cause));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(cause, "/nonexistent/wfmon.conf"));

	assert_null(conffile_read("/tmp", 1024, &len, cause, sizeof cause));
	assert_int_equal(errno, EISDIR);

	char *p = write_file("", 0);
	char *t = conffile_read(p, 1024, &len, cause, sizeof cause);
	assert_non_null(t);
	assert_int_equal(len, 0);
	conffile_text_free(t, len);
	unlink(p);
	free(p);

	p = write_file("a = 1\0b = 2\n", 12);
	assert_null(conffile_read(p, 1024, &len, cause, sizeof cause));
	assert_int_equal(errno, EILSEQ);
	unlink(p);
	free(p);

	char big[3000];
	memset(big, '#', sizeof big);
	p = write_file(big, sizeof big);
	assert_null(conffile_read(p, 2048, &len, cause, sizeof cause));
	assert_int_equal(errno, EFBIG);
	assert_non_null(strstr(cause, "larger than 2 KiB"));
	unlink(p);
	free(p);

	p = write_file("a = 1\nb\n", 8);
	struct seen s = { 0 };
	assert_int_equal(conffile_load(p, 1024, NULL, collect, &s, cause, sizeof cause), -1);
	assert_int_equal(errno, 0);
	assert_non_null(strstr(cause, ":2: expected"));
	assert_string_equal(s.text, "a=1;");
	unlink(p);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_expected_hint_and_long_line),
		cmocka_unit_test(test_read_errors),
	};
	return cmocka_run_group_tests_name("conffile", tests, NULL, NULL);
}
