/* schedule.h: a workflow's expected runs, and whether they happened: the
 * schedule schema (the JSON form, read with every field checked and written
 * back), and the pure evaluation that says, at a time, what was expected,
 * what came, and what is missed.
 *
 * Two kinds:
 *   cron         {"cron":"30 2 * * 1-5","grace_minutes":30,"deadline_minutes":120}
 *                a run is expected at each time the expression names (in the
 *                schedule's time zone); it must start within grace_minutes of
 *                it, and, when deadline_minutes is given, complete within that
 *                many minutes of it. A run that starts up to a minute early
 *                counts.
 *   working_day  {"working_day":5,"at":"18:00","grace_minutes":0}
 *                a run must complete by the Nth working day of each month
 *                (Polish calendar, workdays.h) at that local time, plus
 *                grace; runs from the first day of the month count. A month
 *                with fewer working days takes its last one.
 * Both: "workflow_id" (one schedule per workflow), "name" (optional),
 * "timezone" (an IANA name or POSIX rule, default Europe/Warsaw), "enabled"
 * (default true), and "since" (a time: no run is looked for before it;
 * when a save does not give it, the daemon sets it to when the schedule was
 * first saved). grace_minutes must be
 * shorter than the time between two expected runs.
 *
 * A miss lasts until a run that satisfies it arrives: an expected run that
 * did not start stays missed when the next one comes due, so that an
 * outage keeps its alert until the job runs again.
 *
 * Ownership: *_new return new references. Pure, apart from nothing: the
 * time zone is loaded by the caller (tz_load) and passed in. */
#ifndef WFMON_SCHEDULE_H
#define WFMON_SCHEDULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "cron.h"
#include "proto.h"
#include "tz.h"

#define SCHEDULE_DEFAULT_TZ "Europe/Warsaw"
#define SCHEDULE_MAX_PER_ORG 1000
#define SCHEDULE_EARLY_MS 60000              /* a run this early still counts */
#define SCHEDULE_MAX_MINUTES (31 * 24 * 60)  /* grace and deadline bound */

enum schedule_kind { SCHEDULE_CRON, SCHEDULE_WORKING_DAY };

struct schedule {
	char workflow_id[PROTO_MAX_ID + 1];
	char name[PROTO_MAX_NAME + 1];       /* "" when none */
	enum schedule_kind kind;
	char cron_text[CRON_TEXT_MAX + 1];
	struct cron cron;
	int working_day;                     /* 1..23 */
	int at_minute;                       /* minute of the local day */
	int grace_minutes, deadline_minutes; /* deadline 0: only the start is checked (cron) */
	char timezone[TZ_NAME_MAX + 1];
	bool enabled;
	int64_t since_ms;                    /* "since": when it was set up (the daemon's clock, kept
					      * through edits); expected runs before it are not looked for */
};

/* Reads and checks the JSON form (unknown fields refused; every error names
 * its field). The zone's name is checked for its shape only: whether it
 * exists is for tz_load. */
int schedule_parse(json_t *j, struct schedule *s, struct proto_cause *cause);
json_t *schedule_json_new(const struct schedule *s);

/* What a workflow did lately (0: never). */
struct schedule_runs {
	int64_t last_started_ms;
	int64_t last_completed_ms;
	int64_t last_failed_ms;              /* failed or cancelled */
};

enum schedule_state {
	SCHED_WAITING,     /* the expected run is not due yet */
	SCHED_OK,          /* it came (and completed, when that is checked) */
	SCHED_RUNNING,     /* it started; its completion is not due yet */
	SCHED_MISSED,      /* a due passed without it */
	SCHED_NONE,        /* nothing is ever expected (an expression that never matches) */
	SCHED__COUNT
};
const char *schedule_state_name(enum schedule_state s);   /* "waiting", "ok", ... */

enum schedule_miss { MISS_NONE, MISS_START, MISS_FINISH, MISS_FAILED, MISS__COUNT };
const char *schedule_miss_name(enum schedule_miss m);     /* "", "did not start", ... */

struct schedule_status {
	enum schedule_state state;
	enum schedule_miss miss;
	int64_t expected_ms;               /* the run this is about: its expected time (cron) or deadline (working day) */
	int64_t due_ms;                    /* when it is (was) late: the start or finish due that applies */
	int64_t next_ms;                   /* the next expected time after now; 0: none */
};

/* The status at now_ms. */
void schedule_evaluate(const struct schedule *s, const struct tz *tz, int64_t now_ms, const struct schedule_runs *runs,
		       struct schedule_status *out);
/* The shortest time between two expected runs over the coming ones (ms), or
 * 0 when there are fewer than two: for checking grace_minutes. */
int64_t schedule_min_interval_ms(const struct schedule *s, const struct tz *tz, int64_t from_ms);
/* {"state","miss","expected_at","due_at","next_at"}. */
json_t *schedule_status_json_new(const struct schedule_status *st);

#endif
