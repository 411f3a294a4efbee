/* test_service.c: wfmond as a service: readiness on a NOTIFY_SOCKET of the
 * test's own (READY=1 only once the port answers and the spool is open),
 * STOPPING=1 on SIGTERM, watchdog pings, and SIGHUP reloading the log level
 * and the JWT key while a client stays connected, or keeping the running
 * configuration when the file is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "proto.h"

/* A datagram socket standing in for systemd's notify socket. */
struct notify_listener {
	int fd;
	char path[108];
};

static void listener_open(struct notify_listener *n)
{
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(n->fd >= 0);
	const char *tmp = getenv("WFMON_TEST_TMP");
	snprintf(n->path, sizeof n->path, "%s/notify-%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
	unlink(n->path);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", n->path);
	assert_int_equal(bind(n->fd, (struct sockaddr *)&a, sizeof a), 0);
	setenv("NOTIFY_SOCKET", n->path, 1);
}

static void listener_close(struct notify_listener *n)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	close(n->fd);
	unlink(n->path);
}

/* The next datagram (NUL-terminated in buf), or false after timeout_ms. */
static bool listener_next(struct notify_listener *n, char *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = n->fd, .events = POLLIN };
	if (poll(&p, 1, timeout_ms) <= 0)
		return false;
	ssize_t got = recv(n->fd, buf, len - 1, 0);
	if (got < 0)
		return false;
	buf[got] = '\0';
	return true;
}

/* Waits for a datagram holding `line` as one of its lines. */
static bool listener_wait_for(struct notify_listener *n, const char *line, int timeout_ms)
{
	long long end = mono_ms() + timeout_ms;
	char buf[1024];
	for (long long left; (left = end - mono_ms()) > 0;) {
		if (!listener_next(n, buf, sizeof buf, (int)left))
			return false;
		for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (strcmp(l, line) == 0)
				return true;
	}
	return false;
}

static bool port_answers(const struct daemon *d)
{
	char body[512];
	return http_raw(d, "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", body,
			sizeof body) == 200;
}

static void test_ready_only_once_serving(void **state)
{
	(void)state;
	struct notify_listener n;
	listener_open(&n);
	struct daemon d;
	char spool[400];
	const char *tmp = getenv("WFMON_TEST_TMP");
	snprintf(spool, sizeof spool, "%s/spool-ready-%d", tmp && *tmp ? tmp : "/tmp", (int)getpid());
	/* A database that is not there: the store still opens its spool and
	 * the daemon serves (and says so) without it. */
	const char *const extra[] = { "--database", "host=/nonexistent dbname=x connect_timeout=1",
				      "--spool-dir", spool, NULL };
	assert_int_equal(daemon_start_with(&d, extra, DAEMON_NO_WAIT), 0);
	char buf[1024];
	bool ready = false;
	while (!ready && listener_next(&n, buf, sizeof buf, 10000)) {
		if (strstr(buf, "READY=1") == NULL)
			continue;
		ready = true;
		/* At the moment READY=1 arrives the port answers and the spool is
		 * open (it holds its lock file). */
		assert_true(port_answers(&d));
		char lock[512];
		snprintf(lock, sizeof lock, "%s/lock", spool);
		struct stat st;
		assert_int_equal(stat(lock, &st), 0);
		assert_non_null(strstr(buf, "STATUS=serving"));
	}
	assert_true(ready);

	kill(d.pid, SIGTERM);
	assert_true(listener_wait_for(&n, "STOPPING=1", 5000));
	assert_int_equal(daemon_stop(&d), 0);
	listener_close(&n);
}

static void test_watchdog_pings(void **state)
{
	(void)state;
	struct notify_listener n;
	listener_open(&n);
	setenv("WATCHDOG_USEC", "1000000", 1);   /* pings every 0.5 s */
	struct daemon d;
	assert_int_equal(daemon_start(&d, NULL), 0);
	/* sd_watchdog_enabled checks WATCHDOG_PID only when it is set. */
	long long t0 = mono_ms();
	int pings = 0;
	while (pings < 4 && mono_ms() - t0 < 5000)
		pings += listener_wait_for(&n, "WATCHDOG=1", 2000);
	assert_int_equal(pings, 4);
	/* Four pings at 0.5 s intervals (the first at start-up): about 1.5 s. */
	assert_true(mono_ms() - t0 < 4000);
	assert_int_equal(daemon_stop(&d), 0);
	listener_close(&n);
}

