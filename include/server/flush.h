/* flush.h: writing the frames queued for connections to their sockets.
 *
 * A write to a socket costs about the same whatever it carries (7-12 µs of
 * kernel time on a loopback socket on the 2-core machine we measure on, most
 * of it the receiving side's TCP work, which loopback charges to the writer),
 * so frames go out in as few writes as possible:
 *
 * - everything queued for a connection is copied into one batch and sent with
 *   one write;
 * - a connection written less than write-coalesce-ms ago waits until that
 *   much time has passed, so that a busy room costs one write per interval
 *   per subscriber rather than one per event;
 * - due connections are written just before the loop next waits (a libev
 *   prepare watcher; a timer only for those that wait out write-coalesce-ms),
 *   not by asking lws for a writable callback each (that round trip cost as
 *   much again);
 * - a flush of many connections is shared with helper threads (write-threads),
 *   which only send bytes: the event loop waits for them, so lws is never
 *   entered from two threads, and it alone pops frames and touches lws.
 *
 * What a socket does not take stays in the connection's bounded queue (or,
 * for the rest of a frame that went out in part, in lws, which sends it before
 * anything else), so a slow consumer still fills its queue and is cut off.
 *
 * Everything here runs on the event loop's thread. */
#ifndef WFMON_FLUSH_H
#define WFMON_FLUSH_H

#include <stdbool.h>

struct conn;
struct ev_loop;

/* Flushes from `loop`'s prepare watcher and timer, with `helpers` helper threads (0: the loop
 * writes alone). Returns -1 if no helper could be started (the loop then
 * writes alone). */
int flush_start(struct ev_loop *loop, unsigned helpers);
void flush_stop(void);

/* Something was queued for c: it goes out now (at_once: an answer, which
 * takes the queued events with it) or once write-coalesce-ms have passed since
 * c's last write. */
void flush_wake(struct conn *c, bool at_once);
/* Forgets a closing connection. */
void flush_forget(struct conn *c);
/* lws says c's socket is writable: writes what is queued, or the close frame
 * once nothing is. Returns -1 when lws is to close the connection. */
int flush_on_writable(struct conn *c);

#endif
