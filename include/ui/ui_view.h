/* ui_view.h: the console's shared state and its views (executions list,
 * execution, step, timeline, queue, resources, alerts, one alert, alert rules
 * and the rule form), each with its own key table.
 *
 * Keys are tables, not if-chains: a view's table is searched first, then the
 * global one; the help overlay (?) is generated from the same tables, so it
 * cannot drift from what the keys do. Views only read the model and the
 * session; changes go through the ui_* actions. */
#ifndef WFMON_UI_VIEW_H
#define WFMON_UI_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "claims.h"
#include "model.h"
#include "session.h"
#include "ui_app.h"
#include "ui_theme.h"
#include "ui_widget.h"

enum ui_view_id { VIEW_LIST, VIEW_EXEC, VIEW_STEP, VIEW_TIMELINE, VIEW_QUEUE, VIEW_RESOURCES,
		  VIEW_ALERTS, VIEW_ALERT, VIEW_RULES, VIEW_RULE_FORM, VIEW_METRICS, VIEW_METRICS_WF, VIEW_HEALTH,
		  VIEW_DASHBOARD, VIEW_DASHBOARD_EDIT, VIEW__COUNT };

struct ui_key {
	int key;                 /* curses key code or character */
	const char *label;       /* what help shows, e.g. "Enter"; untranslated key names */
	const char *help;        /* N_() text */
	void (*fn)(struct ui *ui);
};

struct ui_view_ops {
	const char *name;
	const struct ui_key *keys;
	size_t nkeys;
	void (*enter)(struct ui *ui);
	void (*leave)(struct ui *ui);
	void (*draw)(struct ui *ui, int top, int rows);
	/* True while something shown moves by itself (elapsed times, spinners):
	 * returns the tick period in ms, 0 for none. */
	int (*tick_ms)(struct ui *ui);
	/* The footer's hint line. */
	void (*hints)(struct ui *ui, int y);
	/* Keys before the tables (a form's typing); true when used. May be NULL. */
	bool (*raw_key)(struct ui *ui, int key);
	/* The model changed (enum model_change mask), to rebuild what is shown. */
	void (*changed)(struct ui *ui, unsigned changes);
};

extern const struct ui_view_ops ui_view_list;       /* list_view.c */
extern const struct ui_view_ops ui_view_exec;       /* exec_view.c */
extern const struct ui_view_ops ui_view_step;       /* step_view.c */
extern const struct ui_view_ops ui_view_timeline;   /* timeline_view.c */
extern const struct ui_view_ops ui_view_queue;      /* queue_view.c */
extern const struct ui_view_ops ui_view_resources;  /* resources_view.c */
extern const struct ui_view_ops ui_view_alerts;     /* alerts_view.c */
extern const struct ui_view_ops ui_view_alert;      /* alerts_view.c */
extern const struct ui_view_ops ui_view_rules;      /* rules_view.c */
extern const struct ui_view_ops ui_view_rule_form;  /* rule_form.c */
extern const struct ui_view_ops ui_view_metrics;    /* metrics_view.c: every workflow */
extern const struct ui_view_ops ui_view_metrics_workflow;   /* metrics_view.c: one */
extern const struct ui_view_ops ui_view_health;     /* health_view.c */
extern const struct ui_view_ops ui_view_dashboard;          /* dashboard_view.c */
extern const struct ui_view_ops ui_view_dashboard_edit;     /* dashboard_view.c: the editor */

/* PROMPT_ASK: a question on the message line whose typed answer goes to
 * ui->ask_fn; PROMPT_CONFIRM: a yes/no question (y answers "y"). */
enum ui_prompt { PROMPT_NONE, PROMPT_COMMAND, PROMPT_FILTER, PROMPT_WRITE, PROMPT_ASK, PROMPT_CONFIRM };

struct rule_form;   /* rule_form.c */
struct metrics_view;   /* metrics_view.c */
struct dashboard_view;   /* dashboard_view.c */

#define UI_PROMPT_LEN 512
#define UI_MESSAGE_LEN 512

/* The notice line's kinds (notices.c): what is kept in sight until it is no
 * longer true or dismissed, apart from the stream of event messages. */
