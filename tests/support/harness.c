/* harness.c: starting the real daemon and talking to it (see harness.h). */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"
#include "tlsclient.h"
#include "tlsraw.h"
#include "token.h"

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(a.sin_port);
}

static const char *build_dir(void)
{
	const char *b = getenv("WFMON_BUILD");
	return b && *b ? b : "build";
}

static const char *log_level(void)
{
	return getenv("WFMON_TEST_LOG_LEVEL") ? getenv("WFMON_TEST_LOG_LEVEL") : "info";
}

static int spawn(struct daemon *d, const char *const *extra, bool wait)
{
	char bin[512], listen[64];
	snprintf(bin, sizeof bin, "%s/wfmond", build_dir());
	snprintf(listen, sizeof listen, "127.0.0.1:%d", d->port);
	const char *argv[64];
	int n = 0;
	argv[n++] = bin;
	if (d->config[0] != '\0') {
		argv[n++] = "--config";
		argv[n++] = d->config;
	} else {
		argv[n++] = "--listen";
		argv[n++] = listen;
		argv[n++] = "--jwt-secret-file";
		argv[n++] = d->secret;
		argv[n++] = "--log-level";
		argv[n++] = log_level();
		/* Not whatever a `make install` left in the default place. */
		argv[n++] = "--config";
		argv[n++] = "/dev/null";
	}
	if (d->tls) {
		argv[n++] = "--tls-cert";
		argv[n++] = d->tls_cert;
		argv[n++] = "--tls-key";
		argv[n++] = d->tls_key;
	}
	for (int i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* A test that fails half-way must not leave its daemon behind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	d->pid = pid;
	return wait ? daemon_wait_ready(d, 5000) : 0;
}

int daemon_wait_ready(struct daemon *d, int timeout_ms)
{
	/* Ready when /healthz answers. */
	for (int waited = 0; waited < timeout_ms; waited += 25) {
		char body[256];
		if (http_raw(d, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", body,
			     sizeof body) == 200)
			return 0;
		int status;
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			fprintf(stderr, "wfmond exited early; log in %s\n", d->log);
			d->pid = 0;
			return -1;
		}
		usleep(25000);
	}
	return -1;
}

int daemon_start(struct daemon *d, const char *const *extra)
{
	return daemon_start_with(d, extra, 0);
}

int daemon_start_with(struct daemon *d, const char *const *extra, unsigned flags)
{
	memset(d, 0, sizeof *d);
	/* Under tests/run.sh the folder lives in the run's log folder, so it goes
	 * with a passing run and stays, daemon log and all, with a failing one. */
	const char *parent = getenv("WFMON_TEST_TMP");
	snprintf(d->dir, sizeof d->dir, "%s/wfmon-test.XXXXXX", parent && *parent ? parent : "/tmp");
	if (mkdtemp(d->dir) == NULL)
		return -1;
	snprintf(d->secret, sizeof d->secret, "%s/secret", d->dir);
	snprintf(d->log, sizeof d->log, "%s/wfmond.log", d->dir);
	unsigned char raw[32];
	char hex[65];
	if (getrandom(raw, sizeof raw, 0) != sizeof raw)
		return -1;
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", raw[i]);
	FILE *f = fopen(d->secret, "w");
	if (f == NULL)
		return -1;
	fputs(hex, f);
	fclose(f);
	d->port = free_port();
	if (d->port < 0)
		return -1;
	if (flags & DAEMON_TLS) {
		char dir[320];
		snprintf(dir, sizeof dir, "%s/ca", d->dir);
		if (testca_make(&d->ca, dir, "wfmon test CA") < 0 ||
		    testca_issue(&d->ca, "localhost", "DNS:localhost", 2, 0, d->tls_cert, d->tls_key) < 0)
			return -1;
		d->tls = true;
	}
	if (flags & DAEMON_CONFIG_FILE) {
		snprintf(d->config, sizeof d->config, "%s/wfmond.conf", d->dir);
		f = fopen(d->config, "w");
		if (f == NULL)
			return -1;
		fprintf(f, "listen = 127.0.0.1:%d\njwt-secret-file = %s\nlog-level = %s\n", d->port,
			d->secret, log_level());
		fclose(f);
	}
	return spawn(d, extra, !(flags & DAEMON_NO_WAIT));
}

