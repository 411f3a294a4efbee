/* event.c: the event schema: kind names and flags, validation of one event
 * object against the fields its kind allows, and its decoding into the typed
 * fields of struct proto_event.
 *
 * The schema is data: a field table per kind, plus the common header every
 * kind shares; each row names the struct proto_event member its value goes
 * to, so validating and decoding are one pass. Validation refuses unknown
 * fields first (so a typo is named as such, not reported as a missing field),
 * then checks each field of the table in order, then the kind's cross-field
 * rule, if any. It allocates nothing: the step graph of execution.queued is
 * checked with fixed arrays bounded by PROTO_MAX_STEPS. */
#include "proto.h"
#include "proto-internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum field_type {
	FT_ID,       /* proto id */
	FT_NAME,     /* 1..max bytes (PROTO_MAX_NAME unless set), no control characters */
	FT_TEXT,     /* 1..PROTO_MAX_TEXT bytes, newline and tab allowed */
	FT_DATA,     /* any JSON of at most PROTO_MAX_DATA bytes compact */
	FT_TIME,     /* RFC 3339 with a zone */
	FT_CHOICE,   /* one of choices */
	FT_COUNT,    /* integer >= 0 */
	FT_POSITIVE, /* integer >= 1 */
	FT_PERCENT,  /* number 0..PERCENT_MAX (above 100 on several cores) */
	FT_STEPS,    /* execution.queued's plan */
	FT_ATTEMPT,  /* integer 1..PROTO_MAX_ATTEMPT */
	FT_LABELS,   /* object of at most PROTO_MAX_LABELS label key: label value */
	FT_BOOL,     /* true or false, stored as 1 or 0 in an int */
};

#define PERCENT_MAX 100000
#define UNIT_MAX 32

struct field_spec {
	const char *name;
	enum field_type type;
	bool required;
	size_t at;                  /* offset of the struct proto_event member it fills */
	size_t size_at;             /* FT_DATA: offset of the member for its size, or 0 */
	size_t max;                 /* FT_NAME only: a tighter byte limit */
	const char *const *choices; /* FT_CHOICE only: NULL-terminated; the index goes to an enum */
};

#define AT(m) offsetof(struct proto_event, m)
#define REQ(n, t, m) {.name = (n), .type = (t), .required = true, .at = AT(m)}
#define OPT(n, t, m) {.name = (n), .type = (t), .required = false, .at = AT(m)}
#define DATA(n, m, sz) {.name = (n), .type = FT_DATA, .at = AT(m), .size_at = AT(sz)}
#define END {.name = NULL}

static const char *const priority_choices[] = {"HIGH", "NORMAL", "LOW", NULL};
static const char *const control_choices[CONTROL__COUNT + 1] = {
	[CONTROL_CANCEL] = "cancel", [CONTROL_RETRY] = "retry",
};
#define ATTEMPT OPT("attempt", FT_ATTEMPT, attempt)
#define STEP_NAME OPT("name", FT_NAME, step_name)
static const char *const level_choices[LEVEL__COUNT + 1] = {
	[LEVEL_DEBUG] = "debug", [LEVEL_INFO] = "info", [LEVEL_WARN] = "warn", [LEVEL_ERROR] = "error",
};

/* "type" is read before the tables are consulted (it selects the table) but is
 * listed here so that it counts as a known field. */
static const struct field_spec common_fields[] = {
	REQ("type", FT_ID, kind),
	REQ("id", FT_ID, event_id),
	REQ("execution_id", FT_ID, execution_id),
	REQ("workflow_id", FT_ID, workflow_id),
	REQ("ts", FT_TIME, ts_ms),
	END,
};

