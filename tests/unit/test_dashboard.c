/* test_dashboard.c: the dashboard schema (proto/dashboard.c) and the grid
 * (client/dashboard_grid.c): valid dashboards read and written back
 * unchanged; every refusal names its field (table-driven); what changed
 * between versions; layout at 80, 120 and 40 columns (stacking below the
 * minimum width); moving, resizing, adding and removing with overlap and
 * out-of-grid refused; undo; the built-in default at 80x24 and 120x40. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"
#include "dashboard_grid.h"

static const char valid[] =
	"{\"name\":\"Month-end\",\"layout\":{\"columns\":12},\"is_default\":true,\"widgets\":["
	"{\"id\":\"a\",\"type\":\"summary\",\"title\":\"Overview\",\"position\":{\"x\":0,\"y\":0,\"w\":12,\"h\":3},\"config\":{}},"
	"{\"id\":\"b\",\"type\":\"active_executions\",\"title\":\"\",\"position\":{\"x\":0,\"y\":3,\"w\":6,\"h\":8},"
	"\"config\":{\"workflow\":\"vat-calculation\",\"limit\":10}},"
	"{\"id\":\"c\",\"type\":\"tax_deadlines\",\"title\":\"Terminy\",\"position\":{\"x\":6,\"y\":3,\"w\":6,\"h\":8},"
	"\"config\":{\"deadlines\":[{\"name\":\"JPK\",\"day\":25,\"workflow\":\"jpk-generation\"}]}},"
	"{\"id\":\"d\",\"type\":\"performance_metrics\",\"title\":\"p95\",\"position\":{\"x\":0,\"y\":11,\"w\":12,\"h\":5},"
	"\"config\":{\"range\":\"7d\"}}]}";

static struct dashboard *load(const char *text, struct proto_cause *cause, int *rc)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	assert_non_null(j);
	struct dashboard *d = calloc(1, sizeof *d);
	*rc = dashboard_parse(j, d, cause);
	json_decref(j);
	return d;
}

static void test_valid_round_trip(void **state)
{
	(void)state;
	struct proto_cause cause;
	int rc;
	struct dashboard *d = load(valid, &cause, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(d->name, "Month-end");
	assert_int_equal(d->nwidgets, 4);
	assert_true(d->is_default);
	assert_int_equal(d->widgets[1].type, DW_ACTIVE_EXECUTIONS);
	assert_string_equal(d->widgets[1].cfg.workflow, "vat-calculation");
	assert_int_equal(d->widgets[1].cfg.limit, 10);
	assert_int_equal(d->widgets[2].cfg.ndeadlines, 1);
	assert_int_equal(d->widgets[2].cfg.deadlines[0].day, 25);
	assert_string_equal(d->widgets[3].cfg.range, "7d");
	json_t *out = dashboard_json_new(d, false);
	json_t *in = json_loads(valid, 0, NULL);
	if (!json_equal(out, in)) {
		char *t = json_dumps(out, JSON_COMPACT);
		print_error("written back: %s\n", t);
		free(t);
		fail();
	}
	json_decref(out);
	json_decref(in);
	free(d);
}

static void test_refusals_name_the_field(void **state)
{
	(void)state;
	static const struct {
		const char *text, *field;
	} cases[] = {
		{ "{\"name\":\"ab\"}", "name" },
		{ "{}", "name" },
		{ "{\"name\":\"abc\",\"layout\":{\"columns\":13}}", "layout.columns" },
		{ "{\"name\":\"abc\",\"layout\":{\"columns\":0}}", "layout.columns" },
		{ "{\"name\":\"abc\",\"colour\":1}", "colour" },
		{ "{\"name\":\"abc\",\"is_default\":1}", "is_default" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"pie\",\"position\":{\"x\":0,\"y\":0,\"w\":1,\"h\":1}}]}",
		  "widgets[0].type" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"type\":\"summary\",\"position\":{\"x\":0,\"y\":0,\"w\":1,\"h\":1}}]}",
		  "widgets[0].id" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":11,\"y\":0,\"w\":2,\"h\":1}}]}",
		  "widgets[0].position.w" },
		{ "{\"name\":\"abc\",\"layout\":{\"columns\":4},\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":4,\"y\":0,\"w\":1,\"h\":1}}]}",
		  "widgets[0].position.x" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":0,\"y\":-1,\"w\":2,\"h\":1}}]}",
		  "widgets[0].position.y" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":0,\"y\":199,\"w\":2,\"h\":2}}]}",
		  "widgets[0].position.h" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\"}]}", "widgets[0].position" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":0,\"y\":0,\"w\":6,\"h\":4}},"
		  "{\"id\":\"b\",\"type\":\"summary\",\"position\":{\"x\":5,\"y\":3,\"w\":6,\"h\":4}}]}",
		  "widgets[1].position" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":0,\"y\":0,\"w\":6,\"h\":4}},"
		  "{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":6,\"y\":0,\"w\":6,\"h\":4}}]}",
		  "widgets[1].id" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":0,\"y\":0,\"w\":6,\"h\":4},"
		  "\"config\":{\"colour\":\"red\"}}]}",
		  "widgets[0].config.colour" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":0,\"y\":0,\"w\":6,\"h\":4},"
		  "\"config\":{\"range\":\"2d\"}}]}",
		  "widgets[0].config.range" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":0,\"y\":0,\"w\":6,\"h\":4},"
		  "\"config\":{\"limit\":0}}]}",
		  "widgets[0].config.limit" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"summary\",\"position\":{\"x\":0,\"y\":0,\"w\":6,\"h\":4},"
		  "\"config\":{\"deadlines\":[]}}]}",
		  "widgets[0].config.deadlines" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a\",\"type\":\"tax_deadlines\",\"position\":{\"x\":0,\"y\":0,\"w\":6,\"h\":4},"
		  "\"config\":{\"deadlines\":[{\"name\":\"VAT\",\"day\":31}]}}]}",
		  "widgets[0].config.deadlines[0].day" },
		{ "{\"name\":\"abc\",\"widgets\":[{\"id\":\"a b\",\"type\":\"summary\",\"position\":{\"x\":0,\"y\":0,\"w\":6,\"h\":4}}]}",
		  "widgets[0].id" },
		{ "{\"name\":\"abc\",\"widgets\":{}}", "widgets" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct proto_cause cause = { "", "" };
		int rc;
		free(load(cases[i].text, &cause, &rc));
		if (rc != -1 || strcmp(cause.field, cases[i].field) != 0) {
			print_error("case %zu: rc %d field '%s' (%s), want '%s'\n", i, rc, cause.field, cause.message,
				    cases[i].field);
			fail();
		}
		assert_true(cause.message[0] != '\0');
	}
	/* Too many widgets. */
	json_t *j = json_pack("{s:s,s:[]}", "name", "many", "widgets");
	for (int i = 0; i <= DASH_MAX_WIDGETS; i++) {
		char id[16];
		snprintf(id, sizeof id, "w%d", i);
		json_array_append_new(json_object_get(j, "widgets"),
				      json_pack("{s:s,s:s,s:{s:i,s:i,s:i,s:i}}", "id", id, "type", "summary", "position",
						"x", 0, "y", i, "w", 1, "h", 1));
	}
	struct dashboard *d = calloc(1, sizeof *d);
	struct proto_cause cause;
	assert_int_equal(dashboard_parse(j, d, &cause), -1);
	assert_string_equal(cause.field, "widgets");
	json_decref(j);
	free(d);
}

