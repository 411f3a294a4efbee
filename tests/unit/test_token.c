/* test_token.c: minting development tokens (src/client/token.c): the duration
 * parser, every refused input, and the round trip mint -> auth_verify. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "claims.h"
#include "token.h"

#define NOW 1700000000LL
#define SECRET "token-test-secret-0123456789abcdef-XYZ"

static char g_dir[64];

static const char *path_in_dir(const char *name)
{
	static char buf[4][160];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, sizeof buf[0], "%s/%s", g_dir, name);
	return p;
}

static void file_write(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* ---- token_parse_ttl -------------------------------------------------------- */

struct ttl_case {
	const char *in;
	int rc;
	int64_t out;
};

static const struct ttl_case ttl_cases[] = {
	{ "90s", 0, 90 },
	{ "15m", 0, 900 },
	{ "1h", 0, 3600 },
	{ "7d", 0, 604800 },
	{ "3600", 0, 3600 },
	{ "1", 0, 1 },
	{ "366d", 0, 366 * 86400 },
	{ "0007", 0, 7 },
	{ "9223372036854775807", 0, INT64_MAX },
	{ "106751991167300d", 0, 106751991167300LL * 86400 },
	{ NULL, -1, 0 },
	{ "", -1, 0 },
	{ "0", -1, 0 },
	{ "0s", -1, 0 },
	{ "00h", -1, 0 },
	{ "-5", -1, 0 },
	{ "-5m", -1, 0 },
	{ "+5", -1, 0 },
	{ " 5", -1, 0 },
	{ "5 ", -1, 0 },
	{ "5 s", -1, 0 },
	{ "5x", -1, 0 },
	{ "5S", -1, 0 },
	{ "5ss", -1, 0 },
	{ "5s5", -1, 0 },
	{ "1h30m", -1, 0 },
	{ "1.5h", -1, 0 },
	{ "h", -1, 0 },
	{ "0x10", -1, 0 },
	{ "9223372036854775808", -1, 0 },
	{ "99999999999999999999999", -1, 0 },
	{ "106751991167301d", -1, 0 },
	{ "9223372036854775807s", 0, INT64_MAX },
	{ "153722867280912931m", -1, 0 },
};

static void test_parse_ttl(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof ttl_cases / sizeof ttl_cases[0]; i++) {
		const struct ttl_case *c = &ttl_cases[i];
		int64_t out = -42;
		int rc = token_parse_ttl(c->in, &out);
		if (rc != c->rc)
			fail_msg("token_parse_ttl(\"%s\") returned %d, expected %d",
				 c->in ? c->in : "(null)", rc, c->rc);
		if (rc == 0 && out != c->out)
			fail_msg("token_parse_ttl(\"%s\") gave %lld, expected %lld", c->in,
				 (long long)out, (long long)c->out);
		if (rc != 0 && out != -42)
			fail_msg("token_parse_ttl(\"%s\") wrote its output on failure", c->in);
	}
}

/* ---- Round trip --------------------------------------------------------------- */

static struct token_request good_request(void)
{
	return (struct token_request){
		.org = "acme",
		.sub = "alice@example.com",
		.role = "operator",
		.ttl_s = 3600,
		.now_s = NOW,
		.secret_file = path_in_dir("secret"),
	};
}

static void test_round_trip(void **state)
{
	(void)state;
	static const char *const roles[] = { "viewer", "operator", "admin", "producer" };
	char cause[256];
	struct auth_verifier *v = auth_verifier_new(AUTH_HS256, path_in_dir("secret"), 0,
						    cause, sizeof cause);
	assert_non_null(v);
	for (size_t i = 0; i < 4; i++) {
		struct token_request req = good_request();
		req.role = roles[i];
		char *tok = token_mint(&req, cause, sizeof cause);
		if (tok == NULL)
			fail_msg("mint refused: %s", cause);
		struct auth_identity who;
		if (auth_verify(v, tok, NOW + 10, &who, cause, sizeof cause) != 0)
			fail_msg("verify refused a minted token: %s", cause);
		assert_string_equal(who.sub, "alice@example.com");
		assert_string_equal(who.org, "acme");
		assert_string_equal(auth_role_name(who.role), roles[i]);
		assert_int_equal(who.exp, NOW + 3600);
		/* It expires when it says it does. */
		assert_int_equal(auth_verify(v, tok, NOW + 3600, &who, cause, sizeof cause), 0);
		assert_int_equal(auth_verify(v, tok, NOW + 3601, &who, cause, sizeof cause), -1);
		assert_string_equal(cause, "token expired");
		free(tok);
	}
	auth_verifier_free(v);
}

