/* model_exec.h: the console's executions: the list's, the one shown in full
 * with its log as the console shows it, notices, counts, and filtering and
 * sorting the list (model_exec.c, model_list.c). The executions themselves are
 * the protocol's (exec.h). Part of the console's model (model.h); borrowed
 * pointers live until the next change. */
#ifndef WFMON_MODEL_EXEC_H
#define WFMON_MODEL_EXEC_H

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "proto.h"

struct model;

#define MODEL_MAX_EXECUTIONS 2000
#define MODEL_LOG_LINES 500
#define MODEL_FILTER_LEN 256

/* The status the console shows: an execution's own (enum exec_status, same
 * values), or stale for a running execution that went quiet. */
enum model_status {
	MS_QUEUED = EXEC_QUEUED,
	MS_RUNNING = EXEC_RUNNING,
	MS_COMPLETED = EXEC_COMPLETED,
	MS_FAILED = EXEC_FAILED,
	MS_CANCELLED = EXEC_CANCELLED,
	MS_STALE = EXEC__COUNT,   /* never stored: derived for a running execution that went quiet */
	MS__COUNT
};
/* "queued", "running", ... (wire names, untranslated); MS_STALE is "stale". */
const char *model_status_name(enum model_status s);
bool model_status_finished(enum model_status s);

/* Whether a running execution is stale, as the daemon judged it (it hears
 * every event; a console only the rooms it is in). UNKNOWN until a summary
 * says, and again from each live event on (heard of now: fresh). */
enum model_daemon_view { MDV_UNKNOWN, MDV_FRESH, MDV_STALE };

/* An execution the console knows: the protocol's (exec.h: statuses, steps,
 * counters, log, applied by the same rules as the daemon's), plus when we
 * heard of it. The list's executions hold what the dashboards' rooms carry
 * (steps without data); the detail's, everything. */
struct model_exec {
	struct exec x;
	int64_t received_ms;                   /* our clock when the newest live event came, 0 if none */
	uint64_t order;                        /* recency: larger is newer */
	enum model_daemon_view daemon;         /* from the summary (org_summary.h's stale_ids) */
};

/* A line of the execution's log as the console shows it: the producer's log
 * lines, and notes the model writes for the events that change the
 * execution (kind says which: the view translates the text, so it follows
 * the language). */
enum model_log_kind {
	MLOG_TEXT,               /* a producer log line: level and text */
	MLOG_EXEC_STARTED,
	MLOG_EXEC_COMPLETED,
	MLOG_EXEC_FAILED,
	MLOG_EXEC_CANCELLED,
	MLOG_STEP_STARTED,
	MLOG_STEP_COMPLETED,
	MLOG_STEP_FAILED,
	MLOG__COUNT
};

struct model_log_line {
	enum model_log_kind kind;
	enum proto_level level;
	int64_t ts_ms;
	char step_id[PROTO_MAX_ID + 1];
	char *text;              /* message, error or reason; may be NULL */
};

/* The execution shown in full (one at a time). */
struct model_detail {
	char id[PROTO_MAX_ID + 1];             /* "" when none is followed */
	bool loaded;                           /* a snapshot or an event has arrived */
	bool missing;                          /* the daemon does not know it (yet) */
	struct model_exec exec;
	struct model_log_line log[MODEL_LOG_LINES];   /* ring */
	uint32_t log_head, log_count;
	uint64_t log_total;                    /* lines ever appended, for follow */
};


/* A notable change for the message line: the view translates it. */
struct model_notice {
	enum model_log_kind kind;              /* MLOG_EXEC_* only */
	char execution_id[PROTO_MAX_ID + 1];
	char workflow_name[PROTO_MAX_NAME + 1];
	int64_t ts_ms;
	uint64_t serial;                       /* changes with every new notice */
};


/* ---- Queries --------------------------------------------------------------------- */

struct model_exec *model_exec_find(const struct model *m, const char *id);
/* The status to show: MS_STALE for a running execution the daemon counts
 * as stale (the summary's stale_ids), or, where the daemon has not said, one
 * with no event for stale_after_ms. */
enum model_status model_exec_status(const struct model_exec *x, int64_t now_ms,
				    int64_t stale_after_ms);
