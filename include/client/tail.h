/* tail.h: `wfmon tail`: follow rooms and print every message as a JSON line.
 *
 * Connects with libwebsockets' client (wslink.h), subscribes to each room,
 * writes each message it receives to the output as one compact JSON line and
 * flushes it, and reconnects with backoff (0.5 s doubling to 15 s, jittered),
 * resubscribing each room with "since" set to the last position it saw there;
 * renews the token before it expires when a token file or command gives
 * fresh ones (endpoint.h).
 * Command-line parsing and the token/URL lookup live in main.c; this module
 * gets the resolved values. */
#ifndef WFMON_TAIL_H
#define WFMON_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TAIL_MAX_ROOMS 64

/* Exit statuses of `wfmon tail`. */
enum tail_exit {
	TAIL_EXIT_OK = 0,      /* stopped by SIGINT/SIGTERM, a normal close, or a closed output */
	TAIL_EXIT_FAILED = 1,  /* the server refused the token or the connection for good */
	TAIL_EXIT_USAGE = 2,
};

struct tail_room {
	const char *name;      /* canonical room name (proto_room_format) */
	bool has_since;        /* resume after since on the first subscribe */
	int64_t since;
};

struct endpoint;

/* Everything is borrowed and must outlive tail_run. */
struct tail_options {
	struct endpoint *ep;   /* where and as whom (its token is renewed) */
	const struct tail_room *rooms;
	size_t nrooms;         /* 1..TAIL_MAX_ROOMS */
	FILE *out;             /* stdout if NULL */
};

/* Runs until SIGINT or SIGTERM, a close the server means for good, or an
 * output error; messages for the user go to stderr. Returns an enum tail_exit. */
int tail_run(const struct tail_options *opt);

#endif