static void test_diff(void **state)
{
	(void)state;
	struct proto_cause cause;
	int rc;
	struct dashboard *a = load(valid, &cause, &rc), *b = calloc(1, sizeof *b);
	*b = *a;
	snprintf(b->name, sizeof b->name, "Month-end 2");
	b->widgets[0].h = 4;                                   /* resized */
	b->widgets[1].y = 4;                                   /* moved */
	snprintf(b->widgets[2].title, sizeof b->widgets[2].title, "Deadlines");   /* configured */
	b->widgets[3] = b->widgets[3];
	snprintf(b->widgets[3].id, sizeof b->widgets[3].id, "e");   /* d removed, e added */
	json_t *diff = dashboard_diff_new(a, b);
	json_t *want = json_loads("{\"name\":[\"Month-end\",\"Month-end 2\"],\"resized\":[\"a\"],\"moved\":[\"b\"],"
				  "\"configured\":[\"c\"],\"added\":[\"e\"],\"removed\":[\"d\"]}", 0, NULL);
	if (!json_equal(diff, want)) {
		char *t = json_dumps(diff, JSON_COMPACT);
		print_error("diff %s\n", t);
		free(t);
		fail();
	}
	json_decref(diff);
	json_decref(want);
	free(a);
	free(b);
}

static void test_layout_widths(void **state)
{
	(void)state;
	struct proto_cause cause;
	int rc;
	struct dashboard *d = load(valid, &cause, &rc);
	struct dg_layout l;
	dashboard_grid_layout(d, 80, &l);
	assert_false(l.stacked);
	assert_int_equal(l.rect[0].x, 0);
	assert_int_equal(l.rect[0].w, 80);
	assert_int_equal(l.rect[1].w, 40);
	assert_int_equal(l.rect[2].x, 40);
	assert_int_equal(l.rect[2].w, 40);
	assert_int_equal(l.rect[2].y, 3);
	assert_int_equal(l.rows, 16);
	/* 120 columns: twelfths of ten cells. */
	dashboard_grid_layout(d, 120, &l);
	assert_int_equal(l.rect[2].x, 60);
	/* 25 columns: a 6-column widget gets 12 cells, under the minimum: stacked, in reading order. */
	dashboard_grid_layout(d, 25, &l);
	assert_true(l.stacked);
	assert_int_equal(l.order[0], 0);
	assert_int_equal(l.order[1], 1);
	assert_int_equal(l.order[2], 2);
	assert_int_equal(l.rect[1].y, 3);
	assert_int_equal(l.rect[2].y, 11);
	assert_int_equal(l.rect[3].y, 19);
	assert_int_equal(l.rect[2].w, 25);
	assert_int_equal(l.rows, 24);
	/* No two rectangles overlap, whatever the width. */
	for (int cols = 20; cols <= 200; cols += 7) {
		dashboard_grid_layout(d, cols, &l);
		for (size_t i = 0; i < l.n; i++)
			for (size_t k = i + 1; k < l.n; k++) {
				const struct dg_rect *p = &l.rect[i], *q = &l.rect[k];
				assert_false(p->x < q->x + q->w && q->x < p->x + p->w && p->y < q->y + q->h &&
					     q->y < p->y + p->h);
			}
	}
	/* Neighbours and reading order. */
	dashboard_grid_layout(d, 80, &l);
	assert_int_equal(dashboard_grid_neighbour(&l, 1, DG_RIGHT), 2);
	assert_int_equal(dashboard_grid_neighbour(&l, 2, DG_LEFT), 1);
	assert_int_equal(dashboard_grid_neighbour(&l, 1, DG_UP), 0);
	assert_int_equal(dashboard_grid_neighbour(&l, 2, DG_DOWN), 3);
	assert_int_equal(dashboard_grid_neighbour(&l, 3, DG_DOWN), 3);
	assert_int_equal(dashboard_grid_next(&l, 3, false), 0);
	assert_int_equal(dashboard_grid_next(&l, 0, true), 3);
	free(d);
}

