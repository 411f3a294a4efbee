/* test_reconnect.c: the reconnect helpers shared by `wfmon tail` and the
 * console (src/client/reconnect.c): the jittered backoff (bounds, doubling,
 * cap, reset) and the explanation of every refusal and close code. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "proto.h"
#include "reconnect.h"

/* Each delay lies in [base/2, base] for the base at that step; the base
 * doubles from min to the cap and stays there. */
static void test_backoff_bounds_doubling_cap(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 50; seed++) {
		struct backoff b;
		backoff_init(&b, RECONNECT_BACKOFF_MIN_MS, RECONNECT_BACKOFF_MAX_MS, seed);
		int base = RECONNECT_BACKOFF_MIN_MS;
		for (int i = 0; i < 12; i++) {
			int d = backoff_next(&b);
			assert_true(d >= base / 2);
			assert_true(d <= base);
			base = base * 2 > RECONNECT_BACKOFF_MAX_MS ? RECONNECT_BACKOFF_MAX_MS : base * 2;
		}
		/* Long past the cap: never more than the cap. */
		for (int i = 0; i < 100; i++) {
			int d = backoff_next(&b);
			assert_true(d >= RECONNECT_BACKOFF_MAX_MS / 2);
			assert_true(d <= RECONNECT_BACKOFF_MAX_MS);
		}
	}
}

/* The exact sequence of bases: 500, 1000, 2000, 4000, 8000, 15000, 15000. */
static void test_backoff_sequence(void **state)
{
	(void)state;
	struct backoff b;
	backoff_init(&b, 500, 15000, 7);
	static const int bases[] = { 500, 1000, 2000, 4000, 8000, 15000, 15000 };
	for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
		assert_int_equal(b.base_ms, bases[i]);
		backoff_next(&b);
	}
	/* A cap that is not a power of two times min is reached, not passed. */
	backoff_init(&b, 3, 10, 7);
	static const int odd[] = { 3, 6, 10, 10 };
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		assert_int_equal(b.base_ms, odd[i]);
		int d = backoff_next(&b);
		assert_true(d >= odd[i] / 2 && d <= odd[i]);
	}
}

/* The jitter is not constant: a spread of seeds gives different delays. */
static void test_backoff_jitter(void **state)
{
	(void)state;
	int min = 1 << 30, max = 0;
	for (unsigned seed = 1; seed <= 200; seed++) {
		struct backoff b;
		backoff_init(&b, 1000, 15000, seed);
		int d = backoff_next(&b);
		min = d < min ? d : min;
		max = d > max ? d : max;
	}
	assert_true(min >= 500 && max <= 1000);
	assert_true(max - min >= 100);
}

static void test_backoff_reset(void **state)
{
	(void)state;
	struct backoff b;
	backoff_init(&b, 500, 15000, 3);
	for (int i = 0; i < 10; i++)
		backoff_next(&b);
	assert_int_equal(b.base_ms, 15000);
	backoff_reset(&b);
	assert_int_equal(b.base_ms, 500);
	int d = backoff_next(&b);
	assert_true(d >= 250 && d <= 500);
	assert_int_equal(b.base_ms, 1000);
}

