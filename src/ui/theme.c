/* theme.c: theme files and colour arithmetic (see ui_theme.h).
 *
 * Invariants: a failed parse leaves the target theme as it was (the text is
 * applied to a copy); theme names are plain words, so a name can never reach
 * outside the theme folders. */
#include "ui_theme.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conffile.h"
#include "i18n.h"
#include "install_paths.h"
#include "xalloc.h"

#define THEME_MAX_FILE (64 * 1024)

static const char *const element_names[UI_EL__COUNT] = {
	[UI_NORMAL] = "normal",
	[UI_HEADER] = "header",
	[UI_HEADER_LABEL] = "header_label",
	[UI_TITLE] = "title",
	[UI_BORDER] = "border",
	[UI_SELECTION] = "selection",
	[UI_STATUS_OK] = "status_ok",
	[UI_STATUS_RUNNING] = "status_running",
	[UI_STATUS_FAILED] = "status_failed",
	[UI_STATUS_PENDING] = "status_pending",
	[UI_STATUS_QUEUED] = "status_queued",
	[UI_STATUS_CANCELLED] = "status_cancelled",
	[UI_STATUS_STALE] = "status_stale",
	[UI_GRAPH] = "graph",
	[UI_GRAPH_EMPTY] = "graph_empty",
	[UI_BADGE_LIVE] = "badge_live",
	[UI_BADGE_RECONNECTING] = "badge_reconnecting",
	[UI_BADGE_OFFLINE] = "badge_offline",
	[UI_BADGE_READONLY] = "badge_readonly",
	[UI_FOOTER] = "footer",
	[UI_FOOTER_KEY] = "footer_key",
	[UI_MESSAGE] = "message",
	[UI_ERROR] = "error",
	[UI_MUTED] = "muted",
	[UI_COUNTER] = "counter",
	[UI_LOG_DEBUG] = "log_debug",
	[UI_LOG_INFO] = "log_info",
	[UI_LOG_WARN] = "log_warn",
	[UI_LOG_ERROR] = "log_error",
	[UI_HELP] = "help",
	[UI_HELP_KEY] = "help_key",
	[UI_JSON_KEY] = "json_key",
	[UI_JSON_STRING] = "json_string",
	[UI_JSON_NUMBER] = "json_number",
	[UI_WARNING] = "warning",
	[UI_BAR_OK] = "bar_ok",
	[UI_BAR_RUNNING] = "bar_running",
	[UI_BAR_FAILED] = "bar_failed",
	[UI_BAR_SLOW] = "bar_slow",
	[UI_BAR_WAIT] = "bar_wait",
	[UI_ALERT_CRITICAL] = "alert_critical",
	[UI_FORM_FIELD] = "form_field",
};

int ui_element_parse(const char *name, enum ui_element *out)
{
	for (int i = 0; i < UI_EL__COUNT; i++) {
		if (strcmp(element_names[i], name) == 0) {
			*out = (enum ui_element)i;
			return 0;
		}
	}
	return -1;
}

static const struct {
	const char *name;
	short color;
} color_names[] = {
	{ "default", UI_COLOR_DEFAULT },
	{ "black", 0 }, { "red", 1 }, { "green", 2 }, { "yellow", 3 },
	{ "blue", 4 }, { "magenta", 5 }, { "cyan", 6 }, { "white", 7 },
	{ "bright-black", 8 }, { "grey", 8 }, { "gray", 8 }, { "bright-red", 9 },
	{ "bright-green", 10 }, { "bright-yellow", 11 }, { "bright-blue", 12 },
	{ "bright-magenta", 13 }, { "bright-cyan", 14 }, { "bright-white", 15 },
};

int ui_color_parse(const char *word, short *out)
{
	for (size_t i = 0; i < sizeof color_names / sizeof color_names[0]; i++) {
		if (strcasecmp(word, color_names[i].name) == 0) {
			*out = color_names[i].color;
			return 0;
		}
	}
	if (!isdigit((unsigned char)word[0]))
		return -1;
	char *end;
	errno = 0;
	long v = strtol(word, &end, 10);
	if (*end != '\0' || errno != 0 || v < 0 || v > 255)
		return -1;
	*out = (short)v;
	return 0;
}