static void test_edit(void **state)
{
	(void)state;
	struct proto_cause cause;
	int rc;
	struct dashboard *d = load(valid, &cause, &rc);
	struct dg_editor e;
	dashboard_edit_init(&e, d);
	assert_false(dashboard_edit_move(&e, 1, 1, 0));      /* into c */
	assert_false(dashboard_edit_move(&e, 1, -1, 0));     /* off the grid */
	assert_false(dashboard_edit_resize(&e, 0, 0, 1));    /* into b and c */
	assert_int_equal(e.nundo, 0);
	assert_true(dashboard_edit_move(&e, 3, 0, 1));
	assert_int_equal(d->widgets[3].y, 12);
	assert_true(dashboard_edit_resize(&e, 3, 0, 2));
	assert_int_equal(d->widgets[3].h, 7);
	assert_false(dashboard_edit_resize(&e, 3, 1, 0));    /* past 12 columns */
	assert_true(dashboard_edit_resize(&e, 3, -6, 0));
	size_t at;
	assert_true(dashboard_edit_add(&e, DW_QUEUE_STATUS, 6, 5, &at));
	assert_int_equal(at, 4);
	assert_int_equal(d->widgets[4].x, 6);                /* beside the narrowed one */
	assert_int_equal(d->widgets[4].y, 11);
	assert_string_equal(d->widgets[4].id, "w1");
	/* Whatever the editor did, the dashboard still passes the schema. */
	json_t *j = dashboard_json_new(d, false);
	struct dashboard *check = calloc(1, sizeof *check);
	assert_int_equal(dashboard_parse(j, check, &cause), 0);
	json_decref(j);
	free(check);
	assert_true(dashboard_edit_remove(&e, 0));
	assert_int_equal(d->nwidgets, 4);
	assert_string_equal(d->widgets[0].id, "b");
	assert_true(dashboard_edit_undo(&e));
	assert_int_equal(d->nwidgets, 5);
	assert_string_equal(d->widgets[0].id, "a");
	assert_true(dashboard_edit_undo(&e));                /* the add */
	assert_int_equal(d->nwidgets, 4);
	assert_true(dashboard_edit_undo(&e));
	assert_true(dashboard_edit_undo(&e));
	assert_true(dashboard_edit_undo(&e));
	assert_int_equal(d->widgets[3].y, 11);
	assert_int_equal(d->widgets[3].h, 5);
	assert_false(dashboard_edit_undo(&e));
	/* The stack keeps the last DG_UNDO changes. */
	for (int i = 0; i < DG_UNDO + 3; i++)
		assert_true(dashboard_edit_move(&e, 3, 0, 1));
	int undone = 0;
	while (dashboard_edit_undo(&e))
		undone++;
	assert_int_equal(undone, DG_UNDO);
	assert_int_equal(d->widgets[3].y, 14);
	dashboard_edit_free(&e);
	free(d);
}

