/* http.c: the plain HTTP endpoints of wfmond and the check of every WebSocket
 * upgrade (see http.h).
 *
 * Responses are small and written at once; lws keeps whatever the socket does
 * not take and sends it before anything else on the connection. */
#include "http.h"

#include <ctype.h>
#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "conn.h"
#include "ingest.h"
#include "log.h"
#include "org.h"
#include "proto.h"
#include "server.h"
#include "xalloc.h"

#define HTTP_MAX_AUTH 8192

int http_bearer_identity(struct server *s, struct lws *wsi, struct auth_identity *who, char *cause,
			 size_t causelen)
{
	int len = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (len <= 0) {
		snprintf(cause, causelen, "no token: send the header 'Authorization: Bearer <jwt>'");
		return -1;
	}
	if (len > HTTP_MAX_AUTH) {
		snprintf(cause, causelen, "the Authorization header is longer than %d bytes", HTTP_MAX_AUTH);
		return -1;
	}
	char *hdr = xmalloc((size_t)len + 1);
	int rc = -1;
	if (lws_hdr_copy(wsi, hdr, len + 1, WSI_TOKEN_HTTP_AUTHORIZATION) < 0) {
		snprintf(cause, causelen, "the Authorization header could not be read");
	} else if (strncasecmp(hdr, "Bearer ", 7) != 0) {
		snprintf(cause, causelen, "the Authorization header must be 'Bearer <jwt>'");
	} else {
		const char *token = hdr + 7;
		while (*token == ' ')
			token++;
		rc = auth_verify(s->verifier, token, clock_wall_ms() / 1000, who, cause, causelen);
	}
	/* The header held a credential: do not leave it in freed memory. */
	explicit_bzero(hdr, (size_t)len);
	free(hdr);
	return rc;
}

