/* model.h: the console's client-side state, built from the daemon's messages.
 *
 * Pure data: no ncurses, no sockets. The session feeds it every message it
 * receives (model_handle_message); the views read it. It holds
 *   - the organization's executions as summaries (rooms "org" and "queue"),
 *   - the one execution the user looks at in full (room "execution:<id>"),
 *   - the active alerts (room "alerts"),
 *   - the queue's numbers and depth history (room "queue": snapshot and
 *     "stats" pushes), and the daemon's resource samples (room "resources"),
 *   - step duration statistics of one workflow (the "step_stats" query),
 *   - the outcome of the last request the console made (done or error),
 *   - the position (seq) reached in every room, for resuming after a drop.
 * Invariants: a room's position only moves forward while the room's data
 * comes from the same snapshot lineage (a fresh snapshot may move it
 * anywhere); an event at or below the position is a duplicate and changes
 * nothing; a finished execution never goes back to running; every list is
 * bounded (MODEL_MAX_EXECUTIONS, PROTO_MAX_STEPS, MODEL_LOG_LINES,
 * MODEL_COUNTERS, MODEL_MAX_ROOMS, MODEL_DEPTH_HISTORY, MODEL_RES_HISTORY,
 * MODEL_MAX_WORKERS); "stats" pushes carry no position and never move one.
 *
 * Ownership: the model owns everything it stores; pointers it returns are
 * borrowed and valid until the next model_handle_message or model_* change. */
#ifndef WFMON_MODEL_H
#define WFMON_MODEL_H

#include <jansson.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics_data.h"
#include "proto.h"
#include "strmap.h"

/* A list of executions: borrowed pointers into the model. */
struct model_list {
	struct model_exec **items;
	size_t n, cap;
};

#define MODEL_MAX_EXECUTIONS 2000
#define MODEL_LOG_LINES 500
#define MODEL_COUNTERS 32
#define MODEL_MAX_ROOMS 8
#define MODEL_MAX_ALERTS 256
#define MODEL_FILTER_LEN 256
#define MODEL_DEPTH_HISTORY 300      /* queue depth points, one a second */
#define MODEL_RES_HISTORY 120        /* resource samples of the daemon */
#define MODEL_TOP_CONSUMERS 5
#define MODEL_MAX_WORKERS 64
/* Request ids the console uses, so that answers find their way back. */
#define MODEL_ID_STATS "stats:"      /* + workflow id: a step_stats query */
#define MODEL_ID_PRIO "prio:"        /* + execution id: a prioritize request */
#define MODEL_ID_ALERT "alert:"      /* + action ":" + alert id: an alert request */
#define MODEL_ID_RULE "rule:"        /* + action [":" rule id]: a rule request */

enum model_status {
	MS_QUEUED,
	MS_RUNNING,
	MS_COMPLETED,
	MS_FAILED,
	MS_CANCELLED,
	MS_STALE,      /* never stored: derived for a running execution that went quiet */
	MS__COUNT
};
/* "queued", "running", ... (wire names, untranslated); MS_STALE is "stale". */
const char *model_status_name(enum model_status s);
int model_status_parse(const char *name, enum model_status *out);
bool model_status_finished(enum model_status s);

enum model_step_status { MSS_PENDING, MSS_RUNNING, MSS_COMPLETED, MSS_FAILED, MSS__COUNT };
int model_step_status_parse(const char *name, enum model_step_status *out);

/* A step of an execution summary: only what counting needs. */
struct model_stepref {
	char id[PROTO_MAX_ID + 1];
	enum model_step_status status;
};

/* One execution as the list shows it. */
struct model_exec {
	char id[PROTO_MAX_ID + 1];
	char workflow_id[PROTO_MAX_ID + 1];
	char workflow_name[PROTO_MAX_NAME + 1];
	char current_step[PROTO_MAX_ID + 1];   /* "" when no step runs */
	char *error;                           /* first failure's text, or NULL */
	enum proto_priority priority;
	enum model_status status;              /* never MS_STALE */
	int64_t queued_ms, started_ms, finished_ms;
	int64_t last_event_ms;                 /* event time of the newest event (producer's clock) */
	int64_t received_ms;                   /* our clock when the newest live event came, 0 if none */
	int steps_total, steps_completed, steps_failed;
	struct model_stepref *steps;           /* ids seen in plan or events, for counting */
	uint32_t nsteps, capsteps;
	uint64_t order;                        /* recency: larger is newer */
};

