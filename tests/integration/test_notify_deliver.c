/* test_notify_deliver.c: the notifier against loopback receivers (no daemon): signed
 * webhooks, retries with backoff, a receiver that is down (and comes back),
 * email through an SMTP sink (and a 550), Slack and SMS bodies, timeouts, the
 * bounded queue, and a prompt stop that reports what was waiting. No outcome
 * may contain a secret. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "notify.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "clock.h"
#include "receivers.h"

#define MAX_OUT 64

/* Every secret any test hands to a channel: none may show up in an outcome. */
static const char *const secrets[] = {
	"whsec-TOPSECRET-1", "sms-token-SECRET-2", "XXSLACKSECRETXX", "smtp-pass-SECRET-3",
};

struct waker {
	int fds[2];
};

static void on_wake(void *arg)
{
	struct waker *w = arg;
	char c = 1;
	(void)!write(w->fds[1], &c, 1);
}

struct fixture {
	struct waker w;
	struct notify *n;
	struct notify_outcome out[MAX_OUT];
	size_t nout;
};

static struct fixture *fixture_new(const struct notify_config *cfg)
{
	struct fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	assert_int_equal(pipe2(f->w.fds, O_NONBLOCK | O_CLOEXEC), 0);
	f->n = notify_new(cfg, on_wake, &f->w);
	assert_non_null(f->n);
	return f;
}

static void assert_no_secret(const struct fixture *f)
{
	for (size_t i = 0; i < f->nout; i++)
		for (size_t k = 0; k < sizeof secrets / sizeof secrets[0]; k++)
			assert_null(strstr(f->out[i].detail, secrets[k]));
}

static void fixture_free(struct fixture *f)
{
	notify_free(f->n);
	assert_no_secret(f);
	close(f->w.fds[0]);
	close(f->w.fds[1]);
	free(f);
}

/* Takes outcomes until there are n in all or timeout_ms passed; returns how many. */
static size_t collect(struct fixture *f, size_t n, int timeout_ms)
{
	int64_t deadline = clock_mono_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		f->nout += notify_take_outcomes(f->n, f->out + f->nout, MAX_OUT - f->nout);
		int64_t left = deadline - clock_mono_us();
		if (f->nout >= n || left <= 0)
			break;
		struct pollfd p = { f->w.fds[0], POLLIN, 0 };
		poll(&p, 1, (int)(left / 1000) + 1);
		char buf[64];
		while (read(f->w.fds[0], buf, sizeof buf) > 0)
			;
	}
	assert_no_secret(f);
	return f->nout;
}

static char *url(int port, const char *path)
{
	static char buf[4][256];
	static int k;
	char *b = buf[k++ % 4];
	snprintf(b, sizeof buf[0], "http://127.0.0.1:%d%s", port, path);
	return b;
}

static int64_t ms_since(int64_t t0_us)
{
	return (clock_mono_us() - t0_us) / 1000;
}

static json_t *parse(const char *s, size_t len)
{
	json_error_t err;
	json_t *j = json_loadb(s, len, JSON_REJECT_DUPLICATES, &err);
	assert_non_null(j);
	return j;
}

/* ---- webhook ------------------------------------------------------------------------- */

