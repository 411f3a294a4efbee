/* tail.c: the `wfmon tail` loop.
 *
 * Owns one connection at a time and its reconnect state machine:
 *   CONNECTING (TCP + upgrade, bounded by TAIL_CONNECT_TIMEOUT_MS)
 *     -> OPEN (subscriptions sent; printing)
 *     -> BACKOFF (timer) -> CONNECTING ...
 * with exactly one pending wait: the socket, or the backoff timer. Invariants:
 * the per-room position only moves forward; a resubscription always carries
 * the last position seen; SIGINT and SIGTERM are blocked except inside ppoll,
 * so they can never be lost between the check of the flag and the wait. */
#include "tail.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "endpoint.h"
#include "fmt.h"
#include "proto.h"
#include "reconnect.h"
#include "version.h"
#include "wslink.h"
#include "xalloc.h"

#define TAIL_CLOSE_WAIT_MS 500

enum tail_state { TAIL_CONNECTING, TAIL_OPEN, TAIL_BACKOFF };

struct tail_pos {
	bool known;
	int64_t seq;
};

struct tail {
	const struct tail_options *opt;
	FILE *out;
	enum tail_state state;
	struct wsl *conn;
	struct tail_pos pos[TAIL_MAX_ROOMS];
	int64_t deadline_us;      /* CONNECTING: give up; BACKOFF: connect again */
	int64_t opened_us;
	struct backoff backoff;
	int exit_code;
	bool done;
	char renew_error[320];    /* the last renewal failure said */
};

static volatile sig_atomic_t tail_signalled;

static void tail_on_signal(int sig)
{
	(void)sig;
	tail_signalled = 1;
}

static void tail_schedule_retry(struct tail *t, const char *why)
{
	int delay = backoff_next(&t->backoff);
	t->state = TAIL_BACKOFF;
	t->deadline_us = clock_mono_us() + (int64_t)delay * 1000;
	char in[FMT_MAX];
	fmt_duration(FMT_EN, delay, in, sizeof in);
	fprintf(stderr, "wfmon: %s; reconnecting to %s in %s\n", why, t->opt->ep->url, in);
}

static void tail_connect(struct tail *t)
{
	struct wsl_config cfg;
	endpoint_link(t->opt->ep, &cfg);
	char cause[256];
	t->conn = wsl_new(&cfg, cause, sizeof cause);
	if (t->conn == NULL) {
		tail_schedule_retry(t, cause);
		return;
	}
	t->state = TAIL_CONNECTING;
	t->deadline_us = clock_mono_us() + (int64_t)RECONNECT_CONNECT_TIMEOUT_MS * 1000;
}

static void tail_drop(struct tail *t)
{
	wsl_free(t->conn);
	t->conn = NULL;
}

#define TAIL_HELLO_ID "hello"

/* Sends text (takes it; NULL: out of memory, fatal). Returns -1 when the
 * connection's buffer refuses it. */
static int tail_send(struct tail *t, char *text, const char *what)
{
	if (text == NULL)
		fatal("cannot encode a %s request", what);
	int rc = wsl_send_text(t->conn, text, strlen(text));
	free(text);
	return rc != 0 ? -1 : 0;
}

/* Says that tail prints pending events (a cluster node's own, while its
 * Redis is away: wfmon(1)), then sends one subscribe per room; "since" when
 * a position is known. */
static int tail_subscribe_all(struct tail *t)
{
	if (tail_send(t, proto_hello_request_new(TAIL_HELLO_ID, "wfmon " WFMON_VERSION, true), "hello") != 0)
		return -1;
	for (size_t i = 0; i < t->opt->nrooms; i++) {
		char id[32];
		snprintf(id, sizeof id, "tail-%zu", i);
		json_t *req = json_pack("{s:s, s:s, s:s}", "type", "subscribe", "id", id, "room",
					t->opt->rooms[i].name);
		if (req == NULL)
			fatal("cannot build a subscribe request");
		if (t->pos[i].known)
			json_object_set_new(req, "since", json_integer(t->pos[i].seq));
		char *text = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		if (tail_send(t, text, "subscribe") != 0)
			return -1;
	}
	return 0;
}

static int tail_room_index(const struct tail *t, const char *room)
{
	for (size_t i = 0; i < t->opt->nrooms; i++)
		if (strcmp(t->opt->rooms[i].name, room) == 0)
			return (int)i;
	return -1;
}

