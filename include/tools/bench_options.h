/* bench_options.h: wfmon-bench's command line: what a run is asked to do,
 * parsed from --name VALUE or --name=VALUE, each bounded (a number out of
 * its range is refused, naming the option), with the checks that tie them
 * (a fan-out run needs its tokens, --idle needs --daemon-pid). */
#ifndef WFMON_BENCH_OPTIONS_H
#define WFMON_BENCH_OPTIONS_H

#include <stdio.h>

struct options {
	const char *url;
	const char *publish_url;   /* NULL: the publishers use url too */
	const char *token_file;
	const char *producer_token_file;
	const char *ack_gaps;    /* NULL: none */
	const char *ca_file;     /* wss://: trust this CA; NULL: the system's */
	const char *framing;     /* "wfmon" (NULL) or "socketio" */
	long subscribers;
	long rooms;
	long publishers;
	long batch;          /* 0: as many as are due per tick, at most BENCH_AUTO_BATCH */
	long daemon_pid;     /* 0: none */
	long idle;           /* 0: fan-out mode */
	long write_cost;     /* nonzero: measure the write cost on that many sockets */
	long floor;          /* nonzero: the syscall floor of the ingest shape, that many events a publish */
	long client_cost;    /* nonzero: compare the clients' receiving cost with that many subscribers */
	double rate;
	double duration;
	double warmup;
	double idle_seconds;
};

/* Fills o from argv (defaults first). Returns 0, 1 after --help, 2 after
 * --version, or -1 with the error logged. */
int bench_options_parse(struct options *o, int argc, char **argv);
/* The usage text, one line per option. */
void bench_options_usage(FILE *out);

#endif