/* A step of the execution in full. */
struct model_step {
	char id[PROTO_MAX_ID + 1];
	char *name;
	enum model_step_status status;
	int64_t started_ms, finished_ms, duration_ms;   /* -1 when unknown */
	int64_t progress_current, progress_total;       /* total 0: no progress reported */
	char *progress_unit, *progress_message;
	json_t *input, *output;                         /* owned references or NULL */
	char *error, *error_code, *worker;
	double cpu_percent;                             /* -1 when unknown */
	int64_t memory_bytes;                           /* -1 when unknown */
	char **depends_on;                              /* step ids, from the plan */
	uint32_t ndepends;                              /* <= PROTO_MAX_DEPS */
};

struct model_counter {
	char name[PROTO_MAX_NAME + 1];
	int64_t value;
};

/* A line of the execution's log: the producer's log events, and notes the
 * model writes for the events that change the execution (kind says which:
 * the view translates the text, so it follows the language). */
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
enum model_log_level { MLL_DEBUG, MLL_INFO, MLL_WARN, MLL_ERROR, MLL__COUNT };

struct model_log_line {
	enum model_log_kind kind;
	enum model_log_level level;
	int64_t ts_ms;
	char step_id[PROTO_MAX_ID + 1];
	char *text;              /* message, error or reason; may be NULL */
};

/* The execution shown in full (one at a time). */
struct model_detail {
	char id[PROTO_MAX_ID + 1];             /* "" when none is followed */
	bool loaded;                           /* a snapshot has arrived */
	bool missing;                          /* the daemon does not know it (yet) */
	struct model_exec sum;                 /* status, times, names (steps unused) */
	char *error_code, *worker;
	json_t *params;
	struct model_step *steps;
	uint32_t nsteps, capsteps;
	struct model_counter counters[MODEL_COUNTERS];
	uint32_t ncounters;
	struct model_log_line log[MODEL_LOG_LINES];   /* ring */
	uint32_t log_head, log_count;
	uint64_t log_total;                    /* lines ever appended, for follow */
};

/* Alerts (room "alerts"): records the daemon fires and changes, replaced by
 * id. Kept sorted as the daemon sends its snapshot: active and acknowledged
 * first, then resolved; newest first within each. */
enum model_severity { MSEV_INFO, MSEV_WARNING, MSEV_ERROR, MSEV_CRITICAL, MSEV__COUNT };
enum model_alert_state { MAS_ACTIVE, MAS_ACKNOWLEDGED, MAS_RESOLVED, MAS__COUNT };
/* From the wire names "info"... (untranslated): 0 and *out, or -1. */
int model_severity_parse(const char *name, enum model_severity *out);

struct model_alert {
	int64_t id;
	char rule_id[PROTO_MAX_ID + 1];
	char rule_name[PROTO_MAX_NAME + 1];
	char workflow_id[PROTO_MAX_ID + 1];    /* "" when the rule watches every workflow */
	char execution_id[PROTO_MAX_ID + 1];   /* "" when none */
	enum model_severity severity;
	enum model_alert_state state;
	char *title, *body;                    /* never NULL */
	char *ack_note, *resolve_note;         /* NULL when none */
	char acknowledged_by[PROTO_MAX_NAME + 1];
	char resolved_by[PROTO_MAX_NAME + 1];
	int64_t triggered_ms, acknowledged_ms, resolved_ms, escalated_ms;   /* 0: not yet */
	int64_t escalations;
	bool bell;
	json_t *context;                       /* owned object */
	json_t *deliveries;                    /* owned array */
};

/* The critical-alert banner every view shows: set by a live critical alert
 * that is new (or just became critical) while active; gone once that alert
 * is acknowledged or resolved, or the user dismisses it. */
struct model_banner {
	int64_t alert_id;                      /* 0: no banner */
	char title[PROTO_MAX_TEXT + 1];
	bool bell;                             /* a new alert asked for the bell: the caller takes it */
	int64_t dismissed_id;                  /* not shown again from a snapshot */
};

