/* test_keyring.c: the JWT keyring (src/server/auth.c, jwks.c): keys chosen
 * by kid, each pinned to its algorithm; a rotated keyring; the issuer and the
 * audience; a JWKS file with RSA, EC and oct keys and keys passed over;
 * malformed keyrings and JWKS files refused with the reason; the 8 KiB
 * token limit. Keys are made fresh per run with the openssl command; the
 * JWKS is written from them with OpenSSL's API. Table-driven: one cmocka
 * test per row. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth.h"
#include "base64.h"

#define NOW 1700000000LL
#define HS0 "the-default-secret-without-a-kid-0123456789"
#define HS1 "the-first-keyring-secret-0123456789abcdefgh"
#define HS2 "some-other-secret-that-is-long-enough-012345"
#define OCT "an-oct-key-from-the-jwks-file-0123456789abc"
#define ISS "https://login.example.com/realms/acc"
#define AUD "wfmon"
#define CLAIMS(extra) "{\"sub\":\"anna\",\"org\":\"acme\",\"role\":\"viewer\",\"exp\":1700003600" extra "}"
#define GOODC CLAIMS(",\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"")

static char g_dir[64];
static struct auth_verifier *g_ring, *g_rotated, *g_jwks;

static char *path(const char *name)
{
	static char buf[8][200];
	static int next;
	char *p = buf[next++ % 8];
	snprintf(p, sizeof buf[0], "%s/%s", g_dir, name);
	return p;
}

static char *slurp(const char *file)
{
	FILE *f = fopen(path(file), "rb");
	if (f == NULL)
		return NULL;
	char *buf = calloc(1, 1 << 16);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void spit(const char *file, const char *text)
{
	FILE *f = fopen(path(file), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* ---- tokens ------------------------------------------------------------------------ */

enum key { K_HS0, K_HS1, K_HS2, K_OCT, K_RS1, K_RS2, K_ES1, K_RS1_PUB_AS_HMAC };

static char *token(enum key key, const char *kid, const char *claims)
{
	static const char *const files[] = { [K_RS1] = "rs1.key", [K_RS2] = "rs2.key", [K_ES1] = "es1.key",
					     [K_RS1_PUB_AS_HMAC] = "rs1.pub" };
	jwt_alg_t alg = key == K_RS1 || key == K_RS2 ? JWT_ALG_RS256 : key == K_ES1 ? JWT_ALG_ES256 : JWT_ALG_HS256;
	char *file = NULL;
	const char *k = key == K_HS0 ? HS0 : key == K_HS1 ? HS1 : key == K_HS2 ? HS2 : key == K_OCT ? OCT : NULL;
	if (k == NULL)
		k = file = slurp(files[key]);
	jwt_t *jwt = NULL;
	assert_int_equal(jwt_new(&jwt), 0);
	assert_int_equal(jwt_add_grants_json(jwt, claims), 0);
	if (kid != NULL)
		assert_int_equal(jwt_add_header(jwt, "kid", kid), 0);
	assert_int_equal(jwt_set_alg(jwt, alg, (const unsigned char *)k, (int)strlen(k)), 0);
	char *tok = jwt_encode_str(jwt);
	assert_non_null(tok);
	jwt_free(jwt);
	free(file);
	return tok;
}

/* ---- the JWKS, from the keys ------------------------------------------------------------- */

static char *b64(const unsigned char *p, size_t n)
{
	char *out = malloc(base64url_encoded_len(n) + 1);
	base64url_encode(p, n, out, base64url_encoded_len(n) + 1);
	return out;
}

static EVP_PKEY *pub_of(const char *file)
{
	FILE *f = fopen(path(file), "r");
	EVP_PKEY *k = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	assert_non_null(k);
	return k;
}

static json_t *rsa_jwk(const char *file, const char *kid)
{
	EVP_PKEY *k = pub_of(file);
	BIGNUM *n = NULL, *e = NULL;
	assert_true(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n));
	assert_true(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e));
	unsigned char nb[1024], eb[16];
	int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
	char *ns = b64(nb, (size_t)nl), *es = b64(eb, (size_t)el);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "kty", "RSA", "kid", kid, "n", ns, "e", es);
	free(ns);
	free(es);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(k);
	return j;
}

