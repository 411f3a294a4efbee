/* test_summary.c: the organization summary's pieces that need no daemon:
 * failed executions needing attention (attention.c) by the definition in
 * org_summary.h (a later run of the workflow completing, or a resolved
 * alert, handles a failure; concurrency, duplicates, the cap, the load order
 * of a restart), and the summary's JSON writer and reader (org_summary.c):
 * a round trip, warnings, and refusals that name the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "attention.h"
#include "org_summary.h"

static void test_later_success_handles(void **state)
{
	(void)state;
	struct attention a;
	attention_init(&a, 0);
	attention_on_failed(&a, "ex-1", "vat", 1000);
	attention_on_failed(&a, "ex-2", "vat", 2000);
	attention_on_failed(&a, "ex-3", "jpk", 2500);
	assert_int_equal(attention_count(&a), 3);
	/* The same failure reported again counts once. */
	attention_on_failed(&a, "ex-2", "vat", 2000);
	assert_int_equal(attention_count(&a), 3);
	/* A run that started before the failures (it ran alongside) handles none. */
	attention_on_completed(&a, "vat", 900);
	assert_int_equal(attention_count(&a), 3);
	/* A run that started between them handles the first only. */
	attention_on_completed(&a, "vat", 1500);
	assert_int_equal(attention_count(&a), 2);
	assert_false(attention_holds(&a, "ex-1"));
	assert_true(attention_holds(&a, "ex-2"));
	/* Another workflow's success handles nothing of vat's. */
	attention_on_completed(&a, "jpk", 3000);
	assert_int_equal(attention_count(&a), 1);
	assert_true(attention_holds(&a, "ex-2"));
	/* A run started at the very time of the failure is not later. */
	attention_on_completed(&a, "vat", 2000);
	assert_int_equal(attention_count(&a), 1);
	attention_on_completed(&a, "vat", 2001);
	assert_int_equal(attention_count(&a), 0);
	/* A failure older than the last success start arrives late: handled already. */
	attention_on_failed(&a, "ex-0", "vat", 1999);
	assert_int_equal(attention_count(&a), 0);
	attention_free(&a);
}

static void test_resolved_alert_handles(void **state)
{
	(void)state;
	struct attention a;
	attention_init(&a, 0);
	attention_on_failed(&a, "ex-1", "vat", 1000);
	attention_on_failed(&a, "ex-2", "vat", 1100);
	attention_on_handled(&a, "ex-1");
	attention_on_handled(&a, "ex-unknown");
	assert_int_equal(attention_count(&a), 1);
	assert_true(attention_holds(&a, "ex-2"));
	attention_free(&a);
}

/* Past the cap failures are counted, not kept, and a success after them
 * still clears them. */
static void test_cap(void **state)
{
	(void)state;
	struct attention a;
	attention_init(&a, 3);
	char id[32];
	for (int i = 0; i < 10; i++) {
		snprintf(id, sizeof id, "ex-%d", i);
		attention_on_failed(&a, id, i % 2 ? "odd" : "even", 1000 + i);
	}
	assert_int_equal(attention_count(&a), 10);
	attention_on_completed(&a, "odd", 5000);
	assert_int_equal(attention_count(&a), 5);
	attention_on_completed(&a, "even", 1005);   /* after ex-0, 2, 4; before ex-6, 8 */
	assert_true(attention_count(&a) >= 2 && attention_count(&a) <= 5);
	attention_on_completed(&a, "even", 9000);
	assert_int_equal(attention_count(&a), 0);
	attention_free(&a);
}

/* A restart loads the successes first, then the unhandled failures: the
 * count is what the store said. */
