/* schedule.c: schedules and their evaluation (see schedule.h).
 *
 * Evaluation looks at two expected runs: the latest one due (T) and the one
 * before (P). While T's start is not yet due, a miss of P still stands (it
 * lasts until a run comes); otherwise T decides. Only the latest start,
 * completion and failure of the workflow are needed, because windows only
 * move forward: "a run since the window opened" is "the latest run is not
 * older than the window". */
#include "schedule.h"

#include <stdio.h>
#include <string.h>

#include "jfield.h"
#include "proto-internal.h"

#define MIN_MS 60000LL

static const char *const state_names[SCHED__COUNT] = {
	[SCHED_WAITING] = "waiting", [SCHED_OK] = "ok", [SCHED_RUNNING] = "running",
	[SCHED_MISSED] = "missed", [SCHED_NONE] = "none",
};
static const char *const miss_names[MISS__COUNT] = {
	[MISS_NONE] = "", [MISS_START] = "did not start", [MISS_FINISH] = "did not complete in time",
	[MISS_FAILED] = "failed",
};

const char *schedule_state_name(enum schedule_state s)
{
	return (unsigned)s < SCHED__COUNT ? state_names[s] : "?";
}

const char *schedule_miss_name(enum schedule_miss m)
{
	return (unsigned)m < MISS__COUNT ? miss_names[m] : "?";
}

/* ---- the JSON form ---------------------------------------------------------------- */

static const char *const keys[] = { "workflow_id", "name", "cron", "working_day", "at", "grace_minutes",
				    "deadline_minutes", "timezone", "enabled", "since", "status", NULL };

static bool tz_name_shape(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > TZ_NAME_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("/_-+<>,.:", *p) != NULL))
			return false;
	return strstr(s, "..") == NULL && s[0] != '/';
}

int schedule_parse(json_t *j, struct schedule *s, struct proto_cause *cause)
{
	memset(s, 0, sizeof *s);
	if (!json_is_object(j))
		return proto_fail(cause, "", "a schedule must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v) {
		bool known = false;
		for (const char *const *k = keys; *k != NULL && !known; k++)
			known = strcmp(*k, key) == 0;
		if (!known)
			return proto_fail(cause, key, "unknown field");
	}
	int64_t n;
	if (jfield_id(j, "", "workflow_id", true, s->workflow_id, cause) < 0 ||
	    jfield_chars(j, "", "name", false, s->name, sizeof s->name, cause) < 0)
		return -1;
	json_t *cron = jfield_get(j, "cron"), *wd = jfield_get(j, "working_day");
	if ((cron == NULL) == (wd == NULL))
		return proto_fail(cause, "cron", "give either cron (an expression such as \"30 2 * * 1-5\") or "
				  "working_day with at (\"by the 5th working day at 18:00\")");
	if (cron != NULL) {
		s->kind = SCHEDULE_CRON;
		if (jfield_chars(j, "", "cron", true, s->cron_text, sizeof s->cron_text, cause) < 0)
			return -1;
		char why[256];
		if (cron_parse(s->cron_text, &s->cron, why, sizeof why) < 0)
			return proto_fail(cause, "cron", "%s", why);
		if (jfield_get(j, "at") != NULL)
			return proto_fail(cause, "at", "only a working_day schedule takes at");
	} else {
		s->kind = SCHEDULE_WORKING_DAY;
		if (jfield_int(j, "", "working_day", true, 1, 23, &n, cause) < 0)
			return -1;
		s->working_day = (int)n;
		char at[8] = "";
		if (jfield_chars(j, "", "at", true, at, sizeof at, cause) < 0)
			return -1;
		int h, m;
		char end;
		if (sscanf(at, "%2d:%2d%c", &h, &m, &end) != 2 || strlen(at) != 5 || h < 0 || h > 23 || m < 0 || m > 59)
			return proto_fail(cause, "at", "must be a time of day as HH:MM, such as 18:00");
		s->at_minute = h * 60 + m;
		if (jfield_get(j, "deadline_minutes") != NULL)
			return proto_fail(cause, "deadline_minutes", "a working_day schedule is a deadline itself; "
					  "use at and grace_minutes");
	}
	n = s->kind == SCHEDULE_CRON ? 60 : 0;
	if (jfield_int(j, "", "grace_minutes", false, 0, SCHEDULE_MAX_MINUTES, &n, cause) < 0)
		return -1;
	s->grace_minutes = (int)n;
	n = 0;
	if (jfield_int(j, "", "deadline_minutes", false, 1, SCHEDULE_MAX_MINUTES, &n, cause) < 0)
		return -1;
	s->deadline_minutes = (int)n;
	if (s->deadline_minutes > 0 && s->deadline_minutes < s->grace_minutes)
		return proto_fail(cause, "deadline_minutes", "must not be shorter than grace_minutes (%d)",
				  s->grace_minutes);
	snprintf(s->timezone, sizeof s->timezone, "%s", SCHEDULE_DEFAULT_TZ);
	if (jfield_chars(j, "", "timezone", false, s->timezone, sizeof s->timezone, cause) < 0)
		return -1;
	if (!tz_name_shape(s->timezone))
		return proto_fail(cause, "timezone", "must be a time zone name such as Europe/Warsaw");
	s->enabled = true;
	if (jfield_bool(j, "", "enabled", false, &s->enabled, cause) < 0)
		return -1;
	return jfield_time(j, "", "since", false, &s->since_ms, cause);
}

