/* bench_options.c: wfmon-bench's command line (see bench_options.h). */
#include "bench_options.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"


enum opt_kind { OPT_STR, OPT_LONG, OPT_DOUBLE };

static const struct opt_def {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	double min, max;
	const char *arg;
	const char *help;
} opt_defs[] = {
	{ "url", OPT_STR, offsetof(struct options, url), 0, 0, "URL",
	  "the daemon: ws://HOST:PORT, or wss://HOST:PORT over TLS" },
	{ "publish-url", OPT_STR, offsetof(struct options, publish_url), 0, 0, "URL",
	  "the publishers' daemon, when not --url's (another node of a cluster: cross-node delivery)" },
	{ "ca-file", OPT_STR, offsetof(struct options, ca_file), 0, 0, "FILE",
	  "wss://: the CA that signed the daemon's certificate (default: the system's CAs)" },
	{ "framing", OPT_STR, offsetof(struct options, framing), 0, 0, "wfmon|socketio",
	  "how messages travel: wfmon.v1 text frames (the default), or each as the Socket.IO event \"m\" "
	  "(the reference server tests/bench/ref_server.js)" },
	{ "token-file", OPT_STR, offsetof(struct options, token_file), 0, 0, "FILE",
	  "viewer token for the subscribers" },
	{ "producer-token-file", OPT_STR, offsetof(struct options, producer_token_file), 0, 0,
	  "FILE", "producer token for the publishers" },
	{ "subscribers", OPT_LONG, offsetof(struct options, subscribers), 1, 1000000, "N",
	  "subscriber connections (100)" },
	{ "rooms", OPT_LONG, offsetof(struct options, rooms), 1, 100000, "K",
	  "rooms execution:bench-0..K-1, subscribed round-robin (1)" },
	{ "rate", OPT_DOUBLE, offsetof(struct options, rate), 0.001, 10000000, "EVENTS_PER_S",
	  "total published events per second (100)" },
	{ "duration", OPT_DOUBLE, offsetof(struct options, duration), 0.1, 86400, "S",
	  "measured seconds (10)" },
	{ "warmup", OPT_DOUBLE, offsetof(struct options, warmup), 0, 3600, "S",
	  "seconds of publishing before the measurement (1)" },
	{ "publishers", OPT_LONG, offsetof(struct options, publishers), 1, 1000, "P",
	  "publisher connections (1)" },
	{ "batch", OPT_LONG, offsetof(struct options, batch), 1, PROTO_MAX_BATCH, "B",
	  "events per publish (default: what is due each ms, <= 100)" },
	{ "daemon-pid", OPT_LONG, offsetof(struct options, daemon_pid), 1, 4194304, "PID",
	  "sample the daemon's CPU and RSS from /proc" },
	{ "idle", OPT_LONG, offsetof(struct options, idle), 1, 1000000, "N",
	  "instead: N idle subscribers, report the daemon's RSS per connection" },
	{ "idle-seconds", OPT_DOUBLE, offsetof(struct options, idle_seconds), 0.5, 3600, "S",
	  "how long the idle subscribers stay, the daemon's CPU measured meanwhile (2)" },
	{ "write-cost", OPT_LONG, offsetof(struct options, write_cost), 1, 100000, "N",
	  "instead: the CPU one write costs on N loopback sockets here (no daemon)" },
	{ "floor", OPT_LONG, offsetof(struct options, floor), 1, PROTO_MAX_BATCH, "B",
	  "instead: the least CPU a server spends per event on this shape (B events a publish; "
	  "--subscribers, --publishers, --rate, --duration): its system calls alone, no daemon" },
	{ "client-cost", OPT_LONG, offsetof(struct options, client_cost), 1, 100000, "N",
	  "instead: N subscribers with the lean client, then N with libwebsockets', the CPU each costs per delivery" },
	{ "ack-gaps", OPT_STR, offsetof(struct options, ack_gaps), 0, 0, "FILE",
	  "write every gap over 10 ms between two acknowledgements as \"WALL_MS GAP_MS\"" },
};

void bench_options_usage(FILE *out)
{
	fprintf(out, "usage: wfmon-bench --url URL --token-file FILE "
		     "--producer-token-file FILE [options]\n"
		     "       wfmon-bench --url URL --token-file FILE --idle N "
		     "--daemon-pid PID\n"
		     "       wfmon-bench --help | --version\n");
	for (size_t i = 0; i < sizeof opt_defs / sizeof opt_defs[0]; i++)
		fprintf(out, "  --%s %s\n\t%s\n", opt_defs[i].name, opt_defs[i].arg,
			opt_defs[i].help);
	fprintf(out, "Prints one JSON line on stdout; see wfmon-bench(1).\n");
}

static int opt_set(struct options *o, const struct opt_def *d, const char *val)
{
	char *base = (char *)o + d->offset;
	char *end;
	errno = 0;
	switch (d->kind) {
	case OPT_STR:
		*(const char **)base = val;
		return 0;
	case OPT_LONG: {
		long v = strtol(val, &end, 10);
		if (errno || end == val || *end || v < d->min || v > d->max)
			break;
		*(long *)base = v;
		return 0;
	}
	case OPT_DOUBLE: {
		double v = strtod(val, &end);
		if (errno || end == val || *end || !(v >= d->min && v <= d->max))
			break;
		*(double *)base = v;
		return 0;
	}
	}
	log_error("--%s: '%s' is not a number in %g..%g", d->name, val, d->min, d->max);
	return -1;
}

int bench_options_parse(struct options *o, int argc, char **argv)
{
	*o = (struct options){ .subscribers = 100, .rooms = 1, .publishers = 1, .rate = 100,
			       .duration = 10, .warmup = 1, .idle_seconds = 2 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return 1;
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)
			return 2;
		if (strncmp(a, "--", 2) != 0) {
			log_error("unexpected argument '%s' (see --help)", a);
			return -1;
		}
		const char *name = a + 2;
		const char *eq = strchr(name, '=');
		size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
		const struct opt_def *d = NULL;
		for (size_t k = 0; k < sizeof opt_defs / sizeof opt_defs[0]; k++) {
			if (strlen(opt_defs[k].name) == nlen &&
			    strncmp(opt_defs[k].name, name, nlen) == 0)
				d = &opt_defs[k];
		}
		if (d == NULL) {
			log_error("unknown option '%s' (see --help)", a);
			return -1;
		}
		const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
		if (val == NULL) {
			log_error("--%s needs a value", d->name);
			return -1;
		}
		if (opt_set(o, d, val) < 0)
			return -1;
	}
	if (o->write_cost > 0 || o->floor > 0)
		return 0;
	if (o->framing != NULL && strcmp(o->framing, "wfmon") != 0 && strcmp(o->framing, "socketio") != 0) {
		log_error("--framing: '%s' is neither wfmon nor socketio", o->framing);
		return -1;
	}
	if (o->url == NULL || o->token_file == NULL) {
		log_error("--url and --token-file are required (see --help)");
		return -1;
	}
	if (o->idle > 0 && o->daemon_pid == 0) {
		log_error("--idle needs --daemon-pid: it measures the daemon's memory");
		return -1;
	}
	if (o->idle == 0 && o->producer_token_file == NULL) {
		log_error("--producer-token-file is required to publish");
		return -1;
	}
	return 0;
}

