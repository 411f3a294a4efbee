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

#endif
