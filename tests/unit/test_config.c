/* test_config.c: wfmond's settings table against its documentation: the
 * installed example (packaging/wfmond.conf) names every setting at its true
 * default, wfmond.conf(5) describes every setting, and config_build puts the
 * flags over the file. Runs from the top of the tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s (run from the top of the tree)", path);
	static char buf[1 << 18];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Settings whose example value is an illustration, not the default. */
static bool example_only(const char *name)
{
	static const char *const names[] = { "jwt-secret-file", "jwt-public-key", "database",
					     "database-owner", "write-threads", "jwt-key", "jwt-jwks-file",
					     "jwt-issuer", "jwt-audience", "tls-cert", "tls-key", "tls-client-ca",
					     "public-url", "action-secret-file", "cluster" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static void test_example_names_every_setting_at_its_default(void **state)
{
	(void)state;
	char *text = strdup(slurp("packaging/wfmond.conf"));
	struct config defaults, example;
	config_defaults(&defaults);
	config_defaults(&example);
	bool *seen = calloc(config_setting_count(), sizeof *seen);
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* "#key = value": a setting shown at its default. */
		if (line[0] != '#' || line[1] < 'a' || line[1] > 'z')
			continue;
		char *eq = strstr(line, " = ");
		assert_non_null(eq);
		*eq = '\0';
		const char *key = line + 1, *value = eq + 3;
		char cause[256];
		if (config_set(&example, key, value, cause, sizeof cause) != 0)
			fail_msg("example: %s", cause);
		for (size_t i = 0; i < config_setting_count(); i++)
			if (strcmp(config_setting_name(i), key) == 0)
				seen[i] = true;
	}
	for (size_t i = 0; i < config_setting_count(); i++) {
		const char *name = config_setting_name(i);
		if (!seen[i])
			fail_msg("packaging/wfmond.conf does not show %s", name);
		if (!example_only(name) && !config_setting_equal(&defaults, &example, i)) {
			char a[256], b[256];
			config_setting_format(&defaults, i, a, sizeof a);
			config_setting_format(&example, i, b, sizeof b);
			fail_msg("packaging/wfmond.conf shows %s = %s, the default is %s", name, b, a);
		}
	}
	free(seen);
	free(text);
	config_free(&defaults);
	config_free(&example);
}

static void test_manual_describes_every_setting(void **state)
{
	(void)state;
	const char *man = slurp("man/wfmond.conf.5");
	for (size_t i = 0; i < config_setting_count(); i++) {
		/* roff writes "max-message" as "max\-message". */
		char want[128];
		size_t n = 0;
		for (const char *p = config_setting_name(i); *p && n < sizeof want - 4; p++) {
			if (*p == '-') {   /* a backslash, escaped for the regex */
				want[n++] = '\\';
				want[n++] = '\\';
			}
			want[n++] = *p;
		}
		want[n] = '\0';
		char pattern[160];
		snprintf(pattern, sizeof pattern, "(\\.BR? |\\\\fB|\" )%s([ ,\"\n]|\\\\f)", want);
		regex_t re;
		assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
		if (regexec(&re, man, 0, NULL, 0) != 0)
			fail_msg("wfmond.conf(5) does not describe %s", config_setting_name(i));
		regfree(&re);
	}
}

static void test_flags_override_the_file(void **state)
{
	(void)state;
	char path[] = "/tmp/wfmon-config-XXXXXX";
	int fd = mkstemp(path);
	const char text[] = "max-subscriptions = 9\nping-interval = 7\n";
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	struct config_source src;
	config_source_init(&src);
	config_source_set_file(&src, path, true);
	config_source_add_flag(&src, "ping-interval", "11");
	struct config c;
	char cause[256];
	assert_int_equal(config_build(&src, &c, cause, sizeof cause), 0);
	assert_true(c.file_found);
	assert_int_equal(c.max_subscriptions, 9);
	assert_int_equal(c.ping_interval_s, 11);
	config_free(&c);

	/* A bad flag names itself; a named file must exist, the default need not. */
	config_source_add_flag(&src, "ping-interval", "soon");
	assert_int_equal(config_build(&src, &c, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "--ping-interval: "));
	config_source_free(&src);
	config_source_init(&src);
	config_source_set_file(&src, "/nonexistent/wfmond.conf", true);
	assert_int_equal(config_build(&src, &c, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "/nonexistent/wfmond.conf"));
	config_source_set_file(&src, "/nonexistent/wfmond.conf", false);
	assert_int_equal(config_build(&src, &c, cause, sizeof cause), 0);
	assert_false(c.file_found);
	config_free(&c);
	config_source_free(&src);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_names_every_setting_at_its_default),
		cmocka_unit_test(test_manual_describes_every_setting),
		cmocka_unit_test(test_flags_override_the_file),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
