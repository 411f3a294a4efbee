/* resources_view.c: the daemon's resources: host CPU and memory, the
 * daemon's own CPU and RSS, database connections, WebSocket connections,
 * events per second, queue depth, history graphs, and the CPU warning with
 * the workflows using the most (see ui_view.h).
 *
 * Invariants: the room "resources" is subscribed exactly while this view is
 * shown (the daemon pushes a sample every few seconds: nobody else needs
 * them); the view ticks on nothing: it redraws when a sample comes. */
#include "ui_view.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "ui_graph.h"
#include "ui_screen.h"

#define RES_ROOM "resources"
#define RES_MEM_WARN_PCT 90.0
#define RES_DB_WARN_PCT 80.0
#define RES_GRAPH_ROWS_MAX 5

static double mem_used_pct(const struct resource_sample *s)
{
	if (s->mem_total <= 0 || s->mem_available < 0)
		return -1;
	return 100.0 * (double)(s->mem_total - s->mem_available) / (double)s->mem_total;
}

static void pct_text(double v, char *buf, size_t len)
{
	i18n_format_percent(v, 1, buf, len);
}

/* Rates and counts: "-" when the daemon does not know them. */
static void rate_text(double v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		i18n_format_decimal(v, 1, buf, len);
}

static void count_text(int64_t v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		i18n_format_count(v, buf, len);
}

static const char *db_state_text(const char *state, enum ui_element *el)
{
	static const struct {
		const char *wire;
		const char *text;   /* N_() */
		enum ui_element el;
	} states[] = {
		{ "up", N_("up"), UI_STATUS_OK },
		{ "down", N_("down"), UI_STATUS_FAILED },
		{ "connecting", N_("connecting"), UI_STATUS_STALE },
		{ "not configured", N_("not configured"), UI_MUTED },
	};
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		if (strcmp(state, states[i].wire) == 0) {
			*el = states[i].el;
			return _(states[i].text);
		}
	}
	*el = UI_MUTED;
	return state[0] ? state : _("unknown");
}

static void k_r_back(struct ui *ui) { ui_set_view(ui, VIEW_LIST); }
static void k_r_queue(struct ui *ui) { ui_set_view(ui, VIEW_QUEUE); }

static const struct ui_key res_keys[] = {
	{ 'Q', "Q", N_("the queue view"), k_r_queue },
	{ 27, "Esc", N_("back to the executions"), k_r_back },
};

/* Which value of a sample a graph shows. */
enum res_series { SER_CPU, SER_MEM, SER_EVENTS, SER__COUNT };

static double series_value(const struct resource_sample *s, enum res_series k)
{
	switch (k) {
	case SER_CPU: return s->host_cpu;
	case SER_MEM: return mem_used_pct(s);
	default: return s->events_in;
	}
}

static void draw_graph(struct ui *ui, int y, int h, enum res_series k)
{
	const struct model_resources *r = &ui->model.res;
	const struct resource_sample *cur = &r->current;
	int w = ui_screen_cols();
	static double pts[MODEL_RES_HISTORY];
	uint32_t n = r->hist_count;
	double peak = 0;
	for (uint32_t i = 0; i < n; i++) {
		pts[i] = series_value(model_res_history(r, i), k);
		if (pts[i] > peak)
			peak = pts[i];
	}
	char title[160], v[64], extra[160], span[64], top[64];
	int64_t secs = n > 1 ? (model_res_history(r, n - 1)->at_ms - model_res_history(r, 0)->at_ms) : 0;
	i18n_format_elapsed(secs > 0 ? secs : 0, span, sizeof span);
	enum ui_element el = UI_GRAPH;
	double max = 100;
	switch (k) {
	case SER_CPU:
		pct_text(cur->host_cpu, v, sizeof v);
		snprintf(title, sizeof title, "%s %s", _("Host CPU"), v);
		if (cur->warning)
			el = UI_STATUS_FAILED;
		break;
	case SER_MEM:
		pct_text(mem_used_pct(cur), v, sizeof v);
		snprintf(title, sizeof title, "%s %s", _("Memory used"), v);
		if (mem_used_pct(cur) >= RES_MEM_WARN_PCT)
			el = UI_STATUS_STALE;
		break;
	default:
		rate_text(cur->events_in, v, sizeof v);
		snprintf(title, sizeof title, "%s %s", _("Events/s in"), v);
		max = peak > 1 ? peak : 1;
		break;
	}
	if (k == SER_EVENTS)
		i18n_format_decimal(max, 0, top, sizeof top);
	else
		i18n_format_percent(max, 0, top, sizeof top);
	snprintf(extra, sizeof extra, _("last %s, scale 0-%s"), span, top);
	ui_title_line(y, title, extra);
	ui_graph_draw((struct ui_rect){ y + 1, 1, h, w - 2 }, pts, n, max, false, el);
}

