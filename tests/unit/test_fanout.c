/* test_fanout.c: the daemon's bounded structures without a network: the
 * outbound queue, the duplicate window, the string map, rooms (keys, limits,
 * positions, resume) and the settings table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "dedup.h"
#include "frame.h"
#include "org.h"
#include "outq.h"
#include "room.h"
#include "server.h"
#include "strmap.h"

/* ---- outq ------------------------------------------------------------------------- */

static void test_outq_limits_by_messages_and_bytes(void **state)
{
	(void)state;
	struct outq q;
	outq_init(&q, 4, 1000);
	struct frame *f = frame_new_text("hello", 5);   /* 2 + 5 bytes */
	for (int i = 0; i < 4; i++)
		assert_int_equal(outq_push(&q, f), 0);
	assert_int_equal(outq_push(&q, f), -1);
	assert_int_equal(q.count, 4);
	assert_int_equal(q.bytes, 4 * 7);
	assert_int_equal(f->refs, 5);
	outq_clear(&q);
	assert_int_equal(f->refs, 1);

	outq_init(&q, 100, 20);
	assert_int_equal(outq_push(&q, f), 0);
	assert_int_equal(outq_push(&q, f), 0);
	assert_int_equal(outq_push(&q, f), -1);   /* 21 > 20 bytes */
	outq_clear(&q);
	frame_unref(f);
}

/* What flush.c does with a socket that takes `accept` bytes per write. */
static void gather_consume_all(struct outq *q, size_t accept, uint8_t *wire, size_t *wirelen)
{
	uint8_t buf[64];
	while (!outq_empty(q)) {
		size_t n = outq_gather(q, buf, sizeof buf);
		assert_true(n > 0 && n <= sizeof buf);
		size_t sent = n < accept ? n : accept;
		memcpy(wire + *wirelen, buf, sent);
		*wirelen += sent;
		size_t cut = outq_consume(q, sent);
		if (cut > 0) {
			/* The rest of a cut frame goes next (lws sends it in flush.c). */
			struct frame *f = outq_peek(q);
			memcpy(wire + *wirelen, f->data + cut, f->len - cut);
			*wirelen += f->len - cut;
			outq_pop(q);
		}
	}
}

static void test_outq_gather_and_consume_keep_frames_whole_and_in_order(void **state)
{
	(void)state;
	/* A socket that takes everything, one that takes 6 bytes (one frame) and
	 * one that takes 7 (cuts every other frame). */
	const size_t accepts[] = { 1 << 20, 6, 7 };
	for (size_t a = 0; a < sizeof accepts / sizeof accepts[0]; a++) {
		struct outq q;
		outq_init(&q, 1000, 1 << 20);
		char payload[16];
		for (int i = 0; i < 100; i++) {
			snprintf(payload, sizeof payload, "m%03d", i);
			struct frame *f = frame_new_text(payload, 4);
			assert_int_equal(outq_push(&q, f), 0);
			frame_unref(f);
		}
		uint8_t wire[600];
		size_t wirelen = 0;
		gather_consume_all(&q, accepts[a], wire, &wirelen);
		assert_int_equal(wirelen, 600);
		for (int i = 0; i < 100; i++) {
			assert_int_equal(wire[i * 6], 0x81);
			assert_int_equal(wire[i * 6 + 1], 4);
			snprintf(payload, sizeof payload, "m%03d", i);
			assert_memory_equal(wire + i * 6 + 2, payload, 4);
		}
		outq_clear(&q);
	}
}

static void test_outq_gather_reads_only(void **state)
{
	(void)state;
	struct outq q;
	outq_init(&q, 1000, 1 << 20);
	struct frame *small = frame_new_text("abcd", 4);
	assert_int_equal(outq_push(&q, small), 0);
	assert_int_equal(outq_push(&q, small), 0);
	uint8_t buf[64];
	assert_int_equal(outq_gather(&q, buf, sizeof buf), 12);
	assert_int_equal(q.count, 2);
	assert_int_equal(small->refs, 3);
	assert_ptr_equal(outq_at(&q, 1), small);
	assert_null(outq_at(&q, 2));
	/* Nothing sent: nothing popped, nothing cut. */
	assert_int_equal(outq_consume(&q, 0), 0);
	assert_int_equal(q.count, 2);
	/* A frame bigger than the buffer is left for the caller to write alone. */
	outq_clear(&q);
	char big[100];
	memset(big, 'b', sizeof big);
	struct frame *f = frame_new_text(big, sizeof big);
	assert_int_equal(outq_push(&q, f), 0);
	assert_int_equal(outq_gather(&q, buf, sizeof buf), 0);
	assert_ptr_equal(outq_peek(&q), f);
	/* Half of it went: the rest is the caller's to send. */
	assert_int_equal(outq_consume(&q, 50), 50);
	assert_ptr_equal(outq_peek(&q), f);
	frame_unref(f);
	frame_unref(small);
	outq_clear(&q);
}

