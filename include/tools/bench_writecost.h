/* bench_writecost.h: what one write to a loopback TCP socket costs on this
 * machine, the figure behind the fan-out goals.
 *
 * Opens `connections` connected pairs of loopback TCP sockets, drains the far
 * ends on a reader thread (as subscribers would), and writes to each near end
 * in turn: one frame per write, then `frames` frames per write, measuring the
 * writing thread's CPU time (user and kernel, which on loopback includes the
 * receiving side's TCP work). The daemon's CPU per delivery is about this cost
 * divided by the frames each of its writes carries. */
#ifndef WFMON_BENCH_WRITECOST_H
#define WFMON_BENCH_WRITECOST_H

#include <stdbool.h>
#include <stddef.h>

struct writecost {
	long connections;
	size_t frame_bytes;
	unsigned frames;            /* frames per write in the second measurement */
	double us_per_write_one;    /* CPU per write of one frame */
	double us_per_write_many;   /* CPU per write of `frames` frames */
};

/* Measures w->connections x w->frame_bytes x w->frames (set by the caller).
 * Returns -1 with a message in err if the sockets could not be set up. */
int writecost_measure(struct writecost *w, char *err, size_t errlen);

/* The floor under a server's CPU per event on the ingest shape: a server
 * thread that makes only the system calls any server must make (wait,
 * read a publish, write its acknowledgement, write each event to its
 * subscriber) and nothing else (no WebSocket framing, no JSON, no routing).
 * Producers write fixed-size publishes of `batch` events at `rate` events/s,
 * round-robin over `publishers` connections; each event goes to the next of
 * `subscribers` connections. With two CPUs or more the server thread runs on
 * CPU 0 and the load (the producer and the readers) on CPU 1, as the ingest
 * benchmark pins the daemon and wfmon-bench. */
struct writecost_floor {
	long subscribers, publishers, batch;
	double rate, warmup_s, seconds;
	size_t publish_bytes, ack_bytes, frame_bytes;
	/* results */
	long events;                 /* delivered while measured */
	double server_us_per_event;  /* the server thread's CPU (user + kernel) */
	double syscalls_per_event;
	bool pinned;
};

/* Runs f (inputs set by the caller); -1 with a message in err on failure. */
int writecost_floor(struct writecost_floor *f, char *err, size_t errlen);

#endif
