/* test_alert_rule.c: alert rules and channels: validation (every error names
 * its field), masking of secrets and keeping them on edit, the metric and
 * operator a type implies, and the round trip through the JSON form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"

#define WEBHOOK "{\"type\":\"webhook\",\"url\":\"https://hooks.example.com/wf\",\"secret\":\"0123456789abcdef\"}"
#define BASE_HEAD "{\"name\":\"JPK failures\",\"type\":\"execution_failed\",\"severity\":\"error\""

struct rule_case {
	const char *json;
	const char *field;   /* NULL: valid */
};

static const struct rule_case cases[] = {
	/* valid */
	{ BASE_HEAD ",\"channels\":[" WEBHOOK "]}", NULL },
	{ BASE_HEAD ",\"conditions\":{},\"cooldown_minutes\":5,\"channels\":[{\"type\":\"in_app\"}]}", NULL },
	{ BASE_HEAD ",\"cooldown_minutes\":1440,\"id\":\"r-1\",\"workflow_id\":null,\"channels\":[{\"type\":\"in_app\",\"bell\":true}]}", NULL },
	{ "{\"name\":\"n\",\"type\":\"consecutive_failures\",\"severity\":\"warning\",\"conditions\":{\"count\":2},"
	  "\"channels\":[{\"type\":\"in_app\"}]}", NULL },
	{ "{\"name\":\"n\",\"type\":\"error_rate\",\"severity\":\"info\",\"conditions\":{\"threshold_percent\":100,"
	  "\"window_minutes\":1440,\"min_sample\":10000},\"channels\":[{\"type\":\"in_app\"}]}", NULL },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"email\",\"to\":\"a@b.pl, c@d.com\",\"smtp_url\":\"smtps://mail.example.com:465\","
	  "\"from\":\"wfmon@example.com\",\"smtp_user\":\"u\",\"smtp_password\":\"p\"}]}", NULL },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"sms\",\"url\":\"http://10.0.0.5:8080/send\",\"to\":\"+48123456789\"}]}", NULL },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"sms\",\"url\":\"https://sms.example.com\",\"to\":\"+12345678\",\"secret\":\"tok\"}]}", NULL },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"webhook\",\"url\":\"http://[::1]:9000/h\",\"secret\":\"0123456789abcdef\"}]}", NULL },

	/* the rule's own fields */
	{ "[]", "" },
	{ "{\"name\":\"JPK\",\"type\":\"execution_failed\",\"severity\":\"fatal\",\"channels\":[" WEBHOOK "]}", "severity" },
	{ BASE_HEAD ",\"cooldown_minutes\":4,\"channels\":[" WEBHOOK "]}", "cooldown_minutes" },
	{ BASE_HEAD ",\"cooldown_minutes\":1441,\"channels\":[" WEBHOOK "]}", "cooldown_minutes" },
	{ BASE_HEAD ",\"cooldown_minutes\":\"15\",\"channels\":[" WEBHOOK "]}", "cooldown_minutes" },
	{ BASE_HEAD ",\"colour\":\"red\",\"channels\":[" WEBHOOK "]}", "colour" },
	{ BASE_HEAD ",\"enabled\":\"yes\",\"channels\":[" WEBHOOK "]}", "enabled" },
	{ BASE_HEAD ",\"language\":\"de\",\"channels\":[" WEBHOOK "]}", "language" },
	{ BASE_HEAD ",\"workflow_id\":\"a b\",\"channels\":[" WEBHOOK "]}", "workflow_id" },
	{ BASE_HEAD ",\"id\":\"\",\"channels\":[" WEBHOOK "]}", "id" },
	{ "{\"name\":\"\",\"type\":\"execution_failed\",\"severity\":\"error\",\"channels\":[" WEBHOOK "]}", "name" },
	{ "{\"type\":\"execution_failed\",\"severity\":\"error\",\"channels\":[" WEBHOOK "]}", "name" },
	{ "{\"name\":\"n\",\"type\":\"sometimes\",\"severity\":\"error\",\"channels\":[" WEBHOOK "]}", "type" },
	{ BASE_HEAD "}", "channels" },
	{ BASE_HEAD ",\"channels\":[]}", "channels" },
	{ BASE_HEAD ",\"channels\":[" WEBHOOK "," WEBHOOK "," WEBHOOK "," WEBHOOK "," WEBHOOK "," WEBHOOK ","
	  WEBHOOK "," WEBHOOK "," WEBHOOK "]}", "channels" },
	{ BASE_HEAD ",\"channels\":[" WEBHOOK "],\"escalation_channels\":[" WEBHOOK "," WEBHOOK "," WEBHOOK ","
	  WEBHOOK "," WEBHOOK "," WEBHOOK "," WEBHOOK "," WEBHOOK "," WEBHOOK "]}", "escalation_channels" },

	/* conditions */
	{ BASE_HEAD ",\"conditions\":{\"count\":3},\"channels\":[" WEBHOOK "]}", "conditions.count" },
	{ "{\"name\":\"n\",\"type\":\"consecutive_failures\",\"severity\":\"error\",\"conditions\":{\"count\":1},"
	  "\"channels\":[" WEBHOOK "]}", "conditions.count" },
	{ "{\"name\":\"n\",\"type\":\"consecutive_failures\",\"severity\":\"error\",\"conditions\":{\"count\":101},"
	  "\"channels\":[" WEBHOOK "]}", "conditions.count" },
	{ "{\"name\":\"n\",\"type\":\"consecutive_failures\",\"severity\":\"error\",\"channels\":[" WEBHOOK "]}",
	  "conditions" },
	{ "{\"name\":\"n\",\"type\":\"running_long\",\"severity\":\"error\",\"conditions\":{},\"channels\":[" WEBHOOK "]}",
	  "conditions.threshold_seconds" },
	{ "{\"name\":\"n\",\"type\":\"slow_execution\",\"severity\":\"error\",\"conditions\":{\"threshold_seconds\":0},"
	  "\"channels\":[" WEBHOOK "]}", "conditions.threshold_seconds" },
	{ "{\"name\":\"n\",\"type\":\"slow_execution\",\"severity\":\"error\",\"conditions\":{\"thresold_seconds\":5},"
	  "\"channels\":[" WEBHOOK "]}", "conditions.thresold_seconds" },
	{ "{\"name\":\"n\",\"type\":\"error_rate\",\"severity\":\"error\",\"conditions\":{\"threshold_percent\":0,"
	  "\"window_minutes\":5,\"min_sample\":5},\"channels\":[" WEBHOOK "]}", "conditions.threshold_percent" },
	{ "{\"name\":\"n\",\"type\":\"error_rate\",\"severity\":\"error\",\"conditions\":{\"threshold_percent\":100.5,"
	  "\"window_minutes\":5,\"min_sample\":5},\"channels\":[" WEBHOOK "]}", "conditions.threshold_percent" },
	{ "{\"name\":\"n\",\"type\":\"error_rate\",\"severity\":\"error\",\"conditions\":{\"threshold_percent\":10,"
	  "\"window_minutes\":0,\"min_sample\":5},\"channels\":[" WEBHOOK "]}", "conditions.window_minutes" },
	{ "{\"name\":\"n\",\"type\":\"error_rate\",\"severity\":\"error\",\"conditions\":{\"threshold_percent\":10,"
	  "\"window_minutes\":5,\"min_sample\":10001},\"channels\":[" WEBHOOK "]}", "conditions.min_sample" },
	{ "{\"name\":\"n\",\"type\":\"queue_backlog\",\"severity\":\"error\",\"conditions\":{\"threshold\":0.5},"
	  "\"channels\":[" WEBHOOK "]}", "conditions.threshold" },
	{ "{\"name\":\"n\",\"type\":\"resource_threshold\",\"severity\":\"error\",\"conditions\":{\"metric\":\"disk_percent\","
	  "\"threshold\":90},\"channels\":[" WEBHOOK "]}", "conditions.metric" },
	{ "{\"name\":\"n\",\"type\":\"resource_threshold\",\"severity\":\"error\",\"conditions\":{\"metric\":\"cpu_percent\","
	  "\"threshold\":101},\"channels\":[" WEBHOOK "]}", "conditions.threshold" },
	{ "{\"name\":\"n\",\"type\":\"custom\",\"severity\":\"error\",\"conditions\":{\"metric\":\"moon_phase\",\"op\":\"gt\","
	  "\"value\":1},\"channels\":[" WEBHOOK "]}", "conditions.metric" },
	{ "{\"name\":\"n\",\"type\":\"custom\",\"severity\":\"error\",\"conditions\":{\"metric\":\"queue_depth\",\"op\":\"approx\","
	  "\"value\":1},\"channels\":[" WEBHOOK "]}", "conditions.op" },
	{ "{\"name\":\"n\",\"type\":\"custom\",\"severity\":\"error\",\"conditions\":{\"metric\":\"queue_depth\",\"op\":\"gt\","
	  "\"value\":\"1\"},\"channels\":[" WEBHOOK "]}", "conditions.value" },

	/* channels */
	{ BASE_HEAD ",\"channels\":[7]}", "channels[0]" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"pager\"}]}", "channels[0].type" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"in_app\",\"bell\":\"yes\"}]}", "channels[0].bell" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"webhook\",\"url\":\"ftp://example.com/\",\"secret\":\"0123456789abcdef\"}]}",
	  "channels[0].url" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"webhook\",\"url\":\"https://\",\"secret\":\"0123456789abcdef\"}]}",
	  "channels[0].url" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"webhook\",\"url\":\"https://u:p@example.com/\",\"secret\":\"0123456789abcdef\"}]}",
	  "channels[0].url" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"webhook\",\"url\":\"https://exa mple.com/\",\"secret\":\"0123456789abcdef\"}]}",
	  "channels[0].url" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"webhook\",\"url\":\"https://example.com:70000/\",\"secret\":\"0123456789abcdef\"}]}",
	  "channels[0].url" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"webhook\",\"url\":\"https://example.com/\"}]}", "channels[0].secret" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"webhook\",\"url\":\"https://example.com/\",\"secret\":\"short\"}]}",
	  "channels[0].secret" },
	{ BASE_HEAD ",\"channels\":[" WEBHOOK ",{\"type\":\"slack\",\"url\":\"http://hooks.slack.com/x\"}]}", "channels[1].url" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"email\",\"to\":\"not-an-address\",\"smtp_url\":\"smtp://mail.example.com\","
	  "\"from\":\"wfmon@example.com\"}]}", "channels[0].to" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"email\",\"to\":\"a@b\",\"smtp_url\":\"smtp://mail.example.com\","
	  "\"from\":\"wfmon@example.com\"}]}", "channels[0].to" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"email\",\"to\":\"a@b.pl,,c@d.com\",\"smtp_url\":\"smtp://mail.example.com\","
	  "\"from\":\"wfmon@example.com\"}]}", "channels[0].to" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"email\",\"to\":\"a@b.pl\",\"smtp_url\":\"https://mail.example.com\","
	  "\"from\":\"wfmon@example.com\"}]}", "channels[0].smtp_url" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"email\",\"to\":\"a@b.pl\",\"smtp_url\":\"smtp://mail.example.com\"}]}",
	  "channels[0].from" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"email\",\"to\":\"a@b.pl\",\"smtp_url\":\"smtp://mail.example.com\","
	  "\"from\":\"wfmon at example\"}]}", "channels[0].from" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"sms\",\"url\":\"https://sms.example.com\",\"to\":\"48123456789\"}]}",
	  "channels[0].to" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"sms\",\"url\":\"https://sms.example.com\",\"to\":\"+48 123 456 789\"}]}",
	  "channels[0].to" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"sms\",\"url\":\"https://sms.example.com\",\"to\":\"+1234567\"}]}",
	  "channels[0].to" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"sms\",\"url\":\"https://sms.example.com\",\"to\":\"+1234567890123456\"}]}",
	  "channels[0].to" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"sms\",\"url\":\"smtp://sms.example.com\",\"to\":\"+48123456789\"}]}",
	  "channels[0].url" },
	{ BASE_HEAD ",\"channels\":[{\"type\":\"sms\",\"url\":\"https://sms.example.com\",\"to\":\"+48123456789\",\"token\":\"t\"}]}",
	  "channels[0].token" },
	{ BASE_HEAD ",\"channels\":[" WEBHOOK "],\"escalation_channels\":[{\"type\":\"slack\",\"url\":\"slack://x\"}]}",
	  "escalation_channels[0].url" },
};