static void test_webhook_signed(void **state)
{
	(void)state;
	struct http_rx *rx = http_rx_start(0);
	assert_non_null(rx);
	struct notify_config cfg = { .timeout_ms = 2000 };
	struct fixture *f = fixture_new(&cfg);
	struct alert_channel ch = { .type = CH_WEBHOOK, .url = url(http_rx_port(rx), "/hooks/wfmon?x=1"),
				    .secret = (char *)secrets[0] };
	json_t *payload = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)77, "rule_id", "r-fail", "severity", "error");

	int64_t t0 = clock_mono_us();
	assert_int_equal(notify_submit(f->n, "acme", 77, 2, &ch, "Execution failed: jpk", "step upload failed", payload), 0);
	json_decref(payload);
	assert_int_equal(collect(f, 1, 1000), 1);
	assert_true(ms_since(t0) < 1000);

	const struct notify_outcome *o = &f->out[0];
	assert_true(o->ok);
	assert_true(o->final);
	assert_int_equal(o->attempt, 1);
	assert_string_equal(o->detail, "HTTP 200");
	assert_string_equal(o->org, "acme");
	assert_int_equal(o->alert_id, 77);
	assert_int_equal(o->channel, CH_WEBHOOK);
	assert_int_equal(o->channel_index, 2);

	assert_int_equal(http_rx_count(rx), 1);
	const struct http_rx_request *r = http_rx_get(rx, 0);
	assert_true(r->at_us - t0 < 1000000);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->path, "/hooks/wfmon?x=1");
	assert_string_equal(http_rx_header(r, "Content-Type"), "application/json");
	assert_string_equal(http_rx_header(r, "User-Agent"), "wfmond");
	assert_true(http_rx_verify_signature(r, secrets[0]));
	assert_false(http_rx_verify_signature(r, "another secret"));
	long long ts = atoll(http_rx_header(r, "X-Wfmon-Timestamp"));
	assert_true(llabs(ts - (long long)time(NULL)) <= 5);

	json_t *j = parse(r->body, r->body_len);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "alert");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "alert"), "id")), 77);
	assert_string_equal(json_string_value(json_object_get(j, "title")), "Execution failed: jpk");
	json_decref(j);

	fixture_free(f);
	http_rx_free(rx);
}

static void test_retry_500_then_200(void **state)
{
	(void)state;
	struct http_rx *rx = http_rx_start(0);
	assert_non_null(rx);
	http_rx_set_replies(rx, 500, 2, 200);
	struct notify_config cfg = { .max_attempts = 5, .backoff_ms = 60, .backoff_max_ms = 1000, .timeout_ms = 2000 };
	struct fixture *f = fixture_new(&cfg);
	struct alert_channel ch = { .type = CH_WEBHOOK, .url = url(http_rx_port(rx), "/h"), .secret = (char *)secrets[0] };

	assert_int_equal(notify_submit(f->n, "acme", 5, 0, &ch, "t", "b", NULL), 0);
	assert_int_equal(collect(f, 3, 5000), 3);
	static const struct {
		bool ok, final;
		const char *detail;
	} want[] = { { false, false, "HTTP 500" }, { false, false, "HTTP 500" }, { true, true, "HTTP 200" } };
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->out[i].attempt, i + 1);
		assert_int_equal(f->out[i].ok, want[i].ok);
		assert_int_equal(f->out[i].final, want[i].final);
		assert_string_equal(f->out[i].detail, want[i].detail);
		if (!want[i].final)
			assert_true(f->out[i].next_attempt_ms >= f->out[i].at_ms + 50);
	}
	/* Backoff: about 60 ms, then about 120 ms (less up to 10% jitter). */
	assert_int_equal(http_rx_count(rx), 3);
	int64_t gap1 = http_rx_get(rx, 1)->at_us - http_rx_get(rx, 0)->at_us;
	int64_t gap2 = http_rx_get(rx, 2)->at_us - http_rx_get(rx, 1)->at_us;
	assert_true(gap1 >= 54000);
	assert_true(gap2 >= 108000);
	/* Each retry is signed afresh. */
	for (size_t i = 0; i < 3; i++)
		assert_true(http_rx_verify_signature(http_rx_get(rx, i), secrets[0]));
	/* Nothing more after the final outcome. */
	usleep(200000);
	assert_int_equal(collect(f, 4, 0), 3);
	assert_int_equal(http_rx_count(rx), 3);

	fixture_free(f);
	http_rx_free(rx);
}

static void test_receiver_down(void **state)
{
	(void)state;
	struct http_rx *rx = http_rx_start(0);
	assert_non_null(rx);
	http_rx_stop(rx);
	struct notify_config cfg = { .max_attempts = 3, .backoff_ms = 30, .backoff_max_ms = 100, .timeout_ms = 1000 };
	struct fixture *f = fixture_new(&cfg);
	struct alert_channel ch = { .type = CH_WEBHOOK, .url = url(http_rx_port(rx), "/h"), .secret = (char *)secrets[0] };

	assert_int_equal(notify_submit(f->n, "acme", 9, 1, &ch, "t", "b", NULL), 0);
	assert_int_equal(collect(f, 3, 3000), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->out[i].attempt, i + 1);
		assert_false(f->out[i].ok);
		assert_int_equal(f->out[i].final, i == 2);
		assert_string_equal(f->out[i].detail, "connection refused");
	}
	usleep(200000);
	assert_int_equal(collect(f, 4, 0), 3);

	fixture_free(f);
	http_rx_free(rx);
}

