/* test_jsonw.c: the compact JSON writer (jsonw.c) gives the bytes
 * json_dumps gives with the same flags, table-driven: every kind of value,
 * escapes of every control character, quotes and backslashes, multibyte and
 * astral characters, reals at the precision's edges and in exponent form,
 * integers at their limits, nesting, key order; and what it refuses: strings
 * that are not UTF-8 (overlong, surrogate, past U+10FFFF, cut short), nesting
 * past its limit, a bad precision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

static void same_as_jansson(json_t *v, int precision)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(precision));
	size_t len = 0;
	char *got = jsonw_dumps(v, precision, &len);
	assert_non_null(want);
	assert_non_null(got);
	if (strcmp(got, want) != 0) {
		print_error("precision %d: got %s, want %s\n", precision, got, want);
		fail();
	}
	assert_int_equal(len, strlen(want));
	free(want);
	free(got);
}

static const char *const texts[] = {
	"{}", "[]", "null", "true", "false", "0", "-1", "9223372036854775807", "-9223372036854775808",
	"\"\"", "\"plain ascii\"", "\"quote \\\" and backslash \\\\ and slash /\"",
	"\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u0000x\\u007f\"",
	"\"zażółć gęślą jaźń — €\"", "\"astral \\ud83d\\ude00 \xf0\x9f\x98\x80\"", "\"\\u2028\\u2029\"",
	"{\"type\":\"step.completed\",\"id\":\"e-1\",\"execution_id\":\"x-1\",\"ts\":\"2026-01-02T03:04:05.678Z\","
	"\"output\":{\"rows\":[1,2.5,-3e-7,1e300,null,true,{\"k\":\"v\"}],\"nested\":{\"a\":{\"b\":[[]]}}}}",
	"{\"z\":1,\"a\":2,\"m\":3}",   /* insertion order, not sorted */
	"[0.1,0.5,1.0,2.0,100.0,123456789.0,1234567890.0,1e21,1e-5,0.0001,-0.0,3.14159265358979]",
	"[1.7976931348623157e308,2.2250738585072014e-308,5e-324,4.9406564584124654e-324]",
	"{\"key with \\\"quotes\\\"\\n\":\"\\u00e9\",\"\":0}",
};

static void test_parsed_values(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		json_error_t err;
		json_t *v = json_loads(texts[i], JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		if (v == NULL) {
			print_error("%s: %s\n", texts[i], err.text);
			fail();
		}
		for (int p = 1; p <= 17; p++)
			same_as_jansson(v, p);
		json_decref(v);
	}
}

static void test_reals(void **state)
{
	(void)state;
	static const double reals[] = {
		0, 1, -1, 0.5, 1.0 / 3, 2.0 / 3, 10, 1e9, 1e10, 1e15, 1e16, 1e17, 1e-4, 1e-5, 123.456,
		99.99999999, 12345678.9, 0.000123456789, 6.02214076e23, -1.602176634e-19, DBL_MAX, DBL_MIN,
		DBL_EPSILON, 1e100, 1e-100,
	};
	for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
		for (int p = 1; p <= 17; p++) {
			json_t *v = json_real(reals[i]);
			same_as_jansson(v, p);
			json_decref(v);
		}
}

static void test_every_control_character(void **state)
{
	(void)state;
	char s[2] = { 0, 0 };
	for (int c = 1; c < 0x80; c++) {
		s[0] = (char)c;
		json_t *v = json_string(s);
		same_as_jansson(v, 9);
		json_decref(v);
	}
}

static void test_appends_to_a_buffer(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	json_t *a = json_pack("{s:i}", "a", 1), *b = json_pack("[s,f]", "b", 0.25);
	assert_int_equal(jsonw_append(&buf, &len, &cap, a, 9), 0);
	assert_int_equal(jsonw_append(&buf, &len, &cap, b, 9), 0);
	assert_string_equal(buf, "{\"a\":1}[\"b\",0.25]");
	assert_int_equal(len, strlen(buf));
	assert_true(cap > len);
	/* Growing past the first allocation keeps what was there. */
	json_t *big = json_array();
	for (int i = 0; i < 1000; i++)
		json_array_append_new(big, json_string("0123456789"));
	assert_int_equal(jsonw_append(&buf, &len, &cap, big, 9), 0);
	assert_int_equal(strncmp(buf, "{\"a\":1}[\"b\",0.25][\"0123456789\",", 31), 0);
	assert_int_equal(len, 17 + 2 + 1000 * 12 + 999);   /* brackets, strings, commas */
	free(buf);
	json_decref(a);
	json_decref(b);
	json_decref(big);
}

static void test_refusals(void **state)
{
	(void)state;
	static const char *const bad_utf8[] = {
		"\xc0\xaf",          /* overlong '/' */
		"\xe0\x80\xaf",      /* overlong, three bytes */
		"\xed\xa0\x80",      /* a surrogate */
		"\xf4\x90\x80\x80",  /* past U+10FFFF */
		"\xe2\x82",          /* cut short */
		"\x80",              /* a lone continuation byte */
		"ok\xff",
	};
	for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
		json_t *v = json_stringn_nocheck(bad_utf8[i], strlen(bad_utf8[i]));
		json_t *o = json_pack("{s:O}", "k", v);
		assert_null(jsonw_dumps(v, 9, NULL));
		assert_null(jsonw_dumps(o, 9, NULL));
		assert_null(json_dumps(o, JSON_COMPACT));   /* jansson refuses them too */
		json_decref(v);
		json_decref(o);
	}
	json_t *deep = json_array();
	for (int i = 0; i < JSONW_MAX_DEPTH; i++) {
		json_t *outer = json_array();
		json_array_append_new(outer, deep);
		deep = outer;
	}
	assert_null(jsonw_dumps(deep, 9, NULL));
	assert_non_null(json_array_get(deep, 0));
	char *ok = jsonw_dumps(json_array_get(deep, 0), 9, NULL);   /* just at the limit */
	assert_non_null(ok);
	free(ok);
	json_decref(deep);
	json_t *one = json_integer(1);
	assert_null(jsonw_dumps(one, 0, NULL));
	assert_null(jsonw_dumps(one, 18, NULL));
	assert_null(jsonw_dumps(NULL, 9, NULL));
	json_decref(one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsed_values),
		cmocka_unit_test(test_reals),
		cmocka_unit_test(test_every_control_character),
		cmocka_unit_test(test_appends_to_a_buffer),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
