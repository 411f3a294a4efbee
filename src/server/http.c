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

#include "action.h"
#include "action_page.h"
#include "alerts.h"
#include "clock.h"
#include "cluster.h"
#include "conn.h"
#include "history.h"
#include "sockguard.h"
#include "ingest.h"
#include "log.h"
#include "loopturn.h"
#include "org.h"
#include "pending.h"
#include "prom_workflows.h"
#include "promtext.h"
#include "proto.h"
#include "publish.h"
#include "server.h"
#include "store.h"
#include "tls.h"
#include "summary.h"
#include "xalloc.h"

/* The Authorization header read at most: "Bearer " and a token a little over
 * AUTH_MAX_TOKEN, so that the verifier itself says why a long one is refused. */
#define HTTP_MAX_AUTH (AUTH_MAX_TOKEN * 3 / 2)

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
	if (lws_http_transaction_completed(wsi))
		return -1;
	/* Kept alive: the next request has the same time to arrive whole. */
	struct server *s = lws_context_user(lws_get_context(wsi));
	sockguard_request_start(wsi, clock_mono_us(), (int64_t)s->cfg.http_request_timeout_s * 1000000);
	return 0;
}

int http_respond_html(struct lws *wsi, unsigned status, const char *html, size_t len)
{
	return http_respond(wsi, status, "text/html; charset=utf-8", html, len, false);
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

/* server_org_admit said no: max-orgs organizations are in memory, each with
 * something live. */
static int http_refuse_org(struct lws *wsi)
{
	return http_respond_error(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE, PROTO_ERR_UNAVAILABLE,
				  "this daemon holds as many organizations as it may (max-orgs); retry later");
}

/* Every refused token gets the same answer: why goes to the log only, so
 * that nobody probing learns which check failed. */
static int http_refuse_token(struct server *s, struct lws *wsi, const char *what, const char *cause)
{
	char peer[64] = "";
	lws_get_peer_simple(wsi, peer, sizeof peer);
	s->stats.connections_refused++;
	log_info("%s from %s refused (401): %s", what, peer[0] ? peer : "?", cause);
	return http_respond_error(wsi, HTTP_STATUS_UNAUTHORIZED, PROTO_ERR_UNAUTHORIZED, HTTP_TOKEN_REFUSED);
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
	if (http_bearer_identity(s, wsi, &who, cause, sizeof cause) < 0)
		return http_refuse_token(s, wsi, "WebSocket upgrade", cause) < 0 ? -1 : 1;
	if (!header_lists(wsi, WSI_TOKEN_PROTOCOL, PROTO_SUBPROTOCOL))
		return http_respond_error(wsi, HTTP_STATUS_BAD_REQUEST, PROTO_ERR_BAD_REQUEST,
					  "request the subprotocol " PROTO_SUBPROTOCOL
					  " (Sec-WebSocket-Protocol)") < 0 ? -1 : 1;
	return 0;
}

/* ---- GET /healthz and /metrics --------------------------------------------------- */

static json_t *database_status_new(struct server *s)
{
	if (s->store == NULL)
		return json_pack("{s:s}", "state", "not configured");
	struct store_status st;
	store_get_status(s->store, &st);
	char last[40] = "";
	if (st.last_write_ms > 0)
		proto_time_format(st.last_write_ms, last, sizeof last);
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s?}", "state", store_db_state_name(st.db),
			 "error", st.db_error, "spool_bytes", (json_int_t)st.spool_bytes,
			 "pending_records", (json_int_t)st.pending_records,
			 "written_total", (json_int_t)st.written_total, "last_write", last[0] ? last : NULL);
}

