/* test_auth.c: JWT verification (src/server/auth.c), table-driven.
 *
 * Keys are made fresh per run with the openssl command (an RSA 2048 and an EC
 * P-256 pair) in a mkdtemp folder. Well-formed tokens come from libjwt's own
 * encoder; tokens libjwt cannot produce (duplicate claims, "alg" spelled in
 * odd cases, a header that lies about the algorithm) are assembled by hand and,
 * where a valid HMAC matters, signed with `openssl dgst -mac HMAC` so that the
 * case fails for the reason under test and not for a bad signature. Each table
 * row is its own cmocka test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"

#define NOW 1700000000LL
#define LEEWAY 60
#define HS_SECRET "wfmon-test-secret-0123456789-abcdefghijklmnop"
#define HS_OTHER "another-secret-that-is-long-enough-0123456789"

/* Claims every valid token carries, without exp (added per case). */
#define BASE "\"sub\":\"alice\",\"org\":\"acme\",\"role\":\"operator\",\"iat\":1699999000"
#define EXP_OK "\"exp\":1700003600"
#define GOOD "{" BASE "," EXP_OK "}"

static char g_dir[64];
static char *g_rs_priv, *g_rs_pub, *g_es_priv, *g_es_pub;
static struct auth_verifier *g_hs, *g_rs, *g_es;

/* ---- Helpers ---------------------------------------------------------------- */

static char *path_in_dir(const char *name)
{
	static char buf[4][160];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, sizeof buf[0], "%s/%s", g_dir, name);
	return p;
}

static char *file_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = malloc(1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static void file_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int run(const char *cmd)
{
	int rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
	return rc;
}

static char *b64url(const unsigned char *data, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(len / 3 * 4 + 5);
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)data[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return out;
}

/* HMAC-SHA256 of data with key, computed by the openssl command, base64url. */
static char *hmac_cli(const char *key, size_t keylen, const char *data)
{
	char *hex = malloc(keylen * 2 + 1);
	for (size_t i = 0; i < keylen; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)key[i]);
	const char *in = path_in_dir("hmac.in"), *out = path_in_dir("hmac.out");
	file_write(in, data, strlen(data));
	char *cmd;
	assert_true(asprintf(&cmd, "openssl dgst -sha256 -mac HMAC -macopt hexkey:%s -binary -out %s %s",
			     hex, out, in) > 0);
	assert_int_equal(run(cmd), 0);
	free(cmd);
	free(hex);
	size_t n = 0;
	char *mac = file_slurp(out, &n);
	assert_non_null(mac);
	assert_int_equal(n, 32);
	char *sig = b64url((unsigned char *)mac, n);
	free(mac);
	return sig;
}

enum sig_mode { SIG_EMPTY, SIG_JUNK, SIG_HMAC, SIG_HMAC_OTHER, SIG_HMAC_RSA_PEM };

/* header.payload.signature assembled by hand. */
static char *token_hand(const char *header, const char *payload, enum sig_mode sig)
{
	char *h = b64url((const unsigned char *)header, strlen(header));
	char *p = b64url((const unsigned char *)payload, strlen(payload));
	char *input, *tok, *s = NULL;
	assert_true(asprintf(&input, "%s.%s", h, p) > 0);
	switch (sig) {
	case SIG_EMPTY: s = strdup(""); break;
	case SIG_JUNK: s = strdup("c2lnbmF0dXJlLWJ1dC1ub3QtcmVhbGx5LWFueXRoaW5n"); break;
	case SIG_HMAC: s = hmac_cli(HS_SECRET, strlen(HS_SECRET), input); break;
	case SIG_HMAC_OTHER: s = hmac_cli(HS_OTHER, strlen(HS_OTHER), input); break;
	case SIG_HMAC_RSA_PEM: s = hmac_cli(g_rs_pub, strlen(g_rs_pub), input); break;
	default: fail();
	}
	assert_true(asprintf(&tok, "%s.%s", input, s) > 0);
	free(h);
	free(p);
	free(input);
	free(s);
	return tok;
}

enum sign_key { KEY_HS, KEY_HS_OTHER, KEY_RS, KEY_ES, KEY_RS_PUB_AS_HMAC, KEY_NONE };

