/* sim.c: wfmon-sim, a producer of realistic workflow traffic for wfmond.
 *
 * The model lives in sim_engine.c / sim_catalog.c (libwfclient); this file
 * owns the command line, the clock, the connection and the publish pipeline:
 *
 *   engine --emit--> pending (serialized events, bounded) --publish--> in flight
 *   (at most SIM_WINDOW unacknowledged publishes) --ack--> counted, or back to
 *   pending when the daemon says "unavailable"/"rate_limited" or the link drops.
 *
 * Events keep their ids across resends, so the daemon's deduplication makes a
 * resend after a lost ack harmless. One thread, one ppoll per tick, no
 * blocking call except the optional name lookup in wsl_new. When pending
 * passes its bound the virtual clock stops, so a daemon that is away makes the
 * simulation wait instead of growing memory. */
#include "sim.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "keyfile.h"
#include "log.h"
#include "proto.h"
#include "version.h"
#include "endpoint.h"
#include "wslink.h"
#include "xalloc.h"

#define SIM_WINDOW 8                 /* unacknowledged publishes */
#define SIM_BATCH 500                /* events per publish */
#define SIM_BATCH_BYTES (512 * 1024) /* well under PROTO_MAX_MESSAGE */
#define SIM_MAX_PENDING 100000       /* events waiting; past this the clock stops */
#define SIM_DRAIN_MS 15000           /* wait for acks after the last execution */
#define SIM_INTERRUPT_DRAIN_MS 3000

struct sim_ev {
	char *json;
	size_t len;
	char id[PROTO_MAX_ID + 1];
};

/* A ring of events: pushed at the back by the engine, at the front on resend. */
struct sim_evq {
	struct sim_ev *v;
	size_t head, count, cap;
};

struct sim_pub {
	int64_t id;
	struct sim_ev *evs;
	size_t n;
	int64_t sent_us;
};

struct sim_app {
	/* options */
	struct endpoint ep;          /* the daemon, the TLS trust, the token (renewed in time) */
	char renew_error[320];       /* the last renewal failure logged */
	bool dry_run, quiet, verbose;
	FILE *acked_log;             /* --acked-log: one acknowledged event id per line */
	bool control_joined;         /* subscribed to "control" on this connection */
	double duration_s;           /* < 0: until a signal */
	double events_per_second;    /* 0: workflow timing */
	struct sim_options opt;

	struct sim *sim;
	struct sim_evq pending;
	struct sim_pub inflight[SIM_WINDOW];
	size_t ninflight;
	int64_t next_pub_id;

	struct wsl *ws;
	int64_t reconnect_at_ms;
	int backoff_ms;
	int64_t hold_until_ms;       /* no publish before this (daemon busy) */
	int retry_ms;
	bool refused;                /* 401/403: exit 1 */

	int64_t start_mono_ms;
	int64_t vclock_ms;           /* virtual time, advances with real time unless paused */
	int64_t last_tick_ms;
	uint64_t produced;           /* load mode: events taken from the engine */

	bool stopping;               /* no more arrivals */
	int64_t drain_deadline_ms;   /* 0: none yet */

	uint64_t sent, acked, rejected, generated;
};

static volatile sig_atomic_t sim_signals;

static void sim_on_signal(int sig)
{
	(void)sig;
	sim_signals++;
}

static int64_t sim_mono_ms(void)
{
	return clock_mono_us() / 1000;
}

/* ---- Event queue ------------------------------------------------------------- */

static void evq_grow(struct sim_evq *q)
{
	if (q->count < q->cap)
		return;
	size_t cap = q->cap ? q->cap * 2 : 256;
	struct sim_ev *v = xmalloc(cap * sizeof *v);
	for (size_t i = 0; i < q->count; i++)
		v[i] = q->v[(q->head + i) % q->cap];
	free(q->v);
	q->v = v;
	q->cap = cap;
	q->head = 0;
}

static void evq_push_back(struct sim_evq *q, struct sim_ev ev)
{
	evq_grow(q);
	q->v[(q->head + q->count++) % q->cap] = ev;
}

