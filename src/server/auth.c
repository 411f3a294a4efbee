/* auth.c: JWT verification for wfmond on top of libjwt 1.10.2.
 *
 * Owns the verifier (a keyring of keys selected by "kid", each pinned to its
 * algorithm, private copies of the keys, the leeway, the required issuer and
 * audience) and every check libjwt 1.10.2 does not make. Invariants:
 * - a verifier always holds at least one key, and every key is non-empty:
 *   libjwt accepts any token when the key is empty, so a verifier without one
 *   must never exist;
 * - a token is checked with exactly one key: the one its "kid" names, or the
 *   key without a kid when it names none; an unknown kid is refused;
 * - nothing reaches jwt_decode unless it is three base64url segments of at most
 *   AUTH_MAX_TOKEN bytes whose header and payload are JSON objects without
 *   duplicate keys, and whose header "alg" is exactly the chosen key's;
 * - claims are read from our own parse of the payload (JSON_REJECT_DUPLICATES),
 *   never from libjwt's, which keeps the last of two duplicate claims;
 * - a cause never contains the token or a key; the only token-derived text it
 *   may hold is an "alg" value, and only when it is short and alphanumeric. */
#include "auth.h"
#include "base64.h"
#include "cause.h"
#include "jwks.h"
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

#define AUTH_MAX_KEY_FILE (64 * 1024)
#define AUTH_MIN_HS256_SECRET 32
#define AUTH_MAX_LEEWAY 3600
#define AUTH_MAX_SUB 128
#define AUTH_MAX_CLAIM 1024      /* iss and aud values */

struct auth_key {
	char kid[JWKS_MAX_KID + 1];   /* "": the key for tokens without a kid */
	enum auth_alg alg;
	unsigned char *key;
	size_t keylen;
	char from[160];               /* where it was read, for the log */
};