static void test_rule_validation(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_error_t jerr;
		json_t *j = json_loads(cases[i].json, JSON_REJECT_DUPLICATES, &jerr);
		if (j == NULL)
			fail_msg("case %zu: bad test JSON: %s", i, jerr.text);
		struct alert_rule r;
		struct proto_cause cause;
		memset(&cause, 0, sizeof cause);
		int rc = alert_rule_parse(j, &r, &cause);
		if (cases[i].field == NULL) {
			if (rc != 0)
				fail_msg("case %zu refused: %s: %s", i, cause.field, cause.message);
			alert_rule_clear(&r);
		} else {
			if (rc == 0)
				fail_msg("case %zu accepted, want an error at %s", i, cases[i].field);
			if (strcmp(cause.field, cases[i].field) != 0)
				fail_msg("case %zu: error at \"%s\" (%s), want \"%s\"", i, cause.field, cause.message,
					 cases[i].field);
			assert_true(strlen(cause.message) > 5);
		}
		json_decref(j);
	}
}

static void test_rule_defaults_and_messages(void **state)
{
	(void)state;
	json_t *j = json_loads(BASE_HEAD ",\"channels\":[" WEBHOOK "]}", 0, NULL);
	struct alert_rule r;
	struct proto_cause cause;
	assert_int_equal(alert_rule_parse(j, &r, &cause), 0);
	assert_int_equal(r.cooldown_s, 15 * 60);
	assert_true(r.enabled);
	assert_string_equal(r.language, "en");
	assert_string_equal(r.workflow_id, "");
	assert_string_equal(r.id, "");
	assert_int_equal(r.severity, SEV_ERROR);
	assert_int_equal(r.nchannels, 1);
	assert_int_equal(r.channels[0].type, CH_WEBHOOK);
	alert_rule_clear(&r);
	json_decref(j);

	/* The messages say what is allowed. */
	j = json_loads(BASE_HEAD ",\"cooldown_minutes\":4,\"channels\":[" WEBHOOK "]}", 0, NULL);
	assert_int_equal(alert_rule_parse(j, &r, &cause), -1);
	assert_non_null(strstr(cause.message, "5 to 1440"));
	json_decref(j);
	j = json_loads("{\"name\":\"n\",\"type\":\"execution_failed\",\"severity\":\"fatal\",\"channels\":[]}", 0, NULL);
	assert_int_equal(alert_rule_parse(j, &r, &cause), -1);
	assert_non_null(strstr(cause.message, "info, warning, error, critical"));
	json_decref(j);

	/* alert_channel_parse names fields relative to the channel. */
	struct alert_channel ch;
	j = json_loads("{\"type\":\"sms\",\"url\":\"https://sms.example.com\",\"to\":\"12\"}", 0, NULL);
	assert_int_equal(alert_channel_parse(j, &ch, &cause), -1);
	assert_string_equal(cause.field, "to");
	json_decref(j);
}

