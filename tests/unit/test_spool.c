/* test_spool.c: the spool's segment files: append, sync and reopen; rotation;
 * recovery from a torn tail and from a bad checksum; deletion once consumed
 * (but not of the segment being appended to); the consumed position across a
 * reopen; reading in byte-bounded batches;
 * and the store's refusal of appends past its spool limit (with no database). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "spool.h"
#include "store.h"
#include "tmpdir.h"

struct seen {
	char payload[16][64];
	size_t n;
};

static void on_record(const char *payload, uint32_t len, void *arg)
{
	struct seen *s = arg;
	if (s->n < 16)
		snprintf(s->payload[s->n], sizeof s->payload[0], "%.*s", (int)len, payload);
	s->n++;
}

static off_t file_size(const char *dir, unsigned num)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%08u.spool", dir, num);
	struct stat st;
	if (stat(path, &st) != 0)
		return -1;
	return st.st_size;
}

static void append_strings(struct spool *sp, const char *const *strs, size_t n)
{
	struct spool_record recs[16];
	for (size_t i = 0; i < n; i++) {
		recs[i].payload = strs[i];
		recs[i].len = (uint32_t)strlen(strs[i]);
	}
	char cause[256];
	assert_int_equal(spool_append(sp, recs, n, cause, sizeof cause), 0);
	assert_int_equal(spool_sync(sp, cause, sizeof cause), 0);
}

static void test_append_reopen(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *sp;
	char cause[256];
	assert_int_equal(spool_open(dir, 0, NULL, NULL, &sp, cause, sizeof cause), 0);
	assert_int_equal(spool_bytes(sp), 0);
	const char *a[] = {"one", "two", "three"};
	append_strings(sp, a, 3);
	assert_int_equal(spool_pending(sp), 3);
	assert_int_equal(spool_bytes(sp), 3 * SPOOL_HEADER + 3 + 3 + 5);
	assert_int_equal(file_size(dir, 1), 3 * SPOOL_HEADER + 11);
	spool_close(sp);

	struct seen seen = {.n = 0};
	assert_int_equal(spool_open(dir, 0, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.payload[0], "one");
	assert_string_equal(seen.payload[2], "three");
	assert_int_equal(spool_pending(sp), 3);
	assert_int_equal(spool_bytes(sp), 3 * SPOOL_HEADER + 11);
	/* Appending after a reopen continues the same segment. */
	const char *b[] = {"four"};
	append_strings(sp, b, 1);
	assert_int_equal(spool_segments(sp), 1);
	struct spool_batch batch;
	assert_int_equal(spool_read(sp, 100, 1 << 20, &batch, cause, sizeof cause), 0);
	assert_int_equal(batch.n, 4);
	assert_memory_equal(batch.records[3].payload, "four", 4);
	spool_close(sp);
	tmpdir_free(dir);
}

static void test_one_daemon_per_spool(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *a, *b;
	char cause[256];
	assert_int_equal(spool_open(dir, 0, NULL, NULL, &a, cause, sizeof cause), 0);
	cause[0] = '\0';
	assert_int_not_equal(spool_open(dir, 0, NULL, NULL, &b, cause, sizeof cause), 0);
	assert_non_null(strstr(cause, "in use by another wfmond"));
	spool_close(a);
	/* Free again once the first one is gone. */
	assert_int_equal(spool_open(dir, 0, NULL, NULL, &b, cause, sizeof cause), 0);
	spool_close(b);
	tmpdir_free(dir);
}

