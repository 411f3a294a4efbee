/* base64.c: RFC 4648 base64 with padding, and base64url without it.
 *
 * The padded decoder is strict (used to check what a peer sent): no
 * whitespace, the padding only at the end, and unused bits of the last group
 * must be zero so that every byte string has exactly one accepted encoding.
 * The base64url decoder takes what JOSE writers produce: no padding, and
 * unused bits left as the writer left them (signatures are checked over the
 * text, not the bytes). */
#include "base64.h"

#include <limits.h>

static const char base64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

int base64_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	size_t need = base64_encoded_len(n);
	if (need >= outlen || need > INT_MAX)
		return -1;
	size_t o = 0;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = base64_alphabet[v >> 18];
		out[o++] = base64_alphabet[(v >> 12) & 63];
		out[o++] = base64_alphabet[(v >> 6) & 63];
		out[o++] = base64_alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = base64_alphabet[v >> 18];
		out[o++] = base64_alphabet[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = base64_alphabet[v >> 18];
		out[o++] = base64_alphabet[(v >> 12) & 63];
		out[o++] = base64_alphabet[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return (int)o;
}

static int base64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int base64_decode(const char *in, size_t len, uint8_t *out, size_t outlen)
{
	if (len % 4 != 0 || len / 4 * 3 > INT_MAX)
		return -1;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 4) {
		int last = i + 4 == len;
		int pads = 0;
		if (last && in[i + 3] == '=')
			pads = in[i + 2] == '=' ? 2 : 1;
		uint32_t v = 0;
		for (int j = 0; j < 4; j++) {
			int d = j >= 4 - pads ? 0 : base64_value(in[i + j]);
			if (d < 0)
				return -1;
			v = v << 6 | (uint32_t)d;
		}
		size_t bytes = (size_t)(3 - pads);
		if (o + bytes > outlen)
			return -1;
		if ((pads == 1 && (v & 0xFF)) || (pads == 2 && (v & 0xFFFF)))
			return -1;
		out[o++] = (uint8_t)(v >> 16);
		if (bytes > 1)
			out[o++] = (uint8_t)(v >> 8);
		if (bytes > 2)
			out[o++] = (uint8_t)v;
	}
	return (int)o;
}

/* ---- base64url (RFC 4648 section 5), unpadded -------------------------------- */

static const char base64url_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t base64url_encoded_len(size_t n)
{
	return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

int base64url_encode(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	size_t need = base64url_encoded_len(n);
	if (need >= outlen || need > INT_MAX)
		return -1;
	size_t o = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = base64url_alphabet[v >> 18];
		out[o++] = base64url_alphabet[(v >> 12) & 63];
		out[o++] = base64url_alphabet[(v >> 6) & 63];
		out[o++] = base64url_alphabet[v & 63];
	}
	if (n - i >= 1) {
		uint32_t v = (uint32_t)in[i] << 16 | (n - i == 2 ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = base64url_alphabet[v >> 18];
		out[o++] = base64url_alphabet[(v >> 12) & 63];
		if (n - i == 2)
			out[o++] = base64url_alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return (int)o;
}

int base64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int base64url_decode(const char *in, size_t len, uint8_t *out, size_t outlen)
{
	if (len % 4 == 1 || len / 4 * 3 > INT_MAX)
		return -1;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = base64url_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outlen)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (int)o;
}