static json_t *ec_jwk(const char *file, const char *kid)
{
	EVP_PKEY *k = pub_of(file);
	unsigned char pt[65];
	size_t len = 0;
	assert_true(EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &len));
	assert_int_equal(len, 65);
	char *x = b64(pt + 1, 32), *y = b64(pt + 33, 32);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "EC", "kid", kid, "crv", "P-256", "x", x, "y", y,
			      "use", "sig");
	free(x);
	free(y);
	EVP_PKEY_free(k);
	return j;
}

static json_t *oct_jwk(const char *secret, const char *kid)
{
	char *k = b64((const unsigned char *)secret, strlen(secret));
	json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "kty", "oct", "kid", kid, "k", k, "alg", "HS256");
	free(k);
	return j;
}

static void write_jwks(const char *file, json_t *keys)
{
	json_t *set = json_pack("{s:o}", "keys", keys);
	assert_int_equal(json_dump_file(set, path(file), 0), 0);
	json_decref(set);
}

/* ---- verifying ---------------------------------------------------------------------------- */

enum which { V_RING, V_ROTATED, V_JWKS };

struct vcase {
	const char *name;
	enum which v;
	enum key key;
	const char *kid;        /* NULL: none */
	const char *claims;
	const char *expect;     /* NULL: accepted; else a substring of the cause */
};

static const struct vcase vcases[] = {
	{ "kid selects an HS256 key", V_RING, K_HS1, "k-hs1", GOODC, NULL },
	{ "kid selects an RS256 key", V_RING, K_RS1, "k-rs1", GOODC, NULL },
	{ "no kid: the key without one", V_RING, K_HS0, NULL, GOODC, NULL },
	{ "unknown kid", V_RING, K_HS1, "k-zzz", GOODC, "unknown key id (kid) k-zzz" },
	{ "kid of one key, signed with another", V_RING, K_HS2, "k-hs1", GOODC, "bad signature" },
	{ "kid of the RSA key, HS256 with its public key", V_RING, K_RS1_PUB_AS_HMAC, "k-rs1", GOODC,
	  "algorithm HS256 does not match the configured RS256" },
	{ "kid of the HS key, RS256 token", V_RING, K_RS1, "k-hs1", GOODC,
	  "algorithm RS256 does not match the configured HS256" },
	{ "kid signed by another RSA key", V_RING, K_RS2, "k-rs1", GOODC, "bad signature" },
	{ "kid that is not a string", V_RING, K_HS1, NULL, NULL, "the header \"kid\" is not a key id" },
	{ "wrong iss", V_RING, K_HS1, "k-hs1", CLAIMS(",\"iss\":\"https://evil.example\",\"aud\":\"" AUD "\""),
	  "claim iss is not the configured issuer " ISS },
	{ "missing iss", V_RING, K_HS1, "k-hs1", CLAIMS(",\"aud\":\"" AUD "\""), "missing claim iss" },
	{ "iss that is not a string", V_RING, K_HS1, "k-hs1", CLAIMS(",\"iss\":7,\"aud\":\"" AUD "\""),
	  "claim iss is not the configured issuer" },
	{ "wrong aud", V_RING, K_HS1, "k-hs1", CLAIMS(",\"iss\":\"" ISS "\",\"aud\":\"other\""),
	  "claim aud does not name the configured audience wfmon" },
	{ "missing aud", V_RING, K_HS1, "k-hs1", CLAIMS(",\"iss\":\"" ISS "\""), "claim aud does not name" },
	{ "aud list holding it", V_RING, K_HS1, "k-hs1", CLAIMS(",\"iss\":\"" ISS "\",\"aud\":[\"x\",\"" AUD "\"]"),
	  NULL },
	{ "aud list without it", V_RING, K_HS1, "k-hs1", CLAIMS(",\"iss\":\"" ISS "\",\"aud\":[\"x\",\"y\"]"),
	  "claim aud does not name" },
	{ "aud a prefix of it", V_RING, K_HS1, "k-hs1", CLAIMS(",\"iss\":\"" ISS "\",\"aud\":\"wfm\""),
	  "claim aud does not name" },
	/* The keyring after rotation: k-rs1 gone, k-rs2 in. */
	{ "rotated: the new key", V_ROTATED, K_RS2, "k-rs2", GOODC, NULL },
	{ "rotated: the old key", V_ROTATED, K_RS1, "k-rs1", GOODC, "unknown key id (kid) k-rs1" },
	{ "rotated: no kid, no key without one", V_ROTATED, K_RS2, NULL, GOODC,
	  "names no key id (kid) and every key of the keyring has one" },
	/* A JWKS file. */
	{ "jwks: RSA", V_JWKS, K_RS1, "j-rs", GOODC, NULL },
	{ "jwks: EC P-256", V_JWKS, K_ES1, "j-es", GOODC, NULL },
	{ "jwks: oct", V_JWKS, K_OCT, "j-oct", GOODC, NULL },
	{ "jwks: an encryption key is not a signing key", V_JWKS, K_RS2, "j-enc", GOODC, "unknown key id" },
	{ "jwks: an RS512 key is passed over", V_JWKS, K_RS2, "j-rs512", GOODC, "unknown key id" },
	{ "jwks: EC kid, RSA token", V_JWKS, K_RS1, "j-es", GOODC,
	  "algorithm RS256 does not match the configured ES256" },
};

