/* relay.h: a TCP relay for integration tests, in a child process, between
 * a client (a wfmond node) and a server (redis-server) on loopback, that
 * can lose the server's answers on demand: while losing, every byte the
 * server sends is dropped and the connection it came on is closed on both
 * sides, so that a command the server ran never gets its reply (what a
 * link that drops right after a write does). */
#ifndef WFMON_TEST_RELAY_H
#define WFMON_TEST_RELAY_H

#include <stdbool.h>
#include <sys/types.h>

struct relay {
	pid_t pid;
	int port;           /* where clients connect */
	int ready_fd;       /* the child says here that it switched */
};

/* Starts a relay to 127.0.0.1:to_port on a free loopback port; 0 or -1. */
int relay_start(struct relay *r, int to_port);
/* Losing (true) or relaying (false) from now on; waits until the relay has
 * switched. */
void relay_lose(struct relay *r, bool losing);
/* Stops the child. */
void relay_stop(struct relay *r);

#endif