static const struct field_spec queued_fields[] = {
	REQ("workflow_name", FT_NAME, workflow_name),
	{.name = "priority", .type = FT_CHOICE, .required = true, .at = AT(priority),
	 .choices = priority_choices},
	OPT("steps", FT_STEPS, plan),
	{.name = "params", .type = FT_DATA, .at = AT(params)},
	ATTEMPT,
	OPT("labels", FT_LABELS, labels),
	OPT("delayed_until", FT_TIME, delayed_until_ms),
	END,
};
static const struct field_spec exec_started_fields[] = {
	OPT("worker", FT_NAME, worker),
	ATTEMPT,
	OPT("labels", FT_LABELS, labels),
	END,
};
static const struct field_spec step_started_fields[] = {
	REQ("step_id", FT_ID, step_id),
	DATA("input", input, input_size),
	OPT("worker", FT_NAME, worker),
	ATTEMPT,
	STEP_NAME,
	END,
};
static const struct field_spec step_progress_fields[] = {
	REQ("step_id", FT_ID, step_id),
	REQ("current", FT_COUNT, current),
	REQ("total", FT_POSITIVE, total),
	{.name = "unit", .type = FT_NAME, .at = AT(unit), .max = UNIT_MAX},
	OPT("message", FT_TEXT, message),
	ATTEMPT,
	END,
};
static const struct field_spec step_completed_fields[] = {
	REQ("step_id", FT_ID, step_id),
	REQ("duration_ms", FT_COUNT, duration_ms),
	DATA("output", output, output_size),
	OPT("cpu_percent", FT_PERCENT, cpu_percent),
	OPT("memory_bytes", FT_COUNT, memory_bytes),
	ATTEMPT,
	STEP_NAME,
	END,
};
static const struct field_spec step_failed_fields[] = {
	REQ("step_id", FT_ID, step_id),
	REQ("error", FT_TEXT, error),
	OPT("error_code", FT_ID, error_code),
	OPT("duration_ms", FT_COUNT, duration_ms),
	OPT("cpu_percent", FT_PERCENT, cpu_percent),
	OPT("memory_bytes", FT_COUNT, memory_bytes),
	ATTEMPT,
	STEP_NAME,
	END,
};
static const struct field_spec log_fields[] = {
	{.name = "level", .type = FT_CHOICE, .required = true, .at = AT(level), .choices = level_choices},
	REQ("message", FT_TEXT, message),
	OPT("step_id", FT_ID, step_id),
	END,
};
static const struct field_spec counter_fields[] = {
	REQ("name", FT_NAME, name),
	REQ("value", FT_COUNT, value),
	OPT("step_id", FT_ID, step_id),
	END,
};
static const struct field_spec sample_fields[] = {
	REQ("worker", FT_NAME, worker),
	REQ("cpu_percent", FT_PERCENT, cpu_percent),
	REQ("memory_bytes", FT_COUNT, memory_bytes),
	OPT("step_id", FT_ID, step_id),
	END,
};
static const struct field_spec exec_completed_fields[] = {
	OPT("duration_ms", FT_COUNT, duration_ms),
	DATA("output", output, output_size),
	ATTEMPT,
	END,
};
static const struct field_spec exec_failed_fields[] = {
	REQ("error", FT_TEXT, error),
	OPT("error_code", FT_ID, error_code),
	OPT("step_id", FT_ID, step_id),
	ATTEMPT,
	END,
};
static const struct field_spec exec_cancelled_fields[] = {
	OPT("reason", FT_TEXT, reason),
	ATTEMPT,
	END,
};
static const struct field_spec control_requested_fields[] = {
	{.name = "command", .type = FT_CHOICE, .required = true, .at = AT(command), .choices = control_choices},
	REQ("request_id", FT_ID, request_id),
	REQ("by", FT_NAME, by),
	OPT("reason", FT_TEXT, reason),
	END,
};
static const struct field_spec control_replied_fields[] = {
	{.name = "command", .type = FT_CHOICE, .required = true, .at = AT(command), .choices = control_choices},
	OPT("request_id", FT_ID, request_id),
	REQ("accepted", FT_BOOL, accepted),
	OPT("reason", FT_TEXT, reason),
	END,
};

static int progress_check(const struct proto_event *ev, struct proto_cause *cause);

