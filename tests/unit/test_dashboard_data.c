/* test_dashboard_data.c: the widgets' data (client/dashboard_data.c) from a
 * model fed a fixed script of daemon messages: the summary (running, failed
 * needing attention, alerts), running executions per workflow, workflow
 * health in its order, the latest execution, tax deadlines met, failed or
 * pending; and the dashboard model (client/dashboard_model.c): start-up
 * list then the default, a refusal with its field, the built-in default
 * without a database, and the aggregates' requests every five seconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard_data.h"
#include "dashboard_model.h"
#include "model.h"

static int64_t T0;   /* 2026-12-03T10:00:00Z */

static const char *ts(int64_t ms)
{
	static char buf[8][40];
	static int k;
	k = (k + 1) % 8;
	proto_time_format(ms, buf[k], sizeof buf[k]);
	return buf[k];
}

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
	json_decref(msg);
	return model_handle_text(m, text, strlen(text), T0 + 60000);
}

static long seq;

static void ev(struct model *m, const char *type, const char *exec, const char *wf, int64_t at)
{
	seq++;
	feed(m, "{\"type\":\"event\",\"room\":\"org\",\"seq\":%ld,\"event\":{\"type\":\"%s\",\"id\":\"e%ld\","
		"\"execution_id\":\"%s\",\"workflow_id\":\"%s\",\"ts\":\"%s\"%s}}",
	     seq, type, seq, exec, wf, ts(at), strcmp(type, "execution.failed") == 0 ? ",\"error\":\"boom\"" : "");
}

static void run(struct model *m, const char *exec, const char *wf, int64_t start, int64_t end, const char *outcome)
{
	ev(m, "execution.started", exec, wf, start);
	if (outcome != NULL)
		ev(m, outcome, exec, wf, end);
}

/* The fixed script. */
static void script(struct model *m)
{
	model_init(m);
	assert_int_equal(proto_time_parse("2026-12-03T10:00:00Z", &T0), 0);
	seq = 0;
	model_room_track(m, "org");
	feed(m, "{\"type\":\"subscribed\",\"room\":\"org\",\"seq\":0,\"resumed\":false,\"snapshot\":{\"executions\":[]}}");
	run(m, "x1", "vat-calculation", T0, T0 + 10000, "execution.completed");
	run(m, "x2", "jpk-generation", T0 + 1000, T0 + 20000, "execution.failed");
	run(m, "x3", "invoice-processing", T0 + 30000, 0, NULL);
	run(m, "x4", "payroll", T0 + 2000, T0 + 5000, "execution.failed");
	run(m, "x5", "payroll", T0 + 6000, T0 + 15000, "execution.completed");
}