static void test_verify_case(void **state)
{
	const struct vcase *c = *state;
	struct auth_verifier *v = c->v == V_RING ? g_ring : c->v == V_ROTATED ? g_rotated : g_jwks;
	char *tok;
	if (c->claims == NULL) {
		/* {"alg":"HS256","kid":5} . GOODC, signed with HS1 by hand. */
		jwt_t *jwt = NULL;
		assert_int_equal(jwt_new(&jwt), 0);
		assert_int_equal(jwt_add_grants_json(jwt, GOODC), 0);
		assert_int_equal(jwt_add_header_int(jwt, "kid", 5), 0);
		assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)HS1, (int)strlen(HS1)), 0);
		tok = jwt_encode_str(jwt);
		jwt_free(jwt);
	} else {
		tok = token(c->key, c->kid, c->claims);
	}
	struct auth_identity who;
	char cause[512] = "";
	int rc = auth_verify(v, tok, NOW, &who, cause, sizeof cause);
	if (c->expect == NULL) {
		if (rc != 0)
			fail_msg("%s: refused: %s", c->name, cause);
		assert_string_equal(who.sub, "anna");
	} else {
		if (rc == 0)
			fail_msg("%s: accepted, expected \"%s\"", c->name, c->expect);
		if (strstr(cause, c->expect) == NULL)
			fail_msg("%s: cause \"%s\" does not contain \"%s\"", c->name, cause, c->expect);
	}
	free(tok);
}

/* ---- keyrings and JWKS files that are refused ----------------------------------------------------- */

struct kcase {
	const char *name;
	const char *ring;       /* "KID ALG FILE" lines, files relative to the test folder ("@": path) */
	const char *jwks;       /* a JWKS text to write, or NULL */
	const char *expect;     /* NULL: loads */
};

static const struct kcase kcases[] = {
	{ "ring line without a file", "k1 RS256", NULL, "expected \"KID ALG FILE\"" },
	{ "ring line with an unknown algorithm", "k1 HS512 @hs1", NULL, "expected HS256, RS256 or ES256" },
	{ "two keys with one kid", "k1 HS256 @hs1\nk1 HS256 @hs2", NULL, "two JWT keys have the kid k1" },
	{ "RS256 with a short RSA key", "k1 RS256 @rs-short.pub", NULL, "RS256 needs at least 2048" },
	{ "ES256 with an RSA key", "k1 ES256 @rs1.pub", NULL, "is not an EC key on P-256" },
	{ "RS256 with an EC key", "k1 RS256 @es1.pub", NULL, "is not an RSA key" },
	{ "a key file that is missing", "k1 HS256 @nope", NULL, "cannot open key file" },
	{ "a short HS256 secret", "k1 HS256 @short", NULL, "must be at least 32 bytes" },
	{ "jwks without keys", NULL, "{\"nokeys\":[]}", "is not a JSON object with a \"keys\" array" },
	{ "jwks that is not JSON", NULL, "{\"keys\":", "is not a JSON object" },
	{ "jwks with bad base64url", NULL, "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"n\":\"!!\",\"e\":\"AQAB\"}]}",
	  "keys[0] (kid a): \"n\" is not base64url" },
	{ "jwks EC point off the curve", NULL,
	  "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\",\"crv\":\"P-256\","
	  "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\",\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}]}",
	  "x and y are not a point on P-256" },
	{ "jwks short oct key", NULL, "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"o\",\"k\":\"c2hvcnQ\"}]}",
	  "an HS256 secret must be at least 32" },
	{ "jwks key without kid", NULL, "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2hvcnQ\"}]}", "\"kid\" must be" },
	{ "jwks with only keys for others", NULL,
	  "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"x\",\"use\":\"enc\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
	  "{\"kty\":\"OKP\",\"kid\":\"y\",\"crv\":\"Ed25519\",\"x\":\"AQAB\"}]}",
	  "holds no signing key wfmond can use" },
	{ "jwks with a duplicate kid", NULL,
	  "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"o\",\"k\":\"" "YW4tb2N0LWtleS1mcm9tLXRoZS1qd2tzLWZpbGUtMDEyMzQ1Njc4OWFiYw" "\"},"
	  "{\"kty\":\"oct\",\"kid\":\"o\",\"k\":\"" "YW4tb2N0LWtleS1mcm9tLXRoZS1qd2tzLWZpbGUtMDEyMzQ1Njc4OWFiYw" "\"}]}",
	  "kid o appears twice" },
	{ "jwks duplicate JSON keys", NULL, "{\"keys\":[],\"keys\":[]}", "is not a JSON object" },
};

