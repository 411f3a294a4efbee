/* sockguard.c: HTTP request deadlines and WebSocket masking (see
 * sockguard.h).
 *
 * Invariants: a guard is on the waiting list exactly while its request is
 * unfinished, and the list is in deadline order (a new deadline is almost
 * always the latest: it is inserted from the tail); one libev timer is armed
 * for the head's deadline, so a late connection is cut when its time is up,
 * not at some later tick; by_fd[fd] points to
 * the guard of the socket open as fd, set at accept and cleared at
 * WSI_DESTROY, which also frees the guard: lws never calls back for a wsi
 * after that, and recv() (or SSL_read(), over TLS) never sees that
 * descriptor for it again. */
#include "sockguard.h"

#include <ev.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "clock.h"
#include "log.h"
#include "server.h"
#include "xalloc.h"

enum guard_phase { PHASE_HTTP, PHASE_WEBSOCKET };

struct guard {
	struct lws *wsi;
	int fd;
	enum guard_phase phase;
	uint8_t tail[4];               /* the last bytes read in the HTTP phase */
	uint8_t ntail;
	struct sockguard_frames frames;
	int64_t due_us;
	bool waiting;                  /* on the list: a request is unfinished */
	struct guard *prev, *next;
};

static struct guard *head, *tail;
static struct guard **by_fd;
static size_t nby_fd;
static __thread bool loop_thread;
static struct ev_loop *guard_loop;
static ev_timer guard_timer;
static int64_t armed_us;             /* the deadline guard_timer is set for, 0: none */

static void sweep_cb(struct ev_loop *loop, ev_timer *w, int revents);

void sockguard_start(struct ev_loop *loop, struct server *s)
{
	loop_thread = true;
	guard_loop = loop;
	ev_timer_init(&guard_timer, sweep_cb, 0, 0);
	guard_timer.data = s;
}

void sockguard_stop(void)
{
	if (guard_loop != NULL)
		ev_timer_stop(guard_loop, &guard_timer);
	armed_us = 0;
	guard_loop = NULL;
	free(by_fd);
	by_fd = NULL;
	nby_fd = 0;
}

/* The timer follows the head of the list. */
static void rearm(int64_t now_us)
{
	if (guard_loop == NULL)
		return;
	int64_t due = head != NULL ? head->due_us : 0;
	if (due == armed_us)
		return;
	ev_timer_stop(guard_loop, &guard_timer);
	armed_us = due;
	if (due == 0)
		return;
	/* libev counts from the time its loop last looked at the clock. */
	ev_tstamp after = (double)(due - now_us) / 1e6 + (ev_time() - ev_now(guard_loop));
	ev_timer_set(&guard_timer, after > 0 ? after : 0, 0);
	ev_timer_start(guard_loop, &guard_timer);
}

/* ---- following frame headers ----------------------------------------------------- */

enum { F_OPCODE, F_LENGTH, F_EXTLEN, F_MASK, F_PAYLOAD };

bool sockguard_frames_feed(struct sockguard_frames *f, const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && !f->unmasked) {
		switch (f->state) {
		case F_OPCODE:
			i++;
			f->state = F_LENGTH;
			break;
		case F_LENGTH: {
			uint8_t b = p[i++];
			if (!(b & 0x80)) {
				f->unmasked = true;
				break;
			}
			uint8_t len7 = b & 0x7f;
			f->left = 0;
			if (len7 >= 126) {
				f->state = F_EXTLEN;
				f->need = len7 == 126 ? 2 : 8;
			} else {
				f->left = len7;
				f->state = F_MASK;
				f->need = 4;
			}
			break;
		}
		case F_EXTLEN:
			f->left = (f->left << 8) | p[i++];
			if (--f->need == 0) {
				f->state = F_MASK;
				f->need = 4;
			}
			break;
		case F_MASK:
			i++;
			if (--f->need == 0)
				f->state = f->left > 0 ? F_PAYLOAD : F_OPCODE;
			break;
		case F_PAYLOAD: {
			uint64_t skip = n - i < f->left ? n - i : f->left;
			i += (size_t)skip;
			f->left -= skip;
			if (f->left == 0)
				f->state = F_OPCODE;
			break;
		}
		}
	}
	return !f->unmasked;
}

/* ---- what lws reads ------------------------------------------------------------------- */

static void guard_feed(struct guard *g, const uint8_t *p, size_t n)
{
	if (g->phase == PHASE_HTTP) {
		for (size_t i = n > 4 ? n - 4 : 0; i < n; i++) {
			if (g->ntail == 4)
				memmove(g->tail, g->tail + 1, --g->ntail);
			g->tail[g->ntail++] = p[i];
		}
		return;
	}
	if (g->frames.unmasked || sockguard_frames_feed(&g->frames, p, n))
		return;
	/* Closed at once, not at its next message: ws.c looks when writable. */
	lws_callback_on_writable(g->wsi);
}

/* What the loop thread read from the accepted socket fd, in plain text. */
static void guard_saw(int fd, const void *buf, size_t n)
{
	if (loop_thread && fd >= 0 && (size_t)fd < nby_fd && by_fd[fd] != NULL)
		guard_feed(by_fd[fd], buf, n);
}

