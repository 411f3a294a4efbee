/* test_tokensrc.c: where a client's token comes from (src/net/tokensrc.c):
 * when a renewal is due; a token file read again and only a fresher token
 * taken; a token command run in a thread, its token alone or a kubectl
 * ExecCredential, and its failures in words (exit status, stderr, no
 * token, a timeout is not waited for here); a given token is never
 * renewed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "claims.h"
#include "clock.h"
#include "token.h"
#include "tokensrc.h"

static char g_dir[64];

static char *path(const char *name)
{
	static char buf[4][160];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, sizeof buf[0], "%s/%s", g_dir, name);
	return p;
}

static char *mint(int64_t now_s, int64_t ttl_s)
{
	char cause[256];
	struct token_request req = { .org = "acme", .sub = "ann", .role = "viewer", .ttl_s = ttl_s, .now_s = now_s,
				     .secret_file = path("secret") };
	char *t = token_mint(&req, cause, sizeof cause);
	assert_non_null(t);
	return t;
}

static void spit(const char *file, const char *text)
{
	FILE *f = fopen(path(file), "w");
	fputs(text, f);
	fclose(f);
}

static void test_renew_at(void **state)
{
	(void)state;
	/* A third of the lifetime before exp, between 1 and 60 s. */
	assert_int_equal(tokensrc_renew_at_ms(1000 + 3600, 1000), (1000 + 3600) * 1000LL - 60000);
	assert_int_equal(tokensrc_renew_at_ms(1000 + 90, 1000), (1000 + 90) * 1000LL - 30000);
	assert_int_equal(tokensrc_renew_at_ms(1000 + 6, 1000), (1000 + 6) * 1000LL - 2000);
	assert_int_equal(tokensrc_renew_at_ms(1000 + 2, 1000), (1000 + 2) * 1000LL - 1000);
	/* Without iat, an hour is assumed; without exp, never. */
	assert_int_equal(tokensrc_renew_at_ms(5000, 0), 5000 * 1000LL - 60000);
	assert_int_equal(tokensrc_renew_at_ms(0, 0), 0);
}

static void test_given_is_not_renewed(void **state)
{
	(void)state;
	char *tok = mint(time(NULL), 2);
	struct tokensrc *t = tokensrc_given(tok);
	assert_false(tokensrc_renewable(t));
	assert_string_equal(tokensrc_token(t), tok);
	assert_int_equal(tokensrc_timeout_ms(t, clock_wall_ms()), -1);
	char err[256];
	assert_int_equal(tokensrc_poll(t, clock_wall_ms() + 3600000, err, sizeof err), TOKENSRC_NONE);
	tokensrc_free(t);
	free(tok);
}

static void test_file_renewed_with_fresher_only(void **state)
{
	(void)state;
	int64_t now = time(NULL);
	char *t1 = mint(now, 90), *t2 = mint(now + 30, 90);
	spit("tok", t1);
	char cause[256], err[256];
	struct tokensrc *t = tokensrc_file(path("tok"), cause, sizeof cause);
	assert_non_null(t);
	assert_true(tokensrc_renewable(t));
	assert_int_equal(tokensrc_expires(t), now + 90);
	int64_t due = (now + 90) * 1000 - 30000;
	assert_int_equal(tokensrc_poll(t, due - 1, err, sizeof err), TOKENSRC_NONE);
	/* Due, but the file still holds the same token: said, retried later. */
	assert_int_equal(tokensrc_poll(t, due, err, sizeof err), TOKENSRC_FAILED);
	assert_non_null(strstr(err, "gave no fresher token yet"));
	assert_null(strstr(err, t1 + 10));
	assert_int_equal(tokensrc_poll(t, due + 1, err, sizeof err), TOKENSRC_NONE);   /* waits its retry */
	spit("tok", t2);
	assert_int_equal(tokensrc_poll(t, due + 2500, err, sizeof err), TOKENSRC_NEW);
	assert_string_equal(tokensrc_token(t), t2);
	assert_int_equal(tokensrc_expires(t), now + 120);
	/* A file that went away: said, the current token kept. */
	unlink(path("tok"));
	assert_int_equal(tokensrc_poll(t, (now + 120) * 1000, err, sizeof err), TOKENSRC_FAILED);
	assert_non_null(strstr(err, "cannot read the token file"));
	assert_string_equal(tokensrc_token(t), t2);
	tokensrc_free(t);
	free(t1);
	free(t2);
}

/* Polls until the command's answer is in (it runs in a thread). */
static enum tokensrc_event poll_done(struct tokensrc *t, int64_t at_ms, char *err, size_t len)
{
	enum tokensrc_event e = tokensrc_poll(t, at_ms, err, len);
	for (int i = 0; i < 200 && e == TOKENSRC_NONE; i++) {
		usleep(20000);
		e = tokensrc_poll(t, at_ms, err, len);
	}
	return e;
}

static void test_command(void **state)
{
	(void)state;
	int64_t now = time(NULL);
	char *t1 = mint(now, 90), *t2 = mint(now + 30, 90);
	spit("cmd-tok", t1);
	/* The command prints whatever cmd-tok holds: the token, or a kubectl
	 * ExecCredential around it when cmd-json exists. */
	char cmd[512];
	snprintf(cmd, sizeof cmd,
		 "if [ -e %s ]; then printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"status\":"
		 "{\"token\":\"%%s\"}}' \"$(cat %s)\"; else cat %s; echo; fi",
		 path("cmd-json"), path("cmd-tok"), path("cmd-tok"));
	char cause[256], err[256];
	struct tokensrc *t = tokensrc_command(cmd, cause, sizeof cause);
	assert_non_null(t);
	assert_string_equal(tokensrc_token(t), t1);
	spit("cmd-tok", t2);
	spit("cmd-json", "");
	int64_t due = (now + 90) * 1000 - 30000;
	assert_int_equal(poll_done(t, due, err, sizeof err), TOKENSRC_NEW);
	assert_string_equal(tokensrc_token(t), t2);
	tokensrc_free(t);

	static const struct {
		const char *cmd;
		const char *expect;
	} bad[] = {
		{ "echo 'no such identity provider' >&2; exit 3", "exited with status 3: no such identity provider" },
		{ "true", "it printed no token" },
		{ "echo one two", "more than one word" },
		{ "echo '{\"status\":{}}'", "without status.token" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause[0] = '\0';
		assert_null(tokensrc_command(bad[i].cmd, cause, sizeof cause));
		if (strstr(cause, bad[i].expect) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].cmd, cause, bad[i].expect);
	}
	/* A renewal that fails keeps the token and says why. */
	snprintf(cmd, sizeof cmd, "if [ -e %s ]; then exit 7; fi; cat %s", path("cmd-fail"), path("cmd-tok"));
	t = tokensrc_command(cmd, cause, sizeof cause);
	assert_non_null(t);
	spit("cmd-fail", "");
	assert_int_equal(poll_done(t, (now + 120) * 1000, err, sizeof err), TOKENSRC_FAILED);
	assert_non_null(strstr(err, "exited with status 7"));
	assert_string_equal(tokensrc_token(t), t2);
	tokensrc_free(t);
	free(t1);
	free(t2);
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof g_dir, "/tmp/wfmon-test-tokensrc.XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	spit("secret", "tokensrc-test-secret-0123456789-0123456789");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_renew_at),
		cmocka_unit_test(test_given_is_not_renewed),
		cmocka_unit_test(test_file_renewed_with_fresher_only),
		cmocka_unit_test(test_command),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
