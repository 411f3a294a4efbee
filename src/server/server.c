/* server.c: wfmond's lifetime: context creation, the service loop, periodic
 * housekeeping, and the drain on SIGTERM (see server.h).
 *
 * Signals only set a flag and wake the loop with lws_cancel_service, the one
 * lws call that is safe from outside the loop. */
#include "server.h"

#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "clock.h"
#include "notify.h"
#include "conn.h"
#include "flush.h"
#include "history.h"
#include "http.h"
#include "log.h"
#include "org.h"
#include "pending.h"
#include "room.h"
#include "store.h"
#include "ws.h"
#include "xalloc.h"

#define HOUSEKEEPING_US (1 * LWS_US_PER_SEC)
#define ROOM_IDLE_US (600LL * 1000000)   /* keep an unwatched room's history 10 minutes */
#define WS_RX_CHUNK 512                  /* small: lws allocates it per connection */
/* lws cuts every send to tx_packet_size (rx_buffer_size when 0) and keeps the
 * rest in a heap buffer for later: without this, one batch of queued frames
 * would cost several system calls and a copy. As large as a batch (ws.c). */
#define WS_TX_PACKET (64 * 1024)

static volatile sig_atomic_t stop_requested;
static struct lws_context *signal_context;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
	if (signal_context != NULL)
		lws_cancel_service(signal_context);
}

int server_init(struct server *s, struct config *cfg, char *cause, size_t causelen)
{
	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	memset(cfg, 0, sizeof *cfg);
	const char *key = s->cfg.jwt_alg == AUTH_HS256 ? s->cfg.jwt_secret_file : s->cfg.jwt_public_key;
	s->verifier = auth_verifier_new(s->cfg.jwt_alg, key, s->cfg.jwt_leeway_s, cause, causelen);
	if (s->verifier == NULL) {
		config_free(&s->cfg);
		return -1;
	}
	strmap_init(&s->orgs);
	strmap_init(&s->conns_by_id);
	strmap_init(&s->pending);
	s->started_ms = clock_wall_ms();
	monitor_init(&s->mon);
	return 0;
}

static void free_org(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	org_free(value);
}

void server_free(struct server *s)
{
	pending_clear_all(s);
	monitor_free(&s->mon);
	strmap_clear(&s->conns_by_id);
	strmap_each(&s->orgs, free_org, NULL);
	strmap_clear(&s->orgs);
	auth_verifier_free(s->verifier);
	config_free(&s->cfg);
}

struct org *server_org(struct server *s, const char *org_id)
{
	struct org *o = strmap_get(&s->orgs, org_id);
	if (o == NULL) {
		o = org_new(s, org_id, s->min_pos);
		strmap_put(&s->orgs, o->id, o);
	}
	return o;
}

static void conn_key(uint64_t id, char key[24])
{
	snprintf(key, 24, "%llu", (unsigned long long)id);
}

struct conn *server_conn(struct server *s, uint64_t id)
{
	char key[24];
	conn_key(id, key);
	return strmap_get(&s->conns_by_id, key);
}

void server_conn_register(struct server *s, struct conn *c)
{
	char key[24];
	conn_key(c->id, key);
	strmap_put(&s->conns_by_id, key, c);
}

void server_conn_unregister(struct server *s, struct conn *c)
{
	char key[24];
	conn_key(c->id, key);
	strmap_remove(&s->conns_by_id, key);
}

void server_fail(struct server *s, const char *why)
{
	log_error("stopping: %s", why);
	stop_requested = 1;
	s->exit_status = 1;
}

/* ---- housekeeping --------------------------------------------------------------- */

static struct lws_sorted_usec_list housekeeping_timer;
static struct server *housekeeping_server;

static void gc_org(const char *key, void *value, void *arg)
{
	(void)key;
	room_gc(value, *(int64_t *)arg, ROOM_IDLE_US);
}