static const struct kind_spec {
	const char *name;
	bool execution_level;
	bool terminal;
	bool daemon_only;
	const struct field_spec *fields;
	/* A rule across fields, run after every field passed; may be NULL. */
	int (*check)(const struct proto_event *ev, struct proto_cause *cause);
} kinds[EV__COUNT] = {
	[EV_EXECUTION_QUEUED] = {"execution.queued", true, false, false, queued_fields, NULL},
	[EV_EXECUTION_STARTED] = {"execution.started", true, false, false, exec_started_fields, NULL},
	[EV_STEP_STARTED] = {"step.started", true, false, false, step_started_fields, NULL},
	[EV_STEP_PROGRESS] = {"step.progress", false, false, false, step_progress_fields, progress_check},
	[EV_STEP_COMPLETED] = {"step.completed", true, false, false, step_completed_fields, NULL},
	[EV_STEP_FAILED] = {"step.failed", true, false, false, step_failed_fields, NULL},
	[EV_LOG] = {"log", false, false, false, log_fields, NULL},
	[EV_COUNTER] = {"counter", false, false, false, counter_fields, NULL},
	[EV_RESOURCE_SAMPLE] = {"resource.sample", false, false, false, sample_fields, NULL},
	[EV_EXECUTION_COMPLETED] = {"execution.completed", true, true, false, exec_completed_fields, NULL},
	[EV_EXECUTION_FAILED] = {"execution.failed", true, true, false, exec_failed_fields, NULL},
	[EV_EXECUTION_CANCELLED] = {"execution.cancelled", true, true, false, exec_cancelled_fields, NULL},
	[EV_CONTROL_REQUESTED] = {"control.requested", true, false, true, control_requested_fields, NULL},
	[EV_CONTROL_REPLIED] = {"control.replied", true, false, false, control_replied_fields, NULL},
};

const char *proto_event_kind_name(enum proto_event_kind kind)
{
	if ((unsigned)kind >= EV__COUNT)
		return NULL;
	return kinds[kind].name;
}

int proto_event_kind_parse(const char *name, enum proto_event_kind *out)
{
	if (name == NULL)
		return -1;
	for (int k = 0; k < EV__COUNT; k++) {
		if (strcmp(name, kinds[k].name) == 0) {
			*out = (enum proto_event_kind)k;
			return 0;
		}
	}
	return -1;
}

bool proto_event_is_execution_level(enum proto_event_kind kind)
{
	return (unsigned)kind < EV__COUNT && kinds[kind].execution_level;
}

bool proto_event_is_terminal(enum proto_event_kind kind)
{
	return (unsigned)kind < EV__COUNT && kinds[kind].terminal;
}

bool proto_event_is_daemon_only(enum proto_event_kind kind)
{
	return (unsigned)kind < EV__COUNT && kinds[kind].daemon_only;
}

const char *proto_control_name(enum proto_control c)
{
	return (unsigned)c < CONTROL__COUNT ? control_choices[c] : NULL;
}

int proto_control_parse(const char *name, enum proto_control *out)
{
	for (int c = 0; name != NULL && c < CONTROL__COUNT; c++) {
		if (strcmp(name, control_choices[c]) == 0) {
			*out = (enum proto_control)c;
			return 0;
		}
	}
	return -1;
}

/* ---- Value checks -------------------------------------------------------- */

/* C0 controls, DEL and the C1 controls (U+0080..U+009F, which a terminal may
 * take as escape sequences: the console prints these strings). */
bool proto_has_control(const char *s, size_t len, bool allow_newline_tab)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20) {
			if (allow_newline_tab && (c == '\n' || c == '\t'))
				continue;
			return true;
		}
		if (c == 0x7f)
			return true;
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return true;
	}
	return false;
}

static int check_id(const json_t *v, const char *path, struct proto_cause *cause)
{
	if (!json_is_string(v))
		return proto_fail(cause, path, "must be a string");
	if (!proto_json_id_valid(v))
		return proto_fail(cause, path, "must be an id: 1 to %d characters of A-Z a-z 0-9 _ . : -",
				  PROTO_MAX_ID);
	return 0;
}

static int check_string(const json_t *v, size_t max, bool text, const char *path,
			struct proto_cause *cause)
{
	if (!json_is_string(v))
		return proto_fail(cause, path, "must be a string");
	size_t len = json_string_length(v);
	if (len == 0 || len > max)
		return proto_fail(cause, path, "must be 1 to %zu bytes long", max);
	if (proto_has_control(json_string_value(v), len, text))
		return proto_fail(cause, path,
				  text ? "must not contain control characters other than newline and tab"
				       : "must not contain control characters");
	return 0;
}