static int http_healthz(struct server *s, struct lws *wsi)
{
	/* Serving is what /healthz answers for: a database that is away does not
	 * stop live fan-out (events wait in the spool), so it is reported, not fatal. */
	json_t *body = json_pack("{s:s,s:i,s:I,s:i,s:i,s:o}",
				 "status", s->draining ? "draining" : "ok",
				 "protocol", PROTO_VERSION,
				 "uptime_s", (json_int_t)((clock_wall_ms() - s->started_ms) / 1000),
				 "connections", (int)s->nconns,
				 "rooms", (int)s->nrooms,
				 "database", database_status_new(s));
	if (s->cluster != NULL)
		json_object_set_new(body, "cluster", cluster_status_new(s->cluster));
	return http_respond_json(wsi, s->draining ? HTTP_STATUS_SERVICE_UNAVAILABLE : HTTP_STATUS_OK, body);
}

struct metric {
	const char *name, *type, *help;
	size_t offset;   /* into struct server_stats */
};

#define STAT(f) offsetof(struct server_stats, f)
static const struct metric counters[] = {
	{ "wfmond_connections_total", "counter", "WebSocket connections accepted", STAT(connections_total) },
	{ "wfmond_connections_refused_total", "counter", "Upgrades and requests refused for a bad or missing token", STAT(connections_refused) },
	{ "wfmond_events_in_total", "counter", "Events accepted from producers", STAT(events_in) },
	{ "wfmond_events_rejected_total", "counter", "Events refused as invalid", STAT(events_rejected) },
	{ "wfmond_events_duplicate_total", "counter", "Retried events acknowledged without delivery", STAT(events_duplicate) },
	{ "wfmond_messages_out_total", "counter", "Messages queued to subscribers", STAT(messages_out) },
	{ "wfmond_bytes_out_total", "counter", "Bytes written to WebSocket connections", STAT(bytes_out) },
	{ "wfmond_socket_writes_total", "counter", "Writes that carried those bytes", STAT(socket_writes) },
	{ "wfmond_tls_writes_held_total", "counter", "TLS records begun on a full socket, finished by lws", STAT(tls_writes_held) },
	{ "wfmond_shared_flushes_total", "counter", "Flushes shared with the write helpers", STAT(shared_flushes) },
	{ "wfmond_requests_total", "counter", "WebSocket requests received", STAT(requests) },
	{ "wfmond_requests_rate_limited_total", "counter", "Requests refused by the rate limit", STAT(requests_rate_limited) },
	{ "wfmond_slow_consumers_dropped_total", "counter", "Connections closed for falling behind (4001)", STAT(slow_consumers_cut) },
	{ "wfmond_dead_peers_closed_total", "counter", "Connections closed for not answering a ping", STAT(dead_peers_closed) },
	{ "wfmond_rate_limit_closes_total", "counter", "Connections closed for going on over their request rate (4002)", STAT(rate_limit_closes) },
	{ "wfmond_bad_request_closes_total", "counter", "Connections closed for a run of malformed requests (4003)", STAT(bad_request_closes) },
	{ "wfmond_protocol_error_closes_total", "counter", "Connections closed for breaking the WebSocket protocol (1002)", STAT(protocol_error_closes) },
	{ "wfmond_token_expired_closes_total", "counter", "Connections closed when their token expired unrenewed (4004)", STAT(token_expired_closes) },
	{ "wfmond_action_links_used_total", "counter", "Alerts acted on through a notification's link", STAT(action_links_used) },
	{ "wfmond_action_links_refused_total", "counter", "Action links refused: invalid, expired, used, or the alert's state", STAT(action_links_refused) },
	{ "wfmond_http_requests_total", "counter", "Plain HTTP requests", STAT(http_requests) },
	{ "wfmond_http_requests_late_total", "counter", "Connections cut for not finishing an HTTP request in time", STAT(http_requests_late) },
	{ "wfmond_metrics_shared_total", "counter", "Metrics queries answered with the same question's recent answer (max_age_s)", STAT(metrics_shared) },
	{ "wfmond_aggregate_queries_total", "counter", "Dashboard aggregates asked of the database, one per metrics room every 5 s", STAT(aggregate_queries) },
	{ "wfmond_aggregate_pushes_total", "counter", "Dashboard aggregates pushed to their metrics room", STAT(aggregate_pushes) },
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
		promtext_value(f, counters[i].name, counters[i].type, counters[i].help, v);
	}
	size_t queued_msgs = 0, queued_bytes = 0, tls_conns = 0, ktls_conns = 0;
	for (struct conn *c = s->conns; c != NULL; c = c->next) {
		queued_msgs += c->q.count;
		queued_bytes += c->q.bytes;
		tls_conns += c->tls_mode != TLS_NONE;
		ktls_conns += c->tls_mode == TLS_KERNEL;
	}
	fprintf(f, "# HELP wfmond_tls_connections Open WebSocket connections over TLS\n"
		   "# TYPE wfmond_tls_connections gauge\nwfmond_tls_connections %zu\n", tls_conns);
	fprintf(f, "# HELP wfmond_tls_kernel_connections Of those, the ones the kernel encrypts (kernel TLS)\n"
		   "# TYPE wfmond_tls_kernel_connections gauge\nwfmond_tls_kernel_connections %zu\n", ktls_conns);
	fprintf(f, "# HELP wfmond_connections Open WebSocket connections\n# TYPE wfmond_connections gauge\n"
		   "wfmond_connections %u\n", s->nconns);
	fprintf(f, "# HELP wfmond_rooms Rooms in memory\n# TYPE wfmond_rooms gauge\nwfmond_rooms %u\n",
		s->nrooms);
	fprintf(f, "# HELP wfmond_organizations Organizations seen\n# TYPE wfmond_organizations gauge\n"
		   "wfmond_organizations %zu\n", strmap_count(&s->orgs));
	fprintf(f, "# HELP wfmond_organizations_evicted_total Organizations freed from memory (idle, or for "
		   "max-orgs)\n# TYPE wfmond_organizations_evicted_total counter\n"
		   "wfmond_organizations_evicted_total %llu\n", (unsigned long long)s->stats.orgs_evicted);
	fprintf(f, "# HELP wfmond_organizations_refused_total Clients refused: max-orgs organizations in memory, "
		   "none could go\n# TYPE wfmond_organizations_refused_total counter\n"
		   "wfmond_organizations_refused_total %llu\n", (unsigned long long)s->stats.orgs_refused);
	fprintf(f, "# HELP wfmond_outbound_queued_messages Messages waiting in connection queues\n"
		   "# TYPE wfmond_outbound_queued_messages gauge\nwfmond_outbound_queued_messages %zu\n",
		queued_msgs);
	fprintf(f, "# HELP wfmond_outbound_queued_bytes Bytes waiting in connection queues\n"
		   "# TYPE wfmond_outbound_queued_bytes gauge\nwfmond_outbound_queued_bytes %zu\n",
		queued_bytes);
	if (s->store != NULL) {
		struct store_status st;
		store_get_status(s->store, &st);
		fprintf(f, "# HELP wfmond_database_up 1 when the database is connected\n"
			   "# TYPE wfmond_database_up gauge\nwfmond_database_up %d\n", st.db == STORE_DB_UP);
		fprintf(f, "# HELP wfmond_spool_bytes Bytes in the on-disk spool\n"
			   "# TYPE wfmond_spool_bytes gauge\nwfmond_spool_bytes %llu\n",
			(unsigned long long)st.spool_bytes);
		fprintf(f, "# HELP wfmond_spool_pending_events Events in the spool not yet in the database\n"
			   "# TYPE wfmond_spool_pending_events gauge\nwfmond_spool_pending_events %llu\n",
			(unsigned long long)st.pending_records);
		fprintf(f, "# HELP wfmond_events_stored_total Events written to the database\n"
			   "# TYPE wfmond_events_stored_total counter\nwfmond_events_stored_total %llu\n",
			(unsigned long long)st.written_total);
		fprintf(f, "# HELP wfmond_spool_refused_total Batches refused for a full spool\n"
			   "# TYPE wfmond_spool_refused_total counter\nwfmond_spool_refused_total %llu\n",
			(unsigned long long)st.refused_total);
		promtext_histogram_ms(f, "wfmond_spool_sync_seconds",
				      "Group commits to the spool (write and fdatasync): what every acknowledgement "
				      "waits for", store_sync_bounds_ms, st.syncs_le,
				      sizeof st.syncs_le / sizeof st.syncs_le[0], st.syncs, st.sync_us_total / 1e6);
		fprintf(f, "# HELP wfmond_store_write_seconds_total Time spent writing events to the database\n"
			   "# TYPE wfmond_store_write_seconds_total counter\nwfmond_store_write_seconds_total %.6f\n"
			   "# HELP wfmond_store_write_batches_total Transactions that wrote events to the database\n"
			   "# TYPE wfmond_store_write_batches_total counter\nwfmond_store_write_batches_total %llu\n"
			   "# HELP wfmond_metrics_rollup_seconds_total Time spent in periodic rollup passes\n"
			   "# TYPE wfmond_metrics_rollup_seconds_total counter\nwfmond_metrics_rollup_seconds_total %.6f\n"
			   "# HELP wfmond_metrics_rollup_facts_total Finished executions and steps rolled up by those passes\n"
			   "# TYPE wfmond_metrics_rollup_facts_total counter\nwfmond_metrics_rollup_facts_total %llu\n",
			(double)st.write_us_total / 1e6, (unsigned long long)st.write_batches,
			(double)st.rollup_us_total / 1e6,
			(unsigned long long)st.rollup_facts_total);
	}
	if (s->cluster != NULL)
		cluster_metrics_write(s->cluster, f);
	loopturn_metrics_write(f);
	prom_workflows_write(s->mon.workflows, s, f);
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
		return http_refuse_token(s, wsi, "POST /v1/events", cause);
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
	h->kind = HTTP_BODY_EVENTS;
	return 0;   /* the body follows */
}

