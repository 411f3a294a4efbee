/* test_model.c: the console's client-side model: snapshots, events, positions,
 * duplicates, resyncs, stale detection, filtering, sorting and selection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "pendids.h"

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
	/* model_handle_text ignores text that is not JSON: a typo here would
	 * let the checks for MC_NONE pass, so the test's JSON is checked first. */
	json_error_t err;
	json_t *msg = json_loads(text, 0, &err);
	if (msg == NULL)
		fail_msg("bad test JSON: %s: %s", err.text, text);
	json_decref(msg);
	return model_handle_text(m, text, strlen(text), T0 + 1000);
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
	assert_int_equal(x->x.status, EXEC_RUNNING);
	assert_int_equal(x->x.priority, PRIO_LOW);
	assert_int_equal(x->x.steps_total, 4);
	assert_int_equal(model_exec_percent(x), 25);
	assert_string_equal(x->x.current_step, "b");
	assert_int_equal(model_room_find(&m, "org")->seq, 10);

	event(&m, "org", 11, "step.completed", "x1", "\"step_id\":\"b\",\"duration_ms\":5");
	assert_int_equal(x->x.steps_completed, 2);
	assert_string_equal(x->x.current_step, "");
	event(&m, "org", 12, "execution.completed", "x1", "");
	assert_int_equal(x->x.status, EXEC_COMPLETED);
	/* A late event never takes a finished execution back to running. */
	event(&m, "org", 13, "step.started", "x1", "\"step_id\":\"c\"");
	assert_int_equal(x->x.status, EXEC_COMPLETED);
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
	assert_int_equal(x->x.steps_completed, 1);
	assert_int_equal(x->x.steps_total, 3);
	assert_int_equal(model_room_find(&m, "org")->duplicates, 2);
	/* A skipped position is applied and counted as a gap. */
	event(&m, "org", 105, "step.completed", "x1", "\"step_id\":\"b\",\"duration_ms\":1");
	assert_int_equal(x->x.steps_completed, 2);
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
	assert_int_equal(d->exec.x.nsteps, 2);
	assert_int_equal(d->exec.x.steps[0].status, STEP_COMPLETED);
	assert_int_equal(d->exec.x.steps[0].duration_ms, 30);
	assert_int_equal(d->exec.x.ncounters, 1);
	assert_int_equal(d->exec.x.counters[0].value, 5);
	assert_int_equal(d->log_count, 1);

	event(&m, "execution:x1", 8, "step.started", "x1", "\"step_id\":\"b\",\"input\":{\"days\":3}");
	event(&m, "execution:x1", 9, "step.progress", "x1",
	      "\"step_id\":\"b\",\"current\":2,\"total\":3,\"unit\":\"days\"");
	event(&m, "execution:x1", 10, "counter", "x1", "\"name\":\"rows\",\"value\":9");
	event(&m, "execution:x1", 11, "counter", "x1", "\"name\":\"rows\",\"value\":7");   /* older total */
	assert_int_equal(d->exec.x.steps[1].status, STEP_RUNNING);
	assert_int_equal(d->exec.x.steps[1].progress_current, 2);
	assert_string_equal(d->exec.x.steps[1].progress_unit, "days");
	assert_int_equal(d->exec.x.counters[0].value, 9);
	/* A step that was never planned is added, once. */
	event(&m, "execution:x1", 12, "step.failed", "x1", "\"step_id\":\"zz\",\"error\":\"boom\\nmore\"");
	event(&m, "execution:x1", 13, "step.failed", "x1", "\"step_id\":\"zz\",\"error\":\"boom\\nmore\"");
	assert_int_equal(d->exec.x.nsteps, 3);
	assert_int_equal(d->exec.x.steps[2].status, STEP_FAILED);
	assert_string_equal(d->exec.x.steps[2].error, "boom\nmore");
	const struct model_log_line *last = model_log_line(d, d->log_count - 1);
	assert_int_equal(last->kind, MLOG_STEP_FAILED);
	/* An event for another execution in this room is ignored. */
	assert_int_equal(event(&m, "execution:x1", 14, "step.started", "x2", "\"step_id\":\"a\""), MC_NONE);
	/* Leaving the room clears the detail. */
	model_room_forget(&m, "execution:x1");
	assert_string_equal(m.detail.id, "");
	assert_int_equal(m.detail.exec.x.nsteps, 0);
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
	assert_int_equal(m.detail.exec.x.steps[1].status, STEP_COMPLETED);

	/* A restarted daemon that forgot the past: a poorer snapshot, new positions. */
	feed(&m, "{\"type\":\"subscribed\",\"room\":\"execution:x1\",\"seq\":900,\"resumed\":false,"
		"\"snapshot\":{\"execution\":{\"id\":\"x1\",\"workflow_id\":\"wf\",\"workflow_name\":\"wf\","
		"\"status\":\"running\",\"steps\":[{\"id\":\"c\",\"name\":\"c\",\"status\":\"running\"}],"
		"\"counters\":{},\"log\":[]}}}");
	assert_false(r->last_resumed);
	assert_int_equal(r->seq, 900);
	assert_int_equal(m.detail.exec.x.nsteps, 3);               /* nothing lost, nothing doubled */
	assert_int_equal(m.detail.exec.x.steps[0].status, STEP_COMPLETED);
	assert_int_equal(m.detail.exec.x.steps[1].status, STEP_COMPLETED);
	assert_int_equal(m.detail.exec.x.steps[2].status, STEP_RUNNING);
	assert_string_equal(m.detail.exec.x.steps[2].name, "C");    /* the id-as-name does not replace it */
	/* Positions of the new lineage apply (901 > 900) even though 52 was seen. */
	assert_true(event(&m, "execution:x1", 901, "step.completed", "x1", "\"step_id\":\"c\",\"duration_ms\":1") & MC_DETAIL);
	assert_int_equal(m.detail.exec.x.steps[2].status, STEP_COMPLETED);
	model_free(&m);
}