/* Extension fields: any JSON, all of an event's together at most PROTO_MAX_EXT bytes. */
static bool is_extension(const char *key, size_t key_len)
{
	size_t pl = sizeof PROTO_EXT_PREFIX - 1;
	return key_len > pl && key_len <= PROTO_MAX_ID && memcmp(key, PROTO_EXT_PREFIX, pl) == 0 &&
	       proto_idn_valid(key, key_len);
}

static int check_data(const json_t *v, const char *path, size_t *size_out, struct proto_cause *cause)
{
	/* With no buffer json_dumpb only counts, so the size costs no allocation. */
	size_t size = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	*size_out = size;
	if (size == 0)
		return proto_fail(cause, path, "cannot be serialized");
	if (size > PROTO_MAX_DATA)
		return proto_fail(cause, path, "is %zu bytes serialized, more than the limit of %d", size,
				  PROTO_MAX_DATA);
	return 0;
}

static int check_integer(const json_t *v, json_int_t min, const char *path,
			 struct proto_cause *cause)
{
	if (!json_is_integer(v))
		return proto_fail(cause, path, "must be an integer");
	if (json_integer_value(v) < min)
		return proto_fail(cause, path, "must be at least %lld", (long long)min);
	return 0;
}

/* Returns the index of the choice, or -1 with *cause set. */
static int check_choice(const json_t *v, const char *const *choices, const char *path,
			struct proto_cause *cause)
{
	if (json_is_string(v)) {
		for (const char *const *c = choices; *c != NULL; c++)
			if (strcmp(json_string_value(v), *c) == 0 && strlen(*c) == json_string_length(v))
				return (int)(c - choices);
	}
	char list[128] = "";
	size_t used = 0;
	for (const char *const *c = choices; *c != NULL; c++) {
		int n = snprintf(list + used, sizeof list - used, "%s%s", c == choices ? "" : ", ", *c);
		if (n < 0 || (size_t)n >= sizeof list - used)
			break;
		used += (size_t)n;
	}
	return proto_fail(cause, path, "must be one of %s", list);
}

static int check_time(const json_t *v, const char *path, int64_t *ms, struct proto_cause *cause)
{
	if (!json_is_string(v))
		return proto_fail(cause, path, "must be a string");
	if (strlen(json_string_value(v)) != json_string_length(v) ||
	    proto_time_parse(json_string_value(v), ms) != 0)
		return proto_fail(cause, path,
				  "must be an RFC 3339 time with a zone, like 2026-11-23T04:00:00.123Z");
	return 0;
}

/* ---- The step plan of execution.queued ----------------------------------- */

struct step_ref {
	const char *id;
	size_t index;
};

/* By id, then by position, so that of two equal ids the later one is named. */
static int step_ref_cmp(const void *a, const void *b)
{
	const struct step_ref *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int step_ref_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct step_ref *)elem)->id);
}

/* Position of the step with this id, or -1. */
static long step_find(const struct step_ref *refs, size_t n, const char *id)
{
	const struct step_ref *r = bsearch(id, refs, n, sizeof *refs, step_ref_key_cmp);
	return r ? (long)r->index : -1;
}

static const char *const step_keys[] = {"id", "name", "depends_on", NULL};