static void test_outq_wraps_and_grows(void **state)
{
	(void)state;
	struct outq q;
	outq_init(&q, 64, 1 << 20);
	struct frame *frames[200];
	for (int i = 0; i < 200; i++) {
		char p[16];
		snprintf(p, sizeof p, "%03d", i);
		frames[i] = frame_new_text(p, 3);
	}
	/* +5 -3 per round: the ring wraps and grows while order is kept. */
	int pushed = 0, popped = 0;
	for (int round = 0; round < 30; round++) {
		for (int i = 0; i < 5; i++)
			assert_int_equal(outq_push(&q, frames[pushed++]), 0);
		for (int i = 0; i < 3; i++) {
			assert_ptr_equal(outq_peek(&q), frames[popped++]);
			outq_pop(&q);
		}
	}
	assert_int_equal(q.count, 60);
	for (int i = 0; i < 4; i++)
		assert_int_equal(outq_push(&q, frames[pushed++]), 0);
	assert_int_equal(outq_push(&q, frames[pushed]), -1);   /* the 65th */
	while (!outq_empty(&q)) {
		assert_ptr_equal(outq_peek(&q), frames[popped++]);
		outq_pop(&q);
	}
	assert_int_equal(popped, pushed);
	outq_clear(&q);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(frames[i]->refs, 1);
		frame_unref(frames[i]);
	}
}

/* ---- dedup -------------------------------------------------------------------------- */

static void test_dedup_window(void **state)
{
	(void)state;
	struct dedup d;
	dedup_init(&d, 1000);
	char id[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof id, "ev-%d", i);
		assert_false(dedup_seen(&d, id));
		dedup_add(&d, id);
		assert_true(dedup_seen(&d, id));
	}
	/* The last 1000 are remembered, older ones forgotten. */
	for (int i = 0; i < 3000; i++) {
		snprintf(id, sizeof id, "ev-%d", i);
		assert_int_equal(dedup_seen(&d, id), i >= 2000);
	}
	dedup_add(&d, "ev-2999");   /* re-adding does not evict */
	assert_true(dedup_seen(&d, "ev-2000"));
	assert_int_equal(d.slots, 1000);
	dedup_free(&d);

	/* Nothing allocated until the first id; then the tables grow with the
	 * ids, every one kept across each doubling. */
	dedup_init(&d, 100000);
	assert_false(dedup_seen(&d, "ev-0"));
	assert_null(d.fifo);
	for (int i = 0; i < 300; i++) {
		snprintf(id, sizeof id, "ev-%d", i);
		dedup_add(&d, id);
	}
	assert_int_equal(d.slots, 512);
	for (int i = 0; i < 400; i++) {
		snprintf(id, sizeof id, "ev-%d", i);
		assert_int_equal(dedup_seen(&d, id), i < 300);
	}
	dedup_free(&d);
}

/* ---- strmap ----------------------------------------------------------------------------- */

static void count_entry(const char *key, void *value, void *arg)
{
	(void)key;
	(void)value;
	(*(int *)arg)++;
}

static void test_strmap(void **state)
{
	(void)state;
	struct strmap m;
	strmap_init(&m);
	assert_null(strmap_get(&m, "a"));
	static int values[5000];
	char key[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		assert_null(strmap_put(&m, key, &values[i]));
	}
	assert_int_equal(strmap_count(&m), 5000);
	for (int i = 0; i < 5000; i += 2) {
		snprintf(key, sizeof key, "k%d", i);
		assert_ptr_equal(strmap_remove(&m, key), &values[i]);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		assert_ptr_equal(strmap_get(&m, key), i % 2 ? &values[i] : NULL);
	}
	int n = 0;
	strmap_each(&m, count_entry, &n);
	assert_int_equal(n, 2500);
	assert_ptr_equal(strmap_put(&m, "k1", &values[0]), &values[1]);
	strmap_clear(&m);
}

/* ---- rooms --------------------------------------------------------------------------------- */

static struct server *fake_server(uint32_t max_rooms, uint32_t history)
{
	struct server *s = calloc(1, sizeof *s);
	config_defaults(&s->cfg);
	s->cfg.max_rooms_per_org = max_rooms;
	s->cfg.room_history = history;
	strmap_init(&s->orgs);
	return s;
}

static void free_fake_server(struct server *s)
{
	config_free(&s->cfg);
	free(s);
}

