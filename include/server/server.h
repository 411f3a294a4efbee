/* server.h: wfmond's process-wide state: the configuration, the token verifier,
 * the organizations, the live connections and the counters /metrics shows.
 *
 * Single-threaded: everything here is touched only from the libwebsockets
 * service loop. */
#ifndef WFMON_SERVER_H
#define WFMON_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "config.h"
#include "monitor.h"
#include "strmap.h"

struct lws;
struct lws_context;
struct tls_creds;
struct action_key;
typedef struct ssl_ctx_st SSL_CTX;
struct conn;
struct org;
struct store;
struct notify;
struct cluster;

struct server_stats {
	uint64_t connections_total;
	uint64_t connections_refused;     /* bad or missing token */
	uint64_t events_in;               /* accepted */
	uint64_t events_rejected;
	uint64_t events_duplicate;
	uint64_t messages_out;            /* frames queued to connections */
	uint64_t bytes_out;               /* bytes written to sockets */
	uint64_t socket_writes;           /* writes that carried them */
	uint64_t tls_writes_held;         /* TLS records a full socket held, finished by lws */
	uint64_t shared_flushes;          /* flushes the write helpers took part in */
	uint64_t requests;
	uint64_t requests_rate_limited;
	uint64_t slow_consumers_cut;
	uint64_t dead_peers_closed;       /* no answer to a ping in time */
	uint64_t rate_limit_closes;       /* 4002 */
	uint64_t bad_request_closes;      /* 4003 */
	uint64_t protocol_error_closes;   /* 1002: unmasked frames, data before the 101 */
	uint64_t token_expired_closes;    /* 4004: the token ran out, not renewed */
	uint64_t action_links_used;       /* alerts acted on through a notification's link */
	uint64_t action_links_refused;    /* invalid, expired or used links POSTed */
	uint64_t http_requests;
	uint64_t http_requests_late;      /* cut for not finishing a request in time */
	uint64_t metrics_shared;          /* metrics queries answered with another's recent answer */
	uint64_t aggregate_queries;       /* dashboard aggregates asked of the store (aggregates.h) */
	uint64_t aggregate_pushes;        /* their answers pushed to a room */
	uint64_t orgs_evicted;            /* organizations freed: idle, or making room (max-orgs) */
	uint64_t orgs_refused;            /* connections refused: max-orgs reached, none could go */
};

struct metrics_cache;

struct server {
	struct config cfg;
	struct metrics_cache *mcache;   /* shared recent metrics answers (metrics_cache.h), made on first use */
	struct config_source src;       /* where cfg came from, for SIGHUP */
	struct auth_verifier *verifier;
	struct lws_context *lws;
	SSL_CTX *tls_ctx;               /* the TLS listener's, lws's (tls.h); NULL: plain */
	struct tls_creds *tls_creds;    /* read at start-up, until the listener takes them */
	struct strmap orgs;             /* org id -> struct org */
	struct conn *conns;             /* every WebSocket connection */
	uint32_t nconns;
	struct strmap conns_by_id;      /* decimal conn id -> struct conn */
	uint64_t next_conn_id;
	struct store *store;            /* NULL: no database configured (memory only) */
	struct cluster *cluster;        /* NULL: one node alone (cluster.h) */
	struct notify *notifier;        /* alert notifications, off the loop */
	struct strmap pending;          /* decimal ticket -> struct pending */
	struct action_key *action_key;  /* signs action links (action.h); NULL: no links */
	struct action_key *action_prev_key;   /* the one before the last reload: its links still work */
	struct strmap action_used;      /* nonce of a used action link -> its expiry */
	uint64_t next_ticket;
	int64_t min_pos;                /* positions of new organizations start above this */
	uint64_t housekeeping_ticks;
	struct monitor mon;
	uint32_t nrooms;
	struct server_stats stats;
	int64_t started_ms;
	bool draining;
	int exit_status;
};

/* Takes cfg's strings and src (both emptied, also on failure). Returns -1
 * with a cause if the key cannot be loaded. */
int server_init(struct server *s, struct config *cfg, struct config_source *src, char *cause,
		size_t causelen);
void server_free(struct server *s);
/* The organization, created on first use. For what the daemon must apply
 * whatever the cap (its start, the cluster's stream). */
struct org *server_org(struct server *s, const char *org_id);
/* The same at the door (a connection or an HTTP request of the organization):
 * a new organization past max-orgs first takes the place of the one idle
 * longest that org_evictable allows to go; NULL when none can (refuse the
 * client: the daemon is busy). */
struct org *server_org_admit(struct server *s, const char *org_id);
/* Frees the organizations idle for org-idle-evict that may go (org.h). */
void server_orgs_evict_idle(struct server *s, int64_t now_us);
/* The WebSocket connection with this id, or NULL if it has gone. */
struct conn *server_conn(struct server *s, uint64_t id);
/* Adds an established connection (its org set) to the server's list, id map
 * and counts, its organization's included; unregister takes it out. */
void server_conn_register(struct server *s, struct conn *c);
void server_conn_unregister(struct server *s, struct conn *c);

/* A failure that makes every further promise void (the spool cannot be
 * synced): logs it and stops the daemon. */
void server_fail(struct server *s, const char *why);

/* Cuts a connection now, whatever lws still holds for it: no close frame.
 * Safe inside lws callbacks (lws closes it from its own loop, in this turn). */
void server_wsi_kill(struct server *s, struct lws *wsi);

/* "wss"/"https" on a TLS listener, "ws"/"http" on a plain one. */
const char *server_scheme(const struct server *s, bool websocket);

/* Sets our log level and lws's from s->cfg. */
void server_apply_log_level(const struct server *s);

/* Creates the lws context and runs until SIGTERM/SIGINT, then drains; SIGHUP
 * reloads the configuration (reload.h). Returns the process exit status. */
int server_run(struct server *s);

#endif
