/* test_wsframe.c: frame headers (RFC 6455 section 5.7 examples and every
 * length boundary), masking at offsets, strict UTF-8, and the handshake's
 * accept value (RFC 6455 example) and base64. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "base64.h"
#include <openssl/sha.h>
#include "wsframe.h"

/* RFC 6455 5.7: a single-frame unmasked text message "Hello". */
static void test_rfc_unmasked_hello(void **state)
{
	(void)state;
	static const uint8_t wire[] = { 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	struct wsframe f;
	assert_int_equal(wsframe_parse(wire, sizeof wire, &f), 1);
	assert_int_equal(f.op, WS_OP_TEXT);
	assert_true(f.fin);
	assert_false(f.masked);
	assert_int_equal(f.len, 5);
	assert_int_equal(f.header_len, 2);
	assert_memory_equal(wire + 2, "Hello", 5);

	uint8_t hdr[WSFRAME_MAX_HEADER];
	assert_int_equal(wsframe_header(hdr, WS_OP_TEXT, true, 5, NULL), 2);
	assert_memory_equal(hdr, wire, 2);
}

/* RFC 6455 5.7: the masked "Hello" a client sends. */
static void test_rfc_masked_hello(void **state)
{
	(void)state;
	static const uint8_t wire[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
					0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct wsframe f;
	assert_int_equal(wsframe_parse(wire, sizeof wire, &f), 1);
	assert_true(f.masked);
	assert_int_equal(f.header_len, 6);
	uint8_t payload[5];
	memcpy(payload, wire + 6, 5);
	wsframe_mask(payload, 5, f.mask, 0);
	assert_memory_equal(payload, "Hello", 5);

	uint8_t hdr[WSFRAME_MAX_HEADER];
	assert_int_equal(wsframe_header(hdr, WS_OP_TEXT, true, 5, f.mask), 6);
	assert_memory_equal(hdr, wire, 6);
}

/* RFC 6455 5.7: fragmented "Hel" + "lo", and an unmasked ping "Hello". */
static void test_rfc_fragments_and_ping(void **state)
{
	(void)state;
	static const uint8_t first[] = { 0x01, 0x03, 0x48, 0x65, 0x6c };
	static const uint8_t second[] = { 0x80, 0x02, 0x6c, 0x6f };
	static const uint8_t ping[] = { 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f };
	struct wsframe f;
	assert_int_equal(wsframe_parse(first, sizeof first, &f), 1);
	assert_int_equal(f.op, WS_OP_TEXT);
	assert_false(f.fin);
	assert_int_equal(f.len, 3);
	assert_int_equal(wsframe_parse(second, sizeof second, &f), 1);
	assert_int_equal(f.op, WS_OP_CONT);
	assert_true(f.fin);
	assert_int_equal(wsframe_parse(ping, sizeof ping, &f), 1);
	assert_int_equal(f.op, WS_OP_PING);
	assert_int_equal(f.len, 5);
}

/* RFC 6455 5.7: 256 bytes and 64 KiB binary messages in one unmasked frame. */
static void test_rfc_extended_lengths(void **state)
{
	(void)state;
	static const uint8_t h256[] = { 0x82, 0x7E, 0x01, 0x00 };
	static const uint8_t h64k[] = { 0x82, 0x7F, 0x00, 0x00, 0x00, 0x00,
					0x00, 0x01, 0x00, 0x00 };
	struct wsframe f;
	assert_int_equal(wsframe_parse(h256, sizeof h256, &f), 1);
	assert_int_equal(f.len, 256);
	assert_int_equal(f.header_len, 4);
	assert_int_equal(wsframe_parse(h64k, sizeof h64k, &f), 1);
	assert_int_equal(f.len, 65536);
	assert_int_equal(f.header_len, 10);
	uint8_t hdr[WSFRAME_MAX_HEADER];
	assert_int_equal(wsframe_header(hdr, WS_OP_BINARY, true, 256, NULL), 4);
	assert_memory_equal(hdr, h256, 4);
	assert_int_equal(wsframe_header(hdr, WS_OP_BINARY, true, 65536, NULL), 10);
	assert_memory_equal(hdr, h64k, 10);
}

/* Every boundary of the three length encodings, masked and not, round trips,
 * and a truncated header asks for more bytes at every cut. */
static void test_length_boundaries(void **state)
{
	(void)state;
	static const struct {
		uint64_t len;
		size_t header;  /* unmasked */
	} cases[] = {
		{ 0, 2 }, { 1, 2 }, { 125, 2 }, { 126, 4 }, { 127, 4 },
		{ 65535, 4 }, { 65536, 10 }, { 1ULL << 32, 10 },
		{ (1ULL << 63) - 1, 10 },
	};
	static const uint8_t mask[4] = { 1, 2, 3, 4 };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int m = 0; m < 2; m++) {
			uint8_t hdr[WSFRAME_MAX_HEADER];
			size_t n = wsframe_header(hdr, WS_OP_BINARY, m == 0, cases[i].len,
						  m ? mask : NULL);
			assert_int_equal(n, cases[i].header + (m ? 4 : 0));
			struct wsframe f;
			for (size_t cut = 0; cut < n; cut++)
				assert_int_equal(wsframe_parse(hdr, cut, &f), 0);
			assert_int_equal(wsframe_parse(hdr, n, &f), 1);
			assert_int_equal(f.len, cases[i].len);
			assert_int_equal(f.header_len, n);
			assert_int_equal(f.masked, m == 1);
			assert_int_equal(f.fin, m == 0);
			if (m)
				assert_memory_equal(f.mask, mask, 4);
		}
	}
}

