/* test_cluster.c: three wfmond nodes on one real redis-server and one real
 * PostgreSQL (both started here, on loopback ports and in temp folders): an
 * event published on one node reaches the subscribers of every node in the
 * same order with the same positions; a subscriber that moves to another
 * node resumes with no gap and nothing twice; organizations stay apart
 * across nodes; each event is stored once, also when it is retried on
 * another node, and numbered once when the same batch reaches two nodes at
 * the same moment or a lost answer's batch waits in a killed node's outbox; while Redis is away a node keeps acknowledging its
 * producers' batches from a durable outbox (bounded, and kept across kill
 * -9) and sends them in order when Redis is back, delivered and stored once;
 * /healthz and /metrics say peers are delayed and show the outbox. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "pg.h"
#include "proto.h"
#include "receivers.h"
#include "relay.h"

#define NODES 3
static struct pgtest PG;
static struct daemon N[NODES];
static char spool[NODES][300];
static char redis_url[64], redis_dir[300];
static int redis_port;
static pid_t redis_pid;

static int free_tcp_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Sends one command (inline, "\r\n"-ended) to Redis and reads its whole
 * answer, raw, into buf (NUL-ended, truncated to cap): a PING follows the
 * command, so the answer ends where PING's does. Returns its length, or -1
 * when Redis did not answer. */
static long redis_ask(const char *command, char *buf, size_t cap)
{
	static const char pong[] = "+PONG\r\n";
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)redis_port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	long got = -1;
	buf[0] = '\0';
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
		size_t len = strlen(command);
		if (write(fd, command, len) == (ssize_t)len && write(fd, "PING\r\n", 6) == 6) {
			size_t at = 0;
			ssize_t r;
			while (at < cap - 1 && (r = read(fd, buf + at, cap - 1 - at)) > 0) {
				at += (size_t)r;
				buf[at] = '\0';
				if (at >= sizeof pong - 1 && strcmp(buf + at - (sizeof pong - 1), pong) == 0) {
					at -= sizeof pong - 1;
					break;
				}
			}
			buf[at] = '\0';
			got = (long)at;
		}
	}
	if (fd >= 0)
		close(fd);
	return got;
}

/* Sends one command to Redis; true when its answer starts with want. */
static bool redis_says(const char *command, const char *want)
{
	char buf[64];
	return redis_ask(command, buf, sizeof buf) > 0 && strncmp(buf, want, strlen(want)) == 0;
}

static bool redis_answers(void)
{
	return redis_says("PING\r\n", "+PONG");
}

/* redis-server on redis_port, its append-only file in redis_dir. */
static int redis_start(void)
{
	char port[16], log[400];
	snprintf(port, sizeof port, "%d", redis_port);
	snprintf(log, sizeof log, "%s/redis.log", redis_dir);
	redis_pid = fork();
	if (redis_pid == 0) {
		FILE *f = freopen(log, "a", stdout);
		(void)f;
		dup2(1, 2);
		execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--dir", redis_dir,
		       "--save", "", "--appendonly", "yes", "--appendfsync", "always", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (redis_answers())
			return 0;
		usleep(50000);
	}
	fprintf(stderr, "redis-server did not start (see %s)\n", log);
	return -1;
}

static void redis_stop(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
		redis_pid = 0;
	}
}

#define PUBLIC_URL "http://wfmon.cluster.example"
static char action_secret[300];

static void node_args(int i, const char **args)
{
	int n = pgtest_daemon_args(&PG, spool[i], args);
	args[n++] = "--cluster";
	args[n++] = redis_url;
	/* One key for the cluster: node 0's secret (a later flag wins). */
	if (i > 0) {
		args[n++] = "--jwt-secret-file";
		args[n++] = N[0].secret;
	}
	/* Alert notifications carry action links, signed with one key too. */
	args[n++] = "--public-url";
	args[n++] = PUBLIC_URL;
	args[n++] = "--action-secret-file";
	args[n++] = action_secret;
	args[n] = NULL;
}

static int node_start(int i)
{
	const char *args[24];
	node_args(i, args);
	return daemon_start(&N[i], args);
}

/* Restarts node i with one more flag and its value (none: NULL). */
static void node_restart_with(int i, const char *flag, const char *value)
{
	const char *args[26];
	node_args(i, args);
	int n = 0;
	while (args[n] != NULL)
		n++;
	if (flag != NULL) {
		args[n++] = flag;
		args[n++] = value;
	}
	args[n] = NULL;
	assert_int_equal(daemon_restart(&N[i], args), 0);
}

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	if (pgtest_start_migrated(&PG) < 0)
		return -1;
	snprintf(redis_dir, sizeof redis_dir, "%s/redis", PG.dir);
	if (mkdir(redis_dir, 0700) < 0 && errno != EEXIST)
		return -1;
	redis_port = free_tcp_port();
	snprintf(redis_url, sizeof redis_url, "redis://127.0.0.1:%d", redis_port);
	if (redis_start() < 0)
		return -1;
	snprintf(action_secret, sizeof action_secret, "%s/action-secret", PG.dir);
	FILE *f = fopen(action_secret, "w");
	if (f == NULL)
		return -1;
	fputs("action-links-of-the-cluster-0123456789-0123456789\n", f);
	fclose(f);
	chmod(action_secret, 0600);
	for (int i = 0; i < NODES; i++) {
		snprintf(spool[i], sizeof spool[i], "%s/spool%d", PG.dir, i);
		if (node_start(i) < 0)
			return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < NODES; i++)
		daemon_stop(&N[i]);
	redis_stop();
	pgtest_destroy(&PG);
	return 0;
}

static struct wsc *open_as(int node, const char *org, const char *sub, const char *role)
{
	char *t = daemon_token(&N[0], org, sub, role);
	struct wsc *c = client_open(&N[node], t);
	free(t);
	assert_non_null(c);
	return c;
}

static void subscribe_ok(struct wsc *c, const char *room, long long since, bool want_resumed)
{
	json_t *m = client_subscribe(c, room, since);
	assert_non_null(m);
	assert_string_equal(jstr(m, "type"), "subscribed");
	if (since >= 0)
		assert_int_equal(json_is_true(json_object_get(m, "resumed")), want_resumed);
	json_decref(m);
}

/* A viewer of acme on node, subscribed to room (fresh). */
static struct wsc *watcher(int node, const char *sub, const char *room)
{
	struct wsc *c = open_as(node, "acme", sub, "viewer");
	subscribe_ok(c, room, -1, false);
	return c;
}

/* Says in c's hello that it takes pending events (as wfmon does); the
 * daemon's answer says it honours that. */
static void hello_pending(struct wsc *c)
{
	json_t *m = client_request(c, "{\"type\":\"hello\",\"id\":\"hello\",\"features\":[\"pending_events\"]}", 3000);
	assert_non_null(m);
	assert_string_equal(jstr(m, "type"), "hello");
	assert_true(proto_hello_has(m, "pending_events"));
	json_decref(m);
}

/* A viewer of acme on node that takes pending events (said in its hello). */
static struct wsc *open_pending(int node, const char *sub)
{
	struct wsc *c = open_as(node, "acme", sub, "viewer");
	hello_pending(c);
	return c;
}

/* ... subscribed to room (fresh). */
static struct wsc *watcher_pending(int node, const char *sub, const char *room)
{
	struct wsc *c = open_pending(node, sub);
	subscribe_ok(c, room, -1, false);
	return c;
}

/* Publishes n log events PREFIX-first.. to exec on c; asserts the ack. */
static void publish_logs(struct wsc *c, const char *prefix, int first, int n, const char *exec)
{
	json_t *ack = publish_log_batch(c, prefix, first, n, exec, NULL);
	assert_non_null(ack);
	if (strcmp(jstr(ack, "type"), "ack") != 0 || json_integer_value(json_object_get(ack, "rejected")) != 0) {
		char *s = json_dumps(ack, 0);
		fail_msg("publish refused: %s", s);
	}
	json_decref(ack);
}

/* Pending event messages read_events skipped (a node's own events while
 * its outbox holds them: see test_redis_restart_loses_nothing). */
static int pending_skipped;

/* Reads `want` event messages into ids (and their positions into pos, for
 * numbered ones), ids "" when fewer came: numbered ones (pending ones then
 * counted in pending_skipped), or pending ones of room (a numbered one then
 * fails the test). */
