/* jwks.c: JSON Web Key Sets and PEM public keys for the JWT keyring (see
 * jwks.h).
 *
 * Owns the conversion of a JWK's numbers into a PEM public key through
 * OpenSSL 3's parameter API, and the checks every key must pass before the
 * verifier keeps it. Invariants: a key returned has been parsed back by
 * OpenSSL as the kind its algorithm needs (an EC point on P-256, an RSA
 * modulus of at least 2048 bits); secret bytes are wiped before they are
 * freed; a cause names the key by its index and kid, never by its bytes. */
#include "jwks.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "base64.h"
#include "cause.h"
#include "keyfile.h"
#include "xalloc.h"

#define RSA_MIN_BITS 2048
#define HS_MIN_SECRET 32
#define JWK_MAX_FIELD 2048      /* base64url characters of one number: RSA 8192 fits */

bool jwks_kid_valid(const char *kid, size_t len)
{
	if (len == 0 || len > JWKS_MAX_KID || strlen(kid) != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)kid[i] <= 0x20 || (unsigned char)kid[i] >= 0x7f)
			return false;
	return true;
}

/* ---- PEM ------------------------------------------------------------------------- */

/* What an algorithm needs of a public key; NULL when pkey fits. */
static const char *pkey_misfit(enum auth_alg alg, EVP_PKEY *pkey, char *buf, size_t len)
{
	if (alg == AUTH_RS256) {
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
			return "is not an RSA key (RS256 needs one)";
		if (EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS) {
			snprintf(buf, len, "is an RSA key of %d bits: RS256 needs at least %d",
				 EVP_PKEY_get_bits(pkey), RSA_MIN_BITS);
			return buf;
		}
		return NULL;
	}
	char group[64] = "";
	size_t glen = 0;
	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) ||
	    strcmp(group, "prime256v1") != 0)
		return "is not an EC key on P-256 (ES256 needs one)";
	return NULL;
}

int jwks_pem_check(enum auth_alg alg, const unsigned char *pem, size_t len, const char *what, char *cause,
		   size_t causelen)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	ERR_clear_error();
	if (pkey == NULL) {
		cause_set(cause, causelen, "%s %s does not hold a PEM public key OpenSSL can read", what,
			  auth_alg_name(alg));
		return -1;
	}
	char buf[128];
	const char *misfit = pkey_misfit(alg, pkey, buf, sizeof buf);
	EVP_PKEY_free(pkey);
	if (misfit != NULL) {
		cause_set(cause, causelen, "the key in %s %s", what, misfit);
		return -1;
	}
	return 0;
}

/* A new NUL-terminated PEM "PUBLIC KEY" of pkey. */
static unsigned char *pem_of(EVP_PKEY *pkey, size_t *len)
{
	BIO *mem = BIO_new(BIO_s_mem());
	if (mem == NULL || PEM_write_bio_PUBKEY(mem, pkey) != 1) {
		BIO_free(mem);
		return NULL;
	}
	char *data;
	long n = BIO_get_mem_data(mem, &data);
	unsigned char *out = NULL;
	if (n > 0) {
		out = xmalloc((size_t)n + 1);
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
		*len = (size_t)n;
	}
	BIO_free(mem);
	return out;
}

/* A public key from OSSL parameters, checked by OpenSSL (a point on its curve). */
static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
	EVP_PKEY *pkey = NULL;
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	if (pkey != NULL) {
		EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
		if (check == NULL || EVP_PKEY_public_check(check) != 1) {
			EVP_PKEY_free(pkey);
			pkey = NULL;
		}
		EVP_PKEY_CTX_free(check);
	}
	ERR_clear_error();
	return pkey;
}

/* ---- one JWK ----------------------------------------------------------------------- */

/* A base64url member decoded into a new buffer; NULL with *why when absent or bad. */
static uint8_t *member_bytes(json_t *jwk, const char *name, size_t *len, const char **why)
{
	json_t *v = json_object_get(jwk, name);
	if (!json_is_string(v)) {
		*why = "is missing or not a string";
		return NULL;
	}
	size_t n = json_string_length(v);
	if (n == 0 || n > JWK_MAX_FIELD) {
		*why = "is empty or too long";
		return NULL;
	}
	uint8_t *out = xmalloc(n / 4 * 3 + 3);
	int got = base64url_decode(json_string_value(v), n, out, n / 4 * 3 + 3);
	if (got <= 0) {
		free(out);
		*why = "is not base64url";
		return NULL;
	}
	*len = (size_t)got;
	return out;
}