static bool log_has(const struct daemon *d, const char *needle)
{
	FILE *f = fopen(d->log, "r");
	if (f == NULL)
		return false;
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

static bool wait_log(const struct daemon *d, const char *needle, int timeout_ms)
{
	for (long long end = mono_ms() + timeout_ms; mono_ms() < end; usleep(20000))
		if (log_has(d, needle))
			return true;
	return log_has(d, needle);
}

/* Writes (mode "w") or appends ("a") to the daemon's config file. */
static void config_write(const struct daemon *d, const char *mode, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void config_write(const struct daemon *d, const char *mode, const char *fmt, ...)
{
	FILE *f = fopen(d->config, mode);
	assert_non_null(f);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

static void new_secret(const struct daemon *d)
{
	unsigned char raw[32];
	char hex[65];
	assert_int_equal(getrandom(raw, sizeof raw, 0), (ssize_t)sizeof raw);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", raw[i]);
	FILE *f = fopen(d->secret, "w");
	assert_non_null(f);
	fputs(hex, f);
	fclose(f);
}

static void test_sighup_reloads_level_and_key_keeping_connections(void **state)
{
	(void)state;
	struct notify_listener n;
	listener_open(&n);
	setenv("WFMON_TEST_LOG_LEVEL", "info", 1);
	struct daemon d;
	assert_int_equal(daemon_start_with(&d, NULL, DAEMON_CONFIG_FILE), 0);
	assert_true(listener_wait_for(&n, "READY=1", 5000));
	char *old_viewer = daemon_token(&d, "acme", "ann", "viewer");
	char *old_producer = daemon_token(&d, "acme", "sim", "producer");
	struct wsc *v = client_open(&d, old_viewer);
	struct wsc *p = client_open(&d, old_producer);
	assert_non_null(v);
	assert_non_null(p);
	json_decref(client_subscribe(v, "execution:hup-x", -1));

	/* A new key and the debug level, then SIGHUP. */
	new_secret(&d);
	config_write(&d, "w", "listen = 127.0.0.1:%d\njwt-secret-file = %s\nlog-level = debug\n", d.port,
		     d.secret);
	kill(d.pid, SIGHUP);
	assert_true(listener_wait_for(&n, "RELOADING=1", 5000));
	assert_true(listener_wait_for(&n, "READY=1", 5000));
	assert_true(wait_log(&d, "log-level info -> debug", 2000));
	assert_true(wait_log(&d, "reload: new JWT keyring", 2000));

	/* The open connections stay and work. */
	assert_int_equal(wsc_state(v), WSC_OPEN);
	PUBLISH_OK(p, "log", "hup-1", "hup-x", "\"level\":\"info\",\"message\":\"after reload\"");
	json_t *m = client_recv_type(v, "event", 3000);
	assert_non_null(m);
	assert_string_equal(jstr(json_object_get(m, "event"), "message"), "after reload");
	json_decref(m);

	/* New connections: the old key is refused, the new one verifies; the
	 * debug level shows. */
	struct wsc *refused = client_try(&d, old_viewer, NULL);
	assert_int_equal(wsc_http_status(refused), 401);
	wsc_free(refused);
	char *new_viewer = daemon_token(&d, "acme", "bob", "viewer");
	struct wsc *v2 = client_open(&d, new_viewer);
	assert_non_null(v2);
	assert_true(wait_log(&d, "connection from acme/bob", 2000));
	wsc_free(v2);

	/* A broken file: the running configuration stays, and says why. */
	config_write(&d, "a", "no equals sign\n");
	kill(d.pid, SIGHUP);
	assert_true(listener_wait_for(&n, "READY=1", 5000));
	assert_true(wait_log(&d, "reload: kept the running configuration", 2000));
	assert_true(log_has(&d, ":4: expected"));
	/* A key file that cannot be read: kept as well. */
	config_write(&d, "w", "listen = 127.0.0.1:%d\njwt-secret-file = %s.missing\n", d.port, d.secret);
	kill(d.pid, SIGHUP);
	assert_true(listener_wait_for(&n, "READY=1", 5000));
	assert_true(wait_log(&d, "kept the running configuration: JWT keyring:", 2000));
	v2 = client_open(&d, new_viewer);
	assert_non_null(v2);
	wsc_free(v2);
	assert_int_equal(wsc_state(v), WSC_OPEN);

	wsc_free(v);
	wsc_free(p);
	free(old_viewer);
	free(old_producer);
	free(new_viewer);
	assert_int_equal(daemon_stop(&d), 0);
	unsetenv("WFMON_TEST_LOG_LEVEL");
	listener_close(&n);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready_only_once_serving),
		cmocka_unit_test(test_watchdog_pings),
		cmocka_unit_test(test_sighup_reloads_level_and_key_keeping_connections),
	};
	return cmocka_run_group_tests_name("service", tests, NULL, NULL);
}