static int read_messages(struct wsc *c, bool pending, const char *room, int want, char ids[][64], long long *pos,
			 int timeout_ms)
{
	int got = 0;
	long long end = mono_ms() + timeout_ms;
	while (got < want && mono_ms() < end) {
		json_t *m = client_recv_type(c, "event", (int)(end - mono_ms()));
		if (m == NULL)
			break;
		bool is_pending = json_is_true(json_object_get(m, "pending"));
		if (is_pending)
			assert_null(json_object_get(m, "seq"));
		if (pending)
			assert_true(is_pending);
		if (is_pending && !pending) {
			pending_skipped++;
			json_decref(m);
			continue;
		}
		if (room != NULL)
			assert_string_equal(jstr(m, "room"), room);
		snprintf(ids[got], 64, "%s", jstr(json_object_get(m, "event"), "id"));
		if (pos != NULL)
			pos[got] = json_integer_value(json_object_get(m, "seq"));
		got++;
		json_decref(m);
	}
	return got;
}

static int read_events(struct wsc *c, int want, char ids[][64], long long *pos, int timeout_ms)
{
	return read_messages(c, false, NULL, want, ids, pos, timeout_ms);
}

/* Each of the nsubs subscribers gets exactly the events PREFIX-0 ..
 * PREFIX-(n-1), once, in that order, at the same rising positions; ids and
 * pos (n + 8 slots) get the first one's. */
static void read_in_order(struct wsc *const *subs, int nsubs, const char *prefix, int n, char ids[][64],
			  long long *pos)
{
	char (*other)[64] = calloc((size_t)n + 8, 64);
	long long *opos = calloc((size_t)n + 8, sizeof *opos);
	assert_non_null(other);
	assert_non_null(opos);
	assert_int_equal(read_events(subs[0], n + 8, ids, pos, 8000), n);
	for (int s = 1; s < nsubs; s++) {
		assert_int_equal(read_events(subs[s], n + 8, other, opos, 1000), n);
		for (int i = 0; i < n; i++) {
			assert_string_equal(other[i], ids[i]);
			assert_int_equal(opos[i], pos[i]);
		}
	}
	for (int i = 0; i < n; i++) {
		char want[64];
		snprintf(want, sizeof want, "%s-%d", prefix, i);
		assert_string_equal(ids[i], want);
		if (i > 0)
			assert_true(pos[i] > pos[i - 1]);
	}
	free(other);
	free(opos);
}

/* ---- one order everywhere ------------------------------------------------------- */

static void test_same_order_on_every_node(void **state)
{
	(void)state;
	struct wsc *b = watcher(1, "viewer-b", "execution:x-order");
	struct wsc *c = watcher(2, "viewer-c", "execution:x-order");
	struct wsc *pa = open_as(0, "acme", "producer-a", "producer");
	struct wsc *pb = open_as(1, "acme", "producer-b", "producer");
	/* Two producers on two nodes, batches interleaved. */
	for (int k = 0; k < 10; k++) {
		publish_logs(pa, "ord-a", k * 10, 10, "x-order");
		publish_logs(pb, "ord-b", k * 10, 10, "x-order");
	}
	enum { TOTAL = 200 };
	static char ib[TOTAL][64], ic[TOTAL][64];
	long long pb_[TOTAL], pc[TOTAL];
	assert_int_equal(read_events(b, TOTAL, ib, pb_, 10000), TOTAL);
	assert_int_equal(read_events(c, TOTAL, ic, pc, 10000), TOTAL);
	for (int i = 0; i < TOTAL; i++) {
		assert_string_equal(ib[i], ic[i]);
		assert_int_equal(pb_[i], pc[i]);
		if (i > 0)
			assert_true(pb_[i] > pb_[i - 1]);
	}
	/* Each producer's own events in the order it sent them. */
	int next_a = 0, next_b = 0;
	for (int i = 0; i < TOTAL; i++) {
		char want[64];
		if (strncmp(ib[i], "ord-a-", 6) == 0) {
			snprintf(want, sizeof want, "ord-a-%d", next_a++);
		} else {
			snprintf(want, sizeof want, "ord-b-%d", next_b++);
		}
		assert_string_equal(ib[i], want);
	}
	wsc_free(pa);
	wsc_free(pb);
	wsc_free(b);
	wsc_free(c);
}

/* Nodes send batches by the publish script's digest: when Redis forgets its
 * scripts, a batch may be refused (never acknowledged), the node loads the
 * script again, and a retry goes through; nothing is lost or twice. */
static void test_scripts_flushed_in_redis(void **state)
{
	(void)state;
	struct wsc *b = watcher(1, "viewer-b", "execution:x-flush");
	struct wsc *pa = open_as(0, "acme", "producer-a", "producer");
	publish_logs(pa, "flush", 0, 5, "x-flush");
	assert_true(redis_says("SCRIPT FLUSH\r\n", "+OK"));
	int refused = 0;
	for (int batch = 1; batch < 4; batch++) {
		for (int attempt = 0;; attempt++) {
			json_t *ack = publish_log_batch(pa, "flush", batch * 5, 5, "x-flush", NULL);
			assert_non_null(ack);
			bool ok = strcmp(jstr(ack, "type"), "ack") == 0 &&
				  json_integer_value(json_object_get(ack, "rejected")) == 0;
			json_decref(ack);
			if (ok)
				break;
			refused++;
			assert_true(attempt < 50);
			usleep(100000);
		}
	}
	enum { TOTAL = 20 };
	static char ids[TOTAL][64];
	long long pos[TOTAL];
	assert_int_equal(read_events(b, TOTAL, ids, pos, 10000), TOTAL);
	for (int i = 0; i < TOTAL; i++) {
		char want[64];
		snprintf(want, sizeof want, "flush-%d", i);
		assert_string_equal(ids[i], want);
	}
	/* Nothing more: no batch went twice. */
	json_t *extra = client_recv_type(b, "event", 300);
	assert_null(extra);
	assert_true(refused <= 1);
	wsc_free(pa);
	wsc_free(b);
}

/* ---- resume on another node --------------------------------------------------------- */

static void test_resume_on_another_node(void **state)
{
	(void)state;
	struct wsc *p = open_as(0, "acme", "producer-move", "producer");
	struct wsc *s = open_as(1, "acme", "mover", "viewer");
	/* A watcher on node 2 of another execution: once it sees the marker
	 * published last, node 2 has applied everything before it. */
	struct wsc *w = open_as(2, "acme", "watcher", "viewer");
	subscribe_ok(s, "execution:x-move", -1, false);
	subscribe_ok(w, "execution:x-mark", -1, false);
	publish_logs(p, "mv", 0, 30, "x-move");
	static char ids[100][64];
	long long pos[100];
	assert_int_equal(read_events(s, 30, ids, pos, 10000), 30);
	long long last = pos[29];
	wsc_free(s);
	/* More while it moves. */
	publish_logs(p, "mv", 30, 20, "x-move");
	publish_logs(p, "mark", 0, 1, "x-mark");
	assert_int_equal(read_events(w, 1, ids, pos, 10000), 1);

	/* Node 2 has never served execution:x-move: it resumes from its recent events. */
	s = open_as(2, "acme", "mover", "viewer");
	subscribe_ok(s, "execution:x-move", last, true);
	publish_logs(p, "mv", 50, 10, "x-move");
	assert_int_equal(read_events(s, 30, ids, pos, 10000), 30);
	for (int i = 0; i < 30; i++) {
		char want[64];
		snprintf(want, sizeof want, "mv-%d", 30 + i);
		assert_string_equal(ids[i], want);
		assert_true(pos[i] > last);
		last = pos[i];
	}
	/* Nothing twice: nothing more comes. */
	json_t *extra = client_recv_type(s, "event", 500);
	assert_null(extra);
	wsc_free(s);
	wsc_free(w);
	wsc_free(p);
}

/* ---- organizations apart -------------------------------------------------------------- */