/* A log event of x1 with id `id`: pending (no seq) when seq < 0. */
static unsigned log_event(struct model *m, long seq, const char *id)
{
	char head[160];
	if (seq < 0)
		snprintf(head, sizeof head, "{\"type\":\"event\",\"room\":\"execution:x1\",\"pending\":true,");
	else
		snprintf(head, sizeof head, "{\"type\":\"event\",\"room\":\"execution:x1\",\"seq\":%ld,", seq);
	return feed(m, "%s\"event\":{\"type\":\"log\",\"id\":\"%s\",\"execution_id\":\"x1\","
		    "\"workflow_id\":\"wf\",\"ts\":\"%s\",\"level\":\"info\",\"message\":\"%s\"}}",
		    head, id, ts(T0 + 1), id);
}

static void subscribe_x1(struct model *m, long seq, bool resumed)
{
	feed(m, "{\"type\":\"subscribed\",\"room\":\"execution:x1\",\"seq\":%ld,\"resumed\":%s%s}", seq,
	     resumed ? "true" : "false",
	     resumed ? "" : ",\"snapshot\":{\"execution\":{\"id\":\"x1\",\"workflow_id\":\"wf\","
			    "\"workflow_name\":\"N\",\"status\":\"running\",\"steps\":[],\"counters\":{},"
			    "\"log\":[]}}");
}

/* A model following execution:x1 from a snapshot at position 10. */
static void start_x1(struct model *m)
{
	model_init(m);
	model_room_track(m, "execution:x1");
	subscribe_x1(m, 10, false);
}

/* Pending events (a cluster node whose Redis is away) are applied at once
 * and once: their numbered copy only moves the position. */
static void test_pending_then_numbered(void **state)
{
	(void)state;
	struct model m;
	start_x1(&m);
	struct model_room *r = model_room_find(&m, "execution:x1");
	uint64_t base = m.detail.log_total;
	/* Pending: applied, no position taken. */
	assert_true(log_event(&m, -1, "p1") & MC_PENDING);
	assert_true(log_event(&m, -1, "p2") & MC_PENDING);
	assert_int_equal(m.detail.log_total, base + 2);
	assert_int_equal(r->seq, 10);
	assert_int_equal(model_room_pending(&m, "execution:x1"), 2);
	/* The same pending event again (a resumed subscription repeats them): once. */
	assert_int_equal(log_event(&m, -1, "p1"), MC_NONE);
	assert_int_equal(m.detail.log_total, base + 2);
	/* Numbered copies: the position only. */
	assert_int_equal(log_event(&m, 11, "p1"), MC_PENDING);
	assert_int_equal(r->seq, 11);
	assert_int_equal(m.detail.log_total, base + 2);
	assert_int_equal(model_room_pending(&m, "execution:x1"), 1);
	/* A numbered event never seen pending: applied. */
	assert_true(log_event(&m, 12, "n1") & MC_DETAIL);
	assert_int_equal(m.detail.log_total, base + 3);
	log_event(&m, 13, "p2");
	assert_int_equal(m.detail.log_total, base + 3);
	assert_int_equal(model_room_pending(&m, "execution:x1"), 0);
	/* Taken once: the same id numbered again is a duplicate by position. */
	assert_int_equal(log_event(&m, 13, "p2"), MC_NONE);
	assert_int_equal(r->duplicates, 1);
	/* A resume keeps the pending ids: the repeat after it changes nothing. */
	log_event(&m, -1, "p3");
	subscribe_x1(&m, 13, true);
	assert_int_equal(log_event(&m, -1, "p3"), MC_NONE);
	assert_int_equal(m.detail.log_total, base + 4);
	log_event(&m, 14, "p3");
	assert_int_equal(m.detail.log_total, base + 4);
	model_free(&m);
}

/* A fresh snapshot holds no pending event: their ids are forgotten, the
 * numbered copy of one is applied as new. */
static void test_pending_then_fresh_snapshot(void **state)
{
	(void)state;
	struct model m;
	start_x1(&m);
	log_event(&m, -1, "p1");
	assert_int_equal(model_room_pending(&m, "execution:x1"), 1);
	subscribe_x1(&m, 20, false);
	assert_int_equal(model_room_pending(&m, "execution:x1"), 0);
	uint64_t base = m.detail.log_total;
	assert_true(log_event(&m, 21, "p1") & MC_DETAIL);
	assert_int_equal(m.detail.log_total, base + 1);
	/* A pending event before any answer has no room state to go to. */
	model_room_track(&m, "execution:x2");
	assert_int_equal(feed(&m, "{\"type\":\"event\",\"room\":\"execution:x2\",\"pending\":true,"
			      "\"event\":{\"type\":\"log\",\"id\":\"q\",\"execution_id\":\"x2\","
			      "\"workflow_id\":\"wf\",\"ts\":\"%s\",\"level\":\"info\",\"message\":\"q\"}}",
			      ts(T0)), MC_NONE);
	model_free(&m);
}

/* Past PENDIDS_MAX pending ids the oldest is forgotten: its numbered copy is
 * applied again (as by a client that never saw it pending); the newer ones
 * are still taken once. */
static void test_pendids_bound(void **state)
{
	(void)state;
	struct pendids p;
	pendids_init(&p);
	char id[32];
	for (int i = 0; i < PENDIDS_MAX + 3; i++) {
		snprintf(id, sizeof id, "e%d", i);
		assert_true(pendids_add(&p, id));
	}
	assert_int_equal(pendids_count(&p), PENDIDS_MAX);
	assert_int_equal(p.forgotten, 3);
	assert_false(pendids_take(&p, "e0"));
	assert_false(pendids_take(&p, "e2"));
	assert_true(pendids_take(&p, "e3"));
	assert_false(pendids_take(&p, "e3"));
	snprintf(id, sizeof id, "e%d", PENDIDS_MAX + 2);
	assert_false(pendids_add(&p, id));      /* already pending */
	assert_true(pendids_take(&p, id));
	/* Taken ids leave their slot: evicting it later does not count them forgotten. */
	assert_true(pendids_add(&p, "e3"));     /* pending again, in a new slot */
	for (int i = 0; i < PENDIDS_MAX; i++) {
		snprintf(id, sizeof id, "f%d", i);
		assert_true(pendids_add(&p, id));
	}
	assert_int_equal(pendids_count(&p), PENDIDS_MAX);
	assert_false(pendids_take(&p, "e3"));   /* its new slot was the oldest: forgotten */
	pendids_clear(&p);
	assert_int_equal(pendids_count(&p), 0);
	assert_true(pendids_add(&p, "e1"));
	pendids_clear(&p);
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
	/* A finished execution is never stale. */
	event(&m, "org", 2, "execution.failed", "x1", "\"error\":\"e\"");
	assert_int_equal(model_exec_status(x, seen + 999999, 120000), MS_FAILED);
	model_free(&m);
}