struct auth_verifier {
	int leeway_s;
	char *issuer;                 /* NULL: not checked */
	char *audience;
	struct auth_key *keys;
	size_t nkeys;
	size_t skipped;               /* JWKS keys passed over */
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

static bool same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool auth_verifier_same_key(const struct auth_verifier *a, const struct auth_verifier *b)
{
	if (a->leeway_s != b->leeway_s || a->nkeys != b->nkeys || !same_text(a->issuer, b->issuer) ||
	    !same_text(a->audience, b->audience))
		return false;
	for (size_t i = 0; i < a->nkeys; i++) {
		const struct auth_key *x = &a->keys[i], *y = &b->keys[i];
		if (x->alg != y->alg || strcmp(x->kid, y->kid) != 0 || x->keylen != y->keylen ||
		    memcmp(x->key, y->key, x->keylen) != 0)
			return false;
	}
	return true;
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

/* Reads one key file into k (alg already set). */
static int key_file_load(struct auth_key *k, const char *key_path, char *cause, size_t causelen)
{
	enum auth_alg alg = k->alg;
	if (key_path == NULL || key_path[0] == '\0') {
		cause_set(cause, causelen, "no key file given: configure the path of the JWT key file");
		return -1;
	}
	size_t len = 0;
	unsigned char *key = keyfile_read(key_path, "key file", AUTH_MAX_KEY_FILE, &len, cause, causelen);
	if (key == NULL)
		return -1;
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
	} else {
		char what[300];
		snprintf(what, sizeof what, "key file %s", key_path);
		if (jwks_pem_check(alg, key, len, what, cause, causelen) < 0)
			goto fail;
	}
	k->key = key;
	k->keylen = len;
	snprintf(k->from, sizeof k->from, "%s", key_path);
	return 0;
fail:
	explicit_bzero(key, len);
	free(key);
	return -1;
}

static struct auth_key *key_add(struct auth_verifier *v)
{
	v->keys = xrealloc(v->keys, sizeof *v->keys * (v->nkeys + 1));
	struct auth_key *k = &v->keys[v->nkeys++];
	memset(k, 0, sizeof *k);
	return k;
}

/* Refuses a second key with the same kid (also two keys without one). */
static int key_unique(const struct auth_verifier *v, char *cause, size_t causelen)
{
	const struct auth_key *last = &v->keys[v->nkeys - 1];
	for (size_t i = 0; i + 1 < v->nkeys; i++) {
		if (strcmp(v->keys[i].kid, last->kid) == 0) {
			if (last->kid[0])
				cause_set(cause, causelen, "two JWT keys have the kid %s (%s and %s)", last->kid,
					  v->keys[i].from, last->from);
			else
				cause_set(cause, causelen, "two JWT keys without a kid: only one key may serve "
							   "tokens that name none");
			return -1;
		}
	}
	return 0;
}

/* One "KID ALG FILE" line of the keyring. */
static int ring_line_load(struct auth_verifier *v, const char *line, char *cause, size_t causelen)
{
	char kid[JWKS_MAX_KID + 2], alg[16];
	int used = 0;
	if (sscanf(line, " %129s %15s %n", kid, alg, &used) != 2 || line[used] == '\0') {
		cause_set(cause, causelen, "jwt-key: expected \"KID ALG FILE\" (as in "
					   "\"2026-01 RS256 /etc/wfmon/idp-2026-01.pem\"), got '%.100s'", line);
		return -1;
	}
	if (!jwks_kid_valid(kid, strlen(kid))) {
		cause_set(cause, causelen, "jwt-key: the kid must be 1 to %d printable characters", JWKS_MAX_KID);
		return -1;
	}
	struct auth_key *k = key_add(v);
	if (auth_alg_parse(alg, &k->alg) < 0) {
		v->nkeys--;
		cause_set(cause, causelen, "jwt-key %s: expected HS256, RS256 or ES256, got '%s'", kid, alg);
		return -1;
	}
	snprintf(k->kid, sizeof k->kid, "%.*s", JWKS_MAX_KID, kid);   /* checked to fit above */
	char path[4096];
	snprintf(path, sizeof path, "%s", line + used);
	for (size_t n = strlen(path); n > 0 && (path[n - 1] == ' ' || path[n - 1] == '\t'); n--)
		path[n - 1] = '\0';
	if (key_file_load(k, path, cause, causelen) < 0) {
		v->nkeys--;
		return -1;
	}
	return key_unique(v, cause, causelen);
}

static int jwks_file_add(struct auth_verifier *v, const char *path, char *cause, size_t causelen)
{
	struct jwks_key *keys = NULL;
	size_t n = 0, skipped = 0;
	if (jwks_load(path, &keys, &n, &skipped, cause, causelen) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct auth_key *k = key_add(v);
		snprintf(k->kid, sizeof k->kid, "%s", keys[i].kid);
		k->alg = keys[i].alg;
		k->key = keys[i].key;
		k->keylen = keys[i].keylen;
		keys[i].key = NULL;
		keys[i].keylen = 0;
		snprintf(k->from, sizeof k->from, "%s", path);
		if (rc == 0 && key_unique(v, cause, causelen) < 0)
			rc = -1;
	}
	v->skipped += skipped;
	jwks_keys_free(keys, n);
	return rc;
}

struct auth_verifier *auth_verifier_build(const struct auth_settings *st, char *cause, size_t causelen)
{
	if ((unsigned)st->alg >= ALG_COUNT) {
		cause_set(cause, causelen, "unknown JWT algorithm: use HS256, RS256 or ES256");
		return NULL;
	}
	if (st->leeway_s < 0 || st->leeway_s > AUTH_MAX_LEEWAY) {
		cause_set(cause, causelen, "JWT leeway %d s is out of range: use 0 to %d seconds",
			  st->leeway_s, AUTH_MAX_LEEWAY);
		return NULL;
	}
	struct auth_verifier *v = xcalloc(1, sizeof *v);
	v->leeway_s = st->leeway_s;
	v->issuer = st->issuer ? xstrdup(st->issuer) : NULL;
	v->audience = st->audience ? xstrdup(st->audience) : NULL;
	bool ring = st->ring != NULL || st->jwks_path != NULL;
	if (st->key_path != NULL || !ring) {
		struct auth_key *k = key_add(v);
		k->alg = st->alg;
		if (key_file_load(k, st->key_path, cause, causelen) < 0) {
			v->nkeys--;
			goto fail;
		}
	}
	if (st->ring != NULL) {
		char *copy = xstrdup(st->ring);
		char *save = NULL;
		int rc = 0;
		for (char *line = strtok_r(copy, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save))
			rc = ring_line_load(v, line, cause, causelen);
		free(copy);
		if (rc < 0)
			goto fail;
	}
	if (st->jwks_path != NULL && jwks_file_add(v, st->jwks_path, cause, causelen) < 0)
		goto fail;
	return v;
fail:
	auth_verifier_free(v);
	return NULL;
}

struct auth_verifier *auth_verifier_new(enum auth_alg alg, const char *key_path,
					int leeway_s, char *cause, size_t causelen)
{
	struct auth_settings st = { .alg = alg, .key_path = key_path, .leeway_s = leeway_s };
	if (key_path == NULL)
		st.key_path = "";   /* "no key file given", not an empty keyring */
	return auth_verifier_build(&st, cause, causelen);
}

void auth_verifier_free(struct auth_verifier *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nkeys; i++) {
		explicit_bzero(v->keys[i].key, v->keys[i].keylen);
		free(v->keys[i].key);
	}
	free(v->keys);
	free(v->issuer);
	free(v->audience);
	free(v);
}

void auth_verifier_describe(const struct auth_verifier *v, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < v->nkeys && used + 1 < len; i++) {
		int w = snprintf(buf + used, len - used, "%s%s %s (%s)", i ? ", " : "",
				 v->keys[i].kid[0] ? v->keys[i].kid : "(no kid)", alg_table[v->keys[i].alg].name,
				 v->keys[i].from);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (used + 1 < len && v->skipped)
		used += (size_t)snprintf(buf + used, len - used, "; %zu JWKS key(s) for other uses passed over",
					 v->skipped);
	if (used + 1 < len)
		snprintf(buf + used, len - used, "; issuer %s, audience %s", v->issuer ? v->issuer : "not checked",
			 v->audience ? v->audience : "not checked");
}

