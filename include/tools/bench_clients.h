/* bench_clients.h: what receiving costs each WebSocket client of wfmon, the
 * measured reason wfmon-bench keeps the lean client (wsclient.h) while every
 * other program uses libwebsockets' (wslink.h).
 *
 * Against a running wfmond, one client kind after the other, back to back:
 * `subscribers` connections of that kind subscribe to one room, a publisher
 * sends `rate` events a second to it for `seconds`, and this process's CPU
 * time (getrusage: user and kernel) is divided by the deliveries received.
 * The publisher is the same lean connection in both runs, so the difference
 * is the clients'. Plain ws:// or wss://, as the URL says. */
#ifndef WFMON_BENCH_CLIENTS_H
#define WFMON_BENCH_CLIENTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct ssl_ctx_st SSL_CTX;

struct bench_clients_options {
	const char *host;
	int port;
	const char *path;
	SSL_CTX *tls;             /* the lean client's context over TLS, or NULL */
	const char *ca_file;      /* for libwebsockets' client over TLS */
	const char *viewer_token;
	const char *producer_token;
	long subscribers;
	double rate;              /* events a second */
	double seconds;
};

struct bench_clients_result {
	const char *client;       /* "lean", "libwebsockets" */
	uint64_t deliveries;
	uint64_t expected;
	double cpu_us_per_delivery;
	double deliveries_per_s;
};

/* Runs both kinds; fills out[2]. -1 with a message in err. */
int bench_clients_measure(const struct bench_clients_options *o, struct bench_clients_result out[2], char *err,
			  size_t errlen);

#endif
