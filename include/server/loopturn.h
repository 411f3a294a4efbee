/* loopturn.h: how long each turn of the daemon's event loop takes, from the
 * poll's return to the next poll (the callbacks, the writes), so that "the
 * event loop never blocks" is measured: /metrics shows a histogram of the
 * turns and the longest one. One loop a process; loop thread only. */
#ifndef WFMON_LOOPTURN_H
#define WFMON_LOOPTURN_H

#include <ev.h>
#include <stdio.h>

void loopturn_start(struct ev_loop *loop);
void loopturn_stop(struct ev_loop *loop);
/* wfmond_loop_turn_seconds (histogram), wfmond_loop_turn_max_seconds, and
 * the loop thread's CPU time and time waiting for a CPU (from the kernel).
 * Call on the loop's thread. */
void loopturn_metrics_write(FILE *f);

#endif