/* Writes a whole response now. Returns what the lws callback should return. */
static int http_respond(struct lws *wsi, unsigned status, const char *ctype, const char *body,
			size_t len, bool bearer_challenge)
{
	uint8_t buf[LWS_PRE + 1024];
	uint8_t *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end))
		return -1;
	if (bearer_challenge &&
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_WWW_AUTHENTICATE,
					 (const unsigned char *)"Bearer realm=\"wfmond\"", 21, &p, end))
		return -1;
	if (lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (len > 0) {
		char *copy = xmalloc(LWS_PRE + len);
		memcpy(copy + LWS_PRE, body, len);
		int n = lws_write(wsi, (unsigned char *)copy + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
		free(copy);
		if (n < 0)
			return -1;
	}
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int http_respond_json(struct lws *wsi, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	int rc = http_respond(wsi, status, "application/json", text, strlen(text),
			      status == HTTP_STATUS_UNAUTHORIZED);
	free(text);
	return rc;
}

static int http_respond_error(struct lws *wsi, unsigned status, enum proto_error code,
			      const char *message)
{
	return http_respond_json(wsi, status, json_pack("{s:s,s:s}", "code", proto_error_name(code),
							 "message", message));
}

/* ---- the upgrade ---------------------------------------------------------------- */

static bool header_lists(struct lws *wsi, enum lws_token_indexes token, const char *want)
{
	char buf[256];
	if (lws_hdr_copy(wsi, buf, sizeof buf, token) <= 0)
		return false;
	for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
		if (strcmp(tok, want) == 0)
			return true;
	return false;
}

static int http_confirm_upgrade(struct server *s, struct lws *wsi, const char *upgrade)
{
	char cause[256];
	struct auth_identity who;
	if (upgrade == NULL || strcasecmp(upgrade, "websocket") != 0)
		return -1;   /* lws has answered 403 for anything else; hang up */
	if (s->draining)
		return http_respond_error(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, PROTO_ERR_UNAVAILABLE,
					  "the daemon is shutting down") < 0 ? -1 : 1;
	if (http_bearer_identity(s, wsi, &who, cause, sizeof cause) < 0) {
		s->stats.connections_refused++;
		log_info("upgrade refused (401): %s", cause);
		return http_respond_error(wsi, HTTP_STATUS_UNAUTHORIZED, PROTO_ERR_UNAUTHORIZED, cause) < 0
			       ? -1 : 1;
	}
	if (!header_lists(wsi, WSI_TOKEN_PROTOCOL, PROTO_SUBPROTOCOL))
		return http_respond_error(wsi, HTTP_STATUS_BAD_REQUEST, PROTO_ERR_BAD_REQUEST,
					  "request the subprotocol " PROTO_SUBPROTOCOL
					  " (Sec-WebSocket-Protocol)") < 0 ? -1 : 1;
	return 0;
}

/* ---- GET /healthz and /metrics --------------------------------------------------- */

static int http_healthz(struct server *s, struct lws *wsi)
{
	json_t *body = json_pack("{s:s,s:i,s:I,s:i,s:i,s:s}",
				 "status", s->draining ? "draining" : "ok",
				 "protocol", PROTO_VERSION,
				 "uptime_s", (json_int_t)((clock_wall_ms() - s->started_ms) / 1000),
				 "connections", (int)s->nconns,
				 "rooms", (int)s->nrooms,
				 "database", "not configured");
	return http_respond_json(wsi, s->draining ? HTTP_STATUS_SERVICE_UNAVAILABLE : HTTP_STATUS_OK, body);
}

struct metric {
	const char *name, *type, *help;
	size_t offset;   /* into struct server_stats */
};

#define STAT(f) offsetof(struct server_stats, f)
static const struct metric counters[] = {
	{ "wfmond_connections_total", "counter", "WebSocket connections accepted", STAT(connections_total) },
	{ "wfmond_connections_refused_total", "counter", "Upgrades refused for a bad or missing token", STAT(connections_refused) },
	{ "wfmond_events_in_total", "counter", "Events accepted from producers", STAT(events_in) },
	{ "wfmond_events_rejected_total", "counter", "Events refused as invalid", STAT(events_rejected) },
	{ "wfmond_events_duplicate_total", "counter", "Retried events acknowledged without delivery", STAT(events_duplicate) },
	{ "wfmond_messages_out_total", "counter", "Messages queued to subscribers", STAT(messages_out) },
	{ "wfmond_bytes_out_total", "counter", "Bytes written to WebSocket connections", STAT(bytes_out) },
	{ "wfmond_socket_writes_total", "counter", "Writes that carried those bytes", STAT(socket_writes) },
	{ "wfmond_requests_total", "counter", "WebSocket requests received", STAT(requests) },
	{ "wfmond_requests_rate_limited_total", "counter", "Requests refused by the rate limit", STAT(requests_rate_limited) },
	{ "wfmond_slow_consumers_dropped_total", "counter", "Connections closed for falling behind (4001)", STAT(slow_consumers_cut) },
	{ "wfmond_http_requests_total", "counter", "Plain HTTP requests", STAT(http_requests) },
};

static int http_metrics(struct server *s, struct lws *wsi)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return -1;
	for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++) {
		uint64_t v = *(const uint64_t *)((const char *)&s->stats + counters[i].offset);
		fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", counters[i].name, counters[i].help,
			counters[i].name, counters[i].type, counters[i].name, (unsigned long long)v);
	}
	size_t queued_msgs = 0, queued_bytes = 0;
	for (struct conn *c = s->conns; c != NULL; c = c->next) {
		queued_msgs += c->q.count;
		queued_bytes += c->q.bytes;
	}
	fprintf(f, "# HELP wfmond_connections Open WebSocket connections\n# TYPE wfmond_connections gauge\n"
		   "wfmond_connections %u\n", s->nconns);
	fprintf(f, "# HELP wfmond_rooms Rooms in memory\n# TYPE wfmond_rooms gauge\nwfmond_rooms %u\n",
		s->nrooms);
	fprintf(f, "# HELP wfmond_organizations Organizations seen\n# TYPE wfmond_organizations gauge\n"
		   "wfmond_organizations %zu\n", strmap_count(&s->orgs));
	fprintf(f, "# HELP wfmond_outbound_queued_messages Messages waiting in connection queues\n"
		   "# TYPE wfmond_outbound_queued_messages gauge\nwfmond_outbound_queued_messages %zu\n",
		queued_msgs);
	fprintf(f, "# HELP wfmond_outbound_queued_bytes Bytes waiting in connection queues\n"
		   "# TYPE wfmond_outbound_queued_bytes gauge\nwfmond_outbound_queued_bytes %zu\n",
		queued_bytes);
	fclose(f);
	int rc = http_respond(wsi, HTTP_STATUS_OK, "text/plain; version=0.0.4", text, len, false);
	free(text);
	return rc;
}

