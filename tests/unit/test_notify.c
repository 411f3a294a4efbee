/* test_notify.c: the notifier's pure helpers: HMAC hex against RFC 4231, the
 * webhook signature header, webhook/Slack/SMS bodies parsed back as JSON, the
 * email message (CRLF, headers, RFC 2047 subject), the backoff schedule, and
 * how a channel becomes a message (recipients, missing fields). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/server/notify-internal.h"
#include "base64.h"

/* ---- HMAC ------------------------------------------------------------------------ */

static void test_hmac_rfc4231(void **state)
{
	(void)state;
	static const struct {
		uint8_t key[131];
		size_t keylen;
		const char *data;
		const char *hex;
	} cases[] = {
		{ { [0 ... 19] = 0x0b }, 20, "Hi There",
		  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
		{ "Jefe", 4, "what do ya want for nothing?",
		  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
		{ { [0 ... 130] = 0xaa }, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
		  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char out[65];
		notify_hmac_sha256_hex(cases[i].key, cases[i].keylen, cases[i].data, strlen(cases[i].data), out);
		assert_string_equal(out, cases[i].hex);
	}
}

static void test_signature_format(void **state)
{
	(void)state;
	char sig[80];
	/* Expected value computed with Python's hmac module. */
	notify_webhook_signature("s3cret", 1700000000, "{\"type\":\"alert\"}", sig);
	assert_string_equal(sig, "sha256=c3bdda25aee20e82d27932e6a56c82243ee243158af0e7d89d776613b4808d74");

	/* The timestamp is part of what is signed. */
	char other[80];
	notify_webhook_signature("s3cret", 1700000001, "{\"type\":\"alert\"}", other);
	assert_string_not_equal(sig, other);
	assert_int_equal(strlen(other), 7 + 64);
	assert_int_equal(strspn(other + 7, "0123456789abcdef"), 64);
}

/* ---- bodies ---------------------------------------------------------------------- */

static json_t *parse(const char *s)
{
	assert_non_null(s);
	json_error_t err;
	json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &err);
	assert_non_null(j);
	return j;
}

static void test_webhook_body(void **state)
{
	(void)state;
	json_t *payload = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)42, "rule", "r1", "severity", "error");
	char *s = notify_webhook_body_new(payload, "Wykonanie workflow nie powiodło się: jpk", "step \"x\" failed\nline 2");
	json_t *j = parse(s);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "alert");
	assert_true(json_equal(json_object_get(j, "alert"), payload));
	assert_string_equal(json_string_value(json_object_get(j, "title")), "Wykonanie workflow nie powiodło się: jpk");
	assert_string_equal(json_string_value(json_object_get(j, "text")), "step \"x\" failed\nline 2");
	assert_int_equal(payload->refcount, 1);
	json_decref(j);
	free(s);
	json_decref(payload);

	s = notify_webhook_body_new(NULL, "t", "b");
	j = parse(s);
	assert_true(json_is_null(json_object_get(j, "alert")));
	json_decref(j);
	free(s);

	/* Text that is not UTF-8 cannot become JSON. */
	assert_null(notify_webhook_body_new(NULL, "bad \xff", "b"));
}

