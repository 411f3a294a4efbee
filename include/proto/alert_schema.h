/* alert_schema.h: how the alert rule schema describes its fields: one row per
 * JSON field with its name, the words a person reads, its kind and limits, its
 * choices and its default, and where its value lives in the typed rule.
 *
 * The tables themselves are alert_rule.h's (the rule, each type's conditions)
 * and alert_channel.h's (each channel type's fields); the daemon's parser,
 * `wfmon alerts` and the console's rule form all read them. Pure data: no I/O.
 *
 * Labels are English; the console shows them through gettext (their Polish is
 * in src/po/pl.po). */
#ifndef WFMON_ALERT_SCHEMA_H
#define WFMON_ALERT_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

/* What clients see instead of a secret; sent back unchanged, it keeps it. */
#define ALERT_SECRET_MASK "***"

/* One value a choice field takes. */
struct alert_field;
struct alert_choice {
	const char *name;                  /* on the wire */
	const char *label;                 /* for people (English); NULL: the name */
	const struct alert_field *fields;  /* the fields this choice brings (a rule type's
					    * conditions, a channel type's fields), or NULL */
};

enum alert_field_kind {
	ALERT_FIELD_ID,         /* an id (proto_id_valid); null or absent: none */
	ALERT_FIELD_TEXT,       /* a string of min..max bytes */
	ALERT_FIELD_CHOICE,     /* the name of one of choices[] */
	ALERT_FIELD_INT,        /* a whole number from min to max */
	ALERT_FIELD_NUMBER,     /* a number from min (or above it: ALERT_F_ABOVE_MIN) to max */
	ALERT_FIELD_BOOL,       /* true or false */
	ALERT_FIELD_URL,        /* scheme://host[:port]... with one of schemes[], no credentials */
	ALERT_FIELD_ADDRESSES,  /* 1 to ALERT_EMAIL_MAX_RCPT e-mail addresses, comma-separated */
	ALERT_FIELD_ADDRESS,    /* one e-mail address */
	ALERT_FIELD_PHONE,      /* + and 8 to 15 digits */
	ALERT_FIELD_LABELS,     /* execution labels: an object of at most max label: value strings, or
				 * their text form ("period=2026-11, client=ACME"); stored as that text */
};

enum alert_field_flag {
	ALERT_F_REQUIRED = 1 << 0,        /* absent is an error */
	ALERT_F_SECRET = 1 << 1,          /* clients see ALERT_SECRET_MASK */
	ALERT_F_SERVER = 1 << 2,          /* given by the daemon (a rule's id): forms do not edit it */
	ALERT_F_NULL_WHEN_EMPTY = 1 << 3, /* written as null when empty (else left out) */
	ALERT_F_ABOVE_MIN = 1 << 4,       /* NUMBER: min itself is refused */
	ALERT_F_ZERO_ABSENT = 1 << 5,     /* INT, NUMBER: 0 means "not given" (someone else's default
					   * applies) and is left out when written */
};

/* Where a field's value lives in the typed struct (alert_rule, alert_channel). */
enum alert_store {
	ALERT_STORE_CHARS,      /* char[size], a copy of the text (or of the choice's name) */
	ALERT_STORE_STR,        /* char *, a heap copy owned by the struct; NULL when absent */
	ALERT_STORE_ENUM,       /* an enum: the index of the choice */
	ALERT_STORE_INT,        /* int: the JSON number times scale (minutes -> seconds) */
	ALERT_STORE_DOUBLE,
	ALERT_STORE_BOOL,
};

struct alert_field {
	const char *name;                  /* the JSON key */
	const char *label;                 /* for people (English), e.g. "cooldown (minutes)" */
	enum alert_field_kind kind;
	unsigned flags;                    /* enum alert_field_flag */
	double min, max;                   /* INT, NUMBER; TEXT: bytes */
	const struct alert_choice *choices;   /* CHOICE */
	size_t nchoices;
	const char *const *schemes;        /* URL: NULL-terminated, e.g. "http", "https" */
	const char *must;                  /* the error's words after "must be" when the generic
					    * ones would not say it ("a number of at least 1") */
	const char *dflt;                  /* optional fields: the value when absent (as the JSON
					    * would give it: "15", "true", "en"); NULL: none */
	const char *form_start;            /* what a new rule's form starts with; NULL: dflt */
	const char *fixed;                 /* not on the wire: always this value (what a rule
					    * type implies, e.g. queue_backlog's metric) */
	enum alert_store store;
	size_t offset, size;               /* where in the struct; size: CHARS only */
	int scale;                         /* INT: stored = JSON value * scale (0: 1) */
};

/* A field list ends with a row whose name is NULL. */
static inline bool alert_field_end(const struct alert_field *f)
{
	return f->name == NULL;
}

/* The index of name among choices, or -1. */
int alert_choice_find(const struct alert_choice *choices, size_t n, const char *name);
/* What a person reads for choice i: its label, else its name; NULL out of range. */
const char *alert_choice_label(const struct alert_choice *choices, size_t n, size_t i);

#endif