/* The xterm palette's RGB for 16..255, and typical values for 0..15. */
static void color_rgb(short c, int rgb[3])
{
	static const int sys[16][3] = {
		{ 0, 0, 0 }, { 205, 0, 0 }, { 0, 205, 0 }, { 205, 205, 0 },
		{ 0, 0, 238 }, { 205, 0, 205 }, { 0, 205, 205 }, { 229, 229, 229 },
		{ 127, 127, 127 }, { 255, 0, 0 }, { 0, 255, 0 }, { 255, 255, 0 },
		{ 92, 92, 255 }, { 255, 0, 255 }, { 0, 255, 255 }, { 255, 255, 255 },
	};
	if (c < 16) {
		memcpy(rgb, sys[c], sizeof sys[c]);
	} else if (c < 232) {
		static const int level[6] = { 0, 95, 135, 175, 215, 255 };
		int i = c - 16;
		rgb[0] = level[i / 36];
		rgb[1] = level[i / 6 % 6];
		rgb[2] = level[i % 6];
	} else {
		int g = 8 + (c - 232) * 10;
		rgb[0] = rgb[1] = rgb[2] = g;
	}
}

short ui_color_degrade(short color, int ncolors)
{
	if (color < 0 || color < ncolors)
		return color;
	int limit = ncolors >= 16 ? 16 : 8;
	if (color < 16) /* bright to normal on 8-colour terminals */
		return (short)(color - 8);
	int rgb[3];
	color_rgb(color, rgb);
	short best = 0;
	long best_d = -1;
	for (short c = 0; c < limit; c++) {
		int p[3];
		color_rgb(c, p);
		long d = 0;
		for (int k = 0; k < 3; k++)
			d += (long)(p[k] - rgb[k]) * (p[k] - rgb[k]);
		if (best_d < 0 || d < best_d) {
			best_d = d;
			best = c;
		}
	}
	return best;
}

void ui_theme_builtin(struct ui_theme *t)
{
	static const struct ui_style builtin[UI_EL__COUNT] = {
		[UI_NORMAL] = { -1, -1, 0 },
		[UI_HEADER] = { 15, 4, UI_ATTR_BOLD },
		[UI_HEADER_LABEL] = { 7, 4, 0 },
		[UI_TITLE] = { 6, -1, UI_ATTR_BOLD },
		[UI_BORDER] = { 8, -1, 0 },
		[UI_SELECTION] = { 0, 6, 0 },
		[UI_STATUS_OK] = { 2, -1, UI_ATTR_BOLD },
		[UI_STATUS_RUNNING] = { 6, -1, UI_ATTR_BOLD },
		[UI_STATUS_FAILED] = { 1, -1, UI_ATTR_BOLD },
		[UI_STATUS_PENDING] = { 8, -1, 0 },
		[UI_STATUS_QUEUED] = { 3, -1, 0 },
		[UI_STATUS_CANCELLED] = { 5, -1, 0 },
		[UI_STATUS_STALE] = { 3, -1, UI_ATTR_BOLD },
		[UI_GRAPH] = { 2, -1, 0 },
		[UI_GRAPH_EMPTY] = { 8, -1, 0 },
		[UI_BADGE_LIVE] = { 0, 2, UI_ATTR_BOLD },
		[UI_BADGE_RECONNECTING] = { 0, 3, UI_ATTR_BOLD },
		[UI_BADGE_OFFLINE] = { 15, 1, UI_ATTR_BOLD },
		[UI_BADGE_READONLY] = { 0, 7, 0 },
		[UI_FOOTER] = { 7, -1, 0 },
		[UI_FOOTER_KEY] = { 0, 6, 0 },
		[UI_MESSAGE] = { 6, -1, 0 },
		[UI_ERROR] = { 15, 1, UI_ATTR_BOLD },
		[UI_MUTED] = { 8, -1, 0 },
		[UI_COUNTER] = { 3, -1, UI_ATTR_BOLD },
		[UI_LOG_DEBUG] = { 8, -1, 0 },
		[UI_LOG_INFO] = { -1, -1, 0 },
		[UI_LOG_WARN] = { 3, -1, 0 },
		[UI_LOG_ERROR] = { 1, -1, UI_ATTR_BOLD },
		[UI_HELP] = { -1, -1, 0 },
		[UI_HELP_KEY] = { 6, -1, UI_ATTR_BOLD },
		[UI_JSON_KEY] = { 4, -1, UI_ATTR_BOLD },
		[UI_JSON_STRING] = { 2, -1, 0 },
		[UI_JSON_NUMBER] = { 5, -1, 0 },
		[UI_WARNING] = { 0, 3, UI_ATTR_BOLD },
		[UI_BAR_OK] = { 0, 2, 0 },
		[UI_BAR_RUNNING] = { 0, 6, 0 },
		[UI_BAR_FAILED] = { 15, 1, UI_ATTR_BOLD },
		[UI_BAR_SLOW] = { 0, 5, UI_ATTR_BOLD },
		[UI_BAR_WAIT] = { 8, -1, 0 },
		[UI_ALERT_CRITICAL] = { 15, 1, UI_ATTR_BOLD },
		[UI_FORM_FIELD] = { -1, 8, UI_ATTR_UNDERLINE },
	};
	memset(t, 0, sizeof *t);
	snprintf(t->name, sizeof t->name, "builtin");
	memcpy(t->styles, builtin, sizeof builtin);
}

