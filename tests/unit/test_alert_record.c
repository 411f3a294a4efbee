/* test_alert_record.c: the alert record's one writer and one reader
 * (alert_record.h): the round trip of a full record and of an empty one,
 * deliveries kept to the newest ALERT_DELIVERIES_KEPT, and every missing,
 * wrong-typed or out-of-bounds field refused by name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_record.h"

#define T0 1795409578512LL

static void full_record(struct alert_record *r)
{
	alert_record_init(r);
	r->id = 1795409578512000LL;   /* beyond 2^53: must survive as an integer */
	snprintf(r->rule_id, sizeof r->rule_id, "rule-1");
	snprintf(r->rule_name, sizeof r->rule_name, "JPK nie działa");
	snprintf(r->workflow_id, sizeof r->workflow_id, "jpk-generation");
	snprintf(r->execution_id, sizeof r->execution_id, "ex-42");
	r->severity = SEV_CRITICAL;
	r->state = ALERT_RESOLVED;
	alert_record_set_text(&r->title, "Wykonanie workflow nie powiodło się: JPK", ALERT_TITLE_MAX);
	alert_record_set_text(&r->body, "3 niepowodzeń z rzędu\nOtwórz: wfmon open ex-42", ALERT_BODY_MAX);
	json_object_set_new(r->context, "consecutive", json_integer(3));
	r->triggered_ms = T0;
	r->acknowledged_ms = T0 + 1000;
	r->resolved_ms = T0 + 2000;
	r->escalated_ms = T0 + 1500;
	snprintf(r->acknowledged_by, sizeof r->acknowledged_by, "olga");
	snprintf(r->resolved_by, sizeof r->resolved_by, "jan");
	alert_record_set_text(&r->ack_note, "sprawdzam plik JPK", PROTO_MAX_TEXT);
	alert_record_set_text(&r->resolve_note, "poprawione", PROTO_MAX_TEXT);
	r->escalations = 2;
	r->bell = true;
	struct alert_delivery d = { .channel = CH_WEBHOOK, .channel_index = 1, .attempt = 2, .ok = false,
				    .final = true, .at_ms = T0 + 10 };
	snprintf(d.detail, sizeof d.detail, "HTTP 503");
	alert_record_add_delivery(r, &d);
}

static void delivery_equal(const struct alert_delivery *a, const struct alert_delivery *b)
{
	assert_int_equal(a->channel, b->channel);
	assert_int_equal(a->channel_index, b->channel_index);
	assert_int_equal(a->attempt, b->attempt);
	assert_int_equal(a->ok, b->ok);
	assert_int_equal(a->final, b->final);
	assert_string_equal(a->detail, b->detail);
	assert_true(a->at_ms == b->at_ms);
}

static void record_equal(const struct alert_record *a, const struct alert_record *b, bool deliveries)
{
	assert_true(a->id == b->id);
	assert_string_equal(a->rule_id, b->rule_id);
	assert_string_equal(a->rule_name, b->rule_name);
	assert_string_equal(a->workflow_id, b->workflow_id);
	assert_string_equal(a->execution_id, b->execution_id);
	assert_int_equal(a->severity, b->severity);
	assert_int_equal(a->state, b->state);
	assert_string_equal(a->title, b->title);
	assert_string_equal(a->body, b->body);
	assert_true(json_equal(a->context, b->context));
	assert_true(a->triggered_ms == b->triggered_ms);
	assert_true(a->acknowledged_ms == b->acknowledged_ms);
	assert_true(a->resolved_ms == b->resolved_ms);
	assert_true(a->escalated_ms == b->escalated_ms);
	assert_string_equal(a->acknowledged_by, b->acknowledged_by);
	assert_string_equal(a->resolved_by, b->resolved_by);
	assert_true((a->ack_note == NULL) == (b->ack_note == NULL));
	if (a->ack_note != NULL)
		assert_string_equal(a->ack_note, b->ack_note);
	assert_true((a->resolve_note == NULL) == (b->resolve_note == NULL));
	if (a->resolve_note != NULL)
		assert_string_equal(a->resolve_note, b->resolve_note);
	assert_int_equal(a->escalations, b->escalations);
	assert_int_equal(a->bell, b->bell);
	if (!deliveries)
		return;
	assert_int_equal(a->ndeliveries, b->ndeliveries);
	for (size_t i = 0; i < a->ndeliveries; i++)
		delivery_equal(&a->deliveries[i], &b->deliveries[i]);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct alert_record a, b;
	struct proto_cause cause;
	full_record(&a);
	json_t *j = alert_record_json_new(&a, true);
	/* Through text, as it travels. */
	char *text = json_dumps(j, JSON_COMPACT);
	json_t *back = json_loads(text, 0, NULL);
	if (alert_record_parse(back, &b, &cause) != 0)
		fail_msg("%s: %s", cause.field, cause.message);
	record_equal(&a, &b, true);
	assert_int_equal(b.ndeliveries, 1);
	assert_string_equal(b.deliveries[0].detail, "HTTP 503");
	alert_record_clear(&b);
	/* Without the deliveries (the store's form): none come back. */
	json_t *stored = alert_record_json_new(&a, false);
	assert_null(json_object_get(stored, "deliveries"));
	assert_int_equal(alert_record_parse(stored, &b, &cause), 0);
	record_equal(&a, &b, false);
	assert_int_equal(b.ndeliveries, 0);
	alert_record_clear(&b);
	json_decref(stored);
	json_decref(back);
	free(text);
	json_decref(j);
	alert_record_clear(&a);
}