static int step_validate(json_t *step, size_t i, struct proto_cause *cause)
{
	char path[96];
	const char *key;
	size_t key_len;
	json_t *v;

	snprintf(path, sizeof path, "steps[%zu]", i);
	if (!json_is_object(step))
		return proto_fail(cause, path, "must be an object");
	json_object_keylen_foreach(step, key, key_len, v) {
		bool known = false;
		for (const char *const *k = step_keys; *k != NULL && !known; k++)
			known = strlen(*k) == key_len && memcmp(*k, key, key_len) == 0;
		if (!known) {
			snprintf(path, sizeof path, "steps[%zu].%s", i, key);
			return proto_fail(cause, path, "unknown field");
		}
	}

	snprintf(path, sizeof path, "steps[%zu].id", i);
	v = json_object_get(step, "id");
	if (v == NULL)
		return proto_fail(cause, path, "required field missing");
	if (check_id(v, path, cause) != 0)
		return -1;

	snprintf(path, sizeof path, "steps[%zu].name", i);
	v = json_object_get(step, "name");
	if (v == NULL)
		return proto_fail(cause, path, "required field missing");
	if (check_string(v, PROTO_MAX_NAME, false, path, cause) != 0)
		return -1;

	json_t *deps = json_object_get(step, "depends_on");
	if (deps == NULL)
		return 0;
	snprintf(path, sizeof path, "steps[%zu].depends_on", i);
	if (!json_is_array(deps))
		return proto_fail(cause, path, "must be an array of step ids");
	if (json_array_size(deps) > PROTO_MAX_DEPS)
		return proto_fail(cause, path, "must have at most %d entries", PROTO_MAX_DEPS);
	for (size_t j = 0; j < json_array_size(deps); j++) {
		snprintf(path, sizeof path, "steps[%zu].depends_on[%zu]", i, j);
		if (check_id(json_array_get(deps, j), path, cause) != 0)
			return -1;
	}
	return 0;
}

static const char *step_id(json_t *steps, size_t i)
{
	return json_string_value(json_object_get(json_array_get(steps, i), "id"));
}

/* Depth-first search with an explicit stack: a step met again while it is
 * still on the stack closes a cycle. Depth is bounded by the number of steps. */
static int steps_check_cycles(json_t *steps, const struct step_ref *refs, size_t n,
			      struct proto_cause *cause)
{
	enum { WHITE, GREY, BLACK };
	unsigned char color[PROTO_MAX_STEPS] = {0};
	size_t stack_node[PROTO_MAX_STEPS], stack_next[PROTO_MAX_STEPS];

	for (size_t root = 0; root < n; root++) {
		if (color[root] != WHITE)
			continue;
		size_t sp = 0;
		stack_node[0] = root;
		stack_next[0] = 0;
		color[root] = GREY;
		for (;;) {
			size_t node = stack_node[sp];
			json_t *deps = json_object_get(json_array_get(steps, node), "depends_on");
			size_t j = stack_next[sp];
			if (j < json_array_size(deps)) {
				stack_next[sp]++;
				const char *dep_id = json_string_value(json_array_get(deps, j));
				size_t dep = (size_t)step_find(refs, n, dep_id);
				if (color[dep] == GREY) {
					char path[96];
					snprintf(path, sizeof path, "steps[%zu].depends_on[%zu]", node, j);
					return proto_fail(cause, path, "dependency cycle through step '%s'",
							  dep_id);
				}
				if (color[dep] == WHITE) {
					color[dep] = GREY;
					sp++;
					stack_node[sp] = dep;
					stack_next[sp] = 0;
				}
				continue;
			}
			color[node] = BLACK;
			if (sp == 0)
				break;
			sp--;
		}
	}
	return 0;
}

static int steps_validate(json_t *steps, struct proto_cause *cause)
{
	struct step_ref refs[PROTO_MAX_STEPS];

	if (!json_is_array(steps))
		return proto_fail(cause, "steps", "must be an array of steps");
	size_t n = json_array_size(steps);
	if (n > PROTO_MAX_STEPS)
		return proto_fail(cause, "steps", "must have at most %d steps, not %zu", PROTO_MAX_STEPS, n);

	for (size_t i = 0; i < n; i++) {
		if (step_validate(json_array_get(steps, i), i, cause) != 0)
			return -1;
		refs[i].id = step_id(steps, i);
		refs[i].index = i;
	}
	qsort(refs, n, sizeof *refs, step_ref_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(refs[i - 1].id, refs[i].id) == 0) {
			char path[96];
			snprintf(path, sizeof path, "steps[%zu].id", refs[i].index);
			return proto_fail(cause, path, "duplicate step id '%s'", refs[i].id);
		}
	}

	/* Every dependency must resolve before the graph walk relies on it. */
	for (size_t i = 0; i < n; i++) {
		json_t *deps = json_object_get(json_array_get(steps, i), "depends_on");
		for (size_t j = 0; j < json_array_size(deps); j++) {
			const char *dep_id = json_string_value(json_array_get(deps, j));
			long dep = step_find(refs, n, dep_id);
			if (dep >= 0 && (size_t)dep != i)
				continue;
			char path[96];
			snprintf(path, sizeof path, "steps[%zu].depends_on[%zu]", i, j);
			if (dep < 0)
				return proto_fail(cause, path, "depends on unknown step '%s'", dep_id);
			return proto_fail(cause, path, "step '%s' must not depend on itself", dep_id);
		}
	}
	return steps_check_cycles(steps, refs, n, cause);
}