static void test_receiver_down_then_up(void **state)
{
	(void)state;
	struct http_rx *rx = http_rx_start(0);
	assert_non_null(rx);
	http_rx_stop(rx);
	struct notify_config cfg = { .max_attempts = 5, .backoff_ms = 150, .backoff_max_ms = 300, .timeout_ms = 1000 };
	struct fixture *f = fixture_new(&cfg);
	struct alert_channel ch = { .type = CH_WEBHOOK, .url = url(http_rx_port(rx), "/h"), .secret = (char *)secrets[0] };

	assert_int_equal(notify_submit(f->n, "acme", 10, 0, &ch, "t", "b", NULL), 0);
	assert_int_equal(collect(f, 1, 2000), 1);
	assert_false(f->out[0].ok);
	assert_false(f->out[0].final);
	assert_int_equal(http_rx_restart(rx), 0);
	while (!f->out[f->nout - 1].final)
		assert_true(collect(f, f->nout + 1, 3000) > 0);
	const struct notify_outcome *last = &f->out[f->nout - 1];
	assert_true(last->ok);
	assert_true(last->attempt >= 2);
	assert_int_equal(http_rx_count(rx), 1);
	assert_true(http_rx_verify_signature(http_rx_get(rx, 0), secrets[0]));

	fixture_free(f);
	http_rx_free(rx);
}

/* ---- email ----------------------------------------------------------------------------- */

/* The decoded Subject of a message (encoded-words joined). */
static void subject_of(const char *msg, char *out, size_t cap)
{
	const char *s = strstr(msg, "\r\nSubject: ");
	assert_non_null(s);
	s += 11;
	size_t k = 0;
	for (;;) {
		if (strncmp(s, "=?UTF-8?B?", 10) == 0) {
			const char *e = strstr(s, "?=");
			int n = base64_decode(s + 10, (size_t)(e - s - 10), (uint8_t *)out + k, cap - k - 1);
			assert_true(n >= 0);
			k += (size_t)n;
			s = e + 2;
		} else {
			size_t l = strcspn(s, "\r");
			memcpy(out + k, s, l);
			k += l;
			s += l;
		}
		if (strncmp(s, "\r\n ", 3) != 0)
			break;
		s += 3;
	}
	out[k] = '\0';
}

static void test_email_delivered(void **state)
{
	(void)state;
	struct smtp_rx *sink = smtp_rx_start(0);
	assert_non_null(sink);
	char smtp_url[128];
	snprintf(smtp_url, sizeof smtp_url, "smtp://127.0.0.1:%d", smtp_rx_port(sink));
	struct notify_config cfg = { .max_attempts = 2, .backoff_ms = 50, .timeout_ms = 3000 };
	struct fixture *f = fixture_new(&cfg);
	struct alert_channel ch = { .type = CH_EMAIL, .smtp_url = smtp_url, .to = "ops@example.com, szef@example.pl",
				    .from = "wfmon@example.com" };
	const char *title = "Wykonanie workflow nie powiodło się: jpk";

	assert_int_equal(notify_submit(f->n, "acme", 3, 4, &ch, title, "Step upload failed.\n.\nwfmon open E1", NULL), 0);
	assert_int_equal(collect(f, 1, 3000), 1);
	assert_true(f->out[0].ok);
	assert_true(f->out[0].final);
	assert_int_equal(f->out[0].channel, CH_EMAIL);
	assert_string_equal(f->out[0].detail, "SMTP 250");

	assert_int_equal(smtp_rx_wait(sink, 1, 1000), 1);
	const struct smtp_rx_message *m = smtp_rx_get(sink, 0);
	assert_string_equal(m->mail_from, "wfmon@example.com");
	assert_int_equal(m->nrcpt, 2);
	assert_string_equal(m->rcpt[0], "ops@example.com");
	assert_string_equal(m->rcpt[1], "szef@example.pl");
	char subject[512];
	subject_of(m->data, subject, sizeof subject);
	assert_string_equal(subject, title);
	assert_non_null(strstr(m->data, "\r\nTo: ops@example.com, szef@example.pl\r\n"));
	/* The lone dot went through stuffing and came back. */
	assert_non_null(strstr(m->data, "\r\n\r\nStep upload failed.\r\n.\r\nwfmon open E1\r\n"));

	fixture_free(f);
	smtp_rx_free(sink);
}