static void test_summary_and_lists(void **state)
{
	(void)state;
	struct model m;
	script(&m);
	struct dd_summary s;
	dashboard_data_summary(&m, T0 + 60000, 120000, &s);
	assert_int_equal(s.running, 1);
	assert_int_equal(s.completed, 2);
	assert_int_equal(s.failed_attention, 1);        /* payroll's failure was followed by a success */
	assert_non_null(s.last_failed);
	assert_string_equal(s.last_failed->x.id, "x2");
	/* Quiet for longer than the stale limit: stale, not running. */
	dashboard_data_summary(&m, T0 + 600000, 120000, &s);
	assert_int_equal(s.running, 0);
	assert_int_equal(s.stale, 1);

	const struct model_exec *r[4];
	assert_int_equal(dashboard_data_running(&m, "", r, 4), 1);
	assert_string_equal(r[0]->x.id, "x3");
	assert_int_equal(dashboard_data_running(&m, "invoice-processing", r, 4), 1);
	assert_int_equal(dashboard_data_running(&m, "vat-calculation", r, 4), 0);

	struct dd_health h[8];
	size_t n = dashboard_data_health(&m, T0 + 60000, 120000, h, 8);
	assert_int_equal(n, 4);
	assert_string_equal(h[0].workflow_id, "jpk-generation");   /* attention first */
	assert_true(h[0].attention);
	assert_int_equal(h[0].last, MS_FAILED);
	assert_string_equal(h[1].workflow_id, "invoice-processing");
	assert_string_equal(h[2].workflow_id, "payroll");
	assert_int_equal(h[2].runs, 2);
	assert_true(h[2].success > 49.9 && h[2].success < 50.1);
	assert_false(h[2].attention);
	assert_string_equal(h[3].workflow_id, "vat-calculation");
	assert_true(h[3].success > 99.9);
	/* Bounded: the two first only. */
	assert_int_equal(dashboard_data_health(&m, T0 + 60000, 120000, h, 2), 2);
	assert_string_equal(h[1].workflow_id, "invoice-processing");

	/* The daemon says payroll's expected run did not start, and the
	 * scheduled month-end-close (no execution held) did not complete in
	 * time: both overdue, needing attention; vat-calculation's run is on
	 * time. */
	assert_non_null(model_room_track(&m, "health"));
	feed(&m, "{\"type\":\"stats\",\"room\":\"health\",\"data\":{\"workflows\":["
		 "{\"workflow_id\":\"month-end-close\",\"workflow_name\":\"Month-end close\","
		 "\"schedule\":{\"working_day\":5,\"at\":\"18:00\"},"
		 "\"schedule_status\":{\"state\":\"missed\",\"miss\":\"did not complete in time\"}},"
		 "{\"workflow_id\":\"payroll\",\"schedule\":{\"cron\":\"0 6 * * *\"},"
		 "\"schedule_status\":{\"state\":\"missed\",\"miss\":\"did not start\"}},"
		 "{\"workflow_id\":\"vat-calculation\",\"schedule\":{\"cron\":\"0 7 * * *\"},"
		 "\"schedule_status\":{\"state\":\"ok\",\"miss\":\"\"}}]}}");
	n = dashboard_data_health(&m, T0 + 60000, 120000, h, 8);
	assert_int_equal(n, 5);
	size_t seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(h[i].workflow_id, "payroll") == 0) {
			assert_true(h[i].overdue && h[i].attention);
			assert_int_equal(h[i].miss, MISS_START);
			assert_int_equal(h[i].runs, 2);
			seen++;
		} else if (strcmp(h[i].workflow_id, "month-end-close") == 0) {
			assert_true(h[i].overdue && h[i].attention);
			assert_int_equal(h[i].miss, MISS_FINISH);
			assert_string_equal(h[i].name, "Month-end close");
			assert_int_equal(h[i].runs, 0);
			seen++;
		} else {
			assert_false(h[i].overdue);
		}
		/* Attention first. */
		if (i > 0 && h[i].attention)
			assert_true(h[i - 1].attention);
	}
	assert_int_equal(seen, 2);

	assert_string_equal(dashboard_data_latest(&m, "payroll", NULL)->x.id, "x5");
	assert_string_equal(dashboard_data_latest(&m, "", NULL)->x.id, "x3");
	assert_string_equal(dashboard_data_latest(&m, "", "x1")->x.id, "x1");
	assert_null(dashboard_data_latest(&m, "", "nope"));
	model_free(&m);
}