static void test_malformed_headers(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		uint8_t bytes[10];
		size_t len;
	} bad[] = {
		{ "RSV1 set", { 0xC1, 0x00 }, 2 },
		{ "RSV3 set", { 0x91, 0x00 }, 2 },
		{ "opcode 3", { 0x83, 0x00 }, 2 },
		{ "opcode 0xB", { 0x8B, 0x00 }, 2 },
		{ "fragmented ping", { 0x09, 0x00 }, 2 },
		{ "close of 126 bytes", { 0x88, 0x7E, 0x00, 0x7E }, 4 },
		{ "top length bit", { 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 10 },
		{ "non-minimal 16-bit length", { 0x82, 0x7E, 0x00, 0x05 }, 4 },
		{ "non-minimal 64-bit length", { 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF }, 10 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct wsframe f;
		if (wsframe_parse(bad[i].bytes, bad[i].len, &f) != -1)
			fail_msg("accepted: %s", bad[i].what);
	}
}

/* Masking a payload in chunks at arbitrary offsets equals masking it whole,
 * and masking twice restores it. */
static void test_mask_offsets(void **state)
{
	(void)state;
	static const uint8_t mask[4] = { 0xA1, 0x5B, 0x07, 0xFE };
	uint8_t orig[103], whole[103], chunked[103];
	for (size_t i = 0; i < sizeof orig; i++)
		orig[i] = (uint8_t)(i * 37 + 11);
	memcpy(whole, orig, sizeof orig);
	wsframe_mask(whole, sizeof whole, mask, 0);
	for (size_t i = 0; i < sizeof orig; i++)
		assert_int_equal(whole[i], orig[i] ^ mask[i % 4]);
	static const size_t cuts[] = { 1, 2, 3, 5, 8, 13, 21, 50 };
	for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
		memcpy(chunked, orig, sizeof orig);
		for (size_t off = 0; off < sizeof chunked; off += cuts[c]) {
			size_t n = sizeof chunked - off < cuts[c] ? sizeof chunked - off : cuts[c];
			wsframe_mask(chunked + off, n, mask, off);
		}
		assert_memory_equal(chunked, whole, sizeof whole);
	}
	wsframe_mask(whole, sizeof whole, mask, 0);
	assert_memory_equal(whole, orig, sizeof orig);
}

