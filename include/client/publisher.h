/* publisher.h: a producer's link to wfmond, for programs that report
 * executions (wfmon run, wfmon step, wfmon emit, wfmon-bullmq): a bounded
 * queue of events, published over one WebSocket with acknowledgements,
 * reconnecting with backoff, speaking the daemon's revision.
 *
 * Non-blocking, like wsclient.h: the caller polls publisher_fd() for
 * publisher_poll_events() until publisher_timeout_ms(), then calls
 * publisher_io(). On connecting it asks "hello"; a daemon of an earlier
 * revision gets every event through proto_event_downgrade (events it cannot
 * express are left out and counted). Events are sent in the order added, at
 * most PUBLISHER_WINDOW publishes unacknowledged; an event the daemon refuses
 * for good (bad_request, forbidden, too_large) is counted and logged, never
 * resent; one it cannot take now (unavailable, rate_limited, a lost link) goes
 * back to the front of the queue and is sent again later under the same id,
 * which the daemon recognises as a retry.
 *
 * Ownership: publisher_new returns a publisher the caller frees with
 * publisher_free; publisher_add takes the event. */
#ifndef WFMON_PUBLISHER_H
#define WFMON_PUBLISHER_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PUBLISHER_WINDOW 4
#define PUBLISHER_BATCH 200

struct publisher;

struct publisher_config {
	const char *host;
	int port;
	const char *path;
	const char *token;
	SSL_CTX *tls;                /* wss://: the context (borrowed, outlives the publisher); NULL: plain */
	const char *tls_ca_file;     /* its CA file, for messages; NULL: the system's */
	const char *client;          /* named in the hello, e.g. "wfmon-bullmq 0.2" */
	bool join_control;           /* subscribe to the "control" room */
	size_t max_queued;           /* events waiting or in flight; 0: 10000 */
	/* A message of the control room (parsed, borrowed). May be NULL. */
	void (*on_control)(json_t *msg, void *arg);
	void *arg;
};

enum publisher_state { PUB_DISCONNECTED, PUB_CONNECTING, PUB_HELLO, PUB_READY };

struct publisher *publisher_new(const struct publisher_config *cfg);
void publisher_free(struct publisher *p);

/* Queues an event (taken). Returns its sequence number (1, 2, ...), or 0 when
 * the queue is full (the event is dropped: the caller holds back instead). */
uint64_t publisher_add(struct publisher *p, json_t *event);
/* Events queued or in flight. */
size_t publisher_pending(const struct publisher *p);
/* Every event with a sequence number up to this one was acknowledged or
 * refused for good: nothing before it will be sent again. */
uint64_t publisher_settled_through(const struct publisher *p);

int publisher_fd(const struct publisher *p);             /* -1 while there is no socket */
short publisher_poll_events(const struct publisher *p);
/* Milliseconds until publisher_io must be called even without I/O (a
 * reconnect, a retry after "unavailable"); -1: no timer. */
int publisher_timeout_ms(const struct publisher *p, int64_t now_ms);
/* Does the I/O revents allow and whatever timers are due. */
void publisher_io(struct publisher *p, short revents, int64_t now_ms);
/* Waits (polls) up to timeout_ms until everything queued is settled or the
 * daemon cannot be reached; returns 0 when nothing is pending. For programs
 * with nothing else to do. */
int publisher_drain(struct publisher *p, int timeout_ms);

enum publisher_state publisher_state(const struct publisher *p);
/* Why the last connection ended or failed, "" if none did. */
const char *publisher_error(const struct publisher *p);
/* True once some connection answered a hello (reached PUB_READY). */
bool publisher_ever_ready(const struct publisher *p);
/* The daemon's revision (1 for a daemon before the hello), 0 before a hello. */
int publisher_revision(const struct publisher *p);

struct publisher_stats {
	uint64_t added, accepted, duplicates, refused, downgraded_out, dropped_full;
};
void publisher_get_stats(const struct publisher *p, struct publisher_stats *out);

/* Takes the events not yet settled, oldest first; those with a sequence
 * number above after_seq go to out as compact JSON texts (malloc'd, at most
 * max). All of them leave the publisher. Returns how many went to out. */
size_t publisher_take_unsent(struct publisher *p, uint64_t after_seq, char **out, size_t max);

#endif
