/* i18n.c: gettext set-up, and the console's language for fmt.h (see i18n.h).
 *
 * Invariant: after i18n_init the process runs in the user's locale, or in
 * C.UTF-8 with LANGUAGE naming the user's language when the user's locale is
 * not installed (so LANG=pl_PL.UTF-8 shows Polish even before localedef). */
#include "i18n.h"

#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "install_paths.h"

static char i18n_dir[PATH_MAX + 48];
static bool i18n_lang_known;
static enum fmt_lang i18n_lang_cached;

bool i18n_dir_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void i18n_exe_dir(char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	buf[0] = '\0';
	if (n <= 0)
		return;
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	snprintf(buf, len, "%s", path);
}

/* The locale the user asked for messages, as setlocale would read it. */
static const char *requested_locale(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
		const char *v = getenv(vars[i]);
		if (v != NULL && v[0] != '\0')
			return v;
	}
	return NULL;
}

/* When the user's locale is missing, run in C.UTF-8 and let LANGUAGE carry
 * the language ("pl_PL.UTF-8" -> "pl_PL:pl"), which gettext honours there. */
static void locale_fallback(void)
{
	const char *want = requested_locale();
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		setlocale(LC_ALL, "C");
	const char *language = getenv("LANGUAGE");
	if (want == NULL || (language != NULL && language[0] != '\0'))
		return;
	char lang[64];
	size_t n = strcspn(want, ".@");
	if (n == 0 || n >= sizeof lang || strcmp(want, "C") == 0 || strcmp(want, "POSIX") == 0)
		return;
	memcpy(lang, want, n);
	lang[n] = '\0';
	char value[160];
	size_t base = strcspn(lang, "_");
	snprintf(value, sizeof value, "%s:%.*s", lang, (int)base, lang);
	setenv("LANGUAGE", value, 0);
}

const char *i18n_init(void)
{
	if (setlocale(LC_ALL, "") == NULL)
		locale_fallback();
	const char *env = getenv("WFMON_LOCALEDIR");
	char dir[PATH_MAX];
	i18n_exe_dir(dir, sizeof dir);
	if (env != NULL && env[0] != '\0') {
		snprintf(i18n_dir, sizeof i18n_dir, "%s", env);
	} else {
		/* build/locale beside the build's binaries, else PREFIX/share/locale
		 * beside PREFIX/bin, else where it was built to be installed. */
		char local[PATH_MAX + 24], installed[PATH_MAX + 24];
		snprintf(local, sizeof local, "%s/locale", dir);
		snprintf(installed, sizeof installed, "%s/../share/locale/pl", dir);
		if (dir[0] != '\0' && i18n_dir_exists(local))
			snprintf(i18n_dir, sizeof i18n_dir, "%s", local);
		else if (dir[0] != '\0' && i18n_dir_exists(installed))
			snprintf(i18n_dir, sizeof i18n_dir, "%s/../share/locale", dir);
		else
			snprintf(i18n_dir, sizeof i18n_dir, "%s", WFMON_LOCALEDIR);
	}
	bindtextdomain(I18N_DOMAIN, i18n_dir);
	bind_textdomain_codeset(I18N_DOMAIN, "UTF-8");
	textdomain(I18N_DOMAIN);
	i18n_lang_known = false;
	return i18n_dir;
}

const char *i18n_pgettext(const char *ctx_and_id, const char *id)
{
	const char *t = gettext(ctx_and_id);
	return t == ctx_and_id ? id : t;
}

enum fmt_lang i18n_lang(void)
{
	if (!i18n_lang_known) {
		/* TRANSLATORS: your language's code ("pl"): numbers, durations and
		 * sizes are then written your language's way (fmt.h). */
		i18n_lang_cached = fmt_lang_parse(C_("language code", "en"));
		i18n_lang_known = true;
	}
	return i18n_lang_cached;
}

/* ---- fmt.h in the console's language ---------------------------------------------- */

void i18n_format_decimal(double value, int decimals, char *buf, size_t len)
{
	fmt_number(i18n_lang(), value, decimals, buf, len);
}

void i18n_format_percent(double pct, int decimals, char *buf, size_t len)
{
	fmt_percent(i18n_lang(), pct, decimals, buf, len);
}

void i18n_format_value(double value, char *buf, size_t len)
{
	fmt_value(i18n_lang(), value, buf, len);
}

void i18n_format_duration(double ms, char *buf, size_t len)
{
	fmt_duration(i18n_lang(), ms, buf, len);
}

void i18n_format_duration_short(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;
	if (ms < 0 || ms < 60000)
		i18n_format_duration((double)ms, buf, len);
	else if (s < 3600)
		snprintf(buf, len, _("%dm%02ds"), (int)(s / 60), (int)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, _("%dh%02dm"), (int)(s / 3600), (int)(s % 3600 / 60));
	else
		snprintf(buf, len, _("%dd%02dh"), (int)(s / 86400), (int)(s % 86400 / 3600));
}

void i18n_format_elapsed(int64_t ms, char *buf, size_t len)
{
	fmt_elapsed(i18n_lang(), ms, buf, len);
}

void i18n_format_remaining(int64_t ms, char *buf, size_t len)
{
	fmt_remaining(i18n_lang(), ms, buf, len);
}

void i18n_format_time(int64_t wall_ms, char *buf, size_t len)
{
	fmt_time(i18n_lang(), wall_ms, buf, len);
}

void i18n_format_clock(int64_t wall_ms, char *buf, size_t len)
{
	fmt_clock(i18n_lang(), wall_ms, buf, len);
}

void i18n_format_datetime(int64_t wall_ms, char *buf, size_t len)
{
	fmt_datetime(i18n_lang(), wall_ms, buf, len);
}

void i18n_format_bytes(int64_t bytes, char *buf, size_t len)
{
	fmt_bytes(i18n_lang(), bytes, buf, len);
}

void i18n_format_count(int64_t n, char *buf, size_t len)
{
	fmt_count(i18n_lang(), n, buf, len);
}