/* POST /v1/actions/TOKEN: the confirmation form's small body follows. */
static int http_begin_action(struct http_session *h, struct lws *wsi, const char *token)
{
	memset(h, 0, sizeof *h);
	char cl[32];
	unsigned long long n = 0;
	if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
		for (const char *p = cl; *p; p++)
			if (!isdigit((unsigned char)*p))
				return http_respond_error(wsi, HTTP_STATUS_BAD_REQUEST, PROTO_ERR_BAD_REQUEST,
							  "Content-Length must be a non-negative number");
		n = strtoull(cl, NULL, 10);
	}
	if (n > ACTION_PAGE_MAX_BODY || strlen(token) > ACTION_MAX_TOKEN)
		return http_respond_error(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, PROTO_ERR_TOO_LARGE,
					  "this form is larger than a confirmation");
	h->kind = HTTP_BODY_ACTION;
	h->token = xstrdup(token);
	h->body = xmalloc((size_t)n + 1);
	h->cap = (size_t)n;
	return 0;   /* the body follows */
}

/* Parses an NDJSON body line by line so that one bad line refuses only itself:
 * a line that is not JSON keeps its place as a string, refused as not an event. */
static json_t *ndjson_events_new(const char *body, size_t len)
{
	json_t *events = json_array();
	size_t lineno = 0;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(body + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - body) : len;
		lineno++;
		size_t a = pos, e = end;
		while (a < e && isspace((unsigned char)body[a]))
			a++;
		pos = end + 1;
		if (a == e)
			continue;
		json_error_t err;
		json_t *ev = json_loadb(body + a, e - a, JSON_REJECT_DUPLICATES, &err);
		if (ev == NULL) {
			char msg[256];
			snprintf(msg, sizeof msg, "line %zu: invalid JSON: %s", lineno, err.text);
			ev = json_string(msg);
		}
		json_array_append_new(events, ev);
	}
	return events;
}

