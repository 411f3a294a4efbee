/* server.c: wfmond's lifetime: context creation, the service loop, periodic
 * housekeeping, the reload on SIGHUP and the drain on SIGTERM (see server.h).
 *
 * Signals are libev watchers: their callbacks run in the loop, between
 * callbacks of lws, never inside one. */
#include "server.h"

#include "metrics_cache.h"

#include <ev.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "action.h"
#include "alerts.h"
#include "clock.h"
#include "cluster.h"
#include "notify.h"
#include "conn.h"
#include "control.h"
#include "flush.h"
#include "history.h"
#include "http.h"
#include "sockguard.h"
#include "log.h"
#include "loopturn.h"
#include "org.h"
#include "pending.h"
#include "reload.h"
#include "room.h"
#include "schedules.h"
#include "service.h"
#include "store.h"
#include "tls.h"
#include "summary.h"
#include "ws.h"
#include "xalloc.h"

#define HOUSEKEEPING_S 1.0
/* Idle organizations are looked for every this many ticks at most (a scan
 * reads every organization, and the executions of the idle ones), and twice
 * within org-idle-evict. */
#define ORG_SCAN_MAX_TICKS 10
/* Pings, dead peers and closes that overran their grace: each is acted on
 * within this long of its due time. */
#define KEEPALIVE_TICK_US 250000
#define ROOM_IDLE_US (600LL * 1000000)   /* keep an unwatched room's history 10 minutes */
#define WS_RX_CHUNK 512                  /* small: lws allocates it per connection */
/* lws cuts every send to tx_packet_size (rx_buffer_size when 0) and keeps the
 * rest in a heap buffer for later; what it still sends for us (the rest of a
 * frame a socket took only in part, pings, close frames) goes in one piece. */
#define WS_TX_PACKET (64 * 1024)

/* The event loop: libev's (epoll), which lws runs on as a foreign loop, so
 * that a wakeup costs what is ready rather than a poll() over every socket
 * (with 1000 subscribers, that poll was a third of the CPU of a quiet room).
 * Signals are libev watchers: their callbacks run in the loop, not in a
 * signal handler. */
static struct ev_loop *loop;
static ev_signal sig_term, sig_int, sig_hup;
static ev_timer stop_timer;    /* begins the drain from the loop */
static ev_timer drain_timer;   /* ends the loop once drained or late */
static int64_t drain_deadline_us;

int server_init(struct server *s, struct config *cfg, struct config_source *src, char *cause,
		size_t causelen)
{
	memset(s, 0, sizeof *s);
	s->cfg = *cfg;
	memset(cfg, 0, sizeof *cfg);
	s->src = *src;
	config_source_init(src);
	struct auth_settings st;
	config_auth_settings(&s->cfg, &st);
	s->verifier = auth_verifier_build(&st, cause, causelen);
	if (s->cfg.action_secret_file != NULL && s->verifier != NULL) {
		s->action_key = action_key_load(s->cfg.action_secret_file, cause, causelen);
		if (s->action_key == NULL) {
			auth_verifier_free(s->verifier);
			s->verifier = NULL;
		}
	}
	if (s->cfg.tls_cert != NULL && s->verifier != NULL) {
		s->tls_creds = tls_creds_load(&s->cfg, cause, causelen);
		if (s->tls_creds == NULL) {
			auth_verifier_free(s->verifier);
			s->verifier = NULL;
		}
	}
	if (s->verifier == NULL) {
		action_key_free(s->action_key);
		config_free(&s->cfg);
		config_source_free(&s->src);
		return -1;
	}
	strmap_init(&s->orgs);
	strmap_init(&s->conns_by_id);
	strmap_init(&s->pending);
	strmap_init(&s->action_used);
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
	metrics_cache_free(s->mcache);
	monitor_free(&s->mon);
	strmap_clear(&s->conns_by_id);
	strmap_each(&s->orgs, free_org, NULL);
	strmap_clear(&s->orgs);
	auth_verifier_free(s->verifier);
	tls_creds_free(s->tls_creds);
	action_key_free(s->action_key);
	action_key_free(s->action_prev_key);
	action_nonces_free(s);
	config_free(&s->cfg);
	config_source_free(&s->src);
}