/* Rows are stale as the daemon counts them: the ones its summary names,
 * whatever our clock says; the others fresh when it named every stale one,
 * else judged by our clock; an event heard since makes a named row fresh. */
static void test_stale_from_summary(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	subscribe_empty_org(&m, 0);
	event(&m, "org", 1, "execution.started", "x1", "");
	event(&m, "org", 2, "execution.started", "x2", "");
	struct model_exec *x1 = model_exec_find(&m, "x1"), *x2 = model_exec_find(&m, "x2");
	int64_t now = x1->received_ms + 1000;
	static const char *sum = "{\"type\":\"stats\",\"room\":\"org\",\"data\":{\"running\":%d,\"stale\":%d,"
				 "\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":120,"
				 "\"stale_ids\":[%s]}}";
	unsigned c = feed(&m, sum, 1, 1, "\"x1\"");
	assert_true(c & MC_SUMMARY);
	assert_true(c & MC_LIST);
	assert_int_equal(model_exec_status(x1, now, 120000), MS_STALE);
	assert_int_equal(model_exec_status(x2, now + 999999, 120000), MS_RUNNING);
	/* The same summary again changes no row. */
	assert_false(feed(&m, sum, 1, 1, "\"x1\"") & MC_LIST);
	/* Two stale, one named: the other is left to our clock. */
	feed(&m, sum, 0, 2, "\"x1\"");
	assert_int_equal(model_exec_status(x2, now, 120000), MS_RUNNING);
	assert_int_equal(model_exec_status(x2, now + 999999, 120000), MS_STALE);
	/* x1 speaks: fresh at once, before the next summary. */
	event(&m, "org", 3, "log", "x1", "\"level\":\"info\",\"message\":\"back\"");
	assert_int_equal(model_exec_status(x1, x1->received_ms + 1000, 120000), MS_RUNNING);
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
	assert_int_equal(l.items[0]->x.status, EXEC_RUNNING);
	assert_int_equal(l.items[1]->x.status, EXEC_RUNNING);
	assert_string_equal(l.items[2]->x.id, "d4");
	assert_string_equal(l.items[3]->x.id, "b2");

	f.status = SF_FAILED;
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0]->x.id, "b2");
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
	assert_string_equal(l.items[0]->x.id, "a1");
	f.reverse = true;
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_string_equal(l.items[0]->x.id, "d4");

	/* Selection stability: the same id is found wherever it moves. d4 is
	 * queued (after the two running), then starts last: the newest running
	 * execution goes first, so the id must be found at its new row. */
	f.reverse = false;
	f.sort = SORT_ACTIVITY;
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_int_equal(model_list_find(&l, "d4"), 2);
	event(&m, "org", seq++, "execution.started", "d4", "");
	model_list_build(&m, &f, T0 + 2000, 120000, &l);
	assert_int_equal(model_list_find(&l, "d4"), 0);
	assert_string_equal(l.items[0]->x.id, "d4");
	assert_int_equal(model_list_find(&l, "nope"), -1);

	model_list_free(&l);
	model_filter_free(&f);
	model_free(&m);
}

/* An alert record as the daemon writes it: through the protocol's writer. */
static const char *alert_rec(char *buf, size_t len, long long id, const char *sev, const char *state,
			     int64_t at, bool bell, const char *ack_by)
{
	struct alert_record r;
	alert_record_init(&r);
	r.id = id;
	snprintf(r.rule_id, sizeof r.rule_id, "rule-1");
	snprintf(r.rule_name, sizeof r.rule_name, "JPK fails");
	snprintf(r.workflow_id, sizeof r.workflow_id, "jpk");
	snprintf(r.execution_id, sizeof r.execution_id, "ex-%lld", id);
	assert_int_equal(alert_severity_parse(sev, &r.severity), 0);
	for (int s = 0; s < ALERT__STATE_COUNT; s++)
		if (strcmp(alert_state_name((enum alert_state)s), state) == 0)
			r.state = (enum alert_state)s;
	char title[32];
	snprintf(title, sizeof title, "T%lld", id);
	alert_record_set_text(&r.title, title, ALERT_TITLE_MAX);
	alert_record_set_text(&r.body, "B", ALERT_BODY_MAX);
	json_object_set_new(r.context, "consecutive", json_integer(3));
	r.triggered_ms = at;
	if (ack_by != NULL)
		snprintf(r.acknowledged_by, sizeof r.acknowledged_by, "%s", ack_by);
	r.bell = bell;
	struct alert_delivery d = { .channel = CH_IN_APP, .attempt = 1, .ok = true, .final = true, .at_ms = at };
	alert_record_add_delivery(&r, &d);
	json_t *j = alert_record_json_new(&r, true);
	char *text = json_dumps(j, JSON_COMPACT);
	snprintf(buf, len, "%s", text);
	free(text);
	json_decref(j);
	alert_record_clear(&r);
	return buf;
}

static unsigned alert_msg(struct model *m, long long id, const char *sev, const char *state, int64_t at,
			  bool bell, const char *ack_by)
{
	char rec[2048];
	return feed(m, "{\"type\":\"alert\",\"room\":\"alerts\",\"alert\":%s}",
		    alert_rec(rec, sizeof rec, id, sev, state, at, bell, ack_by));
}

/* Ids beyond 2^53 must survive: they are the daemon's clock-based ids. */
#define BIG 1795409578512000LL