static void test_tenants_apart_across_nodes(void **state)
{
	(void)state;
	struct wsc *beta = open_as(2, "beta", "beta-viewer", "viewer");
	subscribe_ok(beta, "execution:x-shared", -1, false);
	subscribe_ok(beta, "org", -1, false);
	struct wsc *acme_sub = open_as(1, "acme", "acme-viewer", "viewer");
	subscribe_ok(acme_sub, "execution:x-shared", -1, false);
	struct wsc *pa = open_as(0, "acme", "acme-producer", "producer");
	PUBLISH_OK(pa, "execution.started", "iso-acme-1", "x-shared", "");
	publish_logs(pa, "iso-acme", 2, 20, "x-shared");
	static char ids[64][64];
	long long pos[64];
	assert_int_equal(read_events(acme_sub, 21, ids, pos, 10000), 21);
	/* beta: its own event arrives, acme's never did. */
	struct wsc *pbeta = open_as(1, "beta", "beta-producer", "producer");
	publish_logs(pbeta, "iso-beta", 0, 1, "x-shared");
	int got = read_events(beta, 64, ids, pos, 1500);
	assert_int_equal(got, 1);
	assert_string_equal(ids[0], "iso-beta-0");
	wsc_free(pbeta);
	wsc_free(pa);
	wsc_free(acme_sub);
	wsc_free(beta);
}

/* ---- control across nodes ------------------------------------------------------------------- */

/* Sends request (about an execution published on another node) on op until
 * the node knows the execution (it answers not_found until it has applied the
 * stream); asserts the answer is done. */
static void done_once_known(struct wsc *op, const char *request)
{
	json_t *a = NULL;
	for (int i = 0; i < 50; i++) {
		json_decref(a);
		a = client_request(op, request, 5000);
		assert_non_null(a);
		if (strcmp(jstr(a, "type"), "done") == 0 || strcmp(jstr(a, "code"), "not_found") != 0)
			break;
		usleep(100000);
	}
	if (strcmp(jstr(a, "type"), "done") != 0) {
		char *t = json_dumps(a, 0);
		fail_msg("%s: %s", request, t);
	}
	json_decref(a);
}

/* A cancel asked on node C reaches the producer listening on node A (the
 * command follows the control.requested event through the stream). */
static void test_cancel_reaches_a_producer_on_another_node(void **state)
{
	(void)state;
	struct wsc *pa = open_as(0, "acme", "ctl-producer", "producer");
	subscribe_ok(pa, "control", -1, false);
	PUBLISH_OK(pa, "execution.started", "ctl-start-1", "x-ctl", "");
	struct wsc *op = open_as(2, "acme", "olga", "operator");
	done_once_known(op, "{\"type\":\"cancel\",\"id\":\"c1\",\"execution_id\":\"x-ctl\","
			    "\"reason\":\"wrong month\"}");
	/* The producer on A gets the command, by olga, with the reason. */
	json_t *m;
	bool got = false;
	while (!got && (m = client_recv_type(pa, "control", 10000)) != NULL) {
		got = strcmp(jstr(m, "execution_id"), "x-ctl") == 0;
		if (got) {
			assert_string_equal(jstr(m, "command"), "cancel");
			assert_string_equal(jstr(m, "by"), "olga");
			assert_string_equal(jstr(m, "reason"), "wrong month");
			assert_int_equal(json_integer_value(json_object_get(m, "attempt")), 1);
		}
		json_decref(m);
	}
	assert_true(got);
	wsc_free(op);
	wsc_free(pa);
}

/* Sends request on op until its answer is `want` ("done", or an error's
 * code); the other nodes' news (the execution, who listens) comes through
 * the stream, so the first answers may differ. Returns the last answer. */
static json_t *answer_eventually(struct wsc *op, const char *request, const char *want)
{
	json_t *a = NULL;
	for (int i = 0; i < 100; i++) {
		json_decref(a);
		a = client_request(op, request, 5000);
		assert_non_null(a);
		const char *got = strcmp(jstr(a, "type"), "done") == 0 ? "done" : jstr(a, "code");
		if (strcmp(got, want) == 0)
			return a;
		usleep(100000);
	}
	char *t = json_dumps(a, 0);
	fail_msg("%s: wanted %s, last answer %s", request, want, t);
	return NULL;
}

/* As on one daemon, a cancel is refused while no producer of the
 * organization listens in the control room on any node; one listening on
 * node A makes it possible on node C, and leaving makes it refused again. */
static void test_cancel_refused_when_no_producer_anywhere(void **state)
{
	(void)state;
	struct wsc *pa = open_as(0, "zeta", "zeta-producer", "producer");
	PUBLISH_OK(pa, "execution.started", "zeta-start-1", "x-zeta", "");
	struct wsc *op = open_as(2, "zeta", "olga", "operator");
	const char *cancel = "{\"type\":\"cancel\",\"id\":\"z1\",\"execution_id\":\"x-zeta\"}";
	json_t *a = answer_eventually(op, cancel, "unavailable");
	assert_non_null(strstr(jstr(a, "message"), "on any node"));
	json_decref(a);

	subscribe_ok(pa, "control", -1, false);
	json_decref(answer_eventually(op, cancel, "done"));
	json_t *m = client_recv_type(pa, "control", 10000);
	assert_non_null(m);
	assert_string_equal(jstr(m, "execution_id"), "x-zeta");
	json_decref(m);

	/* The producer goes: node C hears it leave. */
	wsc_free(pa);
	json_decref(answer_eventually(op, cancel, "unavailable"));
	wsc_free(op);
}

/* A priority raised on node C reaches the producer on node A and node A's
 * live state (so its queue numbers), as the other nodes' changes do. */
static void test_priority_reaches_every_node(void **state)
{
	(void)state;
	struct wsc *pa = open_as(0, "acme", "prio-producer", "producer");
	subscribe_ok(pa, "control", -1, false);
	PUBLISH_OK(pa, "execution.queued", "prio-q-1", "x-prio",
		   "\"workflow_name\":\"VAT\",\"priority\":\"LOW\",\"steps\":[{\"id\":\"s\",\"name\":\"compute\"}]");
	struct wsc *op = open_as(2, "acme", "olga", "operator");
	done_once_known(op, "{\"type\":\"prioritize\",\"id\":\"p1\",\"execution_id\":\"x-prio\","
			    "\"priority\":\"HIGH\"}");
	json_t *m;
	bool got = false;
	while (!got && (m = client_recv_type(pa, "control", 10000)) != NULL) {
		got = strcmp(jstr(m, "command"), "prioritize") == 0 && strcmp(jstr(m, "execution_id"), "x-prio") == 0;
		if (got) {
			assert_string_equal(jstr(m, "priority"), "HIGH");
			assert_string_equal(jstr(m, "previous"), "LOW");
			assert_string_equal(jstr(m, "by"), "olga");
		}
		json_decref(m);
	}
	assert_true(got);
	/* Node B holds it as HIGH too: a new subscriber's snapshot says so. */
	struct wsc *vb = open_as(1, "acme", "prio-viewer", "viewer");
	json_t *sub = client_subscribe(vb, "execution:x-prio", -1);
	assert_non_null(sub);
	json_t *ex = json_object_get(json_object_get(sub, "snapshot"), "execution");
	if (ex == NULL)
		ex = json_object_get(sub, "snapshot");
	assert_string_equal(jstr(ex, "priority"), "HIGH");
	json_decref(sub);
	wsc_free(vb);
	wsc_free(op);
	wsc_free(pa);
}

/* How many schedules node `node` lists for acme, waiting up to 5 s for want. */
static int schedules_listed(int node, int want)
{
	struct wsc *op = open_as(node, "acme", "sched-reader", "viewer");
	int n = -1;
	for (long long end = mono_ms() + 5000; n != want && mono_ms() < end;) {
		json_t *a = client_request(op, "{\"type\":\"schedule\",\"id\":\"l\",\"action\":\"list\"}", 5000);
		assert_non_null(a);
		n = (int)json_array_size(json_object_get(a, "schedules"));
		json_decref(a);
		if (n != want)
			usleep(100000);
	}
	wsc_free(op);
	return n;
}

/* A schedule saved on node C is on nodes A and B (whichever holds the alert
 * lease checks it); deleted on C, it goes from them too. */
static void test_schedules_reach_every_node(void **state)
{
	(void)state;
	struct wsc *op = open_as(2, "acme", "olga", "operator");
	json_t *a = client_request(op, "{\"type\":\"schedule\",\"id\":\"s\",\"action\":\"save\",\"schedule\":{"
				       "\"workflow_id\":\"vat-return\",\"name\":\"VAT return\",\"working_day\":1,"
				       "\"at\":\"06:00\",\"timezone\":\"Europe/Warsaw\"}}", 5000);
	assert_non_null(a);
	assert_string_equal(jstr(a, "type"), "schedule_saved");
	json_decref(a);
	assert_int_equal(schedules_listed(0, 1), 1);
	assert_int_equal(schedules_listed(1, 1), 1);
	a = client_request(op, "{\"type\":\"schedule\",\"id\":\"d\",\"action\":\"delete\","
			       "\"workflow_id\":\"vat-return\"}", 5000);
	assert_non_null(a);
	assert_string_equal(jstr(a, "type"), "done");
	json_decref(a);
	assert_int_equal(schedules_listed(0, 0), 0);
	assert_int_equal(schedules_listed(1, 0), 0);
	wsc_free(op);
}