static void test_deadlines(void **state)
{
	(void)state;
	struct model m;
	script(&m);
	struct dd_deadline d[8];
	struct taxcal_date today = { 2026, 12, 6 };
	size_t n = dashboard_data_deadlines(&m, NULL, today, d, 8);
	assert_int_equal(n, 4);
	assert_string_equal(d[3].due.rule->name, "VAT/JPK_V7M");
	assert_int_equal(d[3].state, DD_FAILED);       /* jpk-generation failed since 1 December */
	assert_int_equal(d[0].state, DD_NO_WORKFLOW);
	run(&m, "x6", "jpk-generation", T0 + 40000, T0 + 50000, "execution.completed");
	n = dashboard_data_deadlines(&m, NULL, today, d, 8);
	assert_int_equal(d[3].state, DD_DONE);
	/* A configured list: payroll ran this month, the other never did. */
	struct dash_config cfg = { .ndeadlines = 2 };
	cfg.deadlines[0] = (struct taxcal_rule){ "Payroll", 10, "payroll" };
	cfg.deadlines[1] = (struct taxcal_rule){ "Reports", 12, "reports" };
	n = dashboard_data_deadlines(&m, &cfg, today, d, 8);
	assert_int_equal(n, 2);
	assert_string_equal(d[0].due.rule->name, "Payroll");
	assert_int_equal(d[0].due.days_left, 4);
	assert_int_equal(d[0].state, DD_DONE);
	assert_int_equal(d[1].state, DD_PENDING);
	/* Next month's deadlines are for December: nothing has run yet. */
	n = dashboard_data_deadlines(&m, &cfg, (struct taxcal_date){ 2026, 12, 20 }, d, 8);
	assert_int_equal(d[0].due.period.month, 12);
	assert_int_equal(d[0].state, DD_PENDING);
	model_free(&m);
}

static json_t *take(struct model *m, const char *action)
{
	json_t *r = dash_model_take_request(&m->dash);
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "type")), strcmp(action, "metrics") ? "dashboard" : "query");
	if (strcmp(action, "metrics") != 0)
		assert_string_equal(json_string_value(json_object_get(r, "action")), action);
	return r;
}

