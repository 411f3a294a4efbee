/* alert_record.h: an alert as the daemon raised it and people act on it, in
 * one place for the daemon (which keeps, announces and stores it), the store
 * (which writes and reloads its rows) and the console and `wfmon alerts`
 * (which show it): the typed record, its states, its delivery attempts, one
 * writer to JSON and one reader from JSON (alert_record.c).
 *
 * The JSON form (room "alerts", the alerts snapshot, the store's rows, the
 * webhook payload):
 * {"id","rule_id","rule_name","workflow_id"|null,"execution_id"|null,
 *  "severity","state","title","body","context":{...},"triggered_at",
 *  "acknowledged_by"|null,"acknowledged_at"|null,"ack_note"|null,
 *  "resolved_by"|null,"resolved_at"|null,"resolve_note"|null,"escalations",
 *  "escalated_at"|null,"bell","deliveries":[{"channel","channel_index",
 *  "attempt","ok","final","detail","at"}]}
 * The reader refuses a missing or wrong-typed field it needs (id, rule_id,
 * rule_name, severity, state, title, body, triggered_at) and any value out of
 * its bounds, naming the field; the rest may be absent or null (none); keys it
 * does not know are left alone, so that a newer daemon may add some.
 *
 * Ownership: a record owns its strings, its context and its deliveries
 * (alert_record_clear frees them); *_new return new references. */
#ifndef WFMON_ALERT_RECORD_H
#define WFMON_ALERT_RECORD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert_rule.h"
#include "proto.h"

#define ALERT_TITLE_MAX 255              /* bytes of a title */
#define ALERT_BODY_MAX 1023              /* bytes of a body */
#define ALERT_DELIVERIES_KEPT 32         /* the newest attempts a record keeps */
#define ALERT_DELIVERY_DETAIL_MAX 255

enum alert_state { ALERT_ACTIVE, ALERT_ACKNOWLEDGED, ALERT_RESOLVED, ALERT__STATE_COUNT };
const char *alert_state_name(enum alert_state s);   /* "active", ...; NULL out of range */

/* One attempt to notify a channel of the rule. */
struct alert_delivery {
	enum channel_type channel;
	int channel_index;                   /* in the rule's list */
	int attempt;                         /* 1, 2, ...; 0: never tried (the queue was full) */
	bool ok;
	bool final;                          /* no further attempt will be made */
	char detail[ALERT_DELIVERY_DETAIL_MAX + 1];   /* "HTTP 200", "connection refused" */
	int64_t at_ms;                       /* 0: unknown */
};

struct alert_record {
	int64_t id;                          /* > 0; unique across restarts */
	char rule_id[PROTO_MAX_ID + 1];
	char rule_name[PROTO_MAX_NAME + 1];
	char workflow_id[PROTO_MAX_ID + 1];  /* "" when the rule watches every workflow */
	char execution_id[PROTO_MAX_ID + 1]; /* "" when none */
	enum alert_severity severity;
	enum alert_state state;
	char *title, *body;                  /* never NULL once initialized */
	json_t *context;                     /* owned object, never NULL once initialized:
					      * the numbers that triggered it */
	int64_t triggered_ms;
	int64_t acknowledged_ms, resolved_ms, escalated_ms;   /* 0: not (yet) */
	char acknowledged_by[PROTO_MAX_NAME + 1];             /* "" when none */
	char resolved_by[PROTO_MAX_NAME + 1];                 /* "" when none or automatic */
	char *ack_note, *resolve_note;       /* NULL when none */
	int escalations;
	bool bell;                           /* an in-app channel asked consoles to ring */
	struct alert_delivery *deliveries;   /* oldest first, at most ALERT_DELIVERIES_KEPT */
	size_t ndeliveries;
};

/* An empty record: texts "", context {}, no deliveries. */
void alert_record_init(struct alert_record *r);
void alert_record_clear(struct alert_record *r);
/* Replaces a text (title, body, a note; NULL for a note: none), cut to its
 * limit at a UTF-8 boundary. */
void alert_record_set_text(char **dst, const char *text, size_t max);
/* Appends an attempt, dropping the oldest past ALERT_DELIVERIES_KEPT. */
void alert_record_add_delivery(struct alert_record *r, const struct alert_delivery *d);

/* The JSON form; with_deliveries false leaves "deliveries" out (the store
 * keeps attempts in their own table; a webhook payload does not carry them). */
json_t *alert_record_json_new(const struct alert_record *r, bool with_deliveries);
/* Reads the JSON form into *r (which needs no init and holds nothing to free
 * on error). 0, or -1 with *cause naming the field ("severity",
 * "deliveries[2].attempt"). */
int alert_record_parse(json_t *j, struct alert_record *r, struct proto_cause *cause);

/* One attempt's JSON form, and back. */
json_t *alert_delivery_json_new(const struct alert_delivery *d);
int alert_delivery_parse(json_t *j, struct alert_delivery *d, struct proto_cause *cause);

#endif