/* ---- stored once ------------------------------------------------------------------------ */

static long long count_in(const char *org, const char *where)
{
	return pgtest_count_events(&PG, org, where);
}

static bool wait_count(const char *org, const char *where, long long want, int timeout_ms)
{
	return pgtest_wait_events(&PG, org, where, want, timeout_ms);
}

static void test_stored_once_also_when_retried_elsewhere(void **state)
{
	(void)state;
	struct wsc *sub = open_as(2, "acme", "once-viewer", "viewer");
	subscribe_ok(sub, "execution:x-once", -1, false);
	struct wsc *pa = open_as(0, "acme", "once-a", "producer");
	struct wsc *pb = open_as(1, "acme", "once-b", "producer");
	publish_logs(pa, "once", 0, 25, "x-once");
	/* The same batch again, through another node: "duplicate", kept once, delivered once. */
	json_t *ack = publish_log_batch(pb, "once", 0, 25, "x-once", NULL);
	assert_non_null(ack);
	assert_string_equal(jstr(ack, "type"), "ack");
	json_t *r0 = json_array_get(json_object_get(ack, "results"), 0);
	assert_string_equal(jstr(r0, "status"), "duplicate");
	json_decref(ack);
	static char ids[64][64];
	long long pos[64];
	assert_int_equal(read_events(sub, 64, ids, pos, 1500), 25);
	assert_true(wait_count("acme", "event_id LIKE 'once-%'", 25, 15000));
	assert_int_equal(count_in("acme", "event_id LIKE 'once-%' AND pos IN (SELECT pos FROM execution_events "
				  "WHERE event_id LIKE 'once-%')"), 25);
	/* The positions stored are the ones every node delivered. */
	char where[128];
	snprintf(where, sizeof where, "event_id = 'once-24' AND pos = %lld", pos[24]);
	assert_int_equal(count_in("acme", where), 1);
	wsc_free(pa);
	wsc_free(pb);
	wsc_free(sub);
}

/* The id of the stream's newest entry, "0-0" when it is empty. */
static void stream_end(char *id, size_t cap)
{
	/* *1\r\n*2\r\n$<len>\r\n<id>\r\n... or *0\r\n */
	char buf[4096];
	assert_true(redis_ask("XREVRANGE wfmon:events + - COUNT 1\r\n", buf, sizeof buf) > 0);
	const char *dollar = strchr(buf, '$');
	const char *at = dollar ? strstr(dollar, "\r\n") : NULL;
	const char *end = at ? strstr(at + 2, "\r\n") : NULL;
	if (end == NULL) {
		snprintf(id, cap, "0-0");
		return;
	}
	snprintf(id, cap, "%.*s", (int)(end - at - 2), at + 2);
}

/* How many times text holds needle. */
static int occurrences(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* The answer to request `id` on c (others skipped), or NULL. */
static json_t *answer_to(struct wsc *c, int id)
{
	for (;;) {
		json_t *m = client_recv(c, 5000);
		if (m == NULL || json_integer_value(json_object_get(m, "id")) == id)
			return m;
		json_decref(m);
	}
}

/* A producer that gives up waiting on one node and sends the batch to
 * another while the first is still numbering it: here the same batch goes
 * to nodes 0 and 1 at the same moment, many times. Each event is numbered
 * once (one of the two answers says "ok", the other "duplicate"), so the
 * stream holds it in one entry, every subscriber on every node gets it
 * once at one position, and PostgreSQL stores it at that position.
 * Before the publish script looked for copies, the node whose script ran
 * second numbered the batch again: a second entry, a second position, and
 * a stored row that could carry either. */
/* Each of the n events delivered (ids, pos) is stored once, at the position delivered. */
static void assert_stored_at(char ids[][64], const long long *pos, int n)
{
	for (int i = 0; i < n; i++) {
		char where[200];
		snprintf(where, sizeof where, "event_id = '%.63s' AND pos = %lld", ids[i], pos[i]);
		if (count_in("acme", where) != 1)
			fail_msg("%s is not stored once at position %lld", ids[i], pos[i]);
	}
}

static void test_same_batch_on_two_nodes_at_once(void **state)
{
	(void)state;
	enum { BATCHES = 40, BATCH = 5, TOTAL = BATCHES * BATCH };
	struct wsc *subs[NODES];
	for (int i = 0; i < NODES; i++) {
		char sub[32];
		snprintf(sub, sizeof sub, "twin-viewer-%d", i);
		subs[i] = watcher(i, sub, "execution:x-twin");
	}
	struct wsc *pa = open_as(0, "acme", "twin-a", "producer");
	struct wsc *pb = open_as(1, "acme", "twin-b", "producer");
	char before[64];
	stream_end(before, sizeof before);
	long known_before = 0;
	for (int i = 0; i < NODES; i++)
		known_before += daemon_metric(&N[i], "wfmond_cluster_already_numbered_total");
	for (int k = 0; k < BATCHES; k++) {
		char *arr = log_batch_new("twin", k * BATCH, BATCH, "x-twin", NULL);
		assert_non_null(arr);
		size_t cap = strlen(arr) + 64;
		char *msg = malloc(cap);
		assert_non_null(msg);
		int id = 7000 + k;
		snprintf(msg, cap, "{\"type\":\"publish\",\"id\":%d,\"events\":%s}", id, arr);
		assert_int_equal(client_send(pa, msg), 0);
		assert_int_equal(client_send(pb, msg), 0);
		free(msg);
		free(arr);
		json_t *acks[2] = { answer_to(pa, id), answer_to(pb, id) };
		for (int e = 0; e < BATCH; e++) {
			int ok = 0;
			for (int a = 0; a < 2; a++) {
				assert_non_null(acks[a]);
				assert_string_equal(jstr(acks[a], "type"), "ack");
				const char *st = jstr(json_array_get(json_object_get(acks[a], "results"), (size_t)e), "status");
				if (strcmp(st, "ok") == 0)
					ok++;
				else
					assert_string_equal(st, "duplicate");
			}
			if (ok != 1)
				fail_msg("event twin-%d of batch %d was numbered by %d nodes", k * BATCH + e, k, ok);
		}
		json_decref(acks[0]);
		json_decref(acks[1]);
	}
	/* The stream after the test began: each event in one entry. */
	char cmd[128];
	snprintf(cmd, sizeof cmd, "XRANGE wfmon:events (%s + COUNT 100000\r\n", before);
	size_t cap = 8u << 20;
	char *stream = malloc(cap);
	assert_non_null(stream);
	long got = redis_ask(cmd, stream, cap);
	assert_true(got > 0 && (size_t)got < cap - 1);
	for (int i = 0; i < TOTAL; i++) {
		char needle[64];
		snprintf(needle, sizeof needle, "\"id\":\"twin-%d\"", i);
		if (occurrences(stream, needle) != 1)
			fail_msg("twin-%d is in %d stream entries", i, occurrences(stream, needle));
	}
	free(stream);
	/* Recognised by the script (not only by a reader that came first). */
	long known_after = 0;
	for (int i = 0; i < NODES; i++)
		known_after += daemon_metric(&N[i], "wfmond_cluster_already_numbered_total");
	assert_true(known_after > known_before);
	/* Once each, in order, at the same positions on every node; stored there. */
	static char ids[TOTAL + 8][64];
	long long pos[TOTAL + 8];
	read_in_order(subs, NODES, "twin", TOTAL, ids, pos);
	assert_true(wait_count("acme", "event_id LIKE 'twin-%'", TOTAL, 15000));
	assert_stored_at(ids, pos, TOTAL);
	wsc_free(pa);
	wsc_free(pb);
	for (int i = 0; i < NODES; i++)
		wsc_free(subs[i]);
}

/* ---- alerts once ---------------------------------------------------------------------------- */

static void fail_execution(struct wsc *p, const char *exec)
{
	char eid[64];
	snprintf(eid, sizeof eid, "%s-end", exec);
	char *ev = event_json("execution.failed", eid, exec, "\"error\":\"XSD validation failed\"");
	char *arr;
	assert_true(asprintf(&arr, "[%s]", ev) > 0);
	json_t *ack = client_publish(p, arr);
	assert_non_null(ack);
	assert_int_equal(json_integer_value(json_object_get(ack, "rejected")), 0);
	json_decref(ack);
	free(arr);
	free(ev);
}

static void test_alert_fires_once_for_the_cluster(void **state)
{
	(void)state;
	struct http_rx *hook = http_rx_start(0);
	assert_non_null(hook);
	/* The lease is taken within a second or two of start. */
	long long end = mono_ms() + 10000;
	int leaders = 0;
	while (mono_ms() < end) {
		leaders = 0;
		for (int i = 0; i < NODES; i++)
			leaders += daemon_metric(&N[i], "wfmond_cluster_leader") == 1;
		if (leaders == 1)
			break;
		usleep(100000);
	}
	assert_int_equal(leaders, 1);
	/* The rule is saved on node 2, the failures arrive on node 0, a viewer watches on node 1. */
	struct wsc *op = open_as(2, "fin", "olga", "operator");
	char *rule;
	assert_true(asprintf(&rule, "{\"type\":\"rule\",\"id\":\"save\",\"action\":\"save\",\"rule\":{"
			     "\"name\":\"fails repeatedly\",\"type\":\"consecutive_failures\",\"severity\":\"error\","
			     "\"cooldown_minutes\":15,\"conditions\":{\"count\":3},\"channels\":["
			     "{\"type\":\"in_app\"},{\"type\":\"webhook\",\"url\":\"http://127.0.0.1:%d/hook\","
			     "\"secret\":\"s3cret-for-the-webhook-hmac\"}]}}", http_rx_port(hook)) > 0);
	json_t *a = client_request(op, rule, 5000);
	free(rule);
	assert_non_null(a);
	assert_string_equal(jstr(a, "type"), "rule_saved");
	json_decref(a);
	struct wsc *v = open_as(1, "fin", "vera", "viewer");
	subscribe_ok(v, "alerts", -1, false);
	/* Every node has the rule before the failures come. */
	usleep(300000);
	struct wsc *p = open_as(0, "fin", "engine", "producer");
	fail_execution(p, "al-1");
	fail_execution(p, "al-2");
	fail_execution(p, "al-3");
	json_t *m = client_recv_type(v, "alert", 5000);
	assert_non_null(m);
	assert_string_equal(jstr(json_object_get(m, "alert"), "state"), "active");
	json_decref(m);
	assert_int_equal(http_rx_wait(hook, 1, 5000), 1);
	/* And no second one from another node. */
	usleep(1500000);
	assert_int_equal(http_rx_count(hook), 1);

	/* Its acknowledge link, used on node 1, is used on node 2 too. */
	json_t *body = json_loads(http_rx_get(hook, 0)->body, 0, NULL);
	assert_non_null(body);
	const char *url = jstr(json_object_get(json_object_get(body, "alert"), "actions"), "acknowledge");
	assert_int_equal(strncmp(url, PUBLIC_URL "/v1/actions/", strlen(PUBLIC_URL "/v1/actions/")), 0);
	char req[4096], page[8192];
	snprintf(req, sizeof req, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
		 "\r\nContent-Length: 11\r\nConnection: close\r\n\r\nconfirm=yes", url + strlen(PUBLIC_URL));
	json_decref(body);
	assert_int_equal(http_raw(&N[1], req, page, sizeof page), 200);
	m = client_recv_type(v, "alert", 5000);
	assert_non_null(m);
	assert_string_equal(jstr(json_object_get(m, "alert"), "state"), "acknowledged");
	json_decref(m);
	/* 410 (used), not 409 (the alert is acknowledged already): the link is spent everywhere. */
	usleep(300000);
	assert_int_equal(http_raw(&N[2], req, page, sizeof page), 410);
	assert_int_equal(http_raw(&N[0], req, page, sizeof page), 410);
	wsc_free(p);
	wsc_free(v);
	wsc_free(op);
	http_rx_free(hook);
}

/* ---- Redis away --------------------------------------------------------------------------- */

/* The "peers" word of the organization's summary as a subscription to the
 * room org on c gets it in its snapshot ("" when it has none). */
static const char *summary_peers(struct wsc *c)
{
	static char word[16];
	json_t *m = client_subscribe(c, "org", -1);
	assert_non_null(m);
	assert_string_equal(jstr(m, "type"), "subscribed");
	const char *p = json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(m,
			"snapshot"), "summary"), "system"), "peers"));
	snprintf(word, sizeof word, "%s", p ? p : "");
	json_decref(m);
	return word;
}