int auth_verifier_leeway(const struct auth_verifier *v)
{
	return v->leeway_s;
}

/* ---- Token structure ------------------------------------------------------ */

/* Decodes one segment into a JSON object, refusing duplicate keys; *dup says
 * whether duplicates were the reason for a NULL. */
static json_t *segment_json(const char *s, size_t len, bool *dup)
{
	*dup = false;
	unsigned char *raw = malloc(len / 4 * 3 + 3);
	int n = raw ? base64url_decode(s, len, raw, len / 4 * 3 + 3) : -1;
	if (n < 0) {
		free(raw);
		return NULL;
	}
	json_error_t err;
	json_t *obj = json_loadb((const char *)raw, (size_t)n, JSON_REJECT_DUPLICATES, &err);
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
		if (base64url_value((unsigned char)s[i]) < 0)
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

/* Picks the key the header's "kid" names (or the key without a kid) and
 * checks the header's "alg" against that key's algorithm. */
static const struct auth_key *header_check(const struct auth_verifier *v, json_t *header, char *cause,
					   size_t causelen)
{
	json_t *kid = json_object_get(header, "kid");
	const char *want = "";
	if (kid != NULL) {
		if (!json_is_string(kid) || !jwks_kid_valid(json_string_value(kid), json_string_length(kid))) {
			cause_set(cause, causelen, "malformed token: the header \"kid\" is not a key id");
			return NULL;
		}
		want = json_string_value(kid);
	}
	const struct auth_key *k = NULL;
	for (size_t i = 0; i < v->nkeys && k == NULL; i++)
		if (strcmp(v->keys[i].kid, want) == 0)
			k = &v->keys[i];
	if (k == NULL) {
		/* A kid is not a secret: naming it tells the operator which key to add. */
		if (want[0])
			cause_set(cause, causelen, "unknown key id (kid) %s: no key of the keyring has it", want);
		else
			cause_set(cause, causelen, "the token names no key id (kid) and every key of the "
						   "keyring has one");
		return NULL;
	}
	const char *pinned = alg_table[k->alg].name;
	json_t *alg = json_object_get(header, "alg");
	if (alg == NULL) {
		cause_set(cause, causelen, "malformed token: the header has no \"alg\"");
		return NULL;
	}
	if (!json_is_string(alg) || json_string_length(alg) != strlen(json_string_value(alg))) {
		cause_set(cause, causelen, "malformed token: the header \"alg\" is not a string");
		return NULL;
	}
	const char *name = json_string_value(alg);
	if (strcasecmp(name, "none") == 0) {
		cause_set(cause, causelen, "algorithm none is not accepted");
		return NULL;
	}
	if (strcmp(name, pinned) != 0) {
		cause_set(cause, causelen, "algorithm %s does not match the configured %s",
			  alg_printable(name), pinned);
		return NULL;
	}
	return k;
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

/* "aud" is one string or an array of them (RFC 7519 4.1.3). */
static bool audience_has(json_t *aud, const char *want)
{
	size_t n = strlen(want), i;
	json_t *one;
	if (json_is_string(aud))
		return json_string_length(aud) == n && memcmp(json_string_value(aud), want, n) == 0;
	json_array_foreach(aud, i, one)
		if (json_is_string(one) && json_string_length(one) == n && memcmp(json_string_value(one), want, n) == 0)
			return true;
	return false;
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

	if (v->issuer != NULL) {
		json_t *iss = json_object_get(payload, "iss");
		if (!json_is_string(iss) || strcmp(json_string_value(iss), v->issuer) != 0 ||
		    json_string_length(iss) != strlen(v->issuer)) {
			cause_set(cause, causelen, iss == NULL ? "missing claim iss (the issuer must be %s)"
							       : "claim iss is not the configured issuer %s",
				  v->issuer);
			return -1;
		}
	}
	if (v->audience != NULL && !audience_has(json_object_get(payload, "aud"), v->audience)) {
		cause_set(cause, causelen, "claim aud does not name the configured audience %s", v->audience);
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
	if (v == NULL || v->nkeys == 0)
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
	const struct auth_key *key = header_check(v, header, cause, causelen);
	json_decref(header);
	if (key == NULL)
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
	if (key->keylen == 0 || jwt_decode(&jwt, token, key->key, (int)key->keylen) != 0 || jwt == NULL) {
		cause_set(cause, causelen, "bad signature");
		json_decref(payload);
		return -1;
	}
	jwt_alg_t got = jwt_get_alg(jwt);
	jwt_free(jwt);
	if (got != alg_table[key->alg].jwt) {
		const char *name = jwt_alg_str(got);
		cause_set(cause, causelen, "algorithm %s does not match the configured %s",
			  name ? name : "none", alg_table[key->alg].name);
		json_decref(payload);
		return -1;
	}

	int rc = claims_check(v, payload, now_s, who, cause, causelen);
	json_decref(payload);
	return rc;
}