static void res_draw(struct ui *ui, int top, int rows)
{
	const struct model_resources *r = &ui->model.res;
	const struct resource_sample *s = &r->current;
	int w = ui_screen_cols();
	char buf[512], a[64], b[64], c[64], when[32];
	if (r->has_current && s->at_ms > 0) {
		i18n_format_time(s->at_ms, when, sizeof when);
		snprintf(buf, sizeof buf, _("sampled at %s"), when);
	} else {
		buf[0] = '\0';
	}
	ui_title_line(top, _("Resources"), buf);
	int y = top + 1, bottom = top + rows;
	if (!r->has_current) {
		ui_text(y + 1, 2, w - 4, UI_MUTED, r->loaded ? _("The server has not sampled its resources yet.")
							     : _("Waiting for the server's resources…"));
		return;
	}
	/* The CPU warning is on the notice line and in the header of every view. */

	/* Current values: host, daemon, database, traffic. */
	int x = 1;
	pct_text(s->host_cpu, a, sizeof a);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("host CPU"), a, s->warning ? UI_WARNING : UI_NORMAL);
	double mp = mem_used_pct(s);
	if (mp >= 0) {
		i18n_format_bytes(s->mem_total - s->mem_available, a, sizeof a);
		i18n_format_bytes(s->mem_total, b, sizeof b);
		pct_text(mp, c, sizeof c);
		snprintf(buf, sizeof buf, _("%s of %s (%s)"), a, b, c);
	} else {
		snprintf(buf, sizeof buf, "-");
	}
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("memory"), buf, mp >= RES_MEM_WARN_PCT ? UI_STATUS_STALE : UI_NORMAL);
	if (s->load[0] >= 0) {
		char l1[16], l2[16], l3[16];
		i18n_format_decimal(s->load[0], 2, l1, sizeof l1);
		i18n_format_decimal(s->load[1] >= 0 ? s->load[1] : 0, 2, l2, sizeof l2);
		i18n_format_decimal(s->load[2] >= 0 ? s->load[2] : 0, 2, l3, sizeof l3);
		snprintf(buf, sizeof buf, "%s %s %s", l1, l2, l3);
		ui_pair(y, x, w, UI_PAIR_BODY, _("load"), buf, UI_NORMAL);
	}
	y++;
	x = 1;
	pct_text(s->daemon_cpu, a, sizeof a);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("daemon CPU"), a, UI_NORMAL);
	i18n_format_bytes(s->daemon_rss, a, sizeof a);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("RSS"), s->daemon_rss >= 0 ? a : "-", UI_NORMAL);
	count_text(s->ws_connections, a, sizeof a);
	ui_pair(y, x, w, UI_PAIR_BODY, _("WebSocket connections"), a, UI_NORMAL);
	y++;
	x = 1;
	enum ui_element del;
	const char *state = db_state_text(s->db_state, &del);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("database"), state, del);
	if (s->db_active >= 0 || s->db_idle >= 0 || s->db_max >= 0) {
		count_text(s->db_active, a, sizeof a);
		count_text(s->db_idle, b, sizeof b);
		count_text(s->db_max, c, sizeof c);
		snprintf(buf, sizeof buf, _("%s in use, %s idle, max %s"), a, b, c);
		bool busy = s->db_max > 0 && s->db_active >= 0 &&
			    100.0 * (double)s->db_active / (double)s->db_max >= RES_DB_WARN_PCT;
		ui_pair(y, x, w, UI_PAIR_BODY, _("connections"), buf, busy ? UI_STATUS_STALE : UI_NORMAL);
	}
	y++;
	x = 1;
	rate_text(s->events_in, a, sizeof a);
	rate_text(s->events_out, b, sizeof b);
	snprintf(buf, sizeof buf, _("%s in, %s out"), a, b);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("events/s"), buf, UI_NORMAL);
	/* The queue's depth every view shows (model_queue_depth), not the sample's. */
	count_text(model_queue_depth(&ui->model), a, sizeof a);
	x = ui_pair(y, x, w, UI_PAIR_BODY, _("queue depth"), a, ui->model.queue.n.backlog ? UI_STATUS_STALE : UI_NORMAL);
	snprintf(a, sizeof a, "%u", r->nworkers);
	ui_pair(y, x, w, UI_PAIR_BODY, _("workers reporting"), a, UI_NORMAL);
	y++;

	/* The top consumers: always with the warning, else when there is room. */
	int rem = bottom - y;
	bool consumers = r->current.ntop > 0 && (s->warning || rem - (int)r->current.ntop - 3 >= 6);
	if (consumers && rem >= 2) {
		ui_title_line(y++, _("Top consumers (workflows, by CPU)"), "");
		/* Columns by display width: "439,4 MiB" and "1 w toku" never touch. */
		const struct ui_col cols[] = {
			{ _("WORKFLOW"), 12, 0, 1, 0, false },
			{ _("CPU"), 7, 0, 0, 0, true },
			{ _("MEMORY"), 10, 0, 0, 0, true },
			{ _("RUNNING"), 4, 0, 0, 1, true },
		};
		struct ui_table t;
		ui_table_layout(&t, cols, sizeof cols / sizeof cols[0], 2, w - 3);
		if (y < bottom)
			ui_table_header(&t, y++, UI_MUTED);
		for (uint32_t i = 0; i < r->current.ntop && y < bottom; i++, y++) {
			const struct resource_consumer *tc = &r->current.top[i];
			ui_table_cell(&t, y, 0, UI_NORMAL, tc->workflow_id);
			pct_text(tc->cpu_percent, a, sizeof a);
			ui_table_cell(&t, y, 1, s->warning && i == 0 ? UI_STATUS_STALE : UI_NORMAL, a);
			i18n_format_bytes(tc->memory_bytes, b, sizeof b);
			ui_table_cell(&t, y, 2, UI_NORMAL, b);
			i18n_format_count(tc->executions, c, sizeof c);
			ui_table_cell(&t, y, 3, UI_MUTED, c);
		}
	}

	/* History graphs share what is left: a title line and at least a row each. */
	rem = bottom - y;
	int ngraphs = rem / 2 < SER__COUNT ? rem / 2 : SER__COUNT;
	if (ngraphs <= 0)
		return;
	int h = rem / ngraphs - 1;
	if (h > RES_GRAPH_ROWS_MAX)
		h = RES_GRAPH_ROWS_MAX;
	for (int g = 0; g < ngraphs; g++) {
		draw_graph(ui, y, h, (enum res_series)g);
		y += h + 1;
	}
}

static void res_hints(struct ui *ui, int y)
{
	(void)ui;
	int x = 0;
	ui_hint(y, &x, "Q", _("Queue"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
	ui_hint(y, &x, "q", _("Quit"), false);
}

static void res_enter(struct ui *ui)
{
	if (session_want(ui->session, RES_ROOM) != 0)
		ui_message(ui, UI_ERROR, "%s", _("too many rooms open"));
}

static void res_leave(struct ui *ui)
{
	session_unwant(ui->session, RES_ROOM);
}

const struct ui_view_ops ui_view_resources = {
	.name = N_("Resources"),
	.keys = res_keys,
	.nkeys = sizeof res_keys / sizeof res_keys[0],
	.enter = res_enter,
	.leave = res_leave,
	.draw = res_draw,
	.hints = res_hints,
};
