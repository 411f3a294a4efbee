/* widgets.c: the header, the footer, the text pane and the help overlay, each
 * a const struct ui_widget_ops (see ui_widget.h); and OSC 52 encoding.
 *
 * Invariants: a text pane never holds more than max_lines lines (the oldest
 * go first) and its top always points inside it; widgets draw only inside
 * the rectangle they are given. */
#include "ui_widget.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "clock.h"
#include "i18n.h"
#include "ui_screen.h"
#include "ui_view.h"
#include "xalloc.h"

/* ---- text pane ------------------------------------------------------------------- */

void ui_textpane_clear(struct ui_textpane *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->lines[i]);
	free(t->lines);
	free(t->els);
	bool follow = t->follow;
	size_t max = t->max_lines;
	memset(t, 0, sizeof *t);
	t->follow = follow;
	t->max_lines = max;
}

void ui_textpane_add(struct ui_textpane *t, enum ui_element el, const char *line)
{
	if (t->max_lines > 0 && t->n >= t->max_lines) {
		free(t->lines[0]);
		memmove(t->lines, t->lines + 1, sizeof *t->lines * (t->n - 1));
		memmove(t->els, t->els + 1, sizeof *t->els * (t->n - 1));
		t->n--;
		if (t->top > 0)
			t->top--;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->lines = xrealloc(t->lines, sizeof *t->lines * t->cap);
		t->els = xrealloc(t->els, sizeof *t->els * t->cap);
	}
	t->lines[t->n] = xstrdup(line);
	t->els[t->n] = el;
	t->n++;
}