/* Waits until node i's /healthz says peers' events are `word` (delayed,
 * current). */
static void wait_peers(int i, const char *word)
{
	char body[8192], want[64], want_spaced[64];
	snprintf(want, sizeof want, "\"peers\":\"%s\"", word);
	snprintf(want_spaced, sizeof want_spaced, "\"peers\": \"%s\"", word);
	bool seen = false;
	for (int k = 0; k < 100 && !seen; k++) {
		assert_int_equal(http_raw(&N[i], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body), 200);
		seen = strstr(body, want) != NULL || strstr(body, want_spaced) != NULL;
		if (!seen)
			usleep(100000);
	}
	assert_true(seen);
}

static void wait_peers_delayed(int i)
{
	wait_peers(i, "delayed");
}

/* The "outbox" object of node i's /healthz "cluster" (new reference). */
static json_t *healthz_outbox(int i)
{
	char body[16384];
	assert_int_equal(http_raw(&N[i], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof body), 200);
	json_t *h = json_loads(body, 0, NULL);
	assert_non_null(h);
	json_t *ob = json_incref(json_object_get(json_object_get(h, "cluster"), "outbox"));
	json_decref(h);
	assert_non_null(ob);
	return ob;
}

static bool wait_outbox_empty(int i, int timeout_ms)
{
	long long end = mono_ms() + timeout_ms;
	while (daemon_metric(&N[i], "wfmond_cluster_outbox_batches") != 0) {
		if (mono_ms() > end)
			return false;
		usleep(50000);
	}
	return true;
}

static int read_pending(struct wsc *c, const char *room, int want, char ids[][64], int timeout_ms)
{
	return read_messages(c, true, room, want, ids, NULL, timeout_ms);
}

/* The pending ids are rr-away-0 .. rr-away-(n-1), in order. */
static void assert_away_ids(char ids[][64], int n)
{
	for (int i = 0; i < n; i++) {
		char want[32];
		snprintf(want, sizeof want, "rr-away-%d", i);
		assert_string_equal(ids[i], want);
	}
}