#define FULL_CHANNELS                                                                                            \
	"\"channels\":[{\"type\":\"in_app\",\"bell\":true},"                                                      \
	"{\"type\":\"webhook\",\"url\":\"https://hooks.example.com/wf\",\"secret\":\"webhook-secret-0123456789\"}," \
	"{\"type\":\"slack\",\"url\":\"https://hooks.slack.com/services/T/B/X\"},"                                \
	"{\"type\":\"email\",\"to\":\"ops@example.pl, cfo@example.com\",\"smtp_url\":\"smtps://smtp.example.com:465\"," \
	"\"from\":\"wfmon@example.com\",\"smtp_user\":\"wfmon\",\"smtp_password\":\"smtp-password-xyz\"},"          \
	"{\"type\":\"sms\",\"url\":\"https://sms.example.com/send\",\"to\":\"+48600100200\",\"secret\":\"sms-token-abc\"}]," \
	"\"escalation_channels\":[{\"type\":\"sms\",\"url\":\"https://sms.example.com/send\",\"to\":\"+48600100201\","    \
	"\"secret\":\"sms-token-esc\"}]"

static const char *const full_rules[] = {
	"{\"id\":\"r1\",\"name\":\"JPK failed\",\"type\":\"execution_failed\",\"workflow_id\":\"jpk-generation\","
	"\"severity\":\"critical\",\"cooldown_minutes\":30,\"enabled\":false,\"language\":\"pl\",\"conditions\":{},"
	FULL_CHANNELS "}",
	"{\"id\":\"r2\",\"name\":\"slow\",\"type\":\"slow_execution\",\"severity\":\"warning\","
	"\"conditions\":{\"threshold_seconds\":90.5}," FULL_CHANNELS "}",
	"{\"id\":\"r3\",\"name\":\"long\",\"type\":\"running_long\",\"severity\":\"warning\","
	"\"conditions\":{\"threshold_seconds\":600}," FULL_CHANNELS "}",
	"{\"id\":\"r4\",\"name\":\"3 in a row\",\"type\":\"consecutive_failures\",\"severity\":\"error\","
	"\"conditions\":{\"count\":3}," FULL_CHANNELS "}",
	"{\"id\":\"r5\",\"name\":\"rate\",\"type\":\"error_rate\",\"severity\":\"error\",\"conditions\":"
	"{\"threshold_percent\":12.5,\"window_minutes\":60,\"min_sample\":20}," FULL_CHANNELS "}",
	"{\"id\":\"r6\",\"name\":\"backlog\",\"type\":\"queue_backlog\",\"severity\":\"info\",\"conditions\":"
	"{\"threshold\":250}," FULL_CHANNELS "}",
	"{\"id\":\"r7\",\"name\":\"cpu\",\"type\":\"resource_threshold\",\"severity\":\"warning\",\"conditions\":"
	"{\"metric\":\"memory_percent\",\"threshold\":85}," FULL_CHANNELS "}",
	"{\"id\":\"r8\",\"name\":\"rss\",\"type\":\"custom\",\"severity\":\"warning\",\"conditions\":"
	"{\"metric\":\"daemon_rss_bytes\",\"op\":\"gte\",\"value\":1.5e9}," FULL_CHANNELS "}",
};