void ui_textpane_add_text(struct ui_textpane *t, enum ui_element el, const char *text)
{
	const char *p = text;
	for (;;) {
		const char *nl = strchr(p, '\n');
		char *line = nl ? xstrndup(p, (size_t)(nl - p)) : xstrdup(p);
		ui_textpane_add(t, el, line);
		free(line);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static size_t textpane_max_top(const struct ui_textpane *t)
{
	int rows = t->rows > 0 ? t->rows : 1;
	return t->n > (size_t)rows ? t->n - (size_t)rows : 0;
}

void ui_textpane_scroll(struct ui_textpane *t, long delta)
{
	long top = (long)t->top + delta;
	long max = (long)textpane_max_top(t);
	if (top < 0)
		top = 0;
	if (top >= max) {
		top = max;
	} else {
		t->follow = false;
	}
	t->top = (size_t)top;
	if (delta > 0 && (size_t)top == (size_t)max)
		t->follow = true;
}

void ui_textpane_home(struct ui_textpane *t)
{
	t->top = 0;
	t->follow = t->n <= (size_t)(t->rows > 0 ? t->rows : 1);
}

void ui_textpane_end(struct ui_textpane *t)
{
	t->top = textpane_max_top(t);
	t->follow = true;
}

static void textpane_draw(struct ui_widget *w, struct ui *ui, struct ui_rect r)
{
	(void)ui;
	struct ui_textpane *t = w->state;
	t->rows = r.h;
	if (t->follow)
		t->top = textpane_max_top(t);
	if (t->top > textpane_max_top(t))
		t->top = textpane_max_top(t);
	for (int i = 0; i < r.h; i++) {
		size_t li = t->top + (size_t)i;
		if (li >= t->n)
			break;
		const char *line = t->lines[li];
		int used = ui_text(r.y + i, r.x, r.w, t->els[li], line);
		/* JSON: colour the key of "key": value lines. */
		const char *q = line + strspn(line, " ");
		if (t->els[li] == UI_NORMAL && *q == '"') {
			const char *end = strstr(q, "\": ");
			if (end == NULL)
				end = strstr(q, "\":");
			if (end != NULL) {
				char key[256];
				size_t n = (size_t)(end - line) + 2;
				if (n >= sizeof key)
					n = sizeof key - 1;
				memcpy(key, line, n);
				key[n] = '\0';
				ui_text(r.y + i, r.x, r.w < used ? r.w : used, UI_JSON_KEY, key);
			}
		}
	}
}

bool ui_textpane_key(struct ui_textpane *t, int key)
{
	int page = t->rows > 1 ? t->rows - 1 : 1;
	switch (key) {
	case KEY_UP: case 'k':
		ui_textpane_scroll(t, -1);
		return true;
	case KEY_DOWN: case 'j':
		ui_textpane_scroll(t, 1);
		return true;
	case KEY_PPAGE: case KEY_NPAGE:
		ui_textpane_scroll(t, key == KEY_PPAGE ? -page : page);
		return true;
	case KEY_HOME: case 'g':
		ui_textpane_home(t);
		return true;
	case KEY_END: case 'G':
		ui_textpane_end(t);
		return true;
	default:
		return false;
	}
}

static bool textpane_key(struct ui_widget *w, struct ui *ui, int key)
{
	(void)ui;
	return ui_textpane_key(w->state, key);
}

static void textpane_free(struct ui_widget *w)
{
	ui_textpane_clear(w->state);
}

const struct ui_widget_ops ui_textpane_ops = {
	.name = "textpane",
	.draw = textpane_draw,
	.key = textpane_key,
	.free = textpane_free,
};

/* ---- list selection and scrolling -------------------------------------------------- */

void ui_sel_follow(size_t *sel, size_t n, long found)
{
	if (found >= 0 && (size_t)found < n)
		*sel = (size_t)found;
	else if (n == 0)
		*sel = 0;
	else if (*sel >= n)
		*sel = n - 1;
}

bool ui_sel_move(size_t *sel, size_t n, long delta)
{
	if (n == 0) {
		*sel = 0;
		return false;
	}
	long s = (long)(*sel < n ? *sel : n - 1);
	/* Home and End pass deltas past either end. */
	if (delta < 0)
		s = delta < -s ? 0 : s + delta;
	else
		s = delta >= (long)n - s ? (long)n - 1 : s + delta;
	*sel = (size_t)s;
	return true;
}

void ui_scroll_clamp(size_t sel, size_t *top, size_t body, size_t n)
{
	if (body == 0)
		return;
	if (sel < *top)
		*top = sel;
	if (sel >= *top + body)
		*top = sel - body + 1;
	if (*top + body > n)
		*top = n > body ? n - body : 0;
}

/* ---- label and value pairs --------------------------------------------------------- */

int ui_pair(int y, int x, int lim, enum ui_pair_style style, const char *label, const char *value,
	    enum ui_element value_el)
{
	bool header = style == UI_PAIR_HEADER;
	enum ui_element lel = header ? UI_HEADER_LABEL : UI_MUTED;
	enum ui_element gap = header ? UI_HEADER_LABEL : UI_NORMAL;
	if (x >= lim)
		return x;
	/* A label whose value would not show (or hardly) is left out with it:
	 * "workers reporting" without its number says nothing. */
	int vw = ui_width(value), need = ui_width(label) + 1 + (vw < 6 ? vw : 6);
	if (x + need > lim)
		return lim;
	x += ui_text(y, x, lim - x, lel, label);
	x += ui_text(y, x, lim - x, gap, " ");
	x += ui_text(y, x, lim - x, value_el, value);
	x += ui_text(y, x, lim - x, gap, header ? "  " : "   ");
	return x;
}

/* ---- header ------------------------------------------------------------------------- */

struct header_state {
	enum session_display display;
	int64_t retry_ms;
};

static void header_update(struct ui_widget *w, struct ui *ui)
{
	struct header_state *h = w->state;
	h->display = session_display(ui->session);
	h->retry_ms = session_retry_in_ms(ui->session, ui->now_us);
}

/* The header's second line: the organization's counts as the daemon keeps
 * them (org_summary.h: the same in every console), the queue's depth (the
 * one every view shows), then the thresholds crossed. When it does not fit,
 * the counts that are zero give way first, then the warnings are cut. */
static void header_counts(struct ui *ui, int y, int x0, int width)
{
	const struct model_summary *ms = &ui->model.summary;
	int64_t queued = model_queue_depth(&ui->model);
	const struct {
		const char *label;
		int64_t value;          /* -1: not known yet */
		enum ui_element el;
	} counts[] = {
		{ C_("header count", "running"), ms->loaded ? (int64_t)ms->s.running : -1, UI_HEADER },
		{ C_("header count", "unhandled failures"), ms->loaded ? (int64_t)ms->s.failed_unhandled : -1,
		  UI_STATUS_FAILED },
		{ C_("header count", "queued"), queued, UI_STATUS_QUEUED },
		{ C_("header count", "stale"), ms->loaded ? (int64_t)ms->s.stale : -1, UI_STATUS_STALE },
		{ C_("header count", "alerts"), ms->loaded ? (int64_t)ms->s.alerts_open : -1, UI_STATUS_FAILED },
	};
	enum { NCOUNTS = sizeof counts / sizeof counts[0] };
	char values[NCOUNTS][32];
	bool shown[NCOUNTS];
	int need = 1;
	for (int i = 0; i < NCOUNTS; i++) {
		if (counts[i].value < 0)
			snprintf(values[i], sizeof values[i], "-");
		else
			i18n_format_count(counts[i].value, values[i], sizeof values[i]);
		shown[i] = true;
		need += ui_width(counts[i].label) + 1 + ui_width(values[i]) + 2;
	}
	static const enum ui_notice_kind kinds[] = { NOTICE_CPU, NOTICE_BACKLOG, NOTICE_DEGRADED };
	char warns[3][160];
	int nw = 0, wneed = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		char t[128];
		if (!ui_warning_text(ui, kinds[i], true, t, sizeof t))
			continue;
		snprintf(warns[nw], sizeof warns[nw], " %s %s ", ui_sym(SYM_WARN), t);
		wneed += ui_width(warns[nw++]) + 1;
	}
	/* Zero counts give way to warnings, from the right; "running" stays. */
	for (int i = NCOUNTS - 1; i > 0 && need + wneed > width; i--) {
		if (counts[i].value == 0) {
			shown[i] = false;
			need -= ui_width(counts[i].label) + 1 + ui_width(values[i]) + 2;
		}
	}
	int x = x0 + 1, lim = x0 + width;
	for (int i = 0; i < NCOUNTS; i++)
		if (shown[i])
			x = ui_pair(y, x, lim, UI_PAIR_HEADER, counts[i].label, values[i],
				    counts[i].value > 0 ? counts[i].el : UI_HEADER);
	for (int i = 0; i < nw && x < lim - 2; i++) {
		x += ui_text(y, x, lim - x, UI_WARNING, warns[i]);
		x += 1;
	}
}

static void header_draw(struct ui_widget *w, struct ui *ui, struct ui_rect r)
{
	struct header_state *h = w->state;
	char buf[256], clock[32];
	ui_fill(r.y, r.x, r.w, UI_HEADER);
	ui_fill(r.y + 1, r.x, r.w, UI_HEADER_LABEL);

	/* The right side first: badge and clock always fit. */
	i18n_format_clock(ui->now_ms, clock, sizeof clock);
	char badge[160];
	enum ui_element bel;
	switch (h->display) {
	case SD_LIVE:
		/* Live, but on a node of a cluster whose Redis is away: its own
		 * producers' events arrive, the other nodes' are late. */
		/* Its own producers' events it holds in its outbox meanwhile are
		 * shown pending: how many. */
		if (ui->model.summary.loaded && strcmp(ui->model.summary.s.peers, "delayed") == 0) {
			int n = snprintf(badge, sizeof badge, " %s %s ", _("LIVE"), _("OTHER NODES DELAYED"));
			unsigned long long ob = ui->model.summary.s.outbox;
			if (ob > 0 && n > 0 && (size_t)n < sizeof badge)
				snprintf(badge + n, sizeof badge - (size_t)n,
					 ngettext(" %llu EVENT PENDING ", " %llu EVENTS PENDING ", ob), ob);
			bel = UI_BADGE_RECONNECTING;
		} else if (ui->model.summary.loaded && ui->model.summary.s.outbox > 0) {
			unsigned long long ob = ui->model.summary.s.outbox;
			int n = snprintf(badge, sizeof badge, " %s ", _("LIVE"));
			snprintf(badge + n, sizeof badge - (size_t)n,
				 ngettext(" %llu EVENT PENDING ", " %llu EVENTS PENDING ", ob), ob);
			bel = UI_BADGE_RECONNECTING;
		} else {
			snprintf(badge, sizeof badge, " %s ", _("LIVE"));
			bel = UI_BADGE_LIVE;
		}
		break;
	case SD_CONNECTING:
		snprintf(badge, sizeof badge, " %s ", _("CONNECTING"));
		bel = UI_BADGE_RECONNECTING;
		break;
	case SD_RECONNECTING: {
		char in[32];
		/* A countdown rounds up: "in 1 s" until the retry, never "in 0 s". */
		i18n_format_remaining(h->retry_ms, in, sizeof in);
		if (h->retry_ms > 0)
			snprintf(badge, sizeof badge, " %s %s %s ", _("RECONNECTING"), _("in"), in);
		else
			snprintf(badge, sizeof badge, " %s ", _("RECONNECTING"));
		bel = UI_BADGE_RECONNECTING;
		break;
	}
	default: {
		char age[32];
		int64_t last = ui->model.last_event_rx_ms;
		i18n_format_elapsed(last > 0 ? ui->now_ms - last : -1, age, sizeof age);
		if (last > 0)
			snprintf(badge, sizeof badge, " %s %s %s ", _("OFFLINE"), _("last event"), age);
		else
			snprintf(badge, sizeof badge, " %s ", _("OFFLINE"));
		bel = UI_BADGE_OFFLINE;
		break;
	}
	}
	int cw = ui_width(clock) + 1;
	int bw = ui_width(badge);
	int right = r.x + r.w - cw - bw - 1;
	if (right < r.x + 10)
		right = r.x + 10;
	ui_text(r.y, right, bw, bel, badge);
	ui_text_right(r.y, r.x + r.w - cw, cw, UI_HEADER, clock);

	int x = r.x;
	x += ui_text(r.y, x, right - x, UI_HEADER, " wfmon ");
	if (ui->opt->readonly) {
		snprintf(buf, sizeof buf, "%s", _("READONLY"));
		x += ui_text(r.y, x, right - x, UI_BADGE_READONLY, buf);
		x += ui_text(r.y, x, right - x, UI_HEADER, " ");
	}
	const char *who = ui->who.sub[0] ? ui->who.sub : "?";
	snprintf(buf, sizeof buf, "%s (%s)", who, ui->who.role[0] ? ui->who.role : "?");
	x = ui_pair(r.y, x, right, UI_PAIR_HEADER, _("org"), ui->who.org[0] ? ui->who.org : "?", UI_HEADER);
	x = ui_pair(r.y, x, right, UI_PAIR_HEADER, _("user"), buf, UI_HEADER);
	/* The server goes last: it is the first thing a narrow terminal drops. */
	if (right - x > ui_width(ui->opt->url) + 10)
		ui_pair(r.y, x, right, UI_PAIR_HEADER, _("server"), ui->opt->url, UI_HEADER);

	header_counts(ui, r.y + 1, r.x, r.w);
}

static void header_free(struct ui_widget *w)
{
	free(w->state);
	w->state = NULL;
}

const struct ui_widget_ops ui_header_ops = {
	.name = "header",
	.update = header_update,
	.draw = header_draw,
	.free = header_free,
};

void *ui_header_state_new(void)
{
	return xcalloc(1, sizeof(struct header_state));
}

/* ---- footer: hints and the message or prompt line ------------------------------------ */

static void footer_draw(struct ui_widget *w, struct ui *ui, struct ui_rect r)
{
	(void)w;
	ui_fill(r.y, r.x, r.w, UI_FOOTER);
	if (ui->view->hints != NULL)
		ui->view->hints(ui, r.y);
	int y = r.y + 1;
	if (ui->prompt != PROMPT_NONE) {
		static const char *const prompts[] = {
			[PROMPT_COMMAND] = ":", [PROMPT_FILTER] = "/", [PROMPT_WRITE] = N_("write to: "),
		};
		const char *p = ui->prompt == PROMPT_WRITE ? _(prompts[PROMPT_WRITE])
				: ui->prompt == PROMPT_ASK || ui->prompt == PROMPT_CONFIRM ? ui->ask_label
				: prompts[ui->prompt];
		int x = ui_text(y, r.x, r.w, UI_MESSAGE, p);
		/* Show the end of a long input, where the cursor is. */
		const char *in = ui->input;
		while (ui_width(in) > r.w - x - 2 && *in)
			in++;
		if (ui->prompt == PROMPT_CONFIRM)
			return;
		x += ui_text(y, r.x + x, r.w - x, UI_NORMAL, in);
		ui_text(y, r.x + x, 1, UI_SELECTION, " ");
		return;
	}
	if (ui->message[0] != '\0' && ui->now_ms < ui->message_until_ms)
		ui_text(y, r.x, r.w, ui->message_el, ui->message);
}

const struct ui_widget_ops ui_footer_ops = {
	.name = "footer",
	.draw = footer_draw,
};

/* ---- help overlay: generated from the key tables ----------------------------------------- */

static void help_line(int y, int x, int w, const struct ui_key *k)
{
	char label[32];
	snprintf(label, sizeof label, " %-9s", k->label);
	int used = ui_text(y, x, 11, UI_HELP_KEY, label);
	ui_fill(y, x + used, 11 - used, UI_HELP);
	ui_text(y, x + 11, w - 11, UI_HELP, _(k->help));
	int tw = ui_width(_(k->help));
	ui_fill(y, x + 11 + tw, w - 11 - tw, UI_HELP);
}

static void help_draw(struct ui_widget *w, struct ui *ui, struct ui_rect r)
{
	(void)w;
	const struct ui_key *gk;
	size_t gn;
	ui_global_keys(&gk, &gn);
	size_t total = 3;
	for (size_t i = 0; i < ui->view->nkeys; i++)
		total += ui->view->keys[i].label != NULL;
	for (size_t i = 0; i < gn; i++)
		total += gk[i].label != NULL;
	int h = (int)total + 2;
	if (h > r.h)
		h = r.h;
	int wd = r.w > 64 ? 64 : r.w;
	int y0 = r.y + (r.h - h) / 2, x0 = r.x + (r.w - wd) / 2;
	for (int i = 0; i < h; i++)
		ui_fill(y0 + i, x0, wd, UI_HELP);
	char title[128];
	snprintf(title, sizeof title, " %s: %s ", _("Keys"), _(ui->view->name));
	ui_text(y0, x0 + 1, wd - 2, UI_TITLE, title);
	int y = y0 + 1, last = y0 + h - 1;
	for (size_t i = 0; i < ui->view->nkeys && y < last; i++)
		if (ui->view->keys[i].label != NULL)
			help_line(y++, x0 + 1, wd - 2, &ui->view->keys[i]);
	if (y < last)
		ui_text(y++, x0 + 2, wd - 3, UI_TITLE, _("Everywhere"));
	for (size_t i = 0; i < gn && y < last; i++)
		if (gk[i].label != NULL)
			help_line(y++, x0 + 1, wd - 2, &gk[i]);
	ui_text(y0 + h - 1, x0 + 1, wd - 2, UI_MUTED, _("Press any key to close this help."));
}

const struct ui_widget_ops ui_help_ops = {
	.name = "help",
	.draw = help_draw,
};

/* ---- OSC 52 -------------------------------------------------------------------------------- */

char *ui_osc52_new(const char *data, size_t len, bool in_tmux)
{
	if (len > 256 * 1024)
		return NULL;
	size_t blen = base64_encoded_len(len) + 1;
	char *b64 = xmalloc(blen);
	if (base64_encode((const uint8_t *)data, len, b64, blen) < 0) {
		free(b64);
		return NULL;
	}
	char *out = in_tmux ? xasprintf("\033Ptmux;\033\033]52;c;%s\a\033\\", b64)
			    : xasprintf("\033]52;c;%s\a", b64);
	free(b64);
	return out;
}
