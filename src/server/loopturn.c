/* loopturn.c: the event loop's turns (see loopturn.h). A check watcher of
 * the highest priority stamps the poll's return; a prepare watcher of the
 * lowest runs after every other one (flush.c's writes included) and counts
 * the turn: two reads of the monotonic clock a turn (vDSO, ~30 ns here).
 * Whether long turns were busy or waiting for a CPU comes from the
 * kernel's own count for the loop's thread (/proc/thread-self/schedstat:
 * time run, time waited on a run queue), read only when /metrics is asked:
 * a thread CPU clock read each turn cost 1.5 us a call on this machine. */
#include "loopturn.h"

#include <stdint.h>

#include "clock.h"
#include "promtext.h"

static const unsigned turn_bounds_ms[] = { 1, 5, 10, 25, 50, 100, 250, 1000 };
static ev_check turn_begin;
static ev_prepare turn_end;
static int64_t begun_us;          /* 0: no turn under way */
static uint64_t turns, turn_us_total, turn_us_max, turn_le[sizeof turn_bounds_ms / sizeof turn_bounds_ms[0]];

static void on_begin(struct ev_loop *loop, ev_check *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	begun_us = clock_mono_us();
}

static void on_end(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	if (begun_us == 0)
		return;
	uint64_t took = (uint64_t)(clock_mono_us() - begun_us);
	turns++;
	turn_us_total += took;
	if (took > turn_us_max)
		turn_us_max = took;
	begun_us = 0;
	promtext_histogram_add(turn_bounds_ms, turn_le, sizeof turn_le / sizeof turn_le[0], took);
}

void loopturn_start(struct ev_loop *loop)
{
	ev_check_init(&turn_begin, on_begin);
	ev_set_priority(&turn_begin, EV_MAXPRI);
	ev_check_start(loop, &turn_begin);
	ev_prepare_init(&turn_end, on_end);
	ev_set_priority(&turn_end, EV_MINPRI);
	ev_prepare_start(loop, &turn_end);
}

void loopturn_stop(struct ev_loop *loop)
{
	ev_check_stop(loop, &turn_begin);
	ev_prepare_stop(loop, &turn_end);
}

void loopturn_metrics_write(FILE *f)
{
	promtext_histogram_ms(f, "wfmond_loop_turn_seconds",
			      "Turns of the event loop, from the poll's return to the next poll: what every "
			      "event, request and write waits behind", turn_bounds_ms, turn_le,
			      sizeof turn_le / sizeof turn_le[0], turns, turn_us_total / 1e6);
	fprintf(f, "# HELP wfmond_loop_turn_max_seconds The longest turn of the event loop since start\n"
		   "# TYPE wfmond_loop_turn_max_seconds gauge\nwfmond_loop_turn_max_seconds %.6f\n",
		turn_us_max / 1e6);
	/* Called on the loop's thread: thread-self is the loop. */
	unsigned long long run_ns, wait_ns;
	FILE *st = fopen("/proc/thread-self/schedstat", "r");
	if (st != NULL && fscanf(st, "%llu %llu", &run_ns, &wait_ns) == 2) {
		fprintf(f, "# HELP wfmond_loop_cpu_seconds_total CPU time of the event loop's thread\n"
			   "# TYPE wfmond_loop_cpu_seconds_total counter\nwfmond_loop_cpu_seconds_total %.6f\n"
			   "# HELP wfmond_loop_runnable_waiting_seconds_total Time the event loop's thread was ready "
			   "but waited for a CPU (other processes had it)\n"
			   "# TYPE wfmond_loop_runnable_waiting_seconds_total counter\n"
			   "wfmond_loop_runnable_waiting_seconds_total %.6f\n",
			run_ns / 1e9, wait_ns / 1e9);
	}
	if (st != NULL)
		fclose(st);
}
