/* test_identity.c: tokens against the real daemon: an 8 KiB token is
 * accepted and a 9 KiB one refused with an answer; every refusal gets the
 * same answer while the log says why (never the token); a keyring rotated on
 * SIGHUP keeps open connections; a connection ends when its token does (4004
 * within 2 s of exp + leeway) unless an in-band auth request renewed it; a
 * producer's publish after its token expired is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jwt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "proto.h"

static long long wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static char *file_text(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool log_has(const struct daemon *d, const char *needle, int timeout_ms)
{
	long long end = mono_ms() + timeout_ms;
	do {
		char *log = file_text(d->log);
		bool found = log && strstr(log, needle) != NULL;
		free(log);
		if (found)
			return true;
		usleep(50000);
	} while (mono_ms() < end);
	return false;
}

/* An HS256 token signed with the secret in secret_file: claims sub, org,
 * role, iat now, exp now + ttl_s, then extra (",..." JSON members or ""); a
 * kid header when kid is not NULL. */
static char *mint(const char *secret_file, const char *kid, const char *org, const char *sub, const char *role,
		  long ttl_s, const char *extra)
{
	char *secret = file_text(secret_file);
	size_t slen = strlen(secret);
	if (slen > 0 && secret[slen - 1] == '\n')
		secret[--slen] = '\0';
	long now = (long)time(NULL);
	char *claims;
	assert_true(asprintf(&claims, "{\"sub\":\"%s\",\"org\":\"%s\",\"role\":\"%s\",\"iat\":%ld,\"exp\":%ld%s}", sub,
			     org, role, now, now + ttl_s, extra ? extra : "") > 0);
	jwt_t *jwt = NULL;
	assert_int_equal(jwt_new(&jwt), 0);
	assert_int_equal(jwt_add_grants_json(jwt, claims), 0);
	if (kid)
		assert_int_equal(jwt_add_header(jwt, "kid", kid), 0);
	assert_int_equal(jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)slen), 0);
	char *tok = jwt_encode_str(jwt);
	jwt_free(jwt);
	free(claims);
	free(secret);
	return tok;
}

/* A token of exactly len bytes: its "groups" claim pads it. */
static char *mint_sized(const struct daemon *d, size_t len, const char *iss)
{
	char *pad = malloc(len + 1), extra[12000];
	for (size_t fill = len * 3 / 4 - 300; fill < len; fill++) {
		memset(pad, 'g', fill);
		pad[fill] = '\0';
		snprintf(extra, sizeof extra, ",\"iss\":\"%s\",\"groups\":\"%s\"", iss, pad);
		char *tok = mint(d->secret, NULL, "acme", "anna", "viewer", 3600, extra);
		if (strlen(tok) == len) {
			free(pad);
			return tok;
		}
		free(tok);
	}
	free(pad);
	fail_msg("no token of %zu bytes", len);
	return NULL;
}

/* An HTTP request with this token; the status, the body in body. */
static int get_with(const struct daemon *d, const char *token, char *body, size_t len)
{
	char *req;
	assert_true(asprintf(&req, "GET /v1/executions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
				   "Connection: close\r\n\r\n", token) > 0);
	int status = http_raw(d, req, body, len);
	free(req);
	return status;
}

/* ---- sizes and the one answer ---------------------------------------------------------------- */

static void test_token_sizes_and_one_answer(void **state)
{
	(void)state;
	const char *const extra[] = { "--jwt-issuer", "https://idp.example", NULL };
	struct daemon d;
	assert_int_equal(daemon_start(&d, extra), 0);
	char *t8 = mint_sized(&d, 8192, "https://idp.example");
	struct wsc *c = client_open(&d, t8);
	assert_non_null(c);   /* upgraded, with an 8 KiB Authorization header */
	wsc_free(c);

	char *t9 = mint_sized(&d, 9216, "https://idp.example");
	c = client_try(&d, t9, NULL);
	assert_int_equal(wsc_http_status(c), 401);
	wsc_free(c);

	/* Every refusal, the same answer. */
	char *expired = mint(d.secret, NULL, "acme", "anna", "viewer", -120, ",\"iss\":\"https://idp.example\"");
	char *wrong_iss = mint(d.secret, NULL, "acme", "anna", "viewer", 3600, ",\"iss\":\"https://evil.example\"");
	char *good = mint(d.secret, NULL, "acme", "anna", "viewer", 3600, ",\"iss\":\"https://idp.example\"");
	char *bad_sig = strdup(good);
	char *flip = bad_sig + strlen(bad_sig) - 5;
	*flip = *flip == 'A' ? 'B' : 'A';
	const char *const tokens[] = { t9, expired, wrong_iss, bad_sig, "not-a-token" };
	char first[1024] = "", body[1024];
	for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
		assert_int_equal(get_with(&d, tokens[i], body, sizeof body), 401);
		if (i == 0)
			snprintf(first, sizeof first, "%s", body);
		assert_string_equal(body, first);
	}
	fprintf(stderr, "every refusal: %s\n", first);
	assert_non_null(strstr(first, "\"unauthorized\""));
	/* Accepted (no database here: the history is unavailable, not refused). */
	assert_int_equal(get_with(&d, good, body, sizeof body), 503);
	/* The reasons are in the log, the tokens are not. */
	assert_true(log_has(&d, "longer than 8192 bytes", 2000));
	assert_true(log_has(&d, "token expired", 2000));
	assert_true(log_has(&d, "claim iss is not the configured issuer", 2000));
	assert_true(log_has(&d, "bad signature", 2000));
	char *log = file_text(d.log);
	char sig[24];
	snprintf(sig, sizeof sig, "%s", strrchr(good, '.') + 1);
	assert_null(strstr(log, sig));
	assert_null(strstr(log, strchr(expired, '.') + 1));
	free(log);
	free(t8);
	free(t9);
	free(expired);
	free(wrong_iss);
	free(good);
	free(bad_sig);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- a keyring rotated on SIGHUP -------------------------------------------------------------- */