/* A fresh alert: what is not there yet is null on the wire and none back. */
static void test_empty_fields(void **state)
{
	(void)state;
	struct alert_record a, b;
	struct proto_cause cause;
	alert_record_init(&a);
	a.id = 7;
	snprintf(a.rule_id, sizeof a.rule_id, "r");
	a.triggered_ms = T0;
	json_t *j = alert_record_json_new(&a, true);
	static const char *const nulls[] = { "workflow_id", "execution_id", "acknowledged_by", "acknowledged_at",
					     "ack_note", "resolved_by", "resolved_at", "resolve_note",
					     "escalated_at" };
	for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
		if (!json_is_null(json_object_get(j, nulls[i])))
			fail_msg("%s is not null", nulls[i]);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "active");
	assert_int_equal(alert_record_parse(j, &b, &cause), 0);
	record_equal(&a, &b, true);
	assert_null(b.ack_note);
	assert_string_equal(b.title, "");
	assert_int_equal(json_object_size(b.context), 0);
	alert_record_clear(&b);
	json_decref(j);
	alert_record_clear(&a);
}

/* The newest ALERT_DELIVERIES_KEPT attempts, oldest first. */
static void test_deliveries_bounded(void **state)
{
	(void)state;
	struct alert_record a, b;
	struct proto_cause cause;
	full_record(&a);
	for (int i = 0; i < ALERT_DELIVERIES_KEPT + 5; i++) {
		struct alert_delivery d = { .channel = CH_SMS, .attempt = i + 1, .final = true, .at_ms = T0 + i };
		alert_record_add_delivery(&a, &d);
	}
	assert_int_equal(a.ndeliveries, ALERT_DELIVERIES_KEPT);
	assert_int_equal(a.deliveries[0].attempt, 6);
	assert_int_equal(a.deliveries[ALERT_DELIVERIES_KEPT - 1].attempt, ALERT_DELIVERIES_KEPT + 5);
	/* A longer list than the writer sends: the reader keeps the newest. */
	json_t *j = alert_record_json_new(&a, true);
	json_t *dl = json_object_get(j, "deliveries");
	for (int i = 0; i < 3; i++)
		json_array_insert_new(dl, 0, json_pack("{s:s,s:i,s:b,s:b}", "channel", "email", "attempt", 99, "ok", 1,
						       "final", 1));
	assert_int_equal(alert_record_parse(j, &b, &cause), 0);
	assert_int_equal(b.ndeliveries, ALERT_DELIVERIES_KEPT);
	assert_int_equal(b.deliveries[0].attempt, 6);
	alert_record_clear(&b);
	json_decref(j);
	alert_record_clear(&a);
}

/* Texts are cut to their limit on a character boundary. */
static void test_text_limits(void **state)
{
	(void)state;
	char long_text[ALERT_TITLE_MAX + 10];
	memset(long_text, 'a', sizeof long_text - 3);
	memcpy(long_text + ALERT_TITLE_MAX - 1, "ł", 2);   /* straddles the limit */
	long_text[sizeof long_text - 1] = '\0';
	char *t = NULL;
	alert_record_set_text(&t, long_text, ALERT_TITLE_MAX);
	assert_int_equal(strlen(t), ALERT_TITLE_MAX - 1);
	free(t);
}

struct bad_case {
	const char *key;      /* the member changed */
	const char *value;    /* its new JSON value, NULL: removed */
	const char *field;    /* the field the reader must name */
};