const char *server_scheme(const struct server *s, bool websocket)
{
	if (s->cfg.tls_cert != NULL)
		return websocket ? "wss" : "https";
	return websocket ? "ws" : "http";
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

/* Positions must keep rising if the organization comes back: new
 * organizations start above the last position of any that went. */
static void server_org_evict(struct server *s, struct org *o, const char *why)
{
	if (o->pos > s->min_pos)
		s->min_pos = o->pos;
	log_info("organization %s freed from memory (%s); %zu remain", o->id, why, strmap_count(&s->orgs) - 1);
	strmap_remove(&s->orgs, o->id);
	org_free(o);
	s->stats.orgs_evicted++;
}

struct idle_scan {
	int64_t now_us;
	int64_t idle_us;            /* at least this idle; 0: any */
	struct org *oldest;         /* the evictable one idle longest */
	struct org **due;           /* every evictable one idle long enough */
	size_t ndue, capdue;
};

static void scan_org(const char *key, void *value, void *arg)
{
	(void)key;
	struct org *o = value;
	struct idle_scan *sc = arg;
	if (sc->now_us - o->active_us < sc->idle_us || !org_evictable(o))
		return;
	if (sc->oldest == NULL || o->active_us < sc->oldest->active_us)
		sc->oldest = o;
	if (sc->ndue == sc->capdue) {
		sc->capdue = sc->capdue ? sc->capdue * 2 : 16;
		sc->due = xrealloc(sc->due, sizeof *sc->due * sc->capdue);
	}
	sc->due[sc->ndue++] = o;
}

struct org *server_org_admit(struct server *s, const char *org_id)
{
	struct org *o = strmap_get(&s->orgs, org_id);
	if (o != NULL)
		return o;
	if (strmap_count(&s->orgs) >= s->cfg.max_orgs) {
		struct idle_scan sc = { .now_us = clock_mono_us() };
		strmap_each(&s->orgs, scan_org, &sc);
		free(sc.due);
		if (sc.oldest == NULL) {
			s->stats.orgs_refused++;
			log_warn("organization %s refused: %u organizations in memory (max-orgs), none idle "
				 "with nothing live", org_id, s->cfg.max_orgs);
			return NULL;
		}
		server_org_evict(s, sc.oldest, "max-orgs reached, idle longest");
	}
	return server_org(s, org_id);
}

void server_orgs_evict_idle(struct server *s, int64_t now_us)
{
	if (s->cfg.org_idle_evict_s <= 0)
		return;
	struct idle_scan sc = { .now_us = now_us, .idle_us = (int64_t)s->cfg.org_idle_evict_s * 1000000 };
	strmap_each(&s->orgs, scan_org, &sc);
	char why[64];
	snprintf(why, sizeof why, "idle for %d s with nothing live", s->cfg.org_idle_evict_s);
	for (size_t i = 0; i < sc.ndue; i++)
		server_org_evict(s, sc.due[i], why);
	free(sc.due);
}

struct conn *server_conn(struct server *s, uint64_t id)
{
	char key[STRMAP_ID_KEY_LEN];
	strmap_id_key(id, key);
	return strmap_get(&s->conns_by_id, key);
}

void server_conn_register(struct server *s, struct conn *c)
{
	char key[STRMAP_ID_KEY_LEN];
	strmap_id_key(c->id, key);
	strmap_put(&s->conns_by_id, key, c);
	c->prev = NULL;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->stats.connections_total++;
	if (c->org != NULL)
		c->org->nconns++;
}

void server_conn_unregister(struct server *s, struct conn *c)
{
	char key[STRMAP_ID_KEY_LEN];
	strmap_id_key(c->id, key);
	strmap_remove(&s->conns_by_id, key);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	if (c->org != NULL) {
		c->org->nconns--;
		c->org->active_us = clock_mono_us();
	}
}

static void request_stop(struct server *s)
{
	if (loop != NULL && !s->draining && !ev_is_active(&stop_timer)) {
		stop_timer.data = s;
		ev_timer_start(loop, &stop_timer);
	}
}

/* shutdown(2) makes the socket readable (EOF) and writable (EPIPE) at once,
 * so lws closes it in this turn of its loop, also when it holds unsent bytes
 * (which would otherwise make it wait for them); lws 4.1.6 would serve a
 * plain timeout from a libev timer it does not move earlier, seconds late in
 * a quiet daemon. lws_cancel_service makes the loop turn. */
void server_wsi_kill(struct server *s, struct lws *wsi)
{
	int fd = lws_get_socket_fd(wsi);
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
	lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
	if (s->lws != NULL)
		lws_cancel_service(s->lws);
}

void server_fail(struct server *s, const char *why)
{
	log_error("stopping: %s", why);
	s->exit_status = 1;
	request_stop(s);
}

/* ---- housekeeping --------------------------------------------------------------- */

/* Our timers are libev's: lws 4.1.6 does not move its libev timer earlier
 * while it is armed (it calls ev_timer_start on the active watcher, and libev
 * does not restart an active timer), and keeps its own timers in a list
 * sorted by insertion, as long as the connections. */
static ev_timer housekeeping_timer;
static ev_timer keepalive_timer;

static void gc_org(const char *key, void *value, void *arg)
{
	(void)key;
	room_gc(value, *(int64_t *)arg, ROOM_IDLE_US);
}

static uint64_t org_scan_ticks(int idle_s)
{
	uint64_t t = (uint64_t)(idle_s / 2 / HOUSEKEEPING_S);
	return t < 1 ? 1 : t > ORG_SCAN_MAX_TICKS ? ORG_SCAN_MAX_TICKS : t;
}

static void housekeeping(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)revents;
	struct server *s = w->data;
	int64_t now = clock_mono_us();
	strmap_each(&s->orgs, gc_org, &now);
	/* After room_gc: an organization's last room goes first. */
	if (++s->housekeeping_ticks % org_scan_ticks(s->cfg.org_idle_evict_s) == 0)
		server_orgs_evict_idle(s, now);
	action_nonces_gc(s, clock_wall_ms() / 1000);
	if (s->housekeeping_ticks % (uint64_t)(CONTROL_PEER_REFRESH_S / HOUSEKEEPING_S) == 0)
		control_peers_refresh(s);
	monitor_tick(s, now);
}

