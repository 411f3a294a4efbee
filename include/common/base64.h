/* base64.h: standard base64 (RFC 4648 section 4, with padding). Pure. */
#ifndef WFMON_BASE64_H
#define WFMON_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode n bytes, not counting the terminating NUL. */
size_t base64_encoded_len(size_t n);

/* Encodes n bytes into out (outlen bytes, room for the NUL included). Returns
 * the length written without the NUL, or -1 (and writes nothing) if out is
 * too small. */
int base64_encode(const uint8_t *in, size_t n, char *out, size_t outlen);

/* Decodes len characters of padded base64 into out (outlen bytes). Returns the
 * number of bytes written, or -1 on a bad character, bad padding, a length
 * that is not a multiple of 4, or too small an out. */
int base64_decode(const char *in, size_t len, uint8_t *out, size_t outlen);

/* base64url without padding (RFC 4648 section 5), as JOSE (JWT, JWK) and
 * URLs use it. encoded_len does not count the NUL; encode returns the length
 * written or -1 if out is too small. */
size_t base64url_encoded_len(size_t n);
int base64url_encode(const uint8_t *in, size_t n, char *out, size_t outlen);
/* Decodes len unpadded characters into out; the number of bytes, or -1 on a
 * character outside the alphabet, a length no encoder produces (len % 4 ==
 * 1), or too small an out (len / 4 * 3 + 2 bytes always suffice). */
int base64url_decode(const char *in, size_t len, uint8_t *out, size_t outlen);
/* 0..63 for a base64url character, -1 for anything else. */
int base64url_value(unsigned char c);

#endif