static void test_keyring_rotates_on_sighup(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start_with(&d, NULL, DAEMON_CONFIG_FILE), 0);
	char k1[320], k2[320];
	snprintf(k1, sizeof k1, "%s/k1.secret", d.dir);
	snprintf(k2, sizeof k2, "%s/k2.secret", d.dir);
	FILE *f = fopen(k1, "w");
	fputs("key-one-0123456789-0123456789-0123456789", f);
	fclose(f);
	f = fopen(k2, "w");
	fputs("key-two-0123456789-0123456789-0123456789", f);
	fclose(f);
	f = fopen(d.config, "a");
	fprintf(f, "jwt-key = k1 HS256 %s\n", k1);
	fclose(f);
	kill(d.pid, SIGHUP);
	assert_true(log_has(&d, "reload: new JWT keyring", 3000));
	assert_true(log_has(&d, "k1 HS256", 3000));

	char *old_tok = mint(k1, "k1", "acme", "anna", "viewer", 3600, "");
	struct wsc *old = client_open(&d, old_tok);
	assert_non_null(old);
	/* The identity provider rotates: k2 in, k1 out. */
	char cfg[1024];
	snprintf(cfg, sizeof cfg, "listen = 127.0.0.1:%d\njwt-secret-file = %s\nlog-level = info\njwt-key = k2 HS256 %s\n",
		 d.port, d.secret, k2);
	f = fopen(d.config, "w");
	fputs(cfg, f);
	fclose(f);
	kill(d.pid, SIGHUP);
	assert_true(log_has(&d, "k2 HS256", 3000));
	char *new_tok = mint(k2, "k2", "acme", "anna", "viewer", 3600, "");
	struct wsc *c = client_open(&d, new_tok);
	assert_non_null(c);
	wsc_free(c);
	c = client_try(&d, old_tok, NULL);
	assert_int_equal(wsc_http_status(c), 401);
	wsc_free(c);
	assert_true(log_has(&d, "unknown key id (kid) k1", 2000));
	/* The connection made with k1 stays until its token expires. */
	assert_int_equal(client_send(old, "{\"type\":\"ping\",\"id\":3}"), 0);
	json_t *pong = client_recv_type(old, "pong", 3000);
	assert_non_null(pong);
	json_decref(pong);
	wsc_free(old);
	free(old_tok);
	free(new_tok);
	assert_int_equal(daemon_stop(&d), 0);
}

/* ---- sessions that end with their token ------------------------------------------------------- */

#define LEEWAY 1

static const char *const short_leeway[] = { "--jwt-leeway", "1", NULL };

static long token_exp(const char *tok)
{
	/* The payload's "exp", from the token the test made. */
	const char *p = strchr(tok, '.') + 1, *q = strchr(p, '.');
	char b64[4096];
	size_t n = (size_t)(q - p), k = 0;
	for (size_t i = 0; i < n; i++)
		b64[k++] = p[i] == '-' ? '+' : p[i] == '_' ? '/' : p[i];
	while (k % 4)
		b64[k++] = '=';
	b64[k] = '\0';
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "echo '%s' | base64 -d 2>/dev/null", b64);
	FILE *f = popen(cmd, "r");
	char json[4096] = "";
	size_t got = fread(json, 1, sizeof json - 1, f);
	json[got] = '\0';
	pclose(f);
	json_t *j = json_loads(json, 0, NULL);
	long exp = (long)json_integer_value(json_object_get(j, "exp"));
	json_decref(j);
	return exp;
}