/* ---- Events --------------------------------------------------------------- */

static int progress_check(const struct proto_event *ev, struct proto_cause *cause)
{
	if (ev->current > ev->total)
		return proto_fail(cause, "current", "must not exceed total (%lld)", (long long)ev->total);
	return 0;
}

/* Where a field's value goes in *out. */
#define MEMBER(out, f, type) ((type *)(void *)((char *)(out) + (f)->at))

/* Checks one field and stores its typed value in *out. */
static int field_validate(const struct field_spec *f, json_t *v, struct proto_event *out,
			  struct proto_cause *cause)
{
	size_t size;
	int choice;
	switch (f->type) {
	case FT_ID:
		if (check_id(v, f->name, cause) != 0)
			return -1;
		*MEMBER(out, f, const char *) = json_string_value(v);
		return 0;
	case FT_NAME:
		if (check_string(v, f->max ? f->max : PROTO_MAX_NAME, false, f->name, cause) != 0)
			return -1;
		*MEMBER(out, f, const char *) = json_string_value(v);
		return 0;
	case FT_TEXT:
		if (check_string(v, PROTO_MAX_TEXT, true, f->name, cause) != 0)
			return -1;
		*MEMBER(out, f, const char *) = json_string_value(v);
		return 0;
	case FT_DATA:
		if (check_data(v, f->name, &size, cause) != 0)
			return -1;
		*MEMBER(out, f, json_t *) = v;
		if (f->size_at != 0)
			*(int64_t *)(void *)((char *)out + f->size_at) = (int64_t)size;
		return 0;
	case FT_TIME:
		return check_time(v, f->name, MEMBER(out, f, int64_t), cause);
	case FT_CHOICE:
		choice = check_choice(v, f->choices, f->name, cause);
		if (choice < 0)
			return -1;
		/* The choices are listed in the order of the enum they fill. */
		*MEMBER(out, f, int) = choice;
		return 0;
	case FT_COUNT:
	case FT_POSITIVE:
		if (check_integer(v, f->type == FT_COUNT ? 0 : 1, f->name, cause) != 0)
			return -1;
		*MEMBER(out, f, int64_t) = (int64_t)json_integer_value(v);
		return 0;
	case FT_PERCENT:
		if (!json_is_number(v))
			return proto_fail(cause, f->name, "must be a number");
		if (json_number_value(v) < 0 || json_number_value(v) > PERCENT_MAX)
			return proto_fail(cause, f->name, "must be between 0 and %d", PERCENT_MAX);
		*MEMBER(out, f, double) = json_number_value(v);
		return 0;
	case FT_STEPS:
		if (steps_validate(v, cause) != 0)
			return -1;
		*MEMBER(out, f, json_t *) = v;
		out->nplan = json_array_size(v);
		return 0;
	case FT_ATTEMPT:
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > PROTO_MAX_ATTEMPT)
			return proto_fail(cause, f->name, "must be an integer from 1 to %d", PROTO_MAX_ATTEMPT);
		*MEMBER(out, f, int64_t) = (int64_t)json_integer_value(v);
		return 0;
	case FT_LABELS:
		if (proto_labels_check(v, PROTO_MAX_LABELS, f->name, cause) != 0)
			return -1;
		*MEMBER(out, f, json_t *) = v;
		return 0;
	case FT_BOOL:
		if (!json_is_boolean(v))
			return proto_fail(cause, f->name, "must be true or false");
		*MEMBER(out, f, int) = json_is_true(v) ? 1 : 0;
		return 0;
	}
	return proto_fail(cause, f->name, "has no schema");
}