static const struct bad_case bad_cases[] = {
	{ "id", NULL, "id" },
	{ "id", "0", "id" },
	{ "id", "\"7\"", "id" },
	{ "id", "1.5", "id" },
	{ "rule_id", NULL, "rule_id" },
	{ "rule_id", "\"a b\"", "rule_id" },
	{ "rule_name", "7", "rule_name" },
	{ "workflow_id", "[]", "workflow_id" },
	{ "execution_id", "\"x y\"", "execution_id" },
	{ "severity", NULL, "severity" },
	{ "severity", "\"fatal\"", "severity" },
	{ "state", "\"open\"", "state" },
	{ "state", "3", "state" },
	{ "title", NULL, "title" },
	{ "body", "{}", "body" },
	{ "context", "[]", "context" },
	{ "triggered_at", NULL, "triggered_at" },
	{ "triggered_at", "\"yesterday\"", "triggered_at" },
	{ "acknowledged_at", "1795409578512", "acknowledged_at" },
	{ "ack_note", "false", "ack_note" },
	{ "escalations", "-1", "escalations" },
	{ "escalations", "\"2\"", "escalations" },
	{ "bell", "\"yes\"", "bell" },
	{ "deliveries", "{}", "deliveries" },
	{ "deliveries", "[7]", "deliveries[0]" },
	{ "deliveries", "[{\"channel\":\"pager\",\"attempt\":1,\"ok\":true,\"final\":true}]", "deliveries[0].channel" },
	{ "deliveries", "[{\"channel\":\"sms\",\"ok\":true,\"final\":true}]", "deliveries[0].attempt" },
	{ "deliveries", "[{\"channel\":\"sms\",\"attempt\":1,\"ok\":1,\"final\":true}]", "deliveries[0].ok" },
	{ "deliveries", "[{\"channel\":\"sms\",\"attempt\":1,\"ok\":true,\"final\":true,\"channel_index\":8}]",
	  "deliveries[0].channel_index" },
};

static void test_bad_fields(void **state)
{
	(void)state;
	struct alert_record a, b;
	full_record(&a);
	json_t *good = alert_record_json_new(&a, true);
	alert_record_clear(&a);
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		json_t *j = json_deep_copy(good);
		if (c->value == NULL) {
			json_object_del(j, c->key);
		} else {
			json_t *v = json_loads(c->value, JSON_DECODE_ANY, NULL);
			assert_non_null(v);
			json_object_set_new(j, c->key, v);
		}
		struct proto_cause cause;
		memset(&cause, 0, sizeof cause);
		if (alert_record_parse(j, &b, &cause) == 0)
			fail_msg("case %zu (%s = %s) accepted", i, c->key, c->value ? c->value : "absent");
		if (strcmp(cause.field, c->field) != 0)
			fail_msg("case %zu: error at \"%s\" (%s), want \"%s\"", i, cause.field, cause.message, c->field);
		assert_true(strlen(cause.message) > 5);
		json_decref(j);
	}
	/* Over-long texts are refused, not cut. */
	json_t *j = json_deep_copy(good);
	char big[ALERT_BODY_MAX + 2];
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	json_object_set_new(j, "body", json_string(big));
	struct proto_cause cause;
	assert_int_equal(alert_record_parse(j, &b, &cause), -1);
	assert_string_equal(cause.field, "body");
	json_decref(j);
	/* Not an object at all. */
	j = json_integer(3);
	assert_int_equal(alert_record_parse(j, &b, &cause), -1);
	assert_string_equal(cause.field, "");
	json_decref(j);
	/* Keys a newer daemon may add are left alone. */
	j = json_deep_copy(good);
	json_object_set_new(j, "runbook_url", json_string("https://wiki.example.com/jpk"));
	assert_int_equal(alert_record_parse(j, &b, &cause), 0);
	alert_record_clear(&b);
	json_decref(j);
	json_decref(good);
}

static void test_delivery_alone(void **state)
{
	(void)state;
	struct alert_delivery d = { .channel = CH_EMAIL, .channel_index = 3, .attempt = 1, .ok = true, .final = true,
				    .at_ms = T0 }, e;
	snprintf(d.detail, sizeof d.detail, "250 ok");
	json_t *j = alert_delivery_json_new(&d);
	struct proto_cause cause;
	assert_int_equal(alert_delivery_parse(j, &e, &cause), 0);
	delivery_equal(&d, &e);
	json_object_set_new(j, "at", json_string("soon"));
	assert_int_equal(alert_delivery_parse(j, &e, &cause), -1);
	assert_string_equal(cause.field, "at");
	json_decref(j);
	assert_string_equal(alert_state_name(ALERT_ACKNOWLEDGED), "acknowledged");
	assert_null(alert_state_name(ALERT__STATE_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_empty_fields),
		cmocka_unit_test(test_deliveries_bounded),
		cmocka_unit_test(test_text_limits),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_delivery_alone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