/* Parses "fg [on bg] [bold] [underline] [reverse] [dim]". */
static int style_parse(char *value, struct ui_style *out, char *why, size_t whylen)
{
	static const struct {
		const char *word;
		unsigned attr;
	} attrs[] = {
		{ "bold", UI_ATTR_BOLD }, { "underline", UI_ATTR_UNDERLINE },
		{ "reverse", UI_ATTR_REVERSE }, { "dim", UI_ATTR_DIM },
	};
	struct ui_style s = { UI_COLOR_DEFAULT, UI_COLOR_DEFAULT, 0 };
	int ncolors = 0;
	bool want_bg = false;
	char *save = NULL;
	for (char *w = strtok_r(value, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (strcmp(w, "on") == 0) {
			if (ncolors != 1 || want_bg) {
				snprintf(why, whylen, _("\"on\" must stand between the foreground and the "
							"background colour"));
				return -1;
			}
			want_bg = true;
			continue;
		}
		bool is_attr = false;
		for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
			if (strcmp(w, attrs[i].word) == 0) {
				s.attrs |= attrs[i].attr;
				is_attr = true;
			}
		}
		if (is_attr)
			continue;
		short c;
		if (ui_color_parse(w, &c) != 0) {
			snprintf(why, whylen, _("unknown colour or attribute \"%s\" (colours: black, "
						"red, green, yellow, blue, magenta, cyan, white, "
						"bright-NAME, grey, default or 0-255; attributes: "
						"bold, underline, reverse, dim)"), w);
			return -1;
		}
		if (ncolors == 0 && !want_bg) {
			s.fg = c;
			ncolors = 1;
		} else if (want_bg && ncolors == 1) {
			s.bg = c;
			ncolors = 2;
			want_bg = false;
		} else {
			snprintf(why, whylen, _("too many colours: write \"FG on BG\""));
			return -1;
		}
	}
	if (want_bg) {
		snprintf(why, whylen, _("\"on\" needs a background colour after it"));
		return -1;
	}
	if (ncolors == 0 && s.attrs == 0) {
		snprintf(why, whylen, _("no colour or attribute given"));
		return -1;
	}
	*out = s;
	return 0;
}

struct theme_parse {
	struct ui_theme *work;
	const char *filename;
};

static int theme_pair(const char *key, const char *value, void *arg, char *why, size_t whylen)
{
	struct theme_parse *p = arg;
	enum ui_element el;
	if (ui_element_parse(key, &el) != 0) {
		snprintf(why, whylen, _("unknown element \"%s\" (see wfmon-themes(5) for the list)"), key);
		return -1;
	}
	/* style_parse cuts its copy into words. */
	char *copy = xstrdup(value);
	int rc = style_parse(copy, &p->work->styles[el], why, whylen);
	free(copy);
	return rc;
}