static void test_redis_restart_loses_nothing(void **state)
{
	(void)state;
	struct wsc *a = watcher_pending(0, "rr-a-viewer", "execution:x-rr");
	/* A client that did not ask for pending events (a hello without the
	 * feature, after one whose "features" was not a list: refused). */
	struct wsc *an = open_as(0, "acme", "rr-a-plain", "viewer");
	json_t *bad = client_request(an, "{\"type\":\"hello\",\"id\":\"h\",\"features\":\"pending_events\"}", 3000);
	assert_non_null(bad);
	assert_string_equal(jstr(bad, "type"), "error");
	assert_string_equal(jstr(bad, "code"), "bad_request");
	assert_string_equal(jstr(bad, "field"), "features");
	assert_non_null(strstr(jstr(bad, "message"), "must be an array"));
	json_decref(bad);
	json_t *hello = client_request(an, "{\"type\":\"hello\",\"id\":\"h\",\"client\":\"third-party 1\"}", 3000);
	assert_non_null(hello);
	assert_string_equal(jstr(hello, "type"), "hello");
	json_decref(hello);
	subscribe_ok(an, "execution:x-rr", -1, false);
	struct wsc *b = watcher(1, "rr-b", "execution:x-rr");
	struct wsc *c = watcher(2, "rr-c", "execution:x-rr");
	struct wsc *pa = open_as(0, "acme", "rr-a", "producer");
	publish_logs(pa, "rr", 0, 20, "x-rr");
	enum { TOTAL = 65 };
	static char ia[TOTAL + 8][64], ib[TOTAL + 8][64], ic[TOTAL + 8][64], in[TOTAL + 8][64];
	long long pa_[TOTAL + 8], pb_[TOTAL + 8], pc[TOTAL + 8], pn[TOTAL + 8];
	/* The first 20 are read now, so that what follows during the outage
	 * is what the outage brings. */
	assert_int_equal(read_events(a, 20, ia, pa_, 5000), 20);
	assert_int_equal(read_events(an, 20, in, pn, 5000), 20);
	assert_int_equal(read_events(b, 20, ib, pb_, 5000), 20);
	assert_int_equal(read_events(c, 20, ic, pc, 5000), 20);
	redis_stop();
	/* Away: said by /healthz and /metrics. */
	wait_peers_delayed(0);
	assert_int_equal(daemon_metric(&N[0], "wfmond_cluster_peers_delayed"), 1);
	/* The node keeps taking its producer's batches: acknowledged, kept in its outbox. */
	for (int k = 0; k < 5; k++)
		publish_logs(pa, "rr-away", k * 5, 5, "x-rr");
	/* A producer that lost an ack sends a batch again (with a new time, so
	 * that PostgreSQL would take it as a new row): "duplicate", as it will be
	 * once applied; never delivered or stored twice. */
	json_t *ack = publish_log_batch(pa, "rr-away", 5, 5, "x-rr", "sent again");
	assert_non_null(ack);
	assert_string_equal(jstr(ack, "type"), "ack");
	assert_int_equal(json_integer_value(json_object_get(ack, "rejected")), 0);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(jstr(json_array_get(json_object_get(ack, "results"), i), "status"), "duplicate");
	json_decref(ack);
	json_t *ob = healthz_outbox(0);
	assert_int_equal(json_integer_value(json_object_get(ob, "events")), 25);
	assert_true(json_integer_value(json_object_get(ob, "bytes")) > 0);
	json_decref(ob);
	assert_int_equal(daemon_metric(&N[0], "wfmond_cluster_outbox_events"), 25);
	/* The node's own subscriber saw each acknowledged event once, pending
	 * (no position), in order; the other nodes' saw nothing of them. */
	static char pend[40][64];
	assert_int_equal(read_pending(a, "execution:x-rr", 40, pend, 1500), 25);
	assert_away_ids(pend, 25);
	assert_null(client_recv_type(b, "event", 300));
	assert_null(client_recv_type(c, "event", 100));
	/* The node's client that did not ask for them: nothing (it may take
	 * "seq" as required), also when it subscribes again meanwhile. */
	assert_null(client_recv_type(an, "event", 100));
	struct wsc *ln = open_as(0, "acme", "rr-late-plain", "viewer");
	subscribe_ok(ln, "execution:x-rr", -1, false);
	assert_null(client_recv_type(ln, "event", 300));
	wsc_free(ln);
	/* A console that subscribes to node A meanwhile gets them after its
	 * answer (whose snapshot, following the numbered stream, has none). */
	struct wsc *la = open_pending(0, "rr-late-a");
	subscribe_ok(la, "execution:x-rr", -1, false);
	assert_int_equal(read_pending(la, "execution:x-rr", 40, pend, 1500), 25);
	assert_away_ids(pend, 25);
	/* And one that resumes from where it was (the position before the outage). */
	struct wsc *ra = open_pending(0, "rr-resume-a");
	json_t *sub = client_subscribe(ra, "execution:x-rr", -1);
	assert_non_null(sub);
	long long before = json_integer_value(json_object_get(sub, "seq"));
	json_decref(sub);
	assert_int_equal(read_pending(ra, "execution:x-rr", 40, pend, 1500), 25);
	wsc_free(ra);
	ra = open_pending(0, "rr-resume-a2");
	subscribe_ok(ra, "execution:x-rr", before, true);
	assert_int_equal(read_pending(ra, "execution:x-rr", 40, pend, 1500), 25);
	assert_away_ids(pend, 25);
	wsc_free(ra);
	/* Nodes still serve their own clients, and say in the organization's
	 * summary (what the console's header shows) that peers are delayed,
	 * and how many of the organization's events the node holds. */
	struct wsc *late = open_as(1, "acme", "rr-late", "viewer");
	assert_string_equal(summary_peers(late), "delayed");
	wsc_free(late);
	late = open_as(0, "acme", "rr-late-o", "viewer");
	json_t *snap = client_subscribe(late, "org", -1);
	assert_non_null(snap);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(json_object_get(snap,
			 "snapshot"), "summary"), "system"), "outbox")), 25);
	json_decref(snap);
	wsc_free(late);

	assert_int_equal(redis_start(), 0);
	/* Back: the outbox goes first, then what the producer sends next. */
	publish_logs(pa, "rr", 20, 20, "x-rr");
	static char il[TOTAL + 8][64];
	long long pl[TOTAL + 8];
	pending_skipped = 0;
	assert_int_equal(read_events(b, TOTAL + 8 - 20, ib + 20, pb_ + 20, 5000), TOTAL - 20);
	assert_int_equal(read_events(c, TOTAL + 8 - 20, ic + 20, pc + 20, 1000), TOTAL - 20);
	/* The client that did not ask for pending events gets every event
	 * once, numbered; never one without a position. */
	assert_int_equal(read_events(an, TOTAL + 8 - 20, in + 20, pn + 20, 1000), TOTAL - 20);
	assert_int_equal(pending_skipped, 0);
	/* Node A's subscribers may also see the batch sent after the restart
	 * pending, while the outbox still held older ones: at most those 20. */
	assert_int_equal(read_events(a, TOTAL + 8 - 20, ia + 20, pa_ + 20, 1000), TOTAL - 20);
	assert_int_equal(read_events(la, TOTAL + 8, il, pl, 1000), TOTAL - 20);
	assert_true(pending_skipped <= 2 * 20);
	for (int i = 0; i < TOTAL - 20; i++) {
		assert_string_equal(il[i], ia[20 + i]);
		assert_int_equal(pl[i], pa_[20 + i]);
	}
	wsc_free(la);
	for (int i = 0; i < TOTAL; i++) {
		char want[32];
		if (i < 20)
			snprintf(want, sizeof want, "rr-%d", i);
		else if (i < 45)
			snprintf(want, sizeof want, "rr-away-%d", i - 20);
		else
			snprintf(want, sizeof want, "rr-%d", i - 25);
		assert_string_equal(ib[i], want);
		assert_string_equal(ic[i], want);
		assert_string_equal(ia[i], want);
		assert_string_equal(in[i], want);
		assert_int_equal(pb_[i], pc[i]);
		assert_int_equal(pb_[i], pa_[i]);
		assert_int_equal(pb_[i], pn[i]);
		if (i > 0)
			assert_true(pb_[i] > pb_[i - 1]);
	}
	assert_true(wait_outbox_empty(0, 5000));
	assert_int_equal(daemon_metric(&N[0], "wfmond_cluster_peers_delayed"), 0);
	late = open_as(2, "acme", "rr-late2", "viewer");
	assert_string_equal(summary_peers(late), "current");
	wsc_free(late);
	/* Stored once each, at the positions delivered. */
	assert_true(wait_count("acme", "event_id LIKE 'rr-%'", TOTAL, 15000));
	assert_stored_at(ib, pb_, TOTAL);
	wsc_free(pa);
	wsc_free(a);
	wsc_free(an);
	wsc_free(b);
	wsc_free(c);
}

/* Node 0 killed while its outbox holds acknowledged batches and Redis is
 * still away: restarted, it finds them again and sends them when Redis is
 * back; everything delivered and stored once. */
