/* notices.c: the notice line: notices that matter (the connection's state,
 * the server's refusals and errors, thresholds crossed) kept in sight until
 * they are no longer true or the user dismisses them, apart from the
 * stream of event messages on the message line (see ui_view.h). Also the
 * threshold warnings' texts, long for the notice line and short for the
 * header, so both say the same.
 *
 * Invariants: one notice per kind at most, the newest text replacing the
 * older; a dismissed condition (a threshold) stays dismissed while it
 * stays true and comes back when it clears and is crossed again; a
 * dismissed event notice comes back only with a new event of its kind. */
#include "ui_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "ui_screen.h"

/* Shown first: the lower, the more important. */
static const int notice_rank[NOTICE__COUNT] = {
	[NOTICE_CONNECTION] = 0, [NOTICE_REFUSAL] = 1, [NOTICE_SERVER] = 2,
	[NOTICE_CPU] = 3, [NOTICE_BACKLOG] = 4, [NOTICE_DEGRADED] = 5,
};

static bool notice_is_condition(enum ui_notice_kind k)
{
	return k == NOTICE_BACKLOG || k == NOTICE_CPU || k == NOTICE_DEGRADED;
}

void ui_notice_raise(struct ui *ui, enum ui_notice_kind k, enum ui_element el, int64_t lasts_ms,
		     const char *fmt, ...)
{
	struct ui_notice *n = &ui->notices[k];
	char text[UI_MESSAGE_LEN];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	bool fresh = !n->on || (!notice_is_condition(k) && strcmp(text, n->text) != 0);
	if (fresh) {
		n->since_ms = ui->now_ms;
		if (!notice_is_condition(k) || !n->on)
			n->dismissed = false;
	}
	if (!n->on || strcmp(text, n->text) != 0 || n->el != el)
		ui->dirty = true;
	n->on = true;
	n->el = el;
	n->until_ms = lasts_ms > 0 ? ui->now_ms + lasts_ms : 0;
	snprintf(n->text, sizeof n->text, "%s", text);
}

void ui_notice_clear(struct ui *ui, enum ui_notice_kind k)
{
	struct ui_notice *n = &ui->notices[k];
	if (n->on)
		ui->dirty = true;
	n->on = false;
	n->dismissed = false;
	n->text[0] = '\0';
}

/* ---- threshold warnings ------------------------------------------------------------------ */

bool ui_warning_text(struct ui *ui, enum ui_notice_kind k, bool compact, char *buf, size_t len)
{
	const struct model *m = &ui->model;
	const struct org_summary *s = m->summary.loaded ? &m->summary.s : NULL;
	char a[64], b[64];
	buf[0] = '\0';
	switch (k) {
	case NOTICE_BACKLOG: {
		bool on = m->queue.loaded ? m->queue.n.backlog : s != NULL && s->backlog;
		if (!on)
			return false;
		if (!compact && m->queue.loaded) {
			ui_queue_backlog_text(&m->queue, buf, len);
			return true;
		}
		i18n_format_count(model_queue_depth(m), a, sizeof a);
		if (compact) {
			/* TRANSLATORS: the header's short backlog warning: the queue's depth. */
			snprintf(buf, len, _("backlog %s"), a);
		} else {
			i18n_format_count(s ? (int64_t)s->backlog_threshold : 0, b, sizeof b);
			snprintf(buf, len, _("BACKLOG: %s queued (threshold %s)"), a, b);
		}
		return true;
	}
	case NOTICE_CPU:
		if (s == NULL || !s->cpu)
			return false;
		i18n_format_percent(s->cpu_percent, compact ? 0 : 1, a, sizeof a);
		i18n_format_percent(s->cpu_threshold, 0, b, sizeof b);
		if (compact)
			/* TRANSLATORS: the header's short CPU warning: "CPU 92%". */
			snprintf(buf, len, _("CPU %s"), a);
		else
			snprintf(buf, len, _("host CPU %s is above the threshold of %s"), a, b);
		return true;
	case NOTICE_DEGRADED: {
		if (s == NULL || s->ndegraded == 0)
			return false;
		if (compact) {
			if (s->ndegraded == 1)
				/* TRANSLATORS: the header's short warning: a workflow's performance degraded. */
				snprintf(buf, len, "%s", _("degraded"));
			else
				snprintf(buf, len, _("degraded %u"), s->ndegraded);
			return true;
		}
		char list[UI_MESSAGE_LEN] = "";
		size_t k2 = 0;
		for (uint32_t i = 0; i < s->ndegraded && k2 + 4 < sizeof list; i++)
			k2 += (size_t)snprintf(list + k2, sizeof list - k2, "%s%s", i ? ", " : "", s->degraded[i]);
		snprintf(buf, len, _("performance degraded: %s"), list);
		return true;
	}
	default:
		return false;
	}
}

void ui_notices_sync(struct ui *ui)
{
	static const enum ui_notice_kind conditions[] = { NOTICE_BACKLOG, NOTICE_CPU, NOTICE_DEGRADED };
	char text[UI_MESSAGE_LEN];
	for (size_t i = 0; i < sizeof conditions / sizeof conditions[0]; i++) {
		if (ui_warning_text(ui, conditions[i], false, text, sizeof text))
			ui_notice_raise(ui, conditions[i], UI_WARNING, 0, "%s", text);
		else
			ui_notice_clear(ui, conditions[i]);
	}
	for (int k = 0; k < NOTICE__COUNT; k++) {
		struct ui_notice *n = &ui->notices[k];
		if (n->on && n->until_ms > 0 && ui->now_ms >= n->until_ms)
			ui_notice_clear(ui, (enum ui_notice_kind)k);
	}
}

const struct ui_notice *ui_notice_top(const struct ui *ui, int *others)
{
	const struct ui_notice *top = NULL;
	int rank = NOTICE__COUNT, n = 0;
	for (int k = 0; k < NOTICE__COUNT; k++) {
		const struct ui_notice *x = &ui->notices[k];
		if (!x->on || x->dismissed)
			continue;
		n++;
		if (notice_rank[k] < rank) {
			rank = notice_rank[k];
			top = x;
		}
	}
	if (others != NULL)
		*others = n > 0 ? n - 1 : 0;
	return top;
}

bool ui_notice_dismiss(struct ui *ui)
{
	const struct ui_notice *top = ui_notice_top(ui, NULL);
	if (top == NULL)
		return false;
	ui->notices[top - ui->notices].dismissed = true;
	ui->dirty = true;
	return true;
}

void ui_notice_draw(struct ui *ui, int y)
{
	int others;
	const struct ui_notice *n = ui_notice_top(ui, &others);
	if (n == NULL)
		return;
	int w = ui_screen_cols();
	char tail[128] = "";
	if (others > 0)
		snprintf(tail, sizeof tail, _("  (+%d more, X: dismiss)"), others);
	else
		snprintf(tail, sizeof tail, "  %s", _("(X: dismiss)"));
	char line[UI_MESSAGE_LEN + 160];
	snprintf(line, sizeof line, " %s %s", n->el == UI_MESSAGE ? ui_sym(SYM_BULLET) : ui_sym(SYM_WARN), n->text);
	ui_fill(y, 0, w, n->el);
	/* The dismiss hint stays in sight; the text gives way. */
	int tw = ui_width(tail);
	int x = ui_text(y, 0, w - tw > 10 ? w - tw : w, n->el, line);
	if (w - tw > 10)
		ui_text(y, x, w - x, n->el, tail);
}

int ui_notice_rows(const struct ui *ui)
{
	return ui_notice_top(ui, NULL) != NULL ? 1 : 0;
}