/* ---- POST /v1/events ---------------------------------------------------------------- */

static int http_begin_events(struct server *s, struct http_session *h, struct lws *wsi)
{
	char cause[256];
	memset(h, 0, sizeof *h);
	if (http_bearer_identity(s, wsi, &h->who, cause, sizeof cause) < 0)
		return http_respond_error(wsi, HTTP_STATUS_UNAUTHORIZED, PROTO_ERR_UNAUTHORIZED, cause);
	if (h->who.role != ROLE_PRODUCER)
		return http_respond_error(wsi, HTTP_STATUS_FORBIDDEN, PROTO_ERR_FORBIDDEN,
					  "only producer tokens may post events");
	char cl[32];
	if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
		return http_respond_error(wsi, HTTP_STATUS_LENGTH_REQUIRED, PROTO_ERR_BAD_REQUEST,
					  "send a Content-Length header");
	/* Digits only: lws 4.1.6 would take "-1" at its word. */
	for (const char *p = cl; *p; p++)
		if (!isdigit((unsigned char)*p))
			return http_respond_error(wsi, HTTP_STATUS_BAD_REQUEST, PROTO_ERR_BAD_REQUEST,
						  "Content-Length must be a non-negative number");
	unsigned long long n = strtoull(cl, NULL, 10);
	if (n == 0)
		return http_respond_error(wsi, HTTP_STATUS_BAD_REQUEST, PROTO_ERR_BAD_REQUEST,
					  "the body is empty: send a JSON array or NDJSON of events");
	if (n > s->cfg.max_http_body) {
		char msg[128];
		snprintf(msg, sizeof msg, "the body is over the limit of %zu bytes", s->cfg.max_http_body);
		return http_respond_error(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, PROTO_ERR_TOO_LARGE, msg);
	}
	h->body = malloc((size_t)n);
	if (h->body == NULL)
		return http_respond_error(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, PROTO_ERR_UNAVAILABLE,
					  "out of memory for this body; retry later");
	h->cap = (size_t)n;
	return 0;   /* the body follows */
}

/* Parses an NDJSON body line by line so that one bad line refuses only itself. */
static void http_ingest_ndjson(struct org *o, const char *body, size_t len, struct ingest_result *out)
{
	out->accepted = out->rejected = 0;
	out->results = json_array();
	json_t *one = json_array();
	size_t lineno = 0;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(body + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - body) : len;
		lineno++;
		size_t a = pos, b = end;
		while (a < b && isspace((unsigned char)body[a]))
			a++;
		pos = end + 1;
		if (a == b)
			continue;
		json_error_t err;
		json_t *ev = json_loadb(body + a, b - a, JSON_REJECT_DUPLICATES, &err);
		if (ev == NULL) {
			char msg[256];
			snprintf(msg, sizeof msg, "line %zu: invalid JSON: %s", lineno, err.text);
			json_array_append_new(out->results, ingest_error_result_new(NULL, "bad_request", NULL, msg));
			out->rejected++;
			continue;
		}
		json_array_clear(one);
		json_array_append_new(one, ev);
		struct ingest_result r;
		ingest_batch(o, one, &r);
		json_array_extend(out->results, r.results);
		json_decref(r.results);
		out->accepted += r.accepted;
		out->rejected += r.rejected;
	}
	json_decref(one);
}