json_t *schedule_json_new(const struct schedule *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "workflow_id", json_string(s->workflow_id));
	if (s->name[0] != '\0')
		json_object_set_new(o, "name", json_string(s->name));
	if (s->kind == SCHEDULE_CRON) {
		json_object_set_new(o, "cron", json_string(s->cron_text));
	} else {
		char at[8];
		snprintf(at, sizeof at, "%02d:%02d", s->at_minute / 60 % 24, s->at_minute % 60);
		json_object_set_new(o, "working_day", json_integer(s->working_day));
		json_object_set_new(o, "at", json_string(at));
	}
	json_object_set_new(o, "grace_minutes", json_integer(s->grace_minutes));
	if (s->deadline_minutes > 0)
		json_object_set_new(o, "deadline_minutes", json_integer(s->deadline_minutes));
	json_object_set_new(o, "timezone", json_string(s->timezone));
	json_object_set_new(o, "enabled", json_boolean(s->enabled));
	if (s->since_ms > 0)
		jfield_put_time(o, "since", s->since_ms);
	return o;
}

json_t *schedule_status_json_new(const struct schedule_status *st)
{
	json_t *o = json_object();
	json_object_set_new(o, "state", json_string(schedule_state_name(st->state)));
	jfield_put_str(o, "miss", st->miss != MISS_NONE ? schedule_miss_name(st->miss) : NULL);
	jfield_put_time(o, "expected_at", st->expected_ms);
	jfield_put_time(o, "due_at", st->due_ms);
	jfield_put_time(o, "next_at", st->next_ms);
	return o;
}

/* ---- expected times ------------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The instant of a local date and minute. */
static int64_t instant(const struct tz *tz, struct civil_date d, int minute)
{
	return tz_utc(tz, d, minute * 60) * 1000;
}

/* The working-day deadline of a month. */
static int64_t month_deadline(const struct schedule *s, const struct tz *tz, int year, int month)
{
	struct civil_date d;
	int n = s->working_day;
	while (n > 0 && !workdays_nth(year, month, n, &d))
		n--;
	if (n == 0)
		d = (struct civil_date){ year, month, workdays_days_in_month(year, month) };
	return instant(tz, d, s->at_minute);
}

/* The expected time at or before t (*out), or after t (next); false for none. */
static bool expected_at_or_before(const struct schedule *s, const struct tz *tz, int64_t t_ms, int64_t *out)
{
	struct civil_date d, got;
	int sec, m;
	tz_local(tz, floor_div(t_ms, 1000), &d, &sec);
	if (s->kind == SCHEDULE_CRON) {
		if (!cron_prev(&s->cron, d, sec / 60, &got, &m))
			return false;
		*out = instant(tz, got, m);
		/* A wall time the clocks skipped may map past t: one more back. */
		if (*out > t_ms) {
			if (!cron_prev(&s->cron, got, m - 1 < 0 ? 0 : m - 1, &got, &m))
				return false;
			*out = instant(tz, got, m);
		}
		return *out <= t_ms;
	}
	int64_t dl = month_deadline(s, tz, d.year, d.month);
	if (dl > t_ms) {
		int y = d.month == 1 ? d.year - 1 : d.year, mo = d.month == 1 ? 12 : d.month - 1;
		dl = month_deadline(s, tz, y, mo);
	}
	*out = dl;
	return true;
}