static void test_email_rejected(void **state)
{
	(void)state;
	struct smtp_rx *sink = smtp_rx_start(0);
	assert_non_null(sink);
	smtp_rx_set_reject_rcpt(sink, true);
	char smtp_url[128];
	snprintf(smtp_url, sizeof smtp_url, "smtp://127.0.0.1:%d", smtp_rx_port(sink));
	struct notify_config cfg = { .max_attempts = 3, .backoff_ms = 50, .timeout_ms = 3000 };
	struct fixture *f = fixture_new(&cfg);
	struct alert_channel ch = { .type = CH_EMAIL, .smtp_url = smtp_url, .to = "nobody@example.com",
				    .from = "wfmon@example.com" };

	assert_int_equal(notify_submit(f->n, "acme", 4, 0, &ch, "Alert", "body", NULL), 0);
	assert_int_equal(collect(f, 1, 3000), 1);
	assert_false(f->out[0].ok);
	/* 5xx is SMTP's permanent failure: reported final at once, not retried. */
	assert_true(f->out[0].final);
	assert_string_equal(f->out[0].detail, "SMTP 550");
	usleep(200000);
	assert_int_equal(collect(f, 2, 0), 1);
	assert_int_equal(smtp_rx_count(sink), 0);

	fixture_free(f);
	smtp_rx_free(sink);
}

/* ---- Slack and SMS ------------------------------------------------------------------------ */

static const struct http_rx_request *find_path(struct http_rx *rx, const char *path)
{
	for (size_t i = 0; i < http_rx_count(rx); i++)
		if (strcmp(http_rx_get(rx, i)->path, path) == 0)
			return http_rx_get(rx, i);
	return NULL;
}

static void test_slack_and_sms(void **state)
{
	(void)state;
	struct http_rx *rx = http_rx_start(0);
	assert_non_null(rx);
	struct notify_config cfg = { .timeout_ms = 2000 };
	struct fixture *f = fixture_new(&cfg);
	int port = http_rx_port(rx);
	struct alert_channel slack = { .type = CH_SLACK, .url = url(port, "/services/T0/B0/XXSLACKSECRETXX") };
	struct alert_channel sms = { .type = CH_SMS, .url = url(port, "/sms/send"), .to = "+48600100200",
				     .secret = (char *)secrets[1] };

	assert_int_equal(notify_submit(f->n, "acme", 1, 0, &slack, "Queue backlog", "depth 120 > 100", NULL), 0);
	assert_int_equal(notify_submit(f->n, "acme", 1, 1, &sms, "Queue backlog", "depth 120 > 100\nmore", NULL), 0);
	assert_int_equal(collect(f, 2, 2000), 2);
	for (int i = 0; i < 2; i++) {
		assert_true(f->out[i].ok);
		assert_int_equal(f->out[i].channel, i == 0 ? CH_SLACK : CH_SMS);
		assert_int_equal(f->out[i].channel_index, i);
	}

	const struct http_rx_request *r = find_path(rx, "/services/T0/B0/XXSLACKSECRETXX");
	assert_non_null(r);
	assert_null(http_rx_header(r, "X-Wfmon-Signature"));
	assert_null(http_rx_header(r, "Authorization"));
	json_t *j = parse(r->body, r->body_len);
	assert_string_equal(json_string_value(json_object_get(j, "text")), "Queue backlog\ndepth 120 &gt; 100");
	json_t *blocks = json_object_get(j, "blocks");
	assert_int_equal(json_array_size(blocks), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(blocks, 0), "type")), "header");
	assert_string_equal(json_string_value(json_object_get(json_array_get(blocks, 1), "type")), "section");
	json_decref(j);

	r = find_path(rx, "/sms/send");
	assert_non_null(r);
	assert_string_equal(http_rx_header(r, "Authorization"), "Bearer sms-token-SECRET-2");
	assert_string_equal(http_rx_header(r, "Content-Type"), "application/json");
	j = parse(r->body, r->body_len);
	assert_string_equal(json_string_value(json_object_get(j, "to")), "+48600100200");
	assert_string_equal(json_string_value(json_object_get(j, "message")), "Queue backlog: depth 120 > 100");
	json_decref(j);

	fixture_free(f);
	http_rx_free(rx);
}

