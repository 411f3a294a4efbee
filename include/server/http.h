/* http.h: wfmond's plain HTTP side: authenticating the WebSocket upgrade (401
 * before any upgrade), POST /v1/events, GET /healthz and GET /metrics. */
#ifndef WFMON_HTTP_H
#define WFMON_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "auth.h"

struct lws;
struct server;

/* What lws keeps of a request's headers (max_http_header_data): room for a
 * token of AUTH_MAX_TOKEN bytes and the usual headers; a request past it is
 * dropped by lws without an answer. */
#define HTTP_MAX_HEADERS (16 * 1024)
/* The one answer to every refused token (the reason is logged). */
#define HTTP_TOKEN_REFUSED "the token was not accepted"
enum lws_callback_reasons;

enum http_body_kind { HTTP_BODY_EVENTS, HTTP_BODY_ACTION };

/* The per-request state lws allocates for the "http" protocol. */
struct http_session {
	enum http_body_kind kind;  /* what the body is for */
	char *token;             /* HTTP_BODY_ACTION: the link's token */
	char *body;
	size_t len, cap;
	int refuse_status;       /* nonzero: answer this once the body has arrived */
	const char *refuse_message;
	struct auth_identity who;
	bool waiting;            /* an answer will come from the store */
	char *resp;              /* a parked answer, written when writable */
	size_t resp_len;
	unsigned resp_status;
};

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len);

/* Parks a JSON answer (body taken; NULL is treated as an empty object) for the
 * request on wsi and asks to be told when it can be written. */
void http_answer_later(struct lws *wsi, unsigned status, json_t *body);

/* Writes a whole HTML page now. Returns what the lws callback should return. */
int http_respond_html(struct lws *wsi, unsigned status, const char *html, size_t len);

/* Verifies the "Authorization: Bearer" header of the request on wsi. */
int http_bearer_identity(struct server *s, struct lws *wsi, struct auth_identity *who, char *cause,
			 size_t causelen);

#endif