static void test_default_fits(void **state)
{
	(void)state;
	struct dashboard *d = calloc(1, sizeof *d);
	struct dg_layout l;
	struct proto_cause cause;
	/* 80x24: a body of 20 lines, filled exactly. */
	dashboard_grid_default(d, 20);
	dashboard_grid_layout(d, 80, &l);
	assert_false(l.stacked);
	assert_int_equal(l.rows, 20);
	json_t *j = dashboard_json_new(d, false);
	struct dashboard *check = calloc(1, sizeof *check);
	assert_int_equal(dashboard_parse(j, check, &cause), 0);
	json_decref(j);
	/* 120x40: 36 lines. */
	dashboard_grid_default(d, 36);
	dashboard_grid_layout(d, 120, &l);
	assert_int_equal(l.rows, 36);
	j = dashboard_json_new(d, false);
	assert_int_equal(dashboard_parse(j, check, &cause), 0);
	json_decref(j);
	free(check);
	free(d);
}

/* The deadlines line the editor's T reads and shows. */
static void test_deadlines_line(void **state)
{
	(void)state;
	struct dash_config c;
	memset(&c, 0, sizeof c);
	struct proto_cause cause;
	assert_int_equal(dashboard_deadlines_parse(" VAT/JPK_V7M 25 jpk-generation;ZUS  15 ; PIT 4 advance 20 ;", &c,
						   &cause), 0);
	assert_int_equal(c.ndeadlines, 3);
	assert_string_equal(c.deadlines[0].name, "VAT/JPK_V7M");
	assert_int_equal(c.deadlines[0].day, 25);
	assert_string_equal(c.deadlines[0].workflow, "jpk-generation");
	assert_string_equal(c.deadlines[1].name, "ZUS");
	assert_int_equal(c.deadlines[1].day, 15);
	assert_string_equal(c.deadlines[1].workflow, "");
	/* A name of several words (one with digits) keeps its words. */
	assert_string_equal(c.deadlines[2].name, "PIT 4 advance");
	assert_int_equal(c.deadlines[2].day, 20);
	char line[512];
	dashboard_deadlines_format(&c, line, sizeof line);
	assert_string_equal(line, "VAT/JPK_V7M 25 jpk-generation; ZUS 15; PIT 4 advance 20");
	/* The line read back gives the same list. */
	struct dash_config back;
	memset(&back, 0, sizeof back);
	assert_int_equal(dashboard_deadlines_parse(line, &back, &cause), 0);
	assert_memory_equal(back.deadlines, c.deadlines, sizeof c.deadlines);
	/* Refusals name the entry and leave the list alone. */
	static const struct {
		const char *text, *field;
	} bad[] = {
		{ "VAT 25; ZUS", "config.deadlines[1]" },
		{ "VAT twenty-five", "config.deadlines[0]" },
		{ "VAT 29", "config.deadlines[0].day" },
		{ "VAT 0", "config.deadlines[0].day" },
		{ "VAT 25 no/such/workflow", "config.deadlines[0].workflow" },
		{ "A name longer than thirty-two characters 25", "config.deadlines[0].name" },
		{ "a 1;b 2;c 3;d 4;e 5;f 6;g 7;h 8;i 9;j 10;k 11;l 12;m 13;n 14;o 15;p 16;q 17", "config.deadlines" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&cause, 0, sizeof cause);
		assert_int_equal(dashboard_deadlines_parse(bad[i].text, &c, &cause), -1);
		if (strcmp(cause.field, bad[i].field) != 0)
			fail_msg("\"%s\": field %s, want %s (%s)", bad[i].text, cause.field, bad[i].field, cause.message);
		assert_int_equal(c.ndeadlines, 3);
	}
	/* Empty: the statutory list. */
	assert_int_equal(dashboard_deadlines_parse("  ", &c, &cause), 0);
	assert_int_equal(c.ndeadlines, 0);
	dashboard_deadlines_format(&c, line, sizeof line);
	assert_string_equal(line, "");
}

