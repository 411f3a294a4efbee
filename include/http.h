/* http.h: wfmond's plain HTTP side: authenticating the WebSocket upgrade (401
 * before any upgrade), POST /v1/events, GET /healthz and GET /metrics. */
#ifndef WFMON_HTTP_H
#define WFMON_HTTP_H

#include <stddef.h>

#include "auth.h"

struct lws;
struct server;
enum lws_callback_reasons;

/* The per-request state lws allocates for the "http" protocol. */
struct http_session {
	char *body;
	size_t len, cap;
	int refuse_status;       /* nonzero: answer this once the body has arrived */
	const char *refuse_message;
	struct auth_identity who;
};

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

/* Verifies the "Authorization: Bearer" header of the request on wsi. */
int http_bearer_identity(struct server *s, struct lws *wsi, struct auth_identity *who, char *cause,
			 size_t causelen);

#endif
