/* metrics_data.h: a metrics answer on the client side (the console's metrics
 * view and `wfmon metrics`): the request, the answer decoded into plain
 * numbers, sorting the table, and the two exports, CSV and JSON.
 *
 * The answer's shape is man/wfmon-protocol.7's "metrics" result; what the
 * figures mean is metrics.h. Unknown numbers are -1 (counts, durations,
 * rates) or NAN (changes). Pure data: no curses, no sockets.
 *
 * CSV: RFC 4180 (CRLF, fields with commas, quotes or line breaks quoted,
 * quotes doubled), one header row, one table whose first column says what
 * each row is (summary, previous, workflow, workflow_previous, step,
 * step_previous, trend), times in ISO 8601 UTC, durations in milliseconds,
 * numbers with a '.' whatever the locale, empty for unknown.
 *
 * Ownership: metrics_data owns everything it holds (free with
 * metrics_data_free); the console's struct metrics_model owns its data. */
#ifndef WFMON_METRICS_DATA_H
#define WFMON_METRICS_DATA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fmt.h"
#include "proto.h"

/* Request ids the console uses for its metrics queries. */
#define METRICS_ID_PREFIX "metrics:"

struct md_figures {
	int64_t runs, completed, failed, cancelled;
	double success_rate;           /* percent, -1 unknown */
	double avg_ms;                 /* -1 unknown */
	int64_t p50_ms, p95_ms, p99_ms, min_ms, max_ms;   /* -1 unknown */
	double avg_wait_ms;            /* -1 unknown */
	double per_hour, per_day, per_week;
};

struct md_change {
	double runs_per_hour_pct, success_points, avg_pct, p50_pct, p95_pct, p99_pct;   /* NAN unknown */
};

struct md_health {
	int64_t runs;
	double success_rate;           /* -1 unknown */
	int64_t p95_ms;                /* -1 unknown */
};

struct md_degradation {
	bool present;                  /* the answer had it */
	bool degraded, decidable;
	bool p95, success;             /* the reasons */
	int window_hours, baseline_days;
	struct md_health recent, baseline;
	double p95_margin, success_margin;
	int64_t min_runs;
};

/* A workflow (all-workflows answers) or a step (one-workflow answers). */
struct md_row {
	char id[PROTO_MAX_ID + 1];
	char name[PROTO_MAX_NAME + 1];
	struct md_figures cur, prev;
	struct md_change change;
	struct md_degradation deg;
};

struct md_point {
	int64_t start_ms;
	struct md_figures f;
};

struct metrics_data {
	char workflow_id[PROTO_MAX_ID + 1];     /* "" : all workflows */
	char workflow_name[PROTO_MAX_NAME + 1];
	int64_t from_ms, to_ms, now_ms, bucket_ms;
	int64_t prev_from_ms, prev_to_ms;
	bool prev_complete, behind;
	bool has_summary;
	struct md_figures summary, previous;
	struct md_change change;
	struct md_degradation deg;
	struct md_row *rows;           /* workflows or steps */
	size_t nrows;
	bool steps;                    /* rows are steps */
	struct md_point *trend;
	size_t npoints;
	json_t *raw;                   /* the answer as received, for the JSON export */
};

void metrics_data_init(struct metrics_data *d);
void metrics_data_free(struct metrics_data *d);
/* Decodes an answer's data (borrowed; referenced by d->raw). 0, or -1 with
 * err when it is not a metrics answer. */
int metrics_data_parse(struct metrics_data *d, json_t *answer, char *err, size_t errlen);

/* The "query" request: NULL arguments are left out. New reference. */
json_t *metrics_request_new(const char *id, const char *workflow, const char *range, const char *from,
			    const char *to, const char *bucket);

enum md_sort { MD_SORT_RUNS, MD_SORT_NAME, MD_SORT_SUCCESS, MD_SORT_AVG, MD_SORT_P50, MD_SORT_P95, MD_SORT_P99,
	       MD_SORT_CHANGE, MD_SORT__COUNT };
/* "runs", "name", ... (untranslated). */
const char *metrics_sort_name(enum md_sort s);
/* Sorts the rows (unknown values last); reverse flips the order. */
void metrics_data_sort(struct metrics_data *d, enum md_sort s, bool reverse);

/* Writes the answer as CSV or as JSON (indented). 0, or -1 (errno set) when
 * the stream failed. */
int metrics_export_csv(const struct metrics_data *d, FILE *f);
int metrics_export_json(const struct metrics_data *d, FILE *f);
/* "2026-12-06T07:00:00Z" */
void metrics_time_iso(int64_t ms, char *buf, size_t len);
/* The same moment in local time for people: "2026-12-06 08:00" (buckets
 * are UTC; a day bucket starts at 01:00 in Warsaw in winter). */
void metrics_time_local(int64_t ms, char *buf, size_t len);
/* A rate for people, in the locale's decimals: "80.0 %", "-" when unknown (< 0). */
void metrics_format_percent(enum fmt_lang lang, double v, char *buf, size_t len);

/* ---- the console's state: the last answer it asked for ------------------------------ */

enum metrics_state { MSTATE_NONE, MSTATE_PENDING, MSTATE_LOADED, MSTATE_ERROR };

struct metrics_model {
	enum metrics_state state;
	char id[PROTO_MAX_ID + 1];     /* the request waited for */
	uint64_t serial;               /* changes with every answer or error */
	struct metrics_data data;      /* the last answer (kept while a new one is pending) */
	bool has_data;
	char error[PROTO_MAX_TEXT + 1];
	char error_field[64];
	int64_t asked_ms;
	uint64_t next_id;
};
void metrics_model_init(struct metrics_model *m);
void metrics_model_free(struct metrics_model *m);
/* A new request (see metrics_request_new) whose answer this model will
 * take; answers to older requests are then ignored. */
json_t *metrics_model_request_new(struct metrics_model *m, const char *workflow, const char *range,
				  const char *bucket, int64_t now_ms);
/* A "result" or "error" message for one of its requests: true when it was
 * (the model changed). */
bool metrics_model_on_result(struct metrics_model *m, json_t *msg);
/* Takes an answer's data (borrowed), or the error that came instead of it
 * (error not NULL), as the model's state. */
void metrics_model_take(struct metrics_model *m, json_t *data, const char *error);
bool metrics_model_on_error(struct metrics_model *m, json_t *msg);

#endif