/* Our own pings, from this one timer: lws's (4.1.6) re-sort a list as long
 * as the connections each time a peer answers, which cost 10,000 idle
 * dashboards a fifth of a core. A pass over the connections is a few
 * comparisons each. */
static void keepalive(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)revents;
	struct server *s = w->data;
	int64_t now = clock_mono_us();
	struct conn_keepalive_policy p = {
		.now_wall_ms = clock_wall_ms(),
		.ping_us = (int64_t)s->cfg.ping_interval_s * 1000000,
		.timeout_us = (int64_t)s->cfg.ping_timeout_s * 1000000,
		.tick_us = KEEPALIVE_TICK_US,
	};
	for (struct conn *c = s->conns; c != NULL; c = c->next)
		conn_keepalive(c, now, &p);
}

/* ---- the store --------------------------------------------------------------------- */

/* Puts back what a previous run left: positions, recent event ids, running
 * executions. Runs before the loop, so it may block. */
static void reload_state(struct server *s)
{
	char cause[256];
	json_t *state = store_load_state(s->cfg.database, s->cfg.dedup_window, cause, sizeof cause);
	if (state == NULL) {
		/* Positions must still rise above every stored one, or the events
		 * of this run would collide with history PostgreSQL already holds
		 * (unique per organization): the clock in microseconds does. */
		int64_t floor = clock_wall_ms() * 1000;
		if (s->min_pos < floor)
			s->min_pos = floor;
		log_warn("could not reload state from the database (%s): starting with empty live state "
			 "(no alert rules, no running executions until a restart finds PostgreSQL); "
			 "positions start at %lld", cause, (long long)s->min_pos + 1);
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
		monitor_reload(o);
		alerts_load(s, o, json_object_get(oj, "rules"), json_object_get(oj, "alerts"),
			    json_object_get(oj, "cooldowns"), json_object_get(oj, "action_uses"));
		summary_load(o, json_object_get(oj, "attention"));
		schedules_load(o, json_object_get(oj, "schedules"), json_object_get(oj, "workflow_runs"));
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
	/* Migrations: now when PostgreSQL answers; when it does not, the store
	 * runs them once it is back, and the daemon serves and spools meanwhile. */
	const char *migrate_later = NULL;
	if (s->cfg.database_owner != NULL) {
		int rc = store_migrate(s->cfg.database_owner, s->cfg.app_role, cause, sizeof cause);
		if (rc == STORE_MIGRATE_UNREACHABLE) {
			log_warn("PostgreSQL does not answer (%s): serving and spooling without it; the "
				 "migrations run when it is back", cause);
			migrate_later = s->cfg.database_owner;
		} else if (rc < 0) {
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
		.migrate_conninfo = migrate_later,
		.app_role = s->cfg.app_role,
		.metrics = s->cfg.metrics,
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

void server_apply_log_level(const struct server *s)
{
	log_set_level(s->cfg.log_level);
	lws_set_log_level(LLL_ERR | (s->cfg.log_level >= LOG_DEBUG ? LLL_WARN : 0), lws_log_to_ours);
}

static const struct lws_protocols protocols[] = {
	{ "http", http_callback, sizeof(struct http_session), 0, 0, NULL, 0 },
	{ PROTO_SUBPROTOCOL, ws_callback, sizeof(struct conn), WS_RX_CHUNK, 0, NULL, WS_TX_PACKET },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }   /* 4.1.6 has no LWS_PROTOCOL_LIST_TERM */
};

static void drain_check(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)revents;
	struct server *s = w->data;
	if (s->nconns == 0) {
		ev_break(l, EVBREAK_ALL);
	} else if (clock_mono_us() >= drain_deadline_us) {
		log_warn("%u connection(s) still open after %d s: closing them", s->nconns,
			 s->cfg.drain_timeout_s);
		ev_break(l, EVBREAK_ALL);
	}
}

static void drain_begin(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)revents;
	struct server *s = w->data;
	s->draining = true;
	service_stopping();
	log_info("draining %u connection(s)", s->nconns);
	for (struct conn *c = s->conns; c != NULL; c = c->next)
		conn_close_after_flush(c, PROTO_CLOSE_SHUTDOWN, "server shutting down");
	drain_deadline_us = clock_mono_us() + (int64_t)s->cfg.drain_timeout_s * 1000000;
	drain_timer.data = s;
	ev_timer_start(l, &drain_timer);
}

static void on_signal(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)l;
	(void)revents;
	request_stop(w->data);
}

