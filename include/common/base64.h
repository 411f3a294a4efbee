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

#endif
