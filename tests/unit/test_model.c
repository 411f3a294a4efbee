/* test_model.c: the console's client-side model: snapshots, events, positions,
 * duplicates, resyncs, stale detection, filtering, sorting and selection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "model.h"

#define T0 1700000000000LL   /* a wall clock in ms */

static char *ts(int64_t ms)
{
	static char buf[8][40];
	static int k;
	k = (k + 1) % 8;
	proto_time_format(ms, buf[k], sizeof buf[k]);
	return buf[k];
}

/* Feeds one message written as JSON text; returns the change mask. */
static unsigned feed(struct model *m, const char *fmt, ...)
{
	char text[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	json_error_t err;
	json_t *msg = json_loads(text, 0, &err);
	if (msg == NULL)
		fail_msg("bad test JSON: %s: %s", err.text, text);
	unsigned c = model_handle_message(m, msg, T0 + 1000);
	json_decref(msg);
	return c;
}

static unsigned event(struct model *m, const char *room, long seq, const char *type, const char *exec,
		      const char *extra)
{
	return feed(m, "{\"type\":\"event\",\"room\":\"%s\",\"seq\":%ld,\"event\":{\"type\":\"%s\","
		    "\"id\":\"e%ld\",\"execution_id\":\"%s\",\"workflow_id\":\"wf\",\"ts\":\"%s\"%s%s}}",
		    room, seq, type, seq, exec, ts(T0 + seq), extra[0] ? "," : "", extra);
}

static void subscribe_empty_org(struct model *m, long seq)
{
	model_room_track(m, "org");
	feed(m, "{\"type\":\"subscribed\",\"room\":\"org\",\"seq\":%ld,\"resumed\":false,"
		"\"snapshot\":{\"executions\":[]}}", seq);
}

static const char *plan3 = "\"workflow_name\":\"Nightly\",\"priority\":\"HIGH\",\"steps\":["
			   "{\"id\":\"a\",\"name\":\"A\"},{\"id\":\"b\",\"name\":\"B\"},{\"id\":\"c\",\"name\":\"C\"}]";

static void test_snapshot_then_events(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "org");
	unsigned c = feed(&m, "{\"type\":\"subscribed\",\"room\":\"org\",\"seq\":10,\"resumed\":false,"
			  "\"snapshot\":{\"executions\":[{\"id\":\"x1\",\"workflow_id\":\"wf\","
			  "\"workflow_name\":\"Nightly\",\"priority\":\"LOW\",\"status\":\"running\","
			  "\"queued_at\":\"%s\",\"started_at\":\"%s\",\"finished_at\":null,"
			  "\"last_event_at\":\"%s\",\"error\":null,\"steps_total\":4,"
			  "\"steps_completed\":1,\"steps_failed\":0,\"current_step\":\"b\"}]}}",
			  ts(T0), ts(T0), ts(T0 + 5));
	assert_true(c & MC_LIST);
	struct model_exec *x = model_exec_find(&m, "x1");
	assert_non_null(x);
	assert_int_equal(x->status, MS_RUNNING);
	assert_int_equal(x->priority, PRIO_LOW);
	assert_int_equal(x->steps_total, 4);
	assert_int_equal(model_exec_percent(x), 25);
	assert_string_equal(x->current_step, "b");
	assert_int_equal(model_room_find(&m, "org")->seq, 10);

	event(&m, "org", 11, "step.completed", "x1", "\"step_id\":\"b\",\"duration_ms\":5");
	assert_int_equal(x->steps_completed, 2);
	assert_string_equal(x->current_step, "");
	event(&m, "org", 12, "execution.completed", "x1", "");
	assert_int_equal(x->status, MS_COMPLETED);
	/* A late event never takes a finished execution back to running. */
	event(&m, "org", 13, "step.started", "x1", "\"step_id\":\"c\"");
	assert_int_equal(x->status, MS_COMPLETED);
	assert_int_equal(model_room_find(&m, "org")->seq, 13);
	model_free(&m);
}