static bool expected_after(const struct schedule *s, const struct tz *tz, int64_t t_ms, int64_t *out)
{
	struct civil_date d, got;
	int sec, m;
	tz_local(tz, floor_div(t_ms, 1000), &d, &sec);
	if (s->kind == SCHEDULE_CRON) {
		if (!cron_next(&s->cron, d, sec / 60, &got, &m))
			return false;
		*out = instant(tz, got, m);
		return true;
	}
	int64_t dl = month_deadline(s, tz, d.year, d.month);
	if (dl <= t_ms) {
		int y = d.month == 12 ? d.year + 1 : d.year, mo = d.month == 12 ? 1 : d.month + 1;
		dl = month_deadline(s, tz, y, mo);
	}
	*out = dl;
	return true;
}

/* Where the runs that count for an expected time begin. */
static int64_t window_start(const struct schedule *s, const struct tz *tz, int64_t expected_ms)
{
	if (s->kind == SCHEDULE_CRON)
		return expected_ms - SCHEDULE_EARLY_MS;
	struct civil_date d;
	int sec;
	tz_local(tz, floor_div(expected_ms, 1000), &d, &sec);
	return instant(tz, (struct civil_date){ d.year, d.month, 1 }, 0);
}

/* One expected run at now. */
static void check(const struct schedule *s, const struct tz *tz, int64_t expected, int64_t now,
		  const struct schedule_runs *r, struct schedule_status *out)
{
	int64_t win = window_start(s, tz, expected);
	int64_t grace = (int64_t)s->grace_minutes * MIN_MS;
	bool started = r->last_started_ms >= win;
	bool completed = r->last_completed_ms >= win;
	bool failed = r->last_failed_ms >= win && r->last_failed_ms >= r->last_completed_ms;
	out->expected_ms = expected;
	out->miss = MISS_NONE;
	if (s->kind == SCHEDULE_WORKING_DAY) {
		/* A deadline: a completed run by then (plus grace). */
		out->due_ms = expected + grace;
		if (completed)
			out->state = SCHED_OK;
		else if (now >= out->due_ms) {
			out->state = SCHED_MISSED;
			out->miss = failed ? MISS_FAILED : started ? MISS_FINISH : MISS_START;
		} else
			out->state = started ? SCHED_RUNNING : SCHED_WAITING;
		return;
	}
	int64_t start_due = expected + grace;
	int64_t finish_due = s->deadline_minutes > 0 ? expected + (int64_t)s->deadline_minutes * MIN_MS : 0;
	if (!started) {
		out->due_ms = start_due;
		out->state = now >= start_due ? SCHED_MISSED : SCHED_WAITING;
		out->miss = now >= start_due ? MISS_START : MISS_NONE;
		return;
	}
	if (finish_due == 0 || completed) {
		out->due_ms = finish_due ? finish_due : start_due;
		out->state = SCHED_OK;
		return;
	}
	out->due_ms = finish_due;
	if (now >= finish_due) {
		out->state = SCHED_MISSED;
		out->miss = failed ? MISS_FAILED : MISS_FINISH;
	} else {
		out->state = SCHED_RUNNING;
	}
}

void schedule_evaluate(const struct schedule *s, const struct tz *tz, int64_t now_ms, const struct schedule_runs *runs,
		       struct schedule_status *out)
{
	memset(out, 0, sizeof *out);
	int64_t next = 0;
	if (expected_after(s, tz, now_ms, &next))
		out->next_ms = next;
	int64_t t;
	/* Nothing is looked for before the schedule was set up. */
	if (!expected_at_or_before(s, tz, now_ms, &t) || t < s->since_ms) {
		out->state = out->next_ms ? SCHED_WAITING : SCHED_NONE;
		out->expected_ms = out->next_ms;
		return;
	}
	struct schedule_status cur;
	check(s, tz, t, now_ms, runs, &cur);
	int64_t p;
	/* While the latest run's start is not due yet, an earlier miss stands. */
	if (cur.state != SCHED_MISSED && cur.state != SCHED_OK && cur.state != SCHED_RUNNING &&
	    expected_at_or_before(s, tz, t - 1, &p) && p >= s->since_ms) {
		struct schedule_status prev;
		check(s, tz, p, now_ms, runs, &prev);
		if (prev.state == SCHED_MISSED) {
			prev.next_ms = out->next_ms;
			*out = prev;
			return;
		}
	}
	cur.next_ms = out->next_ms;
	*out = cur;
}

int64_t schedule_min_interval_ms(const struct schedule *s, const struct tz *tz, int64_t from_ms)
{
	int64_t a, b, best = 0;
	if (!expected_after(s, tz, from_ms, &a))
		return 0;
	for (int i = 0; i < 48; i++, a = b) {
		if (!expected_after(s, tz, a, &b))
			break;
		if (best == 0 || b - a < best)
			best = b - a;
	}
	return best;
}