/* A token from libjwt's encoder with these claims (a JSON object). */
static char *token_lib(enum sign_key key, const char *claims)
{
	static const struct {
		jwt_alg_t alg;
	} algs[] = {
		[KEY_HS] = { JWT_ALG_HS256 }, [KEY_HS_OTHER] = { JWT_ALG_HS256 },
		[KEY_RS] = { JWT_ALG_RS256 }, [KEY_ES] = { JWT_ALG_ES256 },
		[KEY_RS_PUB_AS_HMAC] = { JWT_ALG_HS256 }, [KEY_NONE] = { JWT_ALG_NONE },
	};
	const char *k = NULL;
	switch (key) {
	case KEY_HS: k = HS_SECRET; break;
	case KEY_HS_OTHER: k = HS_OTHER; break;
	case KEY_RS: k = g_rs_priv; break;
	case KEY_ES: k = g_es_priv; break;
	case KEY_RS_PUB_AS_HMAC: k = g_rs_pub; break;
	case KEY_NONE: k = NULL; break;
	}
	jwt_t *jwt = NULL;
	assert_int_equal(jwt_new(&jwt), 0);
	assert_int_equal(jwt_add_grants_json(jwt, claims), 0);
	assert_int_equal(jwt_set_alg(jwt, algs[key].alg, (const unsigned char *)k,
				     k ? (int)strlen(k) : 0), 0);
	char *tok = jwt_encode_str(jwt);
	assert_non_null(tok);
	jwt_free(jwt);
	return tok;
}

/* Flips one bit of a base64url character in the middle of the signature (not
 * the last character, whose low bits may be padding a decoder ignores). */
static void token_flip_sig_bit(char *tok)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *sig = strrchr(tok, '.') + 1;
	char *c = sig + strlen(sig) / 2;
	int v = (int)(strchr(alphabet, *c) - alphabet);
	*c = alphabet[v ^ 1];
}

/* The header and payload of a, with the signature of b. */
static char *token_splice(const char *a, const char *b)
{
	const char *sig = strrchr(b, '.');
	size_t n = (size_t)(strrchr(a, '.') - a);
	char *tok;
	assert_true(asprintf(&tok, "%.*s%s", (int)n, a, sig) > 0);
	return tok;
}

/* ---- The verification table --------------------------------------------------- */

enum build { BUILD_LIB, BUILD_HAND, BUILD_RAW, BUILD_LIB_FLIP, BUILD_SPLICE, BUILD_LONG, BUILD_NULL };
enum which { V_HS, V_RS, V_ES };

struct vcase {
	const char *name;
	enum which verifier;
	enum build build;
	enum sign_key key;       /* BUILD_LIB, BUILD_LIB_FLIP, BUILD_SPLICE */
	const char *header;      /* BUILD_HAND */
	const char *claims;      /* BUILD_LIB, BUILD_HAND, BUILD_SPLICE (header+payload) */
	const char *claims2;     /* BUILD_SPLICE: the signature comes from these claims */
	enum sig_mode sig;       /* BUILD_HAND */
	const char *raw;         /* BUILD_RAW */
	const char *expect;      /* NULL: accepted; else a substring of the cause */
	const char *role;        /* accepted: the role to find */
};

