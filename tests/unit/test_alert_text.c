/* test_alert_text.c: what a firing says (alert_text.c): the title "text:
 * subject" by wording, the body's first line by measure in both languages,
 * the lines every body carries, the context's numbers, and an execution's
 * error quoted in whole characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "alert.h"

static void rule_init(struct alert_rule *r, const char *language)
{
	memset(r, 0, sizeof *r);
	snprintf(r->id, sizeof r->id, "r1");
	snprintf(r->name, sizeof r->name, "Nocne JPK");
	snprintf(r->language, sizeof r->language, "%s", language);
	snprintf(r->metric, sizeof r->metric, "cpu_percent");
	r->op = OP_GTE;
	r->threshold = 90;
	r->window_s = 600;
}

static const struct {
	struct alert_wording w;
	const char *lang;
	const char *title;        /* exact */
	const char *first_line;   /* the body's first line, exact */
	const char *context_key;  /* a number the context must hold, or NULL */
} cases[] = {
	{ { TXT_EXECUTION_FAILED, SUBJECT_WORKFLOW, MEASURE_NONE }, "en", "Workflow execution failed: JPK monthly",
	  "Workflow: jpk", NULL },
	{ { TXT_EXECUTION_FAILED, SUBJECT_WORKFLOW, MEASURE_CONSECUTIVE }, "pl",
	  "Wykonanie workflow nie powiodło się: JPK monthly", "3 niepowodzeń z rzędu", "consecutive" },
	{ { TXT_ALERT_TRIGGERED, SUBJECT_RULE, MEASURE_RATE }, "en", "Alert triggered: Nocne JPK",
	  "Error rate 25.0% (1 of 4 finished) over the last 10 min, above 90%", "rate_percent" },
	{ { TXT_PERFORMANCE_DEGRADED, SUBJECT_WORKFLOW, MEASURE_TOOK }, "pl",
	  "Wykryto spadek wydajności: JPK monthly", "Trwało 1 min 1 s, dłużej niż 1 min", "duration_ms" },
	{ { TXT_PERFORMANCE_DEGRADED, SUBJECT_WORKFLOW, MEASURE_RUNNING }, "en",
	  "Performance degradation detected: JPK monthly", "Running for 1 min 1 s, longer than 1 min", "threshold_ms" },
	{ { TXT_RESOURCE_WARNING, SUBJECT_METRIC, MEASURE_METRIC }, "pl", "Ostrzeżenie o zasobach systemu: cpu_percent",
	  "cpu_percent wynosi 95,5 (warunek: >= 90)", "value" },
	{ { TXT_ALERT_TRIGGERED, SUBJECT_RULE, MEASURE_CUSTOM }, "de", "Alert triggered: Nocne JPK",
	  "cpu_percent is 95.5 (condition: >= 90)", "threshold" },
};

static void test_firings(void **state)
{
	(void)state;
	struct alert_trigger t = {
		.workflow_id = "jpk", .workflow_name = "JPK monthly", .execution_id = "ex-1", .consecutive = 3,
		.failed = 1, .finished = 4, .rate = 25, .duration_ms = 61000, .threshold_ms = 60000, .value = 95.5,
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct alert_rule r;
		rule_init(&r, cases[i].lang);
		struct alert_firing af;
		memset(&af, 0, sizeof af);
		alert_text_firing(&af, &r, &cases[i].w, &t);
		assert_string_equal(af.title, cases[i].title);
		size_t n = strlen(cases[i].first_line);
		if (strncmp(af.body, cases[i].first_line, n) != 0 || (af.body[n] != '\n' && af.body[n] != '\0'))
			fail_msg("case %zu: body starts \"%.60s\", want \"%s\"", i, af.body, cases[i].first_line);
		/* Every body names the rule and says how to open the execution. */
		bool pl = strcmp(cases[i].lang, "pl") == 0;
		assert_non_null(strstr(af.body, pl ? "Reguła: Nocne JPK" : "Rule: Nocne JPK"));
		assert_non_null(strstr(af.body, pl ? "Otwórz: wfmon open ex-1" : "Open it: wfmon open ex-1"));
		assert_string_equal(json_string_value(json_object_get(af.context, "execution_id")), "ex-1");
		if (cases[i].context_key != NULL && !json_is_number(json_object_get(af.context, cases[i].context_key)))
			fail_msg("case %zu: context has no %s", i, cases[i].context_key);
		/* Only a custom rule's context names its operator. */
		assert_int_equal(json_object_get(af.context, "op") != NULL, cases[i].w.measure == MEASURE_CUSTOM);
		alert_firing_clear(&af);
	}
}

/* A failed execution's error and step; a long error cut on a character. */
static void test_error_and_cuts(void **state)
{
	(void)state;
	char err[2000];
	size_t used = 0;
	while (used + 2 < sizeof err - 1) {
		memcpy(err + used, "ż", 2);
		used += 2;
	}
	err[used] = '\0';
	struct alert_trigger t = { .workflow_id = "jpk", .execution_id = "ex-1", .error = err, .step_id = "send" };
	struct alert_rule r;
	rule_init(&r, "pl");
	struct alert_wording w = { TXT_EXECUTION_FAILED, SUBJECT_RULE, MEASURE_NONE };
	struct alert_firing af;
	memset(&af, 0, sizeof af);
	alert_text_firing(&af, &r, &w, &t);
	assert_non_null(strstr(af.body, "Nieudany krok: send"));
	assert_non_null(strstr(af.body, "Błąd: żż"));
	/* The quoted error is at most 400 bytes, whole characters only. */
	const char *e = strstr(af.body, "Błąd: ") + strlen("Błąd: ");
	size_t elen = strcspn(e, "\n");
	assert_true(elen <= 400 && elen % 2 == 0);
	assert_string_equal(json_string_value(json_object_get(af.context, "step_id")), "send");
	assert_int_equal(strlen(json_string_value(json_object_get(af.context, "error"))), used);
	alert_firing_clear(&af);

}

/* A measured value with binary noise reads as it was measured, in the
 * rule's language: 99.700000000000003 is "99.7" / "99,7". */
static void test_value_noise(void **state)
{
	(void)state;
	struct alert_trigger t = { .workflow_id = "jpk", .execution_id = "ex-1", .value = 99.700000000000003 };
	const struct alert_wording w = { TXT_RESOURCE_WARNING, SUBJECT_METRIC, MEASURE_METRIC };
	static const struct { const char *lang, *line; } langs[] = {
		{ "en", "cpu_percent is 99.7 (condition: >= 90)" },
		{ "pl", "cpu_percent wynosi 99,7 (warunek: >= 90)" },
	};
	for (size_t i = 0; i < sizeof langs / sizeof langs[0]; i++) {
		struct alert_rule r;
		rule_init(&r, langs[i].lang);
		struct alert_firing af;
		memset(&af, 0, sizeof af);
		alert_text_firing(&af, &r, &w, &t);
		if (strncmp(af.body, langs[i].line, strlen(langs[i].line)) != 0)
			fail_msg("%s: body starts \"%.60s\", want \"%s\"", langs[i].lang, af.body, langs[i].line);
		assert_null(strstr(af.body, "0000"));
		alert_firing_clear(&af);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firings),
		cmocka_unit_test(test_error_and_cuts),
		cmocka_unit_test(test_value_noise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