static bool spec_has(const struct field_spec *fields, const char *key, size_t key_len)
{
	for (const struct field_spec *f = fields; f->name != NULL; f++)
		if (strlen(f->name) == key_len && memcmp(f->name, key, key_len) == 0)
			return true;
	return false;
}

static int fields_validate(const struct field_spec *fields, json_t *event, struct proto_event *out,
			   struct proto_cause *cause)
{
	for (const struct field_spec *f = fields; f->name != NULL; f++) {
		json_t *v = json_object_get(event, f->name);
		if (v == NULL) {
			if (f->required)
				return proto_fail(cause, f->name, "required field missing");
			continue;
		}
		if (field_validate(f, v, out, cause) != 0)
			return -1;
	}
	return 0;
}

/* Absent optional numbers read -1; the enums their defaults. */
static void event_clear(struct proto_event *out)
{
	memset(out, 0, sizeof *out);
	out->input_size = out->output_size = -1;
	out->duration_ms = -1;
	out->cpu_percent = -1;
	out->memory_bytes = -1;
	out->current = out->total = -1;
	out->value = -1;
	out->attempt = -1;
	out->accepted = -1;
	out->priority = PRIO_NORMAL;
	out->level = LEVEL_INFO;
}

static int event_decode(json_t *event, struct proto_event *out, bool allow_unknown,
			struct proto_cause *cause)
{
	struct proto_event scratch;
	const char *key;
	size_t key_len;
	json_t *v;

	if (out == NULL)
		out = &scratch;
	event_clear(out);
	if (!json_is_object(event))
		return proto_fail(cause, "", "an event must be a JSON object");

	json_t *type = json_object_get(event, "type");
	if (type == NULL)
		return proto_fail(cause, "type", "required field missing");
	if (!json_is_string(type))
		return proto_fail(cause, "type", "must be a string");
	if (strlen(json_string_value(type)) != json_string_length(type) ||
	    proto_event_kind_parse(json_string_value(type), &out->kind) != 0)
		return proto_fail(cause, "type", "unknown event type '%.64s'", json_string_value(type));
	const struct kind_spec *kind = &kinds[out->kind];

	if (!allow_unknown) {
		size_t ext = 0;
		json_object_keylen_foreach(event, key, key_len, v) {
			if (spec_has(common_fields, key, key_len) || spec_has(kind->fields, key, key_len))
				continue;
			if (!is_extension(key, key_len))
				return proto_fail(cause, key, "unknown field");
			size_t size = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
			ext += size + key_len + 4;
			if (size == 0 || ext > PROTO_MAX_EXT)
				return proto_fail(cause, key, "the extension fields are more than %d bytes serialized",
						  PROTO_MAX_EXT);
		}
	}
	/* "type" is already checked; skip its table entry. */
	if (fields_validate(common_fields + 1, event, out, cause) != 0 ||
	    fields_validate(kind->fields, event, out, cause) != 0)
		return -1;
	if (kind->check != NULL && kind->check(out, cause) != 0)
		return -1;
	return 0;
}

int proto_event_validate(json_t *event, struct proto_event *out, struct proto_cause *cause)
{
	return event_decode(event, out, false, cause);
}

int proto_event_read(json_t *event, struct proto_event *out, struct proto_cause *cause)
{
	return event_decode(event, out, true, cause);
}

void proto_event_plan_step(const struct proto_event *ev, size_t i, struct proto_plan_step *out)
{
	json_t *s = json_array_get(ev->plan, i);
	out->id = json_string_value(json_object_get(s, "id"));
	out->name = json_string_value(json_object_get(s, "name"));
	out->depends_on = json_object_get(s, "depends_on");
	out->ndepends = json_array_size(out->depends_on);
}

const char *proto_plan_step_dep(const struct proto_plan_step *s, size_t j)
{
	return json_string_value(json_array_get(s->depends_on, j));
}

const char *proto_level_name(enum proto_level l)
{
	return (unsigned)l < LEVEL__COUNT ? level_choices[l] : NULL;
}

int proto_level_parse(const char *name, enum proto_level *out)
{
	for (int l = 0; name != NULL && l < LEVEL__COUNT; l++) {
		if (strcmp(name, level_choices[l]) == 0) {
			*out = (enum proto_level)l;
			return 0;
		}
	}
	return -1;
}