static struct conn *fake_conn(struct server *s, struct org *o)
{
	struct conn *c = calloc(1, sizeof *c);
	c->srv = s;
	c->org = o;
	outq_init(&c->q, 1000, 1 << 20);
	return c;
}

static void test_rooms_keyed_by_org_and_bounded(void **state)
{
	(void)state;
	struct server *s = fake_server(3, 16);
	struct org *a = org_new(s, "acme", 0);
	struct org *b = org_new(s, "beta", 0);
	struct proto_room spec = { .kind = ROOM_EXECUTION };
	snprintf(spec.id, sizeof spec.id, "x1");
	struct room *ra = room_get(a, &spec);
	struct room *rb = room_get(b, &spec);
	assert_non_null(ra);
	assert_non_null(rb);
	/* The same name in two organizations is two rooms. */
	assert_ptr_not_equal(ra, rb);
	assert_ptr_equal(room_find(a, "execution:x1"), ra);
	assert_ptr_equal(room_find(b, "execution:x1"), rb);
	assert_null(room_find(a, "execution:x2"));
	/* At most 3 rooms per organization. */
	spec.kind = ROOM_ORG;
	spec.id[0] = '\0';
	assert_non_null(room_get(a, &spec));
	spec.kind = ROOM_QUEUE;
	assert_non_null(room_get(a, &spec));
	spec.kind = ROOM_ALERTS;
	assert_null(room_get(a, &spec));
	assert_non_null(room_get(b, &spec));
	org_free(a);
	org_free(b);
	free_fake_server(s);
}

static void test_room_positions_history_and_resume(void **state)
{
	(void)state;
	struct server *s = fake_server(10, 4);
	struct org *o = org_new(s, "acme", 0);
	struct proto_room spec = { .kind = ROOM_ORG };
	struct room *r = room_get(o, &spec);
	struct conn *c = fake_conn(s, o);
	room_add(r, c);
	int64_t start = o->pos;
	const char *ev = "{\"type\":\"log\"}";
	/* Positions are the organization's: other rooms' events leave gaps. */
	for (int i = 0; i < 6; i++) {
		o->pos += 2;
		room_publish(r, o->pos, ev, strlen(ev));
	}
	assert_int_equal(c->q.count, 6);
	/* History keeps the last 4: positions start+6 .. start+12. */
	assert_true(room_can_resume(r, start + 12));
	assert_true(room_can_resume(r, start + 5));
	assert_true(room_can_resume(r, start + 4));   /* the newest dropped one: nothing after it lost */
	assert_false(room_can_resume(r, start + 3));
	assert_false(room_can_resume(r, start + 13));  /* never issued */
	assert_false(room_can_resume(r, 5));
	struct conn *late = fake_conn(s, o);
	room_replay(r, start + 8, late);
	assert_int_equal(late->q.count, 2);
	json_t *m = json_loadb((const char *)outq_peek(&late->q)->data + 2, outq_peek(&late->q)->len - 2, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(m, "seq")), start + 10);
	json_decref(m);
	/* A room made later cannot resume positions from before it existed. */
	room_remove(r, c);
	strmap_remove(&o->rooms, r->name);
	int64_t old_last = o->pos;
	room_free(r);
	o->pos += 5;
	r = room_get(o, &spec);
	assert_false(room_can_resume(r, old_last));
	assert_true(room_can_resume(r, o->pos));
	/* A new organization object starts above the wall clock. */
	struct org *o2 = org_new(s, "acme", o->pos + 1000);
	assert_true(o2->pos >= o->pos + 1000);
	org_free(o2);
	outq_clear(&c->q);
	outq_clear(&late->q);
	free(c);
	free(late);
	org_free(o);
	free_fake_server(s);
}

/* The organization's rooms keep room-history-bytes at most: the room that
 * published least recently loses its oldest events first, and can then no
 * longer resume from before them; a room that keeps publishing keeps its own. */
