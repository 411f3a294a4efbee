/* reply.c: answers to WebSocket connections and HTTP requests (see reply.h).
 *
 * An HTTP answer that is ready while its request is still being handled is
 * written at once; one that comes later (from the store) is parked in the
 * request's session and written when lws says the socket is writable. */
#include "reply.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "http.h"
#include "server.h"

static const unsigned http_status_of[PROTO_ERR__COUNT] = {
	[PROTO_ERR_BAD_REQUEST] = 400, [PROTO_ERR_UNAUTHORIZED] = 401, [PROTO_ERR_FORBIDDEN] = 403,
	[PROTO_ERR_NOT_FOUND] = 404, [PROTO_ERR_TOO_LARGE] = 413, [PROTO_ERR_RATE_LIMITED] = 429,
	[PROTO_ERR_UNAVAILABLE] = 503,
};

unsigned reply_http_status(enum proto_error code)
{
	return (unsigned)code < PROTO_ERR__COUNT ? http_status_of[code] : 500;
}

void reply_send(struct server *s, const struct reply_to *to, char *ws_payload, unsigned http_status,
		json_t *http_body)
{
	if (to->http_wsi != NULL) {
		free(ws_payload);
		http_answer_later(to->http_wsi, http_status, http_body);
		return;
	}
	json_decref(http_body);
	struct conn *c = server_conn(s, to->conn_id);
	if (c == NULL) {
		free(ws_payload);
		return;
	}
	conn_send(c, ws_payload);
}

void reply_error(struct server *s, const struct reply_to *to, enum proto_error code,
		 const char *message, const char *field)
{
	json_t *body = json_pack("{s:s,s:s}", "code", proto_error_name(code), "message", message);
	if (field != NULL && *field != '\0')
		json_object_set_new(body, "field", json_string(field));
	reply_send(s, to, to->http_wsi ? NULL : proto_error_message_new(to->req_id, code, message, field),
		   reply_http_status(code), body);
}
