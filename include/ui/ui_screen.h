/* ui_screen.h: the terminal: ncurses set-up, colours, symbols, text drawing.
 *
 * The only module that initialises ncurses and colour pairs (like htop's
 * CRT.c). Everything else draws through ui_screen_text and friends with a
 * semantic element (ui_theme.h), so themes, --mono and NO_COLOR apply
 * everywhere at once. Text is UTF-8; widths are display columns. */
#ifndef WFMON_UI_SCREEN_H
#define WFMON_UI_SCREEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ui_theme.h"

/* Symbols with a UTF-8 form and an ASCII fallback. */
enum ui_symbol {
	SYM_CHECK, SYM_CROSS, SYM_PENDING, SYM_QUEUED, SYM_CANCELLED, SYM_STALE,
	SYM_BAR_FULL, SYM_BAR_EMPTY, SYM_HLINE, SYM_VLINE, SYM_ELLIPSIS, SYM_ARROW_UP,
	SYM_ARROW_DOWN, SYM_BULLET, SYM_SELECT, SYM_TICK, SYM_WARN,
	SYM__COUNT
};

#define UI_SPINNER_FRAMES 4

struct ui_screen_options {
	bool ascii;    /* force ASCII symbols */
	bool mono;     /* no colours */
};

/* Starts curses on the terminal. Returns 0, or -1 with a reason. */
int ui_screen_init(const struct ui_screen_options *opt, char *cause, size_t causelen);
void ui_screen_end(void);
/* Installs a theme's colours (pairs and attributes). */
void ui_screen_apply_theme(const struct ui_theme *t);
/* True when ASCII symbols are in use. */
bool ui_screen_ascii(void);
/* 0 (mono), 8, 16 or 256. */
int ui_screen_colors(void);
const char *ui_sym(enum ui_symbol s);
const char *ui_spinner(unsigned frame);
int ui_screen_rows(void);
int ui_screen_cols(void);

/* Draws text at (y, x) in at most width columns with the element's look;
 * longer text is cut with an ellipsis. Returns the columns used. */
int ui_text(int y, int x, int width, enum ui_element el, const char *text);
/* Same, right-aligned in width columns. */
int ui_text_right(int y, int x, int width, enum ui_element el, const char *text);
/* Fills width columns with spaces in the element's look. */
void ui_fill(int y, int x, int width, enum ui_element el);
/* Display columns of a UTF-8 string (invalid bytes count as one). */
int ui_width(const char *text);
/* A horizontal bar of width columns, filled to percent. */
void ui_bar(int y, int x, int width, int percent, enum ui_element full);
/* The same, filled to done of total (columns rounded down). */
void ui_bar_ratio(int y, int x, int width, int64_t done, int64_t total, enum ui_element full);
/* Rings the terminal's bell (or flashes the screen when it has none). */
void ui_screen_bell(void);
/* Ends the frame: one doupdate for everything drawn since the last. */
void ui_screen_flush(void);
/* Forgets what the terminal shows, so the next flush repaints it all (Ctrl-L). */
void ui_screen_redraw_all(void);
/* Writes raw bytes to the terminal between frames (OSC 52). */
int ui_screen_write_raw(const char *data, size_t len);

#endif
