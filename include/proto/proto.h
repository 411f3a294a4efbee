/* proto.h: the wfmon wire protocol, version 1, shared by wfmond and every client.
 *
 * Pure code: encode, decode and validate JSON messages and events. No I/O, no
 * libwebsockets, no libpq, no ncurses. man/wfmon-protocol.7 documents the same
 * contract for people; change both together and bump PROTO_VERSION on any
 * incompatible change.
 *
 * Ownership: functions named *_new return a new reference or string the caller
 * owns; everything else borrows its arguments. */
#ifndef WFMON_PROTO_H
#define WFMON_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_SUBPROTOCOL "wfmon.v1"
#define PROTO_VERSION 1
/* Additions within version 1 that a peer may use once the other side said it
 * knows them (the "hello" answer lists them): 1 is the first release; 2 adds
 * attempts, labels, unplanned steps' names, plans that may be empty,
 * delayed executions, extension fields, cancel and retry, and schedules. */
#define PROTO_REVISION 2

/* Limits every peer can rely on. */
#define PROTO_MAX_MESSAGE (1024 * 1024)   /* one inbound frame; larger closes with 1009 */
#define PROTO_MAX_ID 64                   /* event, execution, workflow, step ids; request ids */
#define PROTO_MAX_ROOM 96                 /* a room name, e.g. "execution:<id>" */
#define PROTO_MAX_NAME 128                /* workflow, step, counter, worker names */
#define PROTO_MAX_TEXT 4096               /* a log line, a message, an error */
#define PROTO_MAX_DATA 65536              /* a step's input or output, serialized JSON */
#define PROTO_MAX_STEPS 512               /* planned steps of one execution */
#define PROTO_MAX_DEPS 64                 /* dependencies of one step */
#define PROTO_MAX_BATCH 1000              /* events in one publish */
#define PROTO_MAX_TOKEN 8192              /* a bearer token (JWT), in a header or an auth request */
#define PROTO_MAX_ATTEMPT 1000            /* an attempt number: 1 .. this */
#define PROTO_MAX_LABELS 16               /* labels of one execution */
#define PROTO_MAX_LABEL_KEY 64            /* bytes of a label key: [A-Za-z0-9_.-/] */
#define PROTO_MAX_LABEL_VALUE 128         /* bytes of a label value, no control characters */
/* Fields whose name starts with this are extensions: any event may carry
 * them, every peer keeps them as they are and none interprets them. */
#define PROTO_EXT_PREFIX "x_"
#define PROTO_MAX_EXT 65536               /* bytes of an event's extension fields, compact */
#define PROTO_MAX_FEATURES 32             /* words in a client's hello "features" */

/* The feature word a client lists in its hello "features" to get pending
 * event messages ({"type":"event","pending":true,...}, no "seq": a cluster
 * node's own events while its Redis is away); a client that does not list
 * it never gets one. A daemon that lists it in its hello answer honours it. */
#define PROTO_FEATURE_PENDING_EVENTS "pending_events"

/* WebSocket close codes beyond RFC 6455's own (1007 invalid UTF-8, 1009 too big). */
#define PROTO_CLOSE_SLOW_CONSUMER 4001    /* outbound queue over its limit */
#define PROTO_CLOSE_RATE_LIMITED 4002     /* kept sending far over the request rate */
#define PROTO_CLOSE_BAD_REQUESTS 4003     /* a run of malformed requests */
#define PROTO_CLOSE_TOKEN_EXPIRED 4004    /* its token expired (exp + the daemon's leeway) unrenewed */
#define PROTO_CLOSE_SHUTDOWN 1001         /* the daemon is going away */

/* The fixed set of error codes. */
enum proto_error {
	PROTO_ERR_BAD_REQUEST,
	PROTO_ERR_UNAUTHORIZED,
	PROTO_ERR_FORBIDDEN,
	PROTO_ERR_NOT_FOUND,
	PROTO_ERR_TOO_LARGE,
	PROTO_ERR_RATE_LIMITED,
	PROTO_ERR_UNAVAILABLE,
	PROTO_ERR__COUNT
};
const char *proto_error_name(enum proto_error code);

/* Where validation failed: the field's JSON path (e.g. "steps[3].depends_on")
 * and a sentence a person can act on. */
struct proto_cause {
	char field[96];
	char message[256];
};

/* Fills *cause (which may be NULL) and returns -1, so that a failing check is
 * one line: `return proto_fail(cause, "ts", "must be ...")`. Both texts are cut
 * at a UTF-8 character boundary, because they end up in JSON strings and a
 * split character would make the error message itself unencodable. For
 * validators of the protocol and of what travels inside it (alert rules). */