static void test_load_order(void **state)
{
	(void)state;
	struct attention a;
	attention_init(&a, 0);
	attention_on_completed(&a, "vat", 5000);
	attention_on_failed(&a, "ex-9", "vat", 6000);
	attention_on_failed(&a, "ex-8", "jpk", 100);
	assert_int_equal(attention_count(&a), 2);
	attention_on_failed(&a, "bad id!", "vat", 7000);   /* not an id: ignored */
	attention_on_failed(&a, "ex-7", "bad wf!", 7000);
	assert_int_equal(attention_count(&a), 2);
	attention_free(&a);
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct org_summary s = {
		.at_ms = 1795411477000LL, .running = 4, .stale = 1, .queued = 145, .failed_unhandled = 16,
		.alerts_open = 2, .stale_after_ms = 120000, .backlog = true, .backlog_threshold = 100,
		.cpu = true, .cpu_percent = 92.5, .cpu_threshold = 80, .ndegraded = 1, .nstale_ids = 1,
	};
	snprintf(s.degraded[0], sizeof s.degraded[0], "vat-calculation");
	snprintf(s.stale_ids[0], sizeof s.stale_ids[0], "run-quiet-1");
	s.has_system = true;
	snprintf(s.database, sizeof s.database, "down");
	s.spool_pending = 1200;
	s.spool_bytes = 480000;
	snprintf(s.notifier, sizeof s.notifier, "retrying");
	snprintf(s.notifier_error, sizeof s.notifier_error, "HTTP 503");
	snprintf(s.peers, sizeof s.peers, "delayed");
	s.outbox = 25;
	json_t *j = org_summary_json_new(&s);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "system"), "spool_pending")), 1200);
	assert_int_equal(json_integer_value(json_object_get(j, "failed_unhandled")), 16);
	assert_int_equal(json_integer_value(json_object_get(j, "stale_after_s")), 120);
	struct org_summary back;
	struct proto_cause cause;
	assert_int_equal(org_summary_parse(j, &back, &cause), 0);
	assert_true(org_summary_equal(&s, &back));
	assert_int_equal(back.at_ms, s.at_ms);
	assert_int_equal(back.nstale_ids, 1);
	assert_string_equal(back.stale_ids[0], "run-quiet-1");
	assert_true(back.has_system);
	assert_string_equal(back.database, "down");
	assert_int_equal(back.spool_bytes, 480000);
	assert_string_equal(back.notifier, "retrying");
	assert_string_equal(back.notifier_error, "HTTP 503");
	assert_string_equal(back.peers, "delayed");
	assert_int_equal(back.outbox, 25);
	json_decref(j);
	/* The outbox drained: another summary. */
	back.outbox = 0;
	assert_false(org_summary_equal(&s, &back));
	back.outbox = 25;
	/* Other nodes caught up: another summary; a daemon alone writes no "peers". */
	snprintf(back.peers, sizeof back.peers, "current");
	assert_false(org_summary_equal(&s, &back));
	back = s;
	back.peers[0] = '\0';
	j = org_summary_json_new(&back);
	assert_null(json_object_get(json_object_get(j, "system"), "peers"));
	assert_null(json_object_get(json_object_get(j, "system"), "outbox"));
	json_decref(j);
	/* A notifier that recovered is another summary. */
	back.notifier_error[0] = '\0';
	assert_false(org_summary_equal(&s, &back));
	back = s;
	/* Another stale execution named is another summary. */
	snprintf(back.stale_ids[0], sizeof back.stale_ids[0], "run-quiet-2");
	assert_false(org_summary_equal(&s, &back));
	/* No warning raised: nulls and an empty list, read back as none. */
	struct org_summary calm = { .running = 1, .stale_after_ms = 60000 };
	j = org_summary_json_new(&calm);
	assert_true(json_is_null(json_object_get(json_object_get(j, "warnings"), "cpu")));
	assert_int_equal(org_summary_parse(j, &back, &cause), 0);
	assert_false(back.backlog || back.cpu || back.ndegraded || back.has_system);
	assert_true(org_summary_equal(&calm, &back));
	calm.queued = 1;
	assert_false(org_summary_equal(&calm, &back));
	json_decref(j);
}

static void test_json_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *json, *field;
	} cases[] = {
		{ "[]", "" },
		{ "{\"stale\":0,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":120}", "running" },
		{ "{\"running\":-1,\"stale\":0,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1}",
		  "running" },
		{ "{\"running\":1,\"stale\":0,\"queued\":0,\"failed_unhandled\":\"3\",\"alerts_open\":0,\"stale_after_s\":1}",
		  "failed_unhandled" },
		{ "{\"running\":1,\"stale\":0,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":0}",
		  "stale_after_s" },
		{ "{\"running\":1,\"stale\":0,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1,"
		  "\"warnings\":{\"cpu\":{\"percent\":90}}}", "warnings.cpu.threshold" },
		{ "{\"running\":1,\"stale\":0,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1,"
		  "\"warnings\":{\"degraded\":[\"no spaces\"]}}", "warnings.degraded" },
		{ "{\"running\":1,\"stale\":1,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1,"
		  "\"stale_ids\":[\"a\",\"b\"]}", "stale_ids" },
		{ "{\"running\":1,\"stale\":1,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1,"
		  "\"stale_ids\":[7]}", "stale_ids" },
		{ "{\"running\":1,\"stale\":1,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1,"
		  "\"stale_ids\":\"a\"}", "stale_ids" },
		{ "{\"running\":1,\"stale\":0,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1,"
		  "\"system\":{\"database\":\"sleepy\",\"spool_pending\":0,\"spool_bytes\":0,\"notifier\":\"ok\"}}",
		  "system.database" },
		{ "{\"running\":1,\"stale\":0,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1,"
		  "\"system\":{\"database\":\"up\",\"spool_pending\":-4,\"spool_bytes\":0,\"notifier\":\"ok\"}}",
		  "system.spool_pending" },
		{ "{\"running\":1,\"stale\":0,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1,"
		  "\"system\":{\"database\":\"up\",\"spool_pending\":0,\"spool_bytes\":0,\"notifier\":\"ok\","
		  "\"peers\":\"late\"}}", "system.peers" },
		{ "{\"running\":1,\"stale\":0,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1,"
		  "\"system\":{\"database\":\"up\",\"spool_pending\":0,\"spool_bytes\":0,\"notifier\":\"loud\"}}",
		  "system.notifier" },
		{ "{\"running\":1,\"stale\":0,\"queued\":0,\"failed_unhandled\":0,\"alerts_open\":0,\"stale_after_s\":1,"
		  "\"system\":7}", "system" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *j = json_loads(cases[i].json, 0, NULL);
		assert_non_null(j);
		struct org_summary s;
		struct proto_cause cause;
		memset(&cause, 0, sizeof cause);
		assert_int_equal(org_summary_parse(j, &s, &cause), -1);
		if (strcmp(cause.field, cases[i].field) != 0)
			fail_msg("case %zu: field \"%s\", want \"%s\" (%s)", i, cause.field, cases[i].field, cause.message);
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_later_success_handles), cmocka_unit_test(test_resolved_alert_handles),
		cmocka_unit_test(test_cap), cmocka_unit_test(test_load_order),
		cmocka_unit_test(test_json_round_trip), cmocka_unit_test(test_json_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
