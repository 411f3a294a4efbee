/* reply.h: delivering an answer to whoever asked, over WebSocket or HTTP, now
 * or after the store has answered. */
#ifndef WFMON_REPLY_H
#define WFMON_REPLY_H

#include <jansson.h>
#include <stdint.h>

#include "proto.h"

struct lws;
struct server;

/* Who asked: a WebSocket connection (by id) or an HTTP request (by handle). */
struct reply_to {
	uint64_t conn_id;
	struct lws *http_wsi;
	json_t *req_id;          /* borrowed */
};

/* A WebSocket message (payload, taken) or, for HTTP, status + body (taken). A
 * connection that has gone is skipped. */
void reply_send(struct server *s, const struct reply_to *to, char *ws_payload, unsigned http_status,
		json_t *http_body);
/* An error, in the shape each transport uses. */
void reply_error(struct server *s, const struct reply_to *to, enum proto_error code,
		 const char *message, const char *field);
/* The HTTP status for an error code. */
unsigned reply_http_status(enum proto_error code);

#endif
