/* sockguard.h: what every accepted socket must do that lws 4.1.6 does not
 * hold it to, or holds it to late.
 *
 * Finish its HTTP request in time: a connection has http-request-timeout
 * seconds (10 by default) from its accept to finish its request (the
 * headers, a POST's body, or the WebSocket upgrade), and as long again after
 * each keep-alive answer for its next one. One that trickles its bytes
 * (slowloris) or sends nothing is cut when its time is up. lws has header
 * timeouts of its own but serves them from a libev timer it does not move
 * earlier, so they fire late in a quiet daemon.
 *
 * Mask its WebSocket frames: RFC 6455 (5.1) says a server must close a
 * connection that sends an unmasked frame, with 1002; lws 4.1.6 accepts them
 * (later versions refuse them). wfmond sees every byte lws reads from a
 * socket, on the loop thread, through the recv() defined in sockguard.c (lws
 * reads plain sockets with recv; every other caller, and every other thread,
 * gets the C library's recv unchanged), or, over TLS, through the SSL_read()
 * defined there (lws reads TLS connections with it; the plain text is what
 * the check needs), and follows the frame headers of each WebSocket: a frame
 * without the mask bit marks its connection, which ws.c closes with 1002 at
 * once. A client that sends anything after its upgrade request before the
 * 101 answer (RFC 6455 4.1) is refused the same way, since its frames could
 * not be followed from their start. The HTTP deadline runs from the accept,
 * before a TLS handshake, so a client that never finishes its handshake is
 * cut like one that never finishes its request.
 *
 * A guard hangs on its wsi (lws's opaque user data) from accept to
 * LWS_CALLBACK_WSI_DESTROY; a libev timer of the loop cuts the late. Loop
 * thread only. */
#ifndef WFMON_SOCKGUARD_H
#define WFMON_SOCKGUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct lws;
struct server;

/* Starts on the calling thread (the event loop's: recv()'s check follows
 * it) and loop. */
void sockguard_start(struct ev_loop *loop, struct server *s);
void sockguard_stop(void);

/* A connection was accepted; its first request is due within timeout_us. */
void sockguard_accept(struct lws *wsi, int64_t now_us, int64_t timeout_us);
/* Answered and kept alive: the next request is due within timeout_us. */
void sockguard_request_start(struct lws *wsi, int64_t now_us, int64_t timeout_us);
/* Its request is complete. */
void sockguard_request_done(struct lws *wsi);
/* It became a WebSocket: its frames are checked from here on. Returns -1 when
 * it sent bytes after its upgrade request, before the answer (refuse it, 1002). */
int sockguard_websocket(struct lws *wsi);
/* It sent an unmasked frame (close it, 1002). */
bool sockguard_violated(struct lws *wsi);
/* The connection is gone (LWS_CALLBACK_WSI_DESTROY). */
void sockguard_destroy(struct lws *wsi);

/* The frame-header follower, on its own for tests: feed a client's stream
 * from a frame boundary, in any pieces; false at the first unmasked frame
 * (and from then on). */
struct sockguard_frames {
	uint8_t state;          /* where in a frame the next byte falls */
	uint8_t need;           /* header bytes still to come in this state */
	uint64_t left;          /* payload bytes still to skip */
	bool unmasked;
};
bool sockguard_frames_feed(struct sockguard_frames *f, const uint8_t *p, size_t n);

#endif
