/* screen.c: the only file that sets up ncurses and its colours (see ui_screen.h).
 *
 * Invariants: pair N+1 belongs to element N; attrs[] always holds the look of
 * every element for the current theme and colour depth; in ASCII mode no
 * byte above 0x7f reaches the terminal (text is transliterated), and no
 * control character ever does. */
#include "ui_screen.h"

#include <curses.h>
#include <langinfo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "utf8.h"

static struct {
	bool active;
	bool ascii;
	bool mono;
	int ncolors;
	attr_t attrs[UI_EL__COUNT];
} scr;

static const char *const sym_utf8[SYM__COUNT] = {
	[SYM_CHECK] = "\u2714", [SYM_CROSS] = "\u2718", [SYM_PENDING] = "\u00b7",
	[SYM_QUEUED] = "\u25cb", [SYM_CANCELLED] = "\u2298", [SYM_STALE] = "!",
	[SYM_BAR_FULL] = "\u2588", [SYM_BAR_EMPTY] = "\u2591", [SYM_HLINE] = "\u2500",
	[SYM_VLINE] = "\u2502", [SYM_ELLIPSIS] = "\u2026", [SYM_ARROW_UP] = "\u25b2",
	[SYM_ARROW_DOWN] = "\u25bc", [SYM_BULLET] = "\u2022", [SYM_SELECT] = "\u25b6",
	[SYM_TICK] = "\u252c", [SYM_WARN] = "\u26a0",
};
static const char *const sym_ascii[SYM__COUNT] = {
	[SYM_CHECK] = "+", [SYM_CROSS] = "x", [SYM_PENDING] = ".", [SYM_QUEUED] = "o",
	[SYM_CANCELLED] = "-", [SYM_STALE] = "!", [SYM_BAR_FULL] = "#", [SYM_BAR_EMPTY] = "-",
	[SYM_HLINE] = "-", [SYM_VLINE] = "|", [SYM_ELLIPSIS] = "~", [SYM_ARROW_UP] = "^",
	[SYM_ARROW_DOWN] = "v", [SYM_BULLET] = "*", [SYM_SELECT] = ">",
	[SYM_TICK] = "+", [SYM_WARN] = "!",
};
static const char *const spin_utf8[UI_SPINNER_FRAMES] = { "\u25d0", "\u25d3", "\u25d1", "\u25d2" };
static const char *const spin_ascii[UI_SPINNER_FRAMES] = { "|", "/", "-", "\\" };

const char *ui_sym(enum ui_symbol s)
{
	return scr.ascii ? sym_ascii[s] : sym_utf8[s];
}

const char *ui_spinner(unsigned frame)
{
	return scr.ascii ? spin_ascii[frame % UI_SPINNER_FRAMES] : spin_utf8[frame % UI_SPINNER_FRAMES];
}

bool ui_screen_ascii(void)
{
	return scr.ascii;
}

int ui_screen_colors(void)
{
	return scr.mono ? 0 : scr.ncolors;
}

int ui_screen_rows(void)
{
	return LINES;
}

int ui_screen_cols(void)
{
	return COLS;
}

int ui_screen_init(const struct ui_screen_options *opt, char *cause, size_t causelen)
{
	const char *codeset = nl_langinfo(CODESET);
	scr.ascii = opt->ascii || codeset == NULL || strcmp(codeset, "UTF-8") != 0;
	const char *no_color = getenv("NO_COLOR");
	scr.mono = opt->mono || (no_color != NULL && no_color[0] != '\0');
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(cause, causelen, "the console needs a terminal: run it in one, or use "
					  "`wfmon tail` to print messages");
		return -1;
	}
	const char *term = getenv("TERM");
	if (newterm(term && *term ? term : "xterm", stdout, stdin) == NULL) {
		snprintf(cause, causelen, "cannot use the terminal type '%s'", term ? term : "");
		return -1;
	}
	scr.active = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	leaveok(stdscr, TRUE);
	scr.ncolors = 0;
	if (!scr.mono && has_colors() && start_color() == OK) {
		use_default_colors();
		scr.ncolors = COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : 8;
		if (COLOR_PAIRS <= UI_EL__COUNT)
			scr.mono = true;
	}
	if (scr.ncolors == 0)
		scr.mono = true;
	return 0;
}

void ui_screen_end(void)
{
	if (!scr.active)
		return;
	endwin();
	scr.active = false;
}

static attr_t attrs_of(unsigned a)
{
	attr_t r = 0;
	if (a & UI_ATTR_BOLD) r |= A_BOLD;
	if (a & UI_ATTR_UNDERLINE) r |= A_UNDERLINE;
	if (a & UI_ATTR_REVERSE) r |= A_REVERSE;
	if (a & UI_ATTR_DIM) r |= A_DIM;
	return r;
}

void ui_screen_apply_theme(const struct ui_theme *t)
{
	for (int e = 0; e < UI_EL__COUNT; e++) {
		const struct ui_style *s = &t->styles[e];
		attr_t a = attrs_of(s->attrs);
		if (scr.mono) {
			/* Without colour a background means "stands out": show it reversed. */
			if (s->bg >= 0 || e == UI_SELECTION)
				a |= A_REVERSE;
			scr.attrs[e] = a;
			continue;
		}
		short fg = ui_color_degrade(s->fg, scr.ncolors);
		short bg = ui_color_degrade(s->bg, scr.ncolors);
		/* On 8 colours a bright foreground becomes bold of the normal one. */
		if (scr.ncolors < 16 && s->fg >= 8 && s->fg < 16)
			a |= A_BOLD;
		init_pair((short)(e + 1), fg, bg);
		scr.attrs[e] = a | COLOR_PAIR(e + 1);
	}
}