/* "@name" in a ring becomes the file's path in the test folder. */
static char *ring_paths(const char *ring)
{
	char *out = calloc(1, 4096);
	for (const char *p = ring; *p; p++) {
		if (*p == '@') {
			const char *e = p + 1;
			while (*e && *e != '\n')
				e++;
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
			strcat(out, path(name));
			p = e - 1;
		} else {
			strncat(out, p, 1);
		}
	}
	return out;
}

static void test_key_case(void **state)
{
	const struct kcase *c = *state;
	char *ring = c->ring ? ring_paths(c->ring) : NULL;
	if (c->jwks)
		spit("case.jwks", c->jwks);
	struct auth_settings st = { .alg = AUTH_HS256, .ring = ring, .jwks_path = c->jwks ? path("case.jwks") : NULL,
				    .leeway_s = 0 };
	char cause[512] = "";
	struct auth_verifier *v = auth_verifier_build(&st, cause, sizeof cause);
	free(ring);
	if (v != NULL) {
		auth_verifier_free(v);
		fail_msg("%s: loaded, expected \"%s\"", c->name, c->expect);
	}
	if (strstr(cause, c->expect) == NULL)
		fail_msg("%s: cause \"%s\" does not contain \"%s\"", c->name, cause, c->expect);
}

/* ---- the rest ------------------------------------------------------------------------------------ */

static void test_token_size_limit(void **state)
{
	(void)state;
	/* A token of exactly 8192 bytes (groups from an identity provider pad
	 * it) is read; one byte more is not. */
	char *pad = malloc(9000);
	struct auth_identity who;
	char cause[256];
	for (size_t fill = 5800; fill < 6300; fill++) {
		memset(pad, 'g', fill);
		pad[fill] = '\0';
		char claims[9100];
		snprintf(claims, sizeof claims, CLAIMS(",\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"groups\":\"%s\""), pad);
		char *tok = token(K_HS1, "k-hs1", claims);
		size_t len = strlen(tok);
		if (len == 8192) {
			assert_int_equal(auth_verify(g_ring, tok, NOW, &who, cause, sizeof cause), 0);
			tok = realloc(tok, len + 2);
			/* One more base64url character in the signature: too long before anything else. */
			strcat(tok, "A");
			assert_int_equal(auth_verify(g_ring, tok, NOW, &who, cause, sizeof cause), -1);
			assert_non_null(strstr(cause, "longer than 8192 bytes"));
			free(tok);
			free(pad);
			return;
		}
		free(tok);
	}
	free(pad);
	fail_msg("no padding gave a token of 8192 bytes");
}

static void test_same_key_and_describe(void **state)
{
	(void)state;
	char *ring = ring_paths("k-hs1 HS256 @hs1\nk-rs1 RS256 @rs1.pub");
	struct auth_settings st = { .alg = AUTH_HS256, .key_path = path("hs0"), .ring = ring, .issuer = ISS,
				    .audience = AUD, .leeway_s = 30 };
	char cause[256], desc[1024];
	struct auth_verifier *a = auth_verifier_build(&st, cause, sizeof cause);
	struct auth_verifier *b = auth_verifier_build(&st, cause, sizeof cause);
	assert_true(auth_verifier_same_key(a, b));
	st.issuer = "https://another.example";
	struct auth_verifier *c = auth_verifier_build(&st, cause, sizeof cause);
	assert_false(auth_verifier_same_key(a, c));
	assert_false(auth_verifier_same_key(a, g_rotated));
	auth_verifier_describe(g_jwks, desc, sizeof desc);
	assert_non_null(strstr(desc, "j-rs RS256"));
	assert_non_null(strstr(desc, "j-es ES256"));
	assert_non_null(strstr(desc, "2 JWKS key(s) for other uses passed over"));
	/* No key material in the description. */
	assert_null(strstr(desc, HS1));
	auth_verifier_free(a);
	auth_verifier_free(b);
	auth_verifier_free(c);
	free(ring);
}