enum ui_notice_kind {
	NOTICE_CONNECTION,   /* lost, refused, reconnected */
	NOTICE_REFUSAL,      /* the server refused one of the user's requests */
	NOTICE_SERVER,       /* an error message from the server */
	NOTICE_CPU,          /* thresholds crossed: while true */
	NOTICE_BACKLOG,
	NOTICE_DEGRADED,
	NOTICE__COUNT
};

struct ui_notice {
	bool on, dismissed;
	enum ui_element el;
	int64_t since_ms;
	int64_t until_ms;        /* it lapses then; 0: until cleared or dismissed */
	char text[UI_MESSAGE_LEN];
};

struct ui {
	const struct console_options *opt;
	struct model model;
	struct session *session;
	struct session_options sopt;
	struct proto_token_claims who;
	struct ui_theme theme;
	int64_t stale_ms;
	int64_t now_ms, now_us;
	const struct ui_view_ops *view;
	enum ui_view_id view_id;
	bool quit;
	bool dirty;
	bool help;
	unsigned spin;

	/* executions list */
	struct model_filter filter;
	struct model_list list;
	size_t list_sel, list_top;
	char list_sel_id[PROTO_MAX_ID + 1];

	/* execution */
	char exec_id[PROTO_MAX_ID + 1];
	size_t step_sel, step_top;
	char step_sel_id[PROTO_MAX_ID + 1];
	bool log_focus;
	struct ui_textpane log;
	uint64_t log_seen;       /* model log lines already in the pane */

	/* step */
	char step_id[PROTO_MAX_ID + 1];
	struct ui_textpane data;
	char *data_doc;          /* the JSON document shown, for y and w */

	/* timeline: the cursor follows a step id; the window is the whole
	 * execution (following a running one) until zoomed or panned */
	char tl_sel_id[PROTO_MAX_ID + 1];
	bool tl_fixed;
	int64_t tl_t0, tl_span;  /* the window when fixed */
	int tl_top;              /* first layout row shown */
	int tl_zoom;             /* shown as "x2^zoom" */

	/* queue */
	struct model_list queue;
	size_t queue_sel, queue_top;
	char queue_sel_id[PROTO_MAX_ID + 1];
	uint64_t reply_seen;

	/* alerts: the selection follows an alert id; the detail shows one */
	size_t alert_sel, alert_top;
	int64_t alert_sel_id;
	int64_t alert_id;                /* the alert view's */
	struct ui_textpane alert_pane;
	bool bell;                       /* beep for alerts that ask for it */

	/* cancel and retry: the request being confirmed */
	char ctl_exec[PROTO_MAX_ID + 1];
	enum proto_control ctl_cmd;

	/* workflows (health) */
	size_t health_sel, health_top;

	/* rules */
	size_t rule_sel, rule_top;
	char rule_sel_id[PROTO_MAX_ID + 1];
	struct rule_form *form;          /* the form being edited, or NULL */

	/* metrics: the views' choices and what they derive (metrics_view.c) */
	struct metrics_view *metrics;

	/* dashboards: selection, editor, cache (dashboard_view.c) */
	struct dashboard_view *dash;

	/* the bottom line */
	enum ui_prompt prompt;
	char ask_label[UI_MESSAGE_LEN];
	void (*ask_fn)(struct ui *ui, const char *answer);
	char input[UI_PROMPT_LEN];
	char message[UI_MESSAGE_LEN];
	enum ui_element message_el;
	int64_t message_until_ms;
	uint64_t notice_seen;
	struct ui_notice notices[NOTICE__COUNT];

	struct ui_widget header, footer, help_widget;
};