static void test_alerts_snapshot_and_replace(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "alerts");
	char a[2048], b[2048], c[2048];
	unsigned ch = feed(&m, "{\"type\":\"subscribed\",\"room\":\"alerts\",\"seq\":1,\"resumed\":false,"
			   "\"snapshot\":{\"alerts\":[%s,%s,%s],\"active\":2}}",
			   alert_rec(a, sizeof a, BIG + 1, "error", "active", T0 - 5000, false, NULL),
			   alert_rec(b, sizeof b, BIG + 2, "warning", "resolved", T0 - 1000, false, NULL),
			   alert_rec(c, sizeof c, BIG + 3, "info", "acknowledged", T0 - 9000, false, "olga"));
	assert_true(ch & MC_ALERTS);
	assert_int_equal(m.nalerts, 3);
	assert_int_equal(model_alerts_open(&m), 2);
	/* Open first, newest first; the resolved one last although newest. */
	assert_true(m.alerts[0].id == BIG + 1);
	assert_true(m.alerts[1].id == BIG + 3);
	assert_true(m.alerts[2].id == BIG + 2);
	const struct alert_record *x = model_alert_find(&m, BIG + 3);
	assert_non_null(x);
	assert_int_equal(x->state, ALERT_ACKNOWLEDGED);
	assert_string_equal(x->acknowledged_by, "olga");
	assert_string_equal(x->rule_name, "JPK fails");
	assert_string_equal(x->execution_id, "ex-1795409578512003");
	assert_true(x->triggered_ms == T0 - 9000);
	assert_int_equal(json_integer_value(json_object_get(x->context, "consecutive")), 3);
	assert_int_equal(x->ndeliveries, 1);
	assert_int_equal(x->deliveries[0].channel, CH_IN_APP);
	/* No critical alert: no banner. */
	assert_true(m.banner.alert_id == 0);

	/* A live change replaces by id: acknowledged, nothing added. */
	ch = alert_msg(&m, BIG + 1, "error", "acknowledged", T0 - 5000, false, "jan");
	assert_true(ch & MC_ALERTS);
	assert_int_equal(m.nalerts, 3);
	assert_string_equal(model_alert_find(&m, BIG + 1)->acknowledged_by, "jan");
	assert_int_equal(model_alerts_open(&m), 2);
	/* Resolved: it stays, in the history, and the count drops. */
	alert_msg(&m, BIG + 1, "error", "resolved", T0 - 5000, false, "jan");
	assert_int_equal(m.nalerts, 3);
	assert_int_equal(model_alerts_open(&m), 1);
	assert_true(m.alerts[0].id == BIG + 3);
	/* A new one joins at the top. */
	alert_msg(&m, BIG + 4, "warning", "active", T0, false, NULL);
	assert_int_equal(m.nalerts, 4);
	assert_true(m.alerts[0].id == BIG + 4);
	assert_int_equal(model_alerts_open(&m), 2);
	/* Records without an id, and alert messages for another room, change nothing. */
	assert_int_equal(feed(&m, "{\"type\":\"alert\",\"room\":\"alerts\",\"alert\":{\"title\":\"x\"}}"), MC_NONE);
	assert_int_equal(feed(&m, "{\"type\":\"alert\",\"room\":\"org\",\"alert\":%s}",
			      alert_rec(a, sizeof a, 7, "critical", "active", T0, true, NULL)), MC_NONE);
	assert_int_equal(m.nalerts, 4);
	/* A fresh snapshot replaces everything. */
	feed(&m, "{\"type\":\"subscribed\",\"room\":\"alerts\",\"seq\":9,\"resumed\":false,"
		 "\"snapshot\":{\"alerts\":[],\"active\":0}}");
	assert_int_equal(m.nalerts, 0);
	assert_int_equal(model_alerts_open(&m), 0);
	model_free(&m);
}

static void test_alerts_banner(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "alerts");
	feed(&m, "{\"type\":\"subscribed\",\"room\":\"alerts\",\"seq\":1,\"resumed\":false,"
		 "\"snapshot\":{\"alerts\":[],\"active\":0}}");
	/* A new error alert with the bell: a beep, no banner. */
	unsigned ch = alert_msg(&m, 10, "error", "active", T0, true, NULL);
	assert_false(ch & MC_BANNER);
	assert_true(m.banner.alert_id == 0);
	assert_true(model_banner_take_bell(&m));
	assert_false(model_banner_take_bell(&m));
	/* A delivery update of the same alert rings nothing more. */
	alert_msg(&m, 10, "error", "active", T0, true, NULL);
	assert_false(model_banner_take_bell(&m));
	/* Escalated to critical: the banner. */
	ch = alert_msg(&m, 10, "critical", "active", T0, true, NULL);
	assert_true(ch & MC_BANNER);
	assert_true(m.banner.alert_id == 10);
	assert_string_equal(m.banner.title, "T10");
	/* A new critical alert without the bell takes the banner, silently. */
	ch = alert_msg(&m, 11, "critical", "active", T0 + 1, false, NULL);
	assert_true(ch & MC_BANNER);
	assert_true(m.banner.alert_id == 11);
	assert_false(model_banner_take_bell(&m));
	/* Acknowledged: the banner goes. */
	ch = alert_msg(&m, 11, "critical", "acknowledged", T0 + 1, false, "olga");
	assert_true(ch & MC_BANNER);
	assert_true(m.banner.alert_id == 0);
	/* Dismissed: gone, and a snapshot does not bring it back... */
	alert_msg(&m, 12, "critical", "active", T0 + 2, true, NULL);
	assert_true(m.banner.alert_id == 12);
	assert_true(model_banner_take_bell(&m));
	model_banner_dismiss(&m);
	assert_true(m.banner.alert_id == 0);
	char a[2048], b[2048];
	ch = feed(&m, "{\"type\":\"subscribed\",\"room\":\"alerts\",\"seq\":5,\"resumed\":false,"
		      "\"snapshot\":{\"alerts\":[%s,%s],\"active\":2}}",
		  alert_rec(a, sizeof a, 12, "critical", "active", T0 + 2, true, NULL),
		  alert_rec(b, sizeof b, 10, "critical", "active", T0, true, NULL));
	/* ...but another active critical alert in it shows, without a beep. */
	assert_true(ch & MC_BANNER);
	assert_true(m.banner.alert_id == 10);
	assert_false(model_banner_take_bell(&m));
	/* Resolved by the daemon: gone. */
	alert_msg(&m, 10, "critical", "resolved", T0, true, NULL);
	assert_true(m.banner.alert_id == 0);
	model_free(&m);
}

static void test_alerts_bounded(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "alerts");
	for (long long i = 1; i <= MODEL_MAX_ALERTS + 20; i++)
		alert_msg(&m, i, "info", i % 2 ? "resolved" : "active", T0 + i, false, NULL);
	assert_int_equal(m.nalerts, MODEL_MAX_ALERTS);
	/* The newest always got in; what went were the oldest resolved ones. */
	assert_non_null(model_alert_find(&m, MODEL_MAX_ALERTS + 20));
	assert_non_null(model_alert_find(&m, MODEL_MAX_ALERTS + 19));
	assert_int_equal(model_alerts_open(&m), (MODEL_MAX_ALERTS + 20) / 2);
	model_free(&m);
}