static void test_request(void **state)
{
	(void)state;
	static const struct {
		const char *text, *field;   /* field NULL: accepted */
	} cases[] = {
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"list\"}", NULL },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"list\",\"user\":\"anna\"}", NULL },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"get\",\"name\":\"Month-end\"}", NULL },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"save\",\"dashboard\":{},\"rename_from\":\"Old one\"}", NULL },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"default\",\"name\":\"Month-end\"}", NULL },
		{ "{\"type\":\"dashboard\",\"id\":1}", "action" },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"drop\"}", "action" },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"get\"}", "name" },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"delete\",\"name\":\"ab\"}", "name" },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"list\",\"name\":\"Month-end\"}", "name" },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"save\"}", "dashboard" },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"save\",\"dashboard\":[]}", "dashboard" },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"get\",\"name\":\"Month-end\",\"dashboard\":{}}", "dashboard" },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"list\",\"user\":\"a b\"}", "user" },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"get\",\"name\":\"Month-end\",\"rename_from\":\"x\"}", "rename_from" },
		{ "{\"type\":\"dashboard\",\"id\":1,\"action\":\"list\",\"colour\":1}", "colour" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct proto_request req;
		struct proto_cause cause = { "", "" };
		json_t *id = NULL;
		int rc = proto_request_parse(cases[i].text, strlen(cases[i].text), &req, &id, &cause);
		json_decref(id);
		if (cases[i].field == NULL) {
			if (rc != 0)
				fail_msg("case %zu refused: %s: %s", i, cause.field, cause.message);
			assert_int_equal(req.type, REQ_DASHBOARD);
			proto_request_clear(&req);
		} else if (rc == 0 || strcmp(cause.field, cases[i].field) != 0) {
			fail_msg("case %zu: rc %d field '%s', want '%s'", i, rc, cause.field, cases[i].field);
		}
	}
	/* What the console sends reads back. */
	json_t *r = dashboard_request_new("dash:get:1", DASH_GET, "Month-end", NULL, NULL, NULL);
	char *text = json_dumps(r, JSON_COMPACT);
	struct proto_request req;
	struct proto_cause cause;
	json_t *id = NULL;
	assert_int_equal(proto_request_parse(text, strlen(text), &req, &id, &cause), 0);
	assert_int_equal(req.dashboard_action, DASH_GET);
	assert_string_equal(req.dashboard_name, "Month-end");
	proto_request_clear(&req);
	json_decref(id);
	free(text);
	json_decref(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_round_trip),
		cmocka_unit_test(test_refusals_name_the_field),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_layout_widths),
		cmocka_unit_test(test_edit),
		cmocka_unit_test(test_default_fits),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_deadlines_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
