/* words.c: the words, marks and title lines every view shares: status and
 * step-status texts, their colour elements and symbols, log-line kinds,
 * short ids, the title line and key hints (see ui_view.h). */
#include "ui_view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "ui_screen.h"
#include "xalloc.h"

/* ---- shared words ------------------------------------------------------------------ */

const char *ui_status_text(enum model_status s)
{
	switch (s) {
	case MS_QUEUED: return C_("execution status", "queued");
	case MS_RUNNING: return C_("execution status", "running");
	case MS_COMPLETED: return C_("execution status", "completed");
	case MS_FAILED: return C_("execution status", "failed");
	case MS_CANCELLED: return C_("execution status", "cancelled");
	case MS_STALE: return C_("execution status", "stale");
	default: return "?";
	}
}

const char *ui_step_status_text(enum exec_step_status s)
{
	switch (s) {
	case STEP_PENDING: return C_("step status", "pending");
	case STEP_RUNNING: return C_("step status", "running");
	case STEP_COMPLETED: return C_("step status", "completed");
	case STEP_FAILED: return C_("step status", "failed");
	default: return "?";
	}
}

enum ui_element ui_status_element(enum model_status s)
{
	static const enum ui_element el[MS__COUNT] = {
		[MS_QUEUED] = UI_STATUS_QUEUED, [MS_RUNNING] = UI_STATUS_RUNNING,
		[MS_COMPLETED] = UI_STATUS_OK, [MS_FAILED] = UI_STATUS_FAILED,
		[MS_CANCELLED] = UI_STATUS_CANCELLED, [MS_STALE] = UI_STATUS_STALE,
	};
	return (unsigned)s < MS__COUNT ? el[s] : UI_NORMAL;
}

enum ui_element ui_step_status_element(enum exec_step_status s)
{
	static const enum ui_element el[STEP__COUNT] = {
		[STEP_PENDING] = UI_STATUS_PENDING, [STEP_RUNNING] = UI_STATUS_RUNNING,
		[STEP_COMPLETED] = UI_STATUS_OK, [STEP_FAILED] = UI_STATUS_FAILED,
	};
	return (unsigned)s < STEP__COUNT ? el[s] : UI_NORMAL;
}

const char *ui_status_symbol(enum model_status s)
{
	static const enum ui_symbol sym[MS__COUNT] = {
		[MS_QUEUED] = SYM_QUEUED, [MS_RUNNING] = SYM_BULLET, [MS_COMPLETED] = SYM_CHECK,
		[MS_FAILED] = SYM_CROSS, [MS_CANCELLED] = SYM_CANCELLED, [MS_STALE] = SYM_STALE,
	};
	return ui_sym(sym[s]);
}

const char *ui_log_kind_text(enum model_log_kind k)
{
	switch (k) {
	case MLOG_EXEC_STARTED: return _("Workflow execution started");
	case MLOG_EXEC_COMPLETED: return _("Workflow execution completed successfully");
	case MLOG_EXEC_FAILED: return _("Workflow execution failed");
	case MLOG_EXEC_CANCELLED: return _("Workflow execution cancelled");
	case MLOG_STEP_STARTED: return _("Step started");
	case MLOG_STEP_COMPLETED: return _("Step completed");
	case MLOG_STEP_FAILED: return _("Step failed");
	default: return "";
	}
}

void ui_short_id(const char *id, char *buf, size_t len)
{
	size_t n = strlen(id);
	if (n <= 10)
		snprintf(buf, len, "%s", id);
	else
		snprintf(buf, len, "%s%s", ui_sym(SYM_ELLIPSIS), id + n - 9);
}

void ui_title_line(int y, const char *title, const char *extra)
{
	int w = ui_screen_cols();
	ui_fill(y, 0, w, UI_BORDER);
	int x = ui_text(y, 1, w - 2, UI_TITLE, title);
	if (extra != NULL && extra[0] != '\0') {
		int ew = ui_width(extra);
		if (ew < w - x - 4)
			ui_text(y, w - ew - 1, ew, UI_MUTED, extra);
	}
}

void ui_hint(int y, int *x, const char *key, const char *what, bool active)
{
	int w = ui_screen_cols();
	if (*x >= w)
		return;
	*x += ui_text(y, *x, w - *x, active ? UI_SELECTION : UI_FOOTER_KEY, key);
	*x += ui_text(y, *x, w - *x, active ? UI_SELECTION : UI_FOOTER, " ");
	*x += ui_text(y, *x, w - *x, active ? UI_SELECTION : UI_FOOTER, what);
	*x += ui_text(y, *x, w - *x, UI_FOOTER, " ");
}

static int64_t step_elapsed(const struct exec_step *s, int64_t now_ms)
{
	if (s->status == STEP_RUNNING)
		return s->started_ms > 0 && now_ms > s->started_ms ? now_ms - s->started_ms : 0;
	if (s->duration_ms >= 0)
		return s->duration_ms;
	if (s->finished_ms > 0 && s->started_ms > 0)
		return s->finished_ms - s->started_ms;
	return -1;
}

/* A running step's time ticks in whole seconds; a finished one's is exact. */
void ui_step_duration_text(const struct exec_step *s, int64_t now_ms, char *buf, size_t len)
{
	if (s->status == STEP_RUNNING)
		i18n_format_elapsed(step_elapsed(s, now_ms), buf, len);
	else
		i18n_format_duration(step_elapsed(s, now_ms), buf, len);
}

void ui_exec_duration_text(const struct model_exec *x, int64_t now_ms, char *buf, size_t len)
{
	int64_t ms = model_exec_duration_ms(x, now_ms);
	if (exec_status_finished(x->x.status))
		i18n_format_duration((double)ms, buf, len);
	else
		i18n_format_elapsed(ms, buf, len);
}

const char *ui_prio_text(enum proto_priority p)
{
	switch (p) {
	case PRIO_HIGH: return C_("priority", "high");
	case PRIO_LOW: return C_("priority", "low");
	default: return C_("priority", "normal");
	}
}

int ui_status_width(void)
{
	const char *w[MS__COUNT];
	for (int i = 0; i < MS__COUNT; i++)
		w[i] = ui_status_text((enum model_status)i);
	return ui_words_width(w, MS__COUNT);
}

int ui_prio_width(void)
{
	const char *w[PRIO__COUNT];
	for (int i = 0; i < PRIO__COUNT; i++)
		w[i] = ui_prio_text((enum proto_priority)i);
	return ui_words_width(w, PRIO__COUNT);
}

bool ui_exec_unknown(const struct ui *ui)
{
	const struct model_detail *d = &ui->model.detail;
	return d->loaded && d->missing && d->exec.x.nsteps == 0 && d->exec.x.events == 0;
}

void ui_exec_not_found(struct ui *ui, int y)
{
	char buf[512];
	snprintf(buf, sizeof buf, _("not found: the server knows no execution %s in organization %s. "
				    "Check the id (Esc: back to the list)."), ui->exec_id,
		 ui->who.org[0] ? ui->who.org : "?");
	ui_text(y, 2, ui_screen_cols() - 4, UI_STATUS_FAILED, buf);
}