int daemon_stop(struct daemon *d)
{
	if (d->pid <= 0)
		return -1;
	kill(d->pid, SIGTERM);
	int status = 0;
	for (int i = 0; i < 400; i++) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
		usleep(25000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	d->pid = 0;
	return -1;
}

int daemon_restart(struct daemon *d, const char *const *extra)
{
	daemon_stop(d);
	return spawn(d, extra, true);
}

char *daemon_token(const struct daemon *d, const char *org, const char *sub, const char *role)
{
	char cause[256];
	struct token_request req = {
		.org = org, .sub = sub, .role = role, .ttl_s = 3600,
		.now_s = (int64_t)time(NULL), .secret_file = d->secret,
	};
	char *t = token_mint(&req, cause, sizeof cause);
	if (t == NULL)
		fprintf(stderr, "token_mint: %s\n", cause);
	return t;
}

SSL_CTX *client_tls_ctx(const char *ca_file)
{
	static struct {
		char file[320];
		SSL_CTX *ctx;
	} cache[8];
	for (size_t i = 0; i < 8; i++)
		if (cache[i].ctx != NULL && strcmp(cache[i].file, ca_file) == 0)
			return cache[i].ctx;
	char cause[512];
	struct tlsc_files f = { .ca_file = ca_file };
	SSL_CTX *ctx = tlsc_ctx_new(&f, cause, sizeof cause);
	if (ctx == NULL) {
		fprintf(stderr, "client_tls_ctx: %s\n", cause);
		return NULL;
	}
	for (size_t i = 0; i < 8; i++) {
		if (cache[i].ctx == NULL) {
			snprintf(cache[i].file, sizeof cache[i].file, "%s", ca_file);
			cache[i].ctx = ctx;
			break;
		}
	}
	return ctx;
}

struct wsc *client_try(const struct daemon *d, const char *token, const char *extra_headers)
{
	char cause[256];
	struct wsc_config cfg = {
		.host = d->tls ? "localhost" : "127.0.0.1", .port = d->port, .path = "/",
		.subprotocol = PROTO_SUBPROTOCOL, .bearer = token, .extra_headers = extra_headers,
		.tls = d->tls ? client_tls_ctx(d->ca.cert) : NULL, .tls_ca_file = d->tls ? d->ca.cert : NULL,
	};
	struct wsc *c = wsc_new(&cfg, cause, sizeof cause);
	if (c == NULL) {
		fprintf(stderr, "wsc_new: %s\n", cause);
		return NULL;
	}
	wsc_wait_open(c, 5000);
	return c;
}

struct wsc *client_open(const struct daemon *d, const char *token)
{
	struct wsc *c = client_try(d, token, NULL);
	if (c != NULL && wsc_state(c) != WSC_OPEN) {
		fprintf(stderr, "connect failed: %s (HTTP %d)\n", wsc_error(c), wsc_http_status(c));
		wsc_free(c);
		return NULL;
	}
	return c;
}

int client_send(struct wsc *c, const char *json)
{
	if (wsc_send_text(c, json, strlen(json)) < 0)
		return -1;
	return wsc_wait_flushed(c, 5000);
}

json_t *client_recv(struct wsc *c, int timeout_ms)
{
	const char *data;
	size_t len;
	if (wsc_wait_message(c, timeout_ms, &data, &len) != 1)
		return NULL;
	json_error_t err;
	json_t *j = json_loadb(data, len, 0, &err);
	if (j == NULL)
		fprintf(stderr, "unparsable message from daemon: %s\n", err.text);
	return j;
}

json_t *client_recv_type(struct wsc *c, const char *type, int timeout_ms)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		int left = timeout_ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return NULL;
		json_t *m = client_recv(c, left);
		if (m == NULL)
			return NULL;
		const char *t = json_string_value(json_object_get(m, "type"));
		if (t != NULL && strcmp(t, type) == 0)
			return m;
		json_decref(m);
	}
}