static void test_room_history_bounded_per_org(void **state)
{
	(void)state;
	struct server *s = fake_server(100, 1000);
	struct org *o = org_new(s, "acme", 0);
	struct proto_room spec = { .kind = ROOM_EXECUTION };
	struct room *rooms[3];
	for (int i = 0; i < 3; i++) {
		snprintf(spec.id, sizeof spec.id, "x%d", i);
		rooms[i] = room_get(o, &spec);
	}
	const char *ev = "{\"type\":\"log\",\"message\":\"a line of some length for the test\"}";
	int64_t start = o->pos;
	/* Ten events in each room, round robin, without a budget worth the name. */
	for (int k = 0; k < 30; k++)
		room_publish(rooms[k % 3], ++o->pos, ev, strlen(ev));
	size_t frame = rooms[0]->hist_bytes / 10;
	assert_int_equal(o->hist_bytes, 30 * frame);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rooms[i]->histcount, 10);
		assert_true(room_can_resume(rooms[i], start));
	}
	/* A budget of 25 frames: the next event of x0 makes room in x1, which
	 * has published least recently since (x2 published after it). */
	s->cfg.room_history_bytes = 25 * frame;
	room_publish(rooms[0], ++o->pos, ev, strlen(ev));
	assert_true(o->hist_bytes <= 25 * frame);
	assert_int_equal(o->hist_bytes, rooms[0]->hist_bytes + rooms[1]->hist_bytes + rooms[2]->hist_bytes);
	assert_int_equal(rooms[0]->histcount, 11);
	assert_int_equal(rooms[1]->histcount, 4);
	assert_int_equal(rooms[2]->histcount, 10);
	assert_false(room_can_resume(rooms[1], start));
	assert_true(room_can_resume(rooms[2], start));
	assert_true(room_can_resume(rooms[0], start));
	/* x1 drained entirely, then x2: x0 publishing on and on keeps the most. */
	for (int k = 0; k < 20; k++)
		room_publish(rooms[0], ++o->pos, ev, strlen(ev));
	assert_int_equal(rooms[1]->histcount, 0);
	assert_int_equal(rooms[1]->hist_bytes, 0);
	assert_true(rooms[2]->histcount < 10);
	assert_true(o->hist_bytes <= 25 * frame);
	assert_int_equal(o->hist_bytes, rooms[0]->hist_bytes + rooms[1]->hist_bytes + rooms[2]->hist_bytes);
	/* A freed room gives its bytes back; the list stays whole. */
	strmap_remove(&o->rooms, rooms[2]->name);
	room_free(rooms[2]);
	assert_int_equal(o->hist_bytes, rooms[0]->hist_bytes);
	room_publish(rooms[1], ++o->pos, ev, strlen(ev));
	assert_int_equal(rooms[1]->histcount, 1);
	assert_true(room_can_resume(rooms[1], o->pos - 1));
	org_free(o);
	free_fake_server(s);
}

/* ---- settings -------------------------------------------------------------------------------- */

static void test_config_table(void **state)
{
	(void)state;
	struct config c;
	char cause[256];
	config_defaults(&c);
	assert_int_equal(config_set(&c, "listen", "0.0.0.0:9000", cause, sizeof cause), 0);
	assert_string_equal(c.listen_host, "0.0.0.0");
	assert_int_equal(c.listen_port, 9000);
	assert_int_equal(config_set(&c, "outq-max-bytes", "4M", cause, sizeof cause), 0);
	assert_int_equal(c.outq_max_bytes, 4 << 20);
	static const char *const bad[][2] = {
		{ "listen", "9000" }, { "listen", "host:0" }, { "listen", "host:70000" },
		{ "outq-max-bytes", "12Q" }, { "max-subscriptions", "0" }, { "max-subscriptions", "-3" },
		{ "jwt-alg", "none" }, { "log-level", "loud" }, { "no-such-key", "1" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause[0] = '\0';
		assert_int_equal(config_set(&c, bad[i][0], bad[i][1], cause, sizeof cause), -1);
		assert_true(strlen(cause) > 0);
	}
	/* No key: refuses to start. */
	assert_int_equal(config_check(&c, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, "jwt-secret-file"));

	char path[] = "/tmp/wfmon-conf-XXXXXX";
	int fd = mkstemp(path);
	const char text[] = "# comment\nlisten = 127.0.0.1:7000\n\nmax-subscriptions = 9 # trailing\nbogus line\n";
	assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fd);
	assert_int_equal(config_load_file(&c, path, cause, sizeof cause), -1);
	assert_non_null(strstr(cause, ":5:"));
	assert_int_equal(c.max_subscriptions, 9);
	unlink(path);
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outq_limits_by_messages_and_bytes),
		cmocka_unit_test(test_outq_gather_and_consume_keep_frames_whole_and_in_order),
		cmocka_unit_test(test_outq_gather_reads_only),
		cmocka_unit_test(test_outq_wraps_and_grows),
		cmocka_unit_test(test_dedup_window),
		cmocka_unit_test(test_strmap),
		cmocka_unit_test(test_rooms_keyed_by_org_and_bounded),
		cmocka_unit_test(test_room_positions_history_and_resume),
		cmocka_unit_test(test_room_history_bounded_per_org),
		cmocka_unit_test(test_config_table),
	};
	return cmocka_run_group_tests_name("fanout", tests, NULL, NULL);
}
