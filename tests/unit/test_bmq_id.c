/* test_bmq_id.c: the ids wfmon-bullmq makes of queue names, job ids and job
 * names, which may hold any byte: a text that is an id already stays as it
 * is; any other becomes a valid id that no other text shares by its replaced
 * or cut characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "bmq.h"
#include "proto.h"

static void test_plain_text_kept(void **state)
{
	(void)state;
	char out[PROTO_MAX_ID + 1];
	bmq_id("invoices", ":", "ok-1", out, sizeof out);
	assert_string_equal(out, "invoices:ok-1");
	bmq_id("faktury_z___2026", ".", "import", out, sizeof out);
	assert_string_equal(out, "faktury_z___2026.import");
}

static void test_replaced_characters_keep_ids_apart(void **state)
{
	(void)state;
	char odd[PROTO_MAX_ID + 1], look[PROTO_MAX_ID + 1], other[PROTO_MAX_ID + 1];
	bmq_id("faktury zł/2026", ":", "odd-1", odd, sizeof odd);
	bmq_id("faktury_z___2026", ":", "odd-1", look, sizeof look);
	bmq_id("faktury zł 2026", ":", "odd-1", other, sizeof other);
	assert_true(proto_id_valid(odd));
	assert_true(proto_id_valid(other));
	/* The readable start, then '.' and eight hex digits. */
	assert_int_equal(strncmp(odd, "faktury_z___2026:odd-1.", 23), 0);
	assert_int_equal(strlen(odd), 23 + 8);
	assert_string_not_equal(odd, look);
	assert_string_not_equal(odd, other);
	/* The same text, the same id (a restart maps a job to its execution). */
	char again[PROTO_MAX_ID + 1];
	bmq_id("faktury zł/2026", ":", "odd-1", again, sizeof again);
	assert_string_equal(odd, again);
	/* Where the separator falls matters too. */
	char a[PROTO_MAX_ID + 1], b[PROTO_MAX_ID + 1];
	bmq_id("a b", ":", "c", a, sizeof a);
	bmq_id("a", ":", "b c", b, sizeof b);
	assert_string_not_equal(a, b);
}

static void test_long_and_empty(void **state)
{
	(void)state;
	char long_a[400], long_b[400], x[PROTO_MAX_ID + 1], y[PROTO_MAX_ID + 1];
	memset(long_a, 'q', sizeof long_a - 1);
	long_a[sizeof long_a - 1] = '\0';
	memcpy(long_b, long_a, sizeof long_b);
	long_b[sizeof long_b - 2] = 'r';
	bmq_id(long_a, ":", "1", x, sizeof x);
	bmq_id(long_b, ":", "1", y, sizeof y);
	assert_true(proto_id_valid(x));
	assert_true(strlen(x) <= PROTO_MAX_ID);
	assert_string_not_equal(x, y);
	bmq_id("", "", "", x, sizeof x);
	assert_true(proto_id_valid(x));
	/* A small buffer is respected. */
	char small[16];
	bmq_id("faktury zł/2026", ":", "odd-1", small, sizeof small);
	assert_true(strlen(small) < sizeof small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_kept),
		cmocka_unit_test(test_replaced_characters_keep_ids_apart),
		cmocka_unit_test(test_long_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
