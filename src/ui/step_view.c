/* step_view.c: one step: its times, usage, input and output as a text pane
 * that can be copied (OSC 52) or written to a file (see ui_view.h). */
#include "ui_view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ui_screen.h"
#include "xalloc.h"

/* ---- step ---------------------------------------------------------------------------------- */

static struct exec_step *step_current(struct ui *ui)
{
	return exec_step_find(&ui->model.detail.exec.x, ui->step_id);
}

/* Rebuilds the document shown (input and output, pretty-printed) when it changed. */
static void step_sync(struct ui *ui)
{
	struct exec_step *s = step_current(ui);
	json_t *doc = json_object();
	json_object_set_new(doc, "execution_id", json_string(ui->exec_id));
	json_object_set_new(doc, "step_id", json_string(ui->step_id));
	json_object_set(doc, "input", s && s->input ? s->input : json_null());
	json_object_set(doc, "output", s && s->output ? s->output : json_null());
	char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	json_decref(doc);
	if (text == NULL)
		return;
	if (ui->data_doc != NULL && strcmp(ui->data_doc, text) == 0) {
		free(text);
		return;
	}
	free(ui->data_doc);
	ui->data_doc = text;
	size_t top = ui->data.top;
	ui_textpane_clear(&ui->data);
	ui->data.follow = false;
	/* Shown as two labelled blocks; the document (y, w) holds both. */
	for (size_t i = 0; i < 2; i++) {
		json_t *v = s ? (i == 0 ? s->input : s->output) : NULL;
		ui_textpane_add(&ui->data, UI_TITLE, i == 0 ? _("Input") : _("Output"));
		if (v == NULL) {
			ui_textpane_add(&ui->data, UI_MUTED, i == 0 ? _("  (no input)") : _("  (no output yet)"));
		} else {
			char *p = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(9));
			if (p != NULL)
				ui_textpane_add_text(&ui->data, UI_NORMAL, p);
			free(p);
		}
		ui_textpane_add(&ui->data, UI_NORMAL, "");
	}
	ui->data.top = top;
}

static void step_draw(struct ui *ui, int top, int rows)
{
	int w = ui_screen_cols();
	char buf[512], a[64], b[64], c[64];
	struct exec_step *s = step_current(ui);
	step_sync(ui);
	ui_fill(top, 0, w, UI_BORDER);
	int x = 1 + ui_text(top, 1, w - 2, UI_TITLE, s && s->name ? s->name : ui->step_id);
	x += ui_text(top, x, w - x, UI_NORMAL, "  ");
	if (s != NULL)
		x += ui_text(top, x, w - x, ui_step_status_element(s->status), ui_step_status_text(s->status));
	snprintf(buf, sizeof buf, "  %s", ui->exec_id);
	ui_text(top, x, w - x, UI_MUTED, buf);
	if (s == NULL) {
		ui_text(top + 2, 2, w - 4, UI_MUTED, _("This step is not known (yet)."));
		return;
	}
	ui_step_duration_text(s, ui->now_ms, a, sizeof a);
	i18n_format_percent(s->cpu_percent, 1, b, sizeof b);
	i18n_format_bytes(s->memory_bytes, c, sizeof c);
	snprintf(buf, sizeof buf, "%s: %s   %s: %s   %s: %s   %s: %s", _("duration"), a, _("CPU"), b,
		 _("memory"), c, _("worker"), s->worker ? s->worker : "-");
	ui_text(top + 1, 1, w - 2, UI_NORMAL, buf);
	int y = top + 2;
	if (s->error != NULL) {
		snprintf(buf, sizeof buf, "%s: %s%s%s%s", _("error"), s->error, s->error_code ? " (" : "",
			 s->error_code ? s->error_code : "", s->error_code ? ")" : "");
		ui_text(y++, 1, w - 2, UI_STATUS_FAILED, buf);
	}
	/* Earlier attempts, the latest last: each one's end, duration and error. */
	if (s->ntries > 0 || s->attempt > 1) {
		snprintf(buf, sizeof buf, _("attempt %u; earlier attempts:"), s->attempt);
		ui_text(y++, 1, w - 2, UI_STATUS_STALE, buf);
		uint32_t first = s->ntries > 4 ? s->ntries - 4 : 0;
		if (first > 0) {
			snprintf(buf, sizeof buf, _("  (%u more before these)"), first);
			ui_text(y++, 1, w - 2, UI_MUTED, buf);
		}
		for (uint32_t i = first; i < s->ntries && y < top + rows - 3; i++) {
			const struct exec_try *t = &s->tries[i];
			if (t->duration_ms >= 0)
				i18n_format_elapsed(t->duration_ms, a, sizeof a);
			else if (t->finished_ms > 0 && t->started_ms > 0)
				i18n_format_elapsed(t->finished_ms - t->started_ms, a, sizeof a);
			else
				snprintf(a, sizeof a, "-");
			snprintf(buf, sizeof buf, "  #%u  %-10s %8s  %.*s", t->attempt,
				 t->status == STEP_RUNNING ? _("abandoned") : ui_step_status_text(t->status), a,
				 t->error ? (int)strcspn(t->error, "\n") : 0, t->error ? t->error : "");
			ui_text(y++, 1, w - 2, t->status == STEP_FAILED ? UI_STATUS_FAILED : UI_NORMAL, buf);
		}
	}
	ui_title_line(y, _("Data"), ui->data.n > (size_t)(rows - (y - top) - 1) ? _("Up/Down PgUp/PgDn scroll") : "");
	struct ui_widget pane = { &ui_textpane_ops, &ui->data };
	ui_textpane_ops.draw(&pane, ui, (struct ui_rect){ y + 1, 1, rows - (y - top) - 1, w - 2 });
}