/* Remembers how far each room has come, from "event" and "subscribed"; names
 * the room of a refused subscription on stderr (the error itself is printed
 * like any other message). */
static void tail_track(struct tail *t, json_t *msg)
{
	const char *type = json_string_value(json_object_get(msg, "type"));
	if (type == NULL)
		return;
	if (strcmp(type, "error") == 0) {
		const char *id = json_string_value(json_object_get(msg, "id"));
		size_t idx;
		if (id != NULL && sscanf(id, "tail-%zu", &idx) == 1 && idx < t->opt->nrooms) {
			const char *text = json_string_value(json_object_get(msg, "message"));
			fprintf(stderr, "wfmon: subscribing to %s failed: %s\n",
				t->opt->rooms[idx].name, text ? text : "no reason given");
		}
		return;
	}
	if (strcmp(type, "event") != 0 && strcmp(type, "subscribed") != 0)
		return;
	const char *room = json_string_value(json_object_get(msg, "room"));
	json_t *seq = json_object_get(msg, "seq");
	int i = room ? tail_room_index(t, room) : -1;
	if (i < 0 || !json_is_integer(seq))
		return;
	int64_t s = (int64_t)json_integer_value(seq);
	if (!t->pos[i].known || s > t->pos[i].seq) {
		t->pos[i].known = true;
		t->pos[i].seq = s;
	}
}

/* Prints one message as a compact JSON line. Returns -1 when the output is
 * gone (the caller stops). */
static int tail_print(struct tail *t, const char *data, size_t len)
{
	json_error_t err;
	json_t *msg = json_loadb(data, len, JSON_DECODE_ANY, &err);
	if (msg == NULL) {
		fprintf(stderr, "wfmon: ignoring a message that is not JSON (%zu bytes): %s\n", len,
			err.text);
		return 0;
	}
	/* The answer to its hello (or an older daemon's refusal of it) is
	 * tail's own business, as is the answer to an in-band token renewal. */
	const char *id = json_string_value(json_object_get(msg, "id"));
	if (id != NULL && strcmp(id, TAIL_HELLO_ID) == 0) {
		json_decref(msg);
		return 0;
	}
	if (id != NULL && strcmp(id, "auth") == 0) {
		if (strcmp(json_string_value(json_object_get(msg, "type")) ?: "", "error") == 0)
			fprintf(stderr, "wfmon: the daemon refused the fresh token: %s\n",
				json_string_value(json_object_get(msg, "message")) ?: "no reason given");
		json_decref(msg);
		return 0;
	}
	tail_track(t, msg);
	/* The daemon's own text, byte for byte, unless it spans lines. */
	char *line = NULL;
	if (memchr(data, '\n', len) != NULL) {
		line = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
		if (line == NULL) {
			json_decref(msg);
			return 0;
		}
		data = line;
		len = strlen(line);
	}
	json_decref(msg);
	int rc = 0;
	if (fwrite(data, 1, len, t->out) != len || fputc('\n', t->out) == EOF ||
	    fflush(t->out) == EOF) {
		if (errno != EPIPE) {
			fprintf(stderr, "wfmon: cannot write to the output: %s\n", strerror(errno));
			t->exit_code = TAIL_EXIT_FAILED;
		}
		rc = -1;
	}
	free(line);
	return rc;
}

static void tail_on_closed(struct tail *t)
{
	char why[512];
	enum reconnect_verdict verdict = reconnect_explain(wsl_http_status(t->conn),
							   wsl_close_code(t->conn), wsl_error(t->conn),
							   "client", why, sizeof why);
	if (verdict == RECONNECT_FAIL || verdict == RECONNECT_STOP) {
		fprintf(stderr, "wfmon: %s\n", why);
		if (verdict == RECONNECT_FAIL)
			t->exit_code = TAIL_EXIT_FAILED;
		t->done = true;
		tail_drop(t);
		return;
	}
	if (t->state == TAIL_OPEN &&
	    clock_mono_us() - t->opened_us >= (int64_t)RECONNECT_HEALTHY_MS * 1000)
		backoff_reset(&t->backoff);
	tail_drop(t);
	tail_schedule_retry(t, why);
}

