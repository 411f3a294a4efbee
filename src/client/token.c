/* token.c: minting HS256 development tokens for `wfmon token`.
 *
 * Owns the secret-file rules on the minting side. They mirror auth.c's for
 * HS256 exactly (64 KiB cap, one trailing newline stripped, at least 32 bytes)
 * so that a secret file wfmond accepts signs tokens wfmond accepts; auth.c
 * lives in the server library, which the wfmon binary does not link, so the
 * few lines are repeated here rather than shared. Invariants: every token
 * carries sub, org, role, iat, exp and a random jti; the secret is wiped from
 * memory before returning. */
#include "token.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <jwt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cause.h"
#include "keyfile.h"
#include "proto.h"

#define TOKEN_MAX_SECRET_FILE (64 * 1024)
#define TOKEN_MIN_SECRET 32
#define TOKEN_MAX_SUB 128
#define TOKEN_MAX_TTL (366 * 86400LL)
#define TOKEN_JTI_BYTES 16

/* The role names auth.h's enum auth_role stands for, in that order. */
static const char *const token_roles[] = { "viewer", "operator", "admin", "producer" };

static const struct {
	char suffix;
	int64_t seconds;
} ttl_units[] = {
	{ 's', 1 },
	{ 'm', 60 },
	{ 'h', 3600 },
	{ 'd', 86400 },
};

int token_parse_ttl(const char *s, int64_t *out_s)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	int64_t n = 0;
	const char *p = s;
	for (; *p >= '0' && *p <= '9'; p++) {
		int d = *p - '0';
		if (n > (INT64_MAX - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	int64_t unit = 1;
	if (*p != '\0') {
		unsigned i;
		for (i = 0; i < sizeof ttl_units / sizeof ttl_units[0]; i++)
			if (*p == ttl_units[i].suffix)
				break;
		if (i == sizeof ttl_units / sizeof ttl_units[0] || p[1] != '\0')
			return -1;
		unit = ttl_units[i].seconds;
	}
	if (n == 0 || n > INT64_MAX / unit)
		return -1;
	*out_s = n * unit;
	return 0;
}

/* Reads the secret into a new buffer; see the file comment for the rules. */
static unsigned char *token_secret_read(const char *path, size_t *len, char *cause, size_t causelen)
{
	size_t have = 0;
	unsigned char *buf = keyfile_read(path, "secret file", TOKEN_MAX_SECRET_FILE, &have, cause, causelen);
	if (buf == NULL)
		return NULL;
	if (have > 0 && buf[have - 1] == '\n')
		buf[--have] = '\0';
	if (have == 0) {
		cause_set(cause, causelen, "secret file %s is empty: put the daemon's HS256 secret in it", path);
		free(buf);
		return NULL;
	}
	if (have < TOKEN_MIN_SECRET) {
		cause_set(cause, causelen,
			  "secret in %s is %zu bytes: it must be at least %d bytes "
			  "(e.g. head -c 48 /dev/urandom | base64 > %s)",
			  path, have, TOKEN_MIN_SECRET, path);
		explicit_bzero(buf, have);
		free(buf);
		return NULL;
	}
	*len = have;
	return buf;
}

static int token_request_check(const struct token_request *req, char *cause, size_t causelen)
{
	if (req->org == NULL || !proto_id_valid(req->org)) {
		cause_set(cause, causelen,
			  "organization must be an id of 1 to %d characters from A-Z a-z 0-9 _ . : -",
			  PROTO_MAX_ID);
		return -1;
	}
	size_t n = req->sub ? strlen(req->sub) : 0;
	if (n == 0 || n > TOKEN_MAX_SUB) {
		cause_set(cause, causelen, "subject (user) must be 1 to %d characters", TOKEN_MAX_SUB);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)req->sub[i];
		if (c < 0x20 || c == 0x7f) {
			cause_set(cause, causelen, "subject (user) must not contain control characters");
			return -1;
		}
	}
	bool role_ok = false;
	for (unsigned i = 0; req->role && i < sizeof token_roles / sizeof token_roles[0]; i++)
		role_ok = role_ok || strcmp(req->role, token_roles[i]) == 0;
	if (!role_ok) {
		cause_set(cause, causelen, "role must be one of viewer, operator, admin, producer");
		return -1;
	}
	if (req->ttl_s <= 0 || req->ttl_s > TOKEN_MAX_TTL) {
		cause_set(cause, causelen, "lifetime must be more than 0 and at most 366 days");
		return -1;
	}
	if (req->now_s < 0 || req->now_s > INT64_MAX - TOKEN_MAX_TTL) {
		cause_set(cause, causelen, "the current time is out of range; check the system clock");
		return -1;
	}
	if (req->secret_file == NULL || req->secret_file[0] == '\0') {
		cause_set(cause, causelen, "no secret file given: pass the daemon's HS256 secret file");
		return -1;
	}
	return 0;
}

/* A fresh random token id, as lowercase hex. */
static int token_jti(char *out, size_t outlen, char *cause, size_t causelen)
{
	unsigned char raw[TOKEN_JTI_BYTES];
	size_t have = 0;
	while (have < sizeof raw) {
		ssize_t n = getrandom(raw + have, sizeof raw - have, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cause_set(cause, causelen, "cannot get random bytes for the token id: %s",
				  strerror(errno));
			return -1;
		}
		have += (size_t)n;
	}
	for (size_t i = 0; i < sizeof raw && 2 * i + 2 < outlen; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

char *token_mint(const struct token_request *req, char *cause, size_t causelen)
{
	if (req == NULL || token_request_check(req, cause, causelen) != 0)
		return NULL;
	char jti[2 * TOKEN_JTI_BYTES + 1];
	if (token_jti(jti, sizeof jti, cause, causelen) != 0)
		return NULL;
	size_t keylen = 0;
	unsigned char *key = token_secret_read(req->secret_file, &keylen, cause, causelen);
	if (key == NULL)
		return NULL;

	char *out = NULL;
	jwt_t *jwt = NULL;
	if (jwt_new(&jwt) != 0 ||
	    jwt_add_grant(jwt, "sub", req->sub) != 0 ||
	    jwt_add_grant(jwt, "org", req->org) != 0 ||
	    jwt_add_grant(jwt, "role", req->role) != 0 ||
	    jwt_add_grant_int(jwt, "iat", (long)req->now_s) != 0 ||
	    jwt_add_grant_int(jwt, "exp", (long)(req->now_s + req->ttl_s)) != 0 ||
	    jwt_add_grant(jwt, "jti", jti) != 0 ||
	    jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)keylen) != 0 ||
	    (out = jwt_encode_str(jwt)) == NULL)
		cause_set(cause, causelen, "cannot encode the token: %s", strerror(errno ? errno : ENOMEM));
	jwt_free(jwt);
	explicit_bzero(key, keylen);
	free(key);
	return out;
}
