/* test_sha256.c: SHA-256 against the FIPS 180-4 examples and HMAC-SHA256
 * against RFC 4231's test cases 1 to 7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static const char million_a_hex[] = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

static const struct {
	const char *msg;
	const char *hex;
} sha_cases[] = {
	{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
	  "mnopqrstnopqrstu",
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};

static void test_sha256_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof sha_cases / sizeof sha_cases[0]; i++) {
		uint8_t d[SHA256_DIGEST_LEN];
		char hex[2 * SHA256_DIGEST_LEN + 1];
		sha256(sha_cases[i].msg, strlen(sha_cases[i].msg), d);
		sha256_hex(d, hex);
		assert_string_equal(hex, sha_cases[i].hex);

		/* The same message byte by byte through the streaming interface. */
		struct sha256_ctx ctx;
		sha256_init(&ctx);
		for (const char *p = sha_cases[i].msg; *p != '\0'; p++)
			sha256_update(&ctx, p, 1);
		sha256_final(&ctx, d);
		sha256_hex(d, hex);
		assert_string_equal(hex, sha_cases[i].hex);
	}
}

static void test_sha256_million_a_odd_chunks(void **state)
{
	(void)state;
	static const size_t chunks[] = { 1, 63, 64, 65, 127, 1000, 4099, 7 };
	char *buf = malloc(8192);
	assert_non_null(buf);
	memset(buf, 'a', 8192);
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	size_t left = 1000000, k = 0;
	while (left > 0) {
		size_t n = chunks[k++ % (sizeof chunks / sizeof chunks[0])];
		if (n > left)
			n = left;
		sha256_update(&ctx, buf, n);
		left -= n;
	}
	uint8_t d[SHA256_DIGEST_LEN];
	char hex[2 * SHA256_DIGEST_LEN + 1];
	sha256_final(&ctx, d);
	sha256_hex(d, hex);
	assert_string_equal(hex, million_a_hex);

	/* And in one piece. */
	char *all = malloc(1000000);
	assert_non_null(all);
	memset(all, 'a', 1000000);
	sha256(all, 1000000, d);
	sha256_hex(d, hex);
	assert_string_equal(hex, million_a_hex);
	free(all);
	free(buf);
}

/* RFC 4231, section 4. Case 5's MAC is truncated to 128 bits (32 hex digits). */
struct hmac_case {
	uint8_t key[131];
	size_t keylen;
	uint8_t data[160];
	size_t datalen;
	const char *hex;
};

static void fill(uint8_t *dst, uint8_t byte, size_t n)
{
	memset(dst, byte, n);
}

static size_t text(uint8_t *dst, const char *s)
{
	size_t n = strlen(s);
	memcpy(dst, s, n);
	return n;
}

static void test_hmac_rfc4231(void **state)
{
	(void)state;
	static struct hmac_case c[7];
	memset(c, 0, sizeof c);

	fill(c[0].key, 0x0b, c[0].keylen = 20);
	c[0].datalen = text(c[0].data, "Hi There");
	c[0].hex = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";

	c[1].keylen = text(c[1].key, "Jefe");
	c[1].datalen = text(c[1].data, "what do ya want for nothing?");
	c[1].hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

	fill(c[2].key, 0xaa, c[2].keylen = 20);
	fill(c[2].data, 0xdd, c[2].datalen = 50);
	c[2].hex = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";

	for (int i = 0; i < 25; i++)
		c[3].key[i] = (uint8_t)(i + 1);
	c[3].keylen = 25;
	fill(c[3].data, 0xcd, c[3].datalen = 50);
	c[3].hex = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";

	fill(c[4].key, 0x0c, c[4].keylen = 20);
	c[4].datalen = text(c[4].data, "Test With Truncation");
	c[4].hex = "a3b6167473100ee06e0c796c2955552b";

	fill(c[5].key, 0xaa, c[5].keylen = 131);
	c[5].datalen = text(c[5].data, "Test Using Larger Than Block-Size Key - Hash Key First");
	c[5].hex = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";

	fill(c[6].key, 0xaa, c[6].keylen = 131);
	c[6].datalen = text(c[6].data, "This is a test using a larger than block-size key and a larger than "
				       "block-size data. The key needs to be hashed before being used by the "
				       "HMAC algorithm.");
	c[6].hex = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";

	for (size_t i = 0; i < 7; i++) {
		uint8_t mac[SHA256_DIGEST_LEN];
		char hex[2 * SHA256_DIGEST_LEN + 1];
		hmac_sha256(c[i].key, c[i].keylen, c[i].data, c[i].datalen, mac);
		sha256_hex(mac, hex);
		size_t want = strlen(c[i].hex);
		if (strncmp(hex, c[i].hex, want) != 0)
			fail_msg("RFC 4231 case %zu: got %s, want %s", i + 1, hex, c[i].hex);

		/* Streaming, in two uneven parts. */
		struct hmac_sha256_ctx ctx;
		hmac_sha256_init(&ctx, c[i].key, c[i].keylen);
		hmac_sha256_update(&ctx, c[i].data, c[i].datalen / 3);
		hmac_sha256_update(&ctx, c[i].data + c[i].datalen / 3, c[i].datalen - c[i].datalen / 3);
		hmac_sha256_final(&ctx, mac);
		sha256_hex(mac, hex);
		if (strncmp(hex, c[i].hex, want) != 0)
			fail_msg("RFC 4231 case %zu streamed: got %s, want %s", i + 1, hex, c[i].hex);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_sha256_million_a_odd_chunks),
		cmocka_unit_test(test_hmac_rfc4231),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