static void test_duplicates_and_order(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	subscribe_empty_org(&m, 100);
	assert_true(event(&m, "org", 101, "execution.queued", "x1", plan3) & MC_LIST);
	event(&m, "org", 102, "step.completed", "x1", "\"step_id\":\"a\",\"duration_ms\":1");
	/* The same position again, and an older one: ignored. */
	assert_int_equal(event(&m, "org", 102, "step.completed", "x1", "\"step_id\":\"a\",\"duration_ms\":1"),
			 MC_NONE);
	assert_int_equal(event(&m, "org", 100, "step.completed", "x1", "\"step_id\":\"b\",\"duration_ms\":1"),
			 MC_NONE);
	struct model_exec *x = model_exec_find(&m, "x1");
	assert_int_equal(x->steps_completed, 1);
	assert_int_equal(x->steps_total, 3);
	assert_int_equal(model_room_find(&m, "org")->duplicates, 2);
	/* A skipped position is applied and counted as a gap. */
	event(&m, "org", 105, "step.completed", "x1", "\"step_id\":\"b\",\"duration_ms\":1");
	assert_int_equal(x->steps_completed, 2);
	assert_int_equal(model_room_find(&m, "org")->gaps, 1);
	/* Events of rooms not tracked change nothing. */
	assert_int_equal(event(&m, "queue", 1, "execution.queued", "x9", plan3), MC_NONE);
	assert_null(model_exec_find(&m, "x9"));
	model_free(&m);
}

static void test_detail_and_unplanned_step(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "execution:x1");
	assert_string_equal(m.detail.id, "x1");
	feed(&m, "{\"type\":\"subscribed\",\"room\":\"execution:x1\",\"seq\":7,\"resumed\":false,"
		"\"snapshot\":{\"execution\":{\"id\":\"x1\",\"workflow_id\":\"wf\",\"workflow_name\":\"Nightly\","
		"\"priority\":\"HIGH\",\"status\":\"running\",\"steps_total\":2,\"steps_completed\":1,"
		"\"steps\":[{\"id\":\"a\",\"name\":\"A\",\"status\":\"completed\",\"duration_ms\":30,"
		"\"input\":{\"n\":1},\"output\":{\"ok\":true}},{\"id\":\"b\",\"name\":\"B\",\"status\":\"pending\"}],"
		"\"counters\":{\"rows\":5},\"log\":[{\"ts\":\"%s\",\"level\":\"info\",\"message\":\"hello\"}]}}}",
		ts(T0));
	struct model_detail *d = &m.detail;
	assert_true(d->loaded);
	assert_int_equal(d->nsteps, 2);
	assert_int_equal(d->steps[0].status, MSS_COMPLETED);
	assert_int_equal(d->steps[0].duration_ms, 30);
	assert_int_equal(d->ncounters, 1);
	assert_int_equal(d->counters[0].value, 5);
	assert_int_equal(d->log_count, 1);

	event(&m, "execution:x1", 8, "step.started", "x1", "\"step_id\":\"b\",\"input\":{\"days\":3}");
	event(&m, "execution:x1", 9, "step.progress", "x1",
	      "\"step_id\":\"b\",\"current\":2,\"total\":3,\"unit\":\"days\"");
	event(&m, "execution:x1", 10, "counter", "x1", "\"name\":\"rows\",\"value\":9");
	event(&m, "execution:x1", 11, "counter", "x1", "\"name\":\"rows\",\"value\":7");   /* older total */
	assert_int_equal(d->steps[1].status, MSS_RUNNING);
	assert_int_equal(d->steps[1].progress_current, 2);
	assert_string_equal(d->steps[1].progress_unit, "days");
	assert_int_equal(d->counters[0].value, 9);
	/* A step that was never planned is added, once. */
	event(&m, "execution:x1", 12, "step.failed", "x1", "\"step_id\":\"zz\",\"error\":\"boom\\nmore\"");
	event(&m, "execution:x1", 13, "step.failed", "x1", "\"step_id\":\"zz\",\"error\":\"boom\\nmore\"");
	assert_int_equal(d->nsteps, 3);
	assert_int_equal(d->steps[2].status, MSS_FAILED);
	assert_string_equal(d->steps[2].error, "boom\nmore");
	const struct model_log_line *last = model_log_line(d, d->log_count - 1);
	assert_int_equal(last->kind, MLOG_STEP_FAILED);
	/* An event for another execution in this room is ignored. */
	assert_int_equal(event(&m, "execution:x1", 14, "step.started", "x2", "\"step_id\":\"a\""), MC_NONE);
	/* Leaving the room clears the detail. */
	model_room_forget(&m, "execution:x1");
	assert_string_equal(m.detail.id, "");
	assert_int_equal(m.detail.nsteps, 0);
	model_free(&m);
}