static int run(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "failed: %s\n", cmd);
	return rc;
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof g_dir, "/tmp/wfmon-test-keyring.XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	char cmd[2048];
	snprintf(cmd, sizeof cmd,
		 "cd %s && for k in rs1 rs2; do openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 "
		 "-out $k.key 2>/dev/null && openssl pkey -in $k.key -pubout -out $k.pub || exit 1; done && "
		 "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rs-short.key 2>/dev/null && "
		 "openssl pkey -in rs-short.key -pubout -out rs-short.pub && "
		 "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out es1.key 2>/dev/null && "
		 "openssl pkey -in es1.key -pubout -out es1.pub",
		 g_dir);
	if (run(cmd) != 0)
		return -1;
	spit("hs0", HS0 "\n");
	spit("hs1", HS1);
	spit("hs2", HS2);
	spit("short", "too short");
	json_t *keys = json_array();
	json_array_append_new(keys, rsa_jwk("rs1.pub", "j-rs"));
	json_array_append_new(keys, ec_jwk("es1.pub", "j-es"));
	json_array_append_new(keys, oct_jwk(OCT, "j-oct"));
	json_t *enc = rsa_jwk("rs2.pub", "j-enc");
	json_object_set_new(enc, "use", json_string("enc"));
	json_array_append_new(keys, enc);
	json_t *rs512 = rsa_jwk("rs2.pub", "j-rs512");
	json_object_set_new(rs512, "alg", json_string("RS512"));
	json_array_append_new(keys, rs512);
	write_jwks("idp.jwks", keys);

	char cause[512];
	char *ring = ring_paths("k-hs1 HS256 @hs1\nk-rs1 RS256 @rs1.pub");
	struct auth_settings st = { .alg = AUTH_HS256, .key_path = path("hs0"), .ring = ring, .issuer = ISS,
				    .audience = AUD, .leeway_s = 30 };
	g_ring = auth_verifier_build(&st, cause, sizeof cause);
	free(ring);
	ring = ring_paths("k-rs2 RS256 @rs2.pub");
	struct auth_settings rot = { .alg = AUTH_HS256, .ring = ring, .leeway_s = 30 };
	g_rotated = auth_verifier_build(&rot, cause, sizeof cause);
	free(ring);
	struct auth_settings jw = { .alg = AUTH_HS256, .jwks_path = path("idp.jwks"), .leeway_s = 30 };
	if (g_ring != NULL && g_rotated != NULL)
		g_jwks = auth_verifier_build(&jw, cause, sizeof cause);
	if (g_ring == NULL || g_rotated == NULL || g_jwks == NULL) {
		fprintf(stderr, "setup: %s\n", cause);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	auth_verifier_free(g_ring);
	auth_verifier_free(g_rotated);
	auth_verifier_free(g_jwks);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
	run(cmd);
	return 0;
}

int main(void)
{
	size_t nv = sizeof vcases / sizeof vcases[0], nk = sizeof kcases / sizeof kcases[0];
	struct CMUnitTest *tests = calloc(nv + nk + 4, sizeof *tests);
	size_t n = 0;
	for (size_t i = 0; i < nv; i++)
		tests[n++] = (struct CMUnitTest){ vcases[i].name, test_verify_case, NULL, NULL, (void *)&vcases[i] };
	for (size_t i = 0; i < nk; i++)
		tests[n++] = (struct CMUnitTest){ kcases[i].name, test_key_case, NULL, NULL, (void *)&kcases[i] };
	tests[n++] = (struct CMUnitTest){ "8 KiB tokens", test_token_size_limit, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "same key and describe", test_same_key_and_describe, NULL, NULL, NULL };
	int rc = _cmocka_run_group_tests("keyring", tests, n, group_setup, group_teardown);
	free(tests);
	return rc;
}