/* lws 4.1.6 reads plain sockets with recv(2); this definition in the daemon
 * comes before the C library's for every caller, so it forwards at once and
 * looks only at what the loop thread reads from an accepted socket. */
ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = recvfrom(fd, buf, len, flags, NULL, NULL);
	if (n > 0 && !(flags & MSG_PEEK))
		guard_saw(fd, buf, (size_t)n);
	return n;
}

/* ... and TLS connections with SSL_read, whose socket reads (read(2), inside
 * OpenSSL) carry cipher text: the same interposition one level up sees the
 * plain text. It forwards to SSL_read_ex, OpenSSL's same read with another
 * name, and keeps SSL_read's contract: the byte count, or <= 0 for
 * SSL_get_error (which looks at the SSL's state, not at 0 or -1). Other
 * callers (libcurl and libpq in their threads, a TLS connection to
 * PostgreSQL) pass straight through: their sockets are not accepted ones. */
int SSL_read(SSL *ssl, void *buf, int num)
{
	if (num < 0) {
		ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
		return -1;
	}
	size_t got = 0;
	if (SSL_read_ex(ssl, buf, (size_t)num, &got) <= 0)
		return 0;
	guard_saw(SSL_get_fd(ssl), buf, got);
	return (int)got;
}

/* ---- deadlines ------------------------------------------------------------------------ */

static void list_remove(struct guard *g)
{
	if (!g->waiting)
		return;
	if (g->prev)
		g->prev->next = g->next;
	else
		head = g->next;
	if (g->next)
		g->next->prev = g->prev;
	else
		tail = g->prev;
	g->prev = g->next = NULL;
	g->waiting = false;
}

void sockguard_request_start(struct lws *wsi, int64_t now_us, int64_t timeout_us)
{
	struct guard *g = lws_get_opaque_user_data(wsi);
	if (g == NULL)
		return;
	list_remove(g);
	g->due_us = now_us + timeout_us;
	g->waiting = true;
	struct guard *after = tail;
	while (after != NULL && after->due_us > g->due_us)
		after = after->prev;
	g->prev = after;
	g->next = after != NULL ? after->next : head;
	if (g->next)
		g->next->prev = g;
	else
		tail = g;
	if (after)
		after->next = g;
	else
		head = g;
	rearm(now_us);
}

void sockguard_accept(struct lws *wsi, int64_t now_us, int64_t timeout_us)
{
	struct guard *g = xcalloc(1, sizeof *g);
	g->wsi = wsi;
	g->fd = lws_get_socket_fd(wsi);
	g->phase = PHASE_HTTP;
	lws_set_opaque_user_data(wsi, g);
	if (g->fd >= 0) {
		if ((size_t)g->fd >= nby_fd) {
			size_t n = nby_fd ? nby_fd : 64;
			while (n <= (size_t)g->fd)
				n *= 2;
			by_fd = xrealloc(by_fd, sizeof *by_fd * n);
			memset(by_fd + nby_fd, 0, sizeof *by_fd * (n - nby_fd));
			nby_fd = n;
		}
		by_fd[g->fd] = g;
	}
	sockguard_request_start(wsi, now_us, timeout_us);
}

void sockguard_request_done(struct lws *wsi)
{
	struct guard *g = lws_get_opaque_user_data(wsi);
	if (g != NULL && g->waiting) {
		list_remove(g);
		rearm(clock_mono_us());
	}
}

int sockguard_websocket(struct lws *wsi)
{
	struct guard *g = lws_get_opaque_user_data(wsi);
	if (g == NULL)
		return 0;
	list_remove(g);
	rearm(clock_mono_us());
	g->phase = PHASE_WEBSOCKET;
	memset(&g->frames, 0, sizeof g->frames);
	/* The request's blank line must be the last thing read: anything after
	 * it came before our answer, and its frames cannot be followed. */
	return g->ntail == 4 && memcmp(g->tail, "\r\n\r\n", 4) == 0 ? 0 : -1;
}

bool sockguard_violated(struct lws *wsi)
{
	struct guard *g = lws_get_opaque_user_data(wsi);
	return g != NULL && g->frames.unmasked;
}

void sockguard_destroy(struct lws *wsi)
{
	struct guard *g = lws_get_opaque_user_data(wsi);
	if (g == NULL)
		return;
	if (g->waiting) {
		list_remove(g);
		rearm(clock_mono_us());
	}
	if (g->fd >= 0 && (size_t)g->fd < nby_fd && by_fd[g->fd] == g)
		by_fd[g->fd] = NULL;
	lws_set_opaque_user_data(wsi, NULL);
	free(g);
}

static void sweep_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct server *s = w->data;
	int64_t now_us = clock_mono_us();
	armed_us = 0;
	while (head != NULL && head->due_us <= now_us) {
		struct guard *g = head;
		list_remove(g);
		s->stats.http_requests_late++;
		log_info("a connection did not finish its HTTP request within %d s: closing it",
			 s->cfg.http_request_timeout_s);
		server_wsi_kill(s, g->wsi);
	}
	rearm(now_us);
}
