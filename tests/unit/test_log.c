/* test_log.c: the two line formats: timestamped on a plain stderr, a syslog
 * priority prefix and no timestamp when stderr is journald's stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Points stderr at a new temp file; returns its path (static buffer). */
static const char *stderr_to_file(void)
{
	static char path[64];
	snprintf(path, sizeof path, "/tmp/wfmon-log-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	close(fd);
	return path;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_formats(void **state)
{
	(void)state;
	int saved = dup(STDERR_FILENO);
	log_set_ident("wfmon-test");
	log_set_level(LOG_DEBUG);

	const char *plain = stderr_to_file();
	unsetenv("JOURNAL_STREAM");
	log_redetect();
	assert_false(log_stderr_is_journal());
	log_warn("plain %d", 1);
	char *text = slurp(plain);
	/* 2026-01-02T03:04:05.678Z wfmon-test[warn] plain 1 */
	assert_int_equal(text[4], '-');
	assert_int_equal(text[10], 'T');
	assert_non_null(strstr(text, "Z wfmon-test[warn] plain 1\n"));
	unlink(plain);

	const char *journal = stderr_to_file();
	struct stat st;
	assert_int_equal(fstat(STDERR_FILENO, &st), 0);
	char js[64];
	snprintf(js, sizeof js, "%llu:%llu", (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", js, 1);
	log_redetect();
	assert_true(log_stderr_is_journal());
	log_error("e");
	log_warn("w");
	log_info("i");
	log_debug("d");
	assert_string_equal(slurp(journal), "<3>e\n<4>w\n<6>i\n<7>d\n");
	unlink(journal);

	/* Another stream (a shell redirect inside the unit) is not journald's. */
	const char *other = stderr_to_file();
	log_redetect();
	assert_false(log_stderr_is_journal());
	unlink(other);

	dup2(saved, STDERR_FILENO);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	log_redetect();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
