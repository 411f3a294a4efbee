/* sha1.c: SHA-1 as specified in FIPS 180-4, section 6.1.
 *
 * Invariant: ctx->used < 64 between calls; a full block is compressed as soon
 * as it is complete. Lengths are counted in bytes and converted to bits only
 * in the final padding. */
#include "sha1.h"

#include <string.h>

static uint32_t sha1_rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_compress(uint32_t h[5], const uint8_t block[64])
{
	uint32_t w[80];
	for (int t = 0; t < 16; t++)
		w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 |
		       (uint32_t)block[4 * t + 2] << 8 | (uint32_t)block[4 * t + 3];
	for (int t = 16; t < 80; t++)
		w[t] = sha1_rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);

	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int t = 0; t < 80; t++) {
		uint32_t f, k;
		if (t < 20) {
			f = (b & c) | (~b & d);
			k = 0x5A827999;
		} else if (t < 40) {
			f = b ^ c ^ d;
			k = 0x6ED9EBA1;
		} else if (t < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8F1BBCDC;
		} else {
			f = b ^ c ^ d;
			k = 0xCA62C1D6;
		}
		uint32_t tmp = sha1_rol(a, 5) + f + e + k + w[t];
		e = d;
		d = c;
		c = sha1_rol(b, 30);
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void sha1_init(struct sha1_ctx *ctx)
{
	static const uint32_t iv[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
					0xC3D2E1F0 };
	memcpy(ctx->h, iv, sizeof iv);
	ctx->total = 0;
	ctx->used = 0;
}

void sha1_update(struct sha1_ctx *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;
	ctx->total += len;
	while (len > 0) {
		size_t take = 64 - ctx->used;
		if (take > len)
			take = len;
		memcpy(ctx->block + ctx->used, p, take);
		ctx->used += take;
		p += take;
		len -= take;
		if (ctx->used == 64) {
			sha1_compress(ctx->h, ctx->block);
			ctx->used = 0;
		}
	}
}

void sha1_final(struct sha1_ctx *ctx, uint8_t out[SHA1_DIGEST_LEN])
{
	uint64_t bits = ctx->total * 8;
	uint8_t pad[72] = { 0x80 };
	/* Pad to 56 mod 64, then the 64-bit big-endian bit length. */
	size_t padlen = ctx->used < 56 ? 56 - ctx->used : 120 - ctx->used;
	uint8_t lenbuf[8];
	for (int i = 0; i < 8; i++)
		lenbuf[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_update(ctx, pad, padlen);
	sha1_update(ctx, lenbuf, 8);
	for (int i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(ctx->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(ctx->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(ctx->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)ctx->h[i];
	}
	memset(ctx, 0, sizeof *ctx);
}

void sha1_digest(const void *data, size_t len, uint8_t out[SHA1_DIGEST_LEN])
{
	struct sha1_ctx ctx;
	sha1_init(&ctx);
	sha1_update(&ctx, data, len);
	sha1_final(&ctx, out);
}