static void test_rotation_and_read_across(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *sp;
	char cause[256];
	/* 40-byte segments: two 12-byte records (20 bytes each on disk) fill one. */
	assert_int_equal(spool_open(dir, 40, NULL, NULL, &sp, cause, sizeof cause), 0);
	const char *recs[] = {"record-00001", "record-00002", "record-00003", "record-00004", "record-00005"};
	for (int i = 0; i < 5; i++)
		append_strings(sp, &recs[i], 1);
	assert_int_equal(spool_segments(sp), 3);
	assert_int_equal(file_size(dir, 1), 40);
	assert_int_equal(file_size(dir, 2), 40);
	assert_int_equal(file_size(dir, 3), 20);

	/* Read in small batches across segment boundaries, in order. */
	struct spool_batch b;
	assert_int_equal(spool_read(sp, 3, 1 << 20, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, 3);
	assert_memory_equal(b.records[0].payload, "record-00001", 12);
	assert_memory_equal(b.records[2].payload, "record-00003", 12);
	spool_consume(sp, &b);
	/* Segment 1 was wholly consumed: deleted. */
	assert_int_equal(file_size(dir, 1), -1);
	assert_int_equal(spool_segments(sp), 2);
	assert_int_equal(spool_pending(sp), 2);
	assert_int_equal(spool_read(sp, 10, 1 << 20, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, 2);
	assert_memory_equal(b.records[0].payload, "record-00004", 12);
	assert_memory_equal(b.records[1].payload, "record-00005", 12);
	spool_close(sp);

	/* Not consumed: a reopen finds the two records not consumed, 4 and 5
	 * (record 3, at the start of segment 2, was consumed: the position
	 * inside a segment is kept on disk too). */
	struct seen seen = {.n = 0};
	assert_int_equal(spool_open(dir, 40, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.payload[0], "record-00004");
	assert_string_equal(seen.payload[1], "record-00005");
	assert_int_equal(spool_pending(sp), 2);
	assert_int_equal(spool_bytes(sp), 40);
	spool_close(sp);
	tmpdir_free(dir);
}

static void test_torn_tail(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *sp;
	char cause[256];
	assert_int_equal(spool_open(dir, 0, NULL, NULL, &sp, cause, sizeof cause), 0);
	const char *a[] = {"alpha", "bravo-bravo"};
	append_strings(sp, a, 2);
	spool_close(sp);
	/* A crash in the middle of the second record. */
	char path[256];
	snprintf(path, sizeof path, "%s/%08u.spool", dir, 1u);
	assert_int_equal(truncate(path, SPOOL_HEADER + 5 + SPOOL_HEADER + 4), 0);

	struct seen seen = {.n = 0};
	assert_int_equal(spool_open(dir, 0, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.payload[0], "alpha");
	assert_int_equal(file_size(dir, 1), SPOOL_HEADER + 5);
	assert_int_equal(spool_pending(sp), 1);
	/* Appends go on after the good part. */
	const char *b[] = {"charlie"};
	append_strings(sp, b, 1);
	spool_close(sp);
	seen.n = 0;
	assert_int_equal(spool_open(dir, 0, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.payload[1], "charlie");
	spool_close(sp);

	/* A header cut short is torn too. */
	assert_int_equal(truncate(path, SPOOL_HEADER + 5 + 3), 0);
	seen.n = 0;
	assert_int_equal(spool_open(dir, 0, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(file_size(dir, 1), SPOOL_HEADER + 5);
	spool_close(sp);
	tmpdir_free(dir);
}

static void test_corrupt_crc(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *sp;
	char cause[256];
	assert_int_equal(spool_open(dir, 0, NULL, NULL, &sp, cause, sizeof cause), 0);
	const char *a[] = {"first", "second", "third"};
	append_strings(sp, a, 3);
	spool_close(sp);
	char path[256];
	snprintf(path, sizeof path, "%s/%08u.spool", dir, 1u);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	/* Flip one byte of "second"'s payload. */
	off_t off = SPOOL_HEADER + 5 + SPOOL_HEADER + 2;
	assert_int_equal(pwrite(fd, "X", 1, off), 1);
	close(fd);

	struct seen seen = {.n = 0};
	assert_int_equal(spool_open(dir, 0, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.payload[0], "first");
	assert_int_equal(file_size(dir, 1), SPOOL_HEADER + 5);
	assert_int_equal(spool_bytes(sp), SPOOL_HEADER + 5);
	spool_close(sp);
	tmpdir_free(dir);
}

static void test_delete_once_consumed(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *sp;
	char cause[256];
	assert_int_equal(spool_open(dir, 64, NULL, NULL, &sp, cause, sizeof cause), 0);
	const char *a[] = {"aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc",
			   "dddddddddddddddddddd"};
	for (int i = 0; i < 4; i++)
		append_strings(sp, &a[i], 1);
	assert_int_equal(spool_segments(sp), 2);
	struct spool_batch b;
	assert_int_equal(spool_read(sp, 100, 1 << 20, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, 4);
	/* Something appended after the read is not consumed with it. */
	const char *late[] = {"late"};
	append_strings(sp, late, 1);
	spool_consume(sp, &b);
	assert_int_equal(spool_pending(sp), 1);
	assert_int_equal(spool_bytes(sp), SPOOL_HEADER + 4);
	assert_int_equal(spool_read(sp, 100, 1 << 20, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, 1);
	assert_memory_equal(b.records[0].payload, "late", 4);
	spool_consume(sp, &b);
	assert_int_equal(spool_pending(sp), 0);
	assert_int_equal(spool_bytes(sp), 0);
	/* The segments read to their end are gone, but not the one being
	 * appended to: it is below the rotation size. */
	assert_int_equal(spool_segments(sp), 1);
	for (unsigned n = 1; n <= 2; n++)
		assert_int_equal(file_size(dir, n), -1);
	assert_int_equal(file_size(dir, 3), SPOOL_HEADER + 4);
	/* Appends go on in it. */
	append_strings(sp, late, 1);
	assert_int_equal(spool_segments(sp), 1);
	assert_int_equal(spool_bytes(sp), SPOOL_HEADER + 4);
	assert_int_equal(file_size(dir, 3), 2 * (SPOOL_HEADER + 4));
	assert_int_equal(file_size(dir, 4), -1);
	spool_close(sp);
	tmpdir_free(dir);
}

static void drain(struct spool *sp, size_t expect)
{
	char cause[256];
	struct spool_batch b;
	assert_int_equal(spool_read(sp, 100, 1 << 20, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, expect);
	spool_consume(sp, &b);
	assert_int_equal(spool_pending(sp), 0);
	assert_int_equal(spool_bytes(sp), 0);
}

/* PostgreSQL keeping up: one segment, created once, retired when full. */
static void test_steady_traffic_keeps_segment(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *sp;
	char cause[256];
	/* 56-byte segments: two 20-byte records (28 on disk) fill one. */
	assert_int_equal(spool_open(dir, 56, NULL, NULL, &sp, cause, sizeof cause), 0);
	const char *a[] = {"aaaaaaaaaaaaaaaaaaaa"};
	append_strings(sp, a, 1);
	drain(sp, 1);
	assert_int_equal(spool_segments(sp), 1);
	assert_int_equal(file_size(dir, 1), 28);
	append_strings(sp, a, 1);
	assert_int_equal(spool_pending(sp), 1);
	assert_int_equal(spool_bytes(sp), 28);
	/* Full and read to its end: retired. */
	drain(sp, 1);
	assert_int_equal(spool_segments(sp), 0);
	assert_int_equal(file_size(dir, 1), -1);
	spool_close(sp);

	/* A reopen numbers the next segment after the one consumed, and
	 * replays nothing. */
	struct seen seen = {.n = 0};
	assert_int_equal(spool_open(dir, 56, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 0);
	append_strings(sp, a, 1);
	assert_int_equal(file_size(dir, 2), 28);
	drain(sp, 1);
	spool_close(sp);
	tmpdir_free(dir);
}

/* What was consumed in the kept segment is not shown again after a reopen;
 * what was not is, once. */
static void test_consumed_position_survives(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *sp;
	char cause[256];
	assert_int_equal(spool_open(dir, 0, NULL, NULL, &sp, cause, sizeof cause), 0);
	const char *a[] = {"one", "two", "three"};
	append_strings(sp, a, 3);
	struct spool_batch b;
	assert_int_equal(spool_read(sp, 2, 1 << 20, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, 2);
	spool_consume(sp, &b);
	spool_close(sp);

	struct seen seen = {.n = 0};
	assert_int_equal(spool_open(dir, 0, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.payload[0], "three");
	assert_int_equal(spool_pending(sp), 1);
	assert_int_equal(spool_bytes(sp), SPOOL_HEADER + 5);
	const char *c[] = {"four"};
	append_strings(sp, c, 1);
	assert_int_equal(spool_read(sp, 100, 1 << 20, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, 2);
	assert_memory_equal(b.records[0].payload, "three", 5);
	assert_memory_equal(b.records[1].payload, "four", 4);
	spool_consume(sp, &b);
	spool_close(sp);
	seen.n = 0;
	assert_int_equal(spool_open(dir, 0, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(spool_pending(sp), 0);
	assert_int_equal(spool_bytes(sp), 0);
	assert_int_equal(spool_segments(sp), 1);
	spool_close(sp);
	tmpdir_free(dir);
}

/* A position beyond what survived (records lost with a failed sync) or a
 * damaged position file: the whole segment is replayed, and the position
 * written again at once, so that later appends cannot make the old one look
 * right. */
static void test_bad_position_replays(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *sp;
	char cause[256];
	assert_int_equal(spool_open(dir, 0, NULL, NULL, &sp, cause, sizeof cause), 0);
	const char *a[] = {"alpha", "bravo", "charlie"};
	append_strings(sp, a, 3);
	drain(sp, 3);
	spool_close(sp);
	char path[256];
	snprintf(path, sizeof path, "%s/%08u.spool", dir, 1u);
	assert_int_equal(truncate(path, SPOOL_HEADER + 5), 0);

	struct seen seen = {.n = 0};
	assert_int_equal(spool_open(dir, 0, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.payload[0], "alpha");
	assert_int_equal(spool_pending(sp), 1);
	/* Two more records end exactly where the old position was. */
	const char *b[] = {"bravo", "charlie"};
	append_strings(sp, b, 2);
	spool_close(sp);
	seen.n = 0;
	assert_int_equal(spool_open(dir, 0, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 3);
	spool_close(sp);

	/* A damaged position file. */
	assert_int_equal(spool_open(dir, 0, NULL, NULL, &sp, cause, sizeof cause), 0);
	drain(sp, 3);
	spool_close(sp);
	char cpath[256];
	snprintf(cpath, sizeof cpath, "%s/consumed", dir);
	int fd = open(cpath, O_RDWR);
	assert_true(fd >= 0);
	unsigned char buf[16];
	assert_int_equal(pread(fd, buf, 16, 0), 16);
	buf[12] ^= 0xFF;   /* damaged checksum */
	assert_int_equal(pwrite(fd, buf, 16, 0), 16);
	close(fd);
	seen.n = 0;
	assert_int_equal(spool_open(dir, 0, on_record, &seen, &sp, cause, sizeof cause), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.payload[0], "alpha");
	spool_close(sp);
	tmpdir_free(dir);
}

/* Batches bounded by bytes; a first record larger than the budget is read
 * whole; a record found corrupt when read skips the rest of its segment. */
static void test_read_budget_and_corruption(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *sp;
	char cause[256];
	assert_int_equal(spool_open(dir, 0, NULL, NULL, &sp, cause, sizeof cause), 0);
	const char *a[] = {"aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc",
			   "dddddddddddddddddddd"};
	append_strings(sp, a, 4);
	struct spool_batch b;
	/* 28 bytes a record on disk: 60 bytes take two. */
	assert_int_equal(spool_read(sp, 100, 60, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, 2);
	assert_memory_equal(b.records[0].payload, a[0], 20);
	assert_memory_equal(b.records[1].payload, a[1], 20);
	assert_int_equal(b.records[1].len, 20);
	spool_consume(sp, &b);
	assert_int_equal(spool_pending(sp), 2);
	/* 10 bytes: one record all the same. */
	assert_int_equal(spool_read(sp, 100, 10, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, 1);
	assert_memory_equal(b.records[0].payload, a[2], 20);
	spool_consume(sp, &b);
	assert_int_equal(spool_read(sp, 100, 3, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, 1);
	assert_memory_equal(b.records[0].payload, a[3], 20);
	spool_consume(sp, &b);
	assert_int_equal(spool_pending(sp), 0);

	const char *c[] = {"first", "second", "third"};
	append_strings(sp, c, 3);
	char path[256];
	snprintf(path, sizeof path, "%s/%08u.spool", dir, 1u);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "X", 1, 4 * 28 + SPOOL_HEADER + 5 + SPOOL_HEADER + 2), 1);
	close(fd);
	assert_int_equal(spool_read(sp, 100, 1 << 20, &b, cause, sizeof cause), 0);
	assert_int_equal(b.n, 1);
	assert_memory_equal(b.records[0].payload, "first", 5);
	assert_int_equal(b.end_offset, 4 * 28 + 3 * SPOOL_HEADER + 16);
	spool_consume(sp, &b);
	assert_int_equal(spool_pending(sp), 0);
	assert_int_equal(spool_bytes(sp), 0);
	spool_close(sp);
	tmpdir_free(dir);
}

static void test_record_too_large(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	struct spool *sp;
	char cause[256];
	assert_int_equal(spool_open(dir, 0, NULL, NULL, &sp, cause, sizeof cause), 0);
	struct spool_record r = {.payload = "x", .len = SPOOL_RECORD_MAX + 1};
	assert_int_equal(spool_append(sp, &r, 1, cause, sizeof cause), -1);
	assert_int_equal(spool_bytes(sp), 0);
	spool_close(sp);
	tmpdir_free(dir);
}

/* ---- the store's spool limit, with no database --------------------------- */

static struct store_done *wait_done(struct store *s, int timeout_ms)
{
	struct store_done *d;
	for (int i = 0; i < timeout_ms / 10; i++) {
		if (store_take_done(s, &d, 1) == 1)
			return d;
		usleep(10000);
	}
	return NULL;
}

static void test_store_spool_limit(void **state)
{
	(void)state;
	char *dir = tmpdir_new("spool");
	char spool[300];
	snprintf(spool, sizeof spool, "%s/spool", dir);
	struct store_config cfg = {
		.conninfo = "host=/nonexistent/wfmon dbname=wfmon user=nobody connect_timeout=1",
		.spool_dir = spool,
		.spool_max_bytes = 1000,
		.data_cap_bytes = 1024,
		.reconnect_max_s = 1,
	};
	char cause[256];
	struct store *s = store_new(&cfg, NULL, NULL, cause, sizeof cause);
	assert_non_null(s);
	const char *ev = "{\"type\":\"log\",\"id\":\"e\",\"execution_id\":\"x\",\"workflow_id\":\"w\","
			 "\"ts\":\"2026-01-01T00:00:00.000Z\",\"level\":\"info\",\"message\":\"hello\"}";
	int accepted = 0;
	for (int i = 0; i < 20; i++) {
		struct store_event e = {.org = "acme", .pos = i + 1, .json = ev};
		if (store_append(s, &e, 1, (uint64_t)i) != 0)
			break;
		struct store_done *d = wait_done(s, 5000);
		assert_non_null(d);
		assert_int_equal(d->kind, STORE_DONE_DURABLE);
		assert_int_equal(d->status, 0);
		assert_int_equal(d->ticket, (uint64_t)i);
		store_done_free(d);
		accepted++;
	}
	/* Each record is a little over 150 bytes: a handful fit in 1000. */
	assert_true(accepted >= 4 && accepted < 20);
	struct store_status st;
	store_get_status(s, &st);
	assert_int_equal(st.refused_total, 1);
	assert_true(st.spool_bytes <= 1000);
	assert_int_equal(st.pending_records, (uint64_t)accepted);
	assert_int_not_equal(st.db, STORE_DB_UP);
	store_free(s);

	/* A restart finds the records and their highest position. */
	s = store_new(&cfg, NULL, NULL, cause, sizeof cause);
	assert_non_null(s);
	assert_int_equal(store_spool_max_pos(s), accepted);
	store_get_status(s, &st);
	assert_int_equal(st.pending_records, (uint64_t)accepted);
	store_free(s);
	tmpdir_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_reopen),
		cmocka_unit_test(test_one_daemon_per_spool),
		cmocka_unit_test(test_rotation_and_read_across),
		cmocka_unit_test(test_torn_tail),
		cmocka_unit_test(test_corrupt_crc),
		cmocka_unit_test(test_delete_once_consumed),
		cmocka_unit_test(test_steady_traffic_keeps_segment),
		cmocka_unit_test(test_consumed_position_survives),
		cmocka_unit_test(test_bad_position_replays),
		cmocka_unit_test(test_read_budget_and_corruption),
		cmocka_unit_test(test_record_too_large),
		cmocka_unit_test(test_store_spool_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