/* When the execution was last heard of, on our clock where we can tell. */
int64_t model_exec_activity_ms(const struct model_exec *x);
/* Elapsed (running) or total (finished) duration in ms; -1 when unknown. */
int64_t model_exec_duration_ms(const struct model_exec *x, int64_t now_ms);
/* Completed steps in percent of the total, 0..100. */
int model_exec_percent(const struct model_exec *x);

/* An execution's progress in one unit: the producer's own (days,
 * documents) while a running step reports progress with a unit, else its
 * steps. The bar and the label of a line use the same one. */
struct model_progress {
	int64_t done, total;          /* total > 0, or 0 when nothing can be said */
	const char *unit;             /* the producer's unit (borrowed), or NULL: steps */
	const struct exec_step *step; /* the step reporting it (unit set), else NULL */
};
void model_exec_progress(const struct exec *x, struct model_progress *out);

/* The log's i-th line, oldest first (0 <= i < log_count). */
const struct model_log_line *model_log_line(const struct model_detail *d, uint32_t i);


/* ---- Filtering and sorting ------------------------------------------------------- */

enum model_sort {
	SORT_ACTIVITY,   /* running first, then most recent */
	SORT_WORKFLOW,
	SORT_STATUS,
	SORT_PROGRESS,
	SORT_DURATION,
	SORT_PRIORITY,
	SORT_ID,
	SORT__COUNT
};
const char *model_sort_name(enum model_sort s);   /* untranslated key, e.g. "workflow" */

enum model_status_filter { SF_ALL, SF_RUNNING, SF_FAILED, SF_COMPLETED, SF_QUEUED, SF__COUNT };

#define MODEL_FILTER_LABELS 4

/* One label:KEY=VALUE term of a filter. */
struct model_filter_label {
	char key[PROTO_MAX_LABEL_KEY + 1];
	char value[PROTO_MAX_LABEL_VALUE + 1];
};

struct model_filter {
	enum model_status_filter status;
	char typed[MODEL_FILTER_LEN];     /* as typed: the text and its label: terms */
	struct model_filter_label labels[MODEL_FILTER_LABELS];   /* executions must have each */
	size_t nlabels;
	char text[MODEL_FILTER_LEN];      /* "" for none: a regular expression, or literal */
	bool text_is_regex;               /* text compiled as an extended, case-blind regex */
	regex_t re;
	char workflow[PROTO_MAX_NAME + 1];   /* "" for all: matches workflow id or name */
	enum model_sort sort;
	bool reverse;
};

/* A list of executions: borrowed pointers into the model, and what it was
 * built from, so that it is rebuilt only when that changed. */
struct model_list {
	struct model_exec **items;        /* borrowed from the model: valid while serial == its
					   * execs_serial (refresh before reading) */
	size_t n, cap;
	size_t from_history;              /* of the n, those only the server's history had */
	bool built;
	uint64_t serial;                  /* the model's execs_serial it reflects */
	struct model_filter key;          /* the filter it was built with (no regex held) */
	int64_t stale_after_ms;
	int64_t valid_until_ms;           /* our clock when time alone may change it */
};

void model_filter_init(struct model_filter *f);
void model_filter_free(struct model_filter *f);
/* Sets the text filter. Terms label:KEY=VALUE (VALUE in double quotes when it
 * holds spaces) keep the executions that have that label; the rest is a
 * regular expression or a literal text. A pattern that is not a valid
 * regular expression is matched literally; then returns -1 with the reason
 * in cause (the filter is still set). A label term that is not KEY=VALUE is
 * refused: -1 with the reason, and the filter keeps what it had. */
int model_filter_set_text(struct model_filter *f, const char *text, char *cause, size_t causelen);
bool model_filter_match(const struct model_filter *f, const struct model_exec *x, int64_t now_ms,
			int64_t stale_after_ms);

/* Filters and sorts every execution into out: the live ones and those the
 * search of history brought (model_search.h) that the live rooms lack. */
void model_list_build(const struct model *m, const struct model_filter *f, int64_t now_ms,
		      int64_t stale_after_ms, struct model_list *out);
/* The same, only when the executions, the filter or the time that matters to
 * them (a running execution going stale, durations for that sort) changed
 * since out was built: drawing calls this every frame at no cost. Returns
 * true when it rebuilt. */
bool model_list_refresh(const struct model *m, const struct model_filter *f, int64_t now_ms,
			int64_t stale_after_ms, struct model_list *out);
void model_list_free(struct model_list *l);
/* Index of the execution with this id, or -1. */
long model_list_find(const struct model_list *l, const char *id);

#endif
