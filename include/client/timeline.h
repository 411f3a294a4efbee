/* timeline.h: the Gantt layout of one execution's steps for the console.
 *
 * Pure: plain data in, plain data out; no ncurses, no allocation, no clock
 * (the caller passes "now"). The console keeps the bars between frames and
 * calls timeline_layout when the steps change and timeline_scale when the
 * window [t0, t1) or the width changes (zoom, pan, resize).
 *
 * Times are wall-clock ms. A step's bar is [start, end): end is its finish
 * time, or now while it has none and is not finished (a running step's bar
 * grows with now), or its start when it is finished without a known end. */
#ifndef WFMON_TIMELINE_H
#define WFMON_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

#define TIMELINE_MAX_STEPS 512   /* PROTO_MAX_STEPS: an execution's planned steps */
#define TIMELINE_TOP_N 3         /* default number of bottlenecks marked */
#define TIMELINE_LABEL_MAX 32    /* tick label buffer, with its NUL */

enum timeline_status { TIMELINE_PENDING, TIMELINE_RUNNING, TIMELINE_COMPLETED, TIMELINE_FAILED };

/* One step as the model has it; every pointer is borrowed for the call. */
struct timeline_step {
	const char *id;
	const char *name;
	enum timeline_status status;
	int64_t start_ms;                  /* 0: not started */
	int64_t end_ms;                    /* 0: not finished */
	const char *const *depends_on;     /* ids of other steps; unknown ids are ignored */
	size_t ndepends;
};

/* The layout of one step, at the same index as its input. */
struct timeline_bar {
	int row;                 /* -1: never started, no bar */
	int64_t start_ms, end_ms;/* the bar, end >= start */
	int64_t duration_ms;     /* end - start (now - start while running); -1 never started */
	int64_t wait_ms;         /* start - latest end among its finished dependencies, or
				  * start - execution start without any; never negative; 0 if not started */
	int bottleneck;          /* 1 for the longest step, 2 for the next...; 0 not among the top N */
	/* set by timeline_scale */
	bool visible;            /* some of the bar lies inside the window */
	int col_first, col_last; /* inclusive columns when visible */
	int label_cols;          /* columns its name may take from col_first: inside the bar,
				  * ending a blank column before the next bar on its row, so
				  * names never run together */
};

/* Rows, durations, waits and bottlenecks. Rows: greedy interval partitioning in
 * start order (ties in input order), each step taking the lowest row whose
 * previous bar ended at or before its start; a bar shorter than 1 ms is taken
 * as 1 ms long so that simultaneous instant steps do not share a row. The top_n
 * longest started steps (0: TIMELINE_TOP_N) are ranked, ties to the earlier
 * start. Returns 0 with the row count in *nrows, or -1 with a message when n >
 * TIMELINE_MAX_STEPS. Leaves the column fields to timeline_scale. */
int timeline_layout(const struct timeline_step *steps, size_t n, int64_t exec_start_ms,
		    int64_t now_ms, size_t top_n, struct timeline_bar *bars, int *nrows, char *cause,
		    size_t causelen);

/* The columns of [start, end) in a width-column view of [t0, t1): column c
 * covers [t0 + c * span / width, t0 + (c + 1) * span / width), and the bar takes
 * every column it touches (first = floor, last = ceil - 1), clipped to the
 * view; a bar inside one column, or of zero length, still takes that column.
 * Returns false (invisible) when the bar and the window do not meet, or when
 * width < 1 or t1 <= t0. */
bool timeline_columns(int64_t start_ms, int64_t end_ms, int64_t t0, int64_t t1, int width,
		      int *first, int *last);
/* timeline_columns for every bar that has a row (others become invisible),
 * then each visible bar's label_cols. */
void timeline_scale(struct timeline_bar *bars, size_t n, int64_t t0, int64_t t1, int width);

struct timeline_tick {
	int col;                        /* where the label starts */
	int64_t at_ms;                  /* wall time of the tick */
	char label[TIMELINE_LABEL_MAX]; /* offset from the origin (fmt_offset): "0 s", "1 min 30 s" */
};

/* Axis ticks for a width-column view of [t0, t1), at multiples of a "nice"
 * interval counted from origin_ms (the execution start, so labels read as time
 * since it). The interval is the smallest of 1, 2, 5 x 10^k ms below a second;
 * 1, 2, 5, 10, 15, 30 s; 1, 2, 5, 10, 15, 30 min; 1, 2, 3, 6, 12 h; then 1, 2, 5
 * x 10^k days, for which consecutive ticks are at least
 * max(label_width, longest label) + 1 columns apart, so labels never overlap.
 * Writes at most max ticks; returns how many, with the interval in *interval_ms
 * (0 and no ticks when the view is empty or no interval fits). */
size_t timeline_ticks(enum fmt_lang lang, int64_t t0, int64_t t1, int64_t origin_ms, int width,
		      int label_width, struct timeline_tick *out, size_t max, int64_t *interval_ms);

/* A step's duration against its history (from the store). */
struct timeline_cmp {
	bool known;       /* avg_ms > 0: a percentage exists */
	int percent;      /* (duration - avg) / avg, rounded to the nearest percent */
	bool slow;        /* p95_ms > 0 and duration > p95_ms */
	char text[16];    /* "+45%", "-12%", "+0%"; "" when not known */
};
void timeline_compare(int64_t duration_ms, int64_t avg_ms, int64_t p95_ms, struct timeline_cmp *out);

#endif