json_t *client_request(struct wsc *c, const char *json, int timeout_ms)
{
	json_t *want = json_loads(json, 0, NULL);
	json_t *id = json_object_get(want, "id");
	json_t *m = NULL;
	if (client_send(c, json) == 0)
		while ((m = client_recv(c, timeout_ms)) != NULL && !json_equal(json_object_get(m, "id"), id))
			json_decref(m);
	json_decref(want);
	return m;
}

static int next_request_id = 1;

json_t *client_subscribe(struct wsc *c, const char *room, long long since)
{
	char buf[512];
	int id = next_request_id++;
	if (since >= 0)
		snprintf(buf, sizeof buf, "{\"type\":\"subscribe\",\"id\":%d,\"room\":\"%s\",\"since\":%lld}", id,
			 room, since);
	else
		snprintf(buf, sizeof buf, "{\"type\":\"subscribe\",\"id\":%d,\"room\":\"%s\"}", id, room);
	if (client_send(c, buf) < 0)
		return NULL;
	for (;;) {
		json_t *m = client_recv(c, 5000);
		if (m == NULL)
			return NULL;
		if (json_integer_value(json_object_get(m, "id")) == id)
			return m;
		json_decref(m);
	}
}

json_t *client_publish(struct wsc *c, const char *events_json)
{
	int id = next_request_id++;
	size_t n = strlen(events_json) + 64;
	char *buf = malloc(n);
	snprintf(buf, n, "{\"type\":\"publish\",\"id\":%d,\"events\":%s}", id, events_json);
	int rc = client_send(c, buf);
	free(buf);
	if (rc < 0)
		return NULL;
	for (;;) {
		json_t *m = client_recv(c, 5000);
		if (m == NULL)
			return NULL;
		if (json_integer_value(json_object_get(m, "id")) == id)
			return m;
		json_decref(m);
	}
}

int client_wait_close(struct wsc *c, int timeout_ms)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (wsc_state(c) != WSC_CLOSED) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		int left = timeout_ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			return -1;
		const char *data;
		size_t len;
		wsc_wait_message(c, left, &data, &len);
	}
	return wsc_close_code(c);
}

int http_raw(const struct daemon *d, const char *request, char *body, size_t bodylen)
{
	if (d->tls) {
		struct tlsraw_options o = { .port = d->port, .host = "localhost", .ca_file = d->ca.cert };
		return tlsraw_http(&o, request, body, bodylen);
	}
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)d->port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t len = strlen(request);
	if (write(fd, request, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	char buf[65536];
	size_t got = 0;
	/* Read until the peer closes or a full Content-Length body is in. */
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 5000) <= 0)
			break;
		ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (http_response_done(buf, got, sizeof buf))
			break;
	}
	close(fd);
	buf[got] = '\0';
	return http_response_parse(buf, body, bodylen);
}

long daemon_metric(const struct daemon *d, const char *name)
{
	char body[16384], want[128];
	if (http_raw(d, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body) != 200)
		return -1;
	snprintf(want, sizeof want, "\n%s ", name);
	char *p = strstr(body, want);
	return p ? atol(p + strlen(want)) : -1;
}

