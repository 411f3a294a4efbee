/* claims.h: what a token says about itself, read without verifying it.
 *
 * The daemon verifies every token (server/auth.h); clients only need to know
 * whom a token speaks for (the console's header) and when it expires (to
 * fetch a fresh one in time). Pure: no I/O, no key. */
#ifndef WFMON_CLAIMS_H
#define WFMON_CLAIMS_H

#include <stdint.h>

#include "proto.h"

struct proto_token_claims {
	char org[PROTO_MAX_NAME + 1];
	char sub[PROTO_MAX_NAME + 1];
	char role[32];
	int64_t exp;    /* seconds since the epoch, 0: absent */
	int64_t iat;    /* 0: absent */
};

/* Decodes the payload of a compact JWT (at most 8 KiB): 0 with *out filled
 * (absent string claims are ""), or -1 when it is not a JWT with a JSON
 * object as its payload. */
int proto_token_peek(const char *token, struct proto_token_claims *out);

#endif