int proto_fail(struct proto_cause *cause, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- Identifiers and time ---------------------------------------------- */

/* An id is 1..PROTO_MAX_ID characters of [A-Za-z0-9_.:-]. */
bool proto_id_valid(const char *s);
/* A JSON value that is a string holding a valid id (no NUL inside). */
bool proto_json_id_valid(const json_t *v);

/* RFC 3339 with a zone ("2026-11-23T04:00:00.123Z", "...+01:00"); 0 or -1. */
int proto_time_parse(const char *s, int64_t *ms_out);
/* Formats as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least 32 bytes). */
void proto_time_format(int64_t ms, char *buf, size_t len);

/* ---- Events -------------------------------------------------------------- */

enum proto_event_kind {
	EV_EXECUTION_QUEUED,
	EV_EXECUTION_STARTED,
	EV_STEP_STARTED,
	EV_STEP_PROGRESS,
	EV_STEP_COMPLETED,
	EV_STEP_FAILED,
	EV_LOG,
	EV_COUNTER,
	EV_RESOURCE_SAMPLE,
	EV_EXECUTION_COMPLETED,
	EV_EXECUTION_FAILED,
	EV_EXECUTION_CANCELLED,
	EV_CONTROL_REQUESTED,     /* wfmond: an operator asked the producer to cancel or retry */
	EV_CONTROL_REPLIED,       /* the producer accepts or refuses that request */
	EV__COUNT
};

/* "execution.queued" ... ; NULL for an out-of-range kind. */
const char *proto_event_kind_name(enum proto_event_kind kind);
int proto_event_kind_parse(const char *name, enum proto_event_kind *out);
/* Changes the state of an execution as the dashboard sees it (queued, started,
 * step started/completed/failed, completed, failed, cancelled): these also go to
 * the workflow and org rooms. */
bool proto_event_is_execution_level(enum proto_event_kind kind);
/* Ends an execution (completed, failed, cancelled). */
bool proto_event_is_terminal(enum proto_event_kind kind);
/* Made by wfmond only (control.requested): a producer may not publish it. */
bool proto_event_is_daemon_only(enum proto_event_kind kind);

/* What an operator may ask a producer to do with an execution. */
enum proto_control { CONTROL_CANCEL, CONTROL_RETRY, CONTROL__COUNT };
const char *proto_control_name(enum proto_control c);   /* "cancel", "retry"; NULL out of range */
int proto_control_parse(const char *name, enum proto_control *out);

/* A label key: 1..PROTO_MAX_LABEL_KEY bytes of A-Z a-z 0-9 _ . - / */
bool proto_label_key_valid(const char *s);
/* A label value: 1..PROTO_MAX_LABEL_VALUE bytes, valid UTF-8 without control characters. */
bool proto_label_value_valid(const char *s);
/* An object of at most max labels (labels.c); the error names path.key. */
int proto_labels_check(json_t *labels, size_t max, const char *path, struct proto_cause *cause);
/* Labels as people write them: "period=2026-11, client=\"Biuro, Kraków\""
 * (a value with a comma, a quote or spaces at its ends is quoted, \" and
 * \\ inside), or a JSON object. Returns a new object of at most max labels,
 * or NULL with a cause. An empty text is an empty object. */
json_t *proto_labels_parse_text(const char *text, size_t max, struct proto_cause *cause);
/* The other way ("" for none or an empty object). */
void proto_labels_format(json_t *labels, char *buf, size_t len);

enum proto_priority { PRIO_HIGH, PRIO_NORMAL, PRIO_LOW, PRIO__COUNT };
const char *proto_priority_name(enum proto_priority p);
int proto_priority_parse(const char *name, enum proto_priority *out);

/* A log line's level. */
enum proto_level { LEVEL_DEBUG, LEVEL_INFO, LEVEL_WARN, LEVEL_ERROR, LEVEL__COUNT };
const char *proto_level_name(enum proto_level l);   /* "debug" ...; NULL out of range */
int proto_level_parse(const char *name, enum proto_level *out);

/* A validated event, decoded once into typed fields: nobody reads its JSON
 * keys again. String and JSON pointers borrow from the event object and live
 * as long as it does. Fields the kind does not have, and optional fields that
 * are absent, are NULL (pointers) or -1 (numbers). */
struct proto_event {
	enum proto_event_kind kind;
	const char *event_id;
	const char *execution_id;
	const char *workflow_id;
	const char *step_id;
	int64_t ts_ms;
	/* execution.queued */
	const char *workflow_name;
	enum proto_priority priority;
	json_t *params;
	json_t *plan;                /* the steps; read them with proto_event_plan_step */
	size_t nplan;
	/* execution.started, step.started, resource.sample */
	const char *worker;
	/* step.started (input); step.completed, execution.completed (output) */
	json_t *input, *output;
	int64_t input_size, output_size;   /* bytes of the compact JSON */
	/* step.completed, step.failed, resource.sample (cpu, memory); execution.completed (duration) */
	int64_t duration_ms;
	double cpu_percent;
	int64_t memory_bytes;
	/* step.progress */
	int64_t current, total;
	const char *unit;
	/* step.progress, log */
	const char *message;
	/* step.failed, execution.failed */
	const char *error, *error_code;
	/* execution.cancelled */
	const char *reason;
	/* log */
	enum proto_level level;
	/* counter */
	const char *name;
	int64_t value;
	/* execution.* and step.*: the attempt the event belongs to (-1: not said) */
	int64_t attempt;
	/* execution.queued, execution.started: labels, an object of strings (NULL: none) */
	json_t *labels;
	/* step.started, step.completed, step.failed: the step's name (an unplanned step's) */
	const char *step_name;
	/* execution.queued: not to start before (0: now) */
	int64_t delayed_until_ms;
	/* control.requested, control.replied */
	enum proto_control command;
	const char *request_id;
	const char *by;              /* control.requested: who asked */
	int accepted;                /* control.replied: 1 accepted, 0 refused */
};

/* One step of execution.queued's plan, borrowed from the event. */
struct proto_plan_step {
	const char *id;
	const char *name;
	size_t ndepends;
	json_t *depends_on;          /* read with proto_plan_step_dep */
};

/* Validates one event object against the schema of its kind (see
 * man/wfmon-protocol.7) and fills *out. Unknown fields are refused so that a
 * typo never passes silently, except extension fields (PROTO_EXT_PREFIX),
 * which are kept as they are: at most PROTO_MAX_EXT bytes of them. Returns 0,
 * or -1 with *cause naming the field. */
int proto_event_validate(json_t *event, struct proto_event *out, struct proto_cause *cause);
/* The same for a client reading what a daemon sent: fields it does not know
 * (a newer daemon's) are passed over instead of refused. */
int proto_event_read(json_t *event, struct proto_event *out, struct proto_cause *cause);
/* The i-th step of a validated execution.queued (i < ev->nplan). */
void proto_event_plan_step(const struct proto_event *ev, size_t i, struct proto_plan_step *out);
/* The j-th dependency of a plan step (j < s->ndepends): a valid id. */
const char *proto_plan_step_dep(const struct proto_plan_step *s, size_t j);

/* ---- Rooms --------------------------------------------------------------- */

enum proto_room_kind {
	ROOM_EXECUTION,   /* "execution:<id>": everything about one execution */
	ROOM_WORKFLOW,    /* "workflow:<id>": execution-level changes of one workflow */
	ROOM_ORG,         /* "org": execution-level changes of the whole organization */
	ROOM_QUEUE,       /* "queue" */
	ROOM_RESOURCES,   /* "resources" */
	ROOM_ALERTS,      /* "alerts" */
	ROOM_CONTROL,     /* "control": commands for producers */
	ROOM_HEALTH,      /* "health": each workflow's health and schedule */
	ROOM_METRICS,     /* "metrics:<range>[:<workflow>]": a dashboard aggregate, pushed every 5 s */
	ROOM__COUNT
};

struct proto_room {
	enum proto_room_kind kind;
	char id[PROTO_MAX_ID + 1];   /* empty for rooms without an id */
};

int proto_room_parse(const char *name, struct proto_room *out, struct proto_cause *cause);
/* Writes the canonical name; returns its length, or -1 if len is too small. */
int proto_room_format(const struct proto_room *room, char *buf, size_t len);

/* ---- Requests (client to server) ----------------------------------------- */

enum proto_request_type {
	REQ_SUBSCRIBE,
	REQ_UNSUBSCRIBE,
	REQ_PUBLISH,
	REQ_PING,
	REQ_QUERY,
	REQ_PRIORITIZE,    /* raise (or lower) a queued execution's priority */
	REQ_RULE,          /* alert rules: list, save, delete, enable, disable */
	REQ_ALERT,         /* an alert: acknowledge, resolve, escalate */
	REQ_AUTH,          /* a fresh token for the connection, before the old one expires */
	REQ_HELLO,         /* which protocol revision and features the daemon has */
	REQ_CANCEL,        /* ask the producer to cancel a queued or running execution */
	REQ_RETRY,         /* ask the producer to run a failed or cancelled execution again */
	REQ_SCHEDULE,      /* expected runs of workflows: list, save, delete */
	REQ_DASHBOARD,     /* dashboards: list, get, save, delete, default (dashboard.h) */
	REQ__COUNT
};

enum proto_rule_action { RULE_LIST, RULE_SAVE, RULE_DELETE, RULE_ENABLE, RULE_DISABLE, RULE__COUNT };
enum proto_schedule_action { SCHEDULE_LIST, SCHEDULE_SAVE, SCHEDULE_DELETE, SCHEDULE_ACTION__COUNT };
const char *proto_schedule_action_name(enum proto_schedule_action a);
enum proto_alert_action { ALERT_ACK, ALERT_RESOLVE, ALERT_ESCALATE, ALERT_ACTION__COUNT };
const char *proto_rule_action_name(enum proto_rule_action a);
const char *proto_alert_action_name(enum proto_alert_action a);

/* History queries (answered from the store). */
enum proto_query {
	QUERY_EXECUTIONS,   /* "executions": list with filters, newest first, keyset pages */
	QUERY_EXECUTION,    /* "execution": one in full, with its event log */
	QUERY_STEP_STATS,   /* "step_stats": step durations over a workflow's last runs */
	QUERY_METRICS,      /* "metrics": performance figures over a range (metrics.h) */
	QUERY__COUNT
};
const char *proto_query_name(enum proto_query q);
/* Checks a query's params (an object, or NULL for none) and returns a new,
 * normalized copy with defaults filled in: executions {status?: [..],
 * workflow?, from?, to?, text?, limit (50; 1..500), after?}; execution {id};
 * step_stats {workflow_id, runs (20; 1..1000)}; metrics: see
 * metrics_params_new. NULL with a cause naming the parameter when one is wrong. */
json_t *proto_query_params_new(enum proto_query q, json_t *params, struct proto_cause *cause);
const char *proto_request_type_name(enum proto_request_type type);

struct proto_request {
	enum proto_request_type type;
	json_t *root;           /* owned: the parsed message */
	json_t *id;             /* borrowed from root: string or integer, or NULL */
	struct proto_room room; /* subscribe, unsubscribe */
	bool has_since;         /* subscribe: resume after this position */
	int64_t since;
	json_t *events;         /* borrowed from root: publish's array, not yet validated */
	enum proto_query query; /* query */
	json_t *params;         /* query: new reference, checked and normalized */
	const char *execution_id;   /* prioritize: borrowed from root */
	enum proto_priority priority;
	enum proto_rule_action rule_action;   /* rule */
	json_t *rule;               /* rule save: borrowed from root, checked by the daemon */
	const char *rule_id;        /* rule delete/enable/disable: borrowed */
	enum proto_alert_action alert_action; /* alert */
	int64_t alert_id;
	const char *note;           /* alert: optional, borrowed */
	const char *token;          /* auth: borrowed, 1..PROTO_MAX_TOKEN bytes */
	const char *reason;         /* cancel, retry: optional, borrowed */
	bool pending_events;        /* hello: its "features" list PROTO_FEATURE_PENDING_EVENTS */
	enum proto_schedule_action schedule_action;   /* schedule */
	json_t *schedule;           /* schedule save: borrowed, checked by the daemon */
	const char *workflow_id;    /* schedule delete: borrowed */
	/* dashboard (dashboard.h): enum dash_action; the rest borrowed, NULL when absent */
	int dashboard_action;
	const char *dashboard_name, *dashboard_user, *dashboard_rename_from;
	json_t *dashboard;          /* save: checked by the daemon with dashboard_parse */
};

/* Parses one text frame (not NUL-terminated). On error returns -1, fills *cause,
 * and sets *id_out to a new reference to the request's id when one could be read
 * (so the error can echo it), else NULL. On success the caller owns req->root and
 * frees it with proto_request_clear. */
int proto_request_parse(const char *buf, size_t len, struct proto_request *req,
			json_t **id_out, struct proto_cause *cause);
void proto_request_clear(struct proto_request *req);
/* {"type":"auth","id":id,"token":token}: a new string the caller wipes
 * (it holds a credential) and frees; NULL if token is too long. */
char *proto_auth_request_new(const char *id, const char *token);

/* ---- Messages (server to client) ----------------------------------------- */
/* Each returns a new compact JSON string (one frame's payload) the caller frees. */

/* {"type":"event","room":R,"seq":N,"event":{...}} */
char *proto_event_message_new(const char *room, int64_t seq, json_t *event);
/* The same message in parts, so that an event serialized once serves every
 * room it goes to: the message is the prefix, the event's text, then "}".
 * proto_event_text_new returns the event's text as event messages carry it
 * (reals to 9 significant digits), and its length; NULL if event is not an
 * object or memory ran out. proto_event_message_prefix writes the text
 * before it for a canonical room name (proto_room_format's) and returns its
 * length, or -1 for another name or a buffer shorter than
 * PROTO_EVENT_PREFIX_MAX. */
#define PROTO_EVENT_PREFIX_MAX (PROTO_MAX_ROOM + 64)
char *proto_event_text_new(json_t *event, size_t *len);
int proto_event_message_prefix(char *buf, size_t len, const char *room, int64_t seq);
/* The prefix of a pending event message, {"type":"event","room":R,
 * "pending":true,"event":{...}}: an event the daemon acknowledged (kept on its
 * disk) but cannot number yet, its cluster's Redis being away; it comes again
 * with its "seq" once numbered (wfmon-protocol(7), POSITIONS). Same contract
 * as proto_event_message_prefix. */
int proto_event_pending_prefix(char *buf, size_t len, const char *room);
/* True when proto_event_text_new's text keeps every number of the event
 * exactly (no real needs more than 9 significant digits); when false, what
 * must keep the data exactly (the store) serializes it in full. */
bool proto_event_text_exact(json_t *event);
/* {"type":"subscribed","id":..,"room":R,"seq":N,"snapshot":{...},"resumed":bool}
 * seq is the room's position the snapshot reflects; resumed says that the
 * missed events follow instead of a snapshot. snapshot may be NULL. */
char *proto_subscribed_message_new(json_t *id, const char *room, int64_t seq,
				   json_t *snapshot, bool resumed);
/* {"type":"unsubscribed","id":..,"room":R} */
char *proto_unsubscribed_message_new(json_t *id, const char *room);
/* {"type":"ack","id":..,"accepted":A,"rejected":R,"results":[...]} where each
 * result is {"event_id":..,"status":"ok"|"duplicate"|"error","code"?,"field"?,"message"?}.
 * results is borrowed. */
char *proto_ack_message_new(json_t *id, int accepted, int rejected, json_t *results);
/* {"type":"error","id"?:..,"code":C,"message":M,"field"?:F} */
char *proto_error_message_new(json_t *id, enum proto_error code, const char *message,
			      const char *field);
/* {"type":"result","id":..,"query":Q,"data":{...}}; data is borrowed. */
char *proto_result_message_new(json_t *id, enum proto_query q, json_t *data);
/* {"type":"stats","room":R,"data":{...}}: computed numbers (queue depth,
 * resources), pushed when they change; not events, so without a position. */
char *proto_stats_message_new(const char *room, json_t *data);
/* {"type":"control","room":"control","command":C,...fields of args}: a command
 * for producers (e.g. "prioritize" with execution_id, priority, by). */
char *proto_control_message_new(const char *command, json_t *args);
/* {"type":"alert","room":"alerts","alert":{...}}: an alert fired or changed. */
char *proto_alert_message_new(json_t *alert);
/* {"type":"done","id":..}: a request that changes something succeeded. */
char *proto_done_message_new(json_t *id);
/* {"type":"pong","id":..,"time":"..."} */
char *proto_pong_message_new(json_t *id, int64_t now_ms);
/* {"type":"hello","id":..,"protocol":PROTO_VERSION,"revision":PROTO_REVISION,
 *  "features":[...],"server":server}: what this daemon speaks. */
char *proto_hello_message_new(json_t *id, const char *server);
/* The features of PROTO_REVISION, as the hello lists them; NULL-terminated. */
const char *const *proto_features(void);
/* A client's hello request, {"type":"hello","id":id,"protocol":..,"revision":..,
 * "client":client,"features":["pending_events"]}: client may be NULL; the
 * features only with pending_events (the client takes pending event
 * messages). Returns new text, NULL when out of memory. */
char *proto_hello_request_new(const char *id, const char *client, bool pending_events);
/* Whether a hello answer (parsed) lists a feature; false for NULL or for a
 * daemon that answered the hello with an error (revision 1). */
bool proto_hello_has(json_t *hello, const char *feature);
/* The revision a daemon speaks, from its answer to "hello": its "revision",
 * 1 for an error answer (a daemon from before the hello), 0 for anything
 * that is not an answer to it. */
int proto_hello_revision(json_t *answer);
/* Makes an event fit a daemon of an earlier revision (compat.c): removes the
 * fields that revision would refuse (attempt, labels, delayed_until, a
 * step's name, extension fields). Returns 0, or -1 when the event cannot be
 * said at that revision at all (control events; a queued event without a
 * plan): the producer leaves it out. */
int proto_event_downgrade(json_t *event, int revision);

#endif