/* The alert rules, as the last "rules" answer listed them. */
struct model_rules {
	bool loaded;
	json_t *list;                          /* owned array, NULL before the first answer */
	uint64_t serial;                       /* changes with every answer */
	json_t *saved;                         /* the last rule_saved's rule, owned or NULL */
};

/* A notable change for the message line: the view translates it. */
struct model_notice {
	enum model_log_kind kind;              /* MLOG_EXEC_* only */
	char execution_id[PROTO_MAX_ID + 1];
	char workflow_name[PROTO_MAX_NAME + 1];
	int64_t ts_ms;
	uint64_t serial;                       /* changes with every new notice */
};

struct model_room {
	char name[PROTO_MAX_ROOM + 1];
	bool has_pos;                          /* a subscribed answer came */
	int64_t seq;                           /* last position processed */
	bool last_resumed;                     /* the last subscribed answer was a resume */
	uint64_t gaps;                         /* events that skipped positions */
	uint64_t duplicates;                   /* events at or below the position, ignored */
};

/* The queue's numbers as the daemon computes them ("stats" of room queue). */
struct model_queue {
	bool loaded;                           /* a snapshot or a stats push came */
	int64_t depth;
	int64_t by_priority[PRIO__COUNT];
	int64_t untracked;
	bool has_oldest;
	char oldest_id[PROTO_MAX_ID + 1];
	int64_t oldest_queued_ms;              /* 0 when unknown */
	int64_t oldest_age_ms;                 /* as the daemon said, at received_ms */
	int64_t avg_wait_ms;                   /* -1: unknown */
	int64_t wait_samples;
	int64_t finished_in_window;
	double rate_per_min;
	int64_t eta_ms;                        /* -1: unknown (no rate); 0: empty */
	bool backlog;                          /* depth >= threshold */
	int64_t threshold;
	int64_t received_ms;                   /* our clock when the numbers came */
	/* depth history, oldest first: the snapshot's, then one point a second */
	uint32_t history[MODEL_DEPTH_HISTORY]; /* ring */
	uint32_t hist_head, hist_count;
	int64_t hist_last_ms;                  /* our clock at the newest point, 0 none */
};

/* One sample of the daemon's view of its resources ("stats" of room resources). */
struct model_res_sample {
	int64_t at_ms;
	double host_cpu;                       /* percent, -1 unknown */
	int64_t mem_total, mem_available;      /* bytes, -1 unknown */
	double load[3];                        /* -1 unknown */
	double daemon_cpu;                     /* -1 unknown */
	int64_t daemon_rss;                    /* -1 unknown */
	char db_state[24];                     /* "up", "down", ...; "" unknown */
	int64_t db_active, db_idle, db_total, db_max;   /* -1 unknown */
	int64_t ws_connections;                /* -1 unknown */
	double events_in, events_out;          /* per second, -1 unknown */
	int64_t queue_depth;                   /* -1 unknown */
	double cpu_threshold;                  /* -1 unknown */
	bool warning;                          /* host CPU above the threshold */
};

struct model_consumer {
	char workflow_id[PROTO_MAX_ID + 1];
	double cpu_percent;
	int64_t memory_bytes;
	int64_t executions;
};

/* The newest resource.sample of one worker. */
struct model_worker {
	char name[PROTO_MAX_NAME + 1];
	char execution_id[PROTO_MAX_ID + 1];
	char step_id[PROTO_MAX_ID + 1];
	double cpu_percent;
	int64_t memory_bytes;
	int64_t ts_ms;
};

struct model_resources {
	bool loaded;                           /* a snapshot came */
	bool has_current;                      /* current holds a sample */
	struct model_res_sample current;
	struct model_consumer top[MODEL_TOP_CONSUMERS];
	uint32_t ntop;
	struct model_res_sample history[MODEL_RES_HISTORY];   /* ring, oldest first */
	uint32_t hist_head, hist_count;
	struct model_worker workers[MODEL_MAX_WORKERS];
	uint32_t nworkers;
};

/* Step durations of one workflow over its last runs (query step_stats). */
enum model_stats_state { MSTATS_NONE, MSTATS_PENDING, MSTATS_LOADED, MSTATS_UNAVAILABLE };

struct model_step_stat {
	char step_id[PROTO_MAX_ID + 1];
	int64_t count, avg_ms, p95_ms, min_ms, max_ms;
};