static bool str_eq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void channel_equal(const struct alert_channel *a, const struct alert_channel *b)
{
	assert_int_equal(a->type, b->type);
	assert_true(str_eq(a->url, b->url));
	assert_true(str_eq(a->secret, b->secret));
	assert_true(str_eq(a->to, b->to));
	assert_true(str_eq(a->smtp_url, b->smtp_url));
	assert_true(str_eq(a->smtp_user, b->smtp_user));
	assert_true(str_eq(a->smtp_password, b->smtp_password));
	assert_true(str_eq(a->from, b->from));
	assert_int_equal(a->bell, b->bell);
}

static void rule_equal(const struct alert_rule *a, const struct alert_rule *b)
{
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->type, b->type);
	assert_string_equal(a->workflow_id, b->workflow_id);
	assert_int_equal(a->severity, b->severity);
	assert_int_equal(a->cooldown_s, b->cooldown_s);
	assert_int_equal(a->enabled, b->enabled);
	assert_true(a->threshold == b->threshold);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->window_s, b->window_s);
	assert_int_equal(a->min_sample, b->min_sample);
	assert_string_equal(a->metric, b->metric);
	assert_int_equal(a->op, b->op);
	assert_string_equal(a->language, b->language);
	assert_int_equal(a->nchannels, b->nchannels);
	assert_int_equal(a->nescalation, b->nescalation);
	for (size_t i = 0; i < a->nchannels; i++)
		channel_equal(&a->channels[i], &b->channels[i]);
	for (size_t i = 0; i < a->nescalation; i++)
		channel_equal(&a->escalation[i], &b->escalation[i]);
}