int ui_theme_parse(struct ui_theme *t, const char *text, const char *filename, char *cause,
		   size_t causelen)
{
	struct ui_theme work = *t;
	struct theme_parse p = { &work, filename };
	if (conffile_parse(text, strlen(text), filename,
			   _("\"element = colour [on colour] [attributes]\""), theme_pair, &p, cause,
			   causelen) != 0)
		return -1;
	*t = work;
	return 0;
}

static bool file_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

void ui_theme_shipped_dir(char *buf, size_t len)
{
	char exe[PATH_MAX];
	i18n_exe_dir(exe, sizeof exe);
	/* build/wfmon beside themes/; build/san/wfmon two levels below the tree;
	 * installed: PREFIX/bin/wfmon beside PREFIX/share/wfmon/themes, whatever
	 * PREFIX it was built for */
	static const char *const rel[] = { "../themes", "../../themes", "../share/wfmon/themes" };
	for (size_t i = 0; exe[0] != '\0' && i < sizeof rel / sizeof rel[0]; i++) {
		char cand[PATH_MAX + 32];
		snprintf(cand, sizeof cand, "%s/%s", exe, rel[i]);
		if (i18n_dir_exists(cand)) {
			snprintf(buf, len, "%s", cand);
			return;
		}
	}
	snprintf(buf, len, "%s/themes", WFMON_DATADIR);
}

static void user_dir(char *buf, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/')
		snprintf(buf, len, "%s/wfmon/themes", xdg);
	else if (home != NULL && home[0] != '\0')
		snprintf(buf, len, "%s/.config/wfmon/themes", home);
	else
		buf[0] = '\0';
}

int ui_theme_find(const char *name, char *path, size_t pathlen, char *cause, size_t causelen)
{
	size_t n = strlen(name);
	if (n == 0 || n > UI_THEME_NAME_MAX || strspn(name, "abcdefghijklmnopqrstuvwxyz"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != n) {
		snprintf(cause, causelen, _("\"%s\" is not a theme name: use letters, digits, - and _"),
			 name);
		return -1;
	}
	char dirs[2][PATH_MAX];
	user_dir(dirs[0], sizeof dirs[0]);
	ui_theme_shipped_dir(dirs[1], sizeof dirs[1]);
	for (int i = 0; i < 2; i++) {
		if (dirs[i][0] == '\0')
			continue;
		char cand[2 * PATH_MAX + UI_THEME_NAME_MAX + 16];
		snprintf(cand, sizeof cand, "%s/%s.theme", dirs[i], name);
		if (file_exists(cand)) {
			snprintf(path, pathlen, "%s", cand);
			return 0;
		}
	}
	snprintf(cause, causelen, _("no theme \"%s\" in %s or %s"), name,
		 dirs[0][0] ? dirs[0] : "-", dirs[1]);
	return -1;
}

int ui_theme_load_file(const char *path, struct ui_theme *out, char *cause, size_t causelen)
{
	size_t len;
	char why[512];
	char *text = conffile_read(path, THEME_MAX_FILE, &len, why, sizeof why);
	if (text == NULL) {
		if (errno == EFBIG)
			snprintf(cause, causelen, _("the theme %s is larger than 64 KiB"), path);
		else if (errno == EILSEQ)
			snprintf(cause, causelen, _("the theme %s is not a text file"), path);
		else
			snprintf(cause, causelen, _("cannot read the theme %s: %s"), path, strerror(errno));
		return -1;
	}
	struct ui_theme t;
	ui_theme_builtin(&t);
	int rc = ui_theme_parse(&t, text, path, cause, causelen);
	conffile_text_free(text, len);
	if (rc != 0)
		return -1;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t blen = strcspn(base, ".");
	snprintf(t.name, sizeof t.name, "%.*s", (int)(blen > UI_THEME_NAME_MAX ? UI_THEME_NAME_MAX : blen),
		 base);
	snprintf(t.path, sizeof t.path, "%s", path);
	*out = t;
	return 0;
}

int ui_theme_load(const char *name, struct ui_theme *out, char *cause, size_t causelen)
{
	char path[PATH_MAX + 128];
	if (ui_theme_find(name, path, sizeof path, cause, causelen) != 0)
		return -1;
	return ui_theme_load_file(path, out, cause, causelen);
}