enum jwk_result { JWK_KEPT, JWK_SKIPPED, JWK_BAD };

static enum jwk_result jwk_rsa(json_t *jwk, struct jwks_key *k, const char **field, char *why, size_t whylen)
{
	size_t nlen = 0, elen = 0;
	const char *bad = NULL;
	uint8_t *n = member_bytes(jwk, "n", &nlen, &bad);
	if (n == NULL) {
		*field = "n";
		snprintf(why, whylen, "%s", bad);
		return JWK_BAD;
	}
	uint8_t *e = member_bytes(jwk, "e", &elen, &bad);
	if (e == NULL) {
		free(n);
		*field = "e";
		snprintf(why, whylen, "%s", bad);
		return JWK_BAD;
	}
	BIGNUM *bn_n = BN_bin2bn(n, (int)nlen, NULL), *bn_e = BN_bin2bn(e, (int)elen, NULL);
	free(n);
	free(e);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	if (bld != NULL && bn_n != NULL && bn_e != NULL && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		pkey = pkey_from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	*field = "n";
	if (pkey == NULL) {
		snprintf(why, whylen, "does not make an RSA public key OpenSSL accepts");
		return JWK_BAD;
	}
	char buf[128];
	const char *misfit = pkey_misfit(AUTH_RS256, pkey, buf, sizeof buf);
	if (misfit != NULL)
		snprintf(why, whylen, "%s", misfit);
	else
		k->key = pem_of(pkey, &k->keylen);
	EVP_PKEY_free(pkey);
	if (misfit != NULL || k->key == NULL)
		return JWK_BAD;
	k->alg = AUTH_RS256;
	return JWK_KEPT;
}

static enum jwk_result jwk_ec(json_t *jwk, struct jwks_key *k, const char **field, char *why, size_t whylen)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	if (crv == NULL || strcmp(crv, "P-256") != 0)
		return JWK_SKIPPED;   /* ES384, ES512: not ours */
	size_t xlen = 0, ylen = 0;
	const char *bad = NULL;
	uint8_t *x = member_bytes(jwk, "x", &xlen, &bad);
	uint8_t *y = x ? member_bytes(jwk, "y", &ylen, &bad) : NULL;
	if (x == NULL || y == NULL || xlen != 32 || ylen != 32) {
		*field = x == NULL ? "x" : "y";
		snprintf(why, whylen, "%s", bad ? bad : "must be 32 bytes on P-256");
		free(x);
		free(y);
		return JWK_BAD;
	}
	uint8_t point[65];
	point[0] = 0x04;   /* uncompressed */
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	free(x);
	free(y);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY *pkey = NULL;
	if (bld != NULL && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point))
		pkey = pkey_from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	*field = "x";
	if (pkey == NULL) {
		snprintf(why, whylen, "x and y are not a point on P-256");
		return JWK_BAD;
	}
	k->key = pem_of(pkey, &k->keylen);
	EVP_PKEY_free(pkey);
	if (k->key == NULL) {
		snprintf(why, whylen, "cannot be written as PEM");
		return JWK_BAD;
	}
	k->alg = AUTH_ES256;
	return JWK_KEPT;
}

static enum jwk_result jwk_oct(json_t *jwk, struct jwks_key *k, const char **field, char *why, size_t whylen)
{
	size_t len = 0;
	const char *bad = NULL;
	uint8_t *secret = member_bytes(jwk, "k", &len, &bad);
	*field = "k";
	if (secret == NULL) {
		snprintf(why, whylen, "%s", bad);
		return JWK_BAD;
	}
	if (len < HS_MIN_SECRET) {
		explicit_bzero(secret, len);
		free(secret);
		snprintf(why, whylen, "is %zu bytes: an HS256 secret must be at least %d", len, HS_MIN_SECRET);
		return JWK_BAD;
	}
	k->key = secret;
	k->keylen = len;
	k->alg = AUTH_HS256;
	return JWK_KEPT;
}