/* Handles what the socket allows, then every complete message. */
static void tail_service(struct tail *t, short revents)
{
	wsl_io(t->conn, revents);
	if (t->state == TAIL_CONNECTING && wsl_state(t->conn) == WSL_OPEN) {
		t->state = TAIL_OPEN;
		t->opened_us = clock_mono_us();
		fprintf(stderr, "wfmon: connected to %s\n", t->opt->ep->url);
		if (tail_subscribe_all(t) != 0) {
			tail_drop(t);
			tail_schedule_retry(t, "cannot queue the subscriptions");
			return;
		}
	}
	const char *data;
	size_t len;
	while (wsl_next(t->conn, &data, &len) == 1) {
		if (tail_print(t, data, len) != 0) {
			t->done = true;
			return;
		}
	}
	if (wsl_state(t->conn) == WSL_CLOSED)
		tail_on_closed(t);
}

static int tail_timeout_ms(const struct tail *t)
{
	int ms = -1;
	if (t->state != TAIL_OPEN) {
		int64_t left = t->deadline_us - clock_mono_us();
		ms = left <= 0 ? 0 : (int)((left + 999) / 1000);
	}
	int other[2] = { t->conn ? wsl_timeout_ms(t->conn) : -1,
			 tokensrc_timeout_ms(t->opt->ep->token, clock_wall_ms()) };
	for (int i = 0; i < 2; i++)
		if (other[i] >= 0 && (ms < 0 || other[i] < ms))
			ms = other[i];
	return ms;
}

/* A fresh token before the current one ends, sent in-band while open; a
 * failure is said once per sentence on stderr. */
static void tail_renew(struct tail *t)
{
	char err[320];
	if (endpoint_renew(t->opt->ep, t->state == TAIL_OPEN ? t->conn : NULL, clock_wall_ms(), err,
			   sizeof err) == TOKENSRC_FAILED && strcmp(err, t->renew_error) != 0) {
		fprintf(stderr, "wfmon: %s\n", err);
		snprintf(t->renew_error, sizeof t->renew_error, "%s", err);
	}
}

static void tail_on_timer(struct tail *t)
{
	if (clock_mono_us() < t->deadline_us)
		return;
	if (t->state == TAIL_BACKOFF) {
		tail_connect(t);
	} else if (t->state == TAIL_CONNECTING) {
		tail_drop(t);
		char why[64];
		snprintf(why, sizeof why, "no answer within %d s", RECONNECT_CONNECT_TIMEOUT_MS / 1000);
		tail_schedule_retry(t, why);
	}
}

/* Says goodbye properly when stopped by a signal; bounded, never waits long. */
static void tail_close_politely(struct tail *t)
{
	if (t->conn == NULL)
		return;
	if (wsl_state(t->conn) == WSL_OPEN && wsl_send_close(t->conn, 1000) == 0)
		wsl_wait_flushed(t->conn, TAIL_CLOSE_WAIT_MS);
	tail_drop(t);
}

int tail_run(const struct tail_options *opt)
{
	if (opt->nrooms == 0 || opt->nrooms > TAIL_MAX_ROOMS)
		return TAIL_EXIT_USAGE;

	struct tail t = {
		.opt = opt,
		.out = opt->out ? opt->out : stdout,
		.exit_code = TAIL_EXIT_OK,
	};
	backoff_init(&t.backoff, RECONNECT_BACKOFF_MIN_MS, RECONNECT_BACKOFF_MAX_MS,
		     (unsigned)getpid() ^ (unsigned)clock_mono_us());
	for (size_t i = 0; i < opt->nrooms; i++) {
		t.pos[i].known = opt->rooms[i].has_since;
		t.pos[i].seq = opt->rooms[i].since;
	}

	sigset_t block, orig;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	struct sigaction sa = { .sa_handler = tail_on_signal }, old_int, old_term, old_pipe;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	/* A reader that goes away shows up as EPIPE from the write, not a kill. */
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old_pipe);
	tail_signalled = 0;

	tail_connect(&t);
	while (!t.done && !tail_signalled) {
		struct pollfd pfd = { .fd = -1 };
		if (t.conn != NULL) {
			pfd.fd = wsl_fd(t.conn);
			pfd.events = wsl_poll_events(t.conn);
		}
		int ms = tail_timeout_ms(&t);
		struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
		int n = ppoll(&pfd, 1, ms < 0 ? NULL : &ts, &orig);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "wfmon: poll failed: %s\n", strerror(errno));
			t.exit_code = TAIL_EXIT_FAILED;
			break;
		}
		if (t.conn != NULL)
			tail_service(&t, n > 0 ? pfd.revents : 0);
		if (!t.done)
			tail_on_timer(&t);
		if (!t.done)
			tail_renew(&t);
	}
	tail_close_politely(&t);

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return t.exit_code;
}