static void evq_push_front(struct sim_evq *q, struct sim_ev ev)
{
	evq_grow(q);
	q->head = (q->head + q->cap - 1) % q->cap;
	q->v[q->head] = ev;
	q->count++;
}

static struct sim_ev *evq_front(struct sim_evq *q)
{
	return &q->v[q->head];
}

static void evq_pop_front(struct sim_evq *q)
{
	q->head = (q->head + 1) % q->cap;
	q->count--;
}

/* Puts events back at the front, keeping their order. Takes evs[i].json. */
static void evq_unshift(struct sim_evq *q, struct sim_ev *evs, size_t n)
{
	for (size_t i = n; i-- > 0;)
		evq_push_front(q, evs[i]);
}

/* ---- Engine output --------------------------------------------------------------- */

static void sim_emit_print(json_t *ev, void *arg)
{
	struct sim_app *app = arg;
	char *s = json_dumps(ev, JSON_COMPACT);
	if (s == NULL)
		fatal("cannot serialize an event");
	puts(s);
	free(s);
	json_decref(ev);
	app->generated++;
}

static void sim_emit_queue(json_t *ev, void *arg)
{
	struct sim_app *app = arg;
	if (app->events_per_second > 0) {
		/* Load mode runs the model ahead of the clock; stamp real time. */
		char ts[32];
		proto_time_format(clock_wall_ms(), ts, sizeof ts);
		json_object_set_new(ev, "ts", json_string(ts));
	}
	struct sim_ev e;
	snprintf(e.id, sizeof e.id, "%s", json_string_value(json_object_get(ev, "id")));
	e.json = json_dumps(ev, JSON_COMPACT);
	if (e.json == NULL)
		fatal("cannot serialize an event");
	e.len = strlen(e.json);
	json_decref(ev);
	evq_push_back(&app->pending, e);
	app->generated++;
	app->produced++;
}

/* ---- Publishing ------------------------------------------------------------------- */

static void sim_publish_one(struct sim_app *app)
{
	struct sim_pub *p = &app->inflight[app->ninflight];
	size_t n = 0, bytes = 64;
	while (n < app->pending.count && n < SIM_BATCH) {
		size_t len = app->pending.v[(app->pending.head + n) % app->pending.cap].len;
		if (n > 0 && bytes + len + 1 > SIM_BATCH_BYTES)
			break;
		bytes += len + 1;
		n++;
	}
	p->id = ++app->next_pub_id;
	p->n = n;
	p->evs = xmalloc(n * sizeof *p->evs);
	char *msg = xmalloc(bytes + 32);
	size_t o = (size_t)sprintf(msg, "{\"type\":\"publish\",\"id\":%lld,\"events\":[",
				   (long long)p->id);
	for (size_t i = 0; i < n; i++) {
		p->evs[i] = *evq_front(&app->pending);
		evq_pop_front(&app->pending);
		if (i > 0)
			msg[o++] = ',';
		memcpy(msg + o, p->evs[i].json, p->evs[i].len);
		o += p->evs[i].len;
	}
	msg[o++] = ']';
	msg[o++] = '}';
	if (wsl_send_text(app->ws, msg, o) < 0) {
		/* Outbound buffer full: keep the events for later. */
		evq_unshift(&app->pending, p->evs, n);
		free(p->evs);
		free(msg);
		return;
	}
	free(msg);
	p->sent_us = clock_mono_us();
	app->ninflight++;
	app->sent += n;
}

static void sim_pub_drop(struct sim_app *app, size_t i)
{
	free(app->inflight[i].evs);
	memmove(app->inflight + i, app->inflight + i + 1,
		(app->ninflight - i - 1) * sizeof *app->inflight);
	app->ninflight--;
}

static bool sim_code_retryable(const char *code)
{
	return code && (strcmp(code, "unavailable") == 0 || strcmp(code, "rate_limited") == 0);
}

static void sim_hold(struct sim_app *app)
{
	app->retry_ms = app->retry_ms ? app->retry_ms * 2 : 500;
	if (app->retry_ms > 10000)
		app->retry_ms = 10000;
	app->hold_until_ms = sim_mono_ms() + app->retry_ms;
}

