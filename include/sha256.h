/* sha256.h: SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
 *
 * Used to sign webhook notifications (the receiver checks the HMAC of the body
 * with the channel's secret). Written here because we do not link OpenSSL. */
#ifndef WFMON_SHA256_H
#define WFMON_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32
#define SHA256_BLOCK_LEN 64

struct sha256_ctx {
	uint32_t h[8];
	uint64_t total;      /* bytes hashed so far */
	uint8_t block[SHA256_BLOCK_LEN];
	size_t used;         /* bytes waiting in block */
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
/* Writes the digest and wipes the context. */
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]);
/* One-shot digest of data. */
void sha256(const void *data, size_t len, uint8_t out[SHA256_DIGEST_LEN]);

/* HMAC-SHA256, streaming: the inner hash runs as data arrives; the outer pad
 * is kept for the final step. */
struct hmac_sha256_ctx {
	struct sha256_ctx inner;
	uint8_t opad[SHA256_BLOCK_LEN];
};

void hmac_sha256_init(struct hmac_sha256_ctx *ctx, const void *key, size_t keylen);
void hmac_sha256_update(struct hmac_sha256_ctx *ctx, const void *data, size_t len);
/* Writes the MAC and wipes the context (it held key material). */
void hmac_sha256_final(struct hmac_sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_LEN]);
/* One-shot HMAC of data under key (any length; longer than a block is hashed first). */
void hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
		 uint8_t out[SHA256_DIGEST_LEN]);

/* Lower-case hex of a digest into out (65 bytes, NUL-terminated). */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_LEN], char out[2 * SHA256_DIGEST_LEN + 1]);

#endif