static void test_rule_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof full_rules / sizeof full_rules[0]; i++) {
		json_t *j = json_loads(full_rules[i], 0, NULL);
		assert_non_null(j);
		struct alert_rule a, b, c;
		struct proto_cause cause;
		if (alert_rule_parse(j, &a, &cause) != 0)
			fail_msg("rule %zu: %s: %s", i, cause.field, cause.message);
		json_t *stored = alert_rule_json_new(&a, true);
		if (alert_rule_parse(stored, &b, &cause) != 0)
			fail_msg("rule %zu stored form: %s: %s", i, cause.field, cause.message);
		rule_equal(&a, &b);
		/* The stored form is stable. */
		json_t *again = alert_rule_json_new(&b, true);
		assert_true(json_equal(stored, again));
		/* A deep copy is equal and independent. */
		alert_rule_copy(&c, &a);
		alert_rule_clear(&a);
		rule_equal(&b, &c);
		alert_rule_clear(&b);
		alert_rule_clear(&c);
		json_decref(again);
		json_decref(stored);
		json_decref(j);
	}
}

static void test_rule_masks_secrets(void **state)
{
	(void)state;
	json_t *j = json_loads(full_rules[0], 0, NULL);
	struct alert_rule r;
	struct proto_cause cause;
	assert_int_equal(alert_rule_parse(j, &r, &cause), 0);
	json_t *pub = alert_rule_json_new(&r, false);
	char *text = json_dumps(pub, JSON_COMPACT);
	static const char *const secrets[] = { "webhook-secret-0123456789", "smtp-password-xyz", "sms-token-abc",
					       "sms-token-esc" };
	for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++)
		if (strstr(text, secrets[i]) != NULL)
			fail_msg("secret %s in the client form: %s", secrets[i], text);
	json_t *chs = json_object_get(pub, "channels");
	assert_string_equal(json_string_value(json_object_get(json_array_get(chs, 1), "secret")), "***");
	assert_string_equal(json_string_value(json_object_get(json_array_get(chs, 3), "smtp_password")), "***");
	assert_string_equal(json_string_value(json_object_get(json_array_get(chs, 4), "secret")), "***");
	json_t *esc = json_object_get(pub, "escalation_channels");
	assert_string_equal(json_string_value(json_object_get(json_array_get(esc, 0), "secret")), "***");
	/* What is not secret stays readable. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(chs, 3), "smtp_user")), "wfmon");
	assert_string_equal(json_string_value(json_object_get(json_array_get(chs, 4), "to")), "+48600100200");
	free(text);

	json_t *priv = alert_rule_json_new(&r, true);
	chs = json_object_get(priv, "channels");
	assert_string_equal(json_string_value(json_object_get(json_array_get(chs, 1), "secret")),
			    "webhook-secret-0123456789");
	json_decref(priv);
	json_decref(pub);
	alert_rule_clear(&r);
	json_decref(j);
}

static json_t *channel_at(json_t *rule, const char *list, size_t i)
{
	return json_array_get(json_object_get(rule, list), i);
}

/* An edit sends the client form back: masked secrets keep the previous rule's,
 * channel by channel of the same list and type. */
