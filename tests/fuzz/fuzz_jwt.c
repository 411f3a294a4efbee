/* fuzz_jwt.c: libFuzzer target: auth_verify, the JWT check of every
 * connection, with an HS256 key. An input whose first byte is odd is the
 * token as sent; otherwise it is "HEADER\nPAYLOAD" (JSON texts), which the
 * target encodes and signs with the key, so that the claim checks (exp, nbf,
 * sub, org, role, the pinned algorithm) see tokens with good signatures. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret[] = "fuzz-secret-0123456789abcdef0123456789abcdef";
static struct auth_verifier *verifier;

static void init(void)
{
	char path[] = "/tmp/wfmon-fuzz-jwt-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, secret, sizeof secret - 1) != (ssize_t)(sizeof secret - 1))
		abort();
	close(fd);
	char cause[256];
	verifier = auth_verifier_new(AUTH_HS256, path, 30, cause, sizeof cause);
	unlink(path);
	if (verifier == NULL) {
		fprintf(stderr, "fuzz_jwt: %s\n", cause);
		abort();
	}
}

/* base64url without padding of n bytes into out; returns its length. */
static size_t b64url(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	int len = base64_encode(in, n, out, outlen);
	if (len < 0)
		abort();
	size_t k = 0;
	for (int i = 0; i < len; i++) {
		if (out[i] == '=')
			break;
		out[k++] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
	out[k] = '\0';
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (verifier == NULL)
		init();
	if (size == 0 || size > 8192)
		return 0;
	char *token;
	if (data[0] & 1) {
		token = malloc(size);
		memcpy(token, data + 1, size - 1);
		token[size - 1] = '\0';
	} else {
		const uint8_t *body = data + 1, *nl = memchr(body, '\n', size - 1);
		if (nl == NULL)
			return 0;
		size_t hlen = (size_t)(nl - body), plen = size - 1 - hlen - 1;
		size_t cap = 2 * size + 128;
		token = malloc(cap);
		size_t n = b64url(body, hlen, token, cap);
		token[n++] = '.';
		n += b64url(nl + 1, plen, token + n, cap - n);
		unsigned char mac[32];
		unsigned maclen = 0;
		HMAC(EVP_sha256(), secret, (int)sizeof secret - 1, (const unsigned char *)token, n, mac, &maclen);
		token[n++] = '.';
		b64url(mac, maclen, token + n, cap - n);
	}
	struct auth_identity who;
	char cause[256];
	if (auth_verify(verifier, token, 1800000000, &who, cause, sizeof cause) == 0) {
		/* What a verified token gives the daemon is always well formed. */
		if (!proto_id_valid(who.org) || strlen(who.sub) == 0 || (unsigned)who.role >= ROLE__COUNT)
			abort();
	}
	free(token);
	return 0;
}
