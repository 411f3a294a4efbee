/* proto-internal.h: helpers shared by the files of the protocol module only.
 * Nothing outside src/proto includes this; the contract is include/proto/proto.h
 * (which also has proto_fail and proto_json_id_valid, shared with the alert
 * rule parser). */
#ifndef WFMON_PROTO_INTERNAL_H
#define WFMON_PROTO_INTERNAL_H

#include "exec.h"
#include "proto.h"

/* proto_id_valid for a string that may hold NUL bytes (JSON strings can). */
bool proto_idn_valid(const char *s, size_t len);
/* C0 controls, DEL and the C1 controls (U+0080..U+009F, which a terminal may
 * take as escape sequences); newline and tab pass when allowed. */
bool proto_has_control(const char *s, size_t len, bool allow_newline_tab);

/* exec.c, for exec_json.c: what applying events and reading snapshots share. */
/* Appends a log line (the oldest goes when full); texts are copied. */
void exec_log_push(struct exec *x, const char *event_id, int64_t ts_ms, enum proto_level level,
		   const char *step_id, const char *message);
/* Counters are absolute totals: the larger value wins; new names stop at EXEC_COUNTERS. */
void exec_counter_raise(struct exec *x, const char *name, int64_t value);
/* The step, created when new; NULL past the limit (planned steps have none). */
struct exec_step *exec_step_get(struct exec *x, const char *step_id, bool planned);
/* Moves a step to a status, keeping the execution's counts. */
void exec_step_status_set(struct exec *x, struct exec_step *s, enum exec_step_status to);
/* Recomputes the current step (see exec.h). */
void exec_pick_current(struct exec *x);
/* Adds an earlier attempt (copying its error), in attempt order, once per
 * attempt number, keeping the latest EXEC_STEP_TRIES. */
void exec_step_try_add(struct exec_step *s, const struct exec_try *t);
/* Moves the step's current attempt to its earlier ones and starts `attempt`
 * from pending. */
void exec_step_new_attempt(struct exec *x, struct exec_step *s, uint32_t attempt);
/* Makes `attempt` the execution's current one; a finished execution opens
 * again with status `to`. */
void exec_reopen(struct exec *x, uint32_t attempt, enum exec_status to);
/* Sets one label (invalid keys and values are passed over; a new key only
 * while there is room). */
void exec_label_set(struct exec *x, const char *key, const char *value);
/* Adds or changes the labels of an object of strings (see exec.h). */
void exec_labels_merge(struct exec *x, json_t *labels);

/* dashboard.c, for request.c: the "dashboard" request's fields and parser. */
extern const char *const dashboard_request_fields[];
int dashboard_request_parse(json_t *root, struct proto_request *req, struct proto_cause *cause);

#endif