static void test_rule_edit_keeps_masked_secrets(void **state)
{
	(void)state;
	json_t *j = json_loads(full_rules[0], 0, NULL);
	struct alert_rule prev, r;
	struct proto_cause cause;
	assert_int_equal(alert_rule_parse(j, &prev, &cause), 0);
	json_decref(j);

	/* Unchanged: every secret comes back, escalation from escalation. */
	json_t *pub = alert_rule_json_new(&prev, false);
	if (alert_rule_parse_edit(pub, &prev, &r, &cause) != 0)
		fail_msg("edit refused: %s: %s", cause.field, cause.message);
	rule_equal(&prev, &r);
	assert_string_equal(r.escalation[0].secret, "sms-token-esc");
	alert_rule_clear(&r);

	/* Without the previous rule the mask is just a (too short) secret. */
	assert_int_equal(alert_rule_parse(pub, &r, &cause), -1);
	assert_string_equal(cause.field, "channels[1].secret");

	/* A new secret replaces the old one; the others are kept. */
	json_object_set_new(channel_at(pub, "channels", 1), "secret", json_string("a-new-secret-0123456789"));
	assert_int_equal(alert_rule_parse_edit(pub, &prev, &r, &cause), 0);
	assert_string_equal(r.channels[1].secret, "a-new-secret-0123456789");
	assert_string_equal(r.channels[3].smtp_password, "smtp-password-xyz");
	assert_string_equal(r.channels[4].secret, "sms-token-abc");
	alert_rule_clear(&r);
	json_decref(pub);

	/* A channel whose type changed, or that has no previous one, keeps nothing. */
	pub = alert_rule_json_new(&prev, false);
	json_array_set_new(json_object_get(pub, "channels"), 4,
			   json_pack("{s:s,s:s,s:s}", "type", "webhook", "url", "https://h.example.com/", "secret", "***"));
	assert_int_equal(alert_rule_parse_edit(pub, &prev, &r, &cause), -1);
	assert_string_equal(cause.field, "channels[4].secret");
	json_decref(pub);
	pub = alert_rule_json_new(&prev, false);
	json_array_append_new(json_object_get(pub, "escalation_channels"),
			      json_pack("{s:s,s:s,s:s}", "type", "webhook", "url", "https://h.example.com/", "secret", "***"));
	assert_int_equal(alert_rule_parse_edit(pub, &prev, &r, &cause), -1);
	assert_string_equal(cause.field, "escalation_channels[1].secret");
	json_decref(pub);

	alert_rule_clear(&prev);
}