char *event_json(const char *kind, const char *event_id, const char *exec_id, const char *extra)
{
	char ts[40];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	proto_time_format((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, ts, sizeof ts);
	char *out;
	if (asprintf(&out,
		     "{\"type\":\"%s\",\"id\":\"%s\",\"execution_id\":\"%s\",\"workflow_id\":\"wf-test\","
		     "\"ts\":\"%s\"%s%s}",
		     kind, event_id, exec_id, ts, extra && *extra ? "," : "", extra ? extra : "") < 0)
		return NULL;
	return out;
}

const char *jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

long long mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int publish_ok(struct wsc *p, const char *kind, const char *event_id, const char *exec_id, const char *extra)
{
	char *ev = event_json(kind, event_id, exec_id, extra);
	char *arr;
	if (ev == NULL || asprintf(&arr, "[%s]", ev) < 0) {
		free(ev);
		return -1;
	}
	json_t *ack = client_publish(p, arr);
	int rc = ack != NULL && strcmp(jstr(ack, "type"), "ack") == 0 &&
			 json_integer_value(json_object_get(ack, "rejected")) == 0 ? 0 : -1;
	if (rc != 0) {
		char *t = ack ? json_dumps(ack, JSON_COMPACT) : NULL;
		fprintf(stderr, "publish of %s %s failed: %s\n", kind, event_id, t ? t : "no answer");
		free(t);
	}
	json_decref(ack);
	free(arr);
	free(ev);
	return rc;
}

char *log_batch_new(const char *prefix, int first, int n, const char *exec_id, const char *message)
{
	size_t cap = 64 + (size_t)n * (PROTO_MAX_TEXT + 400), len = 1;
	char *arr = malloc(cap);
	if (arr == NULL)
		return NULL;
	arr[0] = '[';
	for (int k = 0; k < n; k++) {
		char eid[64], extra[PROTO_MAX_TEXT + 100];
		snprintf(eid, sizeof eid, "%s-%d", prefix, first + k);
		if (message)
			snprintf(extra, sizeof extra, "\"level\":\"info\",\"message\":\"%s\"", message);
		else
			snprintf(extra, sizeof extra, "\"level\":\"info\",\"message\":\"line %d\"", first + k);
		char *ev = event_json("log", eid, exec_id, extra);
		len += (size_t)snprintf(arr + len, cap - len, "%s%s", k ? "," : "", ev ? ev : "null");
		free(ev);
	}
	snprintf(arr + len, cap - len, "]");
	return arr;
}

json_t *publish_log_batch(struct wsc *p, const char *prefix, int first, int n, const char *exec_id,
			  const char *message)
{
	char *arr = log_batch_new(prefix, first, n, exec_id, message);
	if (arr == NULL)
		return NULL;
	json_t *ack = client_publish(p, arr);
	free(arr);
	return ack;
}

pid_t simproc_start(const struct daemon *d, const char *const *args)
{
	char bin[512], url[64], log[400];
	snprintf(bin, sizeof bin, "%s/wfmon-sim", build_dir());
	snprintf(url, sizeof url, d->tls ? "wss://localhost:%d" : "ws://127.0.0.1:%d", d->port);
	snprintf(log, sizeof log, "%s/sim.log", d->dir);
	const char *argv[40];
	int n = 0;
	argv[n++] = bin;
	argv[n++] = "--url";
	argv[n++] = url;
	if (d->tls) {
		argv[n++] = "--ca-file";
		argv[n++] = d->ca.cert;
	}
	for (int i = 0; args && args[i] && n < 38; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

int simproc_stop(pid_t pid)
{
	kill(pid, SIGINT);
	int status;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool http_response_done(const char *buf, size_t got, size_t cap)
{
	const char *hend = strstr(buf, "\r\n\r\n");
	const char *cl = strcasestr(buf, "content-length:");
	if (hend && cl && cl < hend && got - (size_t)(hend + 4 - buf) >= (size_t)atol(cl + 15))
		return true;
	return got == cap - 1;
}

int http_response_parse(const char *buf, char *body, size_t bodylen)
{
	int status = -1;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	if (body != NULL && bodylen > 0) {
		const char *hend = strstr(buf, "\r\n\r\n");
		snprintf(body, bodylen, "%s", hend ? hend + 4 : "");
	}
	return status;
}
