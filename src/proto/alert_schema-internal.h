/* alert_schema-internal.h: the field engine alert_rule.c and alert_channel.c
 * share (alert_schema.c): parsing and writing a list of alert_schema.h rows.
 * Nothing outside src/proto includes this. */
#ifndef WFMON_ALERT_SCHEMA_INTERNAL_H
#define WFMON_ALERT_SCHEMA_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "alert_schema.h"
#include "proto.h"

/* How one object's fields are read. */
struct alert_parse {
	const char *prefix;       /* the object's JSON path: "", "conditions" */
	const char *missing;      /* the words for a required field left out ("is required for a
				   * webhook channel"); NULL: the field's own "must be" words */
	bool null_is_absent;      /* a null field counts as left out (ids always do) */
	const void *prev;         /* the same struct before an edit: masked secrets keep its
				   * values; NULL: none */
	bool mask_ok;             /* a masked secret passes as it is */
};

/* "a.b", or "a" when b is empty, or "b" when a is: cut to len at a UTF-8 boundary. */
void alert_schema_path(char *dst, size_t len, const char *a, const char *b);
/* Puts prefix in front of the field a nested check named; returns -1. */
int alert_schema_fail_prefix(struct proto_cause *cause, const char *prefix);
/* Refuses a key of obj that is neither a wire field of fields nor in extra
 * (NULL-terminated, may be NULL), naming it under p->prefix. */
int alert_schema_check_keys(json_t *obj, const struct alert_field *fields, const char *const *extra,
			    const char *prefix, struct proto_cause *cause);
/* Reads every field of the list from obj (an object, or NULL when there is
 * none) into base; fixed fields take their value. Returns 0, or -1 with the
 * field named (base may then hold strings: the caller clears it). */
int alert_schema_parse(json_t *obj, const struct alert_field *fields, void *base, const struct alert_parse *p,
		       struct proto_cause *cause);
/* Writes every wire field of base into obj, in the list's order. */
void alert_schema_write(json_t *obj, const struct alert_field *fields, const void *base, bool with_secrets);

#endif