/* Metric rules carry the metric and operator their type implies, which the
 * JSON form does not show. */
static void test_rule_implied_metric(void **state)
{
	(void)state;
	static const struct {
		size_t rule;
		const char *metric;
		enum alert_op op;
	} implied[] = { { 5, "queue_depth", OP_GTE }, { 6, "memory_percent", OP_GT }, { 7, "daemon_rss_bytes", OP_GTE } };
	for (size_t i = 0; i < sizeof implied / sizeof implied[0]; i++) {
		json_t *j = json_loads(full_rules[implied[i].rule], 0, NULL);
		struct alert_rule r;
		struct proto_cause cause;
		assert_int_equal(alert_rule_parse(j, &r, &cause), 0);
		assert_string_equal(r.metric, implied[i].metric);
		assert_int_equal(r.op, implied[i].op);
		json_t *out = alert_rule_json_new(&r, true);
		/* The same condition keys as the input (numbers come back as reals). */
		json_t *got = json_object_get(out, "conditions"), *want = json_object_get(j, "conditions");
		assert_int_equal(json_object_size(got), json_object_size(want));
		const char *key;
		json_t *v;
		json_object_foreach(want, key, v)
			assert_non_null(json_object_get(got, key));
		json_decref(out);
		alert_rule_clear(&r);
		json_decref(j);
	}
}

/* A client's check (wfmon alerts, the console's list): masked secrets pass
 * and stay masked; everything else is checked as the daemon checks it. */
static void test_rule_client_check(void **state)
{
	(void)state;
	json_t *j = json_loads(full_rules[0], 0, NULL);
	struct alert_rule r, c;
	struct proto_cause cause;
	assert_int_equal(alert_rule_parse(j, &r, &cause), 0);
	json_t *pub = alert_rule_json_new(&r, false);
	if (alert_rule_parse_client(pub, &c, &cause) != 0)
		fail_msg("client check refused the daemon's own list: %s: %s", cause.field, cause.message);
	assert_string_equal(c.channels[1].secret, ALERT_SECRET_MASK);
	assert_string_equal(c.escalation[0].secret, ALERT_SECRET_MASK);
	assert_string_equal(c.channels[3].smtp_user, "wfmon");
	/* Written again, it is the same list. */
	json_t *again = alert_rule_json_new(&c, true);
	assert_true(json_equal(pub, again));
	json_decref(again);
	alert_rule_clear(&c);
	/* The mask is no pass for anything but a secret. */
	json_object_set_new(channel_at(pub, "channels", 4), "to", json_string(ALERT_SECRET_MASK));
	assert_int_equal(alert_rule_parse_client(pub, &c, &cause), -1);
	assert_string_equal(cause.field, "channels[4].to");
	json_decref(pub);
	/* The same cases as the daemon's, but for secrets. */
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *k = json_loads(cases[i].json, JSON_REJECT_DUPLICATES, NULL);
		int rc = alert_rule_parse_client(k, &c, &cause);
		assert_int_equal(rc == 0, cases[i].field == NULL);
		if (rc == 0)
			alert_rule_clear(&c);
		else
			assert_string_equal(cause.field, cases[i].field);
		json_decref(k);
	}
	alert_rule_clear(&r);
	json_decref(j);
}