/* ---- actions the views share (app.c) ------------------------------------------ */
void ui_set_view(struct ui *ui, enum ui_view_id id);
void ui_open_execution(struct ui *ui, const char *id);
void ui_message(struct ui *ui, enum ui_element el, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ui_prompt_start(struct ui *ui, enum ui_prompt p, const char *initial);
/* Asks on the message line (PROMPT_ASK or PROMPT_CONFIRM); fn gets the
 * answer on Enter (or "y"), nothing on Esc. label is shown as given. */
void ui_ask(struct ui *ui, enum ui_prompt p, const char *label, void (*fn)(struct ui *ui, const char *answer));
/* The same with the answer's text to start from (the value to change). */
void ui_ask_edit(struct ui *ui, const char *label, const char *initial, void (*fn)(struct ui *ui, const char *answer));
int ui_set_theme(struct ui *ui, const char *name);
void ui_global_keys(const struct ui_key **keys, size_t *n);

/* The list's filter reaches into the server's history (list_view.c): asks
 * it when the filter needs it and it changed. */
void ui_list_search(struct ui *ui);

/* ---- shared drawing (words.c) --------------------------------------------------- */
/* Translated status name and its element, with the stale state. */
const char *ui_status_text(enum model_status s);
enum ui_element ui_status_element(enum model_status s);
const char *ui_status_symbol(enum model_status s);
const char *ui_step_status_text(enum exec_step_status s);
enum ui_element ui_step_status_element(enum exec_step_status s);
/* The translated sentence for a log kind ("Step completed"...). */
const char *ui_log_kind_text(enum model_log_kind k);
/* The short id shown in lists. */
void ui_short_id(const char *id, char *buf, size_t len);
/* A step's duration: a running step's time ticks in whole seconds, a
 * finished one's is exact; "-" when unknown. */
void ui_step_duration_text(const struct exec_step *s, int64_t now_ms, char *buf, size_t len);
/* An execution's time: a finished one's exact total ("5.8 s"), a running
 * one's elapsed time in whole seconds; "-" when unknown. */
void ui_exec_duration_text(const struct model_exec *x, int64_t now_ms, char *buf, size_t len);
/* Translated priority ("high", "normal", "low"). */
const char *ui_prio_text(enum proto_priority p);
/* The open execution is one the server does not know (its room's snapshot
 * came empty and no event since): every view of it says "not found". */
bool ui_exec_unknown(const struct ui *ui);
/* That sentence, on row y. */
void ui_exec_not_found(struct ui *ui, int y);
/* The widest translated status, and priority, in display columns: the
 * width of the columns that show them. */
int ui_status_width(void);
int ui_prio_width(void);
/* The line above a table or pane: its title on the left, extra on the right. */
void ui_title_line(int y, const char *title, const char *extra);
/* One footer hint ("key what") at *x, moving *x on. */
void ui_hint(int y, int *x, const char *key, const char *what, bool active);
/* The backlog warning's text, shared by the header and the queue view. */
void ui_queue_backlog_text(const struct model_queue *q, char *buf, size_t len);
/* Sends a request to the daemon (takes req); says so on the message line
 * when there is no connection. Returns 0 or -1. */
int ui_request(struct ui *ui, json_t *req);

/* ---- tables (table.c) -------------------------------------------------------------
 * Columns fitted by display width: each at least as wide as its title and
 * its min, then grown to `want` (the widest content it may show whole) and
 * by its flex share of what is left; columns with a drop order go first
 * when the width is short (1, then 2...). Columns are one blank apart and a
 * cell is cut with an ellipsis at its width, so it never runs into the next. */
#define UI_TABLE_MAX_COLS 12

struct ui_col {
	const char *title;       /* translated; NULL or "" for none */
	int min;                 /* least width */
	int want;                /* width to show its widest content whole; 0: min */
	int flex;                /* share of the spare width */
	int drop;                /* order to drop it in when too narrow; 0 never */
	bool right;              /* right-aligned cells (numbers, times) */
};

struct ui_table {
	const struct ui_col *cols;   /* borrowed */
	size_t n;
	bool on[UI_TABLE_MAX_COLS];
	int x[UI_TABLE_MAX_COLS], w[UI_TABLE_MAX_COLS];
};

/* Lays out cols in [x0, x0 + width). */
void ui_table_layout(struct ui_table *t, const struct ui_col *cols, size_t n, int x0, int width);
/* The column titles on row y. */
void ui_table_header(const struct ui_table *t, int y, enum ui_element el);
/* One cell (nothing when the column is dropped). */
void ui_table_cell(const struct ui_table *t, int y, size_t col, enum ui_element el, const char *text);
/* The widest of some words in display columns (translated status names...). */
int ui_words_width(const char *const *words, size_t n);

/* ---- the notice line (notices.c) ------------------------------------------------ */
/* Raises (or updates) the notice of kind k; lasts_ms > 0 lets it lapse then. */
void ui_notice_raise(struct ui *ui, enum ui_notice_kind k, enum ui_element el, int64_t lasts_ms,
		     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void ui_notice_clear(struct ui *ui, enum ui_notice_kind k);
/* Raises and clears the threshold notices from the model; lapses the old. */
void ui_notices_sync(struct ui *ui);
/* The notice shown (the most important not dismissed), or NULL; *others
 * gets how many more there are. */
const struct ui_notice *ui_notice_top(const struct ui *ui, int *others);
/* Dismisses the notice shown; false when there is none. */
bool ui_notice_dismiss(struct ui *ui);
/* 1 while a notice is shown, else 0: the rows the line takes. */
int ui_notice_rows(const struct ui *ui);
void ui_notice_draw(struct ui *ui, int y);
/* A threshold warning's text (NOTICE_BACKLOG, NOTICE_CPU, NOTICE_DEGRADED),
 * long for the notice line or compact for the header; false when the
 * threshold is not crossed. */
bool ui_warning_text(struct ui *ui, enum ui_notice_kind k, bool compact, char *buf, size_t len);

/* ---- alerts and rules ------------------------------------------------------------ */
/* Translated severity ("critical"...), its element; translated state. */
const char *ui_severity_text(enum alert_severity s);
enum ui_element ui_severity_element(enum alert_severity s);
const char *ui_alert_state_text(enum alert_state s);
/* The daemon's answer to an alert or rule request, on the message line
 * (alerts_view.c, rules_view.c); true when the reply was theirs. */
bool ui_alerts_reply(struct ui *ui, const struct model_reply *r);
bool ui_rules_reply(struct ui *ui, const struct model_reply *r);
/* Opens the form for a new rule (rule NULL) or a copy of one (borrowed). */
void ui_rule_form_open(struct ui *ui, const struct alert_rule *rule);
/* The daemon refused the form's rule: message and the cursor on field. */
void ui_rule_form_error(struct ui *ui, const char *field, const char *message);
void ui_rule_form_free(struct ui *ui);
/* ---- workflows (health_view.c) ----------------------------------------------------- */
/* Opens the workflows view (W) with the cursor on this workflow (by id; NULL
 * keeps the last one). */
void ui_health_open(struct ui *ui, const char *workflow_id);
/* ---- metrics (metrics_view.c) ------------------------------------------------------ */
/* Opens the metrics table, or one workflow's trends (by id or name) when
 * workflow is given. */
void ui_metrics_open(struct ui *ui, const char *workflow);
void ui_metrics_free(struct ui *ui);
/* ---- cancel and retry (exec_control.c) ---------------------------------------------- */
/* Confirms, then asks the daemon to have the producer cancel or retry x
 * (refused at once under --readonly, for a viewer, or in a status the
 * command does not fit, saying why). */
void ui_exec_control_ask(struct ui *ui, const struct exec *x, enum proto_control cmd);
/* The daemon's answer to such a request, on the message line; true when it was one. */
bool ui_exec_control_reply(struct ui *ui, const struct model_reply *r);
/* Where the execution's last request stands ("cancel asked by olga: waiting
 * for the producer"), with its element; false when there is none to show. */
bool ui_exec_control_text(const struct exec *x, char *buf, size_t len, enum ui_element *el);

/* ---- dashboards (dashboard_view.c) --------------------------------------------------- */
/* Opens the user's dashboard of that name (NULL or "": lists them). */
void ui_dashboard_open(struct ui *ui, const char *name);
/* Every turn of the loop: starts the dashboards once LIVE, refreshes the
 * aggregates while shown, sends what the model asks, says the answers. */
void ui_dashboard_poll(struct ui *ui, unsigned changes);
void ui_dashboard_free(struct ui *ui);

/* A rule type's translated name ("consecutive failures"). */
const char *ui_rule_type_text(enum alert_type type);
/* Asks the daemon for the rules list. */
void ui_rules_refresh(struct ui *ui);

#endif
