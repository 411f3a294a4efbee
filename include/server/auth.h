/* auth.h: JWT verification for wfmond (libjwt 1.10.2).
 *
 * libjwt 1.10.2 checks only the signature, takes the algorithm from the token,
 * and accepts anything with an empty key: this module pins the algorithm from
 * the configuration, checks exp (required), nbf (when present) with a leeway,
 * and requires the claims sub, org and role. It refuses to load an empty key. */
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

/* Loads the HS256 secret file or the RS256/ES256 public key file (PEM).
 * Returns NULL with a message in cause if the file is missing, unreadable,
 * empty, or (for HS256) shorter than 32 bytes. Takes a copy of the key. */
struct auth_verifier *auth_verifier_new(enum auth_alg alg, const char *key_path,
					int leeway_s, char *cause, size_t causelen);
void auth_verifier_free(struct auth_verifier *v);

/* Verifies a compact JWS token at time now_s. Returns 0 with *who filled, or -1
 * with a reason in cause that is safe to log (it never contains the token). */
int auth_verify(const struct auth_verifier *v, const char *token, int64_t now_s,
		struct auth_identity *who, char *cause, size_t causelen);

/* True when both check tokens the same way: same algorithm, leeway and key
 * bytes (a reload tells whether the key file changed). */
bool auth_verifier_same_key(const struct auth_verifier *a, const struct auth_verifier *b);

/* Parses "HS256", "RS256", "ES256" (case-sensitive). */
int auth_alg_parse(const char *name, enum auth_alg *out);
const char *auth_alg_name(enum auth_alg alg);

#endif