static void service_ready_now(struct server *s)
{
	service_ready("serving %s://%s:%d, %u connection(s)", server_scheme(s, true), s->cfg.listen_host,
		      s->cfg.listen_port, s->nconns);
}

/* SIGHUP: the configuration again; connections stay either way. */
static void on_hangup(struct ev_loop *l, ev_signal *w, int revents)
{
	(void)l;
	(void)revents;
	struct server *s = w->data;
	if (s->draining)
		return;
	service_reloading();
	reload_config(s);
	service_ready_now(s);
}

/* lws closes its sockets and stops its watchers; one more turn of the loop
 * lets anything it left pending finish before the loop goes. */
static void server_loop_close(struct server *s)
{
	lws_context_destroy(s->lws);
	s->lws = NULL;
	sockguard_stop();
	ev_signal_stop(loop, &sig_term);
	ev_signal_stop(loop, &sig_int);
	ev_signal_stop(loop, &sig_hup);
	ev_timer_stop(loop, &stop_timer);
	ev_timer_stop(loop, &drain_timer);
	ev_run(loop, EVRUN_NOWAIT);
	ev_loop_destroy(loop);
	loop = NULL;
}

int server_run(struct server *s)
{
	server_apply_log_level(s);

	/* No validity timers in lws (a zero hangup turns them off): the
	 * housekeeping tick pings (conn_keepalive). */
	static const lws_retry_bo_t no_lws_pings = { .secs_since_valid_hangup = 0 };
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.retry_and_idle_policy = &no_lws_pings;
	info.port = s->cfg.listen_port;
	info.iface = s->cfg.listen_host;
	info.protocols = protocols;
	info.user = s;
	info.options = LWS_SERVER_OPTION_LIBEV | LWS_SERVER_OPTION_VALIDATE_UTF8 |
		       LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
	if (strchr(s->cfg.listen_host, ':') == NULL)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.fd_limit_per_thread = s->cfg.max_connections + 64;
	info.pt_serv_buf_size = 32 * 1024;
	info.timeout_secs = 20;
	info.vhost_name = "wfmond";
	info.server_string = "wfmond";
	info.ka_time = 0;
	/* lws drops a request whose headers pass this without an answer: room
	 * for an 8 KiB token (AUTH_MAX_TOKEN) and the usual headers, so that a
	 * longer one is refused with a 401 rather than a silent hang-up. */
	info.max_http_header_data = HTTP_MAX_HEADERS;
	tls_context_info(&s->cfg, &info);

	loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
	if (loop == NULL) {
		log_error("cannot create the event loop");
		return 1;
	}
	sockguard_start(loop, s);
	if (s->tls_creds != NULL) {
		char desc[400];
		tls_creds_describe(s->tls_creds, desc, sizeof desc);
		log_info("TLS: certificate %s; TLS 1.2 and 1.3 only", desc);
	}
	void *foreign_loops[1] = { loop };
	info.foreign_loops = foreign_loops;
	s->lws = lws_create_context(&info);
	/* The listener has its credentials (tls_ctx_ready): no other copy is kept. */
	tls_creds_free(s->tls_creds);
	s->tls_creds = NULL;
	if (s->lws == NULL) {
		log_error("cannot listen on %s:%d: in use, not an address of this host, or lws "
			  "could not load its libev plugin (Debian package libwebsockets-evlib-ev)",
			  s->cfg.listen_host, s->cfg.listen_port);
		sockguard_stop();
		ev_loop_destroy(loop);
		loop = NULL;
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	ev_signal_init(&sig_term, on_signal, SIGTERM);
	ev_signal_init(&sig_int, on_signal, SIGINT);
	ev_signal_init(&sig_hup, on_hangup, SIGHUP);
	sig_term.data = sig_int.data = sig_hup.data = s;
	ev_signal_start(loop, &sig_term);
	ev_signal_start(loop, &sig_int);
	ev_signal_start(loop, &sig_hup);
	ev_timer_init(&stop_timer, drain_begin, 0, 0);
	ev_timer_init(&drain_timer, drain_check, 0, 0.01);

	if (s->cfg.database != NULL && start_store(s) < 0) {
		server_loop_close(s);
		return 1;
	}
	if (s->cfg.cluster != NULL) {
		char cause[256];
		s->cluster = cluster_start(s, loop, cause, sizeof cause);
		if (s->cluster == NULL) {
			log_error("cannot join the cluster: %s", cause);
			store_free(s->store);
			s->store = NULL;
			server_loop_close(s);
			return 1;
		}
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
	if (flush_start(loop, (unsigned)s->cfg.write_threads) < 0)
		log_warn("writing from the event loop alone: no write helper could start");
	ev_timer_init(&housekeeping_timer, housekeeping, HOUSEKEEPING_S, HOUSEKEEPING_S);
	housekeeping_timer.data = s;
	ev_timer_start(loop, &housekeeping_timer);
	ev_timer_init(&keepalive_timer, keepalive, KEEPALIVE_TICK_US / 1e6, KEEPALIVE_TICK_US / 1e6);
	keepalive_timer.data = s;
	ev_timer_start(loop, &keepalive_timer);
	char keys[1024];
	auth_verifier_describe(s->verifier, keys, sizeof keys);
	log_info("JWT keyring: %s", keys);
	log_info("listening on %s://%s:%d (subprotocol %s)", server_scheme(s, true), s->cfg.listen_host,
		 s->cfg.listen_port, PROTO_SUBPROTOCOL);
	if (s->cfg.public_url != NULL)
		log_info("alert notifications carry action links to %s/v1/actions/...", s->cfg.public_url);
	else
		log_info("alert notifications say how to act from a shell (no public-url: no action links)");
	if (s->cfg.public_url != NULL && strncmp(s->cfg.public_url, "https://", 8) != 0)
		log_warn("public-url %s is not https://: action links would travel in clear text", s->cfg.public_url);
	if (s->cfg.tls_cert == NULL && strcmp(s->cfg.listen_host, "127.0.0.1") != 0 &&
	    strcmp(s->cfg.listen_host, "::1") != 0 && strcmp(s->cfg.listen_host, "localhost") != 0)
		log_warn("listening on %s without TLS: tokens cross the network in clear text unless a "
			 "TLS proxy is in front (set tls-cert and tls-key, see wfmond(8))", s->cfg.listen_host);
	/* The listener is up and the spool open. */
	service_ready_now(s);
	service_watchdog_start(loop);
	loopturn_start(loop);

	ev_run(loop, 0);
	loopturn_stop(loop);
	service_watchdog_stop(loop);
	ev_timer_stop(loop, &drain_timer);
	flush_stop();
	ev_timer_stop(loop, &housekeeping_timer);
	ev_timer_stop(loop, &keepalive_timer);
	if (s->notifier != NULL) {
		/* What it could not deliver is recorded as such before it goes. */
		notify_stop(s->notifier);
		alerts_poll(s);
		notify_free(s->notifier);
		s->notifier = NULL;
	}
	/* Batches still waiting for Redis are refused (never acknowledged). */
	cluster_stop(s->cluster);
	s->cluster = NULL;
	if (s->store != NULL) {
		/* Syncs what it was given; what PostgreSQL has not taken stays in the spool. */
		store_free(s->store);
		s->store = NULL;
	}
	server_loop_close(s);
	log_info("stopped");
	return s->exit_status;
}