struct model_step_stats {
	char workflow_id[PROTO_MAX_ID + 1];
	enum model_stats_state state;
	int64_t runs;
	struct model_step_stat *steps;
	uint32_t nsteps;                       /* <= PROTO_MAX_STEPS */
	int64_t asked_ms;                      /* our clock when it was asked for */
};

/* The answer to the console's last request (not subscriptions): "done", or an
 * error carrying the request's id. */
struct model_reply {
	char id[PROTO_MAX_ID + 1];
	bool ok;
	char code[32];                         /* error code, "" when ok */
	char message[PROTO_MAX_TEXT + 1];
	char field[PROTO_MAX_ROOM + 1];        /* the field an error names, "" for none */
	uint64_t serial;                       /* changes with every reply */
};

/* What a message changed, so that the caller redraws only when needed. */
enum model_change {
	MC_NONE = 0,
	MC_LIST = 1 << 0,
	MC_DETAIL = 1 << 1,
	MC_ALERTS = 1 << 2,
	MC_NOTICE = 1 << 3,
	MC_SUBSCRIBED = 1 << 4,   /* a subscribed answer: see model_room's last_resumed */
	MC_ERROR = 1 << 5,        /* an error message: see model.last_error */
	MC_QUEUE = 1 << 6,        /* queue numbers or depth history */
	MC_RESOURCES = 1 << 7,    /* resource samples */
	MC_STATS = 1 << 8,        /* step statistics */
	MC_REPLY = 1 << 9,        /* a request was answered: see model.reply */
	MC_RULES = 1 << 10,       /* the rules list came: see model.rules */
	MC_BANNER = 1 << 11,      /* the critical banner appeared, changed or went */
	MC_METRICS = 1 << 12,     /* a metrics answer or error: see model.metrics */
};

struct model {
	struct strmap by_id;                   /* id -> struct model_exec * */
	struct model_exec **execs;             /* every execution, unordered */
	size_t nexecs, capexecs;
	uint64_t next_order;
	struct model_detail detail;
	struct model_alert alerts[MODEL_MAX_ALERTS];
	size_t nalerts;
	struct model_banner banner;
	struct model_rules rules;
	struct model_room rooms[MODEL_MAX_ROOMS];
	size_t nrooms;
	struct model_notice notice;
	char last_error[PROTO_MAX_TEXT + 64];  /* last error message from the daemon */
	char last_error_room[PROTO_MAX_ROOM + 1];
	uint64_t events;                       /* events applied */
	int64_t last_event_rx_ms;              /* our clock at the last event, 0 if none */
	struct model_queue queue;
	struct model_resources res;
	struct model_step_stats stats;
	struct model_reply reply;
	struct metrics_model metrics;          /* the metrics view's answers (metrics_data.h) */
};

void model_init(struct model *m);
void model_free(struct model *m);

/* ---- Rooms and positions ---------------------------------------------------- */

/* Starts tracking a room (no position yet); returns it, or NULL past
 * MODEL_MAX_ROOMS. Tracking an execution room also resets the detail to that
 * execution when it is a different one. */
struct model_room *model_room_track(struct model *m, const char *name);
/* Stops tracking: later messages for it are ignored. Forgetting the detail's
 * room clears the detail. */
void model_room_forget(struct model *m, const char *name);
struct model_room *model_room_find(struct model *m, const char *name);

/* ---- Input --------------------------------------------------------------------- */

/* Applies one message from the daemon (parsed JSON, borrowed). now_ms is our
 * wall clock. Returns a mask of enum model_change. Messages for rooms not
 * tracked, duplicates and unknown types change nothing. */
unsigned model_handle_message(struct model *m, json_t *msg, int64_t now_ms);
/* Same, from text; a message that is not JSON changes nothing. */
unsigned model_handle_text(struct model *m, const char *data, size_t len, int64_t now_ms);

/* ---- Queries --------------------------------------------------------------------- */

struct model_exec *model_exec_find(const struct model *m, const char *id);
/* The status to show: MS_STALE for a running (or queued-but-started)
 * execution with no event for stale_after_ms. */
enum model_status model_exec_status(const struct model_exec *x, int64_t now_ms,
				    int64_t stale_after_ms);