static void housekeeping(struct lws_sorted_usec_list *sul)
{
	struct server *s = housekeeping_server;
	int64_t now = clock_mono_us();
	strmap_each(&s->orgs, gc_org, &now);
	monitor_tick(s, now);
	lws_sul_schedule(s->lws, 0, sul, housekeeping, HOUSEKEEPING_US);
}

/* ---- the store --------------------------------------------------------------------- */

/* Puts back what a previous run left: positions, recent event ids, running
 * executions. Runs before the loop, so it may block. */
static void reload_state(struct server *s)
{
	char cause[256];
	json_t *state = store_load_state(s->cfg.database, s->cfg.dedup_window, cause, sizeof cause);
	if (state == NULL) {
		log_warn("could not reload state from the database (%s): starting with empty live state", cause);
		return;
	}
	size_t i, j, executions = 0;
	json_t *oj, *v;
	json_array_foreach(json_object_get(state, "orgs"), i, oj) {
		const char *id = json_string_value(json_object_get(oj, "org"));
		if (id == NULL || !proto_id_valid(id))
			continue;
		struct org *o = server_org(s, id);
		int64_t max_pos = json_integer_value(json_object_get(oj, "max_pos"));
		if (o->pos < max_pos)
			o->pos = max_pos;
		json_array_foreach(json_object_get(oj, "recent_event_ids"), j, v)
			if (json_is_string(v))
				dedup_add(&o->dedup, json_string_value(v));
		json_array_foreach(json_object_get(oj, "executions"), j, v)
			executions += live_load_execution(&o->live, v) == 0;
		alerts_load(s, o, json_object_get(oj, "rules"), json_object_get(oj, "alerts"),
			    json_object_get(oj, "cooldowns"));
	}
	log_info("reloaded %zu organization(s) and %zu running execution(s) from the database",
		 json_array_size(json_object_get(state, "orgs")), executions);
	json_decref(state);
}

static void remember_recovered(const char *org, const char *event_id, void *arg)
{
	struct server *s = arg;
	if (org != NULL && proto_id_valid(org) && event_id != NULL)
		dedup_add(&server_org(s, org)->dedup, event_id);
}

static int start_store(struct server *s)
{
	char cause[256];
	if (s->cfg.database_owner != NULL) {
		if (store_migrate(s->cfg.database_owner, s->cfg.app_role, cause, sizeof cause) < 0) {
			log_error("migrations failed: %s", cause);
			return -1;
		}
	}
	struct store_config sc = {
		.conninfo = s->cfg.database,
		.spool_dir = s->cfg.spool_dir,
		.spool_max_bytes = s->cfg.spool_max,
		.data_cap_bytes = s->cfg.data_cap,
		.reconnect_max_s = s->cfg.reconnect_max_s,
		.retention_events_days = s->cfg.retention_events_days,
		.retention_metrics_days = s->cfg.retention_metrics_days,
		.retention_snapshots_days = s->cfg.retention_snapshots_days,
	};
	s->store = store_new(&sc, history_wake, s, cause, sizeof cause);
	if (s->store == NULL) {
		log_error("cannot start the store: %s", cause);
		return -1;
	}
	s->min_pos = store_spool_max_pos(s->store);
	/* What the last run left in the spool goes to PostgreSQL first, so that
	 * the state reloaded below already has it. */
	if (store_wait_drained(s->store, 30000) < 0)
		log_warn("PostgreSQL has not taken what the spool held yet: live state may lack it until it does");
	reload_state(s);
	/* Retries of those events are recognised even if PostgreSQL is away. */
	store_take_recovered(s->store, remember_recovered, s);
	return 0;
}

/* ---- lws plumbing ------------------------------------------------------------------ */

static void lws_log_to_ours(int level, const char *line)
{
	size_t n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		n--;
	log_msg(level == LLL_ERR ? LOG_ERROR : LOG_WARN, "lws: %.*s", (int)n, line);
}