/* A rule as the daemon lists it: secrets masked. */
#define RULE(id, name)                                                                                      \
	"{\"id\":\"" id "\",\"name\":\"" name "\",\"type\":\"consecutive_failures\",\"workflow_id\":null,"         \
	"\"severity\":\"error\",\"cooldown_minutes\":15,\"enabled\":true,\"language\":\"pl\","                        \
	"\"conditions\":{\"count\":3},\"channels\":[{\"type\":\"in_app\",\"bell\":true},"                            \
	"{\"type\":\"webhook\",\"url\":\"https://hooks.example.com/wf\",\"secret\":\"***\"}],"                  \
	"\"escalation_channels\":[]}"

static void test_rules_and_replies(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	/* The list as the daemon sends it (secrets masked); a rule the console
	 * cannot read is left out and counted. */
	unsigned ch = feed(&m, "{\"type\":\"rules\",\"id\":\"rule:list\",\"rules\":[" RULE("rule-1", "A") ","
			   "{\"id\":\"rule-9\",\"name\":\"from a newer daemon\",\"type\":\"moon_phase\"}]}");
	assert_true(ch & MC_RULES);
	assert_true(m.rules.loaded);
	assert_int_equal(m.rules.n, 1);
	assert_int_equal(m.rules.unreadable, 1);
	const struct alert_rule *rule = model_rule_find(&m, "rule-1");
	assert_non_null(rule);
	assert_int_equal(rule->type, ALERT_CONSECUTIVE_FAILURES);
	assert_int_equal(rule->count, 3);
	assert_string_equal(rule->channels[1].secret, ALERT_SECRET_MASK);
	ch = feed(&m, "{\"type\":\"error\",\"id\":\"rule:save\",\"code\":\"bad_request\","
		      "\"field\":\"rule.cooldown_minutes\",\"message\":\"must be 5 to 1440\"}");
	assert_true(ch & MC_REPLY);
	assert_false(ch & MC_ERROR);
	assert_false(m.reply.ok);
	assert_string_equal(m.reply.id, "rule:save");
	assert_string_equal(m.reply.code, "bad_request");
	assert_string_equal(m.reply.field, "rule.cooldown_minutes");
	ch = feed(&m, "{\"type\":\"rule_saved\",\"id\":\"rule:save\",\"rule\":" RULE("rule-2", "B") "}");
	assert_true(ch & MC_REPLY);
	assert_true(m.reply.ok);
	assert_string_equal(m.reply.field, "");
	assert_string_equal(m.rules.saved_id, "rule-2");
	ch = feed(&m, "{\"type\":\"error\",\"id\":\"alert:acknowledge:%lld\",\"code\":\"forbidden\","
		      "\"message\":\"only operators and admins may act on alerts\"}", BIG);
	assert_true(ch & MC_REPLY);
	assert_string_equal(m.reply.code, "forbidden");
	ch = feed(&m, "{\"type\":\"done\",\"id\":\"alert:resolve:%lld\"}", BIG);
	assert_true(ch & MC_REPLY);
	assert_true(m.reply.ok);
	model_free(&m);
}

static void test_alerts_and_errors(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "alerts");
	/* Events in the alerts room are not alert records. */
	assert_int_equal(feed(&m, "{\"type\":\"event\",\"room\":\"alerts\",\"seq\":2,\"event\":{\"id\":\"al1\"}}") &
			 MC_ALERTS, 0);
	assert_int_equal(m.nalerts, 0);
	unsigned c = feed(&m, "{\"type\":\"error\",\"id\":\"sub:execution:zz\",\"code\":\"forbidden\",\"message\":\"no\"}");
	assert_true(c & MC_ERROR);
	assert_string_equal(m.last_error_room, "execution:zz");
	assert_non_null(strstr(m.last_error, "forbidden"));
	model_free(&m);
}

/* ---- queue, resources, statistics, replies ------------------------------------ */