static void test_resume_and_resync(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "execution:x1");
	feed(&m, "{\"type\":\"subscribed\",\"room\":\"execution:x1\",\"seq\":50,\"resumed\":false,"
		"\"snapshot\":{\"execution\":{\"id\":\"x1\",\"workflow_id\":\"wf\",\"workflow_name\":\"N\","
		"\"status\":\"running\",\"steps\":[{\"id\":\"a\",\"name\":\"A\",\"status\":\"completed\"},"
		"{\"id\":\"b\",\"name\":\"B\",\"status\":\"running\"},{\"id\":\"c\",\"name\":\"C\",\"status\":\"pending\"}],"
		"\"counters\":{},\"log\":[]}}}");
	event(&m, "execution:x1", 51, "log", "x1", "\"level\":\"info\",\"message\":\"one\"");
	struct model_room *r = model_room_find(&m, "execution:x1");
	assert_int_equal(r->seq, 51);
	/* A resume keeps the position; the replayed events follow. */
	feed(&m, "{\"type\":\"subscribed\",\"room\":\"execution:x1\",\"seq\":51,\"resumed\":true}");
	assert_true(r->last_resumed);
	assert_int_equal(r->seq, 51);
	event(&m, "execution:x1", 51, "log", "x1", "\"level\":\"info\",\"message\":\"one\"");   /* replay overlap */
	event(&m, "execution:x1", 52, "step.completed", "x1", "\"step_id\":\"b\",\"duration_ms\":2");
	assert_int_equal(m.detail.steps[1].status, MSS_COMPLETED);

	/* A restarted daemon that forgot the past: a poorer snapshot, new positions. */
	feed(&m, "{\"type\":\"subscribed\",\"room\":\"execution:x1\",\"seq\":900,\"resumed\":false,"
		"\"snapshot\":{\"execution\":{\"id\":\"x1\",\"workflow_id\":\"wf\",\"workflow_name\":\"wf\","
		"\"status\":\"running\",\"steps\":[{\"id\":\"c\",\"name\":\"c\",\"status\":\"running\"}],"
		"\"counters\":{},\"log\":[]}}}");
	assert_false(r->last_resumed);
	assert_int_equal(r->seq, 900);
	assert_int_equal(m.detail.nsteps, 3);               /* nothing lost, nothing doubled */
	assert_int_equal(m.detail.steps[0].status, MSS_COMPLETED);
	assert_int_equal(m.detail.steps[1].status, MSS_COMPLETED);
	assert_int_equal(m.detail.steps[2].status, MSS_RUNNING);
	assert_string_equal(m.detail.steps[2].name, "C");    /* the id-as-name does not replace it */
	/* Positions of the new lineage apply (901 > 900) even though 52 was seen. */
	assert_true(event(&m, "execution:x1", 901, "step.completed", "x1", "\"step_id\":\"c\",\"duration_ms\":1") & MC_DETAIL);
	assert_int_equal(m.detail.steps[2].status, MSS_COMPLETED);
	model_free(&m);
}

static void test_stale(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	subscribe_empty_org(&m, 0);
	event(&m, "org", 1, "execution.started", "x1", "");
	struct model_exec *x = model_exec_find(&m, "x1");
	int64_t seen = x->received_ms;
	assert_int_equal(model_exec_status(x, seen + 119000, 120000), MS_RUNNING);
	assert_int_equal(model_exec_status(x, seen + 121000, 120000), MS_STALE);
	struct model_counts c;
	model_counts(&m, seen + 121000, 120000, &c);
	assert_int_equal(c.stale, 1);
	assert_int_equal(c.running, 0);
	/* A finished execution is never stale. */
	event(&m, "org", 2, "execution.failed", "x1", "\"error\":\"e\"");
	assert_int_equal(model_exec_status(x, seen + 999999, 120000), MS_FAILED);
	model_free(&m);
}