/* ---- limits and stopping --------------------------------------------------------------------- */

static void test_timeout(void **state)
{
	(void)state;
	struct http_rx *rx = http_rx_start(0);
	assert_non_null(rx);
	http_rx_set_delay(rx, 3000);
	struct notify_config cfg = { .max_attempts = 1, .timeout_ms = 300 };
	struct fixture *f = fixture_new(&cfg);
	struct alert_channel ch = { .type = CH_WEBHOOK, .url = url(http_rx_port(rx), "/slow") };

	int64_t t0 = clock_mono_us();
	assert_int_equal(notify_submit(f->n, "acme", 1, 0, &ch, "t", "b", NULL), 0);
	assert_int_equal(collect(f, 1, 2000), 1);
	assert_true(ms_since(t0) < 1500);
	assert_false(f->out[0].ok);
	assert_true(f->out[0].final);
	assert_string_equal(f->out[0].detail, "timed out after 300 ms");

	fixture_free(f);
	http_rx_free(rx);
}

static void test_queue_bounded(void **state)
{
	(void)state;
	struct http_rx *rx = http_rx_start(0);
	assert_non_null(rx);
	http_rx_set_replies(rx, 503, 1, 200);
	/* A generous timeout: a loaded machine must not turn a prompt answer into a retry. */
	struct notify_config cfg = { .queue_max = 2, .max_attempts = 2, .backoff_ms = 300, .timeout_ms = 10000 };
	struct fixture *f = fixture_new(&cfg);
	struct alert_channel ch = { .type = CH_WEBHOOK, .url = url(http_rx_port(rx), "/q") };

	/* The first fails and waits for its retry: it still holds a place. */
	assert_int_equal(notify_submit(f->n, "acme", 1, 0, &ch, "t", "b", NULL), 0);
	assert_int_equal(collect(f, 1, 2000), 1);
	assert_false(f->out[0].final);
	assert_int_equal(notify_submit(f->n, "acme", 2, 0, &ch, "t", "b", NULL), 0);
	assert_int_equal(notify_submit(f->n, "acme", 3, 0, &ch, "t", "b", NULL), -1);
	assert_int_equal(collect(f, 3, 3000), 3);
	/* Both done: room again. */
	assert_int_equal(notify_submit(f->n, "acme", 4, 0, &ch, "t", "b", NULL), 0);
	assert_int_equal(collect(f, 4, 2000), 4);
	for (size_t i = 1; i < 4; i++)
		assert_true(f->out[i].ok && f->out[i].final);

	/* A channel missing its URL is reported, not attempted. */
	struct alert_channel bad = { .type = CH_WEBHOOK };
	assert_int_equal(notify_submit(f->n, "acme", 5, 3, &bad, "t", "b", NULL), 0);
	assert_int_equal(collect(f, 5, 2000), 5);
	assert_false(f->out[4].ok);
	assert_true(f->out[4].final);
	assert_string_equal(f->out[4].detail, "webhook channel without a URL");
	/* Each channel speaks only its own protocols, and a bad URL is not retried. */
	struct alert_channel wrong[] = {
		{ .type = CH_WEBHOOK, .url = "smtp://127.0.0.1:1" },
		{ .type = CH_SMS, .url = "file:///etc/passwd", .to = "+48600100200" },
		{ .type = CH_EMAIL, .smtp_url = url(http_rx_port(rx), "/"), .to = "a@b.pl" },
	};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(notify_submit(f->n, "acme", 6, 0, &wrong[i], "t", "b", NULL), 0);
		assert_int_equal(collect(f, 6 + i, 2000), 6 + i);
		assert_false(f->out[5 + i].ok);
		assert_true(f->out[5 + i].final);
		assert_int_equal(f->out[5 + i].attempt, 1);
		assert_string_equal(f->out[5 + i].detail, "Unsupported protocol");
	}
	assert_int_equal(http_rx_count(rx), 4);

	fixture_free(f);
	http_rx_free(rx);
}

