/* test_schedule.c: the schedule schema (schedule_parse, the JSON form back)
 * and the evaluation of expected runs: on time, late and then arriving,
 * never arriving through the next expected run, completion deadlines, a
 * failed run, the working-day deadline of an accounting close, and time
 * zones with their summer time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

#define MIN 60000LL
#define H (60 * MIN)

static int64_t utc(int y, int mo, int d, int h, int mi)
{
	return (workdays_days_from_civil((struct civil_date){ y, mo, d }) * 86400 + h * 3600 + mi * 60) * 1000;
}

static struct schedule parse_ok(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	struct schedule s;
	struct proto_cause cause;
	if (schedule_parse(j, &s, &cause) != 0)
		fail_msg("%s: %s: %s", text, cause.field, cause.message);
	/* The JSON form reads back the same. */
	json_t *back = schedule_json_new(&s);
	struct schedule s2;
	assert_int_equal(schedule_parse(back, &s2, &cause), 0);
	assert_memory_equal(&s, &s2, sizeof s);
	json_decref(back);
	json_decref(j);
	return s;
}

static void test_parse(void **state)
{
	(void)state;
	struct schedule s = parse_ok("{\"workflow_id\":\"backup\",\"cron\":\"30 2 * * *\"}");
	assert_int_equal(s.kind, SCHEDULE_CRON);
	assert_int_equal(s.grace_minutes, 60);
	assert_string_equal(s.timezone, "Europe/Warsaw");
	assert_true(s.enabled);
	s = parse_ok("{\"workflow_id\":\"close\",\"name\":\"Month-end close\",\"working_day\":5,\"at\":\"18:00\","
		     "\"timezone\":\"UTC\",\"enabled\":false}");
	assert_int_equal(s.kind, SCHEDULE_WORKING_DAY);
	assert_int_equal(s.at_minute, 18 * 60);
	assert_int_equal(s.grace_minutes, 0);
	static const struct { const char *text, *field, *says; } bad[] = {
		{ "[]", "", "JSON object" },
		{ "{\"cron\":\"* * * * *\"}", "workflow_id", "required" },
		{ "{\"workflow_id\":\"w\"}", "cron", "either cron" },
		{ "{\"workflow_id\":\"w\",\"cron\":\"* * * * *\",\"working_day\":1,\"at\":\"10:00\"}", "cron", "either" },
		{ "{\"workflow_id\":\"w\",\"cron\":\"61 * * * *\"}", "cron", "minute" },
		{ "{\"workflow_id\":\"w\",\"working_day\":24,\"at\":\"10:00\"}", "working_day", "" },
		{ "{\"workflow_id\":\"w\",\"working_day\":2}", "at", "required" },
		{ "{\"workflow_id\":\"w\",\"working_day\":2,\"at\":\"25:00\"}", "at", "HH:MM" },
		{ "{\"workflow_id\":\"w\",\"working_day\":2,\"at\":\"9:00\"}", "at", "HH:MM" },
		{ "{\"workflow_id\":\"w\",\"cron\":\"* * * * *\",\"grace_minutes\":-1}", "grace_minutes", "" },
		{ "{\"workflow_id\":\"w\",\"cron\":\"0 * * * *\",\"grace_minutes\":30,\"deadline_minutes\":10}",
		  "deadline_minutes", "shorter than grace" },
		{ "{\"workflow_id\":\"w\",\"cron\":\"* * * * *\",\"timezone\":\"../etc\"}", "timezone", "time zone" },
		{ "{\"workflow_id\":\"w\",\"cron\":\"* * * * *\",\"every\":5}", "every", "unknown field" },
		{ "{\"workflow_id\":\"a b\",\"cron\":\"* * * * *\"}", "workflow_id", "" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *j = json_loads(bad[i].text, 0, NULL);
		struct proto_cause cause;
		if (schedule_parse(j, &s, &cause) == 0)
			fail_msg("accepted: %s", bad[i].text);
		if (strcmp(cause.field, bad[i].field) != 0 || strstr(cause.message, bad[i].says) == NULL)
			fail_msg("%s: %s: %s", bad[i].text, cause.field, cause.message);
		json_decref(j);
	}
}

static enum schedule_state eval(const struct schedule *s, const struct tz *tz, int64_t now, struct schedule_runs r,
				struct schedule_status *st)
{
	schedule_evaluate(s, tz, now, &r, st);
	return st->state;
}

static void test_cron_runs(void **state)
{
	(void)state;
	struct tz tz;
	char cause[256];
	assert_int_equal(tz_load("Europe/Warsaw", &tz, cause, sizeof cause), 0);
	struct schedule s = parse_ok("{\"workflow_id\":\"backup\",\"cron\":\"0 2 * * *\",\"grace_minutes\":30,"
				     "\"deadline_minutes\":90}");
	/* 02:00 Warsaw on 6 November 2026 is 01:00 UTC. */
	int64_t t = utc(2026, 11, 6, 1, 0);
	struct schedule_status st;
	struct schedule_runs none = { 0 }, yesterday = { t - 24 * H, t - 24 * H + 10 * MIN, 0 };
	assert_int_equal(eval(&s, &tz, t - MIN, yesterday, &st), SCHED_OK);
	assert_int_equal(st.next_ms, t);
	/* Due in 30 minutes: waiting, then missed. */
	assert_int_equal(eval(&s, &tz, t + 10 * MIN, yesterday, &st), SCHED_WAITING);
	assert_int_equal(st.expected_ms, t);
	assert_int_equal(eval(&s, &tz, t + 30 * MIN, yesterday, &st), SCHED_MISSED);
	assert_int_equal(st.miss, MISS_START);
	assert_int_equal(st.due_ms, t + 30 * MIN);
	/* It starts late: running (its completion due at +90), then ok. */
	struct schedule_runs late = { t + 40 * MIN, yesterday.last_completed_ms, 0 };
	assert_int_equal(eval(&s, &tz, t + 41 * MIN, late, &st), SCHED_RUNNING);
	late.last_completed_ms = t + 50 * MIN;
	assert_int_equal(eval(&s, &tz, t + 51 * MIN, late, &st), SCHED_OK);
	/* Started on time, not completed by +90: missed finish; failed: said so. */
	struct schedule_runs slow = { t + MIN, yesterday.last_completed_ms, 0 };
	assert_int_equal(eval(&s, &tz, t + 90 * MIN, slow, &st), SCHED_MISSED);
	assert_int_equal(st.miss, MISS_FINISH);
	slow.last_failed_ms = t + 20 * MIN;
	assert_int_equal(eval(&s, &tz, t + 90 * MIN, slow, &st), SCHED_MISSED);
	assert_int_equal(st.miss, MISS_FAILED);
	/* A minute early still counts. */
	struct schedule_runs early = { t - 50000, t - 40000, 0 };
	assert_int_equal(eval(&s, &tz, t + 2 * H, early, &st), SCHED_OK);
	/* Never again: the miss stands through the next expected run's grace. */
	assert_int_equal(eval(&s, &tz, t + 24 * H + 10 * MIN, yesterday, &st), SCHED_MISSED);
	assert_int_equal(st.expected_ms, t);
	assert_int_equal(eval(&s, &tz, t + 24 * H + 31 * MIN, yesterday, &st), SCHED_MISSED);
	assert_int_equal(st.expected_ms, t + 24 * H);
	/* ... and a run (any, late) resolves it. */
	struct schedule_runs back = { t + 24 * H + 5 * MIN, t + 24 * H + 6 * MIN, 0 };
	assert_int_equal(eval(&s, &tz, t + 24 * H + 10 * MIN, back, &st), SCHED_OK);
	/* A workflow that never ran: missed, unless the schedule is newer than
	 * the expected run before. */
	assert_int_equal(eval(&s, &tz, t + 10 * MIN, none, &st), SCHED_MISSED);
	s.since_ms = t - H;
	assert_int_equal(eval(&s, &tz, t + 10 * MIN, none, &st), SCHED_WAITING);
	assert_int_equal(eval(&s, &tz, t - 10 * MIN, none, &st), SCHED_WAITING);
	assert_int_equal(st.expected_ms, t);
	s.since_ms = 0;
	/* Summer time: 02:00 Warsaw in July is 00:00 UTC. */
	int64_t july = utc(2026, 7, 1, 0, 0);
	assert_int_equal(eval(&s, &tz, july + 31 * MIN, none, &st), SCHED_MISSED);
	assert_int_equal(st.expected_ms, july);
	/* The shortest interval, for checking the grace. */
	assert_int_equal(schedule_min_interval_ms(&s, &tz, t), 24 * H);
	/* Across the spring change the day is 23 hours long. */
	assert_int_equal(schedule_min_interval_ms(&s, &tz, utc(2026, 3, 20, 0, 0)), 23 * H);
}

static void test_working_day(void **state)
{
	(void)state;
	struct tz tz;
	char cause[256];
	assert_int_equal(tz_load("Europe/Warsaw", &tz, cause, sizeof cause), 0);
	struct schedule s = parse_ok("{\"workflow_id\":\"close\",\"working_day\":5,\"at\":\"18:00\",\"grace_minutes\":15}");
	/* November 2026: the 5th working day is Friday the 6th; 18:00 is 17:00 UTC. */
	int64_t dl = utc(2026, 11, 6, 17, 0);
	struct schedule_status st;
	struct schedule_runs october = { utc(2026, 10, 7, 8, 0), utc(2026, 10, 7, 9, 0), 0 };
	assert_int_equal(eval(&s, &tz, utc(2026, 11, 2, 9, 0), october, &st), SCHED_OK);   /* October's close counts for October */
	assert_int_equal(st.next_ms, dl);
	assert_int_equal(eval(&s, &tz, dl + 14 * MIN, october, &st), SCHED_WAITING);      /* November's is not due yet */
	assert_int_equal(eval(&s, &tz, dl + 15 * MIN, october, &st), SCHED_MISSED);
	assert_int_equal(st.expected_ms, dl);
	assert_int_equal(st.miss, MISS_START);
	struct schedule_runs running = { utc(2026, 11, 6, 16, 0), october.last_completed_ms, 0 };
	assert_int_equal(eval(&s, &tz, dl + 20 * MIN, running, &st), SCHED_MISSED);
	assert_int_equal(st.miss, MISS_FINISH);
	struct schedule_runs done = { utc(2026, 11, 6, 16, 0), utc(2026, 11, 9, 10, 0), 0 };
	assert_int_equal(eval(&s, &tz, utc(2026, 11, 9, 11, 0), done, &st), SCHED_OK);
	/* Still missed into December until a run comes. */
	assert_int_equal(eval(&s, &tz, utc(2026, 12, 2, 11, 0), october, &st), SCHED_MISSED);
	/* A 23rd working day in a month of 20: its last working day (30 November). */
	struct schedule s23 = parse_ok("{\"workflow_id\":\"c\",\"working_day\":23,\"at\":\"12:00\"}");
	assert_int_equal(eval(&s23, &tz, utc(2026, 11, 2, 0, 0), october, &st), SCHED_OK);
	assert_int_equal(st.next_ms, utc(2026, 11, 30, 11, 0));
}

int main(void)
{
	setenv("TZDIR", "/usr/share/zoneinfo", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_cron_runs),
		cmocka_unit_test(test_working_day),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
