/* jwks.h: public keys as identity providers publish them: PEM files and JSON
 * Web Key Sets (RFC 7517, 7518), turned into the keys libjwt 1.10.2 takes (a
 * PEM public key for RS256 and ES256, the secret bytes for HS256).
 *
 * Only what wfmond verifies is kept: "oct" keys (HS256, at least 32 bytes),
 * "RSA" keys (RS256, at least 2048 bits) and "EC" keys on P-256 (ES256).
 * Keys for encryption ("use": "enc") or other algorithms are passed over and
 * counted; a key wfmond should use but cannot (bad base64url, a point off the
 * curve, a short RSA modulus) refuses the whole set, so that a typo never
 * silently drops a key. Nothing here logs; causes never hold key material. */
#ifndef WFMON_JWKS_H
#define WFMON_JWKS_H

#include <stdbool.h>
#include <stddef.h>

#include "auth.h"

#define JWKS_MAX_KID 128
#define JWKS_MAX_FILE (1024 * 1024)

struct jwks_key {
	char kid[JWKS_MAX_KID + 1];
	enum auth_alg alg;
	unsigned char *key;      /* owned: secret bytes, or PEM text with a NUL after it */
	size_t keylen;           /* without that NUL */
};

/* Reads the JWKS file at path. Returns 0 with a new array in *keys (free it
 * with jwks_keys_free) of *n >= 1 keys, and *skipped the keys passed over; or
 * -1 with a cause naming the file and the key ("keys[2] (kid ...): ..."). */
int jwks_load(const char *path, struct jwks_key **keys, size_t *n, size_t *skipped, char *cause,
	      size_t causelen);
void jwks_keys_free(struct jwks_key *keys, size_t n);

/* Checks that pem (len bytes, NUL after them) is one PEM public key of the
 * kind alg verifies (RS256: RSA of at least 2048 bits; ES256: EC P-256).
 * Returns 0, or -1 with a cause that names the file as `what`. */
int jwks_pem_check(enum auth_alg alg, const unsigned char *pem, size_t len, const char *what, char *cause,
		   size_t causelen);

/* True for a key id wfmond accepts: 1 to JWKS_MAX_KID printable ASCII
 * characters, no spaces (it ends up in logs and in "KID ALG FILE" lines). */
bool jwks_kid_valid(const char *kid, size_t len);

#endif