static void test_queue_snapshot_stats_and_ticks(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "queue");
	unsigned c = feed(&m, "{\"type\":\"subscribed\",\"room\":\"queue\",\"seq\":5,\"resumed\":false,"
			  "\"snapshot\":{\"queued\":[{\"id\":\"q2\",\"workflow_id\":\"wf\",\"status\":\"queued\","
			  "\"queued_at\":\"%s\"},{\"id\":\"q1\",\"workflow_id\":\"wf\",\"status\":\"queued\","
			  "\"queued_at\":\"%s\"}],\"numbers\":{\"depth\":2,\"by_priority\":{\"HIGH\":1,"
			  "\"NORMAL\":1,\"LOW\":0},\"untracked\":0,\"oldest\":{\"execution_id\":\"q1\","
			  "\"queued_ms\":%lld,\"age_ms\":4000},\"avg_wait_ms\":null,\"wait_samples\":0,"
			  "\"finished_in_window\":0,\"rate_per_min\":0,\"eta_ms\":null,\"backlog\":true,"
			  "\"threshold\":2},\"depth_history\":[0,1,2]}}",
			  ts(T0 - 2000), ts(T0 - 3000), (long long)(T0 - 3000));
	assert_true(c & MC_QUEUE);
	assert_true(c & MC_LIST);
	struct model_queue *q = &m.queue;
	assert_true(q->loaded);
	assert_int_equal(q->n.depth, 2);
	assert_int_equal(q->n.by_priority[PRIO_HIGH], 1);
	assert_int_equal(q->n.by_priority[PRIO_NORMAL], 1);
	assert_true(q->n.backlog);
	assert_int_equal(q->n.threshold, 2);
	assert_int_equal(q->n.avg_wait_ms, -1);
	assert_int_equal(q->n.eta_ms, -1);
	assert_string_equal(q->n.oldest_id, "q1");
	/* The age ticks on our clock from queued_ms. */
	assert_int_equal(model_queue_oldest_age(q, T0 + 7000), 10000);
	assert_int_equal(q->hist_count, 3);
	assert_int_equal(model_queue_history(q, 2), 2);

	/* Oldest first. */
	struct model_list l = { 0 };
	model_queue_list(&m, &l);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.items[0]->x.id, "q1");
	assert_string_equal(l.items[1]->x.id, "q2");

	/* A point a second, none within the same second. */
	assert_false(model_queue_tick(&m, T0 + 1500));
	assert_true(model_queue_tick(&m, T0 + 3000));
	assert_int_equal(q->hist_count, 5);
	assert_int_equal(model_queue_history(q, 4), 2);

	/* A stats push: numbers change, no position moves. */
	c = feed(&m, "{\"type\":\"stats\",\"room\":\"queue\",\"data\":{\"depth\":0,\"by_priority\":"
		 "{\"HIGH\":0,\"NORMAL\":0,\"LOW\":0},\"untracked\":0,\"oldest\":null,\"avg_wait_ms\":1500,"
		 "\"wait_samples\":2,\"finished_in_window\":2,\"rate_per_min\":1.5,\"eta_ms\":0,"
		 "\"backlog\":false,\"threshold\":2}}");
	assert_int_equal(c, MC_QUEUE);
	assert_int_equal(model_room_find(&m, "queue")->seq, 5);
	assert_int_equal(q->n.depth, 0);
	assert_false(q->n.backlog);
	assert_false(q->n.has_oldest);
	assert_int_equal(model_queue_oldest_age(q, T0), -1);
	assert_int_equal(q->n.avg_wait_ms, 1500);
	assert_int_equal(q->n.eta_ms, 0);
	assert_true(q->n.rate_per_min > 1.49 && q->n.rate_per_min < 1.51);
	/* A long sleep adds at most the history's length, and never more. */
	assert_true(model_queue_tick(&m, T0 + 3000 + 1000000));
	assert_int_equal(q->hist_count, MODEL_DEPTH_HISTORY);
	assert_int_equal(model_queue_history(q, MODEL_DEPTH_HISTORY - 1), 0);
	/* Stats of a room not tracked change nothing. */
	assert_int_equal(feed(&m, "{\"type\":\"stats\",\"room\":\"resources\",\"data\":{}}"), MC_NONE);
	model_list_free(&l);
	model_free(&m);
}

static const char *res_sample =
	"{\"at\":\"%s\",\"host\":{\"cpu_percent\":%s,\"mem_total_bytes\":1000,\"mem_available_bytes\":250,"
	"\"load\":[0.5,0.25,0.125]},\"daemon\":{\"cpu_percent\":1.5,\"rss_bytes\":4096},"
	"\"database\":{\"state\":\"up\",\"active\":3,\"idle\":2,\"total\":5,\"max\":20},"
	"\"websocket\":{\"connections\":4},\"events_per_s\":{\"in\":10.5,\"out\":42},"
	"\"queue_depth\":7,\"top_consumers\":[{\"workflow_id\":\"etl\",\"cpu_percent\":80,"
	"\"memory_bytes\":1024,\"executions\":2}],\"cpu_threshold\":90,\"warning\":%s}";

static void test_resources(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "resources");
	char s1[1024], s2[1024], msg[4096];
	snprintf(s1, sizeof s1, res_sample, ts(T0), "50", "false");
	snprintf(s2, sizeof s2, res_sample, ts(T0 + 5000), "95.5", "true");
	snprintf(msg, sizeof msg, "{\"type\":\"subscribed\",\"room\":\"resources\",\"seq\":3,\"resumed\":false,"
		 "\"snapshot\":{\"workers\":[{\"type\":\"resource.sample\",\"id\":\"r1\",\"execution_id\":\"x1\","
		 "\"workflow_id\":\"etl\",\"ts\":\"%s\",\"worker\":\"w1\",\"cpu_percent\":12,\"memory_bytes\":99}],"
		 "\"daemon\":%s,\"history\":[%s]}}", ts(T0), s1, s1);
	unsigned c = feed(&m, "%s", msg);
	assert_true(c & MC_RESOURCES);
	struct model_resources *r = &m.res;
	assert_true(r->has_current);
	/* The snapshot's current sample is its history's newest: held once. */
	assert_int_equal(r->hist_count, 1);
	assert_int_equal(r->nworkers, 1);
	assert_string_equal(r->workers[0].name, "w1");
	assert_int_equal(r->workers[0].memory_bytes, 99);
	const struct resource_sample *s = &r->current;
	assert_true(s->host_cpu > 49.9 && s->host_cpu < 50.1);
	assert_int_equal(s->mem_total, 1000);
	assert_int_equal(s->mem_available, 250);
	assert_string_equal(s->db_state, "up");
	assert_int_equal(s->db_active, 3);
	assert_int_equal(s->db_idle, 2);
	assert_int_equal(s->db_max, 20);
	assert_int_equal(s->ws_connections, 4);
	assert_int_equal(s->queue_depth, 7);
	assert_false(s->warning);
	assert_int_equal(r->current.ntop, 1);
	assert_string_equal(r->current.top[0].workflow_id, "etl");

	/* The push every few seconds: a new current sample and a history point. */
	snprintf(msg, sizeof msg, "{\"type\":\"stats\",\"room\":\"resources\",\"data\":%s}", s2);
	assert_int_equal(feed(&m, "%s", msg), MC_RESOURCES);
	assert_int_equal(r->hist_count, 2);
	assert_true(r->current.warning);
	assert_true(model_res_history(r, 1)->host_cpu > 95);
	assert_null(model_res_history(r, 2));

	/* A worker's sample: replaces its older one, creates no execution. */
	c = event(&m, "resources", 4, "resource.sample", "x1",
		  "\"worker\":\"w1\",\"cpu_percent\":33.5,\"memory_bytes\":2048");
	assert_int_equal(c, MC_RESOURCES);
	assert_int_equal(r->nworkers, 1);
	assert_int_equal(r->workers[0].memory_bytes, 2048);
	assert_null(model_exec_find(&m, "x1"));

	/* Unknown database counts and a null CPU read as unknown. */
	snprintf(msg, sizeof msg, "{\"type\":\"stats\",\"room\":\"resources\",\"data\":{\"at\":\"%s\","
		 "\"host\":{\"cpu_percent\":null},\"database\":{\"state\":\"down\"},\"warning\":false}}",
		 ts(T0 + 10000));
	feed(&m, "%s", msg);
	assert_true(r->current.host_cpu < 0);
	assert_int_equal(r->current.db_active, -1);
	assert_int_equal(r->current.db_max, -1);
	assert_string_equal(r->current.db_state, "down");
	assert_int_equal(r->current.ntop, 0);
	model_free(&m);
}