static void test_outbox_survives_kill9(void **state)
{
	(void)state;
	struct wsc *b = watcher(1, "ko-b", "execution:x-ko");
	struct wsc *c = watcher(2, "ko-c", "execution:x-ko");
	struct wsc *pa = open_as(0, "acme", "ko-a", "producer");
	publish_logs(pa, "ko", 0, 5, "x-ko");
	redis_stop();
	wait_peers_delayed(0);
	for (int k = 1; k < 5; k++)
		publish_logs(pa, "ko", k * 5, 5, "x-ko");
	kill(N[0].pid, SIGKILL);
	waitpid(N[0].pid, NULL, 0);
	N[0].pid = 0;
	wsc_free(pa);
	node_restart_with(0, NULL, NULL);
	json_t *ob = healthz_outbox(0);
	assert_int_equal(json_integer_value(json_object_get(ob, "batches")), 4);
	assert_int_equal(json_integer_value(json_object_get(ob, "events")), 20);
	json_decref(ob);
	struct wsc *a = watcher_pending(0, "ko-a-viewer", "execution:x-ko");
	/* What the outbox kept across the kill is shown pending, in order. */
	static char pend[32][64];
	assert_int_equal(read_pending(a, "execution:x-ko", 32, pend, 1500), 20);
	for (int i = 0; i < 20; i++) {
		char want[32];
		snprintf(want, sizeof want, "ko-%d", 5 + i);
		assert_string_equal(pend[i], want);
	}
	assert_int_equal(redis_start(), 0);
	enum { TOTAL = 25 };
	static char ia[TOTAL + 8][64], ib[TOTAL + 8][64], ic[TOTAL + 8][64];
	long long pa_[TOTAL + 8], pb_[TOTAL + 8], pc[TOTAL + 8];
	assert_int_equal(read_events(b, TOTAL + 8, ib, pb_, 8000), TOTAL);
	assert_int_equal(read_events(c, TOTAL + 8, ic, pc, 1000), TOTAL);
	/* Node 0's own subscriber gets what Redis numbered after its restart. */
	assert_int_equal(read_events(a, TOTAL + 8, ia, pa_, 1000), TOTAL - 5);
	for (int i = 0; i < TOTAL; i++) {
		char want[32];
		snprintf(want, sizeof want, "ko-%d", i);
		assert_string_equal(ib[i], want);
		assert_string_equal(ic[i], want);
		assert_int_equal(pb_[i], pc[i]);
		if (i >= 5) {
			assert_string_equal(ia[i - 5], want);
			assert_int_equal(pa_[i - 5], pb_[i]);
		}
	}
	assert_true(wait_outbox_empty(0, 5000));
	assert_true(wait_count("acme", "event_id LIKE 'ko-%'", TOTAL, 15000));
	assert_stored_at(ib, pb_, TOTAL);
	wsc_free(a);
	wsc_free(b);
	wsc_free(c);
}

/* A tiny outbox: past its bound a batch is refused "unavailable" as a whole
 * and nothing of it is delivered or stored; every batch acknowledged is.
 * The bound is on every byte the outbox holds: refused at the limit, not
 * before, and each batch costs more than its events' text (route keys, the
 * id set, the index). */
static void test_outbox_bound_refuses(void **state)
{
	(void)state;
	enum { MAX = 12288 };
	node_restart_with(2, "--cluster-outbox-max", "12288");
	struct wsc *b = watcher(1, "ob-b", "execution:x-ob");
	struct wsc *pc = open_as(2, "acme", "ob-c", "producer");
	redis_stop();
	wait_peers_delayed(2);
	int acked = 0, refused_at = -1;
	long before = 0, text = 0;
	for (int k = 0; k < 20 && refused_at < 0; k++) {
		json_t *ack = publish_log_batch(pc, "ob", k * 5, 5, "x-ob", NULL);
		assert_non_null(ack);
		assert_string_equal(jstr(ack, "type"), "ack");
		json_int_t rejected = json_integer_value(json_object_get(ack, "rejected"));
		if (rejected == 0) {
			acked++;
			/* What this batch costs, against its events' text. */
			long now = daemon_metric(&N[2], "wfmond_cluster_outbox_bytes");
			text = 0;
			for (int i = 0; i < 5; i++) {
				char eid[32], msg[64];
				snprintf(eid, sizeof eid, "ob-%d", k * 5 + i);
				snprintf(msg, sizeof msg, "\"level\":\"info\",\"message\":\"line %d\"", k * 5 + i);
				char *ev = event_json("log", eid, "x-ob", msg);
				text += (long)strlen(ev);
				free(ev);
			}
			assert_true(now - before > text + 5 * 100);
			before = now;
		} else {
			/* Refused as a whole, each event "unavailable". */
			assert_int_equal(rejected, 5);
			for (size_t i = 0; i < 5; i++)
				assert_string_equal(jstr(json_array_get(json_object_get(ack, "results"), i), "code"),
						    "unavailable");
			refused_at = k;
		}
		json_decref(ack);
	}
	assert_true(acked >= 2);
	assert_int_equal(refused_at, acked);
	assert_int_equal(daemon_metric(&N[2], "wfmond_cluster_outbox_events"), acked * 5);
	/* Within the bound, and refused at it: the refused batch (ids and lines
	 * as long or longer) would cost at least what the last one did. */
	long held = daemon_metric(&N[2], "wfmond_cluster_outbox_bytes");
	assert_true(held <= MAX);
	assert_true(held + held / acked > MAX);
	assert_int_equal(redis_start(), 0);
	static char ib[128][64];
	long long pb_[128];
	assert_int_equal(read_events(b, 128, ib, pb_, 8000), acked * 5);
	for (int i = 0; i < acked * 5; i++) {
		char want[32];
		snprintf(want, sizeof want, "ob-%d", i);
		assert_string_equal(ib[i], want);
	}
	assert_true(wait_outbox_empty(2, 5000));
	assert_true(wait_count("acme", "event_id LIKE 'ob-%'", acked * 5, 15000));
	/* Nothing of the refused batch was kept... until the producer sends it again. */
	char where[64];
	snprintf(where, sizeof where, "event_id = 'ob-%d'", refused_at * 5);
	assert_int_equal(count_in("acme", where), 0);
	publish_logs(pc, "ob", refused_at * 5, 5, "x-ob");
	assert_int_equal(read_events(b, 128, ib, pb_, 3000), 5);
	assert_true(wait_count("acme", "event_id LIKE 'ob-%'", acked * 5 + 5, 15000));
	wsc_free(pc);
	wsc_free(b);
	/* Node 2 as the other tests know it. */
	node_restart_with(2, NULL, NULL);
}

/* A console that subscribes during a long outage gets the pending events
 * that fit in half of its connection's output limits, the newest, in order,
 * and is not cut off for them. */
static void test_pending_replay_bounded(void **state)
{
	(void)state;
	node_restart_with(0, "--outq-max-messages", "16");
	struct wsc *pa = open_as(0, "acme", "pb-a", "producer");
	redis_stop();
	wait_peers_delayed(0);
	enum { TOTAL = 30 };
	for (int k = 0; k < TOTAL / 5; k++)
		publish_logs(pa, "pb", k * 5, 5, "x-pb");
	struct wsc *a = watcher_pending(0, "pb-a-viewer", "execution:x-pb");
	static char pend[TOTAL + 8][64];
	int got = read_pending(a, "execution:x-pb", TOTAL + 8, pend, 1500);
	assert_true(got >= 1 && got <= 8);
	for (int i = 0; i < got; i++) {
		char want[32];
		snprintf(want, sizeof want, "pb-%d", TOTAL - got + i);
		assert_string_equal(pend[i], want);
	}
	/* Still served. */
	json_t *pong = client_request(a, "{\"type\":\"ping\",\"id\":\"p\"}", 3000);
	assert_non_null(pong);
	assert_string_equal(jstr(pong, "type"), "pong");
	json_decref(pong);
	/* (Its numbered copies, all at once when Redis is back, are more than
	 * these limits let a connection hold: the other tests follow them.) */
	wsc_free(a);
	assert_int_equal(redis_start(), 0);
	assert_true(wait_outbox_empty(0, 5000));
	wsc_free(pa);
	/* Node 0 as the other tests know it. */
	node_restart_with(0, NULL, NULL);
}

/* ---- a lost reply -------------------------------------------------------------------------- */

/* Node 0 talks to Redis through a relay that loses Redis's answer to a
 * producer's batch after Redis ran the script (numbered and appended it):
 * the batch is acknowledged from the outbox all the same, and once the link
 * is back it is not numbered a second time: every subscriber of every node
 * gets each event once, and PostgreSQL stores each once, at the position it
 * was delivered at. (Before, the batch was refused, the producer's retry was
 * numbered again and stored under that second position.) */
/* Node 0 restarted to talk to Redis through rl (started here). */
static void node0_through_relay(struct relay *rl)
{
	assert_int_equal(relay_start(rl, redis_port), 0);
	char url[64];
	snprintf(url, sizeof url, "redis://127.0.0.1:%d", rl->port);
	node_restart_with(0, "--cluster", url);
	wait_peers(0, "current");
}

/* Publishes batches of `batch` events PREFIX-sent.. to exec on node 0's
 * producer pa, each while rl loses Redis's answers, until node 0 has lost
 * the answer to one (asserted); rl is left losing. Returns the events sent
 * in all. The link may already be down when a batch comes (a lease renewal
 * lost first): then it only waits in the outbox, and is let go first. */
