/* auth.c: JWT verification for wfmond on top of libjwt 1.10.2.
 *
 * Owns the verifier (pinned algorithm, a private copy of the key, the leeway)
 * and every check libjwt 1.10.2 does not make. Invariants:
 * - a verifier always holds a non-empty key: libjwt accepts any token when the
 *   key is empty, so a verifier without one must never exist;
 * - nothing reaches jwt_decode unless it is three base64url segments of at most
 *   AUTH_MAX_TOKEN bytes whose header and payload are JSON objects without
 *   duplicate keys, and whose header "alg" is exactly the pinned algorithm;
 * - claims are read from our own parse of the payload (JSON_REJECT_DUPLICATES),
 *   never from libjwt's, which keeps the last of two duplicate claims;
 * - a cause never contains the token or the key; the only token-derived text
 *   it may hold is an "alg" value, and only when it is short and alphanumeric. */
#include "auth.h"
#include "keyfile.h"
#include "names.h"

#include <errno.h>
#include <fcntl.h>
#include <jwt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

#define AUTH_MAX_TOKEN 8192
#define AUTH_MAX_KEY_FILE (64 * 1024)
#define AUTH_MIN_HS256_SECRET 32
#define AUTH_MAX_LEEWAY 3600
#define AUTH_MAX_SUB 128

struct auth_verifier {
	enum auth_alg alg;
	int leeway_s;
	unsigned char *key;
	size_t keylen;
};

static const char *const role_names[ROLE__COUNT] = {
	[ROLE_VIEWER] = "viewer",
	[ROLE_OPERATOR] = "operator",
	[ROLE_ADMIN] = "admin",
	[ROLE_PRODUCER] = "producer",
};

static const struct {
	const char *name;
	jwt_alg_t jwt;
	bool is_hmac;
} alg_table[] = {
	[AUTH_HS256] = { "HS256", JWT_ALG_HS256, true },
	[AUTH_RS256] = { "RS256", JWT_ALG_RS256, false },
	[AUTH_ES256] = { "ES256", JWT_ALG_ES256, false },
};
#define ALG_COUNT (sizeof alg_table / sizeof alg_table[0])