static void test_claims_and_jti(void **state)
{
	(void)state;
	char cause[256];
	struct token_request req = good_request();
	req.ttl_s = 366 * 86400;
	char *a = token_mint(&req, cause, sizeof cause);
	char *b = token_mint(&req, cause, sizeof cause);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_not_equal(a, b);

	jwt_t *ja = NULL, *jb = NULL;
	assert_int_equal(jwt_decode(&ja, a, (const unsigned char *)SECRET, strlen(SECRET)), 0);
	assert_int_equal(jwt_decode(&jb, b, (const unsigned char *)SECRET, strlen(SECRET)), 0);
	assert_int_equal(jwt_get_alg(ja), JWT_ALG_HS256);
	assert_int_equal(jwt_get_grant_int(ja, "iat"), NOW);
	assert_int_equal(jwt_get_grant_int(ja, "exp"), NOW + 366 * 86400);
	const char *jti_a = jwt_get_grant(ja, "jti"), *jti_b = jwt_get_grant(jb, "jti");
	assert_non_null(jti_a);
	assert_non_null(jti_b);
	assert_int_equal(strlen(jti_a), 32);
	assert_int_equal(strspn(jti_a, "0123456789abcdef"), 32);
	assert_string_not_equal(jti_a, jti_b);
	jwt_free(ja);
	jwt_free(jb);

	/* The newline ending the secret file is not part of the key. */
	jwt_t *jn = NULL;
	assert_int_not_equal(jwt_decode(&jn, a, (const unsigned char *)SECRET "\n", strlen(SECRET) + 1), 0);
	jwt_free(jn);

	/* Another secret does not verify it. */
	struct auth_verifier *other = auth_verifier_new(AUTH_HS256, path_in_dir("other"), 0,
							cause, sizeof cause);
	assert_non_null(other);
	struct auth_identity who;
	assert_int_equal(auth_verify(other, a, NOW, &who, cause, sizeof cause), -1);
	assert_string_equal(cause, "bad signature");
	auth_verifier_free(other);
	free(a);
	free(b);
}

/* ---- Refused requests --------------------------------------------------------- */

enum field { F_ORG, F_SUB, F_ROLE, F_TTL, F_NOW, F_SECRET };

struct bad_case {
	const char *name;
	enum field field;
	const char *str;   /* for string fields; a file name in g_dir for F_SECRET */
	int64_t num;       /* for F_TTL, F_NOW */
	const char *expect;
};

static const struct bad_case bad_cases[] = {
	{ "org NULL", F_ORG, NULL, 0, "organization must be an id" },
	{ "org empty", F_ORG, "", 0, "organization must be an id" },
	{ "org with a space", F_ORG, "ac me", 0, "organization must be an id" },
	{ "org with a slash", F_ORG, "a/b", 0, "organization must be an id" },
	{ "org 65 characters", F_ORG,
	  "o1234567890123456789012345678901234567890123456789012345678901234", 0,
	  "organization must be an id" },
	{ "sub NULL", F_SUB, NULL, 0, "subject (user) must be 1 to 128" },
	{ "sub empty", F_SUB, "", 0, "subject (user) must be 1 to 128" },
	{ "sub 129 characters", F_SUB,
	  "0123456789012345678901234567890123456789012345678901234567890123"
	  "45678901234567890123456789012345678901234567890123456789012345678", 0,
	  "subject (user) must be 1 to 128" },
	{ "sub with a newline", F_SUB, "al\nice", 0, "control characters" },
	{ "role NULL", F_ROLE, NULL, 0, "role must be one of viewer, operator, admin, producer" },
	{ "role unknown", F_ROLE, "root", 0, "role must be one of" },
	{ "role in capitals", F_ROLE, "Admin", 0, "role must be one of" },
	{ "role empty", F_ROLE, "", 0, "role must be one of" },
	{ "ttl zero", F_TTL, NULL, 0, "lifetime must be more than 0" },
	{ "ttl negative", F_TTL, NULL, -60, "lifetime must be more than 0" },
	{ "ttl 366 days and a second", F_TTL, NULL, 366 * 86400 + 1, "at most 366 days" },
	{ "ttl huge", F_TTL, NULL, INT64_MAX, "at most 366 days" },
	{ "now negative", F_NOW, NULL, -1, "check the system clock" },
	{ "now near the end of time", F_NOW, NULL, INT64_MAX - 10, "check the system clock" },
	{ "secret file NULL", F_SECRET, NULL, 0, "no secret file given" },
	{ "secret file missing", F_SECRET, "nope", 0, "cannot open secret file" },
	{ "secret file empty", F_SECRET, "empty", 0, "is empty" },
	{ "secret file only a newline", F_SECRET, "nl", 0, "is empty" },
	{ "secret 31 bytes", F_SECRET, "short", 0, "is 31 bytes: it must be at least 32 bytes" },
	{ "secret file is a directory", F_SECRET, "dir", 0, "is not a readable file" },
	{ "secret file over 64 KiB", F_SECRET, "huge", 0, "larger than 64 KiB" },
};