/* Lines that were not JSON: give them their own message instead of the
 * validator's "not an object". */
static void ndjson_explain_bad_lines(json_t *events, struct ingest_batch *b)
{
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev) {
		if (json_is_string(ev)) {
			json_t *r = json_array_get(b->results, i);
			json_object_set_new(r, "message", json_string(json_string_value(ev)));
			json_object_del(r, "field");
		}
	}
}

/* Answers the body (taken: freed here) of the request on wsi. h is the session
 * lws keeps, so that CLOSED_HTTP sees `waiting`; an immediate answer may
 * complete the transaction and free h, so nothing touches h after one. */
static int http_finish_events(struct server *s, struct http_session *h, struct lws *wsi, char *body,
			      size_t len)
{
	if (h->refuse_status) {
		free(body);
		return http_respond_error(wsi, (unsigned)h->refuse_status, PROTO_ERR_TOO_LARGE,
					  h->refuse_message);
	}
	struct org *o = server_org_admit(s, h->who.org);
	if (o == NULL) {
		free(body);
		return http_refuse_org(wsi);
	}
	size_t i = 0;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	bool ndjson = !(i < len && body[i] == '[');
	json_t *events;
	if (ndjson) {
		events = ndjson_events_new(body, len);
	} else {
		json_error_t err;
		events = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
		if (events == NULL) {
			free(body);
			char msg[256];
			snprintf(msg, sizeof msg, "invalid JSON at line %d column %d: %s", err.line, err.column,
				 err.text);
			return http_respond_error(wsi, HTTP_STATUS_BAD_REQUEST, PROTO_ERR_BAD_REQUEST, msg);
		}
	}
	free(body);
	/* Before ingest_prepare: an oversized batch costs no validation work. */
	if (json_array_size(events) > PROTO_MAX_BATCH || json_array_size(events) == 0) {
		json_decref(events);
		return http_respond_error(wsi, HTTP_STATUS_REQ_ENTITY_TOO_LARGE, PROTO_ERR_TOO_LARGE,
					  "send 1 to 1000 events per request");
	}
	struct ingest_batch b;
	ingest_prepare(o, events, s->store != NULL, &b);
	if (ndjson)
		ndjson_explain_bad_lines(events, &b);
	json_decref(events);
	struct reply_to to = { .http_wsi = wsi };
	h->waiting = true;
	publish_prepared(s, o, &b, &to);
	ingest_batch_clear(&b);
	json_decref(b.results);
	return 0;   /* answered when writable */
}