static void test_dashboard_model(void **state)
{
	(void)state;
	struct model m;
	script(&m);
	dash_model_start(&m.dash, 20);
	assert_true(m.dash.builtin);
	assert_int_equal(m.dash.shown->nwidgets, 7);
	json_t *r = take(&m, "list");
	const char *id = json_string_value(json_object_get(r, "id"));
	unsigned c = feed(&m, "{\"type\":\"dashboard\",\"id\":\"%s\",\"action\":\"list\",\"dashboards\":["
			      "{\"name\":\"Ops\",\"user\":\"anna\",\"is_default\":false,\"widgets\":1},"
			      "{\"name\":\"Month-end\",\"user\":\"anna\",\"is_default\":true,\"widgets\":2}]}", id);
	json_decref(r);
	assert_true(c & MC_DASHBOARD);
	assert_int_equal(m.dash.nlist, 2);
	r = take(&m, "get");
	assert_string_equal(json_string_value(json_object_get(r, "name")), "Month-end");
	id = json_string_value(json_object_get(r, "id"));
	feed(&m, "{\"type\":\"dashboard\",\"id\":\"%s\",\"action\":\"get\",\"dashboard\":{\"name\":\"Month-end\","
		 "\"user\":\"anna\",\"layout\":{\"columns\":12},\"is_default\":true,\"widgets\":["
		 "{\"id\":\"a\",\"type\":\"success_rate\",\"title\":\"\",\"position\":{\"x\":0,\"y\":0,\"w\":6,\"h\":4},\"config\":{}},"
		 "{\"id\":\"b\",\"type\":\"execution_chart\",\"title\":\"\",\"position\":{\"x\":6,\"y\":0,\"w\":6,\"h\":4},"
		 "\"config\":{\"workflow\":\"payroll\",\"range\":\"7d\"}}]}}", id);
	json_decref(r);
	assert_false(m.dash.builtin);
	assert_int_equal(m.dash.state, DM_READY);
	assert_string_equal(m.dash.shown->name, "Month-end");
	assert_string_equal(m.dash.saved->name, "Month-end");

	/* Two aggregate rooms, pushed by the daemon: all workflows over 24 h,
	 * payroll over 7 days; no request is asked for them. */
	assert_null(dash_model_take_request(&m.dash));
	dash_model_want_aggregates(&m.dash, true);
	assert_null(dash_model_take_request(&m.dash));
	assert_true(m.dash.agg[0].used);
	assert_string_equal(m.dash.agg[0].room, "metrics:24h");
	assert_true(m.dash.agg[1].used);
	assert_string_equal(m.dash.agg[1].room, "metrics:7d:payroll");
	assert_false(m.dash.agg[2].used);
	const struct dm_aggregate *a = dash_model_aggregate(&m.dash, &m.dash.shown->widgets[0]);
	assert_ptr_equal(a, &m.dash.agg[0]);
	assert_ptr_equal(dash_model_aggregate(&m.dash, &m.dash.shown->widgets[1]), &m.dash.agg[1]);
	assert_false(a->m.has_data);
	/* A push of the room (as a subscribed snapshot, then as stats) is the
	 * dashboard's, not the metrics view's. */
	assert_non_null(model_room_track(&m, "metrics:24h"));
	c = feed(&m, "{\"type\":\"subscribed\",\"id\":\"sub:metrics:24h\",\"room\":\"metrics:24h\",\"seq\":5,"
		     "\"snapshot\":{},\"resumed\":false}");
	assert_false(a->m.has_data);
	c = feed(&m, "{\"type\":\"stats\",\"room\":\"metrics:24h\",\"data\":{\"from\":\"2026-12-05T10:00:00Z\","
		     "\"to\":\"2026-12-06T10:00:00Z\",\"now\":\"2026-12-06T10:00:00Z\",\"bucket_ms\":3600000,"
		     "\"summary\":{\"runs\":4,\"completed\":3,\"failed\":1,\"success_rate\":75}}}");
	assert_true(c & MC_DASHBOARD);
	assert_false(c & MC_METRICS);
	assert_true(a->m.has_data);
	assert_int_equal(a->m.state, MSTATE_LOADED);
	assert_int_equal(a->m.data.summary.runs, 4);
	/* A refused aggregate says why. */
	c = feed(&m, "{\"type\":\"stats\",\"room\":\"metrics:24h\",\"data\":{\"error\":\"the database is away\"}}");
	assert_true(c & MC_DASHBOARD);
	assert_int_equal(a->m.state, MSTATE_ERROR);
	assert_string_equal(a->m.error, "the database is away");
	/* Off the dashboard: no room is read; the slots' subscriptions are the
	 * view's to leave. */
	dash_model_want_aggregates(&m.dash, false);
	assert_false(m.dash.agg[0].used);
	assert_false(m.dash.agg[1].used);

	/* A refused save: the field comes back; the shown copy is kept. */
	m.dash.shown->widgets[0].y = 9;
	dash_model_save(&m.dash, NULL);
	r = take(&m, "save");
	id = json_string_value(json_object_get(r, "id"));
	c = feed(&m, "{\"type\":\"error\",\"id\":\"%s\",\"code\":\"bad_request\",\"field\":\"dashboard.name\","
		     "\"message\":\"at most 20 dashboards per user\"}", id);
	json_decref(r);
	assert_true(c & MC_DASHBOARD);
	assert_false(m.dash.reply_ok);
	assert_string_equal(m.dash.reply_field, "dashboard.name");
	assert_int_equal(m.dash.shown->widgets[0].y, 9);
	/* Esc: the saved layout back. */
	dash_model_revert(&m.dash);
	assert_int_equal(m.dash.shown->widgets[0].y, 0);
	model_free(&m);

	/* Without a database: the built-in default, and saving known to be impossible. */
	script(&m);
	dash_model_start(&m.dash, 36);
	r = take(&m, "list");
	feed(&m, "{\"type\":\"error\",\"id\":\"%s\",\"code\":\"unavailable\",\"message\":\"no database\"}",
	     json_string_value(json_object_get(r, "id")));
	json_decref(r);
	assert_true(m.dash.unavailable);
	assert_true(m.dash.builtin);
	assert_int_equal(m.dash.state, DM_READY);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_and_lists),
		cmocka_unit_test(test_deadlines),
		cmocka_unit_test(test_dashboard_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
