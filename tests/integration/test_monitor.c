/* test_monitor.c: the queue numbers wfmond pushes match what the test computes
 * from the events it sent; prioritizing a queued execution makes wfmon-sim
 * start it before the others; resource samples reach the resources room. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "proto.h"

static struct daemon D;

static long long wall_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	static const char *const extra[] = { "--queue-backlog-threshold", "5", "--sample-interval", "1", NULL };
	return daemon_start(&D, extra);
}

static int teardown(void **state)
{
	(void)state;
	return daemon_stop(&D) == 0 ? 0 : -1;
}

/* An event with an explicit timestamp (ms since the epoch). */
static char *event_at(const char *kind, const char *eid, const char *exec, long long ts_ms, const char *extra)
{
	char ts[40];
	proto_time_format(ts_ms, ts, sizeof ts);
	char *out;
	assert_true(asprintf(&out,
			     "{\"type\":\"%s\",\"id\":\"%s\",\"execution_id\":\"%s\",\"workflow_id\":\"vat\","
			     "\"ts\":\"%s\"%s%s}", kind, eid, exec, ts, extra && *extra ? "," : "",
			     extra ? extra : "") > 0);
	return out;
}

static void publish(struct wsc *p, char *event)
{
	char *arr;
	assert_true(asprintf(&arr, "[%s]", event) > 0);
	json_t *ack = client_publish(p, arr);
	assert_int_equal(json_integer_value(json_object_get(ack, "rejected")), 0);
	json_decref(ack);
	free(arr);
	free(event);
}

static void test_queue_numbers_match_events(void **state)
{
	(void)state;
	char *pt = daemon_token(&D, "q1", "engine", "producer");
	char *vt = daemon_token(&D, "q1", "ann", "viewer");
	struct wsc *p = client_open(&D, pt);
	long long now = wall_ms();
	/* Eight queued a minute ago, a second apart. */
	static const char *const prio[8] = { "HIGH", "NORMAL", "LOW", "NORMAL", "HIGH", "NORMAL", "LOW", "NORMAL" };
	const char plan[] = "\"workflow_name\":\"vat-calculation\",\"priority\":\"%s\","
			    "\"steps\":[{\"id\":\"s\",\"name\":\"compute\"}]";
	for (int i = 0; i < 8; i++) {
		char eid[16], x[16], extra[256];
		snprintf(eid, sizeof eid, "q-%d", i);
		snprintf(x, sizeof x, "x-%d", i);
		snprintf(extra, sizeof extra, plan, prio[i]);
		publish(p, event_at("execution.queued", eid, x, now - 60000 + i * 1000, extra));
	}
	/* x-0 waited 20 s, x-1 waited 41 s; x-0 finished 10 s ago. */
	publish(p, event_at("execution.started", "s-0", "x-0", now - 40000, ""));
	publish(p, event_at("execution.started", "s-1", "x-1", now - 18000, ""));
	publish(p, event_at("execution.completed", "c-0", "x-0", now - 10000, ""));

	struct wsc *v = client_open(&D, vt);
	json_t *a = client_subscribe(v, "queue", -1);
	json_t *snap = json_object_get(a, "snapshot");
	assert_int_equal(json_array_size(json_object_get(snap, "queued")), 6);
	json_t *n = json_object_get(snap, "numbers");
	assert_non_null(n);
	/* What the events say: */
	assert_int_equal(json_integer_value(json_object_get(n, "depth")), 6);
	json_t *by = json_object_get(n, "by_priority");
	assert_int_equal(json_integer_value(json_object_get(by, "HIGH")), 1);    /* x-4 */
	assert_int_equal(json_integer_value(json_object_get(by, "NORMAL")), 3);  /* x-3, x-5, x-7 */
	assert_int_equal(json_integer_value(json_object_get(by, "LOW")), 2);     /* x-2, x-6 */
	assert_string_equal(jstr(json_object_get(n, "oldest"), "execution_id"), "x-2");
	assert_int_equal(json_integer_value(json_object_get(n, "avg_wait_ms")), (20000 + 41000) / 2);
	/* One finished within the 5-minute window: 0.2 a minute, 6 / 0.2 = 30 minutes. */
	assert_true(json_number_value(json_object_get(n, "rate_per_min")) > 0.199 &&
		    json_number_value(json_object_get(n, "rate_per_min")) < 0.201);
	long long eta = json_integer_value(json_object_get(n, "eta_ms"));
	assert_true(eta > 1790000 && eta < 1810000);
	assert_true(json_is_true(json_object_get(n, "backlog")));
	assert_int_equal(json_integer_value(json_object_get(n, "threshold")), 5);
	json_decref(a);

	/* A change is pushed within about a second. */
	publish(p, event_at("execution.cancelled", "k-2", "x-2", wall_ms(), "\"reason\":\"duplicate\""));
	json_t *m;
	long long until = wall_ms() + 3000;
	bool seen = false;
	while (!seen && wall_ms() < until) {
		if ((m = client_recv(v, 200)) == NULL)
			continue;
		if (strcmp(jstr(m, "type"), "stats") == 0) {
			json_t *d = json_object_get(m, "data");
			if (json_integer_value(json_object_get(d, "depth")) == 5) {
				seen = true;
				assert_string_equal(jstr(json_object_get(d, "oldest"), "execution_id"), "x-3");
				assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "by_priority"), "LOW")), 1);
				assert_true(json_is_true(json_object_get(d, "backlog")));
			}
		}
		json_decref(m);
	}
	assert_true(seen);
	wsc_free(v);
	wsc_free(p);
	free(pt);
	free(vt);
}