static const struct explain_case {
	const char *name;
	int http_status;
	int close_code;
	const char *err;
	const char *who;
	enum reconnect_verdict verdict;
	const char *why;
} explain_cases[] = {
	{ "401", 401, 1006, "127.0.0.1:1 refused the WebSocket upgrade: HTTP 401 Unauthorized", "client",
	  RECONNECT_FAIL, "the server refused the token (HTTP 401; its log says why: expired, another issuer "
			  "or audience, an unknown key id): get a fresh one, or mint one with `wfmon token`" },
	{ "403", 403, 1006, "x", "console", RECONNECT_FAIL,
	  "the server refused access (HTTP 403): check the token's organization and role" },
	{ "404", 404, 1006, "x", "console", RECONNECT_FAIL,
	  "no WebSocket endpoint at this path (HTTP 404): check the URL" },
	{ "400", 400, 1006, "x", "client", RECONNECT_FAIL,
	  "the server rejected the WebSocket upgrade (HTTP 400): is the URL wfmond's?" },
	{ "503 is retried", 503, 1006, "h refused the WebSocket upgrade: HTTP 503", "client",
	  RECONNECT_RETRY, "the server refused the connection (HTTP 503)" },
	{ "1000 stops", 0, 1000, "h closed the connection with code 1000", "client", RECONNECT_STOP,
	  "the server ended the session (close code 1000)" },
	{ "shutdown", 0, PROTO_CLOSE_SHUTDOWN, "h closed the connection with code 1001", "client",
	  RECONNECT_RETRY, "the server is shutting down (close code 1001)" },
	{ "drop uses wsclient's sentence", 0, 1006, "connection to h lost: Connection reset by peer",
	  "client", RECONNECT_RETRY, "connection to h lost: Connection reset by peer" },
	{ "drop without a sentence", 0, 1006, "", "client", RECONNECT_RETRY,
	  "the connection dropped (close code 1006)" },
	{ "too large", 0, 1009, "x", "client", RECONNECT_RETRY,
	  "a message was too large (close code 1009)" },
	{ "slow client", 0, PROTO_CLOSE_SLOW_CONSUMER, "x", "client", RECONNECT_RETRY,
	  "this client fell too far behind (close code 4001)" },
	{ "slow console", 0, PROTO_CLOSE_SLOW_CONSUMER, "x", "console", RECONNECT_RETRY,
	  "this console fell too far behind (close code 4001)" },
	{ "rate limited console", 0, PROTO_CLOSE_RATE_LIMITED, NULL, "console", RECONNECT_RETRY,
	  "this console sent too many requests (close code 4002)" },
	{ "rate limited, no name", 0, PROTO_CLOSE_RATE_LIMITED, NULL, NULL, RECONNECT_RETRY,
	  "this client sent too many requests (close code 4002)" },
	{ "unknown code with a sentence", 0, 4321, "h closed the connection with code 4321: bye",
	  "client", RECONNECT_RETRY, "h closed the connection with code 4321: bye" },
	{ "unknown code without one", 0, 4321, "", "client", RECONNECT_RETRY,
	  "the server closed the connection (close code 4321)" },
	{ "token expired", 0, PROTO_CLOSE_TOKEN_EXPIRED, "h closed the connection with code 4004: token expired",
	  "console", RECONNECT_RETRY, "the token expired and no fresh one was sent (give a --token-file or a "
				      "token command that renews it) (close code 4004)" },
	{ "certificate refused", 0, RECONNECT_CLOSE_TLS, "the TLS certificate of h:1 is not for h", "client",
	  RECONNECT_FAIL, "the TLS certificate of h:1 is not for h" },
};

static void test_explain_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof explain_cases / sizeof explain_cases[0]; i++) {
		const struct explain_case *c = &explain_cases[i];
		char why[512];
		memset(why, 'X', sizeof why);
		enum reconnect_verdict v =
			reconnect_explain(c->http_status, c->close_code, c->err, c->who, why, sizeof why);
		if (v != c->verdict || strcmp(why, c->why) != 0)
			fail_msg("%s: got verdict %d \"%s\", want %d \"%s\"", c->name, (int)v, why,
				 (int)c->verdict, c->why);
	}
}

/* A short buffer is cut, never overrun. */
static void test_explain_truncates(void **state)
{
	(void)state;
	char why[16 + 1];
	why[16] = '#';
	assert_int_equal(reconnect_explain(401, 0, "", "client", why, 16), RECONNECT_FAIL);
	assert_int_equal(strlen(why), 15);
	assert_int_equal(why[16], '#');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_bounds_doubling_cap),
		cmocka_unit_test(test_backoff_sequence),
		cmocka_unit_test(test_backoff_jitter),
		cmocka_unit_test(test_backoff_reset),
		cmocka_unit_test(test_explain_table),
		cmocka_unit_test(test_explain_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