#define HS_HDR "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static const struct vcase vcases[] = {
	/* Accepted. */
	{ "hs256 valid", V_HS, BUILD_LIB, KEY_HS, .claims = GOOD, .role = "operator" },
	{ "rs256 valid", V_RS, BUILD_LIB, KEY_RS, .claims = GOOD, .role = "operator" },
	{ "es256 valid", V_ES, BUILD_LIB, KEY_ES, .claims = GOOD, .role = "operator" },
	{ "hs256 hand-signed valid", V_HS, BUILD_HAND, .header = HS_HDR, .claims = GOOD,
	  .sig = SIG_HMAC, .role = "operator" },
	{ "each role: viewer", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"o\",\"role\":\"viewer\"," EXP_OK "}", .role = "viewer" },
	{ "each role: admin", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"o\",\"role\":\"admin\"," EXP_OK "}", .role = "admin" },
	{ "each role: producer", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"o.b:c-d_e\",\"role\":\"producer\"," EXP_OK "}",
	  .role = "producer" },
	{ "expired inside leeway", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{" BASE ",\"exp\":1699999950}", .role = "operator" },
	{ "nbf inside leeway", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{" BASE "," EXP_OK ",\"nbf\":1700000030}", .role = "operator" },
	{ "nbf in the past", V_RS, BUILD_LIB, KEY_RS,
	  .claims = "{" BASE "," EXP_OK ",\"nbf\":1690000000}", .role = "operator" },
	{ "exp exactly now+leeway", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{" BASE ",\"exp\":1699999940}", .role = "operator" },

	/* alg none, however spelled, signed or not. */
	{ "none from libjwt", V_HS, BUILD_LIB, KEY_NONE, .claims = GOOD,
	  .expect = "algorithm none is not accepted" },
	{ "none unsigned", V_HS, BUILD_HAND, .header = "{\"alg\":\"none\",\"typ\":\"JWT\"}",
	  .claims = GOOD, .sig = SIG_EMPTY, .expect = "algorithm none is not accepted" },
	{ "NONE with hmac", V_HS, BUILD_HAND, .header = "{\"alg\":\"NONE\"}",
	  .claims = GOOD, .sig = SIG_HMAC, .expect = "algorithm none is not accepted" },
	{ "nOnE with junk signature", V_HS, BUILD_HAND, .header = "{\"alg\":\"nOnE\"}",
	  .claims = GOOD, .sig = SIG_JUNK, .expect = "algorithm none is not accepted" },
	{ "none against rs256", V_RS, BUILD_HAND, .header = "{\"alg\":\"none\"}",
	  .claims = GOOD, .sig = SIG_EMPTY, .expect = "algorithm none is not accepted" },
	{ "none against es256", V_ES, BUILD_LIB, KEY_NONE, .claims = GOOD,
	  .expect = "algorithm none is not accepted" },
	{ "header without alg", V_HS, BUILD_HAND, .header = "{\"typ\":\"JWT\"}",
	  .claims = GOOD, .sig = SIG_HMAC, .expect = "malformed token" },
	{ "alg not a string", V_HS, BUILD_HAND, .header = "{\"alg\":256}",
	  .claims = GOOD, .sig = SIG_HMAC, .expect = "malformed token" },
	{ "duplicate alg in header", V_HS, BUILD_HAND,
	  .header = "{\"alg\":\"HS256\",\"alg\":\"none\"}", .claims = GOOD, .sig = SIG_EMPTY,
	  .expect = "malformed token: duplicate keys in the header" },
	{ "hs256 header, no signature", V_HS, BUILD_HAND, .header = HS_HDR,
	  .claims = GOOD, .sig = SIG_EMPTY, .expect = "bad signature" },

	/* Algorithm confusion. */
	{ "hs256 signed with the rsa public key", V_RS, BUILD_LIB, KEY_RS_PUB_AS_HMAC, .claims = GOOD,
	  .expect = "algorithm HS256 does not match the configured RS256" },
	{ "rs256 header, hmac with the rsa public key", V_RS, BUILD_HAND,
	  .header = "{\"alg\":\"RS256\"}", .claims = GOOD, .sig = SIG_HMAC_RSA_PEM,
	  .expect = "bad signature" },
	{ "rs256 token, hs256 verifier", V_HS, BUILD_LIB, KEY_RS, .claims = GOOD,
	  .expect = "algorithm RS256 does not match the configured HS256" },
	{ "es256 token, rs256 verifier", V_RS, BUILD_LIB, KEY_ES, .claims = GOOD,
	  .expect = "algorithm ES256 does not match the configured RS256" },
	{ "rs256 token, es256 verifier", V_ES, BUILD_LIB, KEY_RS, .claims = GOOD,
	  .expect = "algorithm RS256 does not match the configured ES256" },
	{ "hs512 header", V_HS, BUILD_HAND, .header = "{\"alg\":\"HS512\"}",
	  .claims = GOOD, .sig = SIG_HMAC, .expect = "algorithm HS512 does not match the configured HS256" },
	{ "lowercase hs256", V_HS, BUILD_HAND, .header = "{\"alg\":\"hs256\"}",
	  .claims = GOOD, .sig = SIG_HMAC, .expect = "does not match the configured HS256" },
	{ "alg with odd characters is not echoed", V_HS, BUILD_HAND,
	  .header = "{\"alg\":\"HS256\\nforged log line\"}", .claims = GOOD, .sig = SIG_HMAC,
	  .expect = "algorithm an unknown one does not match the configured HS256" },

	/* Signatures. */
	{ "hs256 flipped signature bit", V_HS, BUILD_LIB_FLIP, KEY_HS, .claims = GOOD,
	  .expect = "bad signature" },
	{ "rs256 flipped signature bit", V_RS, BUILD_LIB_FLIP, KEY_RS, .claims = GOOD,
	  .expect = "bad signature" },
	{ "es256 flipped signature bit", V_ES, BUILD_LIB_FLIP, KEY_ES, .claims = GOOD,
	  .expect = "bad signature" },
	{ "wrong secret", V_HS, BUILD_LIB, KEY_HS_OTHER, .claims = GOOD, .expect = "bad signature" },
	{ "wrong secret, hand-signed", V_HS, BUILD_HAND, .header = HS_HDR, .claims = GOOD,
	  .sig = SIG_HMAC_OTHER, .expect = "bad signature" },
	{ "payload swapped under a valid signature", V_HS, BUILD_SPLICE, KEY_HS,
	  .claims = "{\"sub\":\"alice\",\"org\":\"acme\",\"role\":\"admin\"," EXP_OK "}",
	  .claims2 = GOOD, .expect = "bad signature" },
	{ "junk signature", V_RS, BUILD_HAND, .header = "{\"alg\":\"RS256\"}", .claims = GOOD,
	  .sig = SIG_JUNK, .expect = "bad signature" },

	/* Time. */
	{ "expired", V_HS, BUILD_LIB, KEY_HS, .claims = "{" BASE ",\"exp\":1699999939}",
	  .expect = "token expired" },
	{ "expired long ago", V_RS, BUILD_LIB, KEY_RS, .claims = "{" BASE ",\"exp\":0}",
	  .expect = "token expired" },
	{ "expired, negative exp", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{" BASE ",\"exp\":-9223372036854775807}", .expect = "token expired" },
	{ "nbf in the future", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{" BASE "," EXP_OK ",\"nbf\":1700000120}", .expect = "token not yet valid (nbf)" },
	{ "nbf far in the future", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{" BASE "," EXP_OK ",\"nbf\":9223372036854775807}",
	  .expect = "token not yet valid (nbf)" },

	/* Missing claims. */
	{ "missing exp", V_HS, BUILD_LIB, KEY_HS, .claims = "{" BASE "}", .expect = "missing claim exp" },
	{ "missing sub", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"org\":\"acme\",\"role\":\"admin\"," EXP_OK "}", .expect = "missing claim sub" },
	{ "missing org", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"role\":\"admin\"," EXP_OK "}", .expect = "missing claim org" },
	{ "missing role", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"acme\"," EXP_OK "}", .expect = "missing claim role" },
	{ "empty payload", V_RS, BUILD_LIB, KEY_RS, .claims = "{}", .expect = "missing claim exp" },

	/* Wrongly typed claims. */
	{ "exp as string", V_HS, BUILD_LIB, KEY_HS, .claims = "{" BASE ",\"exp\":\"1700003600\"}",
	  .expect = "claim exp must be an integer" },
	{ "exp as real", V_HS, BUILD_LIB, KEY_HS, .claims = "{" BASE ",\"exp\":1700003600.0}",
	  .expect = "claim exp must be an integer" },
	{ "exp as null", V_HS, BUILD_LIB, KEY_HS, .claims = "{" BASE ",\"exp\":null}",
	  .expect = "claim exp must be an integer" },
	{ "nbf as string", V_HS, BUILD_LIB, KEY_HS, .claims = "{" BASE "," EXP_OK ",\"nbf\":\"0\"}",
	  .expect = "claim nbf must be an integer" },
	{ "iat as bool", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"o\",\"role\":\"admin\",\"iat\":true," EXP_OK "}",
	  .expect = "claim iat must be an integer" },
	{ "org as number", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":42,\"role\":\"admin\"," EXP_OK "}",
	  .expect = "claim org must be a string" },
	{ "org with a space", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"ac me\",\"role\":\"admin\"," EXP_OK "}",
	  .expect = "claim org must be an id" },
	{ "org empty", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"\",\"role\":\"admin\"," EXP_OK "}",
	  .expect = "claim org must be 1 to 64 characters" },
	{ "org too long", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"o123456789o123456789o123456789o123456789o123456789o123456789"
		    "o1234\",\"role\":\"admin\"," EXP_OK "}",
	  .expect = "claim org must be 1 to 64 characters" },
	{ "role unknown", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"o\",\"role\":\"superuser\"," EXP_OK "}",
	  .expect = "claim role must be one of viewer, operator, admin, producer" },
	{ "role in capitals", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"o\",\"role\":\"Admin\"," EXP_OK "}",
	  .expect = "claim role must be one of" },
	{ "role as array", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\",\"org\":\"o\",\"role\":[\"admin\"]," EXP_OK "}",
	  .expect = "claim role must be a string" },
	{ "sub empty", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"\",\"org\":\"o\",\"role\":\"admin\"," EXP_OK "}",
	  .expect = "claim sub must be 1 to 128 characters" },
	{ "sub 129 characters", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"" /* 129 characters: */
		    "0123456789012345678901234567890123456789012345678901234567890123"
		    "45678901234567890123456789012345678901234567890123456789012345678\","
		    "\"org\":\"o\",\"role\":\"admin\"," EXP_OK "}",
	  .expect = "claim sub must be 1 to 128 characters" },
	{ "sub with embedded NUL", V_HS, BUILD_HAND, .header = HS_HDR, .sig = SIG_HMAC,
	  .claims = "{\"sub\":\"ad\\u0000min\",\"org\":\"o\",\"role\":\"admin\"," EXP_OK "}",
	  .expect = "malformed token: the payload is not a base64url-encoded JSON object" },
	{ "sub with a newline", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":\"a\\nb\",\"org\":\"o\",\"role\":\"admin\"," EXP_OK "}",
	  .expect = "claim sub contains a control character" },
	{ "sub as number", V_HS, BUILD_LIB, KEY_HS,
	  .claims = "{\"sub\":7,\"org\":\"o\",\"role\":\"admin\"," EXP_OK "}",
	  .expect = "claim sub must be a string" },

	/* Duplicate claims, validly signed: the second value must not win. */
	{ "duplicate role", V_HS, BUILD_HAND, .header = HS_HDR,
	  .claims = "{" BASE "," EXP_OK ",\"role\":\"admin\"}", .sig = SIG_HMAC,
	  .expect = "malformed token: duplicate claims" },
	{ "duplicate exp", V_HS, BUILD_HAND, .header = HS_HDR,
	  .claims = "{" BASE ",\"exp\":1,\"exp\":1700003600}", .sig = SIG_HMAC,
	  .expect = "malformed token: duplicate claims" },
	{ "duplicate org", V_HS, BUILD_HAND, .header = HS_HDR,
	  .claims = "{\"org\":\"acme\"," BASE "," EXP_OK "}", .sig = SIG_HMAC,
	  .expect = "malformed token: duplicate claims" },
	{ "payload is an array", V_HS, BUILD_HAND, .header = HS_HDR, .claims = "[1,2]",
	  .sig = SIG_HMAC, .expect = "malformed token" },
	{ "payload is not JSON", V_HS, BUILD_HAND, .header = HS_HDR, .claims = "exp=1",
	  .sig = SIG_HMAC, .expect = "malformed token" },

	/* Garbage. */
	{ "NULL", V_HS, BUILD_NULL, .expect = "malformed token" },
	{ "empty string", V_HS, BUILD_RAW, .raw = "", .expect = "malformed token" },
	{ "one dot", V_HS, BUILD_RAW, .raw = "a.b", .expect = "malformed token" },
	{ "no dot", V_HS, BUILD_RAW, .raw = "eyJhbGciOiJIUzI1NiJ9", .expect = "malformed token" },
	{ "three dots", V_HS, BUILD_RAW, .raw = "a.b.c.d", .expect = "malformed token" },
	{ "only dots", V_HS, BUILD_RAW, .raw = "..", .expect = "malformed token" },
	{ "only three dots", V_HS, BUILD_RAW, .raw = "...", .expect = "malformed token" },
	{ "invalid base64", V_HS, BUILD_RAW, .raw = "eyJ!bGciOiJIUzI1NiJ9.e30.c2ln", .expect = "malformed token" },
	{ "padded base64", V_HS, BUILD_RAW, .raw = "eyJhbGciOiJIUzI1NiJ9.e30=.c2ln", .expect = "malformed token" },
	{ "standard base64 alphabet", V_HS, BUILD_RAW, .raw = "eyJhbGciOiJIUzI1NiJ9.e3+/.c2ln",
	  .expect = "malformed token" },
	{ "impossible base64 length", V_HS, BUILD_RAW, .raw = "eyJhbGciOiJIUzI1NiJ9A.e30.c2ln",
	  .expect = "malformed token" },
	{ "header not JSON", V_HS, BUILD_RAW, .raw = "aGVsbG8.e30.c2ln", .expect = "malformed token" },
	{ "bearer prefix left in", V_HS, BUILD_RAW, .raw = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
	  .expect = "malformed token" },
	{ "10 KB token", V_HS, BUILD_LONG, .expect = "malformed token: longer than 8192 bytes" },
};

static char *vcase_token(const struct vcase *c)
{
	switch (c->build) {
	case BUILD_LIB:
		return token_lib(c->key, c->claims);
	case BUILD_LIB_FLIP: {
		char *t = token_lib(c->key, c->claims);
		token_flip_sig_bit(t);
		return t;
	}
	case BUILD_HAND:
		return token_hand(c->header, c->claims, c->sig);
	case BUILD_SPLICE: {
		char *a = token_lib(c->key, c->claims), *b = token_lib(c->key, c->claims2);
		char *t = token_splice(a, b);
		free(a);
		free(b);
		return t;
	}
	case BUILD_RAW:
		return strdup(c->raw);
	case BUILD_LONG: {
		/* header.<10 KiB of base64url>.signature: three well-formed
		 * segments, so that only the length can refuse it. */
		char *good = token_lib(KEY_HS, GOOD);
		const char *dot = strchr(good, '.'), *sig = strrchr(good, '.');
		char *t = NULL;
		assert_true(asprintf(&t, "%.*s.%0*d%s", (int)(dot - good), good, 10 * 1024, 0, sig) > 0);
		free(good);
		assert_int_equal(strchr(strchr(t, '.') + 1, '.') - t, (long)(dot - good) + 1 + 10 * 1024);
		return t;
	}
	case BUILD_NULL:
		return NULL;
	}
	return NULL;
}

static void test_verify_case(void **state)
{
	const struct vcase *c = *state;
	struct auth_verifier *v = c->verifier == V_HS ? g_hs : c->verifier == V_RS ? g_rs : g_es;
	char *tok = vcase_token(c);
	struct auth_identity who;
	memset(&who, 0x5a, sizeof who);
	char cause[256] = "";
	int rc = auth_verify(v, tok, NOW, &who, cause, sizeof cause);
	if (c->expect == NULL) {
		if (rc != 0)
			fail_msg("%s: refused: %s", c->name, cause);
		assert_string_equal(who.role == ROLE__COUNT ? "?" : auth_role_name(who.role), c->role);
		assert_true(who.sub[0] != '\0' && strlen(who.sub) <= PROTO_MAX_NAME);
		assert_true(who.org[0] != '\0');
		assert_int_equal(who.exp, c->claims && strstr(c->claims, "1699999950") ? 1699999950 :
					  c->claims && strstr(c->claims, "1699999940") ? 1699999940 :
					  1700003600);
	} else {
		if (rc != -1)
			fail_msg("%s: accepted, expected \"%s\"", c->name, c->expect);
		if (strstr(cause, c->expect) == NULL)
			fail_msg("%s: cause \"%s\" does not contain \"%s\"", c->name, cause, c->expect);
		/* The cause must not quote any part of the token. */
		if (tok != NULL) {
			char *copy = strdup(tok), *save = NULL;
			for (char *seg = strtok_r(copy, ".", &save); seg; seg = strtok_r(NULL, ".", &save))
				if (strlen(seg) >= 8 && strstr(cause, seg) != NULL)
					fail_msg("%s: cause quotes the token: %s", c->name, cause);
			free(copy);
		}
	}
	free(tok);
}

static void test_sub_and_org_copied(void **state)
{
	(void)state;
	char *tok = token_lib(KEY_HS, "{\"sub\":\"bob@example.com\",\"org\":\"org-7\","
				      "\"role\":\"producer\",\"exp\":1700000100}");
	struct auth_identity who;
	char cause[256];
	assert_int_equal(auth_verify(g_hs, tok, NOW, &who, cause, sizeof cause), 0);
	assert_string_equal(who.sub, "bob@example.com");
	assert_string_equal(who.org, "org-7");
	assert_int_equal(who.role, ROLE_PRODUCER);
	assert_int_equal(who.exp, 1700000100);
	/* The same token an hour later. */
	assert_int_equal(auth_verify(g_hs, tok, NOW + 3600, &who, cause, sizeof cause), -1);
	assert_string_equal(cause, "token expired");
	/* A tiny cause buffer is truncated, not overrun; none at all is fine. */
	char small[6];
	assert_int_equal(auth_verify(g_hs, "x", NOW, &who, small, sizeof small), -1);
	assert_string_equal(small, "malfo");
	assert_int_equal(auth_verify(g_hs, "x", NOW, &who, NULL, 0), -1);
	free(tok);
}

/* ---- Key files ------------------------------------------------------------------ */

enum keyfile { KF_MISSING, KF_EMPTY, KF_NEWLINE_ONLY, KF_SHORT, KF_SHORT_NL, KF_EXACT32_NL,
	       KF_HS, KF_RS_PUB, KF_RS_PRIV, KF_ES_PUB, KF_BOTH, KF_HUGE, KF_DIR, KF_NULL };

struct kcase {
	const char *name;
	enum auth_alg alg;
	enum keyfile file;
	int leeway;
	const char *expect; /* NULL: loads */
};

static const struct kcase kcases[] = {
	{ "hs256 secret", AUTH_HS256, KF_HS, 0, NULL },
	{ "hs256 32 bytes plus newline", AUTH_HS256, KF_EXACT32_NL, 0, NULL },
	{ "rs256 public key", AUTH_RS256, KF_RS_PUB, 30, NULL },
	{ "es256 public key", AUTH_ES256, KF_ES_PUB, 3600, NULL },
	{ "missing file", AUTH_HS256, KF_MISSING, 0, "cannot open key file" },
	{ "no path", AUTH_HS256, KF_NULL, 0, "no key file given" },
	{ "empty file", AUTH_HS256, KF_EMPTY, 0, "is empty" },
	{ "empty rs256 file", AUTH_RS256, KF_EMPTY, 0, "is empty" },
	{ "only a newline", AUTH_HS256, KF_NEWLINE_ONLY, 0, "must be at least 32 bytes" },
	{ "31-byte secret", AUTH_HS256, KF_SHORT, 0, "is 31 bytes: it must be at least 32 bytes" },
	{ "31-byte secret plus newline", AUTH_HS256, KF_SHORT_NL, 0, "is 31 bytes" },
	{ "directory", AUTH_HS256, KF_DIR, 0, "is not a readable file" },
	{ "over 64 KiB", AUTH_RS256, KF_HUGE, 0, "larger than 64 KiB" },
	{ "rs256 with a secret", AUTH_RS256, KF_HS, 0, "is not a PEM public key" },
	{ "rs256 with a private key", AUTH_RS256, KF_RS_PRIV, 0, "is not a PEM public key" },
	{ "es256 with public and private key", AUTH_ES256, KF_BOTH, 0, "also holds a private key" },
	{ "negative leeway", AUTH_HS256, KF_HS, -1, "out of range" },
	{ "huge leeway", AUTH_HS256, KF_HS, 86400, "out of range" },
	{ "bad algorithm", (enum auth_alg)7, KF_HS, 0, "unknown JWT algorithm" },
};

static const char *keyfile_path(enum keyfile f)
{
	static const char *const names[] = {
		[KF_MISSING] = "does-not-exist", [KF_EMPTY] = "empty", [KF_NEWLINE_ONLY] = "nl",
		[KF_SHORT] = "short", [KF_SHORT_NL] = "short-nl", [KF_EXACT32_NL] = "exact32",
		[KF_HS] = "hs.secret", [KF_RS_PUB] = "rs.pub", [KF_RS_PRIV] = "rs.key",
		[KF_ES_PUB] = "es.pub", [KF_BOTH] = "both.pem", [KF_HUGE] = "huge", [KF_DIR] = "subdir",
	};
	return f == KF_NULL ? NULL : path_in_dir(names[f]);
}

static void test_key_case(void **state)
{
	const struct kcase *c = *state;
	char cause[512] = "";
	struct auth_verifier *v = auth_verifier_new(c->alg, keyfile_path(c->file), c->leeway,
						    cause, sizeof cause);
	if (c->expect == NULL) {
		if (v == NULL)
			fail_msg("%s: refused: %s", c->name, cause);
		auth_verifier_free(v);
		return;
	}
	if (v != NULL)
		fail_msg("%s: loaded, expected \"%s\"", c->name, c->expect);
	if (strstr(cause, c->expect) == NULL)
		fail_msg("%s: cause \"%s\" does not contain \"%s\"", c->name, cause, c->expect);
	/* The secret itself never appears in a cause. */
	assert_null(strstr(cause, "0123456789abcdef"));
}

/* The newline stripped from a 32-byte secret file must not have been part of the
 * key: a token signed with the 32 bytes verifies. */
static void test_newline_stripped(void **state)
{
	(void)state;
	char cause[256];
	struct auth_verifier *v = auth_verifier_new(AUTH_HS256, keyfile_path(KF_EXACT32_NL), 0,
						    cause, sizeof cause);
	assert_non_null(v);
	const char *secret = "0123456789abcdef0123456789abcdef";
	jwt_t *jwt = NULL;
	assert_int_equal(jwt_new(&jwt), 0);
	assert_int_equal(jwt_add_grants_json(jwt, GOOD), 0);
	assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, 32), 0);
	char *tok = jwt_encode_str(jwt);
	jwt_free(jwt);
	struct auth_identity who;
	assert_int_equal(auth_verify(v, tok, NOW, &who, cause, sizeof cause), 0);
	free(tok);
	auth_verifier_free(v);
}

static void test_names(void **state)
{
	(void)state;
	enum auth_alg alg;
	assert_int_equal(auth_alg_parse("HS256", &alg), 0);
	assert_int_equal(alg, AUTH_HS256);
	assert_int_equal(auth_alg_parse("RS256", &alg), 0);
	assert_int_equal(alg, AUTH_RS256);
	assert_int_equal(auth_alg_parse("ES256", &alg), 0);
	assert_int_equal(alg, AUTH_ES256);
	assert_int_equal(auth_alg_parse("hs256", &alg), -1);
	assert_int_equal(auth_alg_parse("none", &alg), -1);
	assert_int_equal(auth_alg_parse("", &alg), -1);
	assert_int_equal(auth_alg_parse(NULL, &alg), -1);

	for (int r = 0; r < ROLE__COUNT; r++) {
		enum auth_role back;
		assert_non_null(auth_role_name((enum auth_role)r));
		assert_int_equal(auth_role_parse(auth_role_name((enum auth_role)r), &back), 0);
		assert_int_equal(back, r);
	}
	assert_null(auth_role_name(ROLE__COUNT));
	enum auth_role role;
	assert_int_equal(auth_role_parse("root", &role), -1);
	assert_int_equal(auth_role_parse("", &role), -1);
}

/* ---- Fixture -------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof g_dir, "/tmp/wfmon-test-auth.XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	char *cmd;
	if (asprintf(&cmd,
		     "cd %s && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rs.key 2>/dev/null"
		     " && openssl pkey -in rs.key -pubout -out rs.pub"
		     " && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out es.key 2>/dev/null"
		     " && openssl pkey -in es.key -pubout -out es.pub"
		     " && cat es.pub es.key > both.pem",
		     g_dir) < 0 || run(cmd) != 0)
		return -1;
	free(cmd);
	g_rs_priv = file_slurp(keyfile_path(KF_RS_PRIV), NULL);
	g_rs_pub = file_slurp(keyfile_path(KF_RS_PUB), NULL);
	g_es_priv = file_slurp(path_in_dir("es.key"), NULL);
	g_es_pub = file_slurp(keyfile_path(KF_ES_PUB), NULL);
	if (!g_rs_priv || !g_rs_pub || !g_es_priv || !g_es_pub)
		return -1;

	file_write(keyfile_path(KF_HS), HS_SECRET "\n", strlen(HS_SECRET) + 1);
	file_write(keyfile_path(KF_EMPTY), "", 0);
	file_write(keyfile_path(KF_NEWLINE_ONLY), "\n", 1);
	file_write(keyfile_path(KF_SHORT), "0123456789abcdef0123456789abcde", 31);
	file_write(keyfile_path(KF_SHORT_NL), "0123456789abcdef0123456789abcde\n", 32);
	file_write(keyfile_path(KF_EXACT32_NL), "0123456789abcdef0123456789abcdef\n", 33);
	size_t hugelen = 64 * 1024 + 1;
	char *huge = malloc(hugelen);
	memset(huge, 'k', hugelen);
	memcpy(huge, "-----BEGIN PUBLIC KEY-----\n", 27);
	file_write(keyfile_path(KF_HUGE), huge, hugelen);
	free(huge);
	if (mkdir(keyfile_path(KF_DIR), 0700) != 0)
		return -1;

	char cause[256];
	g_hs = auth_verifier_new(AUTH_HS256, keyfile_path(KF_HS), LEEWAY, cause, sizeof cause);
	g_rs = auth_verifier_new(AUTH_RS256, keyfile_path(KF_RS_PUB), LEEWAY, cause, sizeof cause);
	g_es = auth_verifier_new(AUTH_ES256, keyfile_path(KF_ES_PUB), LEEWAY, cause, sizeof cause);
	if (!g_hs || !g_rs || !g_es) {
		fprintf(stderr, "setup: %s\n", cause);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	auth_verifier_free(g_hs);
	auth_verifier_free(g_rs);
	auth_verifier_free(g_es);
	free(g_rs_priv);
	free(g_rs_pub);
	free(g_es_priv);
	free(g_es_pub);
	char *cmd;
	if (g_dir[0] && asprintf(&cmd, "rm -rf %s", g_dir) > 0) {
		run(cmd);
		free(cmd);
	}
	return 0;
}

int main(void)
{
	size_t nv = sizeof vcases / sizeof vcases[0], nk = sizeof kcases / sizeof kcases[0];
	struct CMUnitTest *tests = calloc(nv + nk + 8, sizeof *tests);
	size_t n = 0;
	for (size_t i = 0; i < nv; i++) {
		tests[n++] = (struct CMUnitTest){ vcases[i].name, test_verify_case, NULL, NULL,
						  (void *)&vcases[i] };
	}
	for (size_t i = 0; i < nk; i++)
		tests[n++] = (struct CMUnitTest){ kcases[i].name, test_key_case, NULL, NULL,
						  (void *)&kcases[i] };
	tests[n++] = (struct CMUnitTest){ "identity copied", test_sub_and_org_copied, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "newline stripped", test_newline_stripped, NULL, NULL, NULL };
	tests[n++] = (struct CMUnitTest){ "names", test_names, NULL, NULL, NULL };
	int rc = _cmocka_run_group_tests("auth", tests, n, group_setup, group_teardown);
	free(tests);
	return rc;
}
