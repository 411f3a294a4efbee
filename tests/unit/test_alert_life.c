/* test_alert_life.c: the life of an alert (transitions allowed and refused)
 * and the fixed texts in English and Polish. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "alert.h"

struct transition_case {
	enum alert_state from;
	enum alert_severity sev;
	enum alert_action act;
	int rc;
	enum alert_state to;
	enum alert_severity new_sev;
	const char *refusal;   /* part of the sentence when refused */
};

static const struct transition_case transitions[] = {
	{ ALERT_ACTIVE, SEV_ERROR, ACT_ACKNOWLEDGE, 0, ALERT_ACKNOWLEDGED, SEV_ERROR, NULL },
	{ ALERT_ACTIVE, SEV_ERROR, ACT_RESOLVE, 0, ALERT_RESOLVED, SEV_ERROR, NULL },
	{ ALERT_ACTIVE, SEV_ERROR, ACT_AUTO_RESOLVE, 0, ALERT_RESOLVED, SEV_ERROR, NULL },
	{ ALERT_ACTIVE, SEV_INFO, ACT_ESCALATE, 0, ALERT_ACTIVE, SEV_WARNING, NULL },
	{ ALERT_ACTIVE, SEV_WARNING, ACT_ESCALATE, 0, ALERT_ACTIVE, SEV_ERROR, NULL },
	{ ALERT_ACTIVE, SEV_ERROR, ACT_ESCALATE, 0, ALERT_ACTIVE, SEV_CRITICAL, NULL },
	{ ALERT_ACTIVE, SEV_CRITICAL, ACT_ESCALATE, 0, ALERT_ACTIVE, SEV_CRITICAL, NULL },
	{ ALERT_ACKNOWLEDGED, SEV_WARNING, ACT_RESOLVE, 0, ALERT_RESOLVED, SEV_WARNING, NULL },
	{ ALERT_ACKNOWLEDGED, SEV_WARNING, ACT_AUTO_RESOLVE, 0, ALERT_RESOLVED, SEV_WARNING, NULL },
	{ ALERT_ACKNOWLEDGED, SEV_WARNING, ACT_ESCALATE, 0, ALERT_ACKNOWLEDGED, SEV_ERROR, NULL },
	{ ALERT_ACKNOWLEDGED, SEV_WARNING, ACT_ACKNOWLEDGE, -1, 0, 0, "already acknowledged" },
	{ ALERT_RESOLVED, SEV_ERROR, ACT_ACKNOWLEDGE, -1, 0, 0, "the alert is already resolved" },
	{ ALERT_RESOLVED, SEV_ERROR, ACT_RESOLVE, -1, 0, 0, "the alert is already resolved" },
	{ ALERT_RESOLVED, SEV_ERROR, ACT_AUTO_RESOLVE, -1, 0, 0, "the alert is already resolved" },
	{ ALERT_RESOLVED, SEV_ERROR, ACT_ESCALATE, -1, 0, 0, "the alert is already resolved" },
};

static void test_transitions(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++) {
		const struct transition_case *c = &transitions[i];
		enum alert_state to = ALERT__STATE_COUNT;
		enum alert_severity sev = SEV__COUNT;
		char cause[128] = "";
		int rc = alert_transition(c->from, c->sev, c->act, &to, &sev, cause, sizeof cause);
		if (rc != c->rc)
			fail_msg("case %zu: %s from %s gave %d (%s)", i, alert_action_name(c->act),
				 alert_state_name(c->from), rc, cause);
		if (rc == 0) {
			assert_int_equal(to, c->to);
			assert_int_equal(sev, c->new_sev);
		} else {
			assert_non_null(strstr(cause, c->refusal));
		}
	}
	assert_string_equal(alert_state_name(ALERT_ACKNOWLEDGED), "acknowledged");
	assert_string_equal(alert_action_name(ACT_AUTO_RESOLVE), "auto_resolve");
}

static const struct {
	enum alert_text t;
	const char *en, *pl;
} texts[] = {
	{ TXT_EXECUTION_STARTED, "Workflow execution started", "Wykonanie workflow rozpoczęte" },
	{ TXT_EXECUTION_COMPLETED, "Workflow execution completed successfully", "Wykonanie workflow zakończone pomyślnie" },
	{ TXT_EXECUTION_FAILED, "Workflow execution failed", "Wykonanie workflow nie powiodło się" },
	{ TXT_STEP_COMPLETED, "Step completed", "Krok zakończony" },
	{ TXT_STEP_FAILED, "Step failed", "Krok nie powiódł się" },
	{ TXT_ALERT_TRIGGERED, "Alert triggered", "Wyzwolono alert" },
	{ TXT_ALERT_ACKNOWLEDGED, "Alert acknowledged", "Alert został potwierdzony" },
	{ TXT_QUEUE_BACKLOG, "Queue backlog detected", "Wykryto zaległości w kolejce" },
	{ TXT_RESOURCE_WARNING, "System resource warning", "Ostrzeżenie o zasobach systemu" },
	{ TXT_PERFORMANCE_DEGRADED, "Performance degradation detected", "Wykryto spadek wydajności" },
	{ TXT_SCHEDULE_MISSED, "Scheduled run missed", "Zaplanowane uruchomienie nie odbyło się" },
};

static void test_texts(void **state)
{
	(void)state;
	assert_int_equal(sizeof texts / sizeof texts[0], TXT__COUNT);
	for (size_t i = 0; i < TXT__COUNT; i++) {
		assert_string_equal(alert_text(texts[i].t, "en"), texts[i].en);
		assert_string_equal(alert_text(texts[i].t, "pl"), texts[i].pl);
		/* Other languages fall back to English. */
		assert_string_equal(alert_text(texts[i].t, "de"), texts[i].en);
		assert_string_equal(alert_text(texts[i].t, NULL), texts[i].en);
	}
	assert_null(alert_text(TXT__COUNT, "en"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transitions),
		cmocka_unit_test(test_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