static const struct {
	const char *kty;
	enum auth_alg alg;     /* the one algorithm this key type serves here */
	enum jwk_result (*read)(json_t *jwk, struct jwks_key *k, const char **field, char *why, size_t whylen);
} key_types[] = {
	{ "RSA", AUTH_RS256, jwk_rsa },
	{ "EC", AUTH_ES256, jwk_ec },
	{ "oct", AUTH_HS256, jwk_oct },
};

static enum jwk_result jwk_read(json_t *jwk, struct jwks_key *k, const char **field, char *why, size_t whylen)
{
	memset(k, 0, sizeof *k);
	const char *use = json_string_value(json_object_get(jwk, "use"));
	if (use != NULL && strcmp(use, "sig") != 0)
		return JWK_SKIPPED;
	json_t *kid = json_object_get(jwk, "kid");
	if (!json_is_string(kid) || !jwks_kid_valid(json_string_value(kid), json_string_length(kid))) {
		*field = "kid";
		snprintf(why, whylen, "must be 1 to %d printable characters without spaces", JWKS_MAX_KID);
		return JWK_BAD;
	}
	snprintf(k->kid, sizeof k->kid, "%s", json_string_value(kid));
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *alg = json_string_value(json_object_get(jwk, "alg"));
	for (size_t i = 0; kty != NULL && i < sizeof key_types / sizeof key_types[0]; i++) {
		if (strcmp(kty, key_types[i].kty) != 0)
			continue;
		if (alg != NULL && strcmp(alg, auth_alg_name(key_types[i].alg)) != 0)
			return JWK_SKIPPED;   /* PS256, RS512, HS384...: not ours */
		return key_types[i].read(jwk, k, field, why, whylen);
	}
	return JWK_SKIPPED;   /* OKP and other key types */
}

void jwks_keys_free(struct jwks_key *keys, size_t n)
{
	for (size_t i = 0; keys != NULL && i < n; i++) {
		if (keys[i].key != NULL)   /* a key that failed to read has none */
			explicit_bzero(keys[i].key, keys[i].keylen);
		free(keys[i].key);
	}
	free(keys);
}

int jwks_load(const char *path, struct jwks_key **keys, size_t *n, size_t *skipped, char *cause,
	      size_t causelen)
{
	size_t len = 0;
	unsigned char *text = keyfile_read(path, "JWKS file", JWKS_MAX_FILE, &len, cause, causelen);
	if (text == NULL)
		return -1;
	json_error_t err;
	json_t *root = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &err);
	explicit_bzero(text, len);
	free(text);
	json_t *list = json_object_get(root, "keys");
	if (!json_is_array(list)) {
		cause_set(cause, causelen, "JWKS file %s is not a JSON object with a \"keys\" array%s%s", path,
			  root == NULL ? ": " : "", root == NULL ? err.text : "");
		json_decref(root);
		return -1;
	}
	struct jwks_key *out = xcalloc(json_array_size(list) + 1, sizeof *out);
	size_t kept = 0, passed = 0, i;
	json_t *jwk;
	json_array_foreach(list, i, jwk) {
		const char *field = "";
		char why[160] = "";
		enum jwk_result r = json_is_object(jwk) ? jwk_read(jwk, &out[kept], &field, why, sizeof why) : JWK_SKIPPED;
		if (r == JWK_SKIPPED) {
			passed++;
			continue;
		}
		if (r == JWK_BAD) {
			cause_set(cause, causelen, "JWKS file %s: keys[%zu]%s%s%s: \"%s\" %s", path, i,
				  out[kept].kid[0] ? " (kid " : "", out[kept].kid, out[kept].kid[0] ? ")" : "", field,
				  why);
			goto fail;
		}
		for (size_t j = 0; j < kept; j++) {
			if (strcmp(out[j].kid, out[kept].kid) == 0) {
				cause_set(cause, causelen, "JWKS file %s: kid %s appears twice", path, out[kept].kid);
				kept++;
				goto fail;
			}
		}
		kept++;
	}
	json_decref(root);
	if (kept == 0) {
		cause_set(cause, causelen, "JWKS file %s holds no signing key wfmond can use (RS256, ES256 on "
					   "P-256, or HS256): %zu passed over", path, passed);
		free(out);
		return -1;
	}
	*keys = out;
	*n = kept;
	*skipped = passed;
	return 0;
fail:
	json_decref(root);
	jwks_keys_free(out, kept);
	return -1;
}