static void test_bad_request(void **state)
{
	const struct bad_case *c = *state;
	struct token_request req = good_request();
	switch (c->field) {
	case F_ORG: req.org = c->str; break;
	case F_SUB: req.sub = c->str; break;
	case F_ROLE: req.role = c->str; break;
	case F_TTL: req.ttl_s = c->num; break;
	case F_NOW: req.now_s = c->num; break;
	case F_SECRET: req.secret_file = c->str ? path_in_dir(c->str) : NULL; break;
	}
	char cause[512] = "";
	char *tok = token_mint(&req, cause, sizeof cause);
	if (tok != NULL)
		fail_msg("%s: minted, expected \"%s\"", c->name, c->expect);
	if (strstr(cause, c->expect) == NULL)
		fail_msg("%s: cause \"%s\" does not contain \"%s\"", c->name, cause, c->expect);
	assert_null(strstr(cause, SECRET));
}

static void test_null_request(void **state)
{
	(void)state;
	assert_null(token_mint(NULL, NULL, 0));
}

/* ---- Fixture ------------------------------------------------------------------ */

static int group_setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof g_dir, "/tmp/wfmon-test-token.XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	file_write(path_in_dir("secret"), SECRET "\n", strlen(SECRET) + 1);
	file_write(path_in_dir("other"), "a-different-secret-of-enough-length-42", 38);
	file_write(path_in_dir("empty"), "", 0);
	file_write(path_in_dir("nl"), "\n", 1);
	file_write(path_in_dir("short"), "0123456789abcdef0123456789abcde\n", 32);
	size_t hugelen = 64 * 1024 + 1;
	char *huge = malloc(hugelen);
	memset(huge, 's', hugelen);
	file_write(path_in_dir("huge"), huge, hugelen);
	free(huge);
	return mkdir(path_in_dir("dir"), 0700);
}

static int group_teardown(void **state)
{
	(void)state;
	static const char *const names[] = { "secret", "other", "empty", "nl", "short", "huge" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(path_in_dir(names[i]));
	rmdir(path_in_dir("dir"));
	rmdir(g_dir);
	return 0;
}

static void test_identity(void **state)
{
	(void)state;
	struct proto_token_claims id;
	/* {"alg":"HS256"} . {"sub":"ann","org":"acme","role":"viewer"} . sig */
	const char *tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4iLCJvcmciOiJhY21lIiwicm9sZSI6InZpZXdlciJ9.x";
	assert_int_equal(proto_token_peek(tok, &id), 0);
	assert_string_equal(id.sub, "ann");
	assert_string_equal(id.org, "acme");
	assert_string_equal(id.role, "viewer");
	assert_int_equal(id.exp, 0);
	assert_int_equal(proto_token_peek("not-a-token", &id), -1);
	assert_int_equal(proto_token_peek("a.!!!.b", &id), -1);
	/* A minted token says when it expires and when it was made. */
	char cause[256];
	struct token_request req = { .org = "acme", .sub = "ann", .role = "viewer", .ttl_s = 90,
				     .now_s = 1700000000, .secret_file = path_in_dir("secret") };
	char *minted = token_mint(&req, cause, sizeof cause);
	assert_non_null(minted);
	assert_int_equal(proto_token_peek(minted, &id), 0);
	assert_int_equal(id.exp, 1700000090);
	assert_int_equal(id.iat, 1700000000);
	free(minted);
}

int main(void)
{
	size_t nb = sizeof bad_cases / sizeof bad_cases[0];
	struct CMUnitTest *tests = calloc(nb + 5, sizeof *tests);
	size_t n = 0;
	tests[n++] = (struct CMUnitTest){ "parse ttl", test_parse_ttl, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "round trip", test_round_trip, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "claims and jti", test_claims_and_jti, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "null request", test_null_request, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "identity peek", test_identity, NULL, NULL, NULL };
	for (size_t i = 0; i < nb; i++)
		tests[n++] = (struct CMUnitTest){ bad_cases[i].name, test_bad_request, NULL, NULL,
						  (void *)&bad_cases[i] };
	int rc = _cmocka_run_group_tests("token", tests, n, group_setup, group_teardown);
	free(tests);
	return rc;
}