static void test_stop_while_retries_wait(void **state)
{
	(void)state;
	struct http_rx *rx = http_rx_start(0);
	assert_non_null(rx);
	http_rx_set_replies(rx, 500, 1000, 200);
	struct notify_config cfg = { .max_attempts = 5, .backoff_ms = 10000, .timeout_ms = 2000 };
	struct fixture *f = fixture_new(&cfg);
	struct alert_channel ch = { .type = CH_WEBHOOK, .url = url(http_rx_port(rx), "/h"), .secret = (char *)secrets[0] };

	for (int i = 0; i < 3; i++)
		assert_int_equal(notify_submit(f->n, "acme", 100 + i, 0, &ch, "t", "b", NULL), 0);
	assert_int_equal(collect(f, 3, 3000), 3);
	for (int i = 0; i < 3; i++)
		assert_false(f->out[i].final);

	int64_t t0 = clock_mono_us();
	notify_stop(f->n);
	assert_true(ms_since(t0) < 1000);
	assert_int_equal(collect(f, 6, 0), 6);
	for (int i = 3; i < 6; i++) {
		assert_false(f->out[i].ok);
		assert_true(f->out[i].final);
		assert_int_equal(f->out[i].attempt, 2);
		assert_string_equal(f->out[i].detail, "daemon shutting down");
	}
	assert_int_equal(notify_submit(f->n, "acme", 200, 0, &ch, "t", "b", NULL), -1);
	assert_int_equal(http_rx_count(rx), 3);

	fixture_free(f);
	http_rx_free(rx);
}

static void test_stop_during_attempt(void **state)
{
	(void)state;
	struct http_rx *rx = http_rx_start(0);
	assert_non_null(rx);
	http_rx_set_delay(rx, 5000);
	struct notify_config cfg = { .max_attempts = 5, .timeout_ms = 10000 };
	struct fixture *f = fixture_new(&cfg);
	struct alert_channel ch = { .type = CH_WEBHOOK, .url = url(http_rx_port(rx), "/hang"), .secret = (char *)secrets[0] };

	assert_int_equal(notify_submit(f->n, "acme", 1, 0, &ch, "t", "b", NULL), 0);
	assert_int_equal(http_rx_wait(rx, 1, 2000), 1);
	int64_t t0 = clock_mono_us();
	notify_free(f->n);
	f->n = NULL;
	assert_true(ms_since(t0) < 1000);

	/* Freed without taking: a fresh notifier shows stop reports the attempt under way. */
	f->n = notify_new(&cfg, on_wake, &f->w);
	assert_int_equal(notify_submit(f->n, "acme", 2, 0, &ch, "t", "b", NULL), 0);
	assert_int_equal(http_rx_wait(rx, 2, 7000), 2);
	t0 = clock_mono_us();
	notify_stop(f->n);
	assert_true(ms_since(t0) < 1000);
	assert_int_equal(collect(f, 1, 0), 1);
	assert_false(f->out[0].ok);
	assert_true(f->out[0].final);
	assert_int_equal(f->out[0].alert_id, 2);
	assert_string_equal(f->out[0].detail, "daemon shutting down");

	fixture_free(f);
	http_rx_free(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_signed),
		cmocka_unit_test(test_retry_500_then_200),
		cmocka_unit_test(test_receiver_down),
		cmocka_unit_test(test_receiver_down_then_up),
		cmocka_unit_test(test_email_delivered),
		cmocka_unit_test(test_email_rejected),
		cmocka_unit_test(test_slack_and_sms),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_queue_bounded),
		cmocka_unit_test(test_stop_while_retries_wait),
		cmocka_unit_test(test_stop_during_attempt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