static void k_step_up(struct ui *ui) { ui_textpane_key(&ui->data, KEY_UP); }
static void k_step_down(struct ui *ui) { ui_textpane_key(&ui->data, KEY_DOWN); }
static void k_step_pgup(struct ui *ui) { ui_textpane_key(&ui->data, KEY_PPAGE); }
static void k_step_pgdn(struct ui *ui) { ui_textpane_key(&ui->data, KEY_NPAGE); }
static void k_step_home(struct ui *ui) { ui_textpane_key(&ui->data, KEY_HOME); }
static void k_step_end(struct ui *ui) { ui_textpane_key(&ui->data, KEY_END); }
static void k_step_back(struct ui *ui) { ui_set_view(ui, VIEW_EXEC); }

static void k_step_copy(struct ui *ui)
{
	step_sync(ui);
	if (ui->data_doc == NULL)
		return;
	const char *tmux = getenv("TMUX");
	char *osc = ui_osc52_new(ui->data_doc, strlen(ui->data_doc), tmux != NULL && tmux[0] != '\0');
	if (osc == NULL) {
		ui_message(ui, UI_ERROR, "%s", _("too large for the clipboard: write it to a file with w"));
		return;
	}
	int rc = ui_screen_write_raw(osc, strlen(osc));
	free(osc);
	if (rc == 0)
		ui_message(ui, UI_MESSAGE, _("copied %zu bytes to the clipboard (OSC 52)"), strlen(ui->data_doc));
	else
		ui_message(ui, UI_ERROR, "%s", _("cannot write to the terminal"));
}

static void k_step_write(struct ui *ui)
{
	char path[PROTO_MAX_ID * 2 + 32];
	snprintf(path, sizeof path, "./wfmon-%s-%s.json", ui->exec_id, ui->step_id);
	ui_prompt_start(ui, PROMPT_WRITE, path);
}

static const struct ui_key step_keys[] = {
	{ KEY_UP, "Up k", N_("scroll up"), k_step_up },
	{ 'k', NULL, NULL, k_step_up },
	{ KEY_DOWN, "Down j", N_("scroll down"), k_step_down },
	{ 'j', NULL, NULL, k_step_down },
	{ KEY_PPAGE, "PgUp", N_("one page up"), k_step_pgup },
	{ KEY_NPAGE, "PgDn", N_("one page down"), k_step_pgdn },
	{ 'g', "g Home", N_("top"), k_step_home },
	{ KEY_HOME, NULL, NULL, k_step_home },
	{ 'G', "G End", N_("bottom"), k_step_end },
	{ KEY_END, NULL, NULL, k_step_end },
	{ 'y', "y", N_("copy the input and output to the clipboard (OSC 52)"), k_step_copy },
	{ 'w', "w", N_("write the input and output to a file"), k_step_write },
	{ 27, "Esc", N_("back to the execution"), k_step_back },
	{ KEY_LEFT, NULL, NULL, k_step_back },
};

static int step_tick_ms(struct ui *ui)
{
	struct exec_step *s = step_current(ui);
	return s != NULL && s->status == STEP_RUNNING ? 1000 : 0;
}

static void step_hints(struct ui *ui, int y)
{
	(void)ui;
	int x = 0;
	ui_hint(y, &x, "y", _("Copy"), false);
	ui_hint(y, &x, "w", _("Write"), false);
	ui_hint(y, &x, "Esc", _("Back"), false);
	ui_hint(y, &x, "?", _("Help"), false);
	ui_hint(y, &x, "q", _("Quit"), false);
}

static void step_enter(struct ui *ui)
{
	free(ui->data_doc);
	ui->data_doc = NULL;
	ui_textpane_clear(&ui->data);
	ui->data.top = 0;
}

const struct ui_view_ops ui_view_step = {
	.name = N_("Step"),
	.keys = step_keys,
	.nkeys = sizeof step_keys / sizeof step_keys[0],
	.enter = step_enter,
	.draw = step_draw,
	.tick_ms = step_tick_ms,
	.hints = step_hints,
};