/* When the execution was last heard of, on our clock where we can tell. */
int64_t model_exec_activity_ms(const struct model_exec *x);
/* Elapsed (running) or total (finished) duration in ms; -1 when unknown. */
int64_t model_exec_duration_ms(const struct model_exec *x, int64_t now_ms);
/* Completed steps in percent of the total, 0..100. */
int model_exec_percent(const struct model_exec *x);

struct model_counts {
	int running, stale, failed, queued, completed, alerts;
};
void model_counts(const struct model *m, int64_t now_ms, int64_t stale_after_ms,
		  struct model_counts *out);

/* The log's i-th line, oldest first (0 <= i < log_count). */
const struct model_log_line *model_log_line(const struct model_detail *d, uint32_t i);
struct model_step *model_detail_step(struct model_detail *d, const char *step_id);

/* ---- Alerts ------------------------------------------------------------------------ */

struct model_alert *model_alert_find(struct model *m, int64_t id);
/* Alerts not resolved (active or acknowledged), as the header counts them. */
int model_alerts_open(const struct model *m);
/* Hides the banner (its alert stays in the list). */
void model_banner_dismiss(struct model *m);
/* True once after a new active alert whose rule wants the bell (any
 * severity); clears the request. */
bool model_banner_take_bell(struct model *m);

/* ---- Queue, resources, statistics ----------------------------------------------- */

/* Appends the current depth to the history once for every whole second since
 * the newest point (at most MODEL_DEPTH_HISTORY). Returns true when it added. */
bool model_queue_tick(struct model *m, int64_t now_ms);
/* The depth history's i-th point, oldest first (0 <= i < hist_count). */
uint32_t model_queue_history(const struct model_queue *q, uint32_t i);
/* How long the oldest queued execution has waited, ticking with now_ms; -1
 * when there is none. */
int64_t model_queue_oldest_age(const struct model_queue *q, int64_t now_ms);
/* The queued executions, oldest first (ties by id): borrowed pointers. */
void model_queue_list(const struct model *m, struct model_list *out);

/* The resource history's i-th sample, oldest first (0 <= i < hist_count). */
const struct model_res_sample *model_res_history(const struct model_resources *r, uint32_t i);

/* Starts waiting for a workflow's step statistics: forgets the ones held
 * when they are another workflow's. Returns the query to send (new
 * reference, id MODEL_ID_STATS + workflow id), or NULL when they are loaded,
 * known to be unavailable, or already asked for less than retry_ms ago. */
json_t *model_stats_request_new(struct model *m, const char *workflow_id, int runs, int64_t now_ms,
				int64_t retry_ms);
/* The statistics of one step of the workflow held, or NULL. */
const struct model_step_stat *model_step_stat_find(const struct model *m, const char *workflow_id,
						   const char *step_id);

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

struct model_filter {
	enum model_status_filter status;
	char text[MODEL_FILTER_LEN];      /* "" for none: a regular expression, or literal */
	bool text_is_regex;               /* text compiled as an extended, case-blind regex */
	regex_t re;
	char workflow[PROTO_MAX_NAME + 1];   /* "" for all: matches workflow id or name */
	enum model_sort sort;
	bool reverse;
};

void model_filter_init(struct model_filter *f);
void model_filter_free(struct model_filter *f);
/* Sets the text filter. A pattern that is not a valid regular expression is
 * matched literally; then returns -1 with the reason in cause (the filter is
 * still set). */
int model_filter_set_text(struct model_filter *f, const char *text, char *cause, size_t causelen);
bool model_filter_match(const struct model_filter *f, const struct model_exec *x, int64_t now_ms,
			int64_t stale_after_ms);

void model_list_build(const struct model *m, const struct model_filter *f, int64_t now_ms,
		      int64_t stale_after_ms, struct model_list *out);
void model_list_free(struct model_list *l);
/* Index of the execution with this id, or -1. */
long model_list_find(const struct model_list *l, const char *id);

/* ---- JWT claims (for the header) ------------------------------------------------ */

struct model_identity {
	char org[PROTO_MAX_NAME + 1];
	char sub[PROTO_MAX_NAME + 1];
	char role[32];
};
/* Decodes the token's payload without verifying it. Returns 0 or -1. */
int model_identity_from_token(const char *token, struct model_identity *out);

#endif
