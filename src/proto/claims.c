/* claims.c: reading a token's claims without verifying it (see claims.h). */
#include "claims.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"

#define CLAIMS_MAX_PAYLOAD 8192

static void claim_copy(char *dst, size_t len, json_t *claims, const char *key)
{
	const char *v = json_string_value(json_object_get(claims, key));
	if (v != NULL)
		snprintf(dst, len, "%s", v);
}

static int64_t claim_int(json_t *claims, const char *key)
{
	json_t *v = json_object_get(claims, key);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int proto_token_peek(const char *token, struct proto_token_claims *out)
{
	memset(out, 0, sizeof *out);
	if (token == NULL)
		return -1;
	const char *p = strchr(token, '.');
	const char *q = p ? strchr(p + 1, '.') : NULL;
	if (q == NULL || q - p - 1 > CLAIMS_MAX_PAYLOAD)
		return -1;
	uint8_t raw[CLAIMS_MAX_PAYLOAD / 4 * 3 + 3];
	int len = base64url_decode(p + 1, (size_t)(q - p - 1), raw, sizeof raw);
	if (len < 0)
		return -1;
	json_t *claims = json_loadb((const char *)raw, (size_t)len, 0, NULL);
	if (!json_is_object(claims)) {
		json_decref(claims);
		return -1;
	}
	claim_copy(out->org, sizeof out->org, claims, "org");
	claim_copy(out->sub, sizeof out->sub, claims, "sub");
	claim_copy(out->role, sizeof out->role, claims, "role");
	out->exp = claim_int(claims, "exp");
	out->iat = claim_int(claims, "iat");
	json_decref(claims);
	return 0;
}