static void test_step_stats_and_replies(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	json_t *req = model_stats_request_new(&m, "payments", 20, T0, 30000);
	assert_non_null(req);
	assert_string_equal(json_string_value(json_object_get(req, "id")), "stats:payments");
	assert_string_equal(json_string_value(json_object_get(req, "query")), "step_stats");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(req, "params"), "runs")), 20);
	json_decref(req);
	/* Asked: not again until the retry time. */
	assert_null(model_stats_request_new(&m, "payments", 20, T0 + 1000, 30000));
	/* An answer for another workflow changes nothing. */
	assert_int_equal(feed(&m, "{\"type\":\"result\",\"id\":\"stats:other\",\"query\":\"step_stats\","
			      "\"data\":{\"workflow_id\":\"other\",\"runs\":1,\"steps\":[]}}"), MC_NONE);
	/* Averages come as reals from the store. */
	unsigned c = feed(&m, "{\"type\":\"result\",\"id\":\"stats:payments\",\"query\":\"step_stats\","
			  "\"data\":{\"workflow_id\":\"payments\",\"runs\":4,\"steps\":[{\"step_id\":\"a\","
			  "\"name\":\"A\",\"count\":4,\"avg_ms\":2250.0,\"p95_ms\":2850.4,\"min_ms\":2000,"
			  "\"max_ms\":3000}]}}");
	assert_int_equal(c, MC_STATS);
	const struct step_stat *st = model_step_stat_find(&m, "payments", "a");
	assert_non_null(st);
	assert_float_equal(st->avg_ms, 2250.0, 1e-9);
	assert_float_equal(st->p95_ms, 2850.4, 1e-9);
	assert_int_equal(st->max_ms, 3000);
	assert_null(model_step_stat_find(&m, "payments", "b"));
	assert_null(model_step_stat_find(&m, "other", "a"));
	assert_null(model_stats_request_new(&m, "payments", 20, T0 + 60000, 30000));

	/* Another workflow: forgets the first; no database: unavailable, no error shown. */
	req = model_stats_request_new(&m, "etl", 20, T0, 30000);
	assert_non_null(req);
	json_decref(req);
	assert_null(model_step_stat_find(&m, "payments", "a"));
	c = feed(&m, "{\"type\":\"error\",\"id\":\"stats:etl\",\"code\":\"unavailable\",\"message\":\"no database\"}");
	assert_int_equal(c, MC_STATS);
	assert_int_equal(m.stats.state, MSTATS_UNAVAILABLE);
	assert_string_equal(m.last_error, "");
	assert_null(model_stats_request_new(&m, "etl", 20, T0 + 99999, 30000));

	/* Replies to a prioritize request. */
	c = feed(&m, "{\"type\":\"done\",\"id\":\"prio:q1\"}");
	assert_int_equal(c, MC_REPLY);
	assert_true(m.reply.ok);
	assert_string_equal(m.reply.id, "prio:q1");
	uint64_t serial = m.reply.serial;
	c = feed(&m, "{\"type\":\"error\",\"id\":\"prio:q2\",\"code\":\"forbidden\",\"message\":\"operators only\"}");
	assert_int_equal(c, MC_REPLY);
	assert_false(m.reply.ok);
	assert_string_equal(m.reply.code, "forbidden");
	assert_string_equal(m.reply.message, "operators only");
	assert_true(m.reply.serial > serial);
	model_free(&m);
}

static void test_step_dependencies(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "execution:x1");
	event(&m, "execution:x1", 1, "execution.queued", "x1",
	      "\"workflow_name\":\"P\",\"priority\":\"NORMAL\",\"steps\":[{\"id\":\"a\",\"name\":\"A\"},"
	      "{\"id\":\"b\",\"name\":\"B\",\"depends_on\":[\"a\"]},"
	      "{\"id\":\"c\",\"name\":\"C\",\"depends_on\":[\"a\",\"b\"]}]");
	struct exec_step *c = exec_step_find(&m.detail.exec.x, "c");
	assert_non_null(c);
	assert_int_equal(c->ndepends, 2);
	assert_string_equal(c->depends_on[1], "b");
	/* A poorer snapshot (no plan: []) keeps what the plan said. */
	feed(&m, "{\"type\":\"subscribed\",\"room\":\"execution:x1\",\"seq\":9,\"resumed\":false,"
		 "\"snapshot\":{\"execution\":{\"id\":\"x1\",\"workflow_id\":\"wf\",\"status\":\"running\","
		 "\"steps\":[{\"id\":\"c\",\"name\":\"C\",\"status\":\"pending\",\"depends_on\":[]},"
		 "{\"id\":\"b\",\"name\":\"B\",\"status\":\"running\",\"depends_on\":[\"a\"],"
		 "\"started_at\":\"%s\"}]}}}", ts(T0));
	c = exec_step_find(&m.detail.exec.x, "c");
	assert_int_equal(c->ndepends, 2);
	assert_int_equal(exec_step_find(&m.detail.exec.x, "b")->ndepends, 1);
	assert_int_equal(exec_step_find(&m.detail.exec.x, "b")->started_ms, T0);
	/* The detail of an execution the list does not know is normal priority. */
	assert_int_equal(m.detail.exec.x.priority, PRIO_NORMAL);
	model_free(&m);
}

/* The header's counts are the daemon's summary, from the org snapshot and
 * its "stats" pushes; a summary that does not read changes nothing; the
 * queue depth is one number whichever message brought it. */