/* What forms and documentation read from the tables holds together. */
static void check_fields(const struct alert_field *fields, const char *where)
{
	for (const struct alert_field *f = fields; !alert_field_end(f); f++) {
		if (f->fixed == NULL && !(f->flags & ALERT_F_SERVER) && (f->label == NULL || f->label[0] == '\0'))
			fail_msg("%s.%s has no label", where, f->name);
		if (f->kind == ALERT_FIELD_CHOICE) {
			assert_non_null(f->choices);
			assert_true(f->nchoices > 0);
			const char *start = f->fixed ? f->fixed : f->form_start ? f->form_start : f->dflt;
			if (start != NULL && alert_choice_find(f->choices, f->nchoices, start) < 0)
				fail_msg("%s.%s starts with %s, not one of its choices", where, f->name, start);
		}
		if (f->kind == ALERT_FIELD_NUMBER || f->kind == ALERT_FIELD_URL || f->kind == ALERT_FIELD_PHONE ||
		    f->kind == ALERT_FIELD_ADDRESS || f->kind == ALERT_FIELD_ADDRESSES)
			if (f->must == NULL)
				fail_msg("%s.%s cannot say what it must be", where, f->name);
		if (f->kind == ALERT_FIELD_URL)
			assert_non_null(f->schemes);
		if ((f->flags & ALERT_F_REQUIRED) && f->dflt != NULL)
			fail_msg("%s.%s is required and has a default", where, f->name);
		if (f->store == ALERT_STORE_CHARS)
			assert_true(f->size > 0);
	}
}

static void test_schema_tables(void **state)
{
	(void)state;
	check_fields(alert_rule_fields(), "rule");
	for (int t = 0; t < ALERT__TYPE_COUNT; t++) {
		const struct alert_choice *c = &alert_types()[t];
		assert_string_equal(c->name, alert_type_name((enum alert_type)t));
		assert_non_null(c->label);
		assert_non_null(c->fields);
		check_fields(c->fields, c->name);
	}
	for (int t = 0; t < CH__COUNT; t++) {
		const struct alert_choice *c = &alert_channel_types()[t];
		assert_string_equal(c->name, channel_type_name((enum channel_type)t));
		assert_non_null(c->label);
		check_fields(c->fields, c->name);
	}
	/* What the type implies travels nowhere but is there after a parse. */
	json_t *j = json_loads("{\"name\":\"n\",\"type\":\"queue_backlog\",\"severity\":\"info\","
			       "\"conditions\":{\"threshold\":5},\"channels\":[{\"type\":\"in_app\"}]}", 0, NULL);
	struct alert_rule r;
	struct proto_cause cause;
	assert_int_equal(alert_rule_parse(j, &r, &cause), 0);
	assert_string_equal(r.metric, "queue_depth");
	assert_int_equal(r.op, OP_GTE);
	alert_rule_clear(&r);
	json_object_set_new(json_object_get(j, "conditions"), "op", json_string("lt"));
	assert_int_equal(alert_rule_parse(j, &r, &cause), -1);
	assert_string_equal(cause.field, "conditions.op");
	json_decref(j);
	/* Choice helpers. */
	enum alert_severity sev;
	assert_int_equal(alert_severity_parse("critical", &sev), 0);
	assert_int_equal(sev, SEV_CRITICAL);
	assert_int_equal(alert_severity_parse("fatal", &sev), -1);
	assert_string_equal(alert_op_symbol(OP_NE), "!=");
	assert_null(alert_op_symbol(OP__COUNT));
	assert_string_equal(alert_choice_label(alert_channel_types(), CH__COUNT, CH_EMAIL), "e-mail");
	assert_null(alert_choice_label(alert_channel_types(), CH__COUNT, CH__COUNT));
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(alert_type_name(ALERT_CONSECUTIVE_FAILURES), "consecutive_failures");
	assert_string_equal(alert_type_name(ALERT_CUSTOM), "custom");
	assert_null(alert_type_name(ALERT__TYPE_COUNT));
	assert_string_equal(alert_severity_name(SEV_CRITICAL), "critical");
	assert_string_equal(channel_type_name(CH_IN_APP), "in_app");
	assert_string_equal(alert_op_name(OP_LTE), "lte");
	size_t n = 0;
	while (alert_metric_name((enum alert_metric)n) != NULL)
		n++;
	assert_int_equal(n, 10);
	assert_string_equal(alert_metric_name(ALERT_M_DB_ACTIVE), "db_connections_active");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_validation),
		cmocka_unit_test(test_rule_defaults_and_messages),
		cmocka_unit_test(test_rule_round_trip),
		cmocka_unit_test(test_rule_masks_secrets),
		cmocka_unit_test(test_rule_edit_keeps_masked_secrets),
		cmocka_unit_test(test_rule_implied_metric),
		cmocka_unit_test(test_rule_client_check),
		cmocka_unit_test(test_schema_tables),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