/* ---- GET /v1/executions... -------------------------------------------------------------- */

/* Copies the URI argument `name` (lws has url-decoded it); false if absent. */
static bool uri_arg(struct lws *wsi, const char *name, char *out, size_t outlen)
{
	char frag[512];
	size_t nlen = strlen(name);
	for (int n = 0; lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, n) > 0; n++) {
		if (strncmp(frag, name, nlen) == 0 && frag[nlen] == '=') {
			snprintf(out, outlen, "%s", frag + nlen + 1);
			return true;
		}
	}
	return false;
}

/* A number when it is one, else the text, so that the parameter check names it. */
static json_t *number_or_text(const char *v)
{
	char *end;
	long long n = strtoll(v, &end, 10);
	return (*v != '\0' && *end == '\0') ? json_integer(n) : json_string(v);
}

static json_t *executions_params_from_uri(struct lws *wsi)
{
	static const char *const text_args[] = { "workflow", "from", "to", "text", "after" };
	json_t *p = json_object();
	char v[512];
	for (size_t i = 0; i < sizeof text_args / sizeof text_args[0]; i++)
		if (uri_arg(wsi, text_args[i], v, sizeof v))
			json_object_set_new(p, text_args[i], json_string(v));
	if (uri_arg(wsi, "limit", v, sizeof v))
		json_object_set_new(p, "limit", number_or_text(v));
	if (uri_arg(wsi, "status", v, sizeof v)) {
		json_t *list = json_array();
		char *save = NULL;
		for (char *t = strtok_r(v, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
			json_array_append_new(list, json_string(t));
		json_object_set_new(p, "status", list);
	}
	return p;
}

/* GET /v1/metrics?workflow=&range=|from=&to=&bucket=&include=a,b */
static json_t *metrics_params_from_uri(struct lws *wsi)
{
	static const char *const text_args[] = { "workflow", "range", "from", "to", "bucket" };
	json_t *p = json_object();
	char v[512];
	for (size_t i = 0; i < sizeof text_args / sizeof text_args[0]; i++)
		if (uri_arg(wsi, text_args[i], v, sizeof v))
			json_object_set_new(p, text_args[i], json_string(v));
	if (uri_arg(wsi, "include", v, sizeof v)) {
		json_t *list = json_array();
		char *save = NULL;
		for (char *t = strtok_r(v, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save))
			json_array_append_new(list, json_string(t));
		json_object_set_new(p, "include", list);
	}
	return p;
}

static int http_history(struct server *s, struct http_session *h, struct lws *wsi, const char *path)
{
	char cause[256];
	memset(h, 0, sizeof *h);
	if (http_bearer_identity(s, wsi, &h->who, cause, sizeof cause) < 0)
		return http_refuse_token(s, wsi, "history request", cause);
	if (h->who.role == ROLE_PRODUCER)
		return http_respond_error(wsi, HTTP_STATUS_FORBIDDEN, PROTO_ERR_FORBIDDEN,
					  "producers may not read history");
	enum proto_query q;
	json_t *raw;
	char id[PROTO_MAX_ID + 2], v[32];
	const char *rest;
	struct org *o = server_org_admit(s, h->who.org);
	if (o == NULL)
		return http_refuse_org(wsi);
	/* The organization's summary is the daemon's own: no database needed. */
	if (strcmp(path, "/v1/summary") == 0)
		return http_respond_json(wsi, HTTP_STATUS_OK, summary_json_new(o, clock_wall_ms()));
	if (strcmp(path, "/v1/executions") == 0) {
		q = QUERY_EXECUTIONS;
		raw = executions_params_from_uri(wsi);
	} else if (strcmp(path, "/v1/metrics") == 0) {
		q = QUERY_METRICS;
		raw = metrics_params_from_uri(wsi);
	} else if (strncmp(path, "/v1/executions/", 15) == 0 && strchr(path + 15, '/') == NULL) {
		q = QUERY_EXECUTION;
		raw = json_pack("{s:s}", "id", path + 15);
	} else if (strncmp(path, "/v1/workflows/", 14) == 0 && (rest = strchr(path + 14, '/')) != NULL &&
		   strcmp(rest, "/step-stats") == 0 && (size_t)(rest - path - 14) < sizeof id) {
		q = QUERY_STEP_STATS;
		snprintf(id, sizeof id, "%.*s", (int)(rest - path - 14), path + 14);
		raw = json_pack("{s:s}", "workflow_id", id);
		if (uri_arg(wsi, "runs", v, sizeof v))
			json_object_set_new(raw, "runs", number_or_text(v));
	} else {
		return http_respond_error(wsi, HTTP_STATUS_NOT_FOUND, PROTO_ERR_NOT_FOUND,
					  "no such endpoint: try /v1/summary, /v1/executions, /v1/executions/ID, "
					  "/v1/workflows/ID/step-stats or /v1/metrics");
	}
	struct proto_cause pc;
	json_t *params = proto_query_params_new(q, raw, &pc);
	json_decref(raw);
	if (params == NULL) {
		char msg[400];
		snprintf(msg, sizeof msg, "parameter %s: %s", pc.field, pc.message);
		return http_respond_error(wsi, HTTP_STATUS_BAD_REQUEST, PROTO_ERR_BAD_REQUEST, msg);
	}
	struct reply_to to = { .http_wsi = wsi };
	h->waiting = true;
	history_query(s, o, q, params, &to);
	json_decref(params);
	return 0;
}

void http_answer_later(struct lws *wsi, unsigned status, json_t *body)
{
	struct http_session *h = lws_wsi_user(wsi);
	if (h == NULL) {
		json_decref(body);
		return;
	}
	free(h->resp);
	h->resp = json_dumps(body ? body : json_object(), JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	h->resp_len = h->resp ? strlen(h->resp) : 0;
	h->resp_status = status;
	json_decref(body);
	lws_callback_on_writable(wsi);
}

static void http_session_free(struct http_session *h)
{
	free(h->body);
	free(h->resp);
	free(h->token);
	h->body = NULL;
	h->resp = NULL;
	h->token = NULL;
	h->len = h->cap = h->resp_len = 0;
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
	/* Before the history: an action link carries its own credential. */
	if (strncmp(path, "/v1/actions/", 12) == 0 && get)
		return action_page_get(s, wsi, path + 12);
	if (strncmp(path, "/v1/actions/", 12) == 0 && post)
		return http_begin_action(h, wsi, path + 12);
	if (strncmp(path, "/v1/", 4) == 0 && get)
		return http_history(s, h, wsi, path);
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
	case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
		sockguard_accept(wsi, clock_mono_us(), (int64_t)s->cfg.http_request_timeout_s * 1000000);
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	case LWS_CALLBACK_WSI_DESTROY:
		sockguard_destroy(wsi);
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		sockguard_request_done(wsi);
		return http_confirm_upgrade(s, wsi, in);
	case LWS_CALLBACK_HTTP:
		/* The headers are in; a POST still owes its body. */
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) <= 0)
			sockguard_request_done(wsi);
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
		sockguard_request_done(wsi);
		if (h->body == NULL)
			return -1;
		/* An immediate answer completes the transaction, and lws then frees h:
		 * take the body out of it first (h itself is still the one to mark
		 * waiting, for CLOSED_HTTP). */
		char *body = h->body;
		size_t body_len = h->len;
		h->body = NULL;
		h->len = h->cap = 0;
		if (h->kind == HTTP_BODY_ACTION) {
			char *token = h->token;
			h->token = NULL;
			int rc = h->refuse_status ? http_respond_error(wsi, (unsigned)h->refuse_status, PROTO_ERR_TOO_LARGE,
								       h->refuse_message)
						  : action_page_post(s, wsi, token, body, body_len);
			free(token);
			free(body);
			return rc;
		}
		return http_finish_events(s, h, wsi, body, body_len);
	}
	case LWS_CALLBACK_HTTP_WRITEABLE: {
		if (h == NULL || h->resp == NULL)
			return 0;
		char *resp = h->resp;
		size_t resp_len = h->resp_len;
		unsigned status = h->resp_status;
		h->resp = NULL;
		h->waiting = false;
		int rc = http_respond(wsi, status, "application/json", resp, resp_len, status == 401);
		free(resp);
		return rc;
	}
	case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
		/* lws made the TLS listener's SSL_CTX: versions, ciphers, credentials. */
		return tls_ctx_ready(s, user, s->tls_creds) < 0 ? 1 : 0;
	case LWS_CALLBACK_OPENSSL_PERFORM_CLIENT_CERT_VERIFICATION:
		/* Only reached if lws installs its own verifier (tls.c installs
		 * OpenSSL's): lws's default answer, 0, would accept a certificate
		 * OpenSSL refused. len is OpenSSL's verdict. */
		return len ? 0 : 1;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		history_poll(s);
		alerts_poll(s);
		return 0;
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (h != NULL) {
			if (h->waiting)
				pending_forget_http(s, wsi);
			http_session_free(h);
		}
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}