/* Code points in a UTF-8 string. */
static size_t cps(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void test_slack_body(void **state)
{
	(void)state;
	char *s = notify_slack_body_new("Queue backlog <prod> & more", "depth 120 > 100\nwfmon open E1");
	json_t *j = parse(s);
	assert_string_equal(json_string_value(json_object_get(j, "text")),
			    "Queue backlog &lt;prod&gt; &amp; more\ndepth 120 &gt; 100\nwfmon open E1");
	json_t *blocks = json_object_get(j, "blocks");
	assert_int_equal(json_array_size(blocks), 2);
	json_t *h = json_array_get(blocks, 0), *sec = json_array_get(blocks, 1);
	assert_string_equal(json_string_value(json_object_get(h, "type")), "header");
	assert_string_equal(json_string_value(json_object_get(json_object_get(h, "text"), "type")), "plain_text");
	assert_string_equal(json_string_value(json_object_get(json_object_get(h, "text"), "text")),
			    "Queue backlog <prod> & more");
	assert_string_equal(json_string_value(json_object_get(sec, "type")), "section");
	assert_string_equal(json_string_value(json_object_get(json_object_get(sec, "text"), "type")), "mrkdwn");
	assert_string_equal(json_string_value(json_object_get(json_object_get(sec, "text"), "text")),
			    "depth 120 &gt; 100\nwfmon open E1");
	json_decref(j);
	free(s);

	/* A long Polish title is cut to Slack's 150 characters, never inside one. */
	char title[1024] = "";
	for (int i = 0; i < 40; i++)
		strcat(title, "łódź ");
	s = notify_slack_body_new(title, "");
	j = parse(s);
	const char *ht = json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(j, "blocks"), 0), "text"), "text"));
	assert_int_equal(cps(ht), 150);
	assert_memory_equal(ht, title, strlen(ht));
	/* An empty body still gives the section some text. */
	const char *st = json_string_value(json_object_get(json_object_get(json_array_get(json_object_get(j, "blocks"), 1), "text"), "text"));
	assert_true(strlen(st) > 0);
	json_decref(j);
	free(s);
}

static void test_sms_body(void **state)
{
	(void)state;
	char *s = notify_sms_body_new("+48600100200", "Execution failed: jpk", "step upload failed\nsecond line\nthird");
	json_t *j = parse(s);
	assert_string_equal(json_string_value(json_object_get(j, "to")), "+48600100200");
	assert_string_equal(json_string_value(json_object_get(j, "message")), "Execution failed: jpk: step upload failed");
	json_decref(j);
	free(s);

	/* No body: the title alone. */
	s = notify_sms_body_new("+48600100200", "Queue backlog", "");
	j = parse(s);
	assert_string_equal(json_string_value(json_object_get(j, "message")), "Queue backlog");
	json_decref(j);
	free(s);

	/* Cut to 459 characters, counted as code points, never inside one. */
	char body[2048] = "";
	for (int i = 0; i < 150; i++)
		strcat(body, "żółw ");
	s = notify_sms_body_new("+48600100200", "Błąd", body);
	j = parse(s);
	const char *m = json_string_value(json_object_get(j, "message"));
	assert_int_equal(cps(m), NOTIFY_SMS_MAX);
	assert_memory_equal(m, "Błąd: żółw żółw", strlen("Błąd: żółw żółw"));
	json_decref(j);
	free(s);

	/* Exactly at the limit: unchanged. */
	char exact[NOTIFY_SMS_MAX + 1];
	memset(exact, 'x', NOTIFY_SMS_MAX - 3);
	exact[NOTIFY_SMS_MAX - 3] = '\0';
	s = notify_sms_body_new("+1", "T", exact);   /* "T: " + 456 = 459 */
	j = parse(s);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "message"))), NOTIFY_SMS_MAX);
	json_decref(j);
	free(s);
}

/* ---- email ------------------------------------------------------------------------ */

/* The value of header name (unfolded), copied into out; false if absent. */
static bool header(const char *msg, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	const char *end = strstr(msg, "\r\n\r\n");
	for (const char *p = msg; p && p < end; p = strstr(p, "\r\n"), p = p ? p + 2 : NULL) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t k = 0;
			while (*v == ' ')
				v++;
			/* Unfold: CRLF followed by a space continues the value. */
			while (v < end && k + 1 < cap) {
				if (v[0] == '\r' && v[1] == '\n') {
					if (v[2] != ' ' && v[2] != '\t')
						break;
					v += 2;
					continue;
				}
				out[k++] = *v++;
			}
			out[k] = '\0';
			return true;
		}
	}
	return false;
}

/* Decodes a header value made of =?UTF-8?B?...?= words (separated by spaces). */
static void decode_words(const char *v, char *out, size_t cap)
{
	size_t k = 0;
	while (*v) {
		while (*v == ' ')
			v++;
		if (!*v)
			break;
		assert_memory_equal(v, "=?UTF-8?B?", 10);
		const char *end = strstr(v + 10, "?=");
		assert_non_null(end);
		assert_true(end + 2 - v <= 75);
		int n = base64_decode(v + 10, (size_t)(end - v - 10), (uint8_t *)out + k, cap - k - 1);
		assert_true(n >= 0);
		k += (size_t)n;
		v = end + 2;
	}
	out[k] = '\0';
}