static int http_finish_events(struct server *s, struct http_session *h, struct lws *wsi)
{
	if (h->refuse_status)
		return http_respond_error(wsi, (unsigned)h->refuse_status, PROTO_ERR_TOO_LARGE,
					  h->refuse_message);
	struct org *o = server_org(s, h->who.org);
	struct ingest_result res;
	size_t i = 0;
	while (i < h->len && isspace((unsigned char)h->body[i]))
		i++;
	if (i < h->len && h->body[i] == '[') {
		json_error_t err;
		json_t *arr = json_loadb(h->body, h->len, JSON_REJECT_DUPLICATES, &err);
		if (arr == NULL) {
			char msg[256];
			snprintf(msg, sizeof msg, "invalid JSON at line %d column %d: %s", err.line, err.column,
				 err.text);
			return http_respond_error(wsi, HTTP_STATUS_BAD_REQUEST, PROTO_ERR_BAD_REQUEST, msg);
		}
		if (json_array_size(arr) > PROTO_MAX_BATCH) {
			json_decref(arr);
			return http_respond_error(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, PROTO_ERR_TOO_LARGE,
						  "at most 1000 events per request");
		}
		ingest_batch(o, arr, &res);
		json_decref(arr);
	} else {
		http_ingest_ndjson(o, h->body, h->len, &res);
	}
	json_t *body = json_pack("{s:i,s:i,s:o}", "accepted", res.accepted, "rejected", res.rejected,
				 "results", res.results);
	return http_respond_json(wsi, HTTP_STATUS_OK, body);
}

static void http_session_free(struct http_session *h)
{
	free(h->body);
	h->body = NULL;
	h->len = h->cap = 0;
}

static int http_request(struct server *s, struct http_session *h, struct lws *wsi, const char *path)
{
	s->stats.http_requests++;
	bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
	bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	if (strcmp(path, "/healthz") == 0 && get)
		return http_healthz(s, wsi);
	if (strcmp(path, "/metrics") == 0 && get)
		return http_metrics(s, wsi);
	if (strcmp(path, "/v1/events") == 0 && post)
		return http_begin_events(s, h, wsi);
	if (strcmp(path, "/healthz") == 0 || strcmp(path, "/metrics") == 0 ||
	    strcmp(path, "/v1/events") == 0)
		return http_respond_error(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, PROTO_ERR_BAD_REQUEST,
					  "method not allowed here");
	return http_respond_error(wsi, HTTP_STATUS_NOT_FOUND, PROTO_ERR_NOT_FOUND,
				  "no such endpoint: try /healthz, /metrics, POST /v1/events or a "
				  "WebSocket upgrade");
}

int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct server *s = lws_context_user(lws_get_context(wsi));
	struct http_session *h = user;
	switch (reason) {
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return http_confirm_upgrade(s, wsi, in);
	case LWS_CALLBACK_HTTP:
		return http_request(s, h, wsi, in);
	case LWS_CALLBACK_HTTP_BODY:
		if (h->body == NULL)
			return -1;
		if (h->len + len > h->cap) {
			/* More than Content-Length announced: keep reading, answer 413 at the end. */
			h->refuse_status = HTTP_STATUS_REQ_ENTITY_TOO_LARGE;
			h->refuse_message = "the body is longer than its Content-Length";
			return 0;
		}
		memcpy(h->body + h->len, in, len);
		h->len += len;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
		if (h->body == NULL)
			return -1;
		/* Answering completes the transaction, and lws then frees h: take what
		 * we need out of it first. */
		struct http_session taken = *h;
		memset(h, 0, sizeof *h);
		int rc = http_finish_events(s, &taken, wsi);
		http_session_free(&taken);
		return rc;
	}
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (h != NULL)
			http_session_free(h);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