/* ---- UTF-8 text ------------------------------------------------------------ */

/* A code point's columns: one in ASCII mode (it is transliterated to one
 * byte), else its display width (utf8.h). */
static int cp_width(uint32_t cp)
{
	if (scr.ascii)
		return 1;
	return utf8_cp_width(cp);
}

int ui_width(const char *text)
{
	int w = 0;
	uint32_t cp;
	for (const char *p = text; *p; p += utf8_next(p, &cp))
		w += (utf8_next(p, &cp), cp_width(cp));
	return w;
}

/* Polish letters and a few others to their ASCII look-alikes. */
static char ascii_of(uint32_t cp)
{
	static const struct {
		uint32_t cp;
		char c;
	} map[] = {
		{ 0x105, 'a' }, { 0x104, 'A' }, { 0x107, 'c' }, { 0x106, 'C' }, { 0x119, 'e' },
		{ 0x118, 'E' }, { 0x142, 'l' }, { 0x141, 'L' }, { 0x144, 'n' }, { 0x143, 'N' },
		{ 0xf3, 'o' }, { 0xd3, 'O' }, { 0x15b, 's' }, { 0x15a, 'S' }, { 0x17a, 'z' },
		{ 0x179, 'Z' }, { 0x17c, 'z' }, { 0x17b, 'Z' }, { 0xe9, 'e' }, { 0xe8, 'e' },
		{ 0xfc, 'u' }, { 0xf6, 'o' }, { 0xe4, 'a' }, { 0x2014, '-' }, { 0x2013, '-' },
		{ 0x2026, '~' }, { 0x201e, '"' }, { 0x201d, '"' }, { 0x201c, '"' }, { 0xa0, ' ' },
		{ 0x202f, ' ' },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].cp == cp)
			return map[i].c;
	return '?';
}

/* Copies at most cols columns of text into out as the terminal should get it. */
static size_t render(const char *text, int cols, char *out, size_t outlen, int *used)
{
	size_t k = 0;
	int w = 0;
	uint32_t cp;
	for (const char *p = text; *p;) {
		size_t n = utf8_next(p, &cp);
		int cw = cp_width(cp);
		if (w + cw > cols || k + n + 1 >= outlen)
			break;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
			out[k++] = ' ';
		} else if (scr.ascii && cp >= 0x80) {
			out[k++] = ascii_of(cp);
		} else if (cp == 0xfffd && n == 1) {
			out[k++] = '?';
		} else {
			memcpy(out + k, p, n);
			k += n;
		}
		w += cw;
		p += n;
	}
	out[k] = '\0';
	*used = w;
	return k;
}

int ui_text(int y, int x, int width, enum ui_element el, const char *text)
{
	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + width > COLS)
		width = COLS - x;
	char buf[4096];
	int used;
	int tw = ui_width(text);
	attrset(scr.attrs[el]);
	if (tw > width && width > 1) {
		size_t n = render(text, width - 1, buf, sizeof buf - 8, &used);
		const char *ell = ui_sym(SYM_ELLIPSIS);
		memcpy(buf + n, ell, strlen(ell) + 1);
		used++;
	} else {
		render(text, width, buf, sizeof buf, &used);
	}
	mvaddstr(y, x, buf);
	attrset(A_NORMAL);
	return used;
}

int ui_text_right(int y, int x, int width, enum ui_element el, const char *text)
{
	int tw = ui_width(text);
	if (tw < width) {
		ui_fill(y, x, width - tw, el);
		return ui_text(y, x + width - tw, tw, el, text) + width - tw;
	}
	return ui_text(y, x, width, el, text);
}

void ui_fill(int y, int x, int width, enum ui_element el)
{
	if (width <= 0 || y < 0 || y >= LINES || x >= COLS)
		return;
	if (x + width > COLS)
		width = COLS - x;
	attrset(scr.attrs[el]);
	mvhline(y, x, ' ', width);
	attrset(A_NORMAL);
}

void ui_bar(int y, int x, int width, int percent, enum ui_element full)
{
	ui_bar_ratio(y, x, width, percent, 100, full);
}

void ui_bar_ratio(int y, int x, int width, int64_t done, int64_t total, enum ui_element full)
{
	if (width <= 0)
		return;
	if (total <= 0 || done < 0) {
		done = 0;
		total = 1;
	}
	if (done > total)
		done = total;
	int n = (int)((int64_t)width * done / total);
	char buf[1024];
	size_t k = 0;
	const char *f = ui_sym(SYM_BAR_FULL), *e = ui_sym(SYM_BAR_EMPTY);
	for (int i = 0; i < n && k + 8 < sizeof buf; i++)
		for (const char *p = f; *p; p++)
			buf[k++] = *p;
	buf[k] = '\0';
	ui_text(y, x, n, full, buf);
	k = 0;
	for (int i = n; i < width && k + 8 < sizeof buf; i++)
		for (const char *p = e; *p; p++)
			buf[k++] = *p;
	buf[k] = '\0';
	ui_text(y, x + n, width - n, UI_GRAPH_EMPTY, buf);
}

void ui_screen_bell(void)
{
	/* beep falls back to flash itself on terminals without a bell. */
	beep();
}

void ui_screen_flush(void)
{
	wnoutrefresh(stdscr);
	doupdate();
}

void ui_screen_redraw_all(void)
{
	clearok(curscr, TRUE);
}

int ui_screen_write_raw(const char *data, size_t len)
{
	fflush(stdout);
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(STDOUT_FILENO, data + off, len - off);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}