static void test_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *what;
		const char *s;
		bool ok;
	} cases[] = {
		{ "empty", "", true },
		{ "ascii", "{\"type\":\"publish\"}", true },
		{ "polish", "Zażółć gęślą jaźń: księgowanie zakończone", true },
		{ "U+0080", "\xC2\x80", true },
		{ "U+07FF", "\xDF\xBF", true },
		{ "U+0800", "\xE0\xA0\x80", true },
		{ "U+FFFF", "\xEF\xBF\xBF", true },
		{ "U+10000", "\xF0\x90\x80\x80", true },
		{ "U+10FFFF", "\xF4\x8F\xBF\xBF", true },
		{ "U+D7FF", "\xED\x9F\xBF", true },
		{ "U+E000", "\xEE\x80\x80", true },
		{ "overlong slash", "\xC0\xAF", false },
		{ "overlong C1", "\xC1\xBF", false },
		{ "overlong 3-byte", "\xE0\x80\xAF", false },
		{ "overlong 3-byte U+07FF", "\xE0\x9F\xBF", false },
		{ "overlong 4-byte", "\xF0\x8F\xBF\xBF", false },
		{ "surrogate D800", "\xED\xA0\x80", false },
		{ "surrogate DFFF", "\xED\xBF\xBF", false },
		{ "U+110000", "\xF4\x90\x80\x80", false },
		{ "F5 lead", "\xF5\x80\x80\x80", false },
		{ "FF", "\xFF", false },
		{ "5-byte form", "\xF8\x88\x80\x80\x80", false },
		{ "lone continuation", "a\x80z", false },
		{ "truncated 2-byte", "abc\xC3", false },
		{ "truncated 3-byte", "\xE2\x82", false },
		{ "truncated 4-byte", "\xF0\x9F\x98", false },
		{ "bad continuation", "\xE2\x28\xA1", false },
		{ "ascii then bad in a word", "abcdefgh\xC3(", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		bool got = utf8_valid((const uint8_t *)cases[i].s, strlen(cases[i].s));
		if (got != cases[i].ok)
			fail_msg("utf8_valid(%s) = %d", cases[i].what, got);
	}
	/* A truncated sequence at every cut of a longer valid string. */
	const char *text = "Kurs NBP: 4,3210 zł — żółw 🐢";
	size_t n = strlen(text);
	assert_true(utf8_valid((const uint8_t *)text, n));
	assert_false(utf8_valid((const uint8_t *)text, n - 1));
	assert_false(utf8_valid((const uint8_t *)text, n - 2));
}

/* RFC 6455 1.3: the handshake example's accept value. */
static void test_accept_key_example(void **state)
{
	(void)state;
	const char *in = "dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	unsigned char d[SHA_DIGEST_LENGTH];
	SHA1((const unsigned char *)in, strlen(in), d);
	char b64[32];
	assert_int_equal(base64_encode(d, sizeof d, b64, sizeof b64), 28);
	assert_string_equal(b64, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

static void test_base64(void **state)
{
	(void)state;
	/* RFC 4648 section 10. */
	static const char *const vec[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		char enc[16];
		uint8_t dec[16];
		size_t n = strlen(vec[i][0]);
		assert_int_equal(base64_encoded_len(n), strlen(vec[i][1]));
		assert_int_equal(base64_encode((const uint8_t *)vec[i][0], n, enc, sizeof enc),
				 (int)strlen(vec[i][1]));
		assert_string_equal(enc, vec[i][1]);
		assert_int_equal(base64_decode(vec[i][1], strlen(vec[i][1]), dec, sizeof dec),
				 (int)n);
		assert_memory_equal(dec, vec[i][0], n);
	}
	char small[4];
	assert_int_equal(base64_encode((const uint8_t *)"foo", 3, small, sizeof small), -1);
	static const char *const bad[] = { "Zg=", "Zg=a", "Z===", "Zh==", "Zm9=", "Zm 9",
					   "Zg==Zg==", "Zm9v!A==" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t dec[16];
		if (base64_decode(bad[i], strlen(bad[i]), dec, sizeof dec) != -1)
			fail_msg("accepted base64 %s", bad[i]);
	}
	uint8_t two[2];
	assert_int_equal(base64_decode("Zm9v", 4, two, sizeof two), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_unmasked_hello),
		cmocka_unit_test(test_rfc_masked_hello),
		cmocka_unit_test(test_rfc_fragments_and_ping),
		cmocka_unit_test(test_rfc_extended_lengths),
		cmocka_unit_test(test_length_boundaries),
		cmocka_unit_test(test_malformed_headers),
		cmocka_unit_test(test_mask_offsets),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_accept_key_example),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
