/* auth.h: JWT verification for wfmond (libjwt 1.10.2).
 *
 * libjwt 1.10.2 checks only the signature, takes the algorithm from the token,
 * and accepts anything with an empty key: this module keeps a keyring of keys
 * selected by the token's "kid" (the key file without a kid serves tokens
 * that name none), pins each key to its algorithm, checks exp (required), nbf
 * (when present) with a leeway, the issuer and the audience when they are
 * configured, and requires the claims sub, org and role. It refuses to load
 * an empty key. */
#ifndef WFMON_AUTH_H
#define WFMON_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"

enum auth_role { ROLE_VIEWER, ROLE_OPERATOR, ROLE_ADMIN, ROLE_PRODUCER, ROLE__COUNT };
const char *auth_role_name(enum auth_role role);
int auth_role_parse(const char *name, enum auth_role *out);

enum auth_alg { AUTH_HS256, AUTH_RS256, AUTH_ES256 };

/* Who a verified token speaks for. */
struct auth_identity {
	char sub[PROTO_MAX_NAME + 1];
	char org[PROTO_MAX_ID + 1];   /* a valid proto id */
	enum auth_role role;
	int64_t exp;                  /* seconds since the epoch */
};

struct auth_verifier;

/* Tokens up to this long are read; longer ones are refused unread. */
#define AUTH_MAX_TOKEN PROTO_MAX_TOKEN

/* Where the keys come from and what every token must say. */
struct auth_settings {
	enum auth_alg alg;          /* of key_path */
	const char *key_path;       /* the key for tokens without a kid; NULL: none */
	const char *ring;           /* "KID ALG FILE" lines, '\n' between them; NULL: none */
	const char *jwks_path;      /* a JWKS file; NULL: none */
	const char *issuer;         /* required "iss"; NULL: not checked */
	const char *audience;       /* required among "aud"; NULL: not checked */
	int leeway_s;
};

/* Loads every key: the HS256 secret file or the RS256/ES256 public key file
 * (PEM) of key_path, each "KID ALG FILE" of the ring, and the keys of the
 * JWKS file. Returns NULL with a message in cause if a file is missing,
 * unreadable, empty, not the kind of key its algorithm needs, or (HS256)
 * shorter than 32 bytes, if two keys share a kid, or if there is no key at
 * all. Takes copies of the keys. */
struct auth_verifier *auth_verifier_build(const struct auth_settings *st, char *cause, size_t causelen);
/* One key without a kid: auth_verifier_build with only key_path. */
struct auth_verifier *auth_verifier_new(enum auth_alg alg, const char *key_path,
					int leeway_s, char *cause, size_t causelen);
void auth_verifier_free(struct auth_verifier *v);
/* "KID ALG (FILE), ...; issuer ..., audience ..." for the log: no key bytes. */
void auth_verifier_describe(const struct auth_verifier *v, char *buf, size_t len);
int auth_verifier_leeway(const struct auth_verifier *v);

/* Verifies a compact JWS token at time now_s. Returns 0 with *who filled, or -1
 * with a reason in cause that is safe to log (it never contains the token). */
int auth_verify(const struct auth_verifier *v, const char *token, int64_t now_s,
		struct auth_identity *who, char *cause, size_t causelen);

/* True when both check tokens the same way: same keys (kid, algorithm,
 * bytes), leeway, issuer and audience (a reload tells whether a key file
 * changed). */
bool auth_verifier_same_key(const struct auth_verifier *a, const struct auth_verifier *b);

/* Parses "HS256", "RS256", "ES256" (case-sensitive). */
int auth_alg_parse(const char *name, enum auth_alg *out);
const char *auth_alg_name(enum auth_alg alg);

#endif