static int sim_pub_find(struct sim_app *app, json_t *id)
{
	if (!json_is_integer(id))
		return -1;
	for (size_t i = 0; i < app->ninflight; i++)
		if (app->inflight[i].id == json_integer_value(id))
			return (int)i;
	return -1;
}

static int sim_ev_find(const struct sim_pub *p, size_t hint, const char *id)
{
	if (hint < p->n && strcmp(p->evs[hint].id, id) == 0)
		return (int)hint;
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->evs[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void sim_on_ack(struct sim_app *app, json_t *msg)
{
	int k = sim_pub_find(app, json_object_get(msg, "id"));
	if (k < 0)
		return;
	struct sim_pub *p = &app->inflight[k];
	json_t *results = json_object_get(msg, "results");
	/* 0: not reported, 1: done (ok, duplicate or dropped), 2: resend */
	uint8_t *fate = xcalloc(p->n ? p->n : 1, 1);
	size_t ok = 0, bad = 0, again = 0;
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r) {
		const char *eid = json_string_value(json_object_get(r, "event_id"));
		const char *status = json_string_value(json_object_get(r, "status"));
		int at = eid ? sim_ev_find(p, i, eid) : -1;
		if (at < 0 || status == NULL || fate[at])
			continue;
		if (strcmp(status, "ok") == 0 || strcmp(status, "duplicate") == 0) {
			fate[at] = 1;
			ok++;
			if (app->acked_log != NULL)
				fprintf(app->acked_log, "%s\n", eid);
			continue;
		}
		const char *code = json_string_value(json_object_get(r, "code"));
		if (sim_code_retryable(code)) {
			fate[at] = 2;
			again++;
			continue;
		}
		fate[at] = 1;
		bad++;
		const char *field = json_string_value(json_object_get(r, "field"));
		const char *text = json_string_value(json_object_get(r, "message"));
		log_warn("event %s rejected: %s%s%s: %s", eid, code ? code : "error",
			 field ? " at " : "", field ? field : "", text ? text : "");
	}
	/* Events the ack did not list: trust its counts (accepted first). */
	json_int_t accepted = json_integer_value(json_object_get(msg, "accepted"));
	for (size_t e = 0; e < p->n; e++) {
		if (fate[e])
			continue;
		fate[e] = 1;
		if ((json_int_t)ok < accepted)
			ok++;
		else
			bad++;
	}
	app->acked += ok;
	app->rejected += bad;
	if (app->acked_log != NULL)
		fflush(app->acked_log);
	if (app->verbose)
		log_info("ack %lld: %zu events, %zu accepted, %zu rejected, %zu to resend (%lld ms)",
			 (long long)p->id, p->n, ok, bad, again,
			 (long long)(clock_mono_us() - p->sent_us) / 1000);
	struct sim_ev *retry = xmalloc((again ? again : 1) * sizeof *retry);
	size_t nr = 0;
	for (size_t e = 0; e < p->n; e++) {
		if (fate[e] == 2)
			retry[nr++] = p->evs[e];
		else
			free(p->evs[e].json);
	}
	if (nr > 0) {
		evq_unshift(&app->pending, retry, nr);
		sim_hold(app);
	} else {
		app->retry_ms = 0;
	}
	free(retry);
	free(fate);
	sim_pub_drop(app, (size_t)k);
}

static void sim_on_error(struct sim_app *app, json_t *msg)
{
	const char *code = json_string_value(json_object_get(msg, "code"));
	const char *text = json_string_value(json_object_get(msg, "message"));
	int k = sim_pub_find(app, json_object_get(msg, "id"));
	if (k < 0) {
		log_warn("daemon error: %s: %s", code ? code : "?", text ? text : "");
		return;
	}
	struct sim_pub *p = &app->inflight[k];
	if (sim_code_retryable(code)) {
		evq_unshift(&app->pending, p->evs, p->n);
		sim_hold(app);
	} else {
		log_warn("publish %lld of %zu events refused: %s: %s", (long long)p->id, p->n,
			 code ? code : "?", text ? text : "");
		app->rejected += p->n;
		for (size_t e = 0; e < p->n; e++)
			free(p->evs[e].json);
	}
	sim_pub_drop(app, (size_t)k);
}

static void sim_on_message(struct sim_app *app, const char *data, size_t len)
{
	json_error_t err;
	json_t *msg = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	if (msg == NULL) {
		log_warn("unreadable message from the daemon: %s", err.text);
		return;
	}
	const char *type = json_string_value(json_object_get(msg, "type"));
	if (type && strcmp(type, "ack") == 0) {
		sim_on_ack(app, msg);
	} else if (type && strcmp(type, "control") == 0) {
		/* An operator raised a queued execution: it starts sooner. */
		const char *cmd = json_string_value(json_object_get(msg, "command"));
		const char *x = json_string_value(json_object_get(msg, "execution_id"));
		enum proto_priority prio;
		enum proto_control ctl;
		if (cmd && strcmp(cmd, "prioritize") == 0 && x &&
		    proto_priority_parse(json_string_value(json_object_get(msg, "priority")), &prio) == 0 &&
		    sim_prioritize(app->sim, x, prio) && !app->quiet)
			log_info("%s is now %s", x, proto_priority_name(prio));
		/* An operator's cancel or retry: answered and done by the engine
		 * when the execution is ours. */
		else if (proto_control_parse(cmd, &ctl) == 0 && x &&
			 sim_control(app->sim, ctl, x, json_string_value(json_object_get(msg, "workflow_id")),
				     json_string_value(json_object_get(msg, "request_id")),
				     json_string_value(json_object_get(msg, "by"))) && !app->quiet)
			log_info("%s: %s asked by %s", x, cmd, json_string_value(json_object_get(msg, "by")));
	}
	else if (type && strcmp(type, "error") == 0)
		sim_on_error(app, msg);
	json_decref(msg);
}

/* ---- Connection ------------------------------------------------------------------ */

static void sim_connect(struct sim_app *app)
{
	struct wsl_config cfg;
	endpoint_link(&app->ep, &cfg);
	cfg.max_message = PROTO_MAX_MESSAGE * 4;
	char cause[256];
	app->ws = wsl_new(&cfg, cause, sizeof cause);
	if (app->ws == NULL) {
		log_error("%s", cause);
		app->reconnect_at_ms = sim_mono_ms() + 5000;
	}
}

/* The link is gone: everything in flight goes back to pending, in order. */
static void sim_disconnected(struct sim_app *app)
{
	/* The delay is settled first, so the log says the one actually used. */
	app->backoff_ms = app->backoff_ms ? app->backoff_ms * 2 : 250;
	if (app->backoff_ms > 10000)
		app->backoff_ms = 10000;
	int status = wsl_http_status(app->ws);
	if (status == 401 || status == 403) {
		log_error("the daemon refused the token (%s). Mint a new one, e.g. "
			  "`wfmon token --org ORG --sub sim --role producer --secret-file FILE`, "
			  "and pass it with --token, --token-file or WFMON_TOKEN",
			  wsl_error(app->ws));
		app->refused = true;
	} else if (wsl_close_code(app->ws) == WSL_CLOSE_TLS) {
		log_error("%s", wsl_error(app->ws));
		app->refused = true;
	} else if (!app->quiet) {
		log_warn("%s; reconnecting in %d ms", wsl_error(app->ws), app->backoff_ms);
	}
	for (size_t i = app->ninflight; i-- > 0;) {
		evq_unshift(&app->pending, app->inflight[i].evs, app->inflight[i].n);
		free(app->inflight[i].evs);
	}
	app->ninflight = 0;
	wsl_free(app->ws);
	app->ws = NULL;
	app->control_joined = false;
	app->reconnect_at_ms = sim_mono_ms() + app->backoff_ms;
}

/* ---- The loop --------------------------------------------------------------------- */

static void sim_advance(struct sim_app *app, int64_t now_ms)
{
	int64_t dt = now_ms - app->last_tick_ms;
	app->last_tick_ms = now_ms;
	if (app->pending.count >= SIM_MAX_PENDING)
		return; /* the clock stops while the daemon cannot keep up */
	if (app->events_per_second > 0) {
		double target = app->events_per_second * (double)(now_ms - app->start_mono_ms) / 1000.0;
		while ((double)app->produced < target && app->pending.count < SIM_MAX_PENDING &&
		       !sim_done(app->sim) && sim_step(app->sim))
			;
		return;
	}
	app->vclock_ms += dt;
	sim_run_until(app->sim, app->vclock_ms);
}

static void sim_check_stop(struct sim_app *app, int64_t now_ms)
{
	if (sim_signals > 1)
		app->drain_deadline_ms = now_ms; /* second signal: leave now */
	if (sim_signals > 0 && !app->stopping) {
		app->stopping = true;
		sim_stop(app->sim, true, "wfmon-sim interrupted");
		app->drain_deadline_ms = now_ms + SIM_INTERRUPT_DRAIN_MS;
	}
	if (!app->stopping && app->duration_s >= 0 &&
	    now_ms - app->start_mono_ms >= (int64_t)(app->duration_s * 1000)) {
		app->stopping = true;
		sim_stop(app->sim, false, "wfmon-sim stopped: --duration reached");
	}
	if (sim_done(app->sim) && app->drain_deadline_ms == 0)
		app->drain_deadline_ms = now_ms + SIM_DRAIN_MS;
}

static bool sim_finished(const struct sim_app *app, int64_t now_ms)
{
	if (app->refused)
		return true;
	if (!sim_done(app->sim))
		return false;
	if (app->pending.count == 0 && app->ninflight == 0)
		return true;
	return app->drain_deadline_ms && now_ms >= app->drain_deadline_ms;
}

static int sim_run_live(struct sim_app *app, const sigset_t *waitmask)
{
	app->start_mono_ms = app->last_tick_ms = sim_mono_ms();
	sim_connect(app);
	for (;;) {
		int64_t now = sim_mono_ms();
		sim_check_stop(app, now);
		sim_advance(app, now);
		if (sim_finished(app, now))
			break;

		if (app->ws == NULL && now >= app->reconnect_at_ms)
			sim_connect(app);
		if (app->ws && wsl_state(app->ws) == WSL_OPEN && now >= app->hold_until_ms) {
			for (int k = 0; k < 4 && app->pending.count > 0 && app->ninflight < SIM_WINDOW; k++)
				sim_publish_one(app);
		}

		struct pollfd pfd = { .fd = -1 };
		if (app->ws) {
			pfd.fd = wsl_fd(app->ws);
			pfd.events = wsl_poll_events(app->ws);
		}
		int64_t wait = 1000;
		if (app->events_per_second > 0) {
			wait = 10;
		} else {
			int64_t due = sim_next_due(app->sim) - app->vclock_ms;
			if (due < wait)
				wait = due < 0 ? 0 : due;
		}
		if (app->ws == NULL && app->reconnect_at_ms - now < wait)
			wait = app->reconnect_at_ms - now;
		if (app->hold_until_ms > now && app->hold_until_ms - now < wait)
			wait = app->hold_until_ms - now;
		if (app->ws && wsl_state(app->ws) == WSL_OPEN && app->hold_until_ms <= now &&
		    app->pending.count > 0 && app->ninflight < SIM_WINDOW)
			wait = 0;
		int other[2] = { app->ws ? wsl_timeout_ms(app->ws) : -1,
				 tokensrc_timeout_ms(app->ep.token, clock_wall_ms()) };
		for (int i = 0; i < 2; i++)
			if (other[i] >= 0 && other[i] < wait)
				wait = other[i];
		if (app->drain_deadline_ms && app->drain_deadline_ms - now < wait)
			wait = app->drain_deadline_ms - now;
		if (wait < 0)
			wait = 0;
		struct timespec ts = { wait / 1000, (wait % 1000) * 1000000 };
		int n = ppoll(&pfd, 1, &ts, waitmask);
		if (n < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			return 1;
		}
		if (app->ws)
			wsl_io(app->ws, n > 0 ? pfd.revents : 0);
		if (app->ws) {
			const char *data;
			size_t len;
			while (wsl_next(app->ws, &data, &len))
				sim_on_message(app, data, len);
			if (wsl_state(app->ws) == WSL_OPEN) {
				app->backoff_ms = 0;
				if (!app->control_joined) {
					static const char sub[] =
						"{\"type\":\"subscribe\",\"id\":\"control\",\"room\":\"control\"}";
					app->control_joined = wsl_send_text(app->ws, sub, sizeof sub - 1) == 0;
				}
			}
			if (wsl_state(app->ws) == WSL_CLOSED)
				sim_disconnected(app);
		}
		char err[sizeof app->renew_error];
		if (endpoint_renew(&app->ep, app->ws, clock_wall_ms(), err, sizeof err) == TOKENSRC_FAILED &&
		    strcmp(err, app->renew_error) != 0) {
			log_warn("%s", err);
			snprintf(app->renew_error, sizeof app->renew_error, "%s", err);
		}
	}
	if (app->ws) {
		wsl_send_close(app->ws, 1000);
		wsl_wait_flushed(app->ws, 500);
	}
	size_t lost = app->pending.count;
	for (size_t i = 0; i < app->ninflight; i++)
		lost += app->inflight[i].n;
	if (lost > 0 && !app->refused)
		log_error("%zu events were not acknowledged by the daemon", lost);
	return app->refused || lost > 0 ? 1 : 0;
}

static int sim_run_dry(struct sim_app *app)
{
	int64_t stop_at = app->duration_s >= 0 ? (int64_t)(app->duration_s * 1000) : INT64_MAX;
	while (!sim_done(app->sim)) {
		if (sim_signals > 0 && !app->stopping) {
			app->stopping = true;
			sim_stop(app->sim, true, "wfmon-sim interrupted");
			continue;
		}
		if (!app->stopping && sim_next_due(app->sim) > stop_at) {
			app->stopping = true;
			sim_stop(app->sim, false, "wfmon-sim stopped: --duration reached");
			continue;
		}
		if (!sim_step(app->sim))
			break;
	}
	fflush(stdout);
	return 0;
}

/* ---- Command line ------------------------------------------------------------------ */

static void sim_usage(FILE *f)
{
	fputs("usage: wfmon-sim [--url ws://HOST:PORT[/PATH] | wss://HOST[:PORT][/PATH]]\n"
	      "                 [--token T | --token-file F | --token-command CMD]\n"
	      "                 [--ca-file F] [--cert F --key F]\n"
	      "                 [--seed N] [--rate R] [--workflows a,b] [--duration S] [--speed X]\n"
	      "                 [--workers N] [--once WORKFLOW] [--events-per-second N]\n"
	      "                 [--dry-run] [--quiet] [--verbose] [--list] [--acked-log FILE]\n"
	      "       wfmon-sim --help | --version\n"
	      "Simulates accounting workflow executions and publishes their events to wfmond.\n"
	      "The token also comes from $WFMON_TOKEN. See wfmon-sim(1).\n", f);
}

static bool sim_parse_double(const char *s, double *out, double min)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min) || v > 1e9)
		return false;
	*out = v;
	return true;
}