static void test_summary(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	model_room_track(&m, "org");
	model_room_track(&m, "queue");
	assert_int_equal(model_queue_depth(&m), -1);
	unsigned c = feed(&m, "{\"type\":\"subscribed\",\"room\":\"org\",\"seq\":5,\"resumed\":false,"
			  "\"snapshot\":{\"executions\":[],\"summary\":{\"running\":3,\"stale\":1,\"queued\":7,"
			  "\"failed_unhandled\":16,\"alerts_open\":2,\"stale_after_s\":90,\"warnings\":{\"backlog\":null,"
			  "\"cpu\":{\"percent\":93.5,\"threshold\":80},\"degraded\":[]}}}}");
	assert_true(c & MC_SUMMARY);
	assert_true(m.summary.loaded);
	assert_int_equal(m.summary.s.failed_unhandled, 16);
	assert_int_equal(m.summary.s.stale_after_ms, 90000);
	assert_true(m.summary.s.cpu);
	assert_int_equal(model_queue_depth(&m), 7);
	uint64_t serial = m.summary.serial;
	c = feed(&m, "{\"type\":\"stats\",\"room\":\"org\",\"data\":{\"running\":4,\"stale\":0,\"queued\":9,"
		 "\"failed_unhandled\":15,\"alerts_open\":2,\"stale_after_s\":90}}");
	assert_true(c & MC_SUMMARY);
	assert_int_equal(m.summary.s.running, 4);
	assert_false(m.summary.s.cpu);
	assert_true(m.summary.serial != serial);
	/* Unreadable: the summary held stays. */
	c = feed(&m, "{\"type\":\"stats\",\"room\":\"org\",\"data\":{\"running\":-4}}");
	assert_int_equal(c, MC_NONE);
	assert_int_equal(m.summary.s.running, 4);
	/* The queue room's numbers win: the same computation, pushed as it happens. */
	feed(&m, "{\"type\":\"stats\",\"room\":\"queue\",\"data\":{\"depth\":11,\"by_priority\":{\"HIGH\":0,"
		 "\"NORMAL\":11,\"LOW\":0},\"backlog\":false,\"threshold\":100}}");
	assert_int_equal(model_queue_depth(&m), 11);
	model_free(&m);
}

/* The list's filter asks history when it reaches past the live rooms; the
 * answer joins the list without doubling what is live; old answers, regular
 * expressions and a daemon without history each say what they are. */
static void test_search_history(void **state)
{
	(void)state;
	struct model m;
	model_init(&m);
	subscribe_empty_org(&m, 0);
	event(&m, "org", 1, "execution.started", "live-1", "");
	event(&m, "org", 2, "execution.failed", "live-1", "\"error\":\"jpkfail: schema\"");
	struct model_filter f;
	model_filter_init(&f);
	/* Nothing asked: running and queued executions are all live. */
	f.status = SF_RUNNING;
	assert_null(model_search_request_new(&m, &f));
	assert_int_equal(m.search.state, MSEARCH_NONE);
	/* Text: asked, once. */
	f.status = SF_ALL;
	model_filter_set_text(&f, "jpkfail", NULL, 0);
	json_t *q = model_search_request_new(&m, &f);
	assert_non_null(q);
	assert_string_equal(json_string_value(json_object_get(q, "query")), "executions");
	assert_string_equal(json_string_value(json_object_get(json_object_get(q, "params"), "text")), "jpkfail");
	char id[64];
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(q, "id")));
	json_decref(q);
	assert_int_equal(m.search.state, MSEARCH_PENDING);
	assert_null(model_search_request_new(&m, &f));
	/* An answer to another query changes nothing. */
	assert_int_equal(feed(&m, "{\"type\":\"result\",\"id\":\"search:999\",\"query\":\"executions\","
				  "\"data\":{\"executions\":[],\"next\":null}}"), MC_NONE);
	/* The answer: an old execution and the live one again. */
	unsigned c = feed(&m, "{\"type\":\"result\",\"id\":\"%s\",\"query\":\"executions\",\"data\":{"
			  "\"executions\":[{\"id\":\"live-1\",\"workflow_id\":\"wf\",\"status\":\"failed\"},"
			  "{\"id\":\"old-7\",\"workflow_id\":\"jpk\",\"status\":\"failed\",\"error\":\"jpkfail\"}],"
			  "\"next\":null}}", id);
	assert_true(c & MC_LIST);
	assert_int_equal(m.search.state, MSEARCH_LOADED);
	struct model_list l = { 0 };
	model_list_build(&m, &f, T0 + 10, 120000, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.from_history, 1);
	assert_true(model_list_find(&l, "old-7") >= 0);
	/* The error text matches locally too. */
	assert_true(model_list_find(&l, "live-1") >= 0);
	/* A regular expression is not sent: the state says loaded ones only. */
	model_filter_set_text(&f, "jpk.*fail", NULL, 0);
	assert_null(model_search_request_new(&m, &f));
	assert_int_equal(m.search.state, MSEARCH_REGEX);
	assert_int_equal(m.search.n, 0);
	/* Failed ones reach history; a daemon without it says so. */
	model_filter_set_text(&f, "", NULL, 0);
	f.status = SF_FAILED;
	q = model_search_request_new(&m, &f);
	assert_string_equal(json_string_value(json_object_get(json_object_get(q, "params"), "status")), "failed");
	snprintf(id, sizeof id, "%s", json_string_value(json_object_get(q, "id")));
	json_decref(q);
	c = feed(&m, "{\"type\":\"error\",\"id\":\"%s\",\"code\":\"unavailable\",\"message\":\"no database\"}", id);
	assert_true(c & MC_SEARCH);
	assert_int_equal(m.search.state, MSEARCH_UNAVAILABLE);
	model_list_free(&l);
	model_filter_free(&f);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snapshot_then_events),
		cmocka_unit_test(test_duplicates_and_order),
		cmocka_unit_test(test_detail_and_unplanned_step),
		cmocka_unit_test(test_resume_and_resync),
		cmocka_unit_test(test_pending_then_numbered),
		cmocka_unit_test(test_pending_then_fresh_snapshot),
		cmocka_unit_test(test_pendids_bound),
		cmocka_unit_test(test_stale),
		cmocka_unit_test(test_filter_sort_selection),
		cmocka_unit_test(test_alerts_and_errors),
		cmocka_unit_test(test_alerts_snapshot_and_replace),
		cmocka_unit_test(test_alerts_banner),
		cmocka_unit_test(test_alerts_bounded),
		cmocka_unit_test(test_rules_and_replies),
		cmocka_unit_test(test_queue_snapshot_stats_and_ticks),
		cmocka_unit_test(test_resources),
		cmocka_unit_test(test_step_stats_and_replies),
		cmocka_unit_test(test_step_dependencies),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_stale_from_summary),
		cmocka_unit_test(test_search_history),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
