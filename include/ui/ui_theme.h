/* ui_theme.h: colour themes: semantic elements mapped to colours and attributes.
 *
 * Pure: parsing and lookup only; ui_screen turns a theme into ncurses pairs.
 * A theme file holds lines "element = fg [on bg] [bold] [underline] [reverse]
 * [dim]", colours by name (black, red, green, yellow, blue, magenta, cyan,
 * white, bright-*, grey, default) or number 0-255, and # comments (see
 * wfmon-themes(5)). Elements a file leaves out keep the built-in default.
 * User themes ($XDG_CONFIG_HOME/wfmon/themes/NAME.theme) shadow the shipped
 * ones (<exe dir>/../themes, else WFMON_DATADIR/themes). */
#ifndef WFMON_UI_THEME_H
#define WFMON_UI_THEME_H

#include <stdbool.h>
#include <stddef.h>

enum ui_element {
	UI_NORMAL,
	UI_HEADER,
	UI_HEADER_LABEL,
	UI_TITLE,
	UI_BORDER,
	UI_SELECTION,
	UI_STATUS_OK,
	UI_STATUS_RUNNING,
	UI_STATUS_FAILED,
	UI_STATUS_PENDING,
	UI_STATUS_QUEUED,
	UI_STATUS_CANCELLED,
	UI_STATUS_STALE,
	UI_GRAPH,
	UI_GRAPH_EMPTY,
	UI_BADGE_LIVE,
	UI_BADGE_RECONNECTING,
	UI_BADGE_OFFLINE,
	UI_BADGE_READONLY,
	UI_FOOTER,
	UI_FOOTER_KEY,
	UI_MESSAGE,
	UI_ERROR,
	UI_MUTED,
	UI_COUNTER,
	UI_LOG_DEBUG,
	UI_LOG_INFO,
	UI_LOG_WARN,
	UI_LOG_ERROR,
	UI_HELP,
	UI_HELP_KEY,
	UI_JSON_KEY,
	UI_JSON_STRING,
	UI_JSON_NUMBER,
	UI_WARNING,          /* backlog, CPU above its threshold */
	UI_BAR_OK,           /* timeline bars by step status (drawn with a background) */
	UI_BAR_RUNNING,
	UI_BAR_FAILED,
	UI_BAR_SLOW,         /* a step slower than its p95 */
	UI_BAR_WAIT,         /* the wait before a step, after its dependencies */
	UI_ALERT_CRITICAL,   /* the critical-alert banner and critical severities */
	UI_FORM_FIELD,       /* an editable field of a form */
	UI_EL__COUNT
};

enum { UI_ATTR_BOLD = 1, UI_ATTR_UNDERLINE = 2, UI_ATTR_REVERSE = 4, UI_ATTR_DIM = 8 };

#define UI_COLOR_DEFAULT (-1)

struct ui_style {
	short fg, bg;          /* -1 (terminal default) or 0..255 */
	unsigned attrs;        /* UI_ATTR_* */
};

#define UI_THEME_NAME_MAX 64

struct ui_theme {
	char name[UI_THEME_NAME_MAX + 1];
	char path[1024];       /* the file it came from, "" for the built-in one */
	struct ui_style styles[UI_EL__COUNT];
};

/* The element called name in theme files (e.g. "status_ok"): 0 and *out, or -1. */
int ui_element_parse(const char *name, enum ui_element *out);
/* A colour: a name or 0..255. Returns 0 and sets *out (-1 for default), or -1. */
int ui_color_parse(const char *word, short *out);
/* The nearest colour a terminal of ncolors (8, 16, 256) can show. */
short ui_color_degrade(short color, int ncolors);

/* The built-in theme (also the base every file is applied on). */
void ui_theme_builtin(struct ui_theme *t);
/* Applies a theme file's text on top of *t. filename names the file in
 * messages. Returns 0, or -1 with "FILE:LINE: what is wrong" in cause and *t
 * unchanged. */
int ui_theme_parse(struct ui_theme *t, const char *text, const char *filename, char *cause,
		   size_t causelen);
/* Finds NAME's file (user folder first, then the shipped themes). Returns 0
 * with the path, or -1 with a reason in cause. */
int ui_theme_find(const char *name, char *path, size_t pathlen, char *cause, size_t causelen);
/* Finds and loads a theme into *out; on error *out is unchanged. */
int ui_theme_load(const char *name, struct ui_theme *out, char *cause, size_t causelen);
/* Loads one file by path (on top of the built-in theme). */
int ui_theme_load_file(const char *path, struct ui_theme *out, char *cause, size_t causelen);
/* The folder of shipped themes in use. */
void ui_theme_shipped_dir(char *buf, size_t len);

#endif
