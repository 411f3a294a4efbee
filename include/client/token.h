/* token.h: minting development tokens (`wfmon token`, HS256 only). Reading
 * a token's claims is the protocol's (claims.h). */
#ifndef WFMON_TOKEN_H
#define WFMON_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct token_request {
	const char *org;
	const char *sub;
	const char *role;     /* viewer, operator, admin, producer */
	int64_t ttl_s;        /* > 0 */
	int64_t now_s;
	const char *secret_file;
};

/* Parses durations like "90s", "15m", "1h", "7d" or plain seconds. */
int token_parse_ttl(const char *s, int64_t *out_s);

/* Returns a new token string, or NULL with a message in cause. */
char *token_mint(const struct token_request *req, char *cause, size_t causelen);

#endif