static void test_filter_sort_selection(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	subscribe_empty_org(&m, 0);
	long seq = 1;
	static const char *const ids[] = { "a1", "b2", "c3", "d4" };
	for (int i = 0; i < 4; i++) {
		char extra[256];
		snprintf(extra, sizeof extra, "\"workflow_name\":\"%s\",\"priority\":\"NORMAL\","
			 "\"steps\":[{\"id\":\"s\",\"name\":\"S\"}]", i % 2 ? "Daily sync" : "Month-end closing");
		event(&m, "org", seq++, "execution.queued", ids[i], extra);
	}
	event(&m, "org", seq++, "execution.started", "a1", "");
	event(&m, "org", seq++, "execution.started", "b2", "");
	event(&m, "org", seq++, "execution.failed", "b2", "\"error\":\"x\"");
	event(&m, "org", seq++, "execution.started", "c3", "");

	struct model_filter f;
	model_filter_init(&f);
	struct model_list l = { 0 };
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_int_equal(l.n, 4);
	/* Running first, then queued, then finished. */
	assert_int_equal(l.items[0]->status, MS_RUNNING);
	assert_int_equal(l.items[1]->status, MS_RUNNING);
	assert_string_equal(l.items[2]->id, "d4");
	assert_string_equal(l.items[3]->id, "b2");

	f.status = SF_FAILED;
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0]->id, "b2");
	f.status = SF_ALL;

	char cause[128];
	assert_int_equal(model_filter_set_text(&f, "^month.*CLOS", cause, sizeof cause), 0);
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_int_equal(l.n, 2);
	/* A bad regular expression is matched literally and reported. */
	assert_int_equal(model_filter_set_text(&f, "sync(", cause, sizeof cause), -1);
	assert_true(cause[0] != '\0');
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_int_equal(l.n, 0);
	model_filter_set_text(&f, "", NULL, 0);
	snprintf(f.workflow, sizeof f.workflow, "Daily sync");
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_int_equal(l.n, 2);
	f.workflow[0] = '\0';

	f.sort = SORT_ID;
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_string_equal(l.items[0]->id, "a1");
	f.reverse = true;
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_string_equal(l.items[0]->id, "d4");

	/* Selection stability: the same id is found wherever it moves. */
	f.reverse = false;
	f.sort = SORT_ACTIVITY;
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	long before = model_list_find(&l, "d4");
	event(&m, "org", seq++, "execution.started", "d4", "");
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	long after = model_list_find(&l, "d4");
	assert_true(before >= 0 && after >= 0);
	assert_string_equal(l.items[after]->id, "d4");
	assert_int_equal(model_list_find(&l, "nope"), -1);

	model_list_free(&l);
	model_filter_free(&f);
	model_free(&m);
}

static void test_identity(void **state)
{
	(void)state;
	struct model_identity id;
	/* {"alg":"HS256"} . {"sub":"ann","org":"acme","role":"viewer"} . sig */
	const char *tok = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4iLCJvcmciOiJhY21lIiwicm9sZSI6InZpZXdlciJ9.x";
	assert_int_equal(model_identity_from_token(tok, &id), 0);
	assert_string_equal(id.sub, "ann");
	assert_string_equal(id.org, "acme");
	assert_string_equal(id.role, "viewer");
	assert_int_equal(model_identity_from_token("not-a-token", &id), -1);
	assert_int_equal(model_identity_from_token("a.!!!.b", &id), -1);
}

static void test_alerts_and_errors(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "alerts");
	feed(&m, "{\"type\":\"subscribed\",\"room\":\"alerts\",\"seq\":1,\"resumed\":false,"
		"\"snapshot\":{\"alerts\":[{\"id\":\"al1\",\"message\":\"disk\"}]}}");
	assert_int_equal(m.nalerts, 1);
	feed(&m, "{\"type\":\"event\",\"room\":\"alerts\",\"seq\":2,\"event\":{\"id\":\"al1\",\"state\":\"resolved\"}}");
	assert_int_equal(m.nalerts, 0);
	unsigned c = feed(&m, "{\"type\":\"error\",\"id\":\"sub:execution:zz\",\"code\":\"forbidden\",\"message\":\"no\"}");
	assert_true(c & MC_ERROR);
	assert_string_equal(m.last_error_room, "execution:zz");
	assert_non_null(strstr(m.last_error, "forbidden"));
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_then_events),
		cmocka_unit_test(test_duplicates_and_order),
		cmocka_unit_test(test_detail_and_unplanned_step),
		cmocka_unit_test(test_resume_and_resync),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_filter_sort_selection),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_alerts_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