static void cause_set(char *cause, size_t causelen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cause_set(char *cause, size_t causelen, const char *fmt, ...)
{
	if (cause == NULL || causelen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cause, causelen, fmt, ap);
	va_end(ap);
}

const char *auth_role_name(enum auth_role role)
{
	if ((unsigned)role >= ROLE__COUNT)
		return NULL;
	return role_names[role];
}

int auth_role_parse(const char *name, enum auth_role *out)
{
	int i = names_find(role_names, ROLE__COUNT, name);
	if (i < 0)
		return -1;
	*out = (enum auth_role)i;
	return 0;
}

const char *auth_alg_name(enum auth_alg alg)
{
	return (unsigned)alg < ALG_COUNT ? alg_table[alg].name : "unknown";
}

bool auth_verifier_same_key(const struct auth_verifier *a, const struct auth_verifier *b)
{
	return a->alg == b->alg && a->leeway_s == b->leeway_s && a->keylen == b->keylen &&
	       memcmp(a->key, b->key, a->keylen) == 0;
}

int auth_alg_parse(const char *name, enum auth_alg *out)
{
	if (name == NULL)
		return -1;
	for (unsigned i = 0; i < ALG_COUNT; i++) {
		if (strcmp(name, alg_table[i].name) == 0) {
			*out = (enum auth_alg)i;
			return 0;
		}
	}
	return -1;
}

/* ---- Key files ------------------------------------------------------------ */

static unsigned char *key_file_read(const char *path, size_t *len, char *cause, size_t causelen)
{
	if (path == NULL || path[0] == '\0') {
		cause_set(cause, causelen, "no key file given: configure the path of the JWT key file");
		return NULL;
	}
	return keyfile_read(path, "key file", AUTH_MAX_KEY_FILE, len, cause, causelen);
}

struct auth_verifier *auth_verifier_new(enum auth_alg alg, const char *key_path,
					int leeway_s, char *cause, size_t causelen)
{
	if ((unsigned)alg >= ALG_COUNT) {
		cause_set(cause, causelen, "unknown JWT algorithm: use HS256, RS256 or ES256");
		return NULL;
	}
	if (leeway_s < 0 || leeway_s > AUTH_MAX_LEEWAY) {
		cause_set(cause, causelen, "JWT leeway %d s is out of range: use 0 to %d seconds",
			  leeway_s, AUTH_MAX_LEEWAY);
		return NULL;
	}
	size_t len = 0;
	unsigned char *key = key_file_read(key_path, &len, cause, causelen);
	if (key == NULL)
		return NULL;

	if (alg_table[alg].is_hmac) {
		if (key[len - 1] == '\n')
			key[--len] = '\0';
		if (len < AUTH_MIN_HS256_SECRET) {
			cause_set(cause, causelen,
				  "HS256 secret in %s is %zu bytes: it must be at least %d bytes "
				  "(e.g. head -c 48 /dev/urandom | base64 > %s)",
				  key_path, len, AUTH_MIN_HS256_SECRET, key_path);
			goto fail;
		}
	} else if (strstr((char *)key, "-----BEGIN PUBLIC KEY-----") == NULL ||
		   strstr((char *)key, "-----END PUBLIC KEY-----") == NULL) {
		cause_set(cause, causelen,
			  "%s key file %s is not a PEM public key (\"-----BEGIN PUBLIC KEY-----\"): "
			  "export it with openssl pkey -in PRIVATE.pem -pubout",
			  alg_table[alg].name, key_path);
		goto fail;
	} else if (strstr((char *)key, "PRIVATE KEY-----") != NULL) {
		cause_set(cause, causelen,
			  "%s key file %s also holds a private key: give the daemon only the public key",
			  alg_table[alg].name, key_path);
		goto fail;
	}

	struct auth_verifier *v = xcalloc(1, sizeof *v);
	v->alg = alg;
	v->leeway_s = leeway_s;
	v->key = key;
	v->keylen = len;
	return v;
fail:
	explicit_bzero(key, len);
	free(key);
	return NULL;
}

void auth_verifier_free(struct auth_verifier *v)
{
	if (v == NULL)
		return;
	explicit_bzero(v->key, v->keylen);
	free(v->key);
	free(v);
}

/* ---- Token structure ------------------------------------------------------ */

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes unpadded base64url (RFC 7515 section 2) into a new buffer of at most
 * 3/4 of len bytes. Returns NULL for characters outside the alphabet or a
 * length no encoder produces. */
static unsigned char *b64url_decode(const char *s, size_t len, size_t *outlen)
{
	if (len % 4 == 1)
		return NULL;
	unsigned char *out = malloc(len / 4 * 3 + 3);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value((unsigned char)s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	*outlen = o;
	return out;
}

/* Decodes one segment into a JSON object, refusing duplicate keys; *dup says
 * whether duplicates were the reason for a NULL. */
static json_t *segment_json(const char *s, size_t len, bool *dup)
{
	*dup = false;
	size_t n = 0;
	unsigned char *raw = b64url_decode(s, len, &n);
	if (raw == NULL)
		return NULL;
	json_error_t err;
	json_t *obj = json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, &err);
	free(raw);
	if (obj == NULL) {
		*dup = json_error_code(&err) == json_error_duplicate_key;
		return NULL;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* True for a segment that is all base64url characters. */
static bool segment_chars_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b64url_value((unsigned char)s[i]) < 0)
			return false;
	return true;
}

/* Names an untrusted "alg" value in a cause only when it cannot carry anything
 * but an algorithm name: no control characters, no token fragments. */
static const char *alg_printable(const char *alg)
{
	size_t n = strlen(alg);
	if (n == 0 || n > 16)
		return "an unknown one";
	for (size_t i = 0; i < n; i++) {
		char c = alg[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return "an unknown one";
	}
	return alg;
}

/* Checks the header against the pinned algorithm. */
static int header_check(const struct auth_verifier *v, json_t *header, char *cause, size_t causelen)
{
	const char *pinned = alg_table[v->alg].name;
	json_t *alg = json_object_get(header, "alg");
	if (alg == NULL) {
		cause_set(cause, causelen, "malformed token: the header has no \"alg\"");
		return -1;
	}
	if (!json_is_string(alg) || json_string_length(alg) != strlen(json_string_value(alg))) {
		cause_set(cause, causelen, "malformed token: the header \"alg\" is not a string");
		return -1;
	}
	const char *name = json_string_value(alg);
	if (strcasecmp(name, "none") == 0) {
		cause_set(cause, causelen, "algorithm none is not accepted");
		return -1;
	}
	if (strcmp(name, pinned) != 0) {
		cause_set(cause, causelen, "algorithm %s does not match the configured %s",
			  alg_printable(name), pinned);
		return -1;
	}
	return 0;
}

/* ---- Claims --------------------------------------------------------------- */

static int claim_int(json_t *payload, const char *name, bool required, int64_t *out,
		     bool *present, char *cause, size_t causelen)
{
	json_t *val = json_object_get(payload, name);
	*present = val != NULL;
	if (val == NULL) {
		if (required) {
			cause_set(cause, causelen, "missing claim %s", name);
			return -1;
		}
		return 0;
	}
	if (!json_is_integer(val)) {
		cause_set(cause, causelen, "claim %s must be an integer", name);
		return -1;
	}
	*out = (int64_t)json_integer_value(val);
	return 0;
}

/* Reads a required string claim without embedded NUL or control characters
 * (these end up in logs), of 1..maxlen bytes. */
static const char *claim_string(json_t *payload, const char *name, size_t maxlen,
				char *cause, size_t causelen)
{
	json_t *val = json_object_get(payload, name);
	if (val == NULL) {
		cause_set(cause, causelen, "missing claim %s", name);
		return NULL;
	}
	if (!json_is_string(val)) {
		cause_set(cause, causelen, "claim %s must be a string", name);
		return NULL;
	}
	const char *s = json_string_value(val);
	size_t n = json_string_length(val);
	if (n == 0 || n > maxlen || strlen(s) != n) {
		cause_set(cause, causelen, "claim %s must be 1 to %zu characters", name, maxlen);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			cause_set(cause, causelen, "claim %s contains a control character", name);
			return NULL;
		}
	}
	return s;
}

static int claims_check(const struct auth_verifier *v, json_t *payload, int64_t now_s,
			struct auth_identity *who, char *cause, size_t causelen)
{
	int64_t exp = 0, nbf = 0, iat = 0;
	bool has_exp, has_nbf, has_iat;
	if (claim_int(payload, "exp", true, &exp, &has_exp, cause, causelen) != 0 ||
	    claim_int(payload, "nbf", false, &nbf, &has_nbf, cause, causelen) != 0 ||
	    claim_int(payload, "iat", false, &iat, &has_iat, cause, causelen) != 0)
		return -1;
	/* Written as now - leeway and now + leeway so that a huge exp or a very
	 * negative nbf from the token cannot overflow. */
	if (now_s - v->leeway_s > exp) {
		cause_set(cause, causelen, "token expired");
		return -1;
	}
	if (has_nbf && now_s + v->leeway_s < nbf) {
		cause_set(cause, causelen, "token not yet valid (nbf)");
		return -1;
	}

	const char *sub = claim_string(payload, "sub", AUTH_MAX_SUB, cause, causelen);
	if (sub == NULL)
		return -1;
	const char *org = claim_string(payload, "org", PROTO_MAX_ID, cause, causelen);
	if (org == NULL)
		return -1;
	if (!proto_id_valid(org)) {
		cause_set(cause, causelen,
			  "claim org must be an id of 1 to %d characters from A-Z a-z 0-9 _ . : -",
			  PROTO_MAX_ID);
		return -1;
	}
	const char *role_name = claim_string(payload, "role", 32, cause, causelen);
	if (role_name == NULL)
		return -1;
	enum auth_role role;
	if (auth_role_parse(role_name, &role) != 0) {
		cause_set(cause, causelen,
			  "claim role must be one of viewer, operator, admin, producer");
		return -1;
	}

	memset(who, 0, sizeof *who);
	snprintf(who->sub, sizeof who->sub, "%s", sub);
	snprintf(who->org, sizeof who->org, "%s", org);
	who->role = role;
	who->exp = exp;
	return 0;
}

/* ---- Verification --------------------------------------------------------- */

int auth_verify(const struct auth_verifier *v, const char *token, int64_t now_s,
		struct auth_identity *who, char *cause, size_t causelen)
{
	if (v == NULL || v->key == NULL || v->keylen == 0)
		fatal("auth_verify called without a loaded key");
	if (token == NULL || token[0] == '\0') {
		cause_set(cause, causelen, "malformed token: it is empty");
		return -1;
	}
	size_t len = strnlen(token, AUTH_MAX_TOKEN + 1);
	if (len > AUTH_MAX_TOKEN) {
		cause_set(cause, causelen, "malformed token: longer than %d bytes", AUTH_MAX_TOKEN);
		return -1;
	}
	const char *dot1 = memchr(token, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (dot1 == NULL || dot2 == NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL) {
		cause_set(cause, causelen, "malformed token: it must be three base64url segments");
		return -1;
	}
	size_t hlen = (size_t)(dot1 - token);
	size_t plen = (size_t)(dot2 - dot1 - 1);
	size_t slen = len - (size_t)(dot2 + 1 - token);
	if (hlen == 0 || plen == 0 || !segment_chars_ok(token, hlen) ||
	    !segment_chars_ok(dot1 + 1, plen) || !segment_chars_ok(dot2 + 1, slen)) {
		cause_set(cause, causelen, "malformed token: it must be three base64url segments");
		return -1;
	}

	bool dup;
	json_t *header = segment_json(token, hlen, &dup);
	if (header == NULL) {
		cause_set(cause, causelen, "malformed token: %s",
			  dup ? "duplicate keys in the header"
			      : "the header is not a base64url-encoded JSON object");
		return -1;
	}
	int rc = header_check(v, header, cause, causelen);
	json_decref(header);
	if (rc != 0)
		return -1;
	if (slen == 0) {
		cause_set(cause, causelen, "bad signature: the token is not signed");
		return -1;
	}

	json_t *payload = segment_json(dot1 + 1, plen, &dup);
	if (payload == NULL) {
		cause_set(cause, causelen, "malformed token: %s",
			  dup ? "duplicate claims in the payload"
			      : "the payload is not a base64url-encoded JSON object");
		return -1;
	}

	jwt_t *jwt = NULL;
	if (jwt_decode(&jwt, token, v->key, (int)v->keylen) != 0 || jwt == NULL) {
		cause_set(cause, causelen, "bad signature");
		json_decref(payload);
		return -1;
	}
	jwt_alg_t got = jwt_get_alg(jwt);
	jwt_free(jwt);
	if (got != alg_table[v->alg].jwt) {
		const char *name = jwt_alg_str(got);
		cause_set(cause, causelen, "algorithm %s does not match the configured %s",
			  name ? name : "none", alg_table[v->alg].name);
		json_decref(payload);
		return -1;
	}

	rc = claims_check(v, payload, now_s, who, cause, causelen);
	json_decref(payload);
	return rc;
}