static void assert_crlf_only(const char *m)
{
	for (const char *p = m; *p; p++) {
		if (*p == '\n')
			assert_true(p > m && p[-1] == '\r');
		if (*p == '\r')
			assert_int_equal(p[1], '\n');
	}
}

static void test_email_message(void **state)
{
	(void)state;
	const char *subject = "Wykonanie workflow nie powiodło się: generowanie JPK dla wszystkich oddziałów";
	char *m = notify_email_new("alerts@wfmon.example.com", "ops@example.com, kierownik@example.pl", subject,
				   "Workflow jpk failed.\nError: timeout\r\nOpen: wfmon open E1\n.\n", 1700000000000LL);
	assert_non_null(m);
	assert_crlf_only(m);

	char v[1024];
	assert_true(header(m, "From", v, sizeof v));
	assert_string_equal(v, "alerts@wfmon.example.com");
	assert_true(header(m, "To", v, sizeof v));
	assert_string_equal(v, "ops@example.com, kierownik@example.pl");
	assert_true(header(m, "Date", v, sizeof v));
	assert_string_equal(v, "Tue, 14 Nov 2023 22:13:20 +0000");
	assert_true(header(m, "Message-ID", v, sizeof v));
	assert_true(v[0] == '<' && strstr(v, "@wfmon.example.com>") && v[strlen(v) - 1] == '>');
	assert_true(header(m, "MIME-Version", v, sizeof v));
	assert_string_equal(v, "1.0");
	assert_true(header(m, "Content-Type", v, sizeof v));
	assert_string_equal(v, "text/plain; charset=UTF-8");
	assert_true(header(m, "Content-Transfer-Encoding", v, sizeof v));
	assert_string_equal(v, "8bit");

	/* The subject: encoded-words only, each <= 75 characters, decoding to the title. */
	assert_true(header(m, "Subject", v, sizeof v));
	for (const char *p = v; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	char decoded[512];
	decode_words(v, decoded, sizeof decoded);
	assert_string_equal(decoded, subject);
	/* The first word alone: the example from the specification. */
	char *m2 = notify_email_new("a@b.pl", "c@d.pl", "Wykonanie workflow nie powiodło się", "", 0);
	assert_true(header(m2, "Subject", v, sizeof v));
	assert_string_equal(v, "=?UTF-8?B?V3lrb25hbmllIHdvcmtmbG93IG5pZSBwb3dpb2TFgm8gc2nEmQ==?=");
	free(m2);

	/* The body: CRLF everywhere, a lone dot left for curl to stuff. */
	const char *body = strstr(m, "\r\n\r\n") + 4;
	assert_string_equal(body, "Workflow jpk failed.\r\nError: timeout\r\nOpen: wfmon open E1\r\n.\r\n");
	free(m);

	/* ASCII subjects stay readable; CR/LF cannot add a header. */
	m = notify_email_new("a@b.pl", "c@d.pl\r\nBcc: x@evil.com", "Disk full\r\nBcc: y@evil.com", "x", 0);
	assert_crlf_only(m);
	assert_null(strstr(m, "\r\nBcc:"));
	assert_true(header(m, "Subject", v, sizeof v));
	assert_string_equal(v, "Disk full  Bcc: y@evil.com");
	free(m);

	/* A very long line is broken before 998 octets. */
	char *longbody = malloc(3001);
	memset(longbody, 'a', 3000);
	longbody[3000] = '\0';
	m = notify_email_new("a@b.pl", "c@d.pl", "s", longbody, 0);
	for (const char *p = strstr(m, "\r\n\r\n") + 4; *p;) {
		size_t l = strcspn(p, "\r");
		assert_true(l <= 998);
		p += l + 2;
	}
	free(m);
	free(longbody);
}

/* ---- backoff ----------------------------------------------------------------------- */

static void test_backoff(void **state)
{
	(void)state;
	struct notify_config c = { .backoff_ms = 1000, .backoff_max_ms = 60000 };
	static const struct {
		int attempt;
		int64_t ms;
	} cases[] = { { 1, 1000 }, { 2, 2000 }, { 3, 4000 }, { 6, 32000 }, { 7, 60000 }, { 40, 60000 } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(notify_backoff_ms(&c, cases[i].attempt, 0), cases[i].ms);
		/* Jitter only shortens, by at most 10%. */
		for (uint64_t r = 1; r < 100000; r += 7919) {
			int64_t d = notify_backoff_ms(&c, cases[i].attempt, r * 2654435761u);
			assert_true(d <= cases[i].ms && d >= cases[i].ms - cases[i].ms / 10);
		}
	}
	/* Defaults for unset fields: 1 s doubling to 60 s. */
	struct notify_config z = { 0 };
	assert_int_equal(notify_backoff_ms(&z, 1, 0), 1000);
	assert_int_equal(notify_backoff_ms(&z, 20, 0), 60000);
}

/* ---- a channel becomes a message ---------------------------------------------------- */

static void test_msg_build(void **state)
{
	(void)state;
	struct notify_msg m;
	struct alert_channel email = { .type = CH_EMAIL, .smtp_url = "smtp://127.0.0.1:2525",
				       .to = " ops@example.com ,kierownik@example.pl,", .from = "wfmon@example.com",
				       .smtp_user = "u", .smtp_password = "p4ss" };
	assert_int_equal(notify_msg_build(&m, &email, "T", "B", NULL, 0), 0);
	assert_string_equal(m.invalid, "");
	assert_int_equal(m.nrcpt, 2);
	assert_string_equal(m.rcpt[0], "ops@example.com");
	assert_string_equal(m.rcpt[1], "kierownik@example.pl");
	assert_string_equal(m.mail_from, "wfmon@example.com");
	assert_string_equal(m.smtp_password, "p4ss");
	assert_non_null(strstr(m.body, "\r\nTo: ops@example.com, kierownik@example.pl\r\n"));
	assert_null(strstr(m.body, "p4ss"));
	notify_msg_clear(&m);

	static const struct {
		struct alert_channel ch;
		const char *invalid;
	} bad[] = {
		{ { .type = CH_WEBHOOK }, "webhook channel without a URL" },
		{ { .type = CH_SLACK, .url = "" }, "slack channel without a URL" },
		{ { .type = CH_SMS, .url = "http://127.0.0.1:1/sms" }, "sms channel without a phone number" },
		{ { .type = CH_EMAIL, .to = "a@b.pl" }, "email channel without an SMTP server" },
		{ { .type = CH_EMAIL, .smtp_url = "smtp://h", .to = "a@b.pl\r\nRCPT TO:<x@y.z>" },
		  "email channel with an invalid recipient" },
		{ { .type = CH_EMAIL, .smtp_url = "smtp://h", .to = " , " }, "email channel without recipients" },
		{ { .type = CH_IN_APP }, "channel type not delivered by the notifier" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(notify_msg_build(&m, &bad[i].ch, "T", "B", NULL, 0), 0);
		assert_string_equal(m.invalid, bad[i].invalid);
		notify_msg_clear(&m);
	}

	struct alert_channel hook = { .type = CH_WEBHOOK, .url = "http://127.0.0.1:1/h", .secret = "k" };
	assert_int_equal(notify_msg_build(&m, &hook, "T", "B", NULL, 0), 0);
	assert_string_equal(m.secret, "k");
	assert_int_equal(m.body_len, strlen(m.body));
	notify_msg_clear(&m);
	/* A body that cannot be JSON is refused at once. */
	assert_int_equal(notify_msg_build(&m, &hook, "T\xc3", "B", NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_signature_format),
		cmocka_unit_test(test_webhook_body),
		cmocka_unit_test(test_slack_body),
		cmocka_unit_test(test_sms_body),
		cmocka_unit_test(test_email_message),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_msg_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