static void sim_summary(const struct sim_app *app)
{
	struct sim_stats st = { 0 };
	if (app->sim)
		sim_get_stats(app->sim, &st);
	fprintf(stderr,
		"wfmon-sim: executions started %llu, completed %llu, failed %llu, cancelled %llu; "
		"events generated %llu, sent %llu, acked %llu, rejected %llu\n",
		(unsigned long long)st.started, (unsigned long long)st.completed,
		(unsigned long long)st.failed, (unsigned long long)st.cancelled,
		(unsigned long long)app->generated, (unsigned long long)app->sent,
		(unsigned long long)app->acked, (unsigned long long)app->rejected);
}

static void sim_app_free(struct sim_app *app)
{
	for (size_t i = 0; i < app->pending.count; i++)
		free(app->pending.v[(app->pending.head + i) % app->pending.cap].json);
	free(app->pending.v);
	for (size_t i = 0; i < app->ninflight; i++) {
		for (size_t e = 0; e < app->inflight[i].n; e++)
			free(app->inflight[i].evs[e].json);
		free(app->inflight[i].evs);
	}
	wsl_free(app->ws);
	sim_free(app->sim);
	endpoint_clear(&app->ep);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "token-command", required_argument, NULL, 'C' },
		{ "ca-file", required_argument, NULL, 'a' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "workflows", required_argument, NULL, 'w' },
		{ "duration", required_argument, NULL, 'd' },
		{ "speed", required_argument, NULL, 'x' },
		{ "workers", required_argument, NULL, 'W' },
		{ "once", required_argument, NULL, 'o' },
		{ "events-per-second", required_argument, NULL, 'e' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "list", no_argument, NULL, 'l' },
		{ "acked-log", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct sim_app app = { .ep.where = { .host = "127.0.0.1", .port = 7681, .path = "/" },
			       .duration_s = -1 };
	app.opt = (struct sim_options){ .rate_per_min = 20, .speed = 1, .workers = 4 };
	bool have_seed = false;
	const char *token = NULL, *token_file = NULL, *token_command = NULL, *url = WS_URL_EXAMPLE;
	log_set_ident("wfmon-sim");

	int ch;
	while ((ch = getopt_long(argc, argv, "hnqvV", longopts, NULL)) != -1) {
		double v;
		char *end;
		switch (ch) {
		case 'u': {
			char cause[256];
			if (ws_url_parse(optarg, &app.ep.where, cause, sizeof cause) != 0) {
				fprintf(stderr, "wfmon-sim: bad --url '%s': %s\n", optarg, cause);
				return 2;
			}
			url = optarg;
			break;
		}
		case 't':
			token = optarg;
			break;
		case 'T':
			token_file = optarg;
			break;
		case 'C':
			token_command = optarg;
			break;
		case 'a':
			app.ep.tls.ca_file = optarg;
			break;
		case 'c':
			app.ep.tls.cert_file = optarg;
			break;
		case 'k':
			app.ep.tls.key_file = optarg;
			break;
		case 's':
			errno = 0;
			app.opt.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end) {
				fprintf(stderr, "wfmon-sim: --seed takes an unsigned integer\n");
				return 2;
			}
			have_seed = true;
			break;
		case 'r':
			if (!sim_parse_double(optarg, &app.opt.rate_per_min, 0.001)) {
				fprintf(stderr, "wfmon-sim: --rate takes a positive number per minute\n");
				return 2;
			}
			break;
		case 'w':
			app.opt.workflows = optarg;
			break;
		case 'd':
			if (!sim_parse_double(optarg, &app.duration_s, 0)) {
				fprintf(stderr, "wfmon-sim: --duration takes seconds (>= 0)\n");
				return 2;
			}
			break;
		case 'x':
			if (!sim_parse_double(optarg, &app.opt.speed, 0.001)) {
				fprintf(stderr, "wfmon-sim: --speed takes a positive factor\n");
				return 2;
			}
			break;
		case 'W':
			if (!sim_parse_double(optarg, &v, 1) || v > 10000 || v != (int)v) {
				fprintf(stderr, "wfmon-sim: --workers takes an integer 1..10000\n");
				return 2;
			}
			app.opt.workers = (int)v;
			break;
		case 'o':
			app.opt.once = optarg;
			break;
		case 'e':
			if (!sim_parse_double(optarg, &app.events_per_second, 0.001)) {
				fprintf(stderr, "wfmon-sim: --events-per-second takes a positive number\n");
				return 2;
			}
			break;
		case 'n':
			app.dry_run = true;
			break;
		case 'A':
			app.acked_log = fopen(optarg, "a");
			if (app.acked_log == NULL) {
				fprintf(stderr, "wfmon-sim: --acked-log %s: %s\n", optarg, strerror(errno));
				return 2;
			}
			break;
		case 'q':
			app.quiet = true;
			break;
		case 'v':
			app.verbose = true;
			break;
		case 'V':
			fputs(VERSION_LINE("wfmon-sim"), stdout);
			return 0;
		case 'l':
			for (size_t i = 0; i < sim_workflow_count(); i++)
				printf("%-20s %2zu steps  %s\n", sim_workflow_get(i)->id,
				       sim_workflow_get(i)->nsteps, sim_workflow_get(i)->name);
			return 0;
		case 'h':
			sim_usage(stdout);
			return 0;
		default:
			sim_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		sim_usage(stderr);
		return 2;
	}
	if (app.quiet)
		log_set_level(LOG_WARN);
	if ((token != NULL) + (token_file != NULL) + (token_command != NULL) > 1) {
		fprintf(stderr, "wfmon-sim: give one of --token, --token-file and --token-command\n");
		return 2;
	}
	if (!app.ep.where.tls && (app.ep.tls.ca_file || app.ep.tls.cert_file || app.ep.tls.key_file)) {
		fprintf(stderr, "wfmon-sim: --ca-file, --cert and --key are for TLS: use a wss:// URL\n");
		return 2;
	}
	/* Owned from here on: endpoint_clear frees them. */
	app.ep.url = xstrdup(url);
	app.ep.tls.ca_file = app.ep.tls.ca_file ? xstrdup(app.ep.tls.ca_file) : NULL;
	app.ep.tls.cert_file = app.ep.tls.cert_file ? xstrdup(app.ep.tls.cert_file) : NULL;
	app.ep.tls.key_file = app.ep.tls.key_file ? xstrdup(app.ep.tls.key_file) : NULL;
	char tcause[2 * PATH_MAX + 512];
	if (token_file)
		app.ep.token = tokensrc_file(token_file, tcause, sizeof tcause);
	else if (token_command)
		app.ep.token = tokensrc_command(token_command, tcause, sizeof tcause);
	else if (token == NULL && getenv("WFMON_TOKEN") && *getenv("WFMON_TOKEN"))
		app.ep.token = tokensrc_given(getenv("WFMON_TOKEN"));
	else if (token != NULL)
		app.ep.token = tokensrc_given(token);
	if ((token_file || token_command) && app.ep.token == NULL) {
		fprintf(stderr, "wfmon-sim: %s\n", tcause);
		endpoint_clear(&app.ep);
		return 2;
	}
	if (!have_seed && getrandom(&app.opt.seed, sizeof app.opt.seed, 0) != sizeof app.opt.seed)
		app.opt.seed = (uint64_t)clock_wall_ms() ^ ((uint64_t)getpid() << 32);
	app.opt.start_wall_ms = clock_wall_ms();

	char cause[256];
	app.sim = sim_new(&app.opt, app.dry_run ? sim_emit_print : sim_emit_queue, &app, cause,
			  sizeof cause);
	if (app.sim == NULL) {
		fprintf(stderr, "wfmon-sim: %s\n", cause);
		sim_app_free(&app);
		return 2;
	}

	struct sigaction sa = { .sa_handler = sim_on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigset_t block, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	/* Signals arrive only inside ppoll, so a check never misses one. */
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);

	int rc;
	if (app.dry_run) {
		sigprocmask(SIG_UNBLOCK, &block, NULL);
		rc = sim_run_dry(&app);
	} else {
		if (app.ep.token == NULL)
			log_warn("no token given (--token, --token-file or WFMON_TOKEN): the daemon "
				 "will probably refuse the connection");
		if (endpoint_cleartext_warning(&app.ep) != NULL && app.ep.token != NULL)
			log_warn("%s", endpoint_cleartext_warning(&app.ep));
		if (!app.quiet)
			log_info("seed %llu, publishing to %s", (unsigned long long)app.opt.seed, app.ep.url);
		rc = sim_run_live(&app, &waitmask);
	}
	sim_summary(&app);
	sim_app_free(&app);
	return rc;
}