static int publish_until_reply_lost(struct relay *rl, struct wsc *pa, const char *prefix, const char *exec, int sent,
				    int batch)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		relay_lose(rl, true);
		/* Like a producer, the test sends a refused batch again. */
		json_t *ack = NULL;
		for (int tries = 0; tries < 50; tries++) {
			ack = publish_log_batch(pa, prefix, sent, batch, exec, NULL);
			assert_non_null(ack);
			if (json_integer_value(json_object_get(ack, "rejected")) == 0)
				break;
			json_decref(ack);
			ack = NULL;
			usleep(100000);
		}
		assert_non_null(ack);
		json_decref(ack);
		sent += batch;
		if (daemon_metric(&N[0], "wfmond_cluster_lost_replies_total") >= 1)
			break;
		relay_lose(rl, false);
		assert_true(wait_outbox_empty(0, 10000));
		wait_peers(0, "current");
	}
	assert_int_equal(daemon_metric(&N[0], "wfmond_cluster_lost_replies_total"), 1);
	return sent;
}

static void test_lost_reply_keeps_first_position(void **state)
{
	(void)state;
	struct relay rl;
	node0_through_relay(&rl);
	struct wsc *a = watcher(0, "lr-a", "execution:x-lr");
	struct wsc *b = watcher(1, "lr-b", "execution:x-lr");
	struct wsc *c = watcher(2, "lr-c", "execution:x-lr");
	struct wsc *pa = open_as(0, "acme", "lr-a-producer", "producer");
	enum { BATCH = 5, MAX = 8 * BATCH };
	publish_logs(pa, "lr", 0, BATCH, "x-lr");
	int sent = publish_until_reply_lost(&rl, pa, "lr", "x-lr", BATCH, BATCH);
	relay_lose(&rl, false);
	assert_true(wait_outbox_empty(0, 10000));
	wait_peers(0, "current");
	/* Then the stream goes on. */
	publish_logs(pa, "lr", sent, BATCH, "x-lr");
	sent += BATCH;
	/* Each event once, in order, at the same positions on every node. */
	static char ib[MAX + 8][64];
	long long pb_[MAX + 8];
	read_in_order((struct wsc *[]){ b, c, a }, 3, "lr", sent, ib, pb_);
	/* Stored once each, at the position delivered. */
	char like[32];
	snprintf(like, sizeof like, "event_id LIKE 'lr-%%'");
	assert_true(wait_count("acme", like, sent, 15000));
	assert_stored_at(ib, pb_, sent);
	wsc_free(pa);
	wsc_free(a);
	wsc_free(b);
	wsc_free(c);
	/* Node 0 as the other tests know it. */
	node_restart_with(0, NULL, NULL);
	relay_stop(&rl);
}

/* The lost answer again, and node 0 killed (kill -9) before its outbox sent
 * the batch: it starts again reading the stream from its end, so its recent
 * events do not know the first copy that Redis did append (delivered by
 * nodes 1 and 2). The outbox kept where node 0's reader stood when the
 * batch went: the publish script looks from there, finds the first copy,
 * and the events keep the position every subscriber got them at, also in
 * PostgreSQL (before, they were numbered and stored a second time). */
static void test_lost_reply_then_kill9_keeps_first_position(void **state)
{
	(void)state;
	struct relay rl;
	node0_through_relay(&rl);
	struct wsc *b = watcher(1, "lk-b", "execution:x-lk");
	struct wsc *c = watcher(2, "lk-c", "execution:x-lk");
	struct wsc *pa = open_as(0, "acme", "lk-a-producer", "producer");
	enum { BATCH = 5, MAX = 8 * BATCH };
	publish_logs(pa, "lk", 0, BATCH, "x-lk");
	int sent = publish_until_reply_lost(&rl, pa, "lk", "x-lk", BATCH, BATCH);
	/* Killed with the batch in its outbox; back straight on Redis. */
	kill(N[0].pid, SIGKILL);
	waitpid(N[0].pid, NULL, 0);
	N[0].pid = 0;
	wsc_free(pa);
	relay_stop(&rl);
	node_restart_with(0, NULL, NULL);
	static char ib[MAX + 8][64];
	long long pb_[MAX + 8];
	read_in_order((struct wsc *[]){ b, c }, 2, "lk", sent, ib, pb_);
	assert_true(wait_outbox_empty(0, 10000));
	assert_int_equal(daemon_metric(&N[0], "wfmond_cluster_already_numbered_total"), BATCH);
	char like[32];
	snprintf(like, sizeof like, "event_id LIKE 'lk-%%'");
	assert_true(wait_count("acme", like, sent, 15000));
	assert_stored_at(ib, pb_, sent);
	wsc_free(b);
	wsc_free(c);
}

/* ---- a node killed ------------------------------------------------------------------------- */

static void test_node_killed_under_load(void **state)
{
	(void)state;
	struct wsc *b = watcher(1, "k9-b", "execution:x-k9");
	struct wsc *c = watcher(2, "k9-c", "execution:x-k9");
	struct wsc *pa = open_as(0, "acme", "k9-a", "producer");
	enum { BATCH = 10, ACKED = 15 };
	for (int k = 0; k < ACKED; k++)
		publish_logs(pa, "k9", k * BATCH, BATCH, "x-k9");
	/* One more batch on its way, and node 0 dies under it: not acknowledged. */
	char *arr = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&arr, &len);
	fputs("{\"type\":\"publish\",\"id\":999,\"events\":[", f);
	for (int k = 0; k < BATCH; k++) {
		char eid[32];
		snprintf(eid, sizeof eid, "k9-%d", ACKED * BATCH + k);
		char *ev = event_json("log", eid, "x-k9", "\"level\":\"info\",\"message\":\"in flight\"");
		fprintf(f, "%s%s", k ? "," : "", ev);
		free(ev);
	}
	fputs("]}", f);
	fclose(f);
	assert_int_equal(client_send(pa, arr), 0);
	free(arr);
	kill(N[0].pid, SIGKILL);
	waitpid(N[0].pid, NULL, 0);
	N[0].pid = 0;
	wsc_free(pa);
	/* The producer sends the unacknowledged batch again, to another node. */
	struct wsc *pb = open_as(1, "acme", "k9-b-producer", "producer");
	json_decref(publish_log_batch(pb, "k9", ACKED * BATCH, BATCH, "x-k9", "in flight"));
	publish_logs(pb, "k9", (ACKED + 1) * BATCH, BATCH, "x-k9");
	enum { TOTAL = (ACKED + 2) * BATCH };
	static char ib[TOTAL + 8][64];
	long long pb_[TOTAL + 8];
	/* Every event delivered to both, once, in the same order. */
	read_in_order((struct wsc *[]){ b, c }, 2, "k9", TOTAL, ib, pb_);
	/* Node 0 back on its spool: everything stored, once. */
	node_restart_with(0, NULL, NULL);
	assert_true(wait_count("acme", "event_id LIKE 'k9-%'", TOTAL, 20000));
	char where[128];
	snprintf(where, sizeof where, "event_id = 'k9-%d' AND pos = %lld", ACKED * BATCH + 3, pb_[ACKED * BATCH + 3]);
	assert_int_equal(count_in("acme", where), 1);
	wsc_free(pb);
	wsc_free(b);
	wsc_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_order_on_every_node),
		cmocka_unit_test(test_scripts_flushed_in_redis),
		cmocka_unit_test(test_resume_on_another_node),
		cmocka_unit_test(test_tenants_apart_across_nodes),
		cmocka_unit_test(test_cancel_reaches_a_producer_on_another_node),
		cmocka_unit_test(test_cancel_refused_when_no_producer_anywhere),
		cmocka_unit_test(test_priority_reaches_every_node),
		cmocka_unit_test(test_schedules_reach_every_node),
		cmocka_unit_test(test_stored_once_also_when_retried_elsewhere),
		cmocka_unit_test(test_same_batch_on_two_nodes_at_once),
		cmocka_unit_test(test_alert_fires_once_for_the_cluster),
		cmocka_unit_test(test_redis_restart_loses_nothing),
		cmocka_unit_test(test_node_killed_under_load),
		cmocka_unit_test(test_outbox_survives_kill9),
		cmocka_unit_test(test_outbox_bound_refuses),
		cmocka_unit_test(test_pending_replay_bounded),
		cmocka_unit_test(test_lost_reply_keeps_first_position),
		cmocka_unit_test(test_lost_reply_then_kill9_keeps_first_position),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