static void test_connection_closed_at_expiry(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start(&d, short_leeway), 0);
	char *tok = mint(d.secret, NULL, "acme", "anna", "viewer", 5, "");
	long exp = token_exp(tok);
	struct wsc *c = client_open(&d, tok);
	assert_non_null(c);
	json_decref(client_subscribe(c, "org", -1));
	int code = client_wait_close(c, 15000);
	long long closed = wall_ms(), due = (exp + LEEWAY) * 1000LL;
	fprintf(stderr, "closed with %d, %+lld ms from exp + leeway\n", code, closed - due);
	assert_int_equal(code, PROTO_CLOSE_TOKEN_EXPIRED);
	assert_true(closed >= due - 100);   /* never before its time (clock reading granularity) */
	assert_true(closed <= due + 2000);
	assert_int_equal(daemon_metric(&d, "wfmond_token_expired_closes_total"), 1);
	wsc_free(c);
	free(tok);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_inband_refresh_keeps_it_open(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start(&d, short_leeway), 0);
	char *tok = mint(d.secret, NULL, "acme", "anna", "viewer", 5, "");
	long exp = token_exp(tok);
	struct wsc *c = client_open(&d, tok);
	assert_non_null(c);
	/* Refusals first: they leave the old token in force. */
	char *other = mint(d.secret, NULL, "acme", "bob", "viewer", 3600, "");
	char *req = proto_auth_request_new("r1", other);
	assert_int_equal(client_send(c, req), 0);
	json_t *a = client_recv_type(c, "error", 3000);
	assert_non_null(a);
	assert_string_equal(jstr(a, "code"), "unauthorized");
	assert_string_equal(jstr(a, "message"), "the token was not accepted");
	json_decref(a);
	free(req);
	/* Then a fresh token for the same user, well before the end. */
	char *fresh = mint(d.secret, NULL, "acme", "anna", "operator", 60, "");
	req = proto_auth_request_new("r2", fresh);
	assert_int_equal(client_send(c, req), 0);
	a = client_recv_type(c, "done", 3000);
	assert_non_null(a);
	assert_string_equal(jstr(a, "id"), "r2");
	json_decref(a);
	free(req);
	/* Past the first token's end: still open, and it answers. */
	while (wall_ms() < (exp + LEEWAY) * 1000LL + 2500)
		usleep(100000);
	assert_int_equal(wsc_state(c), WSC_OPEN);
	assert_int_equal(client_send(c, "{\"type\":\"ping\",\"id\":5}"), 0);
	json_t *pong = client_recv_type(c, "pong", 3000);
	assert_non_null(pong);
	json_decref(pong);
	assert_int_equal(daemon_metric(&d, "wfmond_token_expired_closes_total"), 0);
	wsc_free(c);
	free(tok);
	free(other);
	free(fresh);
	assert_int_equal(daemon_stop(&d), 0);
}

static void test_producer_publish_after_expiry_refused(void **state)
{
	(void)state;
	struct daemon d;
	assert_int_equal(daemon_start(&d, short_leeway), 0);
	char *vt = daemon_token(&d, "acme", "watcher", "viewer");
	struct wsc *v = client_open(&d, vt);
	json_decref(client_subscribe(v, "execution:late", -1));
	char *pt = mint(d.secret, NULL, "acme", "engine", "producer", 3, "");
	long exp = token_exp(pt);
	struct wsc *p = client_open(&d, pt);
	PUBLISH_OK(p, "execution.started", "late-1", "late", "");
	json_t *ev = client_recv_type(v, "event", 3000);
	assert_non_null(ev);
	json_decref(ev);
	/* Past exp + leeway the same connection publishes again. */
	while (wall_ms() < (exp + LEEWAY) * 1000LL + 50)
		usleep(20000);
	char *e2 = event_json("step.started", "late-2", "late", "\"step_id\":\"s\"");
	char *arr;
	assert_true(asprintf(&arr, "{\"type\":\"publish\",\"id\":\"late\",\"events\":[%s]}", e2) > 0);
	wsc_send_text(p, arr, strlen(arr));
	wsc_wait_flushed(p, 1000);
	bool acked = false;
	const char *data;
	size_t len;
	while (wsc_wait_message(p, 3000, &data, &len) == 1)
		acked = acked || memmem(data, len, "\"ack\"", 5) != NULL;
	assert_false(acked);
	assert_int_equal(wsc_close_code(p), PROTO_CLOSE_TOKEN_EXPIRED);
	/* Nothing reached the room. */
	assert_null(client_recv_type(v, "event", 1000));
	/* Over HTTP, the same token is refused too. */
	char *req;
	assert_true(asprintf(&req, "POST /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
				   "Content-Length: %zu\r\nConnection: close\r\n\r\n[%s]", pt, strlen(e2) + 2, e2) > 0);
	assert_int_equal(http_raw(&d, req, NULL, 0), 401);
	free(req);
	free(arr);
	free(e2);
	wsc_free(p);
	wsc_free(v);
	free(pt);
	free(vt);
	assert_int_equal(daemon_stop(&d), 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_sizes_and_one_answer),
		cmocka_unit_test(test_keyring_rotates_on_sighup),
		cmocka_unit_test(test_connection_closed_at_expiry),
		cmocka_unit_test(test_inband_refresh_keeps_it_open),
		cmocka_unit_test(test_producer_publish_after_expiry_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
