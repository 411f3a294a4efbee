/* test_action.c: action link tokens (src/server/action.c): what is signed
 * comes back; a changed byte, another key, a malformed token are invalid; an
 * expired one is told apart; the key before a reload still checks links
 * already sent; secrets shorter than 32 bytes are refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "action.h"

#define NOW 1700000000LL
static const char SECRET[] = "action-links-secret-0123456789-0123456789";
static const char OTHER[] = "another-secret-that-is-long-enough-0123456";

static struct action_claims claims(void)
{
	struct action_claims c = { .alert_id = 1796551038217000LL, .kind = ACTION_ESCALATE, .exp_s = NOW + 3600 };
	snprintf(c.org, sizeof c.org, "fin");
	snprintf(c.nonce, sizeof c.nonce, "0123456789abcdef0123456789abcdef");
	snprintf(c.channel, sizeof c.channel, "email");
	snprintf(c.recipient, sizeof c.recipient, "ksiegowa@firma.pl, \"Anna\" <anna@firma.pl>");
	return c;
}

static void test_round_trip(void **state)
{
	(void)state;
	struct action_key *k = action_key_new(SECRET, strlen(SECRET));
	struct action_claims c = claims(), out;
	char *tok = action_token_new(k, &c);
	assert_non_null(tok);
	assert_true(strlen(tok) < ACTION_MAX_TOKEN);
	/* URL-safe as it is: base64url and one dot. */
	assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."), strlen(tok));
	assert_int_equal(action_token_check(k, NULL, tok, NOW, &out), ACTION_VALID);
	assert_string_equal(out.org, "fin");
	assert_int_equal(out.alert_id, c.alert_id);
	assert_int_equal(out.kind, ACTION_ESCALATE);
	assert_int_equal(out.exp_s, c.exp_s);
	assert_string_equal(out.nonce, c.nonce);
	assert_string_equal(out.channel, "email");
	assert_string_equal(out.recipient, c.recipient);
	assert_int_equal(action_token_check(k, NULL, tok, NOW + 3600, &out), ACTION_VALID);
	assert_int_equal(action_token_check(k, NULL, tok, NOW + 3601, &out), ACTION_EXPIRED);
	free(tok);
	action_key_free(k);
}

static void test_changes_refused(void **state)
{
	(void)state;
	struct action_key *k = action_key_new(SECRET, strlen(SECRET)), *o = action_key_new(OTHER, strlen(OTHER));
	struct action_claims c = claims(), out;
	char *tok = action_token_new(k, &c);
	/* Every single character changed, one at a time. */
	size_t len = strlen(tok);
	for (size_t i = 0; i < len; i++) {
		char *t = strdup(tok);
		t[i] = t[i] == 'A' ? 'B' : t[i] == '.' ? 'x' : 'A';
		if (action_token_check(k, NULL, t, NOW, &out) == ACTION_VALID && strcmp(t, tok) != 0)
			fail_msg("changed at %zu and still valid: %s", i, t);
		free(t);
	}
	assert_int_equal(action_token_check(o, NULL, tok, NOW, &out), ACTION_INVALID);
	static const char *const bad[] = { "", ".", "abc", "abc.", ".abc", "a.b.c", "!!.??" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(action_token_check(k, NULL, bad[i], NOW, &out), ACTION_INVALID);
	assert_int_equal(action_token_check(k, NULL, NULL, NOW, &out), ACTION_INVALID);
	char *longer = malloc(ACTION_MAX_TOKEN + 10);
	memset(longer, 'A', ACTION_MAX_TOKEN + 9);
	longer[ACTION_MAX_TOKEN + 9] = '\0';
	longer[10] = '.';
	assert_int_equal(action_token_check(k, NULL, longer, NOW, &out), ACTION_INVALID);
	free(longer);
	/* The key before a reload still checks what it signed. */
	assert_int_equal(action_token_check(o, k, tok, NOW, &out), ACTION_VALID);
	free(tok);
	action_key_free(k);
	action_key_free(o);
}

static void test_keys(void **state)
{
	(void)state;
	char dir[] = "/tmp/wfmon-test-action.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], cause[256];
	snprintf(path, sizeof path, "%s/secret", dir);
	FILE *f = fopen(path, "w");
	fputs("short secret\n", f);
	fclose(f);
	assert_null(action_key_load(path, cause, sizeof cause));
	assert_non_null(strstr(cause, "at least 32 are needed"));
	f = fopen(path, "w");
	fprintf(f, "%s\n", SECRET);
	fclose(f);
	struct action_key *k = action_key_load(path, cause, sizeof cause);
	assert_non_null(k);
	/* The newline is not part of the key. */
	struct action_key *same = action_key_new(SECRET, strlen(SECRET));
	assert_true(action_key_same(k, same));
	struct action_key *other = action_key_new(OTHER, strlen(OTHER));
	assert_false(action_key_same(k, other));
	assert_true(action_key_same(NULL, NULL));
	assert_false(action_key_same(k, NULL));
	snprintf(path, sizeof path, "%s/missing", dir);
	assert_null(action_key_load(path, cause, sizeof cause));
	action_key_free(k);
	action_key_free(same);
	action_key_free(other);
	unlink(path);
	snprintf(path, sizeof path, "%s/secret", dir);
	unlink(path);
	rmdir(dir);
	assert_string_equal(action_kind_name(ACTION_ACK), "acknowledge");
	assert_int_equal(action_kind_alert_action(ACTION_ACK), ACT_ACKNOWLEDGE);
	assert_int_equal(action_kind_alert_action(ACTION_ESCALATE), ACT_ESCALATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_changes_refused),
		cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