static void test_prioritize_starts_sooner(void **state)
{
	(void)state;
	char *pt = daemon_token(&D, "q2", "engine", "producer");
	char *ot = daemon_token(&D, "q2", "olga", "operator");
	char *vt = daemon_token(&D, "q2", "ann", "viewer");
	char tf[400];
	snprintf(tf, sizeof tf, "%s/q2-producer.token", D.dir);
	FILE *f = fopen(tf, "w");
	fputs(pt, f);
	fclose(f);
	const char *sim_args[] = { "--token-file", tf, "--seed", "9", "--workers", "1", "--rate", "240",
				   "--speed", "4", "--workflows", "month-end-closing", NULL };
	pid_t sim = simproc_start(&D, sim_args);
	struct wsc *o = client_open(&D, ot);
	json_decref(client_subscribe(o, "org", -1));

	/* One worker, long executions: a queue builds up. Pick the newest NORMAL. */
	json_t *chosen = NULL, *queued = NULL;
	long long until = wall_ms() + 20000;
	while (chosen == NULL && wall_ms() < until) {
		struct wsc *v = client_open(&D, vt);
		json_t *a = client_subscribe(v, "queue", -1);
		json_t *list = json_object_get(json_object_get(a, "snapshot"), "queued");
		int normals = 0;
		size_t i;
		json_t *x;
		json_array_foreach(list, i, x)
			normals += strcmp(jstr(x, "priority"), "NORMAL") == 0;
		if (normals >= 3) {
			queued = json_incref(list);
			for (i = json_array_size(list); i-- > 0;)
				if (strcmp(jstr(json_array_get(list, i), "priority"), "NORMAL") == 0) {
					chosen = json_string(jstr(json_array_get(list, i), "id"));
					break;
				}
		}
		json_decref(a);
		wsc_free(v);
		if (chosen == NULL)
			usleep(300000);
	}
	assert_non_null(chosen);

	/* A viewer may not; an operator may. */
	char req[256];
	struct wsc *v = client_open(&D, vt);
	snprintf(req, sizeof req, "{\"type\":\"prioritize\",\"id\":1,\"execution_id\":\"%s\",\"priority\":\"HIGH\"}",
		 json_string_value(chosen));
	assert_int_equal(client_send(v, req), 0);
	json_t *e = client_recv_type(v, "error", 3000);
	assert_string_equal(jstr(e, "code"), "forbidden");
	json_decref(e);
	wsc_free(v);
	assert_int_equal(client_send(o, req), 0);
	json_t *done = client_recv_type(o, "done", 3000);
	assert_non_null(done);
	json_decref(done);

	/* No NORMAL or LOW execution queued before the change starts before it. */
	bool started = false;
	until = wall_ms() + 60000;
	json_t *m;
	while (!started && wall_ms() < until && (m = client_recv(o, 1000)) != NULL) {
		json_t *ev = json_object_get(m, "event");
		if (strcmp(jstr(ev, "type"), "execution.started") == 0) {
			const char *id = jstr(ev, "execution_id");
			if (strcmp(id, json_string_value(chosen)) == 0) {
				started = true;
			} else {
				size_t i;
				json_t *x;
				json_array_foreach(queued, i, x)
					if (strcmp(jstr(x, "id"), id) == 0 && strcmp(jstr(x, "priority"), "HIGH") != 0)
						fail_msg("%s (%s) started before the prioritized %s", id,
							 jstr(x, "priority"), json_string_value(chosen));
			}
		}
		json_decref(m);
	}
	assert_true(started);
	kill(sim, SIGKILL);
	waitpid(sim, NULL, 0);
	json_decref(chosen);
	json_decref(queued);
	wsc_free(o);
	free(pt);
	free(ot);
	free(vt);
}

static void test_resource_samples(void **state)
{
	(void)state;
	char *vt = daemon_token(&D, "q3", "ann", "viewer");
	struct wsc *v = client_open(&D, vt);
	json_t *a = client_subscribe(v, "resources", -1);
	assert_non_null(json_object_get(json_object_get(a, "snapshot"), "workers"));
	json_decref(a);
	json_t *m = client_recv_type(v, "stats", 4000);
	assert_non_null(m);
	json_t *d = json_object_get(m, "data");
	assert_true(json_integer_value(json_object_get(json_object_get(d, "host"), "mem_total_bytes")) > 0);
	assert_true(json_integer_value(json_object_get(json_object_get(d, "daemon"), "rss_bytes")) > 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "websocket"), "connections")), 1);
	assert_string_equal(jstr(json_object_get(d, "database"), "state"), "not configured");
	assert_non_null(json_object_get(d, "top_consumers"));
	json_decref(m);
	wsc_free(v);
	free(vt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_numbers_match_events),
		cmocka_unit_test(test_resource_samples),
		cmocka_unit_test(test_prioritize_starts_sooner),
	};
	return cmocka_run_group_tests_name("monitor", tests, setup, teardown);
}