static const struct lws_protocols protocols[] = {
	{ "http", http_callback, sizeof(struct http_session), 0, 0, NULL, 0 },
	{ PROTO_SUBPROTOCOL, ws_callback, sizeof(struct conn), WS_RX_CHUNK, 0, NULL, WS_TX_PACKET },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }   /* 4.1.6 has no LWS_PROTOCOL_LIST_TERM */
};

static void drain(struct server *s)
{
	s->draining = true;
	log_info("draining %u connection(s)", s->nconns);
	for (struct conn *c = s->conns; c != NULL; c = c->next)
		conn_close_after_flush(c, PROTO_CLOSE_SHUTDOWN, "server shutting down");
	int64_t deadline = clock_mono_us() + (int64_t)s->cfg.drain_timeout_s * 1000000;
	while (s->nconns > 0 && clock_mono_us() < deadline)
		lws_service(s->lws, 0);
	if (s->nconns > 0)
		log_warn("%u connection(s) still open after %d s: closing them", s->nconns,
			 s->cfg.drain_timeout_s);
}

int server_run(struct server *s)
{
	lws_set_log_level(LLL_ERR | (s->cfg.log_level >= LOG_DEBUG ? LLL_WARN : 0), lws_log_to_ours);

	lws_retry_bo_t idle_policy = {
		.secs_since_valid_ping = (uint16_t)s->cfg.ping_interval_s,
		.secs_since_valid_hangup = (uint16_t)s->cfg.ping_timeout_s,
	};
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = s->cfg.listen_port;
	info.iface = s->cfg.listen_host;
	info.protocols = protocols;
	info.user = s;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
	if (strchr(s->cfg.listen_host, ':') == NULL)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.retry_and_idle_policy = &idle_policy;
	info.fd_limit_per_thread = s->cfg.max_connections + 64;
	info.pt_serv_buf_size = 32 * 1024;
	info.timeout_secs = 20;
	info.vhost_name = "wfmond";
	info.server_string = "wfmond";
	info.ka_time = 0;

	s->lws = lws_create_context(&info);
	if (s->lws == NULL) {
		log_error("cannot listen on %s:%d (in use, or not an address of this host?)",
			  s->cfg.listen_host, s->cfg.listen_port);
		return 1;
	}
	signal_context = s->lws;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (s->cfg.database != NULL && start_store(s) < 0) {
		lws_context_destroy(s->lws);
		s->lws = NULL;
		return 1;
	}
	struct notify_config nc = {
		.max_attempts = s->cfg.notify_attempts,
		.backoff_ms = s->cfg.notify_backoff_ms,
		.backoff_max_ms = 60000,
		.timeout_ms = s->cfg.notify_timeout_ms,
		.queue_max = 1000,
	};
	s->notifier = notify_new(&nc, alerts_wake, s);
	if (s->notifier == NULL)
		log_warn("alert notifications are off: the notifier could not start");
	if (flush_start((unsigned)s->cfg.write_threads) < 0)
		log_warn("writing from the event loop alone: no write helper could start");
	housekeeping_server = s;
	lws_sul_schedule(s->lws, 0, &housekeeping_timer, housekeeping, HOUSEKEEPING_US);
	log_info("listening on ws://%s:%d (subprotocol %s)", s->cfg.listen_host, s->cfg.listen_port,
		 PROTO_SUBPROTOCOL);

	while (!stop_requested)
		if (lws_service(s->lws, 0) < 0)
			break;
	drain(s);
	flush_stop();
	lws_sul_cancel(&housekeeping_timer);
	if (s->notifier != NULL) {
		/* What it could not deliver is recorded as such before it goes. */
		notify_stop(s->notifier);
		alerts_poll(s);
		notify_free(s->notifier);
		s->notifier = NULL;
	}
	if (s->store != NULL) {
		/* Syncs what it was given; what PostgreSQL has not taken stays in the spool. */
		store_free(s->store);
		s->store = NULL;
	}
	lws_context_destroy(s->lws);
	signal_context = NULL;
	s->lws = NULL;
	log_info("stopped");
	return s->exit_status;
}
